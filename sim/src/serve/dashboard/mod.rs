//! The live dashboard on the control port: its page (HTML, CSS and JS embedded in the binary, no build step)
//! and the state it polls, made of the running devices' `view`s (a page of them), clients per endpoint, the
//! transcript tail and the clock.

pub mod series;
pub mod tail;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::clock::SimTime;
use crate::fleet::map::control_route;
use crate::serve::BoundEndpoint;
use crate::serve::clients::Clients;
use crate::serve::device::Device;
use crate::transcript::Transcript;
use understudy_core::proto::http::{HttpResponse, query_param};

/// The page.
const INDEX_HTML: &str = include_str!("index.html");
/// Its style sheet.
const STYLE_CSS: &str = include_str!("dashboard.css");
/// Its script: polls `/ui/state` and draws.
const SCRIPT_JS: &str = include_str!("dashboard.js");

/// Where the page lives; `GET /` with `Accept: text/html` answers it too.
pub const UI_PATH: &str = "/ui";
/// The state route the page polls (behind the control API's token, like every JSON route).
pub const STATE_PATH: &str = "/ui/state";

/// What the dashboard reads besides the devices: the transcript (for its tail) and the open clients.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The transcript, whose tail fills while a dashboard polls.
    pub transcript: Arc<Transcript>,
    /// Open WebSocket sessions per endpoint.
    pub clients: Arc<Clients>,
}

/// The page's static files (they hold no state, so they need no token): the page at `/ui` (and at `/` for
/// a browser, which asks for `text/html`), its CSS and its JS.
pub fn public_page(method: &str, path: &str, accept: Option<&str>) -> Option<HttpResponse> {
    if method != "GET" {
        return None;
    }
    let wants_html = accept.is_some_and(|a| a.contains("text/html"));
    let (content_type, body) = match path {
        "/ui" | "/ui/" => ("text/html; charset=utf-8", INDEX_HTML),
        "/" if wants_html => ("text/html; charset=utf-8", INDEX_HTML),
        "/ui/dashboard.css" => ("text/css; charset=utf-8", STYLE_CSS),
        "/ui/dashboard.js" => ("text/javascript; charset=utf-8", SCRIPT_JS),
        _ => return None,
    };
    Some(HttpResponse::with_type(200, content_type, body))
}

/// Which devices one state answer draws: a fleet of thousands is drawn a page at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// Devices skipped, in the order the simulator runs them.
    pub offset: usize,
    /// Devices drawn at most.
    pub limit: usize,
}

impl Page {
    /// Devices per page when the query names none.
    pub const DEFAULT_LIMIT: usize = 50;
    /// The most devices one answer draws.
    pub const MAX_LIMIT: usize = 500;

    /// Reads `offset` and `limit` from a query string (both optional); a value that is not a count, or a
    /// limit outside 1..=500, is an error naming it.
    pub fn from_query(query: Option<&str>) -> Result<Page, String> {
        let count = |name: &str, default: usize| match query.and_then(|q| query_param(q, name)) {
            None => Ok(default),
            Some(text) => text
                .parse::<usize>()
                .map_err(|_| format!("`{name}` is a count of devices, not `{text}`")),
        };
        let page = Page {
            offset: count("offset", 0)?,
            limit: count("limit", Page::DEFAULT_LIMIT)?,
        };
        if !(1..=Page::MAX_LIMIT).contains(&page.limit) {
            return Err(format!("`limit` is from 1 to {}", Page::MAX_LIMIT));
        }
        Ok(page)
    }
}

/// Everything the page draws at `now`: `clock` as the control API reports it, the devices of `page` (each
/// device's view with its kind, control route, endpoints and their open clients) with the count of all of
/// them, and the transcript's tail. Asking for it keeps the tail filling.
pub fn state(
    sources: &Sources,
    clock: Value,
    seed: u64,
    devices: &[Arc<dyn Device>],
    endpoints: &[BoundEndpoint],
    page: Page,
    now: SimTime,
) -> Value {
    let tail = sources.transcript.tail();
    tail.watch();
    let shown: Vec<&Arc<dyn Device>> = devices.iter().skip(page.offset).take(page.limit).collect();
    let mut by_device: HashMap<&str, Vec<Value>> = shown.iter().map(|d| (d.name(), Vec::new())).collect();
    for e in endpoints {
        if let Some(list) = by_device.get_mut(e.device) {
            list.push(json!({ "name": e.name, "url": e.url, "clients": sources.clients.count(e.label) }));
        }
    }
    let drawn: Vec<Value> = shown
        .iter()
        .map(|device| {
            json!({
                "name": device.name(),
                "kind": device.kind(),
                "control": control_route(device.kind(), device.fleet_index()),
                "endpoints": by_device.remove(device.name()).unwrap_or_default(),
                "view": device.view(now),
            })
        })
        .collect();
    json!({
        "seed": seed,
        "clock": clock,
        "total": devices.len(),
        "offset": page.offset,
        "limit": page.limit,
        "devices": drawn,
        "tail": tail.records(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_served_at_ui_and_to_browsers_at_the_root() {
        let html = public_page("GET", "/ui", None).map(|r| (r.status, r.content_type));
        assert_eq!(html, Some((200, "text/html; charset=utf-8")));
        let browser = public_page("GET", "/", Some("text/html,application/xhtml+xml,*/*;q=0.8"));
        assert_eq!(browser.map(|r| r.text()), Some(INDEX_HTML.to_string()));
        // JSON clients of `/` keep their answer, and nothing but GET is a page.
        assert_eq!(public_page("GET", "/", Some("application/json")), None);
        assert_eq!(public_page("GET", "/", None), None);
        assert_eq!(public_page("POST", "/ui", None), None);
        assert_eq!(public_page("GET", STATE_PATH, Some("text/html")), None);
        let script = public_page("GET", "/ui/dashboard.js", None).map(|r| r.content_type);
        assert_eq!(script, Some("text/javascript; charset=utf-8"));
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        for file in [INDEX_HTML, STYLE_CSS, SCRIPT_JS] {
            // The SVG namespace is a name, not a download.
            let file = file.replace("\"http://www.w3.org/2000/svg\"", "");
            assert!(!file.contains("http://") && !file.contains("https://") && !file.contains("//cdn"));
        }
        assert!(INDEX_HTML.contains("dashboard.js") && INDEX_HTML.contains("dashboard.css"));
    }
}
