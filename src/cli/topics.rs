//! `rkafka topics` (`kafka-topics.sh`, Kafka's `kafka.admin.TopicCommand`): creates, lists,
//! describes, alters and deletes topics.
//!
//! This file holds the flags, Kafka's checks of their combinations ("exactly one action" and
//! which options go with which) and the step from flags to [`Settings`]. The work is done by a
//! backend: `--zookeeper` ([`zookeeper`]) reads and writes Kafka's znodes directly as Kafka
//! 2.x's TopicCommand did, so it works against rkafka's coordinator and a real ZooKeeper
//! serving real Kafka brokers alike; `--bootstrap-server` ([`bootstrap`]) speaks Kafka's admin
//! protocol to any broker, as Kafka 4's TopicCommand does. Topic-config checks are in
//! [`configs`], the `--topic` pattern in [`filter`], the printed text and JSON in [`output`].

mod bootstrap;
mod configs;
mod filter;
mod output;
mod zookeeper;

use std::collections::BTreeMap;

use clap::{CommandFactory, FromArgMatches};

use crate::admin::assignment;
use crate::error::Error;
pub use filter::TopicFilter;
pub use output::{OutputFormat, PartitionInfo, TopicInfo};

const ABOUT: &str = "Create, delete, describe, or change a topic";

const LONG_ABOUT: &str = "\
This tool helps to create, delete, describe, or change a topic. Exactly one action is \
given: --create, --list, --describe, --alter or --delete.

With --zookeeper it works as Kafka's ZooKeeper-mode TopicCommand did: it reads and writes \
Kafka's znodes (/brokers/topics, /config/topics, /admin/delete_topics, \
/admin/reassign_partitions) on the coordinator or ZooKeeper ensemble the brokers use, and the \
controller broker acts on them. Creating a topic places replicas on the brokers registered \
under /brokers/ids with Kafka's placement. Deleting marks the topic for deletion; the \
controller deletes it if delete.topic.enable is true.

--alter --replication-factor N (which Kafka's own tool refuses) submits a partition \
reassignment to /admin/reassign_partitions that keeps every partition's current replicas first \
and adds replicas on other live brokers; it is done when the controller has applied it and \
the new replicas have caught up (see --describe).

With --bootstrap-server it works as Kafka 4's TopicCommand does, over Kafka's admin protocol (CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs, IncrementalAlterConfigs), against rkafka's brokers and Kafka's alike; --command-config names a client properties file. There --alter also takes --config and --delete-config (which Kafka 4's tool refuses), applied with IncrementalAlterConfigs, or AlterConfigs on brokers older than Kafka 2.3.

Output is Kafka's text; --output json prints the same data as one JSON document.";

/// The flags of `topics`, as Kafka's TopicCommand names them.
#[derive(Debug, clap::Parser)]
#[command(about = ABOUT, long_about = LONG_ABOUT)]
pub struct TopicsArgs {
    /// REQUIRED: the connection string for the ZooKeeper connection in the form host:port.
    /// Multiple hosts can be given, separated by commas or spaces, with an optional chroot at
    /// the end (h1:2181,h2:2181/kafka)
    #[arg(long, value_name = "hosts")]
    pub zookeeper: Option<String>,

    /// The Kafka server to connect to (host:port[,host:port...]); the tool then uses Kafka's
    /// admin protocol, as Kafka 4's TopicCommand does
    #[arg(long, value_name = "server to connect to")]
    pub bootstrap_server: Option<String>,

    /// Property file containing configs to be passed to the admin client (with
    /// --bootstrap-server)
    #[arg(long, value_name = "command config property file")]
    pub command_config: Option<std::path::PathBuf>,

    /// Create a new topic
    #[arg(long)]
    pub create: bool,
    /// List all available topics
    #[arg(long)]
    pub list: bool,
    /// List details for the given topics
    #[arg(long)]
    pub describe: bool,
    /// Alter the number of partitions, the replication factor (as a reassignment) or the
    /// configuration of a topic
    #[arg(long)]
    pub alter: bool,
    /// Delete a topic (marks it for deletion; the controller deletes it when
    /// delete.topic.enable is true)
    #[arg(long)]
    pub delete: bool,

    /// The topic to create, alter, describe or delete. It also accepts a regular expression,
    /// except for --create option. Put topic name in double quotes and use the '\' prefix to
    /// escape regular expression symbols; e.g. "test\.topic"
    #[arg(long, value_name = "topic")]
    pub topic: Option<String>,

    /// The number of partitions for the topic being created or altered (WARNING: If partitions
    /// are increased for a topic that has a key, the partition logic or ordering of the
    /// messages will be affected)
    #[arg(long, value_name = "# of partitions", allow_negative_numbers = true)]
    pub partitions: Option<i32>,

    /// The replication factor for each partition in the topic being created; with --alter, the
    /// target of a reassignment of every partition
    #[arg(long, value_name = "replication factor", allow_negative_numbers = true)]
    pub replication_factor: Option<i32>,

    /// A list of manual partition-to-broker assignments for the topic being created or altered
    #[arg(
        long,
        value_name = "broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ..."
    )]
    pub replica_assignment: Option<String>,

    /// A topic configuration override for the topic being created or altered (repeatable);
    /// see the topic-level configs of kafka-configs for the keys
    #[arg(long, value_name = "name=value")]
    pub config: Vec<String>,

    /// A topic configuration override to be removed for an existing topic (repeatable)
    #[arg(long, value_name = "name")]
    pub delete_config: Vec<String>,

    /// If set when altering or deleting or describing topics, the action will only execute if
    /// the topic exists
    #[arg(long)]
    pub if_exists: bool,

    /// If set when creating topics, the action will only execute if the topic does not
    /// already exist
    #[arg(long)]
    pub if_not_exists: bool,

    /// If set when describing topics, only show under replicated partitions
    #[arg(long)]
    pub under_replicated_partitions: bool,

    /// If set when describing topics, only show partitions whose leader is not available
    #[arg(long)]
    pub unavailable_partitions: bool,

    /// If set when describing topics, only show partitions whose isr count is less than the
    /// configured minimum
    #[arg(long)]
    pub under_min_isr_partitions: bool,

    /// If set when describing topics, only show partitions whose isr count is equal to the
    /// configured minimum
    #[arg(long)]
    pub at_min_isr_partitions: bool,

    /// If set when describing topics, only show topics that have overridden configs
    #[arg(long)]
    pub topics_with_overrides: bool,

    /// Exclude internal topics when running list or describe command. The internal topics
    /// will be listed by default
    #[arg(long)]
    pub exclude_internal: bool,

    /// Output format: Kafka's text, or one JSON document
    #[arg(long, value_enum, value_name = "format", default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// The clap command of the tool.
pub fn command() -> clap::Command {
    TopicsArgs::command()
}

/// Where the topics live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A ZooKeeper connect string (`h:p[,h:p...][/chroot]`): Kafka's znodes are read and
    /// written directly.
    ZooKeeper(String),
    /// `--bootstrap-server` and the `--command-config` file: Kafka's admin protocol.
    Bootstrap {
        servers: String,
        command_config: Option<std::path::PathBuf>,
    },
}

/// What `--describe` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DescribeFilter {
    pub under_replicated: bool,
    pub unavailable: bool,
    pub with_overrides: bool,
    pub under_min_isr: bool,
    pub at_min_isr: bool,
}

/// One action with its resolved arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create {
        topic: String,
        partitions: Option<i32>,
        replication_factor: Option<i32>,
        /// From `--replica-assignment`, partition 0 first.
        assignment: Option<Vec<Vec<i32>>>,
        configs: BTreeMap<String, String>,
        if_not_exists: bool,
    },
    List {
        filter: Option<TopicFilter>,
        exclude_internal: bool,
    },
    Describe {
        filter: Option<TopicFilter>,
        exclude_internal: bool,
        if_exists: bool,
        show: DescribeFilter,
    },
    Alter {
        filter: TopicFilter,
        partitions: Option<i32>,
        replication_factor: Option<i32>,
        assignment: Option<Vec<Vec<i32>>>,
        configs: BTreeMap<String, String>,
        delete_configs: Vec<String>,
        if_exists: bool,
    },
    Delete {
        filter: TopicFilter,
        if_exists: bool,
    },
}

/// Everything the tool needs, resolved from the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub backend: Backend,
    pub action: Action,
    pub format: OutputFormat,
}

/// jopt-simple's name for an option in Kafka's messages: `[name]`.
fn opt(name: &str) -> String {
    format!("[{name}]")
}

fn cannot_combine(used: &str, with: &str) -> Error {
    Error::Usage(format!(
        "Option \"{}\" can't be used with option \"{}\"",
        opt(used),
        opt(with)
    ))
}

fn missing(name: &str) -> Error {
    Error::Usage(format!("Missing required argument \"{}\"", opt(name)))
}

impl TopicsArgs {
    /// Kafka's checks of the flags (`TopicCommandOptions.checkArgs`), then the settings.
    pub fn settings(self) -> Result<Settings, Error> {
        let actions = [
            ("create", self.create),
            ("list", self.list),
            ("alter", self.alter),
            ("describe", self.describe),
            ("delete", self.delete),
        ];
        if actions.iter().filter(|(_, on)| *on).count() != 1 {
            return Err(Error::Usage(
                "Command must include exactly one action: --list, --describe, --create, --alter or --delete"
                    .to_string(),
            ));
        }
        let action = actions
            .iter()
            .find(|(_, on)| *on)
            .map(|(name, _)| *name)
            .unwrap_or("list");
        let backend = match (&self.zookeeper, &self.bootstrap_server) {
            (Some(zk), None) => Backend::ZooKeeper(zk.clone()),
            (None, Some(servers)) => Backend::Bootstrap {
                servers: servers.clone(),
                command_config: self.command_config.clone(),
            },
            _ => {
                return Err(Error::Usage(
                    "Only one of --bootstrap-server or --zookeeper must be specified".to_string(),
                ));
            }
        };
        let bootstrap = matches!(backend, Backend::Bootstrap { .. });
        if !bootstrap && self.command_config.is_some() {
            return Err(cannot_combine("command-config", "zookeeper"));
        }
        let only_with = |used: bool, name: &str, allowed: &[&str]| -> Result<(), Error> {
            if used && !allowed.contains(&action) {
                return Err(cannot_combine(name, action));
            }
            Ok(())
        };
        only_with(!self.config.is_empty(), "config", &["create", "alter"])?;
        only_with(!self.delete_config.is_empty(), "delete-config", &["alter"])?;
        only_with(
            self.partitions.is_some(),
            "partitions",
            &["create", "alter"],
        )?;
        only_with(
            self.replication_factor.is_some(),
            "replication-factor",
            &["create", "alter"],
        )?;
        only_with(
            self.replica_assignment.is_some(),
            "replica-assignment",
            &["create", "alter"],
        )?;
        only_with(
            self.under_replicated_partitions,
            "under-replicated-partitions",
            &["describe"],
        )?;
        only_with(
            self.unavailable_partitions,
            "unavailable-partitions",
            &["describe"],
        )?;
        only_with(
            self.topics_with_overrides,
            "topics-with-overrides",
            &["describe"],
        )?;
        only_with(
            self.under_min_isr_partitions,
            "under-min-isr-partitions",
            &["describe"],
        )?;
        only_with(
            self.at_min_isr_partitions,
            "at-min-isr-partitions",
            &["describe"],
        )?;
        only_with(
            self.if_exists,
            "if-exists",
            &["alter", "delete", "describe"],
        )?;
        only_with(self.if_not_exists, "if-not-exists", &["create"])?;
        only_with(
            self.exclude_internal,
            "exclude-internal",
            &["list", "describe"],
        )?;
        let reports = [
            (
                "under-replicated-partitions",
                self.under_replicated_partitions,
            ),
            ("unavailable-partitions", self.unavailable_partitions),
            ("under-min-isr-partitions", self.under_min_isr_partitions),
            ("at-min-isr-partitions", self.at_min_isr_partitions),
            ("topics-with-overrides", self.topics_with_overrides),
        ];
        let used: Vec<&str> = reports.iter().filter(|r| r.1).map(|r| r.0).collect();
        if bootstrap && let [first, second, ..] = used.as_slice() {
            // Kafka 4 allows one report option at a time.
            return Err(cannot_combine(first, second));
        }
        if self.topics_with_overrides {
            if self.under_replicated_partitions {
                return Err(cannot_combine(
                    "under-replicated-partitions",
                    "topics-with-overrides",
                ));
            }
            if self.unavailable_partitions {
                return Err(cannot_combine(
                    "unavailable-partitions",
                    "topics-with-overrides",
                ));
            }
        }
        if action != "list" && action != "describe" && self.topic.is_none() {
            return Err(missing("topic"));
        }
        let assignment = match &self.replica_assignment {
            Some(text) if !text.is_empty() => Some(
                assignment::parse_replica_assignment(text)
                    .map_err(|e| Error::Usage(e.to_string()))?,
            ),
            _ => None,
        };
        // Kafka 4 sends unknown config names to the broker, which names them; values are
        // still checked here, but as a failure (exit 1) rather than a usage error.
        let configs = if bootstrap {
            configs::split_additions(&self.config)?
        } else {
            configs::parse_additions(&self.config)?
        };
        let filter = |topic: &Option<String>| -> Result<Option<TopicFilter>, Error> {
            topic
                .as_deref()
                .map(TopicFilter::new)
                .transpose()
                .map_err(Error::Usage)
        };
        let topic = self.topic.clone().unwrap_or_default();
        let action = match action {
            "create" => {
                if bootstrap {
                    // Kafka 4: without them the broker's num.partitions and
                    // default.replication.factor apply.
                    if assignment.is_some() {
                        if self.partitions.is_some() {
                            return Err(cannot_combine("replica-assignment", "partitions"));
                        }
                        if self.replication_factor.is_some() {
                            return Err(cannot_combine("replica-assignment", "replication-factor"));
                        }
                    }
                } else if assignment.is_some() {
                    if self.partitions.is_some() {
                        return Err(cannot_combine("replica-assignment", "partitions"));
                    }
                    if self.replication_factor.is_some() {
                        return Err(cannot_combine("replica-assignment", "replication-factor"));
                    }
                } else {
                    if self.partitions.is_none() {
                        return Err(missing("partitions"));
                    }
                    if self.replication_factor.is_none() {
                        return Err(missing("replication-factor"));
                    }
                }
                Action::Create {
                    topic,
                    partitions: self.partitions,
                    replication_factor: self.replication_factor,
                    assignment,
                    configs,
                    if_not_exists: self.if_not_exists,
                }
            }
            "list" => Action::List {
                filter: filter(&self.topic)?,
                exclude_internal: self.exclude_internal,
            },
            "describe" => Action::Describe {
                filter: filter(&self.topic)?,
                exclude_internal: self.exclude_internal,
                if_exists: self.if_exists,
                show: DescribeFilter {
                    under_replicated: self.under_replicated_partitions,
                    unavailable: self.unavailable_partitions,
                    with_overrides: self.topics_with_overrides,
                    under_min_isr: self.under_min_isr_partitions,
                    at_min_isr: self.at_min_isr_partitions,
                },
            },
            "alter" => {
                if bootstrap {
                    if self.replication_factor.is_some() {
                        return Err(cannot_combine("replication-factor", "alter"));
                    }
                    if self.partitions.is_none()
                        && configs.is_empty()
                        && self.delete_config.is_empty()
                    {
                        return Err(missing("partitions"));
                    }
                }
                if self.partitions.is_none()
                    && self.replication_factor.is_none()
                    && configs.is_empty()
                    && self.delete_config.is_empty()
                {
                    return Err(Error::Usage(
                        "--alter needs --partitions, --replication-factor, --config or --delete-config"
                            .to_string(),
                    ));
                }
                if assignment.is_some() && self.partitions.is_none() {
                    return Err(missing("partitions"));
                }
                let delete_configs = configs::parse_deletions(&self.delete_config)?;
                Action::Alter {
                    filter: TopicFilter::new(&topic).map_err(Error::Usage)?,
                    partitions: self.partitions,
                    replication_factor: self.replication_factor,
                    assignment,
                    configs,
                    delete_configs,
                    if_exists: self.if_exists,
                }
            }
            _ => Action::Delete {
                filter: TopicFilter::new(&topic).map_err(Error::Usage)?,
                if_exists: self.if_exists,
            },
        };
        Ok(Settings {
            backend,
            action,
            format: self.output,
        })
    }
}

/// Runs the tool: results on stdout (Kafka's text or JSON); failures as Kafka words them, exit 1.
pub fn run(matches: &clap::ArgMatches) -> Result<(), Error> {
    let args = TopicsArgs::from_arg_matches(matches).map_err(|e| Error::Usage(e.to_string()))?;
    let settings = args.settings()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    let mut out = std::io::stdout().lock();
    match &settings.backend {
        Backend::ZooKeeper(connect) => runtime.block_on(zookeeper::run(
            connect,
            &settings.action,
            settings.format,
            &mut out,
        )),
        Backend::Bootstrap {
            servers,
            command_config,
        } => runtime.block_on(bootstrap::run(
            servers,
            command_config.as_deref(),
            &settings.action,
            settings.format,
            &mut out,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn settings(args: &[&str]) -> Result<Settings, Error> {
        let argv = std::iter::once("topics").chain(args.iter().copied());
        TopicsArgs::try_parse_from(argv)
            .map_err(|e| Error::Usage(e.to_string()))?
            .settings()
    }

    fn usage(args: &[&str]) -> String {
        match settings(args) {
            Err(Error::Usage(m)) => m,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn exactly_one_action() {
        let msg = "Command must include exactly one action: --list, --describe, --create, --alter or --delete";
        assert_eq!(usage(&["--zookeeper", "h:1"]), msg);
        assert_eq!(usage(&["--zookeeper", "h:1", "--list", "--describe"]), msg);
    }

    #[test]
    fn the_seed_commands_resolve() {
        let s = settings(&[
            "--create",
            "--zookeeper",
            "localhost:2181",
            "--replication-factor",
            "1",
            "--partitions",
            "6",
            "--topic",
            "test",
        ])
        .unwrap();
        assert_eq!(s.backend, Backend::ZooKeeper("localhost:2181".into()));
        assert!(matches!(
            s.action,
            Action::Create { ref topic, partitions: Some(6), replication_factor: Some(1), .. } if topic == "test"
        ));
        let s = settings(&[
            "--alter",
            "--zookeeper",
            "localhost:2181",
            "--topic",
            "my-topic",
            "--replication-factor",
            "3",
        ])
        .unwrap();
        assert!(matches!(
            s.action,
            Action::Alter {
                replication_factor: Some(3),
                ..
            }
        ));
    }

    #[test]
    fn kafkas_combination_rules() {
        assert_eq!(
            usage(&["--create", "--zookeeper", "h:1", "--partitions", "1"]),
            "Missing required argument \"[topic]\""
        );
        assert_eq!(
            usage(&[
                "--create",
                "--zookeeper",
                "h:1",
                "--topic",
                "t",
                "--partitions",
                "1"
            ]),
            "Missing required argument \"[replication-factor]\""
        );
        assert_eq!(
            usage(&[
                "--create",
                "--zookeeper",
                "h:1",
                "--topic",
                "t",
                "--partitions",
                "1",
                "--replica-assignment",
                "1:2"
            ]),
            "Option \"[replica-assignment]\" can't be used with option \"[partitions]\""
        );
        assert_eq!(
            usage(&["--list", "--zookeeper", "h:1", "--partitions", "1"]),
            "Option \"[partitions]\" can't be used with option \"[list]\""
        );
        assert_eq!(
            usage(&[
                "--create",
                "--zookeeper",
                "h:1",
                "--topic",
                "t",
                "--if-exists"
            ]),
            "Option \"[if-exists]\" can't be used with option \"[create]\""
        );
        assert_eq!(
            usage(&["--list"]),
            "Only one of --bootstrap-server or --zookeeper must be specified"
        );
        assert_eq!(
            usage(&[
                "--describe",
                "--bootstrap-server",
                "h:1",
                "--under-min-isr-partitions",
                "--unavailable-partitions"
            ]),
            "Option \"[unavailable-partitions]\" can't be used with option \"[under-min-isr-partitions]\""
        );
        assert_eq!(
            usage(&["--alter", "--bootstrap-server", "h:1", "--topic", "t"]),
            "Missing required argument \"[partitions]\""
        );
        let s = settings(&[
            "--create",
            "--bootstrap-server",
            "h:1",
            "--topic",
            "t",
            "--config",
            "nope=1",
        ])
        .unwrap();
        assert!(matches!(s.backend, Backend::Bootstrap { .. }));
        assert!(matches!(
            s.action,
            Action::Create {
                partitions: None,
                ..
            }
        ));
        assert!(
            usage(&["--alter", "--zookeeper", "h:1", "--topic", "t"]).contains("--alter needs")
        );
        assert!(
            usage(&["--list", "--zookeeper", "h:1", "--topic", "(["]).contains("invalid regex")
        );
        assert!(
            usage(&[
                "--create",
                "--zookeeper",
                "h:1",
                "--topic",
                "t",
                "--replica-assignment",
                "1:1"
            ])
            .contains("duplicate")
        );
    }

    #[test]
    fn configs_are_checked_against_the_topic_table() {
        let base = [
            "--create",
            "--zookeeper",
            "h:1",
            "--topic",
            "t",
            "--partitions",
            "1",
            "--replication-factor",
            "1",
        ];
        let with = |extra: &[&str]| {
            let mut v: Vec<&str> = base.to_vec();
            v.extend_from_slice(extra);
            settings(&v)
        };
        let s = with(&[
            "--config",
            "retention.ms = 1000",
            "--config",
            "cleanup.policy=compact",
        ])
        .unwrap();
        let Action::Create { configs, .. } = s.action else {
            panic!("not create")
        };
        assert_eq!(configs["retention.ms"], "1000");
        assert_eq!(configs["cleanup.policy"], "compact");
        let err = with(&["--config", "no.such.key=1"])
            .unwrap_err()
            .to_string();
        assert_eq!(err, "Unknown topic config name: no.such.key");
        let err = with(&["--config", "retention.ms=soon"])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("Invalid value soon for configuration retention.ms"),
            "{err}"
        );
        let err = with(&["--config", "retention.ms"]).unwrap_err().to_string();
        assert!(err.contains("\"key=val\""), "{err}");
    }
}
