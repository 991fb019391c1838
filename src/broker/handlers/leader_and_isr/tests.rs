//! The three controller-to-broker handlers against a real ReplicaManager in a temp dir.

use std::sync::atomic::Ordering;

use super::*;
use crate::broker::handlers::{stop_replica, update_metadata};
use crate::protocol::messages::leader_and_isr_request::LeaderAndIsrTopicState;
use crate::protocol::messages::stop_replica_request::{
    StopReplicaPartitionState, StopReplicaTopicState,
};
use crate::protocol::messages::update_metadata_request::{
    UpdateMetadataEndpoint, UpdateMetadataTopicState,
};
use crate::protocol::messages::{StopReplicaRequest, UpdateMetadataRequest};

fn context(dir: &std::path::Path) -> BrokerContext {
    BrokerContext::new(
        crate::broker::replica::tests::broker_config(&[]),
        crate::broker::replica::tests::manager(dir),
    )
}

fn state(partition: i32, leader: i32, leader_epoch: i32) -> LeaderAndIsrPartitionState {
    LeaderAndIsrPartitionState {
        partition_index: partition,
        controller_epoch: 3,
        leader,
        leader_epoch,
        isr: vec![1, 2],
        replicas: vec![1, 2],
        is_new: true,
        ..Default::default()
    }
}

fn request(
    controller_epoch: i32,
    broker_epoch: i64,
    parts: Vec<LeaderAndIsrPartitionState>,
) -> LeaderAndIsrRequest {
    LeaderAndIsrRequest {
        controller_id: 2,
        controller_epoch,
        broker_epoch,
        r#type: 2,
        topic_states: vec![LeaderAndIsrTopicState {
            topic_name: "t".into(),
            topic_id: Uuid([7; 16]),
            partition_states: parts,
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn codes(resp: &LeaderAndIsrResponse) -> Vec<(i32, i16)> {
    let mut out: Vec<_> = resp
        .topics
        .iter()
        .flat_map(|t| t.partition_errors.iter())
        .chain(resp.partition_errors.iter())
        .map(|e| (e.partition_index, e.error_code))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn leader_and_isr_creates_logs_and_sets_roles() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path());
    ctx.broker_epoch.store(100, Ordering::SeqCst);
    let mut not_mine = state(2, 2, 0);
    not_mine.replicas = vec![2, 3];
    let req = request(3, 100, vec![state(0, 1, 0), state(1, 2, 0), not_mine]);
    let resp = handle(&ctx, &req, 7).await;
    assert_eq!(resp.error_code, 0);
    assert_eq!(resp.topics[0].topic_id, Uuid([7; 16]));
    assert_eq!(
        codes(&resp),
        [(0, 0), (1, 0), (2, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION.0)]
    );
    assert!(dir.path().join("t-0").is_dir() && dir.path().join("t-1").is_dir());
    assert!(!dir.path().join("t-2").exists());
    assert!(
        ctx.replicas
            .leader_partition(&TopicPartition::new("t", 0))
            .is_ok()
    );
    assert_eq!(
        ctx.replicas
            .leader_partition(&TopicPartition::new("t", 1))
            .unwrap_err(),
        ErrorCode::NOT_LEADER_OR_FOLLOWER
    );
    assert_eq!(ctx.controller_epoch.load(Ordering::SeqCst), 3);

    // An older leader epoch for a partition is refused for that partition only.
    let req = request(3, 100, vec![state(0, 2, 5), state(1, 1, 0)]);
    handle(&ctx, &req, 7).await;
    let req = request(3, 100, vec![state(0, 1, 4)]);
    let resp = handle(&ctx, &req, 7).await;
    assert_eq!(codes(&resp), [(0, ErrorCode::STALE_CONTROLLER_EPOCH.0)]);

    // A different topic id for a hosted partition is refused.
    let mut req = request(3, 100, vec![state(0, 1, 9)]);
    req.topic_states[0].topic_id = Uuid([8; 16]);
    let resp = handle(&ctx, &req, 7).await;
    assert_eq!(codes(&resp), [(0, ErrorCode::INCONSISTENT_TOPIC_ID.0)]);
}

#[tokio::test]
async fn stale_epochs_refuse_the_whole_request() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path());
    ctx.broker_epoch.store(100, Ordering::SeqCst);
    ctx.controller_epoch.store(5, Ordering::SeqCst);
    let resp = handle(&ctx, &request(4, 100, vec![state(0, 1, 0)]), 7).await;
    assert_eq!(resp.error_code, ErrorCode::STALE_CONTROLLER_EPOCH.0);
    assert_eq!(codes(&resp), [(0, ErrorCode::STALE_CONTROLLER_EPOCH.0)]);
    let resp = handle(&ctx, &request(6, 99, vec![state(0, 1, 0)]), 7).await;
    assert_eq!(resp.error_code, ErrorCode::STALE_BROKER_EPOCH.0);
    assert!(!dir.path().join("t-0").exists());
    assert_eq!(
        ctx.controller_epoch.load(Ordering::SeqCst),
        5,
        "refused epochs not kept"
    );

    // v1 layout (names per partition, flat errors), broker epoch absent.
    let mut p = state(0, 1, 0);
    p.topic_name = "t".into();
    let req = LeaderAndIsrRequest {
        controller_epoch: 5,
        ungrouped_partition_states: vec![p],
        ..Default::default()
    };
    let resp = handle(&ctx, &req, 1).await;
    assert_eq!(resp.error_code, 0);
    assert_eq!(resp.partition_errors[0].topic_name, "t");
    assert_eq!(resp.partition_errors[0].error_code, 0);
    assert!(dir.path().join("t-0").is_dir());

    let um = UpdateMetadataRequest {
        controller_epoch: 4,
        ..Default::default()
    };
    let resp = update_metadata::handle(&ctx, &um, 8);
    assert_eq!(resp.error_code, ErrorCode::STALE_CONTROLLER_EPOCH.0);
    let sr = StopReplicaRequest {
        controller_epoch: 5,
        broker_epoch: 1,
        ..Default::default()
    };
    let resp = stop_replica::handle(&ctx, &sr, 4).await;
    assert_eq!(resp.error_code, ErrorCode::STALE_BROKER_EPOCH.0);
}

fn um_state(partition: i32, leader: i32) -> UpdateMetadataPartitionState {
    UpdateMetadataPartitionState {
        partition_index: partition,
        controller_epoch: 1,
        leader,
        leader_epoch: 2,
        isr: vec![1],
        replicas: vec![1, 2],
        offline_replicas: vec![2],
        ..Default::default()
    }
}

use crate::protocol::messages::update_metadata_request::UpdateMetadataPartitionState;

#[tokio::test]
async fn update_metadata_fills_the_cache_and_removes_deleted_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path());
    let broker = |id: i32, port: i32| {
        crate::protocol::messages::update_metadata_request::UpdateMetadataBroker {
            id,
            endpoints: vec![
                UpdateMetadataEndpoint {
                    port: port + 1000,
                    host: "internal".into(),
                    listener: "REPLICATION".into(),
                    security_protocol: 0,
                    ..Default::default()
                },
                UpdateMetadataEndpoint {
                    port,
                    host: "127.0.0.1".into(),
                    listener: "PLAINTEXT".into(),
                    security_protocol: 0,
                    ..Default::default()
                },
            ],
            rack: Some("r1".into()),
            ..Default::default()
        }
    };
    let req = UpdateMetadataRequest {
        controller_id: 2,
        controller_epoch: 1,
        live_brokers: vec![broker(1, 9092), broker(2, 9093)],
        topic_states: vec![UpdateMetadataTopicState {
            topic_name: "t".into(),
            topic_id: Uuid([3; 16]),
            partition_states: vec![um_state(0, 1), um_state(1, -1)],
            ..Default::default()
        }],
        ..Default::default()
    };
    assert_eq!(update_metadata::handle(&ctx, &req, 8).error_code, 0);
    let image = ctx.metadata.snapshot();
    assert_eq!(image.controller(), Some(BrokerId(2)));
    let b1 = &image.brokers()[&BrokerId(1)];
    // The default listener is PLAINTEXT: that endpoint is the one clients get.
    assert_eq!(
        (b1.host.as_str(), b1.port, b1.rack.as_deref()),
        ("127.0.0.1", 9092, Some("r1"))
    );
    let t = image.topic_by_id(Uuid([3; 16])).unwrap();
    assert_eq!(t.partitions.len(), 2);
    assert_eq!(
        t.partitions[&crate::types::Partition(0)].leader,
        Some(BrokerId(1))
    );
    assert_eq!(t.partitions[&crate::types::Partition(1)].leader, None);
    assert_eq!(
        t.partitions[&crate::types::Partition(0)].offline_replicas,
        [BrokerId(2)]
    );

    // Deletion: leader -2 removes partitions; the topic goes with its last one.
    let mut del = req.clone();
    del.live_brokers.truncate(1);
    del.topic_states[0].partition_states = vec![um_state(0, -2)];
    update_metadata::handle(&ctx, &del, 8);
    let image = ctx.metadata.snapshot();
    assert_eq!(image.brokers().len(), 1);
    assert_eq!(image.topic("t").unwrap().partitions.len(), 1);
    del.topic_states[0].partition_states = vec![um_state(1, -2)];
    update_metadata::handle(&ctx, &del, 8);
    assert!(ctx.metadata.snapshot().topic("t").is_none());
}

#[tokio::test]
async fn stop_replica_stops_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path());
    handle(
        &ctx,
        &request(1, -1, vec![state(0, 1, 3), state(1, 1, 3)]),
        7,
    )
    .await;
    let sr = |p: i32, epoch: i32, delete: bool| StopReplicaRequest {
        controller_epoch: 1,
        topic_states: vec![StopReplicaTopicState {
            topic_name: "t".into(),
            partition_states: vec![StopReplicaPartitionState {
                partition_index: p,
                leader_epoch: epoch,
                delete_partition: delete,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let resp = stop_replica::handle(&ctx, &sr(0, 2, true), 4).await;
    assert_eq!(
        resp.partition_errors[0].error_code,
        ErrorCode::FENCED_LEADER_EPOCH.0
    );
    assert!(dir.path().join("t-0").is_dir());
    let resp = stop_replica::handle(&ctx, &sr(0, -2, true), 4).await;
    assert_eq!(resp.partition_errors[0].error_code, 0);
    assert!(
        ctx.replicas
            .partition(&TopicPartition::new("t", 0))
            .is_none()
    );
    assert!(!dir.path().join("t-0").exists(), "log dir deleted");
    let resp = stop_replica::handle(&ctx, &sr(1, 3, false), 4).await;
    assert_eq!(resp.partition_errors[0].error_code, 0);
    assert!(
        ctx.replicas
            .partition(&TopicPartition::new("t", 1))
            .is_none()
    );
    assert!(
        dir.path().join("t-1").is_dir(),
        "kept without the delete flag"
    );
}
