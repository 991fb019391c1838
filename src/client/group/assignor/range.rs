//! Kafka's RangeAssignor: per topic, the subscribed members in Kafka's member order each
//! take a contiguous range; the first `partitions % members` take one extra. Co-located
//! partitions of topics with equal counts go to the same member.

use super::{Member, PartitionCounts, Plan, member_order};
use crate::client::group::protocol::TopicPartition;

/// The range plan (every member has an entry, possibly empty).
pub fn assign(counts: &PartitionCounts, members: &[Member]) -> Plan {
    let mut plan: Plan = members
        .iter()
        .map(|m| (m.member_id.clone(), Vec::new()))
        .collect();
    for (topic, &n) in counts {
        let mut subscribed: Vec<&Member> = members
            .iter()
            .filter(|m| m.subscription.topics.iter().any(|t| t == topic))
            .collect();
        if subscribed.is_empty() || n <= 0 {
            continue;
        }
        subscribed.sort_by(|a, b| member_order(a, b));
        let consumers = i32::try_from(subscribed.len()).unwrap_or(i32::MAX);
        let per = n / consumers;
        let extra = n % consumers;
        for (i, m) in (0i32..).zip(subscribed) {
            let start = per * i + i.min(extra);
            let len = per + i32::from(i < extra);
            if let Some(parts) = plan.get_mut(&m.member_id) {
                parts.extend((start..start + len).map(|p| TopicPartition::new(topic, p)));
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    /// Kafka's documented example: C0 and C1 on t0 and t1 with three partitions each.
    #[test]
    fn kafkas_documented_example() {
        let members = vec![member("C0", &["t0", "t1"]), member("C1", &["t0", "t1"])];
        let c = counts(&[("t0", 3), ("t1", 3)]);
        let plan = assign(&c, &members);
        assert_eq!(names(&plan, "C0"), vec!["t0-0", "t0-1", "t1-0", "t1-1"]);
        assert_eq!(names(&plan, "C1"), vec!["t0-2", "t1-2"]);
        check_complete(&plan, &c, &members);
    }

    #[test]
    fn six_partitions_three_members_two_each() {
        let members = vec![
            member("m3", &["t"]),
            member("m1", &["t"]),
            member("m2", &["t"]),
        ];
        let c = counts(&[("t", 6)]);
        let plan = assign(&c, &members);
        assert_eq!(names(&plan, "m1"), vec!["t-0", "t-1"]);
        assert_eq!(names(&plan, "m2"), vec!["t-2", "t-3"]);
        assert_eq!(names(&plan, "m3"), vec!["t-4", "t-5"]);
    }

    #[test]
    fn only_subscribers_get_a_topic_and_extra_members_get_nothing() {
        let members = vec![
            member("a", &["x", "y"]),
            member("b", &["y"]),
            member("c", &["y"]),
            member("d", &["y"]),
        ];
        let c = counts(&[("x", 2), ("y", 2), ("z", 4)]);
        let plan = assign(&c, &members);
        assert_eq!(names(&plan, "a"), vec!["x-0", "x-1", "y-0"]);
        assert_eq!(names(&plan, "b"), vec!["y-1"]);
        assert!(plan["c"].is_empty() && plan["d"].is_empty());
        check_complete(&plan, &c, &members);
    }
}
