//! The real-Kafka test harness (tests/common/kafka.rs) in KRaft mode: Kafka 4.x with Kafka's
//! own TopicCommand and kcat, Kafka 3.9 with Kafka's console producer and consumer (and kcat
//! reading what the Java producer wrote). Kafka 3.9 in ZooKeeper mode is covered by
//! kafka_on_rkafka_coordinator.rs.

mod common;

use common::kafka::{
    CONSOLE_CONSUMER, KafkaBroker, KafkaVersion, TOPIC_COMMAND, kafka_tool_ok, kcat_ok,
};

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

#[test]
fn kafka_3_9_kraft_broker_serves_the_java_console_tools() {
    let version = KafkaVersion::V3_9;
    let broker = KafkaBroker::start_kraft(version);
    let bootstrap = broker.bootstrap();
    // The topic is auto-created by the producer's first Metadata request.
    kafka_tool_ok(
        version,
        version.console_producer(),
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "console",
            "--compression-codec",
            "zstd",
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
        ],
        b"k1:v1\nk2:v2\nk3:v3\n",
    );
    let consumed = kafka_tool_ok(
        version,
        CONSOLE_CONSUMER,
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "console",
            "--from-beginning",
            "--max-messages",
            "3",
            "--property",
            "print.key=true",
            "--property",
            "key.separator=:",
        ],
        b"",
    );
    assert_eq!(
        String::from_utf8_lossy(&consumed.stdout),
        "k1:v1\nk2:v2\nk3:v3\n"
    );
    let read = kcat_ok(
        &[
            "-b",
            &bootstrap,
            "-C",
            "-t",
            "console",
            "-o",
            "beginning",
            "-e",
            "-q",
            "-K",
            ":",
        ],
        b"",
    );
    assert_eq!(
        String::from_utf8_lossy(&read.stdout),
        "k1:v1\nk2:v2\nk3:v3\n"
    );
}

#[test]
fn missing_jars_name_the_setup_script() {
    let empty = tempfile::tempdir().unwrap();
    for version in [KafkaVersion::V3_9, KafkaVersion::V4] {
        let err = version.libs_in(empty.path()).unwrap_err();
        assert!(err.contains("tests/interop/setup.sh"), "{err}");
        assert!(err.contains(version.version()), "{err}");
        // the installed jars are found where install.sh puts them
        let libs = version.libs();
        assert!(libs.join(".complete").exists());
        assert!(
            std::fs::read_dir(&libs).unwrap().count() > 50,
            "{}",
            libs.display()
        );
    }
}

#[test]
fn a_hanging_tool_is_killed_not_waited_for() {
    let started = std::time::Instant::now();
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", "echo before; sleep 30; echo after"]);
    let out = common::kafka::run_bounded(cmd, b"", std::time::Duration::from_millis(500));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(!out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "before\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("killed after"));
}
