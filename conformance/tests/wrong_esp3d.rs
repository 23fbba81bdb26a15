//! The suite must be able to fail for ESP3D too: relays in front of a real-time simulator that keep each
//! terminal client's `activeID:` to its own connect (ids not broadcast), send the printer's stream as text
//! frames, and acknowledge every upload packet with the next id, are checked as a physical board; the rules
//! they break must fail by name while the rules they keep still pass.

mod common;

use common::relay::{self, Faithful, Faults, Upstream};
use tokio_tungstenite::tungstenite::Message;
use understudy_conformance::runner::{self, RunConfig};
use understudy_conformance::steps::esp3d::Esp3dFlags;
use understudy_sim::{ClockMode, SimConfig, Simulator};

/// A terminal that tells a client only its own active id and streams as text.
#[derive(Default)]
struct TerminalFaults {
    told_active: bool,
}

impl Faults for TerminalFaults {
    fn to_checker(&mut self, text: String) -> Vec<String> {
        if text.starts_with("activeID:") {
            if self.told_active {
                return Vec::new();
            }
            self.told_active = true;
        }
        vec![text]
    }

    fn binary_to_checker(&mut self, bytes: Vec<u8>) -> Vec<Message> {
        vec![Message::text(String::from_utf8_lossy(&bytes).into_owned())]
    }
}

/// A data socket whose upload acknowledgements name the next packet, not the one received.
#[derive(Default)]
struct AckFaults;

impl Faults for AckFaults {
    fn binary_to_checker(&mut self, mut bytes: Vec<u8>) -> Vec<Message> {
        if bytes.len() == 9 && bytes.starts_with(b"PU") {
            let id = u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]).wrapping_add(1);
            bytes[5..9].copy_from_slice(&id.to_be_bytes());
        }
        vec![Message::binary(bytes)]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_with_ids_kept_stream_as_text_and_acks_off_by_one_fails_by_name() {
    let mut sim_config = SimConfig::for_tests(0);
    sim_config.clock = ClockMode::Realtime { speed: 1.0 };
    sim_config.only = Some(vec!["esp3d".into()]);
    let sim = Simulator::start(sim_config).await.unwrap();
    let addr = |name: &str| sim.endpoints().iter().find(|e| e.name == name).unwrap().addr;
    let http = relay::spawn::<Faithful>(Upstream::SamePath(addr("esp3d")), None).await;
    let terminal = relay::spawn::<TerminalFaults>(Upstream::SamePath(addr("esp3d-terminal")), None).await;
    let data = relay::spawn::<AckFaults>(Upstream::SamePath(addr("esp3d-data")), None).await;

    let mut config = RunConfig::simulator();
    let http_url = format!("http://{http}/");
    *config.options.get_mut::<Esp3dFlags>() = Esp3dFlags {
        esp3d_terminal: Some(format!("ws://{terminal}/")),
        esp3d_data: Some(format!("ws://{data}/")),
    };
    config.targets.insert("esp3d".into(), http_url);
    config.tags = Some(
        "@esp3d and (@ESP3D-25 or @ESP3D-26 or @ESP3D-27 or @ESP3D-28 or @ESP3D-31 or @ESP3D-44 or @ESP3D-45 or @ESP3D-46)"
            .into(),
    );
    let report = runner::run(config).await.unwrap();
    println!("{}", report.console());

    common::expect_rules(
        &report,
        &["ESP3D-26", "ESP3D-27", "ESP3D-31", "ESP3D-46"],
        &["ESP3D-25", "ESP3D-28", "ESP3D-44", "ESP3D-45"],
    );
    common::expect_failure_reason(
        &report,
        "The activeID of a new client is broadcast to every client",
        "T1 never got activeID:",
    );
    common::expect_failure_reason(
        &report,
        "The board's text frames are labels",
        "came as a text frame (rule ESP3D-27",
    );
    common::expect_failure_reason(
        &report,
        "An upload: SU, then UP packets acknowledged by id",
        "expected 'PU' 00 05 'O' 00 00 00 01",
    );
    common::expect_sim_only_skipped(&report);
    sim.shutdown().await;
}
