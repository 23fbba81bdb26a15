//! Runs the Gherkin features against a target (the in-process simulator, a fresh one per scenario, many at
//! once; or external targets, one scenario at a time), filtering by tags and target, injecting each
//! scenario's context, and collecting every scenario's verdict into a `Report`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cucumber::World as _;
use cucumber::event::ScenarioFinished;
use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::writer::Stats as _;
use futures_util::FutureExt;

use crate::control::ControlApi;
use crate::error::{Error, Result};
use crate::frames::Seen;
use crate::listen::ListenIdentity;
use crate::progress::{Progress, ProgressMode, REDRAW};
use crate::report::{Outcome, Report, ScenarioResult};
use crate::rules;
use crate::schema::Schemas;
use crate::steps::{Check, PROTOCOLS, ProtocolOptions, protocol_endpoints, protocol_names};
use crate::target::Target;

/// What to run, against what.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The `features/` directory.
    pub features: PathBuf,
    /// The JSON Schema directory.
    pub schemas: PathBuf,
    /// Targets by protocol: `endrpi` -> `ws://10.0.0.7:5000/` (the checker dials) or `listen://0.0.0.0:9000`
    /// (the device dials the checker; `listen+tls://` serves TLS); empty = the in-process simulator. A
    /// protocol's more sockets (an ESP3D board's) are found from its target by the protocol.
    pub targets: BTreeMap<String, String>,
    /// More endpoints by name (`esp3d-terminal` -> `ws://...`), dialled as given: they take the place of the
    /// ones a protocol finds from its target.
    pub endpoints: BTreeMap<String, String>,
    /// Every protocol's own options (its flags), by type: `options.get_mut::<Esp3dFlags>().esp3d_data = ...`.
    pub options: ProtocolOptions,
    /// The certificate `listen+tls://` targets serve (none given: a self-signed one).
    pub listen_identity: ListenIdentity,
    /// The control API of the simulator serving the targets (`http://127.0.0.1:7400/`), if they are one.
    pub control: Option<String>,
    /// The bearer token that control API requires, if it requires one (`--control-token` of the simulator).
    pub control_token: Option<String>,
    /// Reset the simulator behind `control` to its start state before each scenario (`--no-reset`: do not).
    pub reset: bool,
    /// How long a listening target waits for the device to connect, per connection.
    pub accept_wait: Duration,
    /// A cucumber tag expression selecting scenarios, e.g. `not @pi-hardware`.
    pub tags: Option<String>,
    /// Run `@motion` scenarios against external targets.
    pub allow_motion: bool,
    /// The simulator's seed (in-process runs).
    pub seed: u64,
    /// Scenarios run at once against the in-process simulator.
    pub concurrency: usize,
    /// A token for targets that need one (the pub/sub robot).
    pub token: Option<String>,
    /// Accept self-signed certificates from external targets.
    pub insecure_tls: bool,
    /// How the run shows its progress on stderr while it goes.
    pub progress: ProgressMode,
}

impl RunConfig {
    /// Every feature against in-process simulators, with the shipped features and schemas.
    pub fn simulator() -> RunConfig {
        RunConfig {
            features: default_features_dir(),
            schemas: crate::schema::default_dir().to_path_buf(),
            targets: BTreeMap::new(),
            endpoints: BTreeMap::new(),
            options: ProtocolOptions::default(),
            listen_identity: ListenIdentity::default(),
            control: None,
            control_token: None,
            reset: true,
            accept_wait: Duration::from_secs(30),
            tags: None,
            allow_motion: false,
            seed: 0,
            concurrency: 16,
            token: None,
            insecure_tls: false,
            progress: ProgressMode::Off,
        }
    }

    /// Whether the run is against external targets rather than in-process simulators.
    pub fn is_external(&self) -> bool {
        !self.targets.is_empty()
    }
}

/// The `features/` directory of this workspace.
pub fn default_features_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../features")).to_path_buf()
}

/// Whether `features_dir/<protocol>/` holds at least one `.feature` file.
pub fn has_features(features_dir: &Path, protocol: &str) -> bool {
    std::fs::read_dir(features_dir.join(protocol)).is_ok_and(|entries| {
        entries
            .filter_map(std::result::Result::ok)
            .any(|e| e.path().extension().is_some_and(|x| x == "feature"))
    })
}

/// Fails unless every target names a known protocol that has features.
fn check_protocols(config: &RunConfig) -> Result<()> {
    let known = protocol_names();
    for protocol in config.targets.keys() {
        if !known.contains(&protocol.as_str()) {
            return Err(Error::UnknownProtocol {
                name: protocol.clone(),
                known: known.join(", "),
            });
        }
        if !has_features(&config.features, protocol) {
            return Err(Error::NoFeatures {
                protocol: protocol.clone(),
                dir: config.features.clone(),
            });
        }
    }
    Ok(())
}

/// What every scenario of a run shares.
#[derive(Debug)]
pub struct RunContext {
    /// What was asked for.
    pub config: RunConfig,
    /// The shipped (or given) schemas.
    pub schemas: Schemas,
    /// What is under test.
    pub target: Arc<Target>,
    /// Targets that cannot be reached, by protocol, with the line that says so.
    unreachable: BTreeMap<String, String>,
    results: Mutex<Vec<ScenarioResult>>,
    progress: Arc<Progress>,
}

static ONE_RUN_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs the features and returns the report (one run at a time in a process: a second waits).
pub async fn run(config: RunConfig) -> Result<Report> {
    let _one_run = ONE_RUN_AT_A_TIME.lock().await;
    run_one_of_many(config).await
}

/// [`run`] beside other runs at once in the same process: for runs against many external targets.
pub async fn run_one_of_many(config: RunConfig) -> Result<Report> {
    let tags = parse_tags(config.tags.as_deref())?;
    check_protocols(&config)?;
    let schemas = Schemas::load(&config.schemas)?;
    let target = if config.is_external() {
        external_target(&config).await?
    } else {
        Target::in_process(config.seed)
    };
    let unreachable = target.unreachable().await;
    let progress = Arc::new(Progress::new(config.progress));
    let ctx = Arc::new(RunContext {
        config,
        schemas,
        target: Arc::new(target),
        unreachable,
        results: Mutex::new(Vec::new()),
        progress,
    });
    let ticker = ctx.progress.redraws().then(|| {
        let progress = ctx.progress.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(REDRAW).await;
                progress.redraw();
            }
        })
    });
    let unparsed = run_features(ctx.clone(), tags).await;
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    ctx.progress.done();
    Ok(ctx.report(unparsed))
}

/// The external target `config` names: its targets and each protocol's more sockets, and the control API.
async fn external_target(config: &RunConfig) -> Result<Target> {
    let mut named = config.targets.clone();
    named.extend(protocol_endpoints(&config.targets, &config.options).map_err(Error::BadTarget)?);
    named.extend(config.endpoints.clone());
    let control = config
        .control
        .as_deref()
        .map(|url| ControlApi::new(url, config.control_token.as_deref()))
        .transpose()?;
    Target::external(
        &named,
        &config.options,
        &config.listen_identity,
        control,
        config.reset,
        config.insecure_tls,
        config.accept_wait,
    )
    .await
}

fn parse_tags(expr: Option<&str>) -> Result<Option<TagOperation>> {
    expr.map(|expr| {
        expr.parse::<TagOperation>().map_err(|e| Error::BadTags {
            expr: expr.to_string(),
            reason: e.to_string(),
        })
    })
    .transpose()
}

/// Runs every feature file through cucumber, recording each scenario's verdict; returns how many feature
/// files could not be parsed.
async fn run_features(ctx: Arc<RunContext>, tags: Option<TagOperation>) -> usize {
    let concurrency = if ctx.target.is_external() {
        1
    } else {
        ctx.config.concurrency.max(1)
    };
    let features = ctx.config.features.clone();
    let (before_ctx, after_ctx, filter_ctx) = (ctx.clone(), ctx.clone(), ctx);
    let writer = Check::cucumber()
        .with_cli(cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty>::default())
        .max_concurrent_scenarios(concurrency)
        .before(move |feature, _rule, scenario, world| {
            before_ctx.progress.started(&scenario_name(feature, scenario));
            world.inject(before_ctx.clone()).boxed_local()
        })
        .after(move |feature, _rule, scenario, finished, world| {
            let ctx = after_ctx.clone();
            async move {
                let refused = world.as_ref().and_then(|w| w.refused().map(str::to_string));
                let not_begun = world.as_ref().and_then(|w| w.not_begun().map(str::to_string));
                let frames = world.as_ref().map(|w| w.conns.frames()).unwrap_or_default();
                if let Some(world) = world {
                    world.finish().await;
                }
                let outcome = match not_begun {
                    Some(reason) => Outcome::Failed(reason),
                    None => outcome_of(finished, refused),
                };
                ctx.progress.finished(&scenario_name(feature, scenario), &outcome);
                let frames = if matches!(outcome, Outcome::Failed(_)) {
                    frames
                } else {
                    Vec::new()
                };
                ctx.record(feature, scenario, outcome, frames);
            }
            .boxed_local()
        })
        .filter_run(features, move |feature, _rule, scenario| {
            match filter_ctx.decide(tags.as_ref(), feature, scenario) {
                None => {
                    filter_ctx.progress.selected();
                    true
                }
                Some(outcome) => {
                    filter_ctx.record(feature, scenario, outcome, Vec::new());
                    false
                }
            }
        })
        .await;
    writer.parsing_errors()
}

/// A finished scenario's outcome; a step refused for want of simulator control makes it a skip.
fn outcome_of(finished: &ScenarioFinished, refused: Option<String>) -> Outcome {
    match (finished, refused) {
        (ScenarioFinished::StepPassed, _) => Outcome::Passed,
        (ScenarioFinished::StepFailed(..), Some(reason)) => Outcome::Skipped(reason),
        (ScenarioFinished::StepSkipped, _) => Outcome::Failed("a step has no definition".into()),
        (ScenarioFinished::BeforeHookFailed(_), _) => Outcome::Failed("the before hook failed".into()),
        (ScenarioFinished::StepFailed(_, _, error), None) => Outcome::Failed(error.to_string()),
    }
}

/// How progress names a scenario: its feature, its name and line.
fn scenario_name(feature: &cucumber::gherkin::Feature, scenario: &cucumber::gherkin::Scenario) -> String {
    format!("{} / {} (line {})", feature.name, scenario.name, scenario.position.line)
}

impl RunContext {
    fn record(
        &self,
        feature: &cucumber::gherkin::Feature,
        scenario: &cucumber::gherkin::Scenario,
        outcome: Outcome,
        frames: Vec<Seen>,
    ) {
        let tags: Vec<String> = feature.tags.iter().chain(&scenario.tags).cloned().collect();
        let result = ScenarioResult {
            feature: feature.name.clone(),
            scenario: format!("{} (line {})", scenario.name, scenario.position.line),
            tags,
            outcome,
            frames,
        };
        if let Ok(mut results) = self.results.lock() {
            results.push(result);
        }
    }

    /// The outcome of a scenario that does not run against this target (skipped, or failed at once because
    /// its target cannot be reached), if it does not.
    fn decide(
        &self,
        tags: Option<&TagOperation>,
        feature: &cucumber::gherkin::Feature,
        scenario: &cucumber::gherkin::Scenario,
    ) -> Option<Outcome> {
        let all_tags: Vec<&String> = feature.tags.iter().chain(&scenario.tags).collect();
        if let Some(reason) = skip_reason(&self.config, &self.target, tags, &all_tags) {
            return Some(Outcome::Skipped(reason));
        }
        let protocol = PROTOCOLS.iter().find(|p| all_tags.iter().any(|t| *t == p.name))?;
        self.unreachable.get(protocol.name).cloned().map(Outcome::Failed)
    }

    /// The report: every verdict, in feature order, the rules, and what was under test.
    fn report(&self, unparsed: usize) -> Report {
        let mut results = self.results.lock().map(|r| r.clone()).unwrap_or_default();
        results.sort_by(|a, b| (&a.feature, &a.scenario).cmp(&(&b.feature, &b.scenario)));
        if unparsed > 0 {
            results.push(ScenarioResult {
                feature: "(features)".into(),
                scenario: format!("{unparsed} feature file(s) could not be parsed"),
                tags: Vec::new(),
                outcome: Outcome::Failed("see the parser's message above the report".into()),
                frames: Vec::new(),
            });
        }
        let mut notes = vec![self.target.describe()];
        if self.target.is_external() && self.config.insecure_tls {
            notes.push(
                "TLS certificate checking is relaxed (--insecure): the device's identity was not verified".into(),
            );
        }
        Report {
            results,
            rules: rules::load_all(&self.config.features),
            notes,
            unreachable: self.unreachable.values().cloned().collect(),
        }
    }
}

/// Why a scenario does not run against this target, if it does not.
fn skip_reason(
    config: &RunConfig,
    target: &Target,
    tags: Option<&TagOperation>,
    all_tags: &[&String],
) -> Option<String> {
    let has = |tag: &str| all_tags.iter().any(|t| *t == tag);
    if let Some(expr) = tags {
        if !expr.eval(all_tags.iter().map(|t| t.as_str())) {
            return Some("excluded by --tags".into());
        }
    }
    if !target.is_external() {
        return None;
    }
    let protocol = PROTOCOLS.iter().find(|p| has(p.name)).map(|p| p.name);
    match protocol {
        Some(protocol) if !target.serves(protocol) => Some(format!("no --target given for {protocol}")),
        None => Some("the feature names no protocol tag".into()),
        Some(_) if has("sim-only") && !target.has_control() => {
            Some("@sim-only: needs simulator control (forced faults, states or time): pass --control".into())
        }
        Some(_) if has("motion") && !config.allow_motion => {
            Some("@motion: moves real hardware; pass --allow-motion to run it".into())
        }
        Some(_) => None,
    }
}
