//! A simulator in another process, driven through its control API: `@sim-only` scenarios run against it (the
//! checker reaches it only over its sockets and the control API's HTTP), and a step that needs the in-process
//! simulator itself is skipped with the reason.

use understudy_conformance::report::Outcome;
use understudy_conformance::runner::{self, RunConfig};
use understudy_sim::serve::control::ControlConfig;
use understudy_sim::{SimConfig, Simulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_only_scenarios_run_through_the_control_api() {
    let mut sim_config = SimConfig::for_tests(0);
    sim_config.control = Some(ControlConfig::loopback(0));
    let sim = Simulator::start(sim_config).await.unwrap();
    let control = sim.control_url().unwrap().to_string();

    let mut config = RunConfig::simulator();
    config
        .targets
        .insert("endrpi".into(), sim.url("endrpi").unwrap().to_string());
    config
        .targets
        .insert("xarm".into(), sim.url("xarm").unwrap().to_string());
    config.control = Some(control);
    // The uptime scenario moves the virtual clock; the hot SoC forces a reading; the model choice needs a
    // fresh in-process simulator.
    config.tags = Some("@sim-only and (@ENDRPI-21 or @ENDRPI-19 or @XARM-13)".into());
    let report = runner::run(config).await.unwrap();
    println!("{}", report.console());

    let passed: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.outcome == Outcome::Passed)
        .map(|r| r.scenario.as_str())
        .collect();
    assert!(
        passed.iter().any(|s| s.starts_with("The simulated Pi's uptime")),
        "{passed:?}"
    );
    assert!(passed.iter().any(|s| s.starts_with("A hot SoC")), "{passed:?}");
    let (_, failed, _) = report.counts();
    assert_eq!(failed, 0);
    let model_skips: Vec<&Outcome> = report
        .results
        .iter()
        .filter(|r| r.tags.iter().any(|t| t == "XARM-13") && r.tags.iter().any(|t| t == "sim-only"))
        .map(|r| &r.outcome)
        .collect();
    assert!(!model_skips.is_empty());
    assert!(
        model_skips
            .iter()
            .all(|o| matches!(o, Outcome::Skipped(reason) if reason.contains("needs the in-process simulator"))),
        "{model_skips:?}"
    );
    sim.shutdown().await;
}
