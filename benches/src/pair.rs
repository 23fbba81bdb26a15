//! A bench's two servers side by side on loopback, in the order the bench reports them: a simulator device on
//! a realtime clock, and a baseline doing the same work (the bare tokio-tungstenite server, or the same
//! simulator without its transcript, or talked to directly instead of through the recording proxy).

use std::path::PathBuf;

use understudy_sim::record::{RecordArgs, Recorder};
use understudy_sim::{ClockMode, SimConfig, Simulator};

use crate::Error;
use crate::bare_server::BareServer;

/// One server under test.
#[derive(Clone, Debug)]
pub struct Target {
    /// `sim`, `bare`, `transcript` or `proxy`.
    pub name: &'static str,
    /// Its WebSocket URL.
    pub url: String,
}

/// What is compared with the simulator as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Comparison {
    /// The bare server doing the same work.
    Bare,
    /// The simulator writing its transcript, against the same simulator writing none.
    Transcript,
    /// The simulator through `understudy-sim record`, against the simulator directly.
    Proxy,
}

/// The two servers, running.
pub struct Targets {
    sims: Vec<Simulator>,
    bare: Option<BareServer>,
    recorder: Option<Recorder>,
    transcript: Option<PathBuf>,
    list: [Target; 2],
}

fn config(device: &str, transcript: Option<PathBuf>) -> SimConfig {
    SimConfig {
        clock: ClockMode::Realtime { speed: 1.0 },
        only: Some(vec![device.into()]),
        transcript,
        ..SimConfig::for_tests(0)
    }
}

fn target(name: &'static str, url: impl Into<String>) -> Target {
    Target { name, url: url.into() }
}

impl Targets {
    /// Starts the simulator with only `device`, in the current tokio runtime, beside `bare`; the bench talks
    /// to the simulator's `endpoint`.
    pub async fn start(device: &str, endpoint: &'static str, bare: BareServer) -> Result<Targets, Error> {
        let sim = Simulator::start(config(device, None)).await?;
        let sim_url = sim.url(endpoint).ok_or(Error::NoEndpoint(endpoint))?.to_string();
        let list = [target("sim", sim_url), target("bare", bare.url())];
        Ok(Targets {
            sims: vec![sim],
            bare: Some(bare),
            recorder: None,
            transcript: None,
            list,
        })
    }

    /// The cost of recording: `comparison` (transcript or proxy) first, the plain simulator second.
    pub async fn recording_cost(
        device: &str,
        endpoint: &'static str,
        comparison: Comparison,
    ) -> Result<Targets, Error> {
        let plain = Simulator::start(config(device, None)).await?;
        let plain_url = plain.url(endpoint).ok_or(Error::NoEndpoint(endpoint))?.to_string();
        let mut targets = Targets {
            sims: Vec::new(),
            bare: None,
            recorder: None,
            transcript: None,
            list: [target("sim", ""), target("sim", plain_url.clone())],
        };
        let file = std::env::temp_dir().join(format!("understudy-bench-{}-{device}.jsonl", std::process::id()));
        if comparison == Comparison::Proxy {
            let args = RecordArgs::new(&plain_url, file.clone(), device);
            let recorder = Recorder::start(&args).await.map_err(|e| Error::Record(e.to_string()))?;
            let path = plain_url
                .split_once("://")
                .and_then(|(_, rest)| rest.split_once('/'))
                .map_or("", |(_, p)| p);
            targets.list[0] = target("proxy", format!("ws://{}/{path}", recorder.addr()));
            targets.recorder = Some(recorder);
        } else {
            let recording = Simulator::start(config(device, Some(file.clone()))).await?;
            targets.list[0] = target(
                "transcript",
                recording.url(endpoint).ok_or(Error::NoEndpoint(endpoint))?,
            );
            targets.sims.push(recording);
        }
        targets.transcript = Some(file);
        targets.sims.push(plain);
        Ok(targets)
    }

    /// The one measured, then its baseline.
    pub fn list(&self) -> &[Target; 2] {
        &self.list
    }

    /// Stops both (close every client first, or the simulator waits for their close handshakes).
    pub async fn shutdown(self) {
        drop(self.bare);
        if let Some(recorder) = self.recorder {
            recorder.shutdown().await;
        }
        for sim in self.sims {
            sim.shutdown().await;
        }
        if let Some(file) = self.transcript {
            let _ = std::fs::remove_file(file);
        }
    }
}
