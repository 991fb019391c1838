//! The one error type of the configuration layer, and where a value came from.
//!
//! Every message names the file and line (or `--override`), the key, the bad value and what
//! would have been accepted, because the user's only way to fix a config error is to find the
//! line and know what to write there instead.

use std::fmt;
use std::path::PathBuf;

/// Where a resolved value came from; also the "where" of a bad value in an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The key table's default; nothing set it.
    Default,
    /// A line of a properties file (1-based line where the entry started).
    File { path: PathBuf, line: usize },
    /// A `--override key=value` on the command line.
    Override,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File { path, line } => write!(f, "{}:{line}", path.display()),
            Source::Override => f.write_str("--override"),
        }
    }
}

/// A configuration file or override that cannot be used. Maps to exit code 2 (usage).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file's bytes are not UTF-8 (we read UTF-8; see `properties` for why).
    #[error("{}:{line}: not valid UTF-8 (rkafka reads configuration files as UTF-8)", path.display())]
    NotUtf8 { path: PathBuf, line: usize },
    /// A line breaks the `.properties` syntax (a malformed `\uXXXX` escape, a lone surrogate).
    #[error("{}:{line}: {problem}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        problem: String,
    },
    /// A value that does not parse as its key's type or fails its validator (boxed: it is
    /// the largest variant and errors travel by value).
    #[error("{0}")]
    BadValue(Box<BadValue>),
    /// A key with no default that nothing set.
    #[error("{}: {key}: no value given and there is no default; set it in the file or with --override {key}=...", path.display())]
    Missing { path: PathBuf, key: String },
    /// A `--override` argument that is not `key=value`.
    #[error("bad --override '{text}': {problem}")]
    BadOverride { text: String, problem: String },
    /// A key this table recognises but rkafka refuses (e.g. `server.N` on the coordinator).
    #[error("{at}: {key}: {message}")]
    Unsupported {
        at: Source,
        key: String,
        message: String,
    },
}

/// The details of [`ConfigError::BadValue`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {key}: '{value}' {problem} (expected {expected})")]
pub struct BadValue {
    pub at: Source,
    pub key: String,
    /// The value as written (passwords are shown as `[hidden]`).
    pub value: String,
    /// What is wrong, e.g. "is not a valid int".
    pub problem: String,
    /// What would be accepted, e.g. "an integer in [1, 2147483647]".
    pub expected: String,
}

impl ConfigError {
    /// A [`ConfigError::BadValue`].
    pub fn bad_value(
        at: Source,
        key: impl Into<String>,
        value: impl Into<String>,
        problem: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        ConfigError::BadValue(Box::new(BadValue {
            at,
            key: key.into(),
            value: value.into(),
            problem: problem.into(),
            expected: expected.into(),
        }))
    }
}
