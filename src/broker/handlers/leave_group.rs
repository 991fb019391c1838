//! LeaveGroup (key 13): members leave at once instead of timing out. v0-v2 name one member;
//! v3+ a batch, by member id and/or static instance id, each with its own code (v0-v2 carry
//! the one member's code at the top level).

use std::sync::Arc;

use super::BrokerContext;
use super::join_group::valid_group_id;
use crate::broker::group::state::LeavingMember;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::leave_group_response::MemberResponse;
use crate::protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 5);

/// Answers `req`.
pub async fn handle(
    ctx: &BrokerContext,
    req: &LeaveGroupRequest,
    version: i16,
) -> LeaveGroupResponse {
    let leaving: Vec<LeavingMember> = if version >= 3 {
        req.members
            .iter()
            .map(|m| LeavingMember {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
            })
            .collect()
    } else {
        vec![LeavingMember {
            member_id: req.member_id.clone(),
            group_instance_id: None,
        }]
    };
    let result = if valid_group_id(&req.group_id) {
        Arc::clone(&ctx.groups)
            .leave(ctx, &req.group_id, &leaving)
            .await
    } else {
        Err(ErrorCode::INVALID_GROUP_ID)
    };
    match result {
        Err(code) => LeaveGroupResponse {
            error_code: code.0,
            ..LeaveGroupResponse::default()
        },
        Ok(codes) if version >= 3 => LeaveGroupResponse {
            error_code: 0,
            members: leaving
                .into_iter()
                .zip(codes)
                .map(|(l, c)| MemberResponse {
                    member_id: l.member_id,
                    group_instance_id: l.group_instance_id,
                    error_code: c.0,
                    ..MemberResponse::default()
                })
                .collect(),
            ..LeaveGroupResponse::default()
        },
        Ok(codes) => LeaveGroupResponse {
            error_code: codes.first().copied().unwrap_or(ErrorCode::NONE).0,
            ..LeaveGroupResponse::default()
        },
    }
}
