//! The simulator's error type at its edges: starting, binding, writing the transcript.

use std::net::SocketAddr;

/// What can stop the simulator from starting or running.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr} for {endpoint}: {source}")]
    Bind {
        endpoint: String,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot write the transcript {path}: {source}")]
    Transcript { path: String, source: std::io::Error },
    #[error("unknown device `{0}` (known: {1})")]
    UnknownDevice(String, String),
    #[error("--fault {0}: {1}")]
    Fault(String, crate::serve::faults::FaultError),
    #[error("fleet: {0}")]
    Fleet(String),
    #[error("cannot write the fleet map {path}: {source}")]
    FleetMap { path: String, source: std::io::Error },
    #[error("the simulator is shutting down")]
    Stopped,
    #[error("{device}: {source}")]
    Device {
        device: &'static str,
        source: crate::serve::device::DeviceError,
    },
}
