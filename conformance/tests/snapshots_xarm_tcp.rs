//! Pins the exact answer of every kind the simulated xArm controller sends on port 502 (each register family,
//! a refusal, a warning) and the first report of each report port, as insta JSON snapshots under
//! `snapshots/xarm-tcp/`: header fields decoded, parameters and reports as hex. Seed 0 and a virtual clock make
//! every byte (the seeded sensor noise included) the same on every run.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use understudy_core::proto::xarm_tcp::frame::{PROTOCOL_PRIVATE, decode_answer, encode_request};
use understudy_core::proto::xarm_tcp::report::ReportKind;
use understudy_sim::{SimConfig, Simulator};

const WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

async fn call(stream: &mut TcpStream, transaction: u16, register: u8, params: &[u8]) -> Value {
    stream
        .write_all(&encode_request(transaction, PROTOCOL_PRIVATE, register, params))
        .await
        .unwrap();
    let mut buffer = Vec::new();
    loop {
        if let Some((a, _)) = decode_answer(&buffer) {
            return json!({
                "transaction": a.transaction, "protocol": a.protocol, "register": a.register,
                "state": format!("{:#04x}", a.state), "params": hex(&a.params),
            });
        }
        let mut chunk = [0u8; 2048];
        let n = tokio::time::timeout(WAIT, stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0);
        buffer.extend_from_slice(&chunk[..n]);
    }
}

fn f32s(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {{
        let value = $value;
        insta::with_settings!({ snapshot_path => "../../snapshots/xarm-tcp", prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!($name, value);
        })
    }};
}

#[tokio::test]
async fn every_answer_and_report_kind() {
    let mut config = SimConfig::for_tests(0);
    config.only = Some(vec!["xarm".into()]);
    let sim = Simulator::start(config).await.unwrap();
    sim.clock().advance(12_340).unwrap();
    let addr = |name: &str| sim.endpoints().iter().find(|e| e.name == name).unwrap().addr;
    let mut tcp = TcpStream::connect(addr("xarm-tcp")).await.unwrap();

    snapshot!("version", call(&mut tcp, 1, 1, &[]).await);
    snapshot!("robot_sn", call(&mut tcp, 2, 2, &[]).await);
    snapshot!("state", call(&mut tcp, 3, 13, &[]).await);
    snapshot!("cmdnum", call(&mut tcp, 4, 14, &[]).await);
    snapshot!("error_warn", call(&mut tcp, 5, 15, &[]).await);
    snapshot!("joint_pos", call(&mut tcp, 6, 42, &[]).await);
    snapshot!("tcp_pose", call(&mut tcp, 7, 41, &[]).await);
    snapshot!("motion_enable", call(&mut tcp, 8, 11, &[8, 1]).await);
    snapshot!("set_state", call(&mut tcp, 9, 12, &[0]).await);
    let mut joint = f32s(&[0.2, -0.1, -0.2, 0.0, 0.3, 0.0, 0.0]);
    joint.extend(f32s(&[0.5, 5.0, 0.0]));
    snapshot!("move_joint", call(&mut tcp, 10, 23, &joint).await);
    snapshot!("state_moving", call(&mut tcp, 11, 13, &[]).await);
    snapshot!("tool_baud", call(&mut tcp, 12, 128, &[9, 0x0A, 0x0B]).await);
    snapshot!(
        "gripper_position",
        call(&mut tcp, 13, 124, &[9, 8, 3, 0x07, 0x02, 0, 2]).await
    );
    snapshot!("cgpio_state", call(&mut tcp, 14, 139, &[]).await);
    let mut limit = f32s(&[0.0, 2.6, 0.0, 0.0, 0.0, 0.0, 0.0]);
    limit.extend(f32s(&[0.5, 5.0, 0.0]));
    snapshot!("move_joint_outside_limits", call(&mut tcp, 15, 23, &limit).await);
    snapshot!("clean_error", call(&mut tcp, 16, 16, &[]).await);
    snapshot!("unknown_register", call(&mut tcp, 17, 222, &[]).await);

    for kind in ReportKind::ALL {
        let mut report = TcpStream::connect(addr(kind.name())).await.unwrap();
        let mut bytes = vec![0u8; kind.size()];
        tokio::time::timeout(WAIT, report.read_exact(&mut bytes))
            .await
            .unwrap()
            .unwrap();
        snapshot!(
            format!("report_{}", kind.default_port()),
            json!({ "bytes": kind.size(), "hex": hex(&bytes) })
        );
    }
    drop(tcp);
    sim.shutdown().await;
}
