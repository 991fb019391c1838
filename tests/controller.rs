//! The ZooKeeper-mode controller with in-process rkafka brokers (server, context, replica
//! manager in temp dirs, each registered under /brokers/ids as the runtime does) on rkafka's
//! coordinator and on a real Apache ZooKeeper: election and take-over, new topics, broker
//! loss, topic deletion, fencing of a stale controller.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rkafka::broker::controller::{self, ControllerConfig, ControllerHandle};
use rkafka::broker::handlers::BrokerContext;
use rkafka::broker::replica::{ReplicaManager, TopicPartition};
use rkafka::broker::server::{BrokerNetSettings, BrokerServer, ListenerSpec};
use rkafka::coordinator::client::{Acl, ClientConfig, CreateMode, ZkClient, ZkError};
use rkafka::coordinator::kafka_paths::{
    BrokerRegistration, ControllerData, Endpoint, PartitionState, TopicAssignment, Uuid,
    decode_controller_epoch, path,
};
use rkafka::coordinator::{Coordinator, CoordinatorSettings};
use rkafka::log::config::LogConfig;
use rkafka::log::manager::{LogManager, LogManagerConfig};
use rkafka::net::{Connection, ConnectionSettings};
use rkafka::protocol::messages::leader_and_isr_request::{
    LeaderAndIsrPartitionState, LeaderAndIsrTopicState,
};
use rkafka::protocol::messages::{LeaderAndIsrRequest, Response};
use rkafka::types::{BrokerId, HostPort};

use common::{code, rkafka, stderr, wait_until};

const WAIT: Duration = Duration::from_secs(20);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn session(connect: &str) -> ZkClient {
    let mut cfg = ClientConfig::new(connect);
    cfg.session_timeout = Duration::from_secs(6);
    cfg.connect_timeout = Duration::from_secs(20);
    ZkClient::connect(cfg).await.unwrap().0
}

/// An rkafka broker in-process: network server, context, replica manager, its registration
/// session and its controller.
struct Broker {
    id: i32,
    port: u16,
    ctx: BrokerContext,
    server: Option<BrokerServer>,
    controller: Option<ControllerHandle>,
    registration: ZkClient,
    dir: tempfile::TempDir,
}

impl Broker {
    async fn start(connect: &str, id: i32) -> Broker {
        let dir = tempfile::tempdir().unwrap();
        let config = LogManagerConfig {
            log_dirs: vec![dir.path().to_path_buf()],
            broker_id: id,
            cluster_id: Some("controller-test".into()),
            recovery_threads_per_dir: 1,
        };
        let (logs, _) = LogManager::open(config, &|_| LogConfig::default(), 0, 1).unwrap();
        let props = rkafka::config::properties::Properties::parse("", "t.properties").unwrap();
        let (config, _) =
            rkafka::config::resolve::resolve(&rkafka::config::server::BROKER, &props, &[]).unwrap();
        let ctx = BrokerContext::new(
            Arc::new(config),
            Arc::new(ReplicaManager::new(BrokerId(id), logs)),
        );
        let settings = BrokerNetSettings {
            listeners: vec![ListenerSpec {
                name: "PLAINTEXT".into(),
                host: "127.0.0.1".into(),
                port: 0,
            }],
            ..BrokerNetSettings::default()
        };
        let server = BrokerServer::start(settings, ctx.clone()).await.unwrap();
        let port = server.local_addr().unwrap().port();
        let registration = session(connect).await;
        for p in [path::BROKERS, path::BROKER_IDS] {
            let _ = registration
                .create(p, &[], &Acl::open_unsafe(), CreateMode::Persistent)
                .await;
        }
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
        registration
            .create(
                &path::broker(id),
                &reg.encode(),
                &Acl::open_unsafe(),
                CreateMode::Ephemeral,
            )
            .await
            .unwrap();
        let stat = registration
            .exists(&path::broker(id), false)
            .await
            .unwrap()
            .unwrap();
        ctx.broker_epoch.store(stat.czxid, Ordering::SeqCst);
        ctx.zk.replace(Some(registration.clone()));
        let mut cc = ControllerConfig::new(ClientConfig::new(connect), id);
        cc.zk.session_timeout = Duration::from_secs(6);
        cc.net.request_timeout = Duration::from_secs(5);
        let controller = Some(controller::spawn(cc));
        Broker {
            id,
            port,
            ctx,
            server: Some(server),
            controller,
            registration,
            dir,
        }
    }

    /// A clean shutdown: controller first, then the registration, then the server.
    async fn stop(&mut self) {
        if let Some(c) = self.controller.take() {
            c.shutdown().await;
        }
        self.ctx.zk.replace(None);
        let _ = self.registration.close().await;
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }

    fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn hosts(&self, topic: &str, partition: i32) -> bool {
        self.ctx
            .replicas
            .partition(&TopicPartition::new(topic, partition))
            .is_some()
    }
}

struct Cluster {
    connect: String,
    zk: ZkClient,
    brokers: Vec<Broker>,
    _coordinator: Option<Coordinator>,
    _dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

impl Cluster {
    fn on_coordinator(broker_ids: &[i32]) -> Cluster {
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
        Cluster::with(rt, connect, Some(coordinator), dir, broker_ids)
    }

    fn on_real_zookeeper(broker_ids: &[i32]) -> Cluster {
        let zk = common::real_zk::real_zk();
        // One server per test binary: a chroot keeps this test's znodes apart.
        let rt = runtime();
        let chroot = format!("/controller-test-{}", std::process::id());
        rt.block_on(async {
            let s = session(&zk.addr.to_string()).await;
            let _ = s
                .create(&chroot, &[], &Acl::open_unsafe(), CreateMode::Persistent)
                .await;
            let _ = s.close().await;
        });
        let connect = format!("{}{chroot}", zk.addr);
        Cluster::with(rt, connect, None, tempfile::tempdir().unwrap(), broker_ids)
    }

    fn with(
        rt: tokio::runtime::Runtime,
        connect: String,
        coordinator: Option<Coordinator>,
        dir: tempfile::TempDir,
        broker_ids: &[i32],
    ) -> Cluster {
        let zk = rt.block_on(session(&connect));
        let brokers = broker_ids
            .iter()
            .map(|id| rt.block_on(Broker::start(&connect, *id)))
            .collect();
        Cluster {
            connect,
            zk,
            brokers,
            _coordinator: coordinator,
            _dir: dir,
            rt,
        }
    }

    fn data(&self, p: &str) -> Option<Vec<u8>> {
        match self.rt.block_on(self.zk.get_data(p, false)) {
            Ok((d, _)) => Some(d.to_vec()),
            Err(ZkError::NoNode { .. }) => None,
            Err(e) => panic!("{p}: {e}"),
        }
    }

    fn controller_id(&self) -> Option<i32> {
        self.data(path::CONTROLLER)
            .map(|d| ControllerData::decode(&d).unwrap().brokerid)
    }

    fn controller_epoch(&self) -> i32 {
        decode_controller_epoch(&self.data(path::CONTROLLER_EPOCH).unwrap()).unwrap()
    }

    fn state(&self, topic: &str, partition: i32) -> Option<PartitionState> {
        self.data(&path::partition_state(topic, partition))
            .map(|d| PartitionState::decode(&d).unwrap())
    }

    fn create_topic(&self, topic: &str, assignment: &[&[i32]]) {
        let partitions = assignment
            .iter()
            .enumerate()
            .map(|(p, r)| (p as i32, r.to_vec()))
            .collect::<BTreeMap<_, _>>();
        // A distinct id per test topic name length ("t" gets [9; 16]).
        let id = Uuid([topic.len() as u8 + 8; 16]);
        let payload = TopicAssignment::new(partitions, Some(id)).encode();
        self.rt.block_on(async {
            for p in [path::BROKERS, path::BROKER_TOPICS] {
                let _ = self
                    .zk
                    .create(p, &[], &Acl::open_unsafe(), CreateMode::Persistent)
                    .await;
            }
            self.zk
                .create(
                    &path::topic(topic),
                    &payload,
                    &Acl::open_unsafe(),
                    CreateMode::Persistent,
                )
                .await
                .unwrap();
        });
    }

    fn broker(&self, id: i32) -> &Broker {
        self.brokers.iter().find(|b| b.id == id).unwrap()
    }

    fn stop_broker(&mut self, id: i32) {
        let i = self.brokers.iter().position(|b| b.id == id).unwrap();
        let mut b = self.brokers.remove(i);
        self.rt.block_on(b.stop());
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for mut b in std::mem::take(&mut self.brokers) {
            self.rt.block_on(b.stop());
        }
    }
}

/// (leader, isr) of every partition of `topic` in the Metadata answer of `bootstrap`.
fn metadata_view(bootstrap: &str, topic: &str) -> Option<BTreeMap<i32, (i32, Vec<i32>)>> {
    let resp = common::kafka::metadata(bootstrap, Some(&[topic])).ok()?;
    let t = resp
        .topics
        .iter()
        .find(|t| t.name.as_deref() == Some(topic))?;
    if t.error_code != 0 {
        return None;
    }
    Some(
        t.partitions
            .iter()
            .map(|p| (p.partition_index, (p.leader_id, p.isr_nodes.clone())))
            .collect(),
    )
}

#[test]
fn new_topic_broker_loss_and_deletion_on_three_brokers() {
    let mut c = Cluster::on_coordinator(&[1, 2, 3]);
    assert!(wait_until(WAIT, || c.controller_id().is_some()));
    let controller = c.controller_id().unwrap();
    assert_eq!(c.controller_epoch(), 1);

    c.create_topic("t", &[&[1, 2, 3], &[2, 3, 1], &[3, 1, 2]]);
    assert!(wait_until(WAIT, || (0..3).all(|p| c.state("t", p).is_some())));
    for p in 0..3 {
        let s = c.state("t", p).unwrap();
        assert_eq!(s.leader, [1, 2, 3][p as usize], "preferred leader of t-{p}");
        assert_eq!((s.leader_epoch, s.controller_epoch), (0, 1));
        assert_eq!(s.isr.len(), 3);
    }
    // Every broker hosts every partition, with its log dir, and answers the same metadata.
    assert!(wait_until(WAIT, || c
        .brokers
        .iter()
        .all(|b| (0..3).all(|p| b.hosts("t", p)))));
    for b in &c.brokers {
        for p in 0..3 {
            assert!(b.dir.path().join(format!("t-{p}")).is_dir());
        }
    }
    let expected: BTreeMap<i32, (i32, Vec<i32>)> = (0..3)
        .map(|p| {
            let s = c.state("t", p).unwrap();
            (p, (s.leader, s.isr))
        })
        .collect();
    for b in &c.brokers {
        assert!(
            wait_until(WAIT, || metadata_view(&b.bootstrap(), "t").as_ref()
                == Some(&expected)),
            "broker {} metadata: {:?}",
            b.id,
            metadata_view(&b.bootstrap(), "t")
        );
        let snapshot = b.ctx.metadata.snapshot();
        assert_eq!(snapshot.controller(), Some(BrokerId(controller)));
        assert_eq!(snapshot.brokers().len(), 3);
        assert_eq!(snapshot.topic("t").unwrap().id, Uuid([9; 16]));
    }

    // A stale controller epoch is refused by the broker, whatever it carries.
    let stale = LeaderAndIsrRequest {
        controller_id: 99,
        controller_epoch: 0,
        broker_epoch: -1,
        topic_states: vec![LeaderAndIsrTopicState {
            topic_name: "t".into(),
            topic_id: Uuid([9; 16]),
            partition_states: vec![LeaderAndIsrPartitionState {
                partition_index: 0,
                leader: 2,
                leader_epoch: 50,
                replicas: vec![1, 2, 3],
                isr: vec![2],
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let b1 = c.broker(1);
    let addr = HostPort {
        host: "127.0.0.1".into(),
        port: b1.port,
    };
    let resp = c.rt.block_on(async {
        let mut conn = Connection::connect(&addr, ConnectionSettings::default())
            .await
            .unwrap();
        conn.request(7, &stale).await.unwrap()
    });
    let Response::LeaderAndIsr(resp) = resp else {
        panic!("{resp:?}")
    };
    assert_eq!(resp.error_code, 11, "STALE_CONTROLLER_EPOCH");
    let hosted = b1
        .ctx
        .replicas
        .partition(&TopicPartition::new("t", 0))
        .unwrap();
    assert_eq!(hosted.leader_epoch(), 0, "nothing applied");

    // Deletion through the tool: replicas deleted, metadata dropped, znodes gone.
    c.create_topic("gone", &[&[1, 2], &[2, 3]]);
    assert!(wait_until(WAIT, || c.broker(1).hosts("gone", 0)
        && c.broker(3).hosts("gone", 1)));
    let out = rkafka(&[
        "topics",
        "--zookeeper",
        &c.connect,
        "--delete",
        "--topic",
        "gone",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        wait_until(WAIT, || c.data(&path::topic("gone")).is_none()
            && c.data(&path::delete_topic("gone")).is_none()),
        "topic znodes removed"
    );
    for b in &c.brokers {
        assert!(!b.hosts("gone", 0) && !b.hosts("gone", 1));
        assert!(wait_until(WAIT, || !b.dir.path().join("gone-0").exists()
            && !b.dir.path().join("gone-1").exists()));
        assert!(wait_until(WAIT, || b
            .ctx
            .metadata
            .snapshot()
            .topic("gone")
            .is_none()));
    }

    // Losing a broker (not the controller): leaders move, ISRs shrink, epochs bump.
    let victim = [1, 2, 3].into_iter().find(|b| *b != controller).unwrap();
    let led = victim - 1; // partition p is led by broker p + 1
    c.stop_broker(victim);
    assert!(wait_until(WAIT, || (0..3).all(|p| {
        let s = c.state("t", p).unwrap();
        !s.isr.contains(&victim) && s.leader != victim
    })));
    for p in 0..3 {
        let s = c.state("t", p).unwrap();
        assert_eq!(s.leader_epoch, 1, "t-{p} epoch bumped once");
        assert_eq!(s.isr.len(), 2);
        if p == led {
            // Next replica in assignment order that is in the ISR.
            let replicas = [[1, 2, 3], [2, 3, 1], [3, 1, 2]][p as usize];
            assert_eq!(s.leader, replicas[1], "t-{p} leader moved");
        } else {
            assert_eq!(s.leader, p + 1, "t-{p} keeps its leader");
        }
    }
    for b in &c.brokers {
        assert!(
            wait_until(WAIT, || {
                metadata_view(&b.bootstrap(), "t").is_some_and(|m| {
                    m.values()
                        .all(|(leader, isr)| *leader != victim && !isr.contains(&victim))
                })
            }),
            "broker {} metadata after the loss",
            b.id
        );
        let hosted = b
            .ctx
            .replicas
            .partition(&TopicPartition::new("t", led))
            .unwrap();
        assert!(wait_until(WAIT, || hosted.leader_epoch() == 1));
        assert_eq!(b.ctx.metadata.snapshot().brokers().len(), 2);
    }
}

#[test]
fn two_controllers_race_and_the_survivor_takes_over() {
    let c = Cluster::on_coordinator(&[]);
    let config = |id| {
        let mut cc = ControllerConfig::new(ClientConfig::new(c.connect.as_str()), id);
        cc.zk.session_timeout = Duration::from_secs(6);
        cc
    };
    let (a, b) = c.rt.block_on(async {
        let a = controller::spawn(config(1));
        let b = controller::spawn(config(2));
        (a, b)
    });
    assert!(wait_until(WAIT, || a.active_epoch().is_some()
        || b.active_epoch().is_some()));
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        a.active_epoch().is_some() != b.active_epoch().is_some(),
        "exactly one controller"
    );
    let (winner, loser) = if a.active_epoch().is_some() {
        (a, b)
    } else {
        (b, a)
    };
    let winner_epoch = winner.active_epoch().unwrap();
    assert_eq!(winner_epoch, 1);
    assert_eq!(c.controller_epoch(), 1);
    let winner_id = c.controller_id().unwrap();

    // The winner's epoch guard, kept by a stale controller, no longer lets writes through.
    let old_guard =
        c.rt.block_on(c.zk.exists(path::CONTROLLER_EPOCH, false))
            .unwrap()
            .unwrap()
            .version;
    c.rt.block_on(winner.shutdown());
    // A topic with no live replica: the new controller leaves it without state.
    c.create_topic("x", &[&[7]]);
    assert!(wait_until(WAIT, || loser.active_epoch() == Some(2)));
    assert_eq!(c.controller_epoch(), 2);
    assert_ne!(c.controller_id(), Some(winner_id));
    let change = controller::decisions::StateChange {
        topic: "x".into(),
        partition: 0,
        create: true,
        previous_version: 0,
        state: controller::decisions::LeaderIsr {
            leader: 1,
            leader_epoch: 0,
            isr: vec![1],
            controller_epoch: 1,
            zk_version: 0,
        },
    };
    let err =
        c.rt.block_on(controller::zk::write_state(&c.zk, old_guard, &change))
            .unwrap_err();
    assert!(
        matches!(err, controller::zk::WriteError::NotController),
        "{err}"
    );
    assert!(c.data(&path::partition_state("x", 0)).is_none());

    // Shutting down resigns: /controller is free again.
    c.rt.block_on(loser.shutdown());
    assert!(wait_until(WAIT, || c.controller_id().is_none()));
}

#[test]
fn real_zookeeper_election_and_new_topic() {
    let c = Cluster::on_real_zookeeper(&[1, 2]);
    assert!(wait_until(WAIT, || c.controller_id().is_some()));
    assert!(c.controller_epoch() >= 1);
    c.create_topic("rz", &[&[2, 1], &[1, 2]]);
    assert!(wait_until(WAIT, || (0..2).all(|p| c.state("rz", p).is_some())));
    assert_eq!(c.state("rz", 0).unwrap().leader, 2);
    assert_eq!(c.state("rz", 1).unwrap().leader, 1);
    assert!(wait_until(WAIT, || c
        .brokers
        .iter()
        .all(|b| b.hosts("rz", 0) && b.hosts("rz", 1))));
    for b in &c.brokers {
        assert!(wait_until(WAIT, || metadata_view(&b.bootstrap(), "rz")
            .is_some_and(|m| m.len() == 2 && m[&0].0 == 2 && m[&1].0 == 1)));
    }
}

#[test]
fn controller_failover_partition_growth_rejoin_and_topic_config() {
    let mut c = Cluster::on_coordinator(&[1, 2]);
    assert!(wait_until(WAIT, || c.controller_id().is_some()));
    let first = c.controller_id().unwrap();
    let other = 3 - first;
    // The topic's own config reaches the logs the brokers create.
    c.rt.block_on(async {
        for p in [path::CONFIG, "/config/topics"] {
            let _ =
                c.zk.create(p, &[], &Acl::open_unsafe(), CreateMode::Persistent)
                    .await;
        }
        let config = rkafka::coordinator::kafka_paths::EntityConfig::new(BTreeMap::from([(
            "segment.bytes".to_string(),
            "1048576".to_string(),
        )]));
        c.zk.create(
            &path::topic_config("cfg"),
            &config.encode(),
            &Acl::open_unsafe(),
            CreateMode::Persistent,
        )
        .await
        .unwrap();
    });
    c.create_topic("cfg", &[&[first, other]]);
    assert!(wait_until(WAIT, || c
        .brokers
        .iter()
        .all(|b| b.hosts("cfg", 0))));
    for b in &c.brokers {
        let hosted = b
            .ctx
            .replicas
            .partition(&TopicPartition::new("cfg", 0))
            .unwrap();
        let segment_bytes = rkafka::log::manager::lock_log(&hosted.log)
            .config()
            .segment_bytes;
        assert_eq!(segment_bytes, 1_048_576, "broker {}", b.id);
    }
    assert_eq!(c.state("cfg", 0).unwrap().leader, first);

    // The controller's broker goes away: the other one takes over with the next epoch and
    // moves the leadership to itself.
    c.stop_broker(first);
    assert!(wait_until(WAIT, || c.controller_id() == Some(other)));
    assert_eq!(c.controller_epoch(), 2);
    assert!(wait_until(WAIT, || c
        .state("cfg", 0)
        .is_some_and(|s| s.leader == other)));
    let s = c.state("cfg", 0).unwrap();
    assert_eq!(
        (s.leader_epoch, s.controller_epoch, s.isr),
        (1, 2, vec![other])
    );
    assert!(wait_until(WAIT, || c
        .broker(other)
        .ctx
        .controller_epoch
        .load(Ordering::SeqCst)
        == 2));

    // A partition added to the assignment is initialized with its live replica.
    let grown = TopicAssignment::new(
        BTreeMap::from([(0, vec![first, other]), (1, vec![first, other])]),
        Some(Uuid([11; 16])),
    );
    c.rt.block_on(c.zk.set_data(&path::topic("cfg"), &grown.encode(), -1))
        .unwrap();
    assert!(wait_until(WAIT, || c.state("cfg", 1).is_some()));
    let s = c.state("cfg", 1).unwrap();
    assert_eq!(
        (s.leader, s.isr.clone(), s.leader_epoch),
        (other, vec![other], 0)
    );
    assert!(wait_until(WAIT, || c.broker(other).hosts("cfg", 1)));

    // The first broker comes back: it learns its partitions as a follower and the cluster;
    // the ISR only grows back through replication, as in Kafka.
    let back = c.rt.block_on(Broker::start(&c.connect, first));
    c.brokers.push(back);
    assert!(wait_until(WAIT, || c.broker(first).hosts("cfg", 0)
        && c.broker(first).hosts("cfg", 1)));
    let hosted = c
        .broker(first)
        .ctx
        .replicas
        .partition(&TopicPartition::new("cfg", 0))
        .unwrap();
    assert_eq!(hosted.assignment().leader, BrokerId(other));
    assert!(wait_until(WAIT, || c
        .broker(first)
        .ctx
        .metadata
        .snapshot()
        .brokers()
        .len()
        == 2));
    assert_eq!(c.state("cfg", 0).unwrap().isr, vec![other]);
    assert_eq!(c.controller_id(), Some(other), "no re-election on rejoin");

    // The leader grows the ISR itself and notifies (as a ZooKeeper-mode leader does): the
    // controller re-reads the state, tells every broker and drops the notification.
    grow_isr(&c, "cfg", 0, &[other, first]);
    for b in &c.brokers {
        assert!(
            wait_until(WAIT, || metadata_view(&b.bootstrap(), "cfg")
                .is_some_and(|m| m[&0].1.len() == 2)),
            "broker {} sees the grown ISR",
            b.id
        );
    }
    assert!(wait_until(WAIT, || c
        .rt
        .block_on(c.zk.get_children(path::ISR_CHANGE_NOTIFICATION, false))
        .unwrap()
        .is_empty()));
}

/// Writes `isr` into a partition's state and notifies the controller, as a leader whose
/// followers caught up does.
fn grow_isr(c: &Cluster, topic: &str, partition: i32, isr: &[i32]) {
    let mut s = c.state(topic, partition).unwrap();
    s.isr = isr.to_vec();
    c.rt.block_on(async {
        c.zk.set_data(&path::partition_state(topic, partition), &s.encode(), -1)
            .await
            .unwrap();
        let note = rkafka::coordinator::kafka_paths::PartitionList::new(vec![
            rkafka::coordinator::kafka_paths::TopicPartitionRef {
                topic: topic.into(),
                partition,
            },
        ]);
        c.zk.create(
            &path::isr_change_create(),
            &note.encode(),
            &Acl::open_unsafe(),
            CreateMode::PersistentSequential,
        )
        .await
        .unwrap();
    });
}

#[test]
fn reassignment_moves_replicas_once_the_targets_are_in_sync() {
    let c = Cluster::on_coordinator(&[1, 2, 3]);
    assert!(wait_until(WAIT, || c.controller_id().is_some()));
    c.create_topic("mv", &[&[1, 2]]);
    assert!(wait_until(WAIT, || c.broker(1).hosts("mv", 0)
        && c.broker(2).hosts("mv", 0)));
    let request = rkafka::coordinator::kafka_paths::Reassignment::new(vec![
        rkafka::coordinator::kafka_paths::PartitionReplicas {
            topic: "mv".into(),
            partition: 0,
            replicas: vec![2, 3],
        },
    ]);
    c.rt.block_on(c.zk.create(
        path::REASSIGN_PARTITIONS,
        &request.encode(),
        &Acl::open_unsafe(),
        CreateMode::Persistent,
    ))
    .unwrap();
    // Started: the union assignment with what is added and removed; the new replica follows.
    let assignment = || TopicAssignment::decode(&c.data(&path::topic("mv")).unwrap()).unwrap();
    assert!(wait_until(WAIT, || assignment().partitions[&0] == [2, 3, 1]));
    let a = assignment();
    assert_eq!(a.adding_replicas[&0], [3]);
    assert_eq!(a.removing_replicas[&0], [1]);
    assert!(wait_until(WAIT, || c.broker(3).hosts("mv", 0)));
    assert!(c.broker(3).dir.path().join("mv-0").is_dir());
    assert_eq!(c.state("mv", 0).unwrap().leader_epoch, 1);
    assert!(
        c.data(path::REASSIGN_PARTITIONS).is_some(),
        "still in progress"
    );

    // The new replica caught up: the move completes.
    grow_isr(&c, "mv", 0, &[1, 2, 3]);
    assert!(wait_until(WAIT, || c
        .data(path::REASSIGN_PARTITIONS)
        .is_none()));
    let a = assignment();
    assert_eq!(a.partitions[&0], [2, 3]);
    assert!(a.adding_replicas.is_empty() && a.removing_replicas.is_empty());
    let s = c.state("mv", 0).unwrap();
    assert_eq!((s.leader, s.isr, s.leader_epoch), (2, vec![2, 3], 2));
    assert!(wait_until(WAIT, || !c.broker(1).hosts("mv", 0)
        && !c.broker(1).dir.path().join("mv-0").exists()));
    for b in &c.brokers {
        assert!(wait_until(WAIT, || metadata_view(&b.bootstrap(), "mv")
            .is_some_and(|m| m[&0] == (2, vec![2, 3]))));
    }
}
