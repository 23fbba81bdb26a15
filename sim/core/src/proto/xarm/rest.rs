//! Plain HTTP on the WebSocket port: `GET /api/status` (the current report as one object keyed by name) and
//! `GET /api/info` (the info report's object); every other request gets a JSON 404 (or 405 for a wrong method).

use serde_json::json;

use crate::proto::http::{HttpRequest, HttpResponse};

/// The WebSocket route.
pub const WEBSOCKET_PATH: &str = "/ws";

/// What an HTTP request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `GET /api/status`.
    Status,
    /// `GET /api/info`.
    Info,
}

/// The route of `request`, or the error response to send.
pub fn route(request: &HttpRequest) -> Result<Route, HttpResponse> {
    let path = request.path.trim_end_matches('/');
    let route = match path {
        "/api/status" => Route::Status,
        "/api/info" => Route::Info,
        _ => return Err(error(404, "not found", &request.path)),
    };
    if request.method != "GET" && request.method != "HEAD" {
        return Err(error(405, "method not allowed", &request.path));
    }
    Ok(route)
}

/// A JSON error body `{"code": <status>, "error": <text>, "path": <path>}`.
pub fn error(status: u16, text: &str, path: &str) -> HttpResponse {
    HttpResponse::json(status, json!({"code": status, "error": text, "path": path}).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn request(method: &str, path: &str) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            path: path.into(),
            query: None,
            content_type: None,
            body: Bytes::new(),
        }
    }

    #[test]
    fn routes_and_errors() {
        assert_eq!(route(&request("GET", "/api/status")), Ok(Route::Status));
        assert_eq!(route(&request("GET", "/api/info/")), Ok(Route::Info));
        let missing = route(&request("GET", "/api/nothing")).unwrap_err();
        assert_eq!((missing.status, missing.content_type), (404, "application/json"));
        assert_eq!(
            missing.text(),
            r#"{"code":404,"error":"not found","path":"/api/nothing"}"#
        );
        assert_eq!(route(&request("GET", "/ws")).unwrap_err().status, 404);
        assert_eq!(route(&request("POST", "/api/status")).unwrap_err().status, 405);
    }
}
