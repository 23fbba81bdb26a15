//! The devices the simulator can run, one folder each, and the registry that lists them: one line per device.
//! A device brings its flags (`clap::Args`, prefixed with its name), default ports, options, control commands
//! and start-line announcements; nothing outside its folder names it except the two lines here.

pub mod endrpi;
pub mod esp3d;
pub mod obico;
pub mod options;
pub mod printer_faults;
pub mod printer_view;
pub mod pubsub;
pub mod xarm;

use std::fmt::Debug;
use std::sync::Arc;

use clap::{ArgMatches, Args, FromArgMatches};

use crate::clock::Clock;
use crate::error::SimError;
use crate::serve::SimConfig;
use crate::serve::device::{Device, DeviceError};
pub use options::DeviceOptions;

/// Every device kind, in start order. Adding a device adds its folder, its `pub mod` line and one entry here.
pub const DEVICE_KINDS: &[DeviceKind] = &[endrpi::KIND, xarm::KIND, pubsub::KIND, esp3d::KIND, obico::KIND];

/// What a device gets when it is built.
pub struct DeviceContext {
    pub seed: u64,
    pub clock: Arc<Clock>,
    /// Where a device that owns its connections (one that dials out) records them.
    pub transcript: Arc<crate::transcript::Transcript>,
    /// The network faults, for a device that owns its connections (one that dials out).
    pub faults: Arc<crate::serve::faults::Faults>,
    pub options: DeviceOptions,
    /// The shard of the fleet this process runs (a device that is a fleet of its own, the Obico agents,
    /// starts only its members of it).
    pub shard: crate::fleet::Shard,
    /// The one address the device's sockets listen on (`--bind`, or a fleet device's own address), for what
    /// names it (a self-signed certificate); `None` when it listens on every address.
    pub host: Option<std::net::IpAddr>,
}

/// A device the simulator knows how to run: its name, its command-line flags and its constructor.
pub struct DeviceKind {
    /// The name `--only` takes and the control API routes by, e.g. `xarm`.
    pub name: &'static str,
    /// Adds the device's flags to the command line (use [`flags_of`]).
    pub args: fn(clap::Command) -> clap::Command,
    /// Reads the device's flags back from the parsed command line (use [`parse_flags`]).
    pub flags: fn(&ArgMatches) -> Result<Box<dyn DeviceFlags>, clap::Error>,
    /// Builds the device from the seed, the clock and its options.
    pub build: fn(&DeviceContext) -> Result<Arc<dyn Device>, DeviceError>,
}

/// A device's parsed flags, written into the simulator's configuration (its ports and its options).
pub trait DeviceFlags: Debug + Send + Sync {
    /// Sets the ports and options these flags describe.
    fn apply(&self, config: &mut SimConfig);
}

/// `DeviceKind::args` for a device whose flags are the `clap::Args` type `A`.
pub fn flags_of<A: Args>(command: clap::Command) -> clap::Command {
    A::augment_args(command)
}

/// `DeviceKind::flags` for a device whose flags are the `clap::Args` type `A`.
pub fn parse_flags<A: FromArgMatches + DeviceFlags + 'static>(
    matches: &ArgMatches,
) -> Result<Box<dyn DeviceFlags>, clap::Error> {
    Ok(Box::new(A::from_arg_matches(matches)?))
}

/// The device kinds named in `only` (all when `None`), refusing unknown names.
pub fn select(only: Option<&[String]>) -> Result<Vec<&'static DeviceKind>, SimError> {
    let Some(names) = only else {
        return Ok(DEVICE_KINDS.iter().collect());
    };
    let known = || DEVICE_KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ");
    for name in names {
        if !DEVICE_KINDS.iter().any(|k| k.name == name) {
            return Err(SimError::UnknownDevice(name.clone(), known()));
        }
    }
    Ok(DEVICE_KINDS
        .iter()
        .filter(|k| names.iter().any(|n| n == k.name))
        .collect())
}
