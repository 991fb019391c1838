//! FindCoordinator (key 10): which broker coordinates a group. v0-v3 ask for one key, v4+
//! for a batch (`coordinator_keys`), each answered on its own. The coordinator is the leader
//! of the group's `__consumer_offsets` partition; while that topic does not exist it is
//! created and the answer is COORDINATOR_NOT_AVAILABLE (clients retry), as is a partition
//! without a live leader. Transaction coordinators (key type 1) are not served by rkafka:
//! COORDINATOR_NOT_AVAILABLE; other key types are INVALID_REQUEST.

use super::BrokerContext;
use crate::broker::group::{GroupCoordinator, OFFSETS_TOPIC, offsets_topic, partition_for};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::find_coordinator_response::Coordinator;
use crate::protocol::messages::{FindCoordinatorRequest, FindCoordinatorResponse};
use crate::types::BrokerId;

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 6);

const GROUP_KEY: i8 = 0;
const TRANSACTION_KEY: i8 = 1;

/// Answers `req`.
pub async fn handle(
    ctx: &BrokerContext,
    req: &FindCoordinatorRequest,
    version: i16,
) -> FindCoordinatorResponse {
    let keys: Vec<String> = if version >= 4 {
        req.coordinator_keys.clone()
    } else {
        vec![req.key.clone()]
    };
    let mut answers = Vec::with_capacity(keys.len());
    for key in keys {
        let a = find(ctx, req.key_type, &key).await;
        answers.push(a);
    }
    if version >= 4 {
        return FindCoordinatorResponse {
            coordinators: answers,
            ..FindCoordinatorResponse::default()
        };
    }
    let a = answers.pop().unwrap_or_default();
    FindCoordinatorResponse {
        error_code: a.error_code,
        error_message: a.error_message,
        node_id: a.node_id,
        host: a.host,
        port: a.port,
        ..FindCoordinatorResponse::default()
    }
}

async fn find(ctx: &BrokerContext, key_type: i8, key: &str) -> Coordinator {
    let refused = |code: ErrorCode| Coordinator {
        key: key.to_string(),
        node_id: -1,
        host: String::new(),
        port: -1,
        error_code: code.0,
        error_message: Some(code.message().to_string()),
        ..Coordinator::default()
    };
    match key_type {
        GROUP_KEY => {}
        TRANSACTION_KEY => return refused(ErrorCode::COORDINATOR_NOT_AVAILABLE),
        _ => return refused(ErrorCode::INVALID_REQUEST),
    }
    if key.is_empty() {
        return refused(ErrorCode::INVALID_GROUP_ID);
    }
    let image = ctx.metadata.snapshot();
    let Some(topic) = image.topic(OFFSETS_TOPIC) else {
        drop(image);
        return refused(offsets_topic::create(ctx).await);
    };
    let partition = partition_for(key, GroupCoordinator::num_partitions(ctx));
    let leader = topic
        .partitions
        .get(&crate::types::Partition(partition))
        .and_then(|p| p.leader)
        .and_then(|l: BrokerId| image.brokers().get(&l));
    match leader {
        Some(b) => Coordinator {
            key: key.to_string(),
            node_id: b.id.0,
            host: b.host.clone(),
            port: i32::from(b.port),
            error_code: 0,
            error_message: None,
            ..Coordinator::default()
        },
        None => refused(ErrorCode::COORDINATOR_NOT_AVAILABLE),
    }
}
