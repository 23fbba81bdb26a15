//! Frame-aware network faults on any socket of any device: the registry of active faults (added from the CLI,
//! the control API or a scenario; listed, cleared), which connections each reaches, and the transcript records
//! of each fault when it acts. `spec` is the vocabulary, `shaper` applies it to one connection's frames.

pub mod exchange;
pub mod reset;
pub mod shaper;
pub mod spec;

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::Stream;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::clock::{Clock, SimTime};
use crate::transcript::{Direction, RecordKind, Transcript};
pub use spec::{Corruption, Fault, FaultSpec, Scope, SpecError};

/// Why a fault cannot be added.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FaultError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("no device, endpoint or agent is named `{0}` (known: {1})")]
    UnknownScope(String, String),
    #[error("`{0}` does not act on plain HTTP exchanges (they take delay, stall, bandwidth, reset, refuse and hang)")]
    NotForHttp(String),
    #[error(
        "`{0}` does not act on a raw TCP socket (it takes delay, drop, stall, reset, close, close-after, corrupt and bandwidth)"
    )]
    RawTcp(String),
}

/// Whether `fault` acts on a raw TCP socket, where each answer or report the device writes is one frame: the
/// handshake faults have no handshake to act on, and a fragment has no text frame to cut.
fn acts_on_raw_tcp(fault: &Fault) -> bool {
    !matches!(
        fault,
        Fault::Fragment { .. } | Fault::Refuse { .. } | Fault::Hang | Fault::Unreachable { .. }
    )
}

/// Word that the faults changed, one item per change seen (a connection re-reads its faults then).
pub type Changes = Pin<Box<dyn Stream<Item = ()> + Send>>;

/// One active fault: its id, what it is, and how many acts (or new connections) it has left.
#[derive(Debug)]
pub struct Active {
    /// Its id in the control API (`DELETE /faults/ID`).
    pub id: u64,
    /// The fault as given.
    pub spec: FaultSpec,
    /// The sim time it was added (an `unreachable` fault lasts from then).
    pub added: SimTime,
    /// Acts (one-shot faults) or connections (`#N` on the others) left; `u64::MAX` for no limit.
    remaining: AtomicU64,
    /// Removed or cleared: the connections it reached drop it too.
    cleared: std::sync::atomic::AtomicBool,
}

impl Active {
    /// Takes one of the fault's acts; `false` when none is left.
    pub fn claim(&self) -> bool {
        self.remaining
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| match n {
                0 => None,
                u64::MAX => Some(u64::MAX),
                n => Some(n - 1),
            })
            .is_ok()
    }

    /// Whether it was removed or cleared (a spent fault that was not is still with the connections it joined).
    pub fn is_cleared(&self) -> bool {
        self.cleared.load(Ordering::Acquire)
    }

    fn spent(&self) -> bool {
        self.remaining.load(Ordering::Acquire) == 0
    }

    /// The fault as the control API lists it.
    pub fn to_json(&self) -> Value {
        let remaining = match self.remaining.load(Ordering::Acquire) {
            u64::MAX => Value::Null,
            n => json!(n),
        };
        json!({
            "id": self.id,
            "spec": self.spec.to_string(),
            "added_ms": self.added.as_millis(),
            "remaining": remaining,
        })
    }
}

/// A connection as faults see it: the device behind it and its transcript label (`endpoint/N`, `agent/N`).
#[derive(Clone, Debug)]
pub struct ConnKey {
    pub device: &'static str,
    pub label: Arc<str>,
}

impl ConnKey {
    /// Whether `scope` reaches this connection.
    pub fn in_scope(&self, scope: &Scope) -> bool {
        match scope {
            Scope::All => true,
            Scope::Conn(label) => **label == *self.label,
            Scope::Name(name) => {
                name == self.device || self.label.rsplit_once('/').is_some_and(|(prefix, _)| prefix == name)
            }
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    active: Vec<Arc<Active>>,
    /// Endpoint (or agent) names with their device, to check scopes and to find a connection's device.
    names: Vec<(String, &'static str)>,
    /// The names among them that are raw TCP sockets (the xArm's 502 and report ports), which refuse the faults
    /// a byte stream has no meaning for.
    raw: Vec<String>,
    /// Every fault up to this id was cleared, listed or not.
    cleared_through: u64,
}

/// Every active network fault of one simulator.
#[derive(Debug)]
pub struct Faults {
    seed: u64,
    clock: Arc<Clock>,
    transcript: Arc<Transcript>,
    inner: Mutex<Inner>,
    /// Bumped on every change; connections re-read their faults when it moves (0: never had a fault).
    generation: AtomicU64,
    changed: watch::Sender<u64>,
}

impl Faults {
    /// No faults yet; acts are recorded in `transcript` at `clock`'s time, seeded decisions derive from `seed`.
    pub fn new(seed: u64, clock: Arc<Clock>, transcript: Arc<Transcript>) -> Self {
        Faults {
            seed,
            clock,
            transcript,
            inner: Mutex::default(),
            generation: AtomicU64::new(0),
            changed: watch::channel(0).0,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The master seed the per-connection decisions derive from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The simulation clock faults act on.
    pub fn clock(&self) -> &Arc<Clock> {
        &self.clock
    }

    /// Makes `names` (endpoint or agent name, device) known, for scopes and [`Faults::device_of`].
    pub fn add_names(&self, names: impl IntoIterator<Item = (String, &'static str)>) {
        self.lock().names.extend(names);
    }

    /// Makes `names` known as raw TCP sockets: a fault with no meaning for a byte stream (a handshake, a
    /// fragment) scoped to one of them is refused.
    pub fn add_raw_names(&self, names: impl IntoIterator<Item = String>) {
        self.lock().raw.extend(names);
    }

    /// The device serving endpoint `name` (`name` itself when unknown).
    pub fn device_of(&self, name: &'static str) -> &'static str {
        self.lock()
            .names
            .iter()
            .find(|(n, _)| n == name)
            .map_or(name, |(_, device)| device)
    }

    /// Adds a fault; it reaches matching connections at once (new ones only, with `#N` on a lasting fault).
    pub fn add(&self, spec: FaultSpec) -> Result<Arc<Active>, FaultError> {
        let mut inner = self.lock();
        if let Scope::Name(name) | Scope::Conn(name) = &spec.scope {
            let prefix = name.rsplit_once('/').map_or(name.as_str(), |(prefix, _)| prefix);
            let known = inner.names.iter().any(|(n, d)| n == prefix || *d == prefix);
            if !known && !inner.names.is_empty() {
                let mut all: Vec<&str> = inner.names.iter().flat_map(|(n, d)| [n.as_str(), *d]).collect();
                all.sort_unstable();
                all.dedup();
                return Err(FaultError::UnknownScope(name.clone(), all.join(", ")));
            }
            if inner.raw.iter().any(|raw| raw == prefix) && !acts_on_raw_tcp(&spec.fault) {
                return Err(FaultError::RawTcp(spec.to_string()));
            }
        }
        if exchange::is_http_scope(&spec.scope) && !exchange::applies_to_http(&spec.fault) {
            return Err(FaultError::NotForHttp(spec.to_string()));
        }
        inner.next_id += 1;
        let remaining = match (spec.times, spec.fault.is_one_shot()) {
            (Some(n), _) => n,
            (None, true) if !matches!(spec.fault, Fault::Unreachable { .. }) => 1,
            (None, _) => u64::MAX,
        };
        let active = Arc::new(Active {
            id: inner.next_id,
            spec,
            added: self.clock.now(),
            remaining: AtomicU64::new(remaining),
            cleared: Default::default(),
        });
        inner.active.push(active.clone());
        drop(inner);
        self.bump();
        Ok(active)
    }

    /// Parses and adds a fault given in the text form.
    pub fn add_text(&self, text: &str) -> Result<Arc<Active>, FaultError> {
        self.add(text.parse()?)
    }

    /// The faults still active.
    pub fn list(&self) -> Vec<Arc<Active>> {
        self.lock().active.clone()
    }

    /// Removes every fault (and ends those that left the list but still act on the connections they joined);
    /// returns how many were listed.
    pub fn clear(&self) -> usize {
        let mut inner = self.lock();
        let removed = std::mem::take(&mut inner.active);
        inner.cleared_through = inner.next_id;
        drop(inner);
        for active in &removed {
            active.cleared.store(true, Ordering::Release);
        }
        self.bump();
        removed.len()
    }

    /// Whether the fault `active` was removed or cleared.
    pub fn is_cleared(&self, active: &Active) -> bool {
        active.is_cleared() || active.id <= self.lock().cleared_through
    }

    /// Removes the fault with this id; `false` if there is none.
    pub fn remove(&self, id: u64) -> bool {
        let mut inner = self.lock();
        let Some(index) = inner.active.iter().position(|a| a.id == id) else {
            return false;
        };
        let active = inner.active.remove(index);
        drop(inner);
        active.cleared.store(true, Ordering::Release);
        self.bump();
        true
    }

    /// Drops faults that have no act left.
    pub fn sweep(&self) {
        let mut inner = self.lock();
        let before = inner.active.len();
        inner.active.retain(|a| !a.spent());
        let changed = inner.active.len() != before;
        drop(inner);
        if changed {
            self.bump();
        }
    }

    fn bump(&self) {
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        self.changed.send_replace(generation);
    }

    /// The change counter: 0 while no fault was ever added.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The faults' changes as a stream (a connection wakes to act on a new cut or stall). Made once per
    /// connection: its wait stays registered across polls instead of taking the shared watch's lock each time.
    pub fn changes(&self) -> Changes {
        Box::pin(futures_util::stream::unfold(
            self.changed.subscribe(),
            |mut watch| async move {
                watch.changed().await.ok()?;
                Some(((), watch))
            },
        ))
    }

    /// The active faults that reach `conn`.
    pub fn matching(&self, conn: &ConnKey) -> Vec<Arc<Active>> {
        self.lock()
            .active
            .iter()
            .filter(|a| !a.spent() && conn.in_scope(&a.spec.scope))
            .cloned()
            .collect()
    }

    /// The handshake fault (`refuse`, `hang`) that claims the connection `conn` is about to open, if any.
    pub fn claim_handshake(&self, conn: &ConnKey) -> Option<Arc<Active>> {
        let found = self
            .matching(conn)
            .into_iter()
            .find(|a| a.spec.fault.is_handshake() && a.claim());
        if found.is_some() {
            self.sweep();
        }
        found
    }

    /// The `unreachable` fault that keeps the server `conn` dials out of reach now, and until when.
    pub fn unreachable(&self, conn: &ConnKey) -> Option<(Arc<Active>, SimTime)> {
        let now = self.clock.now();
        self.matching(conn)
            .into_iter()
            .filter_map(|a| match a.spec.fault {
                Fault::Unreachable { ms } => Some((a.added.plus_millis(ms), a)),
                _ => None,
            })
            .filter(|(until, _)| *until > now)
            .max_by_key(|(until, _)| *until)
            .map(|(until, a)| (a, until))
    }

    /// Writes a `fault` record for `conn`: which fault acted and what it did.
    pub fn record(&self, conn: &str, active: &Active, what: &str) {
        tracing::debug!(conn, fault = %active.spec, what, "fault acted");
        if self.transcript.is_enabled() {
            let data = format!("{} (#{}): {what}", active.spec, active.id);
            self.transcript
                .record(self.clock.now(), conn, Direction::Out, RecordKind::Fault, &data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ClockMode;

    fn faults() -> Faults {
        let faults = Faults::new(
            0,
            Arc::new(Clock::new(ClockMode::Virtual)),
            Arc::new(Transcript::disabled()),
        );
        faults.add_names([("xarm".to_string(), "xarm"), ("esp3d-data".to_string(), "esp3d")]);
        faults
    }

    fn conn(device: &'static str, label: &str) -> ConnKey {
        ConnKey {
            device,
            label: label.into(),
        }
    }

    #[test]
    fn scopes_reach_devices_endpoints_and_single_connections() {
        let faults = faults();
        faults.add_text("delay:5@esp3d").unwrap();
        faults.add_text("drop:2@esp3d-data").unwrap();
        faults.add_text("stall:1s@xarm/2").unwrap();
        assert_eq!(faults.matching(&conn("esp3d", "esp3d-data/1")).len(), 2);
        assert_eq!(faults.matching(&conn("esp3d", "esp3d-terminal/1")).len(), 1);
        assert_eq!(faults.matching(&conn("xarm", "xarm/1")).len(), 0);
        assert_eq!(faults.matching(&conn("xarm", "xarm/2")).len(), 1);
        assert!(matches!(
            faults.add_text("delay:5@printer"),
            Err(FaultError::UnknownScope(..))
        ));
    }

    #[test]
    fn a_handshake_fault_is_spent_after_its_count_and_the_list_follows() {
        let faults = faults();
        let refuse = faults.add_text("refuse:503@xarm#2").unwrap();
        let key = conn("xarm", "xarm/1");
        assert_eq!(faults.claim_handshake(&key).map(|a| a.id), Some(refuse.id));
        assert_eq!(faults.list().len(), 1);
        assert!(faults.claim_handshake(&key).is_some());
        assert!(faults.claim_handshake(&key).is_none());
        assert!(faults.list().is_empty());
        let generation = faults.generation();
        faults.add_text("hang").unwrap();
        assert!(faults.generation() > generation);
        assert_eq!(faults.clear(), 1);
    }

    #[test]
    fn unreachable_lasts_its_time_from_when_it_was_added() {
        let faults = faults();
        let key = conn("xarm", "xarm/1");
        let active = faults.add_text("unreachable:2s@xarm").unwrap();
        assert_eq!(
            faults.unreachable(&key).map(|(_, t)| t),
            Some(SimTime::from_millis(2000))
        );
        faults.clock.advance(2000).unwrap();
        assert!(faults.unreachable(&key).is_none());
        assert!(faults.remove(active.id) && !faults.remove(active.id));
    }
}
