//! The board's three sockets: HTTP (`/command`, `/files`, `/sdfiles`, `/login`, the WebUI), the terminal
//! WebSocket (`webui-v3`, any path) and the data WebSocket (`arduino`), each a thin shell over the station.

use std::sync::Arc;

use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request};
use tokio_tungstenite::tungstenite::http::StatusCode;

use super::station::{Seat, Shared};
use crate::clock::{Clock, SimTime};
use crate::serve::device::{CloseCode, ConnInfo, HttpAnswer, Outgoing, Service, Session, Upgrade};
use understudy_core::proto::esp3d::{DATA_PROTOCOL, TERMINAL_PROTOCOL, slots, subprotocol_answer};
use understudy_core::proto::http::{HttpRequest, HttpResponse};

/// The headers arduinoWebSockets adds to its `101` answer.
const UPGRADE_HEADERS: &[(&str, &str)] = &[("server", "arduino-WebSocketsServer"), ("sec-websocket-version", "13")];

/// Which of the two WebSocket servers a service is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Socket {
    /// The WebUI's terminal (`webui-v3`).
    Terminal,
    /// The data socket (`arduino`).
    Data,
}

/// The HTTP port: every request goes to the board; WebSocket upgrades are not served there.
pub struct HttpService {
    pub shared: Arc<Shared>,
}

impl Service for HttpService {
    fn upgrade(&self, _request: &Request) -> Result<Upgrade, ErrorResponse> {
        Err(refusal(StatusCode::NOT_FOUND))
    }

    fn open_session(&self, _conn: ConnInfo) -> Box<dyn Session> {
        // Never reached: every upgrade is refused.
        Box::new(Refused)
    }

    fn http(&self, now: SimTime, request: HttpRequest) -> HttpResponse {
        self.http_with_headers(now, request, None).response
    }

    fn http_with_headers(&self, now: SimTime, request: HttpRequest, cookie: Option<&str>) -> HttpAnswer {
        self.shared.with(now, |station| station.http(now, &request, cookie))
    }
}

/// One of the two WebSocket servers.
pub struct SocketService {
    pub shared: Arc<Shared>,
    pub clock: Arc<Clock>,
    pub socket: Socket,
}

impl Service for SocketService {
    fn upgrade(&self, request: &Request) -> Result<Upgrade, ErrorResponse> {
        let taken = {
            let station = self.shared.lock();
            match self.socket {
                Socket::Terminal => station.terminal_count(),
                Socket::Data => station.data_count(),
            }
        };
        if taken >= slots::MAX_CLIENTS {
            // The firmware drops a sixth client before the handshake.
            return Err(refusal(StatusCode::SERVICE_UNAVAILABLE));
        }
        let own = match self.socket {
            Socket::Terminal => TERMINAL_PROTOCOL,
            Socket::Data => DATA_PROTOCOL,
        };
        let offered = request.headers().contains_key("sec-websocket-protocol");
        Ok(Upgrade {
            subprotocol: subprotocol_answer(own, offered).map(str::to_string),
        })
    }

    fn upgrade_headers(&self) -> &'static [(&'static str, &'static str)] {
        UPGRADE_HEADERS
    }

    fn open_session(&self, conn: ConnInfo) -> Box<dyn Session> {
        let now = self.clock.now();
        let push = conn.push.clone();
        let seat = self.shared.with(now, |station| match self.socket {
            Socket::Terminal => station.terminal_open(now, conn.push),
            Socket::Data => station.data_open(conn.push),
        });
        match seat {
            Some(seat) => Box::new(SocketSession {
                shared: self.shared.clone(),
                socket: self.socket,
                seat,
            }),
            None => {
                // Two clients raced for the last slot.
                let _ = push.try_send(Outgoing::Close(
                    CloseCode::TryAgainLater,
                    "all client slots are taken".into(),
                ));
                Box::new(Refused)
            }
        }
    }

    fn http(&self, _now: SimTime, _request: HttpRequest) -> HttpResponse {
        // arduinoWebSockets answers a plain request on its port with 400.
        HttpResponse::with_type(400, "text/plain", "This is a Websocket server only!")
    }
}

/// A client holding a slot on one of the sockets.
struct SocketSession {
    shared: Arc<Shared>,
    socket: Socket,
    seat: Seat,
}

impl Session for SocketSession {
    fn on_text(&mut self, now: SimTime, text: &str, _out: &mut Vec<Outgoing>) {
        let seat = self.seat;
        match self.socket {
            Socket::Terminal => self.shared.with(now, |s| s.terminal_text(now, seat, text)),
            Socket::Data => self
                .shared
                .with(now, |s| s.data_message(now, seat, text.as_bytes(), false)),
        }
    }

    fn on_binary(&mut self, now: SimTime, data: &[u8], _out: &mut Vec<Outgoing>) {
        // The terminal socket ignores binary input, as the firmware does.
        if self.socket == Socket::Data {
            let seat = self.seat;
            self.shared.with(now, |s| s.data_message(now, seat, data, true));
        }
    }

    fn on_close(&mut self, now: SimTime) {
        let seat = self.seat;
        match self.socket {
            Socket::Terminal => self.shared.with(now, |s| s.terminal_close(seat)),
            Socket::Data => self.shared.with(now, |s| s.data_close(seat)),
        }
    }
}

/// A connection that got no slot: it is being closed and ignores what it receives.
struct Refused;

impl Session for Refused {
    fn on_text(&mut self, _now: SimTime, _text: &str, _out: &mut Vec<Outgoing>) {}
    fn on_binary(&mut self, _now: SimTime, _data: &[u8], _out: &mut Vec<Outgoing>) {}
}

fn refusal(status: StatusCode) -> ErrorResponse {
    let mut response = ErrorResponse::new(None);
    *response.status_mut() = status;
    response
}
