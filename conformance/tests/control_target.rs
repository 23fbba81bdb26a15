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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_faults_are_added_through_the_control_api_and_removed_after_each_scenario() {
    let mut sim_config = SimConfig::for_tests(0);
    sim_config.control = Some(ControlConfig::loopback(0));
    let sim = Simulator::start(sim_config).await.unwrap();
    let config = endrpi_through_control(&sim, "@ENDRPI-35");
    let report = runner::run(config).await.unwrap();
    println!("{}", report.console());
    let (passed, failed, _) = report.counts();
    assert_eq!((passed, failed), (4, 0));
    assert!(sim.faults().list().is_empty(), "every scenario took its faults away");
    sim.shutdown().await;
}

/// A scenario that moves the clock of a simulator whose control API requires a bearer token.
async fn uptime_against_a_token_protected_control_api(token: Option<&str>) -> understudy_conformance::report::Report {
    let mut sim_config = SimConfig::for_tests(0);
    let mut control = ControlConfig::loopback(0);
    control.token = Some("s3cret-control".into());
    sim_config.control = Some(control);
    let sim = Simulator::start(sim_config).await.unwrap();
    let mut config = endrpi_through_control(&sim, "@sim-only and @ENDRPI-21");
    config.control_token = token.map(str::to_string);
    let report = runner::run(config).await.unwrap();
    sim.shutdown().await;
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_token_is_sent_when_the_simulator_requires_one() {
    let with_token = uptime_against_a_token_protected_control_api(Some("s3cret-control")).await;
    let (passed, failed, _) = with_token.counts();
    assert!(passed > 0 && failed == 0, "{}", with_token.console());

    let without = uptime_against_a_token_protected_control_api(None).await;
    let (passed, failed, _) = without.counts();
    assert_eq!(passed, 0, "{}", without.console());
    assert!(failed > 0, "{}", without.console());
    assert!(without.console().contains("401"), "{}", without.console());
    assert!(
        !with_token.console().contains("s3cret-control"),
        "the token never shows in a report"
    );
}

/// A run of the scenarios tagged `tags` against `sim`'s Endrpi, reaching the simulator through its control API.
fn endrpi_through_control(sim: &Simulator, tags: &str) -> RunConfig {
    let mut config = RunConfig::simulator();
    config
        .targets
        .insert("endrpi".into(), sim.url("endrpi").unwrap().to_string());
    config.control = Some(sim.control_url().unwrap().to_string());
    config.tags = Some(tags.into());
    config
}
