//! LeaderAndIsr (key 4): the controller tells this broker which partitions it replicates and
//! who leads each. Also owns the epoch checks every inter-broker request shares
//! ([`check_epochs`]), so the three controller-to-broker handlers fence stale senders alike.
//!
//! Kafka's rules (ZooKeeper mode): a request whose broker epoch is older than this broker's
//! registration is refused whole (STALE_BROKER_EPOCH), as is one from a controller epoch older
//! than the highest seen (STALE_CONTROLLER_EPOCH). Each partition then gets its own error: a
//! partition this broker is not a replica of is UNKNOWN_TOPIC_OR_PARTITION, an older leader
//! epoch STALE_CONTROLLER_EPOCH, a different topic id INCONSISTENT_TOPIC_ID, a disk failure
//! KAFKA_STORAGE_ERROR. Log creation and the topic's `/config/topics/<t>` overrides are read
//! before the blocking work, which runs on a blocking thread.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use crate::broker::handlers::BrokerContext;
use crate::broker::replica::{ReplicaAssignment, TopicPartition};
use crate::config::server::TOPIC;
use crate::coordinator::kafka_paths::{EntityConfig, path};
use crate::log::config::LogConfig;
use crate::protocol::codec::Uuid;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::leader_and_isr_request::LeaderAndIsrPartitionState;
use crate::protocol::messages::leader_and_isr_response::{
    LeaderAndIsrPartitionError, LeaderAndIsrTopicError,
};
use crate::protocol::messages::{LeaderAndIsrRequest, LeaderAndIsrResponse};
use crate::types::BrokerId;

/// Every version of the 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 7);

/// Kafka's check of an inter-broker request's epochs, in Kafka's order: the broker epoch
/// (`-1` means "not sent", old versions), then the controller epoch, which is recorded as the
/// highest seen when it passes.
pub fn check_epochs(
    ctx: &BrokerContext,
    controller_epoch: i32,
    broker_epoch: i64,
) -> Result<(), ErrorCode> {
    let mine = ctx.broker_epoch.load(Ordering::SeqCst);
    if broker_epoch != -1 && broker_epoch < mine {
        return Err(ErrorCode::STALE_BROKER_EPOCH);
    }
    let highest = ctx
        .controller_epoch
        .fetch_max(controller_epoch, Ordering::SeqCst);
    if controller_epoch < highest {
        return Err(ErrorCode::STALE_CONTROLLER_EPOCH);
    }
    Ok(())
}

/// The partitions of a request with their topic name and id, whatever the version's layout.
fn partitions(req: &LeaderAndIsrRequest) -> Vec<(String, Uuid, LeaderAndIsrPartitionState)> {
    let mut out: Vec<_> = req
        .ungrouped_partition_states
        .iter()
        .map(|p| (p.topic_name.clone(), Uuid::ZERO, p.clone()))
        .collect();
    for t in &req.topic_states {
        out.extend(
            t.partition_states
                .iter()
                .map(|p| (t.topic_name.clone(), t.topic_id, p.clone())),
        );
    }
    out
}

/// Wall-clock ms since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Answers one LeaderAndIsr request.
pub async fn handle(
    ctx: &BrokerContext,
    req: &LeaderAndIsrRequest,
    version: i16,
) -> LeaderAndIsrResponse {
    let named = partitions(req);
    if let Err(code) = check_epochs(ctx, req.controller_epoch, req.broker_epoch) {
        let errors = named
            .iter()
            .map(|(t, id, p)| (t.clone(), *id, p.partition_index, code))
            .collect::<Vec<_>>();
        return response(code, &errors, version);
    }
    let overrides = topic_overrides(ctx, named.iter().map(|(t, _, _)| t.as_str())).await;
    let work_ctx = ctx.clone();
    let job = move || apply_all(&work_ctx, named, &overrides);
    let results = match tokio::task::spawn_blocking(job).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("LeaderAndIsr worker failed: {e}");
            let errors = partitions(req)
                .into_iter()
                .map(|(t, id, p)| (t, id, p.partition_index, ErrorCode::KAFKA_STORAGE_ERROR))
                .collect::<Vec<_>>();
            return response(ErrorCode::NONE, &errors, version);
        }
    };
    offsets_leadership(ctx, &results);
    response(ErrorCode::NONE, &results, version)
}

/// The group coordinator follows `__consumer_offsets` leadership: a partition this broker
/// now leads is loaded, one it follows is resigned.
fn offsets_leadership(ctx: &BrokerContext, results: &[PartitionOutcome]) {
    let me = ctx.replicas.broker_id();
    for (topic, _, partition, code) in results {
        if topic != crate::broker::group::OFFSETS_TOPIC || *code != ErrorCode::NONE {
            continue;
        }
        let tp = TopicPartition::new(topic.as_str(), *partition);
        match ctx.replicas.partition(&tp).map(|h| h.role(me)) {
            Some(crate::broker::replica::Role::Leader) => {
                ctx.groups.become_leader(ctx, *partition);
            }
            _ => ctx.groups.resign(*partition),
        }
    }
}

/// Per-topic config overrides read from the coordinator (none without a session or node).
async fn topic_overrides<'a>(
    ctx: &BrokerContext,
    topics: impl Iterator<Item = &'a str>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let Some(zk) = ctx.zk.current() else {
        return out;
    };
    for topic in topics {
        if out.contains_key(topic) || crate::admin::topic_name::validate(topic).is_err() {
            continue;
        }
        let config = match zk.get_data(&path::topic_config(topic), false).await {
            Ok((data, _)) => match EntityConfig::decode(&data) {
                Ok(c) => c.config,
                Err(e) => {
                    tracing::warn!("ignoring unreadable config of topic {topic}: {e}");
                    BTreeMap::new()
                }
            },
            Err(_) => BTreeMap::new(),
        };
        out.insert(topic.to_string(), config);
    }
    out
}

type PartitionOutcome = (String, Uuid, i32, ErrorCode);

/// Applies every partition state (blocking: may create logs).
fn apply_all(
    ctx: &BrokerContext,
    named: Vec<(String, Uuid, LeaderAndIsrPartitionState)>,
    overrides: &BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<PartitionOutcome> {
    let me = ctx.replicas.broker_id();
    let now_ms = now_ms();
    named
        .into_iter()
        .map(|(topic, id, p)| {
            let code = apply_one(ctx, me, &topic, id, &p, overrides, now_ms)
                .err()
                .unwrap_or(ErrorCode::NONE);
            (topic, id, p.partition_index, code)
        })
        .collect()
}

fn apply_one(
    ctx: &BrokerContext,
    me: BrokerId,
    topic: &str,
    topic_id: Uuid,
    p: &LeaderAndIsrPartitionState,
    overrides: &BTreeMap<String, BTreeMap<String, String>>,
    now_ms: i64,
) -> Result<(), ErrorCode> {
    if crate::admin::topic_name::validate(topic).is_err() {
        return Err(ErrorCode::INVALID_TOPIC_EXCEPTION);
    }
    if p.partition_index < 0 || !p.replicas.contains(&me.0) {
        return Err(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
    }
    let tp = TopicPartition::new(topic, p.partition_index);
    if let Some(existing) = ctx.replicas.partition(&tp) {
        let known = existing.assignment().topic_id;
        if known != Uuid::ZERO && topic_id != Uuid::ZERO && known != topic_id {
            return Err(ErrorCode::INCONSISTENT_TOPIC_ID);
        }
    }
    let ids = |v: &[i32]| v.iter().copied().map(BrokerId).collect::<Vec<_>>();
    let assignment = ReplicaAssignment {
        topic_id,
        controller_epoch: p.controller_epoch,
        leader: BrokerId(p.leader),
        leader_epoch: p.leader_epoch,
        isr: ids(&p.isr),
        partition_epoch: p.partition_epoch,
        replicas: ids(&p.replicas),
        adding_replicas: ids(&p.adding_replicas),
        removing_replicas: ids(&p.removing_replicas),
        is_new: p.is_new,
    };
    let topic_config = overrides.get(topic);
    let log_config = LogConfig::resolve(&ctx.config, &|key| {
        let raw = topic_config?.get(key)?;
        TOPIC.get(key)?.parse(raw).ok()
    });
    let seed = (now_ms as u64) ^ (u64::from(p.partition_index as u32) << 32);
    ctx.replicas
        .apply_leader_and_isr(&tp, assignment, log_config, now_ms, seed)
        .map(|_| ())
}

/// The response in the version's layout: flat errors with names up to v4, by topic id after.
fn response(top: ErrorCode, errors: &[PartitionOutcome], version: i16) -> LeaderAndIsrResponse {
    let error = |topic: &str, partition, code: ErrorCode| LeaderAndIsrPartitionError {
        topic_name: if version < 5 {
            topic.to_string()
        } else {
            String::new()
        },
        partition_index: partition,
        error_code: code.0,
        ..Default::default()
    };
    let mut resp = LeaderAndIsrResponse {
        error_code: top.0,
        ..Default::default()
    };
    if version < 5 {
        resp.partition_errors = errors.iter().map(|(t, _, p, c)| error(t, *p, *c)).collect();
    } else {
        let mut by_topic: BTreeMap<(Uuid, &str), Vec<LeaderAndIsrPartitionError>> = BTreeMap::new();
        for (t, id, p, c) in errors {
            by_topic
                .entry((*id, t.as_str()))
                .or_default()
                .push(error(t, *p, *c));
        }
        resp.topics = by_topic
            .into_iter()
            .map(|((topic_id, _), partition_errors)| LeaderAndIsrTopicError {
                topic_id,
                partition_errors,
                ..Default::default()
            })
            .collect();
    }
    resp
}

#[cfg(test)]
mod tests;
