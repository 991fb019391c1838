//! `rkafka topics --zookeeper`, run as the operator types it, against rkafka's coordinator
//! (started in-process) and against a real Apache ZooKeeper: the znodes written must be
//! Kafka's, and the output Kafka's TopicCommand text.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rkafka::coordinator::client::{Acl, ClientConfig, CreateMode, ZkClient};
use rkafka::coordinator::kafka_paths::{
    BrokerRegistration, Endpoint, EntityConfig, PartitionState, Reassignment, TopicAssignment,
    Uuid, path,
};
use rkafka::coordinator::{Coordinator, CoordinatorSettings};

mod common;
use common::{KillOnDrop, code, free_port, rkafka, stderr, stdout, wait_until};

/// A ZooKeeper-protocol server, a session on it for the fake brokers, and a runtime.
/// Fields drop in order: the session and servers before the runtime that drives them.
struct Cluster {
    connect: String,
    zk: ZkClient,
    _coordinator: Option<Coordinator>,
    _real_zk: Option<KillOnDrop>,
    _dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

impl Cluster {
    /// rkafka's coordinator on 127.0.0.1:0.
    fn coordinator() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime();
        let settings = CoordinatorSettings {
            data_dir: dir.path().to_path_buf(),
            client_addr: "127.0.0.1:0".parse().unwrap(),
            tick_time_ms: 200,
            min_session_timeout_ms: 1000,
            max_session_timeout_ms: 30_000,
            max_client_cnxns: 0,
            four_letter_whitelist: vec!["*".into()],
            ..CoordinatorSettings::default()
        };
        let coordinator = rt.block_on(Coordinator::start(settings)).unwrap();
        let connect = coordinator.local_addr().to_string();
        let zk = rt.block_on(connect_client(&connect));
        Cluster {
            rt,
            connect,
            zk,
            _coordinator: Some(coordinator),
            _real_zk: None,
            _dir: dir,
        }
    }

    /// Apache ZooKeeper 3.8 (the Debian package) on a free port.
    fn real_zookeeper() -> Cluster {
        let script = Path::new("/usr/share/zookeeper/bin/zkServer.sh");
        assert!(
            script.exists(),
            "Apache ZooKeeper is not installed ({} is missing): run tests/interop/setup.sh",
            script.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let cfg = dir.path().join("zoo.cfg");
        std::fs::write(
            &cfg,
            format!(
                "tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir={}\nclientPort={port}\n\
                 clientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=*\n",
                data.display()
            ),
        )
        .unwrap();
        let child = Command::new(script)
            .arg("start-foreground")
            .arg(&cfg)
            .env("ZOO_LOG_DIR", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("zkServer.sh starts");
        let guard = KillOnDrop(child);
        assert!(
            wait_until(Duration::from_secs(60), || {
                common::four_letter_word(port, "ruok").is_some_and(|a| a.contains("imok"))
            }),
            "ZooKeeper did not answer ruok on port {port}"
        );
        let rt = runtime();
        let connect = format!("127.0.0.1:{port}");
        let zk = rt.block_on(connect_client(&connect));
        Cluster {
            rt,
            connect,
            zk,
            _coordinator: None,
            _real_zk: Some(guard),
            _dir: dir,
        }
    }

    /// Registers broker `id` as Kafka 3.9 does: an ephemeral /brokers/ids/<id> with v5 JSON.
    fn register_broker(&self, id: i32) {
        let reg = BrokerRegistration::new(
            &[Endpoint {
                listener: "PLAINTEXT".into(),
                security_protocol: "PLAINTEXT".into(),
                host: "localhost".into(),
                port: 9092 + id as u16,
            }],
            None,
            1_700_000_000_000,
        );
        self.rt.block_on(async {
            for p in ["/brokers", "/brokers/ids"] {
                let _ = self
                    .zk
                    .create(p, &[], &Acl::open_unsafe(), CreateMode::Persistent)
                    .await;
            }
            self.zk
                .create(
                    &path::broker(id),
                    &reg.encode(),
                    &Acl::open_unsafe(),
                    CreateMode::Ephemeral,
                )
                .await
                .unwrap();
        });
    }

    /// Writes a partition's state as Kafka's controller does.
    fn set_state(&self, topic: &str, partition: i32, leader: i32, isr: &[i32]) {
        let state = PartitionState {
            controller_epoch: 1,
            leader,
            version: 1,
            leader_epoch: 0,
            isr: isr.to_vec(),
            leader_recovery_state: None,
        };
        self.rt.block_on(async {
            for p in [
                path::topic_partitions(topic),
                path::topic_partition(topic, partition),
            ] {
                let _ = self
                    .zk
                    .create(&p, &[], &Acl::open_unsafe(), CreateMode::Persistent)
                    .await;
            }
            self.zk
                .create(
                    &path::partition_state(topic, partition),
                    &state.encode(),
                    &Acl::open_unsafe(),
                    CreateMode::Persistent,
                )
                .await
                .unwrap();
        });
    }

    fn data(&self, p: &str) -> Option<Vec<u8>> {
        self.rt
            .block_on(self.zk.get_data(p, false))
            .ok()
            .map(|(d, _)| d.to_vec())
    }

    fn assignment(&self, topic: &str) -> TopicAssignment {
        TopicAssignment::decode(&self.data(&path::topic(topic)).expect("topic znode")).unwrap()
    }

    /// `rkafka topics --zookeeper <this> ARGS`.
    fn topics(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["topics", "--zookeeper", &self.connect];
        all.extend_from_slice(args);
        rkafka(&all)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn connect_client(connect: &str) -> ZkClient {
    let mut cfg = ClientConfig::new(connect);
    cfg.connect_timeout = Duration::from_secs(20);
    ZkClient::connect(cfg)
        .await
        .expect("test client connects")
        .0
}

fn create_test_topic(c: &Cluster) -> std::process::Output {
    c.topics(&[
        "--create",
        "--replication-factor",
        "1",
        "--partitions",
        "6",
        "--topic",
        "test",
    ])
}

fn expected_describe(topic: &str, id: &str, leaders: &[Option<i32>]) -> String {
    let mut s = format!(
        "Topic: {topic}\tTopicId: {id}\tPartitionCount: {}\tReplicationFactor: 1\tConfigs: \n",
        leaders.len()
    );
    for (p, l) in leaders.iter().enumerate() {
        let (leader, isr) = match l {
            Some(l) => (l.to_string(), l.to_string()),
            None => ("none".to_string(), String::new()),
        };
        s.push_str(&format!(
            "\tTopic: {topic}\tPartition: {p}\tLeader: {leader}\tReplicas: 1\tIsr: {isr}\tElr: N/A\tLastKnownElr: N/A\n"
        ));
    }
    s
}

/// The seed's create, list and describe, and what they leave in ZooKeeper.
fn seed_workflow(c: &Cluster) {
    c.register_broker(1);
    let out = create_test_topic(c);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "Created topic test.\n");

    // Kafka's znodes: config first, then the assignment with a fresh topic id.
    let assignment = c.assignment("test");
    assert_eq!(assignment.version, 3);
    assert_eq!(assignment.partitions.len(), 6);
    assert!(assignment.partitions.values().all(|r| r == &[1]));
    assert!(assignment.adding_replicas.is_empty() && assignment.removing_replicas.is_empty());
    let id = assignment.topic_id.clone().expect("topic id");
    let parsed = Uuid::parse(&id).expect("Kafka's base64 uuid");
    assert_ne!(parsed, Uuid::ZERO);
    let raw: serde_json::Value =
        serde_json::from_slice(&c.data(&path::topic("test")).unwrap()).unwrap();
    assert_eq!(raw["partitions"]["5"], serde_json::json!([1]));
    assert_eq!(raw["adding_replicas"], serde_json::json!({}));
    let config = EntityConfig::decode(&c.data(&path::topic_config("test")).unwrap()).unwrap();
    assert_eq!(config, EntityConfig::new(BTreeMap::new()));

    let out = c.topics(&["--list"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "test\n");

    // No controller has elected leaders yet.
    let out = c.topics(&["--describe", "--topic", "test"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), expected_describe("test", &id, &[None; 6]));

    // As Kafka's controller would: leaders and ISR.
    for p in 0..6 {
        c.set_state("test", p, 1, &[1]);
    }
    let out = c.topics(&["--describe", "--topic", "test"]);
    assert_eq!(stdout(&out), expected_describe("test", &id, &[Some(1); 6]));
}

#[test]
fn seed_workflow_against_the_coordinator() {
    let c = Cluster::coordinator();
    seed_workflow(&c);

    // The seed's spelling: single dashes, hosts separated by spaces.
    let host2 = c.connect.replace("127.0.0.1", "localhost");
    let out = rkafka(&["topics", "-zookeeper", &c.connect, &host2, "-list"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "test\n");

    // Through a link named like Kafka's script.
    let dir = tempfile::tempdir().unwrap();
    let link = common::link_as(dir.path(), "kafka-topics.sh");
    let out = Command::new(link)
        .args(["--describe", "--zookeeper", &c.connect, "--topic", "te.*"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 7);
}

#[test]
fn seed_workflow_against_real_zookeeper() {
    let c = Cluster::real_zookeeper();
    seed_workflow(&c);
    let out = c.topics(&["--alter", "--topic", "test", "--partitions", "8"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(c.assignment("test").partitions.len(), 8);
    let out = c.topics(&["--delete", "--topic", "test"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(c.data(&path::delete_topic("test")).is_some());
}

#[test]
fn replication_factor_larger_than_the_brokers() {
    let c = Cluster::coordinator();
    c.register_broker(1);
    let out = c.topics(&[
        "--create",
        "--replication-factor",
        "3",
        "--partitions",
        "6",
        "--topic",
        "test",
    ]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("Replication factor: 3 larger than available brokers: 1."),
        "{}",
        stderr(&out)
    );
    assert!(c.data(&path::topic("test")).is_none(), "nothing written");
    assert!(
        c.data(&path::topic_config("test")).is_none(),
        "nothing written"
    );
}

#[test]
fn no_registered_broker_is_the_replication_factor_error() {
    let c = Cluster::coordinator();
    let out = create_test_topic(&c);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("Replication factor: 1 larger than available brokers: 0."),
        "{}",
        stderr(&out)
    );
}

#[test]
fn existing_topics_and_unknown_topics() {
    let c = Cluster::coordinator();
    c.register_broker(1);
    assert_eq!(code(&create_test_topic(&c)), 0);
    let out = create_test_topic(&c);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("Topic 'test' already exists."),
        "{}",
        stderr(&out)
    );
    let out = c.topics(&[
        "--create",
        "--if-not-exists",
        "--replication-factor",
        "1",
        "--partitions",
        "6",
        "--topic",
        "test",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "");

    for action in ["--describe", "--delete"] {
        let out = c.topics(&[action, "--topic", "nope"]);
        assert_eq!(code(&out), 1, "{action}");
        assert!(
            stderr(&out).contains("Topic 'nope' does not exist as expected"),
            "{}",
            stderr(&out)
        );
        let out = c.topics(&[action, "--topic", "nope", "--if-exists"]);
        assert_eq!(code(&out), 0, "{action}: {}", stderr(&out));
    }
    let out = c.topics(&["--alter", "--topic", "nope", "--partitions", "9"]);
    assert_eq!(code(&out), 1);

    // A name Kafka refuses.
    let out = c.topics(&[
        "--create",
        "--replication-factor",
        "1",
        "--partitions",
        "1",
        "--topic",
        "bad name",
    ]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("is illegal"), "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_2() {
    let c = Cluster::coordinator();
    let out = c.topics(&[]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("exactly one action"),
        "{}",
        stderr(&out)
    );
    let out = c.topics(&["--list", "--create"]);
    assert_eq!(code(&out), 2);
    let out = c.topics(&["--create", "--topic", "t", "--partitions", "1"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("[replication-factor]"),
        "{}",
        stderr(&out)
    );
    let out = c.topics(&["--list", "--bootstrap-server", "h:9092"]);
    assert_eq!(code(&out), 2, "not offered until it works");
}

#[test]
fn alter_partitions_configs_and_replication_factor() {
    let c = Cluster::coordinator();
    for id in [1, 2, 3] {
        c.register_broker(id);
    }
    let out = c.topics(&[
        "--create",
        "--replication-factor",
        "1",
        "--partitions",
        "6",
        "--topic",
        "test",
        "--config",
        "retention.ms=1000",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let before = c.assignment("test");
    let out = c.topics(&["--describe", "--topic", "test"]);
    assert!(
        stdout(&out).contains("\tConfigs: retention.ms=1000\n"),
        "{}",
        stdout(&out)
    );

    let out = c.topics(&["--alter", "--topic", "test", "--partitions", "8"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).ends_with("Adding partitions succeeded!\n"),
        "{}",
        stdout(&out)
    );
    let after = c.assignment("test");
    assert_eq!(after.partitions.len(), 8);
    assert_eq!(after.topic_id, before.topic_id, "the topic id is kept");
    for p in 0..6 {
        assert_eq!(after.partitions[&p], before.partitions[&p]);
    }
    let out = c.topics(&["--alter", "--topic", "test", "--partitions", "4"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("can only be increased"),
        "{}",
        stderr(&out)
    );

    // Config changes notify the brokers.
    let out = c.topics(&[
        "--alter",
        "--topic",
        "test",
        "--delete-config",
        "retention.ms",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("Updated config for topic test."));
    let config = EntityConfig::decode(&c.data(&path::topic_config("test")).unwrap()).unwrap();
    assert!(config.config.is_empty());
    let changes =
        c.rt.block_on(c.zk.get_children(path::CONFIG_CHANGES, false))
            .unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    let note = c
        .data(&format!("{}/{}", path::CONFIG_CHANGES, changes[0]))
        .unwrap();
    assert_eq!(note, br#"{"version":2,"entity_path":"topics/test"}"#);

    // The seed's --alter --replication-factor 3: a reassignment, existing replicas first.
    let out = c.topics(&["--alter", "--topic", "test", "--replication-factor", "3"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains(
            "Submitted a reassignment of 8 partition(s) of topic test to replication factor 3"
        ),
        "{}",
        stdout(&out)
    );
    let r = Reassignment::decode(&c.data(path::REASSIGN_PARTITIONS).unwrap()).unwrap();
    assert_eq!(r.version, 1);
    assert_eq!(r.partitions.len(), 8);
    for pr in &r.partitions {
        assert_eq!(pr.replicas.len(), 3);
        assert_eq!(pr.replicas[0], after.partitions[&pr.partition][0]);
    }
    // One reassignment at a time, as Kafka.
    let out = c.topics(&["--alter", "--topic", "test", "--replication-factor", "2"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("There is an existing assignment running."));
}

#[test]
fn delete_marks_the_topic() {
    let c = Cluster::coordinator();
    c.register_broker(1);
    assert_eq!(code(&create_test_topic(&c)), 0);
    let out = c.topics(&["--delete", "--topic", "test"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "Topic test is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n"
    );
    assert!(c.data(&path::delete_topic("test")).is_some());
    let out = c.topics(&["--list"]);
    assert_eq!(stdout(&out), "test - marked for deletion\n");
    let out = c.topics(&["--delete", "--topic", "test"]);
    assert_eq!(stdout(&out), "Topic test is already marked for deletion.\n");
    let out = create_test_topic(&c);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("Topic 'test' is marked for deletion."));
}

#[test]
fn json_output() {
    let c = Cluster::coordinator();
    c.register_broker(1);
    assert_eq!(code(&create_test_topic(&c)), 0);
    let out = c.topics(&["--list", "--output", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["topics"][0]["name"], "test");
    let out = c.topics(&["--describe", "--output", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["topics"][0]["partition_count"], 6);
    assert_eq!(
        v["topics"][0]["partitions"][0]["replicas"],
        serde_json::json!([1])
    );
    let out = c.topics(&[
        "--create",
        "--topic",
        "second",
        "--partitions",
        "2",
        "--replication-factor",
        "1",
        "--output",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["created"][0]["name"], "second");
    assert_eq!(v["created"][0]["partitions"]["1"], serde_json::json!([1]));
    assert_eq!(
        v["created"][0]["topic_id"],
        c.assignment("second").topic_id.unwrap().as_str()
    );
    assert_eq!(v["messages"][0], "Created topic second.");
    let out = c.topics(&["--delete", "--topic", "second", "--output", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["marked_for_deletion"], serde_json::json!(["second"]));
}

#[test]
fn topics_written_by_kafka_are_read() {
    let c = Cluster::coordinator();
    for id in [1, 2, 3] {
        c.register_broker(id);
    }
    c.rt.block_on(async {
        for p in ["/brokers/topics", "/config", "/config/topics"] {
            let _ = c
                .zk
                .create(p, &[], &Acl::open_unsafe(), CreateMode::Persistent)
                .await;
        }
        // Kafka 1.x: version 1, no topic id; a config written by kafka-configs.
        c.zk.create(
            "/brokers/topics/old",
            br#"{"version":1,"partitions":{"1":[2],"0":[1]}}"#,
            &Acl::open_unsafe(),
            CreateMode::Persistent,
        )
        .await
        .unwrap();
        c.zk.create(
            "/config/topics/old",
            br#"{"version":1,"config":{"cleanup.policy":"compact"}}"#,
            &Acl::open_unsafe(),
            CreateMode::Persistent,
        )
        .await
        .unwrap();
        // Kafka 3.9's controller in the middle of a reassignment of partition 0 to [2,3].
        c.zk.create(
            "/brokers/topics/moving",
            br#"{"partitions":{"0":[2,3,1]},"topic_id":"ASNFZ4mrze_-3LqYdlQyEA","adding_replicas":{"0":[2,3]},"removing_replicas":{"0":[1]},"version":3}"#,
            &Acl::open_unsafe(),
            CreateMode::Persistent,
        )
        .await
        .unwrap();
    });
    c.set_state("old", 0, 1, &[1]);
    c.set_state("old", 1, -1, &[2]);
    c.set_state("moving", 0, 1, &[1, 2]);

    let out = c.topics(&["--describe", "--topic", "old"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "Topic: old\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: cleanup.policy=compact\n\
         \tTopic: old\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A\n\
         \tTopic: old\tPartition: 1\tLeader: none\tReplicas: 2\tIsr: 2\tElr: N/A\tLastKnownElr: N/A\n"
    );
    let out = c.topics(&["--describe", "--topic", "moving"]);
    assert_eq!(
        stdout(&out),
        "Topic: moving\tTopicId: ASNFZ4mrze_-3LqYdlQyEA\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: \n\
         \tTopic: moving\tPartition: 0\tLeader: 1\tReplicas: 2,3,1\tIsr: 1,2\tAdding Replicas: 2,3\tRemoving Replicas: 1\tElr: N/A\tLastKnownElr: N/A\n"
    );
    let out = c.topics(&["--describe", "--unavailable-partitions"]);
    assert_eq!(
        stdout(&out),
        "\tTopic: old\tPartition: 1\tLeader: none\tReplicas: 2\tIsr: 2\tElr: N/A\tLastKnownElr: N/A\n"
    );
    let out = c.topics(&["--describe", "--topics-with-overrides"]);
    assert_eq!(
        stdout(&out),
        "Topic: old\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: cleanup.policy=compact\n"
    );
    let out = c.topics(&["--alter", "--topic", "moving", "--partitions", "2"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("reassignment is in progress"),
        "{}",
        stderr(&out)
    );
    // Growing a topic keeps Kafka's layout going and gives it no new id.
    let out = c.topics(&["--alter", "--topic", "old", "--partitions", "3"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let a = c.assignment("old");
    assert_eq!(a.partitions.len(), 3);
    assert_eq!(a.topic_id, None);
}

#[test]
fn chroot_and_explicit_assignments() {
    let c = Cluster::coordinator();
    // Brokers configured with zookeeper.connect=host:port/kafka register under the chroot.
    c.rt.block_on(async {
        for p in ["/kafka", "/kafka/brokers", "/kafka/brokers/ids"] {
            c.zk.create(p, &[], &Acl::open_unsafe(), CreateMode::Persistent)
                .await
                .unwrap();
        }
        for id in [1, 2] {
            c.zk.create(
                &format!("/kafka/brokers/ids/{id}"),
                b"{}",
                &Acl::open_unsafe(),
                CreateMode::Ephemeral,
            )
            .await
            .unwrap();
        }
    });
    let chrooted = format!("{}/kafka", c.connect);
    let run = |args: &[&str]| {
        let mut all = vec!["topics", "--zookeeper", chrooted.as_str()];
        all.extend_from_slice(args);
        rkafka(&all)
    };
    let out = run(&[
        "--create",
        "--topic",
        "pinned",
        "--replica-assignment",
        "1:2,2:1,1:2",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let a = TopicAssignment::decode(&c.data("/kafka/brokers/topics/pinned").unwrap()).unwrap();
    assert_eq!(a.partitions[&0], [1, 2]);
    assert_eq!(a.partitions[&1], [2, 1]);
    assert_eq!(a.partitions.len(), 3);
    assert!(
        c.data("/brokers/topics/pinned").is_none(),
        "written under the chroot only"
    );

    let out = run(&[
        "--alter",
        "--topic",
        "pinned",
        "--partitions",
        "4",
        "--replica-assignment",
        "1:2,2:1,1:2,2:1",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let a = TopicAssignment::decode(&c.data("/kafka/brokers/topics/pinned").unwrap()).unwrap();
    assert_eq!(a.partitions[&3], [2, 1]);
    // Brokers that are not registered are refused for new partitions, as Kafka does.
    let out = run(&[
        "--alter",
        "--topic",
        "pinned",
        "--partitions",
        "5",
        "--replica-assignment",
        "1:2,2:1,1:2,2:1,7:1",
    ]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("are not available"),
        "{}",
        stderr(&out)
    );
    let out = run(&["--list"]);
    assert_eq!(stdout(&out), "pinned\n");
}
