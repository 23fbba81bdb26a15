//! Runs the Gherkin features against a target: the in-process simulator (a fresh one per scenario, many
//! scenarios at once) or physical devices given by URL (one scenario at a time), filtering by tags and
//! target, and collecting every scenario's verdict into a `Report`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cucumber::World as _;
use cucumber::event::ScenarioFinished;
use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::writer::Stats as _;
use futures_util::FutureExt;

use crate::report::{Outcome, Report, ScenarioResult};
use crate::rules;
use crate::schema::Schemas;
use crate::steps::Check;

/// The device protocols the suite knows, by their tag and target name.
pub const PROTOCOLS: &[&str] = &["endrpi", "xarm", "pubsub", "esp3d", "obico"];

/// What to run, against what.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The `features/` directory.
    pub features: PathBuf,
    /// The JSON Schema directory.
    pub schemas: PathBuf,
    /// Physical targets by protocol (`endrpi` -> `ws://10.0.0.7:5000/`); empty = the in-process simulator.
    pub targets: BTreeMap<String, String>,
    /// A cucumber tag expression selecting scenarios, e.g. `not @pi-hardware`.
    pub tags: Option<String>,
    /// Run `@motion` scenarios against physical targets.
    pub allow_motion: bool,
    /// The simulator's seed (in-process runs).
    pub seed: u64,
    /// Scenarios run at once against the in-process simulator.
    pub concurrency: usize,
    /// A token for targets that need one (the pub/sub robot).
    pub token: Option<String>,
    /// Accept self-signed certificates from physical targets.
    pub insecure_tls: bool,
}

impl RunConfig {
    /// Every feature against in-process simulators, with the shipped features and schemas.
    pub fn simulator() -> RunConfig {
        RunConfig {
            features: default_features_dir(),
            schemas: crate::schema::default_dir().to_path_buf(),
            targets: BTreeMap::new(),
            tags: None,
            allow_motion: false,
            seed: 0,
            concurrency: 16,
            token: None,
            insecure_tls: false,
        }
    }

    /// Whether the run is against physical targets rather than the simulator.
    pub fn is_physical(&self) -> bool {
        !self.targets.is_empty()
    }
}

/// The `features/` directory of this workspace.
pub fn default_features_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../features")).to_path_buf()
}

/// What every scenario of a run shares.
#[derive(Debug)]
pub struct RunContext {
    pub config: RunConfig,
    pub schemas: Schemas,
    results: Mutex<Vec<ScenarioResult>>,
}

static CURRENT: Mutex<Option<Arc<RunContext>>> = Mutex::new(None);
static ONE_RUN_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The context of the run in progress (cucumber builds worlds without arguments).
pub fn current() -> Option<Arc<RunContext>> {
    CURRENT.lock().ok().and_then(|guard| guard.clone())
}

/// Runs the features and returns the report.
pub async fn run(config: RunConfig) -> Result<Report, String> {
    let _one_run = ONE_RUN_AT_A_TIME.lock().await;
    let tags: Option<TagOperation> = match &config.tags {
        Some(expr) => Some(
            expr.parse()
                .map_err(|e| format!("bad --tags expression `{expr}`: {e}"))?,
        ),
        None => None,
    };
    let schemas = Schemas::load(&config.schemas)?;
    let rules = rules::load_all(&config.features);
    let concurrency = if config.is_physical() {
        1
    } else {
        config.concurrency.max(1)
    };
    let features = config.features.clone();
    let ctx = Arc::new(RunContext {
        config,
        schemas,
        results: Mutex::new(Vec::new()),
    });
    if let Ok(mut current) = CURRENT.lock() {
        *current = Some(ctx.clone());
    }

    let filter_ctx = ctx.clone();
    let after_ctx = ctx.clone();
    let writer = Check::cucumber()
        .with_cli(cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty>::default())
        .max_concurrent_scenarios(concurrency)
        .after(move |feature, _rule, scenario, finished, world| {
            let ctx = after_ctx.clone();
            async move {
                if let Some(world) = world {
                    world.finish().await;
                }
                let outcome = match finished {
                    ScenarioFinished::StepPassed => Outcome::Passed,
                    ScenarioFinished::StepSkipped => Outcome::Failed("a step has no definition".into()),
                    ScenarioFinished::BeforeHookFailed(_) => Outcome::Failed("the before hook failed".into()),
                    ScenarioFinished::StepFailed(_, _, error) => Outcome::Failed(error.to_string()),
                };
                ctx.record(feature, scenario, outcome);
            }
            .boxed_local()
        })
        .filter_run(features, move |feature, _rule, scenario| {
            match skip_reason(&filter_ctx.config, tags.as_ref(), feature, scenario) {
                None => true,
                Some(reason) => {
                    filter_ctx.record(feature, scenario, Outcome::Skipped(reason));
                    false
                }
            }
        })
        .await;
    let unparsed = writer.parsing_errors();

    if let Ok(mut current) = CURRENT.lock() {
        *current = None;
    }
    let mut results = ctx.results.lock().map(|r| r.clone()).unwrap_or_default();
    results.sort_by(|a, b| (&a.feature, &a.scenario).cmp(&(&b.feature, &b.scenario)));
    if unparsed > 0 {
        results.push(ScenarioResult {
            feature: "(features)".into(),
            scenario: format!("{unparsed} feature file(s) could not be parsed"),
            tags: Vec::new(),
            outcome: Outcome::Failed("see the parser's message above the report".into()),
        });
    }
    let mut notes = Vec::new();
    if ctx.config.is_physical() {
        let targets: Vec<String> = ctx
            .config
            .targets
            .iter()
            .map(|(p, u)| format!("{p}={}", crate::client::redact(u)))
            .collect();
        notes.push(format!("target: {} (one scenario at a time)", targets.join(", ")));
        if ctx.config.insecure_tls {
            notes.push(
                "TLS certificate checking is relaxed (--insecure): the device's identity was not verified".into(),
            );
        }
    } else {
        notes.push(format!(
            "target: in-process simulator, seed {}, a fresh simulator per scenario",
            ctx.config.seed
        ));
    }
    Ok(Report { results, rules, notes })
}

impl RunContext {
    fn record(&self, feature: &cucumber::gherkin::Feature, scenario: &cucumber::gherkin::Scenario, outcome: Outcome) {
        let tags: Vec<String> = feature.tags.iter().chain(&scenario.tags).cloned().collect();
        let result = ScenarioResult {
            feature: feature.name.clone(),
            scenario: format!("{} (line {})", scenario.name, scenario.position.line),
            tags,
            outcome,
        };
        if let Ok(mut results) = self.results.lock() {
            results.push(result);
        }
    }
}

/// Why a scenario does not run against this target, if it does not.
fn skip_reason(
    config: &RunConfig,
    tags: Option<&TagOperation>,
    feature: &cucumber::gherkin::Feature,
    scenario: &cucumber::gherkin::Scenario,
) -> Option<String> {
    let all_tags: Vec<&String> = feature.tags.iter().chain(&scenario.tags).collect();
    let has = |tag: &str| all_tags.iter().any(|t| *t == tag);
    if let Some(expr) = tags {
        if !expr.eval(all_tags.iter().map(|t| t.as_str())) {
            return Some("excluded by --tags".into());
        }
    }
    if !config.is_physical() {
        return None;
    }
    let protocol = PROTOCOLS.iter().find(|p| has(p));
    match protocol {
        Some(protocol) if !config.targets.contains_key(*protocol) => Some(format!("no --target given for {protocol}")),
        None => Some("the feature names no protocol tag".into()),
        Some(_) if has("sim-only") => Some("@sim-only: needs simulator control (forced faults, states or time)".into()),
        Some(_) if has("motion") && !config.allow_motion => {
            Some("@motion: moves real hardware; pass --allow-motion to run it".into())
        }
        Some(_) => None,
    }
}
