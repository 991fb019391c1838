//! Per-partition log settings under Kafka's topic-level names (`segment.bytes`,
//! `index.interval.bytes`, `retention.ms` ...), with Kafka's defaults. The broker resolves
//! them from `log.*` broker keys and topic overrides (see `config::server`) and hands a
//! [`LogConfig`] to each partition log; the log never reads configuration files.

use crate::config::def::{DefaultValue, Value};
use crate::config::resolve::ResolvedConfig;
use crate::config::server;
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
    /// `cleanup.policy` contains `compact`: the cleaner keeps the latest record per key.
    pub cleanup_compact: bool,
    /// `delete.retention.ms`: how long tombstones survive compaction.
    pub delete_retention_ms: i64,
    /// `message.timestamp.type`: keep the producer's timestamps or stamp the append time.
    pub message_timestamp_type: TimestampType,
    /// `message.timestamp.before.max.ms` (falling back to the deprecated
    /// `message.timestamp.difference.max.ms`, as Kafka 3.6+): how far in the past a
    /// CreateTime record timestamp may be (ms; `i64::MAX` means unchecked).
    pub message_timestamp_before_max_ms: i64,
    /// `message.timestamp.after.max.ms` (same fallback): how far in the future (ms).
    pub message_timestamp_after_max_ms: i64,
    /// `min.insync.replicas`: in-sync replicas an acks=all produce needs (the produce path
    /// reads it; the log itself does not).
    pub min_insync_replicas: u32,
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
            delete_retention_ms: 86_400_000,
            message_timestamp_type: TimestampType::CreateTime,
            message_timestamp_before_max_ms: i64::MAX,
            message_timestamp_after_max_ms: i64::MAX,
            min_insync_replicas: 1,
        }
    }
}

impl LogConfig {
    /// The settings of a topic on this broker: each topic key from `topic_override` (the
    /// topic's own config, e.g. from `/config/topics/<t>`), else from the broker's synonym
    /// (`log.retention.hours` scaled to `retention.ms`, ...), else the topic table's default.
    /// Values the table would refuse never reach here (resolution validated them); a value
    /// outside this struct's range falls back to the default.
    pub fn resolve(
        broker: &ResolvedConfig,
        topic_override: &dyn Fn(&str) -> Option<Value>,
    ) -> LogConfig {
        let get = |key: &str| -> Option<Value> {
            topic_override(key)
                .or_else(|| server::topic_default(key, broker).map(|(v, _)| v))
                .or_else(|| {
                    let def = server::TOPIC.get(key)?;
                    match def.default {
                        DefaultValue::Value(raw) => def.parse(raw).ok(),
                        _ => None,
                    }
                })
        };
        let d = LogConfig::default();
        let long = |key: &str, fallback: i64| get(key).and_then(|v| v.as_i64()).unwrap_or(fallback);
        let uint = |key: &str, fallback: u32| {
            get(key)
                .and_then(|v| v.as_i64())
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(fallback)
        };
        // Kafka 3.6+: a before/after bound left at its default falls back to the deprecated
        // difference bound.
        let difference = long("message.timestamp.difference.max.ms", i64::MAX);
        let bound = |key: &str| match long(key, i64::MAX) {
            i64::MAX => difference,
            set => set,
        };
        let (cleanup_delete, cleanup_compact) = match get("cleanup.policy") {
            Some(Value::List(l)) => (
                l.iter().any(|p| p == "delete"),
                l.iter().any(|p| p == "compact"),
            ),
            _ => (d.cleanup_delete, d.cleanup_compact),
        };
        LogConfig {
            segment_bytes: uint("segment.bytes", d.segment_bytes),
            segment_ms: long("segment.ms", d.segment_ms),
            segment_jitter_ms: long("segment.jitter.ms", d.segment_jitter_ms),
            segment_index_bytes: uint("segment.index.bytes", d.segment_index_bytes),
            index_interval_bytes: uint("index.interval.bytes", d.index_interval_bytes),
            retention_ms: long("retention.ms", d.retention_ms),
            retention_bytes: long("retention.bytes", d.retention_bytes),
            file_delete_delay_ms: long("file.delete.delay.ms", d.file_delete_delay_ms),
            flush_messages: long("flush.messages", d.flush_messages),
            flush_ms: long("flush.ms", d.flush_ms),
            max_message_bytes: uint("max.message.bytes", d.max_message_bytes),
            cleanup_delete,
            cleanup_compact,
            delete_retention_ms: long("delete.retention.ms", d.delete_retention_ms),
            message_timestamp_type: match get("message.timestamp.type") {
                Some(Value::String(s)) if s == "LogAppendTime" => TimestampType::LogAppendTime,
                _ => TimestampType::CreateTime,
            },
            message_timestamp_before_max_ms: bound("message.timestamp.before.max.ms"),
            message_timestamp_after_max_ms: bound("message.timestamp.after.max.ms"),
            min_insync_replicas: uint("min.insync.replicas", d.min_insync_replicas).max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Properties, resolve};

    fn broker(text: &str) -> ResolvedConfig {
        let p = Properties::parse(text, "server.properties").unwrap();
        resolve(&server::BROKER, &p, &[]).unwrap().0
    }

    #[test]
    fn kafka_defaults_without_settings() {
        assert_eq!(
            LogConfig::resolve(&broker(""), &|_| None),
            LogConfig::default()
        );
    }

    #[test]
    fn broker_synonyms_and_topic_overrides() {
        let b = broker(
            "log.retention.hours=24\nlog.segment.bytes=1000000\nlog.cleanup.policy=compact\n\
             log.message.timestamp.type=LogAppendTime\nlog.flush.interval.messages=10\n",
        );
        let c = LogConfig::resolve(&b, &|k| match k {
            "segment.ms" => Some(Value::Long(5000)),
            "retention.bytes" => Some(Value::Long(123)),
            _ => None,
        });
        assert_eq!(c.retention_ms, 86_400_000);
        assert_eq!(c.segment_bytes, 1_000_000);
        assert_eq!(c.segment_ms, 5000);
        assert_eq!(c.retention_bytes, 123);
        assert_eq!(c.flush_messages, 10);
        assert!(c.cleanup_compact && !c.cleanup_delete);
        assert_eq!(c.message_timestamp_type, TimestampType::LogAppendTime);
        assert_eq!(c.message_timestamp_before_max_ms, i64::MAX);
        let c = LogConfig::resolve(&broker(""), &|k| match k {
            "message.timestamp.difference.max.ms" => Some(Value::Long(1000)),
            "message.timestamp.after.max.ms" => Some(Value::Long(50)),
            _ => None,
        });
        assert_eq!(c.message_timestamp_before_max_ms, 1000);
        assert_eq!(c.message_timestamp_after_max_ms, 50);
        assert_eq!(c.min_insync_replicas, 1);
        let c = LogConfig::resolve(&broker("min.insync.replicas=2\n"), &|_| None);
        assert_eq!(c.min_insync_replicas, 2);
    }
}
