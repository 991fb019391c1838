//! An rkafka broker in-process for data-plane tests: `BrokerServer` + `BrokerContext` +
//! `ReplicaManager` over a log dir the test owns (so it can be restarted on the same data),
//! on 127.0.0.1:0. The test plays the controller: it fills the metadata cache with this
//! broker (id 0) as leader and makes the partitions leaders through
//! `ReplicaManager::apply_leader_and_isr`, exactly as a LeaderAndIsr would. Optionally an
//! in-process coordinator gives InitProducerId its `/latest_producer_id_block`.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rkafka::broker::handlers::BrokerContext;
use rkafka::broker::metadata::{BrokerEndpoint, PartitionState, TopicState};
use rkafka::broker::replica::{ReplicaAssignment, ReplicaManager, TopicPartition};
use rkafka::broker::server::{BrokerNetSettings, BrokerServer, ListenerSpec};
use rkafka::coordinator::client::{ClientConfig, ZkClient};
use rkafka::coordinator::{Coordinator, CoordinatorSettings};
use rkafka::log::config::LogConfig;
use rkafka::log::manager::{LogManager, LogManagerConfig};
use rkafka::protocol::codec::Uuid;
use rkafka::types::{BrokerId, LeaderEpoch, Partition};

/// This broker's id.
pub const ME: i32 = 0;

/// Per-topic log settings the test chooses (`max.message.bytes`, timestamp type ...).
pub type TopicConfigs = Arc<dyn Fn(&str) -> LogConfig + Send + Sync>;

/// A topic the test declares: name, partition count, and which broker leads partition `p`
/// (`leader(p)`); partitions led by another broker are followers here.
#[derive(Clone)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: i32,
    pub leader: fn(i32) -> i32,
}

impl TopicSpec {
    /// A topic whose partitions this broker leads.
    pub fn led(name: &str, partitions: i32) -> TopicSpec {
        TopicSpec {
            name: name.into(),
            partitions,
            leader: |_| ME,
        }
    }
}

pub struct InprocBroker {
    pub rt: tokio::runtime::Runtime,
    pub server: Option<BrokerServer>,
    ctx: Option<BrokerContext>,
    pub addr: SocketAddr,
    pub dir: PathBuf,
    topics: Vec<TopicSpec>,
    configs: TopicConfigs,
    coordinator: Option<(Coordinator, tempfile::TempDir)>,
}

impl InprocBroker {
    /// Starts a broker over `dir` with `topics`, every topic at default log settings.
    pub fn start(dir: &Path, topics: &[TopicSpec]) -> InprocBroker {
        Self::start_with(dir, topics, Arc::new(|_| LogConfig::default()), false)
    }

    /// Starts a broker over `dir`; `with_coordinator` also starts an in-process coordinator
    /// and hands its session to the broker (InitProducerId needs it).
    pub fn start_with(
        dir: &Path,
        topics: &[TopicSpec],
        configs: TopicConfigs,
        with_coordinator: bool,
    ) -> InprocBroker {
        // RUST_LOG=debug shows the broker's reasons (closed connections, storage errors).
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let coordinator = with_coordinator.then(|| {
            let zdir = tempfile::tempdir().unwrap();
            let settings = CoordinatorSettings {
                data_dir: zdir.path().to_path_buf(),
                client_addr: "127.0.0.1:0".parse().unwrap(),
                tick_time_ms: 200,
                min_session_timeout_ms: 1000,
                max_session_timeout_ms: 30_000,
                max_client_cnxns: 0,
                ..CoordinatorSettings::default()
            };
            (rt.block_on(Coordinator::start(settings)).unwrap(), zdir)
        });
        let mut broker = InprocBroker {
            rt,
            server: None,
            ctx: None,
            addr: "127.0.0.1:0".parse().unwrap(),
            dir: dir.to_path_buf(),
            topics: topics.to_vec(),
            configs,
            coordinator,
        };
        broker.boot();
        broker
    }

    fn boot(&mut self) {
        let configs = Arc::clone(&self.configs);
        let config = LogManagerConfig {
            log_dirs: vec![self.dir.clone()],
            broker_id: ME,
            cluster_id: Some("rkafka-dataplane".into()),
            recovery_threads_per_dir: 1,
        };
        let (logs, _) = LogManager::open(config, &|t| configs(t), now_ms(), 1).unwrap();
        let props = rkafka::config::properties::Properties::parse(
            &format!("broker.id={ME}\nlog.dirs={}\n", self.dir.display()),
            "test.properties",
        )
        .unwrap();
        let (config, _) =
            rkafka::config::resolve::resolve(&rkafka::config::server::BROKER, &props, &[]).unwrap();
        let ctx = BrokerContext::new(
            Arc::new(config),
            Arc::new(ReplicaManager::new(BrokerId(ME), logs)),
        );
        if let Some((c, _)) = &self.coordinator {
            let connect = c.local_addr().to_string();
            let zk: ZkClient = self.rt.block_on(async {
                let mut cfg = ClientConfig::new(connect);
                cfg.connect_timeout = Duration::from_secs(20);
                ZkClient::connect(cfg).await.unwrap().0
            });
            ctx.zk.replace(Some(zk));
        }
        let settings = BrokerNetSettings {
            listeners: vec![ListenerSpec {
                name: "PLAINTEXT".into(),
                host: "127.0.0.1".into(),
                port: 0,
            }],
            ..BrokerNetSettings::default()
        };
        let server = self
            .rt
            .block_on(BrokerServer::start(settings, ctx.clone()))
            .unwrap();
        self.addr = server.local_addr().unwrap();
        self.server = Some(server);
        self.ctx = Some(ctx);
        self.publish();
    }

    /// The controller's part: metadata for every topic and LeaderAndIsr for each partition.
    fn publish(&self) {
        let port = self.addr.port();
        self.ctx().metadata.update(|m| {
            m.set_cluster_id(Some("rkafka-dataplane".into()));
            m.set_controller(Some(BrokerId(ME)));
            m.set_brokers([
                BrokerEndpoint {
                    id: BrokerId(ME),
                    host: "127.0.0.1".into(),
                    port,
                    rack: None,
                },
                // The other replica of follower partitions; nothing listens there.
                BrokerEndpoint {
                    id: BrokerId(1),
                    host: "127.0.0.1".into(),
                    port: 1,
                    rack: None,
                },
            ]);
        });
        for (i, t) in self.topics.iter().enumerate() {
            let id = Uuid([u8::try_from(i + 1).unwrap(); 16]);
            let mut state = TopicState::new(&t.name, id);
            for p in 0..t.partitions {
                let leader = (t.leader)(p);
                let replicas = if leader == ME {
                    vec![BrokerId(ME)]
                } else {
                    vec![BrokerId(leader), BrokerId(ME)]
                };
                let isr = replicas.clone();
                state.partitions.insert(
                    Partition(p),
                    PartitionState {
                        partition: Partition(p),
                        leader: Some(BrokerId(leader)),
                        leader_epoch: LeaderEpoch(0),
                        replicas: replicas.clone(),
                        isr: isr.clone(),
                        offline_replicas: vec![],
                    },
                );
                let assignment = ReplicaAssignment {
                    topic_id: id,
                    controller_epoch: 1,
                    leader: BrokerId(leader),
                    leader_epoch: 0,
                    isr,
                    partition_epoch: 0,
                    replicas,
                    adding_replicas: vec![],
                    removing_replicas: vec![],
                    is_new: true,
                };
                self.ctx()
                    .replicas
                    .apply_leader_and_isr(
                        &TopicPartition::new(t.name.clone(), p),
                        assignment,
                        (self.configs)(&t.name),
                        now_ms(),
                        1,
                    )
                    .unwrap();
            }
            self.ctx().metadata.update(|m| m.upsert_topic(state));
        }
    }

    pub fn bootstrap(&self) -> String {
        self.addr.to_string()
    }

    /// Stops serving; `clean` shuts the logs down as a graceful stop does (flush, snapshots,
    /// checkpoints, clean-shutdown marker), otherwise they are dropped as a killed process
    /// leaves them (written data is in the page cache, nothing else).
    pub fn stop(&mut self, clean: bool) {
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.shutdown());
        }
        if let Some(ctx) = self.ctx.take() {
            if clean {
                ctx.replicas.shutdown(now_ms()).unwrap();
            }
        }
    }

    /// The running broker's context.
    pub fn ctx(&self) -> &BrokerContext {
        self.ctx.as_ref().expect("broker running")
    }

    /// Stops (cleanly or not) and starts again on the same log dir and coordinator.
    pub fn restart(&mut self, clean: bool) {
        self.stop(clean);
        self.boot();
    }
}

impl Drop for InprocBroker {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.shutdown());
        }
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
