//! A real Kafka 3.9 broker in ZooKeeper mode on rkafka's coordinator: the broker registers
//! (/brokers/ids/0), wins /controller, creates a topic for Kafka's own TopicCommand, and
//! serves kcat's produce and consume, a kcat consumer group whose offsets Kafka's
//! ConsumerGroupCommand reads back, and a clean restart. Everything Kafka keeps in ZooKeeper
//! (cluster id, broker registration, controller election, topic assignment, partition state,
//! __consumer_offsets creation, session close on shutdown) goes through rkafka's coordinator,
//! and the znodes are read back over the ZooKeeper protocol.

mod common;

use std::time::Duration;

use common::kafka::{
    CONSUMER_GROUP_COMMAND, KafkaBroker, KafkaVersion, TOPIC_COMMAND, kafka_tool_ok, kcat_ok,
};
use rkafka::coordinator::{Coordinator, CoordinatorSettings};

/// rkafka's coordinator, in-process on an ephemeral port with ZooKeeper's default timing
/// (tickTime 3000: Kafka's 18 s session timeout fits). In-process rather than as
/// `rkafka zookeeper-server-start`, because `zookeeper-server-stop` (run by other test suites
/// on the same machine) stops every coordinator process it finds. `RKAFKA_LOG=debug` shows
/// its log on stderr.
struct InProcessCoordinator {
    runtime: tokio::runtime::Runtime,
    server: Option<Coordinator>,
    port: u16,
}

impl InProcessCoordinator {
    fn start(dir: &std::path::Path) -> InProcessCoordinator {
        if let Ok(filter) = std::env::var("RKAFKA_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_writer(std::io::stderr)
                .try_init();
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let settings = CoordinatorSettings {
            data_dir: dir.join("zk-data"),
            client_addr: "127.0.0.1:0".parse().unwrap(),
            max_client_cnxns: 0,
            four_letter_whitelist: vec!["*".into()],
            ..CoordinatorSettings::default()
        };
        let server = runtime.block_on(Coordinator::start(settings)).unwrap();
        let port = server.local_addr().port();
        InProcessCoordinator {
            runtime,
            server: Some(server),
            port,
        }
    }
}

impl Drop for InProcessCoordinator {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = self.runtime.block_on(server.shutdown());
        }
    }
}

#[test]
fn kafka_3_9_runs_on_rkafka_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let coordinator = InProcessCoordinator::start(dir.path());
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

    // What Kafka keeps in the coordinator, read back over the ZooKeeper protocol. The test's
    // client does not ping, so each phase opens a new session (6 s timeout).
    let zk_addr: std::net::SocketAddr = ([127, 0, 0, 1], coordinator.port).into();
    let mut zk = common::zk::Client::connect(zk_addr);
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
    let mut zk = common::zk::Client::connect(zk_addr);
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
    let mut zk = common::zk::Client::connect(zk_addr);
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

/// The seed's scenario 1 with rkafka's tools driving a real Kafka 3.9 broker: the topic is
/// created with `kafka-topics.sh --create --zookeeper ...` exactly as the operator typed it
/// (rkafka writes Kafka's znodes, Kafka's controller makes the partitions), `--list` and
/// `--describe` agree with Kafka's own TopicCommand, and 10,000 lines go through with kcat.
#[test]
fn rkafka_topics_zookeeper_mode_drives_a_real_kafka_broker() {
    let dir = tempfile::tempdir().unwrap();
    let coordinator = InProcessCoordinator::start(dir.path());
    let zookeeper = format!("127.0.0.1:{}", coordinator.port);
    let broker = KafkaBroker::start_zk(KafkaVersion::V3_9, &zookeeper);
    let bootstrap = broker.bootstrap();
    let topics = common::link_as(dir.path(), "kafka-topics.sh");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&topics)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kafka-topics.sh {args:?}: {}",
            common::stderr(&out)
        );
        common::stdout(&out)
    };

    let created = run(&[
        "--create",
        "--zookeeper",
        &zookeeper,
        "--replication-factor",
        "1",
        "--partitions",
        "6",
        "--topic",
        "test",
    ]);
    assert_eq!(created.trim(), "Created topic test.");
    broker.wait_for_topic("test", 6, Duration::from_secs(30));
    assert_eq!(run(&["--list", "--zookeeper", &zookeeper]).trim(), "test");

    // Kafka's controller wrote the partition state; both tools describe the same topic.
    let ours = run(&["--describe", "--zookeeper", &zookeeper, "--topic", "test"]);
    let kafka = kafka_tool_ok(
        KafkaVersion::V3_9,
        TOPIC_COMMAND,
        &[
            "--bootstrap-server",
            &bootstrap,
            "--describe",
            "--topic",
            "test",
        ],
        b"",
    );
    let kafka = common::stdout(&kafka);
    assert_eq!(ours.lines().count(), 7, "{ours}");
    assert!(ours.contains("\tLeader: 0\tReplicas: 0\tIsr: 0"), "{ours}");
    // The partition lines are the same; the topic line differs only in the configs Kafka's
    // broker reports (its own defaults when asked over the Kafka protocol).
    let partitions = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with('\t'))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        partitions(&ours),
        partitions(&kafka),
        "ours:\n{ours}\nkafka:\n{kafka}"
    );
    let topic_id = |text: &str| text.split("TopicId: ").nth(1).map(|r| r[..22].to_string());
    assert_eq!(topic_id(&ours), topic_id(&kafka));

    let lines: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
    kcat_ok(
        &["-b", &bootstrap, "-P", "-t", "test", "-z", "lz4"],
        lines.as_bytes(),
    );
    let consumed = kcat_ok(
        &[
            "-b",
            &bootstrap,
            "-C",
            "-t",
            "test",
            "-o",
            "beginning",
            "-e",
            "-q",
        ],
        b"",
    );
    let mut got: Vec<&str> = std::str::from_utf8(&consumed.stdout)
        .unwrap()
        .lines()
        .collect();
    let mut want: Vec<&str> = lines.lines().collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got.len(), 10_000);
    assert!(got == want, "consumed lines differ from the produced ones");
}
