//! A listening target: the checker binds an address and each scenario takes the next device that dials in.
//! A plain WebSocket client plays a device that connects out: it dials the checker again and again and relays
//! each connection to the simulator's Endrpi, and every selected Endrpi scenario must pass over it.

use std::time::Duration;

use understudy_conformance::report::Outcome;
use understudy_conformance::runner::{self, RunConfig};
use understudy_sim::{SimConfig, Simulator};
mod common;

use common::relay::{self, Faithful};

/// Dials `checker` until the test ends, relaying each connection to the Endrpi at `device`.
async fn dial_in(checker: String, device: String) {
    loop {
        let Ok((to_checker, _)) = tokio_tungstenite::connect_async(checker.as_str()).await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let Ok((to_device, _)) = tokio_tungstenite::connect_async(device.as_str()).await else {
            return;
        };
        tokio::spawn(relay::pump(to_checker, to_device, Faithful));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_dials_the_checker_is_checked_on_its_own_connection() {
    let sim = Simulator::start(SimConfig::for_tests(0)).await.unwrap();
    let listen = common::free_loopback_addr().to_string();
    let dialer = tokio::spawn(dial_in(
        format!("ws://{listen}/"),
        sim.url("endrpi").unwrap().to_string(),
    ));

    let mut config = RunConfig::simulator();
    config.targets.insert("endrpi".into(), format!("listen://{listen}"));
    config.accept_wait = Duration::from_secs(5);
    config.tags = Some("@ENDRPI-16 and not @sim-only and not @pi-hardware".into());
    let report = tokio::time::timeout(Duration::from_secs(120), runner::run(config))
        .await
        .expect("the run ends in time")
        .unwrap();
    println!("{}", report.console());
    dialer.abort();

    let (passed, failed, _) = report.counts();
    assert_eq!(failed, 0);
    assert!(passed >= 5, "{passed} scenarios passed");
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains(&format!("endrpi listening on {listen}")))
    );
    assert!(
        report
            .results
            .iter()
            .filter(|r| r.tags.iter().any(|t| t == "sim-only"))
            .all(|r| matches!(&r.outcome, Outcome::Skipped(_)))
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_never_dials_fails_its_scenario_within_the_wait() {
    let mut config = RunConfig::simulator();
    config
        .targets
        .insert("endrpi".into(), format!("listen://{}", common::free_loopback_addr()));
    config.accept_wait = Duration::from_millis(300);
    config.tags = Some("@ENDRPI-15 and not @sim-only".into());
    let started = std::time::Instant::now();
    let report = runner::run(config).await.unwrap();
    let (passed, failed, _) = report.counts();
    assert_eq!(passed, 0);
    assert!(failed >= 1);
    common::expect_failure_reason(
        &report,
        "Nothing arrives without a request",
        "no endrpi device connected",
    );
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
}
