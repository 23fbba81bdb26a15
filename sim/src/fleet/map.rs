//! The fleet map: every device this process runs with its URLs, as JSON, the same in the control API's
//! `GET /` and in `--fleet-map FILE`, in a shape a checker reads back as its list of targets.

use serde_json::{Map, Value, json};

use super::Shard;
use crate::serve::BoundEndpoint;

/// The control route prefix of a device: `/devices/KIND/INDEX` in a fleet, `/devices/KIND` alone.
pub fn control_route(kind: &str, index: Option<u32>) -> String {
    match index {
        Some(index) => format!("/devices/{kind}/{index}"),
        None => format!("/devices/{kind}"),
    }
}

/// The map: `{"seed", "shard": {"index", "count"}, "control", "devices": [...]}`, one entry per device that
/// listens, in start order: `{"kind", "index" (from 1; null for a device alone), "label", "seed" (what its
/// streams derive from), "control" (its control route prefix), "urls": {ENDPOINT: URL}}`.
pub fn map(seed: u64, shard: Shard, control: Option<&str>, endpoints: &[BoundEndpoint]) -> Value {
    let mut devices: Vec<Value> = Vec::new();
    let mut current: Option<(&str, Map<String, Value>, &BoundEndpoint)> = None;
    let finish = |(_, urls, first): (&str, Map<String, Value>, &BoundEndpoint)| {
        let device_seed = first
            .index
            .map_or(seed, |index| super::seed_of(seed, first.kind, index));
        let route = control_route(first.kind, first.index);
        json!({
            "kind": first.kind,
            "index": first.index,
            "label": first.device,
            "seed": device_seed,
            "control": route,
            "urls": urls,
        })
    };
    for endpoint in endpoints {
        match &mut current {
            Some((device, urls, _)) if *device == endpoint.device => {
                urls.insert(endpoint.name.to_string(), json!(endpoint.url));
            }
            _ => {
                let mut urls = Map::new();
                urls.insert(endpoint.name.to_string(), json!(endpoint.url));
                if let Some(done) = current.replace((endpoint.device, urls, endpoint)) {
                    devices.push(finish(done));
                }
            }
        }
    }
    devices.extend(current.map(finish));
    json!({
        "seed": seed,
        "shard": { "index": shard.index, "count": shard.count },
        "control": control,
        "devices": devices,
    })
}
