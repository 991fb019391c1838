//! The tokio adaptor of the coordinator: accepts TCP connections, frames bytes, does the
//! handshake and four-letter words, enforces jute.maxbuffer, maxClientCnxns and a bounded
//! outgoing queue per connection, and feeds decoded requests to the [`Engine`].
//!
//! The engine runs on one dedicated OS thread (its fsyncs block); connections talk to it over
//! a bounded channel (back-pressure) and receive their frames over a bounded per-connection
//! queue. A connection whose queue is full is a slow reader and is dropped; its session
//! lives on until it expires or the client resumes it.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, oneshot, watch};

use super::engine::{ConnId, Engine, EngineConfig, Outgoing};
use super::proto::{ConnectRequest, DecodeError, Reader, Request};
use super::sessions::SessionLimits;
use super::store::{Store, StoreError};

/// Everything the coordinator needs, resolved from zookeeper.properties by the caller.
#[derive(Debug, Clone)]
pub struct CoordinatorSettings {
    /// dataDir: snapshots (and the log unless `data_log_dir` is set).
    pub data_dir: PathBuf,
    /// dataLogDir: the transaction log.
    pub data_log_dir: Option<PathBuf>,
    /// clientPortAddress:clientPort; port 0 picks a free port (see [`Coordinator::local_addr`]).
    pub client_addr: SocketAddr,
    /// tickTime, ms.
    pub tick_time_ms: u64,
    /// minSessionTimeout, ms; 0 means 2 x tickTime.
    pub min_session_timeout_ms: u64,
    /// maxSessionTimeout, ms; 0 means 20 x tickTime.
    pub max_session_timeout_ms: u64,
    /// maxClientCnxns: connections per client IP; 0 = unlimited.
    pub max_client_cnxns: u32,
    /// 4lw.commands.whitelist, one word per entry (blanks trimmed); `*` allows every word.
    pub four_letter_whitelist: Vec<String>,
    /// autopurge.snapRetainCount (at least 3 are kept).
    pub snap_retain_count: usize,
    /// autopurge.purgeInterval in hours; 0 disables autopurge.
    pub purge_interval_hours: u64,
    /// jute.maxbuffer: largest accepted frame, bytes.
    pub jute_max_buffer: usize,
    /// zookeeper.extendedTypesEnabled: allow TTL nodes.
    pub extended_types_enabled: bool,
    /// snapCount: log entries between snapshots.
    pub snap_count: u64,
    /// Frames queued for one connection before it counts as a slow reader and is dropped.
    pub max_outgoing_queue: usize,
    /// Bytes queued for one connection before it counts as a slow reader and is dropped.
    pub max_outgoing_bytes: usize,
}

impl Default for CoordinatorSettings {
    /// ZooKeeper's defaults (clientPort 2181, tickTime 3000, maxClientCnxns 60, whitelist srvr).
    fn default() -> Self {
        CoordinatorSettings {
            data_dir: PathBuf::from("/tmp/zookeeper"),
            data_log_dir: None,
            client_addr: SocketAddr::from(([0, 0, 0, 0], 2181)),
            tick_time_ms: 3000,
            min_session_timeout_ms: 0,
            max_session_timeout_ms: 0,
            max_client_cnxns: 60,
            four_letter_whitelist: vec!["srvr".into()],
            snap_retain_count: 3,
            purge_interval_hours: 0,
            jute_max_buffer: 0xfffff,
            extended_types_enabled: false,
            snap_count: 100_000,
            max_outgoing_queue: 10_000,
            max_outgoing_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Why the coordinator could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum CoordinatorError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    #[error("the request engine stopped unexpectedly")]
    EngineGone,
}

enum Inbound {
    Connect {
        conn: ConnId,
        peer: SocketAddr,
        req: ConnectRequest,
        out: ConnOut,
    },
    Request {
        conn: ConnId,
        xid: i32,
        req: Result<Request, DecodeError>,
        received: Instant,
    },
    Disconnected {
        conn: ConnId,
    },
    FourLetter {
        word: String,
        peer: SocketAddr,
        reply: oneshot::Sender<String>,
    },
    Tick,
    Shutdown,
}

/// The engine's end of one connection's outgoing queue.
struct ConnOut {
    tx: mpsc::Sender<Outgoing>,
    /// Wakes the connection's writer to drop it even while a write is stuck.
    kill: Arc<Notify>,
    /// Frame bytes queued and not yet written to the socket.
    queued: Arc<AtomicUsize>,
}

const FOUR_LETTER_WORDS: [&str; 17] = [
    "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srvr", "srst", "stat",
    "wchc", "wchp", "wchs", "mntr", "isro",
];

/// How long a connection may take to send its handshake or four-letter word
/// (ZooKeeper's sessionlessCnxnTimeout).
const SESSIONLESS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A running coordinator.
#[derive(Debug)]
pub struct Coordinator {
    addr: SocketAddr,
    stop_accept: watch::Sender<bool>,
    inbound: mpsc::Sender<Inbound>,
    engine_done: oneshot::Receiver<Result<(), StoreError>>,
}

impl std::fmt::Debug for Inbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inbound")
    }
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Coordinator {
    /// Recovers the data directories, binds the client port and starts serving.
    pub async fn start(settings: CoordinatorSettings) -> Result<Coordinator, CoordinatorError> {
        let (store, recovered) = Store::open(
            &settings.data_dir,
            settings.data_log_dir.as_deref(),
            settings.extended_types_enabled,
        )?;
        let listener = TcpListener::bind(settings.client_addr)
            .await
            .map_err(|source| CoordinatorError::Bind {
                addr: settings.client_addr,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| CoordinatorError::Bind {
                addr: settings.client_addr,
                source,
            })?;
        let limits = SessionLimits::new(
            settings.tick_time_ms,
            settings.min_session_timeout_ms,
            settings.max_session_timeout_ms,
        );
        let conf_lines = vec![
            ("clientPort".into(), addr.port().to_string()),
            ("secureClientPort".into(), "-1".into()),
            (
                "dataDir".into(),
                settings.data_dir.join("version-2").display().to_string(),
            ),
            (
                "dataLogDir".into(),
                settings
                    .data_log_dir
                    .as_ref()
                    .unwrap_or(&settings.data_dir)
                    .join("version-2")
                    .display()
                    .to_string(),
            ),
            ("tickTime".into(), limits.tick_ms.to_string()),
            (
                "maxClientCnxns".into(),
                settings.max_client_cnxns.to_string(),
            ),
            (
                "minSessionTimeout".into(),
                limits.min_timeout_ms.to_string(),
            ),
            (
                "maxSessionTimeout".into(),
                limits.max_timeout_ms.to_string(),
            ),
            ("clientPortListenBacklog".into(), "-1".into()),
            ("serverId".into(), "0".into()),
        ];
        let cfg = EngineConfig {
            limits,
            whitelist: settings
                .four_letter_whitelist
                .iter()
                .map(|w| w.trim().to_ascii_lowercase())
                .filter(|w| !w.is_empty())
                .collect(),
            snap_count: settings.snap_count.max(1),
            snap_retain_count: settings.snap_retain_count,
            purge_interval_ms: settings.purge_interval_hours.saturating_mul(3_600_000),
            conf_lines,
        };
        let start = Instant::now();
        let max_bytes = settings.max_outgoing_bytes.max(settings.jute_max_buffer);
        let engine = Engine::new(cfg, store, recovered, 0, wall_ms());
        let (in_tx, in_rx) = mpsc::channel::<Inbound>(1024);
        let (done_tx, done_rx) = oneshot::channel();
        std::thread::Builder::new()
            .name("zk-engine".into())
            .spawn(move || {
                let r = engine_loop(engine, in_rx, start, max_bytes);
                if let Err(e) = &r {
                    tracing::error!("coordinator engine stopped: {e}");
                }
                let _ = done_tx.send(r);
            })
            .map_err(|source| CoordinatorError::Bind { addr, source })?;

        let tick = std::time::Duration::from_millis((limits.tick_ms / 2).max(10));
        let tick_tx = in_tx.clone();
        tokio::spawn(async move {
            let mut iv = tokio::time::interval(tick);
            loop {
                iv.tick().await;
                if tick_tx.send(Inbound::Tick).await.is_err() {
                    break;
                }
            }
        });

        let (stop_tx, stop_rx) = watch::channel(false);
        let ctx = Arc::new(ConnCtx {
            inbound: in_tx.clone(),
            max_frame: settings.jute_max_buffer,
            queue: settings.max_outgoing_queue.max(1),
            per_ip: Mutex::new(HashMap::new()),
            max_per_ip: settings.max_client_cnxns,
        });
        tokio::spawn(accept_loop(listener, ctx, stop_rx));
        tracing::info!("coordinator listening on {addr}");
        Ok(Coordinator {
            addr,
            stop_accept: stop_tx,
            inbound: in_tx,
            engine_done: done_rx,
        })
    }

    /// The address clients connect to (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Resolves when the engine stopped on its own (a storage failure).
    pub async fn stopped(&mut self) -> Result<(), CoordinatorError> {
        match (&mut self.engine_done).await {
            Ok(r) => r.map_err(CoordinatorError::from),
            Err(_) => Err(CoordinatorError::EngineGone),
        }
    }

    /// Stops accepting, lets the engine make its last batch durable, and closes every
    /// connection. Sessions stay in the log and resume after a restart.
    pub async fn shutdown(self) -> Result<(), CoordinatorError> {
        let _ = self.stop_accept.send(true);
        let _ = self.inbound.send(Inbound::Shutdown).await;
        match self.engine_done.await {
            Ok(r) => r.map_err(CoordinatorError::from),
            Err(_) => Err(CoordinatorError::EngineGone),
        }
    }
}

/// Runs the coordinator until `shutdown` resolves (or storage fails).
pub async fn serve(
    settings: CoordinatorSettings,
    shutdown: impl Future<Output = ()>,
) -> Result<(), CoordinatorError> {
    let mut c = Coordinator::start(settings).await?;
    tokio::select! {
        _ = shutdown => c.shutdown().await,
        r = c.stopped() => r,
    }
}

fn engine_loop(
    mut engine: Engine,
    mut rx: mpsc::Receiver<Inbound>,
    start: Instant,
    max_bytes: usize,
) -> Result<(), StoreError> {
    let mut senders: HashMap<ConnId, ConnOut> = HashMap::new();
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < 512 {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let mut stop = false;
        for m in batch {
            let now = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
            let wall = wall_ms();
            match m {
                Inbound::Connect {
                    conn,
                    peer,
                    req,
                    out,
                } => {
                    senders.insert(conn, out);
                    engine.connect(conn, peer, &req, now, wall)?;
                }
                Inbound::Request {
                    conn,
                    xid,
                    req,
                    received,
                } => {
                    engine.request(conn, xid, req, now, wall)?;
                    engine
                        .record_latency(u64::try_from(received.elapsed().as_millis()).unwrap_or(0));
                }
                Inbound::Disconnected { conn } => {
                    senders.remove(&conn);
                    engine.disconnected(conn);
                }
                Inbound::FourLetter { word, peer, reply } => {
                    let _ = reply.send(engine.four_letter(&word, now, Some(peer)));
                }
                Inbound::Tick => engine.tick(now, wall)?,
                Inbound::Shutdown => stop = true,
            }
        }
        for (conn, out) in engine.commit()? {
            let Some(o) = senders.get(&conn) else {
                continue;
            };
            let bytes = match &out {
                Outgoing::Frame(b) => b.len(),
                Outgoing::Close => 0,
            };
            // Counted before sending so the writer's decrement can never come first.
            let before = o.queued.fetch_add(bytes, Ordering::AcqRel);
            let sent = if before.saturating_add(bytes) > max_bytes {
                Err(true)
            } else {
                match o.tx.try_send(out) {
                    Ok(()) => Ok(()),
                    Err(mpsc::error::TrySendError::Full(_)) => Err(true),
                    Err(mpsc::error::TrySendError::Closed(_)) => Err(false),
                }
            };
            if let Err(slow) = sent {
                o.queued.fetch_sub(bytes, Ordering::AcqRel);
                if slow {
                    tracing::warn!(
                        "connection {conn}: outgoing queue full, dropping the slow reader"
                    );
                    o.kill.notify_one();
                    engine.disconnected(conn);
                }
                senders.remove(&conn);
            }
        }
        if stop {
            break;
        }
    }
    Ok(())
}

struct ConnCtx {
    inbound: mpsc::Sender<Inbound>,
    max_frame: usize,
    queue: usize,
    per_ip: Mutex<HashMap<IpAddr, u32>>,
    max_per_ip: u32,
}

/// Releases a connection's per-IP slot when the connection ends.
struct IpSlot {
    ctx: Arc<ConnCtx>,
    ip: IpAddr,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        if let Ok(mut m) = self.ctx.per_ip.lock() {
            if let Some(n) = m.get_mut(&self.ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    m.remove(&self.ip);
                }
            }
        }
    }
}

async fn accept_loop(listener: TcpListener, ctx: Arc<ConnCtx>, mut stop: watch::Receiver<bool>) {
    let mut next_id: ConnId = 1;
    loop {
        let (stream, peer) = tokio::select! {
            _ = stop.changed() => return,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let ip = peer.ip();
        let admitted = match ctx.per_ip.lock() {
            Ok(mut m) => {
                let n = m.entry(ip).or_insert(0);
                if ctx.max_per_ip != 0 && *n >= ctx.max_per_ip {
                    false
                } else {
                    *n += 1;
                    true
                }
            }
            Err(_) => false,
        };
        if !admitted {
            tracing::warn!(
                "too many connections from {ip} (maxClientCnxns {})",
                ctx.max_per_ip
            );
            drop(stream);
            continue;
        }
        let slot = IpSlot {
            ctx: ctx.clone(),
            ip,
        };
        let conn = next_id;
        next_id += 1;
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, peer, conn, ctx.clone(), slot));
    }
}

/// Reads one length-prefixed frame; None on EOF, error, or a length outside 0..=max.
async fn read_frame(rd: &mut OwnedReadHalf, max: usize) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    rd.read_exact(&mut len).await.ok()?;
    frame_body(rd, i32::from_be_bytes(len), max).await
}

async fn frame_body(rd: &mut OwnedReadHalf, len: i32, max: usize) -> Option<Vec<u8>> {
    let len = usize::try_from(len).ok()?;
    if len > max {
        tracing::warn!("closing connection: frame of {len} bytes exceeds jute.maxbuffer {max}");
        return None;
    }
    let mut buf = vec![0u8; len];
    rd.read_exact(&mut buf).await.ok()?;
    Some(buf)
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    conn: ConnId,
    ctx: Arc<ConnCtx>,
    _slot: IpSlot,
) {
    let (mut rd, mut wr) = stream.into_split();
    let mut first = [0u8; 4];
    if !matches!(
        tokio::time::timeout(SESSIONLESS_TIMEOUT, rd.read_exact(&mut first)).await,
        Ok(Ok(_))
    ) {
        return;
    }
    if let Some(word) = std::str::from_utf8(&first)
        .ok()
        .filter(|w| FOUR_LETTER_WORDS.contains(w))
    {
        let (tx, rx) = oneshot::channel();
        let msg = Inbound::FourLetter {
            word: word.to_string(),
            peer,
            reply: tx,
        };
        if ctx.inbound.send(msg).await.is_ok() {
            if let Ok(text) = rx.await {
                let _ = wr.write_all(text.as_bytes()).await;
            }
        }
        let _ = wr.shutdown().await;
        return;
    }
    let handshake = frame_body(&mut rd, i32::from_be_bytes(first), ctx.max_frame);
    let Ok(Some(payload)) = tokio::time::timeout(SESSIONLESS_TIMEOUT, handshake).await else {
        return;
    };
    let Ok(req) = ConnectRequest::read(&mut Reader::new(&payload)) else {
        tracing::warn!("{peer}: malformed ConnectRequest, closing");
        return;
    };
    let (out_tx, out_rx) = mpsc::channel(ctx.queue);
    let (done_tx, mut done_rx) = oneshot::channel::<()>();
    let out = ConnOut {
        tx: out_tx,
        kill: Arc::new(Notify::new()),
        queued: Arc::new(AtomicUsize::new(0)),
    };
    tokio::spawn(writer(
        wr,
        out_rx,
        done_tx,
        out.kill.clone(),
        out.queued.clone(),
    ));
    if ctx
        .inbound
        .send(Inbound::Connect {
            conn,
            peer,
            req,
            out,
        })
        .await
        .is_err()
    {
        return;
    }
    loop {
        let payload = tokio::select! {
            _ = &mut done_rx => break,
            f = read_frame(&mut rd, ctx.max_frame) => match f {
                Some(p) => p,
                None => break,
            },
        };
        let received = Instant::now();
        let mut r = Reader::new(&payload);
        let (Ok(xid), Ok(opcode)) = (r.i32("xid"), r.i32("type")) else {
            break;
        };
        let req = Request::read(opcode, &mut r);
        let fatal = matches!(&req, Err(e) if !matches!(e, DecodeError::UnknownOp(_)));
        let msg = Inbound::Request {
            conn,
            xid,
            req,
            received,
        };
        if ctx.inbound.send(msg).await.is_err() || fatal {
            break;
        }
    }
    let _ = ctx.inbound.send(Inbound::Disconnected { conn }).await;
}

async fn writer(
    wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Outgoing>,
    done: oneshot::Sender<()>,
    kill: Arc<Notify>,
    queued: Arc<AtomicUsize>,
) {
    let mut w = BufWriter::new(wr);
    let pump = async {
        while let Some(out) = rx.recv().await {
            match out {
                Outgoing::Frame(b) => {
                    let len = u32::try_from(b.len()).unwrap_or(u32::MAX);
                    if w.write_all(&len.to_be_bytes()).await.is_err()
                        || w.write_all(&b).await.is_err()
                    {
                        return;
                    }
                    queued.fetch_sub(b.len(), Ordering::AcqRel);
                    if rx.is_empty() && w.flush().await.is_err() {
                        return;
                    }
                }
                Outgoing::Close => {
                    let _ = w.flush().await;
                    return;
                }
            }
        }
        let _ = w.flush().await;
    };
    // A killed connection (slow reader) is dropped at once, even in the middle of a write
    // the peer never reads.
    tokio::select! {
        _ = pump => {}
        _ = kill.notified() => {}
    }
    let _ = w.shutdown().await;
    let _ = done.send(());
}
