//! Kafka's topic znodes written and read the way Kafka's `AdminZkClient` does, shared by
//! `rkafka topics --zookeeper` and the broker's admin handlers (CreateTopics, DeleteTopics,
//! CreatePartitions, AlterConfigs): the one place that knows the order of the writes.
//!
//! Unlike the rest of `admin` this module does I/O (through a [`ZkClient`]); the rules it
//! applies (names, placement) stay in the pure modules next to it.
//!
//! Creating a topic writes `/config/topics/<t>` first and `/brokers/topics/<t>` (with a fresh
//! topic id) last: the controller watches `/brokers/topics`, so when it sees the topic its
//! configuration is already there.

use std::collections::BTreeMap;
use std::io::Read;

use crate::coordinator::client::{Acl, CreateMode, Stat, ZkClient, ZkError};
use crate::coordinator::kafka_paths::{
    ConfigChangeNotification, EntityConfig, ReplicaMap, TopicAssignment, Uuid, path,
};

/// A failed znode operation, naming what was being done.
#[derive(Debug, thiserror::Error)]
pub enum ZkTopicError {
    #[error("{what}: {source}")]
    Zk {
        what: String,
        #[source]
        source: ZkError,
    },
    /// `/brokers/topics/<t>` exists already (Kafka's TopicExistsException text).
    #[error("Topic '{topic}' already exists.")]
    TopicExists { topic: String },
    #[error("{path}: {reason}")]
    Corrupt { path: String, reason: String },
    #[error("cannot read /dev/urandom: {0}")]
    Random(#[source] std::io::Error),
}

fn zk(what: impl Into<String>) -> impl FnOnce(ZkError) -> ZkTopicError {
    let what = what.into();
    move |source| ZkTopicError::Zk { what, source }
}

/// Random bytes from the system (topic ids, placement start).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], ZkTopicError> {
    let mut buf = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(ZkTopicError::Random)?;
    Ok(buf)
}

/// A fresh topic id, drawn as Kafka's `Uuid.randomUuid` does (never zero, never starting '-').
pub fn random_topic_id() -> Result<Uuid, ZkTopicError> {
    loop {
        if let Some(id) = Uuid::from_random(random_bytes::<16>()?) {
            return Ok(id);
        }
    }
}

/// Creates `p` (and missing parents, empty and persistent), like Kafka's createRecursive.
pub async fn create_recursive(
    client: &ZkClient,
    p: &str,
    data: &[u8],
    mode: CreateMode,
) -> Result<String, ZkError> {
    let acl = Acl::open_unsafe();
    match client.create(p, data, &acl, mode).await {
        Err(ZkError::NoNode { .. }) => {
            let mut missing = Vec::new();
            let mut parent = p;
            while let Some((up, _)) = parent.rsplit_once('/') {
                if up.is_empty() {
                    break;
                }
                missing.push(up.to_string());
                parent = up;
            }
            for dir in missing.iter().rev() {
                match client.create(dir, &[], &acl, CreateMode::Persistent).await {
                    Ok(_) | Err(ZkError::NodeExists { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            client.create(p, data, &acl, mode).await
        }
        other => other,
    }
}

/// Sets `p`'s data, creating it when missing (Kafka's setOrCreateEntityConfigs).
pub async fn set_or_create(client: &ZkClient, p: &str, data: &[u8]) -> Result<(), ZkTopicError> {
    let failed = || zk(format!("cannot write {p}"));
    match client.set_data(p, data, -1).await {
        Ok(_) => Ok(()),
        Err(ZkError::NoNode { .. }) => {
            match create_recursive(client, p, data, CreateMode::Persistent).await {
                Ok(_) => Ok(()),
                // Created meanwhile: set it after all.
                Err(ZkError::NodeExists { .. }) => client
                    .set_data(p, data, -1)
                    .await
                    .map(|_| ())
                    .map_err(failed()),
                Err(e) => Err(failed()(e)),
            }
        }
        Err(e) => Err(failed()(e)),
    }
}

/// Writes a new topic: its overrides, then its assignment with `id`. Fails with
/// [`ZkTopicError::TopicExists`] when the assignment znode exists.
pub async fn create_topic(
    client: &ZkClient,
    topic: &str,
    assignment: &ReplicaMap,
    configs: &BTreeMap<String, String>,
    id: Uuid,
) -> Result<(), ZkTopicError> {
    // An existing topic keeps its overrides: checked before they are written (as Kafka's
    // validateTopicCreate does), or a create of a known name (a client's auto-create racing
    // the metadata cache of a restarted broker, say) would reset them to the request's.
    if client
        .exists(&path::topic(topic), false)
        .await
        .map_err(zk(format!("cannot read {}", path::topic(topic))))?
        .is_some()
    {
        return Err(ZkTopicError::TopicExists {
            topic: topic.to_string(),
        });
    }
    set_or_create(
        client,
        &path::topic_config(topic),
        &EntityConfig::new(configs.clone()).encode(),
    )
    .await?;
    let payload = TopicAssignment::new(assignment.clone(), Some(id));
    match create_recursive(
        client,
        &path::topic(topic),
        &payload.encode(),
        CreateMode::Persistent,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(ZkError::NodeExists { .. }) => Err(ZkTopicError::TopicExists {
            topic: topic.to_string(),
        }),
        Err(e) => Err(zk(format!("cannot create topic {topic}"))(e)),
    }
}

/// A topic's overrides (`/config/topics/<t>`); empty when the znode is missing.
pub async fn topic_config(
    client: &ZkClient,
    topic: &str,
) -> Result<BTreeMap<String, String>, ZkTopicError> {
    let p = path::topic_config(topic);
    match client.get_data(&p, false).await {
        Ok((bytes, _)) => {
            EntityConfig::decode(&bytes)
                .map(|c| c.config)
                .map_err(|e| ZkTopicError::Corrupt {
                    path: p,
                    reason: e.to_string(),
                })
        }
        Err(ZkError::NoNode { .. }) => Ok(BTreeMap::new()),
        Err(e) => Err(zk(format!("cannot read {p}"))(e)),
    }
}

/// Replaces a topic's overrides and tells the brokers through a
/// `/config/changes/config_change_` notification (Kafka's changeTopicConfig).
pub async fn write_topic_config(
    client: &ZkClient,
    topic: &str,
    config: BTreeMap<String, String>,
) -> Result<(), ZkTopicError> {
    set_or_create(
        client,
        &path::topic_config(topic),
        &EntityConfig::new(config).encode(),
    )
    .await?;
    let note = ConfigChangeNotification::new("topics", topic).encode();
    create_recursive(
        client,
        &path::config_change_create(),
        &note,
        CreateMode::PersistentSequential,
    )
    .await
    .map_err(zk("cannot write the config change notification"))?;
    Ok(())
}

/// A topic's assignment znode and its stat; None when the topic does not exist.
pub async fn assignment(
    client: &ZkClient,
    topic: &str,
) -> Result<Option<(TopicAssignment, Stat)>, ZkTopicError> {
    let p = path::topic(topic);
    match client.get_data(&p, false).await {
        Ok((bytes, stat)) => TopicAssignment::decode(&bytes)
            .map(|a| Some((a, stat)))
            .map_err(|e| ZkTopicError::Corrupt {
                path: p,
                reason: e.to_string(),
            }),
        Err(ZkError::NoNode { .. }) => Ok(None),
        Err(e) => Err(zk(format!("cannot read {p}"))(e)),
    }
}

/// Replaces a topic's partitions with `partitions` (a superset of the current ones), guarded
/// by the assignment's znode `version` against concurrent changes.
pub async fn write_partitions(
    client: &ZkClient,
    topic: &str,
    mut current: TopicAssignment,
    partitions: ReplicaMap,
    version: i32,
) -> Result<(), ZkTopicError> {
    current.version = 3;
    current.partitions = partitions;
    client
        .set_data(&path::topic(topic), &current.encode(), version)
        .await
        .map(|_| ())
        .map_err(zk(format!("cannot update topic {topic}")))
}

/// Marks `topic` for deletion (`/admin/delete_topics/<t>`); false when it already was.
pub async fn mark_for_deletion(client: &ZkClient, topic: &str) -> Result<bool, ZkTopicError> {
    match create_recursive(
        client,
        &path::delete_topic(topic),
        &[],
        CreateMode::Persistent,
    )
    .await
    {
        Ok(_) => Ok(true),
        Err(ZkError::NodeExists { .. }) => Ok(false),
        Err(e) => Err(zk(format!("Error while deleting topic {topic}"))(e)),
    }
}

/// Whether `p` exists.
pub async fn exists(client: &ZkClient, p: &str) -> Result<bool, ZkTopicError> {
    client
        .exists(p, false)
        .await
        .map(|s| s.is_some())
        .map_err(zk(format!("cannot read {p}")))
}

/// Children of `p`, sorted; none when it does not exist.
pub async fn children(client: &ZkClient, p: &str) -> Result<Vec<String>, ZkTopicError> {
    match client.get_children(p, false).await {
        Ok(mut c) => {
            c.sort();
            Ok(c)
        }
        Err(ZkError::NoNode { .. }) => Ok(Vec::new()),
        Err(e) => Err(zk(format!("cannot list {p}"))(e)),
    }
}
