//! The storage engine's error type: every failure names the file or partition and the numbers
//! involved, so an operator can act on one log line (a full disk, a permission, a mismatched
//! `meta.properties`, an offset a client asked for that is not there).

use std::io;
use std::path::{Path, PathBuf};

use crate::protocol::records::RecordsError;

/// What went wrong in the log layer.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The disk holding `path` is full (ENOSPC / EDQUOT).
    #[error("disk full while trying to {op} {}", path.display())]
    DiskFull {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The broker's user may not read or write `path`.
    #[error("permission denied while trying to {op} {}", path.display())]
    PermissionDenied {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Any other I/O failure on `path`.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A batch handed to append is malformed or unacceptable (CORRUPT_MESSAGE / INVALID_RECORD).
    #[error("batch at byte {position} of the append: {source}")]
    InvalidBatch {
        position: usize,
        #[source]
        source: RecordsError,
    },
    /// The append buffer ends with bytes that are not a whole batch.
    #[error("append has {trailing} trailing bytes that are not a whole record batch")]
    TrailingBytes { trailing: usize },
    /// An append without any batch.
    #[error("append holds no record batch")]
    EmptyAppend,
    /// Only magic 2 batches are stored.
    #[error("batch at byte {position} has magic {magic}; only magic 2 record batches are stored")]
    UnsupportedMagic { position: usize, magic: i8 },
    /// A batch is larger than `max.message.bytes` (MESSAGE_TOO_LARGE / RECORD_TOO_LARGE).
    #[error("batch of {size} bytes exceeds max.message.bytes {max}")]
    BatchTooLarge { size: usize, max: usize },
    /// A CreateTime record timestamp outside `message.timestamp.before/after.max.ms` of the
    /// broker's clock (INVALID_TIMESTAMP; `record_index` counts records within the batch).
    #[error(
        "timestamp {timestamp} of record {record_index} is out of range (broker time {now_ms}, at most {before_max_ms} ms before and {after_max_ms} ms after)"
    )]
    InvalidTimestamp {
        record_index: usize,
        timestamp: i64,
        now_ms: i64,
        before_max_ms: i64,
        after_max_ms: i64,
    },
    /// An idempotent producer's batch breaks its epoch or sequence order.
    #[error("{0}")]
    Sequence(#[from] super::producer_state::SequenceError),
    /// The log manager was shut down; nothing more is read or written.
    #[error("the log manager is shut down")]
    ShutDown,
    /// A follower append whose offsets do not continue the log.
    #[error(
        "follower batch with offsets {first}..={last} does not follow log end offset {log_end}"
    )]
    NonMonotonicOffsets { first: i64, last: i64, log_end: i64 },
    /// The requested offset is outside `[log start, log end]` (OFFSET_OUT_OF_RANGE).
    #[error(
        "offset {requested} is out of range for {partition}: log start offset {log_start}, log end offset {log_end}"
    )]
    OffsetOutOfRange {
        partition: String,
        requested: i64,
        log_start: i64,
        log_end: i64,
    },
    /// A checkpoint file is malformed.
    #[error("{}: line {line}: {reason}", path.display())]
    BadCheckpoint {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// `meta.properties` disagrees with this broker's configuration.
    #[error(
        "{}: {key} is {found} but this broker is configured with {key}={expected}; the directory belongs to another broker or cluster",
        path.display()
    )]
    MetaMismatch {
        path: PathBuf,
        key: &'static str,
        found: String,
        expected: String,
    },
    /// `meta.properties` cannot be understood.
    #[error("{}: {reason}", path.display())]
    BadMeta { path: PathBuf, reason: String },
    /// Another process holds the directory's `.lock`.
    #[error(
        "failed to acquire lock on {}: another process (a broker?) is using this log directory",
        path.display()
    )]
    DirLocked { path: PathBuf },
    /// A partition directory name is not `<topic>-<partition>`.
    #[error("{} is not a partition directory name (<topic>-<partition>)", path.display())]
    BadPartitionDir { path: PathBuf },
    /// The partition already exists (create) or does not (delete).
    #[error("partition {partition}: {reason}")]
    Partition {
        partition: String,
        reason: &'static str,
    },
    /// `delete_records` asked for an offset above the high watermark.
    #[error(
        "cannot move the log start offset of {partition} to {requested}: above the high watermark {high_watermark}"
    )]
    StartBeyondHighWatermark {
        partition: String,
        requested: i64,
        high_watermark: i64,
    },
}

impl LogError {
    /// Wraps an I/O error on `path`, telling a full disk and a refused permission apart so the
    /// operator sees the real cause.
    pub fn io(op: &'static str, path: &Path, source: io::Error) -> LogError {
        let path = path.to_path_buf();
        match source.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
                LogError::DiskFull { op, path, source }
            }
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                LogError::PermissionDenied { op, path, source }
            }
            _ => LogError::Io { op, path, source },
        }
    }
}

/// Result alias of the log module.
pub type Result<T, E = LogError> = std::result::Result<T, E>;

/// `map_err` helper: `.map_err(io_err("open", &path))`.
pub(crate) fn io_err<'a>(
    op: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> LogError + 'a {
    move |e| LogError::io(op, path, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_full_and_permissions_name_the_path() {
        let e = LogError::io(
            "write",
            Path::new("/data/t-0/0.log"),
            io::Error::from(io::ErrorKind::StorageFull),
        );
        assert!(matches!(e, LogError::DiskFull { .. }));
        assert_eq!(
            e.to_string(),
            "disk full while trying to write /data/t-0/0.log"
        );
        let e = LogError::io(
            "open",
            Path::new("/x"),
            io::Error::from(io::ErrorKind::PermissionDenied),
        );
        assert!(
            e.to_string()
                .starts_with("permission denied while trying to open /x")
        );
    }
}
