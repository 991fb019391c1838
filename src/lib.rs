//! rkafka: Apache Kafka's ZooKeeper-era operator suite as one Rust binary.
//!
//! Module map (see DESIGN.md in the shared folder for the flows and formats):
//!
//! | module      | owns |
//! |-------------|------|
//! | [`types`]   | newtypes for ids, offsets, epochs; `HostPort` and host lists |
//! | [`error`]   | the errors tools report and their exit codes (0 ok, 1 failure, 2 usage) |
//! | [`config`]  | Java `.properties` parsing, Kafka/ZooKeeper key tables, `--override` layering |
//! | [`cli`]     | multi-call dispatch, Kafka's command-line habits, one module per tool, docs |
//! | [`daemon`]  | `-daemon` detaching and finding running servers for the `*-stop` tools |
//! | [`coordinator`] | the ZooKeeper-protocol coordinator: tree, sessions, watches, log, server; the async client |
//! | [`logging`] | `tracing` set-up for tools and daemons |
//! | [`protocol`] | Kafka wire protocol, pure: codecs, frames, headers, generated messages, error codes; `records`: RecordBatch v2, CRC32C, codecs |
//! | [`net`]     | framed Kafka connections over TCP: correlation ids, pipelining, frame limits, timeouts |
//! | [`client`]  | the Kafka client: bootstrap, ApiVersions negotiation, metadata cache, pooled broker connections |
//! | [`log`]     | the storage engine; so far segment file names and reading `.index`, `.timeindex`, `.txnindex`, `.snapshot` |

#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod cli;
pub mod client;
pub mod config;
pub mod coordinator;
pub mod daemon;
pub mod error;
pub mod log;
pub mod logging;
pub mod net;
pub mod protocol;
pub mod types;
