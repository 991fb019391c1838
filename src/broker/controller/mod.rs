//! Kafka's ZooKeeper-mode controller (as in Kafka 1.x to 3.x): one broker of the cluster wins
//! the `/controller` election and from then on decides every partition's leader and ISR,
//! writes them to the partition state znodes and tells the brokers (LeaderAndIsr,
//! UpdateMetadata, StopReplica).
//!
//! | module        | owns |
//! |---------------|------|
//! | [`decisions`] | the pure state machine: cluster view in, partition state changes out |
//! | [`reassignment`] | the pure steps of a partition reassignment |
//! | [`requests`]  | the wire requests built from the view, per version (pure) |
//! | [`zk`]        | election and the coordinator reads and epoch-guarded writes |
//! | [`channel`]   | one sender task per live broker, with retries |
//!
//! The controller runs on its own coordinator session (its own watches) in one event loop:
//! watch notifications, StopReplica answers and a retry tick are handled one at a time, and
//! nothing in the loop waits on a broker. Watched: `/controller` (re-elect when deleted,
//! resign when taken over), `/brokers/ids` (brokers joining, leaving, re-registering),
//! `/brokers/topics` and each topic (new topics and partitions), `/admin/delete_topics`,
//! `/isr_change_notification` (ISR changes leaders wrote themselves),
//! `/admin/reassign_partitions` (the legacy reassignment request). A reassignment completes
//! once the leaders' replication brings the new replicas into the ISR.

pub mod channel;
pub mod decisions;
pub mod reassignment;
pub mod requests;
pub mod zk;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use self::channel::{Ack, BrokerChannel, Outgoing};
use self::decisions::{ClusterView, TopicView};
use self::requests::Sender;
use self::zk::{Election, WriteError};
use crate::coordinator::client::{ClientConfig, EventKind, KeeperState, WatchedEvent, ZkClient};
use crate::coordinator::kafka_paths::path;
use crate::net::ConnectionSettings;

/// How the controller runs.
#[derive(Debug, Clone)]
pub struct ControllerConfig {
    /// The coordinator to use; the controller opens its own session with it.
    pub zk: ClientConfig,
    /// This broker's id.
    pub broker_id: i32,
    /// Connections to the brokers (request timeout, connect timeout).
    pub net: ConnectionSettings,
    /// First pause before retrying a failed request or session; doubles up to 5 s.
    pub retry_backoff: Duration,
}

impl ControllerConfig {
    /// Defaults: 100 ms first retry pause, the client's connection defaults.
    pub fn new(zk: ClientConfig, broker_id: i32) -> ControllerConfig {
        ControllerConfig {
            zk,
            broker_id,
            net: ConnectionSettings {
                client_id: Some(format!("controller-{broker_id}")),
                ..ConnectionSettings::default()
            },
            retry_backoff: Duration::from_millis(100),
        }
    }
}

/// The running controller of one broker.
#[derive(Debug)]
pub struct ControllerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    active: watch::Receiver<Option<i32>>,
}

impl ControllerHandle {
    /// The controller epoch while this broker is the active controller, else None.
    pub fn active_epoch(&self) -> Option<i32> {
        *self.active.borrow()
    }

    /// Resigns `/controller` if held, stops the broker channels and closes the session.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Starts the controller task: it connects, runs for election and, when elected, controls.
pub fn spawn(config: ControllerConfig) -> ControllerHandle {
    let (stop_tx, stop_rx) = oneshot::channel();
    let (active_tx, active_rx) = watch::channel(None);
    let task = tokio::spawn(run(config, stop_rx, active_tx));
    ControllerHandle {
        stop: Some(stop_tx),
        task,
        active: active_rx,
    }
}

/// Sessions one after another (a new one after expiry) until stopped.
async fn run(
    config: ControllerConfig,
    mut stop: oneshot::Receiver<()>,
    active: watch::Sender<Option<i32>>,
) {
    let mut delay = config.retry_backoff;
    loop {
        let connected = tokio::select! {
            _ = &mut stop => return,
            c = ZkClient::connect(config.zk.clone()) => c,
        };
        match connected {
            Ok((zk, events)) => {
                delay = config.retry_backoff;
                let mut controller = Controller::new(&config, zk.clone(), active.clone());
                let stopped = controller.run(events, &mut stop).await;
                controller.resign().await;
                let _ = zk.close().await;
                if stopped {
                    return;
                }
            }
            Err(e) => tracing::warn!("controller: cannot reach the coordinator: {e}"),
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// What this broker holds while it is the controller.
#[derive(Debug)]
struct Active {
    epoch: i32,
    epoch_version: i32,
    view: ClusterView,
    channels: BTreeMap<i32, BrokerChannel>,
    /// Topic deletions waiting for StopReplica answers: topic -> brokers yet to answer.
    pending: BTreeMap<String, BTreeSet<i32>>,
    /// The start-up read and first decisions completed (retried by the tick until then).
    loaded: bool,
}

/// One session's controller state machine.
struct Controller<'a> {
    config: &'a ControllerConfig,
    zk: ZkClient,
    active: Option<Active>,
    published: watch::Sender<Option<i32>>,
    acks_tx: mpsc::UnboundedSender<Ack>,
    acks_rx: mpsc::UnboundedReceiver<Ack>,
}

/// The loop's reason to stop controlling within this session.
#[derive(Debug)]
enum Fault {
    /// Another controller took over: resign locally and watch.
    Superseded,
    /// The session or a request failed: the loop tries again on the next event or tick.
    Zk(WriteError),
}

impl From<WriteError> for Fault {
    fn from(e: WriteError) -> Fault {
        match e {
            WriteError::NotController => Fault::Superseded,
            other => Fault::Zk(other),
        }
    }
}

impl From<crate::coordinator::client::ZkError> for Fault {
    fn from(e: crate::coordinator::client::ZkError) -> Fault {
        Fault::Zk(WriteError::Zk(e))
    }
}

fn now_ms() -> i64 {
    crate::broker::handlers::leader_and_isr::now_ms()
}

impl<'a> Controller<'a> {
    fn new(
        config: &'a ControllerConfig,
        zk: ZkClient,
        published: watch::Sender<Option<i32>>,
    ) -> Self {
        let (acks_tx, acks_rx) = mpsc::unbounded_channel();
        Controller {
            config,
            zk,
            active: None,
            published,
            acks_tx,
            acks_rx,
        }
    }

    /// Runs until stopped (true) or the session ends (false).
    async fn run(
        &mut self,
        mut events: crate::coordinator::client::Events,
        stop: &mut oneshot::Receiver<()>,
    ) -> bool {
        if let Err(e) = zk::ensure_paths(&self.zk).await {
            tracing::warn!("controller: cannot create the base znodes: {e}");
        }
        self.elect().await;
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let outcome = tokio::select! {
                _ = &mut *stop => return true,
                event = events.recv() => match event {
                    None => return false,
                    Some(e) if e.kind == EventKind::None => match e.state {
                        KeeperState::Expired | KeeperState::Closed | KeeperState::AuthFailed => {
                            return false;
                        }
                        _ => Ok(()),
                    },
                    Some(e) => self.on_event(e).await,
                },
                Some(ack) = self.acks_rx.recv() => self.on_ack(ack).await,
                _ = tick.tick() => self.on_tick().await,
            };
            match outcome {
                Ok(()) => {}
                Err(Fault::Superseded) => {
                    tracing::info!("controller: another controller took over");
                    self.step_down();
                    self.elect().await;
                }
                Err(Fault::Zk(e)) => {
                    // A watch may not have been re-armed: the tick redoes the full start-up.
                    tracing::warn!("controller: {e}; re-reading the cluster");
                    if let Some(active) = self.active.as_mut() {
                        active.loaded = false;
                    }
                }
            }
        }
    }

    /// Runs for election; on winning, takes control.
    async fn elect(&mut self) {
        if self.active.is_some() {
            return;
        }
        match zk::elect(&self.zk, self.config.broker_id, now_ms()).await {
            Ok(Election::Won {
                epoch,
                epoch_version,
            }) => {
                tracing::info!(
                    "controller: broker {} is the controller, epoch {epoch}",
                    self.config.broker_id
                );
                self.active = Some(Active {
                    epoch,
                    epoch_version,
                    view: ClusterView::default(),
                    channels: BTreeMap::new(),
                    pending: BTreeMap::new(),
                    loaded: false,
                });
                self.published.send_replace(Some(epoch));
                match self.failover().await {
                    Ok(()) => {}
                    Err(Fault::Superseded) => self.step_down(),
                    // The view is retried on the next tick.
                    Err(Fault::Zk(e)) => tracing::warn!("controller: start-up incomplete: {e}"),
                }
            }
            Ok(Election::Lost { holder }) => {
                tracing::debug!("controller: broker {holder:?} is the controller");
            }
            Err(e) => tracing::warn!("controller: election failed: {e}"),
        }
    }

    /// Stops controlling without touching the coordinator (someone else controls).
    fn step_down(&mut self) {
        if self.active.take().is_some() {
            self.published.send_replace(None);
        }
    }

    /// Resigns `/controller` if still ours (shutdown or end of session).
    async fn resign(&mut self) {
        if let Some(active) = self.active.take() {
            self.published.send_replace(None);
            if let Err(e) = zk::resign(&self.zk, active.epoch_version).await {
                tracing::debug!("controller: resigning: {e}");
            }
        }
    }

    async fn on_event(&mut self, e: WatchedEvent) -> Result<(), Fault> {
        let Some(p) = e.path.as_deref() else {
            return Ok(());
        };
        if p == path::CONTROLLER {
            let holder = zk::controller(&self.zk).await?;
            if self.active.is_some() && holder != Some(self.config.broker_id) {
                return Err(Fault::Superseded);
            }
            if holder.is_none() {
                self.elect().await;
            }
            return Ok(());
        }
        if self.active.is_none() {
            return Ok(());
        }
        if p == path::REASSIGN_PARTITIONS {
            return self.on_reassignments().await;
        }
        match (e.kind, p) {
            (EventKind::NodeChildrenChanged, path::BROKER_IDS) => self.on_brokers().await,
            (EventKind::NodeChildrenChanged, path::BROKER_TOPICS) => self.on_topics().await,
            (EventKind::NodeChildrenChanged, path::DELETE_TOPICS) => self.on_deletions().await,
            (EventKind::NodeChildrenChanged, path::ISR_CHANGE_NOTIFICATION) => {
                self.on_isr_changes().await
            }
            (EventKind::NodeDataChanged, p) if p.starts_with("/brokers/topics/") => {
                let topic = &p["/brokers/topics/".len()..];
                if !topic.contains('/') {
                    self.load_topic(topic).await?;
                    self.settle(&[]).await?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn active(&mut self) -> Result<&mut Active, Fault> {
        self.active.as_mut().ok_or(Fault::Superseded)
    }

    fn sender(&self) -> Option<Sender> {
        self.active.as_ref().map(|a| Sender {
            controller_id: self.config.broker_id,
            controller_epoch: a.epoch,
        })
    }

    /// Kafka's `onControllerFailover`: read everything, set watches, start channels,
    /// initialize and elect, tell every broker everything.
    async fn failover(&mut self) -> Result<(), Fault> {
        self.refresh_brokers().await?;
        let topics = zk::watched_children(&self.zk, path::BROKER_TOPICS).await?;
        self.active()?.view.topics.retain(|t, _| topics.contains(t));
        for t in &topics {
            self.load_topic(t).await?;
        }
        let all: Vec<i32> = self.active()?.view.live.keys().copied().collect();
        self.settle(&all).await?;
        self.on_isr_changes().await?;
        self.on_deletions().await?;
        self.on_reassignments().await?;
        self.active()?.loaded = true;
        Ok(())
    }

    /// Reads the broker registrations (child watch re-armed), starts or stops channels;
    /// returns the brokers that (re)joined and whether any left.
    async fn refresh_brokers(&mut self) -> Result<(Vec<i32>, bool), Fault> {
        let ids = zk::broker_ids(&self.zk).await?;
        let mut now = BTreeMap::new();
        for id in ids {
            if let Some(b) = zk::broker(&self.zk, id).await? {
                now.insert(id, b);
            }
        }
        let settings = self.config.net.clone();
        let backoff = self.config.retry_backoff;
        let acks = self.acks_tx.clone();
        let active = self.active()?;
        let mut joined = Vec::new();
        let gone: Vec<i32> = active
            .view
            .live
            .iter()
            .filter(|(id, b)| now.get(*id).is_none_or(|n| n.epoch != b.epoch))
            .map(|(id, _)| *id)
            .collect();
        for id in &gone {
            active.view.live.remove(id);
            active.channels.remove(id);
        }
        for (id, b) in now {
            if active.view.live.contains_key(&id) {
                continue;
            }
            if let Some(ch) = BrokerChannel::start(&b, settings.clone(), backoff, acks.clone()) {
                active.channels.insert(id, ch);
            }
            active.view.live.insert(id, b);
            joined.push(id);
        }
        // A deletion waiting on a broker that left starts over once it is back.
        active
            .pending
            .retain(|_, waiting| waiting.iter().all(|b| !gone.contains(b)));
        Ok((joined, !gone.is_empty()))
    }

    /// Reads one topic (data watch re-armed) and its partition states into the view.
    async fn load_topic(&mut self, name: &str) -> Result<(), Fault> {
        let epoch_version = self.active()?.epoch_version;
        let Some(data) = zk::topic(&self.zk, name, epoch_version).await? else {
            self.active()?.view.topics.remove(name);
            return Ok(());
        };
        let assignment = data.partitions;
        let mut states = BTreeMap::new();
        for p in assignment.keys() {
            if let Some(s) = zk::partition_state(&self.zk, name, *p).await? {
                states.insert(*p, s);
            }
        }
        self.active()?.view.topics.insert(
            name.to_string(),
            TopicView {
                id: data.id,
                assignment,
                states,
                adding: data.adding,
                removing: data.removing,
            },
        );
        Ok(())
    }

    /// Writes what the decisions call for, then sends LeaderAndIsr for the changed partitions
    /// (and every partition of `full_to`) and UpdateMetadata to every live broker.
    async fn settle(&mut self, full_to: &[i32]) -> Result<(), Fault> {
        let active = self.active()?;
        let changes = decisions::changes(&active.view, active.epoch);
        let epoch_version = active.epoch_version;
        let mut changed = Vec::new();
        let mut created = BTreeSet::new();
        for change in changes {
            match zk::write_state(&self.zk, epoch_version, &change).await {
                Ok(version) => {
                    let mut state = change.state.clone();
                    state.zk_version = version;
                    let active = self.active()?;
                    if let Some(t) = active.view.topics.get_mut(&change.topic) {
                        t.states.insert(change.partition, state);
                    }
                    if change.create {
                        created.insert((change.topic.clone(), change.partition));
                    }
                    changed.push((change.topic, change.partition));
                }
                Err(WriteError::Conflict { path }) => {
                    // Someone else wrote it: take what is there and decide again later.
                    tracing::warn!("controller: {path} changed concurrently; re-reading");
                    let fresh =
                        zk::partition_state(&self.zk, &change.topic, change.partition).await?;
                    let active = self.active()?;
                    if let (Some(t), Some(s)) = (active.view.topics.get_mut(&change.topic), fresh) {
                        t.states.insert(change.partition, s);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.send_states(&changed, &created, full_to)?;
        Ok(())
    }

    fn send_states(
        &mut self,
        changed: &[(String, i32)],
        created: &BTreeSet<(String, i32)>,
        full_to: &[i32],
    ) -> Result<(), Fault> {
        let from = self.sender().ok_or(Fault::Superseded)?;
        let active = self.active()?;
        let view = &active.view;
        let is_new = |t: &str, p: i32| created.contains(&(t.to_string(), p));
        for (id, broker) in &view.live {
            let Some(ch) = active.channels.get(id) else {
                continue;
            };
            ch.send(Outgoing::UpdateMetadata(requests::update_metadata(
                view, from, broker,
            )));
            let full = full_to.contains(id);
            let partitions = if full {
                decisions::partitions_of(view, *id)
            } else {
                changed.to_vec()
            };
            if let Some(req) =
                requests::leader_and_isr(view, from, broker, &partitions, &is_new, full)
            {
                ch.send(Outgoing::LeaderAndIsr(req));
            }
        }
        Ok(())
    }

    async fn on_brokers(&mut self) -> Result<(), Fault> {
        let (joined, _) = self.refresh_brokers().await?;
        self.settle(&joined).await?;
        self.check_reassignments().await?;
        self.progress_deletions().await
    }

    /// Kafka's `IsrChangeNotificationHandler`: leaders changed ISRs in the state znodes
    /// themselves; re-read those partitions, tell every broker, drop the notifications.
    async fn on_isr_changes(&mut self) -> Result<(), Fault> {
        let notes = zk::isr_changes(&self.zk).await?;
        if notes.is_empty() {
            return Ok(());
        }
        let mut nodes = Vec::new();
        for (node, partitions) in notes {
            for (topic, partition) in partitions {
                let fresh = zk::partition_state(&self.zk, &topic, partition).await?;
                let active = self.active()?;
                if let (Some(t), Some(s)) = (active.view.topics.get_mut(&topic), fresh) {
                    t.states.insert(partition, s);
                }
            }
            nodes.push(node);
        }
        let epoch_version = self.active()?.epoch_version;
        zk::delete_nodes(&self.zk, epoch_version, nodes).await?;
        self.send_states(&[], &BTreeSet::new(), &[])?;
        self.check_reassignments().await
    }

    /// Starts the requested reassignments not yet under way, then completes those ready.
    async fn on_reassignments(&mut self) -> Result<(), Fault> {
        let requested = zk::reassignments(&self.zk).await?;
        let from = self.sender().ok_or(Fault::Superseded)?;
        let epoch_version = self.active()?.epoch_version;
        let mut touched = Vec::new();
        for entry in &requested {
            let active = self.active()?;
            let Some(topic) = active.view.topics.get_mut(&entry.topic) else {
                continue;
            };
            let p = entry.partition;
            let Some(original) = topic.assignment.get(&p).cloned() else {
                continue;
            };
            if topic.moving(p)
                || !reassignment::valid_target(&entry.replicas)
                || original == entry.replicas
            {
                continue;
            }
            let plan = reassignment::start(&original, &entry.replicas);
            topic.assignment.insert(p, plan.replicas);
            topic.adding.insert(p, plan.adding);
            topic.removing.insert(p, plan.removing);
            let snapshot = topic.clone();
            zk::write_topic(&self.zk, epoch_version, &entry.topic, &snapshot).await?;
            // The leader epoch moves so every replica takes the new replica set.
            if let Some(cur) = snapshot.states.get(&p) {
                let change = decisions::StateChange {
                    topic: entry.topic.clone(),
                    partition: p,
                    create: false,
                    previous_version: cur.zk_version,
                    state: decisions::LeaderIsr {
                        leader_epoch: cur.leader_epoch.saturating_add(1),
                        controller_epoch: from.controller_epoch,
                        ..cur.clone()
                    },
                };
                let version = zk::write_state(&self.zk, epoch_version, &change).await?;
                let mut state = change.state;
                state.zk_version = version;
                if let Some(t) = self.active()?.view.topics.get_mut(&entry.topic) {
                    t.states.insert(p, state);
                }
            }
            touched.push((entry.topic.clone(), p));
        }
        self.send_states(&touched, &BTreeSet::new(), &[])?;
        // Partitions no longer needing work leave the request.
        let active = self.active()?;
        let remaining: Vec<_> = requested
            .iter()
            .filter(|e| {
                active
                    .view
                    .topics
                    .get(&e.topic)
                    .is_some_and(|t| t.moving(e.partition))
            })
            .cloned()
            .collect();
        if remaining.len() != requested.len() {
            zk::write_reassignments(&self.zk, epoch_version, remaining).await?;
        }
        self.check_reassignments().await
    }

    /// Completes every reassignment whose target replicas are all in the ISR.
    async fn check_reassignments(&mut self) -> Result<(), Fault> {
        let from = self.sender().ok_or(Fault::Superseded)?;
        let active = self.active()?;
        let epoch_version = active.epoch_version;
        let is_live = |id: i32| active.view.live.contains_key(&id);
        let mut ready = Vec::new();
        for (name, t) in &active.view.topics {
            for (p, replicas) in &t.assignment {
                if !t.moving(*p) {
                    continue;
                }
                let removing = t.removing.get(p).cloned().unwrap_or_default();
                let target = reassignment::target(replicas, &removing);
                let Some(cur) = t.states.get(p) else {
                    continue;
                };
                if let Some(state) =
                    reassignment::complete(&target, cur, &is_live, from.controller_epoch)
                {
                    ready.push((name.clone(), *p, target, removing, state, cur.zk_version));
                }
            }
        }
        if ready.is_empty() {
            return Ok(());
        }
        let mut done = Vec::new();
        for (name, p, target, removing, state, previous_version) in ready {
            let change = decisions::StateChange {
                topic: name.clone(),
                partition: p,
                create: false,
                previous_version,
                state,
            };
            let version = zk::write_state(&self.zk, epoch_version, &change).await?;
            let mut state = change.state;
            state.zk_version = version;
            let leader_epoch = state.leader_epoch;
            let active = self.active()?;
            let Some(t) = active.view.topics.get_mut(&name) else {
                continue;
            };
            t.states.insert(p, state);
            t.assignment.insert(p, target);
            t.adding.remove(&p);
            t.removing.remove(&p);
            let snapshot = t.clone();
            zk::write_topic(&self.zk, epoch_version, &name, &snapshot).await?;
            let active = self.active()?;
            for r in removing {
                if let (Some(b), Some(ch)) = (active.view.live.get(&r), active.channels.get(&r)) {
                    ch.send(Outgoing::StopReplica {
                        request: requests::stop_partition(from, b, &name, p, leader_epoch),
                        topic: name.clone(),
                    });
                }
            }
            tracing::info!("controller: reassignment of {name}-{p} completed");
            done.push((name, p));
        }
        self.send_states(&done, &BTreeSet::new(), &[])?;
        let requested = zk::reassignments(&self.zk).await?;
        let remaining: Vec<_> = requested
            .iter()
            .filter(|e| !done.contains(&(e.topic.clone(), e.partition)))
            .cloned()
            .collect();
        if remaining.len() != requested.len() {
            zk::write_reassignments(&self.zk, epoch_version, remaining).await?;
        }
        Ok(())
    }

    async fn on_topics(&mut self) -> Result<(), Fault> {
        let names = zk::watched_children(&self.zk, path::BROKER_TOPICS).await?;
        let known: BTreeSet<String> = self.active()?.view.topics.keys().cloned().collect();
        for name in &names {
            if !known.contains(name) {
                self.load_topic(name).await?;
            }
        }
        let active = self.active()?;
        active.view.topics.retain(|t, _| names.contains(t));
        self.settle(&[]).await
    }

    async fn on_deletions(&mut self) -> Result<(), Fault> {
        let queued = zk::watched_children(&self.zk, path::DELETE_TOPICS).await?;
        let epoch_version = self.active()?.epoch_version;
        for topic in queued {
            if self.active()?.view.topics.contains_key(&topic) {
                self.active()?.view.deleting.insert(topic);
            } else {
                zk::delete_marker(&self.zk, epoch_version, &topic).await?;
            }
        }
        self.progress_deletions().await
    }

    /// Starts each queued deletion whose replicas are all live: brokers drop the topic from
    /// their metadata (UpdateMetadata with leader -2) and delete its replicas (StopReplica).
    async fn progress_deletions(&mut self) -> Result<(), Fault> {
        let from = self.sender().ok_or(Fault::Superseded)?;
        let active = self.active()?;
        let mut finished = Vec::new();
        let waiting: Vec<String> = active
            .view
            .deleting
            .iter()
            .filter(|t| !active.pending.contains_key(*t))
            .cloned()
            .collect();
        let mut started = false;
        for topic in waiting {
            let Some(replicas) = decisions::deletion_replicas(&active.view, &topic) else {
                continue;
            };
            if replicas.is_empty() {
                finished.push(topic);
                continue;
            }
            for r in &replicas {
                let (Some(broker), Some(ch)) = (active.view.live.get(r), active.channels.get(r))
                else {
                    continue;
                };
                if let Some(request) = requests::delete_replicas(&active.view, from, broker, &topic)
                {
                    ch.send(Outgoing::StopReplica {
                        request,
                        topic: topic.clone(),
                    });
                }
            }
            active.pending.insert(topic, replicas);
            started = true;
        }
        if started {
            for (id, broker) in &active.view.live {
                if let Some(ch) = active.channels.get(id) {
                    ch.send(Outgoing::UpdateMetadata(requests::update_metadata(
                        &active.view,
                        from,
                        broker,
                    )));
                }
            }
        }
        for topic in finished {
            self.finish_deletion(&topic).await?;
        }
        Ok(())
    }

    async fn on_ack(&mut self, ack: Ack) -> Result<(), Fault> {
        let Some(active) = self.active.as_mut() else {
            return Ok(());
        };
        let current = active.view.live.get(&ack.broker).map(|b| b.epoch);
        if current != Some(ack.broker_epoch) {
            return Ok(());
        }
        let Some(waiting) = active.pending.get_mut(&ack.topic) else {
            return Ok(());
        };
        if !ack.ok {
            // Started over by the next tick.
            active.pending.remove(&ack.topic);
            return Ok(());
        }
        waiting.remove(&ack.broker);
        if waiting.is_empty() {
            active.pending.remove(&ack.topic);
            self.finish_deletion(&ack.topic).await?;
        }
        Ok(())
    }

    /// Every replica is gone: remove the topic's znodes and forget it.
    async fn finish_deletion(&mut self, topic: &str) -> Result<(), Fault> {
        let epoch_version = self.active()?.epoch_version;
        zk::delete_topic(&self.zk, epoch_version, topic).await?;
        let active = self.active()?;
        active.view.topics.remove(topic);
        active.view.deleting.remove(topic);
        tracing::info!("controller: topic {topic} deleted");
        Ok(())
    }

    /// Periodic retry of what an error interrupted; if the start-up read failed, redo it.
    async fn on_tick(&mut self) -> Result<(), Fault> {
        if self.active.is_none() {
            // A lost watch must not leave the cluster without a controller.
            if zk::controller(&self.zk).await?.is_none() {
                self.elect().await;
            }
            return Ok(());
        }
        if !self.active()?.loaded {
            return self.failover().await;
        }
        self.progress_deletions().await
    }
}

impl std::fmt::Debug for Controller<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("broker_id", &self.config.broker_id)
            .field("active", &self.active.as_ref().map(|a| a.epoch))
            .finish()
    }
}
