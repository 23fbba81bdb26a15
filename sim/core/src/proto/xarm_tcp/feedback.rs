//! The controller's motion feedback frames (register 0xFF): what a move asked for when its connection had
//! finish feedback enabled, and the 21-byte frame sent on that connection when the move ends or is dropped.

use crate::model::xarm::ApiCode;
use crate::proto::xarm_tcp::frame::HEADER_BYTES;
use crate::time::SimTime;

/// The register byte of a feedback frame; the SDK routes every frame with it to its feedback queue.
pub const FEEDBACK_REGISTER: u8 = 0xFF;
/// `set_feedback_type` bit: feedback when a motion task ends or is discarded (`FeedbackType.MOTION_FINISH`).
pub const FEEDBACK_MOTION_FINISH: u8 = 2;
/// Feedback code of a task that ran to its end (`FeedbackCode.SUCCESS`).
pub const FEEDBACK_SUCCESS: u8 = 0;
/// Feedback code of a task dropped before its end (`FeedbackCode.DISCARD`).
pub const FEEDBACK_DISCARD: u8 = 2;
/// Bytes of a feedback frame: header, register, state, type, funcode, task id (2), code, microseconds (8).
pub const FEEDBACK_BYTES: usize = 21;

/// The request a feedback frame answers: the move's own transaction, protocol and register, and its task number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedbackTag {
    /// The move request's transaction id (the SDK matches the feedback to its `wait=True` call by it).
    pub transaction: u16,
    /// The move request's protocol identifier.
    pub protocol: u16,
    /// The move's register (the frame's funcode).
    pub register: u8,
    /// The controller's running task number.
    pub task: u16,
}

/// The feedback code of a motion's final api code: success when it ran to its end, discarded otherwise.
pub fn feedback_code(code: ApiCode) -> u8 {
    if code == ApiCode::Ok {
        FEEDBACK_SUCCESS
    } else {
        FEEDBACK_DISCARD
    }
}

/// The finish feedback frame for `tag`: `transaction, protocol, length = 15, 0xFF, state, type 2, funcode,
/// task id (U16 BE), code, trigger time in µs of sim time (U64 BE)`, as the SDK's `register_feedback_callback`
/// decodes it.
pub fn encode_finish(tag: &FeedbackTag, state: u8, code: u8, at: SimTime) -> Vec<u8> {
    let mut out = Vec::with_capacity(FEEDBACK_BYTES);
    out.extend_from_slice(&tag.transaction.to_be_bytes());
    out.extend_from_slice(&tag.protocol.to_be_bytes());
    out.extend_from_slice(&((FEEDBACK_BYTES - HEADER_BYTES) as u16).to_be_bytes());
    out.extend_from_slice(&[FEEDBACK_REGISTER, state, FEEDBACK_MOTION_FINISH, tag.register]);
    out.extend_from_slice(&tag.task.to_be_bytes());
    out.push(code);
    out.extend_from_slice(&at.as_millis().saturating_mul(1000).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finish_frame_has_the_fields_where_the_sdk_reads_them() {
        let tag = FeedbackTag {
            transaction: 0x1234,
            protocol: 2,
            register: 23,
            task: 7,
        };
        let frame = encode_finish(&tag, 0x10, FEEDBACK_DISCARD, SimTime::from_millis(1_500));
        assert_eq!(frame.len(), FEEDBACK_BYTES);
        assert_eq!(&frame[0..2], &[0x12, 0x34], "transaction");
        assert_eq!(u16::from_be_bytes([frame[4], frame[5]]) as usize, frame.len() - 6);
        assert_eq!(frame[6], 0xFF);
        assert_eq!(frame[7], 0x10, "state byte");
        assert_eq!((frame[8], frame[9]), (FEEDBACK_MOTION_FINISH, 23));
        assert_eq!(u16::from_be_bytes([frame[10], frame[11]]), 7);
        assert_eq!(frame[12], FEEDBACK_DISCARD);
        let us = u64::from_be_bytes(frame[13..21].try_into().unwrap());
        assert_eq!(us, 1_500_000);
        assert_eq!(feedback_code(ApiCode::Ok), FEEDBACK_SUCCESS);
        assert_eq!(feedback_code(ApiCode::EmergencyStop), FEEDBACK_DISCARD);
    }
}
