//! The async side of the group coordinator: owns every [`Group`] of the `__consumer_offsets`
//! partitions this broker leads, parks JoinGroup/SyncGroup requests until their
//! [`Completion`] arrives, runs the clock (a ticker every [`TICK`] expires sessions and ends
//! rebalances), writes group metadata and offsets to the log before answering, and loads a
//! partition's groups when this broker becomes its leader.
//!
//! Locking: one std mutex over all groups, never held across an await; log writes happen
//! after it is released, and completions are delivered only once their write is done (as
//! Kafka answers SyncGroup only after the group is stored).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::placement::{OFFSETS_TOPIC, partition_for};
use super::records;
use super::state::{
    Completion, Group, GroupConfig, GroupState, JoinAnswer, JoinRequest, Reply, SyncAnswer,
    SyncRequest,
};
use super::store::{self, KeyValue};
use crate::broker::handlers::BrokerContext;
use crate::broker::handlers::partition_io::now_ms;
use crate::broker::replica::TopicPartition;
use crate::protocol::error_code::ErrorCode;

/// How often time is applied to every group.
pub const TICK: Duration = Duration::from_millis(100);

/// Whether a `__consumer_offsets` partition's groups are in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Load {
    /// Being read; the token tells a stale load from the current one.
    Loading(u64),
    Loaded,
}

#[derive(Debug, Default)]
struct Inner {
    partitions: HashMap<i32, Load>,
    /// Groups by id, with the partition they live in.
    groups: HashMap<String, (i32, Group)>,
    join_waiters: HashMap<(String, String), oneshot::Sender<JoinAnswer>>,
    sync_waiters: HashMap<(String, String), oneshot::Sender<SyncAnswer>>,
    next_token: u64,
}

/// What an operation left to do once the lock is released: records to write to the group's
/// partition, then answers to deliver.
#[derive(Debug, Default)]
struct Followup {
    /// (group, partition, records).
    writes: Vec<(String, i32, Vec<KeyValue>)>,
    completions: Vec<(String, Completion)>,
}

/// The broker's group coordinator. Cheap to share (`Arc`), created empty.
#[derive(Debug, Default)]
pub struct GroupCoordinator {
    inner: Mutex<Inner>,
    ticker: AtomicBool,
}

/// Where a group lives, once checked: its partition, loaded and led by this broker.
pub type Routed = Result<i32, ErrorCode>;

impl GroupCoordinator {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The partition count of `__consumer_offsets`: the topic's, or the config's before it
    /// exists.
    pub fn num_partitions(ctx: &BrokerContext) -> i32 {
        let image = ctx.metadata.snapshot();
        match image.topic(OFFSETS_TOPIC) {
            Some(t) if !t.partitions.is_empty() => {
                i32::try_from(t.partitions.len()).unwrap_or(i32::MAX)
            }
            _ => ctx
                .config
                .get_int("offsets.topic.num.partitions")
                .unwrap_or(50),
        }
    }

    /// The broker's `group.*` settings.
    pub fn group_config(ctx: &BrokerContext) -> GroupConfig {
        let d = GroupConfig::default();
        GroupConfig {
            min_session_timeout_ms: ctx
                .config
                .get_int("group.min.session.timeout.ms")
                .unwrap_or(d.min_session_timeout_ms),
            max_session_timeout_ms: ctx
                .config
                .get_int("group.max.session.timeout.ms")
                .unwrap_or(d.max_session_timeout_ms),
            initial_rebalance_delay_ms: ctx
                .config
                .get_int("group.initial.rebalance.delay.ms")
                .unwrap_or(d.initial_rebalance_delay_ms),
            max_size: ctx
                .config
                .get_int("group.max.size")
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(d.max_size),
        }
    }

    /// Checks that this broker coordinates `group`: NOT_COORDINATOR when it does not lead the
    /// group's partition, COORDINATOR_LOAD_IN_PROGRESS while the partition loads (a load is
    /// started if none ran yet). Also starts the ticker on first use.
    pub fn route(self: &Arc<Self>, ctx: &BrokerContext, group: &str) -> Routed {
        self.start_ticker(ctx);
        let partition = partition_for(group, Self::num_partitions(ctx));
        let tp = TopicPartition::new(OFFSETS_TOPIC, partition);
        if ctx.replicas.leader_partition(&tp).is_err() {
            return Err(ErrorCode::NOT_COORDINATOR);
        }
        let status = self.lock().partitions.get(&partition).copied();
        match status {
            Some(Load::Loaded) => Ok(partition),
            Some(Load::Loading(_)) => Err(ErrorCode::COORDINATOR_LOAD_IN_PROGRESS),
            None => {
                self.become_leader(ctx, partition);
                Err(ErrorCode::COORDINATOR_LOAD_IN_PROGRESS)
            }
        }
    }

    /// This broker now leads `__consumer_offsets-<partition>`: its groups are read from the
    /// log in the background (requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS).
    pub fn become_leader(self: &Arc<Self>, ctx: &BrokerContext, partition: i32) {
        let token = {
            let mut inner = self.lock();
            if inner.partitions.contains_key(&partition) {
                return;
            }
            inner.next_token += 1;
            let token = inner.next_token;
            inner.partitions.insert(partition, Load::Loading(token));
            token
        };
        let me = Arc::clone(self);
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let loaded = store::load(&ctx, partition).await;
            let config = Self::group_config(&ctx);
            let now = now_ms();
            let mut inner = me.lock();
            if inner.partitions.get(&partition) != Some(&Load::Loading(token)) {
                return;
            }
            match loaded {
                Ok(loaded) => {
                    let mut count = 0usize;
                    let mut ids: Vec<String> = loaded.groups.keys().cloned().collect();
                    ids.extend(loaded.offsets.keys().cloned());
                    ids.sort();
                    ids.dedup();
                    for id in ids {
                        let mut g = Group::new(id.clone(), config, now);
                        if let Some(stored) = loaded.groups.get(&id) {
                            g.restore(stored.clone(), now);
                        }
                        if let Some(offsets) = loaded.offsets.get(&id) {
                            for ((t, p), o) in offsets {
                                g.put_offset(t.clone(), *p, o.clone());
                            }
                        }
                        count += 1;
                        inner.groups.insert(id, (partition, g));
                    }
                    inner.partitions.insert(partition, Load::Loaded);
                    tracing::info!(partition, groups = count, "loaded __consumer_offsets");
                }
                Err(code) => {
                    tracing::warn!(partition, ?code, "loading __consumer_offsets failed");
                    inner.partitions.remove(&partition);
                }
            }
        });
    }

    /// This broker no longer leads `__consumer_offsets-<partition>`: its groups are dropped
    /// and their waiting requests answered NOT_COORDINATOR.
    pub fn resign(&self, partition: i32) {
        let mut inner = self.lock();
        if inner.partitions.remove(&partition).is_none() {
            return;
        }
        let gone: Vec<String> = inner
            .groups
            .iter()
            .filter(|(_, (p, _))| *p == partition)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &gone {
            inner.groups.remove(id);
        }
        let not_coordinator = |id: &String| gone.contains(id);
        let joins: Vec<_> = inner
            .join_waiters
            .keys()
            .filter(|(g, _)| not_coordinator(g))
            .cloned()
            .collect();
        for k in joins {
            if let Some(tx) = inner.join_waiters.remove(&k) {
                let _ = tx.send(JoinAnswer {
                    error: ErrorCode::NOT_COORDINATOR,
                    generation_id: -1,
                    member_id: k.1.clone(),
                    ..JoinAnswer::default()
                });
            }
        }
        let syncs: Vec<_> = inner
            .sync_waiters
            .keys()
            .filter(|(g, _)| not_coordinator(g))
            .cloned()
            .collect();
        for k in syncs {
            if let Some(tx) = inner.sync_waiters.remove(&k) {
                let _ = tx.send(SyncAnswer {
                    error: ErrorCode::NOT_COORDINATOR,
                    ..SyncAnswer::default()
                });
            }
        }
    }

    /// Starts (once) the task applying time to every group: session expiry, rebalance
    /// deadlines, offset retention. It holds a weak reference to the coordinator but a clone
    /// of the broker context (which owns the coordinator too), so it runs until the broker's
    /// runtime stops.
    fn start_ticker(self: &Arc<Self>, ctx: &BrokerContext) {
        if self.ticker.swap(true, Ordering::SeqCst) {
            return;
        }
        let weak: Weak<Self> = Arc::downgrade(self);
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(TICK);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let retention_ms = i64::from(
                ctx.config
                    .get_int("offsets.retention.minutes")
                    .unwrap_or(10_080),
            )
            .saturating_mul(60_000);
            let check_every = ctx
                .config
                .get_long("offsets.retention.check.interval.ms")
                .unwrap_or(600_000);
            let mut next_check = now_ms().saturating_add(check_every);
            loop {
                interval.tick().await;
                let Some(me) = weak.upgrade() else { return };
                let now = now_ms();
                let expire = now >= next_check;
                if expire {
                    next_check = now.saturating_add(check_every);
                }
                let followup = {
                    let mut inner = me.lock();
                    let mut f = Followup::default();
                    let ids: Vec<String> = inner.groups.keys().cloned().collect();
                    for id in ids {
                        if let Some((partition, g)) = inner.groups.get_mut(&id) {
                            g.tick(now);
                            if expire {
                                let records = expiry_records(&id, g, now, retention_ms);
                                if !records.is_empty() {
                                    f.writes.push((id.clone(), *partition, records));
                                }
                            }
                        }
                        collect(&mut inner, &id, &mut f);
                        if inner
                            .groups
                            .get(&id)
                            .is_some_and(|(_, g)| g.state() == GroupState::Dead)
                        {
                            inner.groups.remove(&id);
                        }
                    }
                    f
                };
                me.finish(&ctx, followup).await;
            }
        });
    }

    /// Runs `op` on the group (created empty when `create`), then writes and delivers what
    /// it left. `None` when the group does not exist and `create` is false.
    async fn with_group<T>(
        &self,
        ctx: &BrokerContext,
        partition: i32,
        group_id: &str,
        create: bool,
        op: impl FnOnce(&mut Group, &mut Inner) -> T,
    ) -> Option<T> {
        let (out, followup) = {
            let mut inner = self.lock();
            if !inner.groups.contains_key(group_id) {
                if !create {
                    return None;
                }
                let g = Group::new(group_id, Self::group_config(ctx), now_ms());
                inner.groups.insert(group_id.to_string(), (partition, g));
            }
            // Take the group out so `op` may also touch the waiters.
            let (p, mut g) = inner.groups.remove(group_id)?;
            let out = op(&mut g, &mut inner);
            inner.groups.insert(group_id.to_string(), (p, g));
            let mut f = Followup::default();
            collect(&mut inner, group_id, &mut f);
            (out, f)
        };
        self.finish(ctx, followup).await;
        Some(out)
    }

    /// Writes the records an operation produced, then delivers its answers. A group whose
    /// metadata could not be stored has its new assignment withdrawn (the waiting SyncGroups
    /// get the error) and rebalances, as Kafka's coordinator does.
    async fn finish(&self, ctx: &BrokerContext, mut f: Followup) {
        let mut failed = None;
        let mut failed_groups = Vec::new();
        for (group, partition, records) in std::mem::take(&mut f.writes) {
            if let Err(code) = store::append(ctx, partition, records).await {
                tracing::warn!(partition, group, ?code, "storing group metadata failed");
                failed = Some(code);
                failed_groups.push(group);
            }
        }
        let mut inner = self.lock();
        for group in failed_groups {
            if let Some((_, g)) = inner.groups.get_mut(&group) {
                g.store_failed(now_ms());
                for c in g.take_completions() {
                    f.completions.push((group.clone(), c));
                }
            }
        }
        for (group, c) in f.completions {
            match c {
                Completion::Join { member_id, answer } => {
                    if let Some(tx) = inner.join_waiters.remove(&(group, member_id)) {
                        let _ = tx.send(answer);
                    }
                }
                Completion::Sync {
                    member_id,
                    mut answer,
                } => {
                    if let Some(code) = failed
                        && answer.error == ErrorCode::NONE
                    {
                        // Kafka's storeGroup mapping for a failed group write.
                        answer.error = match code {
                            ErrorCode::REQUEST_TIMED_OUT => ErrorCode::REBALANCE_IN_PROGRESS,
                            ErrorCode::MESSAGE_TOO_LARGE | ErrorCode::RECORD_LIST_TOO_LARGE => {
                                ErrorCode::UNKNOWN_SERVER_ERROR
                            }
                            other => other,
                        };
                        answer.assignment = Bytes::new();
                    }
                    if let Some(tx) = inner.sync_waiters.remove(&(group, member_id)) {
                        let _ = tx.send(answer);
                    }
                }
            }
        }
    }

    /// JoinGroup: the answer, after waiting for the rebalance when needed.
    pub async fn join(
        self: &Arc<Self>,
        ctx: &BrokerContext,
        group_id: &str,
        req: JoinRequest,
    ) -> JoinAnswer {
        let error = |e: ErrorCode, member: &str| JoinAnswer {
            error: e,
            generation_id: -1,
            member_id: member.to_string(),
            ..JoinAnswer::default()
        };
        let partition = match self.route(ctx, group_id) {
            Ok(p) => p,
            Err(e) => return error(e, &req.member_id),
        };
        let member = req.member_id.clone();
        let create = req.member_id.is_empty();
        let gid = group_id.to_string();
        let reply = self
            .with_group(ctx, partition, group_id, create, move |g, inner| {
                match g.join(req, now_ms()) {
                    Reply::Now(a) => Err(Box::new(a)),
                    Reply::Later(member_id) => {
                        let (tx, rx) = oneshot::channel();
                        inner.join_waiters.insert((gid, member_id.clone()), tx);
                        Ok((member_id, rx))
                    }
                }
            })
            .await;
        match reply {
            None => error(ErrorCode::UNKNOWN_MEMBER_ID, &member),
            Some(Err(a)) => *a,
            Some(Ok((member_id, rx))) => match rx.await {
                Ok(a) => a,
                Err(_) => error(ErrorCode::REBALANCE_IN_PROGRESS, &member_id),
            },
        }
    }

    /// SyncGroup: the member's assignment, after waiting for the leader's when needed.
    pub async fn sync(
        self: &Arc<Self>,
        ctx: &BrokerContext,
        group_id: &str,
        req: SyncRequest,
    ) -> SyncAnswer {
        let error = |e| SyncAnswer {
            error: e,
            ..SyncAnswer::default()
        };
        let partition = match self.route(ctx, group_id) {
            Ok(p) => p,
            Err(e) => return error(e),
        };
        let gid = group_id.to_string();
        let reply = self
            .with_group(ctx, partition, group_id, false, |g, inner| {
                match g.sync(req, now_ms()) {
                    Reply::Now(a) => Err(a),
                    Reply::Later(m) => {
                        let (tx, rx) = oneshot::channel();
                        inner.sync_waiters.insert((gid, m), tx);
                        Ok(rx)
                    }
                }
            })
            .await;
        match reply {
            None => error(ErrorCode::UNKNOWN_MEMBER_ID),
            Some(Err(a)) => a,
            Some(Ok(rx)) => rx
                .await
                .unwrap_or_else(|_| error(ErrorCode::REBALANCE_IN_PROGRESS)),
        }
    }

    /// Heartbeat.
    pub async fn heartbeat(
        self: &Arc<Self>,
        ctx: &BrokerContext,
        group_id: &str,
        member_id: &str,
        group_instance_id: Option<&str>,
        generation_id: i32,
    ) -> ErrorCode {
        let partition = match self.route(ctx, group_id) {
            Ok(p) => p,
            Err(e) => return e,
        };
        self.with_group(ctx, partition, group_id, false, |g, _| {
            g.heartbeat(member_id, group_instance_id, generation_id, now_ms())
        })
        .await
        .unwrap_or(ErrorCode::UNKNOWN_MEMBER_ID)
    }

    /// LeaveGroup: a group-level error, or one code per member.
    pub async fn leave(
        self: &Arc<Self>,
        ctx: &BrokerContext,
        group_id: &str,
        members: &[super::state::LeavingMember],
    ) -> Result<Vec<ErrorCode>, ErrorCode> {
        let partition = self.route(ctx, group_id)?;
        Ok(self
            .with_group(ctx, partition, group_id, false, |g, _| {
                g.leave(members, now_ms())
            })
            .await
            .unwrap_or_else(|| vec![ErrorCode::UNKNOWN_MEMBER_ID; members.len()]))
    }

    /// OffsetCommit: validates the member, writes the offsets, then remembers them. Returns
    /// a group-level error or per-partition codes in request order.
    #[allow(clippy::too_many_arguments)]
    pub async fn commit(
        self: &Arc<Self>,
        ctx: &BrokerContext,
        group_id: &str,
        member_id: &str,
        group_instance_id: Option<&str>,
        generation_id: i32,
        offsets: Vec<(String, i32, super::state::CommittedOffset)>,
    ) -> Result<Vec<ErrorCode>, ErrorCode> {
        let partition = self.route(ctx, group_id)?;
        let max_metadata = ctx
            .config
            .get_int("offset.metadata.max.bytes")
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(4096);
        {
            let inner = self.lock();
            match inner.groups.get(group_id) {
                Some((_, g)) => g.check_commit(member_id, group_instance_id, generation_id)?,
                // Kafka: only a commit outside any generation may create a group.
                None if generation_id >= 0 => return Err(ErrorCode::ILLEGAL_GENERATION),
                None => {}
            }
        }
        let mut codes = Vec::with_capacity(offsets.len());
        let mut records = Vec::new();
        let mut accepted = Vec::new();
        for (topic, p, o) in offsets {
            if o.metadata.len() > max_metadata {
                codes.push(ErrorCode::OFFSET_METADATA_TOO_LARGE);
                continue;
            }
            let kv = records::offset_key(group_id, &topic, p)
                .and_then(|k| Ok((k, Some(records::offset_value(&o)?))));
            match kv {
                Ok(kv) => {
                    records.push(kv);
                    accepted.push((codes.len(), topic, p, o));
                    codes.push(ErrorCode::NONE);
                }
                Err(_) => codes.push(ErrorCode::INVALID_COMMIT_OFFSET_SIZE),
            }
        }
        if let Err(code) = store::append(ctx, partition, records).await {
            let code = match code {
                ErrorCode::MESSAGE_TOO_LARGE | ErrorCode::RECORD_LIST_TOO_LARGE => {
                    ErrorCode::INVALID_COMMIT_OFFSET_SIZE
                }
                other => other,
            };
            for (i, ..) in &accepted {
                if let Some(c) = codes.get_mut(*i) {
                    *c = code;
                }
            }
            return Ok(codes);
        }
        self.with_group(ctx, partition, group_id, true, |g, _| {
            for (_, topic, p, o) in accepted {
                g.put_offset(topic, p, o);
            }
        })
        .await;
        Ok(codes)
    }

    /// Runs `f` over a loaded group (read-only), after the coordinator checks.
    pub fn read_group<T>(
        self: &Arc<Self>,
        ctx: &BrokerContext,
        group_id: &str,
        f: impl FnOnce(Option<&Group>) -> T,
    ) -> Result<T, ErrorCode> {
        self.route(ctx, group_id)?;
        let inner = self.lock();
        Ok(f(inner
            .groups
            .get(group_id)
            .map(|(_, g)| g)
            .filter(|g| g.state() != GroupState::Dead)))
    }

    /// Every group of the loaded partitions, for ListGroups: (id, protocol type, state).
    pub fn list(self: &Arc<Self>, ctx: &BrokerContext) -> Vec<(String, String, GroupState)> {
        self.start_ticker(ctx);
        let inner = self.lock();
        let mut out: Vec<_> = inner
            .groups
            .values()
            .filter(|(p, g)| {
                g.state() != GroupState::Dead && inner.partitions.get(p) == Some(&Load::Loaded)
            })
            .map(|(_, g)| {
                (
                    g.id().to_string(),
                    g.protocol_type().unwrap_or_default().to_string(),
                    g.state(),
                )
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Whether any loaded partition is still loading (ListGroups' error).
    pub fn is_loading(&self) -> bool {
        self.lock()
            .partitions
            .values()
            .any(|l| matches!(l, Load::Loading(_)))
    }

    /// DeleteGroups for one group: tombstones for its offsets and metadata, then forgotten.
    pub async fn delete(self: &Arc<Self>, ctx: &BrokerContext, group_id: &str) -> ErrorCode {
        let partition = match self.route(ctx, group_id) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let records = {
            let mut inner = self.lock();
            let Some((_, g)) = inner.groups.get_mut(group_id) else {
                return ErrorCode::GROUP_ID_NOT_FOUND;
            };
            let offsets: Vec<(String, i32)> = g.offsets().keys().cloned().collect();
            if let Err(e) = g.delete(now_ms()) {
                return e;
            }
            inner.groups.remove(group_id);
            let mut records = Vec::new();
            for (t, p) in offsets {
                if let Ok(k) = records::offset_key(group_id, &t, p) {
                    records.push((k, None));
                }
            }
            if let Ok(k) = records::group_key(group_id) {
                records.push((k, None));
            }
            records
        };
        match store::append(ctx, partition, records).await {
            Ok(()) => ErrorCode::NONE,
            Err(e) => e,
        }
    }

    /// OffsetDelete: per-partition codes, or a group-level error.
    pub async fn delete_offsets(
        self: &Arc<Self>,
        ctx: &BrokerContext,
        group_id: &str,
        partitions: &[(String, i32)],
    ) -> Result<Vec<ErrorCode>, ErrorCode> {
        let partition = self.route(ctx, group_id)?;
        let (codes, records) = {
            let mut inner = self.lock();
            let Some((_, g)) = inner.groups.get_mut(group_id) else {
                return Err(ErrorCode::GROUP_ID_NOT_FOUND);
            };
            if g.state() == GroupState::Dead {
                return Err(ErrorCode::GROUP_ID_NOT_FOUND);
            }
            let subscribed = if g.state() == GroupState::Empty {
                Some(Default::default())
            } else {
                g.subscribed_topics()
            };
            let Some(subscribed) = subscribed else {
                return Err(ErrorCode::NON_EMPTY_GROUP);
            };
            let mut codes = Vec::new();
            let mut records = Vec::new();
            for (t, p) in partitions {
                if subscribed.contains(t) {
                    codes.push(ErrorCode::GROUP_SUBSCRIBED_TO_TOPIC);
                    continue;
                }
                if g.remove_offset(t, *p)
                    && let Ok(k) = records::offset_key(group_id, t, *p)
                {
                    records.push((k, None));
                }
                codes.push(ErrorCode::NONE);
            }
            (codes, records)
        };
        store::append(ctx, partition, records).await?;
        Ok(codes)
    }
}

/// Expires the group's old offsets; the tombstones to write (and the group's, once dead).
fn expiry_records(group_id: &str, g: &mut Group, now: i64, retention_ms: i64) -> Vec<KeyValue> {
    let mut out = Vec::new();
    let expired = g.expire_offsets(now, retention_ms);
    if !expired.is_empty() {
        tracing::info!(group = group_id, count = expired.len(), "expired offsets");
    }
    for (t, p) in expired {
        if let Ok(k) = records::offset_key(group_id, &t, p) {
            out.push((k, None));
        }
    }
    if g.state() == GroupState::Dead
        && let Ok(k) = records::group_key(group_id)
    {
        out.push((k, None));
    }
    out
}

/// Moves a group's pending answers and (when dirty) its metadata record into `f`.
fn collect(inner: &mut Inner, group_id: &str, f: &mut Followup) {
    let Some((partition, g)) = inner.groups.get_mut(group_id) else {
        return;
    };
    for c in g.take_completions() {
        f.completions.push((group_id.to_string(), c));
    }
    if g.take_dirty() {
        let record = records::group_key(group_id)
            .and_then(|k| Ok((k, Some(records::group_value(&g.stored())?))));
        match record {
            Ok(kv) => f.writes.push((group_id.to_string(), *partition, vec![kv])),
            Err(e) => tracing::warn!(group = group_id, "cannot encode group metadata: {e}"),
        }
    }
}
