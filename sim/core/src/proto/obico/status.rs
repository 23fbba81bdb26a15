//! The `status` object the agent builds from OctoPrint's current data: state, job, progress,
//! temperatures, Z, layer and file, with `_ts`, in the real agent's key order.

use serde_json::{Value, json};

use super::state::OctoState;
use crate::model::printer::{JobView, Temperatures};

/// How the print of the selected file stands, as OctoPrint remembers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Printing (or paused, or ending).
    Running,
    /// Finished: progress stays at 100 %.
    Done,
    /// Cancelled: progress goes back to nulls.
    Cancelled,
}

/// The file OctoPrint has selected (the current or last print).
#[derive(Clone, Debug, PartialEq)]
pub struct PrintFile {
    /// Its path (and name) on the card.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was selected, epoch seconds (OctoPrint's upload date).
    pub date: u64,
    /// The server's id from `POST /api/v1/octo/g_code_files/`, once it answered.
    pub g_code_file_id: Option<u64>,
    /// How its print stands.
    pub outcome: Outcome,
}

/// What one status is built from.
#[derive(Clone, Debug)]
pub struct StatusInput<'a> {
    /// The OctoPrint state.
    pub state: OctoState,
    /// The printer model's job.
    pub job: &'a JobView,
    /// The heaters, once OctoPrint has polled them (None while not connected).
    pub temps: Option<Temperatures>,
    /// `_ts`: whole epoch seconds.
    pub ts: u64,
    /// The selected file, if any.
    pub file: Option<&'a PrintFile>,
    /// Whether a print is current (`current_print_ts` is not -1): the layer is reported only then.
    pub current_print: bool,
    /// Lines sent to the printer so far, once connected (`resends.transmitted`).
    pub transmitted: Option<u64>,
}

/// Builds the `status` object.
pub fn build(input: &StatusInput<'_>) -> Value {
    let connected = input.transmitted.is_some();
    let resends = match input.transmitted {
        Some(n) => json!({"count": 0, "transmitted": n, "ratio": 0}),
        None => json!({"count": 0, "ratio": 0}),
    };
    let temperatures = match input.temps.filter(|_| connected) {
        Some(t) => json!({
            "tool0": {"actual": t.hotend, "target": t.hotend_target, "offset": 0},
            "bed": {"actual": t.bed, "target": t.bed_target, "offset": 0},
            "chamber": {"actual": null, "target": null, "offset": 0},
        }),
        None => json!({}),
    };
    let current_z = input.file.map_or(Value::Null, |_| json!(input.job.current_z));
    let layer = if input.current_print && input.job.layer > 0 {
        json!(input.job.layer)
    } else {
        Value::Null
    };
    json!({
        "state": input.state.to_json(),
        "job": job(input),
        "currentZ": current_z,
        "progress": progress(input),
        "offsets": {},
        "resends": resends,
        "temperatures": temperatures,
        "_ts": input.ts,
        "currentLayerHeight": layer,
        "display_status": {"message": null},
        "file_metadata": input.file.map_or(Value::Null, |_| json!({"user": "_api"})),
    })
}

fn job(input: &StatusInput<'_>) -> Value {
    match input.file {
        None => json!({
            "file": {"name": null, "path": null, "size": null, "origin": null, "date": null},
            "estimatedPrintTime": null,
            "lastPrintTime": null,
            "filament": {"length": null, "volume": null},
            "user": null,
        }),
        Some(f) => {
            let mut file = json!({
                "name": base_name(&f.path), "path": f.path, "display": base_name(&f.path),
                "origin": "local", "size": f.size, "date": f.date,
            });
            if let (Some(id), Some(map)) = (f.g_code_file_id, file.as_object_mut()) {
                map.insert("obico_g_code_file_id".into(), json!(id));
            }
            json!({
                "file": file,
                "estimatedPrintTime": null,
                "averagePrintTime": null,
                "lastPrintTime": null,
                "filament": {"tool0": {"length": input.job.filament_mm, "volume": 0.0}},
                "user": "_api",
            })
        }
    }
}

fn progress(input: &StatusInput<'_>) -> Value {
    let nulls = json!({
        "completion": null, "filepos": null, "printTime": null, "printTimeLeft": null, "printTimeLeftOrigin": null,
    });
    let Some(f) = input.file else { return nulls };
    let job = input.job;
    let (completion, filepos, left) = match f.outcome {
        Outcome::Cancelled => return nulls,
        Outcome::Done => (100.0, f.size, Some(0)),
        Outcome::Running if input.state == OctoState::Starting => (0.0, 0, None),
        Outcome::Running => {
            let done = job.bytes_done.min(f.size);
            let pct = if f.size == 0 {
                0.0
            } else {
                done as f64 * 100.0 / f.size as f64
            };
            // Nothing to extrapolate from before any print time has passed.
            (
                pct,
                done,
                job.estimated_left_ms.filter(|_| job.elapsed_ms > 0).map(|ms| ms / 1000),
            )
        }
    };
    json!({
        "completion": completion,
        "filepos": filepos,
        "printTime": job.elapsed_ms / 1000,
        "printTimeLeft": left,
        "printTimeLeftOrigin": left.map(|_| "linear"),
        "filamentUsed": job.filament_mm,
    })
}

/// The last path segment: OctoPrint's `name` and `display`.
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
