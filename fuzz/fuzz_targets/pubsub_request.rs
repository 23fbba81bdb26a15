//! Pub/sub client requests: a valid request survives an encode/decode round trip and its ack decodes back;
//! an invalid one becomes an error message that decodes back, with the echoed action bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use understudy_core::proto::pubsub::{MAX_ECHOED_ACTION_CHARS, RequestError, ServerMessage, parse_request};

fn decodes_back(message: &ServerMessage) {
    let text = message.to_json();
    let back: ServerMessage = serde_json::from_str(&text).expect("a server message decodes");
    assert_eq!(&back, message, "{text}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_request(text) {
        Ok(request) => {
            assert!(!request.topic().is_empty());
            let encoded = request.to_json();
            assert_eq!(parse_request(&encoded).as_ref(), Ok(&request), "{encoded}");
            decodes_back(&request.ack());
        }
        Err(error) => {
            if let RequestError::UnknownAction(action) = &error {
                assert!(action.chars().count() <= MAX_ECHOED_ACTION_CHARS);
            }
            decodes_back(&ServerMessage::from(&error));
        }
    }
});
