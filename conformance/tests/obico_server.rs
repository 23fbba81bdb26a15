//! The checker's Obico server against a hand-written agent that dials in: REST answers as the real server's,
//! authorization decided before the upgrade, each accepted socket handed over with the server's first frame,
//! and the suite's connection scenarios run on a listening `obico` target.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use understudy_conformance::obico::server::FIRST_FRAME;
use understudy_conformance::obico::{Auth, ObicoServer, Seen};
use understudy_conformance::runner::{self, RunConfig};
use understudy_conformance::steps::obico::ObicoFlags;

mod common;

const TOKEN: &str = "tok_test_0123456789";
const STATUS: &str = r#"{"status": {"state": {"text": "Operational", "flags": {"operational": true, "printing": false, "cancelling": false, "pausing": false, "resuming": false, "finishing": false, "closedOrError": false, "error": false, "paused": false, "ready": true, "sdReady": true}, "error": ""}, "_ts": 1796147966}, "current_print_ts": -1}"#;

/// One plain HTTP/1.1 request; the status and body of the answer.
async fn http(addr: &str, method: &str, path: &str, authorization: Option<&str>, body: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\n",
        body.len()
    );
    if let Some(value) = authorization {
        request.push_str(&format!("authorization: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_string(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let status = raw.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = raw.split_once("\r\n\r\n").unwrap().1.to_string();
    (status, body)
}

/// Opens `/ws/dev/` with this `authorization`; the socket, or the refusal's status.
async fn dial(
    addr: &str,
    authorization: Option<&str>,
) -> Result<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>, u16> {
    let mut request = format!("ws://{addr}/ws/dev/").into_client_request().unwrap();
    if let Some(value) = authorization {
        request.headers_mut().insert("authorization", value.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("{other}"),
    }
}

#[tokio::test]
async fn rest_and_upgrades_are_answered_as_the_real_server_answers() {
    let server = ObicoServer::on_loopback(TOKEN).await.unwrap();
    let addr = server.addr().to_string();
    let token = format!("Token {TOKEN}");

    let (status, body) = http(&addr, "GET", "/api/v1/octo/printer/", Some(&token), "").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#""printer":{"is_pro":true,"id":1,"#), "{body}");
    assert_eq!(
        http(&addr, "GET", "/api/v1/octo/printer/", Some("Token other"), "").await,
        (
            401,
            r#"{"error":"Invalid or Inactive Token","is_authenticated":"False"}"#.into()
        )
    );
    let form = "filename=cube.gcode&safe_filename=cube.gcode&num_bytes=3157&agent_signature=md5%3Aab&url=cube.gcode";
    let (status, body) = http(&addr, "POST", "/api/v1/octo/g_code_files/", Some(&token), form).await;
    assert_eq!(status, 201);
    assert!(body.starts_with(r#"{"id":1,"filename":"cube.gcode""#), "{body}");
    assert!(body.contains(r#""agent_signature":"md5:ab""#), "{body}");
    let (_, body) = http(&addr, "POST", "/api/v1/octo/g_code_files/", Some(&token), form).await;
    assert!(body.starts_with(r#"{"id":2,"#), "{body}");
    assert_eq!(
        http(&addr, "GET", "/ent/api/printers/1/ext/", Some(&token), "").await.0,
        404
    );

    // Authorization is decided before the upgrade.
    assert_eq!(dial(&addr, Some("bearer nope")).await.err(), Some(403));
    assert_eq!(dial(&addr, Some(&format!("Bearer {TOKEN}"))).await.err(), Some(500));
    assert_eq!(dial(&addr, None).await.err(), Some(500));
    assert!(
        server.waiting_socket().await.is_none(),
        "a refused upgrade is never handed over"
    );

    let mut agent = dial(&addr, Some(&format!("bearer {TOKEN}"))).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), agent.next())
        .await
        .unwrap();
    assert_eq!(first.unwrap().unwrap(), Message::text(FIRST_FRAME));
    agent.send(Message::text(STATUS)).await.unwrap();
    let mut socket = server.next_socket(Duration::from_secs(5)).await.unwrap();
    assert_eq!(socket.next_text().await.unwrap(), STATUS);

    // A forced refusal, then the next try opens.
    server.refuse_upgrades(1);
    assert_eq!(dial(&addr, Some(&format!("bearer {TOKEN}"))).await.err(), Some(403));
    assert!(dial(&addr, Some(&format!("bearer {TOKEN}"))).await.is_ok());

    let upgrades: Vec<(Auth, u16)> = server
        .log()
        .into_iter()
        .filter_map(|s| match s.seen {
            Seen::Upgrade { auth, status, .. } => Some((auth, status)),
            _ => None,
        })
        .collect();
    assert_eq!(
        upgrades,
        vec![
            (Auth::UnknownToken, 403),
            (Auth::WrongScheme, 500),
            (Auth::Missing, 500),
            (Auth::Bearer, 101),
            (Auth::Bearer, 403),
            (Auth::Bearer, 101),
        ]
    );
    let log = format!("{:?}", server.log());
    assert!(!log.contains(TOKEN), "the log never holds the token");
}

/// A minimal agent: checks its token over REST, opens `/ws/dev/`, sends a status every 200 ms until the
/// socket ends, and starts again.
async fn hand_written_agent(addr: String) {
    loop {
        let (status, _) = http(
            &addr,
            "GET",
            "/api/v1/octo/printer/",
            Some(&format!("Token {TOKEN}")),
            "",
        )
        .await;
        if status != 200 {
            return;
        }
        let Ok(mut socket) = dial(&addr, Some(&format!("bearer {TOKEN}"))).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        while socket.send(Message::text(STATUS)).await.is_ok() {
            match tokio::time::timeout(Duration::from_millis(200), socket.next()).await {
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => break,
                _ => {}
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_scenarios_pass_on_a_listening_obico_target() {
    let listen = common::free_loopback_addr().to_string();
    let mut config = RunConfig::simulator();
    config.targets.insert("obico".into(), format!("listen://{listen}"));
    config.options.get_mut::<ObicoFlags>().obico_token = TOKEN.into();
    config.accept_wait = Duration::from_secs(10);
    config.tags = Some("@OBICO-32".into());
    let agent = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        hand_written_agent(listen).await;
    });
    let report = tokio::time::timeout(Duration::from_secs(120), runner::run(config))
        .await
        .expect("the run ends in time")
        .unwrap();
    println!("{}", report.console());
    agent.abort();
    let (passed, failed, _) = report.counts();
    assert_eq!(failed, 0);
    assert!(passed >= 8, "{passed} passed");
}
