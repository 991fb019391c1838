//! DescribeGroups (key 15): state, protocol and members of groups this broker coordinates.
//! As Kafka's classic coordinator: a Stable group shows its protocol and each member's
//! metadata and assignment; other states show members without them; an unknown group is
//! "Dead" with no error (up to v5). Authorized operations stay "not provided".

use std::sync::Arc;

use bytes::Bytes;

use super::BrokerContext;
use super::join_group::valid_group_id;
use crate::broker::group::state::GroupState;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use crate::protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 5);

/// Answers `req`.
pub fn handle(ctx: &BrokerContext, req: &DescribeGroupsRequest) -> DescribeGroupsResponse {
    let groups = Arc::clone(&ctx.groups);
    let described = req
        .groups
        .iter()
        .map(|id| {
            let base = DescribedGroup {
                group_id: id.clone(),
                authorized_operations: i32::MIN,
                ..DescribedGroup::default()
            };
            if !valid_group_id(id) {
                return DescribedGroup {
                    error_code: ErrorCode::INVALID_GROUP_ID.0,
                    ..base
                };
            }
            let found = groups.read_group(ctx, id, |g| {
                let Some(g) = g else {
                    return DescribedGroup {
                        group_state: GroupState::Dead.name().to_string(),
                        ..base.clone()
                    };
                };
                let stable = g.state() == GroupState::Stable;
                let protocol = g.protocol_name().unwrap_or_default().to_string();
                DescribedGroup {
                    group_state: g.state().name().to_string(),
                    protocol_type: g.protocol_type().unwrap_or_default().to_string(),
                    protocol_data: if stable {
                        protocol.clone()
                    } else {
                        String::new()
                    },
                    members: g
                        .members()
                        .values()
                        .map(|m| DescribedGroupMember {
                            member_id: m.member_id.clone(),
                            group_instance_id: m.group_instance_id.clone(),
                            client_id: m.client_id.clone(),
                            client_host: m.client_host.clone(),
                            member_metadata: if stable {
                                m.metadata(&protocol)
                            } else {
                                Bytes::new()
                            },
                            member_assignment: if stable {
                                m.assignment.clone()
                            } else {
                                Bytes::new()
                            },
                            ..DescribedGroupMember::default()
                        })
                        .collect(),
                    ..base.clone()
                }
            });
            match found {
                Ok(d) => d,
                Err(code) => DescribedGroup {
                    error_code: code.0,
                    ..base
                },
            }
        })
        .collect();
    DescribeGroupsResponse {
        groups: described,
        ..DescribeGroupsResponse::default()
    }
}
