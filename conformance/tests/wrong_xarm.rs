//! The suite must be able to fail for the xArm too: a relay in front of a real-time simulator that sends the
//! first status report before the keys, drops the final answer of every completed motion and reports the TCP
//! 0.5 mm off the forward kinematics is checked as a physical arm (`--allow-motion`), and the rules it
//! breaks must be named while the rules it keeps still pass.

use std::collections::HashSet;

use serde_json::Value;
mod common;

use common::relay::{self, Faults, Upstream};
use understudy_conformance::runner::{self, RunConfig};
use understudy_sim::serve::xarm::XarmOptions;
use understudy_sim::{ClockMode, SimConfig, Simulator};

/// How far off the forward kinematics the relay reports the TCP (mm, along x).
const POSE_ERROR_MM: f64 = 0.5;

/// Rewrites what the arm sends: keys held back behind the first status report, completed motions' finals
/// dropped, the TCP pose shifted.
#[derive(Default)]
struct ArmFaults {
    held_keys: Option<String>,
    seen_status: bool,
    tcp_index: Option<usize>,
    accepted: HashSet<String>,
}

impl Faults for ArmFaults {
    /// The frames to pass on for one frame from the arm, in order.
    fn to_checker(&mut self, text: String) -> Vec<String> {
        let text = text.as_str();
        let Ok(mut value) = serde_json::from_str::<Value>(text) else {
            return vec![text.to_string()];
        };
        match (value["type"].as_str(), value["cmd"].as_str()) {
            (Some("report"), Some("devices_status_keys_report")) if !self.seen_status => {
                self.tcp_index = value["data"]
                    .as_array()
                    .and_then(|keys| keys.iter().position(|k| k == "xarm_tcp_pose"));
                self.held_keys = Some(text.to_string());
                Vec::new()
            }
            (Some("report"), Some("devices_status_report")) => {
                self.seen_status = true;
                if let Some(x) = value["data"]
                    .get_mut(self.tcp_index.unwrap_or(usize::MAX))
                    .and_then(|pose| pose.get_mut(0))
                {
                    *x = Value::from(x.as_f64().unwrap_or_default() + POSE_ERROR_MM);
                }
                let mut out = vec![value.to_string()];
                out.extend(self.held_keys.take());
                out
            }
            (Some("response"), _) => {
                let id = value["id"].to_string();
                match value["code"].as_i64() {
                    Some(100) => {
                        self.accepted.insert(id);
                        vec![text.to_string()]
                    }
                    Some(0) if self.accepted.remove(&id) => Vec::new(),
                    _ => vec![text.to_string()],
                }
            }
            _ => vec![text.to_string()],
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arm_with_keys_late_finals_lost_and_the_pose_off_fk_fails_by_name() {
    let mut sim_config = SimConfig::for_tests(0);
    sim_config.clock = ClockMode::Realtime { speed: 1.0 };
    sim_config.only = Some(vec!["xarm".into()]);
    // Fast reports: a wait for a lost final gives up after a fixed number of idle reports.
    sim_config.devices.get_mut::<XarmOptions>().report_hz = 50;
    let sim = Simulator::start(sim_config).await.unwrap();
    let arm = sim.endpoints().iter().find(|e| e.name == "xarm").unwrap().addr;
    let relay = relay::spawn::<ArmFaults>(Upstream::SamePath(arm), None).await;

    let mut config = RunConfig::simulator();
    config.targets.insert("xarm".into(), format!("ws://{relay}/ws"));
    config.allow_motion = true;
    config.tags = Some("@xarm".into());
    let report = runner::run(config).await.unwrap();
    println!("{}", report.console());

    // What the relay leaves alone still passes: the suite tells the broken rules from the kept ones.
    common::expect_rules(
        &report,
        &["XARM-2", "XARM-5", "XARM-10", "XARM-11"],
        &["XARM-1", "XARM-3", "XARM-6", "XARM-8", "XARM-23", "XARM-24", "XARM-25"],
    );
    // Each fault is caught with its reason.
    common::expect_failure_reason(&report, "The seed's 91 keys come first", "came before the keys report");
    common::expect_failure_reason(
        &report,
        "At rest the TCP pose is the forward kinematics",
        "from the forward kinematics",
    );
    common::expect_failure_reason(
        &report,
        "A motion answers 100 at once and its final code later",
        "no final answer to \"move-1\"",
    );
    common::expect_sim_only_skipped(&report);
    sim.shutdown().await;
}
