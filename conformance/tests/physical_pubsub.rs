//! Every pub/sub scenario not tagged `@sim-only` must run against a robot: the simulator, on a realtime clock
//! with its self-signed `wss://` certificate, is checked as a physical target (`--token`, `--insecure`,
//! `--allow-motion`) and must pass all of them.

use serde_json::json;
use understudy_conformance::report::{Outcome, RuleStatus};
use understudy_conformance::runner::{self, RunConfig};
use understudy_sim::clock::ClockMode;
use understudy_sim::{SimConfig, Simulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_as_a_physical_robot_passes_every_portable_scenario() {
    let mut sim_config = SimConfig::for_tests(0);
    sim_config.only = Some(vec!["pubsub".into()]);
    sim_config.clock = ClockMode::Realtime { speed: 1.0 };
    let sim = Simulator::start(sim_config).await.unwrap();
    let url = sim.url("pubsub").unwrap().to_string();
    assert!(url.starts_with("wss://"), "{url}");
    let token = sim.control("pubsub", "token", &json!({})).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();

    let mut config = RunConfig::simulator();
    config.targets.insert("pubsub".into(), url);
    config.token = Some(token);
    config.insecure_tls = true;
    // The simulated robot can move: run the @motion scenarios too.
    config.allow_motion = true;
    config.tags = Some("@pubsub".into());
    let report = runner::run(config).await.unwrap();
    println!("{}", report.console());

    let (passed, failed, _) = report.counts();
    assert_eq!(failed, 0);
    let portable = report
        .results
        .iter()
        .filter(|r| r.tags.iter().any(|t| t == "pubsub") && !r.tags.iter().any(|t| t == "sim-only"))
        .count();
    assert!(portable > 50, "{portable}");
    assert_eq!(passed, portable);
    assert!(
        report
            .results
            .iter()
            .filter(|r| r.tags.iter().any(|t| t == "pubsub") && r.tags.iter().any(|t| t == "sim-only"))
            .all(|r| matches!(&r.outcome, Outcome::Skipped(reason) if reason.contains("@sim-only")))
    );
    // Every pub/sub rule is checkable on a robot, but the simulator's own network faults (PUBSUB-32: they
    // need simulator control, so they are not checked there).
    let unchecked: Vec<String> = report
        .rule_statuses()
        .into_iter()
        .filter(|(id, status)| id.starts_with("PUBSUB-") && id != "PUBSUB-32" && *status != RuleStatus::Passed)
        .map(|(id, _)| id)
        .collect();
    assert!(unchecked.is_empty(), "not passed on a robot: {unchecked:?}");
    sim.shutdown().await;
}
