//! The broker's TCP server: binds the listeners, admits connections within
//! `max.connections`/`max.connections.per.ip`, runs one task per connection
//! ([`crate::broker::connection`]) and shuts down gracefully: stop accepting, let every
//! connection finish the requests it already read, then close.
//!
//! [`BrokerNetSettings`] carries the network keys under Kafka's names and defaults.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::broker::connection::{ConnectionShared, serve_connection};
use crate::broker::handlers::BrokerContext;
use crate::broker::limits::ConnectionLimits;
use crate::config::resolve::ResolvedConfig;
use crate::protocol::frame::DEFAULT_MAX_REQUEST_BYTES;

/// One `NAME://host:port` entry of `listeners`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerSpec {
    /// The listener name; only `PLAINTEXT` is served so far.
    pub name: String,
    /// Host to bind; empty means all interfaces.
    pub host: String,
    /// Port; 0 picks a free one (tests).
    pub port: u16,
}

/// Network settings, with Kafka's key names in the docs and Kafka's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerNetSettings {
    /// `listeners` (default `PLAINTEXT://:9092`).
    pub listeners: Vec<ListenerSpec>,
    /// `socket.request.max.bytes`: largest request frame body, in bytes (100 MiB).
    pub socket_request_max_bytes: usize,
    /// `max.connections`: connections admitted in total (unlimited).
    pub max_connections: usize,
    /// `max.connections.per.ip`: connections admitted from one address (unlimited).
    pub max_connections_per_ip: usize,
    /// `connections.max.idle.ms`: a connection with no traffic and no request in progress for
    /// this long is closed (10 minutes); `None` (a negative value) never closes.
    pub connections_max_idle: Option<Duration>,
    /// `queued.max.requests`: requests read but not yet handled, across all connections (500);
    /// when reached, connections stop reading.
    pub queued_max_requests: usize,
}

impl Default for BrokerNetSettings {
    fn default() -> Self {
        BrokerNetSettings {
            listeners: vec![ListenerSpec {
                name: "PLAINTEXT".into(),
                host: String::new(),
                port: 9092,
            }],
            socket_request_max_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_connections: i32::MAX as usize,
            max_connections_per_ip: i32::MAX as usize,
            connections_max_idle: Some(Duration::from_millis(600_000)),
            queued_max_requests: 500,
        }
    }
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("listeners: '{entry}' is not NAME://host:port")]
    BadListener { entry: String },
    #[error("listeners: '{name}' is not supported yet (only PLAINTEXT)")]
    UnsupportedListener { name: String },
    #[error("listeners: no listener given")]
    NoListener,
    #[error("{key}: {value} is out of range")]
    OutOfRange { key: &'static str, value: i64 },
}

/// Parses a `listeners`/`advertised.listeners` value: comma-separated `NAME://host:port`,
/// IPv6 hosts in brackets, empty host allowed.
pub fn parse_listeners(value: &str) -> Result<Vec<ListenerSpec>, SettingsError> {
    let mut out = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let bad = || SettingsError::BadListener {
            entry: entry.to_owned(),
        };
        let (name, addr) = entry.split_once("://").ok_or_else(bad)?;
        let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.strip_suffix(']').ok_or_else(bad)?,
            None => host,
        };
        let port = port.parse::<u16>().map_err(|_| bad())?;
        if name.is_empty() {
            return Err(bad());
        }
        if name != "PLAINTEXT" {
            return Err(SettingsError::UnsupportedListener {
                name: name.to_owned(),
            });
        }
        out.push(ListenerSpec {
            name: name.to_owned(),
            host: host.to_owned(),
            port,
        });
    }
    if out.is_empty() {
        return Err(SettingsError::NoListener);
    }
    Ok(out)
}

impl BrokerNetSettings {
    /// The settings from a resolved broker configuration (keys missing there keep Kafka's
    /// defaults).
    pub fn from_config(config: &ResolvedConfig) -> Result<BrokerNetSettings, SettingsError> {
        let mut s = BrokerNetSettings::default();
        if let Some(v) = config.get_string("listeners") {
            s.listeners = parse_listeners(v)?;
        }
        let count = |key: &'static str, default: usize| -> Result<usize, SettingsError> {
            match config.get_int(key) {
                Some(v) => usize::try_from(v).map_err(|_| SettingsError::OutOfRange {
                    key,
                    value: i64::from(v),
                }),
                None => Ok(default),
            }
        };
        s.socket_request_max_bytes = count("socket.request.max.bytes", s.socket_request_max_bytes)?;
        s.max_connections = count("max.connections", s.max_connections)?;
        s.max_connections_per_ip = count("max.connections.per.ip", s.max_connections_per_ip)?;
        s.queued_max_requests = count("queued.max.requests", s.queued_max_requests)?.max(1);
        if let Some(ms) = config.get_long("connections.max.idle.ms") {
            s.connections_max_idle = u64::try_from(ms).ok().map(Duration::from_millis);
        }
        Ok(s)
    }
}

/// A listener the server bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundListener {
    pub name: String,
    /// The address really bound (the chosen port when the spec said 0).
    pub addr: SocketAddr,
}

/// Failure to start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot bind listener {name} to {host}:{port}: {source}")]
    Bind {
        name: String,
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
}

/// A running broker network server. Dropping it also begins shutdown (connections finish
/// what they read, in the background); [`BrokerServer::shutdown`] waits for that.
#[derive(Debug)]
pub struct BrokerServer {
    listeners: Vec<BoundListener>,
    limits: Arc<ConnectionLimits>,
    stop: watch::Sender<bool>,
    acceptors: Vec<JoinHandle<()>>,
}

impl BrokerServer {
    /// Binds every listener and starts accepting. Must run inside a tokio runtime.
    pub async fn start(
        settings: BrokerNetSettings,
        ctx: BrokerContext,
    ) -> Result<BrokerServer, ServerError> {
        let mut bound = Vec::new();
        for spec in &settings.listeners {
            let host = if spec.host.is_empty() {
                "0.0.0.0"
            } else {
                spec.host.as_str()
            };
            let bind_err = |source| ServerError::Bind {
                name: spec.name.clone(),
                host: spec.host.clone(),
                port: spec.port,
                source,
            };
            let listener = TcpListener::bind((host, spec.port))
                .await
                .map_err(bind_err)?;
            let addr = listener.local_addr().map_err(bind_err)?;
            bound.push((
                BoundListener {
                    name: spec.name.clone(),
                    addr,
                },
                listener,
            ));
        }
        let limits =
            ConnectionLimits::new(settings.max_connections, settings.max_connections_per_ip);
        let shared = Arc::new(ConnectionShared {
            ctx,
            queue: Arc::new(Semaphore::new(settings.queued_max_requests.max(1))),
            settings,
        });
        let (stop, _) = watch::channel(false);
        let mut listeners = Vec::new();
        let mut acceptors = Vec::new();
        for (info, listener) in bound {
            tracing::info!(listener = %info.name, addr = %info.addr, "broker listening");
            acceptors.push(tokio::spawn(accept_loop(
                listener,
                Arc::clone(&shared),
                Arc::clone(&limits),
                stop.subscribe(),
            )));
            listeners.push(info);
        }
        Ok(BrokerServer {
            listeners,
            limits,
            stop,
            acceptors,
        })
    }

    /// The bound listeners, in `listeners` order.
    pub fn listeners(&self) -> &[BoundListener] {
        &self.listeners
    }

    /// The first listener's bound address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listeners.first().map(|l| l.addr)
    }

    /// Live connections in total and from `ip`.
    pub fn connection_count(&self, ip: std::net::IpAddr) -> (usize, usize) {
        self.limits.count(ip)
    }

    /// Stops accepting, lets every connection answer the requests it has already read, closes
    /// them, and returns when all are closed.
    pub async fn shutdown(self) {
        // Receivers also see a dropped sender as the signal; send cannot fail while ours exist.
        let _ = self.stop.send(true);
        for a in self.acceptors {
            if let Err(e) = a.await {
                tracing::warn!(error = %e, "broker acceptor ended abnormally");
            }
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<ConnectionShared>,
    limits: Arc<ConnectionLimits>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => match limits.try_acquire(peer.ip()) {
                    Ok(permit) => {
                        let shared = Arc::clone(&shared);
                        let stop = stop.clone();
                        connections.spawn(async move {
                            serve_connection(stream, peer, shared, stop).await;
                            drop(permit);
                        });
                    }
                    Err(refused) => {
                        tracing::debug!(%peer, %refused, "connection refused");
                        drop(stream);
                    }
                },
                Err(e) => {
                    // Running out of descriptors and similar are transient: back off briefly
                    // instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            // reap finished connections so the set does not grow with history
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_parse() {
        assert_eq!(
            parse_listeners("PLAINTEXT://:9092").unwrap(),
            vec![ListenerSpec {
                name: "PLAINTEXT".into(),
                host: String::new(),
                port: 9092
            }]
        );
        let v = parse_listeners("PLAINTEXT://[::1]:0, PLAINTEXT://127.0.0.1:1").unwrap();
        assert_eq!((v[0].host.as_str(), v[0].port), ("::1", 0));
        assert_eq!((v[1].host.as_str(), v[1].port), ("127.0.0.1", 1));
        assert!(matches!(
            parse_listeners("SSL://:9093"),
            Err(SettingsError::UnsupportedListener { .. })
        ));
        for bad in [
            "PLAINTEXT://host",
            "host:9092",
            "PLAINTEXT://h:99999",
            "://h:1",
        ] {
            assert!(
                matches!(parse_listeners(bad), Err(SettingsError::BadListener { .. })),
                "{bad}"
            );
        }
        assert_eq!(parse_listeners(" "), Err(SettingsError::NoListener));
    }

    #[test]
    fn settings_from_config_use_kafka_names_and_defaults() {
        let text = "listeners=PLAINTEXT://127.0.0.1:0\nmax.connections.per.ip=3\nconnections.max.idle.ms=-1\n";
        let props = crate::config::Properties::parse(text, "server.properties").unwrap();
        let (config, _) =
            crate::config::resolve(&crate::config::server::BROKER, &props, &[]).unwrap();
        let s = BrokerNetSettings::from_config(&config).unwrap();
        assert_eq!(s.listeners[0].host, "127.0.0.1");
        assert_eq!(s.max_connections_per_ip, 3);
        assert_eq!(s.max_connections, i32::MAX as usize);
        assert_eq!(s.socket_request_max_bytes, 104_857_600);
        assert_eq!(s.queued_max_requests, 500);
        assert_eq!(s.connections_max_idle, None);
        let d = BrokerNetSettings::default();
        assert_eq!(d.connections_max_idle, Some(Duration::from_secs(600)));
    }
}
