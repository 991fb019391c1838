//! StopReplica (key 5): the controller tells this broker to stop replicating partitions, and
//! with the delete flag to delete their logs (topic deletion, reassignment away).
//!
//! Kafka's rules: stale broker or controller epochs refuse the whole request; from v3 each
//! partition carries the leader epoch it was decided at and an older one than the partition's
//! is refused (FENCED_LEADER_EPOCH), except -1 (no epoch) and -2 (deletion), which always
//! pass. A partition this broker does not host stops without error (its log, if any, is still
//! deleted), as in Kafka. Deletion is blocking file work, done on a blocking thread.

use crate::broker::handlers::BrokerContext;
use crate::broker::handlers::leader_and_isr::check_epochs;
use crate::broker::replica::TopicPartition;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::stop_replica_response::StopReplicaPartitionError;
use crate::protocol::messages::{StopReplicaRequest, StopReplicaResponse};

/// Every version of the 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 4);

/// One partition to stop: topic, partition, the leader epoch it was decided at, delete flag.
type Target = (String, i32, i32, bool);

/// The partitions of a request, whatever the version's layout.
fn targets(req: &StopReplicaRequest) -> Vec<Target> {
    let mut out: Vec<Target> = req
        .ungrouped_partitions
        .iter()
        .map(|p| {
            (
                p.topic_name.clone(),
                p.partition_index,
                -1,
                req.delete_partitions,
            )
        })
        .collect();
    for t in &req.topics {
        out.extend(
            t.partition_indexes
                .iter()
                .map(|p| (t.name.clone(), *p, -1, req.delete_partitions)),
        );
    }
    for t in &req.topic_states {
        out.extend(t.partition_states.iter().map(|p| {
            (
                t.topic_name.clone(),
                p.partition_index,
                p.leader_epoch,
                p.delete_partition,
            )
        }));
    }
    out
}

/// Answers one StopReplica request.
pub async fn handle(
    ctx: &BrokerContext,
    req: &StopReplicaRequest,
    _version: i16,
) -> StopReplicaResponse {
    let targets = targets(req);
    if let Err(code) = check_epochs(ctx, req.controller_epoch, req.broker_epoch) {
        return StopReplicaResponse {
            error_code: code.0,
            partition_errors: errors(targets.into_iter().map(|(t, p, _, _)| (t, p, code))),
            ..Default::default()
        };
    }
    let work_ctx = ctx.clone();
    let job = move || {
        targets
            .into_iter()
            .map(|(topic, partition, epoch, delete)| {
                let code = stop_one(&work_ctx, &topic, partition, epoch, delete)
                    .err()
                    .unwrap_or(ErrorCode::NONE);
                (topic, partition, code)
            })
            .collect::<Vec<_>>()
    };
    match tokio::task::spawn_blocking(job).await {
        Ok(results) => {
            // A stopped __consumer_offsets replica's groups are no longer coordinated here.
            for (topic, partition, _) in &results {
                if topic == crate::broker::group::OFFSETS_TOPIC {
                    ctx.groups.resign(*partition);
                }
            }
            StopReplicaResponse {
                partition_errors: errors(results.into_iter()),
                ..Default::default()
            }
        }
        Err(e) => {
            tracing::error!("StopReplica worker failed: {e}");
            StopReplicaResponse {
                error_code: ErrorCode::KAFKA_STORAGE_ERROR.0,
                ..Default::default()
            }
        }
    }
}

fn stop_one(
    ctx: &BrokerContext,
    topic: &str,
    partition: i32,
    leader_epoch: i32,
    delete: bool,
) -> Result<(), ErrorCode> {
    if crate::admin::topic_name::validate(topic).is_err() || partition < 0 {
        return Err(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
    }
    let tp = TopicPartition::new(topic, partition);
    if let Some(hosted) = ctx.replicas.partition(&tp)
        && leader_epoch >= 0
        && leader_epoch < hosted.leader_epoch()
    {
        return Err(ErrorCode::FENCED_LEADER_EPOCH);
    }
    ctx.replicas.stop_replica(&tp, delete)
}

fn errors(
    results: impl Iterator<Item = (String, i32, ErrorCode)>,
) -> Vec<StopReplicaPartitionError> {
    results
        .map(
            |(topic_name, partition_index, code)| StopReplicaPartitionError {
                topic_name,
                partition_index,
                error_code: code.0,
                ..Default::default()
            },
        )
        .collect()
}
