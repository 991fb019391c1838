//! The tokio side of the client: one task owns the socket. It connects to the next host of the
//! ring, performs the handshake (resuming the session when it has one), replays auth and
//! watches, writes requests as they come from the handles, matches replies to requests,
//! forwards notifications, pings when idle and reconnects when the connection is lost.
//! Every decision comes from the pure structs of [`super::state`]; this file only moves bytes.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::codec::{self, KeeperState, WatchedEvent, ZkError};
use super::state::{
    Chroot, ConnTimers, HostRing, PendingQueue, TimerAction, WatchKind, WatchRegistry,
};
use super::{SessionInfo, Shared};
use crate::coordinator::proto::{Code, ConnectRequest, Reader, Writer, op, xid};
use crate::types::HostPort;

/// What a reply should do to the watch registry.
#[derive(Debug, Clone)]
pub(crate) struct WatchReg {
    /// Server path.
    pub path: String,
    /// Armed when the reply is OK.
    pub on_ok: Option<WatchKind>,
    /// Armed when the reply is NoNode (exists on a missing node).
    pub on_no_node: Option<WatchKind>,
    /// A removeWatches type whose watches are forgotten when the reply is OK.
    pub removes: Option<i32>,
}

/// A reply as it came off the wire (body only present when `err` is 0).
#[derive(Debug)]
pub(crate) struct RawReply {
    pub err: i32,
    pub body: Vec<u8>,
}

/// A request from a handle.
#[derive(Debug)]
pub(crate) struct Call {
    pub opcode: i32,
    /// A special xid (auth -4); None for a normal, ordered xid.
    pub special_xid: Option<i32>,
    pub body: Vec<u8>,
    pub watch: Option<WatchReg>,
    pub reply: oneshot::Sender<Result<RawReply, ZkError>>,
}

#[derive(Debug)]
pub(crate) enum Command {
    Call(Call),
    /// closeSession, then stop; answered once the server replied or the connection is gone.
    Close(oneshot::Sender<()>),
}

/// What a pending xid stands for.
#[derive(Debug)]
enum Pending {
    User {
        watch: Option<WatchReg>,
        reply: oneshot::Sender<Result<RawReply, ZkError>>,
    },
    /// Auth replayed after a reconnect, or setWatches: the reply is only checked.
    Internal,
    Close,
}

/// Settings the task runs with.
#[derive(Debug)]
pub(crate) struct TaskSettings {
    pub ring: HostRing,
    pub chroot: Chroot,
    pub session_timeout_ms: i32,
    pub max_frame_bytes: usize,
}

/// How a connected phase ended.
enum End {
    Lost,
    Closed,
}

pub(crate) async fn run(
    mut settings: TaskSettings,
    mut cmds: mpsc::Receiver<Command>,
    events: mpsc::UnboundedSender<WatchedEvent>,
    shared: Arc<Shared>,
) {
    let mut watches = WatchRegistry::default();
    let mut auths: Vec<(String, Vec<u8>)> = Vec::new();
    let mut closers: Vec<oneshot::Sender<()>> = Vec::new();
    loop {
        // Connect phase: requests wait in the channel meanwhile.
        let (stream, resp) = loop {
            if shared.is_closing() || (cmds.is_closed() && cmds.is_empty()) {
                finish(&shared, &events, KeeperState::Closed, closers);
                return;
            }
            let (host, delay) = settings.ring.next_attempt();
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let n = settings.ring.hosts().len().max(1) as u64;
            let per_host = Duration::from_millis(
                (u64::try_from(settings.session_timeout_ms).unwrap_or(0) / n).max(1000),
            );
            let (session_id, passwd, last_zxid) = {
                let s = shared.info();
                (s.session_id, s.passwd, s.last_zxid)
            };
            let attempt = tokio::time::timeout(
                per_host,
                handshake(
                    &host,
                    settings.session_timeout_ms,
                    session_id,
                    passwd,
                    last_zxid,
                ),
            )
            .await;
            match attempt {
                Ok(Ok(Handshake::Session(stream, resp))) => break (stream, resp),
                Ok(Ok(Handshake::Expired)) => {
                    tracing::warn!(session = format!("{session_id:#x}"), "session expired");
                    shared.set_state(KeeperState::Expired);
                    let _ = events.send(WatchedEvent::session(KeeperState::Expired));
                    cmds.close();
                    while let Ok(cmd) = cmds.try_recv() {
                        if let Command::Call(c) = cmd {
                            let _ = c.reply.send(Err(ZkError::SessionExpired));
                        }
                    }
                    return;
                }
                Ok(Err(e)) => {
                    tracing::debug!(host = %host, error = %e, "connect failed");
                    settings.ring.failed();
                }
                Err(_) => {
                    tracing::debug!(host = %host, "connect timed out");
                    settings.ring.failed();
                }
            }
        };
        settings.ring.connected();
        shared.connected(&resp);
        let _ = events.send(WatchedEvent::session(KeeperState::SyncConnected));
        let mut conn = Conn {
            pending: PendingQueue::default(),
            rbuf: BytesMut::with_capacity(64 * 1024),
            last_read: Instant::now(),
            last_write: Instant::now(),
            timers: ConnTimers::from_negotiated(resp.timeout_ms),
            max_frame: settings.max_frame_bytes,
        };
        let (mut rd, mut wr) = stream.into_split();
        let end = conn
            .serve(
                &mut rd,
                &mut wr,
                &mut cmds,
                &events,
                &shared,
                &settings.chroot,
                &mut watches,
                &mut auths,
                &mut closers,
            )
            .await;
        for p in conn.pending.drain() {
            if let Pending::User { reply, .. } = p {
                let err = match end {
                    End::Lost => ZkError::ConnectionLoss,
                    End::Closed => ZkError::Closed,
                };
                let _ = reply.send(Err(err));
            }
        }
        match end {
            End::Closed => {
                finish(&shared, &events, KeeperState::Closed, closers);
                return;
            }
            End::Lost => {
                if shared.is_closing() {
                    finish(&shared, &events, KeeperState::Closed, closers);
                    return;
                }
                shared.set_state(KeeperState::Disconnected);
                let _ = events.send(WatchedEvent::session(KeeperState::Disconnected));
            }
        }
    }
}

fn finish(
    shared: &Shared,
    events: &mpsc::UnboundedSender<WatchedEvent>,
    state: KeeperState,
    closers: Vec<oneshot::Sender<()>>,
) {
    shared.set_state(state);
    let _ = events.send(WatchedEvent::session(state));
    for c in closers {
        let _ = c.send(());
    }
}

enum Handshake {
    Session(TcpStream, HandshakeReply),
    Expired,
}

/// The fields of a ConnectResponse the client uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HandshakeReply {
    pub timeout_ms: i32,
    pub session_id: i64,
    pub passwd: [u8; 16],
}

async fn handshake(
    host: &HostPort,
    timeout_ms: i32,
    session_id: i64,
    passwd: [u8; 16],
    last_zxid: i64,
) -> std::io::Result<Handshake> {
    let mut stream = TcpStream::connect((host.host.as_str(), host.port)).await?;
    stream.set_nodelay(true)?;
    let mut w = Writer::new();
    ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: last_zxid,
        timeout_ms,
        session_id,
        passwd: passwd.to_vec(),
        read_only: Some(false),
    }
    .write(&mut w);
    stream.write_all(&frame(&w.buf)).await?;
    let len = stream.read_i32().await?;
    if !(20..=1024).contains(&len) {
        return Err(bad_data(format!("ConnectResponse length {len}")));
    }
    let mut buf = vec![0u8; len as usize];
    stream.read_exact(&mut buf).await?;
    let reply = parse_connect_response(&buf).map_err(bad_data)?;
    if reply.timeout_ms <= 0 {
        return Ok(Handshake::Expired);
    }
    Ok(Handshake::Session(stream, reply))
}

fn bad_data(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg)
}

/// Decodes a ConnectResponse payload; the password must be exactly 16 bytes.
pub(crate) fn parse_connect_response(buf: &[u8]) -> Result<HandshakeReply, String> {
    let mut r = Reader::new(buf);
    let e = |e: crate::coordinator::proto::DecodeError| e.to_string();
    let _pv = r.i32("protocolVersion").map_err(e)?;
    let timeout_ms = r.i32("timeOut").map_err(e)?;
    let session_id = r.i64("sessionId").map_err(e)?;
    let pw = r.buffer("passwd").map_err(e)?.unwrap_or_default();
    let passwd: [u8; 16] = pw
        .as_slice()
        .try_into()
        .map_err(|_| format!("session password is {} bytes, not 16", pw.len()))?;
    Ok(HandshakeReply {
        timeout_ms,
        session_id,
        passwd,
    })
}

/// A frame: int32 length + payload.
pub(crate) fn frame(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(payload.len() + 4);
    v.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// The length of the complete frame at the head of `buf`, if there is one. A negative or
/// too large length is an error (the connection is dropped).
pub(crate) fn frame_len(buf: &[u8], max: usize) -> Result<Option<usize>, String> {
    let Some(head) = buf.get(..4) else {
        return Ok(None);
    };
    let len = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let len = usize::try_from(len).map_err(|_| format!("negative frame length {len}"))?;
    if len > max {
        return Err(format!("Packet len {len} is out of range!"));
    }
    Ok((buf.len() >= 4 + len).then_some(len))
}

struct Conn {
    pending: PendingQueue<Pending>,
    rbuf: BytesMut,
    last_read: Instant,
    last_write: Instant,
    timers: ConnTimers,
    max_frame: usize,
}

impl Conn {
    async fn send(&mut self, wr: &mut OwnedWriteHalf, xid: i32, opcode: i32, body: &[u8]) -> bool {
        let mut w = Writer::new();
        w.i32(xid).i32(opcode);
        w.buf.extend_from_slice(body);
        self.last_write = Instant::now();
        wr.write_all(&frame(&w.buf)).await.is_ok()
    }

    #[allow(clippy::too_many_arguments)]
    async fn serve(
        &mut self,
        rd: &mut tokio::net::tcp::OwnedReadHalf,
        wr: &mut OwnedWriteHalf,
        cmds: &mut mpsc::Receiver<Command>,
        events: &mpsc::UnboundedSender<WatchedEvent>,
        shared: &Shared,
        chroot: &Chroot,
        watches: &mut WatchRegistry,
        auths: &mut Vec<(String, Vec<u8>)>,
        closers: &mut Vec<oneshot::Sender<()>>,
    ) -> End {
        // Replay credentials, then watches, before any new request (Java client order).
        for (scheme, auth) in auths.iter() {
            self.pending.push(xid::AUTH, Pending::Internal);
            if !self
                .send(wr, xid::AUTH, op::AUTH, &codec::auth_body(scheme, auth))
                .await
            {
                return End::Lost;
            }
        }
        let last_zxid = shared.info().last_zxid;
        for (sw, v2) in watches.set_watches(last_zxid, 128 * 1024) {
            let opcode = if v2 {
                op::SET_WATCHES2
            } else {
                op::SET_WATCHES
            };
            self.pending.push(xid::SET_WATCHES, Pending::Internal);
            if !self
                .send(
                    wr,
                    xid::SET_WATCHES,
                    opcode,
                    &codec::set_watches_body(&sw, v2),
                )
                .await
            {
                return End::Lost;
            }
        }
        let mut closing = !closers.is_empty();
        if closing && !self.start_close(wr).await {
            return End::Closed;
        }
        loop {
            let wait = match self
                .timers
                .decide(self.last_read.elapsed(), self.last_write.elapsed())
            {
                TimerAction::Dead => {
                    tracing::debug!("no reply from the server in time; reconnecting");
                    return End::Lost;
                }
                TimerAction::Ping => {
                    if !self.send(wr, xid::PING, op::PING, &[]).await {
                        return End::Lost;
                    }
                    continue;
                }
                TimerAction::WaitFor(d) => d,
            };
            tokio::select! {
                r = rd.read_buf(&mut self.rbuf) => {
                    match r {
                        Ok(0) | Err(_) => {
                            return if closing { End::Closed } else { End::Lost };
                        }
                        Ok(_) => {
                            self.last_read = Instant::now();
                            match self.drain_frames(events, shared, chroot, watches, auths) {
                                Ok(false) => {}
                                Ok(true) => return End::Closed,
                                Err(e) => {
                                    tracing::warn!(error = %e, "dropping the connection");
                                    return End::Lost;
                                }
                            }
                        }
                    }
                }
                cmd = cmds.recv(), if !closing => {
                    match cmd {
                        None => {
                            closing = true;
                            if !self.start_close(wr).await {
                                return End::Closed;
                            }
                        }
                        Some(Command::Close(tx)) => {
                            closers.push(tx);
                            closing = true;
                            if !self.start_close(wr).await {
                                return End::Closed;
                            }
                        }
                        Some(Command::Call(c)) => {
                            let x = c.special_xid.unwrap_or_else(|| self.pending.next_xid());
                            if c.opcode == op::AUTH
                                && let Some(a) = auth_of(&c.body)
                            {
                                auths.push(a);
                            }
                            self.pending.push(x, Pending::User { watch: c.watch, reply: c.reply });
                            if !self.send(wr, x, c.opcode, &c.body).await {
                                return End::Lost;
                            }
                        }
                    }
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn start_close(&mut self, wr: &mut OwnedWriteHalf) -> bool {
        let x = self.pending.next_xid();
        self.pending.push(x, Pending::Close);
        self.send(wr, x, op::CLOSE_SESSION, &[]).await
    }

    /// Handles every complete frame in the buffer; Ok(true) once closeSession was answered.
    fn drain_frames(
        &mut self,
        events: &mpsc::UnboundedSender<WatchedEvent>,
        shared: &Shared,
        chroot: &Chroot,
        watches: &mut WatchRegistry,
        auths: &mut Vec<(String, Vec<u8>)>,
    ) -> Result<bool, String> {
        while let Some(len) = frame_len(&self.rbuf, self.max_frame)? {
            self.rbuf.advance(4);
            let payload = self.rbuf.split_to(len);
            let mut r = Reader::new(&payload);
            let hdr = (|| {
                Ok::<_, crate::coordinator::proto::DecodeError>((
                    r.i32("xid")?,
                    r.i64("zxid")?,
                    r.i32("err")?,
                ))
            })();
            let (x, zxid, err) = hdr.map_err(|e| e.to_string())?;
            match x {
                xid::NOTIFICATION => {
                    let ev = (|| {
                        Ok::<_, crate::coordinator::proto::DecodeError>((
                            r.i32("type")?,
                            r.i32("state")?,
                            r.ustring("path")?,
                        ))
                    })();
                    let (ty, state, path) = ev.map_err(|e| e.to_string())?;
                    watches.on_event(ty, &path);
                    let _ = events.send(WatchedEvent {
                        kind: codec::EventKind::from_i32(ty),
                        state: KeeperState::from_i32(state),
                        path: Some(chroot.to_client(&path)),
                    });
                }
                xid::PING => {}
                _ => {
                    let entry = self.pending.complete(x).map_err(|e| e.to_string())?;
                    if zxid > 0 {
                        shared.saw_zxid(zxid);
                    }
                    let body = payload.get(16..).unwrap_or_default().to_vec();
                    match entry {
                        Pending::Close => return Ok(true),
                        Pending::Internal => {
                            if x == xid::AUTH && err == Code::AuthFailed as i32 {
                                auths.clear();
                                let _ = events.send(WatchedEvent::session(KeeperState::AuthFailed));
                            }
                        }
                        Pending::User { watch, reply } => {
                            if let Some(w) = watch {
                                if err == 0 {
                                    if let Some(k) = w.on_ok {
                                        watches.add(k, &w.path);
                                    }
                                    if let Some(t) = w.removes {
                                        watches.on_removed(t, &w.path);
                                    }
                                } else if err == Code::NoNode as i32
                                    && let Some(k) = w.on_no_node
                                {
                                    watches.add(k, &w.path);
                                }
                            }
                            if x == xid::AUTH && err == Code::AuthFailed as i32 {
                                auths.pop();
                                let _ = events.send(WatchedEvent::session(KeeperState::AuthFailed));
                            }
                            let _ = reply.send(Ok(RawReply { err, body }));
                        }
                    }
                }
            }
        }
        Ok(false)
    }
}

/// The (scheme, credentials) of an auth body, to replay after a reconnect.
fn auth_of(body: &[u8]) -> Option<(String, Vec<u8>)> {
    let mut r = Reader::new(body);
    r.i32("type").ok()?;
    let scheme = r.ustring("scheme").ok()?;
    let auth = r.buffer("auth").ok()?.unwrap_or_default();
    Some((scheme, auth))
}

impl SessionInfo {
    fn from_reply(prev: &SessionInfo, resp: &HandshakeReply) -> SessionInfo {
        SessionInfo {
            session_id: resp.session_id,
            passwd: resp.passwd,
            negotiated_timeout_ms: resp.timeout_ms,
            last_zxid: prev.last_zxid,
            state: KeeperState::SyncConnected,
        }
    }
}

impl Shared {
    fn connected(&self, resp: &HandshakeReply) {
        let mut g = self.lock();
        *g = SessionInfo::from_reply(&g, resp);
        drop(g);
        self.notify_state(KeeperState::SyncConnected);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_only_when_complete() {
        let f = frame(b"abc");
        assert_eq!(frame_len(&f[..2], 100), Ok(None));
        assert_eq!(frame_len(&f[..5], 100), Ok(None));
        assert_eq!(frame_len(&f, 100), Ok(Some(3)));
        assert!(frame_len(&(-1i32).to_be_bytes(), 100).is_err());
        assert!(frame_len(&1000i32.to_be_bytes(), 100).is_err());
    }

    #[test]
    fn connect_response_needs_a_16_byte_password() {
        let mut w = Writer::new();
        crate::coordinator::proto::ConnectResponse {
            timeout_ms: 4000,
            session_id: 0x77,
            passwd: [3; 16],
            read_only: Some(false),
        }
        .write(&mut w);
        let r = parse_connect_response(&w.buf).unwrap();
        assert_eq!(
            (r.timeout_ms, r.session_id, r.passwd),
            (4000, 0x77, [3; 16])
        );
        let mut w = Writer::new();
        w.i32(0).i32(4000).i64(1).buffer(Some(&[1, 2]));
        assert!(parse_connect_response(&w.buf).is_err());
        assert!(parse_connect_response(&[0, 0]).is_err());
    }

    #[test]
    fn auth_bodies_are_remembered_for_replay() {
        let b = codec::auth_body("digest", b"u:p");
        assert_eq!(auth_of(&b), Some(("digest".into(), b"u:p".to_vec())));
        assert_eq!(auth_of(&[1]), None);
    }
}
