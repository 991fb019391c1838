//! Every served version of every group API is answered and encodes, through the broker's
//! router, on a broker that coordinates nothing (answers are refusals: NOT_COORDINATOR,
//! COORDINATOR_NOT_AVAILABLE, empty lists), so no version can close a client's connection.

use bytes::{Bytes, BytesMut};

use crate::broker::handlers::{
    BrokerContext, delete_groups, describe_groups, find_coordinator, heartbeat, join_group,
    leave_group, list_groups, offset_commit, offset_delete, offset_fetch, respond, route,
    sync_group,
};
use crate::protocol::codec::ApiRequest;
use crate::protocol::frame::{Frame, decode_frame};
use crate::protocol::header::{decode_response, encode_request};
use crate::protocol::messages::*;

fn frame<M: ApiRequest>(version: i16, body: &M) -> Bytes {
    let mut buf = BytesMut::new();
    encode_request(&mut buf, 7, Some("client"), version, body).unwrap();
    buf.split_off(4).freeze()
}

async fn answer<M: ApiRequest>(
    ctx: &BrokerContext,
    api: ApiKey,
    version: i16,
    req: &M,
) -> Response {
    let chunks = respond(ctx, route(frame(version, req)).unwrap())
        .await
        .unwrap();
    let mut all = BytesMut::new();
    for c in chunks {
        all.extend_from_slice(&c.to_bytes().unwrap());
    }
    let Ok(Frame::Complete(body)) = decode_frame(&mut all, usize::MAX) else {
        panic!("one whole frame")
    };
    decode_response(api, version, body).unwrap().1
}

fn versions((min, max): (i16, i16)) -> std::ops::RangeInclusive<i16> {
    min..=max
}

#[test]
fn every_group_api_version_answers() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = BrokerContext::new(
        crate::broker::replica::tests::broker_config(&[]),
        crate::broker::replica::tests::manager(dir.path()),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for v in versions(find_coordinator::VERSIONS) {
            let req = if v >= 4 {
                FindCoordinatorRequest {
                    coordinator_keys: vec!["g".into(), "h".into()],
                    ..Default::default()
                }
            } else {
                FindCoordinatorRequest {
                    key: "g".into(),
                    ..Default::default()
                }
            };
            let Response::FindCoordinator(r) = answer(&ctx, ApiKey::FindCoordinator, v, &req).await
            else {
                panic!()
            };
            if v >= 4 {
                assert_eq!(r.coordinators.len(), 2);
                assert!(r.coordinators.iter().all(|c| c.error_code == 15), "v{v}");
            } else {
                assert_eq!(r.error_code, 15, "COORDINATOR_NOT_AVAILABLE v{v}");
            }
        }
        for v in versions(join_group::VERSIONS) {
            let req = JoinGroupRequest {
                group_id: "g".into(),
                session_timeout_ms: 10_000,
                protocol_type: "consumer".into(),
                ..Default::default()
            };
            let Response::JoinGroup(r) = answer(&ctx, ApiKey::JoinGroup, v, &req).await else {
                panic!()
            };
            assert_eq!(r.error_code, 16, "NOT_COORDINATOR v{v}");
            let empty = JoinGroupRequest {
                group_id: String::new(),
                ..req
            };
            let Response::JoinGroup(r) = answer(&ctx, ApiKey::JoinGroup, v, &empty).await else {
                panic!()
            };
            assert_eq!(r.error_code, 24, "INVALID_GROUP_ID v{v}");
        }
        for v in versions(sync_group::VERSIONS) {
            let req = SyncGroupRequest {
                group_id: "g".into(),
                ..Default::default()
            };
            let Response::SyncGroup(r) = answer(&ctx, ApiKey::SyncGroup, v, &req).await else {
                panic!()
            };
            assert_eq!(r.error_code, 16, "v{v}");
        }
        for v in versions(heartbeat::VERSIONS) {
            let req = HeartbeatRequest {
                group_id: "g".into(),
                ..Default::default()
            };
            let Response::Heartbeat(r) = answer(&ctx, ApiKey::Heartbeat, v, &req).await else {
                panic!()
            };
            assert_eq!(r.error_code, 16, "v{v}");
        }
        for v in versions(leave_group::VERSIONS) {
            let req = if v >= 3 {
                LeaveGroupRequest {
                    group_id: "g".into(),
                    members: vec![leave_group_request::MemberIdentity {
                        member_id: "m".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }
            } else {
                LeaveGroupRequest {
                    group_id: "g".into(),
                    member_id: "m".into(),
                    ..Default::default()
                }
            };
            let Response::LeaveGroup(r) = answer(&ctx, ApiKey::LeaveGroup, v, &req).await else {
                panic!()
            };
            assert_eq!(r.error_code, 16, "v{v}");
        }
        for v in versions(offset_commit::VERSIONS) {
            let req = OffsetCommitRequest {
                group_id: "g".into(),
                topics: vec![offset_commit_request::OffsetCommitRequestTopic {
                    name: "t".into(),
                    partitions: vec![offset_commit_request::OffsetCommitRequestPartition {
                        partition_index: 0,
                        committed_offset: 1,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            };
            let Response::OffsetCommit(r) = answer(&ctx, ApiKey::OffsetCommit, v, &req).await
            else {
                panic!()
            };
            assert_eq!(r.topics[0].partitions[0].error_code, 16, "v{v}");
        }
        for v in versions(offset_fetch::VERSIONS) {
            let req = if v >= 8 {
                OffsetFetchRequest {
                    groups: vec![offset_fetch_request::OffsetFetchRequestGroup {
                        group_id: "g".into(),
                        topics: None,
                        ..Default::default()
                    }],
                    ..Default::default()
                }
            } else {
                OffsetFetchRequest {
                    group_id: "g".into(),
                    topics: Some(vec![offset_fetch_request::OffsetFetchRequestTopic {
                        name: "t".into(),
                        partition_indexes: vec![0],
                        ..Default::default()
                    }]),
                    ..Default::default()
                }
            };
            let Response::OffsetFetch(r) = answer(&ctx, ApiKey::OffsetFetch, v, &req).await else {
                panic!()
            };
            match v {
                8.. => assert_eq!(r.groups[0].error_code, 16),
                2..8 => assert_eq!(r.error_code, 16),
                _ => assert_eq!(r.topics[0].partitions[0].error_code, 16),
            }
        }
        for v in versions(list_groups::VERSIONS) {
            let req = ListGroupsRequest::default();
            let Response::ListGroups(r) = answer(&ctx, ApiKey::ListGroups, v, &req).await else {
                panic!()
            };
            assert_eq!((r.error_code, r.groups.len()), (0, 0), "v{v}");
        }
        for v in versions(describe_groups::VERSIONS) {
            let req = DescribeGroupsRequest {
                groups: vec!["g".into(), String::new()],
                ..Default::default()
            };
            let Response::DescribeGroups(r) = answer(&ctx, ApiKey::DescribeGroups, v, &req).await
            else {
                panic!()
            };
            assert_eq!(r.groups[0].error_code, 16, "v{v}");
            assert_eq!(r.groups[1].error_code, 24, "v{v}");
        }
        for v in versions(delete_groups::VERSIONS) {
            let req = DeleteGroupsRequest {
                groups_names: vec!["g".into()],
                ..Default::default()
            };
            let Response::DeleteGroups(r) = answer(&ctx, ApiKey::DeleteGroups, v, &req).await
            else {
                panic!()
            };
            assert_eq!(r.results[0].error_code, 16, "v{v}");
        }
        for v in versions(offset_delete::VERSIONS) {
            let req = OffsetDeleteRequest {
                group_id: "g".into(),
                ..Default::default()
            };
            let Response::OffsetDelete(r) = answer(&ctx, ApiKey::OffsetDelete, v, &req).await
            else {
                panic!()
            };
            assert_eq!(r.error_code, 16, "v{v}");
        }
    });
}
