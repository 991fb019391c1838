//! DeleteRecords (API 21): moves each partition's log start offset up (kafka-delete-records).
//!
//! Versions 0-2. Only the leader answers. Offset -1 means the high watermark; an offset above
//! the high watermark (or below 0) is OFFSET_OUT_OF_RANGE. The answer's low watermark is the
//! new log start offset; whole segments below it are removed by the next retention pass.
//! With followers in the ISR Kafka waits until they have moved their start too; rkafka's
//! followers learn it from the leader's log start offset in their fetch responses, so the
//! leader answers once its own log moved.

use std::sync::Arc;

use super::BrokerContext;
use super::partition_io::{advance_sole_leader_hw, log_error_code, with_log};
use crate::broker::replica::TopicPartition;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use crate::protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};

/// DeleteRecords versions served: 0 through 2 (all of Kafka 3.9's).
pub const VERSIONS: (i16, i16) = (0, 2);

/// Handles one DeleteRecords request.
pub async fn handle(ctx: &BrokerContext, req: &DeleteRecordsRequest) -> DeleteRecordsResponse {
    let me = ctx.replicas.broker_id();
    let mut topics = Vec::new();
    for t in &req.topics {
        let mut partitions = Vec::new();
        for p in &t.partitions {
            let mut out = DeleteRecordsPartitionResult {
                partition_index: p.partition_index,
                low_watermark: -1,
                ..Default::default()
            };
            let tp = TopicPartition::new(t.name.clone(), p.partition_index);
            match ctx.replicas.leader_partition(&tp) {
                Err(code) => out.error_code = code.0,
                Ok(h) => {
                    let requested = p.offset;
                    let hh = Arc::clone(&h);
                    let r = with_log(&h, move |log| {
                        advance_sole_leader_hw(&hh, me, log);
                        let target = if requested == -1 {
                            log.high_watermark()
                        } else {
                            requested
                        };
                        if target < 0 {
                            return Err(ErrorCode::OFFSET_OUT_OF_RANGE);
                        }
                        log.delete_records_before(target)
                            .map_err(|e| log_error_code(&e))
                    })
                    .await
                    .and_then(|r| r);
                    match r {
                        Ok(low) => out.low_watermark = low,
                        Err(code) => out.error_code = code.0,
                    }
                    h.changed.notify_waiters();
                }
            }
            partitions.push(out);
        }
        topics.push(DeleteRecordsTopicResult {
            name: t.name.clone(),
            partitions,
            ..Default::default()
        });
    }
    DeleteRecordsResponse {
        topics,
        ..Default::default()
    }
}
