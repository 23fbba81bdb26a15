//! The drift report: per connection (and per HTTP exchange) every frame's verdict and whether `--allow`
//! covers it, written for the console, as JSON and as JUnit XML.

use std::collections::BTreeMap;

use serde::Serialize;

use super::drift::{Class, Verdict};

/// One judged frame and, if its drift is allowed, by what.
#[derive(Clone, Debug, Serialize)]
pub struct Judged {
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Why this drift is accepted (`--allow CLASS`, or an allow-file line's reason); absent when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<String>,
}

impl Judged {
    /// Drift that nothing allows.
    pub fn is_unallowed_drift(&self) -> bool {
        self.verdict.class.is_drift() && self.allowed.is_none()
    }
}

/// One replayed connection or exchange.
#[derive(Clone, Debug, Serialize)]
pub struct Replayed {
    /// The transcript label (`endrpi/3`, `endrpi/http`).
    pub label: String,
    /// What was replayed: the WebSocket path, or `METHOD PATH` for an exchange.
    pub what: String,
    /// Why it could not be replayed, if it could not (then it counts as drift).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why it was not replayed at all (an HTTP request whose body the transcript does not hold).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    pub frames: Vec<Judged>,
}

impl Replayed {
    fn failures(&self) -> Vec<String> {
        let mut failures: Vec<String> = self.error.iter().cloned().collect();
        for (i, judged) in self.frames.iter().enumerate().filter(|(_, j)| j.is_unallowed_drift()) {
            failures.push(describe(i, &judged.verdict));
        }
        failures
    }
}

/// A whole replay.
#[derive(Clone, Debug, Serialize)]
pub struct DriftReport {
    /// The transcript replayed.
    pub transcript: String,
    /// What it was replayed against.
    pub target: String,
    /// Frames by class, over every connection.
    pub summary: BTreeMap<&'static str, usize>,
    /// Frames whose drift nothing allows, plus connections that could not be replayed.
    pub unallowed: usize,
    pub connections: Vec<Replayed>,
}

impl DriftReport {
    /// Counts what the connections hold.
    pub fn new(transcript: String, target: String, connections: Vec<Replayed>) -> Self {
        let mut summary: BTreeMap<&'static str, usize> = Class::ALL.iter().map(|c| (c.name(), 0)).collect();
        let mut unallowed = 0;
        for replayed in &connections {
            unallowed += usize::from(replayed.error.is_some());
            for judged in &replayed.frames {
                *summary.entry(judged.verdict.class.name()).or_default() += 1;
                unallowed += usize::from(judged.is_unallowed_drift());
            }
        }
        DriftReport {
            transcript,
            target,
            summary,
            unallowed,
            connections,
        }
    }

    /// Whether the drift stays within what `--allow` names.
    pub fn within_allowance(&self) -> bool {
        self.unallowed == 0
    }

    /// The console text: a line per connection, one per drifting frame, and the summary.
    pub fn console(&self) -> String {
        let mut out = format!("replay of {} against {}\n", self.transcript, self.target);
        for replayed in &self.connections {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for judged in &replayed.frames {
                *counts.entry(judged.verdict.class.name()).or_default() += 1;
            }
            let counts: Vec<String> = Class::ALL
                .iter()
                .filter_map(|c| counts.get(c.name()).map(|n| format!("{n} {}", c.name())))
                .collect();
            let state = match (&replayed.error, &replayed.skipped) {
                (Some(error), _) => format!("not replayed: {error}"),
                (None, Some(reason)) => format!("skipped: {reason}"),
                (None, None) => counts.join(", "),
            };
            out.push_str(&format!("{} {}: {state}\n", replayed.label, replayed.what));
            for (i, judged) in replayed
                .frames
                .iter()
                .enumerate()
                .filter(|(_, j)| j.verdict.class.is_drift())
            {
                let allowed = judged
                    .allowed
                    .as_ref()
                    .map_or(String::new(), |why| format!(" [allowed: {why}]"));
                out.push_str(&format!("  {}{allowed}\n", describe(i, &judged.verdict)));
            }
        }
        let summary: Vec<String> = Class::ALL
            .iter()
            .map(|c| format!("{} {}", self.summary.get(c.name()).copied().unwrap_or(0), c.name()))
            .collect();
        out.push_str(&format!(
            "drift: {}; {} beyond what --allow names\n",
            summary.join(", "),
            self.unallowed
        ));
        out
    }

    /// The report as pretty JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// JUnit XML: one test case per connection or exchange, failed when its drift is not allowed.
    pub fn junit(&self) -> String {
        let failures = self.connections.iter().filter(|c| !c.failures().is_empty()).count();
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"replay {}\" tests=\"{}\" failures=\"{failures}\">\n",
            xml(&self.transcript),
            self.connections.len()
        );
        for replayed in &self.connections {
            let name = xml(&format!("{} {}", replayed.label, replayed.what));
            let failures = replayed.failures();
            if let Some(reason) = &replayed.skipped {
                out.push_str(&format!(
                    "<testcase classname=\"replay\" name=\"{name}\"><skipped message=\"{}\"/></testcase>\n",
                    xml(reason)
                ));
            } else if failures.is_empty() {
                out.push_str(&format!("<testcase classname=\"replay\" name=\"{name}\"/>\n"));
            } else {
                out.push_str(&format!(
                    "<testcase classname=\"replay\" name=\"{name}\"><failure message=\"{} frames drift\">{}</failure></testcase>\n",
                    failures.len(),
                    xml(&failures.join("\n"))
                ));
            }
        }
        out.push_str("</testsuite>\n</testsuites>\n");
        out
    }
}

/// One line for a drifting frame: its index, kind and class, and what differs.
fn describe(index: usize, verdict: &Verdict) -> String {
    let mut line = format!("frame {index} {}: {}", verdict.kind, verdict.class.name());
    match verdict.class {
        Class::Missing => line.push_str(&format!(", recorded {}", cut(verdict.recorded.as_deref()))),
        Class::Extra => line.push_str(&format!(", received {}", cut(verdict.received.as_deref()))),
        _ if verdict.differences.is_empty() => line.push_str(&format!(
            ", recorded {} received {}",
            cut(verdict.recorded.as_deref()),
            cut(verdict.received.as_deref())
        )),
        _ => {
            let differences: Vec<String> = verdict
                .differences
                .iter()
                .map(|d| {
                    format!(
                        "{} {} -> {}",
                        if d.path.is_empty() { "/" } else { &d.path },
                        d.recorded,
                        d.received
                    )
                })
                .collect();
            line.push_str(&format!(" at {}", differences.join("; ")));
        }
    }
    line
}

/// A frame shortened for one line of the console.
fn cut(frame: Option<&str>) -> String {
    let frame = frame.unwrap_or("(none)");
    match frame.char_indices().nth(160) {
        Some((at, _)) => format!("{}...", &frame[..at]),
        None => frame.to_string(),
    }
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
