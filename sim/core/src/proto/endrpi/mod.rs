//! The Endrpi protocol (Raspberry Pi GPIO/system server, `endrpi` 1.0.0b22): the WebSocket API at `/`
//! and the REST API it mirrors, both answering exactly as the real server does.

pub mod pin_body;
pub mod readings;
pub mod rest;
pub mod ws;
