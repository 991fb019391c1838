//! The controller-to-broker channel: one task per live broker with its own queue, so a slow
//! or unreachable broker never holds up the controller's event loop or the other brokers.
//!
//! The task connects to the broker's inter-broker (PLAINTEXT) endpoint, asks ApiVersions once
//! per connection and sends each request at the highest version both sides know, rewriting
//! it for that version. A request that fails (connection refused, reset, timeout) is sent
//! again on a new connection after a growing pause, until it is answered or the controller
//! drops the channel (the broker left; a re-registration gets a new channel and a full
//! resend). StopReplica answers come back to the event loop as [`Ack`]s: topic deletion waits
//! for them.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::decisions::LiveBroker;
use super::requests::{leader_and_isr_for, stop_replica_for, update_metadata_for};
use crate::net::{Connection, ConnectionSettings, NetError};
use crate::protocol::codec::ApiMessage;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::{
    ApiKey, ApiVersionsRequest, LeaderAndIsrRequest, Response, StopReplicaRequest,
    UpdateMetadataRequest,
};
use crate::types::HostPort;

/// A request for one broker.
#[derive(Debug, Clone)]
pub enum Outgoing {
    LeaderAndIsr(LeaderAndIsrRequest),
    UpdateMetadata(UpdateMetadataRequest),
    /// Deleting `topic`'s replicas: its answer is reported as an [`Ack`].
    StopReplica {
        request: StopReplicaRequest,
        topic: String,
    },
}

/// A broker's answer to a StopReplica of a topic deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub broker: i32,
    pub broker_epoch: i64,
    pub topic: String,
    /// The request and every partition succeeded.
    pub ok: bool,
}

/// The queue to one broker; dropping it stops its task.
#[derive(Debug)]
pub struct BrokerChannel {
    pub epoch: i64,
    tx: mpsc::UnboundedSender<Outgoing>,
    task: JoinHandle<()>,
}

impl BrokerChannel {
    /// Starts the task for `broker`; None when it advertises no endpoint.
    pub fn start(
        broker: &LiveBroker,
        settings: ConnectionSettings,
        backoff: Duration,
        acks: mpsc::UnboundedSender<Ack>,
    ) -> Option<BrokerChannel> {
        let e = broker.plaintext()?;
        let addr = HostPort {
            host: e.host.clone(),
            port: e.port,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let target = Target {
            id: broker.id,
            epoch: broker.epoch,
            addr,
            settings,
            backoff,
        };
        let task = tokio::spawn(run(target, rx, acks));
        Some(BrokerChannel {
            epoch: broker.epoch,
            tx,
            task,
        })
    }

    /// Queues a request (never waits).
    pub fn send(&self, request: Outgoing) {
        // A closed queue means the task ended with the channel: nothing left to tell.
        let _ = self.tx.send(request);
    }
}

impl Drop for BrokerChannel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Target {
    id: i32,
    epoch: i64,
    addr: HostPort,
    settings: ConnectionSettings,
    backoff: Duration,
}

/// The versions to use with one broker, None for an API it does not serve in a range we know.
#[derive(Debug, Clone, Copy)]
struct Versions {
    leader_and_isr: Option<i16>,
    update_metadata: Option<i16>,
    stop_replica: Option<i16>,
}

const MAX_BACKOFF: Duration = Duration::from_secs(5);

async fn run(
    target: Target,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    acks: mpsc::UnboundedSender<Ack>,
) {
    let mut conn: Option<(Connection, Versions)> = None;
    while let Some(item) = rx.recv().await {
        let mut delay = target.backoff;
        loop {
            if conn.is_none() {
                match connect(&target).await {
                    Ok(c) => conn = Some(c),
                    Err(e) => {
                        tracing::debug!("controller: broker {} unreachable: {e}", target.id);
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(MAX_BACKOFF);
                        continue;
                    }
                }
            }
            let Some((c, versions)) = conn.as_mut() else {
                continue;
            };
            match send_one(c, *versions, &item).await {
                Ok(Some(response)) => {
                    report(&target, &item, &response, &acks);
                    break;
                }
                Ok(None) => {
                    tracing::warn!(
                        "controller: broker {} serves no version of this request; dropped",
                        target.id
                    );
                    break;
                }
                Err(e) => {
                    tracing::debug!("controller: request to broker {} failed: {e}", target.id);
                    conn = None;
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

async fn connect(target: &Target) -> Result<(Connection, Versions), NetError> {
    let mut c = Connection::connect(&target.addr, target.settings.clone()).await?;
    let response = c.request(0, &ApiVersionsRequest::default()).await?;
    let pick = |key: ApiKey| -> Option<i16> {
        let Response::ApiVersions(r) = &response else {
            return None;
        };
        if r.error_code != 0 {
            return None;
        }
        let theirs = r.api_keys.iter().find(|k| k.api_key == key.key())?;
        let (min, max) = key.valid_versions();
        let v = max.min(theirs.max_version);
        (v >= min.max(theirs.min_version)).then_some(v)
    };
    let versions = Versions {
        leader_and_isr: pick(ApiKey::LeaderAndIsr),
        update_metadata: pick(ApiKey::UpdateMetadata),
        stop_replica: pick(ApiKey::StopReplica),
    };
    Ok((c, versions))
}

/// Sends one request; Ok(None) when the broker serves no usable version of it.
async fn send_one(
    c: &mut Connection,
    v: Versions,
    item: &Outgoing,
) -> Result<Option<Response>, NetError> {
    Ok(Some(match item {
        Outgoing::LeaderAndIsr(r) => {
            let Some(version) = v.leader_and_isr else {
                return Ok(None);
            };
            c.request(version, &leader_and_isr_for(r, version)).await?
        }
        Outgoing::UpdateMetadata(r) => {
            let Some(version) = v.update_metadata else {
                return Ok(None);
            };
            c.request(version, &update_metadata_for(r, version)).await?
        }
        Outgoing::StopReplica { request, .. } => {
            let Some(version) = v.stop_replica else {
                return Ok(None);
            };
            c.request(version, &stop_replica_for(request, version))
                .await?
        }
    }))
}

fn report(
    target: &Target,
    item: &Outgoing,
    response: &Response,
    acks: &mpsc::UnboundedSender<Ack>,
) {
    let (api, error, partition_errors): (ApiKey, i16, Vec<i16>) = match response {
        Response::LeaderAndIsr(r) => (
            LeaderAndIsrRequest::API_KEY,
            r.error_code,
            r.partition_errors
                .iter()
                .chain(r.topics.iter().flat_map(|t| t.partition_errors.iter()))
                .map(|e| e.error_code)
                .collect(),
        ),
        Response::UpdateMetadata(r) => (UpdateMetadataRequest::API_KEY, r.error_code, vec![]),
        Response::StopReplica(r) => (
            StopReplicaRequest::API_KEY,
            r.error_code,
            r.partition_errors.iter().map(|e| e.error_code).collect(),
        ),
        other => (other.api_key(), 0, vec![]),
    };
    let ok = error == 0 && partition_errors.iter().all(|e| *e == 0);
    if !ok {
        tracing::warn!(
            "controller: broker {} answered {api:?} with error {} ({} partition errors)",
            target.id,
            ErrorCode(error),
            partition_errors.iter().filter(|e| **e != 0).count()
        );
    }
    if let Outgoing::StopReplica { topic, .. } = item {
        let _ = acks.send(Ack {
            broker: target.id,
            broker_epoch: target.epoch,
            topic: topic.clone(),
            ok,
        });
    }
}
