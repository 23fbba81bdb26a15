//! Endrpi's REST API on the same port as the socket (`GET /system[/...]`, `GET /pins`, `GET|PUT /pins/{id}`),
//! with FastAPI's compact JSON, status codes, 404/405/307 answers and pydantic's 400 texts.

use serde::Serialize;
use serde_json::Value;

use crate::model::gpio::PinId;
use crate::model::raspberry_pi::RaspberryPi;
use crate::proto::endrpi::pin_body;
use crate::proto::endrpi::readings;
use crate::proto::endrpi::ws::apply_pin;
use crate::proto::http::{HttpRequest, HttpResponse, percent_decode};
use crate::proto::pyjson::{self, PyStyle};
use crate::time::SimTime;

/// The one route served by the WebSocket.
pub const WEBSOCKET_PATH: &str = "/";

const INDEX_HTML: &str = "<!DOCTYPE html><html><head><title>Endrpi</title></head>\
<body><h1>Endrpi</h1><p>Simulated by Understudy. WebSocket API at <code>/</code>; REST API at <code>/system</code> and <code>/pins</code>.</p></body></html>";

enum Route<'a> {
    Index,
    System,
    SystemPart(&'a str),
    Pins,
    Pin(&'a str),
}

fn route(path: &str) -> Option<Route<'_>> {
    match path {
        "/" => Some(Route::Index),
        "/system" => Some(Route::System),
        "/pins" => Some(Route::Pins),
        _ => {
            if let Some(part) = path.strip_prefix("/system/") {
                ["platform", "temperature", "throttle", "uptime", "frequency", "memory"]
                    .contains(&part)
                    .then_some(Route::SystemPart(part))
            } else {
                path.strip_prefix("/pins/")
                    .filter(|id| !id.is_empty() && !id.contains('/'))
                    .map(Route::Pin)
            }
        }
    }
}

/// Answers one REST request against the board.
pub fn answer(pi: &mut RaspberryPi, now: SimTime, request: &HttpRequest) -> HttpResponse {
    let Some(route) = route(&request.path) else {
        let trimmed = request.path.trim_end_matches('/');
        if request.path.ends_with('/') && !trimmed.is_empty() && route(trimmed).is_some() {
            return HttpResponse {
                location: Some(trimmed.to_string()),
                ..HttpResponse::json(307, "")
            };
        }
        return HttpResponse::json(404, r#"{"detail":"Not Found"}"#);
    };
    let method = request.method.as_str();
    match (route, method) {
        (Route::Index, "GET") => HttpResponse::with_type(200, "text/html; charset=utf-8", INDEX_HTML),
        (Route::System, "GET") => respond(readings::system(pi, now)),
        (Route::SystemPart(part), "GET") => match part {
            "platform" => respond(readings::platform(pi)),
            "temperature" => respond(readings::temperature(pi, now)),
            "throttle" => respond(readings::throttle(pi, now)),
            "uptime" => respond(readings::uptime(pi, now)),
            "frequency" => respond(readings::frequency(pi, now)),
            _ => respond(readings::memory(pi, now)),
        },
        (Route::Pins, "GET") => {
            let all: Vec<PinId> = PinId::all().collect();
            respond::<_, String>(Ok(readings::pins(pi, &all)))
        }
        (Route::Pin(raw), "GET") => match PinId::parse(&percent_decode(raw)) {
            Some(pin) => respond::<_, String>(Ok(readings::pin(pi, pin))),
            None => pin_not_found(raw),
        },
        (Route::Pin(raw), "PUT") => put_pin(pi, raw, request),
        _ => HttpResponse::json(405, r#"{"detail":"Method Not Allowed"}"#),
    }
}

fn respond<T: Serialize, E: AsRef<str>>(result: Result<T, E>) -> HttpResponse {
    match result {
        Ok(data) => HttpResponse::json(200, pyjson::to_string(&data, PyStyle::Compact)),
        Err(message) => message_response(500, message.as_ref()),
    }
}

fn message_response(status: u16, message: &str) -> HttpResponse {
    HttpResponse::json(
        status,
        pyjson::to_string(&serde_json::json!({ "message": message }), PyStyle::Compact),
    )
}

fn pin_not_found(raw: &str) -> HttpResponse {
    message_response(
        404,
        &format!("Pin with BCM pin number `{}` not found", percent_decode(raw)),
    )
}

/// `PUT /pins/{id}`: the body is validated before the pin id, as FastAPI does.
fn put_pin(pi: &mut RaspberryPi, raw: &str, request: &HttpRequest) -> HttpResponse {
    let body = match parse_body(request) {
        Ok(value) => value,
        Err(text) => return message_response(400, &text),
    };
    let config = match pin_body::validate(&body) {
        Ok(config) => config,
        Err(issues) => return message_response(400, &pin_body::describe(&issues)),
    };
    let Some(pin) = PinId::parse(&percent_decode(raw)) else {
        return pin_not_found(raw);
    };
    if config.io == crate::model::gpio::PinIo::Input && config.pull.is_none() {
        return message_response(400, crate::proto::endrpi::ws::NO_PULL);
    }
    if config.io == crate::model::gpio::PinIo::Output && config.state.is_none() {
        return message_response(400, crate::proto::endrpi::ws::NO_STATE);
    }
    match apply_pin(pi, pin, config) {
        Ok(()) => message_response(
            200,
            &format!("Pin configuration for pin `{pin}` was updated successfully"),
        ),
        // gpiozero raises here and FastAPI answers with its plain-text 500.
        Err(_) => HttpResponse::with_type(500, "text/plain; charset=utf-8", "Internal Server Error"),
    }
}

/// The body as FastAPI 0.68 reads it: JSON when the content type is absent or JSON, raw bytes otherwise.
fn parse_body(request: &HttpRequest) -> Result<Value, String> {
    if request.body.is_empty() {
        return Err(pin_body::describe(&pin_body::missing_body()));
    }
    let is_json = request.content_type.as_deref().is_none_or(|ct| {
        let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    });
    if !is_json {
        // FastAPI hands the raw bytes to pydantic, which finds they are not a dict.
        return Ok(Value::Null);
    }
    serde_json::from_slice(&request.body).map_err(|error| json_decode_text(&request.body, &error))
}

/// pydantic's wording for a body that is not JSON, after Python's `json` module.
fn json_decode_text(body: &[u8], error: &serde_json::Error) -> String {
    let doc = String::from_utf8_lossy(body);
    let pos = doc.chars().take_while(|c| c.is_whitespace()).count();
    let rest: String = doc.chars().skip(pos).collect();
    let starts_value = rest.starts_with(|c: char| "{[\"-0123456789".contains(c))
        || ["true", "false", "null", "NaN", "Infinity"]
            .iter()
            .any(|literal| rest.starts_with(literal));
    let (msg, pos, line, col) = if starts_value {
        ("Invalid JSON", pos, error.line(), error.column())
    } else {
        let line = doc.chars().take(pos).filter(|c| *c == '\n').count() + 1;
        let col = pos
            - doc
                .chars()
                .take(pos)
                .collect::<String>()
                .rfind('\n')
                .map_or(0, |i| i + 1)
            + 1;
        ("Expecting value", pos, line, col)
    };
    format!(
        "1 validation error for Requestbody -> 0  {msg}: line {line} column {col} (char {pos}) (type=value_error.jsondecode; msg={msg}; doc={doc}; pos={pos}; lineno={line}; colno={col})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn request(method: &str, path: &str, body: &str) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            path: path.into(),
            query: None,
            content_type: Some("application/json".into()),
            body: Bytes::from(body.to_string()),
        }
    }

    fn call(pi: &mut RaspberryPi, method: &str, path: &str, body: &str) -> (u16, String) {
        let response = answer(pi, SimTime::from_millis(1_495_400), &request(method, path, body));
        (response.status, response.text())
    }

    #[test]
    fn answers_match_the_real_rest_transcript() {
        let mut pi = RaspberryPi::new(0, "endrpi");
        assert_eq!(
            call(&mut pi, "GET", "/system/uptime", ""),
            (200, r#"{"seconds":1495.4,"formatted":"0:24:55"}"#.into())
        );
        assert_eq!(
            call(&mut pi, "GET", "/pins/GPIO1", ""),
            (404, r#"{"message":"Pin with BCM pin number `GPIO1` not found"}"#.into())
        );
        assert_eq!(
            call(&mut pi, "PUT", "/pins/GPIO18", r#"{"io":"OUTPUT","state":1}"#),
            (
                200,
                r#"{"message":"Pin configuration for pin `GPIO18` was updated successfully"}"#.into()
            )
        );
        assert_eq!(
            call(&mut pi, "GET", "/pins/GPIO18", ""),
            (200, r#"{"io":"OUTPUT","state":1.0,"pull":"FLOATING"}"#.into())
        );
        assert_eq!(
            call(&mut pi, "PUT", "/pins/GPIO18", r#"{"io":"OUTPUT"}"#),
            (
                400,
                r#"{"message":"No state specified for output pin configuration"}"#.into()
            )
        );
        assert_eq!(
            call(&mut pi, "PUT", "/pins/GPIO18", r#"{"io":"SIDEWAYS"}"#),
            (400, r#"{"message":"1 validation error for Requestbody -> io  value is not a valid enumeration member; permitted: 'INPUT', 'OUTPUT' (type=type_error.enum; enum_values=[<PinIo.INPUT: 'INPUT'>, <PinIo.OUTPUT: 'OUTPUT'>])"}"#.into())
        );
    }

    #[test]
    fn fastapi_routing_answers() {
        let mut pi = RaspberryPi::new(0, "endrpi");
        assert_eq!(
            call(&mut pi, "GET", "/nope", ""),
            (404, r#"{"detail":"Not Found"}"#.into())
        );
        assert_eq!(
            call(&mut pi, "POST", "/pins", ""),
            (405, r#"{"detail":"Method Not Allowed"}"#.into())
        );
        assert_eq!(call(&mut pi, "HEAD", "/system", "").0, 405);
        let redirect = answer(&mut pi, SimTime::ZERO, &request("GET", "/pins/", ""));
        assert_eq!((redirect.status, redirect.location.as_deref()), (307, Some("/pins")));
    }

    #[test]
    fn the_body_is_checked_before_the_pin_id() {
        let mut pi = RaspberryPi::new(0, "endrpi");
        let (status, text) = call(&mut pi, "PUT", "/pins/GPIO99", r#"{"io":"SIDEWAYS"}"#);
        assert_eq!(status, 400, "{text}");
        assert_eq!(
            call(&mut pi, "PUT", "/pins/GPIO99", r#"{"io":"OUTPUT","state":1}"#).0,
            404
        );
        let (status, text) = call(&mut pi, "PUT", "/pins/GPIO18", "notjson");
        assert_eq!(status, 400);
        assert_eq!(
            text,
            r#"{"message":"1 validation error for Requestbody -> 0  Expecting value: line 1 column 1 (char 0) (type=value_error.jsondecode; msg=Expecting value; doc=notjson; pos=0; lineno=1; colno=1)"}"#
        );
        assert_eq!(
            call(&mut pi, "PUT", "/pins/GPIO18", "").1,
            r#"{"message":"1 validation error for Requestbody  field required (type=value_error.missing)"}"#
        );
    }

    #[test]
    fn gpio_failures_are_plain_500s_over_rest() {
        let mut pi = RaspberryPi::new(0, "endrpi");
        assert_eq!(
            call(&mut pi, "PUT", "/pins/GPIO2", r#"{"io":"INPUT","pull":"DOWN"}"#),
            (500, "Internal Server Error".into())
        );
    }

    #[test]
    fn system_lists_every_reading_in_order() {
        let mut pi = RaspberryPi::new(0, "endrpi");
        let (status, text) = call(&mut pi, "GET", "/system", "");
        assert_eq!(status, 200);
        let value: Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["platform", "temperature", "throttle", "uptime", "frequency", "memory"]
        );
        let pins: Value = serde_json::from_str(&call(&mut pi, "GET", "/pins", "").1).unwrap();
        assert_eq!(pins.as_object().unwrap().len(), 25);
        assert_eq!(
            pins.as_object().unwrap().keys().next().map(String::as_str),
            Some("GPIO2")
        );
    }

    proptest::proptest! {
        #[test]
        fn any_request_gets_a_known_status(
            method in proptest::sample::select(vec!["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"]),
            path in "(/[a-zA-Z0-9%._~-]{0,12}){0,4}/?",
            body in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..64),
        ) {
            let mut pi = RaspberryPi::new(0, "endrpi");
            let request = HttpRequest { method: method.into(), path, query: None, content_type: None, body: Bytes::from(body) };
            let response = answer(&mut pi, SimTime::ZERO, &request);
            proptest::prop_assert!([200, 307, 400, 404, 405, 500].contains(&response.status), "{}", response.status);
        }
    }
}
