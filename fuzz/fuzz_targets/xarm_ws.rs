//! xArm Studio requests: a session of text frames against one controller, with time moving between them.
//! Every frame gets one response echoing its id and code; final codes are known ones; every status report
//! stays a 91-value JSON report whatever the commands did to the arm.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use understudy_core::SimTime;
use understudy_core::model::arm::ArmModel;
use understudy_core::model::xarm::Controller;
use understudy_core::proto::xarm::info::Identity;
use understudy_core::proto::xarm::report::{STATUS_KEYS, StatusInput, status_report};
use understudy_core::proto::xarm::ws::handle_text;
use understudy_fuzz::{frames, json_object, take_u64};

/// Frames per input, so that one input stays fast.
const MAX_FRAMES: usize = 32;
/// Final codes a motion or gripper wait may end with.
const FINAL_CODES: [i32; 5] = [0, -9, 1, -6, -7];

fn report_is_sound(controller: &Controller<usize>, identity: &Identity, t: SimTime) {
    let snapshot = controller.snapshot(t);
    let report = json_object(&status_report(&StatusInput {
        t,
        snapshot: &snapshot,
        settings: &controller.settings,
        identity,
        clients: 1,
        seed: 0,
    }));
    let values = report["data"].as_array().expect("a report carries a data array");
    assert_eq!(values.len(), STATUS_KEYS.len());
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let model = ArmModel::ALL[take_u64::<1>(&mut data) as usize % ArmModel::ALL.len()];
    let identity = Identity::new(model, 0);
    let mut controller = Controller::new(model);
    let mut now = SimTime::ZERO;
    let mut waiters = 0;
    for text in frames(data).iter().take(MAX_FRAMES) {
        let answer = handle_text(&mut controller, now, text, |_| {
            waiters += 1;
            waiters
        });
        let frame = json_object(&answer.frame);
        assert_eq!(frame["type"], "response", "{text:?}");
        assert_eq!(frame["code"].as_i64(), Some(i64::from(answer.code.code())), "{text:?}");
        match &answer.envelope {
            Some(envelope) => assert_eq!(frame["id"], envelope.id, "{text:?}"),
            None => assert!(frame["id"] == Value::Null || frame["id"] == json_object(text)["id"]),
        }
        now = now.plus_millis(250);
        controller.advance(now);
        for completion in controller.take_completions() {
            assert!(FINAL_CODES.contains(&completion.code.code()), "final code {:?}", completion.code);
            assert!(completion.waiter <= waiters);
        }
        report_is_sound(&controller, &identity, now);
    }
    if let Some(end) = controller.next_event() {
        controller.advance(end);
        report_is_sound(&controller, &identity, end);
    }
});
