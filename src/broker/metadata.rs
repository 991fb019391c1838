//! The broker's metadata cache: what it knows about the cluster (brokers and their advertised
//! endpoints, the controller, the cluster id, topics with their ids, partitions with leader,
//! replicas, ISR, offline replicas and leader epochs).
//!
//! Readers take a [`MetadataImage`] snapshot (an `Arc`, so a Metadata response is built from one
//! consistent view even while an update lands); writers change a copy through
//! [`MetadataCache::update`] and publish it atomically. The controller fills it through
//! UpdateMetadata requests later; nothing here talks to the network.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use crate::protocol::codec::Uuid;
use crate::types::{BrokerId, LeaderEpoch, Partition};

/// A live broker and the endpoint it advertises to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerEndpoint {
    pub id: BrokerId,
    pub host: String,
    pub port: u16,
    /// `broker.rack`, if set.
    pub rack: Option<String>,
}

/// One partition's replica state, as the controller decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionState {
    pub partition: Partition,
    /// The leader, or `None` while the partition has none (leader -1 on the wire).
    pub leader: Option<BrokerId>,
    /// Bumped by the controller on every leader change; -1 when unknown.
    pub leader_epoch: LeaderEpoch,
    /// Assigned replicas, preferred leader first.
    pub replicas: Vec<BrokerId>,
    /// In-sync replicas (a subset of `replicas`).
    pub isr: Vec<BrokerId>,
    /// Replicas whose log directory is offline.
    pub offline_replicas: Vec<BrokerId>,
}

/// A topic and its partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicState {
    pub name: String,
    /// The topic id (KIP-516); [`Uuid::ZERO`] when the topic predates ids.
    pub id: Uuid,
    /// Partitions by index.
    pub partitions: BTreeMap<Partition, PartitionState>,
}

impl TopicState {
    /// A topic with no partitions yet.
    pub fn new(name: impl Into<String>, id: Uuid) -> TopicState {
        TopicState {
            name: name.into(),
            id,
            partitions: BTreeMap::new(),
        }
    }

    /// Whether Kafka treats this topic as internal (its own bookkeeping topics).
    pub fn is_internal(&self) -> bool {
        is_internal_topic(&self.name)
    }
}

/// Kafka's internal topics: group offsets and transaction state.
pub fn is_internal_topic(name: &str) -> bool {
    name == "__consumer_offsets" || name == "__transaction_state"
}

/// One consistent view of the cluster. Invariant: `ids` maps exactly the non-zero ids of
/// `topics` to their names (kept by the mutators, which is why the fields are private).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataImage {
    cluster_id: Option<String>,
    controller: Option<BrokerId>,
    brokers: BTreeMap<BrokerId, BrokerEndpoint>,
    topics: BTreeMap<String, TopicState>,
    ids: HashMap<Uuid, String>,
}

impl MetadataImage {
    /// The cluster id, if known.
    pub fn cluster_id(&self) -> Option<&str> {
        self.cluster_id.as_deref()
    }

    /// The active controller, if known.
    pub fn controller(&self) -> Option<BrokerId> {
        self.controller
    }

    /// Live brokers by id.
    pub fn brokers(&self) -> &BTreeMap<BrokerId, BrokerEndpoint> {
        &self.brokers
    }

    /// Topics by name.
    pub fn topics(&self) -> &BTreeMap<String, TopicState> {
        &self.topics
    }

    /// The topic named `name`.
    pub fn topic(&self, name: &str) -> Option<&TopicState> {
        self.topics.get(name)
    }

    /// The topic whose id is `id` (never matches [`Uuid::ZERO`]).
    pub fn topic_by_id(&self, id: Uuid) -> Option<&TopicState> {
        self.ids.get(&id).and_then(|name| self.topics.get(name))
    }

    pub fn set_cluster_id(&mut self, cluster_id: Option<String>) {
        self.cluster_id = cluster_id;
    }

    pub fn set_controller(&mut self, controller: Option<BrokerId>) {
        self.controller = controller;
    }

    /// Replaces the set of live brokers.
    pub fn set_brokers(&mut self, brokers: impl IntoIterator<Item = BrokerEndpoint>) {
        self.brokers = brokers.into_iter().map(|b| (b.id, b)).collect();
    }

    /// Adds or replaces one live broker.
    pub fn upsert_broker(&mut self, broker: BrokerEndpoint) {
        self.brokers.insert(broker.id, broker);
    }

    /// Forgets a broker (it went away); returns whether it was known.
    pub fn remove_broker(&mut self, id: BrokerId) -> bool {
        self.brokers.remove(&id).is_some()
    }

    /// Adds or replaces a topic (partitions included), keeping the id index right even when a
    /// topic is recreated with a new id.
    pub fn upsert_topic(&mut self, topic: TopicState) {
        if let Some(old) = self.topics.get(&topic.name)
            && old.id != Uuid::ZERO
        {
            self.ids.remove(&old.id);
        }
        if topic.id != Uuid::ZERO {
            self.ids.insert(topic.id, topic.name.clone());
        }
        self.topics.insert(topic.name.clone(), topic);
    }

    /// Removes a topic; returns it if it existed.
    pub fn remove_topic(&mut self, name: &str) -> Option<TopicState> {
        let topic = self.topics.remove(name)?;
        self.ids.remove(&topic.id);
        Some(topic)
    }

    /// Sets one partition's state in an existing topic. Returns false (and changes nothing)
    /// if the topic is unknown.
    pub fn set_partition_state(&mut self, topic: &str, state: PartitionState) -> bool {
        match self.topics.get_mut(topic) {
            Some(t) => {
                t.partitions.insert(state.partition, state);
                true
            }
            None => false,
        }
    }
}

/// The shared, updatable cache. Cheap to read from many connections at once.
#[derive(Debug, Default)]
pub struct MetadataCache {
    image: RwLock<Arc<MetadataImage>>,
}

impl MetadataCache {
    /// A cache holding `image`.
    pub fn new(image: MetadataImage) -> MetadataCache {
        MetadataCache {
            image: RwLock::new(Arc::new(image)),
        }
    }

    /// The current image; later updates do not change it.
    pub fn snapshot(&self) -> Arc<MetadataImage> {
        // A poisoned lock only means a writer panicked before publishing: the old image is
        // still whole, because updates are applied to a copy.
        self.image
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Applies `change` to a copy of the current image and publishes the result as one step,
    /// so readers see all of the change or none of it.
    pub fn update<R>(&self, change: impl FnOnce(&mut MetadataImage) -> R) -> R {
        let mut guard = self.image.write().unwrap_or_else(PoisonError::into_inner);
        let mut next = MetadataImage::clone(&guard);
        let out = change(&mut next);
        *guard = Arc::new(next);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition(p: i32, leader: i32) -> PartitionState {
        PartitionState {
            partition: Partition(p),
            leader: Some(BrokerId(leader)),
            leader_epoch: LeaderEpoch(3),
            replicas: vec![BrokerId(leader)],
            isr: vec![BrokerId(leader)],
            offline_replicas: vec![],
        }
    }

    #[test]
    fn snapshots_are_stable_and_updates_atomic() {
        let cache = MetadataCache::default();
        let before = cache.snapshot();
        cache.update(|m| {
            m.set_cluster_id(Some("c1".into()));
            m.set_controller(Some(BrokerId(1)));
            let mut t = TopicState::new("a", Uuid([1; 16]));
            t.partitions.insert(Partition(0), partition(0, 1));
            m.upsert_topic(t);
        });
        assert!(before.topics().is_empty(), "old snapshot unchanged");
        let after = cache.snapshot();
        assert_eq!(after.cluster_id(), Some("c1"));
        assert_eq!(after.controller(), Some(BrokerId(1)));
        assert_eq!(after.topic_by_id(Uuid([1; 16])).unwrap().name, "a");
        assert!(after.topic_by_id(Uuid::ZERO).is_none());
    }

    #[test]
    fn id_index_follows_recreation_and_removal() {
        let mut m = MetadataImage::default();
        m.upsert_topic(TopicState::new("a", Uuid([1; 16])));
        m.upsert_topic(TopicState::new("a", Uuid([2; 16])));
        assert!(m.topic_by_id(Uuid([1; 16])).is_none());
        assert_eq!(m.topic_by_id(Uuid([2; 16])).unwrap().name, "a");
        assert!(m.set_partition_state("a", partition(1, 2)));
        assert!(!m.set_partition_state("b", partition(0, 2)));
        assert_eq!(m.topic("a").unwrap().partitions.len(), 1);
        assert!(m.remove_topic("a").is_some());
        assert!(m.topic_by_id(Uuid([2; 16])).is_none());
        assert!(m.remove_topic("a").is_none());
    }

    #[test]
    fn brokers_and_internal_topics() {
        let mut m = MetadataImage::default();
        let b = |id| BrokerEndpoint {
            id: BrokerId(id),
            host: "h".into(),
            port: 9092,
            rack: None,
        };
        m.set_brokers([b(1), b(2)]);
        m.upsert_broker(b(3));
        assert!(m.remove_broker(BrokerId(2)));
        assert!(!m.remove_broker(BrokerId(2)));
        assert_eq!(
            m.brokers().keys().copied().collect::<Vec<_>>(),
            [BrokerId(1), BrokerId(3)]
        );
        assert!(TopicState::new("__consumer_offsets", Uuid::ZERO).is_internal());
        assert!(!TopicState::new("orders", Uuid::ZERO).is_internal());
    }
}
