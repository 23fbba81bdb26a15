//! The periodic fan-out measurement: many connections each reading frames pushed at a fixed rate, scored per
//! client by the share of expected frames received and by lag against the client's own best-fitting schedule.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::load_client::Client;
use crate::stats::percentile;

/// What a fan-out run measured over its window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FanoutReport {
    /// Clients asked for.
    pub clients: usize,
    /// Clients that connected and stayed open through the window.
    pub connected: usize,
    /// Frames each client should have received in the window.
    pub expected: u64,
    /// The smallest share of `expected` any client received (0 for a client that never connected).
    pub min_share: f64,
    /// Clients that received fewer than `expected - 1` frames (one frame of slack for the window's edges).
    pub short_clients: usize,
    /// Frames received in the window, over every client.
    pub delivered: u64,
    /// Lag percentiles over every frame of every client.
    pub lag_p50: Duration,
    pub lag_p99: Duration,
    pub lag_max: Duration,
}

impl FanoutReport {
    /// Whether every client got its frames (up to one at the window's edges, i.e. >= 99% of 100) and
    /// p99 lag stayed under `lag`.
    pub fn passes(&self, lag: Duration) -> bool {
        self.connected == self.clients && self.short_clients == 0 && self.lag_p99 < lag
    }
}

/// The lag of each frame: with arrivals `a_k` of a client receiving every `period`, frame k's offset is
/// `a_k - k * period`; its lag is that offset minus the client's smallest offset (its best-case phase, since
/// the sender's phase is unknown to the client). A dropped frame shows up as one period of lag after it.
pub fn lags(arrivals: &[Instant], period: Duration, out: &mut Vec<Duration>) {
    let Some(&first) = arrivals.first() else { return };
    let offsets: Vec<i128> = arrivals
        .iter()
        .enumerate()
        .map(|(k, a)| a.duration_since(first).as_nanos() as i128 - k as i128 * period.as_nanos() as i128)
        .collect();
    let best = offsets.iter().copied().min().unwrap_or(0);
    out.extend(offsets.iter().map(|o| Duration::from_nanos((o - best) as u64)));
}

/// When a step records: `window` long after `settle`, with `mark` called at the window's edges.
pub struct Window {
    /// How long frames are recorded.
    pub window: Duration,
    /// How long the connected clients settle first.
    pub settle: Duration,
    /// Called with `"start"` and `"end"`.
    pub mark: Arc<dyn Fn(&str) + Send + Sync>,
}

/// Connects `n` clients to `url` (at most `parallel` handshakes at a time), lets them settle for `settle`,
/// then records for `window` the arrival of every text frame containing `marker` in its first 64 bytes.
/// `mark` is called with `"start"` when the window opens and `"end"` when it closes (a parent process
/// samples the server's CPU time then).
pub async fn measure(url: &str, n: usize, hz: u32, timing: Window, marker: &str, parallel: usize) -> FanoutReport {
    let Window { window, settle, mark } = timing;
    let period = Duration::from_secs_f64(1.0 / f64::from(hz.max(1)));
    let gate = Arc::new(Semaphore::new(parallel.max(1)));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<bool>();
    let (start_tx, start_rx) = tokio::sync::watch::channel(None::<Instant>);
    let marker: Arc<str> = marker.into();
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (url, gate, ready_tx, mut start_rx, marker) = (
                url.to_owned(),
                gate.clone(),
                ready_tx.clone(),
                start_rx.clone(),
                marker.clone(),
            );
            tokio::spawn(async move {
                let permit = gate.acquire_owned().await;
                let client = tokio::time::timeout(Duration::from_secs(20), Client::connect(&url)).await;
                drop(permit);
                let Ok(Ok(mut client)) = client else {
                    let _ = ready_tx.send(false);
                    return None;
                };
                let _ = ready_tx.send(true);
                drop(ready_tx);
                let start = loop {
                    // Drain what arrives before the window so that the socket does not back up.
                    tokio::select! {
                        changed = start_rx.changed() => {
                            if changed.is_err() { return None; }
                            if let Some(start) = *start_rx.borrow() { break start; }
                        }
                        frame = client.next_text() => { frame.ok()?; }
                    }
                };
                let end = start + window;
                let mut arrivals =
                    Vec::with_capacity(window.as_millis() as usize / period.as_millis().max(1) as usize + 4);
                loop {
                    let Ok(frame) = tokio::time::timeout_at(end.into(), client.next_text()).await else {
                        break;
                    };
                    let frame = frame.ok()?;
                    let now = Instant::now();
                    let head = &frame.as_bytes()[..frame.len().min(64)];
                    if now >= start && head.windows(marker.len()).any(|w| w == marker.as_bytes()) {
                        arrivals.push(now);
                    }
                }
                Some((client, arrivals))
            })
        })
        .collect();
    drop(ready_tx);
    for _ in 0..n {
        if ready_rx.recv().await.is_none() {
            break;
        }
    }
    let start = Instant::now() + settle;
    let _ = start_tx.send(Some(start));
    tokio::spawn(async move {
        tokio::time::sleep_until(start.into()).await;
        mark("start");
        tokio::time::sleep_until((start + window).into()).await;
        mark("end");
    });
    let expected = (window.as_secs_f64() * f64::from(hz)).floor() as u64;
    let mut samples = Vec::new();
    let (mut connected, mut short_clients, mut min_share) = (0, 0, if n == 0 { 0.0 } else { f64::MAX });
    let mut delivered = 0;
    let mut clients = Vec::new();
    for task in tasks {
        match task.await.ok().flatten() {
            Some((client, arrivals)) => {
                connected += 1;
                let got = arrivals.len() as u64;
                delivered += got;
                min_share = f64::min(min_share, got as f64 / expected.max(1) as f64);
                if got + 1 < expected {
                    short_clients += 1;
                }
                lags(&arrivals, period, &mut samples);
                clients.push(client);
            }
            None => {
                min_share = 0.0;
                short_clients += 1;
            }
        }
    }
    crate::load_client::close_all(clients).await;
    FanoutReport {
        clients: n,
        connected,
        expected,
        min_share,
        short_clients,
        delivered,
        lag_p50: percentile(&mut samples, 50.0),
        lag_p99: percentile(&mut samples, 99.0),
        lag_max: percentile(&mut samples, 100.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_measured_against_the_best_phase() {
        let t0 = Instant::now();
        let p = Duration::from_millis(100);
        let arrivals = [
            t0,
            t0 + p + Duration::from_millis(7),
            t0 + 2 * p - Duration::from_millis(3),
        ];
        let mut out = Vec::new();
        lags(&arrivals, p, &mut out);
        assert_eq!(
            out,
            [Duration::from_millis(3), Duration::from_millis(10), Duration::ZERO]
        );
    }

    #[test]
    fn a_dropped_frame_shows_as_a_period_of_lag() {
        let t0 = Instant::now();
        let p = Duration::from_millis(100);
        let arrivals = [t0, t0 + p, t0 + 3 * p];
        let mut out = Vec::new();
        lags(&arrivals, p, &mut out);
        assert_eq!(out, [Duration::ZERO, Duration::ZERO, p]);
    }
}
