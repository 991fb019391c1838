//! The Kafka client: bootstrap from a host list, ApiVersions negotiation per broker, Metadata
//! in client-friendly structs with a cache refreshed after `metadata.max.age.ms`, and one
//! pooled connection per broker, reconnected with backoff. Never imports broker or log: it
//! only speaks the protocol, so it works against any Kafka 0.11..4.x broker.

pub mod admin;
pub mod consumer;
pub mod group;
pub mod group_admin;
pub mod metadata;
pub mod producer;
pub mod settings;
pub mod versions;

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use crate::net::{Connection, NetError};
use crate::protocol::api::{ApiVersionRange, client_versions};
use crate::protocol::codec::ApiRequest;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::{ApiKey, ApiVersionsRequest, Response};
use crate::types::HostPort;

pub use metadata::{BrokerInfo, Metadata, PartitionInfo, TopicInfo};
pub use settings::ClientSettings;
pub use versions::{ApiVersionsOutcome, NodeApiVersions};

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Net(#[from] NetError),
    /// Every bootstrap server failed; one error per server, in list order.
    #[error("no bootstrap server reachable: {}", join_errors(.errors))]
    NoBrokerReachable { errors: Vec<ClientError> },
    #[error("broker {addr} answered ApiVersions with error {code}")]
    ApiVersions { addr: String, code: ErrorCode },
    #[error("broker {addr} supports no {api:?} version rkafka knows")]
    NoCommonVersion { addr: String, api: ApiKey },
    #[error("broker {addr} answered {api:?} with a different response type")]
    UnexpectedResponse { addr: String, api: ApiKey },
    #[error("broker {id} is not in the cluster metadata")]
    UnknownBroker { id: i32 },
    #[error("no bootstrap servers given")]
    NoBootstrapServers,
}

fn join_errors(errors: &[ClientError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A connection whose API versions have been negotiated.
#[derive(Debug)]
pub struct BrokerConnection {
    pub conn: Connection,
    pub versions: NodeApiVersions,
}

impl BrokerConnection {
    /// Connects to `addr` and negotiates versions: ApiVersions v3 first, then the broker's
    /// highest if it answers UNSUPPORTED_VERSION.
    pub async fn open(addr: &HostPort, settings: &ClientSettings) -> Result<Self, ClientError> {
        let mut conn = Connection::connect(addr, settings.connection()).await?;
        let (_, client_max) = ApiKey::ApiVersions.valid_versions();
        let mut version = versions::FIRST_API_VERSIONS_VERSION.min(client_max);
        let request = ApiVersionsRequest {
            client_software_name: "rkafka".to_string(),
            client_software_version: env!("CARGO_PKG_VERSION").to_string(),
            ..ApiVersionsRequest::default()
        };
        // Each retry asks a strictly lower version, so this ends after at most v+1 rounds.
        loop {
            let response = conn.request(version, &request).await?;
            let Response::ApiVersions(body) = response else {
                return Err(ClientError::UnexpectedResponse {
                    addr: conn.addr().to_string(),
                    api: ApiKey::ApiVersions,
                });
            };
            match versions::interpret(&body, version) {
                ApiVersionsOutcome::Table(versions) => {
                    return Ok(BrokerConnection { conn, versions });
                }
                ApiVersionsOutcome::RetryWith(v) => version = v,
                ApiVersionsOutcome::Failed(code) => {
                    return Err(ClientError::ApiVersions {
                        addr: conn.addr().to_string(),
                        code,
                    });
                }
            }
        }
    }

    /// The version to use for `api`, or an error naming the broker.
    pub fn version_for(&self, client: &[ApiVersionRange], api: ApiKey) -> Result<i16, ClientError> {
        self.versions
            .usable(client, api)
            .ok_or_else(|| ClientError::NoCommonVersion {
                addr: self.conn.addr().to_string(),
                api,
            })
    }

    /// Fetches metadata for `topics` (`None`: all topics).
    pub async fn metadata(
        &mut self,
        client: &[ApiVersionRange],
        topics: Option<&[String]>,
    ) -> Result<Metadata, ClientError> {
        let version = self.version_for(client, ApiKey::Metadata)?;
        let request = metadata::request(version, topics);
        let response = self.conn.request(version, &request).await?;
        match response {
            Response::Metadata(body) => Ok(Metadata::from_response(body)),
            _ => Err(ClientError::UnexpectedResponse {
                addr: self.conn.addr().to_string(),
                api: ApiKey::Metadata,
            }),
        }
    }
}

/// A client of one cluster.
pub struct Client {
    settings: ClientSettings,
    client_versions: Vec<ApiVersionRange>,
    /// Pooled connections by broker id; the bootstrap connection is kept under its id too.
    pool: HashMap<i32, BrokerConnection>,
    /// The connection used before broker ids are known, and for metadata.
    bootstrap: Option<BrokerConnection>,
    metadata: Option<(Metadata, Instant)>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("bootstrap_servers", &self.settings.bootstrap_servers)
            .field("pooled", &self.pool.len())
            .finish()
    }
}

impl Client {
    /// A client that connects lazily.
    pub fn new(settings: ClientSettings) -> Self {
        Client {
            settings,
            client_versions: client_versions(),
            pool: HashMap::new(),
            bootstrap: None,
            metadata: None,
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// The API versions this client knows (the spec ranges).
    pub fn client_versions(&self) -> &[ApiVersionRange] {
        &self.client_versions
    }

    /// Connects to the first reachable bootstrap server, trying each in list order.
    async fn bootstrap_connection(&mut self) -> Result<&mut BrokerConnection, ClientError> {
        if self.bootstrap.is_none() {
            if self.settings.bootstrap_servers.is_empty() {
                return Err(ClientError::NoBootstrapServers);
            }
            let mut errors = Vec::new();
            for addr in &self.settings.bootstrap_servers {
                match BrokerConnection::open(addr, &self.settings).await {
                    Ok(c) => {
                        self.bootstrap = Some(c);
                        break;
                    }
                    Err(e) => errors.push(e),
                }
            }
            if self.bootstrap.is_none() {
                return Err(ClientError::NoBrokerReachable { errors });
            }
        }
        self.bootstrap
            .as_mut()
            .ok_or(ClientError::NoBootstrapServers)
    }

    /// Cluster metadata for all topics, from the cache unless older than
    /// `metadata.max.age.ms`. One retry after `retry.backoff.ms` on a failed connection.
    pub async fn metadata(&mut self) -> Result<Metadata, ClientError> {
        if let Some((m, at)) = &self.metadata
            && at.elapsed() < self.settings.metadata_max_age
        {
            return Ok(m.clone());
        }
        self.refresh_metadata().await
    }

    /// Fetches metadata now and caches it.
    pub async fn refresh_metadata(&mut self) -> Result<Metadata, ClientError> {
        let versions = self.client_versions.clone();
        let first = self
            .bootstrap_connection()
            .await?
            .metadata(&versions, None)
            .await;
        let m = match first {
            Ok(m) => m,
            Err(ClientError::Net(_)) => {
                // The connection is broken; reconnect once (possibly to another server).
                self.bootstrap = None;
                tokio::time::sleep(self.settings.retry_backoff).await;
                self.bootstrap_connection()
                    .await?
                    .metadata(&versions, None)
                    .await?
            }
            Err(e) => return Err(e),
        };
        self.metadata = Some((m.clone(), Instant::now()));
        Ok(m)
    }

    /// Fetches metadata for `topics` now, letting the broker create missing ones when
    /// `auto_create` (as producers ask; the broker's auto.create.topics.enable decides), and
    /// caches it. One reconnect after `retry.backoff.ms` on a failed connection.
    pub async fn topic_metadata(
        &mut self,
        topics: &[String],
        auto_create: bool,
    ) -> Result<Metadata, ClientError> {
        let versions = self.client_versions.clone();
        let mut attempt = 0;
        loop {
            let conn = self.bootstrap_connection().await?;
            let version = conn.version_for(&versions, ApiKey::Metadata)?;
            let mut request = metadata::request(version, Some(topics));
            request.allow_auto_topic_creation = auto_create;
            let result = conn.conn.request(version, &request).await;
            match result {
                Ok(Response::Metadata(body)) => {
                    let m = Metadata::from_response(body);
                    self.metadata = Some((m.clone(), Instant::now()));
                    return Ok(m);
                }
                Ok(_) => {
                    return Err(ClientError::UnexpectedResponse {
                        addr: conn.conn.addr().to_string(),
                        api: ApiKey::Metadata,
                    });
                }
                Err(e) if attempt > 0 => return Err(e.into()),
                Err(_) => {
                    self.bootstrap = None;
                    attempt += 1;
                    tokio::time::sleep(self.settings.retry_backoff).await;
                }
            }
        }
    }

    /// The pooled connection to broker `id`, opened (with reconnect backoff, three attempts)
    /// from the cached metadata if needed.
    pub async fn broker(&mut self, id: i32) -> Result<&mut BrokerConnection, ClientError> {
        if !self.pool.contains_key(&id) {
            let metadata = self.metadata().await?;
            let info = metadata
                .brokers
                .iter()
                .find(|b| b.id == id)
                .ok_or(ClientError::UnknownBroker { id })?;
            let addr = info.addr();
            let mut attempt = 0;
            let conn = loop {
                match BrokerConnection::open(&addr, &self.settings).await {
                    Ok(c) => break c,
                    Err(e) if attempt >= 2 => return Err(e),
                    Err(_) => {
                        tokio::time::sleep(self.settings.reconnect_pause(attempt)).await;
                        attempt += 1;
                    }
                }
            };
            self.pool.insert(id, conn);
        }
        self.pool
            .get_mut(&id)
            .ok_or(ClientError::UnknownBroker { id })
    }

    /// A connection to broker `id` for the caller to own (taken out of the pool, opened if
    /// needed), e.g. for a task that keeps a request in flight while others use the client.
    pub async fn take_broker(&mut self, id: i32) -> Result<BrokerConnection, ClientError> {
        self.broker(id).await?;
        self.pool
            .remove(&id)
            .ok_or(ClientError::UnknownBroker { id })
    }

    /// Drops the pooled connection to `id` (after an error), so the next use reconnects.
    pub fn forget(&mut self, id: i32) {
        self.pool.remove(&id);
    }

    /// Sends one request to broker `id` at the highest version both sides support (`build`
    /// gets that version), reconnecting once after `retry.backoff.ms` when the connection
    /// broke. Returns the version used and the response.
    pub async fn send_to<M: ApiRequest>(
        &mut self,
        id: i32,
        api: ApiKey,
        build: impl Fn(i16) -> M,
    ) -> Result<(i16, Response), ClientError> {
        let first = self.send_once(id, api, &build).await;
        match first {
            Err(ClientError::Net(_)) => {
                self.forget(id);
                tokio::time::sleep(self.settings.retry_backoff).await;
                self.send_once(id, api, &build).await
            }
            other => other,
        }
    }

    async fn send_once<M: ApiRequest>(
        &mut self,
        id: i32,
        api: ApiKey,
        build: impl FnOnce(i16) -> M,
    ) -> Result<(i16, Response), ClientError> {
        let versions = self.client_versions.clone();
        let conn = self.broker(id).await?;
        let version = conn.version_for(&versions, api)?;
        let response = conn.conn.request(version, &build(version)).await?;
        Ok((version, response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_dead_bootstrap_servers_are_named() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let settings = ClientSettings {
            bootstrap_servers: HostPort::parse_list("127.0.0.1:1 127.0.0.1:2").unwrap(),
            ..ClientSettings::default()
        };
        let mut client = Client::new(settings);
        let err = rt.block_on(client.metadata()).unwrap_err();
        let text = err.to_string();
        assert!(matches!(&err, ClientError::NoBrokerReachable { errors } if errors.len() == 2));
        assert!(
            text.contains("127.0.0.1:1") && text.contains("127.0.0.1:2"),
            "{text}"
        );
    }

    /// A fake broker that knows ApiVersions only up to v2: it answers v3 with error 35 and
    /// its table in a v0 body, and v2 with its table; it records the versions asked.
    async fn old_broker(asked: tokio::sync::mpsc::UnboundedSender<i16>) -> HostPort {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            loop {
                let mut len = [0u8; 4];
                if s.read_exact(&mut len).await.is_err() {
                    return;
                }
                let mut req = vec![0u8; i32::from_be_bytes(len) as usize];
                s.read_exact(&mut req).await.unwrap();
                let version = i16::from_be_bytes([req[2], req[3]]);
                asked.send(version).unwrap();
                let mut body = req[4..8].to_vec();
                let table: &[(i16, i16, i16)] = &[(3, 0, 1), (18, 0, 2)];
                body.extend_from_slice(&(if version > 2 { 35i16 } else { 0 }).to_be_bytes());
                body.extend_from_slice(&(table.len() as i32).to_be_bytes());
                for (k, min, max) in table {
                    for v in [k, min, max] {
                        body.extend_from_slice(&v.to_be_bytes());
                    }
                }
                if (1..=2).contains(&version) {
                    body.extend_from_slice(&0i32.to_be_bytes());
                }
                s.write_all(&(body.len() as i32).to_be_bytes())
                    .await
                    .unwrap();
                s.write_all(&body).await.unwrap();
            }
        });
        HostPort {
            host: "127.0.0.1".into(),
            port,
        }
    }

    #[test]
    fn unsupported_api_versions_is_retried_with_the_brokers_highest() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let addr = old_broker(tx).await;
            let conn = BrokerConnection::open(&addr, &ClientSettings::default())
                .await
                .unwrap();
            assert_eq!(rx.recv().await, Some(3));
            assert_eq!(rx.recv().await, Some(2));
            let client = client_versions();
            assert_eq!(conn.version_for(&client, ApiKey::Metadata).unwrap(), 1);
            assert!(matches!(
                conn.version_for(&client, ApiKey::Produce),
                Err(ClientError::NoCommonVersion {
                    api: ApiKey::Produce,
                    ..
                })
            ));
        });
    }
}
