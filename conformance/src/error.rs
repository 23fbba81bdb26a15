//! The one error type of the conformance library's public functions: a run that cannot start, schemas that
//! cannot load, a target that cannot be reached or driven, and the wire failures of the small clients.

use std::path::PathBuf;

/// Why a conformance function failed. Step definitions turn it into their failure text (`String`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `--tags` expression does not parse.
    #[error("bad --tags expression `{expr}`: {reason}")]
    BadTags { expr: String, reason: String },
    /// A target names a protocol the checker does not know.
    #[error("unknown protocol {name} (known: {known})")]
    UnknownProtocol { name: String, known: String },
    /// A protocol the run needs has no feature file.
    #[error("the {protocol} protocol has no features in {}", dir.display())]
    NoFeatures { protocol: String, dir: PathBuf },
    /// A target's address is not one the checker can use.
    #[error("{0}")]
    BadTarget(String),
    /// A file of the suite (schemas, features) cannot be read or parsed.
    #[error("{}: {reason}", path.display())]
    SuiteFile { path: PathBuf, reason: String },
    /// No schema has this name.
    #[error("no schema named {0}")]
    NoSchema(String),
    /// A message does not match its schema: the schema, its rule, each failing JSON path, the message.
    #[error("message does not match schema {schema}{rule}: {problems}\n  message: {message}")]
    Schema {
        schema: String,
        rule: String,
        problems: String,
        message: String,
    },
    /// Setting up TLS failed (no roots, an unreadable certificate file).
    #[error("{0}")]
    Tls(String),
    /// A connection, request or frame failed on the wire (the text never holds a token).
    #[error("{0}")]
    Wire(String),
    /// The step needs simulator control (a control command, the virtual clock, the simulator's files) that
    /// this target does not offer.
    #[error("needs the {needs}: {what} is not possible against {target}")]
    NeedsSimulator {
        needs: &'static str,
        what: String,
        target: String,
    },
    /// The in-process simulator failed to start or refused a command.
    #[error("the simulator: {0}")]
    Simulator(String),
    /// A simulator's control API refused a request or answered something unreadable.
    #[error("the control API answered {status} to {request}: {body}")]
    Control { request: String, status: u16, body: String },
    /// A listening target could not bind its address.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        #[source]
        source: std::io::Error,
    },
}

impl From<Error> for String {
    fn from(error: Error) -> String {
        error.to_string()
    }
}

/// The result of the conformance library's public functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;
