//! The admin side of the client (Kafka's `Admin` API, as far as the tools need it): create,
//! delete and grow topics, describe and change configs, describe the cluster and topics.
//!
//! Requests that only the controller may serve (CreateTopics, DeleteTopics, CreatePartitions)
//! go to the controller named by Metadata; a NOT_CONTROLLER answer refreshes the metadata and
//! retries the affected entries, as Kafka's AdminClient does. Everything else goes to any
//! broker (BROKER config resources to the broker they name). Results are per entry: one
//! topic's failure does not hide another's success.

use std::collections::BTreeMap;

use super::{BrokerConnection, Client, ClientError, ClientSettings, Metadata};
use crate::protocol::codec::ApiRequest;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::alter_configs_request::{
    AlterConfigsResource as LegacyResource, AlterableConfig as LegacyConfig,
};
use crate::protocol::messages::create_partitions_request::{
    CreatePartitionsAssignment, CreatePartitionsTopic,
};
use crate::protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use crate::protocol::messages::delete_topics_request::DeleteTopicState;
use crate::protocol::messages::describe_configs_request::DescribeConfigsResource;
use crate::protocol::messages::describe_topic_partitions_request::TopicRequest;
use crate::protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use crate::protocol::messages::list_partition_reassignments_request::ListPartitionReassignmentsTopics;
use crate::protocol::messages::metadata_request::MetadataRequestTopic;
use crate::protocol::messages::{
    AlterConfigsRequest, ApiKey, CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest,
    DescribeClusterRequest, DescribeConfigsRequest, DescribeTopicPartitionsRequest,
    IncrementalAlterConfigsRequest, ListPartitionReassignmentsRequest, MetadataRequest, Response,
};
use crate::types::Uuid;

/// How many times a request is re-sent after NOT_CONTROLLER or a broken connection.
const MAX_ATTEMPTS: usize = 5;

/// A broker's refusal of one entry: the code and the broker's message (Kafka's default
/// message for the code when the broker sent none).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    /// The error for `code` with the broker's `message`, or None for NONE.
    pub fn from_code(code: i16, message: Option<String>) -> Option<ApiError> {
        let code = ErrorCode(code);
        if !code.is_err() {
            return None;
        }
        let message = message
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| code.message().to_string());
        Some(ApiError { code, message })
    }

    fn result(code: i16, message: Option<String>) -> Result<(), ApiError> {
        match Self::from_code(code, message) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Why an admin call failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The whole request was refused (e.g. DescribeCluster's top-level error).
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// A topic to create: either a count and replication factor (None: the broker's defaults)
/// or an explicit assignment, partition 0 first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewTopic {
    pub name: String,
    pub partitions: Option<i32>,
    pub replication_factor: Option<i16>,
    pub assignment: Option<Vec<Vec<i32>>>,
    pub configs: BTreeMap<String, String>,
}

/// A topic's growth: the new total and optionally the replicas of the new partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartitions {
    pub topic: String,
    pub total: i32,
    pub assignment: Option<Vec<Vec<i32>>>,
}

/// Kafka's config resource types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceType {
    Topic,
    Broker,
    BrokerLogger,
}

impl ResourceType {
    /// The wire code.
    pub fn code(self) -> i8 {
        match self {
            ResourceType::Topic => 2,
            ResourceType::Broker => 4,
            ResourceType::BrokerLogger => 8,
        }
    }
}

/// A config resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigResource {
    pub kind: ResourceType,
    /// The topic name, or the broker id as text ("" for the cluster-wide broker default).
    pub name: String,
}

impl ConfigResource {
    pub fn topic(name: &str) -> Self {
        ConfigResource {
            kind: ResourceType::Topic,
            name: name.to_string(),
        }
    }
    pub fn broker(id: i32) -> Self {
        ConfigResource {
            kind: ResourceType::Broker,
            name: id.to_string(),
        }
    }
}

/// Where a config value comes from (Kafka's `ConfigSource` codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    Unknown,
    DynamicTopic,
    DynamicBroker,
    DynamicDefaultBroker,
    StaticBroker,
    Default,
    DynamicBrokerLogger,
    ClientMetrics,
    Group,
}

impl ConfigSource {
    /// From the wire code; unknown codes map to `Unknown`.
    pub fn from_code(code: i8) -> Self {
        match code {
            1 => ConfigSource::DynamicTopic,
            2 => ConfigSource::DynamicBroker,
            3 => ConfigSource::DynamicDefaultBroker,
            4 => ConfigSource::StaticBroker,
            5 => ConfigSource::Default,
            6 => ConfigSource::DynamicBrokerLogger,
            7 => ConfigSource::ClientMetrics,
            8 => ConfigSource::Group,
            _ => ConfigSource::Unknown,
        }
    }
}

/// One described config entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: String,
    /// None for sensitive values.
    pub value: Option<String>,
    pub source: ConfigSource,
    pub read_only: bool,
    pub sensitive: bool,
    /// Kafka's `isDefault`: the value is the built-in default.
    pub is_default: bool,
    /// (name, value, source), highest precedence first; empty unless asked for.
    pub synonyms: Vec<(String, Option<String>, ConfigSource)>,
}

/// An IncrementalAlterConfigs operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterOp {
    Set(String),
    Delete,
    Append(String),
    Subtract(String),
}

impl AlterOp {
    fn code_and_value(&self) -> (i8, Option<String>) {
        match self {
            AlterOp::Set(v) => (0, Some(v.clone())),
            AlterOp::Delete => (1, None),
            AlterOp::Append(v) => (2, Some(v.clone())),
            AlterOp::Subtract(v) => (3, Some(v.clone())),
        }
    }
}

/// One partition as described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionDescription {
    pub partition: i32,
    pub error: ErrorCode,
    /// None when the partition has no leader.
    pub leader: Option<i32>,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    /// Eligible leader replicas; None when the broker does not report them (Metadata API).
    pub elr: Option<Vec<i32>>,
    pub last_known_elr: Option<Vec<i32>>,
}

/// One topic as described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDescription {
    pub name: String,
    pub topic_id: Uuid,
    pub internal: bool,
    /// Sorted by partition.
    pub partitions: Vec<PartitionDescription>,
}

/// A reassignment in progress of one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionReassignment {
    pub replicas: Vec<i32>,
    pub adding: Vec<i32>,
    pub removing: Vec<i32>,
}

/// The cluster as DescribeCluster (or Metadata) shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDescription {
    pub cluster_id: Option<String>,
    /// -1 when unknown.
    pub controller_id: i32,
    /// (id, host, port, rack), sorted by id.
    pub brokers: Vec<(i32, String, i32, Option<String>)>,
}

/// A client for the admin APIs of one cluster.
#[derive(Debug)]
pub struct Admin {
    client: Client,
}

fn unexpected(conn: &BrokerConnection, api: ApiKey) -> ClientError {
    ClientError::UnexpectedResponse {
        addr: conn.conn.addr().to_string(),
        api,
    }
}

/// Sends `build(version)` to `conn` in the highest common version of `api`.
impl Admin {
    pub fn new(settings: ClientSettings) -> Self {
        Admin {
            client: Client::new(settings),
        }
    }

    /// The underlying client.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// The request timeout in milliseconds, as CreateTopics and friends carry it.
    fn timeout_ms(&self) -> i32 {
        i32::try_from(self.client.settings().request_timeout.as_millis()).unwrap_or(i32::MAX)
    }

    /// The broker to send controller-only requests to: Metadata's controller, else any.
    async fn controller_id(&mut self, refresh: bool) -> Result<i32, ClientError> {
        let m = if refresh {
            self.client.refresh_metadata().await?
        } else {
            self.client.metadata().await?
        };
        Ok(any_or_controller(&m, true))
    }

    /// Any broker (the first by id, else the controller).
    async fn any_broker(&mut self) -> Result<i32, ClientError> {
        let m = self.client.metadata().await?;
        Ok(any_or_controller(&m, false))
    }

    /// Whether any broker advertises `api` (checked on the connection to `id`).
    async fn supports(&mut self, id: i32, api: ApiKey) -> Result<bool, ClientError> {
        let versions = self.client.client_versions().to_vec();
        let conn = self.client.broker(id).await?;
        Ok(conn.versions.usable(&versions, api).is_some())
    }

    /// Runs a controller-only request for `pending` entries, retrying those answered
    /// NOT_CONTROLLER against the controller of refreshed metadata.
    async fn controller_request<T: Clone, M: ApiRequest>(
        &mut self,
        api: ApiKey,
        mut pending: Vec<T>,
        name: impl Fn(&T) -> String,
        build: impl Fn(i16, &[T]) -> M,
        answers: impl Fn(Response) -> Option<Vec<(String, Result<(), ApiError>)>>,
    ) -> Result<Vec<(String, Result<(), ApiError>)>, ClientError> {
        let mut done: Vec<(String, Result<(), ApiError>)> = Vec::new();
        let mut refresh = false;
        for attempt in 0..MAX_ATTEMPTS {
            let id = self.controller_id(refresh).await?;
            let batch = pending.clone();
            let (_, response) = self.client.send_to(id, api, |v| build(v, &batch)).await?;
            let Some(results) = answers(response) else {
                let conn = self.client.broker(id).await?;
                return Err(unexpected(conn, api));
            };
            let mut retry = Vec::new();
            for (topic, result) in results {
                let not_controller =
                    matches!(&result, Err(e) if e.code == ErrorCode::NOT_CONTROLLER);
                if not_controller && attempt + 1 < MAX_ATTEMPTS {
                    if let Some(item) = pending.iter().find(|t| name(t) == topic) {
                        retry.push(item.clone());
                    }
                } else {
                    done.push((topic, result));
                }
            }
            if retry.is_empty() {
                break;
            }
            pending = retry;
            refresh = true;
            tokio::time::sleep(self.client.settings().retry_backoff).await;
        }
        Ok(done)
    }

    /// CreateTopics; one result per topic, in the broker's order.
    pub async fn create_topics(
        &mut self,
        topics: Vec<NewTopic>,
        validate_only: bool,
    ) -> Result<Vec<(String, Result<(), ApiError>)>, ClientError> {
        let timeout_ms = self.timeout_ms();
        self.controller_request(
            ApiKey::CreateTopics,
            topics,
            |t| t.name.clone(),
            |_, batch| CreateTopicsRequest {
                topics: batch.iter().map(creatable).collect(),
                timeout_ms,
                validate_only,
                ..CreateTopicsRequest::default()
            },
            |r| match r {
                Response::CreateTopics(b) => Some(
                    b.topics
                        .into_iter()
                        .map(|t| (t.name, ApiError::result(t.error_code, t.error_message)))
                        .collect(),
                ),
                _ => None,
            },
        )
        .await
    }

    /// DeleteTopics by name; one result per topic.
    pub async fn delete_topics(
        &mut self,
        names: Vec<String>,
    ) -> Result<Vec<(String, Result<(), ApiError>)>, ClientError> {
        let timeout_ms = self.timeout_ms();
        self.controller_request(
            ApiKey::DeleteTopics,
            names,
            Clone::clone,
            |version, batch| DeleteTopicsRequest {
                // v6 moved the names into `topics` (to allow ids); earlier versions list them.
                topics: if version >= 6 {
                    batch
                        .iter()
                        .map(|n| DeleteTopicState {
                            name: Some(n.clone()),
                            topic_id: Uuid::ZERO,
                            ..DeleteTopicState::default()
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                topic_names: if version >= 6 {
                    Vec::new()
                } else {
                    batch.to_vec()
                },
                timeout_ms,
                ..DeleteTopicsRequest::default()
            },
            |r| match r {
                Response::DeleteTopics(b) => Some(
                    b.responses
                        .into_iter()
                        .map(|t| {
                            (
                                t.name.unwrap_or_default(),
                                ApiError::result(t.error_code, t.error_message),
                            )
                        })
                        .collect(),
                ),
                _ => None,
            },
        )
        .await
    }

    /// CreatePartitions; one result per topic.
    pub async fn create_partitions(
        &mut self,
        growth: Vec<NewPartitions>,
        validate_only: bool,
    ) -> Result<Vec<(String, Result<(), ApiError>)>, ClientError> {
        let timeout_ms = self.timeout_ms();
        self.controller_request(
            ApiKey::CreatePartitions,
            growth,
            |g| g.topic.clone(),
            |_, batch| CreatePartitionsRequest {
                topics: batch
                    .iter()
                    .map(|g| CreatePartitionsTopic {
                        name: g.topic.clone(),
                        count: g.total,
                        assignments: g.assignment.as_ref().map(|lists| {
                            lists
                                .iter()
                                .map(|ids| CreatePartitionsAssignment {
                                    broker_ids: ids.clone(),
                                    ..CreatePartitionsAssignment::default()
                                })
                                .collect()
                        }),
                        ..CreatePartitionsTopic::default()
                    })
                    .collect(),
                timeout_ms,
                validate_only,
                ..CreatePartitionsRequest::default()
            },
            |r| match r {
                Response::CreatePartitions(b) => Some(
                    b.results
                        .into_iter()
                        .map(|t| (t.name, ApiError::result(t.error_code, t.error_message)))
                        .collect(),
                ),
                _ => None,
            },
        )
        .await
    }

    /// The broker a config resource must be asked of: BROKER resources their own broker,
    /// the rest any broker.
    async fn config_target(&mut self, r: &ConfigResource) -> Result<i32, ClientError> {
        match (r.kind, r.name.parse::<i32>()) {
            (ResourceType::Broker | ResourceType::BrokerLogger, Ok(id)) => Ok(id),
            _ => self.any_broker().await,
        }
    }

    /// DescribeConfigs; one result per resource, in request order.
    pub async fn describe_configs(
        &mut self,
        resources: &[ConfigResource],
        include_synonyms: bool,
    ) -> Result<Vec<(ConfigResource, Result<Vec<ConfigEntry>, ApiError>)>, ClientError> {
        let mut by_target: BTreeMap<i32, Vec<ConfigResource>> = BTreeMap::new();
        for r in resources {
            let target = self.config_target(r).await?;
            by_target.entry(target).or_default().push(r.clone());
        }
        let mut found: BTreeMap<ConfigResource, Result<Vec<ConfigEntry>, ApiError>> =
            BTreeMap::new();
        for (id, batch) in by_target {
            let (version, response) = self
                .client
                .send_to(id, ApiKey::DescribeConfigs, |version| {
                    DescribeConfigsRequest {
                        resources: batch
                            .iter()
                            .map(|r| DescribeConfigsResource {
                                resource_type: r.kind.code(),
                                resource_name: r.name.clone(),
                                configuration_keys: None,
                                ..DescribeConfigsResource::default()
                            })
                            .collect(),
                        // v0 cannot carry the flag (and has no synonyms).
                        include_synonyms: include_synonyms && version >= 1,
                        include_documentation: false,
                        ..DescribeConfigsRequest::default()
                    }
                })
                .await?;
            let Response::DescribeConfigs(body) = response else {
                let conn = self.client.broker(id).await?;
                return Err(unexpected(conn, ApiKey::DescribeConfigs));
            };
            for result in body.results {
                let Some(resource) = batch.iter().find(|r| {
                    r.kind.code() == result.resource_type && r.name == result.resource_name
                }) else {
                    continue;
                };
                let entries = match ApiError::from_code(result.error_code, result.error_message) {
                    Some(e) => Err(e),
                    None => Ok(result
                        .configs
                        .into_iter()
                        .map(|c| {
                            // v0 has no source, only is_default (and read_only).
                            let source = if version == 0 {
                                if c.is_default {
                                    ConfigSource::Default
                                } else {
                                    ConfigSource::Unknown
                                }
                            } else {
                                ConfigSource::from_code(c.config_source)
                            };
                            ConfigEntry {
                                name: c.name,
                                value: c.value,
                                source,
                                read_only: c.read_only,
                                sensitive: c.is_sensitive,
                                is_default: source == ConfigSource::Default,
                                synonyms: c
                                    .synonyms
                                    .into_iter()
                                    .map(|s| (s.name, s.value, ConfigSource::from_code(s.source)))
                                    .collect(),
                            }
                        })
                        .collect()),
                };
                found.insert(resource.clone(), entries);
            }
        }
        Ok(resources
            .iter()
            .map(|r| {
                let result = found.remove(r).unwrap_or_else(|| {
                    Err(ApiError {
                        code: ErrorCode::UNKNOWN_SERVER_ERROR,
                        message: format!("The broker did not answer for resource {}", r.name),
                    })
                });
                (r.clone(), result)
            })
            .collect())
    }

    /// IncrementalAlterConfigs of one resource.
    pub async fn incremental_alter_configs(
        &mut self,
        resource: &ConfigResource,
        ops: &[(String, AlterOp)],
        validate_only: bool,
    ) -> Result<Result<(), ApiError>, ClientError> {
        let id = self.config_target(resource).await?;
        let (_, response) = self
            .client
            .send_to(id, ApiKey::IncrementalAlterConfigs, |_| {
                IncrementalAlterConfigsRequest {
                    resources: vec![AlterConfigsResource {
                        resource_type: resource.kind.code(),
                        resource_name: resource.name.clone(),
                        configs: ops
                            .iter()
                            .map(|(name, op)| {
                                let (config_operation, value) = op.code_and_value();
                                AlterableConfig {
                                    name: name.clone(),
                                    config_operation,
                                    value,
                                    ..AlterableConfig::default()
                                }
                            })
                            .collect(),
                        ..AlterConfigsResource::default()
                    }],
                    validate_only,
                    ..IncrementalAlterConfigsRequest::default()
                }
            })
            .await?;
        match response {
            Response::IncrementalAlterConfigs(b) => Ok(first_result(
                b.responses
                    .into_iter()
                    .map(|r| (r.error_code, r.error_message)),
            )),
            _ => {
                let conn = self.client.broker(id).await?;
                Err(unexpected(conn, ApiKey::IncrementalAlterConfigs))
            }
        }
    }

    /// AlterConfigs (the whole override set of one resource is replaced by `configs`).
    pub async fn alter_configs(
        &mut self,
        resource: &ConfigResource,
        configs: &BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<Result<(), ApiError>, ClientError> {
        let id = self.config_target(resource).await?;
        let (_, response) = self
            .client
            .send_to(id, ApiKey::AlterConfigs, |_| AlterConfigsRequest {
                resources: vec![LegacyResource {
                    resource_type: resource.kind.code(),
                    resource_name: resource.name.clone(),
                    configs: configs
                        .iter()
                        .map(|(k, v)| LegacyConfig {
                            name: k.clone(),
                            value: Some(v.clone()),
                            ..LegacyConfig::default()
                        })
                        .collect(),
                    ..LegacyResource::default()
                }],
                validate_only,
                ..AlterConfigsRequest::default()
            })
            .await?;
        match response {
            Response::AlterConfigs(b) => Ok(first_result(
                b.responses
                    .into_iter()
                    .map(|r| (r.error_code, r.error_message)),
            )),
            _ => {
                let conn = self.client.broker(id).await?;
                Err(unexpected(conn, ApiKey::AlterConfigs))
            }
        }
    }

    /// Changes a topic's overrides: `set` and `delete` through IncrementalAlterConfigs, or,
    /// on brokers without it (before Kafka 2.3), AlterConfigs with the current overrides
    /// merged (AlterConfigs replaces the whole set).
    pub async fn change_topic_configs(
        &mut self,
        topic: &str,
        set: &BTreeMap<String, String>,
        delete: &[String],
    ) -> Result<Result<(), ApiError>, ClientError> {
        let resource = ConfigResource::topic(topic);
        let id = self.config_target(&resource).await?;
        if self.supports(id, ApiKey::IncrementalAlterConfigs).await? {
            let mut ops: Vec<(String, AlterOp)> = set
                .iter()
                .map(|(k, v)| (k.clone(), AlterOp::Set(v.clone())))
                .collect();
            ops.extend(delete.iter().map(|k| (k.clone(), AlterOp::Delete)));
            return self.incremental_alter_configs(&resource, &ops, false).await;
        }
        let described = self
            .describe_configs(std::slice::from_ref(&resource), false)
            .await?;
        let current = match described.into_iter().next() {
            Some((_, Ok(entries))) => entries,
            Some((_, Err(e))) => return Ok(Err(e)),
            None => Vec::new(),
        };
        let mut overrides: BTreeMap<String, String> = current
            .into_iter()
            .filter(|e| e.source == ConfigSource::DynamicTopic)
            .filter_map(|e| e.value.map(|v| (e.name, v)))
            .collect();
        overrides.extend(set.iter().map(|(k, v)| (k.clone(), v.clone())));
        for k in delete {
            overrides.remove(k);
        }
        self.alter_configs(&resource, &overrides, false).await
    }

    /// The cluster: DescribeCluster where the broker has it (Kafka 2.8+), else Metadata.
    pub async fn describe_cluster(&mut self) -> Result<ClusterDescription, AdminError> {
        let id = self.any_broker().await?;
        if !self.supports(id, ApiKey::DescribeCluster).await? {
            let m = self.client.refresh_metadata().await?;
            return Ok(ClusterDescription {
                cluster_id: m.cluster_id,
                controller_id: m.controller_id,
                brokers: m
                    .brokers
                    .into_iter()
                    .map(|b| (b.id, b.host, b.port, b.rack))
                    .collect(),
            });
        }
        let (_, response) = self
            .client
            .send_to(id, ApiKey::DescribeCluster, |_| DescribeClusterRequest {
                include_cluster_authorized_operations: false,
                endpoint_type: 1,
                ..DescribeClusterRequest::default()
            })
            .await?;
        let Response::DescribeCluster(body) = response else {
            let conn = self.client.broker(id).await?;
            return Err(unexpected(conn, ApiKey::DescribeCluster).into());
        };
        if let Some(e) = ApiError::from_code(body.error_code, body.error_message) {
            return Err(e.into());
        }
        let mut brokers: Vec<_> = body
            .brokers
            .into_iter()
            .map(|b| (b.broker_id, b.host, b.port, b.rack))
            .collect();
        brokers.sort_by_key(|b| b.0);
        Ok(ClusterDescription {
            cluster_id: Some(body.cluster_id),
            controller_id: body.controller_id,
            brokers,
        })
    }

    /// All topic names with their internal flag (fresh metadata), sorted by name.
    pub async fn list_topics(&mut self) -> Result<Vec<(String, bool)>, ClientError> {
        let m = self.client.refresh_metadata().await?;
        let mut topics: Vec<(String, bool)> = m
            .topics
            .into_iter()
            .filter(|t| !t.error.is_err() && !t.name.is_empty())
            .map(|t| (t.name, t.internal))
            .collect();
        topics.sort();
        Ok(topics)
    }

    /// Describes `names`: DescribeTopicPartitions where the broker has it (Kafka 3.8+, which
    /// also reports eligible leader replicas), else Metadata. One result per name, in order.
    pub async fn describe_topics(
        &mut self,
        names: &[String],
    ) -> Result<Vec<(String, Result<TopicDescription, ApiError>)>, ClientError> {
        let id = self.any_broker().await?;
        let mut found: BTreeMap<String, Result<TopicDescription, ApiError>> = BTreeMap::new();
        if self.supports(id, ApiKey::DescribeTopicPartitions).await? {
            self.describe_topic_partitions(id, names, &mut found)
                .await?;
        } else {
            self.describe_by_metadata(id, names, &mut found).await?;
        }
        Ok(names
            .iter()
            .map(|n| {
                let r = found.remove(n).unwrap_or_else(|| {
                    Err(ApiError {
                        code: ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                        message: ErrorCode::UNKNOWN_TOPIC_OR_PARTITION.message().to_string(),
                    })
                });
                (n.clone(), r)
            })
            .collect())
    }

    async fn describe_topic_partitions(
        &mut self,
        id: i32,
        names: &[String],
        found: &mut BTreeMap<String, Result<TopicDescription, ApiError>>,
    ) -> Result<(), ClientError> {
        use crate::protocol::messages::describe_topic_partitions_request::Cursor;
        let mut cursor: Option<Cursor> = None;
        // Each round either ends or moves the cursor forward; the bound guards a broker
        // that keeps answering the same cursor.
        for _ in 0..100_000 {
            let this_cursor = cursor.take();
            let (_, response) = self
                .client
                .send_to(id, ApiKey::DescribeTopicPartitions, |_| {
                    DescribeTopicPartitionsRequest {
                        topics: names
                            .iter()
                            .map(|n| TopicRequest {
                                name: n.clone(),
                                ..TopicRequest::default()
                            })
                            .collect(),
                        response_partition_limit: 2000,
                        cursor: this_cursor.clone(),
                        ..DescribeTopicPartitionsRequest::default()
                    }
                })
                .await?;
            let Response::DescribeTopicPartitions(body) = response else {
                let conn = self.client.broker(id).await?;
                return Err(unexpected(conn, ApiKey::DescribeTopicPartitions));
            };
            for t in body.topics {
                let name = t.name.unwrap_or_default();
                if let Some(e) = ApiError::from_code(t.error_code, None) {
                    found.insert(name, Err(e));
                    continue;
                }
                let parts = t.partitions.into_iter().map(|p| PartitionDescription {
                    partition: p.partition_index,
                    error: ErrorCode(p.error_code),
                    leader: (p.leader_id >= 0).then_some(p.leader_id),
                    replicas: p.replica_nodes,
                    isr: p.isr_nodes,
                    elr: p.eligible_leader_replicas,
                    last_known_elr: p.last_known_elr,
                });
                match found.get_mut(&name) {
                    Some(Ok(d)) => d.partitions.extend(parts),
                    _ => {
                        found.insert(
                            name.clone(),
                            Ok(TopicDescription {
                                name,
                                topic_id: t.topic_id,
                                internal: t.is_internal,
                                partitions: parts.collect(),
                            }),
                        );
                    }
                }
            }
            match body.next_cursor {
                Some(c) => {
                    cursor = Some(Cursor {
                        topic_name: c.topic_name,
                        partition_index: c.partition_index,
                        ..Cursor::default()
                    })
                }
                None => break,
            }
        }
        for d in found.values_mut().flatten() {
            d.partitions.sort_by_key(|p| p.partition);
        }
        Ok(())
    }

    async fn describe_by_metadata(
        &mut self,
        id: i32,
        names: &[String],
        found: &mut BTreeMap<String, Result<TopicDescription, ApiError>>,
    ) -> Result<(), ClientError> {
        let (_, response) = self
            .client
            .send_to(id, ApiKey::Metadata, |version| {
                let mut r = super::metadata::request(version, Some(names));
                if version == 0 && names.is_empty() {
                    r.topics = Some(Vec::<MetadataRequestTopic>::new());
                }
                // Before v4 the flag is not sent (and brokers always auto-create).
                if version < 4 {
                    r.allow_auto_topic_creation = true;
                }
                MetadataRequest { ..r }
            })
            .await?;
        let Response::Metadata(body) = response else {
            let conn = self.client.broker(id).await?;
            return Err(unexpected(conn, ApiKey::Metadata));
        };
        for t in body.topics {
            let name = t.name.unwrap_or_default();
            if let Some(e) = ApiError::from_code(t.error_code, None) {
                found.insert(name, Err(e));
                continue;
            }
            let mut partitions: Vec<PartitionDescription> = t
                .partitions
                .into_iter()
                .map(|p| PartitionDescription {
                    partition: p.partition_index,
                    error: ErrorCode(p.error_code),
                    leader: (p.leader_id >= 0).then_some(p.leader_id),
                    replicas: p.replica_nodes,
                    isr: p.isr_nodes,
                    elr: None,
                    last_known_elr: None,
                })
                .collect();
            partitions.sort_by_key(|p| p.partition);
            found.insert(
                name.clone(),
                Ok(TopicDescription {
                    name,
                    topic_id: t.topic_id,
                    internal: t.is_internal,
                    partitions,
                }),
            );
        }
        Ok(())
    }

    /// Reassignments in progress for `topics` (from the controller); empty when the brokers
    /// do not support ListPartitionReassignments (before Kafka 2.4), as Kafka's tool does.
    pub async fn list_reassignments(
        &mut self,
        topics: &BTreeMap<String, Vec<i32>>,
    ) -> Result<BTreeMap<(String, i32), PartitionReassignment>, ClientError> {
        let id = self.controller_id(false).await?;
        if topics.is_empty()
            || !self
                .supports(id, ApiKey::ListPartitionReassignments)
                .await?
        {
            return Ok(BTreeMap::new());
        }
        let timeout_ms = self.timeout_ms();
        let (_, response) = self
            .client
            .send_to(id, ApiKey::ListPartitionReassignments, |_| {
                ListPartitionReassignmentsRequest {
                    timeout_ms,
                    topics: Some(
                        topics
                            .iter()
                            .map(|(name, parts)| ListPartitionReassignmentsTopics {
                                name: name.clone(),
                                partition_indexes: parts.clone(),
                                ..ListPartitionReassignmentsTopics::default()
                            })
                            .collect(),
                    ),
                    ..ListPartitionReassignmentsRequest::default()
                }
            })
            .await?;
        let Response::ListPartitionReassignments(body) = response else {
            let conn = self.client.broker(id).await?;
            return Err(unexpected(conn, ApiKey::ListPartitionReassignments));
        };
        let mut out = BTreeMap::new();
        if ErrorCode(body.error_code).is_err() {
            return Ok(out);
        }
        for t in body.topics {
            for p in t.partitions {
                out.insert(
                    (t.name.clone(), p.partition_index),
                    PartitionReassignment {
                        replicas: p.replicas,
                        adding: p.adding_replicas,
                        removing: p.removing_replicas,
                    },
                );
            }
        }
        Ok(out)
    }
}

/// The first per-resource result of an alter answer (one resource was sent).
fn first_result(mut results: impl Iterator<Item = (i16, Option<String>)>) -> Result<(), ApiError> {
    match results.next() {
        Some((code, message)) => ApiError::result(code, message),
        None => Err(ApiError {
            code: ErrorCode::UNKNOWN_SERVER_ERROR,
            message: "The broker answered for no resource".to_string(),
        }),
    }
}

/// The controller (when `controller` and known), else the first broker, else -1 (the pool
/// then reports the broker as unknown).
fn any_or_controller(m: &Metadata, controller: bool) -> i32 {
    let known = |id: i32| m.brokers.iter().any(|b| b.id == id);
    if controller && known(m.controller_id) {
        return m.controller_id;
    }
    m.brokers
        .first()
        .map(|b| b.id)
        .or_else(|| known(m.controller_id).then_some(m.controller_id))
        .unwrap_or(-1)
}

/// The wire form of a topic to create: -1 asks for the broker's defaults.
fn creatable(t: &NewTopic) -> CreatableTopic {
    let (num_partitions, replication_factor, assignments) = match &t.assignment {
        Some(lists) => (
            -1,
            -1,
            lists
                .iter()
                .zip(0i32..)
                .map(|(ids, p)| CreatableReplicaAssignment {
                    partition_index: p,
                    broker_ids: ids.clone(),
                    ..CreatableReplicaAssignment::default()
                })
                .collect(),
        ),
        None => (
            t.partitions.unwrap_or(-1),
            t.replication_factor.unwrap_or(-1),
            Vec::new(),
        ),
    };
    CreatableTopic {
        name: t.name.clone(),
        num_partitions,
        replication_factor,
        assignments,
        configs: t
            .configs
            .iter()
            .map(|(k, v)| CreatableTopicConfig {
                name: k.clone(),
                value: Some(v.clone()),
                ..CreatableTopicConfig::default()
            })
            .collect(),
        ..CreatableTopic::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::metadata::BrokerInfo;

    #[test]
    fn wire_forms() {
        let t = NewTopic {
            name: "t".into(),
            assignment: Some(vec![vec![1, 2], vec![2, 1]]),
            ..NewTopic::default()
        };
        let c = creatable(&t);
        assert_eq!((c.num_partitions, c.replication_factor), (-1, -1));
        assert_eq!(c.assignments[1].partition_index, 1);
        assert_eq!(c.assignments[1].broker_ids, vec![2, 1]);
        let t = NewTopic {
            name: "t".into(),
            partitions: Some(3),
            ..NewTopic::default()
        };
        let c = creatable(&t);
        assert_eq!((c.num_partitions, c.replication_factor), (3, -1));
        assert_eq!(AlterOp::Delete.code_and_value(), (1, None));
        assert_eq!(ConfigSource::from_code(1), ConfigSource::DynamicTopic);
        assert_eq!(ConfigSource::from_code(99), ConfigSource::Unknown);
    }

    #[test]
    fn errors_carry_kafkas_default_message() {
        assert_eq!(ApiError::from_code(0, Some("x".into())), None);
        let e = ApiError::from_code(36, None).unwrap();
        assert_eq!(e.code, ErrorCode::TOPIC_ALREADY_EXISTS);
        assert_eq!(e.message, ErrorCode::TOPIC_ALREADY_EXISTS.message());
        let e = ApiError::from_code(36, Some("Topic 't' already exists.".into())).unwrap();
        assert_eq!(e.to_string(), "Topic 't' already exists.");
    }

    #[test]
    fn controller_choice() {
        let b = |id| BrokerInfo {
            id,
            host: "h".into(),
            port: 1,
            rack: None,
        };
        let m = Metadata {
            cluster_id: None,
            controller_id: 2,
            brokers: vec![b(1), b(2)],
            topics: vec![],
        };
        assert_eq!(any_or_controller(&m, true), 2);
        assert_eq!(any_or_controller(&m, false), 1);
        let m = Metadata {
            controller_id: 7,
            ..m
        };
        assert_eq!(any_or_controller(&m, true), 1);
    }
}
