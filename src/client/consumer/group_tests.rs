//! The group consumer against a scripted two-broker cluster on 127.0.0.1: the member id
//! required join, a coordinator that moves (NOT_COORDINATOR on heartbeat -> FindCoordinator
//! names the other broker, the member carries on in its generation), a rebalance announced
//! by a heartbeat (positions committed before revoking, then a rejoin with the same member
//! id), and LeaveGroup on close, sent to the coordinator of the moment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::client::ClientSettings;
use crate::protocol::header::{decode_request, encode_any_response};
use crate::protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use crate::protocol::messages::join_group_response::JoinGroupResponseMember;
use crate::protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use crate::protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use crate::protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use crate::protocol::messages::offset_fetch_response::{
    OffsetFetchResponsePartition, OffsetFetchResponseTopic,
};
use crate::protocol::messages::{
    FetchResponse, FindCoordinatorResponse, HeartbeatResponse, JoinGroupResponse,
    LeaveGroupResponse, ListOffsetsResponse, MetadataResponse, OffsetCommitResponse,
    OffsetFetchResponse, Request, SyncGroupResponse,
};
use crate::protocol::records::{BatchBuilder, Compression};
use crate::types::HostPort;

/// The scripted cluster: two brokers (ids 1 and 2), topic `t` with two partitions led by
/// broker 1, ten records in partition 0.
#[derive(Debug, Default)]
struct Cluster {
    ports: [u16; 2],
    /// Index of the coordinator broker.
    coordinator: usize,
    generation: i32,
    /// Error the coordinator answers the next heartbeat with.
    heartbeat_error: Option<ErrorCode>,
    committed: HashMap<i32, i64>,
    /// (broker index, API name, detail) of each group request, in arrival order.
    log: Vec<(usize, &'static str, String)>,
}

fn records() -> Bytes {
    let mut b = BatchBuilder::new(Compression::None).base_offset(0);
    for i in 0..10 {
        b.append(1000, None, Some(format!("v{i}").as_bytes()), &[])
            .unwrap();
    }
    b.build().unwrap()
}

fn answer(req: Request, me: usize, c: &Mutex<Cluster>) -> Response {
    let mut c = c.lock().unwrap();
    let coordinator = c.coordinator == me;
    let not_coordinator = ErrorCode::NOT_COORDINATOR.0;
    match req {
        Request::ApiVersions(_) => {
            Response::ApiVersions(crate::protocol::api::api_versions_response(
                &crate::protocol::api::client_versions(),
                ErrorCode::NONE,
                0,
            ))
        }
        Request::Metadata(_) => Response::Metadata(MetadataResponse {
            brokers: (0..2)
                .map(|i| MetadataResponseBroker {
                    node_id: i + 1,
                    host: "127.0.0.1".into(),
                    port: i32::from(c.ports[i as usize]),
                    ..MetadataResponseBroker::default()
                })
                .collect(),
            controller_id: 1,
            topics: vec![MetadataResponseTopic {
                name: Some("t".into()),
                partitions: (0..2)
                    .map(|p| MetadataResponsePartition {
                        partition_index: p,
                        leader_id: 1,
                        leader_epoch: 0,
                        replica_nodes: vec![1],
                        isr_nodes: vec![1],
                        ..MetadataResponsePartition::default()
                    })
                    .collect(),
                ..MetadataResponseTopic::default()
            }],
            ..MetadataResponse::default()
        }),
        Request::FindCoordinator(r) => {
            c.log.push((me, "FindCoordinator", r.key.clone()));
            let idx = c.coordinator;
            Response::FindCoordinator(FindCoordinatorResponse {
                node_id: i32::try_from(idx).unwrap() + 1,
                host: "127.0.0.1".into(),
                port: i32::from(c.ports[idx]),
                ..FindCoordinatorResponse::default()
            })
        }
        Request::JoinGroup(r) => {
            c.log.push((me, "JoinGroup", r.member_id.clone()));
            if !coordinator {
                return Response::JoinGroup(JoinGroupResponse {
                    error_code: not_coordinator,
                    ..JoinGroupResponse::default()
                });
            }
            if r.member_id.is_empty() {
                return Response::JoinGroup(JoinGroupResponse {
                    error_code: ErrorCode::MEMBER_ID_REQUIRED.0,
                    member_id: "m-1".into(),
                    ..JoinGroupResponse::default()
                });
            }
            c.generation += 1;
            Response::JoinGroup(JoinGroupResponse {
                generation_id: c.generation,
                protocol_name: Some(r.protocols[0].name.clone()),
                leader: r.member_id.clone(),
                member_id: r.member_id.clone(),
                members: vec![JoinGroupResponseMember {
                    member_id: r.member_id.clone(),
                    metadata: r.protocols[0].metadata.clone(),
                    ..JoinGroupResponseMember::default()
                }],
                ..JoinGroupResponse::default()
            })
        }
        Request::SyncGroup(r) => {
            c.log.push((me, "SyncGroup", r.generation_id.to_string()));
            let mine = r
                .assignments
                .iter()
                .find(|a| a.member_id == r.member_id)
                .map(|a| a.assignment.clone())
                .unwrap_or_default();
            Response::SyncGroup(SyncGroupResponse {
                error_code: if coordinator { 0 } else { not_coordinator },
                assignment: mine,
                ..SyncGroupResponse::default()
            })
        }
        Request::Heartbeat(r) => {
            c.log.push((me, "Heartbeat", r.generation_id.to_string()));
            let error = if !coordinator {
                ErrorCode::NOT_COORDINATOR
            } else {
                c.heartbeat_error.take().unwrap_or(ErrorCode::NONE)
            };
            Response::Heartbeat(HeartbeatResponse {
                error_code: error.0,
                ..HeartbeatResponse::default()
            })
        }
        Request::OffsetFetch(r) => {
            c.log.push((me, "OffsetFetch", String::new()));
            let topics = r.topics.unwrap_or_default();
            Response::OffsetFetch(OffsetFetchResponse {
                topics: topics
                    .iter()
                    .map(|t| OffsetFetchResponseTopic {
                        name: t.name.clone(),
                        partitions: t
                            .partition_indexes
                            .iter()
                            .map(|p| OffsetFetchResponsePartition {
                                partition_index: *p,
                                committed_offset: c.committed.get(p).copied().unwrap_or(-1),
                                ..OffsetFetchResponsePartition::default()
                            })
                            .collect(),
                        ..OffsetFetchResponseTopic::default()
                    })
                    .collect(),
                ..OffsetFetchResponse::default()
            })
        }
        Request::OffsetCommit(r) => {
            let mut detail = Vec::new();
            for t in &r.topics {
                for p in &t.partitions {
                    detail.push(format!("{}={}", p.partition_index, p.committed_offset));
                    if coordinator {
                        c.committed.insert(p.partition_index, p.committed_offset);
                    }
                }
            }
            c.log.push((me, "OffsetCommit", detail.join(",")));
            Response::OffsetCommit(OffsetCommitResponse {
                topics: r
                    .topics
                    .iter()
                    .map(|t| OffsetCommitResponseTopic {
                        name: t.name.clone(),
                        partitions: t
                            .partitions
                            .iter()
                            .map(|p| OffsetCommitResponsePartition {
                                partition_index: p.partition_index,
                                error_code: if coordinator { 0 } else { not_coordinator },
                                ..OffsetCommitResponsePartition::default()
                            })
                            .collect(),
                        ..OffsetCommitResponseTopic::default()
                    })
                    .collect(),
                ..OffsetCommitResponse::default()
            })
        }
        Request::LeaveGroup(r) => {
            let who = r
                .members
                .first()
                .map_or(r.member_id.clone(), |m| m.member_id.clone());
            c.log.push((me, "LeaveGroup", who));
            Response::LeaveGroup(LeaveGroupResponse::default())
        }
        Request::ListOffsets(r) => Response::ListOffsets(ListOffsetsResponse {
            topics: r
                .topics
                .iter()
                .map(|t| ListOffsetsTopicResponse {
                    name: t.name.clone(),
                    partitions: t
                        .partitions
                        .iter()
                        .map(|p| ListOffsetsPartitionResponse {
                            partition_index: p.partition_index,
                            offset: if p.partition_index == 0 && p.timestamp == -1 {
                                10
                            } else {
                                0
                            },
                            ..ListOffsetsPartitionResponse::default()
                        })
                        .collect(),
                    ..ListOffsetsTopicResponse::default()
                })
                .collect(),
            ..ListOffsetsResponse::default()
        }),
        Request::Fetch(r) => Response::Fetch(FetchResponse {
            responses: r
                .topics
                .iter()
                .map(|t| FetchableTopicResponse {
                    topic: t.topic.clone(),
                    partitions: t
                        .partitions
                        .iter()
                        .map(|p| PartitionData {
                            partition_index: p.partition,
                            high_watermark: if p.partition == 0 { 10 } else { 0 },
                            records: Some(if p.partition == 0 && p.fetch_offset < 10 {
                                records()
                            } else {
                                Bytes::new()
                            }),
                            ..PartitionData::default()
                        })
                        .collect(),
                    ..FetchableTopicResponse::default()
                })
                .collect(),
            ..FetchResponse::default()
        }),
        other => panic!("unexpected request {other:?}"),
    }
}

async fn broker(cluster: Arc<Mutex<Cluster>>, me: usize, listener: tokio::net::TcpListener) {
    loop {
        let Ok((mut s, _)) = listener.accept().await else {
            return;
        };
        let cluster = cluster.clone();
        tokio::spawn(async move {
            loop {
                let mut len = [0u8; 4];
                if s.read_exact(&mut len).await.is_err() {
                    return;
                }
                let mut frame = vec![0u8; i32::from_be_bytes(len) as usize];
                if s.read_exact(&mut frame).await.is_err() {
                    return;
                }
                let (header, req) = decode_request(Bytes::from(frame)).unwrap();
                let idle_fetch = matches!(&req, Request::Fetch(_));
                let resp = answer(req, me, &cluster);
                if idle_fetch {
                    // A short long-poll, so an idle consumer does not spin.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                let mut out = BytesMut::new();
                encode_any_response(
                    &mut out,
                    header.correlation_id,
                    header.request_api_version,
                    &resp,
                )
                .unwrap();
                if s.write_all(&out).await.is_err() {
                    return;
                }
            }
        });
    }
}

fn apis(c: &Mutex<Cluster>) -> Vec<(usize, &'static str, String)> {
    c.lock().unwrap().log.clone()
}

/// Polls the consumer until `check` holds on the cluster's state (5 s at most).
async fn drive(g: &mut GroupConsumer, c: &Mutex<Cluster>, check: impl Fn(&Cluster) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check(&c.lock().unwrap()) {
        assert!(Instant::now() < deadline, "timed out; log: {:?}", apis(c));
        let r = g
            .next(Some(Instant::now() + Duration::from_millis(50)))
            .await
            .unwrap();
        assert!(r.is_none(), "unexpected record {r:?}");
    }
}

/// Starts the two scripted brokers; returns the cluster and the config of a member of `g`.
async fn start_cluster() -> (Arc<Mutex<Cluster>>, ConsumerConfig) {
    let cluster = Arc::new(Mutex::new(Cluster::default()));
    let mut ports = [0u16; 2];
    for (i, port) in ports.iter_mut().enumerate() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        *port = l.local_addr().unwrap().port();
        tokio::spawn(broker(cluster.clone(), i, l));
    }
    cluster.lock().unwrap().ports = ports;
    let config = ConsumerConfig {
        client: ClientSettings {
            bootstrap_servers: vec![HostPort {
                host: "127.0.0.1".into(),
                port: ports[0],
            }],
            retry_backoff: Duration::from_millis(10),
            ..ClientSettings::default()
        },
        auto_offset_reset: OffsetReset::Earliest,
        group_id: Some("g".into()),
        heartbeat_interval: Duration::from_millis(30),
        session_timeout: Duration::from_millis(2000),
        // Only the commit before revoking may commit in this test.
        auto_commit_interval: Duration::from_secs(600),
        ..ConsumerConfig::default()
    };
    (cluster, config)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// Polls (taking any records) until `check` holds on the cluster's state (5 s at most).
async fn drive_any(g: &mut GroupConsumer, c: &Mutex<Cluster>, check: impl Fn(&Cluster) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check(&c.lock().unwrap()) {
        assert!(Instant::now() < deadline, "timed out; log: {:?}", apis(c));
        g.next(Some(Instant::now() + Duration::from_millis(50)))
            .await
            .unwrap();
    }
}

#[test]
fn a_member_that_stops_polling_leaves_and_rejoins_as_new() {
    runtime().block_on(async {
        let (cluster, mut config) = start_cluster().await;
        config.max_poll_interval = Duration::from_millis(300);
        let mut g = GroupConsumer::new(config, Topics::List(vec!["t".into()])).unwrap();
        drive_any(&mut g, &cluster, |c| c.generation == 1).await;
        // Stop polling for longer than max.poll.interval.ms: the heartbeat task leaves.
        tokio::time::sleep(Duration::from_millis(700)).await;
        let log = apis(&cluster);
        let left = log
            .iter()
            .position(|(_, a, who)| *a == "LeaveGroup" && who == "m-1")
            .unwrap_or_else(|| panic!("no LeaveGroup: {log:?}"));
        assert!(!log.iter().any(|(_, a, _)| *a == "OffsetCommit"), "{log:?}");
        // The next poll joins again from scratch, without a member id.
        drive_any(&mut g, &cluster, |c| c.generation == 2).await;
        let log = apis(&cluster);
        let rejoin = log[left..]
            .iter()
            .find(|(_, a, _)| *a == "JoinGroup")
            .unwrap();
        assert_eq!(rejoin.2, "", "{log:?}");
        assert_eq!(g.membership().generation(), 2);
    });
}

#[test]
fn joins_follows_a_moving_coordinator_commits_before_revoking_and_leaves() {
    runtime().block_on(async {
        let (cluster, config) = start_cluster().await;
        let mut g = GroupConsumer::new(config, Topics::List(vec!["t".into()])).unwrap();
        let mut got = Vec::new();
        while got.len() < 10 {
            let r = g
                .next(Some(Instant::now() + Duration::from_secs(5)))
                .await
                .unwrap()
                .expect("a record within 5 s");
            got.push((r.partition, r.offset));
        }
        assert_eq!(got, (0..10).map(|o| (0, o)).collect::<Vec<_>>());
        let joined: Vec<(usize, &str, String)> = apis(&cluster)
            .into_iter()
            .filter(|(_, api, _)| *api != "Heartbeat")
            .collect();
        let expect: Vec<(usize, &str, String)> = vec![
            (0, "FindCoordinator", "g".into()),
            (0, "JoinGroup", String::new()),
            (0, "JoinGroup", "m-1".into()),
            (0, "SyncGroup", "1".into()),
            (0, "OffsetFetch", String::new()),
        ];
        assert_eq!(joined, expect);
        assert_eq!(g.membership().member_id(), "m-1");
        assert_eq!(
            g.assignment().len(),
            2,
            "range gives both partitions to the only member"
        );

        // The coordinator moves to broker 2: heartbeats there, same generation, no rejoin.
        cluster.lock().unwrap().coordinator = 1;
        drive(&mut g, &cluster, |c| {
            c.log
                .iter()
                .any(|(b, api, _)| *b == 1 && *api == "Heartbeat")
        })
        .await;
        let log = apis(&cluster);
        assert!(log.iter().any(|(b, api, _)| *b == 0 && *api == "Heartbeat"));
        assert_eq!(
            log.iter()
                .filter(|(_, api, _)| *api == "FindCoordinator")
                .count(),
            2
        );
        assert_eq!(
            log.iter().filter(|(_, api, _)| *api == "JoinGroup").count(),
            2,
            "{log:?}"
        );
        assert_eq!(g.membership().generation(), 1);

        // A rebalance: commit the positions, revoke, rejoin under the same member id.
        cluster.lock().unwrap().heartbeat_error = Some(ErrorCode::REBALANCE_IN_PROGRESS);
        drive(&mut g, &cluster, |c| {
            c.log.iter().filter(|(_, a, _)| *a == "OffsetFetch").count() == 2
        })
        .await;
        let log = apis(&cluster);
        let commit = log
            .iter()
            .position(|(_, a, _)| *a == "OffsetCommit")
            .expect("a commit before revoking");
        let rejoin = log.iter().rposition(|(_, a, _)| *a == "JoinGroup").unwrap();
        assert!(commit < rejoin, "{log:?}");
        // Every owned position is committed, partition 1 at its reset position 0.
        assert_eq!(log[commit], (1, "OffsetCommit", "0=10,1=0".to_string()));
        assert_eq!(log[rejoin], (1, "JoinGroup", "m-1".to_string()));
        assert_eq!(g.membership().generation(), 2);
        // Partition 0 resumes at the committed 10: no record comes again.
        let r = g
            .next(Some(Instant::now() + Duration::from_millis(300)))
            .await
            .unwrap();
        assert!(r.is_none(), "{r:?}");

        g.close().await.unwrap();
        let log = apis(&cluster);
        assert_eq!(log.last().unwrap(), &(1, "LeaveGroup", "m-1".to_string()));
    });
}
