//! What a ZooKeeper-mode broker writes to and reads from the coordinator at start-up, in
//! Kafka's formats: the chroot and Kafka's persistent paths, the cluster id (`/cluster/id`),
//! a generated broker id (`/brokers/seqid`), the per-topic config overrides
//! (`/config/topics/<t>`) and the ephemeral registration `/brokers/ids/<id>` whose czxid is
//! the broker epoch. Also the pure pieces around them: advertised endpoints, the host name
//! Kafka publishes for an empty listener host, and `meta.properties` checks against the
//! cluster id and broker id.
//!
//! Everything here is one step of [`crate::broker::runtime`]; errors carry Kafka's wording
//! where Kafka has one, because operators search for those messages.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::broker::server::{BoundListener, ListenerSpec, SettingsError, parse_listeners};
use crate::config::def::Value;
use crate::config::resolve::ResolvedConfig;
use crate::coordinator::client::{Acl, CreateMode, ZkClient, ZkError};
use crate::coordinator::kafka_paths::{
    BrokerRegistration, ClusterId, Endpoint, EntityConfig, path,
};
use crate::log::manager::META_PROPERTIES;
use crate::types::Uuid;

/// A start-up step against the coordinator or the log dirs that failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("coordinator request on {what} failed: {source}")]
    Zk {
        what: String,
        #[source]
        source: ZkError,
    },
    /// Kafka's `CheckedEphemeral` wording when another session owns the registration.
    #[error(
        "Error while creating ephemeral at {path}, node already exists and owner '{owner}' does not match current session '{session}'"
    )]
    NodeExistsOtherOwner {
        path: String,
        owner: i64,
        session: i64,
    },
    #[error("{what} holds data that is not Kafka's format: {reason}")]
    BadPayload { what: String, reason: String },
    /// Kafka's `InconsistentClusterIdException`.
    #[error(
        "The Cluster ID {cluster_id} doesn't match stored clusterId {stored} in meta.properties ({}). The broker is trying to join the wrong cluster. Configured zookeeper.connect may be wrong.",
        path.display()
    )]
    InconsistentClusterId {
        cluster_id: String,
        stored: String,
        path: PathBuf,
    },
    /// Kafka's `InconsistentBrokerIdException`.
    #[error(
        "Configured broker.id {configured} doesn't match stored broker.id {stored} in meta.properties ({}). If you moved your data, make sure your configured broker.id matches. If you intend to create a new broker, you should remove all data in your data directories (log.dirs).",
        path.display()
    )]
    InconsistentBrokerId {
        configured: i32,
        stored: i32,
        path: PathBuf,
    },
    /// Kafka's message when log dirs disagree about the broker id.
    #[error("Failed to match broker.id across log.dirs: {}", found.iter().map(|(p, id)| format!("{}={id}", p.display())).collect::<Vec<_>>().join(", "))]
    BrokerIdsDiffer { found: Vec<(PathBuf, i32)> },
    #[error("{}: {reason}", path.display())]
    BadMeta { path: PathBuf, reason: String },
    #[error("{0}")]
    Listeners(#[from] SettingsError),
    #[error("generated broker id {0} is out of range")]
    GeneratedIdOutOfRange(i64),
}

type Result<T, E = RegistrationError> = std::result::Result<T, E>;

fn zk_err(what: impl Into<String>) -> impl FnOnce(ZkError) -> RegistrationError {
    let what = what.into();
    move |source| RegistrationError::Zk { what, source }
}

/// Creates `path` and its missing parents as empty persistent znodes (Kafka's
/// `makeSurePersistentPathExists`); existing nodes are fine.
pub async fn ensure_path(zk: &ZkClient, full: &str) -> Result<()> {
    if zk
        .exists(full, false)
        .await
        .map_err(zk_err(full))?
        .is_some()
    {
        return Ok(());
    }
    let mut prefix = String::new();
    for part in full.split('/').filter(|p| !p.is_empty()) {
        prefix.push('/');
        prefix.push_str(part);
        match zk
            .create(&prefix, b"", &Acl::open_unsafe(), CreateMode::Persistent)
            .await
        {
            Ok(_) | Err(ZkError::NodeExists { .. }) => {}
            Err(e) => return Err(zk_err(prefix.clone())(e)),
        }
    }
    Ok(())
}

/// Creates Kafka's persistent top-level paths (`ZkData.PersistentZkPaths`) that are missing.
pub async fn create_top_level_paths(zk: &ZkClient) -> Result<()> {
    // Most clusters already have them all: one round of existence checks, pipelined.
    let paths = path::persistent_paths();
    let found = for_each_path(
        zk,
        &paths,
        |zk, p| async move { zk.exists(&p, false).await },
    )
    .await;
    for (p, exists) in paths.iter().zip(found) {
        if exists.map_err(zk_err(p.as_str()))?.is_none() {
            ensure_path(zk, p).await?;
        }
    }
    Ok(())
}

/// Runs `call` on every path at once (the client pipelines the requests) and returns the
/// replies in path order. A task that died counts as a closed session.
async fn for_each_path<T, F, Fut>(
    zk: &ZkClient,
    paths: &[String],
    call: F,
) -> Vec<Result<T, ZkError>>
where
    T: Send + 'static,
    F: Fn(ZkClient, String) -> Fut,
    Fut: std::future::Future<Output = Result<T, ZkError>> + Send + 'static,
{
    let handles: Vec<_> = paths
        .iter()
        .map(|p| tokio::spawn(call(zk.clone(), p.clone())))
        .collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap_or(Err(ZkError::Closed)));
    }
    out
}

/// A fresh cluster id as Kafka draws it (`Uuid.randomUuid` in URL-safe base64, 22 chars).
pub fn new_cluster_id(mut random: impl FnMut() -> [u8; 16]) -> String {
    loop {
        if let Some(id) = Uuid::from_random(random()) {
            return id.to_string();
        }
    }
}

/// Reads `/cluster/id`, creating it with a new id when absent (Kafka's
/// `createOrGetClusterId`; a race with another broker is settled by whoever created first).
pub async fn create_or_get_cluster_id(
    zk: &ZkClient,
    random: impl FnMut() -> [u8; 16],
) -> Result<String> {
    match zk.get_data(path::CLUSTER_ID, false).await {
        Ok((data, _)) => return decode_cluster_id(&data),
        Err(ZkError::NoNode { .. }) => {}
        Err(e) => return Err(zk_err(path::CLUSTER_ID)(e)),
    }
    let id = new_cluster_id(random);
    ensure_path(zk, path::CLUSTER).await?;
    match zk
        .create(
            path::CLUSTER_ID,
            &ClusterId::new(&id).encode(),
            &Acl::open_unsafe(),
            CreateMode::Persistent,
        )
        .await
    {
        Ok(_) => Ok(id),
        Err(ZkError::NodeExists { .. }) => {
            let (data, _) = zk
                .get_data(path::CLUSTER_ID, false)
                .await
                .map_err(zk_err(path::CLUSTER_ID))?;
            decode_cluster_id(&data)
        }
        Err(e) => Err(zk_err(path::CLUSTER_ID)(e)),
    }
}

fn decode_cluster_id(data: &[u8]) -> Result<String> {
    ClusterId::decode(data)
        .map(|c| c.id)
        .map_err(|e| RegistrationError::BadPayload {
            what: path::CLUSTER_ID.into(),
            reason: e.to_string(),
        })
}

/// A new broker id: bumps the version of `/brokers/seqid` by an unconditional empty write
/// and adds `reserved.broker.max.id`, as Kafka's `generateBrokerSequenceId` does (so the
/// first generated id of a cluster is 1001 with the default 1000).
pub async fn generate_broker_id(zk: &ZkClient, reserved_max: i32) -> Result<i32> {
    let stat = match zk.set_data(path::BROKER_SEQID, b"", -1).await {
        Ok(s) => s,
        Err(ZkError::NoNode { .. }) => {
            ensure_path(zk, path::BROKER_SEQID).await?;
            zk.set_data(path::BROKER_SEQID, b"", -1)
                .await
                .map_err(zk_err(path::BROKER_SEQID))?
        }
        Err(e) => return Err(zk_err(path::BROKER_SEQID)(e)),
    };
    let id = i64::from(stat.version) + i64::from(reserved_max);
    i32::try_from(id).map_err(|_| RegistrationError::GeneratedIdOutOfRange(id))
}

/// Each topic's config overrides from `/config/topics/<t>`, typed by the topic table; keys
/// the table does not know or values it refuses are skipped with a warning (the broker
/// falls back to its own default for them).
pub async fn topic_overrides(
    zk: &ZkClient,
    topics: &[String],
) -> Result<HashMap<String, BTreeMap<String, Value>>> {
    let paths: Vec<String> = topics.iter().map(|t| path::topic_config(t)).collect();
    let replies = for_each_path(
        zk,
        &paths,
        |zk, p| async move { zk.get_data(&p, false).await },
    )
    .await;
    let mut out = HashMap::new();
    for ((topic, p), reply) in topics.iter().zip(&paths).zip(replies) {
        let data = match reply {
            Ok((data, _)) => data,
            Err(ZkError::NoNode { .. }) => continue,
            Err(e) => return Err(zk_err(p.as_str())(e)),
        };
        let config = match EntityConfig::decode(&data) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(path = %p, "ignoring topic config that is not Kafka's format: {e}");
                continue;
            }
        };
        let mut typed = BTreeMap::new();
        for (key, raw) in &config.config {
            match crate::config::server::TOPIC
                .get(key)
                .map(|def| def.parse(raw))
            {
                Some(Ok(v)) => {
                    typed.insert(key.clone(), v);
                }
                Some(Err(refusal)) => tracing::warn!(
                    topic = %topic,
                    "ignoring topic config {key}='{raw}': expected {}",
                    refusal.expected
                ),
                None => tracing::warn!(topic = %topic, "ignoring unknown topic config {key}"),
            }
        }
        out.insert(topic.clone(), typed);
    }
    Ok(out)
}

/// Registers this broker: the ephemeral `/brokers/ids/<id>` holding `registration`. Returns
/// the broker epoch (the znode's czxid). A node left by this same session (a retry after a
/// lost connection) is taken as ours, as Kafka's `CheckedEphemeral` does; one owned by
/// another session is Kafka's "node already exists" error.
pub async fn register_broker(
    zk: &ZkClient,
    broker_id: i32,
    registration: &BrokerRegistration,
) -> Result<i64> {
    let node = path::broker(broker_id);
    let data = registration.encode();
    match zk
        .create2(&node, &data, &Acl::open_unsafe(), CreateMode::Ephemeral)
        .await
    {
        Ok((_, stat)) => Ok(stat.czxid),
        Err(ZkError::NoNode { .. }) => {
            ensure_path(zk, path::BROKER_IDS).await?;
            let (_, stat) = zk
                .create2(&node, &data, &Acl::open_unsafe(), CreateMode::Ephemeral)
                .await
                .map_err(zk_err(node.as_str()))?;
            Ok(stat.czxid)
        }
        Err(ZkError::NodeExists { .. }) => {
            let session = zk.session().session_id;
            let stat = zk
                .exists(&node, false)
                .await
                .map_err(zk_err(node.as_str()))?;
            match stat {
                Some(s) if s.ephemeral_owner == session => Ok(s.czxid),
                Some(s) => Err(RegistrationError::NodeExistsOtherOwner {
                    path: node,
                    owner: s.ephemeral_owner,
                    session,
                }),
                // Gone in between (its session just ended): try once more.
                None => zk
                    .create2(&node, &data, &Acl::open_unsafe(), CreateMode::Ephemeral)
                    .await
                    .map(|(_, s)| s.czxid)
                    .map_err(zk_err(node.as_str())),
            }
        }
        Err(e) => Err(zk_err(node.as_str())(e)),
    }
}

/// The endpoints this broker publishes: `advertised.listeners`, else `listeners`; an empty
/// host becomes `local_host` (Kafka publishes the machine's canonical host name) and port 0
/// becomes the port the same-named listener really bound.
pub fn advertised_endpoints(
    config: &ResolvedConfig,
    bound: &[BoundListener],
    local_host: &str,
) -> Result<Vec<Endpoint>> {
    let specs: Vec<ListenerSpec> = match config.get_string("advertised.listeners") {
        Some(v) if !v.trim().is_empty() => parse_listeners(v)?,
        _ => parse_listeners(
            config
                .get_string("listeners")
                .unwrap_or("PLAINTEXT://:9092"),
        )?,
    };
    let protocols = security_protocol_map(
        config
            .get_string("listener.security.protocol.map")
            .unwrap_or(""),
    );
    Ok(specs
        .into_iter()
        .map(|s| {
            let port = match s.port {
                0 => bound
                    .iter()
                    .find(|b| b.name == s.name)
                    .map_or(0, |b| b.addr.port()),
                p => p,
            };
            let host = if s.host.trim().is_empty() {
                local_host.to_string()
            } else {
                s.host
            };
            Endpoint {
                security_protocol: protocols
                    .get(&s.name)
                    .cloned()
                    .unwrap_or_else(|| s.name.clone()),
                listener: s.name,
                host,
                port,
            }
        })
        .collect())
}

fn security_protocol_map(text: &str) -> BTreeMap<String, String> {
    text.split(',')
        .filter_map(|pair| pair.trim().split_once(':'))
        .map(|(name, proto)| (name.trim().to_string(), proto.trim().to_string()))
        .collect()
}

/// The name Kafka publishes for a listener with an empty host: Java's
/// `InetAddress.getLocalHost().getCanonicalHostName()`. Here: the host name, resolved to an
/// address, and that address's first name in `/etc/hosts` (no reverse DNS query, which would
/// stall start-up on a machine without a resolver); the plain host name when that fails.
pub fn canonical_local_host() -> String {
    let name = nix::unistd::gethostname()
        .ok()
        .and_then(|n| n.into_string().ok())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "localhost".to_string());
    let addrs: Vec<std::net::IpAddr> =
        std::net::ToSocketAddrs::to_socket_addrs(&(name.as_str(), 0))
            .map(|a| a.map(|s| s.ip()).collect())
            .unwrap_or_default();
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    addrs
        .first()
        .and_then(|addr| first_hosts_name(&hosts, *addr))
        .unwrap_or(name)
}

/// The first name given to `addr` in an `/etc/hosts` text.
pub fn first_hosts_name(hosts: &str, addr: std::net::IpAddr) -> Option<String> {
    hosts.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let ip: std::net::IpAddr = fields.next()?.parse().ok()?;
        if ip == addr {
            fields.next().map(str::to_string)
        } else {
            None
        }
    })
}

/// What the log dirs' `meta.properties` files say (dirs without one are skipped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredMeta {
    /// (file, broker.id) of each file that has one.
    pub broker_ids: Vec<(PathBuf, i32)>,
    /// (file, cluster.id) of each file that has one.
    pub cluster_ids: Vec<(PathBuf, String)>,
}

/// Reads `meta.properties` of each log dir without creating anything.
pub fn read_stored_meta(log_dirs: &[PathBuf]) -> Result<StoredMeta> {
    let mut meta = StoredMeta::default();
    for dir in log_dirs {
        let file = dir.join(META_PROPERTIES);
        let props = match crate::config::read(&file) {
            Ok(p) => p,
            Err(crate::config::ConfigError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                continue;
            }
            Err(e) => {
                return Err(RegistrationError::BadMeta {
                    path: file,
                    reason: e.to_string(),
                });
            }
        };
        if let Some(e) = props.get("broker.id") {
            let id = e
                .value
                .trim()
                .parse::<i32>()
                .map_err(|_| RegistrationError::BadMeta {
                    path: file.clone(),
                    reason: format!("broker.id '{}' is not an integer", e.value),
                })?;
            meta.broker_ids.push((file.clone(), id));
        }
        if let Some(e) = props.get("cluster.id") {
            meta.cluster_ids
                .push((file.clone(), e.value.trim().to_string()));
        }
    }
    Ok(meta)
}

/// Kafka's cluster id check: every stored `cluster.id` must equal the coordinator's.
pub fn check_cluster_id(meta: &StoredMeta, cluster_id: &str) -> Result<()> {
    match meta.cluster_ids.iter().find(|(_, c)| c != cluster_id) {
        Some((path, stored)) => Err(RegistrationError::InconsistentClusterId {
            cluster_id: cluster_id.to_string(),
            stored: stored.clone(),
            path: path.clone(),
        }),
        None => Ok(()),
    }
}

/// What to do about the broker id, from the configuration and `meta.properties`
/// (Kafka's `getOrGenerateBrokerId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerIdChoice {
    /// Use this id.
    Use(i32),
    /// Generate one from `/brokers/seqid`.
    Generate,
}

/// Picks the broker id: the configured one (which must match the stored one), else the
/// stored one, else a generated one when generation is enabled. The configuration check
/// (`broker.id` in range) happened before.
pub fn choose_broker_id(configured: i32, meta: &StoredMeta) -> Result<BrokerIdChoice> {
    let mut stored: Option<(&Path, i32)> = None;
    for (path, id) in &meta.broker_ids {
        match stored {
            Some((_, first)) if first != *id => {
                return Err(RegistrationError::BrokerIdsDiffer {
                    found: meta.broker_ids.clone(),
                });
            }
            None => stored = Some((path, *id)),
            _ => {}
        }
    }
    match stored {
        Some((path, id)) if configured >= 0 && id != configured => {
            Err(RegistrationError::InconsistentBrokerId {
                configured,
                stored: id,
                path: path.to_path_buf(),
            })
        }
        Some((_, id)) => Ok(BrokerIdChoice::Use(id)),
        None if configured >= 0 => Ok(BrokerIdChoice::Use(configured)),
        None => Ok(BrokerIdChoice::Generate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, SocketAddr};

    fn config(text: &str) -> ResolvedConfig {
        let p = crate::config::Properties::parse(text, "server.properties").unwrap();
        crate::config::resolve(&crate::config::server::BROKER, &p, &[])
            .unwrap()
            .0
    }

    #[test]
    fn cluster_ids_are_kafka_uuids() {
        let mut draws = vec![[0u8; 16], [7u8; 16]].into_iter();
        let id = new_cluster_id(|| draws.next().unwrap());
        assert_eq!(id.len(), 22);
        // the all-zero draw is refused as Kafka's ZERO_UUID; the second is used
        let parsed = Uuid::parse(&id).unwrap();
        assert_eq!(parsed.0[6] >> 4, 4, "version 4");
        assert_ne!(parsed, Uuid::ZERO);
    }

    #[test]
    fn endpoints_fill_empty_hosts_and_bound_ports() {
        let bound = [BoundListener {
            name: "PLAINTEXT".into(),
            addr: SocketAddr::from(([0, 0, 0, 0], 40123)),
        }];
        let c = config("listeners=PLAINTEXT://:0\n");
        let e = advertised_endpoints(&c, &bound, "box.example").unwrap();
        assert_eq!(
            e,
            vec![Endpoint {
                listener: "PLAINTEXT".into(),
                security_protocol: "PLAINTEXT".into(),
                host: "box.example".into(),
                port: 40123
            }]
        );
        let c = config(
            "listeners=PLAINTEXT://:0\nadvertised.listeners=PLAINTEXT://kafka1.example:19092\n",
        );
        let e = advertised_endpoints(&c, &bound, "box").unwrap();
        assert_eq!((e[0].host.as_str(), e[0].port), ("kafka1.example", 19092));
        let c = config("listeners=PLAINTEXT://nonsense\n");
        assert!(advertised_endpoints(&c, &bound, "box").is_err());
    }

    #[test]
    fn hosts_file_gives_the_first_name_of_an_address() {
        let hosts = "# c\n127.0.0.1 localhost\n127.0.1.1\tvm.example vm # x\n::1 ip6-localhost\n";
        let first = |a: &str| first_hosts_name(hosts, a.parse::<IpAddr>().unwrap());
        assert_eq!(first("127.0.1.1").as_deref(), Some("vm.example"));
        assert_eq!(first("127.0.0.1").as_deref(), Some("localhost"));
        assert_eq!(first("::1").as_deref(), Some("ip6-localhost"));
        assert_eq!(first("10.0.0.1"), None);
        assert!(!canonical_local_host().is_empty());
    }

    #[test]
    fn broker_id_choice_follows_kafka() {
        let p = PathBuf::from("/d/meta.properties");
        let none = StoredMeta::default();
        assert_eq!(choose_broker_id(3, &none).unwrap(), BrokerIdChoice::Use(3));
        assert_eq!(
            choose_broker_id(-1, &none).unwrap(),
            BrokerIdChoice::Generate
        );
        let stored = StoredMeta {
            broker_ids: vec![(p.clone(), 1001)],
            cluster_ids: vec![],
        };
        assert_eq!(
            choose_broker_id(-1, &stored).unwrap(),
            BrokerIdChoice::Use(1001)
        );
        assert_eq!(
            choose_broker_id(1001, &stored).unwrap(),
            BrokerIdChoice::Use(1001)
        );
        let e = choose_broker_id(2, &stored).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Configured broker.id 2 doesn't match stored broker.id 1001"),
            "{e}"
        );
        let split = StoredMeta {
            broker_ids: vec![(p.clone(), 1), (PathBuf::from("/e/meta.properties"), 2)],
            cluster_ids: vec![],
        };
        assert!(matches!(
            choose_broker_id(1, &split),
            Err(RegistrationError::BrokerIdsDiffer { .. })
        ));
    }

    #[test]
    fn stored_meta_is_read_and_cluster_id_checked() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::write(
            a.join(META_PROPERTIES),
            "#x\nversion=0\nbroker.id=4\ncluster.id=abc\n",
        )
        .unwrap();
        let meta = read_stored_meta(&[a.clone(), b]).unwrap();
        assert_eq!(meta.broker_ids, vec![(a.join(META_PROPERTIES), 4)]);
        check_cluster_id(&meta, "abc").unwrap();
        let e = check_cluster_id(&meta, "xyz").unwrap_err();
        assert!(
            e.to_string().starts_with(
                "The Cluster ID xyz doesn't match stored clusterId abc in meta.properties"
            ),
            "{e}"
        );
        std::fs::write(a.join(META_PROPERTIES), "broker.id=x\n").unwrap();
        assert!(matches!(
            read_stored_meta(&[a]),
            Err(RegistrationError::BadMeta { .. })
        ));
    }
}
