//! One connection's faults: turns each frame a device sends into what goes on the wire and at which sim time
//! (dropped, corrupted, fragmented, delayed, paced, held by a stall, followed by a close), and acts on cuts and
//! stalls as soon as they are added. Seeded decisions come from the connection's own stream of the seed.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode as WsCloseCode, Data, OpCode};

use super::{Active, ConnKey, Corruption, Fault, Faults};
use crate::clock::SimTime;
use crate::serve::device::Outgoing;
use crate::transcript::{Direction, RecordKind, Transcript};
use understudy_core::seed::stream_rng;

/// What goes on the wire.
#[derive(Debug)]
pub enum Wire {
    /// A WebSocket message (or a raw frame).
    Message(Message),
    /// The connection is reset.
    Reset,
}

/// The transcript record written when a held item goes out.
#[derive(Debug)]
pub enum Record {
    /// Nothing (a continuation frame, a ping).
    Nothing,
    /// A text frame, as the device sent it.
    Text(String),
    /// A binary frame, as it went out.
    Binary(Bytes),
    /// An outgoing close: code and reason.
    Close(String),
}

impl Record {
    /// Writes the record, stamped `at` (the sim time the faults let the item go, which a virtual clock may
    /// have jumped past).
    pub fn write(self, transcript: &Transcript, at: SimTime, conn: &str) {
        match self {
            Record::Nothing => {}
            Record::Text(text) => transcript.record(at, conn, Direction::Out, RecordKind::Text, &text),
            Record::Binary(data) => transcript.record_binary(at, conn, Direction::Out, &data),
            Record::Close(close) => transcript.record(at, conn, Direction::Out, RecordKind::Close, &close),
        }
    }
}

/// One item waiting for its sim time.
#[derive(Debug)]
pub struct Held {
    /// When it goes out.
    pub at: SimTime,
    /// What goes out.
    pub wire: Wire,
    /// What the transcript says of it.
    pub record: Record,
}

/// A frame on its way through the faults.
enum Out {
    Text(String),
    /// Text whose payload is no longer UTF-8.
    RawText(Bytes, String),
    Binary(Bytes),
    Ping(Bytes),
    Close(u16, String),
}

/// Where one `drop` fault is in its current run of frames on this connection.
struct DropRun {
    id: u64,
    seen: u64,
    victim: u64,
}

/// The faults of one connection and what they have done to it so far.
pub struct Shaper {
    faults: Arc<Faults>,
    key: ConnKey,
    generation: u64,
    matching: Vec<Arc<Active>>,
    /// `#N` faults this connection took one of the N places of when it opened.
    /// They stay with the connection after the last place is taken (and the fault leaves the list), until cleared.
    joined: Vec<Arc<Active>>,
    /// The connection's stream of the seed, made when a seeded fault first needs it.
    rng: Option<ChaCha8Rng>,
    /// Data frames that went through.
    sent: u64,
    /// The sim time of the last item scheduled (items leave in order).
    last_at: SimTime,
    /// When the paced link is free again.
    link_free: SimTime,
    stall_until: SimTime,
    drops: Vec<DropRun>,
    /// Lasting faults already recorded as acting on this connection.
    noted: Vec<u64>,
    /// A fault closed or reset the connection: nothing more goes out.
    closed: bool,
    /// Shutting down: everything goes out at once.
    off: bool,
}

impl Shaper {
    /// The faults of a connection opening now; it takes its place in every matching `#N` lasting fault.
    pub fn open(faults: Arc<Faults>, key: ConnKey) -> Shaper {
        let mut joined = Vec::new();
        if faults.generation() != 0 {
            for active in faults.matching(&key) {
                let fault = &active.spec.fault;
                if !fault.is_one_shot() && active.spec.times.is_some() && active.claim() {
                    joined.push(active);
                }
            }
            faults.sweep();
        }
        let mut shaper = Shaper {
            faults,
            key,
            generation: u64::MAX,
            matching: Vec::new(),
            joined,
            rng: None,
            sent: 0,
            last_at: SimTime::ZERO,
            link_free: SimTime::ZERO,
            stall_until: SimTime::ZERO,
            drops: Vec::new(),
            noted: Vec::new(),
            closed: false,
            off: false,
        };
        shaper.refresh();
        shaper
    }

    /// Re-reads the faults that reach this connection if they changed.
    fn refresh(&mut self) {
        let generation = self.faults.generation();
        if generation == self.generation {
            return;
        }
        self.generation = generation;
        let mut matching: Vec<Arc<Active>> = if generation == 0 {
            Vec::new()
        } else {
            self.faults
                .matching(&self.key)
                .into_iter()
                .filter(|a| {
                    let fault = &a.spec.fault;
                    !fault.is_handshake()
                        && !matches!(fault, Fault::Unreachable { .. })
                        && (fault.is_one_shot() || a.spec.times.is_none())
                })
                .collect()
        };
        let faults = &self.faults;
        self.joined.retain(|a| !faults.is_cleared(a));
        matching.extend(self.joined.iter().cloned());
        matching.sort_by_key(|a| a.id);
        self.matching = matching;
    }

    /// Whether no fault touches this connection now (frames can skip the shaper).
    pub fn is_idle(&mut self, now: SimTime) -> bool {
        self.refresh();
        self.off || (self.matching.is_empty() && self.stall_until <= now && !self.closed)
    }

    /// Acts on the cuts and stalls that reach this connection (called at open and when the faults change).
    pub fn poll(&mut self, now: SimTime, held: &mut VecDeque<Held>) {
        self.refresh();
        if self.closed || self.off {
            return;
        }
        let mut claimed = false;
        for active in self.matching.clone() {
            match &active.spec.fault {
                Fault::Stall { ms } if active.claim() => {
                    claimed = true;
                    self.stall_until = self.stall_until.max(now.plus_millis(*ms));
                    for item in held.iter_mut() {
                        item.at = item.at.max(self.stall_until);
                    }
                    self.last_at = self.last_at.max(self.stall_until);
                    let what = format!("output held until {} ms", self.stall_until.as_millis());
                    self.note(&active, &what);
                }
                Fault::Reset if active.claim() => {
                    claimed = true;
                    held.clear();
                    held.push_back(Held {
                        at: now,
                        wire: Wire::Reset,
                        record: Record::Nothing,
                    });
                    self.closed = true;
                    self.note(&active, "connection reset");
                    break;
                }
                Fault::Close { code, reason } if active.claim() => {
                    claimed = true;
                    let at = self.schedule(now);
                    self.push_close(held, at, *code, reason.clone());
                    self.note(&active, &format!("close frame {code}"));
                    break;
                }
                _ => {}
            }
        }
        if claimed {
            self.faults.sweep();
        }
    }

    /// Everything held goes out at once and no fault acts any more (the simulator is shutting down).
    pub fn release_all(&mut self, now: SimTime, held: &mut VecDeque<Held>) {
        self.off = true;
        for item in held.iter_mut() {
            item.at = now;
        }
    }

    /// Passes one frame the device sends through the faults, into `held`.
    pub fn shape(&mut self, now: SimTime, outgoing: Outgoing, held: &mut VecDeque<Held>) {
        self.refresh();
        if self.closed && !self.off {
            return;
        }
        let mut out = match outgoing {
            Outgoing::Text(text) => Out::Text(text),
            Outgoing::SharedText(text) => Out::Text(text.as_str().to_string()),
            Outgoing::Binary(data) => Out::Binary(data),
            Outgoing::Ping(data) => Out::Ping(data),
            Outgoing::Close(code, reason) => Out::Close(code.code(), reason),
        };
        if self.off {
            return push(held, now, out);
        }
        let is_data = matches!(out, Out::Text(_) | Out::Binary(_));
        if is_data {
            if self.dropped(&out) {
                return;
            }
            out = self.corrupted(out);
        }
        let at = self.timed(now, &out);
        if let Out::Close(..) = out {
            self.closed = true;
        }
        match self.fragment_size() {
            Some((active, size)) if matches!(&out, Out::Text(t) if t.len() > size) => {
                self.note_once(&active, &format!("text frames sent in {size}-byte pieces"));
                fragment(held, at, out, size);
            }
            _ => push(held, at, out),
        }
        if is_data {
            self.sent += 1;
            self.close_after(held, at);
        }
    }

    /// Whether a `drop` fault takes this frame.
    fn dropped(&mut self, out: &Out) -> bool {
        let mut taken = None;
        for active in &self.matching {
            let Fault::Drop { one_in } = active.spec.fault else {
                continue;
            };
            let index = match self.drops.iter().position(|d| d.id == active.id) {
                Some(index) => index,
                None => {
                    self.drops.push(DropRun {
                        id: active.id,
                        seen: 0,
                        victim: 0,
                    });
                    self.drops.len() - 1
                }
            };
            let run = &mut self.drops[index];
            if run.seen % one_in == 0 {
                run.victim = drop_victim(seeded(&mut self.rng, &self.faults, &self.key), one_in);
            }
            let place = run.seen % one_in;
            run.seen += 1;
            if place == run.victim && taken.is_none() {
                taken = Some(active.clone());
            }
        }
        let Some(active) = taken else { return false };
        let kind = if matches!(out, Out::Text(_)) { "text" } else { "binary" };
        self.note(&active, &format!("dropped a {kind} frame"));
        true
    }

    /// The frame, corrupted if a `corrupt` fault claims it.
    fn corrupted(&mut self, out: Out) -> Out {
        let Some(active) = self
            .matching
            .iter()
            .find(|a| matches!(a.spec.fault, Fault::Corrupt(_)) && a.claim())
            .cloned()
        else {
            return out;
        };
        self.faults.sweep();
        let Fault::Corrupt(how) = active.spec.fault else {
            return out;
        };
        let (out, what) = match (out, how) {
            (Out::Text(text), Corruption::Json) => {
                let mut cut = text.len() / 2;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                (Out::Text(format!("{}\u{0}", &text[..cut])), "text frame no longer JSON")
            }
            (Out::Text(text), Corruption::Utf8) => {
                let mut bytes = text.clone().into_bytes();
                bytes.insert(bytes.len() / 2, 0xff);
                (Out::RawText(bytes.into(), text), "text frame no longer UTF-8")
            }
            (Out::Binary(data), _) => {
                let mut bytes = data.to_vec();
                if !bytes.is_empty() {
                    let at = seeded(&mut self.rng, &self.faults, &self.key).random_range(0..bytes.len());
                    bytes[at] ^= 0xff;
                }
                (Out::Binary(bytes.into()), "binary frame with a flipped byte")
            }
            (other, _) => (other, "nothing to corrupt"),
        };
        self.note(&active, what);
        out
    }

    /// When the frame goes out: delays, a stall in progress and the paced link, never before the frame before.
    fn timed(&mut self, now: SimTime, out: &Out) -> SimTime {
        let mut at = now.max(self.stall_until);
        let len = match out {
            Out::Text(t) => t.len(),
            Out::RawText(b, _) | Out::Binary(b) | Out::Ping(b) => b.len(),
            Out::Close(_, reason) => reason.len() + 2,
        } as u64;
        for active in self.matching.clone() {
            match active.spec.fault {
                Fault::Delay { ms, jitter_ms } => {
                    let delay = if jitter_ms == 0 {
                        ms
                    } else {
                        let jitter = seeded(&mut self.rng, &self.faults, &self.key).random_range(0..=2 * jitter_ms);
                        (ms + jitter).saturating_sub(jitter_ms)
                    };
                    at = at.max(now.max(self.stall_until).plus_millis(delay));
                    self.note_once(&active, "frames delayed");
                }
                Fault::Bandwidth { bytes_per_s } => {
                    let start = at.max(self.link_free);
                    let ms = (len * 1000).div_ceil(bytes_per_s);
                    at = start.plus_millis(ms);
                    self.link_free = at;
                    self.note_once(&active, &format!("output paced to {bytes_per_s} bytes/s"));
                }
                _ => {}
            }
        }
        self.schedule(at)
    }

    /// `at`, or later: items leave in the order they were scheduled.
    fn schedule(&mut self, at: SimTime) -> SimTime {
        let at = at.max(self.last_at);
        self.last_at = at;
        at
    }

    fn fragment_size(&self) -> Option<(Arc<Active>, usize)> {
        self.matching.iter().find_map(|a| match a.spec.fault {
            Fault::Fragment { bytes } => Some((a.clone(), bytes)),
            _ => None,
        })
    }

    /// Closes the connection once a `close-after` fault's count of data frames has gone out.
    fn close_after(&mut self, held: &mut VecDeque<Held>, at: SimTime) {
        let Some(active) = self
            .matching
            .iter()
            .find(|a| matches!(a.spec.fault, Fault::CloseAfter { frames } if frames == self.sent))
            .cloned()
        else {
            return;
        };
        let reason = format!("closed after {} frames", self.sent);
        self.note(&active, &reason);
        self.push_close(held, at, 1000, reason);
    }

    fn push_close(&mut self, held: &mut VecDeque<Held>, at: SimTime, code: u16, reason: String) {
        self.closed = true;
        push(held, at, Out::Close(code, reason));
    }

    fn note(&self, active: &Active, what: &str) {
        self.faults.record(&self.key.label, active, what);
    }

    /// Records a lasting fault the first time it acts on this connection.
    fn note_once(&mut self, active: &Active, what: &str) {
        if !self.noted.contains(&active.id) {
            self.noted.push(active.id);
            self.note(active, what);
        }
    }
}

/// The connection's stream of the seed (`faults <label>` of its device), made on first use.
fn seeded<'a>(rng: &'a mut Option<ChaCha8Rng>, faults: &Faults, key: &ConnKey) -> &'a mut ChaCha8Rng {
    rng.get_or_insert_with(|| connection_rng(faults.seed(), key.device, &key.label))
}

/// The stream of the master seed that a connection's faults draw from.
pub fn connection_rng(seed: u64, device: &str, label: &str) -> ChaCha8Rng {
    stream_rng(seed, device, &format!("faults {label}"))
}

/// Which place (0-based) of the next run of `one_in` frames a `drop` fault takes.
fn drop_victim(rng: &mut ChaCha8Rng, one_in: u64) -> u64 {
    rng.random_range(0..one_in)
}

/// The data frames (0-based, in the order the device sent them) that a `drop:one_in` fault takes from the first
/// `frames` of connection `label` under `seed`, when it is the only seeded fault on the connection: one in each
/// run of `one_in`. What a client that knows the seed expects to miss.
pub fn drop_places(seed: u64, device: &str, label: &str, one_in: u64, frames: u64) -> Vec<u64> {
    let mut rng = connection_rng(seed, device, label);
    (0..frames.div_ceil(one_in.max(1)))
        .map(|run| run * one_in + drop_victim(&mut rng, one_in.max(1)))
        .filter(|place| *place < frames)
        .collect()
}

fn push(held: &mut VecDeque<Held>, at: SimTime, out: Out) {
    let (message, record) = match out {
        Out::Text(text) => (Message::text(text.clone()), Record::Text(text)),
        Out::RawText(bytes, text) => (
            Message::Frame(Frame::message(bytes, OpCode::Data(Data::Text), true)),
            Record::Text(text),
        ),
        Out::Binary(data) => (Message::Binary(data.clone()), Record::Binary(data)),
        Out::Ping(data) => (Message::Ping(data), Record::Nothing),
        Out::Close(code, reason) => (
            Message::Close(Some(CloseFrame {
                code: WsCloseCode::from(code),
                reason: reason.clone().into(),
            })),
            Record::Close(format!("{code} {reason}")),
        ),
    };
    held.push_back(Held {
        at,
        wire: Wire::Message(message),
        record,
    });
}

/// A text frame as a first frame and continuation frames of `size` bytes (the record goes with the first).
fn fragment(held: &mut VecDeque<Held>, at: SimTime, out: Out, size: usize) {
    let Out::Text(text) = out else {
        return push(held, at, out);
    };
    let bytes = Bytes::from(text.clone().into_bytes());
    let pieces = bytes.len().div_ceil(size);
    for i in 0..pieces {
        let piece = bytes.slice(i * size..((i + 1) * size).min(bytes.len()));
        let opcode = if i == 0 { Data::Text } else { Data::Continue };
        let record = if i == 0 {
            Record::Text(text.clone())
        } else {
            Record::Nothing
        };
        held.push_back(Held {
            at,
            wire: Wire::Message(Message::Frame(Frame::message(
                piece,
                OpCode::Data(opcode),
                i + 1 == pieces,
            ))),
            record,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ClockMode};
    use crate::transcript::Transcript;

    fn shaper(specs: &[&str]) -> (Shaper, Arc<Faults>) {
        let faults = Arc::new(Faults::new(
            7,
            Arc::new(Clock::new(ClockMode::Virtual)),
            Arc::new(Transcript::disabled()),
        ));
        for spec in specs {
            faults.add_text(spec).unwrap();
        }
        let key = ConnKey {
            device: "endrpi",
            label: "endrpi/1".into(),
        };
        (Shaper::open(faults.clone(), key), faults)
    }

    fn send(shaper: &mut Shaper, now: u64, n: usize) -> VecDeque<Held> {
        let mut held = VecDeque::new();
        for i in 0..n {
            shaper.shape(
                SimTime::from_millis(now),
                Outgoing::Text(format!("{{\"n\":{i}}}")),
                &mut held,
            );
        }
        held
    }

    fn texts(held: &VecDeque<Held>) -> Vec<(u64, String)> {
        held.iter()
            .filter_map(|h| match &h.wire {
                Wire::Message(Message::Text(t)) => Some((h.at.as_millis(), t.to_string())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn no_fault_is_idle_and_a_delay_holds_every_frame_in_order() {
        let (mut plain, _) = shaper(&[]);
        assert!(plain.is_idle(SimTime::ZERO));
        let (mut delayed, _) = shaper(&["delay:200ms~50ms"]);
        assert!(!delayed.is_idle(SimTime::ZERO));
        let held = send(&mut delayed, 1000, 20);
        let times: Vec<u64> = held.iter().map(|h| h.at.as_millis()).collect();
        assert!(times.iter().all(|t| (1150..=1250).contains(t)), "{times:?}");
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        assert!(times.iter().any(|t| *t != times[0]), "the jitter varies: {times:?}");
    }

    #[test]
    fn drop_takes_exactly_one_frame_in_each_run_and_is_the_same_for_the_same_seed() {
        let (mut a, _) = shaper(&["drop:4"]);
        let (mut b, _) = shaper(&["drop:4"]);
        let held_a = texts(&send(&mut a, 0, 40));
        assert_eq!(held_a.len(), 30);
        assert_eq!(held_a, texts(&send(&mut b, 0, 40)));
    }

    #[test]
    fn the_drop_places_a_client_computes_are_the_frames_dropped() {
        let (mut shaper, _) = shaper(&["drop:3"]);
        let kept: Vec<String> = texts(&send(&mut shaper, 0, 10)).into_iter().map(|(_, t)| t).collect();
        let places = drop_places(7, "endrpi", "endrpi/1", 3, 10);
        let expected: Vec<String> = (0..10)
            .filter(|i| !places.contains(i))
            .map(|i| format!("{{\"n\":{i}}}"))
            .collect();
        assert_eq!(kept, expected, "dropped {places:?}");
        assert!(
            places.len() >= 3 && places.windows(2).all(|w| w[0] / 3 < w[1] / 3),
            "{places:?}"
        );
    }

    #[test]
    fn corrupt_breaks_only_the_next_frame() {
        let (mut json, faults) = shaper(&["corrupt:json"]);
        let held = texts(&send(&mut json, 0, 2));
        assert!(
            serde_json::from_str::<serde_json::Value>(&held[0].1).is_err(),
            "{held:?}"
        );
        assert_eq!(held[1].1, "{\"n\":1}");
        assert!(faults.list().is_empty(), "a one-shot fault is spent");
        let (mut utf8, _) = shaper(&["corrupt:utf8"]);
        let held = send(&mut utf8, 0, 1);
        assert!(matches!(&held[0].wire, Wire::Message(Message::Frame(f)) if std::str::from_utf8(f.payload()).is_err()));
    }

    #[test]
    fn fragments_close_after_stall_and_reset_shape_the_stream() {
        let (mut pieces, _) = shaper(&["fragment:3"]);
        assert_eq!(send(&mut pieces, 0, 1).len(), 3, "7 bytes in 3-byte pieces");
        let (mut closing, _) = shaper(&["close-after:2"]);
        let held = send(&mut closing, 0, 5);
        assert_eq!(held.len(), 3);
        assert!(matches!(&held[2].record, Record::Close(r) if r == "1000 closed after 2 frames"));
        let (mut stalled, _) = shaper(&["stall:500ms"]);
        let mut held = send(&mut stalled, 0, 1);
        stalled.poll(SimTime::ZERO, &mut held);
        stalled.shape(SimTime::from_millis(100), Outgoing::Text("x".into()), &mut held);
        assert!(held.iter().all(|h| h.at == SimTime::from_millis(500)));
        stalled.poll(SimTime::from_millis(600), &mut held);
        let (mut reset, _) = shaper(&["reset"]);
        let mut held = send(&mut reset, 0, 2);
        reset.poll(SimTime::ZERO, &mut held);
        assert!(matches!(held.front().map(|h| &h.wire), Some(Wire::Reset)) && held.len() == 1);
    }

    #[test]
    fn a_lasting_fault_for_the_next_connection_stays_with_it_until_cleared() {
        let faults = Arc::new(Faults::new(
            7,
            Arc::new(Clock::new(ClockMode::Virtual)),
            Arc::new(Transcript::disabled()),
        ));
        let active = faults.add_text("close-after:1#1").unwrap();
        let key = |n: u32| ConnKey {
            device: "endrpi",
            label: format!("endrpi/{n}").into(),
        };
        let mut first = Shaper::open(faults.clone(), key(1));
        assert!(faults.list().is_empty(), "its one place is taken");
        assert_eq!(send(&mut first, 0, 3).len(), 2, "one frame, then the close");
        let mut second = Shaper::open(faults.clone(), key(2));
        assert_eq!(send(&mut second, 0, 3).len(), 3, "not the next connection's");
        let mut cleared = Shaper::open(faults.clone(), key(3));
        let _ = faults.add_text("close-after:1#1").unwrap();
        let mut third = Shaper::open(faults.clone(), key(4));
        assert!(!faults.remove(active.id), "already off the list");
        assert_eq!(faults.clear(), 0);
        assert_eq!(send(&mut third, 0, 3).len(), 3, "cleared before it acted");
        assert_eq!(send(&mut cleared, 0, 3).len(), 3);
    }

    #[test]
    fn bandwidth_paces_frames_by_their_size() {
        let (mut slow, _) = shaper(&["bandwidth:100"]);
        let times: Vec<u64> = send(&mut slow, 0, 3).iter().map(|h| h.at.as_millis()).collect();
        assert_eq!(times, [70, 140, 210], "7-byte frames at 100 bytes/s");
    }
}
