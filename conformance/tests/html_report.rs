//! `--report html`: a run against a wrong Endrpi (errors as plain strings) in front of the in-process
//! simulator shows the failed rule, the failing step's error and a frame the checker received.

mod common;

use common::relay::{self, Upstream};
use understudy_conformance::report::RuleStatus;
use understudy_conformance::runner::{self, RunConfig};
use understudy_sim::{SimConfig, Simulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_rule_shows_in_the_html_with_its_error_and_the_frames_seen() {
    let sim = Simulator::start(SimConfig::for_tests(0)).await.unwrap();
    let device = sim.endpoints().iter().find(|e| e.name == "endrpi").unwrap().addr;
    let wrong = relay::spawn::<common::StringErrors>(Upstream::SamePath(device), None).await;
    let mut config = RunConfig::simulator();
    config.targets.insert("endrpi".into(), format!("ws://{wrong}/"));
    config.tags = Some("@ENDRPI-16 or @ENDRPI-19".into());
    let report = runner::run(config).await.unwrap();
    sim.shutdown().await;
    assert_eq!(
        report.rule_status("ENDRPI-16"),
        Some(RuleStatus::Failed),
        "{}",
        report.console()
    );
    assert_eq!(
        report.rule_status("ENDRPI-19"),
        Some(RuleStatus::Passed),
        "{}",
        report.console()
    );

    let html = report.html();
    assert!(
        html.contains("<td class=\"id\">ENDRPI-16</td><td><span class=\"tag bad\">FAILED"),
        "the failed rule: {html}"
    );
    assert!(
        html.contains("<td class=\"id\">ENDRPI-19</td><td><span class=\"tag ok\">passed"),
        "{html}"
    );
    assert!(
        html.contains("does not match schema endrpi/envelope"),
        "the step's error: {html}"
    );
    // The wrong reply as received: its error is a bare string.
    assert!(
        html.contains("&larr;&nbsp;received</td><td>main</td><td>{&quot;action&quot;:"),
        "a received frame: {html}"
    );
    assert!(
        html.contains("&quot;error&quot;:&quot;Received"),
        "the frame with the wrong error: {html}"
    );
    assert!(html.contains("sent&nbsp;&rarr;"), "a sent frame: {html}");
    assert!(
        !html.contains("<script") && !html.contains("<link"),
        "self-contained: {html}"
    );
}
