//! The errors a tool reports to its user, and the exit code each one maps to.
//!
//! Modules keep their own typed errors; they are converted into [`Error`] once, at the edge of
//! a tool's `run`. Kafka's protocol error codes are not here: they live in the protocol module.

use std::path::PathBuf;

/// Process exit codes, as Kafka's scripts and our README document them.
pub mod exit {
    /// The tool did what it was asked.
    pub const OK: u8 = 0;
    /// The tool ran but failed (a broker refused, a file was corrupt, ...).
    pub const FAILURE: u8 = 1;
    /// The command line or a configuration file was wrong; nothing was done.
    pub const USAGE: u8 = 2;
}

/// An error that ends a tool.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flags or arguments, found after clap's own checks (e.g. "exactly one action").
    #[error("{0}")]
    Usage(String),
    /// A file or directory could not be used.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing to stdout or stderr failed; a closed pipe is not reported (see [`Error::exit_code`]).
    #[error("cannot write output: {0}")]
    Output(#[source] std::io::Error),
    /// A configuration file or `--override` was wrong (names file, line, key and value).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// Anything else that made the tool fail, already worded for the user.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    /// The process exit code for this error: 2 for usage and configuration, 0 for a broken
    /// pipe on stdout (the reader went away, as with `| head`), 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Config(_) => exit::USAGE,
            Error::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
            _ => exit::FAILURE,
        }
    }

    /// Whether the error should be printed at all (a broken pipe is silent).
    pub fn is_silent(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result of a tool's `run`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
