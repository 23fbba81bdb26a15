//! The control API on its socket: a bearer token when one is required, control values outside
//! physical ranges refused with 400, the dashboard's page and state (a fleet's a page at a time), and the reset.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use understudy_sim::devices::obico::ObicoOptions;
use understudy_sim::serve::control::ControlConfig;
use understudy_sim::{SimConfig, Simulator};

async fn start(token: Option<&str>) -> Simulator {
    start_with(token, |_| {}).await
}

/// A simulator with a control API (with `token`, if given) and `tune`'s changes to the test config.
async fn start_with(token: Option<&str>, tune: impl FnOnce(&mut SimConfig)) -> Simulator {
    let mut config = SimConfig::for_tests(0);
    config.control = Some(ControlConfig {
        token: token.map(str::to_string),
        ..ControlConfig::loopback(0)
    });
    tune(&mut config);
    Simulator::start(config).await.unwrap()
}

/// One request on its own connection; the status and the JSON body.
async fn request(sim: &Simulator, method: &str, path: &str, auth: Option<&str>, body: &str) -> (u16, Value) {
    let (status, _, body) = exchange(sim, method, path, &header("Authorization", auth), body).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// `NAME: VALUE\r\n`, or nothing without a value.
fn header(name: &str, value: Option<&str>) -> String {
    value.map_or(String::new(), |v| format!("{name}: {v}\r\n"))
}

/// One request with these extra header lines on its own connection; the status, the head and the body.
async fn exchange(sim: &Simulator, method: &str, path: &str, headers: &str, body: &str) -> (u16, String, String) {
    let addr = sim
        .control_url()
        .unwrap()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let exchange = async {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        String::from_utf8(answer).unwrap()
    };
    let answer = tokio::time::timeout(Duration::from_secs(5), exchange).await.unwrap();
    let status = answer[9..12].parse().unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (status, head.to_ascii_lowercase(), body.to_string())
}

#[tokio::test]
async fn with_a_token_every_request_needs_it() {
    let sim = start(Some("s3cret-token")).await;
    assert_eq!(sim.control_token(), Some("s3cret-token"));
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("s3cret-token"),
        Some("Bearer s3cret-tokenX"),
    ] {
        let (status, body) = request(&sim, "GET", "/clock", auth, "").await;
        assert_eq!(status, 401, "{auth:?}: {body}");
        assert!(!body.to_string().contains("s3cret"), "{body}");
    }
    let (status, _) = request(&sim, "POST", "/devices/pubsub/token", None, "{}").await;
    assert_eq!(status, 401, "no token minted without the control token");
    let (status, body) = request(&sim, "GET", "/clock", Some("Bearer s3cret-token"), "").await;
    assert_eq!((status, &body["mode"]), (200, &json!("virtual")));
    sim.shutdown().await;
}

#[tokio::test]
async fn on_loopback_without_a_token_none_is_needed() {
    let sim = start(None).await;
    assert_eq!(sim.control_token(), None);
    assert_eq!(request(&sim, "GET", "/clock", None, "").await.0, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn control_values_outside_physical_ranges_are_refused() {
    let sim = start(None).await;
    for (path, body) in [
        ("/devices/endrpi/temperature", r#"{"celsius":1e308}"#),
        ("/devices/endrpi/temperature", r#"{"celsius":-300}"#),
        ("/devices/pubsub/battery", r#"{"percentage":150}"#),
        ("/devices/pubsub/battery", r#"{"percentage":-1}"#),
    ] {
        let (status, answer) = request(&sim, "POST", path, None, body).await;
        assert_eq!(status, 400, "{path} {body}: {answer}");
    }
    let (status, answer) = request(&sim, "POST", "/devices/endrpi/temperature", None, r#"{"celsius":82.5}"#).await;
    assert_eq!((status, &answer["milli_celsius"]), (200, &json!(82500)));
    sim.shutdown().await;
}

#[tokio::test]
async fn the_dashboard_page_needs_no_token_but_its_state_does() {
    let sim = start(Some("s3cret-token")).await;
    let bearer = Some("Bearer s3cret-token");
    let (status, head, page) = exchange(&sim, "GET", "/ui", "", "").await;
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(page.contains("/ui/dashboard.js") && !page.contains("s3cret"), "{page}");
    let accept = header("Accept", Some("text/html,application/xhtml+xml,*/*;q=0.8"));
    let (status, head, root) = exchange(&sim, "GET", "/", &accept, "").await;
    assert_eq!((status, root == page), (200, true), "{head}");
    for path in ["/ui/dashboard.js", "/ui/dashboard.css"] {
        assert_eq!(exchange(&sim, "GET", path, "", "").await.0, 200, "{path}");
    }
    // Everything that is not a static file of the page keeps the token rule, `/` for JSON clients included.
    for path in ["/", "/ui/state", "/favicon.ico"] {
        assert_eq!(request(&sim, "GET", path, None, "").await.0, 401, "{path}");
    }
    let (status, state) = request(&sim, "GET", "/ui/state", bearer, "").await;
    assert_eq!(status, 200, "{state}");
    let names: Vec<&str> = state["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert_eq!(names, ["endrpi", "xarm", "pubsub", "esp3d", "obico"]);
    assert_eq!(state["clock"], json!({ "mode": "virtual", "now_ms": 0 }));
    assert!(!state.to_string().contains("s3cret"));
    sim.shutdown().await;
}

/// The dashboard's view of `device` in `state`.
fn view<'a>(state: &'a Value, device: &str) -> &'a Value {
    let devices = state["devices"].as_array().unwrap();
    devices
        .iter()
        .find(|d| d["name"] == device)
        .map_or(&Value::Null, |d| &d["view"])
}

/// Open clients of `endpoint` in `state`.
fn clients(state: &Value, endpoint: &str) -> u64 {
    let devices = state["devices"].as_array().unwrap();
    let endpoints = devices.iter().flat_map(|d| d["endpoints"].as_array().unwrap());
    endpoints
        .filter(|e| e["name"] == endpoint)
        .filter_map(|e| e["clients"].as_u64())
        .sum()
}

#[tokio::test]
async fn the_dashboard_state_follows_what_clients_do() {
    let sim = start(None).await;
    let (_, state) = request(&sim, "GET", "/ui/state", None, "").await;
    assert_eq!(state["tail"], json!([]), "nothing is kept before a dashboard looks");
    assert_eq!(view(&state, "endrpi")["pins"]["GPIO17"]["io"], "INPUT");
    let xarm = view(&state, "xarm");
    // The base, six joint frames and the TCP; a pair of limits per joint.
    assert_eq!(xarm["links_mm"].as_array().map(Vec::len), Some(8), "{xarm}");
    assert_eq!(xarm["joint_limits_deg"].as_array().map(Vec::len), Some(6), "{xarm}");
    assert_eq!(xarm["queue"], json!({ "ends_ms": [], "paused": false }));
    assert_eq!(view(&state, "esp3d")["temperatures"]["hotend_target_c"], 0.0);
    assert_eq!(view(&state, "obico")["agents"], 0);

    let mut pi = common::connect(sim.url("endrpi").unwrap()).await;
    let update = r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT","state":1}}}}"#;
    assert!(common::ask(&mut pi, update).await.contains(r#""success": true"#));
    let (_, state) = request(&sim, "GET", "/ui/state", None, "").await;
    assert_eq!(
        view(&state, "endrpi")["pins"]["GPIO17"],
        json!({ "io": "OUTPUT", "state": 1.0, "pull": "FLOATING" })
    );
    assert_eq!(clients(&state, "endrpi"), 1);
    let tail = state["tail"].as_array().unwrap();
    assert!(
        tail.iter()
            .any(|r| r["conn"] == "endrpi/1" && r["dir"] == "in" && r["data"] == update),
        "{tail:?}"
    );
    assert!(
        !tail
            .iter()
            .any(|r| r["conn"].as_str().unwrap_or("").starts_with("control")),
        "{tail:?}"
    );

    drop(pi);
    let mut left = u64::MAX;
    for _ in 0..100 {
        let (_, state) = request(&sim, "GET", "/ui/state", None, "").await;
        left = clients(&state, "endrpi");
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(left, 0, "a closed client is no longer counted");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_dashboard_shows_the_printer_stream_and_the_obico_agents() {
    let sim = start_with(None, |config| {
        config.only = Some(vec!["esp3d".into(), "obico".into()]);
        // Nothing listens there: the agent keeps failing its REST check, which is what the view must show.
        config.devices.set(ObicoOptions::single("http://127.0.0.1:9", "tok-1"));
    })
    .await;
    let esp3d = sim.endpoints().iter().find(|e| e.name == "esp3d").unwrap().addr;
    let (status, _) = common::http_get(esp3d, "/command?cmd=M104%20S200").await;
    assert_eq!(status, 200);
    // ESP3D flushes its stream 500 ms after the first byte; the printer answers at once.
    assert_eq!(
        request(&sim, "POST", "/clock/advance", None, r#"{"ms":1000}"#).await.0,
        200
    );
    let (_, state) = request(&sim, "GET", "/ui/state", None, "").await;
    let printer = view(&state, "esp3d");
    assert_eq!(printer["temperatures"]["hotend_target_c"], 200.0, "{printer}");
    assert!(printer["terminal"].as_str().unwrap_or("").contains("ok"), "{printer}");
    assert_eq!(printer["history"].as_array().map(Vec::len), Some(1), "{printer}");
    assert_eq!(printer["slots"], json!({ "terminal": 0, "data": 0 }));
    let obico = view(&state, "obico");
    assert_eq!(obico["agents"], 1, "{obico}");
    assert_eq!(obico["listed"][0]["name"], "obico-1", "{obico}");
    assert_eq!(obico["listed"][0]["connected"], false, "{obico}");
    assert_eq!(obico["printer"]["job"]["state"], "Idle", "{obico}");
    sim.shutdown().await;
}

/// What a fresh connection to `sim`'s Endrpi reads now: its temperature and its uptime.
async fn first_readings(sim: &Simulator) -> (String, String) {
    let mut client = common::connect(sim.url("endrpi").unwrap()).await;
    let temperature = common::ask(&mut client, r#"{"action":"READ_TEMPERATURE"}"#).await;
    let uptime = common::ask(&mut client, r#"{"action":"READ_UPTIME"}"#).await;
    (temperature, uptime)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_returns_every_device_to_a_fresh_simulators_state_on_the_same_ports() {
    let fresh = start(None).await;
    let fresh_readings = first_readings(&fresh).await;
    fresh.shutdown().await;

    let sim = start(None).await;
    let endpoints = sim.endpoints().to_vec();
    let announced = sim.announcements();
    let ca = announced.iter().find(|(k, _)| *k == "pubsub-ca").unwrap().1.clone();
    let mut open = common::connect(sim.url("endrpi").unwrap()).await;
    common::ask(&mut open, r#"{"action":"READ_UPTIME"}"#).await;
    assert_eq!(
        request(&sim, "POST", "/clock/advance", None, r#"{"ms":7000}"#).await.0,
        200
    );
    let (status, _) = request(&sim, "POST", "/devices/endrpi/temperature", None, r#"{"celsius":91.5}"#).await;
    assert_eq!(status, 200);
    assert_ne!(
        first_readings(&sim).await,
        fresh_readings,
        "the state moved before the reset"
    );

    let (status, body) = request(&sim, "POST", "/reset", None, "{}").await;
    assert_eq!(
        (status, &body["reset"], &body["clock"]["now_ms"]),
        (200, &json!(true), &json!(0)),
        "{body}"
    );
    assert!(
        !matches!(common::next_message(&mut open).await, Some(Message::Text(_))),
        "a connection from before the reset is closed"
    );
    assert_eq!(sim.endpoints(), endpoints.as_slice(), "the same ports");
    assert_eq!(first_readings(&sim).await, fresh_readings, "as a fresh simulator reads");
    assert_eq!(request(&sim, "GET", "/reset", None, "").await.0, 405);
    assert_eq!(sim.announcements(), announced, "what was announced at start stays true");
    let robot = sim.endpoints().iter().find(|e| e.name == "pubsub").unwrap().addr;
    let tcp = TcpStream::connect(robot).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let handshake = common::tls_connector(&ca).connect(name, tcp);
    let handshake = tokio::time::timeout(Duration::from_secs(5), handshake).await.unwrap();
    assert!(handshake.is_ok(), "the robot's certificate is still the announced one");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_fleet_device_is_driven_alone_or_with_its_kind_and_root_lists_every_device() {
    use understudy_sim::fleet::{Addressing, DEFAULT_NET, FleetConfig};
    let sim = start_with(None, |config| {
        config.fleet = Some(FleetConfig {
            counts: vec![("endrpi", 3), ("xarm", 2)],
            addressing: Addressing::Net(DEFAULT_NET),
        });
    })
    .await;
    let (status, body) = request(&sim, "POST", "/devices/endrpi/3/throttle", None, r#"{"bits": 1}"#).await;
    assert_eq!((status, body["throttled"].as_str()), (200, Some("0x10001")), "{body}");
    let (status, body) = request(&sim, "POST", "/devices/endrpi/throttle", None, r#"{"bits": 2}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["devices"]["endrpi-1"]["throttled"], "0x20002");
    // endrpi-3 still remembers the under-voltage it had, the others never had one.
    assert_eq!(body["devices"]["endrpi-3"]["throttled"], "0x30002");
    for missing in [
        "/devices/endrpi/9/throttle",
        "/devices/endrpi/x/throttle",
        "/devices/esp3d/throttle",
    ] {
        assert_eq!(
            request(&sim, "POST", missing, None, r#"{"bits": 2}"#).await.0,
            404,
            "{missing}"
        );
    }
    let (status, bad) = request(&sim, "POST", "/devices/endrpi/2/throttle", None, r#"{"bits": "zz"}"#).await;
    assert_eq!(status, 400, "{bad}");
    let (status, root) = request(&sim, "GET", "/", None, "").await;
    assert_eq!(status, 200);
    let labels: Vec<&str> = root["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["label"].as_str())
        .collect();
    assert_eq!(labels, ["endrpi-1", "endrpi-2", "endrpi-3", "xarm-1", "xarm-2"]);
    assert_eq!(root["devices"][2]["urls"]["endrpi"], sim.url("endrpi-3").unwrap());
    let (_, faults) = request(&sim, "GET", "/faults", None, "").await;
    let routes: Vec<&str> = faults["device"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["route"].as_str())
        .collect();
    assert!(routes.contains(&"POST /devices/endrpi/throttle"), "{routes:?}");
    assert_eq!(
        routes.iter().filter(|r| r.ends_with("/throttle")).count(),
        1,
        "one entry per kind"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_fleet_dashboard_state_is_drawn_a_page_at_a_time() {
    use understudy_sim::fleet::{Addressing, DEFAULT_NET, FleetConfig};
    let sim = start_with(None, |config| {
        config.fleet = Some(FleetConfig {
            counts: vec![("endrpi", 120)],
            addressing: Addressing::Net(DEFAULT_NET),
        });
    })
    .await;
    let names = |state: &Value| -> Vec<String> {
        state["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, first) = request(&sim, "GET", "/ui/state", None, "").await;
    assert_eq!(status, 200);
    // The fleet's 120, then the Obico agents, a fleet of their own (none here).
    assert_eq!(
        (first["total"].as_u64(), first["offset"].as_u64()),
        (Some(121), Some(0))
    );
    let shown = names(&first);
    assert_eq!(shown.len(), 50, "a default page");
    assert_eq!((shown[0].as_str(), shown[49].as_str()), ("endrpi-1", "endrpi-50"));
    let device = &first["devices"][1];
    assert_eq!(device["kind"], "endrpi");
    assert_eq!(device["control"], "/devices/endrpi/2");
    assert_eq!(device["endpoints"].as_array().map(Vec::len), Some(1), "{device}");

    let (_, last) = request(&sim, "GET", "/ui/state?offset=100&limit=50", None, "").await;
    let rest = names(&last);
    assert_eq!(rest.first().map(String::as_str), Some("endrpi-101"));
    assert_eq!(rest.len(), 21, "the last page holds what is left: {rest:?}");
    assert_eq!(rest.last().map(String::as_str), Some("obico"));
    for bad in ["limit=0", "limit=501", "offset=-1", "limit=ten"] {
        let (status, body) = request(&sim, "GET", &format!("/ui/state?{bad}"), None, "").await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    sim.shutdown().await;
}
