//! ListGroups (key 16): the groups this broker coordinates. v4+ filters by state names
//! (case-insensitive, as Kafka), v5+ by group type: every rkafka group is "classic".
//! COORDINATOR_LOAD_IN_PROGRESS while one of its partitions is still loading, with the
//! groups known so far.

use std::sync::Arc;

use super::BrokerContext;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::list_groups_response::ListedGroup;
use crate::protocol::messages::{ListGroupsRequest, ListGroupsResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 5);

/// Answers `req`.
pub fn handle(ctx: &BrokerContext, req: &ListGroupsRequest, version: i16) -> ListGroupsResponse {
    let groups = Arc::clone(&ctx.groups);
    let states: Vec<String> = if version >= 4 {
        req.states_filter.iter().map(|s| s.to_lowercase()).collect()
    } else {
        Vec::new()
    };
    let types_ok = version < 5
        || req.types_filter.is_empty()
        || req
            .types_filter
            .iter()
            .any(|t| t.eq_ignore_ascii_case("classic"));
    let listed = if types_ok {
        groups
            .list(ctx)
            .into_iter()
            .filter(|(_, _, s)| states.is_empty() || states.contains(&s.name().to_lowercase()))
            .map(|(group_id, protocol_type, state)| ListedGroup {
                group_id,
                protocol_type,
                group_state: state.name().to_string(),
                group_type: "classic".to_string(),
                ..ListedGroup::default()
            })
            .collect()
    } else {
        Vec::new()
    };
    let error = if groups.is_loading() {
        ErrorCode::COORDINATOR_LOAD_IN_PROGRESS
    } else {
        ErrorCode::NONE
    };
    ListGroupsResponse {
        error_code: error.0,
        groups: listed,
        ..ListGroupsResponse::default()
    }
}
