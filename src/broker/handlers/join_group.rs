//! JoinGroup (key 11): a member joins (or rejoins) a group and waits for the rebalance.
//! v4+ gets MEMBER_ID_REQUIRED with a fresh `client_id-uuid` member id first (KIP-394);
//! v5+ may name a static instance (KIP-345). The group id must be non-empty and fit
//! Kafka's int16-length record key (INVALID_GROUP_ID otherwise).

use std::sync::Arc;

use super::BrokerContext;
use crate::broker::group::state::JoinRequest;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::join_group_response::JoinGroupResponseMember;
use crate::protocol::messages::{JoinGroupRequest, JoinGroupResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 9);

/// The longest group id `__consumer_offsets` keys can hold (int16 string length).
pub const MAX_GROUP_ID_BYTES: usize = i16::MAX as usize;

/// Whether `group` is a valid group id (Kafka: non-empty; and storable).
pub fn valid_group_id(group: &str) -> bool {
    !group.is_empty() && group.len() <= MAX_GROUP_ID_BYTES
}

/// A new member id as Kafka makes them: the client id, a dash, a random UUID.
pub fn new_member_id(client_id: &str) -> String {
    let mut b = crate::admin::zk_topics::random_bytes::<16>().unwrap_or_else(|_| {
        let t = super::partition_io::now_ms().to_be_bytes();
        [
            t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], 1, 2, 3, 4, 5, 6, 7, 8,
        ]
    });
    // A version 4 (random) UUID, as Java's UUID.randomUUID().
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let (a, rest) = hex.split_at(8);
    let (bb, rest) = rest.split_at(4);
    let (c, rest) = rest.split_at(4);
    let (d, e) = rest.split_at(4);
    format!("{client_id}-{a}-{bb}-{c}-{d}-{e}")
}

/// Answers `req`.
pub async fn handle(
    ctx: &BrokerContext,
    req: &JoinGroupRequest,
    version: i16,
    client_id: &str,
) -> JoinGroupResponse {
    let mut resp = JoinGroupResponse {
        generation_id: -1,
        member_id: req.member_id.clone(),
        protocol_name: if version >= 7 {
            None
        } else {
            Some(String::new())
        },
        ..JoinGroupResponse::default()
    };
    if !valid_group_id(&req.group_id) {
        resp.error_code = ErrorCode::INVALID_GROUP_ID.0;
        return resp;
    }
    let join = JoinRequest {
        member_id: req.member_id.clone(),
        group_instance_id: req.group_instance_id.clone(),
        client_id: client_id.to_string(),
        client_host: super::client_host(),
        session_timeout_ms: req.session_timeout_ms,
        rebalance_timeout_ms: req.rebalance_timeout_ms,
        protocol_type: req.protocol_type.clone(),
        protocols: req
            .protocols
            .iter()
            .map(|p| (p.name.clone(), p.metadata.clone()))
            .collect(),
        require_known_member_id: version >= 4,
        new_member_id: new_member_id(client_id),
    };
    let groups = Arc::clone(&ctx.groups);
    let a = groups.join(ctx, &req.group_id, join).await;
    resp.error_code = a.error.0;
    resp.generation_id = a.generation_id;
    resp.member_id = a.member_id;
    resp.leader = a.leader;
    resp.protocol_type = a.protocol_type;
    resp.protocol_name = match a.protocol_name {
        Some(p) => Some(p),
        None if version < 7 => Some(String::new()),
        None => None,
    };
    resp.members = a
        .members
        .into_iter()
        .map(
            |(member_id, group_instance_id, metadata)| JoinGroupResponseMember {
                member_id,
                group_instance_id,
                metadata,
                ..JoinGroupResponseMember::default()
            },
        )
        .collect();
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_ids_look_like_kafkas() {
        let id = new_member_id("consumer-1");
        let uuid = id.strip_prefix("consumer-1-").unwrap();
        let parts: Vec<&str> = uuid.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert_ne!(new_member_id("c"), new_member_id("c"));
        assert!(valid_group_id("g") && !valid_group_id(""));
        assert!(!valid_group_id(&"x".repeat(MAX_GROUP_ID_BYTES + 1)));
    }
}
