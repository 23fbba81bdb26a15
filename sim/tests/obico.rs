//! The simulated Obico agents dialing a fake Obico server on loopback, on a virtual clock: REST before the
//! socket and the header's case, 401 and 403 backoffs, close 1000 and 4321, verified https, the status cadence,
//! server commands obeyed, control commands, and a fleet of 50 agents with their own tokens.

#[path = "obico/fake.rs"]
mod fake;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use fake::{Agent, FakeServer, tokens};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use understudy_core::model::printer::sample_print;
use understudy_sim::devices::obico::ObicoOptions;
use understudy_sim::{SimConfig, Simulator};

const WAIT: Duration = Duration::from_secs(5);
/// `_ts` at sim time 0 (the virtual clock's default epoch, 2024-01-01).
const TS0: i64 = 1_704_067_200;

async fn start(options: ObicoOptions) -> Simulator {
    start_with(options, |_| {}).await
}

async fn start_with(options: ObicoOptions, tune: impl FnOnce(&mut SimConfig)) -> Simulator {
    let mut config = SimConfig::for_tests(9);
    config.only = Some(vec!["obico".to_string()]);
    config.devices.set(options);
    tune(&mut config);
    Simulator::start(config).await.expect("simulator starts")
}

/// Moves the virtual clock and gives the agents a moment to act.
async fn advance(sim: &Simulator, ms: u64) {
    sim.clock().advance(ms).unwrap();
    tokio::time::sleep(Duration::from_millis(15)).await;
}

/// One agent on a fresh fake server, connected, with its settings frame and start-up burst already read.
async fn past_its_startup() -> (FakeServer, Simulator, Agent) {
    let mut server = FakeServer::start(&tokens(1)).await;
    let sim = start(ObicoOptions::single(&server.url(), "tok-1")).await;
    let mut ws = server.next_agent(WAIT).await.expect("connects");
    frame(&mut ws).await;
    advance(&sim, 700).await;
    frames(&mut ws, 4).await;
    (server, sim, ws)
}

/// The printer lookups (the agent's REST check) the server has seen.
fn printer_checks(server: &FakeServer) -> usize {
    server
        .seen()
        .iter()
        .filter(|r| r.path == "/api/v1/octo/printer/")
        .count()
}

/// The agent's socket, moving the clock 100 ms at a time for up to `ms` of sim time until it opens.
async fn agent_within(sim: &Simulator, server: &mut FakeServer, ms: u64) -> Option<Agent> {
    for _ in 0..ms / 100 {
        advance(sim, 100).await;
        if let Some(agent) = server.next_agent(Duration::from_millis(1)).await {
            return Some(agent);
        }
    }
    None
}

/// The next text frame as JSON, within 5 s.
async fn frame(ws: &mut Agent) -> Value {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("a frame within 5 s") {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).expect("JSON"),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// The next text frame if one arrives within `ms` of wall time.
async fn frame_within(ws: &mut Agent, ms: u64) -> Option<Value> {
    tokio::time::timeout(Duration::from_millis(ms), frame(ws)).await.ok()
}

/// Whether nothing arrives within `ms` of wall time.
async fn quiet(ws: &mut Agent, ms: u64) -> bool {
    tokio::time::timeout(Duration::from_millis(ms), ws.next())
        .await
        .is_err()
}

/// `event_type(state_id) text cpts` of a frame, `-` for no event.
fn summary(f: &Value) -> String {
    let event = f["event"]["event_type"].as_str().unwrap_or("-");
    let id = f["event"]["data"]["state_id"]
        .as_str()
        .map(|s| format!("({s})"))
        .unwrap_or_default();
    let cpts = match f["current_print_ts"].as_i64() {
        Some(-1) => "-1",
        Some(_) => "ts",
        None => "?",
    };
    format!(
        "{event}{id} {} {cpts}",
        f["status"]["state"]["text"].as_str().unwrap_or("?")
    )
}

async fn frames(ws: &mut Agent, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(frame(ws).await);
    }
    out
}

async fn upgrades(server: &FakeServer, at_least: usize) -> Vec<fake::Seen> {
    for _ in 0..500 {
        let seen: Vec<_> = server.seen().into_iter().filter(|s| s.is_upgrade()).collect();
        if seen.len() >= at_least {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("fewer than {at_least} upgrades: {:?}", server.seen());
}

#[tokio::test]
async fn rest_comes_first_then_the_socket_with_lower_case_bearer_and_settings() {
    let mut server = FakeServer::start(&tokens(1)).await;
    let sim = start(ObicoOptions::single(&server.url(), "tok-1")).await;
    let mut ws = server.next_agent(WAIT).await.expect("the agent connects");
    let seen = server.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, ["/api/v1/octo/printer/", "/ent/api/printers/1/ext/", "/ws/dev/"]);
    assert_eq!(seen[0].header("Authorization").as_deref(), Some("Token tok-1"));
    assert!(
        seen[0].head.contains("\r\nAuthorization: Token tok-1\r\n"),
        "{}",
        seen[0].head
    );
    assert!(
        seen[2].head.contains("\r\nauthorization: bearer tok-1\r\n"),
        "{}",
        seen[2].head
    );
    assert!(!seen[2].head.contains('?'), "no query string");

    let first = frame(&mut ws).await;
    assert_eq!(
        first["settings"]["agent"],
        json!({"name": "octoprint_obico", "version": "2.6.1"})
    );
    assert_eq!(summary(&first), "- Offline -1");
    assert_eq!(first["status"]["_ts"], TS0);
    advance(&sim, 700).await;
    let connect: Vec<String> = frames(&mut ws, 4).await.iter().map(summary).collect();
    assert_eq!(
        connect,
        [
            "PrinterStateChanged(OPEN_SERIAL) Opening serial connection -1",
            "PrinterStateChanged(CONNECTING) Connecting -1",
            "PrinterStateChanged(OPERATIONAL) Operational -1",
            "- Operational -1",
        ]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_transcript_records_rest_calls_sockets_and_frames_without_the_token() {
    let mut server = FakeServer::start(&tokens(1)).await;
    let path = std::env::temp_dir().join(format!("understudy-obico-transcript-{}.jsonl", std::process::id()));
    let sim = start_with(ObicoOptions::single(&server.url(), "tok-1"), |c| {
        c.transcript = Some(path.clone())
    })
    .await;
    let mut ws = server.next_agent(WAIT).await.expect("connects");
    frame(&mut ws).await;
    ws.close(Some(CloseFrame {
        code: CloseCode::from(4321),
        reason: "".into(),
    }))
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    sim.shutdown().await;
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(!text.contains("tok-1"), "the token is never recorded");
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let data = v["data"].as_str().unwrap_or("");
            let data = if v["kind"] == "text" {
                &data[..data.len().min(12)]
            } else {
                data
            };
            format!(
                "{} {} {} {data}",
                v["conn"].as_str().unwrap(),
                v["dir"].as_str().unwrap(),
                v["kind"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "obico-1/http out http GET /api/v1/octo/printer/ -> 200",
            "obico-1/http out http GET /ent/api/printers/1/ext/ -> 404",
            "obico-1/1 out open /ws/dev/",
            "obico-1/1 out text {\"status\": {",
            "obico-1/1 in text {\"remote_sta",
            "obico-1/1 in close 4321",
        ]
    );
}

#[tokio::test]
async fn a_401_backs_off_with_jitter_under_the_exponential_ceiling_and_opens_no_socket() {
    let mut server = FakeServer::start(&tokens(1)).await;
    server.set(|m| m.rest_status = 401);
    let sim = start(ObicoOptions::single(&server.url(), "tok-1")).await;
    for _ in 0..100 {
        if printer_checks(&server) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut tries = vec![0u64];
    let mut now = 0;
    while tries.len() < 5 && now < 40_000 {
        advance(&sim, 100).await;
        now += 100;
        if printer_checks(&server) > tries.len() {
            tries.push(now);
        }
    }
    assert_eq!(tries.len(), 5, "five REST checks in 40 s: {tries:?}");
    for (n, pair) in tries.windows(2).enumerate() {
        let ceiling = 1000 * (1 << n) + 100;
        assert!(pair[1] - pair[0] <= ceiling, "wait {n} over 2^{n} s: {tries:?}");
    }
    assert!(
        server.seen().iter().all(|s| !s.is_upgrade()),
        "no socket while REST says 401"
    );

    server.set(|m| m.rest_status = 200);
    let mut ws = agent_within(&sim, &mut server, 40_000)
        .await
        .expect("the socket opens once REST answers 200");
    assert!(frame(&mut ws).await["status"].is_object());
    sim.shutdown().await;
}

#[tokio::test]
async fn rest_faults_refuse_a_call_without_the_server_and_hold_the_next_one_in_sim_time() {
    let mut server = FakeServer::start(&tokens(1)).await;
    let sim = start_with(ObicoOptions::single(&server.url(), "tok-1"), |config| {
        config.faults.push("refuse:401@obico-1/http".parse().unwrap());
    })
    .await;
    sim.faults().add_text("delay:3000ms@obico-1/http#1").unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(printer_checks(&server), 0, "the refused check never reached the server");
    // After the 401 the agent backs off (at most 1.1 s), and its next check leaves 3 s later.
    let mut now = 0;
    while printer_checks(&server) == 0 && now < 10_000 {
        advance(&sim, 100).await;
        now += 100;
    }
    assert!(
        (3_000..=4_300).contains(&now),
        "the held check reached the server at {now} ms"
    );
    assert_eq!(printer_checks(&server), 1);
    let mut ws = agent_within(&sim, &mut server, 10_000)
        .await
        .expect("the socket opens once REST answers 200");
    assert!(frame(&mut ws).await["status"].is_object());
    assert!(sim.faults().list().is_empty(), "both faults acted their last");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_403_upgrade_waits_out_the_poll_then_sends_what_was_built_meanwhile() {
    let mut server = FakeServer::start(&tokens(1)).await;
    server.set(|m| m.refuse_upgrade = Some(403));
    let sim = start(ObicoOptions::single(&server.url(), "tok-1")).await;
    upgrades(&server, 1).await;
    advance(&sim, 700).await;
    advance(&sim, 119_000).await;
    assert_eq!(upgrades(&server, 1).await.len(), 1, "no retry within the 120 s poll");
    server.set(|m| m.refuse_upgrade = None);
    advance(&sim, 300 + 250).await;
    let mut ws = server
        .next_agent(WAIT)
        .await
        .expect("the retry after the poll is accepted");
    let seen = upgrades(&server, 2).await;
    assert_eq!((seen.len(), seen[0].accepted, seen[1].accepted), (2, false, true));
    let mut burst = vec![frame(&mut ws).await];
    while let Some(next) = frame_within(&mut ws, 200).await {
        burst.push(next);
    }
    let texts: Vec<String> = burst.iter().map(summary).collect();
    assert_eq!(
        texts[..4],
        [
            "PrinterStateChanged(OPEN_SERIAL) Opening serial connection -1",
            "PrinterStateChanged(CONNECTING) Connecting -1",
            "PrinterStateChanged(OPERATIONAL) Operational -1",
            "- Operational -1",
        ],
        "the first status went with the refused attempt; the rest come in a burst"
    );
    let ts: Vec<i64> = burst.iter().map(|f| f["status"]["_ts"].as_i64().unwrap()).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]) && ts.len() >= 5, "{ts:?}");
    assert!(
        burst
            .iter()
            .all(|f| f.get("settings").is_none() || f["status"]["_ts"] == TS0)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn after_4321_the_agent_reconnects_once_sends_one_frame_and_stays_silent() {
    let mut server = FakeServer::start(&tokens(1)).await;
    let sim = start(ObicoOptions::single(&server.url(), "tok-1")).await;
    let mut ws = server.next_agent(WAIT).await.expect("connects");
    frame(&mut ws).await;
    let duplicate = CloseFrame {
        code: CloseCode::from(4321),
        reason: "".into(),
    };
    ws.close(Some(duplicate)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    advance(&sim, 700).await;
    let mut again = server.next_agent(WAIT).await.expect("one reconnect");
    assert_eq!(
        summary(&frame(&mut again).await),
        "PrinterStateChanged(OPEN_SERIAL) Opening serial connection -1"
    );
    for _ in 0..20 {
        advance(&sim, 10_000).await;
        assert!(quiet(&mut again, 20).await, "silent after the one frame");
    }
    assert!(
        server.next_agent(Duration::from_millis(100)).await.is_none(),
        "no second reconnect"
    );
    assert_eq!(upgrades(&server, 2).await.len(), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn after_a_normal_close_the_next_status_reconnects_at_once_every_time() {
    let (mut server, sim, mut ws) = past_its_startup().await;
    for round in 0..2 {
        let normal = CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        };
        ws.close(Some(normal)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            server.next_agent(Duration::from_millis(100)).await.is_none(),
            "lazy: no reconnect before a frame"
        );
        advance(&sim, 10_000).await;
        ws = server
            .next_agent(WAIT)
            .await
            .expect("the next status reconnects, with no backoff");
        let status = frame(&mut ws).await;
        assert_eq!(summary(&status), "- Operational -1", "round {round}");
        assert!(status.get("settings").is_none(), "no settings because of a reconnect");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn statuses_come_every_10_s_while_boosted_and_every_50_s_idle() {
    let (_server, sim, mut ws) = past_its_startup().await;
    advance(&sim, 9_999).await;
    assert!(quiet(&mut ws, 100).await, "nothing before 10 s");
    advance(&sim, 1).await;
    let boosted = frame(&mut ws).await;
    assert_eq!(
        (summary(&boosted).as_str(), &boosted["status"]["_ts"]),
        ("- Operational -1", &json!(TS0 + 10))
    );
    advance(&sim, 49_999).await;
    assert!(quiet(&mut ws, 100).await, "the boost is over: nothing before 50 s");
    advance(&sim, 1).await;
    let idle = frame(&mut ws).await;
    assert_eq!(idle["status"]["_ts"], json!(TS0 + 60));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_print_from_the_card_is_tracked_and_server_pause_resume_cancel_are_obeyed() {
    let mut server = FakeServer::start(&tokens(1)).await;
    let file = std::env::temp_dir().join(format!("understudy-obico-cube-{}.gcode", std::process::id()));
    std::fs::write(&file, sample_print()).unwrap();
    let mut options = ObicoOptions::single(&server.url(), "tok-1");
    options.print = Some(file.clone());
    let sim = start(options).await;
    let mut ws = server.next_agent(WAIT).await.expect("connects");
    frame(&mut ws).await;
    advance(&sim, 700).await;
    let start: Vec<Value> = frames(&mut ws, 7).await;
    let texts: Vec<String> = start.iter().map(summary).collect();
    assert_eq!(
        texts[3..],
        [
            "- Operational -1",
            "PrinterStateChanged(STARTING) Starting -1",
            "PrintStarted Printing ts",
            "PrinterStateChanged(PRINTING) Printing ts",
        ]
    );
    let post = server
        .seen()
        .into_iter()
        .find(|s| s.path == "/api/v1/octo/g_code_files/")
        .expect("g_code_files posted");
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(post.body.starts_with(&format!(
        "filename={name}&safe_filename={name}&num_bytes={}&",
        sample_print().len()
    )));
    assert_eq!(
        post.header("Content-Type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let started = &start[5];
    assert_eq!(started["status"]["job"]["file"]["obico_g_code_file_id"], 1);
    assert_eq!(started["current_print_ts"], started["status"]["_ts"]);

    let command = |cmd: &str, args: Value| {
        Message::text(
            json!({"commands": [{"cmd": cmd, "args": args, "initiator": "api"}], "type": "printer.message"})
                .to_string(),
        )
    };
    advance(&sim, 2_000).await;
    ws.send(command(
        "pause",
        json!({"retract": 6.5, "lift_z": 2.5, "tools_off": true}),
    ))
    .await
    .unwrap();
    let paused: Vec<String> = frames(&mut ws, 3).await.iter().map(summary).collect();
    assert_eq!(
        paused,
        [
            "PrinterStateChanged(PAUSING) Pausing ts",
            "PrintPaused Pausing ts",
            "PrinterStateChanged(PAUSED) Paused ts"
        ]
    );
    let state = sim.control("obico", "state", &json!({})).unwrap();
    assert_eq!(state["state"], "Paused");
    ws.send(command("resume", json!({}))).await.unwrap();
    let resumed: Vec<String> = frames(&mut ws, 3).await.iter().map(summary).collect();
    assert_eq!(
        resumed,
        [
            "PrinterStateChanged(RESUMING) Resuming ts",
            "PrintResumed Resuming ts",
            "PrinterStateChanged(PRINTING) Printing ts"
        ]
    );
    ws.send(command("cancel", json!({}))).await.unwrap();
    let cancelled: Vec<String> = frames(&mut ws, 5).await.iter().map(summary).collect();
    assert_eq!(
        cancelled,
        [
            "PrintCancelling Cancelling ts",
            "PrinterStateChanged(CANCELLING) Cancelling ts",
            "PrintCancelled Cancelling ts",
            "PrintFailed Operational ts",
            "PrinterStateChanged(OPERATIONAL) Operational -1",
        ]
    );
    sim.shutdown().await;
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test]
async fn control_commands_upload_print_and_halt_the_printer() {
    let (_server, sim, mut ws) = past_its_startup().await;
    let bad = sim.control("obico", "print", &json!({"file": "none.gcode"}));
    assert!(bad.is_err(), "{bad:?}");
    assert!(
        sim.control("obico", "state", &json!({"agent": 2})).is_err(),
        "there is one agent"
    );
    sim.control(
        "obico",
        "upload",
        &json!({"file": "cube.gcode", "gcode": sample_print()}),
    )
    .unwrap();
    sim.control("obico", "print", &json!({"file": "cube.gcode"})).unwrap();
    let started: Vec<String> = frames(&mut ws, 3).await.iter().map(summary).collect();
    assert_eq!(started[1], "PrintStarted Printing ts");
    let halted = sim
        .control("obico", "thermal_runaway", &json!({"heater": "bed"}))
        .unwrap();
    assert_eq!(halted["halted"], true);
    let failed: Vec<String> = frames(&mut ws, 2).await.iter().map(summary).collect();
    assert_eq!(
        failed,
        ["PrintFailed Printing ts", "PrinterStateChanged(ERROR) Error -1"]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_fleet_of_50_agents_dials_in_with_50_tokens() {
    let mut server = FakeServer::start(&tokens(50)).await;
    let mut options = ObicoOptions::single(&server.url(), "tok-{n}");
    options.agents = 50;
    options.stagger_ms = 10;
    let sim = start(options).await;
    assert_eq!(
        sim.announcements()
            .iter()
            .find(|(k, _)| *k == "obico-agents")
            .unwrap()
            .1,
        "50"
    );
    advance(&sim, 500).await;
    let mut names = HashSet::new();
    for _ in 0..50 {
        let mut ws = server.next_agent(WAIT).await.expect("50 agents connect");
        let first = frame(&mut ws).await;
        names.insert(first["settings"]["platform_uname"][1].as_str().unwrap().to_string());
    }
    let bearers: HashSet<String> = upgrades(&server, 50)
        .await
        .iter()
        .map(|s| s.header("authorization").unwrap())
        .collect();
    assert_eq!(bearers, (1..=50).map(|n| format!("bearer tok-{n}")).collect());
    assert_eq!(names.len(), 50, "each agent its own printer");
    sim.shutdown().await;
}

/// A TLS server that answers every request 401 (so that no socket follows); counts connections and requests.
async fn tls_rest_server() -> (String, String, Arc<Mutex<(usize, Vec<String>)>>) {
    let tls = understudy_sim::serve::tls::self_signed(&["127.0.0.1"]).unwrap();
    let pem = tls.self_signed_pem.clone().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new((0, Vec::new())));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            log.lock().unwrap().0 += 1;
            let (acceptor, log) = (acceptor.clone(), log.clone());
            tokio::spawn(async move {
                let Ok(Ok(mut tls)) = tokio::time::timeout(WAIT, acceptor.accept(tcp)).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 16_384 {
                    match tokio::time::timeout(WAIT, tls.read(&mut byte)).await {
                        Ok(Ok(1)) => head.push(byte[0]),
                        _ => return,
                    }
                }
                log.lock().unwrap().1.push(String::from_utf8_lossy(&head).into_owned());
                let body = r#"{"error": "Invalid or Inactive Token", "is_authenticated": "False"}"#;
                let answer = format!(
                    "HTTP/1.1 401 Unauthorized\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (url, pem, seen)
}

#[tokio::test]
async fn https_is_verified_against_the_given_ca_and_fails_against_another() {
    let (url, pem, seen) = tls_rest_server().await;
    let dir = std::env::temp_dir();
    let good = dir.join(format!("understudy-obico-ca-{}.pem", std::process::id()));
    std::fs::write(&good, &pem).unwrap();
    let mut options = ObicoOptions::single(&url, "tok-1");
    options.ca = Some(good.clone());
    let sim = start(options).await;
    for _ in 0..500 {
        if !seen.lock().unwrap().1.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let head = seen
        .lock()
        .unwrap()
        .1
        .first()
        .cloned()
        .expect("a request over verified TLS");
    assert!(head.starts_with("GET /api/v1/octo/printer/ HTTP/1.1\r\n"), "{head}");
    assert!(head.contains("\r\nAuthorization: Token tok-1\r\n"));
    sim.shutdown().await;

    let (url, _, seen) = tls_rest_server().await;
    let mut options = ObicoOptions::single(&url, "tok-1");
    options.ca = Some(good.clone());
    let sim = start(options).await;
    for _ in 0..500 {
        if seen.lock().unwrap().0 > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (connections, requests) = {
        let s = seen.lock().unwrap();
        (s.0, s.1.len())
    };
    assert_eq!(
        (connections, requests),
        (1, 0),
        "another server's certificate is refused"
    );
    sim.shutdown().await;
    std::fs::remove_file(&good).unwrap();
}
