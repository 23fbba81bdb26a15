//! The pub/sub socket's HTTP side: the token check before the upgrade (HTTP 401 with
//! `{"error":"<reason>"}` on any failure), the session for an accepted upgrade, and plain HTTP answers.

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::json;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};

use crate::clock::{Clock, SimTime};
use crate::devices::pubsub::WEBSOCKET_PATH;
use crate::devices::pubsub::hub::Hub;
use crate::devices::pubsub::session::PubsubSession;
use crate::serve::device::{ConnInfo, Service, Session, Upgrade};
use understudy_core::proto::http::{HttpRequest, HttpResponse, query_param};
use understudy_core::proto::pubsub::auth::{self as jwt_auth, AuthConfig};

/// The service behind the pub/sub endpoint.
pub struct PubsubService {
    pub hub: Arc<Hub>,
    pub auth: Arc<AuthConfig>,
    pub clock: Arc<Clock>,
}

impl PubsubService {
    #[allow(clippy::result_large_err)]
    fn authorize(&self, request: &Request, peer: Option<SocketAddr>) -> Result<Upgrade, ErrorResponse> {
        if request.uri().path() != WEBSOCKET_PATH {
            return Err(refusal(StatusCode::NOT_FOUND, "not found"));
        }
        let token = request.uri().query().and_then(|q| query_param(q, "token"));
        let now_secs = self.clock.unix_ms() / 1000;
        match jwt_auth::validate(token.as_deref(), &self.auth, now_secs) {
            Ok(_) => Ok(Upgrade { subprotocol: None }),
            Err(error) => {
                let reason = error.reason();
                self.hub.lock().auth_failed(self.clock.now(), peer, &reason);
                Err(refusal(StatusCode::UNAUTHORIZED, &reason))
            }
        }
    }
}

/// An HTTP refusal with body `{"error":"<reason>"}`.
fn refusal(status: StatusCode, reason: &str) -> ErrorResponse {
    let body = json!({ "error": reason }).to_string();
    let length = HeaderValue::from(body.len());
    let mut response = ErrorResponse::new(Some(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CONTENT_LENGTH, length);
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"pubsub\""),
        );
    }
    response
}

impl Service for PubsubService {
    fn upgrade(&self, request: &Request) -> Result<Upgrade, ErrorResponse> {
        self.authorize(request, None)
    }

    fn upgrade_from(&self, request: &Request, peer: SocketAddr) -> Result<Upgrade, ErrorResponse> {
        self.authorize(request, Some(peer))
    }

    fn open_session(&self, conn: ConnInfo) -> Box<dyn Session> {
        let id = self.hub.lock().register(conn.label, conn.push);
        Box::new(PubsubSession {
            hub: self.hub.clone(),
            id,
        })
    }

    fn http(&self, _now: SimTime, request: HttpRequest) -> HttpResponse {
        let (status, reason) = if request.path == WEBSOCKET_PATH {
            (426, "websocket upgrade required")
        } else {
            (404, "not found")
        };
        HttpResponse::json(status, json!({ "error": reason }).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ClockMode;
    use crate::devices::pubsub::DEV_SECRET;

    fn service() -> PubsubService {
        PubsubService {
            hub: Hub::new(SimTime::ZERO),
            auth: Arc::new(AuthConfig::new(DEV_SECRET)),
            clock: Arc::new(Clock::new(ClockMode::Virtual)),
        }
    }

    fn request(uri: &str) -> Request {
        Request::builder().uri(uri).body(()).unwrap()
    }

    #[test]
    fn a_valid_token_upgrades_and_a_bad_one_gets_401_with_its_reason() {
        let service = service();
        let token = jwt_auth::mint(&service.auth, "dev", 60, service.clock.unix_ms() / 1000);
        assert!(service.upgrade(&request(&format!("/wss?token={token}"))).is_ok());
        let refused = service.upgrade(&request("/wss?token=abc")).err().unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(refused.body().as_deref(), Some(r#"{"error":"malformed token"}"#));
        assert_eq!(refused.headers()[header::CONTENT_LENGTH], "27");
        let missing = service.upgrade(&request("/wss")).err().unwrap();
        assert_eq!(missing.body().as_deref(), Some(r#"{"error":"missing token"}"#));
    }

    #[test]
    fn other_paths_are_not_found_even_with_a_token() {
        let service = service();
        let token = jwt_auth::mint(&service.auth, "dev", 60, service.clock.unix_ms() / 1000);
        let refused = service.upgrade(&request(&format!("/ws?token={token}"))).err().unwrap();
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    }
}
