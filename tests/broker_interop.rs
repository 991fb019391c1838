//! Interop of the rkafka broker run through the binary (`rkafka zookeeper-server-start` +
//! `rkafka server-start`, temporary configs, ephemeral ports) with software nobody on this
//! team wrote: kcat's metadata view; kafka-python and confluent-kafka producing with every
//! codec, with and without idempotence, and consuming exactly what they produced; Kafka 4.4's
//! own TopicCommand and ConfigCommand managing topics. Also bad input on the real server:
//! malformed, oversized, unknown and corrupt requests get Kafka's answer or a closed
//! connection while a producer on another connection keeps succeeding.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use common::binary_cluster::{BinaryCluster, RawClient, batch};
use common::kafka::{KafkaVersion, TOPIC_COMMAND, kafka_tool, kafka_tool_ok, kcat_ok, tail};
use common::{repo_root, stderr, stdout, wait_until};
use rkafka::protocol::messages::{ApiVersionsRequest, MetadataRequest, Response};
use rkafka::protocol::records::{Batch, Batches, Compression};

// ---- kcat ---------------------------------------------------------------------------------

#[test]
fn kcat_lists_the_brokers_topics_partitions_and_leaders() {
    let cluster = BinaryCluster::start("");
    cluster.create_topic("meta", 4, &[]);
    cluster.create_topic("other", 1, &[]);
    let out = kcat_ok(&["-b", &cluster.bootstrap(), "-L", "-J", "-m", "10"], b"");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("kcat JSON");
    assert_eq!(v["controllerid"], 0, "{v}");
    assert_eq!(
        v["brokers"],
        serde_json::json!([{"id": 0, "name": cluster.bootstrap()}])
    );
    let topics = v["topics"].as_array().expect("topics");
    let mut names: Vec<&str> = topics.iter().filter_map(|t| t["topic"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["meta", "other"], "{v}");
    let meta = topics.iter().find(|t| t["topic"] == "meta").expect("meta");
    let partitions = meta["partitions"].as_array().expect("partitions");
    assert_eq!(partitions.len(), 4);
    for (i, p) in partitions.iter().enumerate() {
        assert_eq!(p["partition"], i);
        assert_eq!(p["leader"], 0);
        assert_eq!(p["replicas"], serde_json::json!([{"id": 0}]));
        assert_eq!(p["isrs"], serde_json::json!([{"id": 0}]));
    }
    // The plain-text view names the same broker and leader.
    let text = stdout(&kcat_ok(
        &["-b", &cluster.bootstrap(), "-L", "-t", "meta"],
        b"",
    ));
    assert!(
        text.contains(&format!("broker 0 at {} (controller)", cluster.bootstrap())),
        "{text}"
    );
    assert!(
        text.contains("partition 3, leader 0, replicas: 0, isrs: 0"),
        "{text}"
    );
}

// ---- Python clients -----------------------------------------------------------------------

const CODECS: [(&str, Compression); 5] = [
    ("none", Compression::None),
    ("gzip", Compression::Gzip),
    ("snappy", Compression::Snappy),
    ("lz4", Compression::Lz4),
    ("zstd", Compression::Zstd),
];

/// Runs tests/interop/client_matrix.py for `client` against a fresh cluster, then checks on
/// the broker's side that each topic's batches really carry the codec and, exactly for the
/// idempotent cases, a producer id with sequences.
fn client_matrix(client: &str) {
    let cluster = BinaryCluster::start("");
    let prefix = "m";
    for (codec, _) in CODECS {
        for idem in 0..2 {
            cluster.create_topic(&format!("{prefix}-{codec}-{idem}"), 3, &[]);
        }
    }
    let script = repo_root().join("tests/interop/client_matrix.py");
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(&script)
        .args([client, &cluster.bootstrap(), prefix]);
    let out = common::kafka::run_bounded(cmd, b"", Duration::from_secs(300));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert!(
        out.status.success() && lines.len() == 10,
        "{client}: {}\n{}\nbroker:\n{}",
        stdout(&out),
        tail(&stderr(&out), 40),
        tail(&cluster.broker_output(), 20)
    );
    for (i, line) in lines.iter().enumerate() {
        let (codec, idem) = (CODECS[i / 2].0, i % 2);
        assert_eq!(line, &format!("ok {client} {codec} {idem} 200"));
    }

    let mut raw = RawClient::connect(cluster.port).expect("connect");
    // librdkafka enables LZ4 only when the broker's FindCoordinator range includes v0 (its
    // stand-in for "Kafka >= 0.8.2"); without it, it sends lz4 batches uncompressed. The
    // broker advertises FindCoordinator once consumer groups are served.
    let Some(Response::ApiVersions(versions)) = raw.call(0, &ApiVersionsRequest::default()) else {
        panic!("no ApiVersions answer")
    };
    let find_coordinator_v0 = versions
        .api_keys
        .iter()
        .any(|k| k.api_key == 10 && k.min_version == 0);
    for (codec, mut compression) in CODECS {
        if client == "confluent-kafka" && codec == "lz4" && !find_coordinator_v0 {
            compression = Compression::None;
        }
        for idem in 0..2 {
            let topic = format!("{prefix}-{codec}-{idem}");
            let mut records = 0;
            for partition in 0..3 {
                for b in fetch_batches(&mut raw, &topic, partition) {
                    assert_eq!(
                        b.compression().expect("known codec"),
                        compression,
                        "{topic}-{partition}"
                    );
                    assert_eq!(
                        b.producer_id() >= 0,
                        idem == 1,
                        "{topic}-{partition}: producer id {}",
                        b.producer_id()
                    );
                    assert_eq!(b.base_sequence() >= 0, idem == 1, "{topic}-{partition}");
                    records += b.record_count();
                }
            }
            assert_eq!(records, 200, "{topic}");
        }
    }
}

/// Every batch of a partition (one fetch of up to 1 MiB is enough for these small topics).
fn fetch_batches(
    raw: &mut RawClient,
    topic: &str,
    partition: i32,
) -> Vec<rkafka::protocol::records::RecordBatch> {
    use rkafka::protocol::messages::fetch_request::{FetchPartition, FetchTopic};
    let req = rkafka::protocol::messages::FetchRequest {
        replica_id: -1,
        max_bytes: 50 << 20,
        session_epoch: -1,
        topics: vec![FetchTopic {
            topic: topic.into(),
            partitions: vec![FetchPartition {
                partition,
                current_leader_epoch: -1,
                last_fetched_epoch: -1,
                log_start_offset: -1,
                partition_max_bytes: 1 << 20,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let Some(Response::Fetch(r)) = raw.call(11, &req) else {
        panic!("no fetch answer")
    };
    let p = &r.responses[0].partitions[0];
    assert_eq!(p.error_code, 0);
    Batches::new(p.records.clone().expect("records"))
        .map(|b| match b.expect("a batch") {
            Batch::V2(b) => b,
            Batch::Legacy(_) => panic!("legacy batch"),
        })
        .collect()
}

#[test]
fn kafka_python_round_trips_every_codec_with_and_without_idempotence() {
    client_matrix("kafka-python");
}

#[test]
fn confluent_kafka_round_trips_every_codec_with_and_without_idempotence() {
    client_matrix("confluent-kafka");
}

// ---- Kafka's own tools --------------------------------------------------------------------

#[test]
fn kafkas_topic_and_config_commands_manage_topics_on_rkafka() {
    let cluster = BinaryCluster::start("");
    let bootstrap = cluster.bootstrap();
    let kafka = |args: &[&str]| {
        let mut all = vec!["--bootstrap-server", bootstrap.as_str()];
        all.extend_from_slice(args);
        kafka_tool_ok(KafkaVersion::V4, TOPIC_COMMAND, &all, b"")
    };
    let out = kafka(&[
        "--create",
        "--topic",
        "kt",
        "--partitions",
        "2",
        "--replication-factor",
        "1",
        "--config",
        "retention.ms=3600000",
    ]);
    assert_eq!(stdout(&out), "Created topic kt.\n");
    cluster.wait_led("kt", 2);
    assert_eq!(stdout(&kafka(&["--list"])), "kt\n");

    // Kafka's describe of an rkafka topic, and rkafka's describe of it, are the same text
    // (no ELR columns' data: a ZooKeeper-era broker has no DescribeTopicPartitions).
    let described = stdout(&kafka(&["--describe", "--topic", "kt"]));
    let mut lines = described.lines();
    let head = lines.next().expect("a topic line");
    assert!(
        head.starts_with("Topic: kt\tTopicId: ")
            && head.ends_with(
                "\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: retention.ms=3600000"
            ),
        "{described}"
    );
    for p in 0..2 {
        assert_eq!(
            lines.next(),
            Some(
                format!(
                    "\tTopic: kt\tPartition: {p}\tLeader: 0\tReplicas: 0\tIsr: 0\tElr: N/A\tLastKnownElr: N/A"
                )
                .as_str()
            ),
            "{described}"
        );
    }
    let ours = cluster.rkafka_bootstrap(&["topics", "--describe", "--topic", "kt"]);
    assert_eq!(stdout(&ours), described, "{}", stderr(&ours));

    // Partitions grow; the new ones get leaders.
    assert_eq!(
        stdout(&kafka(&["--alter", "--topic", "kt", "--partitions", "5"])),
        ""
    );
    cluster.wait_led("kt", 5);
    let described = stdout(&kafka(&["--describe", "--topic", "kt"]));
    assert!(described.contains("\tPartitionCount: 5\t"), "{described}");
    assert!(
        described.contains("\tTopic: kt\tPartition: 4\tLeader: 0\tReplicas: 0\tIsr: 0"),
        "{described}"
    );
    // Kafka 4's TopicCommand refuses --alter --config; its ConfigCommand is the tool for it.
    let out = kafka_tool_ok(
        KafkaVersion::V4,
        "org.apache.kafka.tools.ConfigCommand",
        &[
            "--bootstrap-server",
            &bootstrap,
            "--alter",
            "--entity-type",
            "topics",
            "--entity-name",
            "kt",
            "--add-config",
            "cleanup.policy=compact,max.message.bytes=200000",
            "--delete-config",
            "retention.ms",
        ],
        b"",
    );
    assert_eq!(stdout(&out), "Completed updating config for topic kt.\n");
    let mut described = String::new();
    assert!(
        wait_until(Duration::from_secs(10), || {
            described = stdout(&kafka(&["--describe", "--topic", "kt"]));
            described.lines().next().is_some_and(|l| {
                l.ends_with("\tConfigs: cleanup.policy=compact,max.message.bytes=200000")
            })
        }),
        "{described}"
    );
    let ours = cluster.rkafka_bootstrap(&["topics", "--describe", "--topic", "kt"]);
    assert_eq!(stdout(&ours), described, "{}", stderr(&ours));
    // The broker applies the new limit: a 300 kB record is refused now.
    let mut raw = RawClient::connect(cluster.port).expect("connect");
    let big = vec![b'b'; 300_000];
    assert_eq!(
        raw.produce("kt", 0, batch(&[&big], Compression::None), 1)
            .map(|r| r.0),
        Some(10),
        "MESSAGE_TOO_LARGE under the altered max.message.bytes"
    );

    // Refusals come back with Kafka's own messages.
    let out = kafka_tool(
        KafkaVersion::V4,
        TOPIC_COMMAND,
        &[
            "--bootstrap-server",
            &bootstrap,
            "--create",
            "--topic",
            "kt",
        ],
        b"",
    );
    assert_eq!(common::code(&out), 1);
    assert!(
        stdout(&out).contains("Topic 'kt' already exists."),
        "{}",
        stdout(&out)
    );
    // The refused create left the topic's overrides alone.
    assert_eq!(
        stdout(&kafka(&["--describe", "--topic", "kt"])),
        described,
        "configs after a refused create"
    );

    assert_eq!(stdout(&kafka(&["--delete", "--topic", "kt"])), "");
    assert!(
        wait_until(Duration::from_secs(20), || stdout(&kafka(&["--list"]))
            == "\n"),
        "topic not deleted:\n{}",
        tail(&cluster.broker_output(), 30)
    );
    assert!(
        !cluster.log_dir().join("kt-0").exists() || {
            wait_until(Duration::from_secs(10), || {
                !cluster.log_dir().join("kt-0").exists()
            })
        },
        "the partition directory stays"
    );
}

// ---- bad input ----------------------------------------------------------------------------

/// Writes `bytes` on a fresh connection and returns what came back before the broker closed
/// it (None when it answered but kept the connection open past the read timeout).
fn closed_after(port: u16, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let _ = s.write_all(bytes);
    let mut got = Vec::new();
    match s.read_to_end(&mut got) {
        Ok(_) => Some(got),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            ) =>
        {
            Some(got)
        }
        Err(_) => None,
    }
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut v = u32::try_from(body.len())
        .expect("small")
        .to_be_bytes()
        .to_vec();
    v.extend_from_slice(body);
    v
}

/// A request header v1 (key, version, correlation id 9, client id "t") followed by `body`.
fn header_v1(key: i16, version: i16, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&key.to_be_bytes());
    v.extend_from_slice(&version.to_be_bytes());
    v.extend_from_slice(&9i32.to_be_bytes());
    v.extend_from_slice(&[0, 1, b't']);
    v.extend_from_slice(body);
    framed(&v)
}

#[test]
fn bad_input_is_refused_while_another_producer_keeps_succeeding() {
    let cluster = BinaryCluster::start("socket.request.max.bytes=1048576\n");
    cluster.create_topic("good", 1, &[]);
    cluster.create_topic("target", 1, &["max.message.bytes=10000"]);

    let stop = Arc::new(AtomicBool::new(false));
    let port = cluster.port;
    let producer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut c = RawClient::connect(port).expect("connect");
            let mut acked = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) || acked.len() < 50 {
                let v = format!("good-{i}");
                let answer = c.produce("good", 0, batch(&[v.as_bytes()], Compression::Lz4), 1);
                assert_eq!(answer.map(|a| a.0), Some(0), "good produce {i} failed");
                acked.push(v);
                i += 1;
            }
            acked
        })
    };

    // Frames the server cannot or must not read: the connection is closed, nothing answered.
    let over = 2_000_000u32.to_be_bytes();
    assert_eq!(closed_after(port, &over), Some(vec![]), "oversized frame");
    assert_eq!(
        closed_after(port, &[0xff, 0xff, 0xff, 0xf0]),
        Some(vec![]),
        "negative length"
    );
    assert_eq!(
        closed_after(port, &header_v1(7777, 0, &[])),
        Some(vec![]),
        "unknown API key"
    );
    assert_eq!(
        closed_after(port, &header_v1(3, 99, &[0, 0, 0, 0])),
        Some(vec![]),
        "unsupported Metadata version"
    );
    // Metadata v1 whose topic array claims a million entries with four bytes behind it.
    assert_eq!(
        closed_after(port, &header_v1(3, 1, &[0, 0x0f, 0x42, 0x40, 0, 1])),
        Some(vec![]),
        "malformed body"
    );
    assert_eq!(
        closed_after(port, &framed(&[0, 3])),
        Some(vec![]),
        "truncated header"
    );
    for round in 0..50u8 {
        let noise: Vec<u8> = (0..40)
            .map(|i: u8| i.wrapping_mul(37).wrapping_add(round))
            .collect();
        assert!(
            closed_after(port, &framed(&noise)).is_some(),
            "noise {round} left the connection hanging"
        );
    }

    // ApiVersions at a version from the future (header v2: an empty tagged-field section,
    // then a body the broker cannot know): UNSUPPORTED_VERSION (35) in a v0 answer.
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s.write_all(&header_v1(18, 42, &[0, 0xde, 0xad, 0xbe, 0xef]))
        .expect("write");
    let mut head = [0u8; 10];
    s.read_exact(&mut head).expect("an answer");
    assert_eq!(&head[4..10], &[0, 0, 0, 9, 0, 35]);

    // Requests the broker reads but refuses: Kafka's error codes, the connection stays.
    let mut c = RawClient::connect(port).expect("connect");
    let mut corrupt = BytesMut::from(&batch(&[b"payload"], Compression::Gzip)[..]);
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    assert_eq!(
        c.produce("target", 0, corrupt.freeze(), 1).map(|a| a.0),
        Some(2),
        "CORRUPT_MESSAGE"
    );
    let mut bad_magic = BytesMut::from(&batch(&[b"payload"], Compression::None)[..]);
    bad_magic[16] = 7;
    let code = c.produce("target", 0, bad_magic.freeze(), 1).map(|a| a.0);
    assert!(
        matches!(code, Some(2) | Some(87)),
        "unknown magic: CORRUPT_MESSAGE or INVALID_RECORD, got {code:?}"
    );
    let big = vec![b'x'; 20_000];
    assert_eq!(
        c.produce("target", 0, batch(&[&big], Compression::None), 1)
            .map(|a| a.0),
        Some(10),
        "MESSAGE_TOO_LARGE"
    );
    assert_eq!(
        c.produce("target", 5, batch(&[b"x"], Compression::None), 1)
            .map(|a| a.0),
        Some(3),
        "UNKNOWN_TOPIC_OR_PARTITION"
    );
    assert_eq!(
        c.produce("target", 0, batch(&[b"x"], Compression::None), 3)
            .map(|a| a.0),
        Some(21),
        "INVALID_REQUIRED_ACKS"
    );
    let Some(Response::ApiVersions(v)) = c.call(0, &ApiVersionsRequest::default()) else {
        panic!("the connection survived its refused requests")
    };
    assert_eq!(v.error_code, 0);
    assert_eq!(
        c.produce("target", 0, batch(&[b"fits"], Compression::None), 1),
        Some((0, 0)),
        "nothing refused reached the log"
    );

    stop.store(true, Ordering::Relaxed);
    let acked = producer.join().expect("the good producer never failed");
    let mut c = RawClient::connect(port).expect("connect");
    let got: Vec<Vec<u8>> = c.read_all("good", 0).into_iter().map(|(_, v)| v).collect();
    let want: Vec<Vec<u8>> = acked.into_iter().map(String::into_bytes).collect();
    assert_eq!(got, want, "the good producer's records, in order");
    // Still one broker, still serving.
    let Some(Response::Metadata(m)) = c.call(
        1,
        &MetadataRequest {
            topics: None,
            ..Default::default()
        },
    ) else {
        panic!()
    };
    assert_eq!(m.topics.len(), 2);
    assert!(!cluster.broker_output().contains("panicked"));
}
