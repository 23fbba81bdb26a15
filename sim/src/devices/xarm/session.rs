//! One Studio WebSocket connection: keys, info and a first status report on open, then status reports on the
//! connection's own staggered schedule, and a response to every request (finals arrive through the push queue).

use std::sync::Arc;

use crate::clock::SimTime;
use crate::devices::xarm::shared::{Shared, Waiter};
use crate::serve::device::{Outgoing, Session};
use crate::serve::fanout::Schedule;
use understudy_core::model::xarm::ApiCode;
use understudy_core::proto::xarm::request::Refusal;
use understudy_core::proto::xarm::ws::{handle_text, refusal_response};
use understudy_core::seed::hashed_unit;

/// A connection's protocol state.
pub struct XarmSession {
    shared: Arc<Shared>,
    conn: u64,
    schedule: Schedule,
    next_report: SimTime,
}

impl XarmSession {
    /// Registers the connection with the arm; its report phase is drawn from the seed and its number.
    pub fn new(shared: Arc<Shared>, push: tokio::sync::mpsc::Sender<Outgoing>) -> Self {
        let conn = shared.connect(push);
        let unit = hashed_unit(shared.seed, "xarm", "report-phase", conn);
        let schedule = Schedule::new(shared.report_hz, unit);
        XarmSession {
            shared,
            conn,
            schedule,
            next_report: SimTime::ZERO,
        }
    }

    fn run(&mut self, now: SimTime, text: &str, out: &mut Vec<Outgoing>) {
        let mut guard = self.shared.lock();
        let conn = self.conn;
        let answer = handle_text(&mut guard.controller, now, text, |id| Waiter {
            conn,
            id: id.clone(),
            feedback: None,
        });
        // The immediate answer goes out before any final answer pushed by the commit.
        out.push(Outgoing::Text(answer.frame));
        if answer.envelope.is_some() {
            self.shared.commit(&mut guard);
        }
    }
}

impl Session for XarmSession {
    fn on_open(&mut self, now: SimTime, out: &mut Vec<Outgoing>) {
        out.push(Outgoing::SharedText(self.shared.keys_frame.clone()));
        out.push(Outgoing::SharedText(self.shared.info_frame.clone()));
        out.push(Outgoing::SharedText(self.shared.status_frame(now)));
        self.next_report = self.schedule.next_after(now);
    }

    fn on_text(&mut self, now: SimTime, text: &str, out: &mut Vec<Outgoing>) {
        self.run(now, text, out);
    }

    fn on_binary(&mut self, now: SimTime, data: &[u8], out: &mut Vec<Outgoing>) {
        // Studio's Tornado backend hands binary frames to the same JSON decoder as text ones.
        match std::str::from_utf8(data) {
            Ok(text) => self.run(now, text, out),
            Err(_) => out.push(Outgoing::Text(refusal_response(&Refusal {
                id: serde_json::Value::Null,
                code: ApiCode::ParameterError,
                message: "message is not valid JSON".into(),
            }))),
        }
    }

    fn next_deadline(&self) -> Option<SimTime> {
        Some(self.next_report)
    }

    fn on_deadline(&mut self, now: SimTime, out: &mut Vec<Outgoing>) {
        if now < self.next_report {
            return;
        }
        out.push(Outgoing::SharedText(self.shared.status_frame(now)));
        self.next_report = self.schedule.next_after(now);
    }

    fn on_close(&mut self, _now: SimTime) {
        self.shared.disconnect(self.conn);
    }
}
