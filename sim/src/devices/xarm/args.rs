//! The xArm device's command-line flags: Studio's port, the controller's TCP and report ports, the model, the
//! Studio report rate and a fault to start with.

use crate::devices::DeviceFlags;
use crate::devices::xarm::{self, DEFAULT_PORT, DEFAULT_REPORT_HZ, XarmOptions};
use crate::serve::SimConfig;
use understudy_core::model::arm::ArmModel;
use understudy_core::proto::xarm_tcp::ReportKind;

/// Flags of the simulated arm.
#[derive(Clone, Debug, clap::Args)]
pub struct XarmArgs {
    /// xArm port (UFactory Studio's WebSocket at /ws and HTTP); 0 = any free port.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub xarm_port: u16,
    /// xArm model: xarm5, xarm6, xarm7 or lite6.
    #[arg(long, default_value = "xarm6", value_parser = parse_xarm_model)]
    pub xarm_model: ArmModel,
    /// xArm status reports per second on each connection (1-100).
    #[arg(long, default_value_t = DEFAULT_REPORT_HZ, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub xarm_report_hz: u32,
    /// xArm: start with this controller error raised (a code of the controller error table, e.g. 31 collision).
    #[arg(long, value_parser = parse_xarm_fault)]
    pub xarm_fault: Option<i32>,
    /// xArm controller TCP port (the SDK's private Modbus-TCP protocol) [default: 502; without the privilege
    /// to bind it, any free port, named in the start lines]; 0 = any free port.
    #[arg(long)]
    pub xarm_tcp_port: Option<u16>,
    /// xArm real-time report port (250 Hz); 0 = any free port.
    #[arg(long, default_value_t = 30000)]
    pub xarm_report_rt_port: u16,
    /// xArm normal report port (5 Hz); 0 = any free port.
    #[arg(long, default_value_t = 30001)]
    pub xarm_report_normal_port: u16,
    /// xArm rich report port (5 Hz, the SDK's default report); 0 = any free port.
    #[arg(long, default_value_t = 30002)]
    pub xarm_report_rich_port: u16,
    /// xArm real report port (100 Hz); 0 = any free port.
    #[arg(long, default_value_t = 30003)]
    pub xarm_report_real_port: u16,
}

impl DeviceFlags for XarmArgs {
    fn apply(&self, config: &mut SimConfig) {
        config.ports.insert("xarm".into(), self.xarm_port);
        if let Some(port) = self.xarm_tcp_port {
            config.ports.insert(xarm::TCP_ENDPOINT.into(), port);
        }
        let reports = [
            (ReportKind::RealTime, self.xarm_report_rt_port),
            (ReportKind::Normal, self.xarm_report_normal_port),
            (ReportKind::Rich, self.xarm_report_rich_port),
            (ReportKind::Real, self.xarm_report_real_port),
        ];
        for (kind, port) in reports {
            config.ports.insert(kind.name().into(), port);
        }
        config.devices.set(XarmOptions {
            model: self.xarm_model,
            report_hz: self.xarm_report_hz,
            fault: self.xarm_fault,
        });
    }
}

fn parse_xarm_model(text: &str) -> Result<ArmModel, String> {
    xarm::parse_model(text).ok_or_else(|| format!("`{text}` is not an arm model: use xarm5, xarm6, xarm7 or lite6"))
}

fn parse_xarm_fault(text: &str) -> Result<i32, String> {
    match text.parse::<i32>() {
        Ok(code) if xarm::is_controller_error(code) => Ok(code),
        _ => Err(format!(
            "`{text}` is not a controller error code of xarm_api_code.md (e.g. 1, 22, 31)"
        )),
    }
}
