//! The pub/sub device's shared state: the topic broker, the open connections and their push queues, and
//! the robot's mobile base. Every reply and delivery to a connection goes through its one push queue, in
//! the order the hub applied them; a subscriber whose queue is full is closed with 1008.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::json;
use tokio::sync::Notify;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{OwnedPermit, Sender};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::clock::SimTime;
use crate::serve::device::Outgoing;
use understudy_core::model::mobile_base::{
    BATTERY_TOPIC, CMD_VEL_TOPIC, CmdVel, DIAGNOSTICS_TOPIC, MobileBase, ODOM_TOPIC, Publication,
};
use understudy_core::model::topics::Topics;
use understudy_core::proto::pubsub::{Payload, Request, ServerMessage, parse_request};

/// The topic the server publishes its own log events on (seed 001).
pub const SERVER_LOGS_TOPIC: &str = "server_logs";
/// Topics only the server publishes on; a client's publish there is refused.
pub const SERVER_TOPICS: [&str; 4] = [SERVER_LOGS_TOPIC, ODOM_TOPIC, BATTERY_TOPIC, DIAGNOSTICS_TOPIC];
/// The most topics one connection may be subscribed to at once.
pub const MAX_TOPICS_PER_CONNECTION: usize = 1024;
/// The longest topic name accepted in a subscribe, in bytes.
pub const MAX_TOPIC_BYTES: usize = 1024;
/// The close sent to a subscriber whose push queue is full.
pub const TOO_SLOW: (u16, &str) = (1008, "subscriber too slow");

/// Severity of a `server_logs` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warn,
}

impl LogLevel {
    fn as_str(self) -> &'static str {
        match self {
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
        }
    }
}

/// The shared state, behind one lock, plus a signal that wakes the robot's background task.
pub struct Hub {
    state: Mutex<HubState>,
    /// Woken when the base's next deadline may have moved earlier.
    pub wake: Notify,
}

impl Hub {
    /// A hub with no connections and the robot's base at rest, created at `now`.
    pub fn new(now: SimTime) -> Arc<Hub> {
        let mut base = MobileBase::new(now);
        // The robot was running before anyone could connect: its reports at `now` went to nobody, so the
        // first ones a client can see are due one period later (deterministic whatever the task timing).
        base.tick(now);
        Arc::new(Hub {
            state: Mutex::new(HubState {
                topics: Topics::new(),
                conns: BTreeMap::new(),
                next_id: 1,
                base,
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

struct Conn {
    label: Arc<str>,
    push: Sender<Outgoing>,
    /// A queue slot kept free for the 1008 close, so that a full queue can still be closed.
    close_slot: Option<OwnedPermit<Outgoing>>,
}

/// Topics, connections and the robot. All methods take the sim time they act at.
pub struct HubState {
    topics: Topics,
    conns: BTreeMap<u64, Conn>,
    next_id: u64,
    base: MobileBase,
}

impl HubState {
    /// Registers a new connection and returns its id.
    pub fn register(&mut self, label: Arc<str>, push: Sender<Outgoing>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let close_slot = push.clone().try_reserve_owned().ok();
        self.conns.insert(
            id,
            Conn {
                label,
                push,
                close_slot,
            },
        );
        id
    }

    /// Logs that connection `id` is open.
    pub fn opened(&mut self, id: u64, now: SimTime) {
        if let Some(label) = self.label(id) {
            self.log(now, LogLevel::Info, format!("{label} connected"));
        }
    }

    /// Forgets connection `id` (it closed) and logs it, unless it was already dropped as too slow.
    pub fn unregister(&mut self, id: u64, now: SimTime) {
        if let Some(conn) = self.conns.remove(&id) {
            self.topics.remove_connection(id);
            self.log(now, LogLevel::Info, format!("{} disconnected", conn.label));
        }
    }

    /// Logs a refused upgrade: the reason and the peer, never the token.
    pub fn auth_failed(&mut self, now: SimTime, peer: Option<SocketAddr>, reason: &str) {
        let peer = peer.map_or_else(|| "an unknown peer".to_string(), |p| p.to_string());
        tracing::info!(%peer, reason, "pubsub: token refused");
        self.log(
            now,
            LogLevel::Warn,
            format!("authentication failed for {peer}: {reason}"),
        );
    }

    /// Handles one text frame from connection `id`.
    pub fn on_text(&mut self, id: u64, now: SimTime, text: &str) {
        if !self.conns.contains_key(&id) {
            return;
        }
        // Everything the robot had due up to now goes out before the reply to this request.
        self.catch_up(now);
        match parse_request(text) {
            Err(error) => self.reply(id, now, &ServerMessage::from(&error)),
            Ok(request) => self.apply(id, now, request),
        }
    }

    /// Answers connection `id` with an error and keeps it open.
    pub fn reject(&mut self, id: u64, now: SimTime, reason: &str) {
        if self.conns.contains_key(&id) {
            self.reply(id, now, &ServerMessage::error(reason));
        }
    }

    fn apply(&mut self, id: u64, now: SimTime, request: Request) {
        let ack = request.ack();
        match request {
            Request::Subscribe { topic } => {
                if topic.len() > MAX_TOPIC_BYTES {
                    let reason = format!("\"topic\" is longer than {MAX_TOPIC_BYTES} bytes");
                    return self.reply(id, now, &ServerMessage::error(reason));
                }
                if !self.topics.is_subscribed(id, &topic)
                    && self.topics.topics_of(id).count() >= MAX_TOPICS_PER_CONNECTION
                {
                    let reason = format!("too many subscriptions (at most {MAX_TOPICS_PER_CONNECTION})");
                    return self.reply(id, now, &ServerMessage::error(reason));
                }
                let added = self.topics.subscribe(id, &topic);
                self.reply(id, now, &ack);
                if added {
                    self.log_change(id, now, "subscribed to", &topic);
                }
            }
            Request::Unsubscribe { topic } => {
                let removed = self.topics.unsubscribe(id, &topic);
                self.reply(id, now, &ack);
                if removed {
                    self.log_change(id, now, "unsubscribed from", &topic);
                }
            }
            Request::Publish { topic, data } => {
                if SERVER_TOPICS.contains(&topic.as_str()) {
                    let reason = format!("topic \"{topic}\" is published by the server only");
                    return self.reply(id, now, &ServerMessage::error(reason));
                }
                let command = if topic == CMD_VEL_TOPIC {
                    match CmdVel::from_json(&data.data) {
                        Ok(command) => Some(command),
                        Err(error) => return self.reply(id, now, &ServerMessage::error(error.reason())),
                    }
                } else {
                    None
                };
                self.fan_out(now, &topic, data);
                self.reply(id, now, &ack);
                if let Some(command) = command {
                    // Validated above, so the base accepts it.
                    let _ = self.base.set_cmd_vel(now, command);
                    self.catch_up(now);
                }
            }
        }
    }

    /// Advances the robot to `now` and publishes what it produced.
    pub fn catch_up(&mut self, now: SimTime) {
        for publication in self.base.tick(now) {
            let Publication {
                topic,
                name,
                kind,
                data,
                ..
            } = publication;
            let payload = Payload {
                name: name.into(),
                kind: kind.into(),
                data,
            };
            self.fan_out(now, topic, payload);
        }
    }

    /// The robot's base (read-only), advanced to its last tick.
    pub fn base(&self) -> &MobileBase {
        &self.base
    }

    /// The robot's base, to change; call `catch_up` afterwards to publish what the change produced.
    pub fn base_mut(&mut self) -> &mut MobileBase {
        &mut self.base
    }

    /// How many connections are open.
    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    /// Delivers `payload` on `topic` to every subscriber, serialized once.
    fn fan_out(&mut self, now: SimTime, topic: &str, payload: Payload) {
        let subscribers: Vec<u64> = self.topics.subscribers(topic).collect();
        if subscribers.is_empty() {
            return;
        }
        let frame = Utf8Bytes::from(ServerMessage::message(topic, payload).to_json());
        let mut too_slow = Vec::new();
        for id in subscribers {
            let Some(conn) = self.conns.get(&id) else { continue };
            if let Err(TrySendError::Full(_)) = conn.push.try_send(Outgoing::SharedText(frame.clone())) {
                too_slow.push(id);
            }
        }
        for id in too_slow {
            self.drop_too_slow(id, now);
        }
    }

    /// Sends `message` to connection `id` alone, through the same queue as its deliveries.
    fn reply(&mut self, id: u64, now: SimTime, message: &ServerMessage) {
        let Some(conn) = self.conns.get(&id) else { return };
        if let Err(TrySendError::Full(_)) = conn.push.try_send(Outgoing::Text(message.to_json())) {
            self.drop_too_slow(id, now);
        }
    }

    /// Closes a connection whose queue is full with 1008, after the frames already queued.
    fn drop_too_slow(&mut self, id: u64, now: SimTime) {
        let Some(mut conn) = self.conns.remove(&id) else { return };
        self.topics.remove_connection(id);
        if let Some(slot) = conn.close_slot.take() {
            slot.send(Outgoing::Close(TOO_SLOW.0, TOO_SLOW.1.into()));
        }
        tracing::info!(conn = %conn.label, "pubsub: closing a subscriber that reads too slowly");
        self.log(now, LogLevel::Warn, format!("{} closed: {}", conn.label, TOO_SLOW.1));
    }

    fn log_change(&mut self, id: u64, now: SimTime, what: &str, topic: &str) {
        if let Some(label) = self.label(id) {
            self.log(now, LogLevel::Info, format!("{label} {what} {topic}"));
        }
    }

    /// Publishes a log event on `server_logs`.
    fn log(&mut self, now: SimTime, level: LogLevel, message: String) {
        let payload = Payload {
            name: "log".into(),
            kind: "log".into(),
            data: json!({ "level": level.as_str(), "message": message, "t": now.as_millis() }),
        };
        self.fan_out(now, SERVER_LOGS_TOPIC, payload);
    }

    fn label(&self, id: u64) -> Option<Arc<str>> {
        self.conns.get(&id).map(|c| c.label.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use tokio::sync::mpsc;

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
                Outgoing::Close(code, reason) => json!({ "close": code, "reason": reason }),
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
