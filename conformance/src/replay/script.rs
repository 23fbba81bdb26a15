//! A transcript read back as one script per connection: when it opened and on which path, what the client
//! sent and when, and what the device answered, in order.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// One frame or close, as the transcript holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
    /// A close: its code and reason (`1006` when the connection ended without one).
    Close(u16, String),
}

impl Frame {
    /// Parses a transcript close record: `CODE REASON`, `CODE`, or anything else as 1006.
    pub fn close_from_record(data: &str) -> Frame {
        let (code, reason) = data.split_once(' ').unwrap_or((data, ""));
        Frame::Close(code.parse().unwrap_or(1006), reason.to_string())
    }
}

/// What the client does, or what the device said, at `t` ms of the recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Its place in the whole transcript: the order the device saw it in, across connections.
    pub seq: usize,
    pub t: u64,
    pub frame: Frame,
    /// Sent by the client (`in`); otherwise the device's (`out`).
    pub from_client: bool,
}

/// One recorded WebSocket connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// Its transcript label, e.g. `endrpi/3`.
    pub label: String,
    /// The endpoint name in front of the label's `/`: the `--target` it is replayed against.
    pub endpoint: String,
    /// The request path it opened (the transcript never holds the query).
    pub path: String,
    pub opened_at: u64,
    /// The open record's place in the transcript.
    pub opened_seq: usize,
    pub steps: Vec<Step>,
}

impl Connection {
    /// The device's frames, in order: what a replay expects back. The answer to a close the client sent is
    /// left out (each side answers its own closes).
    pub fn expected(&self) -> Vec<&Step> {
        let mut client_closed = false;
        let mut out = Vec::new();
        for step in &self.steps {
            match (&step.frame, step.from_client) {
                (Frame::Close(..), true) => client_closed = true,
                (Frame::Close(..), false) if client_closed => {}
                (_, false) => out.push(step),
                (_, true) => {}
            }
        }
        out
    }
}

/// One recorded plain HTTP exchange (`METHOD PATH -> STATUS`), or a refused WebSocket upgrade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    pub endpoint: String,
    /// Its place in the transcript.
    pub seq: usize,
    pub t: u64,
    pub method: String,
    pub path: String,
    /// The recorded status (0 when the device gave none).
    pub status: u16,
    /// A WebSocket upgrade the device refused.
    pub upgrade: bool,
    /// The request body, when the record holds it (text up to the transcript's limit).
    pub request: Option<String>,
    /// The response body, when the record holds it.
    pub response: Option<String>,
    /// The request had a body the record does not hold (too large, or not text).
    pub request_omitted: bool,
}

/// A whole transcript, by connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    pub connections: Vec<Connection>,
    pub exchanges: Vec<Exchange>,
}

#[derive(Deserialize)]
struct Line {
    t: u64,
    conn: String,
    dir: String,
    kind: String,
    data: String,
    #[serde(default)]
    request: Option<String>,
    #[serde(default)]
    response: Option<String>,
    #[serde(default)]
    request_omitted: bool,
}

impl Script {
    /// Reads a transcript file (the simulator's `--transcript`, or `understudy-sim record --out`).
    pub fn load(path: &Path) -> Result<Script> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::SuiteFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Script::parse(&text).map_err(|reason| Error::SuiteFile {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses transcript lines; a line that is not a record is an error naming its line number.
    pub fn parse(text: &str) -> std::result::Result<Script, String> {
        let mut connections: BTreeMap<String, Connection> = BTreeMap::new();
        let mut order = Vec::new();
        let mut exchanges = Vec::new();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let line: Line = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?;
            let endpoint = line.conn.split('/').next().unwrap_or_default().to_string();
            let from_client = line.dir == "in";
            match line.kind.as_str() {
                "open" => {
                    order.push(line.conn.clone());
                    connections.insert(
                        line.conn.clone(),
                        Connection {
                            label: line.conn,
                            endpoint,
                            path: line.data,
                            opened_at: line.t,
                            opened_seq: n,
                            steps: Vec::new(),
                        },
                    );
                }
                "http" | "refused" => {
                    let mut exchange = parse_exchange(&endpoint, line.t, &line.data);
                    exchange.seq = n;
                    exchange.upgrade = line.kind == "refused";
                    exchange.request = line.request;
                    exchange.response = line.response;
                    exchange.request_omitted = line.request_omitted;
                    exchanges.push(exchange);
                }
                "text" | "binary" | "close" => {
                    let Some(connection) = connections.get_mut(&line.conn) else {
                        // Frames of a connection opened before the file starts (a rotated transcript).
                        continue;
                    };
                    let frame = match line.kind.as_str() {
                        "text" => Frame::Text(line.data),
                        "binary" => Frame::Binary(
                            hex(&line.data).ok_or_else(|| format!("line {}: binary data is not hex", n + 1))?,
                        ),
                        _ => Frame::close_from_record(&line.data),
                    };
                    connection.steps.push(Step {
                        seq: n,
                        t: line.t,
                        frame,
                        from_client,
                    });
                }
                // `dropped` notices and kinds a later simulator may add.
                _ => {}
            }
        }
        let connections = order
            .into_iter()
            .filter_map(|label| connections.remove(&label))
            .collect();
        Ok(Script { connections, exchanges })
    }

    /// The first time in the transcript: the replay's zero.
    pub fn start(&self) -> u64 {
        let opens = self.connections.iter().map(|c| c.opened_at);
        opens.chain(self.exchanges.iter().map(|e| e.t)).min().unwrap_or(0)
    }
}

fn parse_exchange(endpoint: &str, t: u64, data: &str) -> Exchange {
    let (request, status) = data.split_once(" -> ").unwrap_or((data, ""));
    let (method, path) = request.split_once(' ').unwrap_or((request, "/"));
    Exchange {
        endpoint: endpoint.to_string(),
        seq: 0,
        t,
        method: method.to_string(),
        path: path.to_string(),
        status: status.trim().parse().unwrap_or(0),
        upgrade: false,
        request: None,
        response: None,
        request_omitted: false,
    }
}

/// Lower-case (or upper-case) hex to bytes.
fn hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRANSCRIPT: &str = r#"{"t":5,"conn":"endrpi/1","dir":"in","kind":"open","data":"/"}
{"t":6,"conn":"endrpi/1","dir":"in","kind":"text","data":"{\"action\":\"READ_UPTIME\"}"}
{"t":7,"conn":"endrpi/1","dir":"out","kind":"text","data":"{\"action\": \"READ_UPTIME\"}"}
{"t":8,"conn":"endrpi/1","dir":"in","kind":"binary","data":"0aff"}
{"t":9,"conn":"endrpi/1","dir":"out","kind":"close","data":"1003 binary frames are not supported"}
{"t":9,"conn":"endrpi/1","dir":"in","kind":"close","data":"1003 binary frames are not supported"}
{"t":12,"conn":"endrpi/http","dir":"in","kind":"http","data":"GET /system/uptime -> 200","response":"{}"}
{"t":13,"conn":"endrpi/2","dir":"in","kind":"refused","data":"GET /ws -> 403"}
{"t":0,"conn":"transcript","dir":"out","kind":"dropped","data":"3 older records dropped"}
"#;

    #[test]
    fn a_transcript_becomes_one_script_per_connection() {
        let script = Script::parse(TRANSCRIPT).unwrap();
        assert_eq!(script.connections.len(), 1);
        let conn = &script.connections[0];
        assert_eq!(
            (conn.endpoint.as_str(), conn.path.as_str(), conn.opened_at),
            ("endrpi", "/", 5)
        );
        assert_eq!(conn.steps.len(), 5);
        assert_eq!(conn.steps[2].frame, Frame::Binary(vec![0x0a, 0xff]));
        // The device closed first; the client's answering close is not expected back.
        let expected: Vec<_> = conn.expected().iter().map(|s| s.frame.clone()).collect();
        assert_eq!(expected.len(), 2);
        assert_eq!(
            expected[1],
            Frame::Close(1003, "binary frames are not supported".into())
        );
        assert_eq!(script.exchanges[0].status, 200);
        assert_eq!(script.exchanges[0].path, "/system/uptime");
        assert_eq!(script.exchanges[0].response.as_deref(), Some("{}"));
        assert!(script.exchanges[1].upgrade && !script.exchanges[0].upgrade);
        assert_eq!(script.start(), 5);
    }

    #[test]
    fn a_line_that_is_not_a_record_is_named() {
        let error = Script::parse("{\"t\":1}\n").unwrap_err();
        assert!(error.starts_with("line 1:"), "{error}");
        assert!(
            Script::parse(
                r#"{"t":1,"conn":"x/1","dir":"in","kind":"open","data":"/"}
{"t":1,"conn":"x/1","dir":"in","kind":"binary","data":"abc"}"#
            )
            .is_err()
        );
    }
}
