//! ESP3D's HTTP routes (`/command`, `/files`, `/sdfiles`, `/login`, multipart uploads), with and without
//! authentication: every request gets an answer, and the flash and the card stay within their sizes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use understudy_core::SimTime;
use understudy_core::model::volume::Volume;
use understudy_core::proto::esp3d::{BoardConfig, Esp3dBoard};
use understudy_fuzz::{http_request, take_u64};

/// Requests per input.
const MAX_REQUESTS: usize = 8;
/// The multipart content types tried, a boundary the seeds use first.
const CONTENT_TYPES: [&str; 3] = ["multipart/form-data; boundary=XyZ", "multipart/form-data", "text/plain"];

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let flags = take_u64::<1>(&mut data);
    let config = BoardConfig {
        auth: flags & 1 != 0,
        ..BoardConfig::default()
    };
    let mut board = Esp3dBoard::new(&config);
    let mut sd = Volume::new(64 * 1024, 64);
    let mut now = SimTime::ZERO;
    for chunk in data.split(|&b| b == 0).take(MAX_REQUESTS) {
        let mut request = http_request(chunk);
        if request.method == "POST" {
            request.content_type = Some(CONTENT_TYPES[chunk.len() % CONTENT_TYPES.len()].to_owned());
        }
        let cookie = (flags & 2 != 0).then_some("ESPSESSIONID=0000000000000000");
        let reply = board.http(now, &request, cookie, &mut sd);
        assert!((200..600).contains(&reply.response.status), "status {}", reply.response.status);
        assert!(sd.used() <= sd.capacity());
        assert!(board.flash().used() <= board.flash().capacity());
        now = now.plus_millis(100);
    }
});
