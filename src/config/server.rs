//! The broker's key table (`server.properties`) and the topic-level key table, with Kafka
//! 3.9's names, types, defaults and validators, and the broker key each topic key falls back
//! to (its "synonyms", as DescribeConfigs reports them).
//!
//! Only keys of features rkafka has or will have are listed (ZooKeeper mode: no KRaft, no
//! tiered storage, no KIP-848 group settings); other keys come back as unknown-key warnings,
//! which tells the operator honestly that rkafka will not act on them.

use super::def::{ConfigDef, DefaultValue as D, KeyDef, Kind as K, Validator as V, Value, key};
use super::error::Source;
use super::resolve::ResolvedConfig;

const INT_MAX: &str = "2147483647";
const LONG_MAX: &str = "9223372036854775807";
/// Java's `Double.MAX_VALUE`, as Kafka prints it.
const DOUBLE_MAX: &str = "1.7976931348623157E308";

const SECURITY_PROTOCOLS: &[&str] = &["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];
/// Broker- and topic-side `compression.type`: the codecs plus `uncompressed` and `producer`
/// (keep whatever codec the producer used).
const BROKER_COMPRESSION: &[&str] = &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];
const CLEANUP_POLICIES: &[&str] = &["compact", "delete"];
const TIMESTAMP_TYPES: &[&str] = &["CreateTime", "LogAppendTime"];

/// A Kafka release or metadata version such as `2.8`, `0.10.2-IV0`, `3.9-IV0`.
fn is_metadata_version(v: &Value) -> bool {
    let Value::String(s) = v else { return false };
    let (release, iv) = match s.split_once('-') {
        Some((r, iv)) => (r, Some(iv)),
        None => (s.as_str(), None),
    };
    let parts: Vec<&str> = release.split('.').collect();
    let numeric = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit());
    (2..=4).contains(&parts.len())
        && parts.iter().all(|p| numeric(p))
        && iv.is_none_or(|iv| iv.strip_prefix("IV").is_some_and(numeric))
}

const METADATA_VERSION: V = V::Custom {
    check: is_metadata_version,
    expected: "a Kafka version such as 2.8 or 3.9-IV0",
};

/// gzip accepts its levels 1..=9 or -1 for the library default.
const GZIP_LEVEL: V = V::Custom {
    check: |v| v.as_i64().is_some_and(|n| n == -1 || (1..=9).contains(&n)),
    expected: "-1 (the codec's default) or an integer in [1, 9]",
};

/// Every broker key rkafka knows, grouped as Kafka's documentation groups them.
#[rustfmt::skip]
pub static BROKER_KEYS: &[KeyDef] = &[
    // ZooKeeper connection
    key("zookeeper.connect", K::String, D::Null, V::Any, "host:port list of the coordinator ensemble, optionally followed by a /chroot path"),
    key("zookeeper.session.timeout.ms", K::Int, D::Value("18000"), V::Any, "session timeout the broker asks the coordinator for"),
    key("zookeeper.connection.timeout.ms", K::Int, D::Null, V::Any, "how long to wait for the first coordinator connection; unset means the session timeout"),
    key("zookeeper.set.acl", K::Boolean, D::Value("false"), V::Any, "create znodes with ACLs restricted to the broker's identity"),
    key("zookeeper.max.in.flight.requests", K::Int, D::Value("10"), V::AtLeast(1), "coordinator requests the broker may have outstanding before it waits"),
    // General
    key("broker.id", K::Int, D::Value("-1"), V::Any, "this broker's id; -1 asks for one to be generated"),
    key("broker.id.generation.enable", K::Boolean, D::Value("true"), V::Any, "allow generating an id above reserved.broker.max.id when broker.id is -1"),
    key("reserved.broker.max.id", K::Int, D::Value("1000"), V::AtLeast(0), "highest id operators may assign by hand; generated ids start above it"),
    key("broker.rack", K::String, D::Null, V::Any, "rack of this broker, used to spread replicas across racks"),
    key("message.max.bytes", K::Int, D::Value("1048588"), V::AtLeast(0), "largest record batch the broker accepts (after compression)"),
    key("num.network.threads", K::Int, D::Value("3"), V::AtLeast(1), "threads reading requests from and writing responses to sockets"),
    key("num.io.threads", K::Int, D::Value("8"), V::AtLeast(1), "threads executing requests, including disk I/O"),
    key("num.replica.alter.log.dirs.threads", K::Int, D::Null, V::Any, "threads moving replicas between log directories; unset means one per directory"),
    key("background.threads", K::Int, D::Value("10"), V::AtLeast(1), "threads for background work such as deleting old segments"),
    key("queued.max.requests", K::Int, D::Value("500"), V::AtLeast(1), "requests waiting for an I/O thread before network threads stop reading"),
    key("queued.max.request.bytes", K::Long, D::Value("-1"), V::Any, "bytes of queued requests before reading stops; -1 means no byte limit"),
    key("request.timeout.ms", K::Int, D::Value("30000"), V::Any, "how long the broker's own client waits for a response from another broker"),
    key("socket.connection.setup.timeout.ms", K::Long, D::Value("10000"), V::Any, "how long the broker's own client waits for a connection to be established"),
    key("socket.connection.setup.timeout.max.ms", K::Long, D::Value("30000"), V::Any, "upper bound of the growing connection setup timeout"),
    key("authorizer.class.name", K::String, D::Value(""), V::Any, "authorizer used for ACL checks; empty means every request is allowed"),
    key("delete.topic.enable", K::Boolean, D::Value("true"), V::Any, "allow topics to be deleted; when false, delete requests are refused"),
    // Socket server
    key("listeners", K::String, D::Value("PLAINTEXT://:9092"), V::Any, "comma-separated NAME://host:port addresses to listen on; empty host means all interfaces"),
    key("advertised.listeners", K::String, D::Null, V::Any, "addresses published to clients when they differ from listeners; unset means listeners"),
    key("listener.security.protocol.map", K::String, D::Value("SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT"), V::Any, "NAME:PROTOCOL pairs giving the security protocol of each listener name"),
    key("control.plane.listener.name", K::String, D::Null, V::Any, "listener reserved for controller-to-broker traffic; unset means none"),
    key("socket.send.buffer.bytes", K::Int, D::Value("102400"), V::Any, "SO_SNDBUF of accepted sockets; -1 keeps the OS default"),
    key("socket.receive.buffer.bytes", K::Int, D::Value("102400"), V::Any, "SO_RCVBUF of accepted sockets; -1 keeps the OS default"),
    key("socket.request.max.bytes", K::Int, D::Value("104857600"), V::AtLeast(1), "largest request frame accepted; bigger frames close the connection"),
    key("socket.listen.backlog.size", K::Int, D::Value("50"), V::AtLeast(1), "pending connections the listening socket queues"),
    key("max.connections.per.ip", K::Int, D::Value(INT_MAX), V::AtLeast(0), "connections allowed from one address"),
    key("max.connections.per.ip.overrides", K::String, D::Value(""), V::Any, "host:count pairs, comma-separated, overriding max.connections.per.ip"),
    key("max.connections", K::Int, D::Value(INT_MAX), V::AtLeast(0), "connections the broker accepts in total"),
    key("max.connection.creation.rate", K::Int, D::Value(INT_MAX), V::AtLeast(0), "new connections per second the broker accepts"),
    key("connections.max.idle.ms", K::Long, D::Value("600000"), V::Any, "idle connections are closed after this long"),
    key("failed.authentication.delay.ms", K::Int, D::Value("100"), V::AtLeast(0), "delay before closing a connection whose authentication failed"),
    // Log
    key("num.partitions", K::Int, D::Value("1"), V::AtLeast(1), "partitions of an automatically created topic"),
    key("log.dir", K::String, D::Value("/tmp/kafka-logs"), V::Any, "directory holding partition data when log.dirs is not set"),
    key("log.dirs", K::String, D::Null, V::Any, "comma-separated directories holding partition data; unset means log.dir"),
    key("log.segment.bytes", K::Int, D::Value("1073741824"), V::AtLeast(14), "size at which a segment file is closed and a new one started"),
    key("log.roll.ms", K::Long, D::Null, V::Any, "age at which a segment is rolled, in ms; unset means log.roll.hours"),
    key("log.roll.hours", K::Int, D::Value("168"), V::AtLeast(1), "age at which a segment is rolled, in hours"),
    key("log.roll.jitter.ms", K::Long, D::Null, V::Any, "random reduction of the roll age, in ms; unset means log.roll.jitter.hours"),
    key("log.roll.jitter.hours", K::Int, D::Value("0"), V::AtLeast(0), "random reduction of the roll age, in hours"),
    key("log.retention.ms", K::Long, D::Null, V::Any, "how long data is kept, in ms (-1: forever); unset means log.retention.minutes"),
    key("log.retention.minutes", K::Int, D::Null, V::Any, "how long data is kept, in minutes; unset means log.retention.hours"),
    key("log.retention.hours", K::Int, D::Value("168"), V::Any, "how long data is kept, in hours"),
    key("log.retention.bytes", K::Long, D::Value("-1"), V::Any, "size a partition may reach before old segments are deleted; -1 means no limit"),
    key("log.retention.check.interval.ms", K::Long, D::Value("300000"), V::AtLeast(1), "how often retention is checked"),
    key("log.cleanup.policy", K::List, D::Value("delete"), V::OneOf(CLEANUP_POLICIES), "what happens to old segments: delete them, compact them, or both"),
    key("log.cleaner.enable", K::Boolean, D::Value("true"), V::Any, "run the log cleaner, needed by compacted topics such as __consumer_offsets"),
    key("log.cleaner.threads", K::Int, D::Value("1"), V::AtLeast(0), "threads compacting logs"),
    key("log.cleaner.io.max.bytes.per.second", K::Double, D::Value(DOUBLE_MAX), V::Any, "read plus write rate limit of the cleaner"),
    key("log.cleaner.dedupe.buffer.size", K::Long, D::Value("134217728"), V::Any, "memory for the cleaner's key index, shared by all cleaner threads"),
    key("log.cleaner.io.buffer.size", K::Int, D::Value("524288"), V::AtLeast(0), "I/O buffer memory of the cleaner, shared by all cleaner threads"),
    key("log.cleaner.io.buffer.load.factor", K::Double, D::Value("0.9"), V::Any, "how full the cleaner's key index may get"),
    key("log.cleaner.backoff.ms", K::Long, D::Value("15000"), V::AtLeast(0), "cleaner sleep when there is nothing to clean"),
    key("log.cleaner.min.cleanable.ratio", K::Double, D::Value("0.5"), V::DoubleBetween(0.0, 1.0), "dirty share of a log that makes it eligible for cleaning"),
    key("log.cleaner.delete.retention.ms", K::Long, D::Value("86400000"), V::AtLeast(0), "how long tombstones survive compaction"),
    key("log.cleaner.min.compaction.lag.ms", K::Long, D::Value("0"), V::AtLeast(0), "minimum age before a record may be compacted"),
    key("log.cleaner.max.compaction.lag.ms", K::Long, D::Value(LONG_MAX), V::AtLeast(1), "maximum age before a record must become eligible for compaction"),
    key("log.index.size.max.bytes", K::Int, D::Value("10485760"), V::AtLeast(4), "size preallocated for each offset and time index"),
    key("log.index.interval.bytes", K::Int, D::Value("4096"), V::AtLeast(0), "bytes appended between two offset index entries"),
    key("log.flush.interval.messages", K::Long, D::Value(LONG_MAX), V::AtLeast(1), "records appended to a partition before it is fsynced"),
    key("log.flush.interval.ms", K::Long, D::Null, V::Any, "age of unflushed data before a partition is fsynced; unset means log.flush.scheduler.interval.ms"),
    key("log.flush.scheduler.interval.ms", K::Long, D::Value(LONG_MAX), V::Any, "how often the flusher looks for partitions to fsync"),
    key("log.flush.offset.checkpoint.interval.ms", K::Int, D::Value("60000"), V::AtLeast(0), "how often the recovery point checkpoint is written"),
    key("log.flush.start.offset.checkpoint.interval.ms", K::Int, D::Value("60000"), V::AtLeast(0), "how often the log start offset checkpoint is written"),
    key("log.segment.delete.delay.ms", K::Long, D::Value("60000"), V::AtLeast(0), "delay between marking a segment deleted and removing its files"),
    key("log.preallocate", K::Boolean, D::Value("false"), V::Any, "preallocate segment files when they are created"),
    key("log.message.format.version", K::String, D::Value("3.0-IV1"), METADATA_VERSION, "deprecated; record format version to write, ignored from 3.0 on"),
    key("log.message.timestamp.type", K::String, D::Value("CreateTime"), V::OneOf(TIMESTAMP_TYPES), "keep the producer's timestamp or stamp records with the append time"),
    key("log.message.timestamp.difference.max.ms", K::Long, D::Value(LONG_MAX), V::AtLeast(0), "deprecated; largest allowed gap between a record's and the broker's clock"),
    key("log.message.timestamp.before.max.ms", K::Long, D::Value(LONG_MAX), V::AtLeast(0), "how far in the past a CreateTime timestamp may be"),
    key("log.message.timestamp.after.max.ms", K::Long, D::Value(LONG_MAX), V::AtLeast(0), "how far in the future a CreateTime timestamp may be"),
    key("log.message.downconversion.enable", K::Boolean, D::Value("true"), V::Any, "convert records to older formats for old consumers"),
    key("num.recovery.threads.per.data.dir", K::Int, D::Value("1"), V::AtLeast(1), "threads per log directory recovering logs at start and flushing at stop"),
    key("auto.create.topics.enable", K::Boolean, D::Value("true"), V::Any, "create a topic when a client asks for metadata of one that does not exist"),
    key("min.insync.replicas", K::Int, D::Value("1"), V::AtLeast(1), "in-sync replicas needed for an acks=all write to succeed"),
    key("create.topic.policy.class.name", K::Class, D::Null, V::Any, "class validating topic creation requests"),
    key("alter.config.policy.class.name", K::Class, D::Null, V::Any, "class validating config change requests"),
    key("compression.type", K::String, D::Value("producer"), V::OneOf(BROKER_COMPRESSION), "codec for stored data; producer keeps what the producer used"),
    key("compression.gzip.level", K::Int, D::Value("-1"), GZIP_LEVEL, "gzip level when the broker compresses"),
    key("compression.lz4.level", K::Int, D::Value("9"), V::Between(1, 17), "lz4 level when the broker compresses"),
    key("compression.zstd.level", K::Int, D::Value("3"), V::Between(-131072, 22), "zstd level when the broker compresses"),
    // Replication
    key("controller.socket.timeout.ms", K::Int, D::Value("30000"), V::Any, "timeout of controller-to-broker requests"),
    key("default.replication.factor", K::Int, D::Value("1"), V::Any, "replicas of an automatically created topic"),
    key("replica.lag.time.max.ms", K::Long, D::Value("30000"), V::Any, "a follower that has not caught up for this long leaves the ISR"),
    key("replica.socket.timeout.ms", K::Int, D::Value("30000"), V::Any, "socket timeout of follower fetch requests"),
    key("replica.socket.receive.buffer.bytes", K::Int, D::Value("65536"), V::Any, "SO_RCVBUF of follower fetch connections"),
    key("replica.fetch.max.bytes", K::Int, D::Value("1048576"), V::AtLeast(0), "bytes a follower asks for per partition"),
    key("replica.fetch.wait.max.ms", K::Int, D::Value("500"), V::Any, "how long a follower fetch waits for data"),
    key("replica.fetch.backoff.ms", K::Int, D::Value("1000"), V::AtLeast(0), "follower pause after a fetch error"),
    key("replica.fetch.min.bytes", K::Int, D::Value("1"), V::Any, "bytes a follower fetch waits for before answering"),
    key("replica.fetch.response.max.bytes", K::Int, D::Value("10485760"), V::AtLeast(0), "bytes a follower asks for per fetch response"),
    key("num.replica.fetchers", K::Int, D::Value("1"), V::Any, "fetcher threads per source broker"),
    key("replica.high.watermark.checkpoint.interval.ms", K::Long, D::Value("5000"), V::Any, "how often high watermarks are written to disk"),
    key("fetch.purgatory.purge.interval.requests", K::Int, D::Value("1000"), V::Any, "waiting fetches between purges of completed ones"),
    key("producer.purgatory.purge.interval.requests", K::Int, D::Value("1000"), V::Any, "waiting produces between purges of completed ones"),
    key("delete.records.purgatory.purge.interval.requests", K::Int, D::Value("1"), V::Any, "waiting delete-records requests between purges"),
    key("auto.leader.rebalance.enable", K::Boolean, D::Value("true"), V::Any, "move leadership back to preferred replicas in the background"),
    key("leader.imbalance.per.broker.percentage", K::Int, D::Value("10"), V::Any, "share of non-preferred leaders on a broker that triggers a rebalance"),
    key("leader.imbalance.check.interval.seconds", K::Long, D::Value("300"), V::AtLeast(1), "how often the controller checks leader balance"),
    key("unclean.leader.election.enable", K::Boolean, D::Value("false"), V::Any, "allow an out-of-sync replica to lead when none in sync is left, losing data"),
    key("security.inter.broker.protocol", K::String, D::Value("PLAINTEXT"), V::OneOf(SECURITY_PROTOCOLS), "security protocol between brokers, when inter.broker.listener.name is unset"),
    key("inter.broker.protocol.version", K::String, D::Value("3.9-IV0"), METADATA_VERSION, "protocol version brokers use with each other, for rolling upgrades"),
    key("inter.broker.listener.name", K::String, D::Null, V::Any, "listener brokers use to talk to each other"),
    key("replica.selector.class", K::String, D::Null, V::Any, "class choosing the replica a consumer may fetch from"),
    // Controlled shutdown
    key("controlled.shutdown.enable", K::Boolean, D::Value("true"), V::Any, "move leadership away before stopping"),
    key("controlled.shutdown.max.retries", K::Int, D::Value("3"), V::Any, "attempts at a controlled shutdown before stopping anyway"),
    key("controlled.shutdown.retry.backoff.ms", K::Long, D::Value("5000"), V::Any, "pause between controlled shutdown attempts"),
    // Group coordinator
    key("group.min.session.timeout.ms", K::Int, D::Value("6000"), V::Any, "smallest session timeout a consumer may ask for"),
    key("group.max.session.timeout.ms", K::Int, D::Value("1800000"), V::Any, "largest session timeout a consumer may ask for"),
    key("group.initial.rebalance.delay.ms", K::Int, D::Value("3000"), V::Any, "wait for more members before the first rebalance of an empty group"),
    key("group.max.size", K::Int, D::Value(INT_MAX), V::AtLeast(1), "members one consumer group may have"),
    // Offsets
    key("offset.metadata.max.bytes", K::Int, D::Value("4096"), V::Any, "largest metadata string allowed with a committed offset"),
    key("offsets.load.buffer.size", K::Int, D::Value("5242880"), V::AtLeast(1), "read size when loading offsets into the cache"),
    key("offsets.topic.replication.factor", K::Short, D::Value("3"), V::AtLeast(1), "replicas of __consumer_offsets; its creation waits for this many brokers"),
    key("offsets.topic.num.partitions", K::Int, D::Value("50"), V::AtLeast(1), "partitions of __consumer_offsets; never change it after deployment"),
    key("offsets.topic.segment.bytes", K::Int, D::Value("104857600"), V::AtLeast(1), "segment size of __consumer_offsets"),
    key("offsets.topic.compression.codec", K::Int, D::Value("0"), V::Between(0, 4), "codec id for offset commits: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd"),
    key("offsets.retention.minutes", K::Int, D::Value("10080"), V::AtLeast(1), "how long offsets of an empty group are kept"),
    key("offsets.retention.check.interval.ms", K::Long, D::Value("600000"), V::AtLeast(1), "how often stale offsets are looked for"),
    key("offsets.commit.timeout.ms", K::Int, D::Value("5000"), V::AtLeast(1), "how long an offset commit waits for replication"),
    key("offsets.commit.required.acks", K::Short, D::Value("-1"), V::Any, "deprecated; acks needed before an offset commit is accepted"),
    // Transactions
    key("transactional.id.expiration.ms", K::Int, D::Value("604800000"), V::AtLeast(1), "idle time after which a transactional id is forgotten"),
    key("transaction.max.timeout.ms", K::Int, D::Value("900000"), V::AtLeast(1), "largest transaction timeout a producer may ask for"),
    key("transaction.state.log.min.isr", K::Int, D::Value("2"), V::AtLeast(1), "min.insync.replicas of __transaction_state"),
    key("transaction.state.log.load.buffer.size", K::Int, D::Value("5242880"), V::AtLeast(1), "read size when loading transaction state"),
    key("transaction.state.log.replication.factor", K::Short, D::Value("3"), V::AtLeast(1), "replicas of __transaction_state"),
    key("transaction.state.log.num.partitions", K::Int, D::Value("50"), V::AtLeast(1), "partitions of __transaction_state"),
    key("transaction.state.log.segment.bytes", K::Int, D::Value("104857600"), V::AtLeast(1), "segment size of __transaction_state"),
    key("transaction.abort.timed.out.transaction.cleanup.interval.ms", K::Int, D::Value("10000"), V::AtLeast(1), "how often timed-out transactions are aborted"),
    key("transaction.remove.expired.transaction.cleanup.interval.ms", K::Int, D::Value("3600000"), V::AtLeast(1), "how often expired transactional ids are removed"),
    key("transaction.partition.verification.enable", K::Boolean, D::Value("true"), V::Any, "check that a partition joined the transaction before accepting transactional writes"),
    key("producer.id.expiration.ms", K::Int, D::Value("86400000"), V::AtLeast(1), "idle time after which an idempotent producer's state is dropped"),
    // Fetch and request limits
    key("max.incremental.fetch.session.cache.slots", K::Int, D::Value("1000"), V::AtLeast(0), "incremental fetch sessions the broker keeps"),
    key("fetch.max.bytes", K::Int, D::Value("57671680"), V::AtLeast(1024), "largest fetch response the broker builds"),
    key("max.request.partition.size.limit", K::Int, D::Value("2000"), V::AtLeast(1), "partitions served in one request"),
    // Metrics and quotas
    key("metrics.num.samples", K::Int, D::Value("2"), V::AtLeast(1), "samples kept per metric"),
    key("metrics.sample.window.ms", K::Long, D::Value("30000"), V::AtLeast(1), "window of one metric sample"),
    key("metric.reporters", K::List, D::Value(""), V::Any, "classes receiving metrics"),
    key("metrics.recording.level", K::String, D::Value("INFO"), V::Any, "most detailed metrics level recorded"),
    key("quota.window.num", K::Int, D::Value("11"), V::AtLeast(1), "samples kept for client quotas"),
    key("quota.window.size.seconds", K::Int, D::Value("1"), V::AtLeast(1), "window of one client quota sample"),
    key("replication.quota.window.num", K::Int, D::Value("11"), V::AtLeast(1), "samples kept for replication quotas"),
    key("replication.quota.window.size.seconds", K::Int, D::Value("1"), V::AtLeast(1), "window of one replication quota sample"),
    // Security
    key("connections.max.reauth.ms", K::Long, D::Value("0"), V::Any, "how long an authenticated session lasts before re-authentication; 0 means forever"),
    key("ssl.protocol", K::String, D::Value("TLSv1.3"), V::Any, "TLS protocol used to build the SSL context"),
    key("ssl.enabled.protocols", K::List, D::Value("TLSv1.2,TLSv1.3"), V::Any, "TLS versions accepted"),
    key("ssl.keystore.type", K::String, D::Value("JKS"), V::Any, "format of the key store"),
    key("ssl.keystore.location", K::String, D::Null, V::Any, "path of the key store"),
    key("ssl.keystore.password", K::Password, D::Null, V::Any, "password of the key store"),
    key("ssl.key.password", K::Password, D::Null, V::Any, "password of the private key in the key store"),
    key("ssl.truststore.type", K::String, D::Value("JKS"), V::Any, "format of the trust store"),
    key("ssl.truststore.location", K::String, D::Null, V::Any, "path of the trust store"),
    key("ssl.truststore.password", K::Password, D::Null, V::Any, "password of the trust store"),
    key("ssl.client.auth", K::String, D::Value("none"), V::OneOf(&["required", "requested", "none"]), "whether TLS clients must present a certificate"),
    key("ssl.cipher.suites", K::List, D::Value(""), V::Any, "cipher suites allowed; empty means the runtime's defaults"),
    key("ssl.endpoint.identification.algorithm", K::String, D::Value("https"), V::Any, "host name verification of peers; empty disables it"),
    key("sasl.enabled.mechanisms", K::List, D::Value("GSSAPI"), V::Any, "SASL mechanisms the broker offers"),
    key("sasl.mechanism.inter.broker.protocol", K::String, D::Value("GSSAPI"), V::Any, "SASL mechanism brokers use with each other"),
    key("sasl.jaas.config", K::Password, D::Null, V::Any, "JAAS login configuration, inline"),
    key("sasl.kerberos.service.name", K::String, D::Null, V::Any, "Kerberos principal name the broker runs as"),
];

/// The broker's table (`server.properties`).
pub static BROKER: ConfigDef = ConfigDef {
    name: "broker",
    keys: BROKER_KEYS,
    reject: None,
};

/// Topic-level keys (CreateTopics configs, `kafka-configs --entity-type topics`).
#[rustfmt::skip]
pub static TOPIC_KEYS: &[KeyDef] = &[
    key("cleanup.policy", K::List, D::Value("delete"), V::OneOf(CLEANUP_POLICIES), "delete old segments, compact them by key, or both"),
    key("compression.type", K::String, D::Value("producer"), V::OneOf(BROKER_COMPRESSION), "codec for this topic's stored data; producer keeps what the producer used"),
    key("compression.gzip.level", K::Int, D::Value("-1"), GZIP_LEVEL, "gzip level when the broker compresses"),
    key("compression.lz4.level", K::Int, D::Value("9"), V::Between(1, 17), "lz4 level when the broker compresses"),
    key("compression.zstd.level", K::Int, D::Value("3"), V::Between(-131072, 22), "zstd level when the broker compresses"),
    key("delete.retention.ms", K::Long, D::Value("86400000"), V::AtLeast(0), "how long tombstones survive compaction"),
    key("file.delete.delay.ms", K::Long, D::Value("60000"), V::AtLeast(0), "delay between marking a segment deleted and removing its files"),
    key("flush.messages", K::Long, D::Value(LONG_MAX), V::AtLeast(1), "records appended before the partition is fsynced"),
    key("flush.ms", K::Long, D::Value(LONG_MAX), V::AtLeast(0), "age of unflushed data before the partition is fsynced"),
    key("follower.replication.throttled.replicas", K::List, D::Value(""), V::Any, "partition:broker pairs (or *) whose follower traffic is throttled"),
    key("leader.replication.throttled.replicas", K::List, D::Value(""), V::Any, "partition:broker pairs (or *) whose leader traffic is throttled"),
    key("index.interval.bytes", K::Int, D::Value("4096"), V::AtLeast(0), "bytes appended between two offset index entries"),
    key("max.compaction.lag.ms", K::Long, D::Value(LONG_MAX), V::AtLeast(1), "maximum age before a record must become eligible for compaction"),
    key("max.message.bytes", K::Int, D::Value("1048588"), V::AtLeast(0), "largest record batch this topic accepts (after compression)"),
    key("message.downconversion.enable", K::Boolean, D::Value("true"), V::Any, "convert records to older formats for old consumers"),
    key("message.format.version", K::String, D::Value("3.0-IV1"), METADATA_VERSION, "deprecated; record format version, ignored from 3.0 on"),
    key("message.timestamp.type", K::String, D::Value("CreateTime"), V::OneOf(TIMESTAMP_TYPES), "keep the producer's timestamp or stamp records with the append time"),
    key("message.timestamp.difference.max.ms", K::Long, D::Value(LONG_MAX), V::AtLeast(0), "deprecated; largest allowed gap between a record's and the broker's clock"),
    key("message.timestamp.before.max.ms", K::Long, D::Value(LONG_MAX), V::AtLeast(0), "how far in the past a CreateTime timestamp may be"),
    key("message.timestamp.after.max.ms", K::Long, D::Value(LONG_MAX), V::AtLeast(0), "how far in the future a CreateTime timestamp may be"),
    key("min.cleanable.dirty.ratio", K::Double, D::Value("0.5"), V::DoubleBetween(0.0, 1.0), "dirty share of the log that makes it eligible for cleaning"),
    key("min.compaction.lag.ms", K::Long, D::Value("0"), V::AtLeast(0), "minimum age before a record may be compacted"),
    key("min.insync.replicas", K::Int, D::Value("1"), V::AtLeast(1), "in-sync replicas needed for an acks=all write to succeed"),
    key("preallocate", K::Boolean, D::Value("false"), V::Any, "preallocate segment files when they are created"),
    key("retention.bytes", K::Long, D::Value("-1"), V::Any, "size a partition may reach before old segments are deleted; -1 means no limit"),
    key("retention.ms", K::Long, D::Value("604800000"), V::AtLeast(-1), "how long data is kept; -1 means forever"),
    key("segment.bytes", K::Int, D::Value("1073741824"), V::AtLeast(14), "size at which a segment file is closed and a new one started"),
    key("segment.index.bytes", K::Int, D::Value("10485760"), V::AtLeast(4), "size preallocated for each offset and time index"),
    key("segment.jitter.ms", K::Long, D::Value("0"), V::AtLeast(0), "random reduction of the roll age"),
    key("segment.ms", K::Long, D::Value("604800000"), V::AtLeast(1), "age at which a segment is rolled"),
    key("unclean.leader.election.enable", K::Boolean, D::Value("false"), V::Any, "allow an out-of-sync replica to lead when none in sync is left, losing data"),
];

/// The topic-level table.
pub static TOPIC: ConfigDef = ConfigDef {
    name: "topic",
    keys: TOPIC_KEYS,
    reject: None,
};

/// A broker key a topic key falls back to, and the factor turning its unit into the topic
/// key's (hours and minutes into milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synonym {
    pub broker_key: &'static str,
    pub to_topic_unit: i64,
}

const fn same(broker_key: &'static str) -> Synonym {
    Synonym {
        broker_key,
        to_topic_unit: 1,
    }
}

const MINUTES: i64 = 60 * 1000;
const HOURS: i64 = 60 * MINUTES;

/// Each topic key's broker synonyms, most specific first (Kafka's order of precedence).
#[rustfmt::skip]
pub static TOPIC_SYNONYMS: &[(&str, &[Synonym])] = &[
    ("cleanup.policy", &[same("log.cleanup.policy")]),
    ("compression.type", &[same("compression.type")]),
    ("compression.gzip.level", &[same("compression.gzip.level")]),
    ("compression.lz4.level", &[same("compression.lz4.level")]),
    ("compression.zstd.level", &[same("compression.zstd.level")]),
    ("delete.retention.ms", &[same("log.cleaner.delete.retention.ms")]),
    ("file.delete.delay.ms", &[same("log.segment.delete.delay.ms")]),
    ("flush.messages", &[same("log.flush.interval.messages")]),
    ("flush.ms", &[same("log.flush.interval.ms"), same("log.flush.scheduler.interval.ms")]),
    ("index.interval.bytes", &[same("log.index.interval.bytes")]),
    ("max.compaction.lag.ms", &[same("log.cleaner.max.compaction.lag.ms")]),
    ("max.message.bytes", &[same("message.max.bytes")]),
    ("message.downconversion.enable", &[same("log.message.downconversion.enable")]),
    ("message.format.version", &[same("log.message.format.version")]),
    ("message.timestamp.type", &[same("log.message.timestamp.type")]),
    ("message.timestamp.difference.max.ms", &[same("log.message.timestamp.difference.max.ms")]),
    ("message.timestamp.before.max.ms", &[same("log.message.timestamp.before.max.ms")]),
    ("message.timestamp.after.max.ms", &[same("log.message.timestamp.after.max.ms")]),
    ("min.cleanable.dirty.ratio", &[same("log.cleaner.min.cleanable.ratio")]),
    ("min.compaction.lag.ms", &[same("log.cleaner.min.compaction.lag.ms")]),
    ("min.insync.replicas", &[same("min.insync.replicas")]),
    ("preallocate", &[same("log.preallocate")]),
    ("retention.bytes", &[same("log.retention.bytes")]),
    ("retention.ms", &[
        same("log.retention.ms"),
        Synonym { broker_key: "log.retention.minutes", to_topic_unit: MINUTES },
        Synonym { broker_key: "log.retention.hours", to_topic_unit: HOURS },
    ]),
    ("segment.bytes", &[same("log.segment.bytes")]),
    ("segment.index.bytes", &[same("log.index.size.max.bytes")]),
    ("segment.jitter.ms", &[
        same("log.roll.jitter.ms"),
        Synonym { broker_key: "log.roll.jitter.hours", to_topic_unit: HOURS },
    ]),
    ("segment.ms", &[
        same("log.roll.ms"),
        Synonym { broker_key: "log.roll.hours", to_topic_unit: HOURS },
    ]),
    ("unclean.leader.election.enable", &[same("unclean.leader.election.enable")]),
];

/// The broker synonyms of `topic_key`, most specific first; empty for keys without one.
pub fn synonyms(topic_key: &str) -> &'static [Synonym] {
    TOPIC_SYNONYMS
        .iter()
        .find(|(k, _)| *k == topic_key)
        .map(|(_, s)| *s)
        .unwrap_or(&[])
}

/// A broker synonym's value as DescribeConfigs lists it: in the broker key's own unit.
#[derive(Debug, Clone, PartialEq)]
pub struct SynonymValue {
    pub broker_key: &'static str,
    pub value: Value,
    /// `Source::Default` for the table default, else where the broker config set it.
    pub source: Source,
}

/// The synonyms of `topic_key` that have a value on this broker, in precedence order: each
/// synonym's configured value (if set) followed by its default (if it has one), as Kafka's
/// DescribeConfigs lists them. The first entry is the one in force.
pub fn synonym_values(topic_key: &str, broker: &ResolvedConfig) -> Vec<SynonymValue> {
    let mut out = Vec::new();
    for s in synonyms(topic_key) {
        let Some(entry) = broker.entry(s.broker_key) else {
            continue;
        };
        if entry.source != Source::Default {
            if let Some(v) = &entry.value {
                out.push(SynonymValue {
                    broker_key: s.broker_key,
                    value: v.clone(),
                    source: entry.source.clone(),
                });
            }
        }
        if let super::def::DefaultValue::Value(raw) = entry.def.default {
            if let Ok(v) = entry.def.parse(raw) {
                out.push(SynonymValue {
                    broker_key: s.broker_key,
                    value: v,
                    source: Source::Default,
                });
            }
        }
    }
    out
}

/// The value a topic without its own setting of `topic_key` gets from this broker, converted
/// to the topic key's unit and type (e.g. `log.retention.hours=24` gives `retention.ms`
/// 86400000), with the synonym it came from. A negative scaled time means "no limit" and
/// becomes -1, as in Kafka. `None` if `topic_key` has no synonym with a value.
pub fn topic_default(topic_key: &str, broker: &ResolvedConfig) -> Option<(Value, SynonymValue)> {
    let topic_def = TOPIC.get(topic_key)?;
    let first = synonym_values(topic_key, broker).into_iter().next()?;
    let factor = synonyms(topic_key)
        .iter()
        .find(|s| s.broker_key == first.broker_key)
        .map(|s| s.to_topic_unit)
        .unwrap_or(1);
    let value = match (topic_def.kind, first.value.as_i64()) {
        (K::Long, Some(n)) => {
            let scaled = if n < 0 { -1 } else { n.saturating_mul(factor) };
            Value::Long(scaled)
        }
        _ => first.value.clone(),
    };
    Some((value, first))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Properties, parse_overrides, resolve};
    use std::collections::HashSet;

    fn broker(text: &str) -> ResolvedConfig {
        let p = Properties::parse(text, "server.properties").unwrap();
        let (c, w) = resolve(&BROKER, &p, &[]).unwrap();
        assert!(w.is_empty(), "{w:?}");
        c
    }

    #[test]
    fn tables_have_unique_names_and_valid_defaults() {
        for table in [&BROKER, &TOPIC] {
            let mut seen = HashSet::new();
            for k in table.keys {
                assert!(
                    seen.insert(k.name),
                    "{} listed twice in {}",
                    k.name,
                    table.name
                );
                assert!(!k.doc.is_empty());
                if let D::Value(raw) = k.default {
                    k.parse(raw)
                        .unwrap_or_else(|e| panic!("default of {} refused: {e:?}", k.name));
                }
            }
        }
    }

    #[test]
    fn kafka_defaults() {
        let c = broker("");
        assert_eq!(c.get_int("broker.id"), Some(-1));
        assert_eq!(c.get_int("socket.request.max.bytes"), Some(104_857_600));
        assert_eq!(c.get_int("message.max.bytes"), Some(1_048_588));
        assert_eq!(c.get_string("log.dir"), Some("/tmp/kafka-logs"));
        assert_eq!(c.get_string("log.dirs"), None);
        assert_eq!(c.get_int("zookeeper.session.timeout.ms"), Some(18000));
        assert_eq!(c.get_int("log.segment.bytes"), Some(1_073_741_824));
        assert_eq!(c.get_int("log.retention.hours"), Some(168));
        assert_eq!(c.get_long("log.flush.interval.messages"), Some(i64::MAX));
        assert_eq!(
            c.get_list("log.cleanup.policy"),
            Some(&["delete".to_string()][..])
        );
        assert_eq!(c.get_int("offsets.topic.num.partitions"), Some(50));
        assert_eq!(c.get_short("offsets.topic.replication.factor"), Some(3));
        assert_eq!(c.get_int("group.initial.rebalance.delay.ms"), Some(3000));
        assert_eq!(c.get_long("replica.lag.time.max.ms"), Some(30000));
        assert_eq!(
            c.get_double("log.cleaner.io.max.bytes.per.second"),
            Some(f64::MAX)
        );
        assert_eq!(c.get_string("compression.type"), Some("producer"));
        assert_eq!(c.get_password("ssl.keystore.password"), None);
    }

    #[test]
    fn broker_validators() {
        let bad = |text: &str| {
            let p = Properties::parse(text, "server.properties").unwrap();
            resolve(&BROKER, &p, &[]).unwrap_err().to_string()
        };
        assert_eq!(
            bad("num.partitions=abc"),
            "server.properties:1: num.partitions: 'abc' is not a valid int \
             (expected an integer in [1, 2147483647])"
        );
        assert!(bad("log.message.timestamp.type=createtime").contains("one of: CreateTime"));
        assert!(bad("compression.type=brotli").contains("one of: uncompressed, zstd"));
        assert!(bad("security.inter.broker.protocol=TLS").contains("PLAINTEXT, SSL"));
        assert!(bad("log.segment.bytes=10").contains("[14, 2147483647]"));
        assert!(bad("fetch.max.bytes=1023").contains("[1024, 2147483647]"));
        assert!(bad("compression.gzip.level=0").contains("-1 (the codec's default)"));
        assert!(bad("inter.broker.protocol.version=latest").contains("such as 2.8"));
        assert!(bad("create.topic.policy.class.name=not a class").contains("class"));
        assert!(bad("log.cleaner.min.cleanable.ratio=1.5").contains("[0.0, 1.0]"));
        let c = broker("inter.broker.protocol.version=2.8\nlog.message.format.version=0.10.2-IV0");
        assert_eq!(c.get_string("inter.broker.protocol.version"), Some("2.8"));
    }

    #[test]
    fn every_topic_key_has_a_broker_synonym_of_compatible_type() {
        for t in TOPIC_KEYS {
            let syns = synonyms(t.name);
            let throttles = t.name.ends_with("replication.throttled.replicas");
            assert_eq!(syns.is_empty(), throttles, "{}", t.name);
            for s in syns {
                let b = BROKER
                    .get(s.broker_key)
                    .unwrap_or_else(|| panic!("{}", s.broker_key));
                let numeric = |k: K| matches!(k, K::Int | K::Long | K::Short);
                assert!(
                    b.kind == t.kind || (numeric(b.kind) && numeric(t.kind)),
                    "{} vs {}",
                    t.name,
                    s.broker_key
                );
            }
        }
        for (name, _) in TOPIC_SYNONYMS {
            assert!(TOPIC.get(name).is_some(), "{name}");
        }
    }

    #[test]
    fn topic_defaults_follow_broker_synonyms() {
        let c = broker("");
        let ms = |k: &str, c: &ResolvedConfig| topic_default(k, c).map(|(v, s)| (v, s.broker_key));
        assert_eq!(
            ms("retention.ms", &c),
            Some((Value::Long(604_800_000), "log.retention.hours"))
        );
        assert_eq!(
            ms("segment.ms", &c),
            Some((Value::Long(604_800_000), "log.roll.hours"))
        );
        assert_eq!(
            ms("segment.jitter.ms", &c),
            Some((Value::Long(0), "log.roll.jitter.hours"))
        );
        assert_eq!(
            ms("flush.ms", &c),
            Some((Value::Long(i64::MAX), "log.flush.scheduler.interval.ms"))
        );
        assert_eq!(
            ms("max.message.bytes", &c),
            Some((Value::Int(1_048_588), "message.max.bytes"))
        );
        assert_eq!(
            ms("segment.index.bytes", &c),
            Some((Value::Int(10_485_760), "log.index.size.max.bytes"))
        );
        assert_eq!(
            ms("file.delete.delay.ms", &c),
            Some((Value::Long(60000), "log.segment.delete.delay.ms"))
        );
        assert_eq!(
            topic_default("leader.replication.throttled.replicas", &c),
            None
        );

        let c = broker("log.retention.hours=24\nlog.roll.ms=1000");
        assert_eq!(
            ms("retention.ms", &c),
            Some((Value::Long(86_400_000), "log.retention.hours"))
        );
        assert_eq!(
            ms("segment.ms", &c),
            Some((Value::Long(1000), "log.roll.ms"))
        );
        let c = broker("log.retention.hours=24\nlog.retention.minutes=30");
        assert_eq!(
            ms("retention.ms", &c),
            Some((Value::Long(1_800_000), "log.retention.minutes"))
        );
        let c = broker("log.retention.hours=-1");
        assert_eq!(
            ms("retention.ms", &c),
            Some((Value::Long(-1), "log.retention.hours"))
        );
    }

    #[test]
    fn synonym_values_list_configured_then_default() {
        let p = Properties::parse("log.retention.hours=24", "s.properties").unwrap();
        let ov = parse_overrides(&["log.retention.minutes=5"]).unwrap();
        let (c, _) = resolve(&BROKER, &p, &ov).unwrap();
        let got: Vec<_> = synonym_values("retention.ms", &c)
            .into_iter()
            .map(|s| (s.broker_key, s.value.to_string(), s.source))
            .collect();
        assert_eq!(
            got,
            vec![
                ("log.retention.minutes", "5".to_string(), Source::Override),
                (
                    "log.retention.hours",
                    "24".to_string(),
                    Source::File {
                        path: "s.properties".into(),
                        line: 1
                    }
                ),
                ("log.retention.hours", "168".to_string(), Source::Default),
            ]
        );
    }
}
