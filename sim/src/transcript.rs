//! The transcript: every connection open/close and every frame in and out, stamped with sim time, as JSON
//! lines `{t, conn, dir, kind, data}`. It is the basis of record, replay and drift reports.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

use crate::clock::SimTime;

/// Which way a record went, seen from the simulated device.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the peer to the device.
    In,
    /// From the device to the peer.
    Out,
}

/// What a record is.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// A connection opened; `data` is the request path (never the query string, which may hold a token).
    Open,
    /// A connection closed; `data` is the close code and reason, if any.
    Close,
    /// A text frame; `data` is its text.
    Text,
    /// A binary frame; `data` is its bytes in lower-case hex.
    Binary,
    /// A plain HTTP exchange; `data` is `"METHOD PATH -> STATUS"`.
    Http,
}

#[derive(Serialize)]
struct Line<'a> {
    t: u64,
    conn: &'a str,
    dir: Direction,
    kind: RecordKind,
    data: &'a str,
}

/// Where records go: nowhere, or a JSON-lines file.
#[derive(Debug, Default)]
pub struct Transcript {
    sink: Option<Mutex<BufWriter<File>>>,
}

impl Transcript {
    /// A transcript that records nothing.
    pub fn disabled() -> Self {
        Transcript { sink: None }
    }

    /// A transcript written to `path` (created or truncated).
    pub fn to_file(path: &Path) -> io::Result<Self> {
        let file = File::create(path)?;
        Ok(Transcript {
            sink: Some(Mutex::new(BufWriter::new(file))),
        })
    }

    /// Whether records are kept; callers skip building record data when they are not.
    pub fn is_enabled(&self) -> bool {
        self.sink.is_some()
    }

    /// Appends one record.
    pub fn record(&self, t: SimTime, conn: &str, dir: Direction, kind: RecordKind, data: &str) {
        let Some(sink) = &self.sink else { return };
        let line = Line {
            t: t.as_millis(),
            conn,
            dir,
            kind,
            data,
        };
        let Ok(mut writer) = sink.lock() else { return };
        if serde_json::to_writer(&mut *writer, &line).is_ok() {
            let _ = writer.write_all(b"\n");
        }
    }

    /// Appends a binary frame record, hex-encoding its bytes.
    pub fn record_binary(&self, t: SimTime, conn: &str, dir: Direction, bytes: &[u8]) {
        if self.is_enabled() {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            self.record(t, conn, dir, RecordKind::Binary, &hex);
        }
    }

    /// Writes buffered records to the file.
    pub fn flush(&self) -> io::Result<()> {
        match &self.sink {
            Some(sink) => sink
                .lock()
                .map_err(|_| io::Error::other("transcript lock poisoned"))?
                .flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_json_lines_in_order() {
        let dir = std::env::temp_dir().join(format!("understudy-transcript-{}", std::process::id()));
        let transcript = Transcript::to_file(&dir).unwrap();
        transcript.record(
            SimTime::from_millis(5),
            "endrpi/1",
            Direction::In,
            RecordKind::Open,
            "/",
        );
        transcript.record(
            SimTime::from_millis(7),
            "endrpi/1",
            Direction::In,
            RecordKind::Text,
            "{\"a\":1}",
        );
        transcript.record_binary(SimTime::from_millis(9), "endrpi/1", Direction::In, &[0, 255]);
        transcript.flush().unwrap();
        let text = std::fs::read_to_string(&dir).unwrap();
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(
            text,
            concat!(
                "{\"t\":5,\"conn\":\"endrpi/1\",\"dir\":\"in\",\"kind\":\"open\",\"data\":\"/\"}\n",
                "{\"t\":7,\"conn\":\"endrpi/1\",\"dir\":\"in\",\"kind\":\"text\",\"data\":\"{\\\"a\\\":1}\"}\n",
                "{\"t\":9,\"conn\":\"endrpi/1\",\"dir\":\"in\",\"kind\":\"binary\",\"data\":\"00ff\"}\n",
            )
        );
    }
}
