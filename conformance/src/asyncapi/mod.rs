//! `understudy-check export asyncapi --out DIR`: one AsyncAPI 3.0 document per protocol, each built from the
//! protocol's own description (`Protocol::asyncapi`) and the suite's schemas, rules and snapshots.

mod document;
pub mod spec;

use std::path::{Path, PathBuf};

use serde_json::Value;

pub use document::{Sources, document};

use crate::error::{Error, Result};
use crate::steps::PROTOCOLS;

/// Export the suite's protocols as documents other tools read.
#[derive(Debug, clap::Parser)]
#[command(name = "understudy-check export", version)]
pub struct ExportArgs {
    /// What to export.
    pub format: Format,
    /// The directory to write into (made if missing): one `<protocol>.json` per protocol.
    #[arg(long)]
    pub out: PathBuf,
    /// The JSON Schema directory.
    #[arg(long, default_value_os_t = crate::schema::default_dir().to_path_buf())]
    pub schemas: PathBuf,
    /// The features directory (each protocol's RULES.md).
    #[arg(long, default_value_os_t = crate::runner::default_features_dir())]
    pub features: PathBuf,
    /// The snapshots directory (the examples).
    #[arg(long, default_value_os_t = default_snapshots_dir())]
    pub snapshots: PathBuf,
}

/// The export formats.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// AsyncAPI 3.0, one JSON document per protocol.
    Asyncapi,
}

/// The `snapshots/` directory of this workspace.
pub fn default_snapshots_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots")).to_path_buf()
}

impl Sources {
    /// The suite's own files, where this workspace keeps them.
    pub fn shipped() -> Sources {
        Sources {
            schemas: crate::schema::default_dir().to_path_buf(),
            features: crate::runner::default_features_dir(),
            snapshots: default_snapshots_dir(),
        }
    }
}

/// Every protocol's document, by protocol name, in protocol order (a protocol without a description has none).
pub fn documents(sources: &Sources) -> Result<Vec<(&'static str, Value)>> {
    PROTOCOLS
        .iter()
        .filter_map(|p| p.asyncapi.map(|spec| (p.name, spec)))
        .map(|(name, spec)| -> Result<(&'static str, Value)> { Ok((name, document(name, &spec(), sources)?)) })
        .collect()
}

/// The text a document is written as (pretty JSON, a final newline).
pub fn text(document: &Value) -> String {
    let mut text = serde_json::to_string_pretty(document).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes every document into `out` as `<protocol>.json`; returns the files written.
pub fn write(out: &Path, sources: &Sources) -> Result<Vec<PathBuf>> {
    let failed = |path: &Path, e: std::io::Error| Error::SuiteFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(out).map_err(|e| failed(out, e))?;
    let mut written = Vec::new();
    for (name, document) in documents(sources)? {
        let path = out.join(format!("{name}.json"));
        std::fs::write(&path, text(&document)).map_err(|e| failed(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

/// The `export` verb: arguments after `understudy-check`; the exit code (0 written, 2 usage or a suite file).
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    use clap::Parser as _;
    let args = match ExportArgs::try_parse_from(args) {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { 2 } else { 0 };
        }
    };
    let Format::Asyncapi = args.format;
    let sources = Sources {
        schemas: args.schemas,
        features: args.features,
        snapshots: args.snapshots,
    };
    match write(&args.out, &sources) {
        Ok(files) => {
            for file in files {
                println!("{}", file.display());
            }
            0
        }
        Err(error) => {
            eprintln!("understudy-check export: {error}");
            2
        }
    }
}
