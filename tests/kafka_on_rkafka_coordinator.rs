//! A real Kafka 3.9 broker in ZooKeeper mode on rkafka's coordinator: the broker registers
//! (/brokers/ids/0), wins /controller, creates a topic for Kafka's own TopicCommand, and
//! serves kcat's produce and consume. Everything Kafka keeps in ZooKeeper (cluster id, broker
//! registration, controller election, topic assignment, partition state, ISR changes) goes
//! through rkafka's coordinator here.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::kafka::{
    CONSUMER_GROUP_COMMAND, KafkaBroker, KafkaVersion, TOPIC_COMMAND, kafka_tool_ok, kcat_ok, tail,
};
use common::{KillOnDrop, four_letter_word, free_port, rkafka_bin, wait_until};

/// rkafka's coordinator as a separate process (`rkafka zookeeper-server-start`), its log in
/// `<dir>/coordinator.log` (level from RKAFKA_LOG, default info).
struct CoordinatorProcess {
    port: u16,
    log: std::path::PathBuf,
    _child: KillOnDrop,
}

impl CoordinatorProcess {
    fn start(dir: &std::path::Path) -> CoordinatorProcess {
        let port = free_port();
        let config = dir.join("zookeeper.properties");
        std::fs::write(
            &config,
            format!(
                "dataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\n\
                 admin.enableServer=false\n4lw.commands.whitelist=*\n",
                dir.join("zk-data").display()
            ),
        )
        .unwrap();
        let log = dir.join("coordinator.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(rkafka_bin())
            .arg("zookeeper-server-start")
            .arg(&config)
            .env(
                "RKAFKA_LOG",
                std::env::var("RKAFKA_LOG").unwrap_or_else(|_| "info".to_owned()),
            )
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let coordinator = CoordinatorProcess {
            port,
            log,
            _child: KillOnDrop(child),
        };
        assert!(
            wait_until(Duration::from_secs(10), || four_letter_word(port, "ruok")
                .as_deref()
                == Some("imok")),
            "the coordinator did not answer ruok:\n{}",
            coordinator.log_tail()
        );
        coordinator
    }

    fn log_tail(&self) -> String {
        tail(&std::fs::read_to_string(&self.log).unwrap_or_default(), 60)
    }
}

#[test]
fn kafka_3_9_runs_on_rkafka_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let coordinator = CoordinatorProcess::start(dir.path());
    let connect = format!("127.0.0.1:{}/kafka", coordinator.port);
    // Few __consumer_offsets partitions: the controller creates each one's state znode.
    let mut broker = KafkaBroker::start_zk_with(
        KafkaVersion::V3_9,
        &connect,
        &[("offsets.topic.num.partitions", "4")],
    );
    let bootstrap = broker.bootstrap();

    let meta = broker.metadata(Some(&[])).unwrap();
    assert_eq!(meta.brokers.len(), 1);
    assert_eq!(meta.brokers[0].node_id, 0);
    assert_eq!(meta.controller_id, 0, "the only broker is the controller");

    // The controller writes the assignment to /brokers/topics/rkc, reacts to its own watch,
    // creates the partition state znodes and makes broker 0 the leader of all three.
    kafka_tool_ok(
        KafkaVersion::V3_9,
        TOPIC_COMMAND,
        &[
            "--bootstrap-server",
            &bootstrap,
            "--create",
            "--topic",
            "rkc",
            "--partitions",
            "3",
            "--replication-factor",
            "1",
        ],
        b"",
    );
    broker.wait_for_topic("rkc", 3, Duration::from_secs(20));
    let described = kafka_tool_ok(
        KafkaVersion::V3_9,
        TOPIC_COMMAND,
        &[
            "--bootstrap-server",
            &bootstrap,
            "--describe",
            "--topic",
            "rkc",
        ],
        b"",
    );
    let described = String::from_utf8_lossy(&described.stdout);
    assert!(
        described.contains("PartitionCount: 3") && described.contains("Leader: 0"),
        "{described}"
    );

    let lines: Vec<String> = (0..20).map(|i| format!("line-{i}")).collect();
    let input = lines.join("\n") + "\n";
    kcat_ok(
        &["-b", &bootstrap, "-P", "-t", "rkc", "-p", "1", "-z", "lz4"],
        input.as_bytes(),
    );
    let consumed = kcat_ok(
        &[
            "-b",
            &bootstrap,
            "-C",
            "-t",
            "rkc",
            "-p",
            "1",
            "-o",
            "beginning",
            "-e",
            "-q",
        ],
        b"",
    );
    let consumed = String::from_utf8(consumed.stdout).unwrap();
    assert_eq!(consumed.lines().collect::<Vec<_>>(), lines);

    // What Kafka keeps in the coordinator, read back over the ZooKeeper protocol.
    let mut zk =
        common::zk::Client::connect(format!("127.0.0.1:{}", coordinator.port).parse().unwrap());
    let (registration, stat) = zk.get("/kafka/brokers/ids/0", false).unwrap();
    let registration = String::from_utf8(registration).unwrap();
    assert!(
        registration.contains(&format!("\"port\":{}", broker.port)),
        "{registration}"
    );
    assert_ne!(stat.ephemeral_owner, 0, "broker registration is ephemeral");
    let (controller, stat) = zk.get("/kafka/controller", false).unwrap();
    assert!(
        String::from_utf8(controller)
            .unwrap()
            .contains("\"brokerid\":0")
    );
    assert_ne!(stat.ephemeral_owner, 0, "controller znode is ephemeral");
    let (assignment, _) = zk.get("/kafka/brokers/topics/rkc", false).unwrap();
    let assignment = String::from_utf8(assignment).unwrap();
    assert!(
        assignment.contains("\"partitions\":{\"0\":[0],\"1\":[0],\"2\":[0]}"),
        "{assignment}"
    );
    let (state, _) = zk
        .get("/kafka/brokers/topics/rkc/partitions/1/state", false)
        .unwrap();
    let state = String::from_utf8(state).unwrap();
    assert!(
        state.contains("\"leader\":0") && state.contains("\"isr\":[0]"),
        "{state}"
    );
    let (cluster, _) = zk.get("/kafka/cluster/id", false).unwrap();
    assert!(String::from_utf8(cluster).unwrap().contains("\"id\":"));

    // A balanced consumer group: the broker creates __consumer_offsets through the
    // coordinator, kcat consumes all 20 lines and commits, Kafka's ConsumerGroupCommand sees
    // the committed offset.
    let grouped = kcat_ok(
        &[
            "-b",
            &bootstrap,
            "-G",
            "rkc-group",
            "-q",
            "-e",
            "-X",
            "auto.offset.reset=earliest",
            "rkc",
        ],
        b"",
    );
    let mut got: Vec<String> = String::from_utf8(grouped.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    got.sort();
    let mut want = lines.clone();
    want.sort();
    assert_eq!(got, want);
    let offsets = zk.get("/kafka/brokers/topics/__consumer_offsets", false);
    assert!(
        offsets.is_ok(),
        "no __consumer_offsets assignment: {offsets:?}"
    );
    let described = kafka_tool_ok(
        KafkaVersion::V3_9,
        CONSUMER_GROUP_COMMAND,
        &[
            "--bootstrap-server",
            &bootstrap,
            "--describe",
            "--group",
            "rkc-group",
        ],
        b"",
    );
    let described = String::from_utf8_lossy(&described.stdout);
    let row = described
        .lines()
        .find(|l| l.split_whitespace().take(3).eq(["rkc-group", "rkc", "1"]))
        .unwrap_or_else(|| panic!("no row for partition 1:\n{described}"));
    let current: Vec<&str> = row.split_whitespace().skip(3).take(2).collect();
    assert_eq!(
        current,
        ["20", "20"],
        "CURRENT-OFFSET and LOG-END-OFFSET: {row}"
    );

    // A clean restart: closing the broker's session removes its ephemeral znodes, the new
    // session registers again and wins the controller election again, the data is still there.
    let (_, before) = zk.get("/kafka/brokers/ids/0", false).unwrap();
    broker.restart();
    let (_, after) = zk.get("/kafka/brokers/ids/0", false).unwrap();
    assert_ne!(
        after.ephemeral_owner, before.ephemeral_owner,
        "a new session registered"
    );
    assert_eq!(broker.metadata(Some(&[])).unwrap().controller_id, 0);
    broker.wait_for_topic("rkc", 3, Duration::from_secs(30));
    let again = kcat_ok(
        &[
            "-b",
            &bootstrap,
            "-C",
            "-t",
            "rkc",
            "-p",
            "1",
            "-o",
            "beginning",
            "-e",
            "-q",
        ],
        b"",
    );
    assert_eq!(String::from_utf8(again.stdout).unwrap(), input);
}
