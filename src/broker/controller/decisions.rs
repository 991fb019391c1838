//! The controller's decisions, pure: from the cluster view (live brokers, assignments,
//! partition states) to the partition state changes Kafka's ZooKeeper-mode controller makes.
//! No I/O and no clock: the event loop reads the view from the coordinator, writes what this
//! returns, and tells the brokers.
//!
//! Rules (Kafka's `PartitionStateMachine` / `ReplicaStateMachine`, unclean election off):
//! - a partition without state gets leader = first live replica in assignment order, ISR =
//!   the live replicas, leader epoch 0; without any live replica it stays without state;
//! - an ISR member that is not live leaves the ISR, unless it is the last one (the ISR never
//!   becomes empty: it records who has the data);
//! - a leader that is not live is replaced by the first replica in assignment order that is
//!   live and in the ISR; with none, the partition has no leader (-1) and the ISR stays;
//! - a partition without leader gets one as soon as an ISR member is live again;
//! - every change bumps the leader epoch, as Kafka's `newLeaderAndIsr` does.

use std::collections::{BTreeMap, BTreeSet};

use crate::coordinator::kafka_paths::{Endpoint, Uuid};

/// A registered broker: its epoch (czxid of `/brokers/ids/<id>`) and advertised endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveBroker {
    pub id: i32,
    pub epoch: i64,
    pub endpoints: Vec<Endpoint>,
    pub rack: Option<String>,
}

impl LiveBroker {
    /// The endpoint inter-broker traffic uses: the first PLAINTEXT one, else the first.
    pub fn plaintext(&self) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|e| e.security_protocol == "PLAINTEXT")
            .or_else(|| self.endpoints.first())
    }
}

/// One partition's leader and ISR as stored in its state znode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderIsr {
    /// -1 for no leader.
    pub leader: i32,
    pub leader_epoch: i32,
    pub isr: Vec<i32>,
    /// The controller epoch that wrote it.
    pub controller_epoch: i32,
    /// The state znode's version (Kafka's partition epoch); meaningless before it exists.
    pub zk_version: i32,
}

/// A topic: id, assignment (partition -> replicas, preferred first) and partition states.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicView {
    pub id: Uuid,
    pub assignment: BTreeMap<i32, Vec<i32>>,
    pub states: BTreeMap<i32, LeaderIsr>,
    /// Replicas being added by a reassignment in progress (partitions with some).
    pub adding: BTreeMap<i32, Vec<i32>>,
    /// Replicas being removed by a reassignment in progress (partitions with some).
    pub removing: BTreeMap<i32, Vec<i32>>,
}

impl TopicView {
    /// Whether partition `p` is being reassigned.
    pub fn moving(&self, p: i32) -> bool {
        self.adding.get(&p).is_some_and(|a| !a.is_empty())
            || self.removing.get(&p).is_some_and(|r| !r.is_empty())
    }
}

/// What the controller knows of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterView {
    pub live: BTreeMap<i32, LiveBroker>,
    pub topics: BTreeMap<String, TopicView>,
    /// Topics queued for deletion: left alone by elections.
    pub deleting: BTreeSet<String>,
}

/// A state znode to write: created when `create`, else replaced if still at
/// `previous_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    pub topic: String,
    pub partition: i32,
    pub create: bool,
    pub previous_version: i32,
    pub state: LeaderIsr,
}

/// The next state of one partition, or None when it should not change.
pub fn next_state(
    replicas: &[i32],
    current: Option<&LeaderIsr>,
    is_live: &dyn Fn(i32) -> bool,
    controller_epoch: i32,
) -> Option<LeaderIsr> {
    let Some(cur) = current else {
        let live: Vec<i32> = replicas.iter().copied().filter(|r| is_live(*r)).collect();
        let leader = *live.first()?;
        return Some(LeaderIsr {
            leader,
            leader_epoch: 0,
            isr: live,
            controller_epoch,
            zk_version: 0,
        });
    };
    let live_isr: Vec<i32> = cur.isr.iter().copied().filter(|r| is_live(*r)).collect();
    let leader_ok = cur.leader >= 0 && is_live(cur.leader);
    if leader_ok && live_isr.len() == cur.isr.len() {
        return None;
    }
    let leader = if leader_ok {
        cur.leader
    } else {
        replicas
            .iter()
            .copied()
            .find(|r| is_live(*r) && cur.isr.contains(r))
            .unwrap_or(-1)
    };
    let isr = if live_isr.is_empty() {
        cur.isr.clone()
    } else {
        live_isr
    };
    if leader == cur.leader && isr == cur.isr {
        // Still no live ISR member: nothing to write until one comes back.
        return None;
    }
    Some(LeaderIsr {
        leader,
        leader_epoch: cur.leader_epoch.saturating_add(1),
        isr,
        controller_epoch,
        zk_version: cur.zk_version,
    })
}

/// Every state change the view calls for (topics being deleted excepted), in topic and
/// partition order.
pub fn changes(view: &ClusterView, controller_epoch: i32) -> Vec<StateChange> {
    let is_live = |id: i32| view.live.contains_key(&id);
    let mut out = Vec::new();
    for (name, topic) in &view.topics {
        if view.deleting.contains(name) {
            continue;
        }
        for (partition, replicas) in &topic.assignment {
            let current = topic.states.get(partition);
            if let Some(state) = next_state(replicas, current, &is_live, controller_epoch) {
                out.push(StateChange {
                    topic: name.clone(),
                    partition: *partition,
                    create: current.is_none(),
                    previous_version: current.map_or(0, |c| c.zk_version),
                    state,
                });
            }
        }
    }
    out
}

/// The partitions broker `id` is a replica of, by topic.
pub fn partitions_of(view: &ClusterView, id: i32) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    for (name, topic) in &view.topics {
        for (partition, replicas) in &topic.assignment {
            if replicas.contains(&id) {
                out.push((name.clone(), *partition));
            }
        }
    }
    out
}

/// What deleting `topic` waits for: its replica brokers, or None while one of them is not
/// live (Kafka keeps such a deletion queued until the broker is back).
pub fn deletion_replicas(view: &ClusterView, topic: &str) -> Option<BTreeSet<i32>> {
    let t = view.topics.get(topic)?;
    let replicas: BTreeSet<i32> = t.assignment.values().flatten().copied().collect();
    replicas
        .iter()
        .all(|r| view.live.contains_key(r))
        .then_some(replicas)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broker(id: i32) -> LiveBroker {
        LiveBroker {
            id,
            epoch: i64::from(id) * 10,
            endpoints: vec![],
            rack: None,
        }
    }

    fn view(live: &[i32], assignment: &[(i32, &[i32])]) -> ClusterView {
        let mut v = ClusterView::default();
        for id in live {
            v.live.insert(*id, broker(*id));
        }
        let t = TopicView {
            id: Uuid([1; 16]),
            assignment: assignment.iter().map(|(p, r)| (*p, r.to_vec())).collect(),
            ..Default::default()
        };
        v.topics.insert("t".into(), t);
        v
    }

    fn state(leader: i32, epoch: i32, isr: &[i32], version: i32) -> LeaderIsr {
        LeaderIsr {
            leader,
            leader_epoch: epoch,
            isr: isr.to_vec(),
            controller_epoch: 1,
            zk_version: version,
        }
    }

    fn apply(v: &mut ClusterView, changes: &[StateChange]) {
        for c in changes {
            let mut s = c.state.clone();
            s.zk_version = if c.create { 0 } else { c.previous_version + 1 };
            v.topics
                .get_mut(&c.topic)
                .unwrap()
                .states
                .insert(c.partition, s);
        }
    }

    #[test]
    fn a_new_topic_gets_first_live_replica_and_live_isr() {
        let v = view(&[1, 2], &[(0, &[3, 2, 1]), (1, &[1, 2, 3]), (2, &[3])]);
        let c = changes(&v, 7);
        assert_eq!(
            c.len(),
            2,
            "partition 2 has no live replica: stays without state"
        );
        assert!(c.iter().all(|c| c.create));
        assert_eq!(c[0].state, state_with(2, 0, &[2, 1], 7));
        assert_eq!(c[1].state, state_with(1, 0, &[1, 2], 7));
        // Once broker 3 registers, partition 2 is initialized and nothing else moves.
        let mut v = v;
        apply(&mut v, &c);
        v.live.insert(3, broker(3));
        let c = changes(&v, 7);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].partition, c[0].state.leader), (2, 3));
    }

    fn state_with(leader: i32, epoch: i32, isr: &[i32], ce: i32) -> LeaderIsr {
        LeaderIsr {
            controller_epoch: ce,
            zk_version: 0,
            ..state(leader, epoch, isr, 0)
        }
    }

    #[test]
    fn losing_a_leader_elects_the_next_isr_member_and_bumps_epochs() {
        let mut v = view(&[1, 3], &[(0, &[2, 3, 1]), (1, &[1, 2, 3])]);
        let t = v.topics.get_mut("t").unwrap();
        t.states.insert(0, state(2, 4, &[2, 1, 3], 6));
        t.states.insert(1, state(1, 0, &[1, 2, 3], 2));
        let c = changes(&v, 2);
        assert_eq!(c.len(), 2);
        // Partition 0 lost its leader: first live replica of the assignment in the ISR.
        assert!(!c[0].create);
        assert_eq!(c[0].previous_version, 6);
        assert_eq!((c[0].state.leader, c[0].state.leader_epoch), (3, 5));
        assert_eq!(c[0].state.isr, [1, 3]);
        assert_eq!(c[0].state.controller_epoch, 2);
        // Partition 1 keeps its leader; broker 2 leaves the ISR, the epoch still moves.
        assert_eq!((c[1].state.leader, c[1].state.leader_epoch), (1, 1));
        assert_eq!(c[1].state.isr, [1, 3]);
        apply(&mut v, &c);
        assert!(changes(&v, 2).is_empty(), "stable once written");
    }

    #[test]
    fn without_a_live_isr_member_there_is_no_leader_until_one_returns() {
        let mut v = view(&[1], &[(0, &[2, 1])]);
        // Broker 1 is live but out of the ISR: unclean election is off.
        v.topics
            .get_mut("t")
            .unwrap()
            .states
            .insert(0, state(2, 3, &[2], 1));
        let c = changes(&v, 1);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].state.leader, -1);
        assert_eq!(c[0].state.isr, [2], "the ISR keeps the last member");
        assert_eq!(c[0].state.leader_epoch, 4);
        apply(&mut v, &c);
        assert!(changes(&v, 1).is_empty(), "no rewrite while leaderless");
        v.live.insert(2, broker(2));
        let c = changes(&v, 1);
        assert_eq!((c[0].state.leader, c[0].state.leader_epoch), (2, 5));
        assert_eq!(c[0].previous_version, 2);
    }

    #[test]
    fn deletion_waits_for_every_replica_and_elections_skip_it() {
        let mut v = view(&[1, 2], &[(0, &[1, 2]), (1, &[2, 3])]);
        assert_eq!(deletion_replicas(&v, "t"), None, "broker 3 is down");
        v.live.insert(3, broker(3));
        assert_eq!(deletion_replicas(&v, "t"), Some(BTreeSet::from([1, 2, 3])));
        v.deleting.insert("t".into());
        assert!(changes(&v, 1).is_empty());
        assert_eq!(deletion_replicas(&v, "nope"), None);
        assert_eq!(partitions_of(&v, 3), [("t".to_string(), 1)]);
    }
}
