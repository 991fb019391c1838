//! CreateTopics (key 19) with ZooKeeper-mode semantics, as a Kafka 3.x ZooKeeper broker that is
//! the controller answers it: checks (name, duplicates, configs, placement over the live
//! brokers of the metadata cache), then the topic's znodes through [`zk_topics`] (the
//! controller acts on `/brokers/topics/<t>`), then a wait of up to `timeout_ms` for the topic
//! to show up in this broker's metadata with leaders; topics still missing then get
//! REQUEST_TIMED_OUT. `timeout_ms <= 0` answers as soon as the znodes are written;
//! `validate_only` writes nothing. A broker that is not the controller answers NOT_CONTROLLER.

use std::collections::{BTreeMap, HashMap};

use super::BrokerContext;
use super::admin_common::{
    Refusal, assignment_refusal, is_controller, live_brokers, topic_ready, validate_topic_config,
    wait_for_metadata,
};
use crate::admin::assignment::{self, Start};
use crate::admin::topic_name;
use crate::admin::zk_topics::{self, ZkTopicError};
use crate::coordinator::kafka_paths::ReplicaMap;
use crate::protocol::codec::Uuid;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::create_topics_request::CreatableTopic;
use crate::protocol::messages::create_topics_response::CreatableTopicResult;
use crate::protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 7);

/// A topic that passed the checks: what to write.
struct Planned {
    assignment: ReplicaMap,
    configs: BTreeMap<String, String>,
    replication_factor: i16,
}

/// Answers `req`.
pub async fn handle(
    ctx: &BrokerContext,
    req: &CreateTopicsRequest,
    _version: i16,
) -> CreateTopicsResponse {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in &req.topics {
        *counts.entry(t.name.as_str()).or_default() += 1;
    }
    let zk = ctx.zk.current();
    let controller = is_controller(ctx) && zk.is_some();
    let mut results: Vec<(CreatableTopicResult, Option<usize>)> = Vec::new();
    for t in &req.topics {
        let mut result = CreatableTopicResult {
            name: t.name.clone(),
            num_partitions: -1,
            replication_factor: -1,
            ..CreatableTopicResult::default()
        };
        let outcome = if !controller {
            Err(Refusal::code(ErrorCode::NOT_CONTROLLER))
        } else if counts.get(t.name.as_str()).copied().unwrap_or(0) > 1 {
            Err(Refusal::new(
                ErrorCode::INVALID_REQUEST,
                format!(
                    "Create topics request contains multiple entries for the following topics: {}",
                    t.name
                ),
            ))
        } else {
            plan(ctx, t)
        };
        let mut wait_for = None;
        match outcome {
            Err(r) => {
                result.error_code = r.code.0;
                result.error_message = r.message;
            }
            Ok(p) => {
                let partitions = p.assignment.len();
                result.num_partitions = i32::try_from(partitions).unwrap_or(i32::MAX);
                result.replication_factor = p.replication_factor;
                if !req.validate_only
                    && let Some(zk) = &zk
                {
                    match write(zk, &t.name, &p).await {
                        Ok(id) => {
                            result.topic_id = id;
                            wait_for = Some(partitions);
                        }
                        Err(r) => {
                            result.error_code = r.code.0;
                            result.error_message = r.message;
                            result.num_partitions = -1;
                            result.replication_factor = -1;
                        }
                    }
                }
            }
        }
        results.push((result, wait_for));
    }
    if req.timeout_ms > 0 && results.iter().any(|(_, w)| w.is_some()) {
        let wanted: Vec<(String, usize)> = results
            .iter()
            .filter_map(|(r, w)| w.map(|n| (r.name.clone(), n)))
            .collect();
        let image = wait_for_metadata(ctx, req.timeout_ms, |m| {
            wanted.iter().all(|(t, n)| topic_ready(m, t, *n))
        })
        .await;
        for (r, w) in &mut results {
            if let Some(n) = w
                && !topic_ready(&image, &r.name, *n)
            {
                r.error_code = ErrorCode::REQUEST_TIMED_OUT.0;
                r.error_message = None;
            }
        }
    }
    CreateTopicsResponse {
        topics: results.into_iter().map(|(r, _)| r).collect(),
        ..CreateTopicsResponse::default()
    }
}

/// Metadata's auto-creation of `topic` (auto.create.topics.enable): the broker's
/// num.partitions and default.replication.factor, written like CreateTopics (any broker may
/// do it in ZooKeeper mode). Returns the topic-level code the Metadata answer carries:
/// LEADER_NOT_AVAILABLE once the topic exists (the controller has yet to elect leaders),
/// else why it could not be created (INVALID_TOPIC_EXCEPTION, INVALID_REPLICATION_FACTOR, ...).
pub async fn auto_create(ctx: &BrokerContext, topic: &str) -> ErrorCode {
    let Some(zk) = ctx.zk.current() else {
        return ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
    };
    let request = CreatableTopic {
        name: topic.to_string(),
        num_partitions: -1,
        replication_factor: -1,
        ..CreatableTopic::default()
    };
    let planned = match plan(ctx, &request) {
        Ok(p) => p,
        Err(r) if r.code == ErrorCode::TOPIC_ALREADY_EXISTS => {
            return ErrorCode::LEADER_NOT_AVAILABLE;
        }
        Err(r) => return r.code,
    };
    match write(&zk, topic, &planned).await {
        Ok(_) => ErrorCode::LEADER_NOT_AVAILABLE,
        Err(r) if r.code == ErrorCode::TOPIC_ALREADY_EXISTS => ErrorCode::LEADER_NOT_AVAILABLE,
        Err(r) => r.code,
    }
}

/// Kafka's checks of one topic, in Kafka's order, and its placement.
fn plan(ctx: &BrokerContext, t: &CreatableTopic) -> Result<Planned, Refusal> {
    let image = ctx.metadata.snapshot();
    if image.topic(&t.name).is_some() {
        return Err(Refusal::new(
            ErrorCode::TOPIC_ALREADY_EXISTS,
            format!("Topic '{}' already exists.", t.name),
        ));
    }
    topic_name::validate(&t.name)
        .map_err(|e| Refusal::new(ErrorCode::INVALID_TOPIC_EXCEPTION, e.to_string()))?;
    if (t.num_partitions != -1 || t.replication_factor != -1) && !t.assignments.is_empty() {
        return Err(Refusal::new(
            ErrorCode::INVALID_REQUEST,
            "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.",
        ));
    }
    let mut configs = BTreeMap::new();
    for c in &t.configs {
        let Some(value) = &c.value else {
            return Err(Refusal::new(
                ErrorCode::INVALID_CONFIG,
                format!("Null value not supported for topic configs: {}", c.name),
            ));
        };
        configs.insert(c.name.clone(), value.clone());
    }
    validate_topic_config(configs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let assignment = if t.assignments.is_empty() {
        let partitions = if t.num_partitions == -1 {
            ctx.config.get_int("num.partitions").unwrap_or(1)
        } else {
            t.num_partitions
        };
        let rf = if t.replication_factor == -1 {
            ctx.config
                .get_int("default.replication.factor")
                .unwrap_or(1)
        } else {
            i32::from(t.replication_factor)
        };
        let brokers = live_brokers(ctx);
        let random = zk_topics::random_bytes::<2>()
            .map_err(|e| Refusal::new(ErrorCode::UNKNOWN_SERVER_ERROR, e.to_string()))?;
        let n = brokers.len().max(1);
        let start = Start::Random {
            index: usize::from(random[0]) % n,
            shift: usize::from(random[1]) % n,
        };
        assignment::assign_replicas(&brokers, partitions, rf, start, 0)
            .map_err(|e| assignment_refusal(&e))?
    } else {
        let map: ReplicaMap = t
            .assignments
            .iter()
            .map(|a| (a.partition_index, a.broker_ids.clone()))
            .collect();
        let consecutive = map
            .keys()
            .copied()
            .eq(0..i32::try_from(map.len()).unwrap_or(i32::MAX));
        if !consecutive || map.len() != t.assignments.len() {
            return Err(Refusal::new(
                ErrorCode::INVALID_REPLICA_ASSIGNMENT,
                "partitions should be a consecutive 0-based integer sequence",
            ));
        }
        assignment::validate_for_create(&map).map_err(|e| assignment_refusal(&e))?;
        map
    };
    let colliding = topic_name::collisions(&t.name, image.topics().keys().map(String::as_str));
    if !colliding.is_empty() {
        return Err(Refusal::new(
            ErrorCode::INVALID_TOPIC_EXCEPTION,
            format!(
                "Topic '{}' collides with existing topics: {}",
                t.name,
                colliding.join(", ")
            ),
        ));
    }
    let replication_factor = assignment
        .values()
        .next()
        .map_or(0, |r| i16::try_from(r.len()).unwrap_or(i16::MAX));
    Ok(Planned {
        assignment,
        configs,
        replication_factor,
    })
}

/// Writes the topic's znodes; its id on success.
async fn write(
    zk: &crate::coordinator::client::ZkClient,
    topic: &str,
    p: &Planned,
) -> Result<Uuid, Refusal> {
    let id = zk_topics::random_topic_id()
        .map_err(|e| Refusal::new(ErrorCode::UNKNOWN_SERVER_ERROR, e.to_string()))?;
    match zk_topics::create_topic(zk, topic, &p.assignment, &p.configs, id).await {
        Ok(()) => Ok(id),
        Err(e @ ZkTopicError::TopicExists { .. }) => {
            Err(Refusal::new(ErrorCode::TOPIC_ALREADY_EXISTS, e.to_string()))
        }
        Err(e) => Err(Refusal::new(ErrorCode::UNKNOWN_SERVER_ERROR, e.to_string())),
    }
}
