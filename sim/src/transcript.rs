//! The transcript: every connection open/close and every frame in and out, stamped with sim time, as JSON
//! lines `{t, conn, dir, kind, data}`. It is the basis of record, replay and drift reports. Its files are
//! capped in size and rotated; records dropped for the cap are counted in a `dropped` line.

mod line;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::clock::SimTime;
use crate::serve::dashboard::tail::{TAIL_DATA_CHARS, Tail};
use line::{Data, Line};

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
    /// A plain HTTP exchange; `data` is `"METHOD PATH -> STATUS"`, with the bodies in `request` and `response`.
    Http,
    /// A refused WebSocket upgrade; `data` is `"GET PATH -> STATUS"`, the refusal's body in `response`.
    Refused,
    /// Records were dropped for the size cap; `data` says how many and why.
    Dropped,
    /// A network fault acted on the connection; `data` is the fault, its id and what it did.
    Fault,
}

/// Bytes buffered before a write to the file: one write per ~1,000 records of a busy socket, not per ~30.
const WRITE_BUFFER: usize = 256 * 1024;
/// The capacity a thread's encoding buffer keeps between records; one that a large frame grew is given back.
const KEEP_ENCODED: usize = 16 * 1024;

thread_local! {
    /// Each thread's buffer a record is encoded into before it is copied to the file's, under the lock.
    static ENCODED: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(1024));
}

/// How large the transcript may grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TranscriptLimits {
    /// The most bytes one file holds before it is rotated (or, with one file, before records are dropped).
    pub max_bytes: u64,
    /// Files kept: `FILE`, then `FILE.1` (older) up to `FILE.<files-1>`; the oldest is deleted on rotation.
    pub files: usize,
}

impl TranscriptLimits {
    /// The defaults of `--transcript-max-bytes` and `--transcript-files`: 4 files of 256 MiB.
    pub const DEFAULT: TranscriptLimits = TranscriptLimits {
        max_bytes: 256 << 20,
        files: 4,
    };
}

impl Default for TranscriptLimits {
    fn default() -> Self {
        TranscriptLimits::DEFAULT
    }
}

/// The file being written and what the cap has cost so far.
#[derive(Debug)]
struct Sink {
    path: PathBuf,
    limits: TranscriptLimits,
    writer: BufWriter<File>,
    /// Bytes in the current file.
    written: u64,
    /// Records in each file, newest first (the current file is the first).
    records: VecDeque<u64>,
    /// Records dropped since the last `dropped` line, with one file and a full cap.
    dropped: u64,
}

impl Sink {
    fn write(&mut self, line: &[u8]) {
        let len = line.len() as u64;
        if self.written + len > self.limits.max_bytes && self.written > 0 {
            if self.limits.files > 1 {
                self.rotate();
            } else {
                if self.dropped == 0 {
                    self.notice("records dropped from here on: the transcript reached its size cap");
                }
                self.dropped += 1;
                return;
            }
        }
        if self.writer.write_all(line).is_ok() {
            self.written += len;
            if let Some(n) = self.records.front_mut() {
                *n += 1;
            }
        }
    }

    /// Moves `FILE` to `FILE.1` (and so on), deleting the oldest, and starts a new `FILE`.
    fn rotate(&mut self) {
        let _ = self.writer.flush();
        let numbered = |n: usize| PathBuf::from(format!("{}.{n}", self.path.display()));
        let deleted = if self.records.len() >= self.limits.files {
            self.records.pop_back()
        } else {
            None
        };
        for n in (1..self.limits.files).rev() {
            let from = if n == 1 { self.path.clone() } else { numbered(n - 1) };
            let _ = std::fs::rename(from, numbered(n));
        }
        match File::create(&self.path) {
            Ok(file) => self.writer = BufWriter::with_capacity(WRITE_BUFFER, file),
            Err(error) => tracing::error!(%error, "could not start a new transcript file"),
        }
        self.written = 0;
        self.records.push_front(0);
        if let Some(n) = deleted.filter(|n| *n > 0) {
            self.notice(&format!(
                "{n} older records dropped: rotation deleted the oldest transcript file"
            ));
        }
    }

    /// Writes a `dropped` line (beyond the cap if need be: it is one bounded line).
    fn notice(&mut self, text: &str) {
        let mut bytes = Vec::with_capacity(128);
        Line::new(0, "transcript", Direction::Out, RecordKind::Dropped, Data::Text(text)).encode(&mut bytes);
        if self.writer.write_all(&bytes).is_ok() {
            self.written += bytes.len() as u64;
        }
    }
}

/// The largest request or response body an HTTP record holds; a larger one (or one that is not UTF-8) is left
/// out, and the record says so (`request_omitted`, `response_omitted`).
pub const MAX_RECORDED_BODY: usize = 64 * 1024;

/// One HTTP exchange, or one refused upgrade, for the transcript.
#[derive(Clone, Copy, Debug)]
pub struct HttpRecord<'a> {
    /// `METHOD PATH -> STATUS` (the path without its query).
    pub summary: &'a str,
    /// Whether it was a WebSocket upgrade (then refused).
    pub upgrade: bool,
    pub request: &'a [u8],
    pub response: &'a [u8],
}

/// A body as a record holds it: text up to [`MAX_RECORDED_BODY`], else nothing.
fn recorded_body(body: &[u8]) -> Option<&str> {
    (!body.is_empty() && body.len() <= MAX_RECORDED_BODY)
        .then(|| std::str::from_utf8(body).ok())
        .flatten()
}

/// Where records go: nowhere, or capped, rotated JSON-lines files; and, while a dashboard watches, its tail.
#[derive(Debug, Default)]
pub struct Transcript {
    sink: Option<Mutex<Sink>>,
    tail: Tail,
}

impl Transcript {
    /// A transcript that records nothing.
    pub fn disabled() -> Self {
        Transcript::default()
    }

    /// A transcript written to `path` (created or truncated), with the default limits.
    pub fn to_file(path: &Path) -> io::Result<Self> {
        Transcript::to_file_with(path, TranscriptLimits::DEFAULT)
    }

    /// A transcript written to `path` (created or truncated), capped and rotated by `limits`.
    pub fn to_file_with(path: &Path, limits: TranscriptLimits) -> io::Result<Self> {
        let file = File::create(path)?;
        Ok(Transcript {
            sink: Some(Mutex::new(Sink {
                path: path.to_path_buf(),
                limits: TranscriptLimits {
                    files: limits.files.max(1),
                    ..limits
                },
                writer: BufWriter::with_capacity(WRITE_BUFFER, file),
                written: 0,
                records: VecDeque::from([0]),
                dropped: 0,
            })),
            tail: Tail::default(),
        })
    }

    /// Whether records are kept (in a file, or in the tail a dashboard watches); callers skip building record
    /// data when they are not.
    pub fn is_enabled(&self) -> bool {
        self.sink.is_some() || self.tail.is_watched()
    }

    /// The last records, kept while a dashboard watches.
    pub fn tail(&self) -> &Tail {
        &self.tail
    }

    /// Appends one record.
    pub fn record(&self, t: SimTime, conn: &str, dir: Direction, kind: RecordKind, data: &str) {
        self.tail.push(t, conn, dir, kind, data);
        self.write(&Line::new(t.as_millis(), conn, dir, kind, Data::Text(data)));
    }

    /// Appends an HTTP exchange (or a refused upgrade) with its bodies, where they are text and not too large.
    pub fn record_http(&self, t: SimTime, conn: &str, dir: Direction, http: &HttpRecord<'_>) {
        let kind = if http.upgrade {
            RecordKind::Refused
        } else {
            RecordKind::Http
        };
        self.tail.push(t, conn, dir, kind, http.summary);
        let (request, response) = (recorded_body(http.request), recorded_body(http.response));
        self.write(&Line {
            request,
            response,
            request_omitted: !http.request.is_empty() && request.is_none(),
            response_omitted: !http.response.is_empty() && response.is_none(),
            ..Line::new(t.as_millis(), conn, dir, kind, Data::Text(http.summary))
        });
    }

    /// Encodes `line` into this thread's buffer, then copies it to the file's buffer under the lock.
    fn write(&self, line: &Line<'_>) {
        let Some(sink) = &self.sink else { return };
        ENCODED.with_borrow_mut(|encoded| {
            encoded.clear();
            line.encode(encoded);
            if let Ok(mut sink) = sink.lock() {
                sink.write(encoded);
            }
            if encoded.capacity() > KEEP_ENCODED {
                encoded.clear();
                encoded.shrink_to(KEEP_ENCODED);
            }
        });
    }

    /// Appends a binary frame record, its bytes in hex.
    pub fn record_binary(&self, t: SimTime, conn: &str, dir: Direction, bytes: &[u8]) {
        if self.tail.is_watched() {
            // The tail keeps no more than its first characters.
            let mut hex = Vec::new();
            line::hex(&mut hex, &bytes[..bytes.len().min(TAIL_DATA_CHARS / 2 + 1)]);
            self.tail.push(
                t,
                conn,
                dir,
                RecordKind::Binary,
                std::str::from_utf8(&hex).unwrap_or_default(),
            );
        }
        self.write(&Line::new(
            t.as_millis(),
            conn,
            dir,
            RecordKind::Binary,
            Data::Hex(bytes),
        ));
    }

    /// Writes buffered records to the file, and a `dropped` line counting the records the cap has dropped.
    pub fn flush(&self) -> io::Result<()> {
        let Some(sink) = &self.sink else { return Ok(()) };
        let mut sink = sink.lock().map_err(|_| io::Error::other("transcript lock poisoned"))?;
        if sink.dropped > 0 {
            let text = format!("{} records dropped: the transcript reached its size cap", sink.dropped);
            sink.notice(&text);
            sink.dropped = 0;
        }
        sink.writer.flush()
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

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn record_n(transcript: &Transcript, n: usize) {
        for i in 0..n {
            transcript.record(
                SimTime::from_millis(i as u64),
                "x/1",
                Direction::In,
                RecordKind::Text,
                "0123456789",
            );
        }
    }

    #[test]
    fn one_capped_file_drops_what_does_not_fit_and_says_so() {
        let path = std::env::temp_dir().join(format!("understudy-transcript-cap-{}", std::process::id()));
        let transcript = Transcript::to_file_with(
            &path,
            TranscriptLimits {
                max_bytes: 1000,
                files: 1,
            },
        )
        .unwrap();
        record_n(&transcript, 100);
        transcript.flush().unwrap();
        let lines = lines(&path);
        let _ = std::fs::remove_file(&path);
        let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
        // The cap, plus its two bounded `dropped` lines.
        assert!(bytes < 1000 + 2 * 150, "{bytes} bytes");
        let kept = lines.iter().filter(|l| l.contains(r#""kind":"text""#)).count();
        let dropped: Vec<&String> = lines.iter().filter(|l| l.contains(r#""kind":"dropped""#)).collect();
        assert_eq!(dropped.len(), 2, "{dropped:?}");
        assert!(
            dropped[1].contains(&format!("{} records dropped", 100 - kept)),
            "{dropped:?}"
        );
    }

    #[test]
    fn rotation_keeps_the_newest_files_and_counts_what_it_deleted() {
        let path = std::env::temp_dir().join(format!("understudy-transcript-rot-{}", std::process::id()));
        let transcript = Transcript::to_file_with(
            &path,
            TranscriptLimits {
                max_bytes: 1000,
                files: 3,
            },
        )
        .unwrap();
        record_n(&transcript, 100);
        transcript.flush().unwrap();
        let rotated = |n: usize| PathBuf::from(format!("{}.{n}", path.display()));
        let (now, one, two) = (lines(&path), lines(&rotated(1)), lines(&rotated(2)));
        assert!(!rotated(3).exists());
        for file in [path.clone(), rotated(1), rotated(2)] {
            let size = std::fs::metadata(&file).unwrap().len();
            let _ = std::fs::remove_file(&file);
            assert!(size <= 1000 + 200, "{} is {size} bytes", file.display());
        }
        assert!(!one.is_empty() && !two.is_empty());
        assert!(
            now[0].contains(r#""kind":"dropped""#) && now[0].contains("older records dropped"),
            "{now:?}"
        );
        // The newest record is in the current file.
        assert!(now.last().unwrap().contains(r#""t":99"#), "{now:?}");
    }
}
