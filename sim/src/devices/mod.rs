//! Devices whose serving code lives in a directory of its own (`<name>/mod.rs` with its flags in
//! `<name>/args.rs`); the older devices are still under `serve/`.

pub mod esp3d;
