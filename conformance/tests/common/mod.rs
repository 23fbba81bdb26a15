//! Checks shared by the tests that run the suite against a deliberately wrong device (the rules it breaks fail
//! by name, the rules it keeps pass, simulator-only scenarios never run), and the snapshot tests' insta settings.

#![allow(dead_code)]

pub mod relay;

use understudy_conformance::report::{Outcome, Report, RuleStatus};
use understudy_conformance::steps::Protocol;

/// insta settings writing under `snapshots/<protocol>/` with the protocol's own redactions (the ones a replay
/// applies too).
pub fn snapshot_settings(protocol: &Protocol) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(format!("../../snapshots/{}", protocol.name));
    settings.set_prepend_module_to_snapshot(false);
    for (selector, placeholder) in protocol.redactions {
        settings.add_redaction(selector, *placeholder);
    }
    settings
}

/// A loopback address whose port was free when asked (for a listening target the test's device dials).
pub fn free_loopback_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
}

/// Every rule in `failing` failed and every rule in `passing` passed.
pub fn expect_rules(report: &Report, failing: &[&str], passing: &[&str]) {
    for rule in failing {
        assert_eq!(report.rule_status(rule), Some(RuleStatus::Failed), "{rule} should fail");
    }
    for rule in passing {
        assert_eq!(report.rule_status(rule), Some(RuleStatus::Passed), "{rule} should pass");
    }
    assert!(report.has_failures());
}

/// The scenario whose name starts with `scenario` failed, and its reason contains `words`.
pub fn expect_failure_reason(report: &Report, scenario: &str, words: &str) {
    let result = report
        .results
        .iter()
        .find(|r| r.scenario.starts_with(scenario))
        .unwrap_or_else(|| panic!("the scenario {scenario:?} did not run"));
    match &result.outcome {
        Outcome::Failed(reason) => assert!(reason.contains(words), "{scenario}: {reason}"),
        other => panic!("{scenario} should fail, it {other:?}"),
    }
}

/// Physical targets never run simulator-only scenarios.
pub fn expect_sim_only_skipped(report: &Report) {
    let ran: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.tags.iter().any(|t| t == "sim-only") && !matches!(r.outcome, Outcome::Skipped(_)))
        .map(|r| r.scenario.as_str())
        .collect();
    assert!(
        ran.is_empty(),
        "sim-only scenarios ran against a physical target: {ran:?}"
    );
}

/// An Endrpi that writes its errors as the seed's table says (`"error": "<message>"`, a string) instead of the
/// real server's `{"message": ...}`: it breaks ENDRPI-16 and keeps the rules about successful reads.
#[derive(Default)]
pub struct StringErrors;

impl relay::Faults for StringErrors {
    fn to_checker(&mut self, reply: String) -> Vec<String> {
        let mut reply: serde_json::Value = serde_json::from_str(&reply).unwrap_or(serde_json::Value::Null);
        if let Some(message) = reply["error"]["message"].as_str().map(str::to_string) {
            reply["error"] = serde_json::Value::String(message);
        }
        vec![reply.to_string()]
    }
}
