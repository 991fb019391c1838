//! What the data-plane handlers (Produce, Fetch, ListOffsets, ...) share: running log work on
//! the blocking pool, Kafka's error code for each log failure, the wall clock in ms, and the
//! high watermark rule of a leader whose ISR is only itself.
//!
//! Log I/O is synchronous and guarded by a std mutex per partition; it runs here on a blocking
//! thread so no handler ever holds that lock across an await.

use std::sync::Arc;

use crate::broker::replica::HostedPartition;
use crate::log::error::LogError;
use crate::log::partition_log::PartitionLog;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::records::RecordsError;
use crate::types::BrokerId;

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs `f` with the partition's log locked, on the blocking pool. A panicked or cancelled
/// blocking task is KAFKA_STORAGE_ERROR (the request is answered, the broker goes on).
pub async fn with_log<T: Send + 'static>(
    hosted: &Arc<HostedPartition>,
    f: impl FnOnce(&mut PartitionLog) -> T + Send + 'static,
) -> Result<T, ErrorCode> {
    let partition = hosted.tp.to_string();
    let hosted = Arc::clone(hosted);
    tokio::task::spawn_blocking(move || {
        let mut log = crate::log::manager::lock_log(&hosted.log);
        f(&mut log)
    })
    .await
    .map_err(|e| {
        tracing::error!(%partition, "log task failed: {e}");
        ErrorCode::KAFKA_STORAGE_ERROR
    })
}

/// Produced batches up to this size (bytes) are appended on the calling task's thread by
/// [`with_log_inline`]: such an append is a CRC check and a write into the page cache (tens of
/// microseconds), while handing it to the blocking pool costs two thread switches, which made
/// up most of the broker's CPU time per produce request under load.
pub const INLINE_APPEND_MAX_BYTES: usize = 1 << 20;

/// Like [`with_log`] but runs `f` right here, on the async worker, for short log work only
/// (see [`INLINE_APPEND_MAX_BYTES`]). The lock is taken and released inside this call, never
/// held across an await; a panic in `f` is KAFKA_STORAGE_ERROR, as on the blocking pool.
pub fn with_log_inline<T>(
    hosted: &HostedPartition,
    f: impl FnOnce(&mut PartitionLog) -> T,
) -> Result<T, ErrorCode> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut log = crate::log::manager::lock_log(&hosted.log);
        f(&mut log)
    }))
    .map_err(|_| {
        tracing::error!(partition = %hosted.tp, "log work panicked");
        ErrorCode::KAFKA_STORAGE_ERROR
    })
}

/// Kafka's answer for a failed log operation.
pub fn log_error_code(e: &LogError) -> ErrorCode {
    match e {
        LogError::InvalidBatch { source, .. } => records_error_code(source),
        LogError::TrailingBytes { .. } => ErrorCode::CORRUPT_MESSAGE,
        LogError::EmptyAppend | LogError::UnsupportedMagic { .. } => ErrorCode::INVALID_RECORD,
        LogError::BatchTooLarge { .. } => ErrorCode::MESSAGE_TOO_LARGE,
        LogError::OffsetOutOfRange { .. } | LogError::StartBeyondHighWatermark { .. } => {
            ErrorCode::OFFSET_OUT_OF_RANGE
        }
        LogError::ShutDown | LogError::Partition { .. } => ErrorCode::NOT_LEADER_OR_FOLLOWER,
        other => {
            tracing::error!("log storage error: {other}");
            ErrorCode::KAFKA_STORAGE_ERROR
        }
    }
}

/// Kafka's code for a batch that fails validation: a bad checksum or broken framing is
/// CORRUPT_MESSAGE, an older magic or a rule the client broke is INVALID_RECORD (Kafka 4.0's
/// answer to magic 0/1 on Produce v3+), too large is MESSAGE_TOO_LARGE.
pub fn records_error_code(e: &RecordsError) -> ErrorCode {
    match e {
        RecordsError::BatchTooLarge { .. } => ErrorCode::MESSAGE_TOO_LARGE,
        RecordsError::BadMagic { .. } => ErrorCode::INVALID_RECORD,
        RecordsError::UnknownCompression { .. } => ErrorCode::CORRUPT_MESSAGE,
        RecordsError::BadHeaderField { .. } | RecordsError::InconsistentCount { .. } => {
            ErrorCode::INVALID_RECORD
        }
        _ => ErrorCode::CORRUPT_MESSAGE,
    }
}

/// A leader whose ISR is only itself has every appended offset on all in-sync replicas: the
/// high watermark is the log end offset (Kafka's `maybeIncrementLeaderHW` with one ISR
/// member). Larger ISRs leave it to replication. Returns whether the high watermark moved.
pub fn advance_sole_leader_hw(
    hosted: &HostedPartition,
    me: BrokerId,
    log: &mut PartitionLog,
) -> bool {
    let a = hosted.assignment();
    if a.leader != me || a.isr.as_slice() != [me] {
        return false;
    }
    let before = log.high_watermark();
    log.set_high_watermark(log.log_end_offset()) != before
}

/// The current leader field of Produce/Fetch responses: this broker and the epoch in force
/// when it leads, else unknown (-1, -1).
pub fn leader_and_epoch(hosted: Option<&HostedPartition>) -> (i32, i32) {
    match hosted {
        Some(h) => {
            let a = h.assignment();
            (a.leader.0, a.leader_epoch)
        }
        None => (-1, -1),
    }
}
