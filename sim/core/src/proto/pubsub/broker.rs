//! The pub/sub broker, sans-IO: connections and their labels, topics and their limits, `server_logs`, the
//! robot's publications and the slow-subscriber policy. It decides what goes to whom, in order; the serve
//! layer's [`Outbox`] only queues the frames and closes the connections it is told to.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use crate::model::mobile_base::{
    BATTERY_TOPIC, CMD_VEL_TOPIC, CmdVel, DIAGNOSTICS_TOPIC, MobileBase, ODOM_TOPIC, Publication,
};
use crate::model::topics::Topics;
use crate::proto::frame::{CloseCode, Outgoing, SharedText};
use crate::proto::pubsub::{Payload, Request, ServerMessage, parse_request};
use crate::time::SimTime;

/// The topic the server publishes its own log events on (seed 001).
pub const SERVER_LOGS_TOPIC: &str = "server_logs";
/// Topics only the server publishes on; a client's publish there is refused.
pub const SERVER_TOPICS: [&str; 4] = [SERVER_LOGS_TOPIC, ODOM_TOPIC, BATTERY_TOPIC, DIAGNOSTICS_TOPIC];
/// The most topics one connection may be subscribed to at once.
pub const MAX_TOPICS_PER_CONNECTION: usize = 1024;
/// The longest topic name accepted in a subscribe, in bytes.
pub const MAX_TOPIC_BYTES: usize = 1024;
/// The close sent to a subscriber whose push queue is full.
pub const TOO_SLOW: (CloseCode, &str) = (CloseCode::Policy, "subscriber too slow");

/// A connection, as the broker numbers them.
pub type ConnId = u64;

/// Where the broker's frames go: one bounded queue per connection, owned by the serve layer.
pub trait Outbox {
    /// Queues `frame` for `conn`; `false` when that queue is full (the broker then drops the connection).
    fn offer(&mut self, conn: ConnId, frame: Outgoing) -> bool;
    /// Closes `conn` with `code` and `reason` after what is already queued (even when the queue is full);
    /// the broker sends it nothing more.
    fn close(&mut self, conn: ConnId, code: CloseCode, reason: &str);
}

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

/// Topics, connections and the robot. Every method takes the sim time it acts at and the outbox to send through.
pub struct Broker {
    topics: Topics,
    labels: BTreeMap<ConnId, Arc<str>>,
    next_id: ConnId,
    base: MobileBase,
}

impl Broker {
    /// A broker with no connections and the robot's base at rest, created at `now`.
    pub fn new(now: SimTime) -> Broker {
        let mut base = MobileBase::new(now);
        // The robot was running before anyone could connect: its reports at `now` went to nobody, so the
        // first ones a client can see are due one period later (deterministic whatever the task timing).
        base.tick(now);
        Broker {
            topics: Topics::new(),
            labels: BTreeMap::new(),
            next_id: 1,
            base,
        }
    }

    /// Registers a new connection (`label` is how logs name it) and returns its id.
    pub fn register(&mut self, label: Arc<str>) -> ConnId {
        let id = self.next_id;
        self.next_id += 1;
        self.labels.insert(id, label);
        id
    }

    /// Logs that connection `id` is open.
    pub fn opened(&mut self, out: &mut dyn Outbox, id: ConnId, now: SimTime) {
        if let Some(label) = self.labels.get(&id).cloned() {
            self.log(out, now, LogLevel::Info, format!("{label} connected"));
        }
    }

    /// Forgets connection `id` (it closed) and logs it, unless it was already dropped as too slow.
    pub fn unregister(&mut self, out: &mut dyn Outbox, id: ConnId, now: SimTime) {
        if let Some(label) = self.labels.remove(&id) {
            self.topics.remove_connection(id);
            self.log(out, now, LogLevel::Info, format!("{label} disconnected"));
        }
    }

    /// Logs a refused upgrade: the reason and the peer, never the token.
    pub fn auth_failed(&mut self, out: &mut dyn Outbox, now: SimTime, peer: &str, reason: &str) {
        self.log(
            out,
            now,
            LogLevel::Warn,
            format!("authentication failed for {peer}: {reason}"),
        );
    }

    /// Handles one text frame from connection `id`.
    pub fn on_text(&mut self, out: &mut dyn Outbox, id: ConnId, now: SimTime, text: &str) {
        if !self.labels.contains_key(&id) {
            return;
        }
        // Everything the robot had due up to now goes out before the reply to this request.
        self.catch_up(out, now);
        match parse_request(text) {
            Err(error) => self.reply(out, id, now, &ServerMessage::from(&error)),
            Ok(request) => self.apply(out, id, now, request),
        }
    }

    /// Answers connection `id` with an error and keeps it open.
    pub fn reject(&mut self, out: &mut dyn Outbox, id: ConnId, now: SimTime, reason: &str) {
        if self.labels.contains_key(&id) {
            self.reply(out, id, now, &ServerMessage::error(reason));
        }
    }

    fn apply(&mut self, out: &mut dyn Outbox, id: ConnId, now: SimTime, request: Request) {
        let ack = request.ack();
        match request {
            Request::Subscribe { topic } => {
                if topic.len() > MAX_TOPIC_BYTES {
                    let reason = format!("\"topic\" is longer than {MAX_TOPIC_BYTES} bytes");
                    return self.reply(out, id, now, &ServerMessage::error(reason));
                }
                if !self.topics.is_subscribed(id, &topic)
                    && self.topics.topics_of(id).count() >= MAX_TOPICS_PER_CONNECTION
                {
                    let reason = format!("too many subscriptions (at most {MAX_TOPICS_PER_CONNECTION})");
                    return self.reply(out, id, now, &ServerMessage::error(reason));
                }
                let added = self.topics.subscribe(id, &topic);
                self.reply(out, id, now, &ack);
                if added {
                    self.log_change(out, id, now, "subscribed to", &topic);
                }
            }
            Request::Unsubscribe { topic } => {
                let removed = self.topics.unsubscribe(id, &topic);
                self.reply(out, id, now, &ack);
                if removed {
                    self.log_change(out, id, now, "unsubscribed from", &topic);
                }
            }
            Request::Publish { topic, data } => {
                if SERVER_TOPICS.contains(&topic.as_str()) {
                    let reason = format!("topic \"{topic}\" is published by the server only");
                    return self.reply(out, id, now, &ServerMessage::error(reason));
                }
                let command = if topic == CMD_VEL_TOPIC {
                    match CmdVel::from_json(&data.data) {
                        Ok(command) => Some(command),
                        Err(error) => return self.reply(out, id, now, &ServerMessage::error(error.reason())),
                    }
                } else {
                    None
                };
                self.fan_out(out, now, &topic, data);
                self.reply(out, id, now, &ack);
                if let Some(command) = command {
                    // Validated above, so the base accepts it.
                    let _ = self.base.set_cmd_vel(now, command);
                    self.catch_up(out, now);
                }
            }
        }
    }

    /// Advances the robot to `now` and publishes what it produced.
    pub fn catch_up(&mut self, out: &mut dyn Outbox, now: SimTime) {
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
            self.fan_out(out, now, topic, payload);
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

    /// Who is subscribed to what.
    pub fn topics(&self) -> &Topics {
        &self.topics
    }

    /// How many connections are open.
    pub fn connection_count(&self) -> usize {
        self.labels.len()
    }

    /// Delivers `payload` on `topic` to every subscriber, serialized once.
    fn fan_out(&mut self, out: &mut dyn Outbox, now: SimTime, topic: &str, payload: Payload) {
        let subscribers: Vec<ConnId> = self.topics.subscribers(topic).collect();
        if subscribers.is_empty() {
            return;
        }
        let frame = SharedText::from(ServerMessage::message(topic, payload).to_json());
        let too_slow: Vec<ConnId> = subscribers
            .into_iter()
            .filter(|id| self.labels.contains_key(id) && !out.offer(*id, Outgoing::SharedText(frame.clone())))
            .collect();
        for id in too_slow {
            self.drop_too_slow(out, id, now);
        }
    }

    /// Sends `message` to connection `id` alone, through the same queue as its deliveries.
    fn reply(&mut self, out: &mut dyn Outbox, id: ConnId, now: SimTime, message: &ServerMessage) {
        if self.labels.contains_key(&id) && !out.offer(id, Outgoing::Text(message.to_json())) {
            self.drop_too_slow(out, id, now);
        }
    }

    /// Closes a connection whose queue is full with 1008, after the frames already queued.
    fn drop_too_slow(&mut self, out: &mut dyn Outbox, id: ConnId, now: SimTime) {
        let Some(label) = self.labels.remove(&id) else { return };
        self.topics.remove_connection(id);
        out.close(id, TOO_SLOW.0, TOO_SLOW.1);
        self.log(out, now, LogLevel::Warn, format!("{label} closed: {}", TOO_SLOW.1));
    }

    fn log_change(&mut self, out: &mut dyn Outbox, id: ConnId, now: SimTime, what: &str, topic: &str) {
        if let Some(label) = self.labels.get(&id).cloned() {
            self.log(out, now, LogLevel::Info, format!("{label} {what} {topic}"));
        }
    }

    /// Publishes a log event on `server_logs`.
    fn log(&mut self, out: &mut dyn Outbox, now: SimTime, level: LogLevel, message: String) {
        let payload = Payload {
            name: "log".into(),
            kind: "log".into(),
            data: json!({ "level": level.as_str(), "message": message, "t": now.as_millis() }),
        };
        self.fan_out(out, now, SERVER_LOGS_TOPIC, payload);
    }
}
