//! The storage engine: a partition's segmented log on disk in Kafka's own formats.
//!
//! For now it holds what reading a partition directory needs: segment file naming
//! ([`files`]), the offset and time indexes ([`index`]), the transaction index
//! ([`txn_index`]) and producer state snapshots ([`producer_snapshot`]). Appending, rolling,
//! retention, compaction, recovery and checkpoints join it with the broker's log.

pub mod files;
pub mod index;
pub mod producer_snapshot;
pub mod txn_index;
