//! Metadata (key 3): brokers, controller, cluster id and topic/partition leadership from the
//! [`MetadataImage`], for every version from the old non-flexible v0-v8 (librdkafka 2.0 uses
//! v4) to the flexible v9-v12 with topic ids.
//!
//! Topic selection follows Kafka per version: v0 has no null array, so an empty list means all
//! topics; from v1 null means all and an empty list none. From v10 a topic may be named by id
//! instead. Unknown topics get UNKNOWN_TOPIC_OR_PARTITION (unknown ids UNKNOWN_TOPIC_ID), or,
//! with [`handle_with_auto_create`], are created when `auto.create.topics.enable` and the
//! request's `allow_auto_topic_creation` (always true before v4) allow it, and answered
//! LEADER_NOT_AVAILABLE as Kafka does. Internal topics are not auto-created here (their
//! coordinators create them). Authorized-operation
//! fields stay at Kafka's "not provided" default (i32::MIN): there is no authorizer.

use std::collections::HashSet;

use crate::broker::metadata::{MetadataImage, PartitionState, TopicState};
use crate::protocol::codec::Uuid;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use crate::protocol::messages::{MetadataRequest, MetadataResponse};
use crate::types::BrokerId;

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 12);

/// What a request asks for, once version rules are applied.
#[derive(Debug, PartialEq, Eq)]
enum Selection<'a> {
    All,
    /// Requested topics in request order, duplicates removed.
    Some(Vec<TopicRef<'a>>),
}

#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum TopicRef<'a> {
    Name(&'a str),
    Id(Uuid),
}

fn selection(req: &MetadataRequest, version: i16) -> Selection<'_> {
    let Some(topics) = &req.topics else {
        return Selection::All;
    };
    if version == 0 && topics.is_empty() {
        return Selection::All;
    }
    let mut seen = HashSet::new();
    let refs = topics
        .iter()
        .map(|t| match (&t.name, t.topic_id) {
            (_, id) if id != Uuid::ZERO && version >= 10 => TopicRef::Id(id),
            (Some(name), _) => TopicRef::Name(name),
            (None, id) => TopicRef::Id(id),
        })
        .filter(|r| seen.insert(*r))
        .collect();
    Selection::Some(refs)
}

/// Answers `req` from the broker's metadata, auto-creating unknown named topics when allowed.
pub async fn handle_with_auto_create(
    ctx: &super::BrokerContext,
    req: &MetadataRequest,
    version: i16,
) -> MetadataResponse {
    let mut response = handle(req, version, &ctx.metadata.snapshot());
    let allowed = (version < 4 || req.allow_auto_topic_creation)
        && ctx
            .config
            .get_bool("auto.create.topics.enable")
            .unwrap_or(true);
    if !allowed {
        return response;
    }
    for t in &mut response.topics {
        let Some(name) = t.name.clone() else {
            continue;
        };
        if t.error_code == ErrorCode::UNKNOWN_TOPIC_OR_PARTITION.0
            && !name.is_empty()
            && !crate::broker::metadata::is_internal_topic(&name)
        {
            t.error_code = super::create_topics::auto_create(ctx, &name).await.0;
        }
    }
    response
}

/// Answers `req`, decoded in `version`, from `image`.
pub fn handle(req: &MetadataRequest, version: i16, image: &MetadataImage) -> MetadataResponse {
    let topics = match selection(req, version) {
        Selection::All => image
            .topics()
            .values()
            .map(|t| topic_entry(t, version, image))
            .collect(),
        Selection::Some(refs) => refs
            .into_iter()
            .map(|r| match r {
                TopicRef::Name(name) => match image.topic(name) {
                    Some(t) => topic_entry(t, version, image),
                    None => MetadataResponseTopic {
                        error_code: ErrorCode::UNKNOWN_TOPIC_OR_PARTITION.0,
                        name: Some(name.to_owned()),
                        ..MetadataResponseTopic::default()
                    },
                },
                TopicRef::Id(id) => match image.topic_by_id(id) {
                    Some(t) => topic_entry(t, version, image),
                    None => MetadataResponseTopic {
                        error_code: ErrorCode::UNKNOWN_TOPIC_ID.0,
                        // null from v12; older versions cannot say null
                        name: (version < 12).then(String::new),
                        topic_id: id,
                        ..MetadataResponseTopic::default()
                    },
                },
            })
            .collect(),
    };
    MetadataResponse {
        brokers: image
            .brokers()
            .values()
            .map(|b| MetadataResponseBroker {
                node_id: b.id.0,
                host: b.host.clone(),
                port: i32::from(b.port),
                rack: b.rack.clone(),
                ..MetadataResponseBroker::default()
            })
            .collect(),
        cluster_id: image.cluster_id().map(str::to_owned),
        controller_id: image.controller().map_or(-1, |c| c.0),
        topics,
        ..MetadataResponse::default()
    }
}

fn topic_entry(t: &TopicState, version: i16, image: &MetadataImage) -> MetadataResponseTopic {
    MetadataResponseTopic {
        error_code: ErrorCode::NONE.0,
        name: Some(t.name.clone()),
        topic_id: t.id,
        is_internal: t.is_internal(),
        partitions: t
            .partitions
            .values()
            .map(|p| partition_entry(p, version, image))
            .collect(),
        ..MetadataResponseTopic::default()
    }
}

/// Kafka's rules: no live leader gives LEADER_NOT_AVAILABLE and leader -1. Only v0 filters
/// replicas and ISR down to live brokers, reporting REPLICA_NOT_AVAILABLE when that drops any.
fn partition_entry(
    p: &PartitionState,
    version: i16,
    image: &MetadataImage,
) -> MetadataResponsePartition {
    let alive = |id: &BrokerId| image.brokers().contains_key(id);
    let filter = |ids: &[BrokerId]| -> Vec<i32> {
        ids.iter()
            .filter(|id| version > 0 || alive(id))
            .map(|id| id.0)
            .collect()
    };
    let replicas = filter(&p.replicas);
    let isr = filter(&p.isr);
    let live_leader = p.leader.filter(alive);
    let error = if live_leader.is_none() {
        ErrorCode::LEADER_NOT_AVAILABLE
    } else if replicas.len() < p.replicas.len() || isr.len() < p.isr.len() {
        ErrorCode::REPLICA_NOT_AVAILABLE
    } else {
        ErrorCode::NONE
    };
    MetadataResponsePartition {
        error_code: error.0,
        partition_index: p.partition.0,
        leader_id: live_leader.map_or(-1, |l| l.0),
        leader_epoch: p.leader_epoch.0,
        replica_nodes: replicas,
        isr_nodes: isr,
        offline_replicas: p.offline_replicas.iter().map(|id| id.0).collect(),
        ..MetadataResponsePartition::default()
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;
    use crate::broker::metadata::BrokerEndpoint;
    use crate::protocol::codec::Decoder;
    use crate::protocol::messages::metadata_request::MetadataRequestTopic;
    use crate::types::{LeaderEpoch, Partition};

    fn image() -> MetadataImage {
        let mut m = MetadataImage::default();
        m.set_cluster_id(Some("cid".into()));
        m.set_controller(Some(BrokerId(1)));
        m.set_brokers([BrokerEndpoint {
            id: BrokerId(1),
            host: "127.0.0.1".into(),
            port: 9092,
            rack: Some("r1".into()),
        }]);
        let mut t = TopicState::new("orders", Uuid([7; 16]));
        for (p, leader) in [(0, Some(1)), (1, None), (2, Some(2))] {
            t.partitions.insert(
                Partition(p),
                PartitionState {
                    partition: Partition(p),
                    leader: leader.map(BrokerId),
                    leader_epoch: LeaderEpoch(4),
                    replicas: vec![BrokerId(1), BrokerId(2)],
                    isr: vec![BrokerId(1)],
                    offline_replicas: vec![BrokerId(2)],
                },
            );
        }
        m.upsert_topic(t);
        m.upsert_topic(TopicState::new("__consumer_offsets", Uuid([8; 16])));
        m
    }

    fn named(names: &[&str]) -> MetadataRequest {
        MetadataRequest {
            topics: Some(
                names
                    .iter()
                    .map(|n| MetadataRequestTopic {
                        name: Some((*n).into()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn topic_selection_follows_each_version() {
        let img = image();
        let all = MetadataRequest {
            topics: None,
            ..Default::default()
        };
        let empty = named(&[]);
        assert_eq!(handle(&empty, 0, &img).topics.len(), 2, "v0: empty = all");
        assert_eq!(handle(&empty, 1, &img).topics.len(), 0, "v1+: empty = none");
        assert_eq!(handle(&all, 12, &img).topics.len(), 2);
        let resp = handle(&named(&["nope", "orders", "nope"]), 4, &img);
        assert_eq!(resp.topics.len(), 2, "duplicates answered once");
        assert_eq!(resp.topics[0].error_code, 3);
        assert_eq!(resp.topics[0].name.as_deref(), Some("nope"));
        assert_eq!(resp.topics[1].error_code, 0);
        assert_eq!(resp.topics[1].partitions.len(), 3);
    }

    #[test]
    fn partitions_report_leaders_and_availability() {
        let img = image();
        let resp = handle(&named(&["orders"]), 7, &img);
        let parts = &resp.topics[0].partitions;
        assert_eq!((parts[0].error_code, parts[0].leader_id), (0, 1));
        assert_eq!(parts[0].leader_epoch, 4);
        assert_eq!(parts[0].replica_nodes, [1, 2]);
        assert_eq!(parts[0].offline_replicas, [2]);
        assert_eq!((parts[1].error_code, parts[1].leader_id), (5, -1));
        // leader 2 is not a live broker
        assert_eq!((parts[2].error_code, parts[2].leader_id), (5, -1));
        // v0 filters dead replicas and says so
        let v0 = handle(&named(&["orders"]), 0, &img);
        assert_eq!(v0.topics[0].partitions[0].error_code, 9);
        assert_eq!(v0.topics[0].partitions[0].replica_nodes, [1]);
        assert_eq!(resp.brokers[0].rack.as_deref(), Some("r1"));
        assert_eq!(resp.controller_id, 1);
        assert_eq!(resp.cluster_id.as_deref(), Some("cid"));
    }

    #[test]
    fn topic_ids_from_v10() {
        let img = image();
        let req = MetadataRequest {
            topics: Some(vec![
                MetadataRequestTopic {
                    topic_id: Uuid([7; 16]),
                    name: None,
                    ..Default::default()
                },
                MetadataRequestTopic {
                    topic_id: Uuid([9; 16]),
                    name: None,
                    ..Default::default()
                },
            ]),
            ..Default::default()
        };
        for version in [10, 11, 12] {
            let resp = handle(&req, version, &img);
            assert_eq!(resp.topics[0].name.as_deref(), Some("orders"));
            assert_eq!(resp.topics[0].topic_id, Uuid([7; 16]));
            assert_eq!(resp.topics[1].error_code, 100);
            let mut buf = BytesMut::new();
            resp.encode(&mut buf, version).unwrap();
        }
        assert_eq!(handle(&req, 12, &img).topics[1].name, None);
    }

    #[test]
    fn every_version_encodes_and_round_trips() {
        let img = image();
        for version in VERSIONS.0..=VERSIONS.1 {
            let req = if version == 0 {
                named(&[])
            } else {
                MetadataRequest {
                    topics: None,
                    ..Default::default()
                }
            };
            let resp = handle(&req, version, &img);
            let mut buf = BytesMut::new();
            resp.encode(&mut buf, version).unwrap();
            let back = MetadataResponse::decode(&mut Decoder::new(buf.freeze()), version).unwrap();
            assert_eq!(back.topics.len(), 2, "v{version}");
            let internal = back
                .topics
                .iter()
                .find(|t| t.name.as_deref() == Some("__consumer_offsets"))
                .unwrap();
            assert_eq!(internal.is_internal, version >= 1);
            assert_eq!(back.topics[1].topic_id == Uuid([7; 16]), version >= 10);
        }
    }
}
