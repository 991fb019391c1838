//! The request engine: one owner of the tree, sessions, watches and store that turns decoded
//! requests into replies, notifications and log entries, in arrival order.
//!
//! It knows connections only by id and never touches a socket: every output is queued as
//! `(connection, Outgoing)` and handed to the caller by [`Engine::commit`] after the batch's
//! log entries are fsynced, so nothing is acknowledged before it is durable (group commit),
//! replies keep request order, and a write's notifications precede its reply.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::proto::{
    Code, ConnectRequest, ConnectResponse, DecodeError, ReplyHeader, Request, WriteOp, Writer,
    add_watch_mode, notification, op, write_acls, xid,
};
use super::sessions::{Notify, SessionLimits, Sessions, Watches, digest_id, password};
use super::store::{Recovered, Store, StoreError, Txn, TxnRecord};
use super::tree::{DataTree, Event, OpResult, ReadResult, TxnCtx};

/// Identifies one client connection for the life of the server.
pub type ConnId = u64;

/// What the server must do on a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// A frame payload (the length prefix is added when writing).
    Frame(Vec<u8>),
    /// Close the connection after the frames queued before this.
    Close,
}

/// The version string reported by four-letter words (kazoo parses `x.y.z`).
pub const VERSION: &str = "3.8.4-rkafka-0.1.0";

/// Engine knobs, already resolved from the settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub limits: SessionLimits,
    /// Four-letter words allowed; `*` allows all.
    pub whitelist: Vec<String>,
    /// Entries per log file before a snapshot is taken and a new log started.
    pub snap_count: u64,
    pub snap_retain_count: usize,
    /// 0 disables autopurge.
    pub purge_interval_ms: u64,
    /// `key=value` lines reported by `conf`.
    pub conf_lines: Vec<(String, String)>,
}

#[derive(Debug)]
struct Conn {
    peer: SocketAddr,
    session: Option<i64>,
    received: u64,
    sent: u64,
    last_op: &'static str,
    established_ms: u64,
}

#[derive(Debug, Default)]
struct Latency {
    min: u64,
    max: u64,
    total: u64,
    count: u64,
}

/// The single-threaded heart of the coordinator.
#[derive(Debug)]
pub struct Engine {
    cfg: EngineConfig,
    tree: DataTree,
    sessions: Sessions,
    watches: Watches,
    store: Store,
    last_zxid: i64,
    conns: HashMap<ConnId, Conn>,
    session_conn: HashMap<i64, ConnId>,
    pending: Vec<(ConnId, Outgoing)>,
    received: u64,
    sent: u64,
    latency: Latency,
    last_purge_ms: u64,
}

fn op_name(r: &Request) -> &'static str {
    match r {
        Request::Write(WriteOp::Create(_)) => "CREA",
        Request::Write(WriteOp::Delete { .. }) => "DELE",
        Request::Write(WriteOp::SetData { .. }) => "SETD",
        Request::Write(WriteOp::SetAcl { .. }) => "SETA",
        Request::Write(WriteOp::Check { .. }) => "CHEC",
        Request::Multi(_) => "MULT",
        Request::MultiRead(_) => "MLTR",
        Request::Exists { .. } => "EXIS",
        Request::GetData { .. } => "GETD",
        Request::GetAcl { .. } => "GETA",
        Request::GetChildren { .. } | Request::GetChildren2 { .. } => "GETC",
        Request::Sync { .. } => "SYNC",
        Request::Ping => "PING",
        Request::CloseSession => "CLOS",
        _ => "OTHR",
    }
}

impl Engine {
    /// Builds the engine from recovered state; sessions from the log get a fresh timeout
    /// starting at `now` (ms, monotonic), as ZooKeeper does after a restart.
    pub fn new(cfg: EngineConfig, store: Store, rec: Recovered, now: u64) -> Self {
        let mut sessions = Sessions::new(cfg.limits, now);
        for (id, t) in &rec.sessions {
            sessions.restore(*id, *t, now);
        }
        sessions.bump_next_id(rec.next_session_id);
        Engine {
            cfg,
            tree: rec.tree,
            sessions,
            watches: Watches::default(),
            store,
            last_zxid: rec.last_zxid,
            conns: HashMap::new(),
            session_conn: HashMap::new(),
            pending: Vec::new(),
            received: 0,
            sent: 0,
            latency: Latency::default(),
            last_purge_ms: now,
        }
    }

    /// The zxid of the last applied transaction.
    pub fn last_zxid(&self) -> i64 {
        self.last_zxid
    }

    pub fn tree(&self) -> &DataTree {
        &self.tree
    }

    fn push(&mut self, conn: ConnId, out: Outgoing) {
        if let (Outgoing::Frame(_), Some(c)) = (&out, self.conns.get_mut(&conn)) {
            c.sent += 1;
            self.sent += 1;
        }
        self.pending.push((conn, out));
    }

    fn reply(&mut self, conn: ConnId, xid: i32, err: Code, body: Option<Writer>) {
        let mut w = Writer::new();
        ReplyHeader {
            xid,
            zxid: self.last_zxid,
            err: err.as_i32(),
        }
        .write(&mut w);
        if err == Code::Ok {
            if let Some(b) = body {
                w.buf.extend_from_slice(&b.buf);
            }
        }
        self.push(conn, Outgoing::Frame(w.into_vec()));
    }

    fn log(&mut self, session: i64, wall: i64, txn: Txn) -> Result<(), StoreError> {
        self.store.append(&TxnRecord {
            zxid: self.last_zxid,
            time: wall,
            session,
            txn,
        })
    }

    fn notify(&mut self, notes: Vec<Notify>) {
        for n in notes {
            if let Some(&conn) = self.session_conn.get(&n.session) {
                let f = notification(self.last_zxid, n.event_type, &n.path);
                self.push(conn, Outgoing::Frame(f));
            }
        }
    }

    fn fire(&mut self, events: &[Event]) {
        let notes = self.watches.trigger(events);
        self.notify(notes);
    }

    /// A new connection sent its ConnectRequest.
    pub fn connect(
        &mut self,
        conn: ConnId,
        peer: SocketAddr,
        req: &ConnectRequest,
        now: u64,
        wall: i64,
    ) -> Result<(), StoreError> {
        self.received += 1;
        self.conns.insert(
            conn,
            Conn {
                peer,
                session: None,
                received: 1,
                sent: 0,
                last_op: "CONN",
                established_ms: u64::try_from(wall).unwrap_or(0),
            },
        );
        if req.last_zxid_seen > self.last_zxid {
            // The client saw a newer state than ours: refuse without an answer (spec A8).
            self.push(conn, Outgoing::Close);
            return Ok(());
        }
        let (id, timeout) = if req.session_id != 0 {
            if !self.sessions.can_resume(req.session_id, &req.passwd) {
                let mut w = Writer::new();
                ConnectResponse::expired(req.read_only).write(&mut w);
                self.push(conn, Outgoing::Frame(w.into_vec()));
                self.push(conn, Outgoing::Close);
                return Ok(());
            }
            let id = req.session_id;
            if let Some(old) = self.session_conn.insert(id, conn) {
                if old != conn {
                    self.watches.remove_session(id);
                    if let Some(c) = self.conns.get_mut(&old) {
                        c.session = None;
                    }
                    self.push(old, Outgoing::Close);
                }
            }
            self.sessions.touch(id, now);
            let t = self.sessions.get(id).map_or(0, |s| s.timeout_ms);
            (id, t)
        } else {
            let (id, t) = self.sessions.create(req.timeout_ms, now);
            self.last_zxid += 1;
            self.log(id, wall, Txn::CreateSession { timeout_ms: t })?;
            self.session_conn.insert(id, conn);
            (id, t)
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            c.session = Some(id);
        }
        let resp = ConnectResponse {
            timeout_ms: i32::try_from(timeout).unwrap_or(i32::MAX),
            session_id: id,
            passwd: password(id),
            read_only: req.read_only.map(|_| false),
        };
        let mut w = Writer::new();
        resp.write(&mut w);
        self.push(conn, Outgoing::Frame(w.into_vec()));
        Ok(())
    }

    /// The connection went away (EOF, error, or too slow). The session lives on until it
    /// expires or is resumed; its watches go (spec A6).
    pub fn disconnected(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.remove(&conn) {
            if let Some(s) = c.session {
                if self.session_conn.get(&s) == Some(&conn) {
                    self.session_conn.remove(&s);
                    self.watches.remove_session(s);
                }
            }
        }
        self.pending.retain(|(c, _)| *c != conn);
    }

    fn close_session(&mut self, session: i64, wall: i64) -> Result<(), StoreError> {
        self.sessions.remove(session);
        self.last_zxid += 1;
        let ctx = TxnCtx {
            zxid: self.last_zxid,
            time: wall,
            session,
            auth: None,
        };
        let events = self.tree.close_session(session, &ctx);
        self.log(session, wall, Txn::CloseSession)?;
        self.watches.remove_session(session);
        self.fire(&events);
        Ok(())
    }

    /// One framed request after the handshake. `req` is Err when the body did not decode:
    /// the connection is closed (ZooKeeper treats it as a marshalling error).
    pub fn request(
        &mut self,
        conn: ConnId,
        xid: i32,
        req: Result<Request, DecodeError>,
        now: u64,
        wall: i64,
    ) -> Result<(), StoreError> {
        self.received += 1;
        let Some(c) = self.conns.get_mut(&conn) else {
            return Ok(());
        };
        c.received += 1;
        let Some(session) = c.session else {
            return Ok(());
        };
        let req = match req {
            Ok(r) => r,
            Err(DecodeError::UnknownOp(_)) => {
                self.reply(conn, xid, Code::Unimplemented, None);
                return Ok(());
            }
            Err(_) => {
                self.push(conn, Outgoing::Close);
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.session = None;
                }
                if self.session_conn.get(&session) == Some(&conn) {
                    self.session_conn.remove(&session);
                    self.watches.remove_session(session);
                }
                return Ok(());
            }
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            c.last_op = op_name(&req);
        }
        if !self.sessions.touch(session, now) {
            self.reply(conn, xid, Code::SessionExpired, None);
            self.push(conn, Outgoing::Close);
            return Ok(());
        }
        // The connection's address is an identity of its own (ZooKeeper's ip scheme).
        let peer_ip = self
            .conns
            .get(&conn)
            .map(|c| c.peer.ip().to_string())
            .unwrap_or_default();
        let mut auth = vec![("ip".to_string(), peer_ip)];
        if let Some(s) = self.sessions.get(session) {
            auth.extend(s.auth.iter().cloned());
        }
        let mut body = Writer::new();
        let children2 = matches!(req, Request::GetChildren2 { .. });
        let code: Code = match req {
            Request::Ping => Code::Ok,
            Request::CloseSession => {
                self.close_session(session, wall)?;
                self.reply(conn, xid, Code::Ok, None);
                self.session_conn.remove(&session);
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.session = None;
                }
                self.push(conn, Outgoing::Close);
                return Ok(());
            }
            Request::Write(mut w) => {
                let ctx = TxnCtx {
                    zxid: self.last_zxid + 1,
                    time: wall,
                    session,
                    auth: Some(&auth),
                };
                let mut events = Vec::new();
                match self.tree.apply(&mut w, &ctx, &mut events) {
                    Ok(res) => {
                        self.last_zxid += 1;
                        self.log(session, wall, Txn::Write(w))?;
                        self.fire(&events);
                        write_result(&mut body, &res);
                        Code::Ok
                    }
                    Err(e) => e,
                }
            }
            Request::Multi(mut ops) => {
                let ctx = TxnCtx {
                    zxid: self.last_zxid + 1,
                    time: wall,
                    session,
                    auth: Some(&auth),
                };
                match self.tree.apply_multi(&mut ops, &ctx) {
                    Ok((results, events)) => {
                        self.last_zxid += 1;
                        self.log(session, wall, Txn::Multi(ops))?;
                        self.fire(&events);
                        for r in &results {
                            let ty = match r {
                                OpResult::Created { op, .. } if *op == op::CREATE => op::CREATE,
                                OpResult::Created { .. } => op::CREATE2,
                                OpResult::Deleted => op::DELETE,
                                OpResult::SetData(_) => op::SET_DATA,
                                OpResult::SetAcl(_) => op::SET_ACL,
                                OpResult::Checked => op::CHECK,
                            };
                            body.i32(ty).bool(false).i32(0);
                            write_result(&mut body, r);
                        }
                    }
                    Err(f) => {
                        for i in 0..ops.len() {
                            let err = match i.cmp(&f.index) {
                                std::cmp::Ordering::Less => 0,
                                std::cmp::Ordering::Equal => f.code.as_i32(),
                                std::cmp::Ordering::Greater => Code::RuntimeInconsistency.as_i32(),
                            };
                            body.i32(op::ERROR).bool(false).i32(err).i32(err);
                        }
                    }
                }
                body.i32(-1).bool(true).i32(-1);
                Code::Ok
            }
            Request::MultiRead(ops) => {
                for o in &ops {
                    match self.tree.read_op(o, &auth) {
                        Ok(ReadResult::Children(c)) => {
                            body.i32(op::GET_CHILDREN).bool(false).i32(0).strings(&c);
                        }
                        Ok(ReadResult::Data(d, s)) => {
                            body.i32(op::GET_DATA)
                                .bool(false)
                                .i32(0)
                                .buffer(d.as_deref());
                            s.write(&mut body);
                        }
                        Err(e) => {
                            body.i32(op::ERROR)
                                .bool(false)
                                .i32(e.as_i32())
                                .i32(e.as_i32());
                        }
                    }
                }
                body.i32(-1).bool(true).i32(-1);
                Code::Ok
            }
            Request::Exists { path, watch } => match self.tree.exists(&path) {
                Ok(s) => {
                    if watch {
                        self.watches.add_data(&path, session);
                    }
                    s.write(&mut body);
                    Code::Ok
                }
                Err(Code::NoNode) => {
                    if watch {
                        self.watches.add_data(&path, session);
                    }
                    Code::NoNode
                }
                Err(e) => e,
            },
            Request::GetData { path, watch } => match self.tree.get_data(&path, &auth) {
                Ok((d, s)) => {
                    if watch {
                        self.watches.add_data(&path, session);
                    }
                    body.buffer(d.as_deref());
                    s.write(&mut body);
                    Code::Ok
                }
                Err(e) => e,
            },
            Request::GetChildren { path, watch } | Request::GetChildren2 { path, watch } => {
                match self.tree.get_children(&path, &auth) {
                    Ok((children, stat)) => {
                        if watch {
                            self.watches.add_child(&path, session);
                        }
                        body.strings(&children);
                        if children2 {
                            stat.write(&mut body);
                        }
                        Code::Ok
                    }
                    Err(e) => e,
                }
            }
            Request::GetAcl { path } => match self.tree.get_acl(&path) {
                Ok((acl, s)) => {
                    write_acls(&mut body, &acl);
                    s.write(&mut body);
                    Code::Ok
                }
                Err(e) => e,
            },
            Request::Sync { path } => {
                body.ustring(&path);
                Code::Ok
            }
            Request::CheckWatches { path, kind } => {
                match self.watches.check_or_remove(&path, session, kind, false) {
                    Ok(()) => Code::Ok,
                    Err(e) => e,
                }
            }
            Request::RemoveWatches { path, kind } => {
                match self.watches.check_or_remove(&path, session, kind, true) {
                    Ok(()) => Code::Ok,
                    Err(e) => e,
                }
            }
            Request::SetWatches(sw) => {
                let notes = self.watches.set_watches(session, &sw, &self.tree);
                self.notify(notes);
                Code::Ok
            }
            Request::AddWatch { path, mode } => match mode {
                add_watch_mode::PERSISTENT | add_watch_mode::PERSISTENT_RECURSIVE
                    if super::tree::validate_path(&path, false).is_ok() =>
                {
                    if mode == add_watch_mode::PERSISTENT {
                        self.watches.add_persistent(&path, session);
                    } else {
                        self.watches.add_recursive(&path, session);
                    }
                    body.i32(0);
                    Code::Ok
                }
                _ => Code::BadArguments,
            },
            Request::GetEphemerals { prefix } => {
                let v: Vec<String> = self
                    .tree
                    .ephemerals_of(session)
                    .into_iter()
                    .filter(|p| prefix == "/" || p.starts_with(&prefix))
                    .collect();
                body.strings(&v);
                Code::Ok
            }
            Request::GetAllChildrenNumber { path } => match self.tree.all_children_number(&path) {
                Ok(n) => {
                    body.i32(n);
                    Code::Ok
                }
                Err(e) => e,
            },
            Request::WhoAmI => {
                body.i32(auth.len() as i32);
                for (s, u) in &auth {
                    // ZooKeeper names a digest identity by its user part only.
                    let user = match s.as_str() {
                        "digest" => u.split(':').next().unwrap_or(u),
                        _ => u,
                    };
                    body.ustring(s).ustring(user);
                }
                Code::Ok
            }
            Request::Auth {
                scheme,
                auth: secret,
            } => {
                // digest accepts any user:password and names the identity by its hash, as
                // ZooKeeper does; other schemes (sasl, x509) need transports we do not have:
                // AuthFailed, then close.
                match (scheme.as_str(), std::str::from_utf8(&secret)) {
                    ("digest", Ok(up)) if up.contains(':') => {
                        let id = ("digest".to_string(), digest_id(up));
                        if let Some(s) = self.sessions.get_mut(session) {
                            if !s.auth.contains(&id) {
                                s.auth.push(id);
                            }
                        }
                        let mut w = Writer::new();
                        ReplyHeader {
                            xid: xid::AUTH,
                            zxid: 0,
                            err: 0,
                        }
                        .write(&mut w);
                        self.push(conn, Outgoing::Frame(w.into_vec()));
                    }
                    _ => {
                        self.reply(conn, xid::AUTH, Code::AuthFailed, None);
                        self.push(conn, Outgoing::Close);
                    }
                }
                return Ok(());
            }
            Request::Unsupported(_) => Code::Unimplemented,
        };
        self.reply(conn, xid, code, Some(body));
        Ok(())
    }

    /// Periodic work at `now` (monotonic ms): expire sessions, delete empty containers and
    /// expired TTL nodes, autopurge.
    pub fn tick(&mut self, now: u64, wall: i64) -> Result<(), StoreError> {
        for id in self.sessions.expired(now) {
            tracing::info!("session {id:#x} expired");
            self.close_session(id, wall)?;
            if let Some(conn) = self.session_conn.remove(&id) {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.session = None;
                }
                self.push(conn, Outgoing::Close);
            }
        }
        for path in self.tree.expired_candidates(wall) {
            let mut w = WriteOp::Delete { path, version: -1 };
            let ctx = TxnCtx {
                zxid: self.last_zxid + 1,
                time: wall,
                session: 0,
                auth: None,
            };
            let mut events = Vec::new();
            if self.tree.apply(&mut w, &ctx, &mut events).is_ok() {
                self.last_zxid += 1;
                self.log(0, wall, Txn::Write(w))?;
                self.fire(&events);
            }
        }
        if self.cfg.purge_interval_ms > 0
            && now.saturating_sub(self.last_purge_ms) >= self.cfg.purge_interval_ms
        {
            self.last_purge_ms = now;
            match self.store.purge(self.cfg.snap_retain_count) {
                Ok(n) => tracing::info!("autopurge removed {n} files"),
                Err(e) => tracing::warn!("autopurge failed: {e}"),
            }
        }
        Ok(())
    }

    /// Makes the batch durable and hands out everything queued since the last call.
    /// Takes a snapshot when the current log has grown past snap_count.
    pub fn commit(&mut self) -> Result<Vec<(ConnId, Outgoing)>, StoreError> {
        self.store.commit()?;
        if self.store.entries_in_log >= self.cfg.snap_count {
            let sessions: Vec<(i64, u64)> = self
                .sessions
                .all()
                .iter()
                .map(|s| (s.id, s.timeout_ms))
                .collect();
            self.store.snapshot(
                &self.tree,
                &sessions,
                self.sessions.next_id(),
                self.last_zxid,
            )?;
        }
        Ok(std::mem::take(&mut self.pending))
    }

    /// Records a request's latency (ms) for srvr/mntr.
    pub fn record_latency(&mut self, ms: u64) {
        let l = &mut self.latency;
        l.min = if l.count == 0 { ms } else { l.min.min(ms) };
        l.max = l.max.max(ms);
        l.total += ms;
        l.count += 1;
    }

    /// The text answer to a four-letter word (spec A9).
    pub fn four_letter(&mut self, word: &str) -> String {
        let allowed = self.cfg.whitelist.iter().any(|w| w == "*" || w == word);
        if !allowed {
            return format!("{word} is not executed because it is not in the whitelist.\n");
        }
        let avg = if self.latency.count == 0 {
            0.0
        } else {
            self.latency.total as f64 / self.latency.count as f64
        };
        let srvr_tail = format!(
            "Latency min/avg/max: {}/{avg:.4}/{}\nReceived: {}\nSent: {}\nConnections: {}\nOutstanding: 0\nZxid: {:#x}\nMode: standalone\nNode count: {}\n",
            self.latency.min,
            self.latency.max,
            self.received,
            self.sent,
            self.conns.len(),
            self.last_zxid,
            self.tree.node_count()
        );
        match word {
            "ruok" => "imok".into(),
            "isro" => "rw".into(),
            "srvr" => format!("Zookeeper version: {VERSION}\n{srvr_tail}"),
            "stat" => format!(
                "Zookeeper version: {VERSION}\nClients:\n{}\n{srvr_tail}",
                self.cons_lines(false)
            ),
            "cons" => format!("{}\n", self.cons_lines(true)),
            "mntr" => {
                let data: usize = self
                    .tree
                    .nodes_parent_first()
                    .iter()
                    .map(|(p, n)| p.len() + n.data.as_ref().map_or(0, Vec::len))
                    .sum();
                [
                    ("zk_version", VERSION.to_string()),
                    ("zk_server_state", "standalone".into()),
                    ("zk_avg_latency", format!("{avg:.4}")),
                    ("zk_max_latency", self.latency.max.to_string()),
                    ("zk_min_latency", self.latency.min.to_string()),
                    ("zk_packets_received", self.received.to_string()),
                    ("zk_packets_sent", self.sent.to_string()),
                    ("zk_num_alive_connections", self.conns.len().to_string()),
                    ("zk_outstanding_requests", "0".into()),
                    ("zk_znode_count", self.tree.node_count().to_string()),
                    ("zk_watch_count", self.watches.count().to_string()),
                    (
                        "zk_ephemerals_count",
                        self.tree.ephemeral_count().to_string(),
                    ),
                    ("zk_approximate_data_size", data.to_string()),
                    ("zk_global_sessions", self.sessions.len().to_string()),
                ]
                .iter()
                .map(|(k, v)| format!("{k}\t{v}\n"))
                .collect()
            }
            "conf" => self
                .cfg
                .conf_lines
                .iter()
                .map(|(k, v)| format!("{k}={v}\n"))
                .collect(),
            "envi" => format!(
                "Environment:\nzookeeper.version={VERSION}\nhost.name=localhost\njava.version=none (rkafka)\nos.name={}\nos.arch={}\nuser.dir={}\n",
                std::env::consts::OS,
                std::env::consts::ARCH,
                std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default()
            ),
            "dump" => {
                let mut s = format!(
                    "SessionTracker dump:\nGlobal Sessions({}):\n",
                    self.sessions.len()
                );
                for sess in self.sessions.all() {
                    s.push_str(&format!("{:#x}\t{}ms\n", sess.id, sess.timeout_ms));
                }
                let with: Vec<i64> = {
                    let mut v = self.tree.ephemeral_sessions();
                    v.sort_unstable();
                    v
                };
                s.push_str(&format!(
                    "ephemeral nodes dump:\nSessions with Ephemerals ({}):\n",
                    with.len()
                ));
                for id in with {
                    s.push_str(&format!("{id:#x}:\n"));
                    for p in self.tree.ephemerals_of(id) {
                        s.push_str(&format!("\t{p}\n"));
                    }
                }
                s
            }
            "wchs" => {
                let by = self.watches.by_path();
                let mut sessions: Vec<i64> = by.iter().map(|(_, s)| *s).collect();
                sessions.sort_unstable();
                sessions.dedup();
                let mut paths: Vec<&String> = by.iter().map(|(p, _)| p).collect();
                paths.dedup();
                format!(
                    "{} connections watching {} paths\nTotal watches:{}\n",
                    sessions.len(),
                    paths.len(),
                    self.watches.count()
                )
            }
            "wchc" => {
                let mut by: Vec<(i64, String)> = self
                    .watches
                    .by_path()
                    .into_iter()
                    .map(|(p, s)| (s, p))
                    .collect();
                by.sort();
                let mut out = String::new();
                let mut last = None;
                for (s, p) in by {
                    if last != Some(s) {
                        out.push_str(&format!("{s:#x}\n"));
                        last = Some(s);
                    }
                    out.push_str(&format!("\t{p}\n"));
                }
                out
            }
            "wchp" => {
                let mut out = String::new();
                let mut last: Option<String> = None;
                for (p, s) in self.watches.by_path() {
                    if last.as_deref() != Some(&p) {
                        out.push_str(&format!("{p}\n"));
                        last = Some(p.clone());
                    }
                    out.push_str(&format!("\t{s:#x}\n"));
                }
                out
            }
            "crst" => {
                for c in self.conns.values_mut() {
                    c.received = 0;
                    c.sent = 0;
                }
                "Connection stats reset.\n".into()
            }
            "srst" => {
                self.latency = Latency::default();
                self.received = 0;
                self.sent = 0;
                "Server stats reset.\n".into()
            }
            "dirs" => "datadir_size: 0\nlogdir_size: 0\n".into(),
            "gtmk" => "0\n".into(),
            other => format!("{other} is not executed because it is not in the whitelist.\n"),
        }
    }

    fn cons_lines(&self, detailed: bool) -> String {
        let mut v: Vec<_> = self.conns.values().collect();
        v.sort_by_key(|c| c.peer);
        v.iter()
            .map(|c| {
                if detailed {
                    format!(
                        " /{}[1](queued=0,recved={},sent={},sid={:#x},lop={},est={},to={})\n",
                        c.peer,
                        c.received,
                        c.sent,
                        c.session.unwrap_or(0),
                        c.last_op,
                        c.established_ms,
                        c.session
                            .and_then(|s| self.sessions.get(s))
                            .map_or(0, |s| s.timeout_ms)
                    )
                } else {
                    format!(
                        " /{}[1](queued=0,recved={},sent={})\n",
                        c.peer, c.received, c.sent
                    )
                }
            })
            .collect()
    }
}

/// Writes the response body of one successful write (also used for multi results).
fn write_result(w: &mut Writer, r: &OpResult) {
    match r {
        OpResult::Created { op: o, path, stat } => {
            w.ustring(path);
            if *o != op::CREATE {
                stat.write(w);
            }
        }
        OpResult::Deleted | OpResult::Checked => {}
        OpResult::SetData(s) | OpResult::SetAcl(s) => s.write(w),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coordinator::proto::{Acl, CreateReq, ReadOp, Reader, Stat, event, write_multi};
    use crate::coordinator::sessions::watch_kind;

    struct Fixture {
        _dir: tempfile::TempDir,
        e: Engine,
        now: u64,
    }

    fn cfg(snap_count: u64) -> EngineConfig {
        EngineConfig {
            limits: SessionLimits::new(100, 0, 0),
            whitelist: vec!["ruok".into()],
            snap_count,
            snap_retain_count: 3,
            purge_interval_ms: 0,
            conf_lines: vec![],
        }
    }

    fn fixture(snap_count: u64) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let (store, rec) = Store::open(dir.path(), None, false).unwrap();
        Fixture {
            e: Engine::new(cfg(snap_count), store, rec, 0),
            _dir: dir,
            now: 0,
        }
    }

    fn peer() -> SocketAddr {
        "10.0.0.5:4000".parse().unwrap()
    }

    impl Fixture {
        /// Connects `conn` as a new session; returns the session id.
        fn connect(&mut self, conn: ConnId) -> i64 {
            let req = ConnectRequest {
                protocol_version: 0,
                last_zxid_seen: 0,
                timeout_ms: 1000,
                session_id: 0,
                passwd: vec![0; 16],
                read_only: Some(false),
            };
            self.e.connect(conn, peer(), &req, self.now, 1).unwrap();
            let out = self.e.commit().unwrap();
            let Outgoing::Frame(f) = &out[0].1 else {
                panic!()
            };
            let mut r = Reader::new(f);
            r.i32("pv").unwrap();
            assert_eq!(r.i32("timeout").unwrap(), 1000);
            r.i64("session").unwrap()
        }

        /// Sends one request and returns every (conn, output) the batch produced.
        fn call(&mut self, conn: ConnId, xid: i32, req: Request) -> Vec<(ConnId, Outgoing)> {
            self.e.request(conn, xid, Ok(req), self.now, 5).unwrap();
            self.e.commit().unwrap()
        }

        /// The (err, body) of the single reply to `conn`.
        fn reply(&mut self, conn: ConnId, req: Request) -> (i32, Vec<u8>) {
            let out = self.call(conn, 7, req);
            let frames: Vec<_> = out
                .iter()
                .filter_map(|(c, o)| match o {
                    Outgoing::Frame(f) if *c == conn && f[..4] == 7i32.to_be_bytes() => {
                        Some(f.clone())
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(frames.len(), 1, "{out:?}");
            let f = &frames[0];
            (
                i32::from_be_bytes([f[12], f[13], f[14], f[15]]),
                f[16..].to_vec(),
            )
        }
    }

    fn create(path: &str, flags: i32) -> WriteOp {
        WriteOp::Create(CreateReq {
            op: op::CREATE,
            path: path.into(),
            data: Some(b"d".to_vec()),
            acl: Acl::open_unsafe(),
            flags,
            ttl: -1,
        })
    }

    #[test]
    fn connect_logs_a_session_and_replies_wait_for_commit() {
        let mut f = fixture(1000);
        let s = f.connect(1);
        assert_ne!(s, 0);
        assert_eq!(f.e.last_zxid(), 1);
        f.e.request(1, 1, Ok(Request::Write(create("/a", 0))), 0, 5)
            .unwrap();
        let out = f.e.commit().unwrap();
        assert_eq!(out.len(), 1);
        assert!(
            f.e.commit().unwrap().is_empty(),
            "outputs are handed out once"
        );
    }

    #[test]
    fn multi_read_layout() {
        let mut f = fixture(1000);
        f.connect(1);
        f.call(1, 1, Request::Write(create("/a", 0)));
        let (err, body) = f.reply(
            1,
            Request::MultiRead(vec![
                ReadOp::GetData { path: "/a".into() },
                ReadOp::GetChildren { path: "/".into() },
                ReadOp::GetData {
                    path: "/none".into(),
                },
            ]),
        );
        assert_eq!(err, 0);
        let mut r = Reader::new(&body);
        assert_eq!(
            (
                r.i32("t").unwrap(),
                r.bool("d").unwrap(),
                r.i32("e").unwrap()
            ),
            (4, false, 0)
        );
        assert_eq!(r.buffer("data").unwrap().unwrap(), b"d");
        Stat::read(&mut r).unwrap();
        assert_eq!(
            (
                r.i32("t").unwrap(),
                r.bool("d").unwrap(),
                r.i32("e").unwrap()
            ),
            (8, false, 0)
        );
        assert_eq!(r.strings("c").unwrap(), vec!["a", "zookeeper"]);
        assert_eq!(
            (
                r.i32("t").unwrap(),
                r.bool("d").unwrap(),
                r.i32("e").unwrap()
            ),
            (-1, false, -101)
        );
        assert_eq!(r.i32("err").unwrap(), -101);
        assert_eq!(
            (
                r.i32("t").unwrap(),
                r.bool("d").unwrap(),
                r.i32("e").unwrap()
            ),
            (-1, true, -1)
        );
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn successful_multi_result_types() {
        let mut f = fixture(1000);
        f.connect(1);
        let mut c2 = create("/b", 0);
        if let WriteOp::Create(c) = &mut c2 {
            c.op = op::CREATE2;
        }
        let ops = vec![
            create("/a", 0),
            c2,
            WriteOp::SetData {
                path: "/a".into(),
                data: None,
                version: 0,
            },
            WriteOp::Check {
                path: "/a".into(),
                version: 1,
            },
            WriteOp::Delete {
                path: "/b".into(),
                version: 0,
            },
        ];
        let mut w = Writer::new();
        write_multi(&mut w, &ops);
        let (err, body) = f.reply(1, Request::Multi(ops));
        assert_eq!(err, 0);
        let mut r = Reader::new(&body);
        let head = |r: &mut Reader| {
            (
                r.i32("t").unwrap(),
                r.bool("d").unwrap(),
                r.i32("e").unwrap(),
            )
        };
        assert_eq!(head(&mut r), (1, false, 0));
        assert_eq!(r.ustring("p").unwrap(), "/a");
        assert_eq!(head(&mut r), (15, false, 0));
        assert_eq!(r.ustring("p").unwrap(), "/b");
        Stat::read(&mut r).unwrap();
        assert_eq!(head(&mut r), (5, false, 0));
        assert_eq!(Stat::read(&mut r).unwrap().version, 1);
        assert_eq!(head(&mut r), (13, false, 0));
        assert_eq!(head(&mut r), (2, false, 0));
        assert_eq!(head(&mut r), (-1, true, -1));
        assert_eq!(r.remaining(), 0);
        // One zxid for the whole multi.
        assert_eq!(f.e.last_zxid(), 2);
    }

    #[test]
    fn watches_persistent_and_removal() {
        let mut f = fixture(1000);
        f.connect(1);
        let (err, body) = f.reply(
            1,
            Request::AddWatch {
                path: "/p".into(),
                mode: 0,
            },
        );
        assert_eq!((err, body), (0, 0i32.to_be_bytes().to_vec()));
        let out = f.call(1, 8, Request::Write(create("/p", 0)));
        // Notification (NodeCreated on /p) first, then the reply.
        let Outgoing::Frame(n) = &out[0].1 else {
            panic!()
        };
        assert_eq!(n[..4], (-1i32).to_be_bytes());
        assert_eq!(n[16..20], event::NODE_CREATED.to_be_bytes());
        let Outgoing::Frame(r) = &out[1].1 else {
            panic!()
        };
        assert_eq!(r[..4], 8i32.to_be_bytes());
        let path = |p: &str| p.to_string();
        assert_eq!(
            f.reply(
                1,
                Request::CheckWatches {
                    path: path("/p"),
                    kind: watch_kind::DATA
                }
            )
            .0,
            -121
        );
        assert_eq!(
            f.reply(
                1,
                Request::CheckWatches {
                    path: path("/p"),
                    kind: watch_kind::PERSISTENT
                }
            )
            .0,
            0
        );
        assert_eq!(
            f.reply(
                1,
                Request::RemoveWatches {
                    path: path("/p"),
                    kind: watch_kind::ANY
                }
            )
            .0,
            0
        );
        assert_eq!(
            f.reply(
                1,
                Request::RemoveWatches {
                    path: path("/p"),
                    kind: watch_kind::ANY
                }
            )
            .0,
            -121
        );
        assert_eq!(
            f.reply(
                1,
                Request::AddWatch {
                    path: path("bad"),
                    mode: 0
                }
            )
            .0,
            -8
        );
        assert_eq!(
            f.reply(
                1,
                Request::AddWatch {
                    path: path("/p"),
                    mode: 7
                }
            )
            .0,
            -8
        );
    }

    #[test]
    fn ephemerals_counts_whoami_and_digest_auth() {
        let mut f = fixture(1000);
        f.connect(1);
        f.call(1, 1, Request::Write(create("/a", 0)));
        f.call(1, 1, Request::Write(create("/a/e1", 1)));
        f.call(1, 1, Request::Write(create("/b", 1)));
        let (_, body) = f.reply(
            1,
            Request::GetEphemerals {
                prefix: "/a".into(),
            },
        );
        assert_eq!(Reader::new(&body).strings("e").unwrap(), vec!["/a/e1"]);
        let (_, body) = f.reply(1, Request::GetEphemerals { prefix: "/".into() });
        assert_eq!(
            Reader::new(&body).strings("e").unwrap(),
            vec!["/a/e1", "/b"]
        );
        let (_, body) = f.reply(1, Request::GetAllChildrenNumber { path: "/".into() });
        assert_eq!(
            body,
            6i32.to_be_bytes().to_vec(),
            "a, a/e1, b, zookeeper, quota, config"
        );

        let out = f.call(
            1,
            xid::AUTH,
            Request::Auth {
                scheme: "digest".into(),
                auth: b"alice:secret".to_vec(),
            },
        );
        let Outgoing::Frame(a) = &out[0].1 else {
            panic!()
        };
        assert_eq!(a, &{
            let mut w = Writer::new();
            ReplyHeader {
                xid: -4,
                zxid: 0,
                err: 0,
            }
            .write(&mut w);
            w.buf
        });
        let (_, body) = f.reply(1, Request::WhoAmI);
        let mut r = Reader::new(&body);
        assert_eq!(r.i32("n").unwrap(), 2);
        assert_eq!(
            (r.ustring("s").unwrap(), r.ustring("u").unwrap()),
            ("ip".into(), "10.0.0.5".into())
        );
        assert_eq!(r.ustring("s").unwrap(), "digest");
        assert_eq!(r.ustring("u").unwrap(), "alice");
        // An ACL for the "auth" scheme resolves to alice; another session cannot read it.
        let mut c = create("/mine", 0);
        if let WriteOp::Create(c) = &mut c {
            c.acl = vec![Acl {
                perms: 31,
                scheme: "auth".into(),
                id: String::new(),
            }];
        }
        f.call(1, 1, Request::Write(c));
        assert_eq!(
            f.reply(
                1,
                Request::GetData {
                    path: "/mine".into(),
                    watch: false
                }
            )
            .0,
            0
        );
        f.connect(2);
        assert_eq!(
            f.reply(
                2,
                Request::GetData {
                    path: "/mine".into(),
                    watch: false
                }
            )
            .0,
            -102
        );
        // An unsupported scheme fails and closes.
        let out = f.call(
            2,
            xid::AUTH,
            Request::Auth {
                scheme: "x509".into(),
                auth: vec![],
            },
        );
        assert_eq!(out.last().unwrap().1, Outgoing::Close);
    }

    #[test]
    fn expiry_deletes_ephemerals_notifies_and_closes() {
        let mut f = fixture(1000);
        let s1 = f.connect(1);
        f.call(1, 1, Request::Write(create("/e", 1)));
        f.connect(2);
        f.call(
            2,
            1,
            Request::Exists {
                path: "/e".into(),
                watch: true,
            },
        );
        // Session 2 keeps pinging; session 1 goes silent.
        let mut out = Vec::new();
        for t in (100..=1500).step_by(100) {
            f.now = t;
            out.extend(f.call(2, xid::PING, Request::Ping));
            f.e.tick(t, 10).unwrap();
            out.extend(f.e.commit().unwrap());
        }
        assert!(f.e.tree().get("/e").is_none());
        assert!(f.e.sessions.get(s1).is_none());
        assert!(out.contains(&(1, Outgoing::Close)), "{out:?}");
        let all: Vec<_> = out.iter().filter(|(c, _)| *c == 2).collect();
        assert!(all.iter().any(|(_, o)| matches!(o, Outgoing::Frame(n) if n.get(16..20) == Some(&event::NODE_DELETED.to_be_bytes()[..]))), "{out:?}");
        // Requests from the expired session's connection are ignored.
        assert!(f.call(1, 3, Request::Ping).is_empty());
    }

    #[test]
    fn snapshots_are_taken_and_recovered() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (store, rec) = Store::open(dir.path(), None, false).unwrap();
            let mut f = Fixture {
                e: Engine::new(cfg(5), store, rec, 0),
                _dir: tempfile::tempdir().unwrap(),
                now: 0,
            };
            f.connect(1);
            for i in 0..12 {
                f.call(1, 1, Request::Write(create(&format!("/n{i}"), 0)));
            }
        }
        let snaps = std::fs::read_dir(dir.path().join("version-2"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("snapshot.")
            })
            .count();
        assert_eq!(snaps, 2, "one snapshot per 5 log entries");
        let (_, rec) = Store::open(dir.path(), None, false).unwrap();
        assert_eq!(rec.last_zxid, 13);
        assert!(rec.tree.get("/n11").is_some());
        assert_eq!(rec.sessions.len(), 1);
    }

    #[test]
    fn four_letter_whitelist() {
        let mut f = fixture(1000);
        assert_eq!(f.e.four_letter("ruok"), "imok");
        assert_eq!(
            f.e.four_letter("srvr"),
            "srvr is not executed because it is not in the whitelist.\n"
        );
    }
}
