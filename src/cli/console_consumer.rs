//! `kafka-console-consumer.sh`: prints the records of a topic (or of the topics a regex
//! includes) on stdout with Kafka's DefaultMessageFormatter, or as JSON lines.
//!
//! With `--partition` the tool assigns itself that partition. Otherwise it subscribes as a
//! member of a consumer group: `--group` (or `group.id` from `--consumer-property` or
//! `--consumer.config`), or, as Kafka does, a fresh `console-consumer-<random>` group with
//! auto commit off. `--from-beginning` means `auto.offset.reset=earliest`: it applies only
//! to partitions for which the group has no committed offset. Against a cluster without
//! group APIs, the default random group falls back to assigning every partition.
//!
//! It prints "Processed a total of N messages" on stderr when it ends: after
//! --max-messages, after --timeout-ms without records, on SIGINT or SIGTERM, or when the
//! reader of stdout goes away (exit 0). Output is flushed before the group consumer commits
//! and leaves, so every committed record has been printed.

pub mod format;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Arg, ArgAction, ArgGroup, ArgMatches};

use crate::client::consumer::group::random_console_group;
use crate::client::consumer::{
    Consumer, ConsumerConfig, ConsumerError, ConsumerRecord, GroupConsumer, IsolationLevel,
    OffsetReset, StartAt, Topics,
};
use crate::error::Error;
use crate::types::HostPort;
use format::{DEFAULT_FORMATTER_NAMES, DefaultFormat, JSON_FORMATTER_NAME};

/// The clap command of the tool.
pub fn command() -> clap::Command {
    clap::Command::new("console-consumer")
        .about("Read records from Kafka topics and print them on standard output")
        .long_about(
            "Read records from Kafka topics and print them on standard output.\n\n\
             Without --partition the tool joins a consumer group: --group G, or a new \
             console-consumer-<random> group (auto commit off), and consumes the partitions \
             the group gives it. A partition without a committed offset starts at the end, \
             or at the beginning with --from-beginning.",
        )
        .arg(
            Arg::new("bootstrap-server")
                .long("bootstrap-server")
                .value_name("HOST:PORT[,...]")
                .required(true)
                .help("REQUIRED: the server(s) to connect to"),
        )
        .arg(
            Arg::new("topic")
                .long("topic")
                .value_name("TOPIC")
                .help("The topic to consume"),
        )
        .arg(
            Arg::new("include")
                .long("include")
                .value_name("REGEX")
                .help("Regular expression of the topics to consume (whole names; internal topics excluded)"),
        )
        .group(
            ArgGroup::new("topics")
                .args(["topic", "include"])
                .required(true),
        )
        .arg(
            Arg::new("partition")
                .long("partition")
                .value_name("PARTITION")
                .value_parser(clap::value_parser!(i32).range(0..))
                .help("The partition to consume; consumption starts at the end unless --from-beginning or --offset"),
        )
        .arg(
            Arg::new("group")
                .long("group")
                .value_name("GROUP")
                .help("The consumer group id of the consumer (default: a new console-consumer-<random> group)"),
        )
        .arg(
            Arg::new("offset")
                .long("offset")
                .value_name("OFFSET")
                .help("earliest, latest, or a non-negative offset to start at (needs --partition)"),
        )
        .arg(
            Arg::new("from-beginning")
                .long("from-beginning")
                .action(ArgAction::SetTrue)
                .help("Start with the earliest record rather than the latest"),
        )
        .arg(
            Arg::new("max-messages")
                .long("max-messages")
                .value_name("NUM")
                .value_parser(clap::value_parser!(i64))
                .help("Exit after this many records (default: keep consuming)"),
        )
        .arg(
            Arg::new("timeout-ms")
                .long("timeout-ms")
                .value_name("MS")
                .value_parser(clap::value_parser!(i64))
                .help("Exit when no record arrived for this long"),
        )
        .arg(
            Arg::new("property")
                .long("property")
                .value_name("KEY=VALUE")
                .action(ArgAction::Append)
                .help(
                    "Formatter property: print.timestamp, print.partition, print.offset, \
                     print.headers, print.key, print.value, key.separator, line.separator, \
                     headers.separator, null.literal",
                ),
        )
        .arg(
            Arg::new("formatter")
                .long("formatter")
                .value_name("NAME")
                .default_value("kafka.tools.DefaultMessageFormatter")
                .help("kafka.tools.DefaultMessageFormatter (Kafka's format) or json-lines (one JSON object per record)"),
        )
        .arg(
            Arg::new("consumer-property")
                .long("consumer-property")
                .value_name("KEY=VALUE")
                .action(ArgAction::Append)
                .help("Consumer setting (fetch.min.bytes, auto.offset.reset, ...)"),
        )
        .arg(
            Arg::new("consumer.config")
                .long("consumer.config")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Consumer properties file"),
        )
        .arg(
            Arg::new("isolation-level")
                .long("isolation-level")
                .value_name("LEVEL")
                .help("read_committed hides records of open and aborted transactions; read_uncommitted (default) shows all"),
        )
        .arg(
            Arg::new("skip-message-on-error")
                .long("skip-message-on-error")
                .action(ArgAction::SetTrue)
                .help("Skip records that cannot be read instead of stopping"),
        )
}

/// Splits `key=value` arguments of `option`.
pub(crate) fn key_values(
    matches: &ArgMatches,
    option: &str,
) -> Result<Vec<(String, String)>, Error> {
    matches
        .get_many::<String>(option)
        .into_iter()
        .flatten()
        .map(|text| match text.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(Error::Usage(format!(
                "--{option} {text}: expected KEY=VALUE"
            ))),
        })
        .collect()
}

/// The consumer settings from `--bootstrap-server`, the config file option and
/// `--consumer-property` pairs (which win), in that order; `client.id` defaults to
/// `default_client_id` as in Kafka's tool.
pub(crate) fn consumer_config(
    matches: &ArgMatches,
    file_option: &str,
    extra: &[(String, String)],
    default_client_id: &str,
) -> Result<ConsumerConfig, Error> {
    let list = matches
        .get_one::<String>("bootstrap-server")
        .ok_or_else(|| Error::Usage("--bootstrap-server is required".to_string()))?;
    let mut config = ConsumerConfig::default();
    if let Some(path) = matches.get_one::<PathBuf>(file_option) {
        let props = crate::config::read(path)?;
        config
            .apply(&props)
            .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    }
    let text: String = extra
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}\n",
                crate::config::properties::escape_key(k),
                crate::config::properties::escape_value(v)
            )
        })
        .collect();
    let props = crate::config::properties::Properties::parse(&text, "--consumer-property")?;
    config
        .apply(&props)
        .map_err(|e| Error::Usage(format!("--consumer-property {e}")))?;
    config.client.bootstrap_servers =
        HostPort::parse_list(list).map_err(|e| Error::Usage(format!("--bootstrap-server: {e}")))?;
    if config.client.client_id == crate::client::ClientSettings::default().client_id {
        config.client.client_id = default_client_id.to_string();
    }
    Ok(config)
}

/// What to print and where to start, resolved from the flags.
struct Plan {
    /// The group to join (None with --partition).
    group: Option<String>,
    /// The group came from the user, not the random default.
    group_given: bool,
    topic: Option<String>,
    include: Option<String>,
    partition: Option<i32>,
    start: Option<StartAt>,
    max_messages: Option<u64>,
    timeout: Option<Duration>,
    json: bool,
    format: DefaultFormat,
    skip_on_error: bool,
}

fn plan(matches: &ArgMatches) -> Result<(Plan, ConsumerConfig), Error> {
    let topic = matches.get_one::<String>("topic").cloned();
    let include = matches.get_one::<String>("include").cloned();
    let partition = matches.get_one::<i32>("partition").copied();
    let from_beginning = matches.get_flag("from-beginning");
    let offset = matches.get_one::<String>("offset");
    // Kafka's checks, in Kafka's order and words.
    if partition.is_some() {
        if topic.is_none() {
            return Err(Error::Usage(
                "The topic is required when partition is specified.".to_string(),
            ));
        }
        if from_beginning && offset.is_some() {
            return Err(Error::Usage(
                "Options from-beginning and offset cannot be specified together.".to_string(),
            ));
        }
    } else if offset.is_some() {
        return Err(Error::Usage(
            "The partition is required when offset is specified.".to_string(),
        ));
    }
    let start = match offset.map(|o| o.to_ascii_lowercase()) {
        Some(o) if o == "earliest" => Some(StartAt::Earliest),
        Some(o) if o == "latest" => Some(StartAt::Latest),
        Some(_) => {
            let text = offset.map(String::as_str).unwrap_or_default();
            match text.parse::<i64>() {
                Ok(n) if n >= 0 => Some(StartAt::Offset(n)),
                _ => {
                    return Err(Error::Usage(format!(
                        "The provided offset value '{text}' is incorrect. Valid values are \
                         'earliest', 'latest', or a non-negative long."
                    )));
                }
            }
        }
        None if partition.is_some() => Some(if from_beginning {
            StartAt::Earliest
        } else {
            StartAt::Latest
        }),
        None => None,
    };
    let extra = key_values(matches, "consumer-property")?;
    let mut config = consumer_config(matches, "consumer.config", &extra, "console-consumer")?;
    let file_props = matches
        .get_one::<PathBuf>("consumer.config")
        .map(|p| crate::config::read(p))
        .transpose()?;
    let (group, group_given) = resolve_group(
        matches.get_one::<String>("group").map(String::as_str),
        file_props
            .as_ref()
            .and_then(|p| p.get("group.id"))
            .map(|v| v.value.trim()),
        extra
            .iter()
            .rev()
            .find(|(k, _)| k == "group.id")
            .map(|(_, v)| v.as_str()),
        partition.is_some(),
    )?;
    if let Some(g) = &group {
        config.group_id = Some(g.clone());
        let auto_commit_given = extra.iter().any(|(k, _)| k == "enable.auto.commit")
            || file_props
                .as_ref()
                .is_some_and(|p| p.get("enable.auto.commit").is_some());
        // Kafka's tool: the random group is not meant to be reused, so its offsets are not
        // committed unless asked.
        if !group_given && !auto_commit_given {
            config.enable_auto_commit = false;
        }
    }
    let reset_given = extra.iter().any(|(k, _)| k == "auto.offset.reset")
        || matches
            .get_one::<PathBuf>("consumer.config")
            .map(|p| crate::config::read(p).map(|props| props.get("auto.offset.reset").is_some()))
            .transpose()?
            .unwrap_or(false);
    if reset_given {
        if from_beginning && config.auto_offset_reset != OffsetReset::Earliest {
            return Err(Error::Usage(format!(
                "Can't simultaneously specify --from-beginning and 'auto.offset.reset={}', \
                 please remove one option",
                match config.auto_offset_reset {
                    OffsetReset::Latest => "latest",
                    _ => "none",
                }
            )));
        }
    } else {
        config.auto_offset_reset = if from_beginning {
            OffsetReset::Earliest
        } else {
            OffsetReset::Latest
        };
    }
    if let Some(level) = matches.get_one::<String>("isolation-level") {
        config.isolation_level = IsolationLevel::parse(level).ok_or_else(|| {
            Error::Usage(format!(
                "--isolation-level {level}: expected read_committed or read_uncommitted"
            ))
        })?;
    }
    let formatter = matches
        .get_one::<String>("formatter")
        .map(String::as_str)
        .unwrap_or("default");
    let json = if formatter == JSON_FORMATTER_NAME {
        true
    } else if DEFAULT_FORMATTER_NAMES.contains(&formatter) {
        false
    } else {
        return Err(Error::Usage(format!(
            "--formatter {formatter}: unknown formatter; use kafka.tools.DefaultMessageFormatter \
             or {JSON_FORMATTER_NAME}"
        )));
    };
    let mut format = DefaultFormat::default();
    let unknown = format
        .configure(&key_values(matches, "property")?)
        .map_err(|e| Error::Usage(e.to_string()))?;
    for key in unknown {
        tracing::warn!("--property {key}: not a formatter property; ignored");
    }
    let max_messages = match matches.get_one::<i64>("max-messages") {
        Some(n) if *n >= 0 => Some(n.unsigned_abs()),
        _ => None,
    };
    let timeout = match matches.get_one::<i64>("timeout-ms") {
        Some(ms) if *ms >= 0 => Some(Duration::from_millis(ms.unsigned_abs())),
        _ => None,
    };
    Ok((
        Plan {
            group,
            group_given,
            topic,
            include,
            partition,
            start,
            max_messages,
            timeout,
            json,
            format,
            skip_on_error: matches.get_flag("skip-message-on-error"),
        },
        config,
    ))
}

/// Kafka's group rules: the group ids from `--group`, the config file and
/// `--consumer-property` must agree; a group excludes `--partition`; without either a
/// `console-consumer-<random>` group is made. Returns the group and whether it was given.
fn resolve_group(
    flag: Option<&str>,
    file: Option<&str>,
    property: Option<&str>,
    partition: bool,
) -> Result<(Option<String>, bool), Error> {
    let mut groups: Vec<&str> = Vec::new();
    for g in [flag, file, property].into_iter().flatten() {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    if groups.len() > 1 {
        return Err(Error::Usage(format!(
            "The group ids provided in different places (directly using '--group', via \
             '--consumer-property', or via '--consumer.config') do not match. Detected group \
             ids: {}",
            groups
                .iter()
                .map(|g| format!("'{g}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    match (groups.first(), partition) {
        (Some(_), true) => Err(Error::Usage(
            "Options group and partition cannot be specified together.".to_string(),
        )),
        (Some(g), false) => Ok((Some(g.to_string()), true)),
        (None, true) => Ok((None, false)),
        (None, false) => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let seed = (nanos as u64) ^ (u64::from(std::process::id()) << 32);
            Ok((Some(random_console_group(seed)), false))
        }
    }
}

/// Runs the tool.
pub fn run(matches: &ArgMatches) -> Result<(), Error> {
    let (plan, config) = plan(matches)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    let mut count: u64 = 0;
    let result = runtime.block_on(consume(plan, config, &mut count));
    let _ = writeln!(std::io::stderr(), "Processed a total of {count} messages");
    // Broker links may still be waiting on a long poll; do not wait for them.
    runtime.shutdown_background();
    result
}

/// Assigns the partitions of the plan, positioned as the flags say.
async fn assign(consumer: &mut Consumer, plan: &Plan) -> Result<(), Error> {
    let failed = |e: ConsumerError| Error::Failed(e.to_string());
    let topics: Vec<String> = match (&plan.topic, &plan.include) {
        (Some(t), _) => vec![t.clone()],
        (None, Some(pattern)) => {
            let filter = regex_automata::meta::Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|e| Error::Usage(format!("--include {pattern}: invalid regex: {e}")))?;
            let metadata = consumer
                .client()
                .metadata()
                .await
                .map_err(|e| Error::Failed(e.to_string()))?;
            let mut names: Vec<String> = metadata
                .topics
                .iter()
                .filter(|t| {
                    filter.is_match(&t.name)
                        && !t.internal
                        && !crate::admin::topic_name::is_internal(&t.name)
                })
                .map(|t| t.name.clone())
                .collect();
            names.sort();
            if names.is_empty() {
                return Err(Error::Failed(format!(
                    "no topic matches --include {pattern}"
                )));
            }
            names
        }
        (None, None) => return Err(Error::Usage("--topic or --include is required".to_string())),
    };
    for topic in &topics {
        let partitions = consumer.partitions_for(topic).await.map_err(failed)?;
        match plan.partition {
            Some(p) => {
                if !partitions.contains(&p) {
                    return Err(Error::Failed(format!(
                        "topic {topic} has no partition {p} (it has {})",
                        partitions.len()
                    )));
                }
                consumer.assign(topic, p);
                if let Some(start) = plan.start {
                    consumer.seek(topic, p, start).map_err(failed)?;
                }
            }
            None => partitions.iter().for_each(|&p| consumer.assign(topic, p)),
        }
    }
    Ok(())
}

/// The record source: assigned partitions, or a group subscription.
enum Source {
    Assigned(Box<Consumer>),
    Group(Box<GroupConsumer>),
}

impl Source {
    fn next_ready(&mut self) -> Result<Option<ConsumerRecord>, ConsumerError> {
        match self {
            Source::Assigned(c) => c.next_ready(),
            Source::Group(g) => g.next_ready(),
        }
    }

    async fn next(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<Option<ConsumerRecord>, ConsumerError> {
        match self {
            Source::Assigned(c) => c.next(deadline).await,
            Source::Group(g) => g.next(deadline).await,
        }
    }

    /// Commits and leaves the group (nothing to do for assigned partitions).
    async fn close(self) -> Result<(), Error> {
        match self {
            Source::Assigned(_) => Ok(()),
            Source::Group(g) => g.close().await.map_err(|e| Error::Failed(e.to_string())),
        }
    }
}

/// Builds the source the plan asks for.
async fn source(plan: &Plan, config: ConsumerConfig) -> Result<Source, Error> {
    let Some(group) = &plan.group else {
        let mut consumer = Consumer::new(config);
        assign(&mut consumer, plan).await?;
        return Ok(Source::Assigned(Box::new(consumer)));
    };
    let topics = match (&plan.topic, &plan.include) {
        (Some(t), _) => Topics::List(vec![t.clone()]),
        (None, Some(p)) => {
            regex_automata::meta::Regex::new(&format!("^(?:{p})$"))
                .map_err(|e| Error::Usage(format!("--include {p}: invalid regex: {e}")))?;
            Topics::Pattern(p.clone())
        }
        (None, None) => return Err(Error::Usage("--topic or --include is required".to_string())),
    };
    // Fail fast, as without groups, when the cluster cannot be reached or a topic is missing.
    let mut probe = Consumer::new(config.clone());
    if let Some(t) = &plan.topic {
        probe
            .partitions_for(t)
            .await
            .map_err(|e| Error::Failed(e.to_string()))?;
    }
    let groups = crate::client::group::coordinator::cluster_supports_groups(probe.client())
        .await
        .map_err(|e| Error::Failed(e.to_string()))?;
    if !groups {
        if plan.group_given {
            return Err(Error::Failed(format!(
                "the cluster does not serve consumer groups (no FindCoordinator/JoinGroup); \
                 cannot join group {group}"
            )));
        }
        tracing::warn!("the cluster does not serve consumer groups; consuming every partition");
        assign(&mut probe, plan).await?;
        return Ok(Source::Assigned(Box::new(probe)));
    }
    tracing::debug!("joining group {group}");
    let consumer = GroupConsumer::new(config, topics).map_err(|e| Error::Failed(e.to_string()))?;
    Ok(Source::Group(Box::new(consumer)))
}

async fn consume(plan: Plan, config: ConsumerConfig, count: &mut u64) -> Result<(), Error> {
    let mut consumer = source(&plan, config).await?;
    if plan.max_messages == Some(0) {
        return consumer.close().await;
    }
    let result = read_loop(&plan, &mut consumer, count).await;
    // The output is flushed (read_loop's last act), so committing now covers only
    // records that were printed.
    let closed = consumer.close().await;
    result.and(closed)
}

async fn read_loop(plan: &Plan, consumer: &mut Source, count: &mut u64) -> Result<(), Error> {
    let stdout = std::io::stdout();
    let interactive = stdout.is_terminal();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| Error::Failed(format!("cannot watch SIGINT: {e}")))?;
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::Failed(format!("cannot watch SIGTERM: {e}")))?;
    loop {
        let next = match consumer.next_ready() {
            Ok(Some(r)) => Ok(Some(r)),
            Ok(None) => {
                // About to wait for the network: whatever was printed goes out now.
                out.flush().map_err(Error::Output)?;
                let deadline = plan.timeout.map(|t| Instant::now() + t);
                tokio::select! {
                    r = consumer.next(deadline) => r,
                    _ = sigint.recv() => break,
                    _ = sigterm.recv() => break,
                }
            }
            Err(e) => Err(e),
        };
        let record = match next {
            Ok(Some(r)) => r,
            Ok(None) => {
                tracing::debug!("no record within --timeout-ms");
                break;
            }
            Err(e @ ConsumerError::Corrupt { .. }) if plan.skip_on_error => {
                tracing::warn!("skipping unreadable records: {e}");
                continue;
            }
            Err(e) => {
                out.flush().map_err(Error::Output)?;
                return Err(Error::Failed(e.to_string()));
            }
        };
        let written = if plan.json {
            format::write_json(&mut out, &record)
        } else {
            plan.format.write(&mut out, &record)
        };
        written.map_err(Error::Output)?;
        *count += 1;
        if plan.max_messages.is_some_and(|m| *count >= m) {
            break;
        }
        if interactive {
            out.flush().map_err(Error::Output)?;
        }
    }
    out.flush().map_err(Error::Output)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_sources_must_agree_and_exclude_partition() {
        assert_eq!(
            resolve_group(Some("g"), Some("g"), None, false).unwrap(),
            (Some("g".to_string()), true)
        );
        assert_eq!(
            resolve_group(None, None, Some("p"), false).unwrap(),
            (Some("p".to_string()), true)
        );
        let err = resolve_group(Some("g"), Some("f"), Some("p"), false).unwrap_err();
        assert!(
            err.to_string()
                .contains("Detected group ids: 'g', 'f', 'p'"),
            "{err}"
        );
        let err = resolve_group(None, Some("f"), None, true).unwrap_err();
        assert!(err.to_string().contains("group and partition"), "{err}");
        assert_eq!(
            resolve_group(None, None, None, true).unwrap(),
            (None, false)
        );
    }

    #[test]
    fn default_group_is_kafkas_random_console_group() {
        let (group, given) = resolve_group(None, None, None, false).unwrap();
        let group = group.unwrap();
        assert!(!given);
        let n: u32 = group
            .strip_prefix("console-consumer-")
            .unwrap()
            .parse()
            .unwrap();
        assert!(n < 100_000);
        assert_ne!(random_console_group(1), random_console_group(2));
    }
}
