//! Endrpi WebSocket requests: a session of text frames against one board. Every frame gets exactly one
//! reply, the `{action, success, data, error}` envelope, whose action is the parsed one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use understudy_core::SimTime;
use understudy_core::model::raspberry_pi::RaspberryPi;
use understudy_core::proto::endrpi::ws::{answer, parse};
use understudy_fuzz::{frames, json_object};

fuzz_target!(|data: &[u8]| {
    let mut pi = RaspberryPi::new(0, "endrpi");
    for (i, text) in frames(data).iter().enumerate() {
        let parsed = parse(text);
        let reply = json_object(&answer(&mut pi, SimTime::from_millis(1_000 * i as u64), text));
        let keys: Vec<&str> = reply.keys().map(String::as_str).collect();
        assert_eq!(keys, ["action", "success", "data", "error"], "{text:?}");
        let success = reply["success"].as_bool().expect("success is a boolean");
        let action = match &parsed {
            Ok((action, _)) => Some(action.name()),
            Err(rejection) => {
                assert!(!success, "a rejected request succeeded: {text:?}");
                rejection.action.map(|a| a.name())
            }
        };
        assert_eq!(reply["action"].as_str(), action, "{text:?}");
        if success {
            assert!(reply["error"].is_null());
        } else {
            assert!(reply["data"].is_null());
            assert!(matches!(&reply["error"]["message"], Value::String(m) if !m.is_empty()));
        }
    }
});
