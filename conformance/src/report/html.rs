//! The report as one self-contained HTML page (no script, no CDN): per protocol its rules passed, failed and
//! not checked, each failed scenario with its error and the frames it saw, then the skips and passes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Outcome, Report, RuleStatus, ScenarioResult, escape};
use crate::frames::Direction;
use crate::steps::protocol_names;

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#1d232a;background:#fafbfc}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin:1.6rem 0 .4rem;border-bottom:1px solid #d0d7de}
.verdict{font-size:1.1rem;font-weight:600;padding:.5rem .8rem;border-radius:6px;display:inline-block}
.ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}.none{background:#eaeef2;color:#57606a}
table{border-collapse:collapse;width:100%;margin:.3rem 0}td,th{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eaeef2;vertical-align:top}
th{font-size:.85rem;color:#57606a}.id{white-space:nowrap;font-family:ui-monospace,monospace}
.tag{display:inline-block;padding:0 .4rem;border-radius:4px;font-size:.8rem;font-weight:600}
.failure{border:1px solid #ffcecb;border-left:4px solid #cf222e;background:#fff;border-radius:6px;padding:.6rem .9rem;margin:.8rem 0}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:.5rem;border-radius:4px;margin:.4rem 0;font-size:.85rem}
.frames{table-layout:fixed}.frames td{font-family:ui-monospace,monospace;font-size:.8rem;word-break:break-all}
.frames th:nth-child(1){width:7.5rem}.frames th:nth-child(2){width:6rem}.sent{color:#0550ae}.received{color:#116329}
summary{cursor:pointer;font-weight:600;margin:.6rem 0}.counts span{margin-right:1rem}
";

/// The protocol each rule belongs to: the protocol tag of the scenarios that check it, else its id's prefix.
fn rule_protocols(report: &Report) -> BTreeMap<String, String> {
    let protocols = protocol_names();
    let mut of = BTreeMap::new();
    for result in &report.results {
        let Some(protocol) = result.tags.iter().find(|t| protocols.contains(&t.as_str())) else {
            continue;
        };
        for tag in &result.tags {
            of.entry(tag.clone()).or_insert_with(|| protocol.clone());
        }
    }
    of
}

fn status_tag(status: &RuleStatus) -> &'static str {
    match status {
        RuleStatus::Passed => "<span class=\"tag ok\">passed</span>",
        RuleStatus::Failed => "<span class=\"tag bad\">FAILED</span>",
        RuleStatus::NotChecked => "<span class=\"tag none\">not checked</span>",
    }
}

fn rules_section(out: &mut String, report: &Report) {
    let of = rule_protocols(report);
    let mut by_protocol: BTreeMap<String, Vec<(String, RuleStatus)>> = BTreeMap::new();
    for (id, status) in report.rule_statuses() {
        let protocol = of
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.split('-').next().unwrap_or("").to_lowercase());
        by_protocol.entry(protocol).or_default().push((id, status));
    }
    let _ = writeln!(out, "<h2>Rules per protocol</h2>");
    for (protocol, rules) in &by_protocol {
        let count = |s: RuleStatus| rules.iter().filter(|(_, r)| *r == s).count();
        let (passed, failed, unchecked) = (
            count(RuleStatus::Passed),
            count(RuleStatus::Failed),
            count(RuleStatus::NotChecked),
        );
        let open = if failed > 0 { " open" } else { "" };
        let _ = writeln!(
            out,
            "<details{open}><summary>{} <span class=\"counts\"><span class=\"tag ok\">{passed} passed</span> \
             <span class=\"tag bad\">{failed} failed</span> <span class=\"tag none\">{unchecked} not checked</span></span></summary>",
            escape(protocol)
        );
        let _ = writeln!(
            out,
            "<table><tr><th>rule</th><th>status</th><th>what it demands</th></tr>"
        );
        for (id, status) in rules {
            let text = report
                .rules
                .iter()
                .find(|r| &r.id == id)
                .map_or("(not in any RULES.md)", |r| r.text.as_str());
            let _ = writeln!(
                out,
                "<tr id=\"rule-{0}\"><td class=\"id\">{0}</td><td>{1}</td><td>{2}</td></tr>",
                escape(id),
                status_tag(status),
                escape(text)
            );
        }
        let _ = writeln!(out, "</table></details>");
    }
}

fn failure(out: &mut String, result: &ScenarioResult, reason: &str) {
    let rules: Vec<String> = result
        .tags
        .iter()
        .filter(|t| crate::rules::is_rule_id(t))
        .map(|t| format!("<a class=\"id\" href=\"#rule-{0}\">{0}</a>", escape(t)))
        .collect();
    let _ = writeln!(
        out,
        "<div class=\"failure\"><div><b>{}</b> / {}</div><div>rules: {}</div><pre>{}</pre>",
        escape(&result.feature),
        escape(&result.scenario),
        rules.join(" "),
        escape(reason)
    );
    if result.frames.is_empty() {
        let _ = writeln!(out, "<div class=\"none\">no WebSocket frame was seen</div>");
    } else {
        let _ = writeln!(
            out,
            "<details open><summary>the last {} frames seen</summary><table class=\"frames\"><tr><th></th><th>connection</th><th>frame</th></tr>",
            result.frames.len()
        );
        for frame in &result.frames {
            let (class, arrow) = match frame.dir {
                Direction::Sent => ("sent", "sent&nbsp;&rarr;"),
                Direction::Received => ("received", "&larr;&nbsp;received"),
            };
            let _ = writeln!(
                out,
                "<tr class=\"{class}\"><td>{arrow}</td><td>{}</td><td>{}</td></tr>",
                escape(&frame.conn),
                if frame.text.is_empty() {
                    "(empty)".to_string()
                } else {
                    escape(&frame.text)
                }
            );
        }
        let _ = writeln!(out, "</table></details>");
    }
    let _ = writeln!(out, "</div>");
}

fn listing(out: &mut String, title: &str, results: &[(&ScenarioResult, Option<&str>)]) {
    if results.is_empty() {
        return;
    }
    let _ = writeln!(out, "<details><summary>{title} ({})</summary><table>", results.len());
    for (result, reason) in results {
        let _ = writeln!(
            out,
            "<tr><td>{} / {}</td><td>{}</td></tr>",
            escape(&result.feature),
            escape(&result.scenario),
            escape(reason.unwrap_or(""))
        );
    }
    let _ = writeln!(out, "</table></details>");
}

impl Report {
    /// The report as one self-contained HTML page.
    pub fn html(&self) -> String {
        let (passed, failed, skipped) = self.counts();
        let class = if failed > 0 {
            "bad"
        } else if passed == 0 {
            "none"
        } else {
            "ok"
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Conformance report: {passed} passed, {failed} failed</title><style>{STYLE}</style></head><body>"
        );
        let _ = writeln!(out, "<h1>Conformance report</h1>");
        let _ = writeln!(out, "<p class=\"verdict {class}\">{}</p>", escape(&self.closing_line()));
        let _ = writeln!(
            out,
            "<p class=\"counts\"><span>{passed} scenarios passed</span><span>{failed} failed</span><span>{skipped} skipped</span></p>"
        );
        for note in &self.notes {
            let _ = writeln!(out, "<p>{}</p>", escape(note));
        }
        for line in &self.unreachable {
            let _ = writeln!(out, "<p class=\"verdict bad\">UNREACHABLE: {}</p>", escape(line));
        }
        let failures: Vec<(&ScenarioResult, &str)> = self
            .results
            .iter()
            .filter_map(|r| match &r.outcome {
                Outcome::Failed(reason) => Some((r, reason.as_str())),
                _ => None,
            })
            .collect();
        if !failures.is_empty() {
            let _ = writeln!(out, "<h2>Failed scenarios ({})</h2>", failures.len());
            for (result, reason) in failures {
                failure(&mut out, result, reason);
            }
        }
        rules_section(&mut out, self);
        let _ = writeln!(out, "<h2>Scenarios</h2>");
        let skips: Vec<(&ScenarioResult, Option<&str>)> = self
            .results
            .iter()
            .filter_map(|r| match &r.outcome {
                Outcome::Skipped(reason) => Some((r, Some(reason.as_str()))),
                _ => None,
            })
            .collect();
        listing(&mut out, "Skipped", &skips);
        let passes: Vec<(&ScenarioResult, Option<&str>)> = self
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Passed)
            .map(|r| (r, None))
            .collect();
        listing(&mut out, "Passed", &passes);
        out.push_str("</body></html>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::Seen;
    use crate::rules::Rule;

    #[test]
    fn a_failed_rule_shows_with_its_error_and_frames_escaped() {
        let report = Report {
            results: vec![ScenarioResult {
                feature: "Pins".into(),
                scenario: "<bad>".into(),
                tags: vec!["endrpi".into(), "ENDRPI-16".into()],
                outcome: Outcome::Failed("expected <1>".into()),
                frames: vec![Seen {
                    conn: "main".into(),
                    dir: Direction::Received,
                    text: "{\"a\":\"<b>\"}".into(),
                }],
            }],
            rules: vec![Rule {
                id: "ENDRPI-16".into(),
                text: "Envelope".into(),
                source: "real".into(),
            }],
            ..Report::default()
        };
        let html = report.html();
        assert!(
            html.contains(
                "<tr id=\"rule-ENDRPI-16\"><td class=\"id\">ENDRPI-16</td><td><span class=\"tag bad\">FAILED"
            ),
            "{html}"
        );
        assert!(html.contains("&lt;bad&gt;") && !html.contains("<bad>"), "{html}");
        assert!(html.contains("{&quot;a&quot;:&quot;&lt;b&gt;&quot;}"), "{html}");
        assert!(html.contains("<summary>endrpi "), "{html}");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "self-contained: {html}"
        );
    }
}
