//! Metadata requests and the client-friendly view of their answers.

use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::metadata_request::MetadataRequestTopic;
use crate::protocol::messages::{MetadataRequest, MetadataResponse};
use crate::types::HostPort;

/// A broker as metadata describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    pub id: i32,
    pub host: String,
    /// As sent by the broker; [`BrokerInfo::addr`] maps out-of-range values to port 0.
    pub port: i32,
    pub rack: Option<String>,
}

impl BrokerInfo {
    /// The address to connect to.
    pub fn addr(&self) -> HostPort {
        HostPort {
            host: self.host.clone(),
            port: u16::try_from(self.port).unwrap_or(0),
        }
    }
}

/// One partition of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    pub partition: i32,
    pub error: ErrorCode,
    /// -1 when there is no leader.
    pub leader: i32,
    pub leader_epoch: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub offline_replicas: Vec<i32>,
}

/// One topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    pub name: String,
    pub error: ErrorCode,
    pub internal: bool,
    pub partitions: Vec<PartitionInfo>,
}

/// A cluster's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    pub cluster_id: Option<String>,
    /// -1 when unknown (or before Metadata v1).
    pub controller_id: i32,
    /// Sorted by id.
    pub brokers: Vec<BrokerInfo>,
    pub topics: Vec<TopicInfo>,
}

/// The Metadata request for `topics` (`None`: all) in `version`: v0 asks for all topics with
/// an empty list, later versions with a null one. Topics are never auto-created.
pub fn request(version: i16, topics: Option<&[String]>) -> MetadataRequest {
    let list = topics.map(|t| {
        t.iter()
            .map(|name| MetadataRequestTopic {
                name: Some(name.clone()),
                ..MetadataRequestTopic::default()
            })
            .collect()
    });
    MetadataRequest {
        topics: match (version, list) {
            (0, None) => Some(Vec::new()),
            (_, l) => l,
        },
        allow_auto_topic_creation: false,
        ..MetadataRequest::default()
    }
}

impl Metadata {
    /// The view of a Metadata response body.
    pub fn from_response(r: MetadataResponse) -> Self {
        let mut brokers: Vec<BrokerInfo> = r
            .brokers
            .into_iter()
            .map(|b| BrokerInfo {
                id: b.node_id,
                host: b.host,
                port: b.port,
                rack: b.rack,
            })
            .collect();
        brokers.sort_by_key(|b| b.id);
        let topics = r
            .topics
            .into_iter()
            .map(|t| TopicInfo {
                name: t.name.unwrap_or_default(),
                error: ErrorCode(t.error_code),
                internal: t.is_internal,
                partitions: t
                    .partitions
                    .into_iter()
                    .map(|p| PartitionInfo {
                        partition: p.partition_index,
                        error: ErrorCode(p.error_code),
                        leader: p.leader_id,
                        leader_epoch: p.leader_epoch,
                        replicas: p.replica_nodes,
                        isr: p.isr_nodes,
                        offline_replicas: p.offline_replicas,
                    })
                    .collect(),
            })
            .collect();
        Metadata {
            cluster_id: r.cluster_id,
            controller_id: r.controller_id,
            brokers,
            topics,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v0_asks_all_topics_with_an_empty_list() {
        assert_eq!(request(0, None).topics, Some(Vec::new()));
        assert_eq!(request(1, None).topics, None);
        let t = vec!["a".to_string()];
        assert_eq!(
            request(5, Some(&t)).topics.unwrap()[0].name.as_deref(),
            Some("a")
        );
    }
}
