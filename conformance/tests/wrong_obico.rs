//! The suite must be able to fail for an Obico agent too: a relay between the simulated agent and the checker's
//! server moves one status `_ts` back, shifts `current_print_ts` in the middle of a print, and drops the
//! server's pause commands. The simulator runs on a virtual clock that the checker drives through its control
//! API; each fault must fail its scenario with its reason while the passthru rule still passes.

use serde_json::Value;
mod common;

use common::relay::{self, Faults, Upstream};
use understudy_conformance::runner::{self, RunConfig};
use understudy_conformance::steps::obico::ObicoFlags;
use understudy_sim::devices::obico::ObicoOptions;
use understudy_sim::serve::control::ControlConfig;
use understudy_sim::{SimConfig, Simulator};

const TOKEN: &str = "tok_wrong_agent_0123456789";

/// What the relay breaks on one socket. The agent is the relay's client: `to_device` sees its frames,
/// `to_checker` the server's.
#[derive(Default)]
struct AgentFaults {
    statuses: u32,
    print_ts: Option<i64>,
    frames_in_print: u32,
}

impl Faults for AgentFaults {
    fn to_device(&mut self, text: String) -> Vec<String> {
        let Ok(mut frame) = serde_json::from_str::<Value>(&text) else {
            return vec![text];
        };
        if frame["event"]["event_type"] == "PrintStarted" {
            self.print_ts = frame["current_print_ts"].as_i64();
        }
        if let Some(ts) = frame["status"]["_ts"].as_i64() {
            self.statuses += 1;
            // The third status of the socket goes 100 s back in time.
            if self.statuses == 3 {
                frame["status"]["_ts"] = Value::from(ts - 100);
            }
        }
        if let Some(print) = self.print_ts.filter(|p| frame["current_print_ts"].as_i64() == Some(*p)) {
            self.frames_in_print += 1;
            // From the third frame of the print on, another print id.
            if self.frames_in_print >= 3 {
                frame["current_print_ts"] = Value::from(print + 7);
            }
        }
        vec![frame.to_string()]
    }

    fn to_checker(&mut self, text: String) -> Vec<String> {
        if text.contains(r#""cmd": "pause""#) || text.contains(r#""cmd":"pause""#) {
            return Vec::new();
        }
        vec![text]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_whose_ts_goes_back_whose_print_id_changes_and_that_ignores_pause_fails_by_rule() {
    let checker = common::free_loopback_addr();
    let relay = relay::spawn::<AgentFaults>(Upstream::SamePath(checker), None).await;

    let mut sim_config = SimConfig::for_tests(0);
    sim_config.control = Some(ControlConfig::loopback(0));
    *sim_config.devices.get_mut::<ObicoOptions>() = ObicoOptions::single(&format!("http://{relay}"), TOKEN);
    sim_config.only = Some(vec!["obico".into()]);
    let sim = Simulator::start(sim_config).await.unwrap();

    let mut config = RunConfig::simulator();
    config.targets.insert("obico".into(), format!("listen://{checker}"));
    config.control = Some(sim.control_url().unwrap().to_string());
    config.options.get_mut::<ObicoFlags>().obico_token = TOKEN.into();
    config.tags = Some("@OBICO-38 or @OBICO-40 or @OBICO-41 or @OBICO-37".into());
    let report = runner::run(config).await.unwrap();
    println!("{}", report.console());

    common::expect_rules(&report, &["OBICO-37", "OBICO-38", "OBICO-40"], &["OBICO-41"]);
    common::expect_failure_reason(&report, "An idle agent's frames are well formed", "_ts went back from");
    common::expect_failure_reason(
        &report,
        "A print runs to its end under one current_print_ts",
        "current_print_ts changed mid-print from",
    );
    common::expect_failure_reason(
        &report,
        "The agent obeys the server's pause, resume and cancel",
        "no PrintPaused event within 5000 ms",
    );
    sim.shutdown().await;
}
