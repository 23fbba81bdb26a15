//! The pub/sub device's shared state: the core's broker behind one lock, and the open connections' push
//! queues it sends through. Every reply and delivery to a connection goes through its one push queue, in the
//! order the broker decided them; a queue slot is kept for the 1008 close of a subscriber that falls behind.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{OwnedPermit, Sender};

use crate::clock::SimTime;
use crate::serve::device::Outgoing;
use understudy_core::model::mobile_base::MobileBase;
use understudy_core::proto::frame::CloseCode;
use understudy_core::proto::pubsub::broker::{Broker, ConnId, Outbox};

/// The shared state, behind one lock, plus a signal that wakes the robot's background task.
pub struct Hub {
    state: Mutex<HubState>,
    /// Woken when the base's next deadline may have moved earlier.
    pub wake: Notify,
}

impl Hub {
    /// A hub with no connections and the robot's base at rest, created at `now`.
    pub fn new(now: SimTime) -> Arc<Hub> {
        Arc::new(Hub {
            state: Mutex::new(HubState {
                broker: Broker::new(now),
                queues: Queues::default(),
            }),
            wake: Notify::new(),
        })
    }

    /// The locked state.
    pub fn lock(&self) -> MutexGuard<'_, HubState> {
        // A panic elsewhere while holding the lock leaves the broker consistent enough to keep serving.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct Queue {
    label: Arc<str>,
    push: Sender<Outgoing>,
    /// A queue slot kept free for the 1008 close, so that a full queue can still be closed.
    close_slot: Option<OwnedPermit<Outgoing>>,
}

/// The connections' push queues: the broker's outbox.
#[derive(Default)]
struct Queues(BTreeMap<ConnId, Queue>);

impl Outbox for Queues {
    fn offer(&mut self, conn: ConnId, frame: Outgoing) -> bool {
        match self.0.get(&conn) {
            Some(queue) => !matches!(queue.push.try_send(frame), Err(TrySendError::Full(_))),
            None => true,
        }
    }

    fn close(&mut self, conn: ConnId, code: CloseCode, reason: &str) {
        let Some(mut queue) = self.0.remove(&conn) else { return };
        if let Some(slot) = queue.close_slot.take() {
            slot.send(Outgoing::Close(code, reason.into()));
        }
        tracing::info!(conn = %queue.label, reason, "pubsub: closing a connection");
    }
}

/// The broker and the queues it sends through. All methods take the sim time they act at.
pub struct HubState {
    broker: Broker,
    queues: Queues,
}

impl HubState {
    /// Registers a new connection and its push queue; returns its id.
    pub fn register(&mut self, label: Arc<str>, push: Sender<Outgoing>) -> ConnId {
        let id = self.broker.register(label.clone());
        let close_slot = push.clone().try_reserve_owned().ok();
        self.queues.0.insert(
            id,
            Queue {
                label,
                push,
                close_slot,
            },
        );
        id
    }

    /// Logs that connection `id` is open.
    pub fn opened(&mut self, id: ConnId, now: SimTime) {
        self.broker.opened(&mut self.queues, id, now);
    }

    /// Forgets connection `id` (it closed) and logs it, unless it was already dropped as too slow.
    pub fn unregister(&mut self, id: ConnId, now: SimTime) {
        self.queues.0.remove(&id);
        self.broker.unregister(&mut self.queues, id, now);
    }

    /// Logs a refused upgrade: the reason and the peer, never the token.
    pub fn auth_failed(&mut self, now: SimTime, peer: Option<SocketAddr>, reason: &str) {
        let peer = peer.map_or_else(|| "an unknown peer".to_string(), |p| p.to_string());
        tracing::info!(%peer, reason, "pubsub: token refused");
        self.broker.auth_failed(&mut self.queues, now, &peer, reason);
    }

    /// Handles one text frame from connection `id`.
    pub fn on_text(&mut self, id: ConnId, now: SimTime, text: &str) {
        self.broker.on_text(&mut self.queues, id, now, text);
    }

    /// Answers connection `id` with an error and keeps it open.
    pub fn reject(&mut self, id: ConnId, now: SimTime, reason: &str) {
        self.broker.reject(&mut self.queues, id, now, reason);
    }

    /// Advances the robot to `now` and publishes what it produced.
    pub fn catch_up(&mut self, now: SimTime) {
        self.broker.catch_up(&mut self.queues, now);
    }

    /// The robot's base (read-only), advanced to its last tick.
    pub fn base(&self) -> &MobileBase {
        self.broker.base()
    }

    /// The robot's base, to change; call `catch_up` afterwards to publish what the change produced.
    pub fn base_mut(&mut self) -> &mut MobileBase {
        self.broker.base_mut()
    }

    /// Subscribers per topic, in topic order.
    pub fn subscriber_counts(&self) -> Vec<(String, usize)> {
        self.broker
            .topics()
            .subscriber_counts()
            .map(|(topic, n)| (topic.to_string(), n))
            .collect()
    }

    /// How many connections are open.
    pub fn connection_count(&self) -> usize {
        self.broker.connection_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use serde_json::json;
    use tokio::sync::mpsc;
    use understudy_core::proto::pubsub::broker::MAX_TOPIC_BYTES;
    use understudy_core::proto::pubsub::broker::MAX_TOPICS_PER_CONNECTION;

    fn ms(t: u64) -> SimTime {
        SimTime::from_millis(t)
    }

    fn connect(state: &mut HubState, label: &str, capacity: usize) -> (u64, mpsc::Receiver<Outgoing>) {
        let (tx, rx) = mpsc::channel(capacity);
        let id = state.register(label.into(), tx);
        (id, rx)
    }

    /// Every frame queued so far, as JSON (a close as `{"close": code}`).
    fn drain(rx: &mut mpsc::Receiver<Outgoing>) -> Vec<Value> {
        let mut out = Vec::new();
        while let Ok(frame) = rx.try_recv() {
            out.push(match frame {
                Outgoing::Text(text) => serde_json::from_str(&text).unwrap(),
                Outgoing::SharedText(text) => serde_json::from_str(text.as_str()).unwrap(),
                Outgoing::Close(code, reason) => json!({ "close": code.code(), "reason": reason }),
                Outgoing::Binary(_) => json!("binary"),
                Outgoing::Ping(_) => json!("ping"),
            });
        }
        out
    }

    #[test]
    fn replies_and_deliveries_share_one_ordered_queue() {
        let hub = Hub::new(SimTime::ZERO);
        let mut state = hub.lock();
        let (a, mut rx_a) = connect(&mut state, "pubsub/1", 64);
        let (b, mut rx_b) = connect(&mut state, "pubsub/2", 64);
        state.on_text(a, ms(0), r#"{"action":"subscribe","topic":"t"}"#);
        state.on_text(b, ms(0), r#"{"action":"subscribe","topic":"t"}"#);
        state.on_text(
            b,
            ms(0),
            r#"{"action":"publish","topic":"t","data":{"name":"n","type":"k","data":1}}"#,
        );
        state.on_text(a, ms(0), r#"{"action":"unsubscribe","topic":"t"}"#);
        state.on_text(
            b,
            ms(0),
            r#"{"action":"publish","topic":"t","data":{"name":"n","type":"k","data":2}}"#,
        );
        let delivery = |n: i32| json!({"action":"message","topic":"t","data":{"name":"n","type":"k","data":n}});
        assert_eq!(
            drain(&mut rx_a),
            vec![
                json!({"action":"subscribed","topic":"t"}),
                delivery(1),
                json!({"action":"unsubscribed","topic":"t"}),
            ]
        );
        assert_eq!(
            drain(&mut rx_b),
            vec![
                json!({"action":"subscribed","topic":"t"}),
                delivery(1),
                json!({"action":"published","topic":"t"}),
                delivery(2),
                json!({"action":"published","topic":"t"}),
            ]
        );
    }

    #[test]
    fn server_logs_record_connections_and_changes_but_not_repeats() {
        let hub = Hub::new(SimTime::ZERO);
        let mut state = hub.lock();
        let (watcher, mut rx) = connect(&mut state, "pubsub/1", 64);
        state.on_text(watcher, ms(0), r#"{"action":"subscribe","topic":"server_logs"}"#);
        let (other, _rx_other) = connect(&mut state, "pubsub/2", 64);
        state.opened(other, ms(5));
        state.on_text(other, ms(6), r#"{"action":"subscribe","topic":"x"}"#);
        state.on_text(other, ms(7), r#"{"action":"subscribe","topic":"x"}"#);
        state.on_text(other, ms(8), r#"{"action":"unsubscribe","topic":"nothing"}"#);
        state.auth_failed(ms(9), Some("127.0.0.1:4000".parse().unwrap()), "token expired");
        state.unregister(other, ms(10));
        let logs: Vec<(String, String, u64)> = drain(&mut rx)
            .into_iter()
            .filter(|m| m["action"] == "message")
            .map(|m| {
                assert_eq!(
                    (&m["topic"], &m["data"]["name"], &m["data"]["type"]),
                    (&json!("server_logs"), &json!("log"), &json!("log"))
                );
                let d = &m["data"]["data"];
                (
                    d["level"].as_str().unwrap().into(),
                    d["message"].as_str().unwrap().into(),
                    d["t"].as_u64().unwrap(),
                )
            })
            .collect();
        let expected = [
            ("info", "pubsub/1 subscribed to server_logs", 0),
            ("info", "pubsub/2 connected", 5),
            ("info", "pubsub/2 subscribed to x", 6),
            ("warn", "authentication failed for 127.0.0.1:4000: token expired", 9),
            ("info", "pubsub/2 disconnected", 10),
        ];
        let expected: Vec<(String, String, u64)> = expected
            .iter()
            .map(|(l, m, t)| (l.to_string(), m.to_string(), *t))
            .collect();
        assert_eq!(logs, expected);
    }

    #[test]
    fn errors_keep_the_connection_and_server_topics_are_read_only() {
        let hub = Hub::new(SimTime::ZERO);
        let mut state = hub.lock();
        let (a, mut rx) = connect(&mut state, "pubsub/1", 64);
        state.on_text(a, ms(0), "not json");
        state.on_text(
            a,
            ms(0),
            r#"{"action":"publish","topic":"odom","data":{"name":"n","type":"k"}}"#,
        );
        state.on_text(
            a,
            ms(0),
            r#"{"action":"publish","topic":"cmd_vel","data":{"name":"c","type":"k","data":{"linear":1}}}"#,
        );
        let long = "x".repeat(MAX_TOPIC_BYTES + 1);
        state.on_text(a, ms(0), &json!({"action":"subscribe","topic":long}).to_string());
        state.reject(a, ms(0), "binary frames are not supported");
        state.on_text(a, ms(0), r#"{"action":"subscribe","topic":"ok"}"#);
        let errors: Vec<Value> = drain(&mut rx).into_iter().map(|m| m["error"].clone()).collect();
        assert_eq!(
            errors,
            vec![
                json!("request is not valid JSON"),
                json!("topic \"odom\" is published by the server only"),
                json!("cmd_vel.angular is missing"),
                json!("\"topic\" is longer than 1024 bytes"),
                json!("binary frames are not supported"),
                Value::Null,
            ]
        );
        assert_eq!(state.base().state().target_linear, 0.0);
    }

    #[test]
    fn subscriptions_per_connection_are_bounded() {
        let hub = Hub::new(SimTime::ZERO);
        let mut state = hub.lock();
        let (a, mut rx) = connect(&mut state, "pubsub/1", 4096);
        for n in 0..=MAX_TOPICS_PER_CONNECTION {
            state.on_text(
                a,
                ms(0),
                &json!({"action":"subscribe","topic":format!("t{n}")}).to_string(),
            );
        }
        // Re-subscribing to a topic already held is still fine at the limit.
        state.on_text(a, ms(0), r#"{"action":"subscribe","topic":"t0"}"#);
        let replies = drain(&mut rx);
        assert_eq!(replies.len(), MAX_TOPICS_PER_CONNECTION + 2);
        assert_eq!(
            replies[MAX_TOPICS_PER_CONNECTION]["error"],
            "too many subscriptions (at most 1024)"
        );
        assert_eq!(replies[MAX_TOPICS_PER_CONNECTION + 1]["action"], "subscribed");
    }

    #[test]
    fn a_full_queue_closes_that_subscriber_only() {
        let hub = Hub::new(SimTime::ZERO);
        let mut state = hub.lock();
        let (slow, mut rx_slow) = connect(&mut state, "pubsub/1", 4);
        let (fast, mut rx_fast) = connect(&mut state, "pubsub/2", 64);
        for id in [slow, fast] {
            state.on_text(id, ms(0), r#"{"action":"subscribe","topic":"t"}"#);
        }
        state.on_text(fast, ms(0), r#"{"action":"subscribe","topic":"server_logs"}"#);
        for n in 0..5 {
            let publish = json!({"action":"publish","topic":"t","data":{"name":"n","type":"k","data":n}});
            state.on_text(fast, ms(0), &publish.to_string());
        }
        // Capacity 4 with one slot kept for the close: the ack and two deliveries, then the close.
        let slow_frames = drain(&mut rx_slow);
        assert_eq!(slow_frames.len(), 4);
        assert_eq!(slow_frames[3], json!({"close": 1008, "reason": "subscriber too slow"}));
        let fast_frames = drain(&mut rx_fast);
        let deliveries = fast_frames
            .iter()
            .filter(|m| m["action"] == "message" && m["topic"] == "t")
            .count();
        assert_eq!(deliveries, 5);
        assert!(
            fast_frames
                .iter()
                .any(|m| m["data"]["data"]["message"] == "pubsub/1 closed: subscriber too slow")
        );
        assert_eq!(state.connection_count(), 1);
        // The dropped connection's later frames and close are ignored.
        state.on_text(slow, ms(0), r#"{"action":"subscribe","topic":"t"}"#);
        state.unregister(slow, ms(0));
        assert!(drain(&mut rx_slow).is_empty());
    }

    #[test]
    fn cmd_vel_drives_the_base_and_odom_reaches_subscribers() {
        let hub = Hub::new(SimTime::ZERO);
        let mut state = hub.lock();
        let (a, mut rx) = connect(&mut state, "pubsub/1", 1024);
        state.on_text(a, ms(0), r#"{"action":"subscribe","topic":"odom"}"#);
        state.on_text(a, ms(0), r#"{"action":"subscribe","topic":"cmd_vel"}"#);
        let cmd = r#"{"action":"publish","topic":"cmd_vel","data":{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":0.5,"angular":0}}}"#;
        state.on_text(a, ms(0), cmd);
        state.catch_up(ms(1000));
        let frames = drain(&mut rx);
        assert_eq!(frames[2]["topic"], "cmd_vel");
        assert_eq!(frames[3]["action"], "published");
        let odom_t: Vec<u64> = frames
            .iter()
            .filter(|m| m["action"] == "message" && m["topic"] == "odom")
            .map(|m| m["data"]["data"]["t"].as_u64().unwrap())
            .collect();
        assert_eq!(odom_t, (100..=1000).step_by(100).collect::<Vec<_>>());
        assert!(state.base().state().x > 0.0);
    }
}
