//! A bench's two servers side by side on loopback: one simulator device on a realtime clock and the bare
//! tokio-tungstenite baseline doing the same work, with their URLs in the order the bench reports them.

use understudy_sim::{ClockMode, SimConfig, Simulator};

use crate::Error;
use crate::bare_server::BareServer;

/// One server under test.
#[derive(Clone, Debug)]
pub struct Target {
    /// `sim` or `bare`.
    pub name: &'static str,
    /// Its WebSocket URL.
    pub url: String,
}

/// The simulator (one device, realtime clock) and the bare server.
pub struct Targets {
    sim: Simulator,
    bare: BareServer,
    list: [Target; 2],
}

impl Targets {
    /// Starts the simulator with only `device`, in the current tokio runtime, beside `bare`; the bench talks
    /// to the simulator's `endpoint`.
    pub async fn start(device: &str, endpoint: &'static str, bare: BareServer) -> Result<Targets, Error> {
        let config = SimConfig {
            clock: ClockMode::Realtime { speed: 1.0 },
            only: Some(vec![device.into()]),
            ..SimConfig::for_tests(0)
        };
        let sim = Simulator::start(config).await?;
        let sim_url = sim.url(endpoint).ok_or(Error::NoEndpoint(endpoint))?.to_string();
        let bare_url = bare.url().to_string();
        Ok(Targets {
            sim,
            bare,
            list: [
                Target {
                    name: "sim",
                    url: sim_url,
                },
                Target {
                    name: "bare",
                    url: bare_url,
                },
            ],
        })
    }

    /// The simulator first, then the bare server.
    pub fn list(&self) -> &[Target; 2] {
        &self.list
    }

    /// Stops both (close every client first, or the simulator waits for their close handshakes).
    pub async fn shutdown(self) {
        drop(self.bare);
        self.sim.shutdown().await;
    }
}
