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
//! | [`admin`]   | pure cluster-administration rules: topic names, replica placement (Kafka's `AdminUtils`), replica-assignment lists, reassignment plans; used by `topics` and the controller; `zk_topics`: the topic znode writes shared by `topics --zookeeper` and the broker's admin handlers |
//! | [`log`]     | the storage engine: segments, indexes, partition log (append, read, roll, truncate, retention, compaction, recovery), leader epoch cache, checkpoints, log manager; reading `.txnindex`, `.snapshot` |
//! | [`broker`]  | the Kafka broker: TCP server, connection limits, request routing, one handler per API, metadata cache; `group`: the classic group coordinator and `__consumer_offsets`; the broker process (`runtime`: start-up, coordinator registration, session expiry, shutdown) |
//! | [`net`]     | framed Kafka connections over TCP: correlation ids, pipelining, frame limits, timeouts |
//! | [`client`]  | the Kafka client: bootstrap, ApiVersions negotiation, metadata cache, pooled broker connections; `admin`: the admin APIs (topics, partitions, configs, cluster) with controller routing; `producer`: batching, partitioning, idempotence, retries; `consumer`: assigned partitions, offset resets, pipelined fetching, group membership (`consumer::group`: subscribe, rebalances, auto commit); `group`: the consumer group protocol (embedded subscription/assignment codecs, assignors range/roundrobin/sticky/cooperative-sticky, the member state machine, the coordinator link and heartbeat task) |
//! | [`client::group_admin`] | the consumer-group admin calls: ListGroups to every broker, FindCoordinator, DescribeGroups / OffsetFetch / OffsetCommit / DeleteGroups / OffsetDelete to the coordinator, ListOffsets to leaders |
//! | [`cli::consumer_groups`] | `consumer-groups` (kafka-consumer-groups.sh): flags and Kafka's checks; `format`: Kafka's exact text; `plan`: pure reset-offsets planning; `service`: running the actions |

#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod admin;
pub mod broker;
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
