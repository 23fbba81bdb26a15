//! UFactory Studio's WebSocket API (`ws://HOST:18333/ws`) for the xArm: status key and value reports, info
//! report, requests and responses with SDK api codes, and the HTTP status mirror on the same port.

pub mod codes;
pub mod info;
pub mod report;
pub mod request;
pub mod rest;
pub mod ws;

/// A pose or offset as Studio writes it (`[x, y, z mm, roll, pitch, yaw deg]`) in the model's units (mm, rad).
pub fn pose_from_studio(studio: [f64; 6]) -> [f64; 6] {
    let [x, y, z, roll, pitch, yaw] = studio;
    [x, y, z, roll.to_radians(), pitch.to_radians(), yaw.to_radians()]
}
