//! The tools this build ships. A tool is listed here only once it works; `rkafka --help`,
//! completions, man pages and `bin/` wrappers are all derived from this list.

use super::{Tool, dump_log};

/// Every implemented tool, in the order `rkafka --help` lists them.
pub static TOOLS: &[Tool] = &[Tool {
    name: "dump-log",
    script: "kafka-dump-log.sh",
    command: dump_log::command,
    run: dump_log::run,
    host_list_options: &[],
    renamed_options: &[],
}];
