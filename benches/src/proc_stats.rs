//! What a process costs the machine, read from Linux's `/proc`: the resident memory and the open file
//! descriptors of a process by pid, and the growth of a sampled series, for soak runs watching a child.

use std::fs;

/// One sample of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    /// Resident set size, KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Open file descriptors (entries of `/proc/PID/fd`).
    pub fds: u64,
}

/// The process's usage now; `None` once it has exited or where `/proc` is not Linux's.
pub fn usage(pid: u32) -> Option<Usage> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let fds = fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64;
    Some(Usage { rss_kib, fds })
}

/// How much a series grew: the median of its last `k` values minus the median of its first `k` (medians,
/// so that one busy sample at either end does not count as growth). Zero for an empty series.
pub fn growth(values: &[u64], k: usize) -> i64 {
    let k = k.clamp(1, values.len().max(1));
    if values.is_empty() {
        return 0;
    }
    let median = |slice: &[u64]| {
        let mut sorted = slice.to_vec();
        sorted.sort_unstable();
        sorted[sorted.len() / 2] as i64
    };
    median(&values[values.len() - k..]) - median(&values[..k])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_and_an_opened_file_shows() {
        let Some(before) = usage(std::process::id()) else {
            return; // not Linux: nothing to read
        };
        assert!(before.rss_kib > 0);
        let files: Vec<_> = (0..8).map(|_| fs::File::open("/proc/self/status").unwrap()).collect();
        let after = usage(std::process::id()).unwrap();
        assert!(after.fds >= before.fds + 8, "{before:?} then {after:?}");
        drop(files);
        assert_eq!(usage(u32::MAX), None);
    }

    #[test]
    fn growth_compares_medians_of_the_ends() {
        assert_eq!(growth(&[10, 90, 10, 10, 20, 20, 900, 20], 3), 10);
        assert_eq!(growth(&[50, 40, 30], 1), -20);
        assert_eq!(growth(&[7], 3), 0);
        assert_eq!(growth(&[], 3), 0);
    }
}
