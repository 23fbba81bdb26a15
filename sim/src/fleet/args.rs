//! The fleet's command-line flags: how many devices of each kind, their network or port range, the shard
//! this process runs and where the fleet map is written.

use std::path::PathBuf;

use super::{Addressing, DEFAULT_NET, FleetConfig, FleetNet, Shard};

/// Flags of a fleet of devices.
#[derive(Clone, Debug, clap::Args)]
pub struct FleetArgs {
    /// Run N devices of a kind instead of one, each with its own state, seed stream, label (KIND-INDEX, from
    /// 1) and address, e.g. `endrpi=1000,xarm=50,esp3d=200,pubsub=20`; only the kinds named run.
    #[arg(long, value_name = "KIND=N,...", value_parser = parse_counts, conflicts_with = "only")]
    pub fleet: Option<Counts>,
    /// The network fleet devices take an address each from, on their real ports: the network is cut into 16
    /// equal blocks, kind number s of the registry takes block s, device i is the i-th address of it
    /// (127.16.0.0/12: endrpi-1 at 127.16.0.1, xarm-1 at 127.17.0.1).
    #[arg(long, value_name = "CIDR", default_value_t = DEFAULT_NET, requires = "fleet")]
    pub fleet_net: FleetNet,
    /// Instead of an address each: every fleet device on --bind, on consecutive ports from BASE, kind after
    /// kind in registry order, device after device, each device's endpoints in its own order.
    #[arg(long, value_name = "BASE", requires = "fleet")]
    pub fleet_ports: Option<u16>,
    /// Run only shard I of N (0 <= I < N) of the fleet and of the Obico agents; a device's shard is decided
    /// by rendezvous hashing of (kind, index).
    #[arg(long, value_name = "I/N", default_value_t = Shard::ALL)]
    pub fleet_shard: Shard,
    /// Write the map of the devices this process runs (JSON: kind, index, label, URLs) to FILE at start.
    #[arg(long, value_name = "FILE")]
    pub fleet_map: Option<PathBuf>,
}

/// Device counts by kind, as `--fleet` gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts(pub Vec<(&'static str, u32)>);

fn parse_counts(text: &str) -> Result<Counts, String> {
    super::parse_counts(text).map(Counts)
}

impl FleetArgs {
    /// The fleet these flags describe; `None` without `--fleet`.
    pub fn config(&self) -> Option<FleetConfig> {
        let counts = self.fleet.clone()?.0;
        let addressing = match self.fleet_ports {
            Some(base) => Addressing::Ports(base),
            None => Addressing::Net(self.fleet_net),
        };
        Some(FleetConfig { counts, addressing })
    }
}
