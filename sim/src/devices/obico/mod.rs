//! Simulated Obico agents (OctoPrint-Obico 2.6.1 in OctoPrint 1.11.8, each on its own Marlin printer) that
//! dial out to an Obico server: a fleet of one or many, one task each, and their control commands.

pub mod args;
mod runner;
pub mod server;
mod tokens;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::{Clock, SimTime};
use crate::devices::printer_faults::{self, FAULT_COMMANDS};
use crate::devices::printer_view::{TemperatureHistory, printer_view};
use crate::devices::{DeviceContext, DeviceKind, flags_of, parse_flags};
use crate::serve::device::{BackgroundTask, ControlError, Device, DeviceError, DeviceFault, EndpointSpec};
use crate::serve::outbound::{Dialer, Trust};
use args::ObicoArgs;
use runner::{AgentState, Net, Slot};
use server::ServerUrl;
use understudy_core::model::printer::{Printer, PrinterConfig};
use understudy_core::proto::obico::ObicoAgent;
use understudy_core::proto::obico::commands::PauseArgs;

/// Sim milliseconds between two agents' starts, by default (10,000 agents start within 50 s).
pub const DEFAULT_STAGGER_MS: u64 = 5;

/// The most bytes `--obico-print` may put on all the fleet's cards together (each card holds its own copy).
pub const MAX_CARD_BYTES: u64 = 1 << 30;

/// Options of the agents; with no `server` the device is off.
#[derive(Clone, Default)]
pub struct ObicoOptions {
    /// The server's endpoint prefix (`http://127.0.0.1:3334`).
    pub server: Option<String>,
    /// The token, or a pattern with `{n}`.
    pub token: Option<String>,
    /// A file of tokens, one a line.
    pub token_file: Option<std::path::PathBuf>,
    /// The CA to trust for https instead of the system's roots.
    pub ca: Option<std::path::PathBuf>,
    /// A G-code file each printer prints once connected.
    pub print: Option<std::path::PathBuf>,
    /// How many agents (0 reads as 1).
    pub agents: u32,
    /// Sim ms between two agents' starts.
    pub stagger_ms: u64,
}

impl ObicoOptions {
    /// One agent dialing `server` with `token`, starting at once: what a test harness needs.
    pub fn single(server: &str, token: &str) -> Self {
        ObicoOptions {
            server: Some(server.to_owned()),
            token: Some(token.to_owned()),
            agents: 1,
            ..ObicoOptions::default()
        }
    }
}

impl std::fmt::Debug for ObicoOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObicoOptions")
            .field("server", &self.server)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("token_file", &self.token_file)
            .field("ca", &self.ca)
            .field("print", &self.print)
            .field("agents", &self.agents)
            .field("stagger_ms", &self.stagger_ms)
            .finish()
    }
}

/// The registry entry.
pub const KIND: DeviceKind = DeviceKind {
    name: "obico",
    args: flags_of::<ObicoArgs>,
    flags: parse_flags::<ObicoArgs>,
    build,
};

/// Builds the agents (none without a server).
pub fn build(ctx: &DeviceContext) -> Result<Arc<dyn Device>, DeviceError> {
    let options = ctx.options.get::<ObicoOptions>();
    let Some(server) = &options.server else {
        return Ok(Arc::new(Obico { fleet: None }));
    };
    let url = ServerUrl::parse(server).map_err(DeviceError::Options)?;
    let agents = options.agents.max(1) as usize;
    let tokens = tokens::resolve(options.token.as_deref(), options.token_file.as_deref(), agents)
        .map_err(DeviceError::Options)?;
    let dialer = match (url.tls, &options.ca) {
        (false, _) => Dialer::plain(),
        (true, None) => Dialer::tls(&Trust::System).map_err(|e| DeviceError::Options(e.to_string()))?,
        (true, Some(ca)) => Dialer::tls(&Trust::Pem(ca.clone())).map_err(|e| DeviceError::Options(e.to_string()))?,
    };
    let print = options.print.as_deref().map(read_print).transpose()?;
    if let Some((file, gcode)) = &print
        && (gcode.len() as u64).saturating_mul(agents as u64) > MAX_CARD_BYTES
    {
        return Err(DeviceError::Options(format!(
            "{file} ({} bytes) on {agents} cards would take more than {MAX_CARD_BYTES} bytes",
            gcode.len()
        )));
    }
    let epoch_ms = ctx.clock.epoch().unix_ms(SimTime::ZERO);
    let slots = tokens
        .iter()
        .zip(1u32..)
        .filter(|(_, n)| ctx.shard.owns(KIND.name, *n))
        .map(|(token, n)| {
            let name = format!("obico-{n}");
            let mut printer = Printer::new(PrinterConfig::default(), ctx.seed, &name);
            if let Some((file, gcode)) = &print {
                printer
                    .sd_mut()
                    .write(file, gcode.clone(), SimTime::ZERO)
                    .map_err(|e| DeviceError::Options(format!("cannot put {file} on the card: {e}")))?;
            }
            Ok(Arc::new(Slot::new(
                name.clone(),
                AgentState {
                    agent: ObicoAgent::new(printer, token, epoch_ms, ctx.seed, &name),
                    pending: Vec::new(),
                    print_on_connect: print.as_ref().map(|(file, _)| file.clone()),
                },
            )))
        })
        .collect::<Result<Vec<_>, DeviceError>>()?;
    ctx.faults.add_names(
        slots
            .iter()
            .map(|slot: &Arc<Slot>| (slot.name().to_string(), KIND.name)),
    );
    Ok(Arc::new(Obico {
        fleet: Some(Fleet {
            net: Arc::new(Net {
                url,
                dialer,
                transcript: ctx.transcript.clone(),
                faults: ctx.faults.clone(),
            }),
            slots,
            stagger_ms: options.stagger_ms,
            history: TemperatureHistory::default(),
        }),
    }))
}

/// The file's name on the card and its bytes.
fn read_print(path: &Path) -> Result<(String, Vec<u8>), DeviceError> {
    let gcode =
        std::fs::read(path).map_err(|e| DeviceError::Options(format!("cannot read {}: {e}", path.display())))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| DeviceError::Options(format!("{} has no usable file name", path.display())))?;
    Ok((name.to_owned(), gcode))
}

struct Fleet {
    net: Arc<Net>,
    slots: Vec<Arc<Slot>>,
    stagger_ms: u64,
    /// The first agent's printer temperatures, for the dashboard's chart.
    history: TemperatureHistory,
}

/// Agents the dashboard lists one by one (the rest are counted by state).
const LISTED_AGENTS: usize = 8;

struct Obico {
    fleet: Option<Fleet>,
}

impl Obico {
    /// The agent `args.agent` names (1..N; default: the first this shard runs, agent 1 without shards).
    fn slot(&self, args: &Value) -> Result<&Arc<Slot>, ControlError> {
        let fleet = self
            .fleet
            .as_ref()
            .ok_or_else(|| ControlError::BadArguments("no Obico agent runs (start with --obico-server)".into()))?;
        let n = match args.get("agent") {
            None | Some(Value::Null) => {
                return fleet
                    .slots
                    .first()
                    .ok_or_else(|| ControlError::BadArguments("no agent runs in this shard".into()));
            }
            Some(v) => v
                .as_u64()
                .ok_or_else(|| ControlError::BadArguments("`agent` must be a number from 1".into()))?,
        };
        let name = format!("obico-{n}");
        fleet.slots.iter().find(|slot| slot.name() == name).ok_or_else(|| {
            ControlError::BadArguments(format!(
                "no agent {n} runs here ({} agents in this shard)",
                fleet.slots.len()
            ))
        })
    }
}

impl Device for Obico {
    fn name(&self) -> &'static str {
        "obico"
    }

    fn endpoints(&self) -> Vec<EndpointSpec> {
        Vec::new()
    }

    fn device_faults(&self) -> &'static [DeviceFault] {
        printer_faults::PRINTER_FAULTS
    }

    fn control(&self, now: SimTime, command: &str, args: &Value) -> Result<Value, ControlError> {
        let slot = self.slot(args)?;
        let refused = |e: understudy_core::model::printer::PrinterError| ControlError::BadArguments(e.to_string());
        let fault = printer_faults::fault(command, args)?;
        slot.with(|s| {
            let actions = match command {
                "print" => {
                    let file = args.get("file").and_then(Value::as_str).ok_or_else(|| {
                        ControlError::BadArguments("`file` (a file on the printer's card) is needed".into())
                    })?;
                    s.agent.start_print(now, file).map_err(refused)?
                }
                "pause" => s.agent.pause(now, PauseArgs::default()).map_err(refused)?,
                "resume" => s.agent.resume(now).map_err(refused)?,
                "cancel" => s.agent.cancel(now).map_err(refused)?,
                "upload" => {
                    let (Some(file), Some(gcode)) = (
                        args.get("file").and_then(Value::as_str),
                        args.get("gcode").and_then(Value::as_str),
                    ) else {
                        return Err(ControlError::BadArguments("`file` and `gcode` are needed".into()));
                    };
                    s.agent
                        .printer_mut()
                        .sd_mut()
                        .write(file, gcode.as_bytes().to_vec(), now)
                        .map_err(|e| ControlError::BadArguments(e.to_string()))?;
                    Vec::new()
                }
                "state" => Vec::new(),
                _ => match fault {
                    Some(fault) => {
                        s.agent.printer_mut().inject_fault(now, fault);
                        Vec::new()
                    }
                    None => {
                        return Err(ControlError::UnknownCommand(format!(
                            "{command} (obico knows: print, pause, resume, cancel, upload, state, {FAULT_COMMANDS})"
                        )));
                    }
                },
            };
            s.pending.extend(actions);
            let link = s.agent.link();
            Ok(json!({
                "state": s.agent.state().text(),
                "current_print_ts": s.agent.current_print_ts(),
                "printer_id": link.printer_id(),
                "connected": link.is_open(),
                "shut_down": link.is_shut_down(),
                "halted": s.agent.printer().is_halted(),
            }))
        })
    }

    fn view(&self, now: SimTime) -> Value {
        let Some(fleet) = &self.fleet else {
            return json!({ "agents": 0 });
        };
        let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
        let mut listed = Vec::new();
        for (i, slot) in fleet.slots.iter().enumerate() {
            slot.read(|s| {
                *by_state.entry(s.agent.state().text()).or_default() += 1;
                if i < LISTED_AGENTS {
                    let job = s.agent.printer().job();
                    listed.push(json!({
                        "name": slot.name(),
                        "state": s.agent.state().text(),
                        "connected": s.agent.link().is_open(),
                        "printer_id": s.agent.link().printer_id(),
                        "current_print_ts": s.agent.current_print_ts(),
                        "file": job.file,
                        "bytes_done": job.bytes_done,
                        "bytes_total": job.bytes_total,
                    }));
                }
            });
        }
        let printer = fleet
            .slots
            .first()
            .map(|slot| slot.read(|s| printer_view(s.agent.printer(), now, Some(&fleet.history))));
        json!({ "agents": fleet.slots.len(), "by_state": by_state, "listed": listed, "printer": printer })
    }

    fn announcements(&self) -> Vec<(&'static str, String)> {
        match &self.fleet {
            Some(fleet) => vec![
                ("obico-server", fleet.net.url.prefix_url()),
                ("obico-agents", fleet.slots.len().to_string()),
            ],
            None => Vec::new(),
        }
    }

    fn background(self: Arc<Self>, clock: Arc<Clock>, shutdown: CancellationToken) -> Option<BackgroundTask> {
        let fleet = self.fleet.as_ref()?;
        let tasks = TaskTracker::new();
        // The stagger counts the agents of this shard, so that a shard's last agent starts as early as it can.
        for (i, slot) in fleet.slots.iter().enumerate() {
            let start = SimTime::from_millis((i as u64).saturating_mul(fleet.stagger_ms));
            tasks.spawn(runner::run(
                slot.clone(),
                fleet.net.clone(),
                clock.clone(),
                start,
                shutdown.clone(),
            ));
        }
        tasks.close();
        Some(Box::pin(async move { tasks.wait().await }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ClockMode;
    use crate::devices::DeviceOptions;
    use crate::transcript::Transcript;

    fn built(options: ObicoOptions) -> Result<Arc<dyn Device>, DeviceError> {
        built_in(options, crate::fleet::Shard::ALL)
    }

    /// The agents of `shard`.
    fn built_in(options: ObicoOptions, shard: crate::fleet::Shard) -> Result<Arc<dyn Device>, DeviceError> {
        let mut devices = DeviceOptions::default();
        devices.set(options);
        let clock = Arc::new(Clock::new(ClockMode::Virtual));
        let transcript = Arc::new(Transcript::disabled());
        build(&DeviceContext {
            seed: 0,
            faults: Arc::new(crate::serve::faults::Faults::new(0, clock.clone(), transcript.clone())),
            clock,
            options: devices,
            transcript,
            shard,
            host: None,
        })
    }

    fn refusal(options: ObicoOptions) -> String {
        match built(options) {
            Err(error) => error.to_string(),
            Ok(_) => panic!("built"),
        }
    }

    #[test]
    fn off_without_a_server_and_bad_options_refused_at_start() {
        let off = built(ObicoOptions::default()).unwrap();
        assert!(off.announcements().is_empty());
        assert!(off.control(SimTime::ZERO, "state", &Value::Null).is_err());
        assert!(refusal(ObicoOptions::single("ftp://h", "t")).contains("http://"));
        let mut shared = ObicoOptions::single("http://127.0.0.1:1", "same");
        shared.agents = 2;
        assert!(refusal(shared).contains("2 agents need 2 tokens"));
        let path = std::env::temp_dir().join(format!("understudy-obico-big-{}.gcode", std::process::id()));
        std::fs::write(&path, vec![b';'; 20_000]).unwrap();
        let mut big = ObicoOptions::single("http://127.0.0.1:1", "t-{n}");
        big.print = Some(path.clone());
        big.agents = 60_000;
        assert!(refusal(big.clone()).contains("more than 1073741824 bytes"));
        big.agents = 2;
        let two = built(big).unwrap();
        assert_eq!(two.announcements()[1], ("obico-agents", "2".to_string()));
        let state = two
            .control(SimTime::ZERO, "state", &serde_json::json!({"agent": 2}))
            .unwrap();
        assert_eq!(
            (state["state"].as_str(), state["connected"].as_bool()),
            (Some("Offline"), Some(false))
        );
        std::fs::remove_file(&path).unwrap();
        let mut missing = ObicoOptions::single("http://127.0.0.1:1", "t");
        missing.print = Some(path);
        assert!(refusal(missing).contains("cannot read"));
    }

    #[test]
    fn shards_split_the_agents_each_keeping_its_number() {
        let mut options = ObicoOptions::single("http://127.0.0.1:1", "t-{n}");
        options.agents = 12;
        let mut numbers = Vec::new();
        for index in 0..3 {
            let shard = crate::fleet::Shard { index, count: 3 };
            let agents = built_in(options.clone(), shard).unwrap();
            let count: usize = agents.announcements()[1].1.parse().unwrap();
            let mine: Vec<u64> = (1..=12)
                .filter(|n| {
                    agents
                        .control(SimTime::ZERO, "state", &serde_json::json!({ "agent": n }))
                        .is_ok()
                })
                .collect();
            assert_eq!(mine.len(), count, "shard {index}");
            assert!(mine.iter().all(|n| shard.owns("obico", *n as u32)));
            numbers.extend(mine);
        }
        numbers.sort();
        assert_eq!(
            numbers,
            (1..=12).collect::<Vec<u64>>(),
            "every agent runs in exactly one shard"
        );
    }
}
