//! `rkafka consumer-groups` (`kafka-consumer-groups.sh`, Kafka's ConsumerGroupCommand): lists,
//! describes, deletes consumer groups, resets and deletes their committed offsets.
//!
//! This file holds the flags, Kafka's checks of their combinations and the step from flags to
//! [`Settings`]. The work is in [`service`] (admin calls through
//! [`crate::client::group_admin`]); the printed text in [`format`]; reset planning in
//! [`plan`]; the rows of the offsets view in [`rows`]. Text and exit codes are Kafka's: a
//! refused combination of flags prints Kafka's message and exits 1; a failure while running
//! prints "Error: ..." on stdout and exits 0, as Kafka's tool does. `--output json` and `--describe --watch` are rkafka's own.

mod format;
mod plan;
mod rows;
mod service;

use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches};

use crate::error::Error;

const ABOUT: &str = "List, describe, delete consumer groups, or reset their offsets";

const LONG_ABOUT: &str = "\
This tool helps to list all consumer groups, describe a consumer group, delete consumer group \
info, or reset consumer group offsets. Exactly one action is given: --list, --describe, \
--delete, --reset-offsets or --delete-offsets.

It speaks Kafka's admin protocol (ListGroups to every broker; FindCoordinator, then \
DescribeGroups, OffsetFetch, OffsetCommit, DeleteGroups and OffsetDelete to the group's \
coordinator; ListOffsets to partition leaders) to rkafka's brokers and Kafka's alike. Output \
is Kafka's text; --output json prints the same data as one JSON document. --describe --watch \
SECONDS redraws the offsets table every SECONDS with a LAG/S column (the change of each \
partition's lag per second).

Destructive actions (--delete, --delete-offsets, --reset-offsets --execute) ask for \
confirmation when stdin is a terminal; in scripts they run without asking.";

/// The flags of `consumer-groups`, as Kafka's ConsumerGroupCommand names them.
#[derive(Debug, clap::Parser)]
#[command(about = ABOUT, long_about = LONG_ABOUT)]
pub struct ConsumerGroupsArgs {
    /// REQUIRED: The server(s) to connect to.
    #[arg(long, value_name = "server to connect to")]
    pub bootstrap_server: Option<String>,

    /// The consumer group we wish to act on (repeatable).
    #[arg(long, value_name = "consumer group")]
    pub group: Vec<String>,

    /// The topic whose consumer group information should be deleted or topic whose should be
    /// included in the reset offset process. In `reset-offsets` case, partitions can be
    /// specified using this format: `topic1:0,1,2`, where 0,1,2 are the partition to be
    /// included in the process. Reset-offsets also supports multiple topic inputs.
    #[arg(long, value_name = "topic")]
    pub topic: Vec<String>,

    /// Consider all topics assigned to a group in the `reset-offsets` process.
    #[arg(long)]
    pub all_topics: bool,

    /// List all consumer groups.
    #[arg(long)]
    pub list: bool,

    /// Describe consumer group and list offset lag (number of messages not yet processed)
    /// related to given group.
    #[arg(long)]
    pub describe: bool,

    /// Apply to all consumer groups.
    #[arg(long)]
    pub all_groups: bool,

    /// Pass in groups to delete topic partition offsets and ownership information over the
    /// entire consumer group. For instance --group g1 --group g2
    #[arg(long)]
    pub delete: bool,

    /// The timeout that can be set for some use cases. For example, it can be used when
    /// describing the group to specify the maximum amount of time in milliseconds to wait
    /// before the group stabilizes.
    #[arg(long, value_name = "timeout (ms)", default_value_t = 5000)]
    pub timeout: u64,

    /// Property file containing configs to be passed to Admin Client and Consumer.
    #[arg(long, value_name = "command config property file")]
    pub command_config: Option<PathBuf>,

    /// Reset offsets of consumer group. Supports one consumer group at the time, and
    /// instances should be inactive. Has 2 execution options: --dry-run (the default) to plan
    /// which offsets to reset, and --execute to update the offsets. Additionally, the
    /// --export option is used to export the results to a CSV format. You must choose one of
    /// the following reset specifications: --to-datetime, --by-duration, --to-earliest,
    /// --to-latest, --shift-by, --from-file, --to-current, --to-offset. To define the scope
    /// use --all-topics or --topic. One scope must be specified unless you use '--from-file'.
    #[arg(long)]
    pub reset_offsets: bool,

    /// Delete offsets of consumer group. Supports one consumer group at the time, and
    /// multiple topics.
    #[arg(long)]
    pub delete_offsets: bool,

    /// Only show results without executing changes on Consumer Groups. Supported operations:
    /// reset-offsets.
    #[arg(long)]
    pub dry_run: bool,

    /// Execute operation. Supported operations: reset-offsets.
    #[arg(long)]
    pub execute: bool,

    /// Export operation execution to a CSV file. Supported operations: reset-offsets.
    #[arg(long)]
    pub export: bool,

    /// Reset offsets to a specific offset.
    #[arg(long, value_name = "offset", allow_negative_numbers = true)]
    pub to_offset: Option<i64>,

    /// Reset offsets to values defined in CSV file.
    #[arg(long, value_name = "path to CSV file")]
    pub from_file: Option<PathBuf>,

    /// Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'
    #[arg(long, value_name = "datetime")]
    pub to_datetime: Option<String>,

    /// Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'
    #[arg(long, value_name = "duration")]
    pub by_duration: Option<String>,

    /// Reset offsets to earliest offset.
    #[arg(long)]
    pub to_earliest: bool,

    /// Reset offsets to latest offset.
    #[arg(long)]
    pub to_latest: bool,

    /// Reset offsets to current offset.
    #[arg(long)]
    pub to_current: bool,

    /// Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.
    #[arg(long, value_name = "number-of-offsets", allow_negative_numbers = true)]
    pub shift_by: Option<i64>,

    /// Describe members of the group. This option may be used with '--describe' and
    /// '--bootstrap-server' options only.
    #[arg(long)]
    pub members: bool,

    /// Provide additional information, if any, when describing the group. This option may be
    /// used with '--offsets'/'--members'/'--state' and '--bootstrap-server' options only.
    #[arg(long)]
    pub verbose: bool,

    /// Describe the group and list all topic partitions in the group along with their offset
    /// lag. This is the default sub-action of and may be used with '--describe' and
    /// '--bootstrap-server' options only.
    #[arg(long)]
    pub offsets: bool,

    /// When specified with '--describe', includes the state of the group. When specified with
    /// '--list', it displays the state of all groups. It can also be used to list groups with
    /// specific states (--list --state stable,empty).
    #[arg(long, value_name = "states", num_args = 0..=1, default_missing_value = "")]
    pub state: Option<String>,

    /// With --describe: redraw the offsets table every SECONDS, with each partition's lag
    /// change per second (rkafka's own).
    #[arg(long, value_name = "SECONDS")]
    pub watch: Option<u64>,

    /// Output format: Kafka's text, or one JSON document (rkafka's own)
    #[arg(long, value_enum, value_name = "format", default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Kafka's text, line for line
    Text,
    /// One JSON document
    Json,
}

/// The clap command of the tool.
pub fn command() -> clap::Command {
    ConsumerGroupsArgs::command()
}

/// Which groups an action applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Groups {
    All,
    /// As given, duplicates kept (Kafka keeps them too; results are keyed by group).
    Named(Vec<String>),
}

/// What `--describe` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Offsets,
    Members,
    State,
}

/// The reset scenario as given (parsed when run, where Kafka reports parse errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioArg {
    ToEarliest,
    ToLatest,
    ToCurrent,
    ToOffset(i64),
    ShiftBy(i64),
    ToDatetime(String),
    ByDuration(String),
    FromFile(PathBuf),
}

/// Where a reset applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    AllTopics,
    Topics(Vec<String>),
    /// Only with --from-file: the file names the partitions.
    FromFile,
}

/// One action with its resolved arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    List {
        /// None: plain list; Some(empty): with states; Some(list): only these states.
        states: Option<Vec<String>>,
    },
    Describe {
        groups: Groups,
        view: View,
        verbose: bool,
        watch: Option<u64>,
    },
    Delete {
        groups: Groups,
    },
    ResetOffsets {
        groups: Groups,
        scope: Scope,
        scenario: ScenarioArg,
        execute: bool,
        export: bool,
    },
    DeleteOffsets {
        group: String,
        topics: Vec<String>,
    },
}

/// Everything the tool needs, resolved from the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub bootstrap_server: String,
    pub command_config: Option<PathBuf>,
    pub timeout_ms: u64,
    pub action: Action,
    pub format: OutputFormat,
    /// Notes Kafka prints on stderr before running (the missing --execute warning).
    pub notes: Vec<String>,
}

/// Kafka's states of consumer groups, as `--list --state` accepts them.
const VALID_STATES: &[&str] = &[
    "Stable",
    "PreparingRebalance",
    "CompletingRebalance",
    "Empty",
    "Dead",
    "Assigning",
    "Reconciling",
];

/// Kafka's warning when --reset-offsets has neither --dry-run nor --execute.
const NO_EXECUTE_WARNING: &str = "WARN: No action will be performed as the --execute option is missing. \
In version 5.0, this command will require either --dry-run or --execute to be specified. You should add \
the --dry-run option explicitly if you are scripting this command and want to keep the current default \
behavior without prompting.";

/// A refused combination: Kafka prints the message (and its usage) and exits 1.
fn refuse(message: impl Into<String>) -> Error {
    Error::Failed(message.into())
}

impl ConsumerGroupsArgs {
    /// Kafka's checks (ConsumerGroupCommandOptions.checkArgs, then "exactly one action"), in
    /// Kafka's order, then the settings.
    pub fn settings(&self) -> Result<Settings, Error> {
        let Some(bootstrap_server) = self.bootstrap_server.clone() else {
            return Err(refuse("Missing required argument \"[bootstrap-server]\""));
        };
        let has_groups = !self.group.is_empty() || self.all_groups;
        let mut notes = Vec::new();
        if self.describe {
            if !has_groups {
                return Err(refuse(
                    "Option [describe] takes one of these options: [group], [all-groups]",
                ));
            }
            let subs = [self.members, self.offsets, self.state.is_some()];
            if subs.iter().filter(|b| **b).count() > 1 {
                return Err(refuse(
                    "Option [describe] takes at most one of these options: [members], [offsets], [state]",
                ));
            }
            if self.state.as_deref().is_some_and(|s| !s.is_empty()) {
                return Err(refuse(
                    "Option [describe] does not take a value for [state]",
                ));
            }
        }
        if self.delete {
            if !has_groups {
                return Err(refuse(
                    "Option [delete] takes one of these options: [group], [all-groups]",
                ));
            }
            if !self.topic.is_empty() {
                return Err(refuse(
                    "The consumer does not support topic-specific offset deletion from a consumer group.",
                ));
            }
        }
        if self.delete_offsets && (self.group.is_empty() || self.topic.is_empty()) {
            return Err(refuse(
                "Option [delete-offsets] takes the following options: [group], [topic]",
            ));
        }
        let scenarios = self.scenarios();
        if self.reset_offsets {
            if self.dry_run && self.execute {
                return Err(refuse(
                    "Option [reset-offsets] only accepts one of [execute] and [dry-run]",
                ));
            }
            if !self.dry_run && !self.execute {
                notes.push(NO_EXECUTE_WARNING.to_string());
            }
            if !has_groups {
                return Err(refuse(
                    "Option [reset-offsets] takes one of these options: [group], [all-groups]",
                ));
            }
            if scenarios.len() > 1 {
                return Err(refuse(format!(
                    "Option \"[{}]\" can't be used with option \"[{}]\"",
                    scenarios[0].0, scenarios[1].0
                )));
            }
        }
        if !self.group.is_empty() && self.all_groups {
            return Err(refuse(
                "Option \"[group]\" can't be used with option \"[all-groups]\"",
            ));
        }
        if !self.group.is_empty() && self.list {
            return Err(refuse(
                "Option \"[group]\" can't be used with option \"[list]\"",
            ));
        }
        if !self.topic.is_empty() && (self.list || self.describe) {
            let other = if self.list { "list" } else { "describe" };
            return Err(refuse(format!(
                "Option \"[topic]\" can't be used with option \"[{other}]\""
            )));
        }
        // jopt's availableIf: the describe-only options without --describe.
        for (given, name) in [
            (self.members, "members"),
            (self.verbose, "verbose"),
            (self.offsets, "offsets"),
        ] {
            if given && !self.describe {
                return Err(refuse(format!(
                    "Option {name} is unavailable without option(s) [describe]"
                )));
            }
        }
        if self.state.is_some() && !self.describe && !self.list {
            return Err(refuse(
                "Option state is unavailable without option(s) [describe], [list]",
            ));
        }
        if self.watch.is_some() && !self.describe {
            return Err(refuse("Option [watch] may be used with [describe] only"));
        }
        if self.watch == Some(0) {
            return Err(refuse("Option [watch] takes a number of seconds above 0"));
        }
        let actions = [
            self.list,
            self.describe,
            self.delete,
            self.reset_offsets,
            self.delete_offsets,
        ];
        if actions.iter().filter(|a| **a).count() != 1 {
            return Err(refuse(
                "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets",
            ));
        }
        let groups = if self.all_groups {
            Groups::All
        } else {
            Groups::Named(self.group.clone())
        };
        let action = if self.list {
            let states = match &self.state {
                None => None,
                Some(s) if s.is_empty() => Some(Vec::new()),
                Some(s) => Some(parse_states(s)?),
            };
            Action::List { states }
        } else if self.describe {
            let view = if self.members {
                View::Members
            } else if self.state.is_some() {
                View::State
            } else {
                View::Offsets
            };
            if self.watch.is_some() && view != View::Offsets {
                return Err(refuse("Option [watch] shows the offsets view only"));
            }
            Action::Describe {
                groups,
                view,
                verbose: self.verbose,
                watch: self.watch,
            }
        } else if self.delete {
            Action::Delete { groups }
        } else if self.delete_offsets {
            Action::DeleteOffsets {
                group: self.group.first().cloned().unwrap_or_default(),
                topics: self.topic.clone(),
            }
        } else {
            let Some((_, scenario)) = scenarios.into_iter().next() else {
                return Err(refuse(
                    "Option '[reset-offsets]' requires one of the following scenarios: [to-offset], [shift-by], [to-datetime], [by-duration], [to-earliest], [to-latest], [to-current], [from-file]",
                ));
            };
            let scope = if self.all_topics {
                Scope::AllTopics
            } else if !self.topic.is_empty() {
                Scope::Topics(self.topic.clone())
            } else if matches!(scenario, ScenarioArg::FromFile(_)) {
                Scope::FromFile
            } else {
                return Err(refuse(
                    "One of the reset scopes should be defined: --all-topics, --topic.",
                ));
            };
            Action::ResetOffsets {
                groups,
                scope,
                scenario,
                execute: self.execute,
                export: self.export,
            }
        };
        Ok(Settings {
            bootstrap_server,
            command_config: self.command_config.clone(),
            timeout_ms: self.timeout,
            action,
            format: self.output,
            notes,
        })
    }

    /// The reset scenarios given, with their flag names.
    fn scenarios(&self) -> Vec<(&'static str, ScenarioArg)> {
        let mut s = Vec::new();
        if let Some(o) = self.to_offset {
            s.push(("to-offset", ScenarioArg::ToOffset(o)));
        }
        if let Some(d) = &self.to_datetime {
            s.push(("to-datetime", ScenarioArg::ToDatetime(d.clone())));
        }
        if let Some(d) = &self.by_duration {
            s.push(("by-duration", ScenarioArg::ByDuration(d.clone())));
        }
        if self.to_earliest {
            s.push(("to-earliest", ScenarioArg::ToEarliest));
        }
        if self.to_latest {
            s.push(("to-latest", ScenarioArg::ToLatest));
        }
        if self.to_current {
            s.push(("to-current", ScenarioArg::ToCurrent));
        }
        if let Some(n) = self.shift_by {
            s.push(("shift-by", ScenarioArg::ShiftBy(n)));
        }
        if let Some(f) = &self.from_file {
            s.push(("from-file", ScenarioArg::FromFile(f.clone())));
        }
        s
    }
}

/// `--list --state a,b`: Kafka's state names, case-insensitive.
fn parse_states(input: &str) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for s in input.split(',') {
        let s = s.trim();
        match VALID_STATES.iter().find(|v| v.eq_ignore_ascii_case(s)) {
            Some(v) => out.push((*v).to_string()),
            None => {
                return Err(refuse(format!(
                    "Invalid state list '{input}'. Valid states are: {}",
                    VALID_STATES.join(", ")
                )));
            }
        }
    }
    Ok(out)
}

/// Runs the tool.
pub fn run(matches: &clap::ArgMatches) -> Result<(), Error> {
    let args =
        ConsumerGroupsArgs::from_arg_matches(matches).map_err(|e| Error::Usage(e.to_string()))?;
    let settings = args.settings()?;
    for note in &settings.notes {
        eprintln!("{note}");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(service::run(&settings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn settings(args: &[&str]) -> Result<Settings, Error> {
        let argv = std::iter::once("consumer-groups").chain(args.iter().copied());
        ConsumerGroupsArgs::try_parse_from(argv)
            .map_err(|e| Error::Usage(e.to_string()))?
            .settings()
    }

    fn refused(args: &[&str]) -> String {
        match settings(args) {
            Err(Error::Failed(m)) => m,
            other => panic!("expected a refusal for {args:?}, got {other:?}"),
        }
    }

    #[test]
    fn list_with_and_without_states() {
        let s = settings(&["--bootstrap-server", "h:1", "--list"]).unwrap();
        assert_eq!(s.action, Action::List { states: None });
        let s = settings(&["--bootstrap-server", "h:1", "--list", "--state"]).unwrap();
        assert_eq!(
            s.action,
            Action::List {
                states: Some(vec![])
            }
        );
        let s = settings(&[
            "--bootstrap-server",
            "h:1",
            "--list",
            "--state",
            "stable,EMPTY",
        ])
        .unwrap();
        assert_eq!(
            s.action,
            Action::List {
                states: Some(vec!["Stable".into(), "Empty".into()])
            }
        );
        assert!(
            refused(&["--bootstrap-server", "h:1", "--list", "--state", "nope"])
                .starts_with("Invalid state list 'nope'")
        );
    }

    #[test]
    fn kafkas_refusals() {
        assert_eq!(
            refused(&["--list"]),
            "Missing required argument \"[bootstrap-server]\""
        );
        assert!(refused(&["--bootstrap-server", "h:1", "--describe"]).contains("[describe]"));
        assert!(
            refused(&[
                "--bootstrap-server",
                "h:1",
                "--list",
                "--describe",
                "--all-groups"
            ])
            .starts_with("Command must include exactly one action")
        );
        assert_eq!(
            refused(&["--bootstrap-server", "h:1", "--list", "--group", "g"]),
            "Option \"[group]\" can't be used with option \"[list]\""
        );
        assert!(
            refused(&[
                "--bootstrap-server",
                "h:1",
                "--describe",
                "--group",
                "g",
                "--members",
                "--state"
            ])
            .contains("at most one")
        );
        assert!(
            refused(&[
                "--bootstrap-server",
                "h:1",
                "--delete",
                "--group",
                "g",
                "--topic",
                "t"
            ])
            .contains("topic-specific")
        );
        assert!(
            refused(&[
                "--bootstrap-server",
                "h:1",
                "--reset-offsets",
                "--group",
                "g",
                "--to-earliest",
                "--to-latest",
                "--all-topics"
            ])
            .contains("can't be used with")
        );
        assert_eq!(
            refused(&[
                "--bootstrap-server",
                "h:1",
                "--reset-offsets",
                "--group",
                "g",
                "--to-earliest"
            ]),
            "One of the reset scopes should be defined: --all-topics, --topic."
        );
    }

    #[test]
    fn reset_settings() {
        let s = settings(&[
            "--bootstrap-server",
            "h:1",
            "--reset-offsets",
            "--group",
            "g",
            "--topic",
            "t:0,1",
            "--shift-by",
            "-2",
        ])
        .unwrap();
        assert_eq!(s.notes.len(), 1, "the missing --execute warning");
        assert_eq!(
            s.action,
            Action::ResetOffsets {
                groups: Groups::Named(vec!["g".into()]),
                scope: Scope::Topics(vec!["t:0,1".into()]),
                scenario: ScenarioArg::ShiftBy(-2),
                execute: false,
                export: false,
            }
        );
        let s = settings(&[
            "--bootstrap-server",
            "h:1",
            "--reset-offsets",
            "--all-groups",
            "--from-file",
            "plan.csv",
            "--execute",
        ])
        .unwrap();
        assert!(s.notes.is_empty());
        assert!(matches!(
            s.action,
            Action::ResetOffsets {
                scope: Scope::FromFile,
                execute: true,
                ..
            }
        ));
    }

    #[test]
    fn describe_views() {
        let s = settings(&[
            "--bootstrap-server",
            "h:1",
            "--describe",
            "--group",
            "g",
            "--state",
            "--verbose",
        ])
        .unwrap();
        assert!(matches!(
            s.action,
            Action::Describe {
                view: View::State,
                verbose: true,
                ..
            }
        ));
        let s = settings(&[
            "--bootstrap-server",
            "h:1",
            "--describe",
            "--all-groups",
            "--watch",
            "2",
        ])
        .unwrap();
        assert!(matches!(
            s.action,
            Action::Describe {
                groups: Groups::All,
                view: View::Offsets,
                watch: Some(2),
                ..
            }
        ));
    }
}
