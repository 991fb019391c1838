//! The broker's admin handlers (CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs,
//! AlterConfigs, IncrementalAlterConfigs, DescribeCluster) in-process, with ZooKeeper-mode
//! semantics: an in-process coordinator holds the znodes, one BrokerServer whose metadata cache
//! names it live and controller, and a stand-in for the controller (a task that turns new
//! `/brokers/topics` znodes into metadata and honours `/admin/delete_topics`, as UpdateMetadata
//! from the real controller would). Driven by rkafka's admin client, raw requests, and Kafka
//! 4.4's own TopicCommand.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rkafka::broker::config_watch;
use rkafka::broker::handlers::BrokerContext;
use rkafka::broker::metadata::{BrokerEndpoint, MetadataCache, PartitionState, TopicState};
use rkafka::broker::replica::{ReplicaAssignment, ReplicaManager, TopicPartition};
use rkafka::broker::server::{BrokerNetSettings, BrokerServer, ListenerSpec};
use rkafka::client::ClientSettings;
use rkafka::client::admin::{
    Admin, AlterOp, ConfigResource, ConfigSource, NewPartitions, NewTopic,
};
use rkafka::coordinator::client::{Acl, ClientConfig, CreateMode, ZkClient, ZkError};
use rkafka::coordinator::kafka_paths::{
    BrokerRegistration, Endpoint, EntityConfig, TopicAssignment, path,
};
use rkafka::coordinator::{Coordinator, CoordinatorSettings};
use rkafka::log::config::LogConfig;
use rkafka::log::manager::lock_log;
use rkafka::log::manager::{LogManager, LogManagerConfig};
use rkafka::net::{Connection, ConnectionSettings};
use rkafka::protocol::error_code::ErrorCode;
use rkafka::protocol::messages::create_topics_request::CreatableTopic;
use rkafka::protocol::messages::{CreateTopicsRequest, Response};
use rkafka::types::{BrokerId, HostPort, LeaderEpoch, Partition};

mod common;
use common::kafka::{KafkaVersion, TOPIC_COMMAND, kafka_tool};
use common::{code, rkafka, stderr, stdout};

/// Topics whose name starts with this are never propagated by the stand-in controller.
const STUCK: &str = "stuck";

struct Cluster {
    connect: String,
    bootstrap: String,
    zk: ZkClient,
    ctx: BrokerContext,
    _server: BrokerServer,
    stop: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

async fn session(connect: &str) -> ZkClient {
    ZkClient::connect(ClientConfig::new(connect))
        .await
        .unwrap()
        .0
}

impl Cluster {
    /// On rkafka's coordinator (in-process).
    fn start(server_properties: &str) -> Cluster {
        Self::start_on(server_properties, None)
    }

    /// On `zookeeper` (a ZooKeeper connect string), or on an in-process coordinator.
    fn start_on(server_properties: &str, zookeeper: Option<String>) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let connect = match zookeeper {
            Some(connect) => connect,
            None => {
                let coordinator = rt
                    .block_on(Coordinator::start(CoordinatorSettings {
                        data_dir: dir.path().join("zk"),
                        client_addr: "127.0.0.1:0".parse().unwrap(),
                        tick_time_ms: 200,
                        min_session_timeout_ms: 1000,
                        max_session_timeout_ms: 30_000,
                        max_client_cnxns: 0,
                        four_letter_whitelist: vec!["*".into()],
                        ..CoordinatorSettings::default()
                    }))
                    .unwrap();
                let connect = coordinator.local_addr().to_string();
                // The coordinator lives as long as the test process.
                std::mem::forget(coordinator);
                connect
            }
        };
        let logs_dir = dir.path().join("logs");
        std::fs::create_dir_all(&logs_dir).unwrap();
        let (logs, _) = LogManager::open(
            LogManagerConfig {
                log_dirs: vec![logs_dir],
                broker_id: 0,
                cluster_id: Some("admin-test".into()),
                recovery_threads_per_dir: 1,
            },
            &|_| LogConfig::default(),
            0,
            1,
        )
        .unwrap();
        let props =
            rkafka::config::properties::Properties::parse(server_properties, "server.properties")
                .unwrap();
        let (config, _) =
            rkafka::config::resolve::resolve(&rkafka::config::server::BROKER, &props, &[]).unwrap();
        let ctx = BrokerContext::new(
            Arc::new(config),
            Arc::new(ReplicaManager::new(BrokerId(0), logs)),
        );
        let zk = rt.block_on(session(&connect));
        ctx.zk.replace(Some(rt.block_on(session(&connect))));
        let server = rt
            .block_on(BrokerServer::start(
                BrokerNetSettings {
                    listeners: vec![ListenerSpec {
                        name: "PLAINTEXT".into(),
                        host: "127.0.0.1".into(),
                        port: 0,
                    }],
                    ..BrokerNetSettings::default()
                },
                ctx.clone(),
            ))
            .unwrap();
        let port = server.local_addr().unwrap().port();
        ctx.metadata.update(|m| {
            m.set_cluster_id(Some("admin-test".into()));
            m.set_controller(Some(BrokerId(0)));
            m.set_brokers([BrokerEndpoint {
                id: BrokerId(0),
                host: "127.0.0.1".into(),
                port,
                rack: None,
            }]);
        });
        // Broker 0's registration, for `topics --zookeeper`'s placement.
        let reg = BrokerRegistration::new(
            &[Endpoint {
                listener: "PLAINTEXT".into(),
                security_protocol: "PLAINTEXT".into(),
                host: "127.0.0.1".into(),
                port,
            }],
            None,
            1_700_000_000_000,
        );
        rt.block_on(async {
            for p in ["/brokers", "/brokers/ids", "/brokers/topics", "/admin"] {
                let _ = zk
                    .create(p, &[], &Acl::open_unsafe(), CreateMode::Persistent)
                    .await;
            }
            zk.create(
                &path::broker(0),
                &reg.encode(),
                &Acl::open_unsafe(),
                CreateMode::Ephemeral,
            )
            .await
            .unwrap();
        });
        let stop = Arc::new(AtomicBool::new(false));
        let controller = rt.block_on(session(&connect));
        rt.spawn(stand_in_controller(
            controller,
            ctx.metadata.clone(),
            stop.clone(),
        ));
        Cluster {
            connect,
            bootstrap: format!("127.0.0.1:{port}"),
            zk,
            ctx,
            _server: server,
            stop,
            _dir: dir,
            rt,
        }
    }

    fn admin(&self) -> Admin {
        Admin::new(ClientSettings {
            bootstrap_servers: HostPort::parse_list(&self.bootstrap).unwrap(),
            request_timeout: Duration::from_secs(10),
            ..ClientSettings::default()
        })
    }

    fn data(&self, p: &str) -> Option<Vec<u8>> {
        match self.rt.block_on(self.zk.get_data(p, false)) {
            Ok((d, _)) => Some(d.to_vec()),
            Err(ZkError::NoNode { .. }) => None,
            Err(e) => panic!("{p}: {e}"),
        }
    }

    fn assignment(&self, topic: &str) -> TopicAssignment {
        TopicAssignment::decode(&self.data(&path::topic(topic)).expect("topic znode")).unwrap()
    }

    fn overrides(&self, topic: &str) -> BTreeMap<String, String> {
        EntityConfig::decode(&self.data(&path::topic_config(topic)).expect("config znode"))
            .unwrap()
            .config
    }

    /// A raw Metadata v12 for `topic` (allowing auto-creation): the topic-level error code.
    fn raw_metadata(&self, topic: &str) -> i16 {
        use rkafka::protocol::messages::MetadataRequest;
        use rkafka::protocol::messages::metadata_request::MetadataRequestTopic;
        self.rt.block_on(async {
            let addr = HostPort::parse(&self.bootstrap).unwrap();
            let mut conn = Connection::connect(&addr, ConnectionSettings::default())
                .await
                .unwrap();
            let req = MetadataRequest {
                topics: Some(vec![MetadataRequestTopic {
                    name: Some(topic.into()),
                    ..MetadataRequestTopic::default()
                }]),
                allow_auto_topic_creation: true,
                ..MetadataRequest::default()
            };
            let Response::Metadata(r) = conn.request(12, &req).await.unwrap() else {
                panic!("not a Metadata response")
            };
            r.topics[0].error_code
        })
    }

    /// A raw CreateTopics v7 with `timeout_ms`, for the timing cases.
    fn raw_create(&self, topic: &str, timeout_ms: i32) -> (i16, std::time::Duration) {
        self.rt.block_on(async {
            let addr = HostPort::parse(&self.bootstrap).unwrap();
            let mut conn = Connection::connect(&addr, ConnectionSettings::default())
                .await
                .unwrap();
            let started = std::time::Instant::now();
            let req = CreateTopicsRequest {
                topics: vec![CreatableTopic {
                    name: topic.into(),
                    num_partitions: 1,
                    replication_factor: 1,
                    ..CreatableTopic::default()
                }],
                timeout_ms,
                ..CreateTopicsRequest::default()
            };
            let Response::CreateTopics(r) = conn.request(7, &req).await.unwrap() else {
                panic!("not a CreateTopics response")
            };
            (r.topics[0].error_code, started.elapsed())
        })
    }
}

/// What the controller and UpdateMetadata would do for this test: new topics and partitions
/// under /brokers/topics appear in the metadata led by broker 0; topics marked under
/// /admin/delete_topics lose their znodes and leave the metadata.
async fn stand_in_controller(zk: ZkClient, metadata: Arc<MetadataCache>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::SeqCst) {
        let topics = zk
            .get_children(path::BROKER_TOPICS, false)
            .await
            .unwrap_or_default();
        for t in topics.iter().filter(|t| !t.starts_with(STUCK)) {
            let Ok((bytes, _)) = zk.get_data(&path::topic(t), false).await else {
                continue;
            };
            let Ok(a) = TopicAssignment::decode(&bytes) else {
                continue;
            };
            let known = metadata
                .snapshot()
                .topic(t)
                .map_or(0, |s| s.partitions.len());
            if known == a.partitions.len() {
                continue;
            }
            let mut state = TopicState::new(t.clone(), a.uuid().unwrap_or_default());
            for (&p, replicas) in &a.partitions {
                state.partitions.insert(
                    Partition(p),
                    PartitionState {
                        partition: Partition(p),
                        leader: Some(BrokerId(0)),
                        leader_epoch: LeaderEpoch(0),
                        replicas: replicas.iter().map(|r| BrokerId(*r)).collect(),
                        isr: vec![BrokerId(0)],
                        offline_replicas: vec![],
                    },
                );
            }
            metadata.update(|m| m.upsert_topic(state));
        }
        let marked = zk
            .get_children(path::DELETE_TOPICS, false)
            .await
            .unwrap_or_default();
        for t in marked {
            let _ = zk.delete(&path::topic(&t), -1).await;
            let _ = zk.delete(&path::topic_config(&t), -1).await;
            let _ = zk.delete(&path::delete_topic(&t), -1).await;
            metadata.update(|m| m.remove_topic(&t));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The topic znode JSON with its id blanked, for comparing two topics' payloads.
fn without_id(bytes: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    let id = v["topic_id"].take();
    assert!(id.as_str().is_some_and(|s| s.len() == 22), "{v}");
    v
}

#[test]
fn admin_client_against_the_broker_handlers() {
    let c = Cluster::start(
        "broker.id=0\nnum.partitions=2\nlog.retention.hours=24\nzookeeper.connect=x:1\n",
    );
    let mut admin = c.admin();
    let rt = &c.rt;
    let configs: BTreeMap<String, String> =
        [("retention.ms".to_string(), "1000".to_string())].into();
    let created = rt
        .block_on(admin.create_topics(
            vec![NewTopic {
                name: "orders".into(),
                partitions: Some(3),
                replication_factor: Some(1),
                configs: configs.clone(),
                ..NewTopic::default()
            }],
            false,
        ))
        .unwrap();
    assert_eq!(created, vec![("orders".to_string(), Ok(()))]);
    let a = c.assignment("orders");
    assert_eq!(a.partitions.len(), 3);
    assert!(a.partitions.values().all(|r| r == &vec![0]));
    assert_eq!(c.overrides("orders"), configs);

    // The znodes are exactly what `rkafka topics --zookeeper` writes (ids aside).
    let out = rkafka(&[
        "topics",
        "--zookeeper",
        &c.connect,
        "--create",
        "--topic",
        "zk-orders",
        "--partitions",
        "3",
        "--replication-factor",
        "1",
        "--config",
        "retention.ms=1000",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        without_id(&c.data(&path::topic("orders")).unwrap()),
        without_id(&c.data(&path::topic("zk-orders")).unwrap())
    );
    assert_eq!(
        c.data(&path::topic_config("orders")),
        c.data(&path::topic_config("zk-orders"))
    );

    // Kafka's refusals.
    let refused = |name: &str, partitions: Option<i32>, rf: Option<i16>| {
        let mut admin = c.admin();
        let r = rt
            .block_on(admin.create_topics(
                vec![NewTopic {
                    name: name.into(),
                    partitions,
                    replication_factor: rf,
                    ..NewTopic::default()
                }],
                false,
            ))
            .unwrap();
        r.into_iter().next().unwrap().1.unwrap_err()
    };
    let e = refused("wide", Some(1), Some(3));
    assert_eq!(e.code, ErrorCode::INVALID_REPLICATION_FACTOR);
    assert_eq!(
        e.message,
        "Replication factor: 3 larger than available brokers: 1."
    );
    let e = refused("orders", Some(1), Some(1));
    assert_eq!(e.code, ErrorCode::TOPIC_ALREADY_EXISTS);
    assert_eq!(e.message, "Topic 'orders' already exists.");
    assert_eq!(
        refused("bad!", Some(1), Some(1)).code,
        ErrorCode::INVALID_TOPIC_EXCEPTION
    );
    assert_eq!(
        refused("zero", Some(0), Some(1)).code,
        ErrorCode::INVALID_PARTITIONS
    );
    assert!(c.data(&path::topic("wide")).is_none());

    // Broker defaults (num.partitions=2), and validate_only writes nothing.
    let r = rt
        .block_on(admin.create_topics(
            vec![NewTopic {
                name: "defaults".into(),
                ..NewTopic::default()
            }],
            true,
        ))
        .unwrap();
    assert!(r[0].1.is_ok());
    assert!(c.data(&path::topic("defaults")).is_none());
    rt.block_on(admin.create_topics(
        vec![NewTopic {
            name: "defaults".into(),
            ..NewTopic::default()
        }],
        false,
    ))
    .unwrap()[0]
        .1
        .clone()
        .unwrap();
    assert_eq!(c.assignment("defaults").partitions.len(), 2);

    // The wait for the controller: timeout 0 answers at once; a topic the controller never
    // propagates times out after timeout_ms.
    let (code0, _) = c.raw_create("stuck-now", 0);
    assert_eq!(code0, 0);
    let (code1, took) = c.raw_create("stuck-later", 300);
    assert_eq!(code1, ErrorCode::REQUEST_TIMED_OUT.0);
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(c.data(&path::topic("stuck-later")).is_some());

    // NOT_CONTROLLER while another broker is controller; the client retries against the
    // refreshed metadata and succeeds once this broker is controller again.
    c.ctx
        .metadata
        .update(|m| m.set_controller(Some(BrokerId(1))));
    let metadata = c.ctx.metadata.clone();
    let back = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(250));
        metadata.update(|m| m.set_controller(Some(BrokerId(0))));
    });
    let mut fresh = c.admin();
    let r = rt
        .block_on(fresh.create_topics(
            vec![NewTopic {
                name: "after-move".into(),
                partitions: Some(1),
                replication_factor: Some(1),
                ..NewTopic::default()
            }],
            false,
        ))
        .unwrap();
    back.join().unwrap();
    assert!(r[0].1.is_ok(), "{r:?}");

    // DescribeConfigs: the override, the static broker setting, the defaults, with synonyms.
    let described = rt
        .block_on(admin.describe_configs(&[ConfigResource::topic("orders")], true))
        .unwrap();
    let entries = described[0].1.clone().unwrap();
    let get = |name: &str| entries.iter().find(|e| e.name == name).unwrap().clone();
    let retention = get("retention.ms");
    assert_eq!(retention.value.as_deref(), Some("1000"));
    assert_eq!(retention.source, ConfigSource::DynamicTopic);
    let chain: Vec<(String, Option<String>, ConfigSource)> = retention.synonyms.clone();
    assert_eq!(
        chain,
        vec![
            (
                "retention.ms".into(),
                Some("1000".into()),
                ConfigSource::DynamicTopic
            ),
            (
                "log.retention.hours".into(),
                Some("24".into()),
                ConfigSource::StaticBroker
            ),
            (
                "log.retention.hours".into(),
                Some("168".into()),
                ConfigSource::Default
            ),
        ]
    );
    let segment = get("segment.bytes");
    assert_eq!(segment.value.as_deref(), Some("1073741824"));
    assert_eq!(segment.source, ConfigSource::Default);
    let described = rt
        .block_on(admin.describe_configs(&[ConfigResource::topic("defaults")], false))
        .unwrap();
    let defaults = described[0].1.clone().unwrap();
    let r = defaults.iter().find(|e| e.name == "retention.ms").unwrap();
    assert_eq!(
        (r.value.as_deref(), r.source),
        (Some("86400000"), ConfigSource::StaticBroker)
    );
    let described = rt
        .block_on(admin.describe_configs(
            &[ConfigResource::broker(0), ConfigResource::topic("nope")],
            false,
        ))
        .unwrap();
    let broker = described[0].1.clone().unwrap();
    let hours = broker
        .iter()
        .find(|e| e.name == "log.retention.hours")
        .unwrap();
    assert_eq!(hours.value.as_deref(), Some("24"));
    assert_eq!(hours.source, ConfigSource::StaticBroker);
    assert_eq!(
        described[1].1.clone().unwrap_err().code,
        ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
    );

    // The config watcher (own session) applies changed overrides to hosted partitions' logs.
    let tp = TopicPartition::new("orders", 0);
    let hosted = c
        .ctx
        .replicas
        .apply_leader_and_isr(
            &tp,
            ReplicaAssignment {
                topic_id: a.uuid().unwrap(),
                controller_epoch: 1,
                leader: BrokerId(0),
                leader_epoch: 0,
                isr: vec![BrokerId(0)],
                partition_epoch: 0,
                replicas: vec![BrokerId(0)],
                adding_replicas: vec![],
                removing_replicas: vec![],
                is_new: true,
            },
            LogConfig::default(),
            0,
            1,
        )
        .unwrap();
    let watcher = rt
        .block_on(config_watch::spawn(
            c.ctx.clone(),
            ClientConfig::new(c.connect.as_str()),
        ))
        .unwrap();
    let retention = || lock_log(&hosted.log).config().retention_ms;
    // No notification names orders yet (it was created with its overrides).
    assert_eq!(retention(), LogConfig::default().retention_ms);

    // IncrementalAlterConfigs and AlterConfigs write the overrides and a change notification.
    let r = rt
        .block_on(admin.incremental_alter_configs(
            &ConfigResource::topic("orders"),
            &[
                ("retention.ms".into(), AlterOp::Delete),
                ("segment.ms".into(), AlterOp::Set("100000".into())),
                ("cleanup.policy".into(), AlterOp::Append("compact".into())),
            ],
            false,
        ))
        .unwrap();
    assert_eq!(r, Ok(()));
    assert_eq!(
        c.overrides("orders"),
        BTreeMap::from([
            ("cleanup.policy".to_string(), "delete,compact".to_string()),
            ("segment.ms".to_string(), "100000".to_string()),
        ])
    );
    let changes =
        c.rt.block_on(c.zk.get_children("/config/changes", false))
            .unwrap();
    assert!(!changes.is_empty());
    let note: serde_json::Value = serde_json::from_slice(
        &c.data(&format!(
            "/config/changes/{}",
            changes.iter().max().unwrap()
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        note,
        serde_json::json!({"version": 2, "entity_path": "topics/orders"})
    );
    // retention.ms deleted: back to the broker's log.retention.hours=24; segment.ms set.
    assert!(
        common::wait_until(Duration::from_secs(10), || retention() == 86_400_000),
        "{}",
        retention()
    );
    assert_eq!(lock_log(&hosted.log).config().segment_ms, 100_000);
    rt.block_on(watcher.shutdown());
    let bad = rt
        .block_on(admin.incremental_alter_configs(
            &ConfigResource::topic("orders"),
            &[("retention.ms".into(), AlterOp::Set("soon".into()))],
            false,
        ))
        .unwrap();
    assert_eq!(bad.unwrap_err().code, ErrorCode::INVALID_CONFIG);
    let replaced = rt
        .block_on(admin.alter_configs(
            &ConfigResource::topic("orders"),
            &BTreeMap::from([("flush.ms".to_string(), "5".to_string())]),
            false,
        ))
        .unwrap();
    assert_eq!(replaced, Ok(()));
    assert_eq!(
        c.overrides("orders"),
        BTreeMap::from([("flush.ms".to_string(), "5".to_string())])
    );

    // CreatePartitions extends the assignment znode and waits for the controller.
    let grown = rt
        .block_on(admin.create_partitions(
            vec![NewPartitions {
                topic: "orders".into(),
                total: 5,
                assignment: None,
            }],
            false,
        ))
        .unwrap();
    assert_eq!(grown, vec![("orders".to_string(), Ok(()))]);
    assert_eq!(c.assignment("orders").partitions.len(), 5);
    let not_more = rt
        .block_on(admin.create_partitions(
            vec![NewPartitions {
                topic: "orders".into(),
                total: 2,
                assignment: None,
            }],
            false,
        ))
        .unwrap();
    assert_eq!(
        not_more[0].1.clone().unwrap_err().code,
        ErrorCode::INVALID_PARTITIONS
    );

    // DescribeCluster.
    let cluster = rt.block_on(admin.describe_cluster()).unwrap();
    assert_eq!(cluster.controller_id, 0);
    assert_eq!(cluster.cluster_id.as_deref(), Some("admin-test"));
    assert_eq!(cluster.brokers.len(), 1);

    // Metadata auto-creates unknown topics (num.partitions=2) and says LEADER_NOT_AVAILABLE.
    assert_eq!(c.raw_metadata("auto"), ErrorCode::LEADER_NOT_AVAILABLE.0);
    assert_eq!(c.assignment("auto").partitions.len(), 2);
    assert_eq!(c.raw_metadata("bad!"), ErrorCode::INVALID_TOPIC_EXCEPTION.0);

    // DeleteTopics marks the topic; the controller removes it from the metadata.
    let deleted = rt
        .block_on(admin.delete_topics(vec!["orders".into()]))
        .unwrap();
    assert_eq!(deleted, vec![("orders".to_string(), Ok(()))]);
    assert!(c.ctx.metadata.snapshot().topic("orders").is_none());
    let unknown = rt
        .block_on(admin.delete_topics(vec!["nope".into()]))
        .unwrap();
    assert_eq!(
        unknown[0].1.clone().unwrap_err().code,
        ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
    );
}

#[test]
fn deletion_and_auto_creation_disabled_are_refused() {
    let c = Cluster::start(
        "broker.id=0\ndelete.topic.enable=false\nauto.create.topics.enable=false\nzookeeper.connect=x:1\n",
    );
    assert_eq!(
        c.raw_metadata("auto"),
        ErrorCode::UNKNOWN_TOPIC_OR_PARTITION.0
    );
    assert!(c.data(&path::topic("auto")).is_none());
    let mut admin = c.admin();
    c.rt.block_on(admin.create_topics(
        vec![NewTopic {
            name: "kept".into(),
            partitions: Some(1),
            replication_factor: Some(1),
            ..NewTopic::default()
        }],
        false,
    ))
    .unwrap();
    let r =
        c.rt.block_on(admin.delete_topics(vec!["kept".into()]))
            .unwrap();
    assert_eq!(
        r[0].1.clone().unwrap_err().code,
        ErrorCode::TOPIC_DELETION_DISABLED
    );
    assert!(c.data(&path::delete_topic("kept")).is_none());
}

#[test]
fn kafkas_topic_command_against_the_rkafka_broker() {
    let c = Cluster::start("broker.id=0\nzookeeper.connect=x:1\n");
    let kafka = |args: &[&str]| {
        let mut all = vec!["--bootstrap-server", c.bootstrap.as_str()];
        all.extend_from_slice(args);
        kafka_tool(KafkaVersion::V4, TOPIC_COMMAND, &all, b"")
    };
    let ours = |args: &[&str]| {
        let mut all = vec!["topics", "--bootstrap-server", c.bootstrap.as_str()];
        all.extend_from_slice(args);
        rkafka(&all)
    };
    let out = kafka(&[
        "--create",
        "--topic",
        "k1",
        "--partitions",
        "2",
        "--replication-factor",
        "1",
        "--config",
        "retention.ms=5000",
    ]);
    assert_eq!(stdout(&out), "Created topic k1.\n", "{}", stderr(&out));
    assert_eq!(c.assignment("k1").partitions.len(), 2);
    assert_eq!(c.overrides("k1")["retention.ms"], "5000");
    let out = kafka(&[
        "--create",
        "--topic",
        "k1",
        "--partitions",
        "1",
        "--replication-factor",
        "1",
    ]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        stdout(&out),
        "Error while executing topic command : Topic 'k1' already exists.\n"
    );
    let out = kafka(&[
        "--create",
        "--topic",
        "k2",
        "--partitions",
        "1",
        "--replication-factor",
        "3",
    ]);
    assert_eq!(
        stdout(&out),
        "Error while executing topic command : Replication factor: 3 larger than available brokers: 1.\n"
    );
    // Kafka's describe (Metadata, DescribeConfigs, DescribeCluster) prints what rkafka's does.
    let theirs = kafka(&["--describe", "--topic", "k1"]);
    let mine = ours(&["--describe", "--topic", "k1"]);
    assert_eq!(code(&theirs), 0, "{}", stderr(&theirs));
    assert_eq!(stdout(&mine), stdout(&theirs), "{}", stderr(&mine));
    assert!(
        stdout(&mine).contains("Configs: retention.ms=5000\n"),
        "{}",
        stdout(&mine)
    );
    assert!(
        stdout(&mine).contains("\tTopic: k1\tPartition: 1\tLeader: 0\tReplicas: 0\tIsr: 0\tElr: N/A\tLastKnownElr: N/A\n"),
        "{}",
        stdout(&mine)
    );
    let out = kafka(&["--alter", "--topic", "k1", "--partitions", "3"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert_eq!(c.assignment("k1").partitions.len(), 3);
    let out = kafka(&["--delete", "--topic", "k1"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(c.ctx.metadata.snapshot().topic("k1").is_none());
}

#[test]
fn create_topics_on_a_real_zookeeper() {
    let zk = common::real_zk::real_zk();
    let c = Cluster::start_on(
        "broker.id=0\nzookeeper.connect=x:1\n",
        Some(zk.addr.to_string()),
    );
    let mut admin = c.admin();
    let configs: BTreeMap<String, String> =
        [("cleanup.policy".to_string(), "compact".to_string())].into();
    let r =
        c.rt.block_on(admin.create_topics(
            vec![NewTopic {
                name: "real-zk".into(),
                partitions: Some(4),
                replication_factor: Some(1),
                configs: configs.clone(),
                ..NewTopic::default()
            }],
            false,
        ))
        .unwrap();
    assert_eq!(r, vec![("real-zk".to_string(), Ok(()))]);
    assert_eq!(c.assignment("real-zk").partitions.len(), 4);
    assert_eq!(c.overrides("real-zk"), configs);
    // The same bytes `rkafka topics --zookeeper` writes on the same ensemble, ids aside.
    let out = rkafka(&[
        "topics",
        "--zookeeper",
        &c.connect,
        "--create",
        "--topic",
        "real-zk-tool",
        "--partitions",
        "4",
        "--replication-factor",
        "1",
        "--config",
        "cleanup.policy=compact",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        without_id(&c.data(&path::topic("real-zk")).unwrap()),
        without_id(&c.data(&path::topic("real-zk-tool")).unwrap())
    );
    assert_eq!(
        c.data(&path::topic_config("real-zk")),
        c.data(&path::topic_config("real-zk-tool"))
    );
}
