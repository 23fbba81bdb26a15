//! A simulator started on its own (as by hand: every device on its own ports, its control API on loopback,
//! its Obico agent dialling the checker's listening target) and checked through its sockets and control API
//! only, reset before each scenario: every scenario that passes against in-process simulators passes against
//! it, except those that need the in-process simulator itself (its model choice, certificates, transcript),
//! which are skipped with that reason.

use std::collections::BTreeMap;
use std::time::Duration;

use understudy_conformance::report::{Outcome, Report};
use understudy_conformance::runner::{self, RunConfig};
use understudy_conformance::steps::esp3d::Esp3dFlags;
use understudy_conformance::steps::obico::ObicoFlags;
use understudy_sim::devices::obico::ObicoOptions;
use understudy_sim::serve::control::ControlConfig;
use understudy_sim::{SimConfig, Simulator};

mod common;

const TOKEN: &str = "hand-started-obico-token";

/// The skip reason of a step that needs the in-process simulator itself.
const IN_PROCESS_ONLY: &str = "needs the in-process simulator";

/// Each scenario's outcome, by feature and scenario.
fn outcomes(report: &Report) -> BTreeMap<(String, String), Outcome> {
    report
        .results
        .iter()
        .map(|r| ((r.feature.clone(), r.scenario.clone()), r.outcome.clone()))
        .collect()
}

/// A simulator started apart (its Obico agent dialling `listen`), and a run of every protocol against it
/// through its sockets and its control API.
async fn hand_started() -> (Simulator, RunConfig) {
    let listen = common::free_loopback_addr();
    let mut sim_config = SimConfig::for_tests(0);
    sim_config.control = Some(ControlConfig::loopback(0));
    *sim_config.devices.get_mut::<ObicoOptions>() = ObicoOptions::single(&format!("http://{listen}"), TOKEN);
    // The checker finds an xArm controller's report ports at its host's fixed ports: on an address of its own
    // (one per simulator, as the tests here run at once), the simulator serves them there.
    static NEXT_HOST: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(3);
    let host = NEXT_HOST.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    sim_config.bind = std::net::IpAddr::from([127, 0, 0, host]);
    for (name, port) in [
        ("xarm-report-rt", 30000),
        ("xarm-report-normal", 30001),
        ("xarm-report-rich", 30002),
        ("xarm-report-real", 30003),
    ] {
        sim_config.ports.insert(name.into(), port);
    }
    let sim = Simulator::start(sim_config).await.unwrap();
    let url = |name: &str| sim.url(name).unwrap().to_string();

    let mut config = RunConfig::simulator();
    for protocol in ["endrpi", "xarm", "xarm-tcp", "pubsub"] {
        config.targets.insert(protocol.into(), url(protocol));
    }
    let esp3d_http = url("esp3d").replacen("ws://", "http://", 1);
    config.targets.insert("esp3d".into(), esp3d_http);
    *config.options.get_mut::<Esp3dFlags>() = Esp3dFlags {
        esp3d_terminal: Some(url("esp3d-terminal")),
        esp3d_data: Some(url("esp3d-data")),
    };
    config.targets.insert("obico".into(), format!("listen://{listen}"));
    config.options.get_mut::<ObicoFlags>().obico_token = TOKEN.into();
    config.control = sim.control_url().map(str::to_string);
    // The arm and the robot are simulated: their motion scenarios move nothing real.
    config.allow_motion = true;
    // The robot's certificate is self-signed, made at start: nothing to trust it by but the simulator's file.
    config.insecure_tls = true;
    config.accept_wait = Duration::from_secs(10);
    (sim, config)
}

/// Runs `config`, bounded.
async fn run(config: RunConfig) -> Report {
    tokio::time::timeout(Duration::from_secs(900), runner::run(config))
        .await
        .expect("the run ends in time")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulator_another_session_left_behind_is_reset_before_each_scenario_unless_told_not_to() {
    for reset in [true, false] {
        let (sim, mut config) = hand_started().await;
        // What a previous session left: a day of device time.
        sim.clock().advance(86_400_000).unwrap();
        config.reset = reset;
        config.tags = Some("@ENDRPI-21 and @sim-only".into());
        let report = run(config).await;
        sim.shutdown().await;
        let (passed, failed, _) = report.counts();
        match reset {
            true => assert_eq!((passed, failed), (1, 0), "{}", report.console()),
            false => assert_eq!((passed, failed), (0, 1), "{}", report.console()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_suite_passes_against_a_hand_started_simulator_reset_before_each_scenario() {
    let in_process = runner::run(RunConfig::simulator()).await.unwrap();
    let (sim, config) = hand_started().await;
    let hand_started = run(config).await;
    sim.shutdown().await;
    println!("{}", hand_started.console());

    let expected = outcomes(&in_process);
    let got = outcomes(&hand_started);
    let mut differ = Vec::new();
    let mut in_process_only = 0;
    for (scenario, outcome) in &expected {
        match (outcome, got.get(scenario)) {
            (Outcome::Passed, Some(Outcome::Passed)) => {}
            (Outcome::Passed, Some(Outcome::Skipped(reason))) if reason.contains(IN_PROCESS_ONLY) => {
                in_process_only += 1;
            }
            (Outcome::Skipped(_), Some(Outcome::Skipped(_))) => {}
            (expected, got) => differ.push(format!("{scenario:?}: in process {expected:?}, hand-started {got:?}")),
        }
    }
    assert!(
        differ.is_empty(),
        "{} scenario(s) differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
    let (passed, failed, _) = hand_started.counts();
    let (passed_in_process, ..) = in_process.counts();
    assert_eq!(failed, 0);
    assert_eq!(passed + in_process_only, passed_in_process);
    println!("passed: {passed} hand-started + {in_process_only} in-process only = {passed_in_process} in process");
    assert!(
        hand_started
            .notes
            .iter()
            .any(|n| n.contains("reset before each scenario")),
        "{:?}",
        hand_started.notes
    );
}
