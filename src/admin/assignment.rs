//! Replica placement and replica-assignment rules, as Kafka's `AdminUtils` and
//! `AdminZkClient` apply them in ZooKeeper mode, with Kafka's error messages.
//!
//! Placement is Kafka's rack-unaware algorithm (`assignReplicasToBrokers`): with the brokers
//! sorted by id, partition `p`'s first replica is broker `(p + start) % n`; the other replicas
//! follow at a shift that grows by one every `n` partitions, so leaders and followers both
//! spread evenly. `start` and the first shift are random unless fixed (tests, and adding
//! partitions, which continues from the existing layout). Randomness is passed in.

use std::collections::BTreeSet;

use crate::coordinator::kafka_paths::ReplicaMap;

/// Why an assignment cannot be made or accepted; texts are Kafka's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentError {
    #[error("Number of partitions must be larger than 0.")]
    PartitionsNotPositive,
    #[error("Replication factor must be larger than 0.")]
    ReplicationFactorNotPositive,
    /// More partitions than one znode's JSON can hold (jute.maxbuffer is 1 MiB by default).
    #[error(
        "Partition count must be at most {MAX_PARTITIONS}, not {requested}: a topic's assignment must fit in one znode."
    )]
    TooManyPartitions { requested: i64 },
    #[error("Replication factor: {replication_factor} larger than available brokers: {brokers}.")]
    ReplicationFactorTooLarge {
        replication_factor: i32,
        brokers: usize,
    },
    /// A `--replica-assignment` entry is not a broker id.
    #[error("For input string: \"{entry}\"")]
    NotABrokerId { entry: String },
    #[error("Partition replica lists may not contain duplicate entries: {duplicates}")]
    DuplicateEntries { duplicates: String },
    #[error("Partition {partition} has different replication factor: {replicas}")]
    DifferentReplicationFactor { partition: usize, replicas: String },
    #[error("All partitions should have the same number of replicas")]
    UnequalReplicas,
    #[error(
        "Inconsistent replication factor between partitions, partition 0 has {expected} while partitions [{partition}] has replication factor of {actual}"
    )]
    InconsistentReplicationFactor {
        expected: usize,
        partition: i32,
        actual: usize,
    },
    #[error("Cannot have replication factor of 0 for partition id {partition}.")]
    EmptyReplicas { partition: i32 },
    #[error(
        "Some brokers specified for partition id {partition} are not available. Specified brokers: {specified}, available brokers: {available}."
    )]
    BrokersNotAvailable {
        partition: i32,
        specified: String,
        available: String,
    },
    #[error(
        "The number of partitions for a topic can only be increased. Topic {topic} currently has {current} partitions, {requested} would not be an increase."
    )]
    PartitionsNotIncreased {
        topic: String,
        current: usize,
        requested: i32,
    },
    #[error("Increasing the number of partitions by {to_add} but {given} assignments provided.")]
    AssignmentCountMismatch { to_add: usize, given: usize },
}

/// The most partitions a topic may have here: more could not be written to ZooKeeper anyway.
pub const MAX_PARTITIONS: i64 = 1_000_000;

fn join(ids: &[i32], sep: &str) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(sep)
}

/// Where Kafka's placement starts: fixed (tests; adding partitions) or drawn at random.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Both the first broker index and the first follower shift are this index.
    Fixed(usize),
    /// The first broker index and the first shift, each `< brokers.len()`, drawn by the caller
    /// (Kafka draws both with `rand.nextInt(n)`).
    Random { index: usize, shift: usize },
}

/// Kafka's rack-unaware placement of `partitions` new partitions, numbered from
/// `first_partition`, with `replication_factor` replicas each, over `brokers` (any order; they
/// are sorted by id as Kafka does).
pub fn assign_replicas(
    brokers: &[i32],
    partitions: i32,
    replication_factor: i32,
    start: Start,
    first_partition: i32,
) -> Result<ReplicaMap, AssignmentError> {
    if partitions <= 0 {
        return Err(AssignmentError::PartitionsNotPositive);
    }
    if replication_factor <= 0 {
        return Err(AssignmentError::ReplicationFactorNotPositive);
    }
    let total = i64::from(first_partition.max(0)) + i64::from(partitions);
    if total > MAX_PARTITIONS {
        return Err(AssignmentError::TooManyPartitions { requested: total });
    }
    let sorted: Vec<i32> = brokers
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let n = sorted.len();
    if replication_factor as usize > n {
        return Err(AssignmentError::ReplicationFactorTooLarge {
            replication_factor,
            brokers: n,
        });
    }
    let (start_index, mut shift) = match start {
        Start::Fixed(i) => (i % n, i % n),
        Start::Random { index, shift } => (index % n, shift % n),
    };
    let mut out = ReplicaMap::new();
    let first_partition = first_partition.max(0);
    for partition in (first_partition..).take(partitions as usize) {
        let p = partition as usize;
        if p > 0 && p % n == 0 {
            shift += 1;
        }
        let first = (p + start_index) % n;
        let mut replicas = Vec::with_capacity(replication_factor as usize);
        replicas.push(sorted[first]);
        for j in 0..(replication_factor as usize - 1) {
            replicas.push(sorted[follower_index(first, shift, j, n)]);
        }
        out.insert(partition, replicas);
    }
    Ok(out)
}

/// Kafka's `replicaIndex`: the `j`-th follower of a partition whose first replica is at
/// `first`, for `n >= 2` brokers; over `j in 0..n-1` it visits every other broker once.
fn follower_index(first: usize, shift: usize, j: usize, n: usize) -> usize {
    let step = 1 + (shift + j) % (n - 1);
    (first + step) % n
}

/// Parses `--replica-assignment` (`1:2,2:3,3:1`: partitions separated by ',', replicas by
/// ':'), with Kafka's checks: no duplicate broker in a partition, the same count everywhere.
pub fn parse_replica_assignment(text: &str) -> Result<Vec<Vec<i32>>, AssignmentError> {
    let mut out: Vec<Vec<i32>> = Vec::new();
    for (i, part) in text.split(',').enumerate() {
        let replicas = part
            .split(':')
            .map(|e| {
                e.trim()
                    .parse::<i32>()
                    .map_err(|_| AssignmentError::NotABrokerId {
                        entry: e.trim().to_string(),
                    })
            })
            .collect::<Result<Vec<i32>, _>>()?;
        let mut seen = BTreeSet::new();
        let dups: Vec<i32> = replicas
            .iter()
            .filter(|r| !seen.insert(**r))
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !dups.is_empty() {
            return Err(AssignmentError::DuplicateEntries {
                duplicates: join(&dups, ","),
            });
        }
        if let Some(first) = out.first()
            && first.len() != replicas.len()
        {
            return Err(AssignmentError::DifferentReplicationFactor {
                partition: i,
                replicas: format!("[{}]", join(&replicas, ", ")),
            });
        }
        out.push(replicas);
    }
    Ok(out)
}

/// Numbers a parsed `--replica-assignment` from partition 0.
pub fn to_replica_map(lists: &[Vec<i32>]) -> ReplicaMap {
    (0i32..).zip(lists.iter().cloned()).collect()
}

/// Kafka's checks of an explicit assignment for a new topic (`validateTopicCreate`): every
/// partition has the same, non-zero number of distinct replicas. Broker existence is not
/// checked at creation, as in Kafka's ZooKeeper mode.
pub fn validate_for_create(assignment: &ReplicaMap) -> Result<(), AssignmentError> {
    let sizes: BTreeSet<usize> = assignment.values().map(Vec::len).collect();
    if sizes.len() != 1 {
        return Err(AssignmentError::UnequalReplicas);
    }
    for (p, replicas) in assignment {
        if replicas.is_empty() {
            return Err(AssignmentError::EmptyReplicas { partition: *p });
        }
        if replicas.iter().collect::<BTreeSet<_>>().len() != replicas.len() {
            return Err(AssignmentError::DuplicateEntries {
                duplicates: join(replicas, ","),
            });
        }
    }
    Ok(())
}

/// Kafka's checks of an explicit assignment for added partitions (`validateReplicaAssignment`):
/// non-empty, distinct, live brokers only, and the topic's replication factor.
pub fn validate_for_new_partitions(
    assignment: &ReplicaMap,
    expected_replication_factor: usize,
    live_brokers: &[i32],
) -> Result<(), AssignmentError> {
    let live: BTreeSet<i32> = live_brokers.iter().copied().collect();
    for (p, replicas) in assignment {
        if replicas.is_empty() {
            return Err(AssignmentError::EmptyReplicas { partition: *p });
        }
        if replicas.iter().collect::<BTreeSet<_>>().len() != replicas.len() {
            return Err(AssignmentError::DuplicateEntries {
                duplicates: join(replicas, ","),
            });
        }
        if !replicas.iter().all(|r| live.contains(r)) {
            return Err(AssignmentError::BrokersNotAvailable {
                partition: *p,
                specified: join(replicas, ", "),
                available: join(&live.iter().copied().collect::<Vec<_>>(), ", "),
            });
        }
        if replicas.len() != expected_replication_factor {
            return Err(AssignmentError::InconsistentReplicationFactor {
                expected: expected_replication_factor,
                partition: *p,
                actual: replicas.len(),
            });
        }
    }
    Ok(())
}

/// The assignment of a topic grown to `new_count` partitions (`AdminZkClient.addPartitions`):
/// existing partitions unchanged; new ones from `explicit` (the whole `--replica-assignment`
/// list, of which the entries past the existing partitions are used) or placed as Kafka does,
/// continuing from partition 0's first replica.
pub fn add_partitions(
    topic: &str,
    existing: &ReplicaMap,
    live_brokers: &[i32],
    new_count: i32,
    explicit: Option<&[Vec<i32>]>,
) -> Result<ReplicaMap, AssignmentError> {
    let current = existing.len();
    let to_add = usize::try_from(new_count)
        .ok()
        .filter(|n| *n > current)
        .map(|n| n - current)
        .ok_or_else(|| AssignmentError::PartitionsNotIncreased {
            topic: topic.to_string(),
            current,
            requested: new_count,
        })?;
    let rf = existing.get(&0).map_or(0, Vec::len);
    let first_partition = i32::try_from(current).unwrap_or(i32::MAX);
    let added = match explicit {
        Some(lists) => {
            let extra: ReplicaMap = (first_partition..)
                .zip(lists.iter().skip(current).cloned())
                .collect();
            if extra.len() != to_add {
                return Err(AssignmentError::AssignmentCountMismatch {
                    to_add,
                    given: extra.len(),
                });
            }
            validate_for_new_partitions(&extra, rf, live_brokers)?;
            extra
        }
        None => {
            let mut sorted: Vec<i32> = live_brokers.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            let first_replica = existing.get(&0).and_then(|r| r.first()).copied();
            let start = first_replica
                .and_then(|f| sorted.iter().position(|b| *b >= f))
                .unwrap_or(0);
            let rf = i32::try_from(rf).unwrap_or(i32::MAX);
            let count = i32::try_from(to_add).unwrap_or(i32::MAX);
            assign_replicas(&sorted, count, rf, Start::Fixed(start), first_partition)?
        }
    };
    let mut all = existing.clone();
    all.extend(added);
    Ok(all)
}

/// Target replica lists for changing a topic's replication factor to `replication_factor`:
/// each partition keeps its current replicas first (in order, so the preferred leader stays);
/// a lower factor drops replicas from the end; a higher one adds live brokers in Kafka's
/// follower order from the partition's first replica. Only partitions that change are returned.
pub fn change_replication_factor(
    existing: &ReplicaMap,
    live_brokers: &[i32],
    replication_factor: i32,
) -> Result<ReplicaMap, AssignmentError> {
    if replication_factor <= 0 {
        return Err(AssignmentError::ReplicationFactorNotPositive);
    }
    let sorted: Vec<i32> = live_brokers
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let n = sorted.len();
    let rf = replication_factor as usize;
    if rf > n {
        return Err(AssignmentError::ReplicationFactorTooLarge {
            replication_factor,
            brokers: n,
        });
    }
    let mut out = ReplicaMap::new();
    for (&p, replicas) in existing {
        let mut target: Vec<i32> = replicas.iter().take(rf).copied().collect();
        if target.len() < rf {
            let first = replicas
                .first()
                .and_then(|f| sorted.iter().position(|b| b == f))
                .unwrap_or(usize::try_from(p).unwrap_or(0) % n);
            let shift = usize::try_from(p).unwrap_or(0) / n;
            // n >= rf > target.len() >= 0 and rf >= 1 ... n may be 1 only when target is empty.
            if n == 1 {
                target.push(sorted[0]);
            } else {
                for j in 0..n - 1 {
                    if target.len() == rf {
                        break;
                    }
                    let candidate = sorted[follower_index(first, shift, j, n)];
                    if !target.contains(&candidate) {
                        target.push(candidate);
                    }
                }
                if target.len() < rf && !target.contains(&sorted[first]) {
                    target.push(sorted[first]);
                }
            }
        }
        if &target != replicas {
            out.insert(p, target);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka's documented layout (AdminUtils): 5 brokers, 10 partitions, 3 replicas, start 0.
    /// ```text
    /// broker-0  broker-1  broker-2  broker-3  broker-4
    /// p0        p1        p2        p3        p4       (1st replica)
    /// p5        p6        p7        p8        p9       (1st replica)
    /// p4        p0        p1        p2        p3       (2nd replica)
    /// p8        p9        p5        p6        p7       (2nd replica)
    /// p3        p4        p0        p1        p2       (3nd replica)
    /// p7        p8        p9        p5        p6       (3nd replica)
    /// ```
    #[test]
    fn kafkas_documented_example() {
        let a = assign_replicas(&[0, 1, 2, 3, 4], 10, 3, Start::Fixed(0), 0).unwrap();
        let expected: [[i32; 3]; 10] = [
            [0, 1, 2],
            [1, 2, 3],
            [2, 3, 4],
            [3, 4, 0],
            [4, 0, 1],
            [0, 2, 3],
            [1, 3, 4],
            [2, 4, 0],
            [3, 0, 1],
            [4, 1, 2],
        ];
        for (p, e) in expected.iter().enumerate() {
            assert_eq!(a[&(p as i32)], e, "partition {p}");
        }
    }

    #[test]
    fn brokers_are_sorted_and_random_starts_respected() {
        let a = assign_replicas(&[3, 1, 2], 3, 1, Start::Random { index: 1, shift: 0 }, 0).unwrap();
        assert_eq!(a[&0], [2]);
        assert_eq!(a[&1], [3]);
        assert_eq!(a[&2], [1]);
        let one = assign_replicas(&[1], 6, 1, Start::Random { index: 0, shift: 0 }, 0).unwrap();
        assert_eq!(one.len(), 6);
        assert!(one.values().all(|r| r == &[1]));
    }

    #[test]
    fn placement_errors_are_kafkas() {
        let e = assign_replicas(&[1], 6, 3, Start::Fixed(0), 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Replication factor: 3 larger than available brokers: 1."
        );
        let e = assign_replicas(&[], 1, 1, Start::Fixed(0), 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Replication factor: 1 larger than available brokers: 0."
        );
        assert_eq!(
            assign_replicas(&[1], 0, 1, Start::Fixed(0), 0)
                .unwrap_err()
                .to_string(),
            "Number of partitions must be larger than 0."
        );
        assert!(matches!(
            assign_replicas(&[1], i32::MAX, 1, Start::Fixed(0), 5),
            Err(AssignmentError::TooManyPartitions { .. })
        ));
        assert_eq!(
            assign_replicas(&[1], 1, 0, Start::Fixed(0), 0)
                .unwrap_err()
                .to_string(),
            "Replication factor must be larger than 0."
        );
    }

    #[test]
    fn replica_assignment_lists() {
        assert_eq!(
            parse_replica_assignment("1:2,2:3, 3 : 1").unwrap(),
            vec![vec![1, 2], vec![2, 3], vec![3, 1]]
        );
        assert_eq!(parse_replica_assignment("0").unwrap(), vec![vec![0]]);
        assert_eq!(
            parse_replica_assignment("1:1:2").unwrap_err().to_string(),
            "Partition replica lists may not contain duplicate entries: 1"
        );
        assert_eq!(
            parse_replica_assignment("1:2,3").unwrap_err().to_string(),
            "Partition 1 has different replication factor: [3]"
        );
        assert_eq!(
            parse_replica_assignment("1:x").unwrap_err().to_string(),
            "For input string: \"x\""
        );
        assert!(parse_replica_assignment("1,,2").is_err());
        let m = to_replica_map(&parse_replica_assignment("1:2,2:1").unwrap());
        assert_eq!(m[&1], [2, 1]);
        assert_eq!(validate_for_create(&m), Ok(()));
    }

    #[test]
    fn adding_partitions_continues_the_layout() {
        let existing = assign_replicas(&[0, 1, 2, 3, 4], 5, 3, Start::Fixed(0), 0).unwrap();
        let grown = add_partitions("t", &existing, &[0, 1, 2, 3, 4], 10, None).unwrap();
        let full = assign_replicas(&[0, 1, 2, 3, 4], 10, 3, Start::Fixed(0), 0).unwrap();
        assert_eq!(grown, full);
        let e = add_partitions("t", &existing, &[0, 1, 2], 5, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "The number of partitions for a topic can only be increased. Topic t currently has 5 partitions, 5 would not be an increase."
        );
        let one: ReplicaMap = [(0, vec![1])].into_iter().collect();
        let lists = vec![vec![1], vec![2]];
        let g = add_partitions("t", &one, &[1, 2], 2, Some(&lists)).unwrap();
        assert_eq!(g[&1], [2]);
        let bad = vec![vec![1], vec![7]];
        let e = add_partitions("t", &one, &[1, 2], 2, Some(&bad)).unwrap_err();
        assert!(
            matches!(e, AssignmentError::BrokersNotAvailable { .. }),
            "{e}"
        );
        let short = vec![vec![1]];
        assert!(add_partitions("t", &one, &[1, 2], 2, Some(&short)).is_err());
    }

    #[test]
    fn replication_factor_changes_keep_existing_replicas_first() {
        let existing: ReplicaMap = (0..6).map(|p| (p, vec![1])).collect();
        let plan = change_replication_factor(&existing, &[1, 2, 3], 3).unwrap();
        assert_eq!(plan.len(), 6);
        for replicas in plan.values() {
            assert_eq!(replicas[0], 1);
            let mut s = replicas.clone();
            s.sort();
            assert_eq!(s, [1, 2, 3]);
        }
        let three: ReplicaMap = [(0, vec![2, 3, 1])].into_iter().collect();
        let down = change_replication_factor(&three, &[1, 2, 3], 2).unwrap();
        assert_eq!(down[&0], [2, 3]);
        assert!(
            change_replication_factor(&three, &[1, 2, 3], 3)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            change_replication_factor(&existing, &[1], 3)
                .unwrap_err()
                .to_string(),
            "Replication factor: 3 larger than available brokers: 1."
        );
        // A replica on a broker that is gone stays; the new ones come from live brokers.
        let gone: ReplicaMap = [(0, vec![9])].into_iter().collect();
        let plan = change_replication_factor(&gone, &[1, 2], 2).unwrap();
        assert_eq!(plan[&0][0], 9);
        assert!([1, 2].contains(&plan[&0][1]));
    }
}
