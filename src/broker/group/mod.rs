//! The classic-protocol group coordinator (Kafka's `GroupCoordinator`): consumer groups,
//! their rebalances and committed offsets, coordinated by the leader of the group's
//! `__consumer_offsets` partition.
//!
//! - [`placement`]: which partition (hence broker) coordinates a group.
//! - [`state`]: one group as a pure state machine (time as a parameter).
//! - [`records`]: the `__consumer_offsets` record formats (Kafka's own).
//! - [`store`]: appending those records and reading a partition back on leadership.
//! - [`coordinator`]: the async adaptor the handlers call: waiting Join/Sync requests,
//!   session expiry, loading and resigning partitions.
//! - [`offsets_topic`]: creating `__consumer_offsets` on first FindCoordinator.

pub mod coordinator;
pub mod offsets_topic;
pub mod placement;
pub mod records;
pub mod state;
pub mod store;

pub use coordinator::GroupCoordinator;
pub use placement::{OFFSETS_TOPIC, partition_for};

#[cfg(test)]
mod api_tests;
