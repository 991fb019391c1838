//! ListOffsets (API 2): offsets by time, or the log's earliest / latest / max-timestamp
//! offset.
//!
//! Versions 1-9 (Kafka 4.0's floor is 1, KIP-896; v0's list of old-style offsets is gone).
//! Special timestamps: -2 earliest (log start), -1 latest (the high watermark for consumers,
//! which is also the last stable offset for read_committed as rkafka has no transactions; the
//! log end for a replica), -3 the first record with the largest timestamp (v7+), -4 the
//! earliest local offset (the log start: no tiered storage), -5 the latest tiered offset (none:
//! -1). A timestamp >= 0 finds the first record at or after it below the high watermark;
//! none is offset -1. Consumers need the leader; `current_leader_epoch` fences as in Fetch.

use std::sync::Arc;

use super::BrokerContext;
use super::fetch::epoch_error;
use super::partition_io::{advance_sole_leader_hw, log_error_code, with_log};
use crate::broker::replica::TopicPartition;
use crate::log::partition_log::PartitionLog;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use crate::protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

/// ListOffsets versions served: 1 through 9 (Kafka 3.9's maximum).
pub const VERSIONS: (i16, i16) = (1, 9);

pub const LATEST: i64 = -1;
pub const EARLIEST: i64 = -2;
pub const MAX_TIMESTAMP: i64 = -3;
pub const EARLIEST_LOCAL: i64 = -4;
pub const LATEST_TIERED: i64 = -5;

/// Handles one ListOffsets request.
pub async fn handle(
    ctx: &BrokerContext,
    req: &ListOffsetsRequest,
    version: i16,
) -> ListOffsetsResponse {
    let mut topics = Vec::new();
    let consumer = req.replica_id < 0;
    let me = ctx.replicas.broker_id();
    for t in &req.topics {
        let mut partitions = Vec::new();
        for p in &t.partitions {
            let mut out = ListOffsetsPartitionResponse {
                partition_index: p.partition_index,
                timestamp: -1,
                offset: -1,
                leader_epoch: -1,
                ..Default::default()
            };
            let tp = TopicPartition::new(t.name.clone(), p.partition_index);
            let hosted = if consumer {
                ctx.replicas.leader_partition(&tp)
            } else {
                ctx.replicas
                    .partition(&tp)
                    .ok_or(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION)
            };
            let result = match hosted {
                Err(code) => Err(code),
                Ok(h) => match epoch_error(p.current_leader_epoch, h.leader_epoch()) {
                    Some(code) => Err(code),
                    None => {
                        let ts = p.timestamp;
                        let hh = Arc::clone(&h);
                        with_log(&h, move |log| {
                            advance_sole_leader_hw(&hh, me, log);
                            lookup(log, ts, consumer)
                        })
                        .await
                        .and_then(|r| r)
                    }
                },
            };
            match result {
                Ok(Some((timestamp, offset, epoch))) => {
                    out.timestamp = timestamp;
                    out.offset = offset;
                    // v4+ carries the epoch
                    out.leader_epoch = if version >= 4 { epoch } else { -1 };
                }
                Ok(None) => {}
                Err(code) => out.error_code = code.0,
            }
            partitions.push(out);
        }
        topics.push(ListOffsetsTopicResponse {
            name: t.name.clone(),
            partitions,
            ..Default::default()
        });
    }
    ListOffsetsResponse {
        topics,
        ..Default::default()
    }
}

/// `(timestamp, offset, leader epoch)` for `ts`, or `None` when no offset qualifies.
fn lookup(
    log: &PartitionLog,
    ts: i64,
    consumer: bool,
) -> Result<Option<(i64, i64, i32)>, ErrorCode> {
    let visible_end = if consumer {
        log.high_watermark()
    } else {
        log.log_end_offset()
    };
    let found = match ts {
        EARLIEST | EARLIEST_LOCAL => Some((-1, log.log_start_offset())),
        LATEST => Some((-1, visible_end)),
        LATEST_TIERED => None,
        MAX_TIMESTAMP => {
            let max = log
                .segments()
                .map(|s| s.max_timestamp())
                .max()
                .unwrap_or(-1);
            if max < 0 {
                None
            } else {
                log.find_offset_by_timestamp(max)
                    .map_err(|e| log_error_code(&e))?
                    .filter(|(offset, _)| *offset < visible_end)
                    .map(|(offset, t)| (t, offset))
            }
        }
        t if t >= 0 => log
            .find_offset_by_timestamp(t)
            .map_err(|e| log_error_code(&e))?
            .filter(|(offset, _)| *offset < visible_end)
            .map(|(offset, t)| (t, offset)),
        _ => return Err(ErrorCode::INVALID_REQUEST),
    };
    Ok(found.map(|(t, offset)| (t, offset, epoch_at(log, offset))))
}

/// The leader epoch of the batch holding `offset` (the latest epoch starting at or below it),
/// -1 when the epoch cache knows none.
fn epoch_at(log: &PartitionLog, offset: i64) -> i32 {
    log.epochs()
        .iter()
        .rev()
        .find(|e| e.start_offset <= offset)
        .map_or(-1, |e| e.epoch)
}
