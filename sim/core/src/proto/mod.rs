//! Wire formats: one module per protocol (message types, parsing, the mapping model <-> wire), plus
//! the encodings they share.

pub mod endrpi;
pub mod esp3d;
pub mod frame;
pub mod http;
pub mod obico;
pub mod pubsub;
pub mod pyjson;
pub mod pyloads;
pub mod pytime;
pub mod xarm;
pub mod xarm_tcp;
