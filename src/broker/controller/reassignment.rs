//! Partition reassignment decisions, pure (Kafka's ZooKeeper-era flow, KIP-455 shape):
//!
//! 1. start: the assignment becomes RS = target followed by the original replicas not in the
//!    target, with `adding` = target - original and `removing` = original - target recorded in
//!    the topic znode; the leader epoch is bumped and every replica of RS is told, so new
//!    replicas start following (their logs are created);
//! 2. wait: until every target replica is in the ISR (the leaders' replication grows it and
//!    notifies through `/isr_change_notification`);
//! 3. complete: leader from the target (kept if it is in the target and live), ISR restricted
//!    to the target, epoch bumped, the assignment becomes the target, removed replicas are
//!    stopped and deleted, the partition leaves `/admin/reassign_partitions`.

use super::decisions::LeaderIsr;

/// The replica set during the move and the replicas being added and removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovePlan {
    pub replicas: Vec<i32>,
    pub adding: Vec<i32>,
    pub removing: Vec<i32>,
}

/// Phase 1's assignment for moving from `original` to `target`.
pub fn start(original: &[i32], target: &[i32]) -> MovePlan {
    let mut replicas = target.to_vec();
    replicas.extend(original.iter().filter(|r| !target.contains(r)));
    MovePlan {
        replicas,
        adding: target
            .iter()
            .copied()
            .filter(|r| !original.contains(r))
            .collect(),
        removing: original
            .iter()
            .copied()
            .filter(|r| !target.contains(r))
            .collect(),
    }
}

/// The target of a move in progress: the replicas not being removed, in order.
pub fn target(replicas: &[i32], removing: &[i32]) -> Vec<i32> {
    replicas
        .iter()
        .copied()
        .filter(|r| !removing.contains(r))
        .collect()
}

/// A target reassignment is valid: non-empty, no duplicates, no negative ids.
pub fn valid_target(target: &[i32]) -> bool {
    !target.is_empty()
        && target.iter().all(|r| *r >= 0)
        && target
            .iter()
            .enumerate()
            .all(|(i, r)| !target[..i].contains(r))
}

/// Phase 3's state, or None while a target replica is still outside the ISR.
pub fn complete(
    target: &[i32],
    current: &LeaderIsr,
    is_live: &dyn Fn(i32) -> bool,
    controller_epoch: i32,
) -> Option<LeaderIsr> {
    if !target.iter().all(|r| current.isr.contains(r)) {
        return None;
    }
    let isr: Vec<i32> = current
        .isr
        .iter()
        .copied()
        .filter(|r| target.contains(r))
        .collect();
    let leader = if target.contains(&current.leader) && is_live(current.leader) {
        current.leader
    } else {
        target
            .iter()
            .copied()
            .find(|r| is_live(*r) && isr.contains(r))
            .unwrap_or(-1)
    };
    Some(LeaderIsr {
        leader,
        leader_epoch: current.leader_epoch.saturating_add(1),
        isr,
        controller_epoch,
        zk_version: current.zk_version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(leader: i32, isr: &[i32]) -> LeaderIsr {
        LeaderIsr {
            leader,
            leader_epoch: 4,
            isr: isr.to_vec(),
            controller_epoch: 1,
            zk_version: 7,
        }
    }

    #[test]
    fn a_move_starts_with_the_union_and_completes_on_the_target() {
        let plan = start(&[1, 2, 3], &[3, 4, 5]);
        assert_eq!(plan.replicas, [3, 4, 5, 1, 2]);
        assert_eq!(
            (plan.adding, plan.removing.clone()),
            (vec![4, 5], vec![1, 2])
        );
        assert_eq!(target(&plan.replicas, &plan.removing), [3, 4, 5]);
        let live = |_| true;
        // Not ready while 4 and 5 are catching up.
        assert!(complete(&[3, 4, 5], &state(1, &[1, 2, 3, 4]), &live, 2).is_none());
        let done = complete(&[3, 4, 5], &state(1, &[1, 2, 3, 4, 5]), &live, 2).unwrap();
        assert_eq!(
            (done.leader, done.leader_epoch, done.controller_epoch),
            (3, 5, 2)
        );
        assert_eq!(done.isr, [3, 4, 5]);
        // A leader already in the target keeps its place.
        let done = complete(&[3, 4, 5], &state(4, &[4, 3, 5, 1]), &live, 2).unwrap();
        assert_eq!((done.leader, done.isr), (4, vec![4, 3, 5]));
        // A dead target member cannot lead.
        let done = complete(&[3, 4], &state(1, &[1, 3, 4]), &|r| r != 3, 2).unwrap();
        assert_eq!(done.leader, 4);
    }

    #[test]
    fn targets_are_checked() {
        assert!(valid_target(&[1, 2]));
        assert!(!valid_target(&[]));
        assert!(!valid_target(&[1, 1]));
        assert!(!valid_target(&[-1]));
        let plan = start(&[1, 2], &[2, 1]);
        assert!(plan.adding.is_empty() && plan.removing.is_empty());
    }
}
