//! Runs every feature against in-process simulators (a fresh one per scenario, on free ports, many at once)
//! and fails unless every scenario passes and every listed rule was checked.

use understudy_conformance::report::RuleStatus;
use understudy_conformance::runner::{self, RunConfig};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let report = match runner::run(RunConfig::simulator()).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("conformance run failed to start: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    print!("{}", report.console());
    let unchecked: Vec<String> = report
        .rule_statuses()
        .into_iter()
        .filter(|(_, status)| *status == RuleStatus::NotChecked)
        .map(|(id, _)| id)
        .collect();
    if !unchecked.is_empty() {
        eprintln!(
            "rules no scenario checks against the simulator: {}",
            unchecked.join(", ")
        );
        return std::process::ExitCode::FAILURE;
    }
    if report.has_failures() || report.counts().0 == 0 {
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
