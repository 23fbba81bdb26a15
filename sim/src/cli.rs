//! The `understudy-sim` command line: the simulator-wide flags (seed, clock, epoch, bind address, control API,
//! transcript, fleet) plus every registered device's own flags, flattened from the registry. Every flag maps onto `SimConfig`.

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::clock::{ClockMode, Epoch};
use crate::devices::pubsub::TokenArgs;
use crate::devices::{DEVICE_KINDS, DeviceFlags};
use crate::fleet::FleetArgs;
use crate::record::RecordArgs;
use crate::serve::SimConfig;
use crate::serve::control::ControlArgs;
use crate::serve::faults::FaultSpec;
use crate::serve::listener;
use crate::transcript::TranscriptLimits;

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
    /// Record a client and a real device through a transparent proxy, to a transcript, and run until stopped.
    Record(RecordArgs),
}

/// Understudy: simulated devices on their real sockets.
#[derive(Debug, Parser)]
#[command(name = "understudy-sim", version, about)]
pub struct GlobalArgs {
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
    /// The instant sim time zero stands for (RFC 3339); every Unix time a device emits is this plus sim time.
    /// Default: 2024-01-01T00:00:00Z on a virtual clock, the wall clock at start on a realtime one.
    #[arg(long, value_parser = parse_epoch)]
    pub epoch: Option<Epoch>,
    /// Start only these devices (comma-separated), e.g. --only endrpi.
    #[arg(long, value_delimiter = ',')]
    pub only: Option<Vec<String>>,
    /// Address every socket binds.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// Connections open at once on each port; more are answered 503 and closed (over TLS: closed).
    #[arg(long, default_value_t = listener::DEFAULT_MAX_CONNECTIONS, value_parser = parse_positive)]
    pub max_connections: usize,
    #[command(flatten)]
    pub control: ControlArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// A network fault active from the start, `FAULT[@SCOPE][#N]` (repeatable), e.g. `delay:200ms@xarm`,
    /// `drop:5@endrpi`, `refuse:503@esp3d-terminal#2`, `unreachable:10s@obico`; the README lists them all.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<FaultSpec>,
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
}

/// The parsed command line: the simulator-wide flags, a subcommand if any, and each device's flags.
#[derive(Debug)]
pub struct Cli {
    /// Without a subcommand, run the simulator.
    pub command: Option<Command>,
    /// The simulator-wide flags.
    pub globals: GlobalArgs,
    devices: Vec<Box<dyn DeviceFlags>>,
}

impl Cli {
    /// The whole command: the simulator-wide flags plus the flags of every device in the registry.
    pub fn command() -> clap::Command {
        DEVICE_KINDS
            .iter()
            .fold(GlobalArgs::command(), |command, kind| (kind.args)(command))
    }

    /// Parses `args` (the first is the program name).
    pub fn try_parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let matches = Cli::command().try_get_matches_from(args)?;
        let mut globals = GlobalArgs::from_arg_matches(&matches)?;
        let devices = DEVICE_KINDS
            .iter()
            .map(|kind| (kind.flags)(&matches))
            .collect::<Result<_, _>>()?;
        Ok(Cli {
            command: globals.command.take(),
            globals,
            devices,
        })
    }

    /// Parses `args`, or prints the usage error (or the help) and exits.
    pub fn parse_from<I, T>(args: I) -> Cli
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        Cli::try_parse_from(args).unwrap_or_else(|error| error.exit())
    }

    /// Parses the process's own arguments, or exits with the usage error.
    pub fn parse() -> Cli {
        Cli::parse_from(std::env::args_os())
    }

    /// The simulator configuration these flags describe.
    pub fn config(&self) -> SimConfig {
        let g = &self.globals;
        let clock = match g.clock {
            ClockArg::Realtime => ClockMode::Realtime { speed: g.speed },
            ClockArg::Virtual => ClockMode::Virtual,
        };
        let mut config = SimConfig {
            seed: g.seed,
            clock,
            epoch: g.epoch,
            bind: g.bind,
            only: g.only.clone(),
            any_port: false,
            transcript: g.transcript.clone(),
            transcript_limits: TranscriptLimits {
                max_bytes: g.transcript_max_bytes,
                files: g.transcript_files,
            },
            control: g.control.config(),
            max_connections: g.max_connections,
            faults: g.faults.clone(),
            fleet: g.fleet.config(),
            shard: g.fleet.fleet_shard,
            fleet_map: g.fleet.fleet_map.clone(),
            ..SimConfig::for_tests(g.seed)
        };
        for device in &self.devices {
            device.apply(&mut config);
        }
        config
    }
}

fn parse_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(speed) if speed.is_finite() && speed > 0.0 => Ok(speed),
        _ => Err(format!("`{text}` is not a positive number")),
    }
}

fn parse_epoch(text: &str) -> Result<Epoch, String> {
    Epoch::parse_rfc3339(text).map_err(|e| e.to_string())
}

fn parse_positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("`{text}` is not a positive whole number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::endrpi::EndrpiOptions;
    use crate::devices::xarm::XarmOptions;
    use crate::serve::control::ControlConfig;
    use understudy_core::model::arm::ArmModel;

    #[test]
    fn defaults_match_the_documented_ports() {
        let config = Cli::parse_from(["understudy-sim"]).config();
        assert_eq!(config.ports.get("endrpi"), Some(&5000));
        assert_eq!(config.control, Some(ControlConfig::loopback(7400)));
        assert_eq!(config.clock, ClockMode::Realtime { speed: 1.0 });
        assert_eq!(config.bind, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(config.ports.get("xarm"), Some(&18333));
        let xarm = config.devices.get::<XarmOptions>();
        assert_eq!(xarm.model, ArmModel::XArm6);
        assert_eq!((xarm.report_hz, xarm.fault), (10, None));
        assert_eq!(config.epoch, None);
    }

    #[test]
    fn fault_flags_repeat_and_a_bad_one_is_a_usage_error() {
        let config = Cli::parse_from([
            "understudy-sim",
            "--fault",
            "delay:200ms@xarm",
            "--fault",
            "refuse:503#2",
        ])
        .config();
        let specs: Vec<String> = config.faults.iter().map(ToString::to_string).collect();
        assert_eq!(specs, ["delay:200ms@xarm", "refuse:503#2"]);
        assert!(Cli::try_parse_from(["understudy-sim", "--fault", "wobble"]).is_err());
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
        let xarm = config.devices.get::<XarmOptions>();
        assert_eq!(xarm.model, ArmModel::Lite6);
        assert_eq!((xarm.report_hz, xarm.fault), (25, Some(31)));
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
        assert_eq!(config.devices.get::<EndrpiOptions>().throttle, 0x50005);
        assert_eq!(config.control, None);
    }

    #[test]
    fn pubsub_flags_and_the_token_subcommand() {
        use crate::devices::pubsub::{DEV_SECRET, PubsubOptions, PubsubTls};
        let config = Cli::parse_from(["understudy-sim"]).config();
        assert_eq!(config.ports.get("pubsub"), Some(&8443));
        assert_eq!(config.devices.get::<PubsubOptions>().tls, PubsubTls::SelfSigned);
        assert_eq!(config.devices.get::<PubsubOptions>().jwt_secret, DEV_SECRET);
        let cli = Cli::parse_from([
            "understudy-sim",
            "--pubsub-plain",
            "--jwt-secret",
            "s",
            "--pubsub-port",
            "9",
        ]);
        let options = cli.config().devices.get::<PubsubOptions>();
        assert_eq!(options.tls, PubsubTls::Plain);
        assert_eq!((options.jwt_secret.as_str(), cli.config().ports["pubsub"]), ("s", 9));
        let cli = Cli::parse_from(["understudy-sim", "--tls-cert", "c.pem", "--tls-key", "k.pem"]);
        assert!(matches!(
            cli.config().devices.get::<PubsubOptions>().tls,
            PubsubTls::Files { .. }
        ));
        assert!(Cli::try_parse_from(["understudy-sim", "--tls-cert", "c.pem"]).is_err());
        assert!(
            Cli::try_parse_from(["understudy-sim", "--pubsub-plain", "--tls-cert", "c", "--tls-key", "k"]).is_err()
        );
        let cli = Cli::parse_from(["understudy-sim", "token", "--ttl", "15m", "--sub", "app"]);
        match cli.command {
            Some(Command::Token(args)) => assert_eq!((args.ttl, args.sub.as_str()), (900, "app")),
            other => panic!("expected the token subcommand, got {other:?}"),
        }
        let cli = Cli::parse_from([
            "understudy-sim",
            "record",
            "--upstream",
            "ws://10.0.0.7:5000",
            "--out",
            "r.jsonl",
        ]);
        match cli.command {
            Some(Command::Record(args)) => assert_eq!((args.name.as_str(), args.listen.port()), ("device", 0)),
            other => panic!("expected the record subcommand, got {other:?}"),
        }
        assert!(Cli::try_parse_from(["understudy-sim", "record", "--out", "r.jsonl"]).is_err());
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
    fn esp3d_ports_follow_the_http_port() {
        use crate::devices::esp3d::Esp3dOptions;
        let config = Cli::parse_from(["understudy-sim"]).config();
        assert_eq!(
            (
                config.ports["esp3d"],
                config.ports["esp3d-terminal"],
                config.ports["esp3d-data"]
            ),
            (8080, 8081, 8282)
        );
        assert_eq!(config.devices.get::<Esp3dOptions>().sd_capacity, 64 << 20);
        let config = Cli::parse_from(["understudy-sim", "--esp3d-http-port", "9000", "--esp3d-auth"]).config();
        assert_eq!((config.ports["esp3d"], config.ports["esp3d-terminal"]), (9000, 9001));
        assert!(config.devices.get::<Esp3dOptions>().auth);
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
        assert_eq!(config.devices.get::<Esp3dOptions>().sd_capacity, 1 << 20);
        assert!(config.devices.get::<Esp3dOptions>().data_text);
        assert!(Cli::try_parse_from(["understudy-sim", "--esp3d-session-timeout", "999"]).is_err());
    }

    #[test]
    fn fleet_flags_reach_the_config_and_the_default_stays_one_device_of_each() {
        use crate::fleet::{Addressing, DEFAULT_NET, Shard};
        let alone = Cli::parse_from(["understudy-sim"]).config();
        assert_eq!((alone.fleet, alone.shard, alone.fleet_map), (None, Shard::ALL, None));
        let config = Cli::parse_from([
            "understudy-sim",
            "--fleet",
            "xarm=50,endrpi=1000",
            "--fleet-shard",
            "1/4",
            "--fleet-map",
            "map.json",
        ])
        .config();
        let fleet = config.fleet.unwrap();
        assert_eq!(fleet.counts, [("endrpi", 1000), ("xarm", 50)]);
        assert_eq!(fleet.addressing, Addressing::Net(DEFAULT_NET));
        assert_eq!(config.shard, Shard { index: 1, count: 4 });
        assert_eq!(config.fleet_map, Some(PathBuf::from("map.json")));
        let ports = Cli::parse_from(["understudy-sim", "--fleet", "esp3d=2", "--fleet-ports", "20000"]).config();
        assert_eq!(ports.fleet.unwrap().addressing, Addressing::Ports(20_000));
        for bad in [
            &["--fleet", "obico=3"][..],
            &["--fleet", "endrpi=1", "--only", "endrpi"],
            &["--fleet-ports", "20000"],
            &["--fleet", "endrpi=1", "--fleet-net", "127.16.0.0/30"],
            &["--fleet-shard", "4/4"],
        ] {
            let argv = std::iter::once("understudy-sim").chain(bad.iter().copied());
            assert!(Cli::try_parse_from(argv).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(Cli::try_parse_from(["understudy-sim", "--speed", "0"]).is_err());
        assert!(Cli::try_parse_from(["understudy-sim", "--endrpi-throttle", "zz"]).is_err());
        assert!(Cli::try_parse_from(["understudy-sim", "--clock", "sometimes"]).is_err());
        assert!(Cli::try_parse_from(["understudy-sim", "--epoch", "yesterday"]).is_err());
    }

    #[test]
    fn the_epoch_flag_reaches_the_config() {
        let config = Cli::parse_from([
            "understudy-sim",
            "--clock",
            "virtual",
            "--epoch",
            "2030-01-01T00:00:00Z",
        ])
        .config();
        assert_eq!(config.epoch, Some(Epoch::from_unix_ms(1_893_456_000_000)));
    }
}
