//! xArm's HTTP routes on the WebSocket port: a route only for GET/HEAD of the two API paths, otherwise a JSON
//! error whose `code` is the status and whose `path` is the request's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use understudy_core::proto::xarm::rest::{Route, route};
use understudy_fuzz::{http_request, json_object};

fuzz_target!(|data: &[u8]| {
    let request = http_request(data);
    match route(&request) {
        Ok(found) => {
            assert!(request.method == "GET" || request.method == "HEAD");
            let expected = if found == Route::Status {
                "/api/status"
            } else {
                "/api/info"
            };
            assert_eq!(request.path.trim_end_matches('/'), expected);
        }
        Err(response) => {
            let body = json_object(&response.text());
            assert_eq!(body["code"].as_u64(), Some(u64::from(response.status)));
            assert_eq!(body["path"].as_str(), Some(request.path.as_str()));
        }
    }
});
