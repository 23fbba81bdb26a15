//! Understudy's simulator: device models, their wire protocols, and the sockets that serve them.
//! Models are sans-IO and read no clock; the `serve` layer owns sockets and time and feeds them.

pub mod cli;
pub mod clock;
pub mod devices;
pub mod error;
pub mod fleet;
pub mod record;
pub mod serve;
pub mod transcript;

pub use clock::{Clock, ClockMode, SimTime};
pub use error::SimError;
pub use serve::{BoundEndpoint, SimConfig, Simulator};
