//! OffsetCommit (key 8): a member (or, with generation -1 and no member, an admin or a
//! simple consumer while the group is empty) stores committed offsets. The offsets are
//! written to `__consumer_offsets` before the answer; metadata longer than
//! `offset.metadata.max.bytes` is OFFSET_METADATA_TOO_LARGE for that partition. v1's explicit
//! commit timestamp and v2-v4's retention time set the stored expiry as Kafka did.

use std::sync::Arc;

use super::BrokerContext;
use super::join_group::valid_group_id;
use super::partition_io::now_ms;
use crate::broker::group::state::CommittedOffset;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use crate::protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 9);

/// Answers `req`.
pub async fn handle(
    ctx: &BrokerContext,
    req: &OffsetCommitRequest,
    version: i16,
) -> OffsetCommitResponse {
    let now = now_ms();
    let mut flat = Vec::new();
    for t in &req.topics {
        for p in &t.partitions {
            let commit_timestamp = if version == 1 && p.commit_timestamp >= 0 {
                p.commit_timestamp
            } else {
                now
            };
            let expire_timestamp = if (2..=4).contains(&version) && req.retention_time_ms > 0 {
                commit_timestamp.saturating_add(req.retention_time_ms)
            } else {
                -1
            };
            flat.push((
                t.name.clone(),
                p.partition_index,
                CommittedOffset {
                    offset: p.committed_offset,
                    leader_epoch: p.committed_leader_epoch,
                    metadata: p.committed_metadata.clone().unwrap_or_default(),
                    commit_timestamp,
                    expire_timestamp,
                },
            ));
        }
    }
    let count = flat.len();
    let generation = if version >= 1 {
        req.generation_id_or_member_epoch
    } else {
        -1
    };
    let codes = if !valid_group_id(&req.group_id) {
        vec![ErrorCode::INVALID_GROUP_ID; count]
    } else {
        match Arc::clone(&ctx.groups)
            .commit(
                ctx,
                &req.group_id,
                &req.member_id,
                req.group_instance_id.as_deref(),
                generation,
                flat,
            )
            .await
        {
            Ok(codes) => codes,
            Err(code) => vec![code; count],
        }
    };
    let mut codes = codes.into_iter();
    OffsetCommitResponse {
        topics: req
            .topics
            .iter()
            .map(|t| OffsetCommitResponseTopic {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| OffsetCommitResponsePartition {
                        partition_index: p.partition_index,
                        error_code: codes.next().unwrap_or(ErrorCode::NONE).0,
                        ..OffsetCommitResponsePartition::default()
                    })
                    .collect(),
                ..OffsetCommitResponseTopic::default()
            })
            .collect(),
        ..OffsetCommitResponse::default()
    }
}
