//! The member's link to its group coordinator: FindCoordinator through any broker, then a
//! dedicated connection for JoinGroup, SyncGroup, LeaveGroup, OffsetCommit and
//! OffsetFetch, and a separate task with its own connection that heartbeats on
//! `heartbeat.interval.ms` whatever the application is doing, reporting the first error,
//! and leaves the group when the application has not polled for `max.poll.interval.ms`.
//!
//! Versions are capped where later ones change shape for features rkafka's member does
//! not use: FindCoordinator v3 (one key), OffsetFetch v7 (one group), OffsetCommit v8.
//! The JoinGroup connection's request timeout covers the rebalance timeout (the broker
//! holds JoinGroup until every member rejoined), as Kafka's client does.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::client::{BrokerConnection, Client, ClientError, ClientSettings};
use crate::net::NetError;
use crate::protocol::api::ApiVersionRange;
use crate::protocol::codec::ApiRequest;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::{ApiKey, FindCoordinatorRequest, HeartbeatRequest, Response};
use crate::types::HostPort;

use super::membership::HeartbeatTimer;

/// Why talking to the coordinator failed (errors in answers are returned as codes).
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("broker {addr} answered {api:?} with a different response type")]
    UnexpectedResponse { addr: String, api: ApiKey },
    #[error("group {group}: {api:?} failed with {code}")]
    Fatal {
        group: String,
        api: ApiKey,
        code: ErrorCode,
    },
    #[error("group {group}: bad consumer protocol data from the coordinator: {reason}")]
    BadProtocolData { group: String, reason: String },
}

/// The API versions a member uses: the spec ranges with the caps above.
pub fn member_versions() -> Vec<ApiVersionRange> {
    let mut v = crate::protocol::api::client_versions();
    for r in &mut v {
        let cap = match r.api_key {
            ApiKey::FindCoordinator => 3,
            ApiKey::OffsetFetch => 7,
            ApiKey::OffsetCommit => 8,
            _ => continue,
        };
        r.max = r.max.min(cap);
    }
    v
}

/// The coordinator FindCoordinator names for `group`: `Ok(Some((node, address)))`, or
/// `Ok(None)` when it is not available yet (retry after a backoff). Asks brokers from the
/// metadata in turn until one answers.
pub async fn find(client: &mut Client, group: &str) -> Result<Option<(i32, HostPort)>, GroupError> {
    let versions = member_versions();
    let metadata = client.metadata().await?;
    let mut last: Option<GroupError> = None;
    for broker in metadata.brokers.iter().map(|b| b.id) {
        let conn = match client.broker(broker).await {
            Ok(c) => c,
            Err(e) => {
                last = Some(e.into());
                continue;
            }
        };
        let version = conn.version_for(&versions, ApiKey::FindCoordinator)?;
        let request = FindCoordinatorRequest {
            key: group.to_string(),
            key_type: 0,
            ..FindCoordinatorRequest::default()
        };
        match conn.conn.request(version, &request).await {
            Ok(Response::FindCoordinator(r)) => {
                let code = ErrorCode(r.error_code);
                if code != ErrorCode::NONE {
                    if code.is_retriable() {
                        tracing::debug!("group {group}: FindCoordinator: {code}");
                        return Ok(None);
                    }
                    return Err(GroupError::Fatal {
                        group: group.to_string(),
                        api: ApiKey::FindCoordinator,
                        code,
                    });
                }
                let Ok(port) = u16::try_from(r.port) else {
                    return Ok(None);
                };
                return Ok(Some((r.node_id, HostPort { host: r.host, port })));
            }
            Ok(_) => {
                last = Some(GroupError::UnexpectedResponse {
                    addr: conn.conn.addr().to_string(),
                    api: ApiKey::FindCoordinator,
                });
            }
            Err(e) => {
                client.forget(broker);
                last = Some(e.into());
            }
        }
    }
    match last {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

/// Whether the cluster serves consumer groups: a broker from the metadata has
/// FindCoordinator, JoinGroup and SyncGroup versions in common with rkafka.
pub async fn cluster_supports_groups(client: &mut Client) -> Result<bool, GroupError> {
    let versions = member_versions();
    let metadata = client.metadata().await?;
    let Some(id) = metadata.brokers.first().map(|b| b.id) else {
        return Ok(false);
    };
    let conn = client.broker(id).await?;
    Ok([
        ApiKey::FindCoordinator,
        ApiKey::JoinGroup,
        ApiKey::SyncGroup,
    ]
    .iter()
    .all(|&api| conn.versions.usable(&versions, api).is_some()))
}

/// A connection to the group coordinator.
#[derive(Debug)]
pub struct CoordinatorLink {
    /// The coordinator's broker id.
    pub node: i32,
    pub addr: HostPort,
    conn: BrokerConnection,
    versions: Vec<ApiVersionRange>,
    /// The settings the connection was opened with (to reopen it).
    settings: ClientSettings,
}

impl CoordinatorLink {
    /// Connects with a request timeout of at least `rebalance_timeout` + 5 s.
    pub async fn connect(
        node: i32,
        addr: HostPort,
        settings: &ClientSettings,
        rebalance_timeout: Duration,
    ) -> Result<Self, GroupError> {
        let mut s = settings.clone();
        s.request_timeout = s
            .request_timeout
            .max(rebalance_timeout.saturating_add(Duration::from_secs(5)));
        let conn = BrokerConnection::open(&addr, &s).await?;
        Ok(CoordinatorLink {
            node,
            addr,
            conn,
            versions: member_versions(),
            settings: s,
        })
    }

    /// The version used for `api`.
    pub fn version(&self, api: ApiKey) -> Result<i16, GroupError> {
        Ok(self.conn.version_for(&self.versions, api)?)
    }

    /// Sends `request` in the negotiated version and returns the answer.
    pub async fn call<M: ApiRequest>(&mut self, request: &M) -> Result<Response, GroupError> {
        if self.conn.conn.in_flight() > 0 {
            // An earlier call was abandoned mid-way (its caller was cancelled): its reply
            // would be read as this one's, so start over on a fresh connection.
            self.conn = BrokerConnection::open(&self.addr, &self.settings).await?;
        }
        let version = self.version(M::API_KEY)?;
        Ok(self.conn.conn.request(version, request).await?)
    }

    /// An error naming this coordinator for an answer of the wrong type.
    pub fn unexpected(&self, api: ApiKey) -> GroupError {
        GroupError::UnexpectedResponse {
            addr: self.conn.conn.addr().to_string(),
            api,
        }
    }
}

/// What the heartbeat task reports (then it ends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeartbeatEvent {
    /// The coordinator answered with this error.
    Error(ErrorCode),
    /// The coordinator could not be reached, or no heartbeat succeeded for a session.
    Lost(String),
    /// The application did not poll within `max.poll.interval.ms`: the member left the
    /// group (LeaveGroup sent) so that its partitions go to members that make progress.
    PollTimeout,
}

/// When the application last polled, in milliseconds since `base`; shared by the consumer
/// (which stamps it) and the heartbeat task (which checks it against max.poll.interval.ms).
#[derive(Debug, Clone)]
pub struct PollClock {
    base: std::time::Instant,
    last_ms: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Default for PollClock {
    fn default() -> Self {
        PollClock {
            base: std::time::Instant::now(),
            last_ms: std::sync::Arc::default(),
        }
    }
}

impl PollClock {
    /// Records a poll now.
    pub fn stamp(&self) {
        let ms = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Time since the last poll.
    pub fn since_last(&self) -> Duration {
        let now = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last = self.last_ms.load(std::sync::atomic::Ordering::Relaxed);
        Duration::from_millis(now.saturating_sub(last))
    }
}

/// Who heartbeats and how often.
#[derive(Debug, Clone)]
pub struct HeartbeatPlan {
    pub group_id: String,
    pub member_id: String,
    pub generation: i32,
    pub group_instance_id: Option<String>,
    pub interval: Duration,
    pub session: Duration,
    /// `max.poll.interval.ms`, checked against `polls`.
    pub max_poll_interval: Duration,
    pub polls: PollClock,
}

/// The running heartbeat task; dropping it stops the heartbeats.
#[derive(Debug)]
pub struct Heartbeats {
    handle: JoinHandle<()>,
    pub events: mpsc::UnboundedReceiver<HeartbeatEvent>,
}

impl Drop for Heartbeats {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl Heartbeats {
    /// Opens a connection to `addr` and heartbeats there until an error or drop.
    pub fn start(addr: HostPort, settings: ClientSettings, plan: HeartbeatPlan) -> Heartbeats {
        let (tx, events) = mpsc::unbounded_channel();
        let handle = tokio::spawn(async move {
            let reason = run(addr, settings, plan).await;
            let _ = tx.send(reason);
        });
        Heartbeats { handle, events }
    }
}

/// Sends LeaveGroup for the plan's member (errors are only logged: the member is leaving).
async fn leave(c: &mut BrokerConnection, versions: &[ApiVersionRange], plan: &HeartbeatPlan) {
    use crate::protocol::messages::LeaveGroupRequest;
    use crate::protocol::messages::leave_group_request::MemberIdentity;
    let Ok(version) = c.version_for(versions, ApiKey::LeaveGroup) else {
        return;
    };
    let mut request = LeaveGroupRequest {
        group_id: plan.group_id.clone(),
        ..LeaveGroupRequest::default()
    };
    if version >= 3 {
        request.members = vec![MemberIdentity {
            member_id: plan.member_id.clone(),
            group_instance_id: plan.group_instance_id.clone(),
            reason: Some("consumer poll timeout has expired".to_string()),
            ..MemberIdentity::default()
        }];
    } else {
        request.member_id = plan.member_id.clone();
    }
    if let Err(e) = c.conn.request(version, &request).await {
        tracing::debug!("group {}: LeaveGroup: {e}", plan.group_id);
    }
}

async fn run(addr: HostPort, settings: ClientSettings, plan: HeartbeatPlan) -> HeartbeatEvent {
    let start = tokio::time::Instant::now();
    let now_ms = || u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let mut timer = HeartbeatTimer::new(ms(plan.interval), ms(plan.session), now_ms());
    let versions = member_versions();
    let mut conn: Option<(BrokerConnection, i16)> = None;
    let request = HeartbeatRequest {
        group_id: plan.group_id.clone(),
        generation_id: plan.generation,
        member_id: plan.member_id.clone(),
        group_instance_id: plan.group_instance_id.clone(),
        ..HeartbeatRequest::default()
    };
    loop {
        let due = timer.next_due();
        tokio::time::sleep_until(start + Duration::from_millis(due)).await;
        if plan.polls.since_last() > plan.max_poll_interval {
            tracing::warn!(
                "group {}: no poll within max.poll.interval.ms ({} ms); leaving the group",
                plan.group_id,
                plan.max_poll_interval.as_millis()
            );
            if let Some((c, _)) = conn.as_mut() {
                leave(c, &versions, &plan).await;
            }
            return HeartbeatEvent::PollTimeout;
        }
        if timer.session_expired(now_ms()) {
            return HeartbeatEvent::Lost("no heartbeat succeeded within session.timeout.ms".into());
        }
        if conn.is_none() {
            match BrokerConnection::open(&addr, &settings).await {
                Ok(c) => match c.version_for(&versions, ApiKey::Heartbeat) {
                    Ok(v) => conn = Some((c, v)),
                    Err(e) => return HeartbeatEvent::Lost(e.to_string()),
                },
                Err(e) => return HeartbeatEvent::Lost(e.to_string()),
            }
        }
        let Some((c, version)) = conn.as_mut() else {
            continue;
        };
        timer.sent(now_ms());
        match c.conn.request(*version, &request).await {
            Ok(Response::Heartbeat(r)) => {
                let code = ErrorCode(r.error_code);
                if code == ErrorCode::NONE {
                    timer.answered(now_ms());
                } else if code.is_retriable()
                    && !matches!(
                        code,
                        ErrorCode::NOT_COORDINATOR | ErrorCode::COORDINATOR_NOT_AVAILABLE
                    )
                {
                    tracing::debug!("group {}: heartbeat: {code}", plan.group_id);
                } else {
                    return HeartbeatEvent::Error(code);
                }
            }
            Ok(_) => return HeartbeatEvent::Lost("heartbeat answered with another type".into()),
            Err(e) => return HeartbeatEvent::Lost(e.to_string()),
        }
    }
}
