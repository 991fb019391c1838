//! What the admin handlers (CreateTopics, DeleteTopics, CreatePartitions, the config APIs)
//! share: who this broker is, whether it is the controller, the live brokers, waiting for the
//! controller's metadata to show a change, and Kafka's error codes for placement failures.

use std::time::{Duration, Instant};

use super::BrokerContext;
use crate::admin::assignment::AssignmentError;
use crate::broker::metadata::MetadataImage;
use crate::protocol::error_code::ErrorCode;
use crate::types::BrokerId;

/// How often a handler waiting for metadata looks again.
const POLL: Duration = Duration::from_millis(20);

/// This broker's id: the replica manager's, which holds a generated id too (`broker.id=-1`
/// in the file leaves the configured value useless).
pub fn broker_id(ctx: &BrokerContext) -> BrokerId {
    ctx.replicas.broker_id()
}

/// Whether the metadata names this broker as the controller (Kafka's ZooKeeper-mode check
/// before CreateTopics, DeleteTopics and CreatePartitions).
pub fn is_controller(ctx: &BrokerContext) -> bool {
    ctx.metadata.snapshot().controller() == Some(broker_id(ctx))
}

/// The live brokers' ids, sorted.
pub fn live_brokers(ctx: &BrokerContext) -> Vec<i32> {
    ctx.metadata
        .snapshot()
        .brokers()
        .keys()
        .map(|b| b.0)
        .collect()
}

/// A per-entry refusal: code and Kafka's message (None: the client uses the code's default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: Option<String>,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: Some(message.into()),
        }
    }
    pub fn code(code: ErrorCode) -> Refusal {
        Refusal {
            code,
            message: None,
        }
    }
}

/// Kafka's code for a placement or partition-count failure.
pub fn assignment_refusal(e: &AssignmentError) -> Refusal {
    let code = match e {
        AssignmentError::PartitionsNotPositive
        | AssignmentError::TooManyPartitions { .. }
        | AssignmentError::PartitionsNotIncreased { .. }
        | AssignmentError::AssignmentCountMismatch { .. } => ErrorCode::INVALID_PARTITIONS,
        AssignmentError::ReplicationFactorNotPositive
        | AssignmentError::ReplicationFactorTooLarge { .. } => {
            ErrorCode::INVALID_REPLICATION_FACTOR
        }
        _ => ErrorCode::INVALID_REPLICA_ASSIGNMENT,
    };
    Refusal::new(code, e.to_string())
}

/// Waits until `done` holds for the metadata or `timeout_ms` passes (0 or less: looks once),
/// and returns the last image seen. The controller propagates changes through UpdateMetadata.
pub async fn wait_for_metadata(
    ctx: &BrokerContext,
    timeout_ms: i32,
    done: impl Fn(&MetadataImage) -> bool,
) -> std::sync::Arc<MetadataImage> {
    let deadline = Instant::now() + Duration::from_millis(u64::try_from(timeout_ms).unwrap_or(0));
    loop {
        let image = ctx.metadata.snapshot();
        if done(&image) || Instant::now() >= deadline {
            return image;
        }
        tokio::time::sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
}

/// Whether `topic` is in the metadata with `partitions` partitions, each with a leader.
pub fn topic_ready(image: &MetadataImage, topic: &str, partitions: usize) -> bool {
    image.topic(topic).is_some_and(|t| {
        t.partitions.len() >= partitions && t.partitions.values().all(|p| p.leader.is_some())
    })
}

/// Kafka's check of topic config overrides (`LogConfig.validate`): known keys, valid values.
pub fn validate_topic_config<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), Refusal> {
    use crate::config::server::TOPIC;
    for (key, value) in entries {
        let Some(def) = TOPIC.get(key) else {
            return Err(Refusal::new(
                ErrorCode::INVALID_CONFIG,
                format!("Unknown topic config name: {key}"),
            ));
        };
        if let Err(r) = def.parse(value) {
            return Err(Refusal::new(
                ErrorCode::INVALID_CONFIG,
                format!(
                    "Invalid value {value} for configuration {key}: {} (expected {})",
                    r.problem, r.expected
                ),
            ));
        }
    }
    Ok(())
}
