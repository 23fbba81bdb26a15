//! The `understudy-sim` command line: which devices to start, on which address and ports, with which seed,
//! clock and transcript. Every flag maps onto `SimConfig`.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::clock::ClockMode;
use crate::serve::SimConfig;
use crate::serve::control::ControlArgs;
use crate::serve::endrpi::EndrpiOptions;
use crate::serve::listener;
use crate::serve::pubsub::{PubsubArgs, TokenArgs};
use crate::serve::registry::DeviceOptions;
use crate::serve::xarm::{self, XarmOptions};
use crate::transcript::TranscriptLimits;
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
    /// Connections open at once on each port; more are answered 503 and closed (over TLS: closed).
    #[arg(long, default_value_t = listener::DEFAULT_MAX_CONNECTIONS, value_parser = parse_positive)]
    pub max_connections: usize,
    #[command(flatten)]
    pub control: ControlArgs,
    /// Write every connection and frame, stamped with sim time, to this file as JSON lines.
    #[arg(long)]
    pub transcript: Option<PathBuf>,
    /// The most bytes one transcript file holds before it is rotated to FILE.1 (with one file: before
    /// records are dropped, which a `dropped` line says).
    #[arg(long, default_value_t = TranscriptLimits::DEFAULT.max_bytes, value_parser = clap::value_parser!(u64).range(1024..))]
    pub transcript_max_bytes: u64,
    /// Transcript files kept: FILE and FILE.1 ... FILE.<N-1>; rotation deletes the oldest.
    #[arg(long, default_value_t = TranscriptLimits::DEFAULT.files, value_parser = parse_positive)]
    pub transcript_files: usize,
    #[command(flatten)]
    pub pubsub: PubsubArgs,
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
            ]),
            any_port: false,
            transcript: self.transcript.clone(),
            transcript_limits: TranscriptLimits {
                max_bytes: self.transcript_max_bytes,
                files: self.transcript_files,
            },
            control: self.control.config(),
            max_connections: self.max_connections,
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

fn parse_positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("`{text}` is not a positive whole number")),
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
    use crate::serve::control::ControlConfig;

    #[test]
    fn defaults_match_the_documented_ports() {
        let config = Cli::parse_from(["understudy-sim"]).config();
        assert_eq!(config.ports.get("endrpi"), Some(&5000));
        assert_eq!(config.control, Some(ControlConfig::loopback(7400)));
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
        assert_eq!(config.control, None);
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
    fn the_control_api_stays_on_loopback_whatever_bind_says() {
        let config = Cli::parse_from(["understudy-sim", "--bind", "0.0.0.0"]).config();
        let control = config.control.unwrap();
        assert_eq!(control, ControlConfig::loopback(7400));
        assert_eq!(control.required_token(), None);
        let config = Cli::parse_from(["understudy-sim", "--control-bind", "0.0.0.0", "--control-port", "0"]).config();
        let control = config.control.unwrap();
        assert_eq!(control.bind, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let generated = control.required_token().unwrap();
        assert_eq!(generated.len(), 64);
        assert_ne!(
            Some(generated),
            control.required_token(),
            "each start draws a new token"
        );
        let config = Cli::parse_from(["understudy-sim", "--control-bind", "0.0.0.0", "--control-token", "s3"]).config();
        assert_eq!(config.control.unwrap().required_token().as_deref(), Some("s3"));
        assert!(Cli::try_parse_from(["understudy-sim", "--no-control", "--control-bind", "0.0.0.0"]).is_err());
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(Cli::try_parse_from(["understudy-sim", "--speed", "0"]).is_err());
        assert!(Cli::try_parse_from(["understudy-sim", "--endrpi-throttle", "zz"]).is_err());
        assert!(Cli::try_parse_from(["understudy-sim", "--clock", "sometimes"]).is_err());
    }
}
