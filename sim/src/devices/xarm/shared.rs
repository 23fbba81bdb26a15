//! The one simulated arm every connection shares: the controller and its I/O behind a lock, a version bumped
//! on every change, the open Studio connections (final answers, `current_clients_count`) and the report bytes.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::{Notify, mpsc};

use crate::clock::SimTime;
use crate::serve::device::{Outgoing, SharedText};
use crate::serve::fanout::{SlotCache, slot_of};
use understudy_core::model::xarm::{ApiCode, Completion, Controller};
use understudy_core::proto::xarm::info::Identity;
use understudy_core::proto::xarm::report::{self, StatusInput};
use understudy_core::proto::xarm::ws::{code_data, response};
use understudy_core::proto::xarm_tcp::report::{self as binary, ReportInput, ReportKind};
use understudy_core::proto::xarm_tcp::{ControllerIo, FeedbackTag, TcpWaiter};

/// Who waits for a motion's final code: a connection and the request id to echo.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiter {
    /// The connection.
    pub conn: u64,
    /// The id of the request that started the motion.
    pub id: Value,
    /// On the controller port: the feedback frame the motion's end sends, when its request asked for one.
    pub feedback: Option<FeedbackTag>,
}

impl TcpWaiter for Waiter {
    fn with_feedback(&self, tag: FeedbackTag) -> Self {
        Waiter {
            feedback: Some(tag),
            ..self.clone()
        }
    }
}

/// A motion whose end a controller-port connection is to be told of (a feedback frame to send).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Finished {
    /// The request that queued it.
    pub tag: FeedbackTag,
    /// Its final api code.
    pub code: ApiCode,
    /// When it ended or was dropped.
    pub at: SimTime,
}

/// Controller plus the open connections, changed together under one lock.
pub struct Cell {
    /// The controller.
    pub controller: Controller<Waiter>,
    /// The controller's I/O and the settings only its TCP protocol reaches.
    pub io: ControllerIo,
    clients: HashMap<u64, mpsc::Sender<Outgoing>>,
    /// Per open controller-port connection: finished motions whose feedback frames are not sent yet.
    feedback: HashMap<u64, Vec<Finished>>,
}

impl Cell {
    /// Takes the finished motions connection `conn` is to be told of.
    pub fn take_finished(&mut self, conn: u64) -> Vec<Finished> {
        self.feedback.get_mut(&conn).map(std::mem::take).unwrap_or_default()
    }
}

/// The recent binary reports of one kind, keyed by sample time and state version (the newest last): enough
/// for every connection catching up after a late wake to share one build per sample.
type BinaryCache = Mutex<VecDeque<(SimTime, u64, bytes::Bytes)>>;
/// Binary reports kept per kind (at 250 Hz, the last 256 ms).
const BINARY_CACHE_LEN: usize = 64;

fn cached(cache: &BinaryCache, t: SimTime, version: u64) -> Option<bytes::Bytes> {
    let entries = cache.lock().unwrap_or_else(|p| p.into_inner());
    entries
        .iter()
        .rev()
        .find(|(at, v, _)| *at == t && *v == version)
        .map(|(_, _, bytes)| bytes.clone())
}

/// The arm shared by the device, its background task and every session.
pub struct Shared {
    cell: Mutex<Cell>,
    version: AtomicU64,
    /// Wakes the background task when the next event time may have changed.
    pub wake: Notify,
    /// The arm's identity.
    pub identity: Identity,
    /// The master seed.
    pub seed: u64,
    /// Report rate (Hz).
    pub report_hz: u32,
    /// `devices_status_keys_report`, serialized once.
    pub keys_frame: SharedText,
    /// `devices_info_report`, serialized once.
    pub info_frame: SharedText,
    cache: SlotCache,
    binary_cache: [BinaryCache; 4],
    next_conn: AtomicU64,
}

/// A locked cell; dropping it after a change must go through [`Shared::commit`].
pub type Guard<'a> = MutexGuard<'a, Cell>;

impl Shared {
    /// A shared arm around `controller`.
    pub fn new(controller: Controller<Waiter>, identity: Identity, seed: u64, report_hz: u32) -> Self {
        Shared {
            cell: Mutex::new(Cell {
                controller,
                io: ControllerIo::default(),
                clients: HashMap::new(),
                feedback: HashMap::new(),
            }),
            version: AtomicU64::new(0),
            wake: Notify::new(),
            keys_frame: SharedText::from(report::keys_report()),
            info_frame: SharedText::from(report::info_report(&identity)),
            identity,
            seed,
            report_hz,
            cache: SlotCache::default(),
            binary_cache: Default::default(),
            next_conn: AtomicU64::new(0),
        }
    }

    /// Locks the arm. A panic while it was held cannot leave it worse than a real controller's glitch: keep serving.
    pub fn lock(&self) -> Guard<'_> {
        self.cell.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// After a change made under `guard`: sends final answers, invalidates cached reports, wakes the
    /// background task.
    pub fn commit(&self, guard: &mut Guard<'_>) {
        let done = guard.controller.take_completions();
        for Completion { waiter, code, at } in done {
            if let Some(tag) = waiter.feedback {
                if let Some(mailbox) = guard.feedback.get_mut(&waiter.conn) {
                    mailbox.push(Finished { tag, code, at });
                }
                continue;
            }
            if let Some(push) = guard.clients.get(&waiter.conn) {
                let frame = response(&waiter.id, code, code_data(code));
                if push.try_send(Outgoing::Text(frame)).is_err() {
                    tracing::warn!(
                        conn = waiter.conn,
                        "final answer dropped: the connection's queue is full"
                    );
                }
            }
        }
        self.version.fetch_add(1, Ordering::AcqRel);
        self.wake.notify_one();
    }

    /// Registers a new connection; returns its number (which also picks its report phase).
    ///
    /// Connections do not bump the version: `current_clients_count` is sampled when a slot's report is first
    /// built, so a burst of connects cannot force a rebuild for every connection in a slot.
    pub fn connect(&self, push: mpsc::Sender<Outgoing>) -> u64 {
        let conn = self.next_conn.fetch_add(1, Ordering::Relaxed);
        self.lock().clients.insert(conn, push);
        conn
    }

    /// Registers a controller TCP connection: its moves' final codes come back as feedback frames, not answers.
    pub fn connect_controller(&self) -> u64 {
        let conn = self.next_conn.fetch_add(1, Ordering::Relaxed);
        self.lock().feedback.insert(conn, Vec::new());
        conn
    }

    /// Forgets a closed connection.
    pub fn disconnect(&self, conn: u64) {
        let mut guard = self.lock();
        guard.clients.remove(&conn);
        guard.feedback.remove(&conn);
    }

    /// Brings the controller up to `t` if an event is due; commits if anything happened.
    pub fn catch_up(&self, guard: &mut Guard<'_>, t: SimTime) {
        if guard.controller.next_event().is_some_and(|e| e <= t) {
            guard.controller.advance(t);
            self.commit(guard);
        }
    }

    /// The status input for a sample at `t` (after catching up to `t`), handed to `f`.
    pub fn with_status<R>(&self, t: SimTime, f: impl FnOnce(&StatusInput<'_>) -> R) -> R {
        let mut guard = self.lock();
        self.catch_up(&mut guard, t);
        let snapshot = guard.controller.snapshot(t);
        let input = StatusInput {
            t,
            snapshot: &snapshot,
            settings: &guard.controller.settings,
            identity: &self.identity,
            clients: guard.clients.len(),
            seed: self.seed,
        };
        f(&input)
    }

    /// The binary report of `kind` sampled at `t` (the same sample a Studio report at `t` carries), built once
    /// per time and state version for every connection of that port.
    pub fn binary_report(&self, kind: ReportKind, t: SimTime) -> bytes::Bytes {
        let index = ReportKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        let cache = &self.binary_cache[index];
        if let Some(bytes) = cached(cache, t, self.version.load(Ordering::Acquire)) {
            return bytes;
        }
        let mut guard = self.lock();
        self.catch_up(&mut guard, t);
        let version = self.version.load(Ordering::Acquire);
        // Another connection may have built it while this one waited for the lock.
        if let Some(bytes) = cached(cache, t, version) {
            return bytes;
        }
        let snapshot = guard.controller.snapshot(t);
        let status = StatusInput {
            t,
            snapshot: &snapshot,
            settings: &guard.controller.settings,
            identity: &self.identity,
            clients: guard.clients.len(),
            seed: self.seed,
        };
        let input = ReportInput {
            status: &status,
            cmd_num: guard.controller.queued_moves().min(usize::from(u16::MAX)) as u16,
            io: &guard.io,
        };
        let bytes = bytes::Bytes::from(binary::build(kind, &input));
        let mut entries = cache.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() == BINARY_CACHE_LEN {
            entries.pop_front();
        }
        entries.push_back((t, version, bytes.clone()));
        bytes
    }

    /// The `devices_status_report` for the slot holding `now`, serialized once per slot and version.
    pub fn status_frame(&self, now: SimTime) -> SharedText {
        let slot = slot_of(now);
        if let Some(bytes) = self.cache.get(slot, self.version.load(Ordering::Acquire)) {
            return bytes;
        }
        let mut guard = self.lock();
        self.catch_up(&mut guard, slot);
        let version = self.version.load(Ordering::Acquire);
        if let Some(bytes) = self.cache.get(slot, version) {
            return bytes;
        }
        let snapshot = guard.controller.snapshot(slot);
        let text = report::status_report(&StatusInput {
            t: slot,
            snapshot: &snapshot,
            settings: &guard.controller.settings,
            identity: &self.identity,
            clients: guard.clients.len(),
            seed: self.seed,
        });
        self.cache.put(slot, version, text)
    }
}
