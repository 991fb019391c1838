//! The storage engine: a partition's segmented log on disk in Kafka's own formats.
//!
//! - reading formats: segment file naming ([`files`]), the offset and time indexes
//!   ([`index`]), the transaction index ([`txn_index`]), producer state snapshots
//!   ([`producer_snapshot`]) and the idempotent producers' sequences ([`producer_state`]);
//! - writing: index files ([`index_file`]), segments ([`segment`]), the partition log
//!   ([`partition_log`]: append, read, roll, truncation, retention, flush, recovery), the leader
//!   epoch cache ([`leader_epoch`]), checkpoint files ([`checkpoint`]) and the log manager over
//!   the broker's `log.dirs` ([`manager`]);
//! - pure decisions: when to roll ([`roll`]) and what retention deletes ([`retention`]);
//! - compaction ([`compaction`]): latest record per key, crash-safe segment swap.

pub mod checkpoint;
pub mod compaction;
pub mod config;
pub mod error;
pub mod files;
pub mod index;
pub mod index_file;
pub mod leader_epoch;
pub mod manager;
pub mod partition_log;
pub mod producer_snapshot;
pub mod producer_state;
pub mod retention;
pub mod roll;
pub mod segment;
pub mod txn_index;

pub use config::LogConfig;
pub use error::LogError;
pub use manager::{LogManager, LogManagerConfig, SharedLog};
pub use partition_log::{AppendInfo, OpenOptions, PartitionLog, ReadInfo};
pub use segment::{BatchPosition, FileRange};

/// Suffix Kafka appends to a segment's files between deciding to delete them and removing them.
pub const DELETED_SUFFIX: &str = ".deleted";
