//! OffsetFetch (key 9): a group's committed offsets. v0-v7 ask for one group (from v2 a
//! null topic list means every committed partition); v8+ for several, each answered on its
//! own. A partition without a commit is offset -1 with empty metadata and no error, as in
//! Kafka. There are no transactional offset commits in rkafka, so `require_stable` never
//! finds unstable offsets. Group-level errors are per partition up to v1, top level v2-v7,
//! per group from v8.

use std::sync::Arc;

use super::BrokerContext;
use super::join_group::valid_group_id;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use crate::protocol::messages::{OffsetFetchRequest, OffsetFetchResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 9);

/// One partition's answer: (partition, offset, leader epoch, metadata).
type Fetched = (i32, i64, i32, Option<String>);

/// The committed offsets of `group` for `topics` (None: all), by topic.
fn fetch(
    ctx: &BrokerContext,
    group: &str,
    topics: Option<Vec<(String, Vec<i32>)>>,
) -> Result<Vec<(String, Vec<Fetched>)>, ErrorCode> {
    if !valid_group_id(group) {
        return Err(ErrorCode::INVALID_GROUP_ID);
    }
    Arc::clone(&ctx.groups).read_group(ctx, group, |g| match topics {
        Some(topics) => topics
            .into_iter()
            .map(|(t, parts)| {
                let answers = parts
                    .into_iter()
                    .map(|p| match g.and_then(|g| g.offsets().get(&(t.clone(), p))) {
                        Some(o) => (p, o.offset, o.leader_epoch, Some(o.metadata.clone())),
                        None => (p, -1, -1, Some(String::new())),
                    })
                    .collect();
                (t, answers)
            })
            .collect(),
        None => {
            let mut out: Vec<(String, Vec<Fetched>)> = Vec::new();
            if let Some(g) = g {
                for ((t, p), o) in g.offsets() {
                    let entry = (*p, o.offset, o.leader_epoch, Some(o.metadata.clone()));
                    match out.last_mut() {
                        Some((last, v)) if last == t => v.push(entry),
                        _ => out.push((t.clone(), vec![entry])),
                    }
                }
            }
            out
        }
    })
}

/// Answers `req`.
pub async fn handle(
    ctx: &BrokerContext,
    req: &OffsetFetchRequest,
    version: i16,
) -> OffsetFetchResponse {
    if version >= 8 {
        let groups = req
            .groups
            .iter()
            .map(|g| {
                let topics = g.topics.as_ref().map(|ts| {
                    ts.iter()
                        .map(|t| (t.name.clone(), t.partition_indexes.clone()))
                        .collect()
                });
                match fetch(ctx, &g.group_id, topics) {
                    Ok(found) => OffsetFetchResponseGroup {
                        group_id: g.group_id.clone(),
                        topics: found
                            .into_iter()
                            .map(|(name, parts)| OffsetFetchResponseTopics {
                                name,
                                partitions: parts
                                    .into_iter()
                                    .map(|(p, o, e, m)| OffsetFetchResponsePartitions {
                                        partition_index: p,
                                        committed_offset: o,
                                        committed_leader_epoch: e,
                                        metadata: m,
                                        error_code: 0,
                                        ..OffsetFetchResponsePartitions::default()
                                    })
                                    .collect(),
                                ..OffsetFetchResponseTopics::default()
                            })
                            .collect(),
                        error_code: 0,
                        ..OffsetFetchResponseGroup::default()
                    },
                    Err(code) => OffsetFetchResponseGroup {
                        group_id: g.group_id.clone(),
                        error_code: code.0,
                        ..OffsetFetchResponseGroup::default()
                    },
                }
            })
            .collect();
        return OffsetFetchResponse {
            groups,
            ..OffsetFetchResponse::default()
        };
    }
    let requested: Option<Vec<(String, Vec<i32>)>> = req.topics.as_ref().map(|ts| {
        ts.iter()
            .map(|t| (t.name.clone(), t.partition_indexes.clone()))
            .collect()
    });
    let topic_entry =
        |name: String, parts: Vec<Fetched>, code: ErrorCode| OffsetFetchResponseTopic {
            name,
            partitions: parts
                .into_iter()
                .map(|(p, o, e, m)| OffsetFetchResponsePartition {
                    partition_index: p,
                    committed_offset: o,
                    committed_leader_epoch: e,
                    metadata: m,
                    error_code: code.0,
                    ..OffsetFetchResponsePartition::default()
                })
                .collect(),
            ..OffsetFetchResponseTopic::default()
        };
    match fetch(ctx, &req.group_id, requested.clone()) {
        Ok(found) => OffsetFetchResponse {
            topics: found
                .into_iter()
                .map(|(t, p)| topic_entry(t, p, ErrorCode::NONE))
                .collect(),
            ..OffsetFetchResponse::default()
        },
        Err(code) => OffsetFetchResponse {
            error_code: code.0,
            // Up to v1 the error can only travel in the partitions.
            topics: requested
                .unwrap_or_default()
                .into_iter()
                .map(|(t, parts)| {
                    let parts = parts
                        .into_iter()
                        .map(|p| (p, -1, -1, Some(String::new())))
                        .collect();
                    topic_entry(t, parts, code)
                })
                .collect(),
            ..OffsetFetchResponse::default()
        },
    }
}
