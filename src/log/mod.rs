//! The storage engine: a partition's segmented log on disk in Kafka's own formats.
//!
//! For now it holds what reading a partition directory needs: segment file naming
//! ([`files`]) and the offset and time indexes ([`index`]). Appending, rolling, retention,
//! compaction, recovery and checkpoints join it with the broker's log.

pub mod files;
pub mod index;
