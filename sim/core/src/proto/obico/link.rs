//! The agent's connection to the server as a sans-IO state machine: REST check first, then the
//! socket, backoffs from a seeded RNG, and what 401, 403 and the close codes do.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::time::SimTime;

/// `backoff.expo` cap for the REST check, seconds.
pub const REST_BACKOFF_CAP_S: f64 = 1200.0;
/// How long the plugin polls for an open socket before it gives up on an attempt.
pub const WS_POLL_MS: u64 = 120_000;
/// The first socket retry's base delay (0.25 s, doubling per attempt).
pub const WS_BACKOFF_BASE_S: f64 = 0.25;
/// The cap of the socket retry delay, seconds.
pub const WS_BACKOFF_CAP_S: f64 = 1200.0;
/// Frames kept while no socket is open (the oldest go first).
pub const MAX_QUEUED: usize = 16;
/// The close code of a duplicate connection.
pub const CLOSE_DUPLICATE: u16 = 4321;

/// Which REST call an answer belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestCall {
    /// `GET /api/v1/octo/printer/`.
    Printer,
    /// `GET /ent/api/printers/<id>/ext/` (ignored whatever it answers).
    PrinterExt,
    /// `POST /api/v1/octo/g_code_files/`.
    GCodeFiles,
}

/// What comes into the link.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkEvent {
    /// A REST call answered with this HTTP status (0 = no answer: refused, TLS failure, time-out) and body.
    RestAnswered(RestCall, u16, String),
    /// The socket upgrade succeeded.
    WsOpened,
    /// The upgrade was refused with this HTTP status (0 = no answer).
    WsRefused(u16),
    /// The open socket closed with this code (1006 when it just dropped).
    WsClosed(u16),
}

/// What the link asks the serve layer to do.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkAction {
    /// Make a REST call: method, path (after the endpoint prefix), the `Authorization` value, a form body.
    Rest {
        /// Which call (echo it back in [`LinkEvent::RestAnswered`]).
        call: RestCall,
        /// `GET` or `POST`.
        method: &'static str,
        /// The path after the endpoint prefix.
        path: String,
        /// The `Authorization` header value: `Token <tok>`.
        authorization: String,
        /// Form fields (`application/x-www-form-urlencoded`), empty for a GET.
        form: Vec<(String, String)>,
    },
    /// Open `GET /ws/dev/` with `Authorization: bearer <tok>`.
    OpenWs {
        /// `/ws/dev/`.
        path: &'static str,
        /// `bearer <tok>`.
        authorization: String,
    },
    /// Send this frame on the open socket.
    Send(Frame),
}

/// One frame to the server.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// A JSON text frame.
    Text(String),
    /// A BSON binary frame.
    Binary(Vec<u8>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting to (re)try the REST check at this time.
    RestAt(SimTime),
    /// A REST check is under way.
    RestPending,
    /// The ext lookup is under way.
    ExtPending,
    /// Linked; no socket; one opens when a frame is queued at or after this time.
    Idle(SimTime),
    /// The upgrade was refused; the next attempt opens at this time.
    RetryAt(SimTime),
    /// The upgrade is under way.
    Opening,
    /// The socket is open.
    Open,
}

/// The connection state machine.
#[derive(Debug)]
pub struct AgentLink {
    token: String,
    rng: ChaCha8Rng,
    phase: Phase,
    rest_failures: u32,
    ws_failures: u32,
    /// Set by a 4321 close: one more connection sends one frame, then nothing is sent.
    shutting_down: bool,
    sends_left_after_shutdown: u32,
    queued: Vec<Frame>,
    printer_id: Option<u64>,
}

impl AgentLink {
    /// A link for `token`; its jitter comes from `rng`. It starts with the REST check due at once.
    pub fn new(token: &str, rng: ChaCha8Rng) -> Self {
        AgentLink {
            token: token.to_owned(),
            rng,
            phase: Phase::RestAt(SimTime::ZERO),
            rest_failures: 0,
            ws_failures: 0,
            shutting_down: false,
            sends_left_after_shutdown: 1,
            queued: Vec::new(),
            printer_id: None,
        }
    }

    /// The printer id the REST check returned, once linked.
    pub fn printer_id(&self) -> Option<u64> {
        self.printer_id
    }

    /// Whether the socket is open.
    pub fn is_open(&self) -> bool {
        self.phase == Phase::Open
    }

    /// Whether a 4321 close shut the agent's sending down.
    pub fn is_shut_down(&self) -> bool {
        self.shutting_down
    }

    fn rest_action(
        &self,
        call: RestCall,
        method: &'static str,
        path: String,
        form: Vec<(String, String)>,
    ) -> LinkAction {
        LinkAction::Rest {
            call,
            method,
            path,
            authorization: format!("Token {}", self.token),
            form,
        }
    }

    /// A POST of `g_code_files` (made whatever the socket's state, as the real agent does).
    pub fn post_g_code_file(&self, form: Vec<(String, String)>) -> LinkAction {
        self.rest_action(RestCall::GCodeFiles, "POST", "/api/v1/octo/g_code_files/".into(), form)
    }

    /// Queues a frame for the server; it goes out now if the socket is open, else a (lazy) connect starts.
    pub fn send(&mut self, now: SimTime, frame: Frame, out: &mut Vec<LinkAction>) {
        if self.shutting_down && self.sends_left_after_shutdown == 0 {
            return;
        }
        match self.phase {
            Phase::Open => self.emit(frame, out),
            Phase::Idle(at) if now >= at => {
                self.queued.push(frame);
                self.open(out);
            }
            // Until a socket opens, frames wait (the real send queue) and go out in a burst on open.
            Phase::RestAt(_) | Phase::RestPending | Phase::ExtPending | Phase::Opening | Phase::RetryAt(_) => {
                if self.queued.len() == MAX_QUEUED {
                    self.queued.remove(0);
                }
                self.queued.push(frame);
            }
            Phase::Idle(_) => {}
        }
    }

    fn emit(&mut self, frame: Frame, out: &mut Vec<LinkAction>) {
        if self.shutting_down {
            if self.sends_left_after_shutdown == 0 {
                return;
            }
            self.sends_left_after_shutdown -= 1;
        }
        out.push(LinkAction::Send(frame));
    }

    fn open(&mut self, out: &mut Vec<LinkAction>) {
        self.phase = Phase::Opening;
        out.push(LinkAction::OpenWs {
            path: "/ws/dev/",
            authorization: format!("bearer {}", self.token),
        });
    }

    /// Runs due timers at `now`.
    pub fn advance(&mut self, now: SimTime, out: &mut Vec<LinkAction>) {
        match self.phase {
            Phase::RestAt(at) if now >= at => {
                self.phase = Phase::RestPending;
                out.push(self.rest_action(RestCall::Printer, "GET", "/api/v1/octo/printer/".into(), Vec::new()));
            }
            Phase::RetryAt(at) if now >= at => self.open(out),
            _ => {}
        }
    }

    /// When the link next needs [`AgentLink::advance`].
    pub fn next_deadline(&self) -> Option<SimTime> {
        match self.phase {
            Phase::RestAt(at) | Phase::RetryAt(at) => Some(at),
            _ => None,
        }
    }

    /// Handles an event at `now`.
    pub fn handle(&mut self, now: SimTime, event: LinkEvent, out: &mut Vec<LinkAction>) {
        match event {
            LinkEvent::RestAnswered(RestCall::Printer, status, body) if self.phase == Phase::RestPending => {
                // Nothing goes to the socket until `printer.id` is known: a 2xx without one is a failure too.
                if let Some(id) = printer_id(&body).filter(|_| (200..300).contains(&status)) {
                    self.rest_failures = 0;
                    self.printer_id = Some(id);
                    self.phase = Phase::ExtPending;
                    out.push(self.rest_action(
                        RestCall::PrinterExt,
                        "GET",
                        format!("/ent/api/printers/{id}/ext/"),
                        Vec::new(),
                    ));
                } else {
                    let ceiling = (2f64.powi(self.rest_failures.min(30) as i32)).min(REST_BACKOFF_CAP_S);
                    self.rest_failures += 1;
                    let wait = self.rng.random_range(0.0..=ceiling);
                    self.phase = Phase::RestAt(now.plus_millis((wait * 1000.0) as u64));
                }
            }
            LinkEvent::RestAnswered(RestCall::PrinterExt, ..) if self.phase == Phase::ExtPending => {
                // The first connect happens at once: the agent's first status is already queued.
                self.open(out);
            }
            LinkEvent::WsOpened if self.phase == Phase::Opening => {
                self.phase = Phase::Open;
                self.ws_failures = 0;
                for frame in std::mem::take(&mut self.queued) {
                    self.emit(frame, out);
                }
            }
            LinkEvent::WsRefused(_) if self.phase == Phase::Opening => {
                // The frames that were waiting for this attempt are lost.
                self.queued.clear();
                let ceiling = (WS_BACKOFF_BASE_S * 2f64.powi(self.ws_failures.min(30) as i32)).min(WS_BACKOFF_CAP_S);
                self.ws_failures += 1;
                let wait = self.rng.random_range(0.0..=ceiling);
                self.phase = Phase::RetryAt(now.plus_millis(WS_POLL_MS + (wait * 1000.0) as u64));
            }
            LinkEvent::WsClosed(code) if matches!(self.phase, Phase::Open | Phase::Opening) => {
                if code == CLOSE_DUPLICATE {
                    self.shutting_down = true;
                }
                self.phase = Phase::Idle(now);
            }
            // Answers that belong to no call under way (a late g_code_files answer is the agent's business).
            _ => {}
        }
    }
}

/// `printer.id` from the REST check's JSON body.
fn printer_id(body: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v.get("printer")?.get("id")?.as_u64()
}
