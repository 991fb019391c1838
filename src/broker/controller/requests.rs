//! The controller's requests to brokers, pure: LeaderAndIsr, UpdateMetadata and StopReplica
//! built from the cluster view in their newest layout, and rewritten for an older version
//! when the target broker serves only that one (names per partition before grouped topics,
//! no topic ids, v0's single host and port...).

use std::collections::BTreeMap;

use super::decisions::{ClusterView, LiveBroker};
use crate::broker::handlers::update_metadata::LEADER_DURING_DELETE;
use crate::coordinator::kafka_paths::Uuid;
use crate::protocol::messages::leader_and_isr_request::{
    LeaderAndIsrLiveLeader, LeaderAndIsrPartitionState, LeaderAndIsrTopicState,
};
use crate::protocol::messages::stop_replica_request::{
    StopReplicaPartitionState, StopReplicaPartitionV0, StopReplicaTopicState, StopReplicaTopicV1,
};
use crate::protocol::messages::update_metadata_request::{
    UpdateMetadataBroker, UpdateMetadataEndpoint, UpdateMetadataPartitionState,
    UpdateMetadataTopicState,
};
use crate::protocol::messages::{LeaderAndIsrRequest, StopReplicaRequest, UpdateMetadataRequest};

/// LeaderAndIsr `Type`: every partition of the broker (sent when the controller changes).
pub const TYPE_FULL: i8 = 2;
/// LeaderAndIsr `Type`: only changed partitions.
pub const TYPE_INCREMENTAL: i8 = 1;

/// Who sends: the controller's id and epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sender {
    pub controller_id: i32,
    pub controller_epoch: i32,
}

/// LeaderAndIsr for broker `to` about `partitions` (those it does not replicate, or without
/// state, are left out); None when nothing is left. `new` names partitions just created.
pub fn leader_and_isr(
    view: &ClusterView,
    from: Sender,
    to: &LiveBroker,
    partitions: &[(String, i32)],
    new: &dyn Fn(&str, i32) -> bool,
    full: bool,
) -> Option<LeaderAndIsrRequest> {
    let mut topics: BTreeMap<&str, LeaderAndIsrTopicState> = BTreeMap::new();
    let mut leaders = BTreeMap::new();
    for (name, partition) in partitions {
        let Some(topic) = view.topics.get(name) else {
            continue;
        };
        let (Some(replicas), Some(state)) =
            (topic.assignment.get(partition), topic.states.get(partition))
        else {
            continue;
        };
        if !replicas.contains(&to.id) {
            continue;
        }
        if let Some(leader) = view.live.get(&state.leader)
            && let Some(e) = leader.plaintext()
        {
            leaders.insert(
                leader.id,
                LeaderAndIsrLiveLeader {
                    broker_id: leader.id,
                    host_name: e.host.clone(),
                    port: i32::from(e.port),
                    ..Default::default()
                },
            );
        }
        let entry = topics
            .entry(name.as_str())
            .or_insert_with(|| LeaderAndIsrTopicState {
                topic_name: name.clone(),
                topic_id: topic.id,
                ..Default::default()
            });
        entry.partition_states.push(LeaderAndIsrPartitionState {
            partition_index: *partition,
            controller_epoch: state.controller_epoch,
            leader: state.leader,
            leader_epoch: state.leader_epoch,
            isr: state.isr.clone(),
            partition_epoch: state.zk_version,
            replicas: replicas.clone(),
            adding_replicas: topic.adding.get(partition).cloned().unwrap_or_default(),
            removing_replicas: topic.removing.get(partition).cloned().unwrap_or_default(),
            is_new: new(name, *partition),
            ..Default::default()
        });
    }
    if topics.is_empty() {
        return None;
    }
    Some(LeaderAndIsrRequest {
        controller_id: from.controller_id,
        controller_epoch: from.controller_epoch,
        broker_epoch: to.epoch,
        r#type: if full { TYPE_FULL } else { TYPE_INCREMENTAL },
        topic_states: topics.into_values().collect(),
        live_leaders: leaders.into_values().collect(),
        ..Default::default()
    })
}

/// UpdateMetadata for broker `to`: every live broker and every partition with state; the
/// partitions of topics being deleted carry leader -2 so brokers drop them.
pub fn update_metadata(view: &ClusterView, from: Sender, to: &LiveBroker) -> UpdateMetadataRequest {
    let live_brokers = view
        .live
        .values()
        .map(|b| UpdateMetadataBroker {
            id: b.id,
            endpoints: b
                .endpoints
                .iter()
                .map(|e| UpdateMetadataEndpoint {
                    port: i32::from(e.port),
                    host: e.host.clone(),
                    listener: e.listener.clone(),
                    security_protocol: security_protocol_id(&e.security_protocol),
                    ..Default::default()
                })
                .collect(),
            rack: b.rack.clone(),
            ..Default::default()
        })
        .collect();
    let topic_states = view
        .topics
        .iter()
        .filter(|(_, t)| !t.states.is_empty())
        .map(|(name, t)| {
            let deleting = view.deleting.contains(name);
            UpdateMetadataTopicState {
                topic_name: name.clone(),
                topic_id: t.id,
                partition_states: t
                    .states
                    .iter()
                    .map(|(p, s)| {
                        let replicas = t.assignment.get(p).cloned().unwrap_or_default();
                        let offline_replicas = replicas
                            .iter()
                            .copied()
                            .filter(|r| !view.live.contains_key(r))
                            .collect();
                        UpdateMetadataPartitionState {
                            partition_index: *p,
                            controller_epoch: s.controller_epoch,
                            leader: if deleting {
                                LEADER_DURING_DELETE
                            } else {
                                s.leader
                            },
                            leader_epoch: s.leader_epoch,
                            isr: s.isr.clone(),
                            zk_version: s.zk_version,
                            replicas,
                            offline_replicas,
                            ..Default::default()
                        }
                    })
                    .collect(),
                ..Default::default()
            }
        })
        .collect();
    UpdateMetadataRequest {
        controller_id: from.controller_id,
        controller_epoch: from.controller_epoch,
        broker_epoch: to.epoch,
        topic_states,
        live_brokers,
        ..Default::default()
    }
}

/// StopReplica with deletion of `topic`'s partitions on broker `to`.
pub fn delete_replicas(
    view: &ClusterView,
    from: Sender,
    to: &LiveBroker,
    topic: &str,
) -> Option<StopReplicaRequest> {
    let t = view.topics.get(topic)?;
    let partition_states: Vec<_> = t
        .assignment
        .iter()
        .filter(|(_, r)| r.contains(&to.id))
        .map(|(p, _)| StopReplicaPartitionState {
            partition_index: *p,
            leader_epoch: -2,
            delete_partition: true,
            ..Default::default()
        })
        .collect();
    if partition_states.is_empty() {
        return None;
    }
    Some(StopReplicaRequest {
        controller_id: from.controller_id,
        controller_epoch: from.controller_epoch,
        broker_epoch: to.epoch,
        topic_states: vec![StopReplicaTopicState {
            topic_name: topic.to_string(),
            partition_states,
            ..Default::default()
        }],
        ..Default::default()
    })
}

/// StopReplica of one partition on broker `to` (a reassignment moved it away).
pub fn stop_partition(
    from: Sender,
    to: &LiveBroker,
    topic: &str,
    partition: i32,
    leader_epoch: i32,
) -> StopReplicaRequest {
    StopReplicaRequest {
        controller_id: from.controller_id,
        controller_epoch: from.controller_epoch,
        broker_epoch: to.epoch,
        topic_states: vec![StopReplicaTopicState {
            topic_name: topic.to_string(),
            partition_states: vec![StopReplicaPartitionState {
                partition_index: partition,
                leader_epoch,
                delete_partition: true,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Kafka's `SecurityProtocol` ids.
fn security_protocol_id(name: &str) -> i16 {
    match name {
        "SSL" => 1,
        "SASL_PLAINTEXT" => 2,
        "SASL_SSL" => 3,
        _ => 0,
    }
}

/// `req` in the layout of `version` (the newest layout is built above).
pub fn leader_and_isr_for(req: &LeaderAndIsrRequest, version: i16) -> LeaderAndIsrRequest {
    let mut out = req.clone();
    if version < 5 {
        out.r#type = 0;
        for t in &mut out.topic_states {
            t.topic_id = Uuid::ZERO;
        }
    }
    if version < 6 {
        for t in &mut out.topic_states {
            for p in &mut t.partition_states {
                p.leader_recovery_state = 0;
            }
        }
    }
    if version < 3 {
        for t in &mut out.topic_states {
            for p in &mut t.partition_states {
                p.adding_replicas.clear();
                p.removing_replicas.clear();
            }
        }
    }
    if version < 2 {
        out.ungrouped_partition_states = std::mem::take(&mut out.topic_states)
            .into_iter()
            .flat_map(|t| {
                let name = t.topic_name;
                t.partition_states.into_iter().map(move |mut p| {
                    p.topic_name = name.clone();
                    p
                })
            })
            .collect();
    }
    out
}

/// `req` in the layout of `version`.
pub fn update_metadata_for(req: &UpdateMetadataRequest, version: i16) -> UpdateMetadataRequest {
    let mut out = req.clone();
    if version < 8 {
        out.r#type = 0;
    }
    if version < 7 {
        for t in &mut out.topic_states {
            t.topic_id = Uuid::ZERO;
        }
    }
    if version < 4 {
        for t in &mut out.topic_states {
            for p in &mut t.partition_states {
                p.offline_replicas.clear();
            }
        }
    }
    for b in &mut out.live_brokers {
        if version < 3 {
            for e in &mut b.endpoints {
                e.listener.clear();
            }
        }
        if version < 2 {
            b.rack = None;
        }
        if version < 1 {
            if let Some(e) = b.endpoints.iter().find(|e| e.security_protocol == 0) {
                b.v0_host = e.host.clone();
                b.v0_port = e.port;
            }
            b.endpoints.clear();
        }
    }
    if version < 5 {
        out.ungrouped_partition_states = std::mem::take(&mut out.topic_states)
            .into_iter()
            .flat_map(|t| {
                let name = t.topic_name;
                t.partition_states.into_iter().map(move |mut p| {
                    p.topic_name = name.clone();
                    p
                })
            })
            .collect();
    }
    out
}

/// `req` (built with per-partition states) in the layout of `version`.
pub fn stop_replica_for(req: &StopReplicaRequest, version: i16) -> StopReplicaRequest {
    if version >= 3 {
        return req.clone();
    }
    let mut out = StopReplicaRequest {
        controller_id: req.controller_id,
        controller_epoch: req.controller_epoch,
        broker_epoch: req.broker_epoch,
        delete_partitions: req
            .topic_states
            .iter()
            .flat_map(|t| &t.partition_states)
            .any(|p| p.delete_partition),
        ..Default::default()
    };
    if version == 0 {
        out.ungrouped_partitions = req
            .topic_states
            .iter()
            .flat_map(|t| {
                t.partition_states.iter().map(|p| StopReplicaPartitionV0 {
                    topic_name: t.topic_name.clone(),
                    partition_index: p.partition_index,
                    ..Default::default()
                })
            })
            .collect();
    } else {
        out.topics = req
            .topic_states
            .iter()
            .map(|t| StopReplicaTopicV1 {
                name: t.topic_name.clone(),
                partition_indexes: t
                    .partition_states
                    .iter()
                    .map(|p| p.partition_index)
                    .collect(),
                ..Default::default()
            })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::decisions::{LeaderIsr, TopicView};
    use super::*;
    use crate::coordinator::kafka_paths::Endpoint;

    fn view() -> ClusterView {
        let mut v = ClusterView::default();
        for id in [1, 2] {
            v.live.insert(
                id,
                LiveBroker {
                    id,
                    epoch: 100 + i64::from(id),
                    endpoints: vec![Endpoint {
                        listener: "PLAINTEXT".into(),
                        security_protocol: "PLAINTEXT".into(),
                        host: "127.0.0.1".into(),
                        port: 9090 + id as u16,
                    }],
                    rack: None,
                },
            );
        }
        let mut t = TopicView {
            id: Uuid([5; 16]),
            ..Default::default()
        };
        t.assignment.insert(0, vec![1, 2]);
        t.assignment.insert(1, vec![2, 3]);
        for p in [0, 1] {
            t.states.insert(
                p,
                LeaderIsr {
                    leader: 2,
                    leader_epoch: 1,
                    isr: vec![2],
                    controller_epoch: 4,
                    zk_version: 3,
                },
            );
        }
        v.topics.insert("t".into(), t);
        v
    }

    const FROM: Sender = Sender {
        controller_id: 1,
        controller_epoch: 4,
    };

    #[test]
    fn leader_and_isr_names_only_the_targets_partitions_and_live_leaders() {
        let v = view();
        let all = [("t".to_string(), 0), ("t".to_string(), 1)];
        let req = leader_and_isr(&v, FROM, &v.live[&1], &all, &|_, p| p == 0, true).unwrap();
        assert_eq!(req.broker_epoch, 101);
        assert_eq!(req.r#type, TYPE_FULL);
        assert_eq!(req.topic_states[0].partition_states.len(), 1);
        let p = &req.topic_states[0].partition_states[0];
        assert_eq!(
            (p.partition_index, p.partition_epoch, p.is_new),
            (0, 3, true)
        );
        assert_eq!(req.live_leaders[0].port, 9092);
        let req2 = leader_and_isr(&v, FROM, &v.live[&2], &all, &|_, _| false, false).unwrap();
        assert_eq!(req2.topic_states[0].partition_states.len(), 2);
        // Every version encodes once rewritten.
        for version in 0..=7 {
            let r = leader_and_isr_for(&req, version);
            r.encode(&mut Vec::new(), version).unwrap();
        }
        let v1 = leader_and_isr_for(&req, 1);
        assert_eq!(v1.ungrouped_partition_states[0].topic_name, "t");
    }

    #[test]
    fn update_metadata_marks_offline_replicas_and_deletions() {
        let mut v = view();
        let req = update_metadata(&v, FROM, &v.live[&2]);
        assert_eq!(req.live_brokers.len(), 2);
        let p1 = &req.topic_states[0].partition_states[1];
        assert_eq!(p1.offline_replicas, [3]);
        for version in 0..=8 {
            update_metadata_for(&req, version)
                .encode(&mut Vec::new(), version)
                .unwrap();
        }
        assert_eq!(update_metadata_for(&req, 0).live_brokers[0].v0_port, 9091);
        v.deleting.insert("t".into());
        let req = update_metadata(&v, FROM, &v.live[&2]);
        assert!(
            req.topic_states[0]
                .partition_states
                .iter()
                .all(|p| p.leader == LEADER_DURING_DELETE)
        );
    }

    #[test]
    fn stop_replica_in_every_layout() {
        let v = view();
        let req = delete_replicas(&v, FROM, &v.live[&2], "t").unwrap();
        assert_eq!(req.topic_states[0].partition_states.len(), 2);
        assert!(delete_replicas(&v, FROM, &v.live[&1], "nope").is_none());
        for version in 0..=4 {
            let r = stop_replica_for(&req, version);
            r.encode(&mut Vec::new(), version).unwrap();
            if version < 3 {
                assert!(r.delete_partitions);
            }
        }
    }
}
