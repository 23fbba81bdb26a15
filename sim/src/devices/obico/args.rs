//! Command-line flags of the Obico agents: the server to dial (off without one), the tokens, the CA to
//! trust, a G-code file to print once connected, and the fleet's size and connect stagger.

use std::path::PathBuf;

use super::ObicoOptions;
use crate::devices::DeviceFlags;
use crate::serve::SimConfig;

/// Flags of the simulated Obico agents (OctoPrint-Obico 2.6.1 in OctoPrint 1.11.8 on a Marlin printer).
#[derive(Clone, Debug, clap::Args)]
pub struct ObicoArgs {
    /// Obico: the server's endpoint prefix (http:// or https://, as the plugin's endpoint_prefix); the
    /// agents dial out only when it is given.
    #[arg(long, value_name = "URL")]
    pub obico_server: Option<String>,
    /// Obico: the printer's auth token; with several agents a pattern where `{n}` is the agent's number
    /// (1..N), e.g. `tok-{n}`.
    #[arg(long, value_name = "TOKEN", conflicts_with = "obico_token_file")]
    pub obico_token: Option<String>,
    /// Obico: a file of tokens, one a line (blank lines skipped), one per agent in order.
    #[arg(long, value_name = "PATH")]
    pub obico_token_file: Option<PathBuf>,
    /// Obico: trust only the certificates in this PEM file for https/wss (default: the system's roots).
    #[arg(long, value_name = "PEM")]
    pub obico_ca: Option<PathBuf>,
    /// Obico: a G-code file put on each printer's card and printed once its agent is connected.
    #[arg(long, value_name = "FILE")]
    pub obico_print: Option<PathBuf>,
    /// Obico: how many agents to run, each with its own printer, seed stream and token.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub obico_agents: u32,
    /// Obico: sim milliseconds between two agents' starts (agent n starts at (n-1) x this).
    #[arg(long, value_name = "MS", default_value_t = super::DEFAULT_STAGGER_MS)]
    pub obico_stagger_ms: u64,
}

impl DeviceFlags for ObicoArgs {
    fn apply(&self, config: &mut SimConfig) {
        config.devices.set(ObicoOptions {
            server: self.obico_server.clone(),
            token: self.obico_token.clone(),
            token_file: self.obico_token_file.clone(),
            ca: self.obico_ca.clone(),
            print: self.obico_print.clone(),
            agents: self.obico_agents,
            stagger_ms: self.obico_stagger_ms,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::Cli;
    use crate::devices::obico::ObicoOptions;

    #[test]
    fn flags_become_the_options_and_bad_combinations_are_refused() {
        let argv = [
            "understudy-sim",
            "--obico-server",
            "http://127.0.0.1:3334",
            "--obico-token",
            "tok-{n}",
            "--obico-agents",
            "3",
        ];
        let options = Cli::parse_from(argv).config().devices.get::<ObicoOptions>();
        assert_eq!(options.server.as_deref(), Some("http://127.0.0.1:3334"));
        assert_eq!(
            (options.agents, options.stagger_ms),
            (3, super::super::DEFAULT_STAGGER_MS)
        );
        assert!(!format!("{options:?}").contains("tok-"), "the token is redacted");
        let both = ["understudy-sim", "--obico-token", "a", "--obico-token-file", "f"];
        assert!(Cli::try_parse_from(both).is_err());
        assert!(Cli::try_parse_from(["understudy-sim", "--obico-agents", "0"]).is_err());
        let off = Cli::parse_from(["understudy-sim"])
            .config()
            .devices
            .get::<ObicoOptions>();
        assert!(off.server.is_none());
    }
}
