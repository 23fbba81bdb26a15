//! Endrpi's REST mirror: any method, path, query, content type and body gets an answer with a known status,
//! and a JSON body that is JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use understudy_core::SimTime;
use understudy_core::model::raspberry_pi::RaspberryPi;
use understudy_core::proto::endrpi::rest::answer;
use understudy_fuzz::{http_request, json_object};

fuzz_target!(|data: &[u8]| {
    let mut pi = RaspberryPi::new(0, "endrpi");
    let request = http_request(data);
    let response = answer(&mut pi, SimTime::from_millis(60_000), &request);
    assert!(
        [200, 307, 400, 404, 405, 500].contains(&response.status),
        "status {} for {request:?}",
        response.status
    );
    if response.status == 307 {
        assert!(
            response.location.is_some(),
            "a redirect without a location: {request:?}"
        );
    } else if response.content_type == "application/json" {
        json_object(&response.text());
    }
});
