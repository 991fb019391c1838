//! Per-partition log settings under Kafka's topic-level names (`segment.bytes`,
//! `index.interval.bytes`, `retention.ms` ...), with Kafka's defaults. The broker resolves
//! them from `log.*` broker keys and topic overrides (see `config::server`) and hands a
//! [`LogConfig`] to each partition log; the log never reads configuration files.

use crate::protocol::records::TimestampType;

/// Settings of one partition's log. Units are in the field names' Kafka docs: bytes and ms.
#[derive(Debug, Clone, PartialEq)]
pub struct LogConfig {
    /// `segment.bytes`: roll when an append would make the active segment larger (bytes).
    pub segment_bytes: u32,
    /// `segment.ms`: roll when the active segment's first batch is this old (ms).
    pub segment_ms: i64,
    /// `segment.jitter.ms`: the roll age is reduced by a per-log random amount below this (ms).
    pub segment_jitter_ms: i64,
    /// `segment.index.bytes` (`log.index.size.max.bytes`): index preallocation (bytes).
    pub segment_index_bytes: u32,
    /// `index.interval.bytes`: bytes appended between two offset index entries.
    pub index_interval_bytes: u32,
    /// `retention.ms`: -1 keeps data forever.
    pub retention_ms: i64,
    /// `retention.bytes`: -1 means no size limit.
    pub retention_bytes: i64,
    /// `file.delete.delay.ms`: how long `.deleted` files wait before removal.
    pub file_delete_delay_ms: i64,
    /// `flush.messages`: fsync after this many appended records (default: never).
    pub flush_messages: i64,
    /// `flush.ms`: fsync when unflushed data is this old (default: never).
    pub flush_ms: i64,
    /// `max.message.bytes`: largest batch accepted (bytes, header included).
    pub max_message_bytes: u32,
    /// `cleanup.policy` contains `delete`: retention deletes old segments.
    pub cleanup_delete: bool,
    /// `cleanup.policy` contains `compact` (compaction itself is not implemented yet).
    pub cleanup_compact: bool,
    /// `message.timestamp.type`: keep the producer's timestamps or stamp the append time.
    pub message_timestamp_type: TimestampType,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: 1_073_741_824,
            segment_ms: 604_800_000,
            segment_jitter_ms: 0,
            segment_index_bytes: 10_485_760,
            index_interval_bytes: 4096,
            retention_ms: 604_800_000,
            retention_bytes: -1,
            file_delete_delay_ms: 60_000,
            flush_messages: i64::MAX,
            flush_ms: i64::MAX,
            max_message_bytes: 1_048_588,
            cleanup_delete: true,
            cleanup_compact: false,
            message_timestamp_type: TimestampType::CreateTime,
        }
    }
}
