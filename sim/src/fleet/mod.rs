//! Fleets: many devices of a kind in one process (`--fleet endrpi=1000,xarm=50`), each with its own state,
//! seed stream, label and address, and the shard of them this process runs (`--fleet-shard i/n`).

mod args;
pub mod map;
mod member;

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

pub use args::FleetArgs;
pub use member::Member;
use understudy_core::fleet::{net_address, net_capacity, shard_of};

use crate::devices::{DEVICE_KINDS, DeviceContext, DeviceKind};
use crate::error::SimError;
use crate::serve::device::Device;

/// The network fleet devices take their addresses from unless told otherwise.
pub const DEFAULT_NET: FleetNet = FleetNet {
    base: Ipv4Addr::new(127, 16, 0, 0),
    prefix: 12,
};

/// The shard of a fleet this process runs: `index` of `count` (from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub index: u32,
    /// How many shards the fleet is cut into.
    pub count: u32,
}

impl Shard {
    /// The whole fleet in one process.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether device `index` of `kind` runs in this shard ([`understudy_core::fleet::shard_of`]).
    pub fn owns(&self, kind: &str, index: u32) -> bool {
        self.count <= 1 || shard_of(kind, index, self.count) == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{text}` is not a shard I/N with 0 <= I < N, e.g. 0/4");
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (index.trim().parse::<u32>(), count.trim().parse::<u32>());
        match (index, count) {
            (Ok(index), Ok(count)) if index < count => Ok(Shard { index, count }),
            _ => Err(bad()),
        }
    }
}

/// An IPv4 network in CIDR form, e.g. `127.16.0.0/12`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FleetNet {
    /// The network's address (host bits are ignored).
    pub base: Ipv4Addr,
    /// Its prefix length.
    pub prefix: u8,
}

impl fmt::Display for FleetNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

impl FromStr for FleetNet {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{text}` is not an IPv4 network such as 127.16.0.0/12 (prefix at most /27)");
        let (base, prefix) = text.split_once('/').ok_or_else(bad)?;
        let base = base.parse::<Ipv4Addr>().map_err(|_| bad())?;
        let prefix = prefix
            .parse::<u8>()
            .ok()
            .filter(|p| net_capacity(*p) > 0)
            .ok_or_else(bad)?;
        Ok(FleetNet { base, prefix })
    }
}

/// Where fleet devices listen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addressing {
    /// One address each from this network, on the device's own ports.
    Net(FleetNet),
    /// All on `--bind`, on consecutive ports from this base.
    Ports(u16),
}

/// How many devices of each kind, and where they listen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetConfig {
    /// Device counts by kind name, in registry order, each kind once.
    pub counts: Vec<(&'static str, u32)>,
    /// Their addresses.
    pub addressing: Addressing,
}

impl FleetConfig {
    /// How many devices of `kind` the whole fleet (every shard) has.
    pub fn count(&self, kind: &str) -> u32 {
        self.counts.iter().find(|(k, _)| *k == kind).map_or(0, |(_, n)| *n)
    }

    /// The address device `index` of `kind` has to itself (with [`Addressing::Net`]); `None` when it shares
    /// `--bind` with the fleet.
    pub fn host_of(&self, kind: &str, index: u32) -> Option<IpAddr> {
        match self.addressing {
            Addressing::Net(net) => {
                let slot = u32::try_from(DEVICE_KINDS.iter().position(|k| k.name == kind)?).ok()?;
                net_address(net.base, net.prefix, slot, index).map(IpAddr::V4)
            }
            Addressing::Ports(_) => None,
        }
    }

    /// Where endpoint `endpoint` (its place among the device's endpoints) of device `index` of `kind` listens,
    /// `port` being the port it would have alone; `widths` gives each kind's endpoints per device (needed with
    /// [`Addressing::Ports`]). The same on every shard: a function of the fleet, never of the shard.
    pub fn place(
        &self,
        kind: &str,
        index: u32,
        endpoint: usize,
        port: u16,
        bind: IpAddr,
        widths: &dyn Fn(&str) -> usize,
    ) -> Result<SocketAddr, SimError> {
        match self.addressing {
            Addressing::Net(net) => self
                .host_of(kind, index)
                .map(|ip| SocketAddr::new(ip, port))
                .ok_or_else(|| {
                    SimError::Fleet(format!(
                        "{kind} {index} has no address in {net} (a kind holds {} there)",
                        net_capacity(net.prefix)
                    ))
                }),
            Addressing::Ports(base) => {
                let before: u64 = self
                    .counts
                    .iter()
                    .take_while(|(k, _)| *k != kind)
                    .map(|(k, n)| u64::from(*n) * widths(k) as u64)
                    .sum();
                let offset = before + u64::from(index.saturating_sub(1)) * widths(kind) as u64 + endpoint as u64;
                u16::try_from(u64::from(base) + offset)
                    .map(|port| SocketAddr::new(bind, port))
                    .map_err(|_| {
                        SimError::Fleet(format!(
                            "{kind} {index} needs port {base} + {offset}, past 65535: use --fleet-net or fewer devices"
                        ))
                    })
            }
        }
    }
}

/// Parses `endrpi=1000,xarm=50`: known kinds, each once, each from 1 to 65,535 devices. The Obico agents are
/// a fleet of their own (`--obico-agents`).
pub fn parse_counts(text: &str) -> Result<Vec<(&'static str, u32)>, String> {
    let mut counts: Vec<(&'static str, u32)> = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (name, n) = item
            .split_once('=')
            .ok_or_else(|| format!("`{item}` is not KIND=N, e.g. endrpi=1000"))?;
        let kind = DEVICE_KINDS.iter().find(|k| k.name == name.trim()).ok_or_else(|| {
            let known: Vec<&str> = DEVICE_KINDS.iter().map(|k| k.name).collect();
            format!("unknown device `{name}` (known: {})", known.join(", "))
        })?;
        if kind.name == crate::devices::obico::KIND.name {
            return Err("the Obico agents are a fleet of their own: --obico-agents N".into());
        }
        let n = n
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=65_535).contains(n))
            .ok_or_else(|| format!("`{n}` devices of {name}: from 1 to 65535"))?;
        if counts.iter().any(|(k, _)| *k == kind.name) {
            return Err(format!("{name} is named twice"));
        }
        counts.push((kind.name, n));
    }
    if counts.is_empty() {
        return Err("name at least one KIND=N".into());
    }
    counts.sort_by_key(|(k, _)| DEVICE_KINDS.iter().position(|d| d.name == *k));
    Ok(counts)
}

/// A label of a fleet device or endpoint (`endrpi-17`, `esp3d-terminal-3`), kept for the process's life: each
/// distinct label is made once, however often the fleet is reset, so their number is bounded by the fleet's.
pub fn label(name: &str, index: u32) -> &'static str {
    static LABELS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let text = format!("{name}-{index}");
    let mut labels = LABELS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match labels.get(text.as_str()) {
        Some(known) => known,
        None => {
            let made: &'static str = Box::leak(text.into_boxed_str());
            labels.insert(made);
            made
        }
    }
}

/// The seed fleet device `index` of `kind` runs on under `master`
/// ([`understudy_core::fleet::member_seed`]).
pub fn seed_of(master: u64, kind: &str, index: u32) -> u64 {
    understudy_core::fleet::member_seed(master, kind, index)
}

/// Builds this shard's devices of the fleet, kind by kind in registry order, index by index, each from its
/// own seed; `ctx` is every device's context but for the seed.
pub fn build(fleet: &FleetConfig, shard: Shard, ctx: &DeviceContext) -> Result<Vec<Arc<dyn Device>>, SimError> {
    let mut devices = Vec::new();
    let mut own = DeviceContext {
        seed: ctx.seed,
        clock: ctx.clock.clone(),
        transcript: ctx.transcript.clone(),
        faults: ctx.faults.clone(),
        options: ctx.options.clone(),
        shard,
        host: ctx.host,
    };
    for (name, count) in &fleet.counts {
        let kind = kind_named(name)?;
        for index in (1..=*count).filter(|i| shard.owns(name, *i)) {
            own.seed = seed_of(ctx.seed, name, index);
            own.host = fleet.host_of(name, index).or(ctx.host);
            let device = (kind.build)(&own).map_err(|source| SimError::Device {
                device: kind.name,
                source,
            })?;
            devices.push(Arc::new(Member::new(device, kind.name, index)) as Arc<dyn Device>);
        }
    }
    Ok(devices)
}

/// Each fleet kind's endpoints per device, from a device of the kind (one is built if this shard has none).
pub fn widths(
    fleet: &FleetConfig,
    devices: &[Arc<dyn Device>],
    ctx: &DeviceContext,
) -> Result<Vec<(&'static str, usize)>, SimError> {
    let width = |device: &dyn Device| device.endpoints().len() + device.raw_endpoints().len();
    fleet
        .counts
        .iter()
        .map(|(name, _)| match devices.iter().find(|d| d.kind() == *name) {
            Some(device) => Ok((*name, width(device.as_ref()))),
            None => {
                let kind = kind_named(name)?;
                let probe = (kind.build)(ctx).map_err(|source| SimError::Device {
                    device: kind.name,
                    source,
                })?;
                Ok((*name, width(probe.as_ref())))
            }
        })
        .collect()
}

fn kind_named(name: &str) -> Result<&'static DeviceKind, SimError> {
    DEVICE_KINDS
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| SimError::UnknownDevice(name.to_string(), String::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_shards_and_networks_parse_or_say_why_not() {
        assert_eq!(
            parse_counts("xarm=50, endrpi=1000").unwrap(),
            vec![("endrpi", 1000), ("xarm", 50)]
        );
        for bad in [
            "",
            "endrpi",
            "endrpi=0",
            "endrpi=65536",
            "toaster=1",
            "endrpi=1,endrpi=2",
            "obico=5",
        ] {
            assert!(parse_counts(bad).is_err(), "{bad}");
        }
        assert!(parse_counts("obico=5").unwrap_err().contains("--obico-agents"));
        assert_eq!("2/5".parse::<Shard>(), Ok(Shard { index: 2, count: 5 }));
        for bad in ["5/5", "1", "a/2", "0/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!("127.16.0.0/12".parse::<FleetNet>(), Ok(DEFAULT_NET));
        assert!("127.16.0.0/28".parse::<FleetNet>().is_err());
        assert!("127.16.0.0".parse::<FleetNet>().is_err());
        assert_eq!(DEFAULT_NET.to_string(), "127.16.0.0/12");
    }

    #[test]
    fn labels_are_made_once() {
        let a = label("endrpi", 17);
        assert_eq!(a, "endrpi-17");
        assert!(std::ptr::eq(a, label("endrpi", 17)));
    }

    #[test]
    fn ports_are_laid_out_kind_after_kind_whatever_the_shard() {
        let fleet = FleetConfig {
            counts: vec![("endrpi", 3), ("xarm", 2)],
            addressing: Addressing::Ports(20_000),
        };
        let widths = |kind: &str| if kind == "xarm" { 6 } else { 1 };
        let bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let port = |kind, index, endpoint| {
            fleet
                .place(kind, index, endpoint, 5000, bind, &widths)
                .map(|a| a.port())
                .map_err(|e| e.to_string())
        };
        assert_eq!(port("endrpi", 1, 0), Ok(20_000));
        assert_eq!(port("endrpi", 3, 0), Ok(20_002));
        assert_eq!(port("xarm", 1, 0), Ok(20_003));
        assert_eq!(port("xarm", 2, 5), Ok(20_014));
        let full = FleetConfig {
            addressing: Addressing::Ports(65_530),
            ..fleet.clone()
        };
        assert!(full.place("xarm", 2, 5, 0, bind, &widths).is_err());
        let net = FleetConfig {
            addressing: Addressing::Net(DEFAULT_NET),
            ..fleet
        };
        let xarm = net.place("xarm", 2, 3, 30_001, bind, &widths).unwrap();
        assert_eq!(xarm.to_string(), "127.17.0.2:30001");
    }
}
