//! Understudy's conformance suite: Gherkin scenarios, JSON Schemas and rules tables that check any
//! implementation of the device protocols (the simulator or a physical device) and report per rule.

pub mod asyncapi;
pub mod client;
pub mod control;
pub mod error;
pub mod fleet;
pub mod frames;
pub mod listen;
pub mod obico;
pub mod progress;
pub mod replay;
pub mod report;
pub mod rules;
pub mod runner;
pub mod schema;
pub mod steps;
pub mod target;
