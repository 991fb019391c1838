//! DescribeCluster (key 60): the cluster id, the controller and the live brokers from the
//! metadata cache. v1 asks for an endpoint type; a ZooKeeper-mode broker serves only brokers
//! (1) and answers UNSUPPORTED_ENDPOINT_TYPE for controllers, as Kafka does.

use super::BrokerContext;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::describe_cluster_response::DescribeClusterBroker;
use crate::protocol::messages::{DescribeClusterRequest, DescribeClusterResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 1);

/// The BROKERS endpoint type.
const BROKERS: i8 = 1;

/// Answers `req`, decoded in `version`.
pub fn handle(
    ctx: &BrokerContext,
    req: &DescribeClusterRequest,
    version: i16,
) -> DescribeClusterResponse {
    let image = ctx.metadata.snapshot();
    if version >= 1 && req.endpoint_type != BROKERS {
        return DescribeClusterResponse {
            error_code: ErrorCode::UNSUPPORTED_ENDPOINT_TYPE.0,
            error_message: Some("The request endpoint type is not supported by this broker".into()),
            endpoint_type: req.endpoint_type,
            controller_id: -1,
            cluster_authorized_operations: i32::MIN,
            ..DescribeClusterResponse::default()
        };
    }
    DescribeClusterResponse {
        endpoint_type: BROKERS,
        cluster_id: image.cluster_id().unwrap_or_default().to_string(),
        controller_id: image.controller().map_or(-1, |c| c.0),
        brokers: image
            .brokers()
            .values()
            .map(|b| DescribeClusterBroker {
                broker_id: b.id.0,
                host: b.host.clone(),
                port: i32::from(b.port),
                rack: b.rack.clone(),
                ..DescribeClusterBroker::default()
            })
            .collect(),
        cluster_authorized_operations: i32::MIN,
        ..DescribeClusterResponse::default()
    }
}
