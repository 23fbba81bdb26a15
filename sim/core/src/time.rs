//! `SimTime`: milliseconds since the simulation started, the only notion of time the models know, and
//! `Epoch`, the Unix instant sim time zero stands for: every Unix timestamp a device emits is `epoch + sim time`.
//! The serve layer's clock turns wall time into `SimTime`; models and protocols never read a clock.

/// A point in simulated time: milliseconds since the simulation started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(u64);

impl SimTime {
    /// The moment the simulation started.
    pub const ZERO: SimTime = SimTime(0);

    /// A sim time `ms` milliseconds after the start.
    pub const fn from_millis(ms: u64) -> Self {
        SimTime(ms)
    }

    /// Milliseconds since the start.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Seconds since the start, as a float.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Milliseconds from `earlier` to `self`, or 0 if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// This time plus `ms` milliseconds.
    pub const fn plus_millis(self, ms: u64) -> SimTime {
        SimTime(self.0.saturating_add(ms))
    }
}

/// The Unix time (ms) at sim time zero. Every wall-clock value a device emits (token `iat`/`exp`, file
/// times, `_ts` fields) is `epoch + sim time`, so a virtual-time run is deterministic down to its tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Epoch {
    unix_ms: u64,
}

/// Why a text is not an RFC 3339 instant the simulator can use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an RFC 3339 instant at or after 1970 such as 2024-01-01T00:00:00Z")]
pub struct EpochError(pub String);

impl Epoch {
    /// The fixed epoch of virtual-time runs unless one is given: 2024-01-01T00:00:00Z.
    pub const VIRTUAL_DEFAULT: Epoch = Epoch {
        unix_ms: 1_704_067_200_000,
    };

    /// The epoch `unix_ms` milliseconds after 1970-01-01T00:00:00Z.
    pub const fn from_unix_ms(unix_ms: u64) -> Epoch {
        Epoch { unix_ms }
    }

    /// Unix time in ms at sim time `at`.
    pub fn unix_ms(self, at: SimTime) -> u64 {
        self.unix_ms.saturating_add(at.as_millis())
    }

    /// Unix time in whole seconds at sim time `at`.
    pub fn unix_secs(self, at: SimTime) -> u64 {
        self.unix_ms(at) / 1000
    }

    /// Parses an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)` (`t`/`z`/space
    /// accepted as RFC 3339 allows); fractions below a millisecond are dropped.
    pub fn parse_rfc3339(text: &str) -> Result<Epoch, EpochError> {
        parse_rfc3339(text.trim()).ok_or_else(|| EpochError(text.to_string()))
    }
}

impl std::fmt::Display for Epoch {
    /// RFC 3339 in UTC with milliseconds, e.g. `2024-01-01T00:00:00.000Z`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.unix_ms / 1000;
        let (days, day_secs) = (secs / 86_400, secs % 86_400);
        let (year, month, day) = civil_from_days(days as i64);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            day_secs / 3600,
            day_secs / 60 % 60,
            day_secs % 60,
            self.unix_ms % 1000
        )
    }
}

fn parse_rfc3339(text: &str) -> Option<Epoch> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let at = |i: usize| bytes.get(i).copied();
    if at(4) != Some(b'-') || at(7) != Some(b'-') || !matches!(at(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    if at(13) != Some(b':') || at(16) != Some(b':') {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let mut rest = 19;
    let mut millis = 0;
    if at(rest) == Some(b'.') {
        let end = (rest + 1..bytes.len())
            .find(|&i| !bytes[i].is_ascii_digit())
            .unwrap_or(bytes.len());
        if end == rest + 1 {
            return None;
        }
        let fraction = &text[rest + 1..end];
        millis = format!("{fraction:0<3}")[..3].parse().ok()?;
        rest = end;
    }
    let offset_minutes = match text.get(rest..)? {
        "Z" | "z" => 0,
        zone if zone.len() == 6 && matches!(at(rest), Some(b'+' | b'-')) && at(rest + 3) == Some(b':') => {
            let minutes = digits(rest + 1..rest + 3)? * 60 + digits(rest + 4..rest + 6)?;
            if at(rest) == Some(b'-') { -minutes } else { minutes }
        }
        _ => return None,
    };
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    let unix_ms = u64::try_from(secs).ok()?.checked_mul(1000)?.checked_add(millis)?;
    Some(Epoch { unix_ms })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (the inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc3339_instants_parse_to_unix_time() {
        let parse = |t: &str| Epoch::parse_rfc3339(t).map(|e| e.unix_ms(SimTime::ZERO));
        assert_eq!(parse("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(
            parse("2024-01-01T00:00:00Z"),
            Ok(Epoch::VIRTUAL_DEFAULT.unix_ms(SimTime::ZERO))
        );
        assert_eq!(parse("2024-02-29T12:34:56.789Z"), Ok(1_709_210_096_789));
        assert_eq!(parse("2024-01-01T02:00:00+02:00"), Ok(1_704_067_200_000));
        assert_eq!(parse("2023-12-31t19:00:00.5-05:00"), Ok(1_704_067_200_500));
        for bad in [
            "",
            "2024-01-01",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-01T00:00:00",
            "1969-12-31T23:59:59Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0200",
        ] {
            assert!(Epoch::parse_rfc3339(bad).is_err(), "{bad}");
        }
        assert_eq!(Epoch::VIRTUAL_DEFAULT.to_string(), "2024-01-01T00:00:00.000Z");
        assert_eq!(
            Epoch::VIRTUAL_DEFAULT.unix_secs(SimTime::from_millis(1_500)),
            1_704_067_201
        );
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(ms in 0u64..253_402_300_799_000) {
            let epoch = Epoch::from_unix_ms(ms);
            prop_assert_eq!(Epoch::parse_rfc3339(&epoch.to_string()), Ok(epoch));
        }

        #[test]
        fn random_text_never_panics(text in "\\PC{0,40}") {
            let _ = Epoch::parse_rfc3339(&text);
        }
    }
}
