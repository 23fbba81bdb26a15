//! Pure device models: no I/O, no clock reads, no tasks. Each takes the sim time as an argument and
//! draws noise only from its own seeded streams.

pub mod arm;
pub mod gpio;
pub mod mobile_base;
pub mod pi_system;
pub mod printer;
pub mod raspberry_pi;
pub mod repeat_sub;
pub mod topics;
pub mod volume;
pub mod xarm;
