//! The real-Kafka test harness (tests/common/kafka.rs) against real Kafka 4.x in KRaft mode:
//! Kafka's own TopicCommand creates and describes a topic, kcat produces and consumes it.
//! Kafka 3.9 is covered by kafka_on_rkafka_coordinator.rs (ZooKeeper mode).

mod common;

use common::kafka::{KafkaBroker, KafkaVersion, TOPIC_COMMAND, kafka_tool_ok, kcat_ok};

#[test]
fn kafka_4_kraft_broker_serves_topic_command_and_kcat() {
    let broker = KafkaBroker::start_kraft(KafkaVersion::V4);
    let bootstrap = broker.bootstrap();
    let meta = broker.metadata(Some(&[])).unwrap();
    assert_eq!(meta.brokers.len(), 1);
    assert_eq!(meta.brokers[0].node_id, 1);
    assert_eq!(i32::from(broker.port), meta.brokers[0].port);

    kafka_tool_ok(
        KafkaVersion::V4,
        TOPIC_COMMAND,
        &[
            "--bootstrap-server",
            &bootstrap,
            "--create",
            "--topic",
            "harness",
            "--partitions",
            "3",
            "--replication-factor",
            "1",
        ],
        b"",
    );
    let meta = broker.metadata(Some(&["harness"])).unwrap();
    assert_eq!(meta.topics.len(), 1);
    assert_eq!(meta.topics[0].error_code, 0);
    assert_eq!(meta.topics[0].partitions.len(), 3);

    kcat_ok(
        &[
            "-b", &bootstrap, "-P", "-t", "harness", "-p", "2", "-z", "lz4",
        ],
        b"one\ntwo\nthree\n",
    );
    let consumed = kcat_ok(
        &[
            "-b",
            &bootstrap,
            "-C",
            "-t",
            "harness",
            "-p",
            "2",
            "-o",
            "beginning",
            "-e",
            "-q",
        ],
        b"",
    );
    assert_eq!(
        String::from_utf8_lossy(&consumed.stdout),
        "one\ntwo\nthree\n"
    );
}
