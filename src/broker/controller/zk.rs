//! The controller's coordinator adaptor: election, reading the cluster view, and writes
//! guarded by the controller epoch.
//!
//! Every write goes in a multi whose first op checks the version of `/controller_epoch` that
//! this controller's election produced (Kafka's `checkControllerAndMaybe...`): once another
//! controller is elected the check fails and nothing is written, so an old controller can
//! never overwrite a newer one's decisions ([`WriteError::NotController`]).

use std::collections::BTreeMap;

use super::decisions::{LeaderIsr, LiveBroker, StateChange, TopicView};
use crate::coordinator::client::{Acl, CreateMode, Op, ZkClient, ZkError};
use crate::coordinator::kafka_paths::{
    BrokerRegistration, ControllerData, Endpoint, PartitionList, PartitionReplicas, PartitionState,
    Reassignment, ReplicaMap, TopicAssignment, Uuid, decode_controller_epoch,
    encode_controller_epoch, path,
};

/// What an election attempt gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Election {
    /// This broker is the controller with `epoch`; `epoch_version` guards its writes.
    Won { epoch: i32, epoch_version: i32 },
    /// Another broker (or one unreadable) holds `/controller`.
    Lost { holder: Option<i32> },
}

/// Why a guarded write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("another controller was elected (/controller_epoch moved on)")]
    NotController,
    #[error("{path} changed under the controller")]
    Conflict { path: String },
    #[error("cannot use {what}: {detail}")]
    Payload { what: &'static str, detail: String },
    #[error(transparent)]
    Zk(#[from] ZkError),
}

/// Maps a failed guarded multi: op 0 is the epoch check.
fn guarded(e: ZkError) -> WriteError {
    match e {
        ZkError::Multi { index: 0, .. } => WriteError::NotController,
        ZkError::Multi { source, .. } => match *source {
            ZkError::BadVersion { path }
            | ZkError::NodeExists { path }
            | ZkError::NoNode { path } => WriteError::Conflict { path },
            other => WriteError::Zk(other),
        },
        other => WriteError::Zk(other),
    }
}

fn check(epoch_version: i32) -> Op {
    Op::Check {
        path: path::CONTROLLER_EPOCH.to_string(),
        version: epoch_version,
    }
}

async fn create_ignoring_exists(zk: &ZkClient, p: &str, data: &[u8]) -> Result<(), ZkError> {
    match zk
        .create(p, data, &Acl::open_unsafe(), CreateMode::Persistent)
        .await
    {
        Ok(_) | Err(ZkError::NodeExists { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates the persistent paths the controller watches, if missing.
pub async fn ensure_paths(zk: &ZkClient) -> Result<(), ZkError> {
    for p in [
        path::BROKERS,
        path::BROKER_IDS,
        path::BROKER_TOPICS,
        path::ADMIN,
        path::DELETE_TOPICS,
        path::ISR_CHANGE_NOTIFICATION,
    ] {
        create_ignoring_exists(zk, p, &[]).await?;
    }
    Ok(())
}

/// One election attempt: create the ephemeral `/controller` and increment
/// `/controller_epoch` in one multi (the epoch write checked against the version read).
/// Leaves a data watch on `/controller` either way.
pub async fn elect(zk: &ZkClient, me: i32, now_ms: i64) -> Result<Election, WriteError> {
    // Each lost race means someone else moved on; a few rounds settle it, and a multi that
    // keeps failing for another reason (ACLs) must not spin.
    for _ in 0..ELECTION_ROUNDS {
        if let Some(holder) = controller(zk).await? {
            return Ok(Election::Lost {
                holder: Some(holder),
            });
        }
        let (current, version) = match zk.get_data(path::CONTROLLER_EPOCH, false).await {
            Ok((data, stat)) => (
                decode_controller_epoch(&data).map_err(|e| WriteError::Payload {
                    what: "/controller_epoch",
                    detail: e.to_string(),
                })?,
                stat.version,
            ),
            Err(ZkError::NoNode { .. }) => {
                create_ignoring_exists(zk, path::CONTROLLER_EPOCH, &encode_controller_epoch(0))
                    .await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let epoch = current.saturating_add(1);
        let ops = [
            Op::Create {
                path: path::CONTROLLER.to_string(),
                data: Some(ControllerData::new(me, now_ms).encode()),
                acl: Acl::open_unsafe(),
                mode: CreateMode::Ephemeral,
            },
            Op::SetData {
                path: path::CONTROLLER_EPOCH.to_string(),
                data: encode_controller_epoch(epoch),
                version,
            },
        ];
        match zk.multi(&ops).await {
            Ok(results) => {
                let epoch_version = match results.get(1) {
                    Some(crate::coordinator::client::OpResult::SetData { stat }) => stat.version,
                    _ => version.saturating_add(1),
                };
                controller(zk).await?; // re-arm the watch on our own node
                return Ok(Election::Won {
                    epoch,
                    epoch_version,
                });
            }
            // Someone else won the race (node exists) or bumped the epoch first: look again.
            Err(ZkError::Multi { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Election::Lost { holder: None })
}

/// How many create-and-increment attempts one election makes.
const ELECTION_ROUNDS: usize = 8;

/// The broker holding `/controller`, leaving a watch on it (exists or not).
pub async fn controller(zk: &ZkClient) -> Result<Option<i32>, ZkError> {
    if zk.exists(path::CONTROLLER, true).await?.is_none() {
        return Ok(None);
    }
    match zk.get_data(path::CONTROLLER, true).await {
        Ok((data, _)) => Ok(Some(
            ControllerData::decode(&data).map_or(-1, |c| c.brokerid),
        )),
        Err(ZkError::NoNode { .. }) => {
            zk.exists(path::CONTROLLER, true).await?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Gives up `/controller` if this controller still holds the epoch.
pub async fn resign(zk: &ZkClient, epoch_version: i32) -> Result<(), WriteError> {
    let ops = [
        check(epoch_version),
        Op::Delete {
            path: path::CONTROLLER.to_string(),
            version: -1,
        },
    ];
    zk.multi(&ops).await.map(|_| ()).map_err(guarded)
}

/// Parses `LISTENER://host:port` (host may be `[v6]`).
fn parse_endpoint(text: &str, protocols: Option<&BTreeMap<String, String>>) -> Option<Endpoint> {
    let (listener, rest) = text.split_once("://")?;
    let (host, port) = rest.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let security_protocol = protocols
        .and_then(|m| m.get(listener).cloned())
        .unwrap_or_else(|| listener.to_string());
    Some(Endpoint {
        listener: listener.to_string(),
        security_protocol,
        host: host.to_string(),
        port: port.parse().ok()?,
    })
}

/// Broker `id`'s registration and epoch, None when it is gone or unreadable.
pub async fn broker(zk: &ZkClient, id: i32) -> Result<Option<LiveBroker>, ZkError> {
    let (data, stat) = match zk.get_data(&path::broker(id), false).await {
        Ok(r) => r,
        Err(ZkError::NoNode { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let reg = match BrokerRegistration::decode(&data) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("ignoring broker {id}: {e}");
            return Ok(None);
        }
    };
    let endpoints = reg
        .endpoints
        .iter()
        .filter_map(|e| parse_endpoint(e, reg.listener_security_protocol_map.as_ref()))
        .collect();
    Ok(Some(LiveBroker {
        id,
        epoch: stat.czxid,
        endpoints,
        rack: reg.rack,
    }))
}

/// The registered broker ids, leaving a child watch on `/brokers/ids`.
pub async fn broker_ids(zk: &ZkClient) -> Result<Vec<i32>, ZkError> {
    let children = zk.get_children(path::BROKER_IDS, true).await?;
    Ok(children.iter().filter_map(|c| c.parse().ok()).collect())
}

/// Children of `p` with a child watch (empty if `p` is missing).
pub async fn watched_children(zk: &ZkClient, p: &str) -> Result<Vec<String>, ZkError> {
    match zk.get_children(p, true).await {
        Ok(c) => Ok(c),
        Err(ZkError::NoNode { .. }) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// A topic's znode as the controller uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicData {
    pub id: Uuid,
    pub partitions: ReplicaMap,
    pub adding: ReplicaMap,
    pub removing: ReplicaMap,
}

/// A topic's assignment and id, with a data watch; a missing id is generated and written
/// (guarded) as Kafka's controller does. None when the topic is gone or unreadable.
pub async fn topic(
    zk: &ZkClient,
    name: &str,
    epoch_version: i32,
) -> Result<Option<TopicData>, WriteError> {
    let (data, stat) = match zk.get_data(&path::topic(name), true).await {
        Ok(r) => r,
        Err(ZkError::NoNode { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut assignment = match TopicAssignment::decode(&data) {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!("ignoring topic {name}: {e}");
            return Ok(None);
        }
    };
    let id = match assignment.uuid() {
        Some(id) => id,
        None => {
            let id = random_uuid().map_err(|e| WriteError::Payload {
                what: "/dev/urandom for a topic id",
                detail: e.to_string(),
            })?;
            assignment.topic_id = Some(id.to_string());
            let ops = [
                check(epoch_version),
                Op::SetData {
                    path: path::topic(name),
                    data: assignment.encode(),
                    version: stat.version,
                },
            ];
            zk.multi(&ops).await.map_err(guarded)?;
            id
        }
    };
    Ok(Some(TopicData {
        id,
        partitions: assignment.partitions,
        adding: assignment.adding_replicas,
        removing: assignment.removing_replicas,
    }))
}

/// Rewrites a topic's znode from the view (assignment, reassignment in progress, id).
pub async fn write_topic(
    zk: &ZkClient,
    epoch_version: i32,
    name: &str,
    topic: &TopicView,
) -> Result<(), WriteError> {
    let mut payload = TopicAssignment::new(topic.assignment.clone(), Some(topic.id));
    payload.adding_replicas = topic.adding.clone();
    payload.removing_replicas = topic.removing.clone();
    let ops = [
        check(epoch_version),
        Op::SetData {
            path: path::topic(name),
            data: payload.encode(),
            version: -1,
        },
    ];
    zk.multi(&ops).await.map(|_| ()).map_err(guarded)
}

/// The requested reassignments (a watch is left on the znode, present or not).
pub async fn reassignments(zk: &ZkClient) -> Result<Vec<PartitionReplicas>, ZkError> {
    if zk.exists(path::REASSIGN_PARTITIONS, true).await?.is_none() {
        return Ok(Vec::new());
    }
    match zk.get_data(path::REASSIGN_PARTITIONS, true).await {
        Ok((data, _)) => Ok(Reassignment::decode(&data)
            .map(|r| r.partitions)
            .unwrap_or_else(|e| {
                tracing::warn!("ignoring {}: {e}", path::REASSIGN_PARTITIONS);
                Vec::new()
            })),
        Err(ZkError::NoNode { .. }) => {
            zk.exists(path::REASSIGN_PARTITIONS, true).await?;
            Ok(Vec::new())
        }
        Err(e) => Err(e),
    }
}

/// Leaves only `remaining` in `/admin/reassign_partitions` (deleting it when empty).
pub async fn write_reassignments(
    zk: &ZkClient,
    epoch_version: i32,
    remaining: Vec<PartitionReplicas>,
) -> Result<(), WriteError> {
    let op = if remaining.is_empty() {
        Op::Delete {
            path: path::REASSIGN_PARTITIONS.to_string(),
            version: -1,
        }
    } else {
        Op::SetData {
            path: path::REASSIGN_PARTITIONS.to_string(),
            data: Reassignment::new(remaining).encode(),
            version: -1,
        }
    };
    match zk.multi(&[check(epoch_version), op]).await.map_err(guarded) {
        Err(WriteError::Conflict { .. }) => Ok(()),
        other => other.map(|_| ()),
    }
}

fn random_uuid() -> std::io::Result<Uuid> {
    use std::io::Read;
    let mut f = std::fs::File::open("/dev/urandom")?;
    loop {
        let mut bytes = [0u8; 16];
        f.read_exact(&mut bytes)?;
        if let Some(id) = Uuid::from_random(bytes) {
            return Ok(id);
        }
    }
}

/// A partition's state znode, None when it does not exist (or cannot be read).
pub async fn partition_state(
    zk: &ZkClient,
    topic: &str,
    partition: i32,
) -> Result<Option<LeaderIsr>, ZkError> {
    match zk
        .get_data(&path::partition_state(topic, partition), false)
        .await
    {
        Ok((data, stat)) => Ok(PartitionState::decode(&data).ok().map(|s| LeaderIsr {
            leader: s.leader,
            leader_epoch: s.leader_epoch,
            isr: s.isr,
            controller_epoch: s.controller_epoch,
            zk_version: stat.version,
        })),
        Err(ZkError::NoNode { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes one state change, guarded; returns the new znode version.
pub async fn write_state(
    zk: &ZkClient,
    epoch_version: i32,
    change: &StateChange,
) -> Result<i32, WriteError> {
    let state = PartitionState {
        controller_epoch: change.state.controller_epoch,
        leader: change.state.leader,
        version: 1,
        leader_epoch: change.state.leader_epoch,
        isr: change.state.isr.clone(),
        leader_recovery_state: None,
    }
    .encode();
    let target = path::partition_state(&change.topic, change.partition);
    if change.create {
        // Missing parents are created in the same guarded multi.
        let mut ops = vec![check(epoch_version)];
        for parent in [
            path::topic_partitions(&change.topic),
            path::topic_partition(&change.topic, change.partition),
        ] {
            if zk.exists(&parent, false).await?.is_none() {
                ops.push(Op::Create {
                    path: parent,
                    data: Some(Vec::new()),
                    acl: Acl::open_unsafe(),
                    mode: CreateMode::Persistent,
                });
            }
        }
        ops.push(Op::Create {
            path: target,
            data: Some(state),
            acl: Acl::open_unsafe(),
            mode: CreateMode::Persistent,
        });
        zk.multi(&ops).await.map_err(guarded)?;
        Ok(0)
    } else {
        let ops = [
            check(epoch_version),
            Op::SetData {
                path: target,
                data: state,
                version: change.previous_version,
            },
        ];
        let results = zk.multi(&ops).await.map_err(guarded)?;
        Ok(match results.get(1) {
            Some(crate::coordinator::client::OpResult::SetData { stat }) => stat.version,
            _ => change.previous_version.saturating_add(1),
        })
    }
}

/// Every node under `p` (deepest first), `p` last.
async fn subtree(zk: &ZkClient, p: &str) -> Result<Vec<String>, ZkError> {
    let mut out = Vec::new();
    let mut stack = vec![(p.to_string(), false)];
    while let Some((node, expanded)) = stack.pop() {
        if expanded {
            out.push(node);
            continue;
        }
        let children = match zk.get_children(&node, false).await {
            Ok(c) => c,
            Err(ZkError::NoNode { .. }) => continue,
            Err(e) => return Err(e),
        };
        stack.push((node.clone(), true));
        for c in children {
            stack.push((format!("{node}/{c}"), false));
        }
    }
    Ok(out)
}

/// Removes a deleted topic's znodes (assignment and states, config, deletion marker) in one
/// guarded multi.
pub async fn delete_topic(
    zk: &ZkClient,
    epoch_version: i32,
    topic: &str,
) -> Result<(), WriteError> {
    let mut ops = vec![check(epoch_version)];
    let mut nodes = subtree(zk, &path::topic(topic)).await?;
    for extra in [path::topic_config(topic), path::delete_topic(topic)] {
        if zk.exists(&extra, false).await?.is_some() {
            nodes.push(extra);
        }
    }
    ops.extend(
        nodes
            .into_iter()
            .map(|path| Op::Delete { path, version: -1 }),
    );
    zk.multi(&ops).await.map(|_| ()).map_err(guarded)
}

/// Removes a deletion marker for a topic that does not exist (guarded).
pub async fn delete_marker(
    zk: &ZkClient,
    epoch_version: i32,
    topic: &str,
) -> Result<(), WriteError> {
    let ops = [
        check(epoch_version),
        Op::Delete {
            path: path::delete_topic(topic),
            version: -1,
        },
    ];
    match zk.multi(&ops).await.map_err(guarded) {
        Err(WriteError::Conflict { .. }) => Ok(()),
        other => other.map(|_| ()),
    }
}

/// The pending ISR change notifications (child watch re-armed): each child's path and the
/// partitions it names (unreadable ones name none).
pub async fn isr_changes(zk: &ZkClient) -> Result<Vec<(String, Vec<(String, i32)>)>, ZkError> {
    let mut out = Vec::new();
    for child in watched_children(zk, path::ISR_CHANGE_NOTIFICATION).await? {
        let p = format!("{}/{child}", path::ISR_CHANGE_NOTIFICATION);
        let partitions = match zk.get_data(&p, false).await {
            Ok((data, _)) => PartitionList::decode(&data)
                .map(|l| {
                    l.partitions
                        .into_iter()
                        .map(|r| (r.topic, r.partition))
                        .collect()
                })
                .unwrap_or_default(),
            Err(ZkError::NoNode { .. }) => continue,
            Err(e) => return Err(e),
        };
        out.push((p, partitions));
    }
    Ok(out)
}

/// Removes handled notification znodes (guarded).
pub async fn delete_nodes(
    zk: &ZkClient,
    epoch_version: i32,
    nodes: Vec<String>,
) -> Result<(), WriteError> {
    if nodes.is_empty() {
        return Ok(());
    }
    let mut ops = vec![check(epoch_version)];
    ops.extend(
        nodes
            .into_iter()
            .map(|path| Op::Delete { path, version: -1 }),
    );
    match zk.multi(&ops).await.map_err(guarded) {
        // Deleted already (by a previous controller): nothing left to do.
        Err(WriteError::Conflict { .. }) => Ok(()),
        other => other.map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_with_their_protocols() {
        let map = BTreeMap::from([("INTERNAL".to_string(), "SASL_SSL".to_string())]);
        let e = parse_endpoint("INTERNAL://[::1]:9093", Some(&map)).unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.security_protocol.as_str()),
            ("::1", 9093, "SASL_SSL")
        );
        let e = parse_endpoint("PLAINTEXT://h:9092", None).unwrap();
        assert_eq!(e.security_protocol, "PLAINTEXT");
        assert!(parse_endpoint("PLAINTEXT://h:x", None).is_none());
        assert!(parse_endpoint("nonsense", None).is_none());
    }
}
