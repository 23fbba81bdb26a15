//! Many repetitions of `x = max(x - c, 0)` at once, bit for bit as the loop computes them, in a few steps
//! per binary exponent of `x` instead of one per repetition (a battery draining for a simulated month).

/// `x` after at most `n` repetitions of `x = (x - c).max(0.0)` (`c > 0`, `x >= 0`, both finite), exactly as
/// the loop would leave it, with how many repetitions were done. It stops early, before the first
/// repetition whose result would be below `floor`, so a caller can handle that crossing step itself.
///
/// Inside one binade of `x` (one exponent, one ulp), `x - c` rounds to the grid the same way for every `x`
/// of the same last-bit parity, so two repetitions always remove the same amount once the parity pattern
/// has settled (after at most one pair); that amount is taken out `k` times with one exact multiplication.
pub fn repeat_subtract(x: f64, c: f64, n: u64, floor: f64) -> (f64, u64) {
    let sub = |v: f64| (v - c).max(0.0);
    let (mut x, mut done) = (x, 0u64);
    if !(x.is_finite() && c.is_finite() && c > 0.0) {
        return (x, 0);
    }
    while done < n {
        if x == 0.0 && floor <= 0.0 {
            return (0.0, n);
        }
        if n - done >= 6 && x.is_normal() {
            let bottom = binade_bottom(x).max(floor);
            // One settling pair, then the pair decrement that holds for the rest of the binade.
            let y2 = sub(sub(x));
            let y4 = sub(sub(y2));
            let pair = y2 - y4;
            let margin = 4.0 * c;
            if y4 >= bottom + margin && pair > 0.0 {
                let room = ((y2 - bottom - margin) / pair).floor();
                let pairs = (room as u64).saturating_sub(1).min((n - done - 2) / 2);
                if pairs >= 1 {
                    x = y2 - pairs as f64 * pair;
                    done += 2 + 2 * pairs;
                    continue;
                }
            }
        }
        let next = sub(x);
        if next < floor {
            break;
        }
        x = next;
        done += 1;
    }
    (x, done)
}

/// The power of two at or below a positive normal `x`.
fn binade_bottom(x: f64) -> f64 {
    f64::from_bits(x.to_bits() & 0xfff0_0000_0000_0000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(mut x: f64, c: f64, n: u64, floor: f64) -> (f64, u64) {
        for done in 0..n {
            let next = (x - c).max(0.0);
            if next < floor {
                return (x, done);
            }
            x = next;
        }
        (x, n)
    }

    #[test]
    fn a_battery_from_full_to_empty_matches_the_loop_bit_for_bit() {
        let c = 0.01 * 0.001;
        for n in [0, 1, 5, 7, 1000, 1_234_567, 9_999_999, 10_000_000, 10_000_100] {
            let fast = repeat_subtract(100.0, c, n, 0.0);
            let slow = naive(100.0, c, n, 0.0);
            assert_eq!((fast.0.to_bits(), fast.1), (slow.0.to_bits(), slow.1), "n = {n}");
        }
        let (low, steps) = repeat_subtract(100.0, c, u64::MAX, 20.0);
        assert_eq!((low, steps), naive(100.0, c, steps + 10, 20.0));
        assert!(low >= 20.0 && low - c < 20.0);
        assert_eq!(repeat_subtract(0.0, c, u64::MAX, 0.0), (0.0, u64::MAX));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_start_and_count_match_the_loop(x in 0.0f64..200.0, c in 1e-7f64..1e-2, n in 0u64..300_000, floor in 0.0f64..50.0) {
            let fast = repeat_subtract(x, c, n, floor);
            let slow = naive(x, c, n, floor);
            prop_assert_eq!((fast.0.to_bits(), fast.1), (slow.0.to_bits(), slow.1));
        }
    }
}
