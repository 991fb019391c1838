//! UpdateMetadata (key 6): the controller's view of the cluster (live brokers with their
//! endpoints, itself, every partition's leader, epochs, replicas, ISR and offline replicas,
//! topic ids), which this broker's metadata cache then answers Metadata requests from.
//!
//! Kafka's rules: stale broker or controller epochs refuse the whole request; a partition whose
//! leader is -2 (`LeaderDuringDelete`) is being deleted and leaves the cache, and a topic left
//! without partitions goes with it. Each live broker is cached with the endpoint of this
//! broker's own first listener name when it has one (the listener clients reach), else its
//! first endpoint.

use std::collections::BTreeMap;

use crate::broker::handlers::BrokerContext;
use crate::broker::handlers::leader_and_isr::check_epochs;
use crate::broker::metadata::{BrokerEndpoint, MetadataImage, PartitionState, TopicState};
use crate::broker::server::parse_listeners;
use crate::protocol::codec::Uuid;
use crate::protocol::messages::update_metadata_request::{
    UpdateMetadataBroker, UpdateMetadataPartitionState,
};
use crate::protocol::messages::{UpdateMetadataRequest, UpdateMetadataResponse};
use crate::types::{BrokerId, LeaderEpoch, Partition};

/// Every version of the 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 8);

/// Kafka's marker leader of a partition whose topic is being deleted.
pub const LEADER_DURING_DELETE: i32 = -2;

/// Answers one UpdateMetadata request.
pub fn handle(
    ctx: &BrokerContext,
    req: &UpdateMetadataRequest,
    _version: i16,
) -> UpdateMetadataResponse {
    if let Err(code) = check_epochs(ctx, req.controller_epoch, req.broker_epoch) {
        return UpdateMetadataResponse {
            error_code: code.0,
            ..Default::default()
        };
    }
    let listener = ctx
        .config
        .get_string("listeners")
        .and_then(|l| parse_listeners(l).ok())
        .and_then(|l| l.into_iter().next())
        .map(|l| l.name);
    let brokers: Vec<BrokerEndpoint> = req
        .live_brokers
        .iter()
        .filter_map(|b| endpoint_of(b, listener.as_deref()))
        .collect();
    let partitions = grouped(req);
    ctx.metadata.update(|image| {
        image.set_brokers(brokers);
        image.set_controller((req.controller_id >= 0).then_some(BrokerId(req.controller_id)));
        for (topic, (id, states)) in partitions {
            apply_topic(image, topic, id, states);
        }
    });
    UpdateMetadataResponse::default()
}

/// The endpoint clients should use for broker `b`, or None if it advertises none usable.
fn endpoint_of(b: &UpdateMetadataBroker, listener: Option<&str>) -> Option<BrokerEndpoint> {
    let (host, port) = if b.endpoints.is_empty() {
        (b.v0_host.clone(), b.v0_port)
    } else {
        let chosen = listener
            .and_then(|name| b.endpoints.iter().find(|e| e.listener == name))
            .or_else(|| b.endpoints.first())?;
        (chosen.host.clone(), chosen.port)
    };
    let port = u16::try_from(port).ok()?;
    Some(BrokerEndpoint {
        id: BrokerId(b.id),
        host,
        port,
        rack: b.rack.clone(),
    })
}

type Grouped<'a> = BTreeMap<&'a str, (Uuid, Vec<&'a UpdateMetadataPartitionState>)>;

/// Partition states by topic, whatever the version's layout.
fn grouped(req: &UpdateMetadataRequest) -> Grouped<'_> {
    let mut out: Grouped<'_> = BTreeMap::new();
    for p in &req.ungrouped_partition_states {
        out.entry(p.topic_name.as_str())
            .or_insert_with(|| (Uuid::ZERO, Vec::new()))
            .1
            .push(p);
    }
    for t in &req.topic_states {
        let entry = out
            .entry(t.topic_name.as_str())
            .or_insert_with(|| (t.topic_id, Vec::new()));
        entry.0 = t.topic_id;
        entry.1.extend(t.partition_states.iter());
    }
    out
}

/// Merges one topic's partition states into the image (or removes deleted partitions).
fn apply_topic(
    image: &mut MetadataImage,
    topic: &str,
    id: Uuid,
    states: Vec<&UpdateMetadataPartitionState>,
) {
    let mut state = match image.topic(topic) {
        Some(t) => t.clone(),
        None => TopicState::new(topic, id),
    };
    if id != Uuid::ZERO {
        state.id = id;
    }
    for p in states {
        if p.partition_index < 0 {
            continue;
        }
        let partition = Partition(p.partition_index);
        if p.leader == LEADER_DURING_DELETE {
            state.partitions.remove(&partition);
            continue;
        }
        let ids = |v: &[i32]| v.iter().copied().map(BrokerId).collect::<Vec<_>>();
        state.partitions.insert(
            partition,
            PartitionState {
                partition,
                leader: (p.leader >= 0).then_some(BrokerId(p.leader)),
                leader_epoch: LeaderEpoch(p.leader_epoch),
                replicas: ids(&p.replicas),
                isr: ids(&p.isr),
                offline_replicas: ids(&p.offline_replicas),
            },
        );
    }
    if state.partitions.is_empty() {
        image.remove_topic(topic);
    } else {
        image.upsert_topic(state);
    }
}
