//! The tools this build ships. A tool is listed here only once it works; `rkafka --help`,
//! completions, man pages and `bin/` wrappers are all derived from this list.

use super::Tool;

/// Every implemented tool, in the order `rkafka --help` lists them.
pub static TOOLS: &[Tool] = &[];
