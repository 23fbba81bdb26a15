//! One connection to the controller's TCP port (502): frames decoded as they arrive, each request answered by
//! the register table over the shared controller, so Studio clients see the arm the SDK moves; a move made with
//! finish feedback on is followed by its feedback frame when it ends in sim time.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use crate::clock::SimTime;
use crate::devices::xarm::shared::{Guard, Shared, Waiter};
use crate::serve::raw::{Flow, RawService, RawSession};
use understudy_core::proto::xarm_tcp::feedback::{encode_finish, feedback_code};
use understudy_core::proto::xarm_tcp::frame::encode_answer;
use understudy_core::proto::xarm_tcp::registers::state_byte;
use understudy_core::proto::xarm_tcp::{Ctx, Decoder, Incoming, handle};

/// The controller's TCP port.
pub const DEFAULT_PORT: u16 = 502;

/// Serves port 502 over the shared arm.
pub struct ControlService {
    /// The arm.
    pub shared: Arc<Shared>,
}

impl RawService for ControlService {
    fn open_session(&self, label: Arc<str>) -> Box<dyn RawSession> {
        Box::new(ControlSession {
            conn: self.shared.connect_controller(),
            shared: self.shared.clone(),
            decoder: Decoder::default(),
            label,
            feedback_type: 0,
            watching: false,
        })
    }
}

struct ControlSession {
    shared: Arc<Shared>,
    conn: u64,
    decoder: Decoder,
    label: Arc<str>,
    /// This connection's `set_feedback_type` (the controller keeps it per connection).
    feedback_type: u8,
    /// Whether feedback was ever asked for here: from then on the session wakes when a move ends.
    watching: bool,
}

impl ControlSession {
    /// Appends a feedback frame for every finished motion this connection is to be told of.
    fn send_finished(&self, guard: &mut Guard<'_>, out: &mut Vec<Bytes>) {
        let finished = guard.take_finished(self.conn);
        if finished.is_empty() {
            return;
        }
        let state = state_byte(&guard.controller);
        for f in finished {
            tracing::trace!(conn = %self.label, transaction = f.tag.transaction, "motion feedback");
            out.push(Bytes::from(encode_finish(&f.tag, state, feedback_code(f.code), f.at)));
        }
    }
}

impl RawSession for ControlSession {
    fn on_bytes(&mut self, now: SimTime, data: &[u8], out: &mut Vec<Bytes>) -> Flow {
        self.decoder.push(data);
        loop {
            match self.decoder.next_frame() {
                Ok(Some(Incoming::Request(request))) => {
                    let mut guard = self.shared.lock();
                    let cell = &mut *guard;
                    let mut ctx = Ctx {
                        controller: &mut cell.controller,
                        io: &mut cell.io,
                        identity: &self.shared.identity,
                        now,
                        waiter: Waiter {
                            conn: self.conn,
                            id: Value::Null,
                            feedback: None,
                        },
                        feedback_type: &mut self.feedback_type,
                    };
                    let (state, params) = handle(&mut ctx, &request);
                    self.watching |= self.feedback_type != 0;
                    self.shared.commit(&mut guard);
                    tracing::trace!(conn = %self.label, register = request.register, state, "answered");
                    out.push(Bytes::from(encode_answer(&request, state, &params)));
                    self.send_finished(&mut guard, out);
                }
                Ok(Some(Incoming::Heartbeat)) => {}
                Ok(None) => return Flow::Continue,
                Err(error) => return Flow::Close(error.to_string()),
            }
        }
    }

    /// A move's end is the next thing a connection that asked for feedback may have to hear of.
    fn next_deadline(&self) -> Option<SimTime> {
        if !self.watching {
            return None;
        }
        self.shared.lock().controller.next_event()
    }

    fn on_deadline(&mut self, now: SimTime, out: &mut Vec<Bytes>) {
        let mut guard = self.shared.lock();
        self.shared.catch_up(&mut guard, now);
        self.send_finished(&mut guard, out);
    }

    fn on_close(&mut self, _now: SimTime) {
        self.shared.disconnect(self.conn);
    }
}
