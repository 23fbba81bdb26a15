//! Python's spellings of time that devices written in Python put on the wire: `round()` (half to even) and
//! `str(timedelta(seconds=n))` (`H:MM:SS`, `N day(s), H:MM:SS`).

/// Python's `round()` of a value given in hundredths (as `/proc/uptime` has them): halves go to the even neighbour.
pub fn round_half_even_centis(centis: u64) -> u64 {
    let (whole, frac) = (centis / 100, centis % 100);
    if frac > 50 || (frac == 50 && whole % 2 == 1) {
        whole + 1
    } else {
        whole
    }
}

/// Python's `str(timedelta(seconds=n))`: `H:MM:SS`, prefixed by `N day(s), ` from one day on.
pub fn timedelta_text(total_seconds: u64) -> String {
    let days = total_seconds / 86_400;
    let rest = total_seconds % 86_400;
    let clock = format!("{}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
    match days {
        0 => clock,
        1 => format!("1 day, {clock}"),
        n => format!("{n} days, {clock}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timedelta_text_matches_python() {
        assert_eq!(timedelta_text(1234), "0:20:34");
        assert_eq!(timedelta_text(0), "0:00:00");
        assert_eq!(timedelta_text(86_400), "1 day, 0:00:00");
        assert_eq!(timedelta_text(2 * 86_400 + 3661), "2 days, 1:01:01");
        assert_eq!(timedelta_text(36_000), "10:00:00");
    }

    #[test]
    fn rounding_is_bankers() {
        assert_eq!(round_half_even_centis(124_050), 1240);
        assert_eq!(round_half_even_centis(124_150), 1242);
        assert_eq!(round_half_even_centis(124_094), 1241);
        assert_eq!(round_half_even_centis(124_049), 1240);
        assert_eq!(round_half_even_centis(50), 0);
    }
}
