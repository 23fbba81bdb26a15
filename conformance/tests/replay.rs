//! Record, replay, drift: the simulator's own transcript replays against a fresh simulator with no drift, so
//! does a session recorded through `understudy-sim record` (whose file holds none of the session's secrets),
//! a wrong Endrpi drifts frame by frame, and an agent that dials out is recorded between it and its server.

mod common;

use std::path::PathBuf;

use clap::Parser;
use common::relay::{self, Faults, Upstream};
use std::time::Duration;

use understudy_conformance::client::{self, Frame, Transport, WsClient};
use understudy_conformance::obico::ObicoServer;
use understudy_conformance::replay::drift::Class;
use understudy_conformance::replay::report::DriftReport;
use understudy_conformance::replay::{self, ReplayArgs};
use understudy_sim::devices::obico::ObicoOptions;
use understudy_sim::record::{RecordArgs, Recorder};
use understudy_sim::{SimConfig, Simulator};

const SEED: u64 = 7;
const SECRET: &str = "s3cret-never-in-the-file";

fn temp_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("understudy-replay-{}-{name}.jsonl", std::process::id()))
}

/// A virtual-time simulator with only the Pi, writing its transcript to `transcript` if given.
async fn pi(transcript: Option<PathBuf>) -> Simulator {
    let mut config = SimConfig::for_tests(SEED);
    config.only = Some(vec!["endrpi".into()]);
    config.transcript = transcript;
    Simulator::start(config).await.unwrap()
}

/// What a client does with a Pi: socket reads and writes, bad input, a binary frame the Pi closes on, REST
/// reads and writes (with credentials a recorder must not keep) and a refused upgrade.
async fn session(authority: &str) {
    let url = format!("ws://{authority}/?token={SECRET}");
    let mut ws = WsClient::connect(&url, &Transport::Plain).await.unwrap();
    for request in [
        r#"{"action":"READ_UPTIME"}"#,
        r#"{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO17","GPIO2"]}}"#,
        r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT","state":1}}}}"#,
        r#"{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO17"]}}"#,
        "not json",
        r#"{"action":"READ_MEMORY"}"#,
    ] {
        ws.send_text(request).await.unwrap();
        ws.next_text().await.unwrap();
    }
    ws.close().await;
    let mut closing = WsClient::connect(&url, &Transport::Plain).await.unwrap();
    closing.send_binary(vec![1, 2, 3]).await.unwrap();
    let _ = closing.next_frame(client::REPLY_TIMEOUT).await;
    let bearer = format!("Bearer {SECRET}");
    let cookie = format!("session={SECRET}");
    let credentials = [("authorization", bearer.as_str()), ("cookie", cookie.as_str())];
    client::http_request(authority, "GET", "/pins/GPIO17", &credentials, "")
        .await
        .unwrap();
    let json = [("content-type", "application/json")];
    let put = r#"{"io":"OUTPUT","state":0}"#;
    client::http_request(authority, "PUT", "/pins/GPIO18", &json, put)
        .await
        .unwrap();
    client::http_request(authority, "GET", "/pins/GPIO18", &[], "")
        .await
        .unwrap();
    client::upgrade_request(authority, "/ws").await.unwrap();
}

/// The simulator's own transcript of [`session`].
async fn recorded_by_the_simulator(name: &str) -> PathBuf {
    let path = temp_file(name);
    let sim = pi(Some(path.clone())).await;
    session(&sim.endpoints()[0].addr.to_string()).await;
    sim.shutdown().await;
    path
}

async fn replay(words: &[&str]) -> DriftReport {
    let mut args = vec!["replay"];
    args.extend_from_slice(words);
    replay::replay(&ReplayArgs::parse_from(args)).await.unwrap()
}

fn count(report: &DriftReport, class: Class) -> usize {
    report.summary.get(class.name()).copied().unwrap_or(0)
}

#[tokio::test]
async fn the_simulators_own_transcript_replays_against_a_fresh_one_with_no_drift() {
    let path = recorded_by_the_simulator("own").await;
    let seed = SEED.to_string();
    for pacing in [None, Some("--fast")] {
        let mut words = vec![path.to_str().unwrap(), "--virtual-clock", "--seed", &seed];
        words.extend(pacing);
        let report = replay(&words).await;
        assert!(report.within_allowance(), "{}", report.console());
        // Six answers and a close on two sockets, and four HTTP exchanges.
        assert_eq!(count(&report, Class::Identical), 11, "{}", report.console());
        for class in [
            Class::Redacted,
            Class::Shape,
            Class::Different,
            Class::Missing,
            Class::Extra,
        ] {
            assert_eq!(count(&report, class), 0, "{}", report.console());
        }
    }
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn a_session_recorded_through_the_proxy_keeps_no_secret_and_replays_with_no_drift() {
    let sim = pi(None).await;
    let out = temp_file("proxy");
    let args = RecordArgs::new(&format!("ws://{}", sim.endpoints()[0].addr), out.clone(), "endrpi");
    let recorder = Recorder::start(&args).await.unwrap();
    session(&recorder.addr().to_string()).await;
    recorder.shutdown().await;
    sim.shutdown().await;
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains(SECRET), "a secret reached the recording:\n{text}");
    assert!(text.contains(r#""kind":"refused","data":"GET /ws -> 403""#), "{text}");
    assert!(
        text.contains(r#""request":"{\"io\":\"OUTPUT\",\"state\":0}""#),
        "{text}"
    );
    let seed = SEED.to_string();
    let report = replay(&[out.to_str().unwrap(), "--virtual-clock", "--seed", &seed]).await;
    assert!(report.within_allowance(), "{}", report.console());
    assert_eq!(count(&report, Class::Identical), 11, "{}", report.console());
    let _ = std::fs::remove_file(out);
}

/// An Endrpi that says `DOWN` for every pull and never answers what it cannot parse.
#[derive(Default)]
struct WrongPi;

impl Faults for WrongPi {
    fn to_checker(&mut self, reply: String) -> Vec<String> {
        if reply.contains("Received invalid message") {
            return Vec::new();
        }
        vec![reply.replace(r#""pull": "UP""#, r#""pull": "DOWN""#)]
    }
}

#[tokio::test]
async fn a_wrong_endrpi_drifts_frame_by_frame() {
    let path = recorded_by_the_simulator("wrong").await;
    let sim = pi(None).await;
    let relay = relay::spawn::<WrongPi>(Upstream::SamePath(sim.endpoints()[0].addr), None).await;
    let target = format!("endrpi=ws://{relay}/");
    let report = replay(&[path.to_str().unwrap(), "--fast", "--target", &target]).await;
    assert!(!report.within_allowance(), "{}", report.console());
    let socket = &report.connections[0];
    let drifting: Vec<(&str, Class)> = socket
        .frames
        .iter()
        .filter(|f| f.verdict.class.is_drift())
        .map(|f| (f.verdict.kind.as_str(), f.verdict.class))
        .collect();
    // GPIO2's pull-up read as DOWN (a value of the same shape), and the error for `not json` never came.
    assert_eq!(
        drifting,
        [
            ("READ_PIN_CONFIGURATIONS", Class::Shape),
            ("action,success,data,error", Class::Missing)
        ],
        "{}",
        report.console()
    );
    let pull = &socket.frames[1].verdict.differences[0];
    assert_eq!(
        (pull.path.as_str(), pull.received.as_str()),
        ("/data/GPIO2/pull", "\"DOWN\"")
    );
    sim.shutdown().await;
    let _ = std::fs::remove_file(path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_dials_out_is_recorded_as_the_device_between_it_and_its_server() {
    let server = ObicoServer::on_loopback(SECRET).await.unwrap();
    let out = temp_file("dialled");
    let mut args = RecordArgs::new(&server.url(), out.clone(), "obico");
    args.device_dials = true;
    let recorder = Recorder::start(&args).await.unwrap();
    let mut config = SimConfig::for_tests(SEED);
    config.only = Some(vec!["obico".into()]);
    *config.devices.get_mut::<ObicoOptions>() = ObicoOptions::single(&format!("http://{}", recorder.addr()), SECRET);
    let sim = Simulator::start(config).await.unwrap();
    let mut socket = server.next_socket(Duration::from_secs(10)).await.unwrap();
    assert!(matches!(
        socket.next_frame(Duration::from_secs(5)).await,
        Frame::Text(_)
    ));
    let passthru = r#"{"passthru":{"target":"_printer","func":"get_connection_options","args":[],"ref":"r1"},"type":"printer.message"}"#;
    socket.send_text(passthru).await.unwrap();
    let reply = loop {
        match socket.next_frame(Duration::from_secs(5)).await {
            Frame::Text(text) if text.contains("\"r1\"") => break text,
            Frame::Text(_) | Frame::Binary(_) => continue,
            other => panic!("no passthru reply: {other:?}"),
        }
    };
    sim.shutdown().await;
    recorder.shutdown().await;
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        !text.contains(SECRET),
        "the agent's token reached the recording:\n{text}"
    );
    // The agent's REST check and its frames are the device's; the server's passthru comes in to it.
    assert!(
        text.contains(r#""conn":"obico/http","dir":"out","kind":"http","data":"GET /api/v1/octo/printer/ -> 200""#),
        "{text}"
    );
    assert!(
        text.contains(r#""conn":"obico/1","dir":"out","kind":"open","data":"/ws/dev/""#),
        "{text}"
    );
    let passthru_in = serde_json::to_string(passthru).unwrap();
    assert!(
        text.contains(&format!(r#""dir":"in","kind":"text","data":{passthru_in}"#)),
        "{text}"
    );
    let reply_out = serde_json::to_string(&reply).unwrap();
    assert!(
        text.contains(&format!(r#""dir":"out","kind":"text","data":{reply_out}"#)),
        "{text}"
    );
    let _ = std::fs::remove_file(out);
}
