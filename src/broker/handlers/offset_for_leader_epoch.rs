//! OffsetForLeaderEpoch (API 23): the end offset of a leader epoch, from the partition's
//! leader epoch cache. Consumers (KIP-320) use it after a leader change to detect a log
//! truncation; followers use it to find where to truncate (specs/reliability.md).
//!
//! Versions 2-4 (Kafka 4.0's floor is 2, KIP-896). Only the leader answers; a requested
//! epoch the cache does not know answers the largest epoch below it and its end offset, or
//! (-1, -1) when there is none (Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET).

use std::sync::Arc;

use super::BrokerContext;
use super::fetch::epoch_error;
use super::partition_io::with_log;
use crate::broker::replica::TopicPartition;
use crate::protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderTopicResult,
};
use crate::protocol::messages::{OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse};

/// OffsetForLeaderEpoch versions served: 2 through 4 (Kafka 3.9's maximum).
pub const VERSIONS: (i16, i16) = (2, 4);

/// Handles one OffsetForLeaderEpoch request.
pub async fn handle(
    ctx: &BrokerContext,
    req: &OffsetForLeaderEpochRequest,
) -> OffsetForLeaderEpochResponse {
    let mut topics = Vec::new();
    for t in &req.topics {
        let mut partitions = Vec::new();
        for p in &t.partitions {
            let mut out = EpochEndOffset {
                partition: p.partition,
                leader_epoch: -1,
                end_offset: -1,
                ..Default::default()
            };
            let tp = TopicPartition::new(t.topic.clone(), p.partition);
            match ctx.replicas.leader_partition(&tp) {
                Err(code) => out.error_code = code.0,
                Ok(h) => {
                    if let Some(code) = epoch_error(p.current_leader_epoch, h.leader_epoch()) {
                        out.error_code = code.0;
                    } else {
                        let epoch = p.leader_epoch;
                        match with_log(&Arc::clone(&h), move |log| log.end_offset_for_epoch(epoch))
                            .await
                        {
                            Ok((e, offset)) => {
                                out.leader_epoch = e;
                                out.end_offset = offset;
                            }
                            Err(code) => out.error_code = code.0,
                        }
                    }
                }
            }
            partitions.push(out);
        }
        topics.push(OffsetForLeaderTopicResult {
            topic: t.topic.clone(),
            partitions,
            ..Default::default()
        });
    }
    OffsetForLeaderEpochResponse {
        topics,
        ..Default::default()
    }
}
