//! `--targets FILE`: two simulators started apart, each on a loopback address of its own, listed in a fleet
//! map; one is reached through a wrong Endrpi. The good one passes, the wrong one fails ENDRPI-16 by name, and
//! the summary says which device fails which rule.

mod common;

use std::net::IpAddr;

use common::relay::{self, Upstream};
use serde_json::json;
use understudy_conformance::fleet;
use understudy_conformance::report::RuleStatus;
use understudy_conformance::runner::RunConfig;
use understudy_sim::{SimConfig, Simulator};

async fn endrpi_on(host: u8) -> Simulator {
    let mut config = SimConfig::for_tests(0);
    config.bind = IpAddr::from([127, 0, 0, host]);
    config.only = Some(vec!["endrpi".into()]);
    Simulator::start(config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_device_of_a_fleet_map_is_checked_and_the_summary_names_the_failing_device_and_rule() {
    let (good, bad) = (endrpi_on(41).await, endrpi_on(42).await);
    let bad_addr = bad.endpoints().iter().find(|e| e.name == "endrpi").unwrap().addr;
    let wrong = relay::spawn::<common::StringErrors>(Upstream::SamePath(bad_addr), None).await;
    let map = json!({"devices": [
        {"kind": "endrpi", "index": 0, "label": "endrpi-0", "urls": {"endrpi": good.url("endrpi").unwrap()}},
        {"kind": "endrpi", "index": 1, "label": "endrpi-1", "urls": {"endrpi": format!("ws://{wrong}/")}},
    ]});
    let devices = fleet::parse(&map.to_string()).unwrap();
    assert!(
        devices[0].targets["endrpi"].starts_with("ws://127.0.0.41:"),
        "{devices:?}"
    );

    let mut base = RunConfig::simulator();
    base.tags = Some("@ENDRPI-16 or @ENDRPI-19".into());
    let report = fleet::run(&base, &devices, 2, false).await;
    good.shutdown().await;
    bad.shutdown().await;
    let console = report.console();
    let reports: Vec<_> = report.reports().collect();
    assert_eq!(reports.len(), 2, "{console}");
    let (good_report, bad_report) = (reports[0].1, reports[1].1);
    assert_eq!(reports[0].0, "endrpi-0");
    assert!(!good_report.has_failures() && !good_report.nothing_ran(), "{console}");
    assert_eq!(
        bad_report.rule_status("ENDRPI-16"),
        Some(RuleStatus::Failed),
        "{console}"
    );
    assert_eq!(
        bad_report.rule_status("ENDRPI-19"),
        Some(RuleStatus::Passed),
        "{console}"
    );
    assert!(report.has_failures());
    assert!(
        console.contains("\n  ENDRPI-16    endrpi-1\n"),
        "which device fails which rule: {console}"
    );
    assert!(console.contains("  endrpi-1  FAILED"), "{console}");
    assert!(console.contains("  endrpi-0  passed"), "{console}");
    let (passed, failed, skipped) = good_report.counts();
    let (bad_passed, bad_failed, bad_skipped) = bad_report.counts();
    let closing = format!(
        "conformance: {} passed, {} failed, {} skipped\n",
        passed + bad_passed,
        failed + bad_failed,
        skipped + bad_skipped
    );
    assert!(console.ends_with(&closing), "{console}");
}
