//! Kafka's znode layout in ZooKeeper mode (Kafka 2.8 to 3.9, `kafka.zk.ZkData`): the paths and
//! the JSON payloads, with Kafka's field names and the versions Kafka 3.9 writes.
//!
//! rkafka's broker, controller and tools read and write these znodes exactly as Kafka does, so
//! that real Kafka brokers in ZooKeeper mode and rkafka's tools can share one ZooKeeper (or one
//! rkafka coordinator). Decoding tolerates unknown fields and the older versions Kafka still
//! reads; encoding writes exactly Kafka 3.9's shape. Pure: no I/O; time and randomness are
//! passed in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A payload that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The bytes are not the JSON Kafka writes for this znode.
    #[error("cannot parse the {what} znode data: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A plain-text znode (controller epoch, consumer offset) does not hold a number.
    #[error("the {what} znode does not hold a number: {text:?}")]
    NotANumber { what: &'static str, text: String },
}

fn parse<'a, T: Deserialize<'a>>(what: &'static str, bytes: &'a [u8]) -> Result<T, PayloadError> {
    serde_json::from_slice(bytes).map_err(|source| PayloadError::Json { what, source })
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing these plain structs (string keys, integers, strings) cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

/// Paths of the znodes Kafka uses. Names (topics, ids) are inserted as given: callers validate
/// topic names first (see `admin::topic_name`).
pub mod path {
    pub const CLUSTER: &str = "/cluster";
    pub const CLUSTER_ID: &str = "/cluster/id";
    pub const CONTROLLER: &str = "/controller";
    pub const CONTROLLER_EPOCH: &str = "/controller_epoch";
    pub const BROKERS: &str = "/brokers";
    pub const BROKER_IDS: &str = "/brokers/ids";
    pub const BROKER_TOPICS: &str = "/brokers/topics";
    pub const BROKER_SEQID: &str = "/brokers/seqid";
    pub const ADMIN: &str = "/admin";
    pub const DELETE_TOPICS: &str = "/admin/delete_topics";
    pub const REASSIGN_PARTITIONS: &str = "/admin/reassign_partitions";
    pub const PREFERRED_REPLICA_ELECTION: &str = "/admin/preferred_replica_election";
    pub const ISR_CHANGE_NOTIFICATION: &str = "/isr_change_notification";
    /// Prefix of the sequential children of [`ISR_CHANGE_NOTIFICATION`].
    pub const ISR_CHANGE_PREFIX: &str = "isr_change_";
    pub const LOG_DIR_EVENT_NOTIFICATION: &str = "/log_dir_event_notification";
    /// Prefix of the sequential children of [`LOG_DIR_EVENT_NOTIFICATION`].
    pub const LOG_DIR_EVENT_PREFIX: &str = "log_dir_event_";
    pub const CONFIG: &str = "/config";
    pub const CONFIG_CHANGES: &str = "/config/changes";
    /// Prefix of the sequential children of [`CONFIG_CHANGES`].
    pub const CONFIG_CHANGE_PREFIX: &str = "config_change_";
    pub const CONSUMERS: &str = "/consumers";
    pub const LATEST_PRODUCER_ID_BLOCK: &str = "/latest_producer_id_block";
    pub const FEATURE: &str = "/feature";
    pub const DELEGATION_TOKEN: &str = "/delegation_token";
    pub const KAFKA_ACL: &str = "/kafka-acl";
    pub const KAFKA_ACL_CHANGES: &str = "/kafka-acl-changes";
    pub const KAFKA_ACL_EXTENDED: &str = "/kafka-acl-extended";
    pub const KAFKA_ACL_EXTENDED_CHANGES: &str = "/kafka-acl-extended-changes";

    /// The `/config` entity types (Kafka's `ConfigType.ALL`).
    pub const CONFIG_ENTITY_TYPES: &[&str] = &["topics", "clients", "users", "brokers", "ips"];
    /// The entity name of the cluster-wide broker default under `/config/brokers`.
    pub const DEFAULT_BROKER_ENTITY: &str = "<default>";

    /// The persistent paths a Kafka broker creates on start (`ZkData.PersistentZkPaths`).
    pub fn persistent_paths() -> Vec<String> {
        let mut paths: Vec<String> = [
            CONSUMERS,
            BROKER_IDS,
            BROKER_TOPICS,
            CONFIG_CHANGES,
            DELETE_TOPICS,
            BROKER_SEQID,
            ISR_CHANGE_NOTIFICATION,
            LATEST_PRODUCER_ID_BLOCK,
            LOG_DIR_EVENT_NOTIFICATION,
        ]
        .iter()
        .map(|p| p.to_string())
        .collect();
        paths.extend(CONFIG_ENTITY_TYPES.iter().map(|t| config_entity_type(t)));
        paths
    }

    /// `/brokers/ids/<id>`: a live broker's registration (ephemeral).
    pub fn broker(id: i32) -> String {
        format!("{BROKER_IDS}/{id}")
    }
    /// `/brokers/topics/<topic>`: the topic's replica assignment and id.
    pub fn topic(topic: &str) -> String {
        format!("{BROKER_TOPICS}/{topic}")
    }
    /// `/brokers/topics/<topic>/partitions`.
    pub fn topic_partitions(topic: &str) -> String {
        format!("{BROKER_TOPICS}/{topic}/partitions")
    }
    /// `/brokers/topics/<topic>/partitions/<p>`.
    pub fn topic_partition(topic: &str, partition: i32) -> String {
        format!("{BROKER_TOPICS}/{topic}/partitions/{partition}")
    }
    /// `/brokers/topics/<topic>/partitions/<p>/state`: leader, ISR and epochs.
    pub fn partition_state(topic: &str, partition: i32) -> String {
        format!("{BROKER_TOPICS}/{topic}/partitions/{partition}/state")
    }
    /// `/admin/delete_topics/<topic>`: the topic is marked for deletion.
    pub fn delete_topic(topic: &str) -> String {
        format!("{DELETE_TOPICS}/{topic}")
    }
    /// `/config/<type>` (`topics`, `brokers`, ...).
    pub fn config_entity_type(entity_type: &str) -> String {
        format!("{CONFIG}/{entity_type}")
    }
    /// `/config/<type>/<name>`: the entity's config overrides.
    pub fn config_entity(entity_type: &str, name: &str) -> String {
        format!("{CONFIG}/{entity_type}/{name}")
    }
    /// `/config/topics/<topic>`.
    pub fn topic_config(topic: &str) -> String {
        config_entity("topics", topic)
    }
    /// `/config/brokers/<id>`, or `/config/brokers/<default>` for `None`.
    pub fn broker_config(id: Option<i32>) -> String {
        match id {
            Some(id) => config_entity("brokers", &id.to_string()),
            None => config_entity("brokers", DEFAULT_BROKER_ENTITY),
        }
    }
    /// The path to create (PERSISTENT_SEQUENTIAL) for a config change notification.
    pub fn config_change_create() -> String {
        format!("{CONFIG_CHANGES}/{CONFIG_CHANGE_PREFIX}")
    }
    /// The path to create (PERSISTENT_SEQUENTIAL) for an ISR change notification.
    pub fn isr_change_create() -> String {
        format!("{ISR_CHANGE_NOTIFICATION}/{ISR_CHANGE_PREFIX}")
    }
    /// The path to create (PERSISTENT_SEQUENTIAL) for a log dir failure event.
    pub fn log_dir_event_create() -> String {
        format!("{LOG_DIR_EVENT_NOTIFICATION}/{LOG_DIR_EVENT_PREFIX}")
    }
    /// `/consumers/<group>/offsets/<topic>/<p>`: a legacy ZooKeeper consumer's offset.
    pub fn consumer_offset(group: &str, topic: &str, partition: i32) -> String {
        format!("{CONSUMERS}/{group}/offsets/{topic}/{partition}")
    }
}

// ---------------------------------------------------------------------------------------------
// Topic ids
// ---------------------------------------------------------------------------------------------

pub use crate::types::Uuid;

// ---------------------------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------------------------

/// `/controller`: the elected controller (version 2 since Kafka 3.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerData {
    pub version: i32,
    pub brokerid: i32,
    /// ms since the epoch, as a decimal string.
    pub timestamp: String,
    /// -1 for a ZooKeeper-mode controller; absent in version 1.
    #[serde(
        rename = "kraftControllerEpoch",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kraft_controller_epoch: Option<i32>,
}

impl ControllerData {
    /// Kafka 3.9's registration of ZooKeeper-mode controller `broker_id` at `now_ms`.
    pub fn new(broker_id: i32, now_ms: i64) -> ControllerData {
        ControllerData {
            version: 2,
            brokerid: broker_id,
            timestamp: now_ms.to_string(),
            kraft_controller_epoch: Some(-1),
        }
    }
    pub fn encode(&self) -> Vec<u8> {
        to_json(self)
    }
    pub fn decode(bytes: &[u8]) -> Result<ControllerData, PayloadError> {
        parse("/controller", bytes)
    }
}

/// `/controller_epoch` holds a decimal number.
pub fn encode_controller_epoch(epoch: i32) -> Vec<u8> {
    epoch.to_string().into_bytes()
}

/// Reads `/controller_epoch`.
pub fn decode_controller_epoch(bytes: &[u8]) -> Result<i32, PayloadError> {
    let text = String::from_utf8_lossy(bytes);
    text.trim().parse().map_err(|_| PayloadError::NotANumber {
        what: "/controller_epoch",
        text: text.into_owned(),
    })
}

/// A feature's supported version range in a broker registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportedVersionRange {
    pub min_version: i16,
    pub max_version: i16,
}

/// `/brokers/ids/<id>`: a broker registration, version 5 in Kafka 2.7+.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerRegistration {
    pub version: i32,
    /// The first PLAINTEXT endpoint's host, or null when there is none.
    pub host: Option<String>,
    /// The first PLAINTEXT endpoint's port, or -1.
    pub port: i32,
    /// `LISTENER://host:port` for every advertised listener.
    pub endpoints: Vec<String>,
    pub jmx_port: i32,
    /// ms since the epoch, as a decimal string.
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rack: Option<String>,
    /// Listener name -> security protocol (version 4+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_security_protocol_map: Option<BTreeMap<String, String>>,
    /// Supported features (version 5+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<BTreeMap<String, SupportedVersionRange>>,
}

/// One advertised listener of a broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub listener: String,
    pub security_protocol: String,
    pub host: String,
    pub port: u16,
}

impl BrokerRegistration {
    /// Kafka 3.9's version-5 registration for these endpoints at `now_ms`.
    pub fn new(endpoints: &[Endpoint], rack: Option<String>, now_ms: i64) -> BrokerRegistration {
        let plaintext = endpoints
            .iter()
            .find(|e| e.security_protocol == "PLAINTEXT");
        BrokerRegistration {
            version: 5,
            host: plaintext.map(|e| e.host.clone()),
            port: plaintext.map_or(-1, |e| i32::from(e.port)),
            endpoints: endpoints
                .iter()
                .map(|e| {
                    if e.host.contains(':') {
                        format!("{}://[{}]:{}", e.listener, e.host, e.port)
                    } else {
                        format!("{}://{}:{}", e.listener, e.host, e.port)
                    }
                })
                .collect(),
            jmx_port: -1,
            timestamp: now_ms.to_string(),
            rack,
            listener_security_protocol_map: Some(
                endpoints
                    .iter()
                    .map(|e| (e.listener.clone(), e.security_protocol.clone()))
                    .collect(),
            ),
            features: Some(BTreeMap::new()),
        }
    }
    pub fn encode(&self) -> Vec<u8> {
        to_json(self)
    }
    pub fn decode(bytes: &[u8]) -> Result<BrokerRegistration, PayloadError> {
        parse("/brokers/ids/<id>", bytes)
    }
}

/// Partition -> replica broker ids, in partition order (JSON keys are decimal strings).
pub type ReplicaMap = BTreeMap<i32, Vec<i32>>;

/// `/brokers/topics/<t>`: the replica assignment (version 3 in Kafka 3.x) and the topic id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicAssignment {
    pub version: i32,
    pub partitions: ReplicaMap,
    /// Replicas being added by a reassignment in progress (only partitions with some).
    #[serde(default)]
    pub adding_replicas: ReplicaMap,
    /// Replicas being removed by a reassignment in progress (only partitions with some).
    #[serde(default)]
    pub removing_replicas: ReplicaMap,
    /// Absent for topics created before Kafka 2.8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<String>,
}

impl TopicAssignment {
    /// Kafka 3.9's payload for a topic without reassignment in progress.
    pub fn new(partitions: ReplicaMap, topic_id: Option<Uuid>) -> TopicAssignment {
        TopicAssignment {
            version: 3,
            partitions,
            adding_replicas: BTreeMap::new(),
            removing_replicas: BTreeMap::new(),
            topic_id: topic_id.map(|id| id.to_string()),
        }
    }
    pub fn encode(&self) -> Vec<u8> {
        to_json(self)
    }
    pub fn decode(bytes: &[u8]) -> Result<TopicAssignment, PayloadError> {
        parse("/brokers/topics/<topic>", bytes)
    }
    /// The topic id, if the payload has a valid one.
    pub fn uuid(&self) -> Option<Uuid> {
        self.topic_id.as_deref().and_then(|t| Uuid::parse(t).ok())
    }
}

/// `/brokers/topics/<t>/partitions/<p>/state`: leader and ISR (version 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionState {
    pub controller_epoch: i32,
    /// -1 when the partition has no leader.
    pub leader: i32,
    pub version: i32,
    pub leader_epoch: i32,
    pub isr: Vec<i32>,
    /// Written only when not RECOVERED (0): 1 means RECOVERING (KIP-704).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_recovery_state: Option<i8>,
}

impl PartitionState {
    pub fn encode(&self) -> Vec<u8> {
        to_json(self)
    }
    pub fn decode(bytes: &[u8]) -> Result<PartitionState, PayloadError> {
        parse("partition state", bytes)
    }
    /// The leader, or None for Kafka's "no leader" (-1).
    pub fn leader(&self) -> Option<i32> {
        (self.leader >= 0).then_some(self.leader)
    }
}

/// `/config/<type>/<name>`: config overrides (version 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityConfig {
    pub version: i32,
    pub config: BTreeMap<String, String>,
}

impl EntityConfig {
    pub fn new(config: BTreeMap<String, String>) -> EntityConfig {
        EntityConfig { version: 1, config }
    }
    pub fn encode(&self) -> Vec<u8> {
        to_json(self)
    }
    /// Empty data (a node created without config) reads as no overrides, as in Kafka.
    pub fn decode(bytes: &[u8]) -> Result<EntityConfig, PayloadError> {
        if bytes.is_empty() || bytes == b"null" {
            return Ok(EntityConfig::new(BTreeMap::new()));
        }
        parse("config", bytes)
    }
}

/// `/config/changes/config_change_<seq>`: tells brokers an entity's config changed (version 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigChangeNotification {
    pub version: i32,
    /// `<type>/<name>`, e.g. `topics/foo`.
    pub entity_path: String,
}

impl ConfigChangeNotification {
    pub fn new(entity_type: &str, name: &str) -> ConfigChangeNotification {
        ConfigChangeNotification {
            version: 2,
            entity_path: format!("{entity_type}/{name}"),
        }
    }
    pub fn encode(&self) -> Vec<u8> {
        to_json(self)
    }
    pub fn decode(bytes: &[u8]) -> Result<ConfigChangeNotification, PayloadError> {
        parse("config change notification", bytes)
    }
}

/// `/cluster/id`; note that `version` is a string here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterId {
    pub version: String,
    pub id: String,
}

impl ClusterId {
    pub fn new(id: &str) -> ClusterId {
        ClusterId {
            version: "1".to_string(),
            id: id.to_string(),
        }
    }
    pub fn encode(&self) -> Vec<u8> {
        to_json(self)
    }
    pub fn decode(bytes: &[u8]) -> Result<ClusterId, PayloadError> {
        parse("/cluster/id", bytes)
    }
}

/// One partition's target replicas in `/admin/reassign_partitions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionReplicas {
    pub topic: String,
    pub partition: i32,
    pub replicas: Vec<i32>,
}

/// `/admin/reassign_partitions`: the legacy (ZooKeeper) reassignment request, version 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reassignment {
    pub version: i32,
    pub partitions: Vec<PartitionReplicas>,
}

impl Reassignment {
    pub fn new(partitions: Vec<PartitionReplicas>) -> Reassignment {
        Reassignment {
            version: 1,
            partitions,
        }
    }
    pub fn encode(&self) -> Vec<u8> {
        to_json(self)
    }
    pub fn decode(bytes: &[u8]) -> Result<Reassignment, PayloadError> {
        parse("/admin/reassign_partitions", bytes)
    }
}

/// A topic partition as the notification znodes name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TopicPartitionRef {
    pub topic: String,
    pub partition: i32,
}

/// `/admin/preferred_replica_election` and `/isr_change_notification/isr_change_<seq>`: a list
/// of partitions, version 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionList {
    pub version: i32,
    pub partitions: Vec<TopicPartitionRef>,
}

impl PartitionList {
    pub fn new(partitions: Vec<TopicPartitionRef>) -> PartitionList {
        PartitionList {
            version: 1,
            partitions,
        }
    }
    pub fn encode(&self) -> Vec<u8> {
        to_json(self)
    }
    pub fn decode(bytes: &[u8]) -> Result<PartitionList, PayloadError> {
        parse("partition list", bytes)
    }
}

/// `/log_dir_event_notification/log_dir_event_<seq>`: a broker lost a log directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogDirEvent {
    pub version: i32,
    pub broker: i32,
    /// 1: log directory failure (the only event Kafka defines).
    pub event: i32,
}

impl LogDirEvent {
    pub fn failure(broker: i32) -> LogDirEvent {
        LogDirEvent {
            version: 1,
            broker,
            event: 1,
        }
    }
    pub fn encode(&self) -> Vec<u8> {
        to_json(self)
    }
    pub fn decode(bytes: &[u8]) -> Result<LogDirEvent, PayloadError> {
        parse("log dir event", bytes)
    }
}

/// `/latest_producer_id_block`: the last block of producer ids handed out (version 1); the
/// bounds are decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerIdBlock {
    pub version: i64,
    pub broker: i32,
    pub block_start: String,
    pub block_end: String,
}

impl ProducerIdBlock {
    /// The block `[first, last]` given to `broker`.
    pub fn new(broker: i32, first: i64, last: i64) -> ProducerIdBlock {
        ProducerIdBlock {
            version: 1,
            broker,
            block_start: first.to_string(),
            block_end: last.to_string(),
        }
    }
    pub fn encode(&self) -> Vec<u8> {
        to_json(self)
    }
    pub fn decode(bytes: &[u8]) -> Result<ProducerIdBlock, PayloadError> {
        parse("/latest_producer_id_block", bytes)
    }
    /// The block bounds as numbers.
    pub fn bounds(&self) -> Result<(i64, i64), PayloadError> {
        let num = |text: &str| {
            text.parse::<i64>().map_err(|_| PayloadError::NotANumber {
                what: "/latest_producer_id_block",
                text: text.to_string(),
            })
        };
        Ok((num(&self.block_start)?, num(&self.block_end)?))
    }
}

/// A finalized feature level in `/feature` (version 2 dropped `min_version_level`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalizedLevel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version_level: Option<i16>,
    pub max_version_level: i16,
}

/// `/feature`: the cluster's finalized features (KIP-584); version 2 since Kafka 3.3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureZNode {
    pub version: i32,
    /// 0 disabled, 1 enabled.
    pub status: i32,
    pub features: BTreeMap<String, FinalizedLevel>,
}

impl FeatureZNode {
    /// An enabled version-2 node with these finalized levels.
    pub fn enabled(features: BTreeMap<String, i16>) -> FeatureZNode {
        FeatureZNode {
            version: 2,
            status: 1,
            features: features
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        FinalizedLevel {
                            min_version_level: None,
                            max_version_level: v,
                        },
                    )
                })
                .collect(),
        }
    }
    pub fn encode(&self) -> Vec<u8> {
        to_json(self)
    }
    pub fn decode(bytes: &[u8]) -> Result<FeatureZNode, PayloadError> {
        parse("/feature", bytes)
    }
}

/// A legacy consumer offset (`/consumers/<g>/offsets/<t>/<p>`) is a decimal number.
pub fn decode_consumer_offset(bytes: &[u8]) -> Result<i64, PayloadError> {
    let text = String::from_utf8_lossy(bytes);
    text.trim().parse().map_err(|_| PayloadError::NotANumber {
        what: "consumer offset",
        text: text.into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_kafkas() {
        assert_eq!(path::broker(1), "/brokers/ids/1");
        assert_eq!(path::topic("t"), "/brokers/topics/t");
        assert_eq!(
            path::partition_state("t", 3),
            "/brokers/topics/t/partitions/3/state"
        );
        assert_eq!(path::delete_topic("t"), "/admin/delete_topics/t");
        assert_eq!(path::topic_config("t"), "/config/topics/t");
        assert_eq!(path::broker_config(None), "/config/brokers/<default>");
        assert_eq!(path::broker_config(Some(2)), "/config/brokers/2");
        assert_eq!(
            path::config_change_create(),
            "/config/changes/config_change_"
        );
        assert_eq!(
            path::isr_change_create(),
            "/isr_change_notification/isr_change_"
        );
        assert_eq!(
            path::consumer_offset("g", "t", 0),
            "/consumers/g/offsets/t/0"
        );
        let p = path::persistent_paths();
        assert_eq!(p.len(), 14);
        assert!(p.contains(&"/config/ips".to_string()));
        assert!(p.contains(&"/latest_producer_id_block".to_string()));
    }

    #[test]
    fn uuid_text_round_trip_and_known_value() {
        // Kafka: new Uuid(0x0123456789abcdefL, 0xfedcba9876543210L).toString()
        let id = Uuid([
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54,
            0x32, 0x10,
        ]);
        assert_eq!(id.to_string(), "ASNFZ4mrze_-3LqYdlQyEA");
        assert_eq!(Uuid::parse("ASNFZ4mrze_-3LqYdlQyEA").unwrap(), id);
        assert_eq!(Uuid::ZERO.to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(
            Uuid::METADATA_TOPIC_ID.to_string(),
            "AAAAAAAAAAAAAAAAAAAAAQ"
        );
        assert_eq!(Uuid::parse("ASNFZ4mrze_-3LqYdlQyEA==").unwrap(), id);
        assert_eq!(
            Uuid::parse("ASNFZ4mrze_-3LqYdlQyEB").unwrap(),
            id,
            "unused bits"
        );
        for bad in [
            "",
            "ASNFZ4mrze_-3LqYdlQyE",
            "ASNFZ4mrze_-3LqYdlQyE=",
            "ASNFZ4mrze+/3LqYdlQyEA",
            "ASNFZ4mrze_-3LqYdlQyEAAA",
        ] {
            assert!(Uuid::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn random_uuids_follow_kafkas_rules() {
        let id = Uuid::from_random([0xab; 16]).unwrap();
        assert_eq!(id.0[6] >> 4, 4, "version 4");
        assert_eq!(id.0[8] >> 6, 0b10, "IETF variant");
        // 0xf8.. encodes to a leading '-': Kafka draws again.
        assert!(Uuid::from_random([0xf8; 16]).is_none());
    }

    #[test]
    fn controller_payload() {
        let c = ControllerData::new(1, 1700000000000);
        assert_eq!(
            String::from_utf8(c.encode()).unwrap(),
            r#"{"version":2,"brokerid":1,"timestamp":"1700000000000","kraftControllerEpoch":-1}"#
        );
        let old = ControllerData::decode(br#"{"version":1,"brokerid":3,"timestamp":"5"}"#).unwrap();
        assert_eq!(old.brokerid, 3);
        assert_eq!(old.kraft_controller_epoch, None);
        assert_eq!(decode_controller_epoch(b"17").unwrap(), 17);
        assert!(decode_controller_epoch(b"x").is_err());
        assert_eq!(encode_controller_epoch(0), b"0");
    }

    #[test]
    fn broker_registration_as_kafka_writes_it() {
        let kafka = r#"{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://localhost:9092"],"jmx_port":-1,"port":9092,"host":"localhost","version":5,"timestamp":"1700000000000"}"#;
        let reg = BrokerRegistration::decode(kafka.as_bytes()).unwrap();
        assert_eq!(reg.version, 5);
        assert_eq!(reg.host.as_deref(), Some("localhost"));
        assert_eq!(reg.endpoints, ["PLAINTEXT://localhost:9092"]);
        let ours = BrokerRegistration::new(
            &[Endpoint {
                listener: "PLAINTEXT".into(),
                security_protocol: "PLAINTEXT".into(),
                host: "localhost".into(),
                port: 9092,
            }],
            None,
            1700000000000,
        );
        assert_eq!(ours, reg);
        let back: serde_json::Value = serde_json::from_slice(&ours.encode()).unwrap();
        let expected: serde_json::Value = serde_json::from_str(kafka).unwrap();
        assert_eq!(back, expected);
        // Rack, features with ranges and unknown fields.
        let v = r#"{"version":5,"host":null,"port":-1,"jmx_port":9999,"timestamp":"1","endpoints":["SSL://h:9093"],"rack":"dc1","listener_security_protocol_map":{"SSL":"SSL"},"features":{"metadata.version":{"min_version":1,"max_version":21}},"extra":true}"#;
        let reg = BrokerRegistration::decode(v.as_bytes()).unwrap();
        assert_eq!(reg.rack.as_deref(), Some("dc1"));
        assert_eq!(reg.host, None);
        assert_eq!(reg.features.unwrap()["metadata.version"].max_version, 21);
        assert!(BrokerRegistration::decode(b"{").is_err());
    }

    #[test]
    fn topic_assignment_as_kafka_writes_it() {
        let kafka = r#"{"partitions":{"0":[1,2],"1":[2,1],"10":[1,2]},"topic_id":"ASNFZ4mrze_-3LqYdlQyEA","adding_replicas":{},"removing_replicas":{},"version":3}"#;
        let t = TopicAssignment::decode(kafka.as_bytes()).unwrap();
        assert_eq!(t.partitions[&10], [1, 2]);
        assert_eq!(t.uuid().unwrap().to_string(), "ASNFZ4mrze_-3LqYdlQyEA");
        let ours = TopicAssignment::new(t.partitions.clone(), t.uuid());
        assert_eq!(
            String::from_utf8(ours.encode()).unwrap(),
            r#"{"version":3,"partitions":{"0":[1,2],"1":[2,1],"10":[1,2]},"adding_replicas":{},"removing_replicas":{},"topic_id":"ASNFZ4mrze_-3LqYdlQyEA"}"#
        );
        // Kafka 1.x wrote version 1 with partitions only.
        let old = TopicAssignment::decode(br#"{"version":1,"partitions":{"0":[0,1,3]}}"#).unwrap();
        assert_eq!(old.topic_id, None);
        assert!(old.adding_replicas.is_empty());
        assert!(TopicAssignment::decode(br#"{"version":1,"partitions":{"x":[1]}}"#).is_err());
    }

    #[test]
    fn partition_state_as_kafka_writes_it() {
        let kafka = r#"{"controller_epoch":1,"leader":0,"version":1,"leader_epoch":0,"isr":[0,1]}"#;
        let s = PartitionState::decode(kafka.as_bytes()).unwrap();
        assert_eq!(s.leader(), Some(0));
        assert_eq!(String::from_utf8(s.encode()).unwrap(), kafka);
        let none = PartitionState::decode(
            br#"{"controller_epoch":1,"leader":-1,"version":1,"leader_epoch":3,"isr":[1],"leader_recovery_state":1}"#,
        )
        .unwrap();
        assert_eq!(none.leader(), None);
        assert_eq!(none.leader_recovery_state, Some(1));
    }

    #[test]
    fn configs_notifications_and_small_payloads() {
        let mut cfg = BTreeMap::new();
        cfg.insert("retention.ms".to_string(), "1000".to_string());
        let c = EntityConfig::new(cfg);
        assert_eq!(
            String::from_utf8(c.encode()).unwrap(),
            r#"{"version":1,"config":{"retention.ms":"1000"}}"#
        );
        assert_eq!(EntityConfig::decode(b"").unwrap().config.len(), 0);
        assert_eq!(
            String::from_utf8(ConfigChangeNotification::new("topics", "foo").encode()).unwrap(),
            r#"{"version":2,"entity_path":"topics/foo"}"#
        );
        assert_eq!(
            String::from_utf8(ClusterId::new("abc").encode()).unwrap(),
            r#"{"version":"1","id":"abc"}"#
        );
        let r = Reassignment::new(vec![PartitionReplicas {
            topic: "t".into(),
            partition: 0,
            replicas: vec![1, 2, 3],
        }]);
        assert_eq!(
            String::from_utf8(r.encode()).unwrap(),
            r#"{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]}]}"#
        );
        assert_eq!(Reassignment::decode(&r.encode()).unwrap(), r);
        let pl = PartitionList::new(vec![TopicPartitionRef {
            topic: "t".into(),
            partition: 2,
        }]);
        assert_eq!(
            String::from_utf8(pl.encode()).unwrap(),
            r#"{"version":1,"partitions":[{"topic":"t","partition":2}]}"#
        );
        assert_eq!(
            String::from_utf8(LogDirEvent::failure(4).encode()).unwrap(),
            r#"{"version":1,"broker":4,"event":1}"#
        );
        let b = ProducerIdBlock::new(1, 0, 999);
        assert_eq!(
            String::from_utf8(b.encode()).unwrap(),
            r#"{"version":1,"broker":1,"block_start":"0","block_end":"999"}"#
        );
        assert_eq!(b.bounds().unwrap(), (0, 999));
        let mut f = BTreeMap::new();
        f.insert("metadata.version".to_string(), 21);
        assert_eq!(
            String::from_utf8(FeatureZNode::enabled(f).encode()).unwrap(),
            r#"{"version":2,"status":1,"features":{"metadata.version":{"max_version_level":21}}}"#
        );
        let v1 = FeatureZNode::decode(
            br#"{"version":1,"status":1,"features":{"f":{"min_version_level":1,"max_version_level":2}}}"#,
        )
        .unwrap();
        assert_eq!(v1.features["f"].min_version_level, Some(1));
        assert_eq!(decode_consumer_offset(b"42").unwrap(), 42);
    }
}
