//! Reading and writing this broker's `__consumer_offsets` partitions: appending the
//! coordinator's records as leader (waiting, like Kafka's acks=-1 coordinator writes, for the
//! high watermark up to `offsets.commit.timeout.ms`), and reading a partition back from its
//! log start to rebuild groups and offsets when this broker becomes its leader.
//!
//! Log failures become the codes Kafka's group coordinator answers with (its
//! `storeGroup`/`storeOffsets` mapping), so clients retry or rediscover as they do on Kafka.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::placement::OFFSETS_TOPIC;
use super::records::{self, OffsetsRecord};
use super::state::{CommittedOffset, StoredGroup};
use crate::broker::handlers::BrokerContext;
use crate::broker::handlers::partition_io::{
    advance_sole_leader_hw, log_error_code, now_ms, with_log,
};
use crate::broker::replica::{HostedPartition, TopicPartition};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::records::{
    Batch, BatchBuilder, Batches, Compression, DEFAULT_DECOMPRESSION_LIMIT,
};

/// One record to append: key and nullable value (null = tombstone).
pub type KeyValue = (Bytes, Option<Bytes>);

/// Kafka's mapping of an append failure for coordinator writes.
fn coordinator_error(code: ErrorCode) -> ErrorCode {
    match code {
        ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
        | ErrorCode::NOT_ENOUGH_REPLICAS
        | ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND => ErrorCode::COORDINATOR_NOT_AVAILABLE,
        ErrorCode::NOT_LEADER_OR_FOLLOWER | ErrorCode::KAFKA_STORAGE_ERROR => {
            ErrorCode::NOT_COORDINATOR
        }
        other => other,
    }
}

/// Appends `records` to `__consumer_offsets-<partition>` as one batch. Errors are Kafka's
/// coordinator codes: NOT_COORDINATOR when this broker no longer leads the partition,
/// MESSAGE_TOO_LARGE / RECORD_LIST_TOO_LARGE for an oversized batch (callers map those),
/// REQUEST_TIMED_OUT when replication did not catch up in time.
pub async fn append(
    ctx: &BrokerContext,
    partition: i32,
    records: Vec<KeyValue>,
) -> Result<(), ErrorCode> {
    if records.is_empty() {
        return Ok(());
    }
    let tp = TopicPartition::new(OFFSETS_TOPIC, partition);
    let hosted = ctx
        .replicas
        .leader_partition(&tp)
        .map_err(coordinator_error)?;
    let now = now_ms();
    let mut builder = BatchBuilder::new(Compression::None);
    for (k, v) in &records {
        builder
            .append(now, Some(k), v.as_deref(), &[])
            .map_err(|_| ErrorCode::RECORD_LIST_TOO_LARGE)?;
    }
    let batch = builder
        .build()
        .map_err(|_| ErrorCode::RECORD_LIST_TOO_LARGE)?;
    let me = ctx.replicas.broker_id();
    let epoch = hosted.leader_epoch();
    let h = Arc::clone(&hosted);
    let appended = with_log(&hosted, move |log| {
        let result = log.append_as_leader(BytesMut::from(&batch[..]), epoch, now);
        if result.is_ok() {
            advance_sole_leader_hw(&h, me, log);
        }
        result.map(|info| info.last_offset)
    })
    .await?;
    hosted.changed.notify_waiters();
    let last = appended.map_err(|e| coordinator_error(log_error_code(&e)))?;
    let timeout = ctx
        .config
        .get_int("offsets.commit.timeout.ms")
        .unwrap_or(5000);
    let timeout = Duration::from_millis(u64::try_from(timeout).unwrap_or(5000));
    if wait_for_high_watermark(&hosted, last + 1, timeout).await {
        Ok(())
    } else {
        Err(ErrorCode::REQUEST_TIMED_OUT)
    }
}

/// Waits until the partition's high watermark reaches `target`; false on timeout.
async fn wait_for_high_watermark(hosted: &Arc<HostedPartition>, target: i64, t: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + t;
    loop {
        let notified = hosted.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let hw = {
            let log = crate::log::manager::lock_log(&hosted.log);
            log.high_watermark()
        };
        if hw >= target {
            return true;
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return false;
        }
    }
}

/// Everything one `__consumer_offsets` partition holds, latest record wins.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Group metadata by group id (deleted groups are absent).
    pub groups: HashMap<String, StoredGroup>,
    /// Committed offsets by group, then (topic, partition).
    pub offsets: HashMap<String, HashMap<(String, i32), CommittedOffset>>,
}

impl Loaded {
    /// Applies one record in log order.
    pub fn apply(&mut self, record: OffsetsRecord) {
        match record {
            OffsetsRecord::Offset {
                group,
                topic,
                partition,
                value: Some(v),
            } => {
                self.offsets
                    .entry(group)
                    .or_default()
                    .insert((topic, partition), v);
            }
            OffsetsRecord::Offset {
                group,
                topic,
                partition,
                value: None,
            } => {
                if let Some(g) = self.offsets.get_mut(&group) {
                    g.remove(&(topic, partition));
                }
            }
            OffsetsRecord::Group {
                group,
                value: Some(v),
            } => {
                self.groups.insert(group, v);
            }
            OffsetsRecord::Group { group, value: None } => {
                self.groups.remove(&group);
            }
        }
    }

    /// Applies every record of a buffer of batches; unreadable records are skipped with a
    /// warning (Kafka skips unknown record types too). Returns the offset after the last
    /// complete batch, if any.
    pub fn apply_batches(&mut self, buf: Bytes) -> Option<i64> {
        let mut next = None;
        for batch in Batches::new(buf) {
            let batch = match batch {
                Ok(Batch::V2(b)) => b,
                Ok(Batch::Legacy(_)) => continue,
                Err(e) => {
                    tracing::warn!("unreadable __consumer_offsets batch: {e}");
                    break;
                }
            };
            next = Some(batch.next_offset());
            if batch.is_control() {
                continue;
            }
            let records = match batch.records(DEFAULT_DECOMPRESSION_LIMIT) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!("unreadable __consumer_offsets batch: {e}");
                    continue;
                }
            };
            for r in records {
                match r {
                    Ok(r) => match records::decode(r.key.as_deref(), r.value.as_deref()) {
                        Ok(rec) => self.apply(rec),
                        Err(e) => tracing::warn!(offset = r.offset, "skipping record: {e}"),
                    },
                    Err(e) => {
                        tracing::warn!("unreadable __consumer_offsets record: {e}");
                        break;
                    }
                }
            }
        }
        next
    }
}

/// Reads `__consumer_offsets-<partition>` from its log start to its log end.
pub async fn load(ctx: &BrokerContext, partition: i32) -> Result<Loaded, ErrorCode> {
    let tp = TopicPartition::new(OFFSETS_TOPIC, partition);
    let hosted = ctx
        .replicas
        .leader_partition(&tp)
        .map_err(coordinator_error)?;
    let chunk = ctx
        .config
        .get_int("offsets.load.buffer.size")
        .and_then(|b| u64::try_from(b).ok())
        .unwrap_or(5 << 20);
    let mut loaded = Loaded::default();
    let mut position = with_log(&hosted, |log| log.log_start_offset()).await?;
    loop {
        let read = with_log(&hosted, move |log| {
            let info = log.read(position, chunk, None, true)?;
            let bytes =
                match &info.range {
                    Some(r) => Some(r.read_to_bytes().map_err(|source| {
                        crate::log::error::LogError::Io {
                            op: "read __consumer_offsets",
                            path: log.dir().to_path_buf(),
                            source,
                        }
                    })?),
                    None => None,
                };
            Ok::<_, crate::log::error::LogError>((bytes, info.log_end_offset))
        })
        .await?;
        let (bytes, end) = read.map_err(|e| coordinator_error(log_error_code(&e)))?;
        let Some(bytes) = bytes else { break };
        match loaded.apply_batches(bytes) {
            Some(next) if next > position => position = next,
            _ => break,
        }
        if position >= end {
            break;
        }
    }
    Ok(loaded)
}
