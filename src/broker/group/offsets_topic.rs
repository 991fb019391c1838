//! Creating `__consumer_offsets` the first time a coordinator is looked up, as a Kafka
//! ZooKeeper-mode broker does: `offsets.topic.num.partitions` partitions with
//! `offsets.topic.replication.factor` replicas over the live brokers, `cleanup.policy=compact`,
//! `compression.type=producer` and `segment.bytes=offsets.topic.segment.bytes`. With fewer
//! live brokers than the replication factor nothing is created and the lookup answers
//! COORDINATOR_NOT_AVAILABLE (Kafka logs the same advice: the cluster may still be starting).

use std::collections::BTreeMap;

use super::placement::OFFSETS_TOPIC;
use crate::admin::assignment::{self, Start};
use crate::admin::zk_topics::{self, ZkTopicError};
use crate::broker::handlers::BrokerContext;
use crate::broker::handlers::admin_common::live_brokers;
use crate::protocol::error_code::ErrorCode;

/// The topic-level configs of `__consumer_offsets`.
pub fn topic_configs(ctx: &BrokerContext) -> BTreeMap<String, String> {
    let segment = ctx
        .config
        .get_int("offsets.topic.segment.bytes")
        .unwrap_or(104_857_600);
    BTreeMap::from([
        ("cleanup.policy".to_string(), "compact".to_string()),
        ("compression.type".to_string(), "producer".to_string()),
        ("segment.bytes".to_string(), segment.to_string()),
    ])
}

/// Creates the topic if it does not exist. Returns the code a FindCoordinator answer carries
/// meanwhile: COORDINATOR_NOT_AVAILABLE in every case (the controller has yet to elect
/// leaders, or the topic cannot be created yet).
pub async fn create(ctx: &BrokerContext) -> ErrorCode {
    let Some(zk) = ctx.zk.current() else {
        return ErrorCode::COORDINATOR_NOT_AVAILABLE;
    };
    if ctx.metadata.snapshot().topic(OFFSETS_TOPIC).is_some() {
        return ErrorCode::COORDINATOR_NOT_AVAILABLE;
    }
    let partitions = ctx
        .config
        .get_int("offsets.topic.num.partitions")
        .unwrap_or(50);
    let rf = ctx
        .config
        .get_short("offsets.topic.replication.factor")
        .unwrap_or(3);
    let brokers = live_brokers(ctx);
    if brokers.len() < usize::try_from(rf).unwrap_or(usize::MAX) {
        tracing::warn!(
            "Number of alive brokers '{}' does not meet the required replication factor '{rf}' \
             for the offsets topic (configured via 'offsets.topic.replication.factor'). This \
             error can be ignored if the cluster is starting up and not all brokers are up yet.",
            brokers.len()
        );
        return ErrorCode::COORDINATOR_NOT_AVAILABLE;
    }
    let Ok(random) = zk_topics::random_bytes::<2>() else {
        return ErrorCode::COORDINATOR_NOT_AVAILABLE;
    };
    let n = brokers.len().max(1);
    let start = Start::Random {
        index: usize::from(random[0]) % n,
        shift: usize::from(random[1]) % n,
    };
    let plan = match assignment::assign_replicas(&brokers, partitions, i32::from(rf), start, 0) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("cannot place {OFFSETS_TOPIC}: {e}");
            return ErrorCode::COORDINATOR_NOT_AVAILABLE;
        }
    };
    let Ok(id) = zk_topics::random_topic_id() else {
        return ErrorCode::COORDINATOR_NOT_AVAILABLE;
    };
    match zk_topics::create_topic(&zk, OFFSETS_TOPIC, &plan, &topic_configs(ctx), id).await {
        Ok(()) => tracing::info!(partitions, rf, "created {OFFSETS_TOPIC}"),
        Err(ZkTopicError::TopicExists { .. }) => {}
        Err(e) => tracing::warn!("cannot create {OFFSETS_TOPIC}: {e}"),
    }
    ErrorCode::COORDINATOR_NOT_AVAILABLE
}
