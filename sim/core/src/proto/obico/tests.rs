//! The agent end to end on its printer model: exact frames for each kind and each event sequence,
//! the connection policy, and properties (no panics, `_ts` never decreasing, determinism).

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::model::printer::{Printer, PrinterConfig, sample_print};
use crate::time::SimTime;

const EPOCH_MS: u64 = 1_796_147_965_000;
const PRINTER_OK: &str = r#"{"user": {"is_pro": false}, "printer": {"is_pro": false, "id": 1, "name": "fake-printer", "retract_on_pause": 6.5}}"#;

fn at(ms: u64) -> SimTime {
    SimTime::from_millis(ms)
}

fn agent(seed: u64) -> ObicoAgent {
    let mut p = Printer::new(PrinterConfig::default(), seed, "p1");
    p.sd_mut()
        .write("cube.gcode", sample_print().into_bytes(), SimTime::ZERO)
        .unwrap();
    ObicoAgent::new(p, "tok_0123", EPOCH_MS, seed, "p1")
}

fn sent(actions: &[LinkAction]) -> Vec<Value> {
    actions
        .iter()
        .filter_map(|a| match a {
            LinkAction::Send(Frame::Text(t)) => Some(serde_json::from_str(t).unwrap()),
            _ => None,
        })
        .collect()
}

fn texts(actions: &[LinkAction]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            LinkAction::Send(Frame::Text(t)) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// REST check, ext lookup, socket open at `ms`; returns the frames sent on open.
fn link_up(a: &mut ObicoAgent, ms: u64) -> Vec<LinkAction> {
    let first = a.advance(at(ms));
    assert!(
        first.iter().any(|x| matches!(
            x,
            LinkAction::Rest {
                call: RestCall::Printer,
                ..
            }
        )),
        "{first:?}"
    );
    let ext = a.handle_link(
        at(ms),
        LinkEvent::RestAnswered(RestCall::Printer, 200, PRINTER_OK.into()),
    );
    assert!(
        matches!(&ext[..], [LinkAction::Rest { call: RestCall::PrinterExt, path, .. }] if path == "/ent/api/printers/1/ext/")
    );
    let open = a.handle_link(
        at(ms),
        LinkEvent::RestAnswered(RestCall::PrinterExt, 404, String::new()),
    );
    assert_eq!(
        open,
        [LinkAction::OpenWs {
            path: "/ws/dev/",
            authorization: "bearer tok_0123".into()
        }]
    );
    a.handle_link(at(ms), LinkEvent::WsOpened)
}

fn summary(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .map(|f| {
            let ev = f["event"]["event_type"].as_str().unwrap_or("-");
            let extra = f["event"]["data"]["state_id"]
                .as_str()
                .map(|s| format!("({s})"))
                .unwrap_or_default();
            format!(
                "{ev}{extra} {} {}",
                f["status"]["state"]["text"].as_str().unwrap(),
                f["current_print_ts"]
            )
        })
        .collect()
}

fn operational(seed: u64) -> ObicoAgent {
    let mut a = agent(seed);
    link_up(&mut a, 0);
    a.advance(at(1_000));
    a
}

fn start(a: &mut ObicoAgent, ms: u64) -> Vec<Value> {
    let mut frames = sent(&a.start_print(at(ms), "cube.gcode").unwrap());
    frames.extend(sent(&a.handle_link(
        at(ms + 20),
        LinkEvent::RestAnswered(RestCall::GCodeFiles, 201, r#"{"id": 7}"#.into()),
    )));
    frames
}

#[test]
fn rest_first_then_the_socket_and_the_first_status_carries_settings() {
    let mut a = agent(1);
    let frames = texts(&link_up(&mut a, 0));
    assert_eq!(
        frames,
        [concat!(
            r#"{"status": {"state": {"text": "Offline", "flags": {"operational": false, "printing": false, "cancelling": false, "pausing": false, "resuming": false, "finishing": false, "closedOrError": true, "error": false, "paused": false, "ready": false, "sdReady": false}, "error": ""}, "#,
            r#""job": {"file": {"name": null, "path": null, "size": null, "origin": null, "date": null}, "estimatedPrintTime": null, "lastPrintTime": null, "filament": {"length": null, "volume": null}, "user": null}, "currentZ": null, "#,
            r#""progress": {"completion": null, "filepos": null, "printTime": null, "printTimeLeft": null, "printTimeLeftOrigin": null}, "offsets": {}, "resends": {"count": 0, "ratio": 0}, "temperatures": {}, "_ts": 1796147965, "currentLayerHeight": null, "display_status": {"message": null}, "file_metadata": null}, "#,
            r#""current_print_ts": -1, "settings": {"temperature": {"profiles": [{"name": "ABS", "extruder": 210, "bed": 100}, {"name": "PLA", "extruder": 180, "bed": 60}], "cutoff": 30, "sendAutomatically": false, "sendAutomaticallyAfter": 1}, "#,
            r##""agent": {"name": "octoprint_obico", "version": "2.6.1"}, "octoprint_version": "1.11.8", "platform_uname": ["Linux", "p1", "understudy", "#1", "x86_64", "", ""], "installed_plugins": ["obico"]}}"##
        )]
    );
}

#[test]
fn connecting_to_the_printer_sends_three_state_changes_then_settings_with_the_firmware() {
    let mut a = agent(1);
    link_up(&mut a, 0);
    let frames = sent(&a.advance(at(700)));
    assert_eq!(
        summary(&frames),
        [
            "PrinterStateChanged(OPEN_SERIAL) Opening serial connection -1",
            "PrinterStateChanged(CONNECTING) Connecting -1",
            "PrinterStateChanged(OPERATIONAL) Operational -1",
            "- Operational -1"
        ]
    );
    assert_eq!(
        frames[3]["settings"]["printer_metadata"],
        json!({"FIRMWARE_NAME": "Marlin", "PROTOCOL_VERSION": "1.0"})
    );
    assert!(frames[..3].iter().all(|f| f.get("settings").is_none()));
    assert_eq!(
        frames[2]["status"]["resends"],
        json!({"count": 0, "transmitted": 5, "ratio": 0})
    );
    assert_eq!(
        frames[2]["status"]["temperatures"]["chamber"],
        json!({"actual": null, "target": null, "offset": 0})
    );
}

#[test]
fn start_pause_resume_cancel_in_the_real_order() {
    let mut a = operational(2);
    let frames = start(&mut a, 10_000);
    let cpts = (EPOCH_MS + 10_020) / 1000;
    assert_eq!(
        summary(&frames),
        [
            "PrinterStateChanged(STARTING) Starting -1".to_owned(),
            format!("PrintStarted Printing {cpts}"),
            format!("PrinterStateChanged(PRINTING) Printing {cpts}"),
        ]
    );
    assert_eq!(
        frames[1]["event"]["data"],
        json!({"name": "cube.gcode", "path": "cube.gcode", "origin": "local", "size": sample_print().len(), "owner": "_api", "user": "_api"})
    );
    assert_eq!(frames[1]["status"]["job"]["file"]["obico_g_code_file_id"], json!(7));
    assert_eq!(
        frames[1]["status"]["_ts"],
        json!(cpts),
        "current_print_ts is the PrintStarted frame's _ts"
    );

    let pause = json!({"commands": [{"cmd": "pause", "args": {"retract": 6.5, "lift_z": 2.5, "tools_off": true}, "initiator": "api"}], "type": "printer.message"});
    let frames = sent(&a.receive_text(at(11_000), &pause.to_string()));
    assert_eq!(
        summary(&frames),
        [
            format!("PrinterStateChanged(PAUSING) Pausing {cpts}"),
            format!("PrintPaused Pausing {cpts}"),
            format!("PrinterStateChanged(PAUSED) Paused {cpts}"),
        ]
    );
    let resume = r#"{"commands": [{"cmd": "resume", "args": {}, "initiator": "api"}], "type": "printer.message"}"#;
    let frames = sent(&a.receive_text(at(12_000), resume));
    assert_eq!(
        summary(&frames),
        [
            format!("PrinterStateChanged(RESUMING) Resuming {cpts}"),
            format!("PrintResumed Resuming {cpts}"),
            format!("PrinterStateChanged(PRINTING) Printing {cpts}"),
        ]
    );
    let cancel = r#"{"commands": [{"cmd": "cancel", "args": {}, "initiator": "api"}], "type": "printer.message"}"#;
    let frames = sent(&a.receive_text(at(12_500), cancel));
    assert_eq!(
        summary(&frames),
        [
            format!("PrintCancelling Cancelling {cpts}"),
            format!("PrinterStateChanged(CANCELLING) Cancelling {cpts}"),
            format!("PrintCancelled Cancelling {cpts}"),
            format!("PrintFailed Operational {cpts}"),
            "PrinterStateChanged(OPERATIONAL) Operational -1".to_owned(),
        ]
    );
    assert_eq!(frames[3]["event"]["data"]["reason"], json!("cancelled"));
    assert_eq!(
        frames[2]["event"]["data"], frames[3]["event"]["data"],
        "PrintFailed repeats PrintCancelled's payload"
    );
    assert_eq!(frames[4]["status"]["currentLayerHeight"], Value::Null);
}

#[test]
fn a_print_that_ends_sends_finishing_done_then_operational() {
    let mut a = operational(3);
    start(&mut a, 5_000);
    let mut frames = Vec::new();
    let mut now = 5_020;
    while now < 600_000 && a.state() != OctoState::Operational {
        now = a
            .next_deadline()
            .map_or(now + 1_000, |d| d.as_millis().max(now + 1))
            .min(now + 1_000);
        frames.extend(sent(&a.advance(at(now))));
    }
    let events: Vec<String> = summary(&frames).into_iter().filter(|s| !s.starts_with('-')).collect();
    let cpts = (EPOCH_MS + 5_020) / 1000;
    assert_eq!(
        events,
        [
            format!("PrinterStateChanged(FINISHING) Finishing {cpts}"),
            format!("PrintDone Finishing {cpts}"),
            "PrinterStateChanged(OPERATIONAL) Operational -1".to_owned(),
        ]
    );
    let at_done = frames
        .iter()
        .position(|f| f["event"]["event_type"] == "PrintDone")
        .unwrap();
    assert!(
        frames[at_done + 1..].iter().all(|f| f["current_print_ts"] == json!(-1)),
        "every frame after PrintDone, Finishing heartbeats included, has current_print_ts -1"
    );
    let done = &frames[at_done];
    assert_eq!(done["status"]["progress"]["completion"], json!(100.0));
    assert_eq!(done["status"]["state"]["flags"]["finishing"], json!(true));
}

#[test]
fn a_second_print_gets_a_new_current_print_ts() {
    let mut a = operational(4);
    let first = start(&mut a, 5_000)[1]["current_print_ts"].clone();
    a.cancel(at(6_000)).unwrap();
    let second = start(&mut a, 9_000)[1]["current_print_ts"].clone();
    assert_ne!(first, second);
    assert_eq!(a.current_print_ts(), second.as_i64().unwrap());
}

#[test]
fn the_cadence_is_50_s_idle_and_10_s_after_activity() {
    let mut a = operational(5);
    assert_eq!(a.next_deadline(), Some(at(11_000)), "boosted by the connect events");
    assert_eq!(sent(&a.advance(at(11_000))).len(), 1);
    assert_eq!(a.next_deadline(), Some(at(61_000)));
    assert!(sent(&a.advance(at(60_999))).is_empty());
    let frames = sent(&a.advance(at(61_000)));
    assert_eq!(summary(&frames), ["- Operational -1"]);
    assert_eq!(frames[0]["status"]["_ts"], json!((EPOCH_MS + 61_000) / 1000));
}

#[test]
fn passthru_answers_once_and_ignores_duplicates_unknowns_and_missing_refs() {
    let mut a = operational(6);
    let m105 = r#"{"passthru": {"func": "commands", "target": "_printer", "args": ["M105"], "ref": "0.1002"}, "type": "printer.message"}"#;
    assert_eq!(
        texts(&a.receive_text(at(2_000), m105)),
        [r#"{"passthru": {"ref": "0.1002", "ret": null}}"#]
    );
    assert!(
        texts(&a.receive_text(at(2_100), m105)).is_empty(),
        "a duplicate ref is ignored"
    );
    let bad =
        r#"{"passthru": {"func": "set_temperature", "target": "_printer", "args": ["nope", 10], "ref": "0.1003"}}"#;
    assert_eq!(
        texts(&a.receive_text(at(2_200), bad)),
        [
            r#"{"passthru": {"ref": "0.1003", "error": "heater must match \"tool\", \"tool([0-9])\", \"bed\" or \"chamber\": nope"}}"#
        ]
    );
    for frame in [
        r#"{"passthru": {"func": "no_such_func", "target": "_printer", "ref": "0.1004"}}"#,
        r#"{"passthru": {"func": "x", "target": "no_such_target", "ref": "0.1005"}}"#,
        r#"{"passthru": {"func": "commands", "target": "_printer", "args": ["M105"]}}"#,
        r#"{"foo": {"bar": 1}, "type": "printer.message"}"#,
        r#"{"remote_status": {"viewing": true}, "type": "printer.message"}"#,
        r#"{"commands": [{"cmd": "print", "args": {"file": "cube.gcode"}}]}"#,
        "not json",
    ] {
        assert!(texts(&a.receive_text(at(2_300), frame)).is_empty(), "{frame}");
    }
    let heat = r#"{"passthru": {"func": "set_temperature", "target": "_printer", "args": ["bed", 60], "ref": "h"}}"#;
    assert_eq!(
        texts(&a.receive_text(at(2_400), heat)),
        [r#"{"passthru": {"ref": "h", "ret": null}}"#]
    );
    a.advance(at(3_000));
    assert_eq!(a.printer().temperatures().bed_target, 60.0);
}

#[test]
fn passthru_selects_and_starts_a_file() {
    let mut a = operational(7);
    let select = r#"{"passthru": {"func": "select_file", "target": "_printer", "args": ["cube.gcode", false, true], "ref": "s"}}"#;
    let out = a.receive_text(at(2_000), select);
    assert!(out.iter().any(|x| matches!(
        x,
        LinkAction::Rest {
            call: RestCall::GCodeFiles,
            method: "POST",
            ..
        }
    )));
    let frames: Vec<Value> = sent(&out).into_iter().filter(|f| f.get("status").is_some()).collect();
    assert_eq!(summary(&frames), ["PrinterStateChanged(STARTING) Starting -1"]);
    assert_eq!(
        texts(&out).last().unwrap(),
        r#"{"passthru": {"ref": "s", "ret": null}}"#
    );
    let missing = r#"{"passthru": {"func": "select_file", "target": "_printer", "args": ["none.gcode"], "ref": "m"}}"#;
    assert_eq!(
        texts(&a.receive_text(at(2_100), missing)),
        [r#"{"passthru": {"ref": "m", "error": "Cannot select none.gcode, file does not exist"}}"#]
    );
}

#[test]
fn the_tunnel_answers_in_bson_even_for_a_json_request() {
    let mut a = operational(8);
    let req = r#"{"http.tunnelv2": {"ref": "v2.1.get.text./api/version", "method": "get", "headers": {}, "path": "/api/version", "data": ""}, "type": "printer.message"}"#;
    let out = a.receive_text(at(2_000), req);
    let [LinkAction::Send(Frame::Binary(bytes))] = &out[..] else {
        panic!("{out:?}")
    };
    let doc = bson::decode_document(bytes).unwrap();
    let v = bson::to_json(&bson::Bson::Document(doc));
    let body = "{\n  \"api\": \"0.1\",\n  \"server\": \"1.11.8\",\n  \"text\": \"OctoPrint 1.11.8\"\n}\n";
    assert_eq!(body.len(), 71, "the real agent's reply content is 71 bytes");
    assert_eq!(v["http.tunnelv2"]["ref"], json!("v2.1.get.text./api/version"));
    assert_eq!(v["http.tunnelv2"]["response"]["status"], json!(200));
    assert_eq!(v["http.tunnelv2"]["response"]["content"], json!(body.as_bytes()));
    assert_eq!(v["http.tunnelv2"]["response"]["headers"]["Content-Length"], json!("71"));
    // The same request as BSON binary is answered the same way.
    let request = bson::Bson::Document(vec![
        ("ref".into(), bson::Bson::String("b".into())),
        ("method".into(), bson::Bson::String("get".into())),
        ("path".into(), bson::Bson::String("/api/job".into())),
    ]);
    let out = a.receive_binary(at(2_100), &bson::encode_document(&[("http.tunnelv2".into(), request)]));
    let [LinkAction::Send(Frame::Binary(bytes))] = &out[..] else {
        panic!("{out:?}")
    };
    let v = bson::to_json(&bson::Bson::Document(bson::decode_document(bytes).unwrap()));
    let content: Vec<u8> = serde_json::from_value(v["http.tunnelv2"]["response"]["content"].clone()).unwrap();
    let job: Value = serde_json::from_slice(&content).unwrap();
    assert_eq!(job["state"], json!("Operational"));
}

#[test]
fn rest_401_backs_off_with_full_jitter_and_never_opens_the_socket() {
    let mut a = agent(9);
    let mut now = 0;
    let mut gets = Vec::new();
    for _ in 0..6 {
        let out = a.advance(at(now));
        assert!(out.iter().all(|x| !matches!(x, LinkAction::OpenWs { .. })));
        if out.iter().any(|x| {
            matches!(
                x,
                LinkAction::Rest {
                    call: RestCall::Printer,
                    ..
                }
            )
        }) {
            gets.push(now);
            a.handle_link(at(now), LinkEvent::RestAnswered(RestCall::Printer, 401, "{}".into()));
        }
        now = a.next_deadline().unwrap().as_millis().max(now);
    }
    for (i, pair) in gets.windows(2).enumerate() {
        let gap = pair[1] - pair[0];
        assert!(gap <= 1000 << i, "gap {gap} ms after failure {i} exceeds 2^{i} s");
    }
    assert!(gets.len() >= 5, "{gets:?}");
}

#[test]
fn a_403_waits_out_the_120_s_poll_then_retries() {
    let mut a = agent(10);
    a.advance(at(0));
    a.handle_link(
        at(0),
        LinkEvent::RestAnswered(RestCall::Printer, 200, PRINTER_OK.into()),
    );
    a.handle_link(at(0), LinkEvent::RestAnswered(RestCall::PrinterExt, 404, String::new()));
    a.handle_link(at(0), LinkEvent::WsRefused(403));
    assert!(
        a.advance(at(110_000))
            .iter()
            .all(|x| !matches!(x, LinkAction::OpenWs { .. }))
    );
    let out = a.advance(at(120_400));
    assert!(out.iter().any(|x| matches!(x, LinkAction::OpenWs { .. })), "{out:?}");
}

#[test]
fn close_1000_reconnects_lazily_and_4321_reconnects_once_then_stays_silent() {
    let mut a = operational(11);
    a.handle_link(at(2_000), LinkEvent::WsClosed(1000));
    let out = a.advance(at(11_000));
    assert!(
        out.iter().any(|x| matches!(x, LinkAction::OpenWs { .. })),
        "the next queued status reconnects"
    );
    let out = a.handle_link(at(11_010), LinkEvent::WsOpened);
    assert_eq!(summary(&sent(&out)), ["- Operational -1"], "no settings on reconnect");
    assert!(sent(&out)[0].get("settings").is_none());
    a.handle_link(at(11_500), LinkEvent::WsClosed(4321));
    let out = a.advance(at(61_000));
    assert!(out.iter().any(|x| matches!(x, LinkAction::OpenWs { .. })));
    assert_eq!(
        sent(&a.handle_link(at(61_010), LinkEvent::WsOpened)).len(),
        1,
        "one status after the reconnect"
    );
    assert!(a.link().is_shut_down());
    assert!(sent(&a.advance(at(111_010))).is_empty(), "then silent");
    assert!(sent(&a.advance(at(200_000))).is_empty());
}

fn script(seed: u64, frames: &[String]) -> Vec<String> {
    let mut a = operational(seed);
    let mut out = Vec::new();
    let mut now = 1_000;
    for f in frames {
        now += 700;
        out.extend(texts(&a.receive_text(at(now), f)));
        out.extend(texts(&a.advance(at(now))));
    }
    out
}

fn server_frame() -> impl Strategy<Value = String> {
    let cmd = prop_oneof![Just("pause"), Just("resume"), Just("cancel"), Just("print"), Just("x")];
    let func = prop_oneof![
        Just("commands"),
        Just("jog"),
        Just("set_temperature"),
        Just("pause_print"),
        Just("resume_print"),
        Just("cancel_print"),
        Just("select_file"),
        Just("start_print"),
        Just("nope")
    ];
    let arg = prop_oneof![
        Just(json!(null)),
        Just(json!("cube.gcode")),
        Just(json!(["G28", "M105"])),
        Just(json!({"x": 1.5, "z": -2})),
        Just(json!("tool0")),
        Just(json!(210)),
        Just(json!(true)),
        Just(json!({"retract": 6.5, "lift_z": 2.5, "tools_off": true, "bed_off": 1})),
    ];
    prop_oneof![
        (cmd, arg.clone()).prop_map(|(c, a)| json!({"commands": [{"cmd": c, "args": a}]}).to_string()),
        (func, proptest::collection::vec(arg.clone(), 0..3), 0u8..4).prop_map(|(f, args, r)| {
            json!({"passthru": {"target": "_printer", "func": f, "args": args, "ref": r}}).to_string()
        }),
        arg.prop_map(
            |a| json!({"remote_status": a, "http.tunnelv2": {"ref": "r", "path": "/api/printer"}}).to_string()
        ),
        "[ -~]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_server_frames_never_panic_and_ts_never_decreases(frames in proptest::collection::vec(server_frame(), 0..12)) {
        let out = script(12, &frames);
        let mut last = 0;
        for t in &out {
            let v: Value = serde_json::from_str(t).unwrap();
            if let Some(ts) = v["status"]["_ts"].as_u64() {
                prop_assert!(ts >= last);
                last = ts;
                let flags = &v["status"]["state"]["flags"];
                prop_assert_eq!(flags.as_object().map(|m| m.len()), Some(11));
            }
        }
    }

    #[test]
    fn same_seed_and_inputs_give_identical_frames(frames in proptest::collection::vec(server_frame(), 0..8)) {
        prop_assert_eq!(script(13, &frames), script(13, &frames));
    }

    #[test]
    fn random_binary_frames_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let mut a = operational(14);
        let _ = a.receive_binary(at(2_000), &bytes);
    }
}

#[test]
fn the_print_started_frame_is_exact() {
    let mut a = operational(2);
    let post = a.start_print(at(10_000), "cube.gcode").unwrap();
    let form = post.iter().find_map(|x| match x {
        LinkAction::Rest {
            call: RestCall::GCodeFiles,
            form,
            ..
        } => Some(form.clone()),
        _ => None,
    });
    let size = sample_print().len().to_string();
    let signature = agent::file_signature(sample_print().as_bytes());
    let expected_form = [
        ("filename", "cube.gcode"),
        ("safe_filename", "cube.gcode"),
        ("num_bytes", size.as_str()),
        ("agent_signature", signature.as_str()),
        ("url", "cube.gcode"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    assert_eq!(form.as_deref(), Some(&expected_form[..]));
    let out = a.handle_link(
        at(10_020),
        LinkEvent::RestAnswered(RestCall::GCodeFiles, 201, r#"{"id": 7}"#.into()),
    );
    let started = texts(&out).into_iter().next().unwrap();
    assert_eq!(
        started,
        concat!(
            r#"{"status": {"state": {"text": "Printing", "flags": {"operational": true, "printing": true, "cancelling": false, "pausing": false, "resuming": false, "finishing": false, "closedOrError": false, "error": false, "paused": false, "ready": false, "sdReady": true}, "error": ""}, "#,
            r#""job": {"file": {"name": "cube.gcode", "path": "cube.gcode", "display": "cube.gcode", "origin": "local", "size": 2510, "date": 1796147975, "obico_g_code_file_id": 7}, "estimatedPrintTime": null, "averagePrintTime": null, "lastPrintTime": null, "filament": {"tool0": {"length": 0.0, "volume": 0.0}}, "user": "_api"}, "currentZ": 0.0, "#,
            r#""progress": {"completion": 0.1593625498007968, "filepos": 4, "printTime": 0, "printTimeLeft": null, "printTimeLeftOrigin": null, "filamentUsed": 0.0}, "offsets": {}, "resends": {"count": 0, "transmitted": 5, "ratio": 0}, "#,
            r#""temperatures": {"tool0": {"actual": 21.93, "target": 0.0, "offset": 0}, "bed": {"actual": 22.08, "target": 0.0, "offset": 0}, "chamber": {"actual": null, "target": null, "offset": 0}}, "_ts": 1796147975, "currentLayerHeight": null, "display_status": {"message": null}, "file_metadata": {"user": "_api"}}, "#,
            r#""current_print_ts": 1796147975, "event": {"event_type": "PrintStarted", "data": {"name": "cube.gcode", "path": "cube.gcode", "origin": "local", "size": 2510, "owner": "_api", "user": "_api"}}}"#
        )
    );
}

#[test]
fn a_server_pause_with_tools_off_turns_the_hotend_off_and_resume_heats_it_back() {
    let mut a = operational(15);
    let heat = r#"{"passthru": {"func": "set_temperature", "target": "_printer", "args": ["tool0", 200], "ref": "t"}}"#;
    a.receive_text(at(1_500), heat);
    a.advance(at(2_000));
    assert_eq!(a.printer().temperatures().hotend_target, 200.0);
    start(&mut a, 3_000);
    let pause = r#"{"commands": [{"cmd": "pause", "args": {"retract": 6.5, "lift_z": 2.5, "tools_off": true}, "initiator": "api"}]}"#;
    a.receive_text(at(4_000), pause);
    assert_eq!(a.state(), OctoState::Paused);
    for ms in (5_000..=30_000).step_by(1_000) {
        a.advance(at(ms));
    }
    assert_eq!(a.printer().temperatures().hotend_target, 0.0, "M104 S0 after the pause");
    a.receive_text(
        at(5_000),
        r#"{"commands": [{"cmd": "resume", "args": {}, "initiator": "api"}]}"#,
    );
    a.advance(at(5_500));
    assert_eq!(a.state(), OctoState::Printing);
    assert_eq!(
        a.printer().temperatures().hotend_target,
        200.0,
        "M109 S200 before the moves"
    );
}

#[test]
fn a_halted_printer_fails_the_print_then_reports_error() {
    let mut a = operational(16);
    let cpts = start(&mut a, 3_000)[1]["current_print_ts"].clone();
    a.printer_mut()
        .inject_fault(at(4_000), crate::model::printer::Fault::EmergencyStop);
    let frames = sent(&a.advance(at(4_000)));
    assert_eq!(
        summary(&frames),
        [
            format!("PrintFailed Printing {cpts}"),
            "PrinterStateChanged(ERROR) Error -1".to_owned()
        ]
    );
    assert_eq!(frames[0]["event"]["data"]["reason"], json!("error"));
    assert_eq!(frames[1]["status"]["state"]["flags"]["closedOrError"], json!(true));
}

#[test]
fn statuses_built_during_a_403_retry_go_out_in_a_burst_in_order() {
    let mut a = agent(17);
    a.advance(at(0));
    a.handle_link(
        at(0),
        LinkEvent::RestAnswered(RestCall::Printer, 200, PRINTER_OK.into()),
    );
    a.handle_link(at(0), LinkEvent::RestAnswered(RestCall::PrinterExt, 404, String::new()));
    a.handle_link(at(0), LinkEvent::WsRefused(403));
    let mut opened = false;
    let mut now = 0;
    while !opened && now < 130_000 {
        now = a.next_deadline().unwrap().as_millis().max(now + 1);
        opened = a
            .advance(at(now))
            .iter()
            .any(|x| matches!(x, LinkAction::OpenWs { .. }));
    }
    assert!(opened && (120_000..=120_250).contains(&now), "{now}");
    let burst = sent(&a.handle_link(at(now), LinkEvent::WsOpened));
    assert!(burst.len() >= 4, "{}", burst.len());
    let ts: Vec<u64> = burst.iter().map(|f| f["status"]["_ts"].as_u64().unwrap()).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "{ts:?}");
    assert!(
        burst
            .iter()
            .all(|f| f.get("settings").is_none() || f["settings"]["printer_metadata"].is_object())
    );
}

#[test]
fn a_2xx_without_a_printer_id_is_a_failure() {
    let mut a = agent(18);
    a.advance(at(0));
    let out = a.handle_link(at(0), LinkEvent::RestAnswered(RestCall::Printer, 200, "{}".into()));
    assert!(out.is_empty());
    assert!(a.link().printer_id().is_none());
}

#[test]
fn settings_come_again_after_30_minutes_only() {
    let mut a = operational(19);
    let mut with_settings = Vec::new();
    let mut now = 1_000;
    while now < 3_700_000 {
        now = a.next_deadline().unwrap().as_millis().max(now + 1);
        for f in sent(&a.advance(at(now))) {
            if f.get("settings").is_some() {
                with_settings.push(now);
            }
        }
    }
    assert_eq!(with_settings.len(), 2, "{with_settings:?}");
    assert!(with_settings.iter().all(|&t| t >= 1_801_000), "{with_settings:?}");
}

#[test]
fn the_file_signature_is_octoprints_sha1_hash_labelled_md5() {
    // FIPS 180 test vector for "abc".
    assert_eq!(
        agent::file_signature(b"abc"),
        "md5:a9993e364706816aba3e25717850c26c9cd0d89d"
    );
}
