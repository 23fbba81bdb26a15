//! What the dashboard shows of a Marlin printer, shared by every device with one behind it (ESP3D, Obico):
//! temperatures with their recent history, position, fan, the card's files and the job.

use std::sync::Mutex;

use serde_json::{Value, json};

use crate::clock::SimTime;
use crate::serve::dashboard::series::Series;
use understudy_core::model::printer::Printer;

/// Temperature samples kept: 10 minutes at one per second.
const HISTORY_POINTS: usize = 600;
/// Sim time between two samples, ms.
const HISTORY_GAP_MS: u64 = 1000;

/// A printer's recent `[hotend, hotend target, bed, bed target]` in °C, sampled when the dashboard looks.
#[derive(Debug)]
pub struct TemperatureHistory(Mutex<Series<[f64; 4]>>);

impl Default for TemperatureHistory {
    fn default() -> Self {
        TemperatureHistory(Mutex::new(Series::new(HISTORY_POINTS, HISTORY_GAP_MS)))
    }
}

/// The printer at `now` (already advanced to it by the caller), sampling `history` if given.
pub fn printer_view(printer: &Printer, now: SimTime, history: Option<&TemperatureHistory>) -> Value {
    let t = printer.temperatures();
    let history = history.map(|h| {
        let mut series = h.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        series.sample(now, [t.hotend, t.hotend_target, t.bed, t.bed_target]);
        series.to_json()
    });
    let job = printer.job();
    let files: Vec<Value> = printer
        .sd()
        .files()
        .filter(|(_, e)| !e.is_dir)
        .map(|(path, e)| json!({ "path": path, "bytes": e.size }))
        .collect();
    json!({
        "temperatures": {
            "hotend_c": t.hotend,
            "hotend_target_c": t.hotend_target,
            "bed_c": t.bed,
            "bed_target_c": t.bed_target,
            "hotend_power": t.hotend_power,
            "bed_power": t.bed_power,
        },
        "history": history,
        "position_mm": printer.position(),
        "fan": printer.fan_speed(),
        "halted": printer.is_halted(),
        "status_message": printer.status_message(),
        "sd": { "files": files, "used_bytes": printer.sd().used(), "capacity_bytes": printer.sd().capacity() },
        "job": {
            "state": format!("{:?}", job.state),
            "file": job.file,
            "bytes_done": job.bytes_done,
            "bytes_total": job.bytes_total,
            "elapsed_ms": job.elapsed_ms,
            "estimated_left_ms": job.estimated_left_ms,
            "progress_percent": job.progress_percent,
            "layer": job.layer,
            "current_z_mm": job.current_z,
            "filament_mm": job.filament_mm,
        },
    })
}
