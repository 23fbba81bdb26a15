//! One ESP3D board and its Marlin printer behind one lock: every socket and the HTTP server drive them here,
//! and the board's actions are routed to the connections of their slots and to the printer's serial port.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};

use super::serial_feed::SerialFeed;
use crate::clock::SimTime;
use crate::serve::dashboard::series::StreamTail;
use crate::serve::device::{HttpAnswer, Outgoing};
use understudy_core::model::printer::{Fault, Printer};
use understudy_core::proto::esp3d::{Action, Esp3dBoard};
use understudy_core::proto::http::HttpRequest;

/// How many rounds of printer output / board answers one pump runs at most (an ESP command the printer
/// echoes back could otherwise ping-pong forever).
const MAX_PUMP_ROUNDS: usize = 32;
/// How much of the printer's serial output the dashboard's terminal shows.
const SERIAL_TAIL_BYTES: usize = 2048;

/// A connection holding a slot: its identity (so that a slot reused by another client is not freed by the
/// old one's late close) and where its frames go.
struct Peer {
    conn: u64,
    push: mpsc::Sender<Outgoing>,
}

/// The connections of one socket by slot.
#[derive(Default)]
struct Peers(BTreeMap<u8, Peer>);

impl Peers {
    fn send(&self, slot: u8, frame: Outgoing) {
        if let Some(peer) = self.0.get(&slot) {
            // A client whose queue is full loses the frame, as a board drops what it cannot send.
            let _ = peer.push.try_send(frame);
        }
    }

    /// Whether `conn` still holds `slot`.
    fn holds(&self, slot: u8, conn: u64) -> bool {
        self.0.get(&slot).is_some_and(|p| p.conn == conn)
    }
}

/// What one lock guards.
pub struct Station {
    board: Esp3dBoard,
    printer: Printer,
    feed: SerialFeed,
    terminals: Peers,
    data: Peers,
    next_conn: u64,
    /// The printer's latest serial output, for the dashboard.
    serial: StreamTail,
}

/// A client that got a slot.
#[derive(Clone, Copy, Debug)]
pub struct Seat {
    /// The board's slot.
    pub slot: u8,
    /// This connection's identity.
    pub conn: u64,
}

impl Station {
    /// A board in front of a printer.
    pub fn new(board: Esp3dBoard, printer: Printer) -> Self {
        Station {
            board,
            printer,
            feed: SerialFeed::default(),
            terminals: Peers::default(),
            data: Peers::default(),
            next_conn: 0,
            serial: StreamTail::new(SERIAL_TAIL_BYTES),
        }
    }

    /// The board.
    pub fn board_mut(&mut self) -> &mut Esp3dBoard {
        &mut self.board
    }

    /// The printer.
    pub fn printer(&self) -> &Printer {
        &self.printer
    }

    /// The printer's latest serial output (what the terminal socket streams), as text.
    pub fn serial_tail(&self) -> String {
        self.serial.text()
    }

    /// How many terminal clients hold a slot.
    pub fn terminal_count(&self) -> usize {
        self.terminals.0.len()
    }

    /// How many data clients hold a slot.
    pub fn data_count(&self) -> usize {
        self.data.0.len()
    }

    fn conn_id(&mut self) -> u64 {
        self.next_conn += 1;
        self.next_conn
    }

    /// A terminal client connected: the connect sequence goes out; `None` when every slot is taken.
    pub fn terminal_open(&mut self, now: SimTime, push: mpsc::Sender<Outgoing>) -> Option<Seat> {
        let (slot, actions) = self.board.terminal_connect().ok()?;
        let conn = self.conn_id();
        self.terminals.0.insert(slot, Peer { conn, push });
        self.apply(now, actions);
        Some(Seat { slot, conn })
    }

    /// A terminal client sent text.
    pub fn terminal_text(&mut self, now: SimTime, seat: Seat, text: &str) {
        if self.terminals.holds(seat.slot, seat.conn) {
            let actions = self.board.terminal_text(now, seat.slot, text);
            self.apply(now, actions);
        }
    }

    /// A terminal client left (a client the board closed has already lost its slot).
    pub fn terminal_close(&mut self, seat: Seat) {
        if self.terminals.holds(seat.slot, seat.conn) {
            self.terminals.0.remove(&seat.slot);
            self.board.terminal_disconnect(seat.slot);
        }
    }

    /// A data client connected; `None` when every slot is taken.
    pub fn data_open(&mut self, push: mpsc::Sender<Outgoing>) -> Option<Seat> {
        let slot = self.board.data_connect().ok()?;
        let conn = self.conn_id();
        self.data.0.insert(slot, Peer { conn, push });
        Some(Seat { slot, conn })
    }

    /// A data client sent a frame.
    pub fn data_message(&mut self, now: SimTime, seat: Seat, payload: &[u8], binary: bool) {
        if self.data.holds(seat.slot, seat.conn) {
            self.printer.advance(now);
            let actions = self
                .board
                .data_message(now, seat.slot, payload, binary, self.printer.sd_mut());
            self.apply(now, actions);
        }
    }

    /// A data client left: a transfer it owned leaves no file.
    pub fn data_close(&mut self, seat: Seat) {
        if self.data.holds(seat.slot, seat.conn) {
            self.data.0.remove(&seat.slot);
            self.board.data_disconnect(seat.slot);
        }
    }

    /// An HTTP request to the board.
    pub fn http(&mut self, now: SimTime, request: &HttpRequest, cookie: Option<&str>) -> HttpAnswer {
        self.printer.advance(now);
        let reply = self.board.http(now, request, cookie, self.printer.sd_mut());
        self.apply(now, reply.actions);
        HttpAnswer {
            response: reply.response,
            headers: reply.headers,
        }
    }

    /// Injects a printer fault (its error lines then reach the streams).
    pub fn fault(&mut self, now: SimTime, fault: Fault) {
        self.printer.inject_fault(now, fault);
        self.pump(now);
    }

    /// Power-cycles the printer.
    pub fn reset_printer(&mut self, now: SimTime) {
        self.printer.reset(now);
        self.pump(now);
    }

    /// Runs the printer and the board's timers up to `now`, carrying the printer's output to the board and
    /// the board's serial writes to the printer until neither has more to say.
    pub fn pump(&mut self, now: SimTime) {
        for _ in 0..MAX_PUMP_ROUNDS {
            self.printer.advance(now);
            let output = self.printer.take_output();
            self.serial.push(&output);
            let mut actions = if output.is_empty() {
                Vec::new()
            } else {
                self.board.serial_output(now, &output, self.printer.sd())
            };
            actions.extend(self.board.advance(now, self.printer.sd_mut()));
            if output.is_empty() && actions.is_empty() {
                return;
            }
            self.apply(now, actions);
        }
    }

    /// When the printer or the board next has something to do.
    pub fn next_deadline(&self) -> Option<SimTime> {
        [self.printer.next_deadline(), self.board.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Carries out the board's actions in order.
    fn apply(&mut self, now: SimTime, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::TerminalPing { slot } => self.terminals.send(slot, Outgoing::Ping(Bytes::new())),
                Action::TerminalText { slot, text } => self.terminals.send(slot, Outgoing::Text(text)),
                Action::TerminalBinary { slot, bytes } => self.terminals.send(slot, Outgoing::Binary(bytes)),
                Action::TerminalClose { slot, code } => {
                    self.terminals.send(slot, Outgoing::Close(code, String::new()));
                    self.terminals.0.remove(&slot);
                }
                Action::DataText { slot, text } => self.data.send(slot, Outgoing::Text(text)),
                Action::DataBinary { slot, bytes } => self.data.send(slot, Outgoing::Binary(bytes)),
                Action::Serial(bytes) => {
                    for line in self.feed.push(&bytes) {
                        self.printer.submit_line(now, &line);
                    }
                }
            }
        }
    }
}

/// The station and the signal that wakes its timer task when something may have moved its next deadline.
pub struct Shared {
    station: Mutex<Station>,
    wake: Notify,
}

impl Shared {
    /// Shares a station.
    pub fn new(station: Station) -> Self {
        Shared {
            station: Mutex::new(station),
            wake: Notify::new(),
        }
    }

    /// Runs `f` on the station, brings it up to `now`, and wakes the timer task.
    pub fn with<T>(&self, now: SimTime, f: impl FnOnce(&mut Station) -> T) -> T {
        let result = {
            let mut station = self.lock();
            let result = f(&mut station);
            station.pump(now);
            result
        };
        self.wake.notify_one();
        result
    }

    /// The station, locked.
    pub fn lock(&self) -> MutexGuard<'_, Station> {
        // A panic while holding the lock leaves a board no worse than a real one after a glitch: keep serving.
        self.station.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Resolves when something may have changed the next deadline.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}
