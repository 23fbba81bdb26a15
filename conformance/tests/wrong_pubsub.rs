//! The suite must be able to fail for pub/sub: a relay in front of the simulator that lets any token in (101
//! instead of 401) and swallows the `published` acks is checked as a physical `wss://` target with a
//! self-signed certificate (`--insecure`), and the rules it breaks must be named.

use serde_json::{Value, json};
mod common;

use common::relay::{self, Faults, Upstream};
use understudy_conformance::runner::{self, RunConfig};
use understudy_sim::serve::pubsub::{PubsubOptions, PubsubTls};
use understudy_sim::serve::tls;
use understudy_sim::{SimConfig, Simulator};

/// Swallows the server's `published` acks.
#[derive(Default)]
struct AcksDropped;

impl Faults for AcksDropped {
    fn to_checker(&mut self, text: String) -> Vec<String> {
        let reply: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if reply["action"] == "published" {
            Vec::new()
        } else {
            vec![text]
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_robot_that_lets_bad_tokens_in_and_drops_acks_fails_by_name() {
    let mut sim_config = SimConfig::for_tests(0);
    sim_config.only = Some(vec!["pubsub".into()]);
    sim_config.devices.get_mut::<PubsubOptions>().tls = PubsubTls::Plain;
    let sim = Simulator::start(sim_config).await.unwrap();
    let token = sim.control("pubsub", "token", &json!({})).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    // Every WebSocket, whatever its path and token, goes to the robot with a valid token (`wss://`, a
    // self-signed certificate).
    let robot = sim.endpoints().iter().find(|e| e.name == "pubsub").unwrap().addr;
    let upstream = Upstream::Fixed(format!("{}?token={token}", sim.url("pubsub").unwrap()), robot);
    let made = tls::self_signed(&["localhost", "127.0.0.1"]).unwrap();
    let relay = relay::spawn::<AcksDropped>(upstream, Some(tokio_rustls::TlsAcceptor::from(made.config))).await;
    let wrong = format!("wss://{relay}/wss");

    let mut config = RunConfig::simulator();
    config.targets.insert("pubsub".into(), wrong);
    config.token = Some(token.clone());
    config.insecure_tls = true;
    config.tags = Some("@PUBSUB-11 or @PUBSUB-15 or @PUBSUB-16 or @PUBSUB-18 or @PUBSUB-21 or @PUBSUB-29".into());
    let report = runner::run(config).await.unwrap();
    let console = report.console();
    println!("{console}");

    // What the relay gets right still passes: server-only topics, and TLS checked with --insecure.
    common::expect_rules(
        &report,
        &["PUBSUB-11", "PUBSUB-15", "PUBSUB-16", "PUBSUB-18"],
        &["PUBSUB-21", "PUBSUB-29"],
    );
    // A bad token let in is caught with the status in the reason.
    common::expect_failure_reason(&report, "alg none is refused", "HTTP 101 (expected 401)");
    // Physical targets never run simulator-only scenarios, the report says certificates were not checked,
    // and the token never shows.
    common::expect_sim_only_skipped(&report);
    assert!(console.contains("--insecure"), "{console}");
    assert!(!console.contains(&token) && !report.junit().contains(&token));
    assert!(report.has_failures());
    sim.shutdown().await;
}
