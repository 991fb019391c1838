//! The multi-call front door: which tool runs, with which arguments, and how its result becomes
//! an exit code.
//!
//! A tool is picked from argv[0] (the longest known tool name at the end of the program name,
//! so `kafka-topics.sh`, `kafka-topics` and `rkafka-topics` all pick `topics`) or, when the
//! binary runs as `rkafka`, from argv[1]. Each tool module holds only its clap definition and a
//! `run`; Kafka's command-line habits are applied to every tool by [`args::normalize`].

pub mod args;
pub mod broker_api_versions;
pub mod console_consumer;
pub mod console_producer;
pub mod consumer_groups;
pub mod consumer_perf_test;
pub mod docs;
pub mod dump_log;
pub mod producer_perf_test;
mod registry;
pub mod server_start;
pub mod standalone;
pub mod topics;
pub mod zookeeper_server;
pub mod zookeeper_shell;

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::process::ExitCode;

use crate::error::{Error, exit};
pub use registry::TOOLS;

/// One tool of the multi-call binary.
#[derive(Debug)]
pub struct Tool {
    /// The name after `rkafka` (`topics`); also what argv[0] must end with.
    pub name: &'static str,
    /// The Kafka script this tool replaces (`kafka-topics.sh`); empty for rkafka's own tools,
    /// which get no `bin/` wrapper.
    pub script: &'static str,
    /// The tool's clap definition (flags and help); its name is set by the dispatcher.
    pub command: fn() -> clap::Command,
    /// Runs the tool on parsed arguments.
    pub run: fn(&clap::ArgMatches) -> Result<(), Error>,
    /// Long options whose value is a host list, which operators may also separate by spaces.
    pub host_list_options: &'static [&'static str],
    /// Old spellings Kafka still accepted, translated with a note on stderr.
    pub renamed_options: &'static [RenamedOption],
    /// A long-running server: logs at `info` with timestamps instead of a tool's `warn`.
    pub server: bool,
}

/// An option spelling that Kafka deprecated but still accepted.
#[derive(Debug)]
pub struct RenamedOption {
    pub old: &'static str,
    pub new: &'static str,
}

/// Finds the tool a program name stands for: the longest tool name that the base name (without
/// `.sh`) equals or ends with after a `-`.
pub fn tool_for_program(program: &OsStr) -> Option<&'static Tool> {
    let path = std::path::Path::new(program);
    let base = path.file_name()?.to_str()?;
    let base = base.strip_suffix(".sh").unwrap_or(base);
    TOOLS
        .iter()
        .filter(|t| {
            base == t.name
                || base
                    .strip_suffix(t.name)
                    .is_some_and(|prefix| prefix.ends_with('-'))
        })
        .max_by_key(|t| t.name.len())
}

/// The top-level `rkafka` command: global help, version and the list of tools. Used for
/// `rkafka --help`, completions and the `rkafka(1)` man page.
pub fn top_command() -> clap::Command {
    let mut cmd = clap::Command::new("rkafka")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Apache Kafka's operator tools, coordinator and broker in one binary")
        .long_about(
            "rkafka replaces Apache Kafka's ZooKeeper-era operator suite with one binary. \
             Run a tool as `rkafka TOOL ...`, or through a link named like Kafka's script \
             (bin/kafka-topics.sh), which runs the same tool with the same flags.",
        )
        .subcommand_value_name("TOOL")
        .subcommand_help_heading("Tools")
        .disable_help_subcommand(true)
        .arg_required_else_help(true);
    for tool in TOOLS {
        cmd = cmd.subcommand(tool_command(tool, tool.name));
    }
    cmd
}

/// A tool's clap command, named for how it was invoked.
pub fn tool_command(tool: &Tool, bin_name: &str) -> clap::Command {
    let cmd = (tool.command)()
        .name(tool.name)
        .bin_name(bin_name.to_string())
        .version(env!("CARGO_PKG_VERSION"));
    let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
    if tool.script.is_empty() {
        return cmd;
    }
    cmd.about(format!("{about} [{}]", tool.script))
}

/// Runs the binary with these arguments (argv[0] included) and returns the exit code.
pub fn main_with(args: Vec<OsString>) -> ExitCode {
    let program = args.first().cloned().unwrap_or_else(|| "rkafka".into());
    let (tool, bin_name, tool_args) = match tool_for_program(&program) {
        Some(tool) => {
            let shown = std::path::Path::new(&program)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| tool.script.to_string());
            (tool, shown, args)
        }
        None => match args.get(1).and_then(|a| tool_named(a)) {
            Some(tool) => {
                let mut rest = vec![OsString::from(format!("rkafka {}", tool.name))];
                rest.extend(args.into_iter().skip(2));
                (tool, format!("rkafka {}", tool.name), rest)
            }
            None => return run_top(args),
        },
    };
    run_tool(tool, &bin_name, tool_args)
}

/// A tool named on the command line: `topics`, or a script name such as `kafka-topics.sh`.
fn tool_named(arg: &OsStr) -> Option<&'static Tool> {
    let name = arg.to_str()?;
    TOOLS
        .iter()
        .find(|t| t.name == name)
        .or_else(|| tool_for_program(arg))
}

fn run_top(args: Vec<OsString>) -> ExitCode {
    let mut cmd = top_command();
    // An unknown tool: clap's own "unrecognized subcommand" error names it and exits 2.
    match cmd.try_get_matches_from_mut(args) {
        Ok(_) => {
            // `rkafka` with no tool: clap printed help because of arg_required_else_help.
            ExitCode::from(exit::USAGE)
        }
        Err(e) => report_clap(e),
    }
}

fn run_tool(tool: &Tool, bin_name: &str, args: Vec<OsString>) -> ExitCode {
    let mut cmd = tool_command(tool, bin_name);
    let normalized = args::normalize(&args, &cmd, tool);
    for note in &normalized.notes {
        let _ = writeln!(std::io::stderr(), "{bin_name}: note: {note}");
    }
    let matches = match cmd.try_get_matches_from_mut(normalized.args) {
        Ok(m) => m,
        Err(e) => return report_clap(e),
    };
    if tool.server {
        crate::logging::init_for_daemon();
    } else {
        crate::logging::init_for_tool();
    }
    match (tool.run)(&matches) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => {
            if !e.is_silent() {
                let _ = writeln!(std::io::stderr(), "{bin_name}: error: {}", chain(&e));
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// Prints a clap outcome (help, version or a usage error) and maps it to our exit codes.
fn report_clap(e: clap::Error) -> ExitCode {
    let _ = e.print();
    match e.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
            ExitCode::from(exit::OK)
        }
        _ => ExitCode::from(exit::USAGE),
    }
}

/// An error followed by its causes, `: `-separated, skipping causes already in the message.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
        source = cause.source();
    }
    text
}
