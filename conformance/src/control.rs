//! The control API of a simulator in another process, as the checker reaches it: its `http://` URL and the
//! bearer token it may require (`--control-token`), and the GET and POST requests scenarios make to it.

use serde_json::Value;

use crate::client::{self, HttpReply};
use crate::error::{Error, Result};

/// Where a simulator's control API is and how to authenticate to it.
#[derive(Clone, Debug)]
pub struct ControlApi {
    url: String,
    token: Option<String>,
}

impl ControlApi {
    /// The control API at `url` (`http://HOST:PORT/`), sending `token` as `Authorization: Bearer` when given.
    pub fn new(url: &str, token: Option<&str>) -> Result<ControlApi> {
        if !url.starts_with("http://") {
            return Err(Error::BadTarget(format!("--control {url} is not an http:// URL")));
        }
        Ok(ControlApi {
            url: url.to_string(),
            token: token.map(str::to_string),
        })
    }

    /// The URL, for messages (the token is never shown).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends one request and returns the raw reply.
    async fn request(&self, method: &str, path: &str, body: &str) -> Result<HttpReply> {
        let bearer = self.token.as_ref().map(|token| format!("Bearer {token}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(bearer) = &bearer {
            headers.push(("authorization", bearer.as_str()));
        }
        client::http_request(client::authority_of(&self.url), method, path, &headers, body).await
    }

    /// Whether the API answers at all.
    pub async fn reachable(&self) -> Result<()> {
        self.request("GET", "/", "").await.map(|_| ())
    }

    /// GETs `path` and returns its JSON answer.
    pub async fn get(&self, path: &str) -> Result<Value> {
        let reply = self.request("GET", path, "").await?;
        json_answer(&format!("GET {path}"), reply)
    }

    /// DELETEs `path` and returns its JSON answer.
    pub async fn delete(&self, path: &str) -> Result<Value> {
        let reply = self.request("DELETE", path, "").await?;
        json_answer(&format!("DELETE {path}"), reply)
    }

    /// POSTs `args` to `path` and returns its JSON answer.
    pub async fn post(&self, path: &str, args: &Value) -> Result<Value> {
        let reply = self.request("POST", path, &args.to_string()).await?;
        json_answer(&format!("POST {path}"), reply)
    }
}

/// A 200 answer's JSON body, or the refusal.
fn json_answer(request: &str, reply: HttpReply) -> Result<Value> {
    let refused = |body: String| Error::Control {
        request: request.to_string(),
        status: reply.status,
        body,
    };
    if reply.status != 200 {
        return Err(refused(reply.body.clone()));
    }
    serde_json::from_str(&reply.body).map_err(|e| refused(format!("{} ({e})", reply.body)))
}
