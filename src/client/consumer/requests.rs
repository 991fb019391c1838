//! Building the consumer's Fetch and ListOffsets requests and deciding what a partition
//! error means. Pure, so the rules are unit tested without a broker.

use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use crate::protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use crate::protocol::messages::{FetchRequest, ListOffsetsRequest};

use super::config::ConsumerConfig;

/// Highest Fetch version used: v13 and later name topics by id only, which would need topic
/// ids in the metadata cache; v12 has everything else a consumer uses (KIP-320 epochs,
/// flexible encoding), and every broker from 2.8 to 4.x serves it.
pub const MAX_FETCH_VERSION: i16 = 12;

/// ListOffsets timestamp for the log start offset.
pub const EARLIEST_TIMESTAMP: i64 = -2;
/// ListOffsets timestamp for the end (high watermark or, read_committed, the LSO).
pub const LATEST_TIMESTAMP: i64 = -1;

/// One partition to fetch: topic, partition, fetch offset, leader epoch (-1 unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchTarget<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub leader_epoch: i32,
}

/// A sessionless full fetch (session id 0, epoch -1: the broker keeps no session) of
/// `targets`, grouped by topic in the order given.
pub fn fetch_request(config: &ConsumerConfig, targets: &[FetchTarget<'_>]) -> FetchRequest {
    let mut topics: Vec<FetchTopic> = Vec::new();
    for t in targets {
        let partition = FetchPartition {
            partition: t.partition,
            current_leader_epoch: t.leader_epoch,
            fetch_offset: t.offset,
            partition_max_bytes: config.max_partition_fetch_bytes,
            ..FetchPartition::default()
        };
        match topics.last_mut() {
            Some(last) if last.topic == t.topic => last.partitions.push(partition),
            _ => topics.push(FetchTopic {
                topic: t.topic.to_string(),
                partitions: vec![partition],
                ..FetchTopic::default()
            }),
        }
    }
    let max_wait = i32::try_from(config.fetch_max_wait.as_millis()).unwrap_or(i32::MAX);
    FetchRequest {
        max_wait_ms: max_wait,
        min_bytes: config.fetch_min_bytes,
        max_bytes: config.fetch_max_bytes,
        isolation_level: config.isolation_level as i8,
        session_id: 0,
        session_epoch: -1,
        topics,
        ..FetchRequest::default()
    }
}

/// A ListOffsets request for `(topic, partition, timestamp)` entries, grouped by topic.
pub fn list_offsets_request(
    config: &ConsumerConfig,
    items: &[(&str, i32, i64)],
) -> ListOffsetsRequest {
    let mut topics: Vec<ListOffsetsTopic> = Vec::new();
    for &(topic, partition, timestamp) in items {
        let p = ListOffsetsPartition {
            partition_index: partition,
            current_leader_epoch: -1,
            timestamp,
            max_num_offsets: 1,
            ..ListOffsetsPartition::default()
        };
        match topics.last_mut() {
            Some(last) if last.name == topic => last.partitions.push(p),
            _ => topics.push(ListOffsetsTopic {
                name: topic.to_string(),
                partitions: vec![p],
                ..ListOffsetsTopic::default()
            }),
        }
    }
    ListOffsetsRequest {
        replica_id: -1,
        isolation_level: config.isolation_level as i8,
        topics,
        ..ListOffsetsRequest::default()
    }
}

/// What to do about a partition error in a Fetch or ListOffsets answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorAction {
    /// No error.
    Proceed,
    /// The leader moved or is unknown: refresh metadata and retry there.
    RefreshMetadata,
    /// The position is outside the log: apply auto.offset.reset.
    ResetOffset,
    /// Retry the same request after the backoff.
    Retry,
    /// Give up on this partition with this error.
    Fail,
}

/// Classifies a partition error code.
pub fn error_action(code: ErrorCode) -> ErrorAction {
    match code {
        ErrorCode::NONE => ErrorAction::Proceed,
        ErrorCode::NOT_LEADER_OR_FOLLOWER
        | ErrorCode::FENCED_LEADER_EPOCH
        | ErrorCode::UNKNOWN_LEADER_EPOCH
        | ErrorCode::LEADER_NOT_AVAILABLE
        | ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
        | ErrorCode::REPLICA_NOT_AVAILABLE
        | ErrorCode::KAFKA_STORAGE_ERROR
        | ErrorCode::OFFSET_NOT_AVAILABLE
        | ErrorCode::UNKNOWN_TOPIC_ID => ErrorAction::RefreshMetadata,
        ErrorCode::OFFSET_OUT_OF_RANGE => ErrorAction::ResetOffset,
        c if c.info().is_some_and(|i| i.retriable) => ErrorAction::Retry,
        _ => ErrorAction::Fail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_groups_by_topic_and_carries_limits() {
        let c = ConsumerConfig {
            max_partition_fetch_bytes: 4096,
            ..ConsumerConfig::default()
        };
        let targets = [
            FetchTarget {
                topic: "a",
                partition: 0,
                offset: 5,
                leader_epoch: 3,
            },
            FetchTarget {
                topic: "a",
                partition: 1,
                offset: 7,
                leader_epoch: -1,
            },
            FetchTarget {
                topic: "b",
                partition: 0,
                offset: 0,
                leader_epoch: 0,
            },
        ];
        let r = fetch_request(&c, &targets);
        assert_eq!(r.topics.len(), 2);
        assert_eq!(r.topics[0].partitions[1].fetch_offset, 7);
        assert_eq!(r.topics[0].partitions[0].current_leader_epoch, 3);
        assert_eq!(r.topics[1].partitions[0].partition_max_bytes, 4096);
        assert_eq!((r.session_id, r.session_epoch, r.replica_id), (0, -1, -1));
        assert_eq!(r.max_wait_ms, 500);
        assert_eq!(r.min_bytes, 1);
    }

    #[test]
    fn errors_are_classified() {
        assert_eq!(
            error_action(ErrorCode::NOT_LEADER_OR_FOLLOWER),
            ErrorAction::RefreshMetadata
        );
        assert_eq!(
            error_action(ErrorCode::FENCED_LEADER_EPOCH),
            ErrorAction::RefreshMetadata
        );
        assert_eq!(
            error_action(ErrorCode::OFFSET_OUT_OF_RANGE),
            ErrorAction::ResetOffset
        );
        assert_eq!(
            error_action(ErrorCode::REQUEST_TIMED_OUT),
            ErrorAction::Retry
        );
        assert_eq!(
            error_action(ErrorCode::TOPIC_AUTHORIZATION_FAILED),
            ErrorAction::Fail
        );
        let l = list_offsets_request(&ConsumerConfig::default(), &[("t", 0, -2), ("t", 1, -1)]);
        assert_eq!(l.topics.len(), 1);
        assert_eq!(l.topics[0].partitions[1].timestamp, -1);
    }
}
