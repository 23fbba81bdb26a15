//! Plays recorded connections and exchanges against a target, all at once but in the transcript's order: no
//! client action goes before the actions and answers recorded ahead of it (on any connection) are done, nor,
//! unless the replay is fast, before its recorded time. What comes back is collected per connection.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::drift::kind_of;
use super::script::{Connection, Exchange, Frame, Script};
use crate::client::{self, Frame as Wire, HttpReply, REPLY_TIMEOUT, Transport, WsClient};

/// How long a replay waits, after a connection's last recorded step, for frames still to come.
const SETTLE: Duration = Duration::from_secs(1);
/// How long a replay waits for more once a connection has every frame recorded for it.
const QUIET: Duration = Duration::from_millis(200);
/// How often a waiting connection looks at whether its turn has come.
const TURN_POLL: Duration = Duration::from_millis(5);
/// The longest an action waits for others' turns (theirs give up on a missing answer after [`REPLY_TIMEOUT`]).
const TURN_LIMIT: Duration = Duration::from_secs(60);

/// When the client's actions happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pacing {
    /// At their recorded times, counted from `zero` (the transcript's first record, at `start` ms).
    Recorded { zero: Instant, start: u64 },
    /// Each as soon as what was recorded before it is done.
    Fast,
}

impl Pacing {
    fn at(self, t: u64) -> Option<Instant> {
        match self {
            Pacing::Recorded { zero, start } => Some(zero + Duration::from_millis(t.saturating_sub(start))),
            Pacing::Fast => None,
        }
    }
}

/// The transcript's order across connections: every client action and every expected answer not yet done.
pub struct Sequencer {
    pending: Mutex<BTreeSet<usize>>,
}

impl Sequencer {
    /// Everything in `script` that a later action waits for.
    pub fn new(script: &Script) -> Sequencer {
        let mut pending = BTreeSet::new();
        for conn in &script.connections {
            pending.insert(conn.opened_seq);
            pending.extend(conn.steps.iter().filter(|s| s.from_client).map(|s| s.seq));
            pending.extend(conn.expected().iter().map(|s| s.seq));
        }
        pending.extend(script.exchanges.iter().map(|e| e.seq));
        Sequencer {
            pending: Mutex::new(pending),
        }
    }

    fn done(&self, seq: usize) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.remove(&seq);
        }
    }

    /// Whether everything before `seq` is done.
    fn ready(&self, seq: usize) -> bool {
        self.pending
            .lock()
            .map_or(true, |pending| pending.first().is_none_or(|first| *first >= seq))
    }

    /// Gives up on everything before `seq` (an answer that never came must not hold the rest back).
    fn skip_to(&self, seq: usize) {
        if let Ok(mut pending) = self.pending.lock() {
            *pending = pending.split_off(&seq);
        }
    }
}

/// What a played connection got back.
#[derive(Debug, Default)]
pub struct Played {
    pub received: Vec<Frame>,
    /// Why the connection could not be opened, if it could not.
    pub error: Option<String>,
}

/// Waits until action `seq` may go: its recorded time has come (unless fast) and all before it is done. An
/// answer of its own connection that has not come within [`REPLY_TIMEOUT`] is given up; others' are waited
/// for up to [`TURN_LIMIT`]. Meanwhile `socket`, if any, keeps collecting its frames.
async fn turn(seq: usize, t: u64, pacing: Pacing, order: &Sequencer, mut socket: Option<&mut Socket<'_>>) {
    let due = pacing.at(t);
    if let Some(due) = due {
        while Instant::now() < due {
            match socket.as_deref_mut() {
                Some(socket) => socket.receive_for(due - Instant::now(), order).await,
                None => tokio::time::sleep_until(due).await,
            }
        }
    }
    let own_limit = Instant::now() + REPLY_TIMEOUT;
    let limit = Instant::now() + TURN_LIMIT;
    while !order.ready(seq) {
        let now = Instant::now();
        if now >= own_limit {
            if let Some(socket) = socket.as_deref_mut() {
                socket.give_up_before(seq, order);
            }
        }
        if now >= limit {
            order.skip_to(seq);
            return;
        }
        match socket.as_deref_mut() {
            Some(socket) if !socket.ended => socket.receive_for(TURN_POLL, order).await,
            _ => tokio::time::sleep(TURN_POLL).await,
        }
    }
}

/// An open connection being played: what it received, and which of its expected answers are still to come.
struct Socket<'a> {
    ws: WsClient,
    conn: &'a Connection,
    /// The expected answers not yet received: their place in the transcript and their kind.
    outstanding: Vec<(usize, String)>,
    expected: usize,
    received: Vec<Frame>,
    ended: bool,
}

impl Socket<'_> {
    /// Reads frames for at most `wait`, marking each expected answer done as its frame comes.
    async fn receive_for(&mut self, wait: Duration, order: &Sequencer) {
        if self.ended {
            tokio::time::sleep(wait).await;
            return;
        }
        let frame = match self.ws.next_frame(wait).await {
            Wire::Text(text) => Frame::Text(text),
            Wire::Binary(bytes) => Frame::Binary(bytes),
            Wire::Close(code, reason) => Frame::Close(code, reason),
            Wire::Dropped(_) => Frame::Close(1006, String::new()),
            Wire::Timeout | Wire::Ping => return,
        };
        self.ended = matches!(frame, Frame::Close(..));
        // The frame answers the first outstanding one of its kind (or, if none, the first outstanding one).
        let kind = kind_of(&frame);
        let answered = self.outstanding.iter().position(|(_, k)| *k == kind);
        if let Some(at) = answered.or((!self.outstanding.is_empty()).then_some(0)) {
            order.done(self.outstanding.remove(at).0);
        }
        self.received.push(frame);
        if self.ended {
            self.give_up(order);
        }
    }

    /// Nothing more comes on this connection: its outstanding answers are not waited for.
    fn give_up(&mut self, order: &Sequencer) {
        self.give_up_before(usize::MAX, order);
    }

    /// The outstanding answers recorded before `seq` are not waited for any longer.
    fn give_up_before(&mut self, seq: usize, order: &Sequencer) {
        self.outstanding.retain(|(at, _)| {
            let late = *at < seq;
            if late {
                order.done(*at);
            }
            !late
        });
    }

    /// Collects the rest: until every expected frame is in and a quiet moment has passed, bounded by `until`.
    async fn drain(&mut self, until: Instant, order: &Sequencer) {
        while !self.ended && Instant::now() < until {
            let wait = if self.received.len() >= self.expected {
                QUIET
            } else {
                until - Instant::now()
            };
            let before = self.received.len();
            self.receive_for(wait.min(until - Instant::now()), order).await;
            if self.received.len() == before && self.received.len() >= self.expected {
                break;
            }
        }
    }
}

/// Plays `conn` against `url`.
pub async fn connection(
    conn: &Connection,
    url: &str,
    transport: &Transport,
    pacing: Pacing,
    order: &Sequencer,
) -> Played {
    turn(conn.opened_seq, conn.opened_at, pacing, order, None).await;
    let ws = WsClient::connect(url, transport).await;
    order.done(conn.opened_seq);
    let outstanding: Vec<(usize, String)> = conn.expected().iter().map(|s| (s.seq, kind_of(&s.frame))).collect();
    let ws = match ws {
        Ok(ws) => ws,
        Err(error) => {
            conn.steps.iter().for_each(|step| order.done(step.seq));
            return Played {
                received: Vec::new(),
                error: Some(error.to_string()),
            };
        }
    };
    let mut socket = Socket {
        ws,
        conn,
        expected: outstanding.len(),
        outstanding,
        received: Vec::new(),
        ended: false,
    };
    play_steps(&mut socket, pacing, order).await;
    if !socket.ended {
        let last = conn.steps.last().map_or(conn.opened_at, |s| s.t);
        let until = pacing.at(last).map_or(Instant::now(), |at| at.max(Instant::now())) + SETTLE.max(REPLY_TIMEOUT);
        socket.drain(until, order).await;
        socket.ws.close().await;
    }
    Played {
        received: socket.received,
        error: None,
    }
}

/// Sends the client's frames and close in turn.
async fn play_steps(socket: &mut Socket<'_>, pacing: Pacing, order: &Sequencer) {
    let conn = socket.conn;
    for step in conn.steps.iter().filter(|s| s.from_client) {
        turn(step.seq, step.t, pacing, order, Some(socket)).await;
        order.done(step.seq);
        if socket.ended {
            continue;
        }
        let sent = match &step.frame {
            Frame::Text(text) => socket.ws.send_text(text).await,
            Frame::Binary(bytes) => socket.ws.send_binary(bytes.clone()).await,
            Frame::Close(code, _) => {
                if (1000..=4999).contains(code) && !matches!(code, 1005 | 1006 | 1015) {
                    socket.ws.close_with(*code).await;
                } else {
                    socket.ws.close().await;
                }
                socket.ended = true;
                Ok(())
            }
        };
        if sent.is_err() {
            socket.ended = true;
        }
    }
    if socket.ended {
        socket.give_up(order);
    }
}

/// Replays one HTTP exchange (or refused upgrade) in its turn and returns the answer; `Ok(None)` when it
/// cannot be replayed (its request body was too large or not text to record).
pub async fn exchange(
    exchange: &Exchange,
    authority: &str,
    transport: &Transport,
    pacing: Pacing,
    order: &Sequencer,
) -> Result<Option<HttpReply>, String> {
    turn(exchange.seq, exchange.t, pacing, order, None).await;
    let reply = send(exchange, authority, transport).await;
    order.done(exchange.seq);
    reply
}

async fn send(exchange: &Exchange, authority: &str, transport: &Transport) -> Result<Option<HttpReply>, String> {
    if exchange.request_omitted {
        return Ok(None);
    }
    let body = exchange.request.as_deref().unwrap_or_default();
    let json = serde_json::from_str::<serde_json::Value>(body).is_ok();
    let headers: &[(&str, &str)] = if json {
        &[("content-type", "application/json")]
    } else {
        &[]
    };
    let reply = if exchange.upgrade {
        client::upgrade_request_via(transport, authority, &exchange.path).await
    } else {
        client::http_request_via(transport, authority, &exchange.method, &exchange.path, headers, body).await
    };
    reply.map(Some).map_err(|e| e.to_string())
}
