//! The suite must be able to fail for the xArm controller's TCP protocol too: a TCP relay in front of a
//! real-time simulator's port 502 that answers every request under transaction 0 and hangs up on a register
//! it does not know (as a naive controller might) is checked as a physical controller (`--allow-motion`); the
//! rules it breaks must fail by name while the ones it keeps pass.

mod common;

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use understudy_conformance::runner::{self, RunConfig};
use understudy_core::proto::xarm_tcp::REGISTERS;
use understudy_core::proto::xarm_tcp::frame::{HEADER_BYTES, decode_answer};
use understudy_sim::{ClockMode, SimConfig, Simulator};

/// Relays one client to the controller at `upstream`, rewriting as described above.
async fn relay(mut client: TcpStream, upstream: SocketAddr) {
    let Ok(mut controller) = TcpStream::connect(upstream).await else {
        return;
    };
    let mut from_client = Vec::new();
    let mut from_controller = Vec::new();
    let mut buf = [0u8; 4096];
    let mut buf2 = [0u8; 4096];
    loop {
        tokio::select! {
            read = client.read(&mut buf) => {
                let Ok(n @ 1..) = read else { return };
                from_client.extend_from_slice(&buf[..n]);
                while from_client.len() >= HEADER_BYTES {
                    let total = HEADER_BYTES + usize::from(u16::from_be_bytes([from_client[4], from_client[5]]));
                    if from_client.len() < total {
                        break;
                    }
                    let frame: Vec<u8> = from_client.drain(..total).collect();
                    let known = frame.get(6).is_some_and(|r| REGISTERS.iter().any(|(n, _)| n == r));
                    if !known && frame[2..4] == [0, 2] {
                        return;
                    }
                    if controller.write_all(&frame).await.is_err() {
                        return;
                    }
                }
            }
            read = controller.read(&mut buf2) => {
                let Ok(n @ 1..) = read else { return };
                from_controller.extend_from_slice(&buf2[..n]);
                while let Some((_, used)) = decode_answer(&from_controller) {
                    let mut answer: Vec<u8> = from_controller.drain(..used).collect();
                    answer[0] = 0;
                    answer[1] = 0;
                    if client.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// The controller's report ports, by endpoint name.
const REPORT_PORTS: [(&str, u16); 4] = [
    ("xarm-report-rt", 30000),
    ("xarm-report-normal", 30001),
    ("xarm-report-rich", 30002),
    ("xarm-report-real", 30003),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_with_a_fixed_transaction_that_hangs_up_on_unknown_registers_fails_by_name() {
    let mut sim_config = SimConfig::for_tests(0);
    sim_config.clock = ClockMode::Realtime { speed: 1.0 };
    sim_config.only = Some(vec!["xarm".into()]);
    // The checker finds a controller's report ports at its host's fixed ports: on an address of its own, the
    // simulator serves them there, and the relay stands for the controller on the same address.
    sim_config.bind = std::net::IpAddr::from([127, 0, 0, 2]);
    for (name, port) in REPORT_PORTS {
        sim_config.ports.insert(name.into(), port);
    }
    let sim = Simulator::start(sim_config).await.unwrap();
    let addr_of = |name: &str| sim.endpoints().iter().find(|e| e.name == name).unwrap().addr;
    let upstream = addr_of("xarm-tcp");
    let listener = TcpListener::bind("127.0.0.2:0").await.unwrap();
    let relay_addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(relay(client, upstream));
        }
    });

    let mut config = RunConfig::simulator();
    config.targets.insert("xarm-tcp".into(), format!("{relay_addr}"));
    config.allow_motion = true;
    config.tags = Some("@xarm-tcp".into());
    let report = runner::run(config).await.unwrap();
    println!("{}", report.console());

    common::expect_rules(
        &report,
        &["XTCP-1", "XTCP-5"],
        &["XTCP-6", "XTCP-10", "XTCP-11", "XTCP-13", "XTCP-14", "XTCP-16"],
    );
    common::expect_failure_reason(
        &report,
        "The version answers as the SDK parses it",
        "(transaction, protocol, register)",
    );
    common::expect_failure_reason(&report, "An unknown register raises W13", "closed the connection");
    common::expect_sim_only_skipped(&report);
    sim.shutdown().await;
}
