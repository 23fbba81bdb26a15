//! The network fault vocabulary: `Fault` (what goes wrong on the wire), `Scope` (which sockets) and
//! `FaultSpec`, with the one compact text form the CLI, the control API and the Gherkin steps all use.

use std::fmt;

/// How a corrupted text frame is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corruption {
    /// The text is cut in half and a NUL appended: still UTF-8, no longer JSON.
    Json,
    /// A 0xFF byte is put in the middle of the payload: no longer UTF-8.
    Utf8,
}

/// One thing that goes wrong on a connection. Durations are sim-time milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Every outgoing frame is held `ms` (plus or minus a seeded jitter of at most `jitter_ms`); order is kept.
    Delay { ms: u64, jitter_ms: u64 },
    /// One outgoing data frame in every `one_in` is dropped, at a seeded place in each run of `one_in`.
    Drop { one_in: u64 },
    /// All output is held for `ms`, then released in order.
    Stall { ms: u64 },
    /// The TCP connection is reset (no close frame).
    Reset,
    /// A close frame with this code and reason is sent.
    Close { code: u16, reason: String },
    /// A connection is closed (1000) once it has sent `frames` data frames.
    CloseAfter { frames: u64 },
    /// The next data frame is corrupted (a binary one gets a flipped byte whatever the kind).
    Corrupt(Corruption),
    /// Text frames go out as a first frame and continuation frames of `bytes` bytes each.
    Fragment { bytes: usize },
    /// Outgoing frames are paced to `bytes_per_s`.
    Bandwidth { bytes_per_s: u64 },
    /// The next WebSocket handshake is answered with this HTTP status instead of 101.
    Refuse { status: u16 },
    /// The next connection is accepted but its upgrade is never answered.
    Hang,
    /// For a device that dials out: its server cannot be reached for `ms` (connects fail at once).
    Unreachable { ms: u64 },
}

impl Fault {
    /// Whether the fault acts once (then is spent) rather than on every frame of the connections it reaches.
    pub fn is_one_shot(&self) -> bool {
        matches!(
            self,
            Fault::Stall { .. }
                | Fault::Reset
                | Fault::Close { .. }
                | Fault::Corrupt(_)
                | Fault::Refuse { .. }
                | Fault::Hang
                | Fault::Unreachable { .. }
        )
    }

    /// Whether the fault acts on a handshake (before any frame) rather than on a connection's frames.
    pub fn is_handshake(&self) -> bool {
        matches!(self, Fault::Refuse { .. } | Fault::Hang)
    }
}

/// Which connections a fault reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every socket of every device.
    All,
    /// A device (`xarm`), an endpoint (`esp3d-data`) or a dialling agent (`obico-2`).
    Name(String),
    /// One connection by its transcript label (`xarm/3`, `obico-1/2`).
    Conn(String),
}

/// A fault, where it acts, and how many times (one-shot faults) or on how many new connections (the others).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultSpec {
    pub fault: Fault,
    pub scope: Scope,
    /// `#N`: a one-shot fault acts N times; another fault reaches only the next N connections opened.
    pub times: Option<u64>,
}

/// Why a fault's text does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("unknown fault `{0}` (known: {KNOWN})")]
    Unknown(String),
    #[error("`{spec}`: {why}")]
    Bad { spec: String, why: String },
}

/// The fault names the parser knows.
pub const KNOWN: &str =
    "delay, drop, stall, reset, close, close-after, corrupt, fragment, bandwidth, refuse, hang, unreachable";

impl std::str::FromStr for FaultSpec {
    type Err = SpecError;

    /// `FAULT[@SCOPE][#N]`, e.g. `delay:200ms@xarm`, `drop:5@endrpi/2`, `refuse:503@esp3d-terminal#2`.
    fn from_str(text: &str) -> Result<Self, SpecError> {
        let bad = |why: &str| SpecError::Bad {
            spec: text.to_string(),
            why: why.to_string(),
        };
        let (rest, times) = match text.rsplit_once('#') {
            Some((rest, n)) => (rest, Some(positive(n).ok_or_else(|| bad("#N needs a positive count"))?)),
            None => (text, None),
        };
        let (fault, scope) = match rest.rsplit_once('@') {
            Some((fault, scope)) => (
                fault,
                parse_scope(scope).ok_or_else(|| bad("the scope after @ is empty"))?,
            ),
            None => (rest, Scope::All),
        };
        let fault = parse_fault(fault).map_err(|error| match error {
            SpecError::Bad { why, .. } => bad(&why),
            unknown => unknown,
        })?;
        Ok(FaultSpec { fault, scope, times })
    }
}

fn parse_scope(text: &str) -> Option<Scope> {
    let text = text.trim();
    match text {
        "" => None,
        "*" => Some(Scope::All),
        label if label.contains('/') => Some(Scope::Conn(label.to_string())),
        name => Some(Scope::Name(name.to_string())),
    }
}

fn parse_fault(text: &str) -> Result<Fault, SpecError> {
    let (name, arg) = text.split_once(':').unwrap_or((text, ""));
    let bad = |why: &str| SpecError::Bad {
        spec: text.to_string(),
        why: why.to_string(),
    };
    let ms = |arg: &str| millis(arg).ok_or_else(|| bad("expected a duration such as 200ms or 2s"));
    let count = |arg: &str| positive(arg).ok_or_else(|| bad("expected a positive whole number"));
    Ok(match name.trim() {
        "delay" => match arg.split_once('~') {
            Some((d, jitter)) => Fault::Delay {
                ms: ms(d)?,
                jitter_ms: ms(jitter)?,
            },
            None => Fault::Delay {
                ms: ms(arg)?,
                jitter_ms: 0,
            },
        },
        "drop" => Fault::Drop { one_in: count(arg)? },
        "stall" => Fault::Stall { ms: ms(arg)? },
        "reset" if arg.is_empty() => Fault::Reset,
        "close" => {
            let (code, reason) = arg.split_once(':').unwrap_or((arg, ""));
            let code: u16 = code.trim().parse().map_err(|_| bad("expected close:CODE[:REASON]"))?;
            if !(1000..=4999).contains(&code) || matches!(code, 1004..=1006 | 1015) {
                return Err(bad("a close code a server may send: 1000-1003, 1007-1014 or 3000-4999"));
            }
            if reason.len() > 123 {
                return Err(bad("a close reason holds at most 123 bytes"));
            }
            Fault::Close {
                code,
                reason: reason.to_string(),
            }
        }
        "close-after" => Fault::CloseAfter { frames: count(arg)? },
        "corrupt" => Fault::Corrupt(match arg.trim() {
            "" | "json" => Corruption::Json,
            "utf8" => Corruption::Utf8,
            _ => return Err(bad("corrupt takes json or utf8")),
        }),
        "fragment" => Fault::Fragment {
            bytes: usize::try_from(count(arg)?).map_err(|_| bad("too large"))?,
        },
        "bandwidth" => Fault::Bandwidth {
            bytes_per_s: count(arg.trim_end_matches("B/s"))?,
        },
        "refuse" => {
            let status: u16 = arg.trim().parse().map_err(|_| bad("expected refuse:STATUS"))?;
            if !(400..=599).contains(&status) {
                return Err(bad("refuse takes an HTTP error status (400-599)"));
            }
            Fault::Refuse { status }
        }
        "hang" if arg.is_empty() => Fault::Hang,
        "unreachable" => Fault::Unreachable { ms: ms(arg)? },
        "reset" | "hang" => return Err(bad("takes no argument")),
        other => return Err(SpecError::Unknown(other.to_string())),
    })
}

/// `200`, `200ms`, `2s` as milliseconds.
fn millis(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Some(ms) = text.strip_suffix("ms") {
        ms.parse().ok()
    } else if let Some(s) = text.strip_suffix('s') {
        s.parse::<u64>().ok()?.checked_mul(1000)
    } else {
        text.parse().ok()
    }
}

fn positive(text: &str) -> Option<u64> {
    text.trim().parse().ok().filter(|n| *n > 0)
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Delay { ms, jitter_ms: 0 } => write!(f, "delay:{ms}ms"),
            Fault::Delay { ms, jitter_ms } => write!(f, "delay:{ms}ms~{jitter_ms}ms"),
            Fault::Drop { one_in } => write!(f, "drop:{one_in}"),
            Fault::Stall { ms } => write!(f, "stall:{ms}ms"),
            Fault::Reset => f.write_str("reset"),
            Fault::Close { code, reason } if reason.is_empty() => write!(f, "close:{code}"),
            Fault::Close { code, reason } => write!(f, "close:{code}:{reason}"),
            Fault::CloseAfter { frames } => write!(f, "close-after:{frames}"),
            Fault::Corrupt(Corruption::Json) => f.write_str("corrupt:json"),
            Fault::Corrupt(Corruption::Utf8) => f.write_str("corrupt:utf8"),
            Fault::Fragment { bytes } => write!(f, "fragment:{bytes}"),
            Fault::Bandwidth { bytes_per_s } => write!(f, "bandwidth:{bytes_per_s}"),
            Fault::Refuse { status } => write!(f, "refuse:{status}"),
            Fault::Hang => f.write_str("hang"),
            Fault::Unreachable { ms } => write!(f, "unreachable:{ms}ms"),
        }
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.fault)?;
        match &self.scope {
            Scope::All => {}
            Scope::Name(name) | Scope::Conn(name) => write!(f, "@{name}")?,
        }
        match self.times {
            Some(n) => write!(f, "#{n}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn spec(text: &str) -> FaultSpec {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn every_fault_parses_and_prints_back_the_same() {
        for text in [
            "delay:200ms@xarm",
            "delay:200ms~50ms",
            "drop:5@endrpi/2",
            "stall:2000ms@endrpi#1",
            "reset@xarm",
            "close:4000:maintenance@pubsub",
            "close:1001",
            "close-after:3@esp3d-data",
            "corrupt:json",
            "corrupt:utf8@endrpi",
            "fragment:4@pubsub",
            "bandwidth:1000@xarm",
            "refuse:503@esp3d-terminal#2",
            "hang@endrpi",
            "unreachable:5000ms@obico",
        ] {
            assert_eq!(spec(text).to_string(), text);
        }
    }

    #[test]
    fn scopes_counts_and_units_are_read() {
        let s = spec("stall:2s@xarm/3#2");
        assert_eq!(s.fault, Fault::Stall { ms: 2000 });
        assert_eq!(s.scope, Scope::Conn("xarm/3".into()));
        assert_eq!(s.times, Some(2));
        assert_eq!(spec("delay:150").fault, Fault::Delay { ms: 150, jitter_ms: 0 });
        assert_eq!(spec("reset@*").scope, Scope::All);
        assert!(spec("hang").fault.is_handshake() && spec("hang").fault.is_one_shot());
        assert!(!spec("delay:1").fault.is_one_shot());
    }

    #[test]
    fn bad_faults_are_refused_with_a_reason() {
        assert!(matches!("wobble:3".parse::<FaultSpec>(), Err(SpecError::Unknown(_))));
        for text in [
            "delay:soon",
            "drop:0",
            "close:1006",
            "close:abc",
            "refuse:200",
            "corrupt:xml",
            "reset:1",
            "delay:1@",
            "drop:2#0",
        ] {
            assert!(
                matches!(text.parse::<FaultSpec>(), Err(SpecError::Bad { .. })),
                "{text}"
            );
        }
    }

    proptest! {
        #[test]
        fn random_text_never_panics(text in ".{0,40}") {
            let _ = text.parse::<FaultSpec>();
        }
    }
}
