//! The suite must be able to fail: an Endrpi built from the seed document alone (error as a plain string, the
//! seed's `GET_TEMPERATURE` accepted) is checked as a physical target, and the rules it breaks must be named.

use std::collections::VecDeque;

use serde_json::Value;
mod common;

use common::relay::{self, Faults, Upstream};
use understudy_conformance::runner::{self, RunConfig};
use understudy_sim::{SimConfig, Simulator};

/// Answers as the seed document says a device does: the seed's request name accepted, errors as strings.
#[derive(Default)]
struct SeedFaithful {
    /// Whether each request in flight asked for the seed's `GET_TEMPERATURE`.
    asked_get: VecDeque<bool>,
}

impl Faults for SeedFaithful {
    fn to_device(&mut self, request: String) -> Vec<String> {
        self.asked_get.push_back(request.contains("\"GET_TEMPERATURE\""));
        vec![request.replace("\"GET_TEMPERATURE\"", "\"READ_TEMPERATURE\"")]
    }

    fn to_checker(&mut self, reply: String) -> Vec<String> {
        let asked_get = self.asked_get.pop_front().unwrap_or(false);
        let mut reply: Value = serde_json::from_str(&reply).unwrap_or(Value::Null);
        if let Some(message) = reply["error"]["message"].as_str().map(str::to_string) {
            reply["error"] = Value::String(message);
        }
        if asked_get {
            reply["action"] = Value::String("GET_TEMPERATURE".into());
        }
        vec![reply.to_string()]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_follows_the_seed_instead_of_the_real_server_fails_by_name() {
    let sim = Simulator::start(SimConfig::for_tests(0)).await.unwrap();
    let device = sim.endpoints().iter().find(|e| e.name == "endrpi").unwrap().addr;
    let wrong = relay::spawn::<SeedFaithful>(Upstream::SamePath(device), None).await;
    let mut config = RunConfig::simulator();
    config.targets.insert("endrpi".into(), format!("ws://{wrong}/"));
    config.tags = Some("not @pi-hardware".into());
    let report = runner::run(config).await.unwrap();
    println!("{}", report.console());

    common::expect_rules(
        &report,
        &["ENDRPI-16", "ENDRPI-17", "ENDRPI-18"],
        &["ENDRPI-21", "ENDRPI-22"],
    );
    // The seed's own example is caught with the reason in the report.
    common::expect_failure_reason(&report, "the seed's example name", "GET_TEMPERATURE");
    common::expect_sim_only_skipped(&report);
    sim.shutdown().await;
}
