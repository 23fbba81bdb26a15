//! The checker as an Obico server: the REST calls an agent makes and `/ws/dev/`, answered as the real
//! obico-server answers them, so that an agent that dials out can be checked on the connection it opens.

pub mod rest;
pub mod server;

pub use server::{Auth, DEFAULT_TOKEN, ObicoServer, Seen, Served};
