//! The list of device kinds the simulator can run, their options, and selection by name (`--only`).
//! Adding a device means adding its module and one entry here.

use std::sync::Arc;

use crate::clock::Clock;
use crate::devices::esp3d;
use crate::error::SimError;
use crate::serve::device::Device;
use crate::serve::endrpi;
use crate::serve::pubsub;
use crate::serve::xarm;

/// Options that only one device reads.
#[derive(Clone, Debug, Default)]
pub struct DeviceOptions {
    pub endrpi: endrpi::EndrpiOptions,
    pub xarm: xarm::XarmOptions,
    pub pubsub: pubsub::PubsubOptions,
    pub esp3d: esp3d::Esp3dOptions,
}

/// What a device gets when it is built.
pub struct DeviceContext {
    pub seed: u64,
    pub clock: Arc<Clock>,
    pub options: DeviceOptions,
}

/// A device the simulator knows how to run.
pub struct DeviceKind {
    pub name: &'static str,
    pub build: fn(&DeviceContext) -> Arc<dyn Device>,
}

/// Every device kind, in start order.
pub const DEVICE_KINDS: &[DeviceKind] = &[
    DeviceKind {
        name: "endrpi",
        build: endrpi::build,
    },
    DeviceKind {
        name: "xarm",
        build: xarm::build,
    },
    DeviceKind {
        name: "pubsub",
        build: pubsub::build,
    },
    DeviceKind {
        name: "esp3d",
        build: esp3d::build,
    },
];

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
