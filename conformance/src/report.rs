//! The verdicts of one run: per scenario (passed, failed with the reason, skipped with the reason) and per
//! rule, printed for people, written as JUnit XML for CI, and closed by `conformance: N passed, N failed`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::frames::Seen;
use crate::rules::{Rule, is_rule_id};

mod html;

/// How one scenario ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// The failing step and why.
    Failed(String),
    /// Not run against this target, and why.
    Skipped(String),
}

/// One scenario's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioResult {
    pub feature: String,
    pub scenario: String,
    /// Tags of the feature and the scenario, without `@`.
    pub tags: Vec<String>,
    pub outcome: Outcome,
    /// The last frames its connections sent and received (kept for failed scenarios only).
    pub frames: Vec<Seen>,
}

/// A rule's verdict: from every scenario tagged with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleStatus {
    Passed,
    Failed,
    NotChecked,
}

/// The results of one run and the rules they are judged against.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub results: Vec<ScenarioResult>,
    pub rules: Vec<Rule>,
    /// Lines said once at the top of the report (e.g. "certificate checking relaxed").
    pub notes: Vec<String>,
    /// One line per target that could not be reached at all (its scenarios failed without running).
    pub unreachable: Vec<String>,
}

impl Report {
    /// (passed, failed, skipped) scenario counts.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for result in &self.results {
            match result.outcome {
                Outcome::Passed => counts.0 += 1,
                Outcome::Failed(_) => counts.1 += 1,
                Outcome::Skipped(_) => counts.2 += 1,
            }
        }
        counts
    }

    /// Whether no scenario ran at all (every one skipped, or none selected).
    pub fn nothing_ran(&self) -> bool {
        let (passed, failed, _) = self.counts();
        passed + failed == 0
    }

    /// Whether any scenario failed.
    pub fn has_failures(&self) -> bool {
        self.counts().1 > 0
    }

    /// Every rule with its status, in table order, plus rule tags that no table lists.
    pub fn rule_statuses(&self) -> Vec<(String, RuleStatus)> {
        let mut statuses: BTreeMap<&str, RuleStatus> = BTreeMap::new();
        for result in &self.results {
            for tag in result.tags.iter().filter(|t| is_rule_id(t)) {
                let entry = statuses.entry(tag.as_str()).or_insert(RuleStatus::NotChecked);
                match (&result.outcome, &*entry) {
                    (Outcome::Failed(_), _) => *entry = RuleStatus::Failed,
                    (Outcome::Passed, RuleStatus::NotChecked) => *entry = RuleStatus::Passed,
                    _ => {}
                }
            }
        }
        let mut ordered: Vec<(String, RuleStatus)> = self
            .rules
            .iter()
            .map(|rule| {
                (
                    rule.id.clone(),
                    statuses.remove(rule.id.as_str()).unwrap_or(RuleStatus::NotChecked),
                )
            })
            .collect();
        ordered.extend(statuses.into_iter().map(|(id, status)| (id.to_string(), status)));
        ordered
    }

    /// The status of one rule, if any scenario or table names it.
    pub fn rule_status(&self, id: &str) -> Option<RuleStatus> {
        self.rule_statuses()
            .into_iter()
            .find(|(rule, _)| rule == id)
            .map(|(_, status)| status)
    }

    /// The ids of the rules that failed.
    pub fn failed_rules(&self) -> Vec<String> {
        self.rule_statuses()
            .into_iter()
            .filter(|(_, s)| *s == RuleStatus::Failed)
            .map(|(id, _)| id)
            .collect()
    }

    /// The last line: `conformance: N passed, N failed` (and `, N skipped` when some were).
    pub fn closing_line(&self) -> String {
        let (passed, failed, skipped) = self.counts();
        if skipped > 0 {
            format!("conformance: {passed} passed, {failed} failed, {skipped} skipped")
        } else {
            format!("conformance: {passed} passed, {failed} failed")
        }
    }

    /// The report a person reads: notes, failures, skips with reasons, the rules table, the closing line.
    pub fn console(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "\n== Conformance report");
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        for line in &self.unreachable {
            let _ = writeln!(out, "UNREACHABLE: {line}");
        }
        let failed: Vec<&ScenarioResult> = self
            .results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
            .collect();
        if !failed.is_empty() {
            let _ = writeln!(out, "\nFailed scenarios:");
            for result in failed {
                if let Outcome::Failed(reason) = &result.outcome {
                    let _ = writeln!(
                        out,
                        "  FAIL {} / {}\n       {}",
                        result.feature,
                        result.scenario,
                        indent(reason)
                    );
                }
            }
        }
        let skipped: Vec<&ScenarioResult> = self
            .results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Skipped(_)))
            .collect();
        if !skipped.is_empty() {
            let _ = writeln!(out, "\nSkipped scenarios:");
            for result in skipped {
                if let Outcome::Skipped(reason) = &result.outcome {
                    let _ = writeln!(out, "  skip {} / {}: {}", result.feature, result.scenario, reason);
                }
            }
        }
        let _ = writeln!(out, "\nRules:");
        for (id, status) in self.rule_statuses() {
            let text = self
                .rules
                .iter()
                .find(|r| r.id == id)
                .map_or("(not in any RULES.md)", |r| r.text.as_str());
            let mark = match status {
                RuleStatus::Passed => "passed     ",
                RuleStatus::Failed => "FAILED     ",
                RuleStatus::NotChecked => "not checked",
            };
            let _ = writeln!(out, "  {mark} {id:<12} {}", truncate(text, 90));
        }
        let _ = writeln!(out, "\n{}", self.closing_line());
        out
    }

    /// JUnit XML: one test suite per feature, one test case per scenario.
    pub fn junit(&self) -> String {
        let mut features: BTreeMap<&str, Vec<&ScenarioResult>> = BTreeMap::new();
        for result in &self.results {
            features.entry(result.feature.as_str()).or_default().push(result);
        }
        let (_, failed, skipped) = self.counts();
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            xml,
            "<testsuites name=\"understudy-conformance\" tests=\"{}\" failures=\"{failed}\" skipped=\"{skipped}\">",
            self.results.len()
        );
        for (feature, results) in features {
            let failures = results
                .iter()
                .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
                .count();
            let skips = results
                .iter()
                .filter(|r| matches!(r.outcome, Outcome::Skipped(_)))
                .count();
            let _ = writeln!(
                xml,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skips}\">",
                escape(feature),
                results.len()
            );
            for result in results {
                let _ = write!(
                    xml,
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    escape(feature),
                    escape(&result.scenario)
                );
                match &result.outcome {
                    Outcome::Passed => xml.push_str("/>\n"),
                    Outcome::Failed(reason) => {
                        let _ = writeln!(
                            xml,
                            ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                            escape(first_line(reason)),
                            escape(reason)
                        );
                    }
                    Outcome::Skipped(reason) => {
                        let _ = writeln!(
                            xml,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            escape(reason)
                        );
                    }
                }
            }
            xml.push_str("  </testsuite>\n");
        }
        xml.push_str("</testsuites>\n");
        xml
    }
}

fn indent(text: &str) -> String {
    text.replace('\n', "\n       ")
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

/// `text` with XML's (and HTML's) special characters escaped.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => format!("&#{};", c as u32),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(scenario: &str, tags: &[&str], outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            feature: "Pins".into(),
            scenario: scenario.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            outcome,
            frames: Vec::new(),
        }
    }

    fn rule(id: &str) -> Rule {
        Rule {
            id: id.into(),
            text: format!("rule {id}"),
            source: "real".into(),
        }
    }

    #[test]
    fn a_rule_fails_if_any_of_its_scenarios_fails() {
        let report = Report {
            results: vec![
                result("a", &["endrpi", "ENDRPI-1"], Outcome::Passed),
                result("b", &["endrpi", "ENDRPI-1", "ENDRPI-2"], Outcome::Failed("boom".into())),
                result("c", &["endrpi", "ENDRPI-3"], Outcome::Skipped("no target".into())),
            ],
            rules: vec![rule("ENDRPI-1"), rule("ENDRPI-2"), rule("ENDRPI-3"), rule("ENDRPI-4")],
            notes: vec![],
            unreachable: vec!["the endrpi target ws://127.0.0.1:1/ cannot be reached".into()],
        };
        assert_eq!(
            report.rule_statuses(),
            vec![
                ("ENDRPI-1".to_string(), RuleStatus::Failed),
                ("ENDRPI-2".to_string(), RuleStatus::Failed),
                ("ENDRPI-3".to_string(), RuleStatus::NotChecked),
                ("ENDRPI-4".to_string(), RuleStatus::NotChecked),
            ]
        );
        assert_eq!(report.failed_rules(), ["ENDRPI-1", "ENDRPI-2"]);
        assert_eq!(report.closing_line(), "conformance: 1 passed, 1 failed, 1 skipped");
        let console = report.console();
        assert!(console.contains("FAIL Pins / b"), "{console}");
        assert!(console.contains("skip Pins / c: no target"), "{console}");
        let unreachable = console
            .find("UNREACHABLE: the endrpi target")
            .expect("the unreachable line");
        assert!(unreachable < console.find("FAIL Pins / b").unwrap_or(0), "{console}");
        assert!(!report.nothing_ran());
        assert!(Report::default().nothing_ran());
        assert!(console.ends_with("conformance: 1 passed, 1 failed, 1 skipped\n"));
    }

    #[test]
    fn junit_escapes_and_counts() {
        let report = Report {
            results: vec![
                result("ok <1>", &[], Outcome::Passed),
                result("bad", &[], Outcome::Failed("expected \"a\" & got b".into())),
            ],
            ..Report::default()
        };
        let xml = report.junit();
        assert!(xml.contains("tests=\"2\" failures=\"1\" skipped=\"0\""), "{xml}");
        assert!(xml.contains("name=\"ok &lt;1&gt;\"/>"), "{xml}");
        assert!(
            xml.contains("<failure message=\"expected &quot;a&quot; &amp; got b\">"),
            "{xml}"
        );
        assert_eq!(report.closing_line(), "conformance: 1 passed, 1 failed");
    }
}
