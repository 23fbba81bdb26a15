//! `understudy-check --targets FILE`: the suite against every device of a fleet map (the simulator's
//! `--fleet-map`) or of a list of real devices, a bounded number at once; a report per device, a summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::progress::ProgressMode;
use crate::report::Report;
use crate::runner::{self, RunConfig};
use crate::steps::protocol_names;

/// The devices run at once when nothing says otherwise.
pub const DEFAULT_PARALLEL: usize = 4;

/// The key of a device's URLs that names the control API of the simulator serving it, not an endpoint.
const CONTROL: &str = "control";

/// One device to check: its name, its targets by protocol, more endpoints by name, and what it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// How the reports name it (`printer-7`, `endrpi-0`).
    pub name: String,
    /// Its targets by protocol (`endrpi` -> `ws://...`), as `--target` takes them.
    pub targets: BTreeMap<String, String>,
    /// Its other sockets by endpoint name (`esp3d-terminal` -> `ws://...`), dialled as given.
    pub endpoints: BTreeMap<String, String>,
    /// The control API of the simulator serving it, if one does (`control` among its URLs).
    pub control: Option<String>,
    /// A token it needs (the pub/sub robot's JWT), if the file gives one.
    pub token: Option<String>,
}

/// A fleet map: `{"devices": [{"kind", "index", "label", "urls": {ENDPOINT: URL}}]}`.
#[derive(Deserialize)]
struct FleetMap {
    devices: Vec<MappedDevice>,
}

#[derive(Deserialize)]
struct MappedDevice {
    kind: String,
    #[serde(default)]
    index: Option<u64>,
    #[serde(default)]
    label: Option<String>,
    urls: BTreeMap<String, String>,
    #[serde(default)]
    token: Option<String>,
}

/// A device a user lists: `{"name", "target": {PROTOCOL or ENDPOINT: URL}, "token"?, "control"?}`.
#[derive(Deserialize)]
struct ListedDevice {
    name: String,
    target: BTreeMap<String, String>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    control: Option<String>,
}

fn device(name: String, mut urls: BTreeMap<String, String>, token: Option<String>, control: Option<String>) -> Device {
    let known = protocol_names();
    let control = control.or_else(|| urls.remove(CONTROL));
    let (targets, endpoints): (BTreeMap<_, _>, BTreeMap<_, _>) =
        urls.into_iter().partition(|(key, _)| known.contains(&key.as_str()));
    Device {
        name,
        targets,
        endpoints,
        control,
        token,
    }
}

/// The devices of a targets file: a fleet map, or a list of devices. Names must be unique and every device
/// must name at least one protocol the checker knows.
pub fn parse(text: &str) -> std::result::Result<Vec<Device>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let devices: Vec<Device> = if value.is_array() {
        let listed: Vec<ListedDevice> = serde_json::from_value(value)
            .map_err(|e| format!("a device list is [{{\"name\": ..., \"target\": {{PROTOCOL: URL}}}}]: {e}"))?;
        listed
            .into_iter()
            .map(|d| device(d.name, d.target, d.token, d.control))
            .collect()
    } else {
        let map: FleetMap = serde_json::from_value(value).map_err(|e| {
            format!("a fleet map is {{\"devices\": [{{\"kind\", \"index\", \"label\", \"urls\"}}]}}: {e}")
        })?;
        map.devices
            .into_iter()
            .map(|d| {
                let name = d
                    .label
                    .unwrap_or_else(|| format!("{}-{}", d.kind, d.index.unwrap_or_default()));
                device(name, d.urls, d.token, None)
            })
            .collect()
    };
    if devices.is_empty() {
        return Err("it lists no device".into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for device in &devices {
        if !seen.insert(device.name.as_str()) {
            return Err(format!("two devices are named {}", device.name));
        }
        if device.targets.is_empty() {
            return Err(format!(
                "{} names no protocol the checker knows (known: {})",
                device.name,
                protocol_names().join(", ")
            ));
        }
    }
    Ok(devices)
}

/// The devices of the targets file at `path`.
pub fn load(path: &Path) -> Result<Vec<Device>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::SuiteFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    parse(&text).map_err(|reason| Error::BadTarget(format!("{}: {reason}", path.display())))
}

/// The verdict of each device: its report, or why its run could not start.
#[derive(Debug, Default)]
pub struct FleetReport {
    /// Per device, in file order.
    pub devices: Vec<(String, std::result::Result<Report, String>)>,
}

/// `name` as a file name: letters, digits, `-`, `_` and `.` kept, anything else `_`.
pub fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl FleetReport {
    /// The reports of the devices whose run started.
    pub fn reports(&self) -> impl Iterator<Item = (&str, &Report)> {
        self.devices
            .iter()
            .filter_map(|(name, report)| report.as_ref().ok().map(|r| (name.as_str(), r)))
    }

    /// Whether a device failed a scenario or could not be checked at all.
    pub fn has_failures(&self) -> bool {
        self.devices
            .iter()
            .any(|(_, report)| report.as_ref().map_or(true, Report::has_failures))
    }

    /// Whether no scenario ran on any device.
    pub fn nothing_ran(&self) -> bool {
        self.reports().all(|(_, report)| report.nothing_ran())
    }

    /// `conformance: N passed, N failed` (`, N skipped`) over every device.
    pub fn closing_line(&self) -> String {
        let mut total = Report::default();
        for (_, report) in self.reports() {
            total.results.extend(report.results.iter().cloned());
        }
        total.closing_line()
    }

    /// Each device's report, then the summary (a line per device, then which devices fail which rule), then
    /// the closing line over every device.
    pub fn console(&self) -> String {
        let mut out = String::new();
        for (name, report) in &self.devices {
            let _ = writeln!(out, "\n======== device {name}");
            match report {
                Ok(report) => out.push_str(&report.console()),
                Err(error) => {
                    let _ = writeln!(out, "NOT CHECKED: {error}");
                }
            }
        }
        let _ = writeln!(out, "\n== Fleet summary ({} devices)", self.devices.len());
        let width = self.devices.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        let mut failing: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (name, report) in &self.devices {
            let line = match report {
                Ok(report) => {
                    let failed = report.failed_rules();
                    for rule in &failed {
                        failing.entry(rule.clone()).or_default().push(name);
                    }
                    let verdict = if !report.unreachable.is_empty() {
                        "UNREACHABLE"
                    } else if report.has_failures() {
                        "FAILED"
                    } else {
                        "passed"
                    };
                    let rules = if failed.is_empty() {
                        String::new()
                    } else {
                        format!("  rules failed: {}", failed.join(", "))
                    };
                    format!(
                        "{verdict:<11} {}{rules}",
                        report.closing_line().trim_start_matches("conformance: ")
                    )
                }
                Err(error) => format!("NOT CHECKED {error}"),
            };
            let _ = writeln!(out, "  {name:<width$}  {line}");
        }
        if !failing.is_empty() {
            let _ = writeln!(out, "\nRules failed, by device:");
            for (rule, devices) in &failing {
                let _ = writeln!(out, "  {rule:<12} {}", devices.join(", "));
            }
        }
        let _ = writeln!(out, "\n{}", self.closing_line());
        out
    }
}

/// The run of one device: the base configuration with the device's targets, endpoints, control and token.
pub fn device_config(base: &RunConfig, device: &Device) -> RunConfig {
    let mut config = base.clone();
    // Devices run at once: the fleet says when each is done instead.
    config.progress = ProgressMode::Off;
    config.targets = device.targets.clone();
    config.endpoints = device.endpoints.clone();
    if device.control.is_some() {
        config.control = device.control.clone();
    }
    if device.token.is_some() {
        config.token = device.token.clone();
    }
    config
}

/// Runs the suite against every device, at most `parallel` at once (each device's scenarios one at a time),
/// saying on stderr as each device is done when `announce` is set.
pub async fn run(base: &RunConfig, devices: &[Device], parallel: usize, announce: bool) -> FleetReport {
    let total = devices.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let runs = devices.iter().map(|device| {
        let config = device_config(base, device);
        let done = &done;
        async move {
            let report = runner::run_one_of_many(config).await.map_err(|e| e.to_string());
            if announce {
                let k = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                let verdict = report
                    .as_ref()
                    .map_or_else(|e| format!("not checked: {e}"), Report::closing_line);
                eprintln!("progress: device {k}/{total} {}: {verdict}", device.name);
            }
            (device.name.clone(), report)
        }
    });
    let mut finished: Vec<(String, std::result::Result<Report, String>)> = futures_util::stream::iter(runs)
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    let order: BTreeMap<&str, usize> = devices.iter().enumerate().map(|(i, d)| (d.name.as_str(), i)).collect();
    finished.sort_by_key(|(name, _)| order.get(name.as_str()).copied().unwrap_or(usize::MAX));
    FleetReport { devices: finished }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_fleet_map_and_a_device_list() {
        let map = r#"{"devices":[
            {"kind":"endrpi","index":0,"label":"endrpi-0","urls":{"endrpi":"ws://127.16.0.1:5000/"}},
            {"kind":"esp3d","index":3,"urls":{"esp3d":"http://127.16.0.9:8080/","esp3d-terminal":"ws://127.16.0.9:8081/","control":"http://127.0.0.1:7400/"}}
        ]}"#;
        let devices = parse(map).unwrap();
        assert_eq!(devices[0].name, "endrpi-0");
        assert_eq!(devices[0].targets["endrpi"], "ws://127.16.0.1:5000/");
        assert_eq!(devices[1].name, "esp3d-3");
        assert_eq!(devices[1].endpoints["esp3d-terminal"], "ws://127.16.0.9:8081/");
        assert_eq!(devices[1].control.as_deref(), Some("http://127.0.0.1:7400/"));
        assert!(!devices[1].endpoints.contains_key("control"));

        let list = r#"[{"name":"printer-7","target":{"esp3d":"http://10.0.0.7:80/"}},{"name":"pi","target":{"endrpi":"ws://10.0.0.8:5000/"},"token":"t"}]"#;
        let devices = parse(list).unwrap();
        assert_eq!(devices[0].targets["esp3d"], "http://10.0.0.7:80/");
        assert_eq!(devices[1].token.as_deref(), Some("t"));

        assert!(parse("[]").unwrap_err().contains("no device"));
        assert!(
            parse(r#"[{"name":"a","target":{"teapot":"ws://h/"}}]"#)
                .unwrap_err()
                .contains("no protocol")
        );
        let twice = r#"[{"name":"a","target":{"endrpi":"ws://h:1/"}},{"name":"a","target":{"endrpi":"ws://h:2/"}}]"#;
        assert!(parse(twice).unwrap_err().contains("two devices"));
        assert!(parse("{}").unwrap_err().contains("fleet map"));
        assert_eq!(file_name("printer 7/a"), "printer_7_a");
    }
}
