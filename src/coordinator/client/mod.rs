//! The async ZooKeeper client used by rkafka's brokers and tools; it talks to rkafka's
//! coordinator and to real Apache ZooKeeper alike.
//!
//! [`ZkClient`] is a cheap cloneable handle; one background task owns the connection (see
//! [`conn`]). Requests are pipelined (replies come back in order), the session survives a lost
//! connection (the task reconnects to another host of the connect string with the session id
//! and password, and re-arms watches with setWatches), and the end of a session is reported
//! once: calls fail with [`ZkError::SessionExpired`] or [`ZkError::Closed`] afterwards. Watch
//! notifications and session state changes arrive on the [`Events`] stream. A chroot in the
//! connect string (`h1:2181,h2:2181/kafka`) is applied to every outgoing path and stripped
//! from every path that comes back.
//!
//! | module     | owns |
//! |------------|------|
//! | [`state`]  | connect strings, chroot mapping, xid queue, watch registry, host ring, timers (pure) |
//! | [`codec`]  | request bodies, reply decoding, [`ZkError`], events and multi types (pure) |
//! | [`conn`]   | the tokio task: handshake, pipelining, pings, reconnect, notifications |

pub mod codec;
pub mod conn;
pub mod state;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};

pub use self::codec::{ClientInfo, EventKind, KeeperState, Op, OpResult, WatchedEvent, ZkError};
use self::conn::{Call, Command, RawReply, TaskSettings, WatchReg};
use self::state::{Chroot, ConnectString, HostRing, WatchKind, validate_path};
pub use crate::coordinator::proto::{Acl, CreateMode, Stat};
use crate::coordinator::proto::{Code, op, xid};

/// How to connect. Durations are wall-clock.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `host:port[,host:port...][/chroot]`; hosts may also be separated by spaces.
    pub connect_string: String,
    /// Session timeout asked of the server (it clamps it to its min/max).
    pub session_timeout: Duration,
    /// How long [`ZkClient::connect`] waits for the first session.
    pub connect_timeout: Duration,
    /// How long one request may wait for its reply before failing with OperationTimeout.
    pub request_timeout: Duration,
    /// Largest reply frame accepted, bytes (jute.maxbuffer on the client side).
    pub max_frame_bytes: usize,
}

impl ClientConfig {
    /// Defaults: 30 s session (the Java client's usual), 30 s connect and request timeouts,
    /// 4 MiB frames.
    pub fn new(connect_string: impl Into<String>) -> ClientConfig {
        ClientConfig {
            connect_string: connect_string.into(),
            session_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            max_frame_bytes: 4 << 20,
        }
    }
}

/// The session as last negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionInfo {
    /// 0 until the first connection.
    pub session_id: i64,
    pub passwd: [u8; 16],
    /// ms, as granted by the server.
    pub negotiated_timeout_ms: i32,
    /// The highest zxid seen in a reply, sent on reconnect.
    pub last_zxid: i64,
    pub state: KeeperState,
}

/// State shared between the handles and the connection task.
#[derive(Debug)]
pub(crate) struct Shared {
    info: Mutex<SessionInfo>,
    state_tx: watch::Sender<KeeperState>,
    closing: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, SessionInfo> {
        self.info.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub(crate) fn info(&self) -> SessionInfo {
        *self.lock()
    }
    pub(crate) fn set_state(&self, state: KeeperState) {
        self.lock().state = state;
        self.notify_state(state);
    }
    fn notify_state(&self, state: KeeperState) {
        self.state_tx.send_replace(state);
    }
    pub(crate) fn saw_zxid(&self, zxid: i64) {
        let mut g = self.lock();
        g.last_zxid = g.last_zxid.max(zxid);
    }
    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Watch notifications and session state changes, in the order they happened.
#[derive(Debug)]
pub struct Events {
    rx: mpsc::UnboundedReceiver<WatchedEvent>,
}

impl Events {
    /// The next event; None once the client is gone and every event was read.
    pub async fn recv(&mut self) -> Option<WatchedEvent> {
        self.rx.recv().await
    }

    /// An event already delivered, without waiting.
    pub fn try_recv(&mut self) -> Option<WatchedEvent> {
        self.rx.try_recv().ok()
    }
}

/// Watch modes of [`ZkClient::add_watch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddWatchMode {
    Persistent,
    PersistentRecursive,
}

/// Which watches [`ZkClient::remove_watches`] removes (the wire's WatcherType).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatcherType {
    Children = 1,
    Data = 2,
    Any = 3,
    Persistent = 4,
    PersistentRecursive = 5,
}

/// A handle on one ZooKeeper session. Clones share the session; when the last clone is
/// dropped the session is closed.
#[derive(Debug, Clone)]
pub struct ZkClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tx: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    chroot: Chroot,
    request_timeout: Duration,
}

impl ZkClient {
    /// Parses the connect string, starts the connection task and waits until a session is
    /// established (or `connect_timeout` passes: ConnectionLoss).
    pub async fn connect(config: ClientConfig) -> Result<(ZkClient, Events), ZkError> {
        let cs = ConnectString::parse(&config.connect_string)?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ u64::from(std::process::id()).rotate_left(32);
        let ring = HostRing::new(cs.hosts, seed, Duration::from_secs(1));
        let (state_tx, mut state_rx) = watch::channel(KeeperState::Disconnected);
        let shared = Arc::new(Shared {
            info: Mutex::new(SessionInfo {
                session_id: 0,
                passwd: [0; 16],
                negotiated_timeout_ms: 0,
                last_zxid: 0,
                state: KeeperState::Disconnected,
            }),
            state_tx,
            closing: std::sync::atomic::AtomicBool::new(false),
        });
        let (tx, rx) = mpsc::channel(1024);
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let timeout_ms = i32::try_from(config.session_timeout.as_millis()).unwrap_or(i32::MAX);
        let chroot = Chroot::new(cs.chroot);
        tokio::spawn(conn::run(
            TaskSettings {
                ring,
                chroot: chroot.clone(),
                session_timeout_ms: timeout_ms,
                max_frame_bytes: config.max_frame_bytes,
            },
            rx,
            ev_tx,
            shared.clone(),
        ));
        let wait = state_rx.wait_for(|s| {
            matches!(
                s,
                KeeperState::SyncConnected | KeeperState::Expired | KeeperState::Closed
            )
        });
        let outcome = tokio::time::timeout(config.connect_timeout, wait).await;
        let state = match outcome {
            Ok(Ok(s)) => *s,
            _ => KeeperState::Disconnected,
        };
        if state != KeeperState::SyncConnected {
            shared
                .closing
                .store(true, std::sync::atomic::Ordering::SeqCst);
            return Err(ZkError::ConnectionLoss);
        }
        let client = ZkClient {
            inner: Arc::new(Inner {
                tx,
                shared,
                chroot,
                request_timeout: config.request_timeout,
            }),
        };
        Ok((client, Events { rx: ev_rx }))
    }

    /// The session as last negotiated (id, password, timeout, state).
    pub fn session(&self) -> SessionInfo {
        self.inner.shared.info()
    }

    /// The current session state.
    pub fn state(&self) -> KeeperState {
        self.session().state
    }

    fn ended(&self) -> ZkError {
        match self.state() {
            KeeperState::Expired => ZkError::SessionExpired,
            _ => ZkError::Closed,
        }
    }

    async fn call(
        &self,
        opcode: i32,
        body: Vec<u8>,
        watch: Option<WatchReg>,
        special_xid: Option<i32>,
    ) -> Result<RawReply, ZkError> {
        match self.state() {
            KeeperState::Expired => return Err(ZkError::SessionExpired),
            KeeperState::Closed => return Err(ZkError::Closed),
            _ => {}
        }
        if self.inner.shared.is_closing() {
            return Err(ZkError::Closed);
        }
        let (reply_tx, reply_rx) = oneshot::channel();
        let cmd = Command::Call(Call {
            opcode,
            special_xid,
            body,
            watch,
            reply: reply_tx,
        });
        let deadline = tokio::time::Instant::now() + self.inner.request_timeout;
        match tokio::time::timeout_at(deadline, self.inner.tx.send(cmd)).await {
            Err(_) => return Err(ZkError::OperationTimeout),
            Ok(Err(_)) => return Err(self.ended()),
            Ok(Ok(())) => {}
        }
        match tokio::time::timeout_at(deadline, reply_rx).await {
            Err(_) => Err(ZkError::OperationTimeout),
            Ok(Err(_)) => Err(self.ended()),
            Ok(Ok(r)) => r,
        }
    }

    /// Sends a request about client path `path` and returns the reply body, mapping a
    /// non-zero error code to [`ZkError`].
    async fn request(
        &self,
        opcode: i32,
        body: Vec<u8>,
        path: &str,
        watch: Option<WatchReg>,
    ) -> Result<Vec<u8>, ZkError> {
        let r = self.call(opcode, body, watch, None).await?;
        if r.err != 0 {
            return Err(ZkError::from_code(r.err, path));
        }
        Ok(r.body)
    }

    fn server_path(&self, path: &str, sequential: bool) -> Result<String, ZkError> {
        validate_path(path, sequential)?;
        Ok(self.inner.chroot.to_server(path))
    }

    fn client_path(&self, server_path: &str) -> String {
        self.inner.chroot.to_client(server_path)
    }

    /// Creates a node and returns its path (with the sequence suffix for sequential modes).
    /// TTL modes need [`ZkClient::create_ttl`].
    pub async fn create(
        &self,
        path: &str,
        data: &[u8],
        acl: &[Acl],
        mode: CreateMode,
    ) -> Result<String, ZkError> {
        Ok(self.create_full(path, data, acl, mode, -1, false).await?.0)
    }

    /// Creates a node and returns its path and Stat (create2).
    pub async fn create2(
        &self,
        path: &str,
        data: &[u8],
        acl: &[Acl],
        mode: CreateMode,
    ) -> Result<(String, Stat), ZkError> {
        let (p, s) = self.create_full(path, data, acl, mode, -1, true).await?;
        Ok((p, s.unwrap_or_default()))
    }

    /// Creates a TTL node (`mode` PersistentWithTtl or PersistentSequentialWithTtl), `ttl_ms`
    /// after its last change it may be removed when childless. Servers refuse it unless
    /// extended types are enabled.
    pub async fn create_ttl(
        &self,
        path: &str,
        data: &[u8],
        acl: &[Acl],
        mode: CreateMode,
        ttl_ms: i64,
    ) -> Result<(String, Stat), ZkError> {
        if !mode.is_ttl() || ttl_ms <= 0 {
            return Err(ZkError::BadArguments {
                path: path.to_string(),
            });
        }
        let (p, s) = self
            .create_full(path, data, acl, mode, ttl_ms, true)
            .await?;
        Ok((p, s.unwrap_or_default()))
    }

    async fn create_full(
        &self,
        path: &str,
        data: &[u8],
        acl: &[Acl],
        mode: CreateMode,
        ttl: i64,
        want_stat: bool,
    ) -> Result<(String, Option<Stat>), ZkError> {
        if mode.is_ttl() && ttl <= 0 {
            return Err(ZkError::BadArguments {
                path: path.to_string(),
            });
        }
        let sp = self.server_path(path, mode.is_sequential())?;
        let opcode = codec::create_opcode(mode, want_stat);
        let body = codec::create_body(opcode, &sp, data, acl, mode, ttl);
        let reply = self.request(opcode, body, path, None).await?;
        if opcode == op::CREATE {
            let p = codec::read_path(&reply, "create")?;
            Ok((self.client_path(&p), None))
        } else {
            let (p, s) = codec::read_path_stat(&reply)?;
            Ok((self.client_path(&p), Some(s)))
        }
    }

    /// Deletes a node whose version is `version` (-1: any).
    pub async fn delete(&self, path: &str, version: i32) -> Result<(), ZkError> {
        let sp = self.server_path(path, false)?;
        self.request(op::DELETE, codec::path_int_body(&sp, version), path, None)
            .await?;
        Ok(())
    }

    /// The node's Stat, or None when it does not exist. `watch` arms a data watch on a
    /// present node and an exist watch on a missing one.
    pub async fn exists(&self, path: &str, watch: bool) -> Result<Option<Stat>, ZkError> {
        let sp = self.server_path(path, false)?;
        let reg = watch.then(|| WatchReg {
            path: sp.clone(),
            on_ok: Some(WatchKind::Data),
            on_no_node: Some(WatchKind::Exist),
            removes: None,
        });
        let r = self
            .call(op::EXISTS, codec::path_watch_body(&sp, watch), reg, None)
            .await?;
        match r.err {
            0 => Ok(Some(codec::read_stat(&r.body, "exists")?)),
            e if e == Code::NoNode as i32 => Ok(None),
            e => Err(ZkError::from_code(e, path)),
        }
    }

    /// The node's data (empty when it holds null) and Stat; `watch` arms a data watch.
    pub async fn get_data(&self, path: &str, watch: bool) -> Result<(Bytes, Stat), ZkError> {
        let (d, s) = self.get_data_opt(path, watch).await?;
        Ok((d.unwrap_or_default(), s))
    }

    /// Like [`ZkClient::get_data`], but tells a null payload (None) from an empty one.
    pub async fn get_data_opt(
        &self,
        path: &str,
        watch: bool,
    ) -> Result<(Option<Bytes>, Stat), ZkError> {
        let sp = self.server_path(path, false)?;
        let reg = watch.then(|| data_reg(&sp, WatchKind::Data));
        let body = self
            .request(op::GET_DATA, codec::path_watch_body(&sp, watch), path, reg)
            .await?;
        let (d, s) = codec::read_data_stat(&body)?;
        Ok((d.map(Bytes::from), s))
    }

    /// Replaces the node's data if its version is `version` (-1: any); returns the new Stat.
    pub async fn set_data(&self, path: &str, data: &[u8], version: i32) -> Result<Stat, ZkError> {
        let sp = self.server_path(path, false)?;
        let body = self
            .request(
                op::SET_DATA,
                codec::set_data_body(&sp, data, version),
                path,
                None,
            )
            .await?;
        codec::read_stat(&body, "setData")
    }

    /// The node's children (names, unsorted); `watch` arms a child watch.
    pub async fn get_children(&self, path: &str, watch: bool) -> Result<Vec<String>, ZkError> {
        let sp = self.server_path(path, false)?;
        let reg = watch.then(|| data_reg(&sp, WatchKind::Child));
        let body = self
            .request(
                op::GET_CHILDREN,
                codec::path_watch_body(&sp, watch),
                path,
                reg,
            )
            .await?;
        codec::read_strings(&body, "getChildren")
    }

    /// The node's children and its own Stat.
    pub async fn get_children2(
        &self,
        path: &str,
        watch: bool,
    ) -> Result<(Vec<String>, Stat), ZkError> {
        let sp = self.server_path(path, false)?;
        let reg = watch.then(|| data_reg(&sp, WatchKind::Child));
        let body = self
            .request(
                op::GET_CHILDREN2,
                codec::path_watch_body(&sp, watch),
                path,
                reg,
            )
            .await?;
        codec::read_children_stat(&body)
    }

    pub async fn get_acl(&self, path: &str) -> Result<(Vec<Acl>, Stat), ZkError> {
        let sp = self.server_path(path, false)?;
        let body = self
            .request(op::GET_ACL, codec::path_body(&sp), path, None)
            .await?;
        codec::read_acl_stat(&body)
    }

    /// Replaces the node's ACL if its ACL version is `version` (-1: any).
    pub async fn set_acl(&self, path: &str, acl: &[Acl], version: i32) -> Result<Stat, ZkError> {
        let sp = self.server_path(path, false)?;
        let body = self
            .request(
                op::SET_ACL,
                codec::set_acl_body(&sp, acl, version),
                path,
                None,
            )
            .await?;
        codec::read_stat(&body, "setACL")
    }

    /// Waits until the server this client talks to has caught up with the leader.
    pub async fn sync(&self, path: &str) -> Result<String, ZkError> {
        let sp = self.server_path(path, false)?;
        let body = self
            .request(op::SYNC, codec::path_body(&sp), path, None)
            .await?;
        Ok(self.client_path(&codec::read_path(&body, "sync")?))
    }

    /// Runs `ops` atomically. On failure nothing was applied and the error is
    /// [`ZkError::Multi`] naming the failing op, with every op's result.
    pub async fn multi(&self, ops: &[Op]) -> Result<Vec<OpResult>, ZkError> {
        let mut server_ops = Vec::with_capacity(ops.len());
        for o in ops {
            let seq = matches!(o, Op::Create { mode, .. } if mode.is_sequential());
            let sp = self.server_path(o.path(), seq)?;
            let mut so = o.clone();
            match &mut so {
                Op::Create { path, .. }
                | Op::SetData { path, .. }
                | Op::Delete { path, .. }
                | Op::Check { path, .. } => *path = sp,
            }
            server_ops.push(so);
        }
        let first = ops.first().map(|o| o.path()).unwrap_or("/");
        let body = self
            .request(op::MULTI, codec::multi_body(&server_ops), first, None)
            .await?;
        let mut results = codec::read_multi(&body)?;
        for r in &mut results {
            if let OpResult::Create { path } = r {
                *path = self.client_path(path);
            }
        }
        let failed = results.iter().enumerate().find_map(|(i, r)| match r {
            OpResult::Error { code }
                if *code != 0 && *code != Code::RuntimeInconsistency as i32 =>
            {
                Some((i, *code))
            }
            _ => None,
        });
        match failed {
            None => Ok(results),
            Some((index, code)) => {
                let path = ops.get(index).map(|o| o.path()).unwrap_or("/");
                Err(ZkError::Multi {
                    index,
                    source: Box::new(ZkError::from_code(code, path)),
                    results,
                })
            }
        }
    }

    /// This session's ephemeral nodes under `prefix` (client paths).
    pub async fn get_ephemerals(&self, prefix: &str) -> Result<Vec<String>, ZkError> {
        let sp = self.server_path(prefix, false)?;
        let body = self
            .request(op::GET_EPHEMERALS, codec::path_body(&sp), prefix, None)
            .await?;
        Ok(codec::read_strings(&body, "getEphemerals")?
            .iter()
            .map(|p| self.client_path(p))
            .collect())
    }

    /// The number of all descendants of `path`.
    pub async fn get_all_children_number(&self, path: &str) -> Result<i32, ZkError> {
        let sp = self.server_path(path, false)?;
        let body = self
            .request(
                op::GET_ALL_CHILDREN_NUMBER,
                codec::path_body(&sp),
                path,
                None,
            )
            .await?;
        codec::read_i32(&body, "getAllChildrenNumber")
    }

    /// Sets a persistent (optionally recursive) watch; it stays until removed.
    pub async fn add_watch(&self, path: &str, mode: AddWatchMode) -> Result<(), ZkError> {
        let sp = self.server_path(path, false)?;
        let (m, kind) = match mode {
            AddWatchMode::Persistent => (0, WatchKind::Persistent),
            AddWatchMode::PersistentRecursive => (1, WatchKind::PersistentRecursive),
        };
        let reg = data_reg(&sp, kind);
        self.request(op::ADD_WATCH, codec::path_int_body(&sp, m), path, Some(reg))
            .await?;
        Ok(())
    }

    /// Removes this session's watches of `kind` on `path` at the server (NoWatcher if none).
    pub async fn remove_watches(&self, path: &str, kind: WatcherType) -> Result<(), ZkError> {
        let sp = self.server_path(path, false)?;
        let reg = WatchReg {
            path: sp.clone(),
            on_ok: None,
            on_no_node: None,
            removes: Some(kind as i32),
        };
        self.request(
            op::REMOVE_WATCHES,
            codec::path_int_body(&sp, kind as i32),
            path,
            Some(reg),
        )
        .await?;
        Ok(())
    }

    /// Adds credentials to the session (`digest`, `user:password`); replayed on reconnect.
    pub async fn add_auth(&self, scheme: &str, auth: &[u8]) -> Result<(), ZkError> {
        let r = self
            .call(
                op::AUTH,
                codec::auth_body(scheme, auth),
                None,
                Some(xid::AUTH),
            )
            .await?;
        match r.err {
            0 => Ok(()),
            e => Err(ZkError::from_code(e, scheme)),
        }
    }

    /// The identities this connection is authenticated as.
    pub async fn who_am_i(&self) -> Result<Vec<ClientInfo>, ZkError> {
        let body = self.request(op::WHO_AM_I, Vec::new(), "/", None).await?;
        codec::read_who_am_i(&body)
    }

    /// Closes the session (its ephemerals go away) and stops the connection task. Returns
    /// once the server confirmed, the connection dropped, or the request timeout passed.
    pub async fn close(&self) -> Result<(), ZkError> {
        if matches!(self.state(), KeeperState::Expired | KeeperState::Closed) {
            return Ok(());
        }
        let (tx, rx) = oneshot::channel();
        if self.inner.tx.send(Command::Close(tx)).await.is_err() {
            return Ok(());
        }
        let _ = tokio::time::timeout(self.inner.request_timeout, rx).await;
        self.inner
            .shared
            .closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if self.state() != KeeperState::Expired {
            self.inner.shared.set_state(KeeperState::Closed);
        }
        Ok(())
    }
}

fn data_reg(server_path: &str, kind: WatchKind) -> WatchReg {
    WatchReg {
        path: server_path.to_string(),
        on_ok: Some(kind),
        on_no_node: None,
        removes: None,
    }
}
