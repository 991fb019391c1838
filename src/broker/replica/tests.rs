use std::path::Path;

use super::*;
use crate::log::manager::LogManagerConfig;

/// A broker configuration from `key=value` lines (shared with the handler tests).
pub(crate) fn broker_config(lines: &[&str]) -> Arc<crate::config::resolve::ResolvedConfig> {
    let props =
        crate::config::properties::Properties::parse(&lines.join("\n"), "test.properties").unwrap();
    let (config, _) =
        crate::config::resolve::resolve(&crate::config::server::BROKER, &props, &[]).unwrap();
    Arc::new(config)
}

/// A replica manager for broker 1 over one fresh log dir (shared with the handler tests).
pub(crate) fn manager(dir: &Path) -> Arc<ReplicaManager> {
    let config = LogManagerConfig {
        log_dirs: vec![dir.to_path_buf()],
        broker_id: 1,
        cluster_id: Some("replica-tests".into()),
        recovery_threads_per_dir: 1,
    };
    let (logs, _) = LogManager::open(config, &|_| LogConfig::default(), 0, 7).unwrap();
    Arc::new(ReplicaManager::new(BrokerId(1), logs))
}

fn assignment(leader: i32, leader_epoch: i32) -> ReplicaAssignment {
    ReplicaAssignment {
        topic_id: Uuid::ZERO,
        controller_epoch: 1,
        leader: BrokerId(leader),
        leader_epoch,
        isr: vec![BrokerId(1), BrokerId(2)],
        partition_epoch: 0,
        replicas: vec![BrokerId(1), BrokerId(2)],
        adding_replicas: vec![],
        removing_replicas: vec![],
        is_new: true,
    }
}

#[test]
fn a_partition_is_served_only_after_leader_and_isr() {
    let dir = tempfile::tempdir().unwrap();
    let rm = manager(dir.path());
    let tp = TopicPartition::new("t", 0);
    assert_eq!(
        rm.leader_partition(&tp).unwrap_err(),
        ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
    );
    rm.apply_leader_and_isr(&tp, assignment(1, 0), LogConfig::default(), 0, 1)
        .unwrap();
    assert!(dir.path().join("t-0").is_dir());
    assert_eq!(rm.leader_partition(&tp).unwrap().leader_epoch(), 0);

    // Leadership moves to broker 2: this broker now follows.
    rm.apply_leader_and_isr(&tp, assignment(2, 1), LogConfig::default(), 0, 1)
        .unwrap();
    assert_eq!(
        rm.leader_partition(&tp).unwrap_err(),
        ErrorCode::NOT_LEADER_OR_FOLLOWER
    );
    assert_eq!(rm.partition(&tp).unwrap().role(BrokerId(1)), Role::Follower);
}

#[test]
fn an_older_leader_epoch_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let rm = manager(dir.path());
    let tp = TopicPartition::new("t", 0);
    rm.apply_leader_and_isr(&tp, assignment(1, 5), LogConfig::default(), 0, 1)
        .unwrap();
    let err = rm
        .apply_leader_and_isr(&tp, assignment(2, 4), LogConfig::default(), 0, 1)
        .unwrap_err();
    assert_eq!(err, ErrorCode::STALE_CONTROLLER_EPOCH);
    assert_eq!(rm.partition(&tp).unwrap().assignment().leader, BrokerId(1));
}

#[test]
fn stop_replica_with_delete_removes_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let rm = manager(dir.path());
    let tp = TopicPartition::new("gone", 3);
    rm.apply_leader_and_isr(&tp, assignment(1, 0), LogConfig::default(), 0, 1)
        .unwrap();
    rm.stop_replica(&tp, true).unwrap();
    assert!(rm.partition(&tp).is_none());
    assert!(!dir.path().join("gone-3").exists());
    // Stopping what is not hosted is not an error (the controller may repeat itself).
    rm.stop_replica(&tp, true).unwrap();
}

#[test]
fn shutdown_writes_the_clean_marker_and_stops_serving() {
    let dir = tempfile::tempdir().unwrap();
    let rm = manager(dir.path());
    let tp = TopicPartition::new("t", 0);
    rm.apply_leader_and_isr(&tp, assignment(1, 0), LogConfig::default(), 0, 1)
        .unwrap();
    rm.shutdown(10).unwrap();
    assert!(dir.path().join(".kafka_cleanshutdown").exists());
    assert!(rm.partition(&tp).is_none());
    rm.shutdown(11).unwrap();
    let err = rm
        .apply_leader_and_isr(&tp, assignment(1, 1), LogConfig::default(), 0, 1)
        .unwrap_err();
    assert_eq!(err, ErrorCode::KAFKA_STORAGE_ERROR);
}
