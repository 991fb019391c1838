//! The ZooKeeper-protocol coordinator (spec zookeeper-protocol.md A-C): real ZooKeeper clients
//! (kazoo, the C and Java clients, Kafka brokers in ZooKeeper mode) connect to it.
//!
//! | module       | owns |
//! |--------------|------|
//! | [`proto`]    | jute records, opcodes, error codes (pure) |
//! | [`tree`]     | the znode tree, Stat bookkeeping, multi atomicity (pure) |
//! | [`sessions`] | sessions, timeouts, expiry, watches (pure, time passed in) |
//! | [`engine`]   | applies requests in order: replies, notifications, log entries, four-letter words |
//! | `four_letter` | the four-letter words and their whitelist |
//! | [`store`]    | write-ahead transaction log, snapshots, replay |
//! | [`server`]   | the tokio adaptor: connections, handshake, four-letter words, limits |
//! | [`client`]   | the async client brokers and tools use (sessions, reconnect, watches, chroot) |
//! | [`kafka_paths`] | Kafka's znode paths and JSON payloads in ZooKeeper mode (pure, serde) |

pub mod client;
pub mod engine;
mod four_letter;
pub mod kafka_paths;
pub mod proto;
pub mod server;
pub mod sessions;
pub mod store;
pub mod tree;

pub use server::{Coordinator, CoordinatorError, CoordinatorSettings, serve};
