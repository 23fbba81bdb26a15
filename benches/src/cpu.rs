//! CPU time spent by this process's threads of one name (e.g. the server runtime's workers), read from
//! Linux's per-thread schedstat: what a server costs per request, even when the machine is shared.

use std::fs;
use std::time::Duration;

/// The CPU time all threads named `name` have run so far; `None` where `/proc` has no schedstat.
pub fn threads_cpu(name: &str) -> Option<Duration> {
    let mut total_ns = 0u64;
    let mut found = false;
    for task in fs::read_dir("/proc/self/task").ok()?.flatten() {
        let path = task.path();
        let Ok(comm) = fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if comm.trim_end() != name {
            continue;
        }
        let schedstat = fs::read_to_string(path.join("schedstat")).ok()?;
        total_ns += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
        found = true;
    }
    found.then(|| Duration::from_nanos(total_ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_named_thread_shows_its_cpu_time() {
        if fs::metadata("/proc/self/task").is_err() {
            return; // not Linux: nothing to read
        }
        let spun = std::thread::Builder::new()
            .name("cpu-probe".into())
            .spawn(|| {
                let start = std::time::Instant::now();
                let mut x = 0u64;
                while start.elapsed() < Duration::from_millis(30) {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
                threads_cpu("cpu-probe")
            })
            .unwrap()
            .join()
            .unwrap();
        let used = spun.expect("schedstat readable");
        assert!(used >= Duration::from_millis(5), "{used:?}");
        assert_eq!(threads_cpu("no-such-thread-name"), None);
    }
}
