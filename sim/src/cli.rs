//! The `understudy-sim` command line: which devices to start, on which address and ports, with which seed,
//! clock and transcript. Every flag maps onto `SimConfig`.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::clock::ClockMode;
use crate::devices::esp3d::{self, args::Esp3dArgs};
use crate::serve::SimConfig;
use crate::serve::endrpi::EndrpiOptions;
use crate::serve::pubsub::{PubsubArgs, TokenArgs};
use crate::serve::registry::DeviceOptions;
use crate::serve::xarm::{self, XarmOptions};
use understudy_core::model::arm::ArmModel;

/// How sim time moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ClockArg {
    /// Sim time follows the wall clock, scaled by --speed.
    Realtime,
    /// Sim time moves only when the control API advances it.
    Virtual,
}

/// What to do instead of running the simulator.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a JWT that the pub/sub robot accepts in `?token=`, and exit.
    Token(TokenArgs),
}

/// Understudy: simulated devices on their real sockets.
#[derive(Debug, Parser)]
#[command(name = "understudy-sim", version, about)]
pub struct Cli {
    /// Without a subcommand, run the simulator.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Master seed; every device derives its noise from it.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// How sim time moves.
    #[arg(long, value_enum, default_value_t = ClockArg::Realtime)]
    pub clock: ClockArg,
    /// Sim-time speed factor for the realtime clock (2 = twice as fast as the wall clock).
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
    /// Start only these devices (comma-separated), e.g. --only endrpi.
    #[arg(long, value_delimiter = ',')]
    pub only: Option<Vec<String>>,
    /// Address every socket binds.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// Endrpi port (WebSocket at / and the REST API); 0 = any free port.
    #[arg(long, default_value_t = 5000)]
    pub endrpi_port: u16,
    /// Endrpi: throttle bits set from the start, as vcgencmd get_throttled reports them (e.g. 0x50005).
    #[arg(long, default_value = "0x0", value_parser = parse_hex_u32)]
    pub endrpi_throttle: u32,
    /// xArm port (UFactory Studio's WebSocket at /ws and HTTP); 0 = any free port.
    #[arg(long, default_value_t = xarm::DEFAULT_PORT)]
    pub xarm_port: u16,
    /// xArm model: xarm5, xarm6, xarm7 or lite6.
    #[arg(long, default_value = "xarm6", value_parser = parse_xarm_model)]
    pub xarm_model: ArmModel,
    /// xArm status reports per second on each connection (1-100).
    #[arg(long, default_value_t = xarm::DEFAULT_REPORT_HZ, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub xarm_report_hz: u32,
    /// xArm: start with this controller error raised (a code of the controller error table, e.g. 31 collision).
    #[arg(long, value_parser = parse_xarm_fault)]
    pub xarm_fault: Option<i32>,
    /// Control API port (HTTP+JSON: clock and fault injection); 0 = any free port.
    #[arg(long, default_value_t = 7400)]
    pub control_port: u16,
    /// Do not serve the control API.
    #[arg(long)]
    pub no_control: bool,
    /// Write every connection and frame, stamped with sim time, to this file as JSON lines.
    #[arg(long)]
    pub transcript: Option<PathBuf>,
    #[command(flatten)]
    pub pubsub: PubsubArgs,
    #[command(flatten)]
    pub esp3d: Esp3dArgs,
}

impl Cli {
    /// The simulator configuration these flags describe.
    pub fn config(&self) -> SimConfig {
        let clock = match self.clock {
            ClockArg::Realtime => ClockMode::Realtime { speed: self.speed },
            ClockArg::Virtual => ClockMode::Virtual,
        };
        SimConfig {
            seed: self.seed,
            clock,
            bind: self.bind,
            only: self.only.clone(),
            ports: BTreeMap::from([
                ("endrpi".to_string(), self.endrpi_port),
                ("xarm".to_string(), self.xarm_port),
                ("pubsub".to_string(), self.pubsub.pubsub_port),
                (esp3d::HTTP_ENDPOINT.to_string(), self.esp3d.esp3d_http_port),
                (esp3d::TERMINAL_ENDPOINT.to_string(), self.esp3d.terminal_port()),
                (esp3d::DATA_ENDPOINT.to_string(), self.esp3d.esp3d_data_port),
            ]),
            any_port: false,
            transcript: self.transcript.clone(),
            control_port: (!self.no_control).then_some(self.control_port),
            devices: DeviceOptions {
                endrpi: EndrpiOptions {
                    throttle: self.endrpi_throttle,
                },
                xarm: XarmOptions {
                    model: self.xarm_model,
                    report_hz: self.xarm_report_hz,
                    fault: self.xarm_fault,
                },
                pubsub: self.pubsub.options(),
                esp3d: self.esp3d.options(),
            },
        }
    }
}

fn parse_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(speed) if speed.is_finite() && speed > 0.0 => Ok(speed),
        _ => Err(format!("`{text}` is not a positive number")),
    }
}

fn parse_hex_u32(text: &str) -> Result<u32, String> {
    let digits = text.trim_start_matches("0x").trim_start_matches("0X");
    u32::from_str_radix(digits, 16).map_err(|_| format!("`{text}` is not a hex number such as 0x50005"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_ports() {
        let config = Cli::parse_from(["understudy-sim"]).config();
        assert_eq!(config.ports.get("endrpi"), Some(&5000));
        assert_eq!(config.control_port, Some(7400));
        assert_eq!(config.clock, ClockMode::Realtime { speed: 1.0 });
        assert_eq!(config.bind, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(config.ports.get("xarm"), Some(&18333));
        assert_eq!(config.devices.xarm.model, ArmModel::XArm6);
        assert_eq!((config.devices.xarm.report_hz, config.devices.xarm.fault), (10, None));
    }

    #[test]
    fn xarm_flags_reach_the_config() {
        let config = Cli::parse_from([
            "understudy-sim",
            "--xarm-model",
            "lite6",
            "--xarm-port",
            "0",
            "--xarm-report-hz",
            "25",
            "--xarm-fault",
            "31",
        ])
        .config();
        assert_eq!(config.ports.get("xarm"), Some(&0));
        assert_eq!(config.devices.xarm.model, ArmModel::Lite6);
        assert_eq!(
            (config.devices.xarm.report_hz, config.devices.xarm.fault),
            (25, Some(31))
        );
        for bad in [
            ["--xarm-model", "xarm8"],
            ["--xarm-report-hz", "0"],
            ["--xarm-report-hz", "1000"],
            ["--xarm-fault", "4"],
            ["--xarm-fault", "x"],
        ] {
            assert!(
                Cli::try_parse_from(["understudy-sim", bad[0], bad[1]]).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn flags_reach_the_config() {
        let cli = Cli::parse_from([
            "understudy-sim",
            "--seed",
            "9",
            "--clock",
            "virtual",
            "--only",
            "endrpi",
            "--endrpi-port",
            "0",
            "--endrpi-throttle",
            "0x50005",
            "--no-control",
        ]);
        let config = cli.config();
        assert_eq!((config.seed, config.clock), (9, ClockMode::Virtual));
        assert_eq!(config.only, Some(vec!["endrpi".to_string()]));
        assert_eq!(config.devices.endrpi.throttle, 0x50005);
        assert_eq!(config.control_port, None);
    }

    #[test]
    fn pubsub_flags_and_the_token_subcommand() {
        use crate::serve::pubsub::{DEV_SECRET, PubsubTls};
        let config = Cli::parse_from(["understudy-sim"]).config();
        assert_eq!(config.ports.get("pubsub"), Some(&8443));
        assert_eq!(config.devices.pubsub.tls, PubsubTls::SelfSigned);
        assert_eq!(config.devices.pubsub.jwt_secret, DEV_SECRET);
        let cli = Cli::parse_from([
            "understudy-sim",
            "--pubsub-plain",
            "--jwt-secret",
            "s",
            "--pubsub-port",
            "9",
        ]);
        let config = cli.config();
        assert_eq!(config.devices.pubsub.tls, PubsubTls::Plain);
        assert_eq!(
            (config.devices.pubsub.jwt_secret.as_str(), config.ports["pubsub"]),
            ("s", 9)
        );
        let cli = Cli::parse_from(["understudy-sim", "--tls-cert", "c.pem", "--tls-key", "k.pem"]);
        assert!(matches!(cli.config().devices.pubsub.tls, PubsubTls::Files { .. }));
        assert!(Cli::try_parse_from(["understudy-sim", "--tls-cert", "c.pem"]).is_err());
        assert!(
            Cli::try_parse_from(["understudy-sim", "--pubsub-plain", "--tls-cert", "c", "--tls-key", "k"]).is_err()
        );
        let cli = Cli::parse_from(["understudy-sim", "token", "--ttl", "15m", "--sub", "app"]);
        match cli.command {
            Some(Command::Token(args)) => assert_eq!((args.ttl, args.sub.as_str()), (900, "app")),
            None => panic!("expected the token subcommand"),
        }
        assert!(Cli::parse_from(["understudy-sim"]).command.is_none());
        assert!(Cli::try_parse_from(["understudy-sim", "token", "--ttl", "soon"]).is_err());
    }

    #[test]
    fn esp3d_ports_follow_the_http_port() {
        let config = Cli::parse_from(["understudy-sim"]).config();
        assert_eq!(
            (
                config.ports["esp3d"],
                config.ports["esp3d-terminal"],
                config.ports["esp3d-data"]
            ),
            (8080, 8081, 8282)
        );
        assert_eq!(config.devices.esp3d.sd_capacity, 64 << 20);
        let config = Cli::parse_from(["understudy-sim", "--esp3d-http-port", "9000", "--esp3d-auth"]).config();
        assert_eq!((config.ports["esp3d"], config.ports["esp3d-terminal"]), (9000, 9001));
        assert!(config.devices.esp3d.auth);
        let config = Cli::parse_from([
            "understudy-sim",
            "--esp3d-terminal-port",
            "7000",
            "--esp3d-sd-capacity",
            "1M",
            "--esp3d-data-text",
        ])
        .config();
        assert_eq!(config.ports["esp3d-terminal"], 7000);
        assert_eq!(config.devices.esp3d.sd_capacity, 1 << 20);
        assert!(config.devices.esp3d.data_text);
        assert!(Cli::try_parse_from(["understudy-sim", "--esp3d-session-timeout", "999"]).is_err());
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(Cli::try_parse_from(["understudy-sim", "--speed", "0"]).is_err());
        assert!(Cli::try_parse_from(["understudy-sim", "--endrpi-throttle", "zz"]).is_err());
        assert!(Cli::try_parse_from(["understudy-sim", "--clock", "sometimes"]).is_err());
    }
}
