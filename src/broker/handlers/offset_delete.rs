//! OffsetDelete (key 47): forgets committed offsets of a group (KIP-496). Allowed for any
//! partition of an empty group; for a `consumer` group with members, only for topics no
//! member subscribes to (GROUP_SUBSCRIBED_TO_TOPIC otherwise); a non-empty group of another
//! protocol type is NON_EMPTY_GROUP.

use std::sync::Arc;

use super::BrokerContext;
use super::join_group::valid_group_id;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use crate::protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 0);

/// Answers `req`.
pub async fn handle(ctx: &BrokerContext, req: &OffsetDeleteRequest) -> OffsetDeleteResponse {
    let wanted: Vec<(String, i32)> = req
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(|p| (t.name.clone(), p.partition_index))
        })
        .collect();
    let result = if valid_group_id(&req.group_id) {
        Arc::clone(&ctx.groups)
            .delete_offsets(ctx, &req.group_id, &wanted)
            .await
    } else {
        Err(ErrorCode::INVALID_GROUP_ID)
    };
    let codes = match result {
        Ok(codes) => codes,
        Err(code) => {
            return OffsetDeleteResponse {
                error_code: code.0,
                ..OffsetDeleteResponse::default()
            };
        }
    };
    let mut codes = codes.into_iter();
    OffsetDeleteResponse {
        topics: req
            .topics
            .iter()
            .map(|t| OffsetDeleteResponseTopic {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| OffsetDeleteResponsePartition {
                        partition_index: p.partition_index,
                        error_code: codes.next().unwrap_or(ErrorCode::NONE).0,
                        ..OffsetDeleteResponsePartition::default()
                    })
                    .collect(),
                ..OffsetDeleteResponseTopic::default()
            })
            .collect(),
        ..OffsetDeleteResponse::default()
    }
}
