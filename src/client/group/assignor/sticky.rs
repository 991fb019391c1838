//! Kafka's StickyAssignor and CooperativeStickyAssignor goals, in rkafka's own algorithm:
//! (1) balance: no member can take a partition from another that has two or more
//! partitions more than it; (2) stickiness: a member keeps the partitions it owned unless
//! balance requires moving them; only as many partitions move as balance needs.
//!
//! Ownership claims come from the subscription's owned partitions and generation (v1+,
//! cooperative) or from the sticky user data (`previous_assignment`, `generation`; the eager
//! `sticky` members revoke before joining, so their subscription owns nothing). When two
//! members claim one partition the higher generation wins; equal generations void the
//! claim. With `cooperative`, partitions moving between live owners are withheld for one
//! generation ([`super::withhold_transfers`]).

use std::collections::{BTreeMap, BTreeSet};

use bytes::{BufMut, Bytes, BytesMut};

use super::{Member, PartitionCounts, Plan, member_order, withhold_transfers};
use crate::client::group::protocol::TopicPartition;
use crate::protocol::codec::Decoder;

/// Encodes Kafka's StickyAssignorUserData v1: `previous_assignment: [topic: string,
/// partitions: [int32]]`, `generation: int32` (no version prefix).
pub fn encode_sticky_user_data(owned: &[TopicPartition], generation: i32) -> Bytes {
    let mut topics: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for tp in owned {
        topics.entry(&tp.topic).or_default().push(tp.partition);
    }
    let mut b = BytesMut::new();
    b.put_i32(i32::try_from(topics.len()).unwrap_or(i32::MAX));
    for (topic, parts) in topics {
        let name = topic.as_bytes();
        b.put_i16(i16::try_from(name.len()).unwrap_or(i16::MAX));
        b.put_slice(&name[..name.len().min(i16::MAX as usize)]);
        b.put_i32(i32::try_from(parts.len()).unwrap_or(i32::MAX));
        for p in parts {
            b.put_i32(p);
        }
    }
    b.put_i32(generation);
    b.freeze()
}

/// Decodes StickyAssignorUserData (v0 has no generation: -1); `None` when malformed.
pub fn decode_sticky_user_data(data: &Bytes) -> Option<(Vec<TopicPartition>, i32)> {
    let mut d = Decoder::new(data.clone());
    let topics = d
        .array(false, 6, |d| {
            let topic = d.string(false)?;
            let parts = d.array(false, 4, |d| d.i32())?;
            Ok((topic, parts))
        })
        .ok()?;
    let generation = if d.remaining() >= 4 {
        d.i32().ok()?
    } else {
        -1
    };
    let owned = topics
        .into_iter()
        .flat_map(|(t, ps)| {
            ps.into_iter()
                .map(move |p| TopicPartition::new(&t, p))
                .collect::<Vec<_>>()
        })
        .collect();
    Some((owned, generation))
}

/// A member's claimed partitions and their generation.
fn claims(m: &Member, cooperative: bool) -> (Vec<TopicPartition>, i32) {
    let s = &m.subscription;
    if !cooperative
        && let Some((owned, generation)) = s.user_data.as_ref().and_then(decode_sticky_user_data)
    {
        return (owned, generation);
    }
    let mut generation = s.generation;
    if generation < 0
        && let Some(ud) = s.user_data.as_ref().filter(|u| u.len() >= 4)
    {
        generation = i32::from_be_bytes([ud[0], ud[1], ud[2], ud[3]]);
    }
    (s.owned_partitions.clone(), generation)
}

/// The sticky plan (every member has an entry, possibly empty).
pub fn assign(counts: &PartitionCounts, members: &[Member], cooperative: bool) -> Plan {
    let mut order: Vec<&Member> = members.iter().collect();
    order.sort_by(|a, b| member_order(a, b));
    let subscribed = |m: &Member, topic: &str| m.subscription.topics.iter().any(|t| t == topic);
    let exists = |tp: &TopicPartition| {
        counts
            .get(&tp.topic)
            .is_some_and(|&n| (0..n).contains(&tp.partition))
    };

    // Every partition of a subscribed topic, in topic/partition order.
    let all: BTreeSet<TopicPartition> = counts
        .iter()
        .filter(|(t, _)| members.iter().any(|m| subscribed(m, t)))
        .flat_map(|(t, &n)| (0..n.max(0)).map(move |p| TopicPartition::new(t, p)))
        .collect();

    // Resolve claims: the highest generation wins; a tie voids the partition's claims.
    let mut best: BTreeMap<TopicPartition, (i32, Option<String>)> = BTreeMap::new();
    for m in &order {
        let (owned, generation) = claims(m, cooperative);
        for tp in owned {
            if !exists(&tp) || !subscribed(m, &tp.topic) {
                continue;
            }
            match best.get_mut(&tp) {
                Some(entry) if entry.0 > generation => {}
                Some(entry) if entry.0 == generation => {
                    if entry.1.as_deref() != Some(&m.member_id) {
                        entry.1 = None;
                    }
                }
                _ => {
                    best.insert(tp, (generation, Some(m.member_id.clone())));
                }
            }
        }
    }
    let mut plan: BTreeMap<String, BTreeSet<TopicPartition>> = members
        .iter()
        .map(|m| (m.member_id.clone(), BTreeSet::new()))
        .collect();
    for (tp, (_, owner)) in &best {
        if let Some(parts) = owner.as_ref().and_then(|o| plan.get_mut(o)) {
            parts.insert(tp.clone());
        }
    }
    let taken: BTreeSet<TopicPartition> = plan.values().flatten().cloned().collect();

    // Unowned partitions go, one by one, to the least loaded subscribed member.
    for tp in all.difference(&taken) {
        let target = order
            .iter()
            .filter(|m| subscribed(m, &tp.topic))
            .min_by_key(|m| plan.get(&m.member_id).map_or(0, BTreeSet::len))
            .map(|m| m.member_id.clone());
        if let Some(parts) = target.and_then(|t| plan.get_mut(&t)) {
            parts.insert(tp.clone());
        }
    }

    // Move single partitions from the most to the least loaded eligible member while that
    // narrows a gap of two or more. Each move lowers the sum of squared loads, so this ends.
    loop {
        let mut moved = false;
        let mut by_load: Vec<&Member> = order.clone();
        by_load.sort_by_key(|m| std::cmp::Reverse(plan.get(&m.member_id).map_or(0, BTreeSet::len)));
        'search: for giver in &by_load {
            let give_n = plan.get(&giver.member_id).map_or(0, BTreeSet::len);
            let mut takers: Vec<&Member> = order.clone();
            takers.sort_by_key(|m| plan.get(&m.member_id).map_or(0, BTreeSet::len));
            for taker in takers {
                let take_n = plan.get(&taker.member_id).map_or(0, BTreeSet::len);
                if give_n < take_n + 2 {
                    break;
                }
                let candidate = plan.get(&giver.member_id).and_then(|parts| {
                    parts
                        .iter()
                        .rev()
                        .find(|tp| subscribed(taker, &tp.topic))
                        .cloned()
                });
                if let Some(tp) = candidate {
                    if let Some(g) = plan.get_mut(&giver.member_id) {
                        g.remove(&tp);
                    }
                    if let Some(t) = plan.get_mut(&taker.member_id) {
                        t.insert(tp);
                    }
                    moved = true;
                    break 'search;
                }
            }
        }
        if !moved {
            break;
        }
    }

    let mut plan: Plan = plan
        .into_iter()
        .map(|(m, parts)| (m, parts.into_iter().collect()))
        .collect();
    if cooperative {
        withhold_transfers(&mut plan, members);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn sizes(plan: &Plan) -> (usize, usize) {
        let s: Vec<usize> = plan.values().map(Vec::len).collect();
        (*s.iter().min().unwrap(), *s.iter().max().unwrap())
    }

    fn with_user_data(mut m: Member, plan: &Plan, generation: i32) -> Member {
        m.subscription.user_data = Some(encode_sticky_user_data(&plan[&m.member_id], generation));
        m
    }

    #[test]
    fn user_data_round_trips_and_bad_data_is_none() {
        let owned = vec![TopicPartition::new("a", 1), TopicPartition::new("b", 0)];
        let bytes = encode_sticky_user_data(&owned, 9);
        assert_eq!(decode_sticky_user_data(&bytes), Some((owned, 9)));
        assert_eq!(
            decode_sticky_user_data(&Bytes::from_static(b"\x7f\xff\xff\xff")),
            None
        );
    }

    /// Kafka's documented example: four topics of two partitions over C0, C1, C2; when C1
    /// leaves, C0 and C2 keep everything they had and split C1's partitions.
    #[test]
    fn documented_example_member_leaves() {
        let topics = ["t0", "t1", "t2", "t3"];
        let c = counts(&[("t0", 2), ("t1", 2), ("t2", 2), ("t3", 2)]);
        let first: Vec<Member> = ["C0", "C1", "C2"]
            .iter()
            .map(|id| member(id, &topics))
            .collect();
        let plan = assign(&c, &first, false);
        check_complete(&plan, &c, &first);
        assert_eq!(sizes(&plan), (2, 3));
        let second = vec![
            with_user_data(member("C0", &topics), &plan, 1),
            with_user_data(member("C2", &topics), &plan, 1),
        ];
        let next = assign(&c, &second, false);
        check_complete(&next, &c, &second);
        assert_eq!(sizes(&next), (4, 4));
        for id in ["C0", "C2"] {
            for tp in &plan[id] {
                assert!(next[id].contains(tp), "{id} lost {tp}");
            }
        }
    }

    #[test]
    fn a_new_member_takes_only_what_balance_needs() {
        let c = counts(&[("t", 6)]);
        let two = vec![member("a", &["t"]), member("b", &["t"])];
        let plan = assign(&c, &two, true);
        assert_eq!(sizes(&plan), (3, 3));
        let three = vec![
            owning(
                member("a", &["t"]),
                &plan["a"]
                    .iter()
                    .map(|tp| ("t", tp.partition))
                    .collect::<Vec<_>>(),
                1,
            ),
            owning(
                member("b", &["t"]),
                &plan["b"]
                    .iter()
                    .map(|tp| ("t", tp.partition))
                    .collect::<Vec<_>>(),
                1,
            ),
            member("c", &["t"]),
        ];
        let eager = assign(&c, &three, false);
        assert_eq!(sizes(&eager), (2, 2));
        let kept = |id: &str| eager[id].iter().filter(|tp| plan[id].contains(tp)).count();
        assert_eq!((kept("a"), kept("b")), (2, 2));
        // Cooperative: the two moving partitions are withheld this round.
        let coop = assign(&c, &three, true);
        assert_eq!(coop["c"].len(), 0);
        assert_eq!((coop["a"].len(), coop["b"].len()), (2, 2));
    }

    #[test]
    fn unchanged_group_keeps_its_assignment() {
        let c = counts(&[("x", 5), ("y", 3)]);
        let members: Vec<Member> = (0..3)
            .map(|i| member(&format!("m{i}"), &["x", "y"]))
            .collect();
        let plan = assign(&c, &members, true);
        let again: Vec<Member> = members
            .iter()
            .map(|m| {
                let owned: Vec<(&str, i32)> = plan[&m.member_id]
                    .iter()
                    .map(|tp| (tp.topic.as_str(), tp.partition))
                    .collect();
                owning(m.clone(), &owned, 4)
            })
            .collect();
        assert_eq!(assign(&c, &again, true), plan);
    }

    #[test]
    fn higher_generation_wins_a_double_claim() {
        let c = counts(&[("t", 2)]);
        let members = vec![
            owning(member("a", &["t"]), &[("t", 0)], 3),
            owning(member("b", &["t"]), &[("t", 0)], 5),
        ];
        let plan = assign(&c, &members, false);
        assert_eq!(names(&plan, "b"), vec!["t-0"]);
        assert_eq!(names(&plan, "a"), vec!["t-1"]);
    }

    #[test]
    fn unequal_subscriptions_are_balanced_where_possible() {
        let c = counts(&[("t0", 1), ("t1", 2), ("t2", 3)]);
        let members = vec![
            member("C0", &["t0"]),
            member("C1", &["t0", "t1"]),
            member("C2", &["t0", "t1", "t2"]),
        ];
        let plan = assign(&c, &members, false);
        check_complete(&plan, &c, &members);
        assert_eq!(plan["C0"].len(), 1);
        assert_eq!(plan["C1"].len(), 2);
        assert_eq!(plan["C2"].len(), 3);
    }
}
