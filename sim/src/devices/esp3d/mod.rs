//! ESP3D 3.0 firmware in front of a Marlin printer on its three sockets (HTTP, terminal, data) over one
//! shared board and printer, with a timer task for stream flushes and printer events in sim time.

pub mod args;
mod serial_feed;
mod services;
mod station;

use std::sync::Arc;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, SimTime};
use crate::devices::printer_faults::{self, FAULT_COMMANDS};
use crate::devices::printer_view::{TemperatureHistory, printer_view};
use crate::devices::{DeviceContext, DeviceKind, flags_of, parse_flags};
use crate::serve::BoundEndpoint;
use crate::serve::device::{BackgroundTask, ControlError, Device, DeviceError, DeviceFault, EndpointSpec};
use args::Esp3dArgs;
use services::{HttpService, Socket, SocketService};
use station::{Shared, Station};
use understudy_core::model::printer::Printer;
use understudy_core::model::printer::config::PrinterConfig;
use understudy_core::proto::esp3d::{BoardConfig, Esp3dBoard};

/// The default HTTP port.
pub const HTTP_PORT: u16 = 8080;
/// The default data socket port.
pub const DATA_PORT: u16 = 8282;
/// The HTTP endpoint's name (`--esp3d-http-port`).
pub const HTTP_ENDPOINT: &str = "esp3d";
/// The terminal endpoint's name (`--esp3d-terminal-port`).
pub const TERMINAL_ENDPOINT: &str = "esp3d-terminal";
/// The data endpoint's name (`--esp3d-data-port`).
pub const DATA_ENDPOINT: &str = "esp3d-data";

/// Options of the board and its printer.
#[derive(Clone, Debug)]
pub struct Esp3dOptions {
    /// Authentication on.
    pub auth: bool,
    /// The admin password.
    pub admin_password: String,
    /// The user password.
    pub user_password: String,
    /// The session timeout in minutes.
    pub session_timeout_min: u8,
    /// The SD card's capacity in bytes.
    pub sd_capacity: u64,
    /// Data-socket answers as text frames.
    pub data_text: bool,
}

impl Default for Esp3dOptions {
    fn default() -> Self {
        let board = BoardConfig::default();
        Esp3dOptions {
            auth: board.auth,
            admin_password: board.admin_password,
            user_password: board.user_password,
            session_timeout_min: board.session_timeout_min,
            sd_capacity: PrinterConfig::default().sd_capacity,
            data_text: board.data_text_output,
        }
    }
}

/// The registry entry.
pub const KIND: DeviceKind = DeviceKind {
    name: "esp3d",
    args: flags_of::<Esp3dArgs>,
    flags: parse_flags::<Esp3dArgs>,
    build,
};

/// Builds the ESP3D device.
pub fn build(ctx: &DeviceContext) -> Result<Arc<dyn Device>, DeviceError> {
    let options = ctx.options.get::<Esp3dOptions>();
    let board = Esp3dBoard::new(&BoardConfig {
        auth: options.auth,
        admin_password: options.admin_password.clone(),
        user_password: options.user_password.clone(),
        session_timeout_min: options.session_timeout_min,
        data_text_output: options.data_text,
        ..BoardConfig::default()
    });
    let printer = Printer::new(
        PrinterConfig {
            sd_capacity: options.sd_capacity,
            ..PrinterConfig::default()
        },
        ctx.seed,
        "esp3d",
    );
    Ok(Arc::new(Esp3d {
        shared: Arc::new(Shared::new(Station::new(board, printer))),
        clock: ctx.clock.clone(),
        history: TemperatureHistory::default(),
    }))
}

struct Esp3d {
    shared: Arc<Shared>,
    clock: Arc<Clock>,
    history: TemperatureHistory,
}

impl Device for Esp3d {
    fn name(&self) -> &'static str {
        "esp3d"
    }

    fn endpoints(&self) -> Vec<EndpointSpec> {
        let socket = |socket| -> Arc<SocketService> {
            Arc::new(SocketService {
                shared: self.shared.clone(),
                clock: self.clock.clone(),
                socket,
            })
        };
        vec![
            EndpointSpec {
                name: HTTP_ENDPOINT,
                default_port: HTTP_PORT,
                scheme: "http",
                path: "/",
                service: Arc::new(HttpService {
                    shared: self.shared.clone(),
                }),
                tls: None,
            },
            EndpointSpec {
                name: TERMINAL_ENDPOINT,
                default_port: HTTP_PORT + 1,
                scheme: "ws",
                path: "/",
                service: socket(Socket::Terminal),
                tls: None,
            },
            EndpointSpec {
                name: DATA_ENDPOINT,
                default_port: DATA_PORT,
                scheme: "ws",
                path: "/",
                service: socket(Socket::Data),
                tls: None,
            },
        ]
    }

    fn bound(&self, endpoints: &[&BoundEndpoint]) {
        let port = |name: &str| endpoints.iter().find(|e| e.name == name).map(|e| e.addr.port());
        if let (Some(http), Some(terminal), Some(data)) =
            (port(HTTP_ENDPOINT), port(TERMINAL_ENDPOINT), port(DATA_ENDPOINT))
        {
            self.shared.lock().board_mut().set_ports(http, terminal, data);
        }
    }

    fn device_faults(&self) -> &'static [DeviceFault] {
        printer_faults::PRINTER_FAULTS
    }

    fn control(&self, now: SimTime, command: &str, args: &Value) -> Result<Value, ControlError> {
        if command == "reset" {
            self.shared.with(now, |s| s.reset_printer(now));
            return Ok(json!({ "halted": false }));
        }
        let Some(fault) = printer_faults::fault(command, args)? else {
            return Err(ControlError::UnknownCommand(format!(
                "{command} (esp3d knows: {FAULT_COMMANDS}, reset)"
            )));
        };
        let halted = self.shared.with(now, |s| {
            s.fault(now, fault);
            s.printer().is_halted()
        });
        Ok(json!({ "halted": halted }))
    }

    fn view(&self, now: SimTime) -> Value {
        self.shared.with(now, |s| {
            let mut view = printer_view(s.printer(), now, Some(&self.history));
            view["terminal"] = json!(s.serial_tail());
            view["slots"] = json!({ "terminal": s.terminal_count(), "data": s.data_count() });
            view
        })
    }

    fn background(self: Arc<Self>, clock: Arc<Clock>, shutdown: CancellationToken) -> Option<BackgroundTask> {
        let shared = self.shared.clone();
        Some(Box::pin(async move {
            loop {
                let deadline = {
                    let mut station = shared.lock();
                    station.pump(clock.now());
                    station.next_deadline()
                };
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = shared.woken() => {}
                    _ = async { if let Some(t) = deadline { clock.sleep_until(t).await } }, if deadline.is_some() => {}
                }
            }
        }))
    }
}
