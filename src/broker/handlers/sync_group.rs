//! SyncGroup (key 14): members wait for the leader's assignment of the new generation; the
//! leader sends it. v5+ carries the protocol type and name, checked against the group's.

use std::sync::Arc;

use super::BrokerContext;
use super::join_group::valid_group_id;
use crate::broker::group::state::SyncRequest;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::{SyncGroupRequest, SyncGroupResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 5);

/// Answers `req`.
pub async fn handle(ctx: &BrokerContext, req: &SyncGroupRequest) -> SyncGroupResponse {
    if !valid_group_id(&req.group_id) {
        return SyncGroupResponse {
            error_code: ErrorCode::INVALID_GROUP_ID.0,
            ..SyncGroupResponse::default()
        };
    }
    let groups = Arc::clone(&ctx.groups);
    let sync = SyncRequest {
        member_id: req.member_id.clone(),
        group_instance_id: req.group_instance_id.clone(),
        generation_id: req.generation_id,
        protocol_type: req.protocol_type.clone(),
        protocol_name: req.protocol_name.clone(),
        assignments: req
            .assignments
            .iter()
            .map(|a| (a.member_id.clone(), a.assignment.clone()))
            .collect(),
    };
    let a = groups.sync(ctx, &req.group_id, sync).await;
    SyncGroupResponse {
        error_code: a.error.0,
        protocol_type: a.protocol_type,
        protocol_name: a.protocol_name,
        assignment: a.assignment,
        ..SyncGroupResponse::default()
    }
}
