//! Understudy's pure core: device models, wire formats and protocol state machines, `SimTime`, the seed
//! derivation and the fleet rules (shards, addresses). Nothing here does I/O, reads a clock or spawns; the
//! `understudy-sim` serve layer feeds it.

pub mod fleet;
pub mod model;
pub mod proto;
pub mod seed;
pub mod time;

pub use time::{Epoch, SimTime};
