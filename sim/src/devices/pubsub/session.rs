//! One pub/sub WebSocket connection: hands each frame to the hub, which answers through the
//! connection's push queue so that replies and deliveries keep one order.

use std::sync::Arc;

use crate::clock::SimTime;
use crate::devices::pubsub::hub::Hub;
use crate::serve::device::{Outgoing, Session};

/// The session of connection `id` (registered in the hub when the upgrade was accepted).
pub struct PubsubSession {
    pub hub: Arc<Hub>,
    pub id: u64,
}

impl Session for PubsubSession {
    fn on_open(&mut self, now: SimTime, _out: &mut Vec<Outgoing>) {
        self.hub.lock().opened(self.id, now);
    }

    fn on_text(&mut self, now: SimTime, text: &str, _out: &mut Vec<Outgoing>) {
        let mut hub = self.hub.lock();
        hub.on_text(self.id, now, text);
        drop(hub);
        // A cmd_vel may have re-armed the watchdog: let the robot's task look at its deadline again.
        self.hub.wake.notify_one();
    }

    fn on_binary(&mut self, now: SimTime, _data: &[u8], _out: &mut Vec<Outgoing>) {
        self.hub
            .lock()
            .reject(self.id, now, "binary frames are not supported; send JSON text");
    }

    fn on_close(&mut self, now: SimTime) {
        self.hub.lock().unregister(self.id, now);
    }
}
