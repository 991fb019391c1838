//! Kafka's client-side partition assignors, run by the group leader: `range`, `roundrobin`,
//! `sticky` and `cooperative-sticky`, under Kafka's protocol names so that rkafka members
//! and Java / librdkafka / kafka-python members agree on the protocol. Pure functions of
//! the members' subscriptions and the partition counts; deterministic for equal input.

pub mod range;
pub mod roundrobin;
pub mod sticky;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use bytes::Bytes;

use super::protocol::{Subscription, TopicPartition};

/// A member's subscription as the leader sees it in JoinGroup's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub subscription: Subscription,
}

/// Kafka's member order: static members (by instance id) first, then dynamic ones by
/// member id.
pub fn member_order(a: &Member, b: &Member) -> Ordering {
    match (&a.group_instance_id, &b.group_instance_id) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.member_id.cmp(&b.member_id),
    }
}

/// Partition counts by topic name; topics missing here have no partitions to give.
pub type PartitionCounts = BTreeMap<String, i32>;
/// The leader's plan: member id -> partitions, with an entry for every member.
pub type Plan = BTreeMap<String, Vec<TopicPartition>>;

/// A named assignment strategy (`partition.assignment.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignor {
    Range,
    RoundRobin,
    Sticky,
    CooperativeSticky,
}

impl Assignor {
    /// The protocol name members register (Kafka's `name()`).
    pub fn name(self) -> &'static str {
        match self {
            Assignor::Range => "range",
            Assignor::RoundRobin => "roundrobin",
            Assignor::Sticky => "sticky",
            Assignor::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// Reads a Kafka class name (`org.apache.kafka.clients.consumer.RangeAssignor`) or a
    /// protocol name.
    pub fn parse(text: &str) -> Option<Assignor> {
        let t = text.trim();
        let short = t.rsplit('.').next().unwrap_or(t);
        match short {
            "RangeAssignor" | "range" => Some(Assignor::Range),
            "RoundRobinAssignor" | "roundrobin" => Some(Assignor::RoundRobin),
            "StickyAssignor" | "sticky" => Some(Assignor::Sticky),
            "CooperativeStickyAssignor" | "cooperative-sticky" => Some(Assignor::CooperativeSticky),
            _ => None,
        }
    }

    /// Whether the assignor supports incremental (cooperative) rebalancing.
    pub fn cooperative(self) -> bool {
        self == Assignor::CooperativeSticky
    }

    /// The user data this assignor puts in the member's subscription.
    pub fn user_data(self, owned: &[TopicPartition], generation: i32) -> Option<Bytes> {
        match self {
            Assignor::Range | Assignor::RoundRobin => None,
            Assignor::Sticky => Some(sticky::encode_sticky_user_data(owned, generation)),
            Assignor::CooperativeSticky => Some(Bytes::copy_from_slice(&generation.to_be_bytes())),
        }
    }

    /// The leader's plan for `members` over `counts`.
    pub fn assign(self, counts: &PartitionCounts, members: &[Member]) -> Plan {
        match self {
            Assignor::Range => range::assign(counts, members),
            Assignor::RoundRobin => roundrobin::assign(counts, members),
            Assignor::Sticky => sticky::assign(counts, members, false),
            Assignor::CooperativeSticky => sticky::assign(counts, members, true),
        }
    }
}

/// Kafka's default `partition.assignment.strategy`: range, then cooperative-sticky.
pub const DEFAULT_STRATEGY: &[Assignor] = &[Assignor::Range, Assignor::CooperativeSticky];

/// Cooperative rebalancing's second rule: a partition moving from one live owner to
/// another member is given to nobody in this generation; the owner revokes it and
/// rejoins, and the next rebalance hands it over. `owners` are the claims in the
/// subscriptions.
pub fn withhold_transfers(plan: &mut Plan, members: &[Member]) {
    let mut owner: BTreeMap<&TopicPartition, &str> = BTreeMap::new();
    for m in members {
        for tp in &m.subscription.owned_partitions {
            owner.insert(tp, &m.member_id);
        }
    }
    let mut withheld = Vec::new();
    for (member, parts) in plan.iter() {
        for tp in parts {
            if owner.get(tp).is_some_and(|o| *o != member) {
                withheld.push((member.clone(), tp.clone()));
            }
        }
    }
    for (member, tp) in withheld {
        if let Some(parts) = plan.get_mut(&member) {
            parts.retain(|p| *p != tp);
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub fn member(id: &str, topics: &[&str]) -> Member {
        Member {
            member_id: id.to_string(),
            group_instance_id: None,
            subscription: Subscription {
                topics: topics.iter().map(|t| t.to_string()).collect(),
                ..Subscription::default()
            },
        }
    }

    pub fn owning(mut m: Member, owned: &[(&str, i32)], generation: i32) -> Member {
        m.subscription.owned_partitions = owned
            .iter()
            .map(|(t, p)| TopicPartition::new(t, *p))
            .collect();
        m.subscription.generation = generation;
        m
    }

    pub fn counts(list: &[(&str, i32)]) -> PartitionCounts {
        list.iter().map(|(t, n)| (t.to_string(), *n)).collect()
    }

    pub fn names(plan: &Plan, member: &str) -> Vec<String> {
        let mut v: Vec<String> = plan[member].iter().map(|tp| tp.to_string()).collect();
        v.sort();
        v
    }

    /// Every partition of the subscribed topics is given exactly once, and only to a
    /// member subscribed to its topic.
    pub fn check_complete(plan: &Plan, counts: &PartitionCounts, members: &[Member]) {
        let mut seen = std::collections::BTreeSet::new();
        for (id, parts) in plan {
            let m = members.iter().find(|m| &m.member_id == id).unwrap();
            for tp in parts {
                assert!(m.subscription.topics.contains(&tp.topic), "{id} got {tp}");
                assert!(seen.insert(tp.clone()), "{tp} given twice");
            }
        }
        for (t, n) in counts {
            if members.iter().any(|m| m.subscription.topics.contains(t)) {
                for p in 0..*n {
                    assert!(
                        seen.contains(&TopicPartition::new(t, p)),
                        "{t}-{p} not given"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn names_and_class_names_parse() {
        for a in [
            Assignor::Range,
            Assignor::RoundRobin,
            Assignor::Sticky,
            Assignor::CooperativeSticky,
        ] {
            assert_eq!(Assignor::parse(a.name()), Some(a));
        }
        assert_eq!(
            Assignor::parse("org.apache.kafka.clients.consumer.CooperativeStickyAssignor"),
            Some(Assignor::CooperativeSticky)
        );
        assert_eq!(Assignor::parse("bogus"), None);
    }

    #[test]
    fn transfers_between_live_owners_are_withheld() {
        let members = vec![
            owning(member("a", &["t"]), &[("t", 0), ("t", 1)], 3),
            member("b", &["t"]),
        ];
        let mut plan: Plan = BTreeMap::new();
        plan.insert("a".into(), vec![TopicPartition::new("t", 0)]);
        plan.insert(
            "b".into(),
            vec![TopicPartition::new("t", 1), TopicPartition::new("t", 2)],
        );
        withhold_transfers(&mut plan, &members);
        assert_eq!(names(&plan, "a"), vec!["t-0"]);
        // t-1 leaves a: nobody gets it this round; t-2 had no owner.
        assert_eq!(names(&plan, "b"), vec!["t-2"]);
    }

    #[test]
    fn static_members_sort_first() {
        let mut a = member("z", &["t"]);
        a.group_instance_id = Some("i".into());
        let b = member("a", &["t"]);
        assert_eq!(member_order(&a, &b), Ordering::Less);
    }
}
