//! ApiVersions negotiation, pure: which version of each API the client uses against a broker,
//! how to retry after an UNSUPPORTED_VERSION answer, and Kafka's text rendering of a broker's
//! table (NodeApiVersions in the Java client), which `kafka-broker-api-versions` prints.

use std::collections::BTreeMap;

use crate::protocol::api::ApiVersionRange;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::{ApiKey, ApiVersionsResponse};

/// The ApiVersions version the client asks for first (v3 adds client software name and
/// version; v4 only changes the error rule of newer brokers, so v3 is what Kafka's clients
/// have used for years).
pub const FIRST_API_VERSIONS_VERSION: i16 = 3;

/// APIs a client may call on a broker (specs listing the `broker` or `zkBroker` listener);
/// those a broker does not advertise are shown as UNSUPPORTED. Derived from the specs.
pub const CLIENT_APIS: &[ApiKey] = &[
    ApiKey::Produce,
    ApiKey::Fetch,
    ApiKey::ListOffsets,
    ApiKey::Metadata,
    ApiKey::LeaderAndIsr,
    ApiKey::StopReplica,
    ApiKey::UpdateMetadata,
    ApiKey::ControlledShutdown,
    ApiKey::OffsetCommit,
    ApiKey::OffsetFetch,
    ApiKey::FindCoordinator,
    ApiKey::JoinGroup,
    ApiKey::Heartbeat,
    ApiKey::LeaveGroup,
    ApiKey::SyncGroup,
    ApiKey::DescribeGroups,
    ApiKey::ListGroups,
    ApiKey::SaslHandshake,
    ApiKey::ApiVersions,
    ApiKey::CreateTopics,
    ApiKey::DeleteTopics,
    ApiKey::DeleteRecords,
    ApiKey::InitProducerId,
    ApiKey::OffsetForLeaderEpoch,
    ApiKey::AddPartitionsToTxn,
    ApiKey::AddOffsetsToTxn,
    ApiKey::EndTxn,
    ApiKey::WriteTxnMarkers,
    ApiKey::TxnOffsetCommit,
    ApiKey::DescribeAcls,
    ApiKey::CreateAcls,
    ApiKey::DeleteAcls,
    ApiKey::DescribeConfigs,
    ApiKey::AlterConfigs,
    ApiKey::AlterReplicaLogDirs,
    ApiKey::DescribeLogDirs,
    ApiKey::SaslAuthenticate,
    ApiKey::CreatePartitions,
    ApiKey::CreateDelegationToken,
    ApiKey::RenewDelegationToken,
    ApiKey::ExpireDelegationToken,
    ApiKey::DescribeDelegationToken,
    ApiKey::DeleteGroups,
    ApiKey::ElectLeaders,
    ApiKey::IncrementalAlterConfigs,
    ApiKey::AlterPartitionReassignments,
    ApiKey::ListPartitionReassignments,
    ApiKey::OffsetDelete,
    ApiKey::DescribeClientQuotas,
    ApiKey::AlterClientQuotas,
    ApiKey::DescribeUserScramCredentials,
    ApiKey::AlterUserScramCredentials,
    ApiKey::DescribeQuorum,
    ApiKey::AlterPartition,
    ApiKey::UpdateFeatures,
    ApiKey::Envelope,
    ApiKey::DescribeCluster,
    ApiKey::DescribeProducers,
    ApiKey::UnregisterBroker,
    ApiKey::DescribeTransactions,
    ApiKey::ListTransactions,
    ApiKey::AllocateProducerIds,
    ApiKey::ConsumerGroupHeartbeat,
    ApiKey::ConsumerGroupDescribe,
    ApiKey::GetTelemetrySubscriptions,
    ApiKey::PushTelemetry,
    ApiKey::ListClientMetricsResources,
    ApiKey::DescribeTopicPartitions,
    ApiKey::ShareGroupHeartbeat,
    ApiKey::ShareGroupDescribe,
    ApiKey::ShareFetch,
    ApiKey::ShareAcknowledge,
    ApiKey::AddRaftVoter,
    ApiKey::RemoveRaftVoter,
    ApiKey::InitializeShareGroupState,
    ApiKey::ReadShareGroupState,
    ApiKey::WriteShareGroupState,
    ApiKey::DeleteShareGroupState,
    ApiKey::ReadShareGroupStateSummary,
];

/// One range a broker advertises; `api_key` is the raw key, which the client may not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerApi {
    pub api_key: i16,
    pub min: i16,
    pub max: i16,
}

/// What to do with an ApiVersions answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiVersionsOutcome {
    /// The broker's table.
    Table(NodeApiVersions),
    /// The broker does not support the version asked: retry with this one (its highest).
    RetryWith(i16),
    /// Any other error code, or an UNSUPPORTED_VERSION answer without a usable retry.
    Failed(ErrorCode),
}

/// Interprets an ApiVersions answer to a request sent in `asked`.
pub fn interpret(resp: &ApiVersionsResponse, asked: i16) -> ApiVersionsOutcome {
    let code = ErrorCode(resp.error_code);
    if code == ErrorCode::NONE {
        return ApiVersionsOutcome::Table(NodeApiVersions::from_response(resp));
    }
    if code == ErrorCode::UNSUPPORTED_VERSION {
        let broker_max = resp
            .api_keys
            .iter()
            .find(|a| a.api_key == ApiKey::ApiVersions.key())
            .map(|a| a.max_version)
            // No entry: v0 is understood by every broker.
            .unwrap_or(0);
        let retry = broker_max.min(asked - 1);
        if retry >= 0 && retry < asked {
            return ApiVersionsOutcome::RetryWith(retry);
        }
    }
    ApiVersionsOutcome::Failed(code)
}

/// A broker's version table, as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeApiVersions {
    /// By raw key; the last entry wins if a broker repeats a key.
    pub apis: BTreeMap<i16, BrokerApi>,
}

impl NodeApiVersions {
    /// The table of an ApiVersions response.
    pub fn from_response(resp: &ApiVersionsResponse) -> Self {
        let apis = resp
            .api_keys
            .iter()
            .map(|a| {
                (
                    a.api_key,
                    BrokerApi {
                        api_key: a.api_key,
                        min: a.min_version,
                        max: a.max_version,
                    },
                )
            })
            .collect();
        NodeApiVersions { apis }
    }

    /// The version the client uses for `api_key`: the highest both sides support.
    pub fn usable(&self, client: &[ApiVersionRange], api_key: ApiKey) -> Option<i16> {
        let ours = client.iter().find(|r| r.api_key == api_key)?;
        let theirs = self.apis.get(&api_key.key())?;
        ours.highest_common(theirs.min, theirs.max)
    }

    /// Kafka's lines, one per API in key order, without the leading tab and separators:
    /// `Produce(0): 0 to 11 [usable: 11]`, `UNKNOWN(99): 0`, `Name(key): UNSUPPORTED`.
    pub fn lines(&self, client: &[ApiVersionRange]) -> Vec<String> {
        let mut text: BTreeMap<i16, String> = BTreeMap::new();
        for a in self.apis.values() {
            let range = if a.min == a.max {
                a.min.to_string()
            } else {
                format!("{} to {}", a.min, a.max)
            };
            let known = ApiKey::from_i16(a.api_key)
                .and_then(|k| client.iter().find(|r| r.api_key == k).copied());
            let line = match known {
                None => format!("UNKNOWN({}): {range}", a.api_key),
                Some(ours) => {
                    let note = if ours.max < a.min {
                        "[unusable: node too new]".to_string()
                    } else if a.max < ours.min {
                        "[unusable: node too old]".to_string()
                    } else {
                        format!("[usable: {}]", ours.max.min(a.max))
                    };
                    format!("{}({}): {range} {note}", ours.api_key.name(), a.api_key)
                }
            };
            text.insert(a.api_key, line);
        }
        for k in CLIENT_APIS {
            text.entry(k.key())
                .or_insert_with(|| format!("{}({}): UNSUPPORTED", k.name(), k.key()));
        }
        text.into_values().collect()
    }

    /// The block Kafka prints after `HOST:PORT (id: N rack: R) -> `.
    pub fn render(&self, client: &[ApiVersionRange]) -> String {
        format!("(\n\t{}\n)", self.lines(client).join(",\n\t"))
    }
}

#[cfg(test)]
mod tests;
