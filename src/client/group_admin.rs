//! The consumer-group side of the admin client, as `consumer-groups` needs it: ListGroups to
//! every broker, FindCoordinator, then DescribeGroups / OffsetFetch / OffsetCommit /
//! DeleteGroups / OffsetDelete to the group's coordinator, and ListOffsets to partition
//! leaders for earliest, latest and by-timestamp offsets.
//!
//! Everything here is request plumbing and result shaping: each call returns plain structs or
//! per-entry results carrying Kafka's error code, and leaves wording and printing to the tool.
//! Retriable coordinator errors (COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE,
//! NOT_COORDINATOR) are retried with `retry.backoff.ms` until the caller's deadline, as
//! Kafka's AdminClient does within its timeout.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{Client, ClientError, ClientSettings, Metadata};
use crate::protocol::codec::Decoder;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::delete_groups_request::DeleteGroupsRequest;
use crate::protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use crate::protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use crate::protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use crate::protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use crate::protocol::messages::{
    ApiKey, ConsumerProtocolAssignment, DescribeGroupsRequest, FindCoordinatorRequest,
    ListGroupsRequest, ListOffsetsRequest, OffsetCommitRequest, OffsetDeleteRequest,
    OffsetFetchRequest, Response,
};

/// A topic partition, ordered by topic then partition.
pub type TopicPartition = (String, i32);

/// ListOffsets' special timestamp for the log start offset.
pub const EARLIEST_TIMESTAMP: i64 = -2;
/// ListOffsets' special timestamp for the log end offset.
pub const LATEST_TIMESTAMP: i64 = -1;

/// Why a group admin call failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum GroupAdminError {
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The broker answered with an error code for the whole request or group.
    #[error("{}", .code.message())]
    Api { code: ErrorCode },
    /// The deadline passed while retrying `what`.
    #[error("timed out waiting for {what}")]
    Timeout { what: String },
    /// A member's assignment bytes did not decode.
    #[error("member {member} of group {group} has a malformed assignment: {reason}")]
    BadAssignment {
        group: String,
        member: String,
        reason: String,
    },
}

impl GroupAdminError {
    /// The Kafka error code, when the broker refused.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            GroupAdminError::Api { code } => Some(*code),
            _ => None,
        }
    }
}

/// A group as ListGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedGroup {
    pub group_id: String,
    pub protocol_type: String,
    /// Empty when the broker is older than ListGroups v4.
    pub state: String,
}

/// A broker, as FindCoordinator names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

/// One member of a described group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub host: String,
    /// The partitions assigned to the member (decoded from the consumer protocol), in the
    /// order the assignment lists them.
    pub assignment: Vec<TopicPartition>,
}

/// A described group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub group_id: String,
    /// Kafka's state name: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead.
    pub state: String,
    pub protocol_type: String,
    /// The assignor of a consumer group ("range", ...); empty when none.
    pub protocol: String,
    pub members: Vec<GroupMember>,
    pub coordinator: Node,
}

/// A committed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    pub offset: i64,
    /// None when the broker stored none (-1).
    pub leader_epoch: Option<i32>,
}

/// A client for the group admin APIs of one cluster.
#[derive(Debug)]
pub struct GroupAdmin {
    client: Client,
    /// How long a call may keep retrying (the tool's `--timeout`).
    timeout: Duration,
}

fn unexpected(api: ApiKey) -> ClientError {
    ClientError::UnexpectedResponse {
        addr: "broker".to_string(),
        api,
    }
}

/// Whether a coordinator error means "ask again later, maybe elsewhere".
fn coordinator_retriable(code: ErrorCode) -> bool {
    code == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS
        || code == ErrorCode::COORDINATOR_NOT_AVAILABLE
        || code == ErrorCode::NOT_COORDINATOR
}

/// Decodes a consumer-protocol assignment (version prefix, then the body); empty bytes are an
/// empty assignment. Versions newer than rkafka knows decode as the newest known, as Kafka's
/// ConsumerProtocol does (fields are only ever appended).
pub fn decode_assignment(bytes: &Bytes) -> Result<Vec<TopicPartition>, String> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let mut d = Decoder::new(bytes.clone());
    let version = d.i16().map_err(|e| e.to_string())?;
    if version < 0 {
        return Err(format!("negative version {version}"));
    }
    let version = version.min(3);
    let assignment =
        ConsumerProtocolAssignment::decode(&mut d, version).map_err(|e| e.to_string())?;
    Ok(assignment
        .assigned_partitions
        .into_iter()
        .flat_map(|tp| {
            let topic = tp.topic;
            tp.partitions.into_iter().map(move |p| (topic.clone(), p))
        })
        .collect())
}

impl GroupAdmin {
    pub fn new(settings: ClientSettings, timeout: Duration) -> Self {
        GroupAdmin {
            client: Client::new(settings),
            timeout,
        }
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.timeout
    }

    fn backoff(&self) -> Duration {
        self.client.settings().retry_backoff
    }

    /// Cluster metadata for all topics (cached by the client).
    pub async fn metadata(&mut self) -> Result<Metadata, ClientError> {
        self.client.metadata().await
    }

    /// Whether the first broker of the metadata serves `api` in a version rkafka knows.
    pub async fn supports(&mut self, api: ApiKey) -> Result<bool, ClientError> {
        let m = self.client.metadata().await?;
        let id = m
            .brokers
            .first()
            .map(|b| b.id)
            .ok_or(ClientError::NoBootstrapServers)?;
        let versions = self.client.client_versions().to_vec();
        let conn = self.client.broker(id).await?;
        Ok(conn.versions.usable(&versions, api).is_some())
    }

    /// ListGroups on every broker, merged (first occurrence wins), keeping consumer groups
    /// (protocol type "consumer" or empty, as Kafka's tool lists them). `states` filters by
    /// state name, case-insensitively; on brokers without the filter (ListGroups < v4) it is
    /// applied here.
    pub async fn list_groups(
        &mut self,
        states: &[String],
    ) -> Result<Vec<ListedGroup>, GroupAdminError> {
        let metadata = self.client.refresh_metadata().await?;
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for broker in &metadata.brokers {
            let deadline = self.deadline();
            let groups = loop {
                let (version, response) = self
                    .client
                    .send_to(broker.id, ApiKey::ListGroups, |_| ListGroupsRequest {
                        states_filter: states.to_vec(),
                        ..ListGroupsRequest::default()
                    })
                    .await?;
                let Response::ListGroups(body) = response else {
                    return Err(unexpected(ApiKey::ListGroups).into());
                };
                let code = ErrorCode(body.error_code);
                if code.is_err() {
                    if coordinator_retriable(code) && Instant::now() < deadline {
                        tokio::time::sleep(self.backoff()).await;
                        continue;
                    }
                    return Err(GroupAdminError::Api { code });
                }
                let filtered_by_broker = version >= 4;
                break body
                    .groups
                    .into_iter()
                    .filter(|g| {
                        filtered_by_broker
                            || states.is_empty()
                            || states
                                .iter()
                                .any(|s| s.eq_ignore_ascii_case(&g.group_state))
                    })
                    .collect::<Vec<_>>();
            };
            for g in groups {
                if (g.protocol_type == "consumer" || g.protocol_type.is_empty())
                    && seen.insert(g.group_id.clone())
                {
                    out.push(ListedGroup {
                        group_id: g.group_id,
                        protocol_type: g.protocol_type,
                        state: g.group_state,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The coordinator of `group`, retrying while none is available until the deadline.
    pub async fn find_coordinator(&mut self, group: &str) -> Result<Node, GroupAdminError> {
        let deadline = self.deadline();
        loop {
            let metadata = self.client.metadata().await?;
            let any = metadata
                .brokers
                .first()
                .map(|b| b.id)
                .ok_or(ClientError::NoBootstrapServers)?;
            let (version, response) = self
                .client
                .send_to(any, ApiKey::FindCoordinator, |v| {
                    if v >= 4 {
                        FindCoordinatorRequest {
                            coordinator_keys: vec![group.to_string()],
                            ..FindCoordinatorRequest::default()
                        }
                    } else {
                        FindCoordinatorRequest {
                            key: group.to_string(),
                            ..FindCoordinatorRequest::default()
                        }
                    }
                })
                .await?;
            let Response::FindCoordinator(body) = response else {
                return Err(unexpected(ApiKey::FindCoordinator).into());
            };
            let (code, node) = if version >= 4 {
                match body.coordinators.into_iter().find(|c| c.key == group) {
                    Some(c) => (
                        ErrorCode(c.error_code),
                        Node {
                            id: c.node_id,
                            host: c.host,
                            port: c.port,
                        },
                    ),
                    None => return Err(unexpected(ApiKey::FindCoordinator).into()),
                }
            } else {
                (
                    ErrorCode(body.error_code),
                    Node {
                        id: body.node_id,
                        host: body.host,
                        port: body.port,
                    },
                )
            };
            if !code.is_err() {
                return Ok(node);
            }
            if coordinator_retriable(code) && Instant::now() < deadline {
                tokio::time::sleep(self.backoff()).await;
                continue;
            }
            return Err(GroupAdminError::Api { code });
        }
    }

    /// Makes sure the metadata knows `node` (a coordinator may be a broker the cached metadata
    /// predates) and returns its id.
    async fn coordinator_id(&mut self, node: &Node) -> Result<i32, ClientError> {
        let m = self.client.metadata().await?;
        if !m.brokers.iter().any(|b| b.id == node.id) {
            self.client.refresh_metadata().await?;
        }
        Ok(node.id)
    }

    /// Runs `call` against the coordinator of `group`, finding it again after a retriable
    /// coordinator error, until the deadline.
    async fn with_coordinator<T>(
        &mut self,
        group: &str,
        what: &str,
        call: impl AsyncCoordinatorCall<T>,
    ) -> Result<T, GroupAdminError> {
        let deadline = self.deadline();
        loop {
            let node = self.find_coordinator(group).await?;
            let id = self.coordinator_id(&node).await?;
            match call.call(self, id, &node).await? {
                Attempt::Done(t) => return Ok(t),
                Attempt::Retry(code) => {
                    if Instant::now() >= deadline {
                        return Err(if coordinator_retriable(code) {
                            GroupAdminError::Timeout {
                                what: what.to_string(),
                            }
                        } else {
                            GroupAdminError::Api { code }
                        });
                    }
                    self.client.forget(id);
                    tokio::time::sleep(self.backoff()).await;
                }
            }
        }
    }

    /// DescribeGroups for one group at its coordinator.
    pub async fn describe_group(
        &mut self,
        group: &str,
    ) -> Result<GroupDescription, GroupAdminError> {
        self.with_coordinator(group, "DescribeGroups", DescribeCall { group })
            .await
    }

    /// The committed offsets of `group` for every partition it has one for.
    pub async fn committed_offsets(
        &mut self,
        group: &str,
    ) -> Result<BTreeMap<TopicPartition, Committed>, GroupAdminError> {
        self.with_coordinator(group, "OffsetFetch", FetchCall { group })
            .await
    }

    /// Commits `offsets` for `group` as an admin (no generation, no member), as Kafka's
    /// alterConsumerGroupOffsets does; one result per partition.
    pub async fn commit_offsets(
        &mut self,
        group: &str,
        offsets: &BTreeMap<TopicPartition, i64>,
    ) -> Result<BTreeMap<TopicPartition, ErrorCode>, GroupAdminError> {
        self.with_coordinator(group, "OffsetCommit", CommitCall { group, offsets })
            .await
    }

    /// DeleteGroups for one group at its coordinator: NONE or the group's error code.
    pub async fn delete_group(&mut self, group: &str) -> Result<ErrorCode, GroupAdminError> {
        self.with_coordinator(group, "DeleteGroups", DeleteCall { group })
            .await
    }

    /// OffsetDelete: the top-level code and one code per partition asked.
    pub async fn delete_offsets(
        &mut self,
        group: &str,
        partitions: &BTreeSet<TopicPartition>,
    ) -> Result<(ErrorCode, BTreeMap<TopicPartition, ErrorCode>), GroupAdminError> {
        self.with_coordinator(
            group,
            "OffsetDelete",
            OffsetDeleteCall { group, partitions },
        )
        .await
    }

    /// ListOffsets for `partitions` at `timestamp` ([`EARLIEST_TIMESTAMP`],
    /// [`LATEST_TIMESTAMP`] or milliseconds since the epoch), asked of each partition's
    /// leader. A partition missing from the answer (no leader, unknown) maps to its error; an
    /// offset of -1 (no record at or after the timestamp) is returned as is.
    pub async fn list_offsets(
        &mut self,
        partitions: &[TopicPartition],
        timestamp: i64,
    ) -> Result<BTreeMap<TopicPartition, Result<i64, ErrorCode>>, GroupAdminError> {
        let metadata = self.client.metadata().await?;
        let mut by_leader: BTreeMap<i32, BTreeMap<String, Vec<i32>>> = BTreeMap::new();
        let mut out = BTreeMap::new();
        for (topic, partition) in partitions {
            let leader = metadata
                .topics
                .iter()
                .find(|t| &t.name == topic)
                .and_then(|t| t.partitions.iter().find(|p| p.partition == *partition))
                .map(|p| p.leader)
                .unwrap_or(-1);
            if leader < 0 {
                out.insert(
                    (topic.clone(), *partition),
                    Err(ErrorCode::LEADER_NOT_AVAILABLE),
                );
                continue;
            }
            by_leader
                .entry(leader)
                .or_default()
                .entry(topic.clone())
                .or_default()
                .push(*partition);
        }
        for (leader, topics) in by_leader {
            let (version, response) = self
                .client
                .send_to(leader, ApiKey::ListOffsets, |_| ListOffsetsRequest {
                    replica_id: -1,
                    isolation_level: 0,
                    topics: topics
                        .iter()
                        .map(|(name, ps)| ListOffsetsTopic {
                            name: name.clone(),
                            partitions: ps
                                .iter()
                                .map(|&p| ListOffsetsPartition {
                                    partition_index: p,
                                    current_leader_epoch: -1,
                                    timestamp,
                                    max_num_offsets: 1,
                                    ..ListOffsetsPartition::default()
                                })
                                .collect(),
                            ..ListOffsetsTopic::default()
                        })
                        .collect(),
                    ..ListOffsetsRequest::default()
                })
                .await?;
            let Response::ListOffsets(body) = response else {
                return Err(unexpected(ApiKey::ListOffsets).into());
            };
            for t in body.topics {
                for p in t.partitions {
                    let code = ErrorCode(p.error_code);
                    let result = if code.is_err() {
                        Err(code)
                    } else if version == 0 {
                        Ok(p.old_style_offsets.first().copied().unwrap_or(-1))
                    } else {
                        Ok(p.offset)
                    };
                    out.insert((t.name.clone(), p.partition_index), result);
                }
            }
        }
        for tp in partitions {
            out.entry(tp.clone())
                .or_insert(Err(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
        }
        Ok(out)
    }
}

/// One try of a coordinator call: done, or a retriable coordinator error.
enum Attempt<T> {
    Done(T),
    Retry(ErrorCode),
}

/// A request to a group's coordinator, re-run by [`GroupAdmin::with_coordinator`].
trait AsyncCoordinatorCall<T> {
    async fn call(
        &self,
        admin: &mut GroupAdmin,
        id: i32,
        node: &Node,
    ) -> Result<Attempt<T>, GroupAdminError>;
}

struct DescribeCall<'a> {
    group: &'a str,
}

impl AsyncCoordinatorCall<GroupDescription> for DescribeCall<'_> {
    async fn call(
        &self,
        admin: &mut GroupAdmin,
        id: i32,
        node: &Node,
    ) -> Result<Attempt<GroupDescription>, GroupAdminError> {
        let (_, response) = admin
            .client
            .send_to(id, ApiKey::DescribeGroups, |_| DescribeGroupsRequest {
                groups: vec![self.group.to_string()],
                ..DescribeGroupsRequest::default()
            })
            .await?;
        let Response::DescribeGroups(body) = response else {
            return Err(unexpected(ApiKey::DescribeGroups).into());
        };
        let Some(g) = body.groups.into_iter().find(|g| g.group_id == self.group) else {
            return Err(unexpected(ApiKey::DescribeGroups).into());
        };
        let code = ErrorCode(g.error_code);
        if coordinator_retriable(code) {
            return Ok(Attempt::Retry(code));
        }
        if code.is_err() {
            return Err(GroupAdminError::Api { code });
        }
        let mut members = Vec::with_capacity(g.members.len());
        for m in g.members {
            // Only consumer groups carry the consumer protocol; others show no partitions.
            let assignment = if g.protocol_type == "consumer" {
                decode_assignment(&m.member_assignment).map_err(|reason| {
                    GroupAdminError::BadAssignment {
                        group: self.group.to_string(),
                        member: m.member_id.clone(),
                        reason,
                    }
                })?
            } else {
                Vec::new()
            };
            members.push(GroupMember {
                member_id: m.member_id,
                group_instance_id: m.group_instance_id,
                client_id: m.client_id,
                host: m.client_host,
                assignment,
            });
        }
        Ok(Attempt::Done(GroupDescription {
            group_id: g.group_id,
            state: g.group_state,
            protocol_type: g.protocol_type,
            protocol: g.protocol_data,
            members,
            coordinator: node.clone(),
        }))
    }
}

/// One partition of an OffsetFetch answer: topic, partition, offset, leader epoch, error.
type FetchedRow = (String, i32, i64, i32, i16);

struct FetchCall<'a> {
    group: &'a str,
}

impl AsyncCoordinatorCall<BTreeMap<TopicPartition, Committed>> for FetchCall<'_> {
    async fn call(
        &self,
        admin: &mut GroupAdmin,
        id: i32,
        _node: &Node,
    ) -> Result<Attempt<BTreeMap<TopicPartition, Committed>>, GroupAdminError> {
        let group = self.group.to_string();
        let (version, response) = admin
            .client
            .send_to(id, ApiKey::OffsetFetch, |v| {
                if v >= 8 {
                    OffsetFetchRequest {
                        groups: vec![OffsetFetchRequestGroup {
                            group_id: group.clone(),
                            member_id: None,
                            member_epoch: -1,
                            topics: None,
                            ..OffsetFetchRequestGroup::default()
                        }],
                        ..OffsetFetchRequest::default()
                    }
                } else {
                    OffsetFetchRequest {
                        group_id: group.clone(),
                        topics: None,
                        ..OffsetFetchRequest::default()
                    }
                }
            })
            .await?;
        let Response::OffsetFetch(body) = response else {
            return Err(unexpected(ApiKey::OffsetFetch).into());
        };
        let mut out = BTreeMap::new();
        let (code, rows): (ErrorCode, Vec<FetchedRow>) = if version >= 8 {
            let Some(g) = body.groups.into_iter().find(|g| g.group_id == self.group) else {
                return Err(unexpected(ApiKey::OffsetFetch).into());
            };
            let rows = g
                .topics
                .into_iter()
                .flat_map(|t| {
                    let name = t.name;
                    t.partitions.into_iter().map(move |p| {
                        (
                            name.clone(),
                            p.partition_index,
                            p.committed_offset,
                            p.committed_leader_epoch,
                            p.error_code,
                        )
                    })
                })
                .collect();
            (ErrorCode(g.error_code), rows)
        } else {
            let rows = body
                .topics
                .into_iter()
                .flat_map(|t| {
                    let name = t.name;
                    t.partitions.into_iter().map(move |p| {
                        (
                            name.clone(),
                            p.partition_index,
                            p.committed_offset,
                            p.committed_leader_epoch,
                            p.error_code,
                        )
                    })
                })
                .collect();
            (ErrorCode(body.error_code), rows)
        };
        if coordinator_retriable(code) {
            return Ok(Attempt::Retry(code));
        }
        if code.is_err() {
            return Err(GroupAdminError::Api { code });
        }
        for (topic, partition, offset, epoch, code) in rows {
            // As Kafka's admin client: a partition without an offset (-1) or with an error is
            // left out (its error only logged).
            if ErrorCode(code).is_err() || offset < 0 {
                continue;
            }
            out.insert(
                (topic, partition),
                Committed {
                    offset,
                    leader_epoch: (epoch >= 0).then_some(epoch),
                },
            );
        }
        Ok(Attempt::Done(out))
    }
}

struct CommitCall<'a> {
    group: &'a str,
    offsets: &'a BTreeMap<TopicPartition, i64>,
}

impl AsyncCoordinatorCall<BTreeMap<TopicPartition, ErrorCode>> for CommitCall<'_> {
    async fn call(
        &self,
        admin: &mut GroupAdmin,
        id: i32,
        _node: &Node,
    ) -> Result<Attempt<BTreeMap<TopicPartition, ErrorCode>>, GroupAdminError> {
        let mut topics: BTreeMap<&str, Vec<OffsetCommitRequestPartition>> = BTreeMap::new();
        for ((topic, partition), offset) in self.offsets {
            topics
                .entry(topic.as_str())
                .or_default()
                .push(OffsetCommitRequestPartition {
                    partition_index: *partition,
                    committed_offset: *offset,
                    committed_leader_epoch: -1,
                    commit_timestamp: -1,
                    committed_metadata: Some(String::new()),
                    ..OffsetCommitRequestPartition::default()
                });
        }
        let request = OffsetCommitRequest {
            group_id: self.group.to_string(),
            generation_id_or_member_epoch: -1,
            member_id: String::new(),
            group_instance_id: None,
            retention_time_ms: -1,
            topics: topics
                .into_iter()
                .map(|(name, partitions)| OffsetCommitRequestTopic {
                    name: name.to_string(),
                    partitions,
                    ..OffsetCommitRequestTopic::default()
                })
                .collect(),
            ..OffsetCommitRequest::default()
        };
        let (_, response) = admin
            .client
            .send_to(id, ApiKey::OffsetCommit, |_| request.clone())
            .await?;
        let Response::OffsetCommit(body) = response else {
            return Err(unexpected(ApiKey::OffsetCommit).into());
        };
        let mut out = BTreeMap::new();
        for t in body.topics {
            for p in t.partitions {
                let code = ErrorCode(p.error_code);
                if coordinator_retriable(code) {
                    return Ok(Attempt::Retry(code));
                }
                out.insert((t.name.clone(), p.partition_index), code);
            }
        }
        Ok(Attempt::Done(out))
    }
}

struct DeleteCall<'a> {
    group: &'a str,
}

impl AsyncCoordinatorCall<ErrorCode> for DeleteCall<'_> {
    async fn call(
        &self,
        admin: &mut GroupAdmin,
        id: i32,
        _node: &Node,
    ) -> Result<Attempt<ErrorCode>, GroupAdminError> {
        let (_, response) = admin
            .client
            .send_to(id, ApiKey::DeleteGroups, |_| DeleteGroupsRequest {
                groups_names: vec![self.group.to_string()],
                ..DeleteGroupsRequest::default()
            })
            .await?;
        let Response::DeleteGroups(body) = response else {
            return Err(unexpected(ApiKey::DeleteGroups).into());
        };
        let Some(r) = body.results.into_iter().find(|r| r.group_id == self.group) else {
            return Err(unexpected(ApiKey::DeleteGroups).into());
        };
        let code = ErrorCode(r.error_code);
        if coordinator_retriable(code) {
            return Ok(Attempt::Retry(code));
        }
        Ok(Attempt::Done(code))
    }
}

struct OffsetDeleteCall<'a> {
    group: &'a str,
    partitions: &'a BTreeSet<TopicPartition>,
}

impl AsyncCoordinatorCall<(ErrorCode, BTreeMap<TopicPartition, ErrorCode>)>
    for OffsetDeleteCall<'_>
{
    async fn call(
        &self,
        admin: &mut GroupAdmin,
        id: i32,
        _node: &Node,
    ) -> Result<Attempt<(ErrorCode, BTreeMap<TopicPartition, ErrorCode>)>, GroupAdminError> {
        let mut topics: BTreeMap<&str, Vec<OffsetDeleteRequestPartition>> = BTreeMap::new();
        for (topic, partition) in self.partitions {
            topics
                .entry(topic.as_str())
                .or_default()
                .push(OffsetDeleteRequestPartition {
                    partition_index: *partition,
                    ..OffsetDeleteRequestPartition::default()
                });
        }
        let request = OffsetDeleteRequest {
            group_id: self.group.to_string(),
            topics: topics
                .into_iter()
                .map(|(name, partitions)| OffsetDeleteRequestTopic {
                    name: name.to_string(),
                    partitions,
                    ..OffsetDeleteRequestTopic::default()
                })
                .collect(),
            ..OffsetDeleteRequest::default()
        };
        let (_, response) = admin
            .client
            .send_to(id, ApiKey::OffsetDelete, |_| request.clone())
            .await?;
        let Response::OffsetDelete(body) = response else {
            return Err(unexpected(ApiKey::OffsetDelete).into());
        };
        let top = ErrorCode(body.error_code);
        if coordinator_retriable(top) {
            return Ok(Attempt::Retry(top));
        }
        let mut per = BTreeMap::new();
        for t in body.topics {
            for p in t.partitions {
                per.insert((t.name.clone(), p.partition_index), ErrorCode(p.error_code));
            }
        }
        Ok(Attempt::Done((top, per)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::consumer_protocol_assignment::TopicPartition as Tp;

    #[test]
    fn assignment_bytes_decode_to_partitions() {
        let a = ConsumerProtocolAssignment {
            assigned_partitions: vec![Tp {
                topic: "t".into(),
                partitions: vec![2, 0],
                ..Tp::default()
            }],
            ..ConsumerProtocolAssignment::default()
        };
        let mut buf = bytes::BytesMut::new();
        buf.extend_from_slice(&1i16.to_be_bytes());
        a.encode(&mut buf, 1).unwrap();
        let decoded = decode_assignment(&buf.freeze()).unwrap();
        assert_eq!(decoded, vec![("t".to_string(), 2), ("t".to_string(), 0)]);
        assert_eq!(decode_assignment(&Bytes::new()).unwrap(), vec![]);
        assert!(decode_assignment(&Bytes::from_static(&[0, 1, 0])).is_err());
    }
}
