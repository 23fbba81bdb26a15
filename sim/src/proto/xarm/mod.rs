//! UFactory Studio's WebSocket API (`ws://HOST:18333/ws`) for the xArm: status key and value reports, info
//! report, requests and responses with SDK api codes, and the HTTP status mirror on the same port.

pub mod codes;
pub mod info;
pub mod report;
pub mod request;
pub mod rest;
pub mod ws;
