//! Connected WebSocket clients per endpoint, counted while each session runs, for the dashboard.
//! A count goes up when a session starts and down when its guard drops, however the session ends.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Open WebSocket sessions per endpoint name.
#[derive(Debug, Default)]
pub struct Clients(Mutex<BTreeMap<&'static str, usize>>);

impl Clients {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<&'static str, usize>> {
        // Counts stay consistent whatever panicked while holding the lock: each change is one statement.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts a session on `endpoint` until the returned guard is dropped.
    pub fn open(self: &Arc<Self>, endpoint: &'static str) -> ClientGuard {
        *self.lock().entry(endpoint).or_default() += 1;
        ClientGuard {
            clients: self.clone(),
            endpoint,
        }
    }

    /// Open sessions on `endpoint` now.
    pub fn count(&self, endpoint: &str) -> usize {
        self.lock().get(endpoint).copied().unwrap_or(0)
    }
}

/// One counted session; dropping it uncounts it.
#[derive(Debug)]
pub struct ClientGuard {
    clients: Arc<Clients>,
    endpoint: &'static str,
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        if let Some(n) = self.clients.lock().get_mut(self.endpoint) {
            *n = n.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_counts_while_its_guard_lives() {
        let clients = Arc::new(Clients::default());
        let a = clients.open("xarm");
        let b = clients.open("xarm");
        let c = clients.open("endrpi");
        assert_eq!(
            (clients.count("xarm"), clients.count("endrpi"), clients.count("pubsub")),
            (2, 1, 0)
        );
        drop(a);
        drop(c);
        assert_eq!((clients.count("xarm"), clients.count("endrpi")), (1, 0));
        drop(b);
        assert_eq!(clients.count("xarm"), 0);
    }
}
