//! The rows of the offsets view, as Kafka's collectGroupsOffsets builds them: for each member
//! with partitions (the members with the most partitions first, ties in the order described),
//! its partitions sorted by topic and partition; then the partitions with a committed offset
//! that no member owns, with "-" for the owner. Pure: the caller fetched the description, the
//! committed offsets and the log end offsets.

use std::collections::{BTreeMap, BTreeSet};

use super::format::{MISSING, OffsetRow};
use crate::client::group_admin::{Committed, GroupMember, TopicPartition};
use crate::protocol::error_code::ErrorCode;

/// Every partition the view shows: the members' assignments and the committed partitions.
pub fn shown_partitions(
    members: &[GroupMember],
    committed: &BTreeMap<TopicPartition, Committed>,
) -> Vec<TopicPartition> {
    let mut all: BTreeSet<TopicPartition> = committed.keys().cloned().collect();
    for m in members {
        all.extend(m.assignment.iter().cloned());
    }
    all.into_iter().collect()
}

/// The rows of one group; `ends` holds the log end offsets (an error or a missing entry
/// shows "-", as Kafka shows a partition without a leader).
pub fn offset_rows(
    group: &str,
    members: &[GroupMember],
    committed: &BTreeMap<TopicPartition, Committed>,
    ends: &BTreeMap<TopicPartition, Result<i64, ErrorCode>>,
) -> Vec<OffsetRow> {
    let mut owners: Vec<&GroupMember> = members
        .iter()
        .filter(|m| !m.assignment.is_empty())
        .collect();
    // A stable sort: members with equal counts keep the described order.
    owners.sort_by_key(|m| std::cmp::Reverse(m.assignment.len()));
    let row = |tp: &TopicPartition, owner: [&str; 3]| {
        let c = committed.get(tp);
        let offset = c.map(|c| c.offset);
        let end = ends.get(tp).and_then(|r| r.as_ref().ok().copied());
        OffsetRow {
            group: group.to_string(),
            topic: Some(tp.0.clone()),
            partition: Some(tp.1),
            leader_epoch: c.and_then(|c| c.leader_epoch),
            current_offset: offset,
            log_end_offset: end,
            lag: offset.filter(|o| *o != -1).and_then(|o| end.map(|e| e - o)),
            consumer_id: Some(owner[0].to_string()),
            host: Some(owner[1].to_string()),
            client_id: Some(owner[2].to_string()),
        }
    };
    let mut rows = Vec::new();
    let mut assigned: BTreeSet<&TopicPartition> = BTreeSet::new();
    for m in owners {
        let partitions: BTreeSet<&TopicPartition> = m.assignment.iter().collect();
        for tp in &partitions {
            rows.push(row(tp, [&m.member_id, &m.host, &m.client_id]));
        }
        assigned.extend(partitions);
    }
    for tp in committed.keys().filter(|tp| !assigned.contains(tp)) {
        rows.push(row(tp, [MISSING, MISSING, MISSING]));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, partitions: &[(&str, i32)]) -> GroupMember {
        GroupMember {
            member_id: id.into(),
            group_instance_id: None,
            client_id: format!("client-{id}"),
            host: "/10.0.0.1".into(),
            assignment: partitions
                .iter()
                .map(|(t, p)| (t.to_string(), *p))
                .collect(),
        }
    }

    fn tp(t: &str, p: i32) -> TopicPartition {
        (t.to_string(), p)
    }

    #[test]
    fn members_with_more_partitions_first_then_unowned_commits() {
        let members = vec![
            member("a", &[("t", 2)]),
            member("idle", &[]),
            member("b", &[("t", 1), ("s", 0)]),
        ];
        let committed: BTreeMap<_, _> = [
            (
                tp("t", 1),
                Committed {
                    offset: 4,
                    leader_epoch: Some(0),
                },
            ),
            (
                tp("u", 0),
                Committed {
                    offset: 9,
                    leader_epoch: None,
                },
            ),
        ]
        .into_iter()
        .collect();
        let ends: BTreeMap<_, _> = [
            (tp("t", 1), Ok(10)),
            (tp("t", 2), Ok(3)),
            (tp("s", 0), Err(ErrorCode::LEADER_NOT_AVAILABLE)),
            (tp("u", 0), Ok(9)),
        ]
        .into_iter()
        .collect();
        let rows = offset_rows("g", &members, &committed, &ends);
        let shape: Vec<(String, i32, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.topic.clone().unwrap(),
                    r.partition.unwrap(),
                    r.consumer_id.clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("s".into(), 0, "b".into()),
                ("t".into(), 1, "b".into()),
                ("t".into(), 2, "a".into()),
                ("u".into(), 0, "-".into()),
            ]
        );
        assert_eq!(rows[0].log_end_offset, None, "no leader: no log end");
        assert_eq!(rows[0].lag, None);
        assert_eq!((rows[1].current_offset, rows[1].lag), (Some(4), Some(6)));
        assert_eq!(rows[1].leader_epoch, Some(0));
        assert_eq!((rows[2].current_offset, rows[2].lag), (None, None));
        assert_eq!(rows[3].host.as_deref(), Some("-"));
        assert_eq!(
            shown_partitions(&members, &committed),
            vec![tp("s", 0), tp("t", 1), tp("t", 2), tp("u", 0)]
        );
    }
}
