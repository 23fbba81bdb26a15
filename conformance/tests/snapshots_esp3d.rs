//! Pins every ESP3D frame kind as insta snapshots under `snapshots/esp3d/`: the terminal's labels (`currentID:`,
//! `activeID:`, `PING:`, `NOTIFICATION:`, `ERROR:`) and its ping, the printer's stream lines, the data socket's
//! transfer frames as hex, and the HTTP answers. The simulator runs on a virtual clock, so every byte is fixed.

use understudy_conformance::client::{self, Frame, HttpReply, Transport, WsClient};
use understudy_conformance::steps::esp3d::notation::{frame, parse_bytes, show};
use understudy_sim::devices::esp3d::Esp3dOptions;
use understudy_sim::{SimConfig, Simulator};

async fn start(auth: bool) -> Simulator {
    let mut config = SimConfig::for_tests(0);
    config.only = Some(vec!["esp3d".into()]);
    config.devices.get_mut::<Esp3dOptions>().auth = auth;
    Simulator::start(config).await.unwrap()
}

async fn connect(sim: &Simulator, endpoint: &str, protocol: &str) -> WsClient {
    let url = sim.url(endpoint).unwrap();
    WsClient::connect_offering(url, &Transport::Plain, &[protocol])
        .await
        .unwrap()
        .0
}

fn http_authority(sim: &Simulator) -> String {
    client::authority_of(sim.url("esp3d").unwrap()).to_string()
}

async fn get(sim: &Simulator, path: &str) -> HttpReply {
    client::http_request(&http_authority(sim), "GET", path, &[], "")
        .await
        .unwrap()
}

/// A frame as one transcript line: text as it is, binary as readable bytes, pings and closes by name.
fn line(name: &str, frame: &Frame) -> String {
    match frame {
        Frame::Text(text) => format!("{name} text {text}"),
        Frame::Binary(bytes) => format!("{name} binary {}", show(bytes)),
        Frame::Ping => format!("{name} ping"),
        Frame::Close(code, reason) => format!("{name} close {code} {reason:?}"),
        other => format!("{name} {other:?}"),
    }
}

/// The next `count` frames (pings included) of `ws` as transcript lines.
async fn frames(name: &str, ws: &mut WsClient, count: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for _ in 0..count {
        lines.push(line(name, &ws.next_frame_or_ping(client::REPLY_TIMEOUT).await));
    }
    lines
}

/// Lets the stream buffer flush, then the stream bytes of `ws` until `end` (at most 30 steps of 100 ms).
async fn stream(sim: &Simulator, ws: &mut WsClient, end: &str) -> String {
    let mut seen = Vec::new();
    for _ in 0..30 {
        sim.clock().advance(100).unwrap();
        if let Frame::Binary(bytes) = ws.next_frame_or_ping(std::time::Duration::from_millis(200)).await {
            seen.extend_from_slice(&bytes);
        }
        if String::from_utf8_lossy(&seen).contains(end) {
            break;
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// An HTTP answer as status, content type and body, with the ports the system chose for this run replaced by
/// their names (`[ESP800]` and `[ESP420]` report them).
fn http_text(sim: &Simulator, reply: &HttpReply) -> String {
    let mut text = format!(
        "{} {}\n{}",
        reply.status,
        reply.header("content-type").unwrap_or("-"),
        reply.body
    );
    for endpoint in sim.endpoints() {
        text = text.replace(&endpoint.addr.port().to_string(), &format!("<{} port>", endpoint.name));
    }
    text
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {{
        let value: String = $value;
        insta::with_settings!({ snapshot_path => "../../snapshots/esp3d", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, value);
        });
    }};
}

#[tokio::test]
async fn terminal_labels() {
    let sim = start(false).await;
    let mut t1 = connect(&sim, "esp3d-terminal", "webui-v3").await;
    let mut lines = frames("T1 <-", &mut t1, 3).await;
    let mut t2 = connect(&sim, "esp3d-terminal", "webui-v3").await;
    lines.extend(frames("T2 <-", &mut t2, 3).await);
    lines.extend(frames("T1 <-", &mut t1, 2).await);
    snapshot!("terminal_connect", lines.join("\n"));

    get(&sim, "/command?cmd=%5BESP600%5DHello").await;
    snapshot!("notification", frames("T2 <-", &mut t2, 1).await.join("\n"));

    let upload =
        "--b\r\ncontent-disposition: form-data; name=\"myfiles\"; filename=\"../x.gco\"\r\n\r\nG28\r\n--b--\r\n";
    let headers = [("content-type", "multipart/form-data; boundary=b")];
    let reply = client::http_request(&http_authority(&sim), "POST", "/sdfiles", &headers, upload)
        .await
        .unwrap();
    snapshot!("upload_refused", http_text(&sim, &reply));
    snapshot!("error_label", frames("T2 <-", &mut t2, 1).await.join("\n"));
    drop((t1, t2));
    sim.shutdown().await;
}

#[tokio::test]
async fn ping_answers_with_authentication() {
    let sim = start(true).await;
    let mut t1 = connect(&sim, "esp3d-terminal", "webui-v3").await;
    frames("T1 <-", &mut t1, 3).await;
    t1.send_text("PING:none").await.unwrap();
    let login = get(&sim, "/login?SUBMIT=yes&USER=admin&PASSWORD=admin").await;
    let sid = login
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .and_then(|c| c.strip_prefix("ESPSESSIONID="))
        .unwrap()
        .to_string();
    sim.clock().advance(1500).unwrap();
    t1.send_text(&format!("PING:{sid}")).await.unwrap();
    let mut lines = frames("T1 <-", &mut t1, 2).await;
    lines.push(format!("login: {}", http_text(&sim, &login)));
    snapshot!("ping_answers", lines.join("\n"));
    drop(t1);
    sim.shutdown().await;
}

#[tokio::test]
async fn stream_lines() {
    let sim = start(false).await;
    let mut data = connect(&sim, "esp3d-data", "arduino").await;
    let mut out = String::new();
    for command in [
        "M105",
        "M114",
        "M115",
        "M20",
        "N0 M110 N0*125",
        "N1 M105*99",
        "M9999",
        "G1 X10",
        "[ESP200]",
    ] {
        data.send_text(&format!("{command}\n")).await.unwrap();
        let answer = stream(&sim, &mut data, "\n").await;
        out.push_str(&format!("-> {command}\n{answer}"));
    }
    snapshot!("printer_answers", out);

    let mut t1 = connect(&sim, "esp3d-terminal", "webui-v3").await;
    frames("T1 <-", &mut t1, 3).await;
    get(&sim, "/command?cmd=M105").await;
    snapshot!("terminal_stream_m105", stream(&sim, &mut t1, "\n").await);
    drop((data, t1));
    sim.shutdown().await;
}

#[tokio::test]
async fn transfer_frames() {
    let sim = start(false).await;
    let mut data = connect(&sim, "esp3d-data", "arduino").await;
    // Each request with the number of answers it brings: SD its DS and the first DP, the last PD and CM A none.
    let exchanges = [
        ("SR", "", 1),
        ("SU", "s:/ s:cube.gco u32:1020", 1),
        ("UP", "u32:1 1016*47", 1),
        ("SR", "", 1),
        ("UP", "u32:1 1016*47", 1),
        ("UP", "u32:2 'M84' 0a", 1),
        ("SD", "s:/ s:cube.gco", 2),
        ("PD", "'O' u32:1", 1),
        ("PD", "'O' u32:2", 0),
        ("SR", "", 1),
        ("SD", "s:/ s:none.gco", 1),
        ("PD", "'O' u32:1", 1),
        ("SU", "s:/ s:gap.gco u32:30", 1),
        ("UP", "u32:2 10*47", 1),
        ("SR", "", 1),
        ("SU", "s:/ s:big.gco u32:100000000", 1),
        ("SU", "s:/ s:../x.gco u32:5", 1),
        ("UP", "u32:1 1017*47", 1),
        ("CM", "'X'", 1),
        ("SU", "s:/ s:abort.gco u32:30", 1),
        ("CM", "'A'", 0),
        ("SR", "", 1),
    ];
    let mut out = Vec::new();
    for (kind, payload, answers) in exchanges {
        let request = frame(kind, &parse_bytes(payload).unwrap()).unwrap();
        out.push(format!("-> {}", show(&request)));
        data.send_binary(request).await.unwrap();
        for _ in 0..answers {
            out.push(line("<-", &data.next_frame_or_ping(client::REPLY_TIMEOUT).await));
        }
        if let Some(extra) = something_left(&mut data).await {
            out.push(format!("{extra} (unasked)"));
        }
    }
    snapshot!("transfer_frames", out.join("\n"));
    drop(data);
    sim.shutdown().await;
}

/// A frame that came beyond the answers a request brings (none should), as a transcript line.
async fn something_left(data: &mut WsClient) -> Option<String> {
    match data.next_frame_or_ping(std::time::Duration::from_millis(100)).await {
        Frame::Timeout => None,
        frame => Some(line("<-", &frame)),
    }
}

#[tokio::test]
async fn http_answers() {
    let sim = start(false).await;
    let cases = [
        ("command_forwarded", "/command?cmd=M105"),
        ("command_missing", "/command"),
        ("esp800_json", "/command?cmd=%5BESP800%5Djson%3Dyes%20tz%3D-00%3A00"),
        ("esp800_text", "/command?cmd=%5BESP800%5D"),
        ("esp400_json", "/command?cmd=%5BESP400%5Djson"),
        ("esp420_json", "/command?cmd=%5BESP420%5Djson"),
        ("esp600_json", "/command?cmd=%5BESP600%5Djson%3Dyes%20Hello"),
        ("invalid_command", "/command?cmd=%5BESP999%5Djson"),
        ("files_listing", "/files"),
        ("sdfiles_createdir", "/sdfiles?path=/&action=createdir&filename=gcode"),
        ("sdfiles_missing_dir", "/sdfiles?path=/nothere"),
        ("login_without_auth", "/login"),
    ];
    for (name, path) in cases {
        let reply = get(&sim, path).await;
        snapshot!(name, http_text(&sim, &reply));
    }
    sim.shutdown().await;
}
