//! Heartbeat (key 12): keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to
//! rejoin.

use std::sync::Arc;

use super::BrokerContext;
use super::join_group::valid_group_id;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::{HeartbeatRequest, HeartbeatResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 4);

/// Answers `req`.
pub async fn handle(ctx: &BrokerContext, req: &HeartbeatRequest) -> HeartbeatResponse {
    let code = if valid_group_id(&req.group_id) {
        Arc::clone(&ctx.groups)
            .heartbeat(
                ctx,
                &req.group_id,
                &req.member_id,
                req.group_instance_id.as_deref(),
                req.generation_id,
            )
            .await
    } else {
        ErrorCode::INVALID_GROUP_ID
    };
    HeartbeatResponse {
        error_code: code.0,
        ..HeartbeatResponse::default()
    }
}
