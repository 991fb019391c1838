//! The `--zookeeper` backend of `topics`: Kafka 2.x TopicCommand's ZooKeeper mode
//! (`ZookeeperTopicService` over `AdminZkClient`), reading and writing Kafka's znodes with
//! rkafka's ZooKeeper client. The controller broker acts on what is written here: it creates
//! partition state for new topics and partitions, deletes topics marked under
//! `/admin/delete_topics`, and applies `/admin/reassign_partitions`.
//!
//! Messages and the order of checks are Kafka's, so scripts that parse them keep working.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::Duration;

use crate::admin::assignment::{self, Start};
use crate::admin::topic_name;
use crate::admin::zk_topics::{self, ZkTopicError};
use crate::coordinator::client::{ClientConfig, CreateMode, Stat, ZkClient, ZkError};
use crate::coordinator::kafka_paths::{
    EntityConfig, PartitionReplicas, PartitionState, Reassignment, ReplicaMap, TopicAssignment,
    path,
};
use crate::error::Error;

use super::filter::{TopicFilter, select};
use super::output::{self, OutputFormat, PartitionInfo, Reassigning, TopicInfo};
use super::{Action, DescribeFilter};

/// How long to wait for the first session, as Kafka's tool (zookeeper.connection.timeout.ms).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

fn zk_failed(what: &str, e: ZkError) -> Error {
    Error::Failed(format!("{what}: {e}"))
}

/// Connects to `connect`, runs `action` and closes the session.
pub async fn run(
    connect: &str,
    action: &Action,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let mut config = ClientConfig::new(connect);
    config.connect_timeout = CONNECT_TIMEOUT;
    let (zk, _events) = ZkClient::connect(config)
        .await
        .map_err(|e| zk_failed(&format!("cannot connect to ZooKeeper at {connect}"), e))?;
    let zk = Zk { client: zk };
    let mut report = Report::new(format);
    let result = match action {
        Action::Create {
            topic,
            partitions,
            replication_factor,
            assignment,
            configs,
            if_not_exists,
        } => {
            zk.create(
                topic,
                *partitions,
                *replication_factor,
                assignment.as_deref(),
                configs,
                *if_not_exists,
                &mut report,
            )
            .await
        }
        Action::List {
            filter,
            exclude_internal,
        } => {
            zk.list(filter.as_ref(), *exclude_internal, format, out)
                .await
        }
        Action::Describe {
            filter,
            exclude_internal,
            if_exists,
            show,
        } => {
            zk.describe(
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
            replication_factor,
            assignment,
            configs,
            delete_configs,
            if_exists,
        } => {
            zk.alter(
                filter,
                *partitions,
                *replication_factor,
                assignment.as_deref(),
                configs,
                delete_configs,
                *if_exists,
                &mut report,
            )
            .await
        }
        Action::Delete { filter, if_exists } => zk.delete(filter, *if_exists, &mut report).await,
    };
    let _ = zk.client.close().await;
    // What was done is shown even when a later step failed.
    report.finish(out).map_err(Error::Output)?;
    result
}

/// Lines for the user: printed as Kafka prints them, or gathered into one JSON document.
struct Report {
    format: OutputFormat,
    lines: Vec<String>,
    json: serde_json::Map<String, serde_json::Value>,
}

impl Report {
    fn new(format: OutputFormat) -> Report {
        Report {
            format,
            lines: Vec::new(),
            json: serde_json::Map::new(),
        }
    }
    fn say(&mut self, line: impl Into<String>) {
        self.lines.push(line.into());
    }
    fn data(&mut self, key: &str, value: serde_json::Value) {
        match self.json.get_mut(key) {
            Some(serde_json::Value::Array(list)) => list.push(value),
            _ => {
                self.json
                    .insert(key.to_string(), serde_json::Value::Array(vec![value]));
            }
        }
    }
    fn finish(mut self, out: &mut dyn Write) -> std::io::Result<()> {
        match self.format {
            OutputFormat::Text => {
                for l in &self.lines {
                    writeln!(out, "{l}")?;
                }
                Ok(())
            }
            OutputFormat::Json => {
                if self.lines.is_empty() && self.json.is_empty() {
                    return Ok(());
                }
                self.json.insert(
                    "messages".to_string(),
                    serde_json::Value::from(std::mem::take(&mut self.lines)),
                );
                output::write_json(out, &serde_json::Value::Object(self.json))
            }
        }
    }
}

fn zk_topic_failed(e: ZkTopicError) -> Error {
    Error::Failed(e.to_string())
}

fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    zk_topics::random_bytes::<N>().map_err(zk_topic_failed)
}

/// The ZooKeeper session and the znode reads and writes the actions need.
struct Zk {
    client: ZkClient,
}

impl Zk {
    /// Children of `path`, sorted; none when it does not exist.
    async fn children(&self, p: &str) -> Result<Vec<String>, Error> {
        match self.client.get_children(p, false).await {
            Ok(mut c) => {
                c.sort();
                Ok(c)
            }
            Err(ZkError::NoNode { .. }) => Ok(Vec::new()),
            Err(e) => Err(zk_failed(&format!("cannot list {p}"), e)),
        }
    }

    /// Data of `p`, or None when it does not exist.
    async fn data(&self, p: &str) -> Result<Option<(Vec<u8>, Stat)>, Error> {
        match self.client.get_data(p, false).await {
            Ok((d, s)) => Ok(Some((d.to_vec(), s))),
            Err(ZkError::NoNode { .. }) => Ok(None),
            Err(e) => Err(zk_failed(&format!("cannot read {p}"), e)),
        }
    }

    async fn exists(&self, p: &str) -> Result<bool, Error> {
        self.client
            .exists(p, false)
            .await
            .map(|s| s.is_some())
            .map_err(|e| zk_failed(&format!("cannot read {p}"), e))
    }

    /// Creates `p` (and missing parents, empty and persistent), like Kafka's createRecursive.
    async fn create_recursive(
        &self,
        p: &str,
        data: &[u8],
        mode: CreateMode,
    ) -> Result<String, ZkError> {
        zk_topics::create_recursive(&self.client, p, data, mode).await
    }

    /// Registered brokers (children of /brokers/ids), sorted.
    async fn live_brokers(&self) -> Result<Vec<i32>, Error> {
        Ok(self
            .children(path::BROKER_IDS)
            .await?
            .iter()
            .filter_map(|c| c.parse::<i32>().ok())
            .collect())
    }

    async fn all_topics(&self) -> Result<Vec<String>, Error> {
        self.children(path::BROKER_TOPICS).await
    }

    async fn marked_for_deletion(&self) -> Result<BTreeSet<String>, Error> {
        Ok(self
            .children(path::DELETE_TOPICS)
            .await?
            .into_iter()
            .collect())
    }

    async fn assignment(&self, topic: &str) -> Result<Option<(TopicAssignment, Stat)>, Error> {
        let p = path::topic(topic);
        match self.data(&p).await? {
            None => Ok(None),
            Some((bytes, stat)) => TopicAssignment::decode(&bytes)
                .map(|a| Some((a, stat)))
                .map_err(|e| Error::Failed(format!("{p}: {e}"))),
        }
    }

    async fn topic_config(&self, topic: &str) -> Result<BTreeMap<String, String>, Error> {
        let p = path::topic_config(topic);
        match self.data(&p).await? {
            None => Ok(BTreeMap::new()),
            Some((bytes, _)) => EntityConfig::decode(&bytes)
                .map(|c| c.config)
                .map_err(|e| Error::Failed(format!("{p}: {e}"))),
        }
    }

    /// Writes a topic's overrides and tells the brokers (Kafka's changeTopicConfig).
    async fn write_topic_config(
        &self,
        topic: &str,
        config: BTreeMap<String, String>,
    ) -> Result<(), Error> {
        zk_topics::write_topic_config(&self.client, topic, config)
            .await
            .map_err(zk_topic_failed)
    }

    /// Topics matching `filter`, failing as Kafka does when none match and the action needs one.
    async fn matching(
        &self,
        filter: Option<&TopicFilter>,
        exclude_internal: bool,
        require: bool,
    ) -> Result<Vec<String>, Error> {
        let topics = select(&self.all_topics().await?, filter, exclude_internal);
        if let Some(f) = filter
            && require
            && topics.is_empty()
        {
            return Err(Error::Failed(format!(
                "Topic '{}' does not exist as expected",
                f.raw()
            )));
        }
        Ok(topics)
    }

    #[allow(clippy::too_many_arguments)]
    async fn create(
        &self,
        topic: &str,
        partitions: Option<i32>,
        replication_factor: Option<i32>,
        explicit: Option<&[Vec<i32>]>,
        configs: &BTreeMap<String, String>,
        if_not_exists: bool,
        report: &mut Report,
    ) -> Result<(), Error> {
        if topic_name::has_collision_chars(topic) {
            report.say(topic_name::COLLISION_WARNING);
        }
        let failed = |e: &dyn std::fmt::Display| Error::Failed(e.to_string());
        let assignment: ReplicaMap = match explicit {
            Some(lists) => {
                let map = assignment::to_replica_map(lists);
                assignment::validate_for_create(&map).map_err(|e| failed(&e))?;
                map
            }
            None => {
                let brokers = self.live_brokers().await?;
                let [a, b] = random_bytes::<2>()?;
                let n = brokers.len().max(1);
                let start = Start::Random {
                    index: usize::from(a) % n,
                    shift: usize::from(b) % n,
                };
                assignment::assign_replicas(
                    &brokers,
                    partitions.unwrap_or(1),
                    replication_factor.unwrap_or(1),
                    start,
                    0,
                )
                .map_err(|e| failed(&e))?
            }
        };
        topic_name::validate(topic).map_err(|e| failed(&e))?;
        if self.exists(&path::delete_topic(topic)).await? {
            return Err(Error::Failed(format!(
                "Topic '{topic}' is marked for deletion."
            )));
        }
        let exists_error = || Error::Failed(format!("Topic '{topic}' already exists."));
        if self.exists(&path::topic(topic)).await? {
            return if if_not_exists {
                Ok(())
            } else {
                Err(exists_error())
            };
        }
        let all = self.all_topics().await?;
        let colliding = topic_name::collisions(topic, all.iter().map(String::as_str));
        if !colliding.is_empty() {
            return Err(Error::Failed(format!(
                "Topic '{topic}' collides with existing topics: {}",
                colliding.join(", ")
            )));
        }
        let id = zk_topics::random_topic_id().map_err(zk_topic_failed)?;
        match zk_topics::create_topic(&self.client, topic, &assignment, configs, id).await {
            Ok(()) => {}
            Err(ZkTopicError::TopicExists { .. }) if if_not_exists => return Ok(()),
            Err(ZkTopicError::TopicExists { .. }) => return Err(exists_error()),
            Err(e) => return Err(zk_topic_failed(e)),
        }
        report.say(format!("Created topic {topic}."));
        report.data(
            "created",
            serde_json::json!({
                "name": topic,
                "topic_id": id.to_string(),
                "partitions": assignment,
                "configs": configs,
            }),
        );
        Ok(())
    }

    async fn list(
        &self,
        filter: Option<&TopicFilter>,
        exclude_internal: bool,
        format: OutputFormat,
        out: &mut dyn Write,
    ) -> Result<(), Error> {
        let topics = self.matching(filter, exclude_internal, false).await?;
        let marked = self.marked_for_deletion().await?;
        let rows: Vec<(String, bool)> = topics
            .into_iter()
            .map(|t| {
                let m = marked.contains(&t);
                (t, m)
            })
            .collect();
        output::write_list(out, &rows, format).map_err(Error::Output)
    }

    async fn describe(
        &self,
        filter: Option<&TopicFilter>,
        exclude_internal: bool,
        if_exists: bool,
        show: DescribeFilter,
        format: OutputFormat,
        out: &mut dyn Write,
    ) -> Result<(), Error> {
        let topics = self.matching(filter, exclude_internal, !if_exists).await?;
        let live: BTreeSet<i32> = self.live_brokers().await?.into_iter().collect();
        let marked = self.marked_for_deletion().await?;
        let mut infos = Vec::new();
        for topic in topics {
            let Some((assignment, _)) = self.assignment(&topic).await? else {
                // Deleted between the listing and now, as Kafka reports it.
                if format == OutputFormat::Text {
                    writeln!(out, "Topic {topic} doesn't exist!").map_err(Error::Output)?;
                }
                continue;
            };
            let mut partitions = Vec::with_capacity(assignment.partitions.len());
            for (&p, replicas) in &assignment.partitions {
                let state_path = path::partition_state(&topic, p);
                let state = match self.data(&state_path).await? {
                    Some((bytes, _)) => PartitionState::decode(&bytes).ok(),
                    None => None,
                };
                let adding = assignment
                    .adding_replicas
                    .get(&p)
                    .cloned()
                    .unwrap_or_default();
                let removing = assignment
                    .removing_replicas
                    .get(&p)
                    .cloned()
                    .unwrap_or_default();
                partitions.push(PartitionInfo {
                    partition: p,
                    leader: state.as_ref().and_then(PartitionState::leader),
                    replicas: replicas.clone(),
                    isr: state.map(|s| s.isr).unwrap_or_default(),
                    reassignment: (!adding.is_empty() || !removing.is_empty())
                        .then_some(Reassigning { adding, removing }),
                    elr: None,
                    last_known_elr: None,
                });
            }
            let configs = self.topic_config(&topic).await?;
            infos.push(TopicInfo {
                topic_id: assignment.uuid().map(|u| u.to_string()),
                min_isr: configs
                    .get("min.insync.replicas")
                    .and_then(|v| v.parse().ok()),
                configs: configs.into_iter().collect(),
                marked_for_deletion: marked.contains(&topic),
                name: topic,
                partitions,
            });
            if format == OutputFormat::Text {
                // Stream topic by topic, as Kafka does, so a large cluster shows output early.
                output::write_describe(out, &infos, &live, show, format).map_err(Error::Output)?;
                infos.clear();
            }
        }
        if format == OutputFormat::Json {
            output::write_describe(out, &infos, &live, show, format).map_err(Error::Output)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn alter(
        &self,
        filter: &TopicFilter,
        partitions: Option<i32>,
        replication_factor: Option<i32>,
        explicit: Option<&[Vec<i32>]>,
        configs: &BTreeMap<String, String>,
        delete_configs: &[String],
        if_exists: bool,
        report: &mut Report,
    ) -> Result<(), Error> {
        let topics = self.matching(Some(filter), false, !if_exists).await?;
        let mut reassign: Vec<PartitionReplicas> = Vec::new();
        let mut reassigned_topics = Vec::new();
        for topic in &topics {
            if !configs.is_empty() || !delete_configs.is_empty() {
                report.say("WARNING: Altering topic configuration from this script has been deprecated and may be removed in future releases.");
                report.say(
                    "         Going forward, please use kafka-configs.sh for this functionality",
                );
                let mut current = self.topic_config(topic).await?;
                current.extend(configs.iter().map(|(k, v)| (k.clone(), v.clone())));
                for k in delete_configs {
                    current.remove(k);
                }
                self.write_topic_config(topic, current).await?;
                report.say(format!("Updated config for topic {topic}."));
                report.data("config_updated", topic.as_str().into());
            }
            if let Some(count) = partitions {
                if topic_name::is_internal(topic) {
                    return Err(Error::Failed(format!(
                        "The number of partitions for the internal topic {topic} cannot be changed."
                    )));
                }
                report.say("WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected");
                let Some((mut current, stat)) = self.assignment(topic).await? else {
                    return Err(Error::Failed(format!("The topic {topic} does not exist")));
                };
                if !current.adding_replicas.is_empty() || !current.removing_replicas.is_empty() {
                    return Err(Error::Failed(format!(
                        "A partition reassignment is in progress for the topic '{topic}'."
                    )));
                }
                let brokers = self.live_brokers().await?;
                let grown = assignment::add_partitions(
                    topic,
                    &current.partitions,
                    &brokers,
                    count,
                    explicit,
                )
                .map_err(|e| Error::Failed(e.to_string()))?;
                current.version = 3;
                current.partitions = grown;
                // The expected version guards against a concurrent change (controller or tool).
                self.client
                    .set_data(&path::topic(topic), &current.encode(), stat.version)
                    .await
                    .map_err(|e| zk_failed(&format!("cannot update topic {topic}"), e))?;
                report.say("Adding partitions succeeded!");
                report.data(
                    "partitions_added",
                    serde_json::json!({"name": topic, "partition_count": count}),
                );
            }
            if let Some(rf) = replication_factor {
                let Some((current, _)) = self.assignment(topic).await? else {
                    return Err(Error::Failed(format!("The topic {topic} does not exist")));
                };
                let brokers = self.live_brokers().await?;
                let plan = assignment::change_replication_factor(&current.partitions, &brokers, rf)
                    .map_err(|e| Error::Failed(e.to_string()))?;
                if plan.is_empty() {
                    report.say(format!(
                        "Topic {topic} already has replication factor {rf}; nothing to reassign."
                    ));
                    continue;
                }
                reassigned_topics.push((topic.clone(), plan.len(), rf));
                reassign.extend(
                    plan.into_iter()
                        .map(|(partition, replicas)| PartitionReplicas {
                            topic: topic.clone(),
                            partition,
                            replicas,
                        }),
                );
            }
        }
        if !reassign.is_empty() {
            self.submit_reassignment(reassign, &reassigned_topics, report)
                .await?;
        }
        Ok(())
    }

    /// Writes `/admin/reassign_partitions` (only one reassignment may run at a time).
    async fn submit_reassignment(
        &self,
        partitions: Vec<PartitionReplicas>,
        topics: &[(String, usize, i32)],
        report: &mut Report,
    ) -> Result<(), Error> {
        let payload = Reassignment::new(partitions.clone());
        match self
            .create_recursive(
                path::REASSIGN_PARTITIONS,
                &payload.encode(),
                CreateMode::Persistent,
            )
            .await
        {
            Ok(_) => {}
            Err(ZkError::NodeExists { .. }) => {
                return Err(Error::Failed(
                    "There is an existing assignment running.".to_string(),
                ));
            }
            Err(e) => return Err(zk_failed("cannot submit the reassignment", e)),
        }
        for (topic, count, rf) in topics {
            report.say(format!(
                "Submitted a reassignment of {count} partition(s) of topic {topic} to replication factor {rf} ({}).",
                path::REASSIGN_PARTITIONS
            ));
        }
        report.say("The controller applies it when the brokers act on it: new replicas copy the partition and join the ISR, then the reassignment ends. Follow it with --describe (Replicas and Isr).");
        report.data(
            "reassignment_submitted",
            serde_json::to_value(&payload).unwrap_or_default(),
        );
        Ok(())
    }

    async fn delete(
        &self,
        filter: &TopicFilter,
        if_exists: bool,
        report: &mut Report,
    ) -> Result<(), Error> {
        let topics = self.matching(Some(filter), false, !if_exists).await?;
        for topic in &topics {
            if topic_name::is_internal(topic) {
                return Err(Error::Failed(format!(
                    "Topic {topic} is a kafka internal topic and is not allowed to be marked for deletion."
                )));
            }
            match self
                .create_recursive(&path::delete_topic(topic), &[], CreateMode::Persistent)
                .await
            {
                Ok(_) => {
                    report.say(format!("Topic {topic} is marked for deletion."));
                    report.say(
                        "Note: This will have no impact if delete.topic.enable is not set to true.",
                    );
                    report.data("marked_for_deletion", topic.as_str().into());
                }
                Err(ZkError::NodeExists { .. }) => {
                    report.say(format!("Topic {topic} is already marked for deletion."));
                    report.data("already_marked_for_deletion", topic.as_str().into());
                }
                Err(e) => {
                    return Err(zk_failed(&format!("Error while deleting topic {topic}"), e));
                }
            }
        }
        Ok(())
    }
}
