//! The `--bootstrap-server` backend of `topics`: Kafka 4's TopicCommand over the admin
//! protocol ([`crate::client::admin`]), against any broker (rkafka's or Kafka's).
//!
//! What is printed, where, and the exit code are Kafka's: results on stdout, a failure as
//! "Error while executing topic command : <message>" on stdout with exit 1 (Kafka also logs
//! the exception on stderr; rkafka prints its one-line error there). Topics are described in
//! the order Kafka's tool prints them, which is the iteration order of a Java `HashMap` keyed
//! by topic name ([`java_hash_order`]), not sorted.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use crate::admin::topic_name;
use crate::client::ClientSettings;
use crate::client::admin::{
    Admin, ApiError, ConfigEntry, ConfigResource, ConfigSource, NewPartitions, NewTopic,
};
use crate::config::properties::Properties;
use crate::error::Error;
use crate::protocol::error_code::ErrorCode;
use crate::types::{HostPort, Uuid};

use super::configs;
use super::filter::{TopicFilter, select};
use super::output::{self, OutputFormat, PartitionInfo, Reassigning, TopicInfo};
use super::{Action, DescribeFilter};

/// Kafka's prefix of a failure on stdout.
const FAILURE_PREFIX: &str = "Error while executing topic command : ";

/// The client settings: Kafka's defaults, the `--command-config` file over them, and
/// `--bootstrap-server` over that.
fn client_settings(servers: &str, command_config: Option<&Path>) -> Result<ClientSettings, Error> {
    let mut settings = ClientSettings::default();
    if let Some(path) = command_config {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let props = Properties::parse(&text, path)?;
        settings
            .apply(&props)
            .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    }
    settings.bootstrap_servers = HostPort::parse_list(servers)
        .map_err(|e| Error::Usage(format!("--bootstrap-server {servers}: {e}")))?;
    Ok(settings)
}

/// Connects, runs `action`, prints as Kafka does.
pub async fn run(
    servers: &str,
    command_config: Option<&Path>,
    action: &Action,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let settings = client_settings(servers, command_config)?;
    let mut admin = Admin::new(settings);
    let result = execute(&mut admin, action, format, out).await;
    match result {
        Err(Failure::Message(message)) => {
            writeln!(out, "{FAILURE_PREFIX}{message}").map_err(Error::Output)?;
            Err(Error::Failed(message))
        }
        Err(Failure::Tool(e)) => Err(e),
        Ok(()) => Ok(()),
    }
}

/// How an action failed: a message Kafka's tool prints on stdout, or a local problem.
enum Failure {
    Message(String),
    Tool(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Tool(e)
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Message(e.message)
    }
}

impl From<crate::client::ClientError> for Failure {
    fn from(e: crate::client::ClientError) -> Self {
        Failure::Message(crate::cli::chain(&e))
    }
}

impl From<crate::client::admin::AdminError> for Failure {
    fn from(e: crate::client::admin::AdminError) -> Self {
        Failure::Message(crate::cli::chain(&e))
    }
}

fn out_err(e: std::io::Error) -> Failure {
    Failure::Tool(Error::Output(e))
}

async fn execute(
    admin: &mut Admin,
    action: &Action,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    match action {
        Action::Create {
            topic,
            partitions,
            replication_factor,
            assignment,
            configs,
            if_not_exists,
        } => {
            create(
                admin,
                NewTopicArgs {
                    topic,
                    partitions: *partitions,
                    replication_factor: *replication_factor,
                    assignment: assignment.as_deref(),
                    configs,
                    if_not_exists: *if_not_exists,
                },
                format,
                out,
            )
            .await
        }
        Action::List {
            filter,
            exclude_internal,
        } => {
            let topics = topics(admin, filter.as_ref(), *exclude_internal).await?;
            match format {
                // Kafka prints the names joined by newlines with println: one empty line when
                // there are none.
                OutputFormat::Text => writeln!(out, "{}", topics.join("\n")).map_err(out_err),
                OutputFormat::Json => {
                    let rows: Vec<(String, bool)> =
                        topics.into_iter().map(|t| (t, false)).collect();
                    output::write_list(out, &rows, format).map_err(out_err)
                }
            }
        }
        Action::Describe {
            filter,
            exclude_internal,
            if_exists,
            show,
        } => {
            describe(
                admin,
                filter.as_ref(),
                *exclude_internal,
                *if_exists,
                *show,
                format,
                out,
            )
            .await
        }
        Action::Alter {
            filter,
            partitions,
            assignment,
            configs,
            delete_configs,
            if_exists,
            ..
        } => {
            let topics = topics(admin, Some(filter), false).await?;
            ensure_found(&topics, filter, *if_exists)?;
            if topics.is_empty() {
                return Ok(());
            }
            if !configs.is_empty() || !delete_configs.is_empty() {
                for (k, v) in configs {
                    check_value(k, v)?;
                }
                for topic in &topics {
                    admin
                        .change_topic_configs(topic, configs, delete_configs)
                        .await??;
                    say(out, format, &format!("Updated config for topic {topic}."))?;
                }
            }
            if let Some(total) = partitions {
                let described = admin.describe_topics(&topics).await?;
                let mut growth = Vec::new();
                for (name, d) in described {
                    let d = d?;
                    // Kafka takes the new partitions' replicas from the list, after the
                    // existing partitions.
                    let new = assignment.as_ref().map(|lists| {
                        lists
                            .iter()
                            .skip(d.partitions.len())
                            .cloned()
                            .collect::<Vec<_>>()
                    });
                    growth.push(NewPartitions {
                        topic: name,
                        total: *total,
                        assignment: new,
                    });
                }
                for (_, r) in admin.create_partitions(growth, false).await? {
                    r?;
                }
            }
            Ok(())
        }
        Action::Delete { filter, if_exists } => {
            let topics = topics(admin, Some(filter), false).await?;
            ensure_found(&topics, filter, *if_exists)?;
            if topics.is_empty() {
                return Ok(());
            }
            for (_, r) in admin.delete_topics(topics).await? {
                r?;
            }
            Ok(())
        }
    }
}

/// One line for the user; in JSON mode, a `{"message": ...}` document.
fn say(out: &mut dyn Write, format: OutputFormat, line: &str) -> Result<(), Failure> {
    match format {
        OutputFormat::Text => writeln!(out, "{line}").map_err(out_err),
        OutputFormat::Json => {
            output::write_json(out, &serde_json::json!({ "message": line })).map_err(out_err)
        }
    }
}

/// Kafka's check of a `--config` value before sending (LogConfig.validate), with Kafka's
/// wording for numbers.
fn check_value(key: &str, value: &str) -> Result<(), Failure> {
    use crate::config::def::Kind;
    use crate::config::server::TOPIC;
    // Unknown names are left to the broker, which answers "Unknown topic config name".
    let Some(def) = TOPIC.get(key) else {
        return Ok(());
    };
    let Err(refusal) = def.parse(value) else {
        return Ok(());
    };
    let kafka_type = match def.kind {
        Kind::Int => Some("INT"),
        Kind::Long => Some("LONG"),
        Kind::Short => Some("SHORT"),
        Kind::Double => Some("DOUBLE"),
        _ => None,
    };
    let message = match kafka_type {
        Some(t) if refusal.problem.starts_with("is not a valid") => {
            format!("Invalid value {value} for configuration {key}: Not a number of type {t}")
        }
        _ => match configs::check_value(key, value) {
            Err(e) => e.to_string(),
            Ok(()) => return Ok(()),
        },
    };
    Err(Failure::Message(message))
}

struct NewTopicArgs<'a> {
    topic: &'a str,
    partitions: Option<i32>,
    replication_factor: Option<i32>,
    assignment: Option<&'a [Vec<i32>]>,
    configs: &'a BTreeMap<String, String>,
    if_not_exists: bool,
}

async fn create(
    admin: &mut Admin,
    args: NewTopicArgs<'_>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    for (k, v) in args.configs {
        check_value(k, v)?;
    }
    if topic_name::has_collision_chars(args.topic) {
        say(out, format, topic_name::COLLISION_WARNING)?;
    }
    if let Some(rf) = args.replication_factor
        && !(1..=i32::from(i16::MAX)).contains(&rf)
    {
        return Err(Failure::Message(format!(
            "The replication factor must be between 1 and {} inclusive",
            i16::MAX
        )));
    }
    if args.partitions.is_some_and(|p| p < 1) {
        return Err(Failure::Message(
            "The partitions must be greater than 0".to_string(),
        ));
    }
    let topic = NewTopic {
        name: args.topic.to_string(),
        partitions: args.partitions,
        replication_factor: args.replication_factor.and_then(|r| i16::try_from(r).ok()),
        assignment: args.assignment.map(<[Vec<i32>]>::to_vec),
        configs: args.configs.clone(),
    };
    for (_, result) in admin.create_topics(vec![topic], false).await? {
        match result {
            Err(e) if e.code == ErrorCode::TOPIC_ALREADY_EXISTS && args.if_not_exists => {
                return Ok(());
            }
            Err(e) => return Err(e.into()),
            Ok(()) => {}
        }
    }
    say(out, format, &format!("Created topic {}.", args.topic))
}

/// Kafka's `getTopics`: all topic names (internal ones unless excluded), sorted, filtered.
async fn topics(
    admin: &mut Admin,
    filter: Option<&TopicFilter>,
    exclude_internal: bool,
) -> Result<Vec<String>, Failure> {
    let all: Vec<String> = admin
        .list_topics()
        .await?
        .into_iter()
        .filter(|(_, internal)| !(exclude_internal && *internal))
        .map(|(name, _)| name)
        .collect();
    Ok(select(&all, filter, exclude_internal))
}

fn ensure_found(topics: &[String], filter: &TopicFilter, if_exists: bool) -> Result<(), Failure> {
    if topics.is_empty() && !if_exists && !filter.raw().is_empty() {
        return Err(Failure::Message(format!(
            "Topic '{}' does not exist as expected",
            filter.raw()
        )));
    }
    Ok(())
}

/// The configs Kafka's describe shows: every entry not at its built-in default, in order.
fn shown_configs(entries: &[ConfigEntry]) -> Vec<(String, String)> {
    entries
        .iter()
        .filter(|e| e.source != ConfigSource::Default)
        .map(|e| {
            (
                e.name.clone(),
                e.value.clone().unwrap_or_else(|| "null".to_string()),
            )
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn describe(
    admin: &mut Admin,
    filter: Option<&TopicFilter>,
    exclude_internal: bool,
    if_exists: bool,
    show: DescribeFilter,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let names = topics(admin, filter, exclude_internal).await?;
    if let Some(f) = filter {
        ensure_found(&names, f, if_exists)?;
    }
    let described = if names.is_empty() {
        Vec::new()
    } else {
        admin.describe_topics(&names).await?
    };
    let mut descriptions = Vec::with_capacity(described.len());
    for (_, d) in described {
        descriptions.push(d?);
    }
    let resources: Vec<ConfigResource> = descriptions
        .iter()
        .map(|d| ConfigResource::topic(&d.name))
        .collect();
    let mut configs: BTreeMap<String, Vec<ConfigEntry>> = BTreeMap::new();
    if !resources.is_empty() {
        for (r, entries) in admin.describe_configs(&resources, false).await? {
            configs.insert(r.name, entries?);
        }
    }
    let live: BTreeSet<i32> = admin
        .describe_cluster()
        .await?
        .brokers
        .iter()
        .map(|b| b.0)
        .collect();
    let wanted: BTreeMap<String, Vec<i32>> = descriptions
        .iter()
        .map(|d| {
            (
                d.name.clone(),
                d.partitions.iter().map(|p| p.partition).collect(),
            )
        })
        .collect();
    let reassignments = admin.list_reassignments(&wanted).await?;
    let order = java_hash_order(&names);
    let mut infos = Vec::with_capacity(descriptions.len());
    for i in order {
        let Some(d) = descriptions.get(i) else {
            continue;
        };
        let entries = configs.get(&d.name).map(Vec::as_slice).unwrap_or_default();
        let min_isr = entries
            .iter()
            .find(|e| e.name == "min.insync.replicas")
            .and_then(|e| e.value.as_deref())
            .and_then(|v| v.parse().ok());
        infos.push(TopicInfo {
            name: d.name.clone(),
            topic_id: (d.topic_id != Uuid::ZERO).then(|| d.topic_id.to_string()),
            configs: shown_configs(entries),
            min_isr,
            marked_for_deletion: false,
            partitions: d
                .partitions
                .iter()
                .map(|p| PartitionInfo {
                    partition: p.partition,
                    leader: p.leader,
                    replicas: p.replicas.clone(),
                    isr: p.isr.clone(),
                    reassignment: reassignments.get(&(d.name.clone(), p.partition)).map(|r| {
                        Reassigning {
                            adding: r.adding.clone(),
                            removing: r.removing.clone(),
                        }
                    }),
                    elr: p.elr.clone(),
                    last_known_elr: p.last_known_elr.clone(),
                })
                .collect(),
        });
    }
    output::write_describe(out, &infos, &live, show, format).map_err(out_err)
}

/// Java's `String.hashCode` of an ASCII/UTF-16 string.
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The order in which a Java `HashMap<String, _>` created with capacity `names.len()` and
/// filled in `names` order iterates: by bucket of the final table (hash spread as Java does,
/// capacity doubled while the size exceeds 3/4 of it), insertion order within a bucket.
/// Kafka's admin client returns topic descriptions in such a map, and its tool prints them in
/// this order. Returns indexes into `names`.
pub fn java_hash_order(names: &[String]) -> Vec<usize> {
    let mut capacity = names.len().max(1).next_power_of_two();
    while names.len() > capacity * 3 / 4 && capacity < (1 << 30) {
        capacity *= 2;
    }
    let bucket = |name: &str| {
        let h = java_string_hash(name);
        let spread = h ^ ((h as u32) >> 16) as i32;
        (spread as u32 as usize) & (capacity - 1)
    };
    let mut order: Vec<usize> = (0..names.len()).collect();
    // Stable: equal buckets keep insertion order.
    order.sort_by_key(|&i| bucket(&names[i]));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_map_order() {
        // Kafka 4.4's TopicCommand printed these four in this order (tests/topics_bootstrap.rs
        // checks the same against a live broker).
        let names: Vec<String> = ["a.b_c", "t1", "t3", "t9"].map(String::from).to_vec();
        let order: Vec<&str> = java_hash_order(&names)
            .into_iter()
            .map(|i| names[i].as_str())
            .collect();
        assert_eq!(order, ["a.b_c", "t1", "t9", "t3"]);
        assert_eq!(java_string_hash("t1"), 3645);
        assert_eq!(java_hash_order(&[]), Vec::<usize>::new());
    }

    #[test]
    fn value_checks_use_kafkas_words() {
        let Err(Failure::Message(m)) = check_value("retention.ms", "x") else {
            panic!("accepted")
        };
        assert_eq!(
            m,
            "Invalid value x for configuration retention.ms: Not a number of type LONG"
        );
        assert!(check_value("nope", "1").is_ok(), "left to the broker");
        assert!(check_value("retention.ms", "5").is_ok());
    }
}
