//! One device of a fleet: the kind's own device, built from the member's seed, under the member's label
//! (`endrpi-17`), answering everything else as the device itself does.

use std::sync::Arc;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, SimTime};
use crate::serve::BoundEndpoint;
use crate::serve::device::{BackgroundTask, ControlError, Device, DeviceFault, EndpointSpec};
use crate::serve::raw::RawEndpointSpec;

/// Device `index` (from 1) of a kind in a fleet.
pub struct Member {
    device: Arc<dyn Device>,
    kind: &'static str,
    index: u32,
    label: &'static str,
}

impl Member {
    /// `device` as fleet device `index` of `kind`.
    pub fn new(device: Arc<dyn Device>, kind: &'static str, index: u32) -> Self {
        Member {
            device,
            kind,
            index,
            label: super::label(kind, index),
        }
    }
}

impl Device for Member {
    fn name(&self) -> &'static str {
        self.label
    }

    fn kind(&self) -> &'static str {
        self.kind
    }

    fn fleet_index(&self) -> Option<u32> {
        Some(self.index)
    }

    fn endpoints(&self) -> Vec<EndpointSpec> {
        self.device.endpoints()
    }

    fn raw_endpoints(&self) -> Vec<RawEndpointSpec> {
        self.device.raw_endpoints()
    }

    fn control(&self, now: SimTime, command: &str, args: &Value) -> Result<Value, ControlError> {
        self.device.control(now, command, args)
    }

    fn view(&self, now: SimTime) -> Value {
        self.device.view(now)
    }

    fn device_faults(&self) -> &'static [DeviceFault] {
        self.device.device_faults()
    }

    /// The device's announcements, each key suffixed with the member's index (`pubsub-ca-3`).
    fn announcements(&self) -> Vec<(&'static str, String)> {
        self.device
            .announcements()
            .into_iter()
            .map(|(key, value)| (super::label(key, self.index), value))
            .collect()
    }

    fn bound(&self, endpoints: &[&BoundEndpoint]) {
        self.device.bound(endpoints)
    }

    fn background(self: Arc<Self>, clock: Arc<Clock>, shutdown: CancellationToken) -> Option<BackgroundTask> {
        self.device.clone().background(clock, shutdown)
    }
}
