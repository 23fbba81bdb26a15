//! What each frame of an Obico agent must satisfy, frame by frame: its kind, the state text against its
//! flags (OBICO-35), `_ts` per connection (OBICO-38), and each print's `current_print_ts` and event order
//! (OBICO-37). Problems are kept by rule for the steps that check them.

use std::collections::BTreeMap;

use serde_json::Value;

/// What a frame from the agent is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A status message: `status` and/or `current_print_ts` (with `event`, `settings`), or `settings` alone.
    Status,
    /// `{"passthru": {"ref", "ret"|"error"}}`.
    PassthruReply,
    /// Any other `passthru` (e.g. the OctoPrint agent's `printer_event`).
    Passthru,
    /// `http.tunnelv2` or `ws.tunnel`.
    Tunnel,
    /// `janus`.
    Janus,
    /// `{}` (moonraker-obico's first frame).
    Empty,
}

/// The kind of `frame` (a JSON object); `None` for anything else.
pub fn kind(frame: &Value) -> Option<Kind> {
    let object = frame.as_object()?;
    if object.is_empty() {
        return Some(Kind::Empty);
    }
    if let Some(passthru) = object.get("passthru") {
        let reply = passthru.get("ref").is_some() && (passthru.get("ret").is_some() || passthru.get("error").is_some());
        return Some(if reply { Kind::PassthruReply } else { Kind::Passthru });
    }
    if object.contains_key("http.tunnelv2") || object.contains_key("ws.tunnel") {
        return Some(Kind::Tunnel);
    }
    if object.contains_key("janus") {
        return Some(Kind::Janus);
    }
    // The server treats anything else as a status message.
    Some(Kind::Status)
}

/// The event types the server handles (rule 36); agents may send others (OctoPrint's PrinterStateChanged).
pub const PRINT_EVENTS: &[&str] = &[
    "PrintStarted",
    "PrintResumed",
    "PrintPaused",
    "PrintDone",
    "PrintFailed",
    "PrintCancelled",
    "PrintCancelling",
    "FilamentChange",
];

/// State texts the real agents send (OctoPrint's and moonraker-obico's).
const KNOWN_TEXTS: &[&str] = &[
    "Offline",
    "Opening serial connection",
    "Detecting serial connection",
    "Detecting baudrate",
    "Connecting",
    "Operational",
    "Starting",
    "Starting print from SD",
    "Printing",
    "Printing from SD",
    "Sending file to SD",
    "Transferring file to SD",
    "Pausing",
    "Paused",
    "Resuming",
    "Finishing",
    "Cancelling",
    "Closed",
    "Error",
    "Offline after error",
    "G-Code Downloading",
];

/// Texts for which `operational` must be false.
const NOT_OPERATIONAL: &[&str] = &["Offline", "G-Code Downloading", "Opening serial connection", "Connecting"];

/// Why `state.text` and `state.flags` disagree (OBICO-35), if they do.
pub fn flags_problem(state: &Value) -> Option<String> {
    let text = state["text"].as_str()?;
    let flag = |name: &str| state["flags"][name].as_bool();
    if !KNOWN_TEXTS.contains(&text) && !text.starts_with("Error") {
        return Some(format!("state.text {text:?} is none of the real agents' texts"));
    }
    let mut wrong = Vec::new();
    if flag("paused") != Some(text == "Paused") {
        wrong.push("paused must be true exactly when the text is Paused");
    }
    if text == "Printing" && flag("printing") != Some(true) {
        wrong.push("Printing needs printing true");
    }
    if NOT_OPERATIONAL.contains(&text) && flag("operational") != Some(false) {
        wrong.push("this text needs operational false");
    }
    for (name, only) in [
        ("pausing", "Pausing"),
        ("resuming", "Resuming"),
        ("finishing", "Finishing"),
        ("cancelling", "Cancelling"),
        ("ready", "Operational"),
    ] {
        if flag(name) == Some(true) && text != only {
            wrong.push(match name {
                "pausing" => "pausing is true but the text is not Pausing",
                "resuming" => "resuming is true but the text is not Resuming",
                "finishing" => "finishing is true but the text is not Finishing",
                "cancelling" => "cancelling is true but the text is not Cancelling",
                _ => "ready is true but the text is not Operational",
            });
        }
    }
    (!wrong.is_empty()).then(|| format!("state {text:?} with flags {}: {}", state["flags"], wrong.join("; ")))
}

/// One print as the agent reported it.
#[derive(Clone, Debug, Default)]
pub struct Print {
    /// Its `current_print_ts`.
    pub ts: i64,
    /// The server-handled events of the print, in order.
    pub events: Vec<String>,
    paused: bool,
}

/// The print life cycle across the scenario's frames (rule 37), and the problems found.
#[derive(Debug, Default)]
pub struct Prints {
    /// The print under way.
    pub current: Option<Print>,
    /// Prints that reached their terminal event.
    pub finished: Vec<Print>,
    /// The ts of the print whose terminal frame came last, until the next status frame.
    ended: Option<i64>,
    /// Whether a frame carried `current_print_ts` -1 since the last terminal event.
    pub idle_after_end: bool,
    /// What broke the rule.
    pub problems: Vec<String>,
}

impl Prints {
    /// Follows one status frame: its `current_print_ts`, event type and state text.
    pub fn observe(&mut self, ts: i64, event: Option<&str>, text: Option<&str>) {
        let event = event.filter(|e| PRINT_EVENTS.contains(e));
        if let Some(ended) = self.ended.take() {
            if ts == ended && event != Some("PrintStarted") {
                self.problems.push(format!(
                    "current_print_ts is still {ended} in the frame after the print's terminal event (expected -1)"
                ));
            } else if ts == -1 {
                self.idle_after_end = true;
            }
        }
        let Some(print) = &mut self.current else {
            self.outside_print(ts, event, text);
            return;
        };
        if ts != print.ts {
            self.problems.push(format!(
                "current_print_ts changed mid-print from {} to {ts}",
                print.ts
            ));
        }
        if text == Some("Paused") && !print.paused {
            self.problems
                .push("the state is Paused before any PrintPaused of this print".to_string());
        }
        let Some(event) = event else {
            return;
        };
        match event {
            "PrintStarted" => self
                .problems
                .push(format!("a second PrintStarted during the print {}", print.ts)),
            "PrintPaused" if print.paused => self.problems.push("PrintPaused while already paused".into()),
            "PrintPaused" => print.paused = true,
            "PrintResumed" if !print.paused => self.problems.push("PrintResumed without a PrintPaused".into()),
            "PrintResumed" => print.paused = false,
            _ => {}
        }
        print.events.push(event.to_string());
        if matches!(event, "PrintDone" | "PrintFailed") {
            let print = self.current.take().unwrap_or_default();
            if let Some(problem) = order_problem(&print.events) {
                self.problems.push(problem);
            }
            self.ended = Some(print.ts);
            self.idle_after_end = false;
            self.finished.push(print);
        }
    }

    fn outside_print(&mut self, ts: i64, event: Option<&str>, text: Option<&str>) {
        match event {
            Some("PrintStarted") => {
                if ts == -1 {
                    self.problems.push("PrintStarted carries current_print_ts -1".into());
                }
                if self.finished.last().is_some_and(|p| p.ts == ts) {
                    self.problems
                        .push(format!("a new print has the previous print's current_print_ts {ts}"));
                }
                self.current = Some(Print {
                    ts,
                    events: vec!["PrintStarted".into()],
                    paused: false,
                });
            }
            Some(event) if event != "FilamentChange" => {
                self.problems.push(format!("{event} with no print under way (no PrintStarted before it)"));
            }
            _ if ts != -1 && ts != 0 => {
                self.problems.push(format!(
                    "current_print_ts is {ts} but no print was started (idle is -1)"
                ));
            }
            _ if text == Some("Paused") => self.problems.push("the state is Paused with no print under way".into()),
            _ => {}
        }
    }
}

/// Why a finished print's events are out of order, if they are: PrintStarted, then pause/resume pairs, then
/// PrintDone, [PrintCancelling] PrintCancelled PrintFailed, or PrintFailed (a cancel may follow a pause).
pub fn order_problem(events: &[String]) -> Option<String> {
    let text = events.join(" ");
    let pattern = regex::Regex::new(
        r"^PrintStarted( PrintPaused( FilamentChange)* PrintResumed| FilamentChange)*( PrintPaused)?( FilamentChange)* (PrintDone|(PrintCancelling )?PrintCancelled PrintFailed|(PrintCancelling )?PrintFailed)$",
    )
    .ok()?;
    (!pattern.is_match(&text)).then(|| format!("the print's events came in the order {text}"))
}

/// The problems found so far, by rule.
pub type Problems = BTreeMap<&'static str, Vec<String>>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(text: &str, on: &[&str]) -> Value {
        let names = [
            "operational", "printing", "cancelling", "pausing", "resuming", "finishing", "closedOrError", "error",
            "paused", "ready", "sdReady",
        ];
        let flags: serde_json::Map<String, Value> =
            names.iter().map(|n| (n.to_string(), json!(on.contains(n)))).collect();
        json!({"text": text, "flags": flags})
    }

    #[test]
    fn flags_as_the_real_agent_sets_them_pass_and_others_fail() {
        for (text, on) in [
            ("Offline", vec!["closedOrError"]),
            ("Connecting", vec![]),
            ("Operational", vec!["operational", "ready", "sdReady"]),
            ("Printing", vec!["operational", "printing", "sdReady"]),
            ("Pausing", vec!["operational", "printing", "pausing", "sdReady"]),
            ("Paused", vec!["operational", "paused", "sdReady"]),
            ("Finishing", vec!["operational", "printing", "finishing", "sdReady"]),
        ] {
            assert_eq!(flags_problem(&state(text, &on)), None, "{text}");
        }
        assert!(flags_problem(&state("Paused", &["operational"])).is_some());
        assert!(flags_problem(&state("Printing", &["operational"])).is_some());
        assert!(flags_problem(&state("Offline", &["operational"])).is_some());
        assert!(flags_problem(&state("Printing", &["operational", "printing", "pausing"])).is_some());
        assert!(flags_problem(&state("Dancing", &[])).is_some());
    }

    fn run(frames: &[(i64, Option<&str>, &str)]) -> Prints {
        let mut prints = Prints::default();
        for (ts, event, text) in frames {
            prints.observe(*ts, *event, Some(text));
        }
        prints
    }

    #[test]
    fn the_real_cancel_sequence_is_one_print() {
        let prints = run(&[
            (-1, Some("PrinterStateChanged"), "Starting"),
            (100, Some("PrintStarted"), "Printing"),
            (100, Some("PrintPaused"), "Pausing"),
            (100, Some("PrinterStateChanged"), "Paused"),
            (100, Some("PrintResumed"), "Resuming"),
            (100, Some("PrintCancelling"), "Cancelling"),
            (100, Some("PrintCancelled"), "Operational"),
            (100, Some("PrintFailed"), "Operational"),
            (-1, Some("PrinterStateChanged"), "Operational"),
        ]);
        assert!(prints.problems.is_empty(), "{:?}", prints.problems);
        assert_eq!(prints.finished.len(), 1);
        assert!(prints.idle_after_end);
    }

    #[test]
    fn a_ts_that_changes_mid_print_or_stays_after_the_end_is_caught() {
        let changed = run(&[
            (100, Some("PrintStarted"), "Printing"),
            (101, None, "Printing"),
        ]);
        assert!(changed.problems[0].contains("changed mid-print from 100 to 101"));
        let stayed = run(&[
            (100, Some("PrintStarted"), "Printing"),
            (100, Some("PrintDone"), "Finishing"),
            (100, None, "Operational"),
        ]);
        assert!(stayed.problems[0].contains("still 100"), "{:?}", stayed.problems);
        let out_of_order = run(&[
            (100, Some("PrintStarted"), "Printing"),
            (100, Some("PrintResumed"), "Printing"),
            (100, Some("PrintDone"), "Finishing"),
        ]);
        assert_eq!(out_of_order.problems.len(), 2, "{:?}", out_of_order.problems);
    }

    #[test]
    fn orders() {
        let ok = |e: &str| order_problem(&e.split(' ').map(String::from).collect::<Vec<_>>()).is_none();
        assert!(ok("PrintStarted PrintDone"));
        assert!(ok("PrintStarted PrintPaused PrintResumed PrintCancelling PrintCancelled PrintFailed"));
        assert!(ok("PrintStarted PrintPaused PrintCancelled PrintFailed"));
        assert!(ok("PrintStarted PrintFailed"));
        assert!(!ok("PrintStarted PrintCancelled PrintDone"));
        assert!(!ok("PrintStarted PrintPaused PrintPaused PrintDone"));
    }

    #[test]
    fn kinds() {
        assert_eq!(kind(&json!({})), Some(Kind::Empty));
        assert_eq!(kind(&json!({"passthru": {"ref": "a", "ret": null}})), Some(Kind::PassthruReply));
        assert_eq!(kind(&json!({"passthru": {"printer_event": {}}})), Some(Kind::Passthru));
        assert_eq!(kind(&json!({"status": {}, "current_print_ts": -1})), Some(Kind::Status));
        assert_eq!(kind(&json!({"http.tunnelv2": {}})), Some(Kind::Tunnel));
        assert_eq!(kind(&json!([1])), None);
    }
}
