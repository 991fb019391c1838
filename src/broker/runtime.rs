//! The broker process: start-up in Kafka's (ZooKeeper mode) order, the background work of a
//! running broker, and graceful shutdown.
//!
//! Start-up: settings from the resolved `server.properties` -> coordinator session
//! (`zookeeper.connect`, its chroot created first when missing) -> Kafka's persistent paths
//! -> cluster id (`/cluster/id`, created when absent) -> `meta.properties` checks -> broker id
//! (configured, stored, or generated from `/brokers/seqid`) -> log recovery ([`LogManager`],
//! each topic's `/config/topics/<t>` overrides applied) -> [`ReplicaManager`] and
//! [`BrokerContext`] -> listeners ([`BrokerServer`]) -> the ephemeral registration whose
//! czxid is the broker epoch. The broker puts its own endpoint into its metadata cache, so
//! Metadata answers before the controller's first UpdateMetadata.
//!
//! While running: a task follows the coordinator session and, when it expires, opens a new
//! one, swaps it into the context and registers again (new epoch); timers run log
//! maintenance (`log.retention.check.interval.ms`, flushes) and write the offset
//! checkpoints (`log.flush.offset.checkpoint.interval.ms`) on blocking threads.
//!
//! Shutdown (SIGTERM/SIGINT): stop accepting and finish the requests already read, stop the
//! timers, flush and seal the logs (clean-shutdown marker), then close the session, which
//! removes the registration — Kafka's order.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::broker::config_watch::{self, ConfigWatchHandle};
use crate::broker::controller::{self, ControllerConfig, ControllerHandle};
use crate::broker::handlers::BrokerContext;
use crate::broker::metadata::BrokerEndpoint;
use crate::broker::registration::{self as reg, BrokerIdChoice, RegistrationError};
use crate::broker::replica::ReplicaManager;
use crate::broker::server::{
    BrokerNetSettings, BrokerServer, ServerError, SettingsError, parse_listeners,
};
use crate::config::error::{ConfigError, Source};
use crate::config::resolve::ResolvedConfig;
use crate::coordinator::client::state::ConnectString;
use crate::coordinator::client::{ClientConfig, EventKind, Events, KeeperState, ZkClient, ZkError};
use crate::coordinator::kafka_paths::{BrokerRegistration, Endpoint};
use crate::log::config::LogConfig;
use crate::log::error::LogError;
use crate::log::manager::{LogManager, LogManagerConfig, parse_partition_dir_name};
use crate::types::BrokerId;

/// Why the broker could not start (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// A configuration value the broker cannot run with (exit code 2).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Kafka's `ZooKeeperClientTimeoutException` wording.
    #[error(
        "Timed out waiting for connection to the coordinator at {connect} after {timeout_ms} ms (zookeeper.connection.timeout.ms)"
    )]
    CoordinatorTimeout { connect: String, timeout_ms: u128 },
    #[error("cannot connect to the coordinator at {connect}: {source}")]
    Coordinator {
        connect: String,
        #[source]
        source: ZkError,
    },
    #[error(transparent)]
    Registration(#[from] RegistrationError),
    #[error("log storage: {0}")]
    Log(#[from] LogError),
    /// Kafka's socket server wording for a listener that cannot be bound.
    #[error("Socket server failed to bind to {host}:{port}: {source}")]
    Bind {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("a start-up task failed: {0}")]
    Task(String),
}

type Result<T, E = RuntimeError> = std::result::Result<T, E>;

/// Everything the runtime needs from `server.properties`, checked before anything starts.
#[derive(Debug, Clone)]
pub struct BrokerSettings {
    /// `zookeeper.connect` as written (hosts and optional chroot).
    pub zk_connect: String,
    /// The host list alone and the chroot (Kafka creates a missing chroot first).
    pub zk_hosts: String,
    pub zk_chroot: Option<String>,
    /// `zookeeper.session.timeout.ms`.
    pub session_timeout: Duration,
    /// `zookeeper.connection.timeout.ms`, else the session timeout.
    pub connection_timeout: Duration,
    /// `broker.id`; -1 asks for a generated or stored one.
    pub broker_id: i32,
    /// `broker.id.generation.enable`.
    pub id_generation: bool,
    /// `reserved.broker.max.id`.
    pub reserved_max_id: i32,
    /// `log.dirs`, else `log.dir`.
    pub log_dirs: Vec<PathBuf>,
    /// `num.recovery.threads.per.data.dir`.
    pub recovery_threads: usize,
    /// `broker.rack`.
    pub rack: Option<String>,
    pub net: BrokerNetSettings,
    /// How often [`ReplicaManager::maintain`] runs: the smaller of
    /// `log.retention.check.interval.ms` and `log.flush.scheduler.interval.ms`.
    pub maintain_interval: Duration,
    /// `log.flush.offset.checkpoint.interval.ms` (at least 1 ms).
    pub checkpoint_interval: Duration,
}

fn source_of(config: &ResolvedConfig, key: &str) -> Source {
    config.source(key).cloned().unwrap_or(Source::Default)
}

fn bad(
    config: &ResolvedConfig,
    key: &str,
    value: impl Into<String>,
    problem: &str,
    expected: &str,
) -> ConfigError {
    ConfigError::bad_value(source_of(config, key), key, value, problem, expected)
}

fn millis(config: &ResolvedConfig, key: &str) -> Option<i64> {
    config.get(key).and_then(crate::config::def::Value::as_i64)
}

impl BrokerSettings {
    /// Checks the keys the runtime depends on and derives its settings. `file` names the
    /// configuration file for a required key that is missing. Errors name the key and where
    /// its value came from (exit code 2).
    pub fn from_config(
        config: &ResolvedConfig,
        file: &Path,
    ) -> Result<BrokerSettings, ConfigError> {
        let zk_connect = config
            .get_string("zookeeper.connect")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ConfigError::Missing {
                path: file.to_path_buf(),
                key: "zookeeper.connect".into(),
            })?
            .to_string();
        if let Err(e) = ConnectString::parse(&zk_connect) {
            return Err(bad(
                config,
                "zookeeper.connect",
                &zk_connect,
                &format!("is not a coordinator address list ({e})"),
                "host:port[,host:port...][/chroot]",
            ));
        }
        let (zk_hosts, zk_chroot) = match zk_connect.find('/') {
            Some(i) => {
                let chroot = zk_connect[i..].trim_end_matches('/');
                (
                    zk_connect[..i].to_string(),
                    (!chroot.is_empty()).then(|| chroot.to_string()),
                )
            }
            None => (zk_connect.clone(), None),
        };
        let session_ms = millis(config, "zookeeper.session.timeout.ms").unwrap_or(18_000);
        if session_ms <= 0 {
            return Err(bad(
                config,
                "zookeeper.session.timeout.ms",
                session_ms.to_string(),
                "is not a positive duration",
                "a number of milliseconds above 0",
            ));
        }
        let connection_ms = millis(config, "zookeeper.connection.timeout.ms").unwrap_or(session_ms);
        if connection_ms <= 0 {
            return Err(bad(
                config,
                "zookeeper.connection.timeout.ms",
                connection_ms.to_string(),
                "is not a positive duration",
                "a number of milliseconds above 0",
            ));
        }

        let broker_id = config.get_int("broker.id").unwrap_or(-1);
        let id_generation = config
            .get_bool("broker.id.generation.enable")
            .unwrap_or(true);
        let reserved_max_id = config.get_int("reserved.broker.max.id").unwrap_or(1000);
        // KafkaConfig's rule and wording.
        if id_generation && !(-1..=reserved_max_id).contains(&broker_id) {
            return Err(bad(
                config,
                "broker.id",
                broker_id.to_string(),
                "is out of range",
                &format!(
                    "broker.id must be greater than or equal to -1 and not greater than reserved.broker.max.id ({reserved_max_id})"
                ),
            ));
        }
        if !id_generation && broker_id < 0 {
            return Err(bad(
                config,
                "broker.id",
                broker_id.to_string(),
                "is out of range",
                "broker.id must be greater than or equal to 0 when broker.id.generation.enable is false",
            ));
        }

        let (dirs_key, dirs_text) = match config.get_string("log.dirs") {
            Some(v) => ("log.dirs", v),
            None => (
                "log.dir",
                config.get_string("log.dir").unwrap_or("/tmp/kafka-logs"),
            ),
        };
        let log_dirs: Vec<PathBuf> = dirs_text
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .collect();
        if log_dirs.is_empty() {
            return Err(bad(
                config,
                dirs_key,
                dirs_text,
                "names no directory",
                "comma-separated directories",
            ));
        }
        let unique: BTreeSet<&PathBuf> = log_dirs.iter().collect();
        if unique.len() != log_dirs.len() {
            return Err(bad(
                config,
                dirs_key,
                dirs_text,
                "names a directory twice",
                "distinct directories",
            ));
        }
        let recovery_threads = usize::try_from(
            config
                .get_int("num.recovery.threads.per.data.dir")
                .unwrap_or(1),
        )
        .unwrap_or(1)
        .max(1);

        let net = BrokerNetSettings::from_config(config).map_err(|e| match e {
            SettingsError::OutOfRange { key, value } => bad(
                config,
                key,
                value.to_string(),
                "is out of range",
                "a count this machine can address",
            ),
            other => bad(
                config,
                "listeners",
                config.get_string("listeners").unwrap_or(""),
                &other.to_string(),
                "PLAINTEXT://host:port, comma-separated",
            ),
        })?;
        if let Some(adv) = config.get_string("advertised.listeners") {
            if let Err(e) = parse_listeners(adv) {
                return Err(bad(
                    config,
                    "advertised.listeners",
                    adv,
                    &e.to_string(),
                    "PLAINTEXT://host:port, comma-separated",
                ));
            }
        }

        let positive_ms = |key: &str, default: i64| -> Duration {
            let ms = millis(config, key).unwrap_or(default).max(1);
            Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
        };
        let retention_check = positive_ms("log.retention.check.interval.ms", 300_000);
        let flush_scheduler = positive_ms("log.flush.scheduler.interval.ms", i64::MAX);
        Ok(BrokerSettings {
            zk_connect,
            zk_hosts,
            zk_chroot,
            session_timeout: Duration::from_millis(session_ms as u64),
            connection_timeout: Duration::from_millis(connection_ms as u64),
            broker_id,
            id_generation,
            reserved_max_id,
            log_dirs,
            recovery_threads,
            rack: config.get_string("broker.rack").map(str::to_string),
            net,
            maintain_interval: retention_check.min(flush_scheduler),
            checkpoint_interval: positive_ms("log.flush.offset.checkpoint.interval.ms", 60_000),
        })
    }

    fn client_config(&self, connect: &str) -> ClientConfig {
        ClientConfig {
            session_timeout: self.session_timeout,
            connect_timeout: self.connection_timeout,
            ..ClientConfig::new(connect)
        }
    }
}

/// Wall-clock milliseconds since the epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// 16 random bytes from the OS (`/dev/urandom`), else from the std hasher's random keys.
fn random16() -> [u8; 16] {
    use std::io::Read;
    let mut buf = [0u8; 16];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .is_ok()
    {
        return buf;
    }
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    for (i, chunk) in buf.chunks_mut(8).enumerate() {
        let mut h = state.build_hasher();
        h.write_i64(now_ms());
        h.write_usize(i);
        chunk.copy_from_slice(&h.finish().to_be_bytes());
    }
    buf
}

/// Opens a session; a timeout gets Kafka's wording.
async fn connect(settings: &BrokerSettings, connect: &str) -> Result<(ZkClient, Events)> {
    ZkClient::connect(settings.client_config(connect))
        .await
        .map_err(|source| match source {
            ZkError::ConnectionLoss => RuntimeError::CoordinatorTimeout {
                connect: connect.to_string(),
                timeout_ms: settings.connection_timeout.as_millis(),
            },
            source => RuntimeError::Coordinator {
                connect: connect.to_string(),
                source,
            },
        })
}

/// The topics that have partition directories in the log dirs.
fn topics_on_disk(log_dirs: &[PathBuf]) -> Vec<String> {
    let mut topics = BTreeSet::new();
    for dir in log_dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some((topic, _)) = parse_partition_dir_name(&name) {
                topics.insert(topic.to_string());
            }
        }
    }
    topics.into_iter().collect()
}

/// What the session task needs to register again after an expiry.
#[derive(Debug, Clone)]
struct Registrar {
    broker_id: i32,
    endpoints: Vec<Endpoint>,
    rack: Option<String>,
}

impl Registrar {
    async fn register(&self, zk: &ZkClient) -> Result<i64, RegistrationError> {
        let registration = BrokerRegistration::new(&self.endpoints, self.rack.clone(), now_ms());
        reg::register_broker(zk, self.broker_id, &registration).await
    }
}

/// A started broker. [`RunningBroker::shutdown`] stops it the way Kafka does.
#[derive(Debug)]
pub struct RunningBroker {
    broker_id: i32,
    cluster_id: String,
    ctx: BrokerContext,
    server: BrokerServer,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    controller: ControllerHandle,
    config_watch: Option<ConfigWatchHandle>,
    started_in: Duration,
}

impl RunningBroker {
    pub fn broker_id(&self) -> i32 {
        self.broker_id
    }

    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// The handlers' shared state (coordinator session, epoch, metadata, replicas).
    pub fn context(&self) -> &BrokerContext {
        &self.ctx
    }

    /// The listeners' bound addresses.
    pub fn server(&self) -> &BrokerServer {
        &self.server
    }

    /// From the call to [`start`] to the registration.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// Stops accepting, answers the requests already read, stops the background tasks,
    /// flushes and seals the logs (`.kafka_cleanshutdown`), then closes the coordinator
    /// session, which deletes the registration.
    pub async fn shutdown(self) -> Result<()> {
        let id = self.broker_id;
        tracing::info!("[KafkaServer id={id}] shutting down");
        let _ = self.stop.send(true);
        self.server.shutdown().await;
        // Resign before the logs close, as Kafka's shutdown stops its controller early: another
        // broker takes over while this one's registration still exists.
        self.controller.shutdown().await;
        if let Some(watch) = self.config_watch {
            watch.shutdown().await;
        }
        for t in self.tasks {
            if let Err(e) = t.await {
                tracing::warn!("[KafkaServer id={id}] background task ended abnormally: {e}");
            }
        }
        let replicas = Arc::clone(&self.ctx.replicas);
        let logs = tokio::task::spawn_blocking(move || replicas.shutdown(now_ms()))
            .await
            .map_err(|e| RuntimeError::Task(e.to_string()))?;
        if let Some(zk) = self.ctx.zk.replace(None) {
            if let Err(e) = zk.close().await {
                tracing::warn!("[KafkaServer id={id}] closing the coordinator session: {e}");
            }
        }
        logs?;
        tracing::info!("[KafkaServer id={id}] shut down completed");
        Ok(())
    }
}

/// Runs the start-up sequence; the broker serves once this returns. On failure, what was
/// started is stopped again (logs sealed, session closed).
pub async fn start(config: Arc<ResolvedConfig>, settings: BrokerSettings) -> Result<RunningBroker> {
    let began = Instant::now();
    let (mut zk, mut events) = connect(&settings, &settings.zk_connect).await?;
    if let Some(chroot) = &settings.zk_chroot {
        // Through the chrooted session "/" is the chroot itself. Kafka creates a missing
        // chroot through a session without it; a new session then sees it from the start.
        let present = zk
            .exists("/", false)
            .await
            .map_err(|source| RuntimeError::Coordinator {
                connect: settings.zk_connect.clone(),
                source,
            })?;
        if present.is_none() {
            let _ = zk.close().await;
            let (root, _) = connect(&settings, &settings.zk_hosts).await?;
            let made = reg::ensure_path(&root, chroot).await;
            let _ = root.close().await;
            made?;
            (zk, events) = connect(&settings, &settings.zk_connect).await?;
        }
    }
    tracing::info!(
        "Connected to the coordinator at {} (session 0x{:x}, timeout {} ms)",
        settings.zk_connect,
        zk.session().session_id,
        zk.session().negotiated_timeout_ms
    );
    match start_with_session(config, settings, zk.clone(), events, began).await {
        Ok(b) => Ok(b),
        Err(e) => {
            let _ = zk.close().await;
            Err(e)
        }
    }
}

async fn start_with_session(
    config: Arc<ResolvedConfig>,
    settings: BrokerSettings,
    zk: ZkClient,
    events: Events,
    began: Instant,
) -> Result<RunningBroker> {
    reg::create_top_level_paths(&zk).await?;
    let cluster_id = reg::create_or_get_cluster_id(&zk, random16).await?;
    tracing::info!("Cluster ID = {cluster_id}");
    let meta = reg::read_stored_meta(&settings.log_dirs)?;
    reg::check_cluster_id(&meta, &cluster_id)?;
    let broker_id = match reg::choose_broker_id(settings.broker_id, &meta)? {
        BrokerIdChoice::Use(id) => id,
        BrokerIdChoice::Generate => reg::generate_broker_id(&zk, settings.reserved_max_id).await?,
    };
    tracing::info!("[KafkaServer id={broker_id}] starting");

    let topics = topics_on_disk(&settings.log_dirs);
    let overrides = reg::topic_overrides(&zk, &topics).await?;
    let log_config = Arc::clone(&config);
    let manager_config = LogManagerConfig {
        log_dirs: settings.log_dirs.clone(),
        broker_id,
        cluster_id: Some(cluster_id.clone()),
        recovery_threads_per_dir: settings.recovery_threads,
    };
    let seed = u64::from_be_bytes(random16()[..8].try_into().unwrap_or([0; 8]));
    let (logs, loaded) = tokio::task::spawn_blocking(move || {
        let per_topic = |topic: &str| {
            let topic_overrides = overrides.get(topic);
            LogConfig::resolve(&log_config, &|key| {
                topic_overrides.and_then(|m| m.get(key).cloned())
            })
        };
        LogManager::open(manager_config, &per_topic, now_ms(), seed)
    })
    .await
    .map_err(|e| RuntimeError::Task(e.to_string()))??;
    let recovered = loaded
        .iter()
        .filter(|l| l.report.segments_recovered > 0 || l.report.bytes_truncated > 0)
        .count();
    tracing::info!(
        "[KafkaServer id={broker_id}] loaded {} partition logs from {} log dirs ({recovered} needed recovery)",
        loaded.len(),
        settings.log_dirs.len()
    );

    let replicas = Arc::new(ReplicaManager::new(BrokerId(broker_id), logs));
    let ctx = BrokerContext::new(Arc::clone(&config), Arc::clone(&replicas));
    ctx.zk.replace(Some(zk.clone()));
    ctx.metadata
        .update(|m| m.set_cluster_id(Some(cluster_id.clone())));

    let server = match BrokerServer::start(settings.net.clone(), ctx.clone()).await {
        Ok(s) => s,
        Err(ServerError::Bind {
            host, port, source, ..
        }) => {
            seal_logs(&replicas).await;
            let host = if host.is_empty() {
                "0.0.0.0".into()
            } else {
                host
            };
            return Err(RuntimeError::Bind { host, port, source });
        }
    };

    let endpoints = match reg::advertised_endpoints(
        &config,
        server.listeners(),
        &reg::canonical_local_host(),
    ) {
        Ok(e) => e,
        Err(e) => {
            server.shutdown().await;
            seal_logs(&replicas).await;
            return Err(e.into());
        }
    };
    let registrar = Registrar {
        broker_id,
        endpoints,
        rack: settings.rack.clone(),
    };
    let epoch = match registrar.register(&zk).await {
        Ok(epoch) => epoch,
        Err(e) => {
            server.shutdown().await;
            seal_logs(&replicas).await;
            return Err(e.into());
        }
    };
    ctx.broker_epoch.store(epoch, Ordering::SeqCst);
    if let Some(own) = registrar.endpoints.first() {
        let me = BrokerEndpoint {
            id: BrokerId(broker_id),
            host: own.host.clone(),
            port: own.port,
            rack: settings.rack.clone(),
        };
        ctx.metadata.update(|m| m.upsert_broker(me));
    }
    tracing::info!(
        "[KafkaServer id={broker_id}] registered at /brokers/ids/{broker_id} with endpoints {:?}, broker epoch {epoch}",
        registrar
            .endpoints
            .iter()
            .map(|e| format!("{}://{}:{}", e.listener, e.host, e.port))
            .collect::<Vec<_>>()
    );

    // Every broker runs for controller once registered, as Kafka starts its KafkaController;
    // the controller keeps its own coordinator session (its watches are its own).
    let controller = controller::spawn(ControllerConfig::new(
        settings.client_config(&settings.zk_connect),
        broker_id,
    ));
    // Topic config changes (kafka-configs, topics --alter --config) reach the open logs through
    // the change notifications; without the watcher they would apply only after a restart.
    let config_watch = match config_watch::spawn(
        ctx.clone(),
        settings.client_config(&settings.zk_connect),
    )
    .await
    {
        Ok(handle) => Some(handle),
        Err(e) => {
            tracing::warn!(
                "[KafkaServer id={broker_id}] topic config changes will apply only after a restart: watcher could not start: {e}"
            );
            None
        }
    };

    let (stop, _) = watch::channel(false);
    let tasks = vec![
        tokio::spawn(follow_session(
            settings.clone(),
            ctx.clone(),
            registrar,
            events,
            stop.subscribe(),
        )),
        tokio::spawn(every(
            settings.maintain_interval,
            stop.subscribe(),
            Arc::clone(&replicas),
            "log maintenance",
            |r| r.maintain(now_ms()),
        )),
        tokio::spawn(every(
            settings.checkpoint_interval,
            stop.subscribe(),
            Arc::clone(&replicas),
            "offset checkpoints",
            |r| r.write_checkpoints(),
        )),
    ];
    let started_in = began.elapsed();
    tracing::info!(
        "[KafkaServer id={broker_id}] started (in {} ms)",
        started_in.as_millis()
    );
    Ok(RunningBroker {
        broker_id,
        cluster_id,
        ctx,
        server,
        stop,
        tasks,
        controller,
        config_watch,
        started_in,
    })
}

/// Seals the logs after a failed start, so the next start skips recovery.
async fn seal_logs(replicas: &Arc<ReplicaManager>) {
    let r = Arc::clone(replicas);
    match tokio::task::spawn_blocking(move || r.shutdown(now_ms())).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("closing the logs after a failed start: {e}"),
        Err(e) => tracing::warn!("closing the logs after a failed start: {e}"),
    }
}

/// Runs `work` on a blocking thread every `interval` until `stop`; failures are logged and
/// the next round runs anyway (a full disk may clear).
async fn every(
    interval: Duration,
    mut stop: watch::Receiver<bool>,
    replicas: Arc<ReplicaManager>,
    what: &'static str,
    work: fn(&ReplicaManager) -> Result<(), LogError>,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = ticks.tick() => {}
        }
        let r = Arc::clone(&replicas);
        match tokio::task::spawn_blocking(move || work(&r)).await {
            Ok(Ok(())) => {}
            // Shut down under us: nothing more to do.
            Ok(Err(LogError::ShutDown)) => return,
            Ok(Err(e)) => tracing::error!("{what} failed: {e}"),
            Err(e) => tracing::error!("{what} ended abnormally: {e}"),
        }
    }
}

/// Follows the coordinator session. When it expires, opens a new one (retrying until it
/// succeeds or the broker stops), installs it in the context and registers again; the new
/// registration's czxid becomes the broker epoch. This is Kafka's
/// `reinitializeAfterExpiration`.
async fn follow_session(
    settings: BrokerSettings,
    ctx: BrokerContext,
    registrar: Registrar,
    mut events: Events,
    mut stop: watch::Receiver<bool>,
) {
    let id = registrar.broker_id;
    loop {
        let event = tokio::select! {
            _ = stop.changed() => return,
            e = events.recv() => e,
        };
        let expired = match event {
            Some(e) => e.kind == EventKind::None && e.state == KeeperState::Expired,
            // The session's connection task ended without an expiry notice (the broker
            // closes its session only after this task stopped): the broker has no session
            // any more, which calls for the same cure.
            None => true,
        };
        if !expired {
            continue;
        }
        tracing::warn!("[KafkaServer id={id}] coordinator session expired; opening a new session");
        ctx.broker_epoch.store(-1, Ordering::SeqCst);
        let mut backoff = Duration::from_millis(100);
        events = loop {
            let attempt = async {
                let (zk, events) = connect(&settings, &settings.zk_connect).await?;
                let epoch = registrar.register(&zk).await?;
                Ok::<_, RuntimeError>((zk, events, epoch))
            };
            let outcome = tokio::select! {
                _ = stop.changed() => return,
                r = attempt => r,
            };
            match outcome {
                Ok((zk, new_events, epoch)) => {
                    let session = zk.session().session_id;
                    ctx.zk.replace(Some(zk));
                    ctx.broker_epoch.store(epoch, Ordering::SeqCst);
                    tracing::info!(
                        "[KafkaServer id={id}] registered again at /brokers/ids/{id} (session 0x{session:x}, broker epoch {epoch})"
                    );
                    break new_events;
                }
                Err(e) => {
                    tracing::error!(
                        "[KafkaServer id={id}] re-registration failed, retrying in {} ms: {e}",
                        backoff.as_millis()
                    );
                    tokio::select! {
                        _ = stop.changed() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        };
    }
}

/// Starts the broker, serves until `shutdown` resolves, then stops it gracefully.
pub async fn run(
    config: Arc<ResolvedConfig>,
    settings: BrokerSettings,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let mut shutdown = std::pin::pin!(shutdown);
    // A stop request during start-up abandons it: whatever was written is safe to leave
    // (logs not sealed are recovered on the next start; the session dies with the process).
    let broker = tokio::select! {
        started = start(config, settings) => started?,
        () = &mut shutdown => {
            tracing::info!("stopped during start-up");
            return Ok(());
        }
    };
    shutdown.await;
    broker.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Result<BrokerSettings, ConfigError> {
        let p = crate::config::Properties::parse(text, "server.properties").unwrap();
        let (c, _) = crate::config::resolve(&crate::config::server::BROKER, &p, &[]).unwrap();
        BrokerSettings::from_config(&c, Path::new("server.properties"))
    }

    #[test]
    fn settings_follow_kafka_defaults() {
        let s = settings("zookeeper.connect=a:2181,b:2181/kafka/prod\n").unwrap();
        assert_eq!(s.zk_hosts, "a:2181,b:2181");
        assert_eq!(s.zk_chroot.as_deref(), Some("/kafka/prod"));
        assert_eq!(s.session_timeout, Duration::from_millis(18_000));
        assert_eq!(s.connection_timeout, s.session_timeout);
        assert_eq!((s.broker_id, s.reserved_max_id), (-1, 1000));
        assert_eq!(s.log_dirs, vec![PathBuf::from("/tmp/kafka-logs")]);
        assert_eq!(s.maintain_interval, Duration::from_millis(300_000));
        assert_eq!(s.checkpoint_interval, Duration::from_millis(60_000));
        let s = settings(
            "zookeeper.connect=h:1\nlog.dirs=/a, /b\nlog.flush.scheduler.interval.ms=2000\nzookeeper.connection.timeout.ms=500\n",
        )
        .unwrap();
        assert_eq!(s.log_dirs, vec![PathBuf::from("/a"), PathBuf::from("/b")]);
        assert_eq!(s.maintain_interval, Duration::from_millis(2000));
        assert_eq!(s.connection_timeout, Duration::from_millis(500));
        assert_eq!(s.zk_chroot, None);
    }

    #[test]
    fn bad_settings_name_the_key_and_line() {
        let e = settings("broker.id=1\n").unwrap_err();
        assert!(e.to_string().contains("zookeeper.connect"), "{e}");
        let e = settings("zookeeper.connect=h:1\nbroker.id=1001\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("server.properties:2: broker.id: '1001'"),
            "{e}"
        );
        let e = settings("zookeeper.connect=h:1\nbroker.id.generation.enable=false\n").unwrap_err();
        assert!(e.to_string().contains("broker.id"), "{e}");
        let e = settings("zookeeper.connect=h:1\nlisteners=SSL://:9093\n").unwrap_err();
        assert!(
            e.to_string().starts_with("server.properties:2: listeners:"),
            "{e}"
        );
        let e = settings("zookeeper.connect=h:1\nlog.dirs=/a,/a\n").unwrap_err();
        assert!(e.to_string().contains("log.dirs"), "{e}");
        let e = settings("zookeeper.connect=h:1\nzookeeper.session.timeout.ms=0\n").unwrap_err();
        assert!(
            e.to_string().contains("zookeeper.session.timeout.ms"),
            "{e}"
        );
        let e = settings("zookeeper.connect=\n").unwrap_err();
        assert!(e.to_string().contains("zookeeper.connect"), "{e}");
    }

    #[test]
    fn topics_are_found_by_partition_directory() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["a-0", "a-1", "b.c-3", "not_a_partition", "x-0.abc-delete"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        assert_eq!(
            topics_on_disk(&[dir.path().to_path_buf(), dir.path().join("missing")]),
            vec!["a".to_string(), "b.c".to_string()]
        );
    }
}
