//! Kafka's RoundRobinAssignor: all partitions of all subscribed topics, sorted by topic and
//! partition, dealt in turn to the members in Kafka's member order, skipping members not
//! subscribed to the partition's topic.

use std::collections::BTreeSet;

use super::{Member, PartitionCounts, Plan, member_order};
use crate::client::group::protocol::TopicPartition;

/// The round-robin plan (every member has an entry, possibly empty).
pub fn assign(counts: &PartitionCounts, members: &[Member]) -> Plan {
    let mut plan: Plan = members
        .iter()
        .map(|m| (m.member_id.clone(), Vec::new()))
        .collect();
    let mut sorted: Vec<&Member> = members.iter().collect();
    sorted.sort_by(|a, b| member_order(a, b));
    let topics: BTreeSet<&String> = members
        .iter()
        .flat_map(|m| m.subscription.topics.iter())
        .filter(|t| counts.contains_key(*t))
        .collect();
    let mut next = 0usize;
    for topic in topics {
        let n = counts.get(topic).copied().unwrap_or(0);
        for p in 0..n {
            // Some member is subscribed to `topic` (it came from a subscription), so this
            // scan ends within one lap.
            for _ in 0..sorted.len() {
                let m = sorted[next % sorted.len()];
                next = (next + 1) % sorted.len();
                if m.subscription.topics.iter().any(|t| t == topic) {
                    if let Some(parts) = plan.get_mut(&m.member_id) {
                        parts.push(TopicPartition::new(topic, p));
                    }
                    break;
                }
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    /// Kafka's documented example with equal subscriptions.
    #[test]
    fn kafkas_documented_example() {
        let members = vec![member("C0", &["t0", "t1"]), member("C1", &["t0", "t1"])];
        let c = counts(&[("t0", 3), ("t1", 3)]);
        let plan = assign(&c, &members);
        assert_eq!(names(&plan, "C0"), vec!["t0-0", "t0-2", "t1-1"]);
        assert_eq!(names(&plan, "C1"), vec!["t0-1", "t1-0", "t1-2"]);
    }

    /// Kafka's documented example with different subscriptions.
    #[test]
    fn kafkas_documented_unequal_example() {
        let members = vec![
            member("C0", &["t0"]),
            member("C1", &["t0", "t1"]),
            member("C2", &["t0", "t1", "t2"]),
        ];
        let c = counts(&[("t0", 1), ("t1", 2), ("t2", 3)]);
        let plan = assign(&c, &members);
        assert_eq!(names(&plan, "C0"), vec!["t0-0"]);
        assert_eq!(names(&plan, "C1"), vec!["t1-0"]);
        assert_eq!(names(&plan, "C2"), vec!["t1-1", "t2-0", "t2-1", "t2-2"]);
        check_complete(&plan, &c, &members);
    }

    #[test]
    fn equal_subscriptions_are_balanced() {
        let members: Vec<Member> = (0..4)
            .map(|i| member(&format!("m{i}"), &["a", "b", "c"]))
            .collect();
        let c = counts(&[("a", 5), ("b", 3), ("c", 7)]);
        let plan = assign(&c, &members);
        let sizes: Vec<usize> = plan.values().map(Vec::len).collect();
        assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        check_complete(&plan, &c, &members);
    }
}
