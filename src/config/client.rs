//! Key tables for the client files tools read (`producer.properties`, `consumer.properties`,
//! `--producer.config`, `--consumer.config`, `--command-config`): the common connection keys
//! and the producer and consumer keys rkafka's client acts on, with Kafka 3.9's defaults.
//!
//! Keys outside these tables come back as unknown-key warnings, which tell the user that
//! rkafka's client will not act on them.

use super::def::{ConfigDef, DefaultValue as D, KeyDef, Kind as K, Validator as V, key};

/// Client `security.protocol` is matched ignoring case, as Kafka's clients do.
const SECURITY_PROTOCOLS: &[&str] = &["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

/// Keys every client shares.
#[rustfmt::skip]
macro_rules! common_keys {
    ($receive_buffer:literal) => {
        [
            key("bootstrap.servers", K::List, D::Value(""), V::Any, "host:port pairs used to find the cluster; tools usually take --bootstrap-server instead"),
            key("client.id", K::String, D::Value(""), V::Any, "name sent with every request, for logs and quotas"),
            key("client.dns.lookup", K::String, D::Value("use_all_dns_ips"), V::OneOf(&["use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"]), "how host names are turned into addresses"),
            key("security.protocol", K::String, D::Value("PLAINTEXT"), V::OneOfIgnoreCase(SECURITY_PROTOCOLS), "protocol used to talk to brokers"),
            key("request.timeout.ms", K::Int, D::Value("30000"), V::AtLeast(0), "how long to wait for a response before retrying or failing"),
            key("retry.backoff.ms", K::Long, D::Value("100"), V::AtLeast(0), "pause before retrying a failed request"),
            key("reconnect.backoff.ms", K::Long, D::Value("50"), V::AtLeast(0), "pause before reconnecting to a broker"),
            key("reconnect.backoff.max.ms", K::Long, D::Value("1000"), V::AtLeast(0), "upper bound of the growing reconnect pause"),
            key("socket.connection.setup.timeout.ms", K::Long, D::Value("10000"), V::Any, "how long to wait for a connection to be established"),
            key("socket.connection.setup.timeout.max.ms", K::Long, D::Value("30000"), V::Any, "upper bound of the growing connection setup timeout"),
            key("connections.max.idle.ms", K::Long, D::Value("540000"), V::Any, "idle connections are closed after this long"),
            key("metadata.max.age.ms", K::Long, D::Value("300000"), V::AtLeast(0), "metadata is refreshed at least this often"),
            key("send.buffer.bytes", K::Int, D::Value("131072"), V::AtLeast(-1), "SO_SNDBUF of connections; -1 keeps the OS default"),
            key("receive.buffer.bytes", K::Int, D::Value($receive_buffer), V::AtLeast(-1), "SO_RCVBUF of connections; -1 keeps the OS default"),
        ]
    };
}

const PRODUCER_COMMON: [KeyDef; 14] = common_keys!("32768");
const CONSUMER_COMMON: [KeyDef; 14] = common_keys!("65536");

#[rustfmt::skip]
const PRODUCER_OWN: [KeyDef; 17] = [
    key("acks", K::String, D::Value("all"), V::OneOf(&["all", "-1", "0", "1"]), "acknowledgements a write needs: 0 none, 1 the leader, all the in-sync replicas"),
    key("compression.type", K::String, D::Value("none"), V::OneOf(&["none", "gzip", "snappy", "lz4", "zstd"]), "codec applied to record batches"),
    key("batch.size", K::Int, D::Value("16384"), V::AtLeast(0), "bytes collected per partition before a batch is sent"),
    key("linger.ms", K::Long, D::Value("0"), V::AtLeast(0), "how long to wait for more records before sending a batch that is not full"),
    key("buffer.memory", K::Long, D::Value("33554432"), V::AtLeast(0), "memory for records waiting to be sent"),
    key("max.block.ms", K::Long, D::Value("60000"), V::AtLeast(0), "how long send may block waiting for metadata or buffer space"),
    key("max.request.size", K::Int, D::Value("1048576"), V::AtLeast(0), "largest produce request sent"),
    key("retries", K::Int, D::Value("2147483647"), V::Between(0, 2147483647), "times a failed send is retried within delivery.timeout.ms"),
    key("delivery.timeout.ms", K::Int, D::Value("120000"), V::AtLeast(0), "time limit for a record to be acknowledged, retries included"),
    key("enable.idempotence", K::Boolean, D::Value("true"), V::Any, "write each record exactly once per partition despite retries"),
    key("max.in.flight.requests.per.connection", K::Int, D::Value("5"), V::AtLeast(1), "unacknowledged requests per connection"),
    key("transactional.id", K::String, D::Null, V::Any, "id enabling transactions across producer restarts"),
    key("transaction.timeout.ms", K::Int, D::Value("60000"), V::Any, "how long a transaction may stay open before the coordinator aborts it"),
    key("partitioner.class", K::Class, D::Null, V::Any, "class choosing the partition of keyless or keyed records"),
    key("partitioner.ignore.keys", K::Boolean, D::Value("false"), V::Any, "spread keyed records like keyless ones"),
    key("key.serializer", K::Class, D::Null, V::Any, "class turning keys into bytes"),
    key("value.serializer", K::Class, D::Null, V::Any, "class turning values into bytes"),
];

#[rustfmt::skip]
const CONSUMER_OWN: [KeyDef; 22] = [
    key("group.id", K::String, D::Null, V::Any, "consumer group this consumer joins; needed for committed offsets"),
    key("group.instance.id", K::String, D::Null, V::Any, "stable member id that survives restarts (static membership)"),
    key("group.protocol", K::String, D::Value("classic"), V::OneOfIgnoreCase(&["classic", "consumer"]), "group membership protocol"),
    key("auto.offset.reset", K::String, D::Value("latest"), V::OneOf(&["latest", "earliest", "none"]), "where to start when there is no committed offset"),
    key("enable.auto.commit", K::Boolean, D::Value("true"), V::Any, "commit consumed offsets periodically in the background"),
    key("auto.commit.interval.ms", K::Int, D::Value("5000"), V::AtLeast(0), "period of automatic offset commits"),
    key("session.timeout.ms", K::Int, D::Value("45000"), V::Any, "a member silent for this long is removed from the group"),
    key("heartbeat.interval.ms", K::Int, D::Value("3000"), V::Any, "period of heartbeats to the group coordinator"),
    key("max.poll.records", K::Int, D::Value("500"), V::AtLeast(1), "records returned by one poll"),
    key("max.poll.interval.ms", K::Int, D::Value("300000"), V::AtLeast(1), "a member that does not poll for this long leaves the group"),
    key("fetch.min.bytes", K::Int, D::Value("1"), V::AtLeast(0), "bytes a fetch waits for before the broker answers"),
    key("fetch.max.bytes", K::Int, D::Value("52428800"), V::AtLeast(0), "bytes asked for per fetch"),
    key("fetch.max.wait.ms", K::Int, D::Value("500"), V::AtLeast(0), "how long a fetch waits for fetch.min.bytes"),
    key("max.partition.fetch.bytes", K::Int, D::Value("1048576"), V::AtLeast(0), "bytes asked for per partition per fetch"),
    key("isolation.level", K::String, D::Value("read_uncommitted"), V::OneOf(&["read_committed", "read_uncommitted"]), "whether records of open or aborted transactions are returned"),
    key("partition.assignment.strategy", K::List, D::Value("org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor"), V::Any, "assignors offered to the group, most preferred first"),
    key("client.rack", K::String, D::Value(""), V::Any, "rack of this consumer, to fetch from a nearby replica"),
    key("check.crcs", K::Boolean, D::Value("true"), V::Any, "verify the checksum of fetched batches"),
    key("exclude.internal.topics", K::Boolean, D::Value("true"), V::Any, "leave internal topics out of pattern subscriptions"),
    key("allow.auto.create.topics", K::Boolean, D::Value("true"), V::Any, "let subscribing to a missing topic create it, if the broker allows"),
    key("key.deserializer", K::Class, D::Null, V::Any, "class turning key bytes into keys"),
    key("value.deserializer", K::Class, D::Null, V::Any, "class turning value bytes into values"),
];

const fn concat<const A: usize, const B: usize, const N: usize>(
    a: [KeyDef; A],
    b: [KeyDef; B],
) -> [KeyDef; N] {
    assert!(A + B == N);
    let mut out = [a[0]; N];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < N {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

static PRODUCER_KEYS: [KeyDef; 31] = concat(PRODUCER_COMMON, PRODUCER_OWN);
static CONSUMER_KEYS: [KeyDef; 36] = concat(CONSUMER_COMMON, CONSUMER_OWN);

/// The producer's table.
pub static PRODUCER: ConfigDef = ConfigDef {
    name: "producer",
    keys: &PRODUCER_KEYS,
    reject: None,
};

/// The consumer's table.
pub static CONSUMER: ConfigDef = ConfigDef {
    name: "consumer",
    keys: &CONSUMER_KEYS,
    reject: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Properties, resolve};
    use std::collections::HashSet;

    #[test]
    fn tables_have_unique_names_and_valid_defaults() {
        for table in [&PRODUCER, &CONSUMER] {
            let mut seen = HashSet::new();
            for k in table.keys {
                assert!(seen.insert(k.name), "{} twice in {}", k.name, table.name);
                if let D::Value(raw) = k.default {
                    assert!(k.parse(raw).is_ok(), "default of {}", k.name);
                }
            }
        }
    }

    #[test]
    fn client_defaults_and_validators() {
        let p = Properties::parse(
            "bootstrap.servers=a:9092, b:9092\nsecurity.protocol=ssl",
            "c",
        )
        .unwrap();
        let (c, w) = resolve(&CONSUMER, &p, &[]).unwrap();
        assert!(w.is_empty());
        assert_eq!(
            c.get_list("bootstrap.servers"),
            Some(&["a:9092".to_string(), "b:9092".to_string()][..])
        );
        assert_eq!(c.get_string("security.protocol"), Some("ssl"));
        assert_eq!(c.get_int("receive.buffer.bytes"), Some(65536));
        assert_eq!(c.get_string("auto.offset.reset"), Some("latest"));
        let p = Properties::parse("acks=2", "p").unwrap();
        let e = resolve(&PRODUCER, &p, &[]).unwrap_err().to_string();
        assert_eq!(
            e,
            "p:1: acks: '2' is not an accepted value (expected one of: all, -1, 0, 1)"
        );
        let (c, _) = resolve(&PRODUCER, &Properties::parse("", "p").unwrap(), &[]).unwrap();
        assert_eq!(c.get_int("receive.buffer.bytes"), Some(32768));
    }
}
