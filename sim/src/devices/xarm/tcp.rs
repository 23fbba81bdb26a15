//! One connection to the controller's TCP port (502): frames decoded as they arrive, each request answered by
//! the register table over the shared controller, so Studio clients see the arm the SDK moves.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use crate::clock::SimTime;
use crate::devices::xarm::shared::{Shared, Waiter};
use crate::serve::raw::{Flow, RawService, RawSession};
use understudy_core::proto::xarm_tcp::frame::encode_answer;
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
            conn: self.shared.allocate_conn(),
            shared: self.shared.clone(),
            decoder: Decoder::default(),
            label,
        })
    }
}

struct ControlSession {
    shared: Arc<Shared>,
    conn: u64,
    decoder: Decoder,
    label: Arc<str>,
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
                        },
                    };
                    let (state, params) = handle(&mut ctx, &request);
                    self.shared.commit(&mut guard);
                    tracing::trace!(conn = %self.label, register = request.register, state, "answered");
                    out.push(Bytes::from(encode_answer(&request, state, &params)));
                }
                Ok(Some(Incoming::Heartbeat)) => {}
                Ok(None) => return Flow::Continue,
                Err(error) => return Flow::Close(error.to_string()),
            }
        }
    }
}
