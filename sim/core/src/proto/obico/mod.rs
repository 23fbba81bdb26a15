//! The Obico agent (OctoPrint-Obico 2.6.1 as observed): status frames, events, server commands,
//! passthru, the BSON tunnel and the connection policy, pure and sans-IO. Rules: `features/obico/RULES.md`.

pub mod agent;
pub mod bson;
pub mod cadence;
pub mod commands;
pub mod frames;
pub mod link;
pub mod passthru;
pub mod state;
pub mod status;
pub mod targets;
pub mod tunnel;

#[cfg(test)]
mod tests;

pub use agent::ObicoAgent;
pub use link::{AgentLink, Frame, LinkAction, LinkEvent, RestCall};
pub use state::OctoState;
