//! The xArm controller's port 502: bytes in fuzzer-chosen chunks to the frame decoder, every request it yields
//! answered by the register table of one controller, time moving between chunks. Each answer echoes its
//! request's transaction, protocol and register; a move's feedback names a request that was made; the stream
//! only ends with a frame error; every report builds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use understudy_core::SimTime;
use understudy_core::model::arm::ArmModel;
use understudy_core::model::xarm::Controller;
use understudy_core::proto::xarm::info::Identity;
use understudy_core::proto::xarm::report::StatusInput;
use understudy_core::proto::xarm_tcp::frame::{decode_answer, encode_answer};
use understudy_core::proto::xarm_tcp::report::{ReportInput, ReportKind, build};
use understudy_core::proto::xarm_tcp::{ControllerIo, Ctx, Decoder, FeedbackTag, Incoming, TcpWaiter, handle};
use understudy_fuzz::take_u64;

/// Requests per input, so that one input stays fast.
const MAX_REQUESTS: usize = 64;

/// A move's waiter: the feedback frame its move asked for, if any.
#[derive(Clone)]
struct Waiter(Option<FeedbackTag>);

impl TcpWaiter for Waiter {
    fn with_feedback(&self, tag: FeedbackTag) -> Self {
        Waiter(Some(tag))
    }
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let model = ArmModel::ALL[take_u64::<1>(&mut data) as usize % ArmModel::ALL.len()];
    let identity = Identity::new(model, 0);
    let mut controller: Controller<Waiter> = Controller::new(model);
    let mut feedback_type = 0u8;
    let mut io = ControllerIo::default();
    let mut decoder = Decoder::default();
    let mut now = SimTime::ZERO;
    let mut answered = 0;
    let mut transactions = std::collections::BTreeSet::new();
    'stream: while !data.is_empty() && answered < MAX_REQUESTS {
        let chunk = (take_u64::<1>(&mut data) as usize % 64 + 1).min(data.len());
        decoder.push(&data[..chunk]);
        data = &data[chunk..];
        loop {
            match decoder.next_frame() {
                Ok(Some(Incoming::Request(request))) => {
                    let mut ctx = Ctx {
                        controller: &mut controller,
                        io: &mut io,
                        identity: &identity,
                        now,
                        waiter: Waiter(None),
                        feedback_type: &mut feedback_type,
                    };
                    let (state, params) = handle(&mut ctx, &request);
                    let bytes = encode_answer(&request, state, &params);
                    let (answer, used) = decode_answer(&bytes).expect("an answer decodes");
                    assert_eq!(used, bytes.len());
                    assert_eq!(
                        (answer.transaction, answer.protocol, answer.register),
                        (request.transaction, request.protocol, request.register)
                    );
                    transactions.insert(request.transaction);
                    answered += 1;
                }
                Ok(Some(Incoming::Heartbeat)) => {}
                Ok(None) => break,
                Err(_) => break 'stream,
            }
        }
        now = now.plus_millis(100);
        controller.advance(now);
        for done in controller.take_completions() {
            if let Some(tag) = done.waiter.0 {
                assert!(transactions.contains(&tag.transaction), "feedback for a request never made");
                assert!(done.at <= now, "a move ended in the future");
            }
        }
    }
    let snapshot = controller.snapshot(now);
    let status = StatusInput { t: now, snapshot: &snapshot, settings: &controller.settings, identity: &identity, clients: 0, seed: 0 };
    let input = ReportInput { status: &status, cmd_num: controller.queued_moves() as u16, io: &io };
    for kind in ReportKind::ALL {
        assert_eq!(build(kind, &input).len(), kind.size());
    }
});
