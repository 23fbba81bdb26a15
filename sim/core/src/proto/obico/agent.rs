//! `ObicoAgent`: one simulated OctoPrint + Obico plugin owning a printer model and its link. It
//! follows the printer into OctoPrint states and events, posts statuses and answers server frames.

use serde_json::Value;

use super::cadence::Cadence;
use super::commands::{self, Command, PauseArgs};
use super::frames::{self, Event, Extra};
use super::link::{AgentLink, Frame, LinkAction, LinkEvent, RestCall};
use super::passthru::{self, Call, RecentRefs};
use super::state::OctoState;
use super::status::{self, Outcome, PrintFile, StatusInput};
use super::{bson, tunnel};
use crate::model::printer::{JobState, Printer, PrinterError};
use crate::seed::stream_rng;
use crate::time::SimTime;

/// When OctoPrint connects to the printer after start (the real one took ~0.7 s after its first status).
pub const CONNECT_MS: u64 = 700;
/// Lines OctoPrint sends while connecting (M110, M115, M105 ...): `resends.transmitted` starts here.
pub const CONNECT_LINES: u64 = 5;
/// How long PrintStarted waits for the `g_code_files` answer.
pub const G_CODE_FILE_TIMEOUT_MS: u64 = 60_000;
/// How often `settings` is sent again.
pub const SETTINGS_REFRESH_MS: u64 = 30 * 60_000;
/// The firmware name reported in `printer_metadata`.
pub const FIRMWARE_NAME: &str = "Marlin";

/// The simulated agent.
#[derive(Debug)]
pub struct ObicoAgent {
    pub(super) printer: Printer,
    link: AgentLink,
    cadence: Cadence,
    epoch_ms: u64,
    name: String,
    state: OctoState,
    pub(super) connected: bool,
    file: Option<PrintFile>,
    pub(super) selected: Option<String>,
    current_print_ts: i64,
    last_ts: u64,
    settings_due: bool,
    last_settings: SimTime,
    transmitted: u64,
    refs: RecentRefs,
    paused_with: Option<(PauseArgs, f64, f64)>,
    start_deadline: Option<SimTime>,
    out: Vec<LinkAction>,
}

impl ObicoAgent {
    /// An agent for `printer`, linking with `token`. `epoch_ms` is the Unix time of sim time 0:
    /// `_ts = (epoch_ms + sim_ms) / 1000`. The link's jitter is the stream (`name`, "obico-link") of `master_seed`.
    pub fn new(printer: Printer, token: &str, epoch_ms: u64, master_seed: u64, name: &str) -> Self {
        ObicoAgent {
            printer,
            link: AgentLink::new(token, stream_rng(master_seed, name, "obico-link")),
            cadence: Cadence::default(),
            epoch_ms,
            name: name.to_owned(),
            state: OctoState::Offline,
            connected: false,
            file: None,
            selected: None,
            current_print_ts: -1,
            last_ts: 0,
            settings_due: true,
            last_settings: SimTime::ZERO,
            transmitted: 0,
            refs: RecentRefs::default(),
            paused_with: None,
            start_deadline: None,
            out: Vec::new(),
        }
    }

    /// The printer.
    pub fn printer(&self) -> &Printer {
        &self.printer
    }

    /// The printer, to put files on its card or inject faults.
    pub fn printer_mut(&mut self) -> &mut Printer {
        &mut self.printer
    }

    /// The link.
    pub fn link(&self) -> &AgentLink {
        &self.link
    }

    /// The OctoPrint state.
    pub fn state(&self) -> OctoState {
        self.state
    }

    /// `current_print_ts`: -1 when idle.
    pub fn current_print_ts(&self) -> i64 {
        self.current_print_ts
    }

    fn ts(&mut self, now: SimTime) -> u64 {
        self.last_ts = self.last_ts.max((self.epoch_ms + now.as_millis()) / 1000);
        self.last_ts
    }

    /// Builds the `status` object as of `now`.
    pub fn status(&mut self, now: SimTime) -> Value {
        let ts = self.ts(now);
        let job = self.printer.job();
        status::build(&StatusInput {
            state: self.state,
            job: &job,
            temps: self.connected.then(|| self.printer.temperatures()),
            ts,
            file: self.file.as_ref(),
            current_print: self.current_print_ts != -1,
            transmitted: self.connected.then_some(self.transmitted),
        })
    }

    fn post(&mut self, now: SimTime, event: Option<Event>) {
        let status = self.status(now);
        let settings = self
            .settings_due
            .then(|| frames::settings(&self.name, self.connected.then_some(FIRMWARE_NAME)));
        if self.settings_due {
            self.settings_due = false;
            self.last_settings = now;
        }
        let text = frames::status_frame(status, self.current_print_ts, settings, event.as_ref());
        self.link.send(now, Frame::Text(text), &mut self.out);
        self.cadence.posted(now);
        if event.is_some() {
            self.cadence.boost(now);
        }
    }

    fn set_state(&mut self, now: SimTime, state: OctoState) {
        self.state = state;
        self.post(now, Some(frames::state_changed(state)));
    }

    fn print_event(&mut self, now: SimTime, event_type: &'static str, extra: Extra) {
        if let Some(file) = &self.file {
            let event = frames::print_event(event_type, file, extra);
            self.post(now, Some(event));
        }
    }

    pub(super) fn send_lines(&mut self, now: SimTime, lines: &[String]) {
        for line in lines {
            self.printer.submit_line(now, line);
            self.transmitted += 1;
        }
    }

    fn take(&mut self) -> Vec<LinkAction> {
        std::mem::take(&mut self.out)
    }

    /// Runs everything due at `now`; returns what to do.
    pub fn advance(&mut self, now: SimTime) -> Vec<LinkAction> {
        self.printer.advance(now);
        let _ = self.printer.take_output();
        self.link.advance(now, &mut self.out);
        if !self.connected && self.state == OctoState::Offline && now >= SimTime::from_millis(CONNECT_MS) {
            self.connect(now);
        }
        self.follow_printer(now);
        if self.start_deadline.is_some_and(|d| now >= d) {
            self.complete_start(now, None);
        }
        if now.saturating_since(self.last_settings) >= SETTINGS_REFRESH_MS {
            self.settings_due = true;
        }
        if self.cadence.is_due(now) {
            self.post(now, None);
        }
        self.take()
    }

    /// When [`ObicoAgent::advance`] is next needed.
    pub fn next_deadline(&self) -> Option<SimTime> {
        let connect = (!self.connected).then_some(SimTime::from_millis(CONNECT_MS));
        [
            Some(self.cadence.due()),
            self.link.next_deadline(),
            self.printer.next_deadline(),
            connect,
            self.start_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn connect(&mut self, now: SimTime) {
        self.set_state(now, OctoState::OpeningSerial);
        self.set_state(now, OctoState::Connecting);
        self.connected = true;
        self.transmitted = CONNECT_LINES;
        self.set_state(now, OctoState::Operational);
        // FirmwareData: settings again, now with printer_metadata.
        self.settings_due = true;
        self.post(now, None);
    }

    fn follow_printer(&mut self, now: SimTime) {
        let job = self.printer.job();
        if job.state == JobState::Error && self.state != OctoState::Error {
            if self.current_print_ts != -1 {
                let ended = self.ended(&job, "error");
                if let Some(f) = &mut self.file {
                    f.outcome = Outcome::Cancelled;
                }
                self.print_event(now, "PrintFailed", ended);
            }
            self.current_print_ts = -1;
            self.start_deadline = None;
            self.set_state(now, OctoState::Error);
            return;
        }
        let ended = matches!(job.state, JobState::Idle | JobState::Cancelled);
        if self.state == OctoState::Printing && (job.state == JobState::Finishing || ended) {
            self.set_state(now, OctoState::Finishing);
            if let Some(f) = &mut self.file {
                f.outcome = Outcome::Done;
            }
            self.print_event(now, "PrintDone", Extra::Time(job.elapsed_ms as f64 / 1000.0));
            // The PrintDone frame is the last with the print's ts, even while OctoPrint still says Finishing.
            self.current_print_ts = -1;
        }
        if self.state == OctoState::Finishing && ended {
            self.current_print_ts = -1;
            self.set_state(now, OctoState::Operational);
        }
    }

    fn ended(&self, job: &crate::model::printer::JobView, reason: &'static str) -> Extra {
        Extra::Ended {
            fileposition: job.bytes_done,
            time: job.elapsed_ms as f64 / 1000.0,
            reason,
        }
    }

    /// Starts printing `path` from the card, as OctoPrint's select-and-print does.
    pub fn start_print(&mut self, now: SimTime, path: &str) -> Result<Vec<LinkAction>, PrinterError> {
        self.start_print_inner(now, path)?;
        Ok(self.take())
    }

    pub(super) fn start_print_inner(&mut self, now: SimTime, path: &str) -> Result<(), PrinterError> {
        self.printer.advance(now);
        if self.state != OctoState::Operational {
            return Err(PrinterError::Busy);
        }
        let size = self
            .printer
            .sd()
            .stat(path)
            .map_err(|_| PrinterError::OpenFailed(path.to_owned()))?
            .size;
        let signature = self.printer.sd().read(path).map(file_signature).unwrap_or_default();
        self.printer.start_print(now, path)?;
        let date = self.ts(now);
        self.file = Some(PrintFile {
            path: path.to_owned(),
            size,
            date,
            g_code_file_id: None,
            outcome: Outcome::Running,
        });
        self.set_state(now, OctoState::Starting);
        let name = status::base_name(path).to_owned();
        let form = vec![
            ("filename".into(), name.clone()),
            ("safe_filename".into(), name),
            ("num_bytes".into(), size.to_string()),
            ("agent_signature".into(), signature),
            ("url".into(), path.to_owned()),
        ];
        self.out.push(self.link.post_g_code_file(form));
        self.start_deadline = Some(now.plus_millis(G_CODE_FILE_TIMEOUT_MS));
        Ok(())
    }

    /// PrintStarted, once `g_code_files` answered (or timed out).
    fn complete_start(&mut self, now: SimTime, id: Option<u64>) {
        if self.start_deadline.take().is_none() {
            return;
        }
        if let Some(f) = &mut self.file {
            f.g_code_file_id = id;
        }
        self.state = OctoState::Printing;
        self.current_print_ts = self.ts(now) as i64;
        self.print_event(now, "PrintStarted", Extra::None);
        self.set_state(now, OctoState::Printing);
    }

    /// Pauses the print, then runs the pause sequence of `args`.
    pub fn pause(&mut self, now: SimTime, args: PauseArgs) -> Result<Vec<LinkAction>, PrinterError> {
        self.pause_inner(now, args)?;
        Ok(self.take())
    }

    pub(super) fn pause_inner(&mut self, now: SimTime, args: PauseArgs) -> Result<(), PrinterError> {
        if self.state != OctoState::Printing {
            return Err(PrinterError::NotPrinting("pause"));
        }
        self.printer.pause(now)?;
        let t = self.printer.temperatures();
        self.set_state(now, OctoState::Pausing);
        let lines = commands::pause_gcode(&args);
        self.send_lines(now, &lines);
        self.paused_with = Some((args, t.hotend_target, t.bed_target));
        let job = self.printer.job();
        self.print_event(
            now,
            "PrintPaused",
            Extra::Position {
                z: Some(job.current_z),
                fileposition: job.bytes_done,
            },
        );
        self.set_state(now, OctoState::Paused);
        Ok(())
    }

    /// Undoes the pause sequence and resumes the print.
    pub fn resume(&mut self, now: SimTime) -> Result<Vec<LinkAction>, PrinterError> {
        self.resume_inner(now)?;
        Ok(self.take())
    }

    pub(super) fn resume_inner(&mut self, now: SimTime) -> Result<(), PrinterError> {
        if self.state != OctoState::Paused {
            return Err(PrinterError::NotPrinting("resume"));
        }
        self.set_state(now, OctoState::Resuming);
        if let Some((args, tool, bed)) = self.paused_with.take() {
            let lines = commands::resume_gcode(&args, tool, bed);
            self.send_lines(now, &lines);
        }
        self.printer.resume(now)?;
        self.print_event(now, "PrintResumed", Extra::None);
        self.set_state(now, OctoState::Printing);
        Ok(())
    }

    /// Cancels the print: PrintCancelling, Cancelling, PrintCancelled, PrintFailed, Operational.
    pub fn cancel(&mut self, now: SimTime) -> Result<Vec<LinkAction>, PrinterError> {
        self.cancel_inner(now)?;
        Ok(self.take())
    }

    pub(super) fn cancel_inner(&mut self, now: SimTime) -> Result<(), PrinterError> {
        if !matches!(self.state, OctoState::Printing | OctoState::Paused) {
            return Err(PrinterError::NotPrinting("cancel"));
        }
        self.state = OctoState::Cancelling;
        self.print_event(now, "PrintCancelling", Extra::None);
        self.set_state(now, OctoState::Cancelling);
        let job = self.printer.job();
        self.printer.cancel(now)?;
        self.paused_with = None;
        if let Some(f) = &mut self.file {
            f.outcome = Outcome::Cancelled;
        }
        self.print_event(now, "PrintCancelled", self.ended(&job, "cancelled"));
        self.state = OctoState::Operational;
        self.print_event(now, "PrintFailed", self.ended(&job, "cancelled"));
        self.current_print_ts = -1;
        self.set_state(now, OctoState::Operational);
        Ok(())
    }

    /// Feeds a link event in.
    pub fn handle_link(&mut self, now: SimTime, event: LinkEvent) -> Vec<LinkAction> {
        if let LinkEvent::RestAnswered(RestCall::GCodeFiles, status, body) = &event {
            let id = (200..300)
                .contains(status)
                .then(|| serde_json::from_str::<Value>(body).ok()?.get("id")?.as_u64())
                .flatten();
            self.complete_start(now, id);
        }
        self.link.handle(now, event, &mut self.out);
        self.take()
    }

    /// A text frame from the server.
    pub fn receive_text(&mut self, now: SimTime, text: &str) -> Vec<LinkAction> {
        if let Ok(v) = serde_json::from_str::<Value>(text) {
            self.receive(now, &v);
        }
        self.take()
    }

    /// A binary frame from the server: BSON, else JSON.
    pub fn receive_binary(&mut self, now: SimTime, bytes: &[u8]) -> Vec<LinkAction> {
        match bson::decode_document(bytes) {
            Ok(doc) => self.receive(now, &bson::to_json(&bson::Bson::Document(doc))),
            Err(_) => {
                if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
                    self.receive(now, &v);
                }
            }
        }
        self.take()
    }

    fn receive(&mut self, now: SimTime, v: &Value) {
        self.printer.advance(now);
        let frame = commands::parse(v);
        if frame.remote_status || frame.passthru.is_some() {
            self.cadence.boost(now);
        }
        for c in frame.commands {
            // A command that does not apply now (no print to pause ...) does nothing, as in the real agent.
            let _ = match c {
                Command::Pause(args) => self.pause_inner(now, args),
                Command::Resume => self.resume_inner(now),
                Command::Cancel => self.cancel_inner(now),
            };
        }
        if let Some(call) = frame.passthru.as_ref().and_then(passthru::parse) {
            self.passthru(now, call);
        }
        if let Some(req) = frame.tunnel.as_ref().and_then(tunnel::parse) {
            let (status, body) = self.api(now, &req.method, &req.path);
            let reply = tunnel::reply(&req, status, "application/json", body.as_bytes());
            self.link.send(now, Frame::Binary(reply), &mut self.out);
        }
    }

    fn passthru(&mut self, now: SimTime, call: Call) {
        if let Some(r) = &call.reference
            && self.refs.is_duplicate(r)
        {
            return;
        }
        let Some(result) = self.dispatch(now, &call) else {
            return;
        };
        if let Some(r) = &call.reference {
            let text = match result {
                Ok(ret) => passthru::reply_ret(r, ret),
                Err(message) => passthru::reply_error(r, &message),
            };
            self.link.send(now, Frame::Text(text), &mut self.out);
        }
    }
}

/// The `agent_signature` of a file: `md5:` and OctoPrint's metadata hash of it, which is the SHA-1 of its
/// contents in hex (the plugin's label says md5 whatever the hash is).
pub fn file_signature(contents: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    let hash: String = Sha1::digest(contents).iter().map(|b| format!("{b:02x}")).collect();
    format!("md5:{hash}")
}
