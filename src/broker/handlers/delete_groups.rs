//! DeleteGroups (key 42): deletes empty groups and their offsets (tombstones in
//! `__consumer_offsets`). A group with members is NON_EMPTY_GROUP, an unknown one
//! GROUP_ID_NOT_FOUND.

use std::sync::Arc;

use super::BrokerContext;
use super::join_group::valid_group_id;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::delete_groups_response::DeletableGroupResult;
use crate::protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 2);

/// Answers `req`.
pub async fn handle(ctx: &BrokerContext, req: &DeleteGroupsRequest) -> DeleteGroupsResponse {
    let groups = Arc::clone(&ctx.groups);
    let mut results = Vec::with_capacity(req.groups_names.len());
    for id in &req.groups_names {
        let code = if valid_group_id(id) {
            groups.delete(ctx, id).await
        } else {
            ErrorCode::INVALID_GROUP_ID
        };
        results.push(DeletableGroupResult {
            group_id: id.clone(),
            error_code: code.0,
            ..DeletableGroupResult::default()
        });
    }
    DeleteGroupsResponse {
        results,
        ..DeleteGroupsResponse::default()
    }
}
