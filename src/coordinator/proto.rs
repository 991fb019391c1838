//! ZooKeeper's jute wire records, opcodes and error codes (spec A1-A7), pure byte codecs.
//!
//! Owns the exact byte layout real clients (kazoo, the C client, the Java client used by
//! Kafka) send and expect. Every length and count read here is checked against the bytes that
//! are left before anything is allocated, so a hostile frame can only produce a
//! [`DecodeError`], never a panic or a huge allocation. The same encoders are reused by the
//! transaction log (store.rs), so one codec describes both the wire and the disk.

/// Operation codes (ZooDefs.OpCode).
pub mod op {
    pub const NOTIFICATION: i32 = 0;
    pub const CREATE: i32 = 1;
    pub const DELETE: i32 = 2;
    pub const EXISTS: i32 = 3;
    pub const GET_DATA: i32 = 4;
    pub const SET_DATA: i32 = 5;
    pub const GET_ACL: i32 = 6;
    pub const SET_ACL: i32 = 7;
    pub const GET_CHILDREN: i32 = 8;
    pub const SYNC: i32 = 9;
    pub const PING: i32 = 11;
    pub const GET_CHILDREN2: i32 = 12;
    pub const CHECK: i32 = 13;
    pub const MULTI: i32 = 14;
    pub const CREATE2: i32 = 15;
    pub const RECONFIG: i32 = 16;
    pub const CHECK_WATCHES: i32 = 17;
    pub const REMOVE_WATCHES: i32 = 18;
    pub const CREATE_CONTAINER: i32 = 19;
    pub const DELETE_CONTAINER: i32 = 20;
    pub const CREATE_TTL: i32 = 21;
    pub const MULTI_READ: i32 = 22;
    pub const AUTH: i32 = 100;
    pub const SET_WATCHES: i32 = 101;
    pub const SASL: i32 = 102;
    pub const GET_EPHEMERALS: i32 = 103;
    pub const GET_ALL_CHILDREN_NUMBER: i32 = 104;
    pub const SET_WATCHES2: i32 = 105;
    pub const ADD_WATCH: i32 = 106;
    pub const WHO_AM_I: i32 = 107;
    pub const CREATE_SESSION: i32 = -10;
    pub const CLOSE_SESSION: i32 = -11;
    pub const ERROR: i32 = -1;
}

/// Special request xids (spec A1).
pub mod xid {
    pub const NOTIFICATION: i32 = -1;
    pub const PING: i32 = -2;
    pub const AUTH: i32 = -4;
    pub const SET_WATCHES: i32 = -8;
}

/// KeeperException.Code values sent in `ReplyHeader.err` and multi results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Code {
    Ok = 0,
    SystemError = -1,
    RuntimeInconsistency = -2,
    DataInconsistency = -3,
    ConnectionLoss = -4,
    MarshallingError = -5,
    Unimplemented = -6,
    OperationTimeout = -7,
    BadArguments = -8,
    UnknownSession = -12,
    ApiError = -100,
    NoNode = -101,
    NoAuth = -102,
    BadVersion = -103,
    NoChildrenForEphemerals = -108,
    NodeExists = -110,
    NotEmpty = -111,
    SessionExpired = -112,
    InvalidCallback = -113,
    InvalidAcl = -114,
    AuthFailed = -115,
    SessionMoved = -118,
    NotReadOnly = -119,
    NoWatcher = -121,
    ReconfigDisabled = -123,
    QuotaExceeded = -125,
}

impl Code {
    /// The number sent on the wire.
    pub fn as_i32(self) -> i32 {
        self as i32
    }
}

/// Permission bits of an ACL entry.
pub mod perms {
    pub const READ: i32 = 1;
    pub const WRITE: i32 = 2;
    pub const CREATE: i32 = 4;
    pub const DELETE: i32 = 8;
    pub const ADMIN: i32 = 16;
    pub const ALL: i32 = 31;
}

/// Watcher event types (spec A6).
pub mod event {
    pub const NONE: i32 = -1;
    pub const NODE_CREATED: i32 = 1;
    pub const NODE_DELETED: i32 = 2;
    pub const NODE_DATA_CHANGED: i32 = 3;
    pub const NODE_CHILDREN_CHANGED: i32 = 4;
    pub const DATA_WATCH_REMOVED: i32 = 5;
    pub const CHILD_WATCH_REMOVED: i32 = 6;
    pub const PERSISTENT_WATCH_REMOVED: i32 = 7;
    /// KeeperState.SyncConnected, the state of every server-sent event.
    pub const STATE_SYNC_CONNECTED: i32 = 3;
}

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The record needs more bytes than the frame has.
    #[error("truncated record: {field} needs {needed} bytes, {left} left")]
    Truncated {
        field: &'static str,
        needed: usize,
        left: usize,
    },
    /// A length or count below -1.
    #[error("negative length {len} for {field}")]
    NegativeLength { field: &'static str, len: i32 },
    /// A string that is not UTF-8.
    #[error("{field} is not valid UTF-8")]
    BadUtf8 { field: &'static str },
    /// A value outside what the field allows (an op type not allowed in a multi, ...).
    #[error("invalid {field}: {value}")]
    Invalid { field: &'static str, value: i64 },
    /// The opcode is not one this server decodes.
    #[error("unknown opcode {0}")]
    UnknownOp(i32),
}

/// A cursor over one frame's payload.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let left = self.remaining();
        if n > left {
            return Err(DecodeError::Truncated {
                field,
                needed: n,
                left,
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn i32(&mut self, field: &'static str) -> Result<i32, DecodeError> {
        let b = self.take(4, field)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn i64(&mut self, field: &'static str) -> Result<i64, DecodeError> {
        let b = self.take(8, field)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }

    pub fn bool(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        Ok(self.take(1, field)?[0] != 0)
    }

    /// A length-prefixed byte buffer; -1 is null.
    pub fn buffer(&mut self, field: &'static str) -> Result<Option<Vec<u8>>, DecodeError> {
        let len = self.i32(field)?;
        if len == -1 {
            return Ok(None);
        }
        if len < 0 {
            return Err(DecodeError::NegativeLength { field, len });
        }
        Ok(Some(self.take(len as usize, field)?.to_vec()))
    }

    /// A length-prefixed UTF-8 string; -1 is null.
    pub fn ustring_opt(&mut self, field: &'static str) -> Result<Option<String>, DecodeError> {
        match self.buffer(field)? {
            None => Ok(None),
            Some(b) => String::from_utf8(b)
                .map(Some)
                .map_err(|_| DecodeError::BadUtf8 { field }),
        }
    }

    /// A string where null is read as empty (paths: an empty path fails validation later).
    pub fn ustring(&mut self, field: &'static str) -> Result<String, DecodeError> {
        Ok(self.ustring_opt(field)?.unwrap_or_default())
    }

    /// A vector count; -1 (null) reads as 0. Each element takes at least `min_elem` bytes, so a
    /// count larger than the bytes left can justify is rejected before any allocation.
    pub fn count(&mut self, field: &'static str, min_elem: usize) -> Result<usize, DecodeError> {
        let n = self.i32(field)?;
        if n == -1 {
            return Ok(0);
        }
        if n < 0 {
            return Err(DecodeError::NegativeLength { field, len: n });
        }
        let n = n as usize;
        let needed = n.saturating_mul(min_elem.max(1));
        if needed > self.remaining() {
            return Err(DecodeError::Truncated {
                field,
                needed,
                left: self.remaining(),
            });
        }
        Ok(n)
    }

    pub fn strings(&mut self, field: &'static str) -> Result<Vec<String>, DecodeError> {
        let n = self.count(field, 4)?;
        (0..n).map(|_| self.ustring(field)).collect()
    }
}

/// Appends jute-encoded values to a byte vector.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Writer::default()
    }
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.buf.push(u8::from(v));
        self
    }
    pub fn buffer(&mut self, v: Option<&[u8]>) -> &mut Self {
        match v {
            None => self.i32(-1),
            Some(b) => {
                self.i32(len_i32(b.len()));
                self.buf.extend_from_slice(b);
                self
            }
        }
    }
    pub fn ustring(&mut self, s: &str) -> &mut Self {
        self.buffer(Some(s.as_bytes()))
    }
    pub fn strings(&mut self, v: &[String]) -> &mut Self {
        self.i32(len_i32(v.len()));
        for s in v {
            self.ustring(s);
        }
        self
    }
    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }
}

/// Lengths written by this server are bounded by jute.maxbuffer long before i32::MAX.
fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// One znode's metadata as sent to clients (68 bytes on the wire). Times are ms since epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stat {
    pub czxid: i64,
    pub mzxid: i64,
    pub ctime: i64,
    pub mtime: i64,
    pub version: i32,
    pub cversion: i32,
    pub aversion: i32,
    pub ephemeral_owner: i64,
    pub data_length: i32,
    pub num_children: i32,
    pub pzxid: i64,
}

impl Stat {
    pub fn write(&self, w: &mut Writer) {
        w.i64(self.czxid)
            .i64(self.mzxid)
            .i64(self.ctime)
            .i64(self.mtime)
            .i32(self.version)
            .i32(self.cversion)
            .i32(self.aversion)
            .i64(self.ephemeral_owner)
            .i32(self.data_length)
            .i32(self.num_children)
            .i64(self.pzxid);
    }
    pub fn read(r: &mut Reader) -> Result<Stat, DecodeError> {
        Ok(Stat {
            czxid: r.i64("czxid")?,
            mzxid: r.i64("mzxid")?,
            ctime: r.i64("ctime")?,
            mtime: r.i64("mtime")?,
            version: r.i32("version")?,
            cversion: r.i32("cversion")?,
            aversion: r.i32("aversion")?,
            ephemeral_owner: r.i64("ephemeralOwner")?,
            data_length: r.i32("dataLength")?,
            num_children: r.i32("numChildren")?,
            pzxid: r.i64("pzxid")?,
        })
    }
}

/// One ACL entry: permission bits granted to `scheme:id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Acl {
    pub perms: i32,
    pub scheme: String,
    pub id: String,
}

impl Acl {
    /// `OPEN_ACL_UNSAFE`: everything for world:anyone.
    pub fn open_unsafe() -> Vec<Acl> {
        vec![Acl {
            perms: perms::ALL,
            scheme: "world".into(),
            id: "anyone".into(),
        }]
    }
}

pub fn read_acls(r: &mut Reader) -> Result<Vec<Acl>, DecodeError> {
    let n = r.count("acl", 12)?;
    (0..n)
        .map(|_| {
            Ok(Acl {
                perms: r.i32("perms")?,
                scheme: r.ustring("scheme")?,
                id: r.ustring("id")?,
            })
        })
        .collect()
}

pub fn write_acls(w: &mut Writer, acls: &[Acl]) {
    w.i32(len_i32(acls.len()));
    for a in acls {
        w.i32(a.perms).ustring(&a.scheme).ustring(&a.id);
    }
}

/// The first frame of a session (no request header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectRequest {
    pub protocol_version: i32,
    pub last_zxid_seen: i64,
    pub timeout_ms: i32,
    pub session_id: i64,
    pub passwd: Vec<u8>,
    /// None when the client did not send the byte (old clients); then the reply omits it too.
    pub read_only: Option<bool>,
}

impl ConnectRequest {
    pub fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let protocol_version = r.i32("protocolVersion")?;
        let last_zxid_seen = r.i64("lastZxidSeen")?;
        let timeout_ms = r.i32("timeOut")?;
        let session_id = r.i64("sessionId")?;
        let passwd = r.buffer("passwd")?.unwrap_or_default();
        let read_only = if r.remaining() > 0 {
            Some(r.bool("readOnly")?)
        } else {
            None
        };
        Ok(ConnectRequest {
            protocol_version,
            last_zxid_seen,
            timeout_ms,
            session_id,
            passwd,
            read_only,
        })
    }
    pub fn write(&self, w: &mut Writer) {
        w.i32(self.protocol_version)
            .i64(self.last_zxid_seen)
            .i32(self.timeout_ms)
            .i64(self.session_id)
            .buffer(Some(&self.passwd));
        if let Some(ro) = self.read_only {
            w.bool(ro);
        }
    }
}

/// The handshake answer; `passwd` is always 16 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectResponse {
    pub timeout_ms: i32,
    pub session_id: i64,
    pub passwd: [u8; 16],
    /// Written only when the client sent its readOnly byte.
    pub read_only: Option<bool>,
}

impl ConnectResponse {
    /// The refusal sent for an unknown, expired or wrongly authenticated session.
    pub fn expired(read_only: Option<bool>) -> Self {
        ConnectResponse {
            timeout_ms: 0,
            session_id: 0,
            passwd: [0; 16],
            read_only: read_only.map(|_| false),
        }
    }
    pub fn write(&self, w: &mut Writer) {
        w.i32(0)
            .i32(self.timeout_ms)
            .i64(self.session_id)
            .buffer(Some(&self.passwd));
        if let Some(ro) = self.read_only {
            w.bool(ro);
        }
    }
}

/// ReplyHeader{xid, zxid, err}.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyHeader {
    pub xid: i32,
    pub zxid: i64,
    pub err: i32,
}

impl ReplyHeader {
    pub fn write(&self, w: &mut Writer) {
        w.i32(self.xid).i64(self.zxid).i32(self.err);
    }
}

/// CreateMode flags (spec A5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreateMode {
    Persistent,
    Ephemeral,
    PersistentSequential,
    EphemeralSequential,
    Container,
    PersistentWithTtl,
    PersistentSequentialWithTtl,
}

impl CreateMode {
    pub fn from_flags(flags: i32) -> Option<CreateMode> {
        Some(match flags {
            0 => CreateMode::Persistent,
            1 => CreateMode::Ephemeral,
            2 => CreateMode::PersistentSequential,
            3 => CreateMode::EphemeralSequential,
            4 => CreateMode::Container,
            5 => CreateMode::PersistentWithTtl,
            6 => CreateMode::PersistentSequentialWithTtl,
            _ => return None,
        })
    }
    pub fn is_sequential(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentSequential
                | CreateMode::EphemeralSequential
                | CreateMode::PersistentSequentialWithTtl
        )
    }
    pub fn is_ephemeral(self) -> bool {
        matches!(
            self,
            CreateMode::Ephemeral | CreateMode::EphemeralSequential
        )
    }
    pub fn is_ttl(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl
        )
    }
}

/// A create of any flavour; `op` is the opcode it came with (1, 15, 19 or 21), which decides
/// the reply's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateReq {
    pub op: i32,
    pub path: String,
    pub data: Option<Vec<u8>>,
    pub acl: Vec<Acl>,
    pub flags: i32,
    /// Only for createTTL (21).
    pub ttl: i64,
}

/// A write that can stand alone or inside a multi; this is also what the transaction log
/// records, so replay re-runs exactly the accepted writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    Create(CreateReq),
    Delete {
        path: String,
        version: i32,
    },
    SetData {
        path: String,
        data: Option<Vec<u8>>,
        version: i32,
    },
    SetAcl {
        path: String,
        acl: Vec<Acl>,
        version: i32,
    },
    Check {
        path: String,
        version: i32,
    },
}

impl WriteOp {
    /// The opcode this op is sent with.
    pub fn opcode(&self) -> i32 {
        match self {
            WriteOp::Create(c) => c.op,
            WriteOp::Delete { .. } => op::DELETE,
            WriteOp::SetData { .. } => op::SET_DATA,
            WriteOp::SetAcl { .. } => op::SET_ACL,
            WriteOp::Check { .. } => op::CHECK,
        }
    }

    /// Reads the body of write `opcode`.
    pub fn read(opcode: i32, r: &mut Reader) -> Result<WriteOp, DecodeError> {
        Ok(match opcode {
            op::CREATE | op::CREATE2 | op::CREATE_CONTAINER | op::CREATE_TTL => {
                let path = r.ustring("path")?;
                let data = r.buffer("data")?;
                let acl = read_acls(r)?;
                let flags = r.i32("flags")?;
                let ttl = if opcode == op::CREATE_TTL {
                    r.i64("ttl")?
                } else {
                    -1
                };
                WriteOp::Create(CreateReq {
                    op: opcode,
                    path,
                    data,
                    acl,
                    flags,
                    ttl,
                })
            }
            op::DELETE => WriteOp::Delete {
                path: r.ustring("path")?,
                version: r.i32("version")?,
            },
            op::SET_DATA => WriteOp::SetData {
                path: r.ustring("path")?,
                data: r.buffer("data")?,
                version: r.i32("version")?,
            },
            op::SET_ACL => WriteOp::SetAcl {
                path: r.ustring("path")?,
                acl: read_acls(r)?,
                version: r.i32("version")?,
            },
            op::CHECK => WriteOp::Check {
                path: r.ustring("path")?,
                version: r.i32("version")?,
            },
            other => return Err(DecodeError::UnknownOp(other)),
        })
    }

    /// Writes the body (no header) in the layout [`WriteOp::read`] expects.
    pub fn write(&self, w: &mut Writer) {
        match self {
            WriteOp::Create(c) => {
                w.ustring(&c.path).buffer(c.data.as_deref());
                write_acls(w, &c.acl);
                w.i32(c.flags);
                if c.op == op::CREATE_TTL {
                    w.i64(c.ttl);
                }
            }
            WriteOp::Delete { path, version } => {
                w.ustring(path).i32(*version);
            }
            WriteOp::SetData {
                path,
                data,
                version,
            } => {
                w.ustring(path).buffer(data.as_deref()).i32(*version);
            }
            WriteOp::SetAcl { path, acl, version } => {
                w.ustring(path);
                write_acls(w, acl);
                w.i32(*version);
            }
            WriteOp::Check { path, version } => {
                w.ustring(path).i32(*version);
            }
        }
    }
}

/// A read inside multiRead (22).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOp {
    GetChildren { path: String },
    GetData { path: String },
}

/// Reads multi headers and bodies until the `done` header.
fn read_multi_ops<T>(
    r: &mut Reader,
    mut one: impl FnMut(i32, &mut Reader) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let mut ops = Vec::new();
    loop {
        let ty = r.i32("multi type")?;
        let done = r.bool("multi done")?;
        let _err = r.i32("multi err")?;
        if done {
            return Ok(ops);
        }
        ops.push(one(ty, r)?);
    }
}

/// Writes a multi request (used by tests and the log): headers, bodies, end marker.
pub fn write_multi(w: &mut Writer, ops: &[WriteOp]) {
    for o in ops {
        w.i32(o.opcode()).bool(false).i32(-1);
        o.write(w);
    }
    w.i32(-1).bool(true).i32(-1);
}

/// Watch modes for addWatch (106).
pub mod add_watch_mode {
    pub const PERSISTENT: i32 = 0;
    pub const PERSISTENT_RECURSIVE: i32 = 1;
}

/// The watch lists of setWatches (101) and setWatches2 (105).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetWatches {
    pub relative_zxid: i64,
    pub data: Vec<String>,
    pub exist: Vec<String>,
    pub child: Vec<String>,
    pub persistent: Vec<String>,
    pub recursive: Vec<String>,
}

/// A decoded client request body, keyed by opcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Write(WriteOp),
    Multi(Vec<WriteOp>),
    MultiRead(Vec<ReadOp>),
    Exists {
        path: String,
        watch: bool,
    },
    GetData {
        path: String,
        watch: bool,
    },
    GetAcl {
        path: String,
    },
    GetChildren {
        path: String,
        watch: bool,
    },
    GetChildren2 {
        path: String,
        watch: bool,
    },
    Sync {
        path: String,
    },
    Ping,
    CloseSession,
    CheckWatches {
        path: String,
        kind: i32,
    },
    RemoveWatches {
        path: String,
        kind: i32,
    },
    SetWatches(SetWatches),
    AddWatch {
        path: String,
        mode: i32,
    },
    GetEphemerals {
        prefix: String,
    },
    GetAllChildrenNumber {
        path: String,
    },
    WhoAmI,
    Auth {
        scheme: String,
        auth: Vec<u8>,
    },
    /// deleteContainer (20): internal to ZooKeeper; a client sending it gets BadArguments.
    DeleteContainer {
        path: String,
    },
    /// reconfig (16): a standalone server has reconfiguration disabled.
    Reconfig,
    /// sasl (102): no SASL here; ZooKeeper without SASL drops the connection.
    Sasl,
    /// Known opcodes a client may not send (createSession): answered with Unimplemented.
    Unsupported(i32),
}

impl Request {
    /// Decodes the body that follows a RequestHeader with `opcode`.
    pub fn read(opcode: i32, r: &mut Reader) -> Result<Request, DecodeError> {
        let path_watch = |r: &mut Reader| -> Result<(String, bool), DecodeError> {
            Ok((r.ustring("path")?, r.bool("watch")?))
        };
        Ok(match opcode {
            op::CREATE
            | op::CREATE2
            | op::CREATE_CONTAINER
            | op::CREATE_TTL
            | op::DELETE
            | op::SET_DATA
            | op::SET_ACL
            | op::CHECK => Request::Write(WriteOp::read(opcode, r)?),
            op::DELETE_CONTAINER => Request::DeleteContainer {
                path: r.ustring("path")?,
            },
            op::MULTI => Request::Multi(read_multi_ops(r, |ty, r| match ty {
                op::CREATE
                | op::CREATE2
                | op::CREATE_TTL
                | op::CREATE_CONTAINER
                | op::DELETE
                | op::SET_DATA
                | op::CHECK => WriteOp::read(ty, r),
                other => Err(DecodeError::Invalid {
                    field: "multi op type",
                    value: other.into(),
                }),
            })?),
            op::MULTI_READ => Request::MultiRead(read_multi_ops(r, |ty, r| match ty {
                op::GET_CHILDREN => Ok(ReadOp::GetChildren {
                    path: path_watch(r)?.0,
                }),
                op::GET_DATA => Ok(ReadOp::GetData {
                    path: path_watch(r)?.0,
                }),
                other => Err(DecodeError::Invalid {
                    field: "multiRead op type",
                    value: other.into(),
                }),
            })?),
            op::EXISTS => {
                let (path, watch) = path_watch(r)?;
                Request::Exists { path, watch }
            }
            op::GET_DATA => {
                let (path, watch) = path_watch(r)?;
                Request::GetData { path, watch }
            }
            op::GET_CHILDREN => {
                let (path, watch) = path_watch(r)?;
                Request::GetChildren { path, watch }
            }
            op::GET_CHILDREN2 => {
                let (path, watch) = path_watch(r)?;
                Request::GetChildren2 { path, watch }
            }
            op::GET_ACL => Request::GetAcl {
                path: r.ustring("path")?,
            },
            op::SYNC => Request::Sync {
                path: r.ustring("path")?,
            },
            op::PING => Request::Ping,
            op::CLOSE_SESSION => Request::CloseSession,
            op::CHECK_WATCHES => Request::CheckWatches {
                path: r.ustring("path")?,
                kind: r.i32("type")?,
            },
            op::REMOVE_WATCHES => Request::RemoveWatches {
                path: r.ustring("path")?,
                kind: r.i32("type")?,
            },
            op::SET_WATCHES | op::SET_WATCHES2 => {
                let mut sw = SetWatches {
                    relative_zxid: r.i64("relativeZxid")?,
                    data: r.strings("dataWatches")?,
                    exist: r.strings("existWatches")?,
                    child: r.strings("childWatches")?,
                    ..SetWatches::default()
                };
                if opcode == op::SET_WATCHES2 {
                    sw.persistent = r.strings("persistentWatches")?;
                    sw.recursive = r.strings("persistentRecursiveWatches")?;
                }
                Request::SetWatches(sw)
            }
            op::ADD_WATCH => Request::AddWatch {
                path: r.ustring("path")?,
                mode: r.i32("mode")?,
            },
            op::GET_EPHEMERALS => Request::GetEphemerals {
                prefix: r.ustring("prefixPath")?,
            },
            op::GET_ALL_CHILDREN_NUMBER => Request::GetAllChildrenNumber {
                path: r.ustring("path")?,
            },
            op::WHO_AM_I => Request::WhoAmI,
            op::AUTH => {
                let _ty = r.i32("auth type")?;
                let scheme = r.ustring("scheme")?;
                let auth = r.buffer("auth")?.unwrap_or_default();
                Request::Auth { scheme, auth }
            }
            op::RECONFIG => Request::Reconfig,
            op::SASL => Request::Sasl,
            op::CREATE_SESSION => Request::Unsupported(opcode),
            other => return Err(DecodeError::UnknownOp(other)),
        })
    }
}

/// Encodes a notification frame payload: ReplyHeader{-1, zxid, 0} + WatcherEvent.
pub fn notification(zxid: i64, event_type: i32, path: &str) -> Vec<u8> {
    let mut w = Writer::new();
    ReplyHeader {
        xid: xid::NOTIFICATION,
        zxid,
        err: 0,
    }
    .write(&mut w);
    w.i32(event_type)
        .i32(event::STATE_SYNC_CONNECTED)
        .ustring(path);
    w.into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_is_68_bytes_and_round_trips() {
        let s = Stat {
            czxid: 1,
            mzxid: 2,
            ctime: 3,
            mtime: 4,
            version: 5,
            cversion: 6,
            aversion: 7,
            ephemeral_owner: 8,
            data_length: 9,
            num_children: 10,
            pzxid: 11,
        };
        let mut w = Writer::new();
        s.write(&mut w);
        assert_eq!(w.buf.len(), 68);
        assert_eq!(Stat::read(&mut Reader::new(&w.buf)).unwrap(), s);
    }

    #[test]
    fn connect_request_is_45_bytes_and_reply_41_with_length() {
        let req = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout_ms: 30000,
            session_id: 0,
            passwd: vec![0; 16],
            read_only: Some(false),
        };
        let mut w = Writer::new();
        req.write(&mut w);
        // The C client's handshake: 44 bytes plus the readOnly byte.
        assert_eq!(w.buf.len(), 45);
        let back = ConnectRequest::read(&mut Reader::new(&w.buf)).unwrap();
        assert_eq!(back, req);
        let resp = ConnectResponse {
            timeout_ms: 30000,
            session_id: 7,
            passwd: [1; 16],
            read_only: Some(false),
        };
        let mut w = Writer::new();
        resp.write(&mut w);
        // 4 + 4 + 8 + (4 + 16) + 1 = 37 payload bytes, 41 with the length prefix.
        assert_eq!(w.buf.len() + 4, 41);
    }

    #[test]
    fn connect_request_without_read_only_byte() {
        let mut w = Writer::new();
        w.i32(0).i64(5).i32(10000).i64(0).buffer(Some(&[0; 16]));
        let r = ConnectRequest::read(&mut Reader::new(&w.buf)).unwrap();
        assert_eq!(r.read_only, None);
        assert_eq!(r.last_zxid_seen, 5);
        let mut out = Writer::new();
        ConnectResponse::expired(r.read_only).write(&mut out);
        assert_eq!(out.buf.len(), 36);
    }

    #[test]
    fn hostile_lengths_are_errors_not_allocations() {
        let mut w = Writer::new();
        w.i32(i32::MAX);
        assert!(matches!(
            Reader::new(&w.buf).buffer("data"),
            Err(DecodeError::Truncated { .. })
        ));
        let mut w = Writer::new();
        w.i32(-7);
        assert!(matches!(
            Reader::new(&w.buf).buffer("data"),
            Err(DecodeError::NegativeLength { len: -7, .. })
        ));
        let mut w = Writer::new();
        w.i32(1_000_000_000);
        assert!(Reader::new(&w.buf).strings("children").is_err());
        assert!(read_acls(&mut Reader::new(&w.buf)).is_err());
        let mut w = Writer::new();
        w.i32(2).buf.extend_from_slice(&[0xff, 0xfe]);
        assert_eq!(
            Reader::new(&w.buf).ustring("path"),
            Err(DecodeError::BadUtf8 { field: "path" })
        );
    }

    #[test]
    fn write_ops_round_trip_including_ttl() {
        let ops = vec![
            WriteOp::Create(CreateReq {
                op: op::CREATE_TTL,
                path: "/a".into(),
                data: Some(b"x".to_vec()),
                acl: Acl::open_unsafe(),
                flags: 5,
                ttl: 1000,
            }),
            WriteOp::Create(CreateReq {
                op: op::CREATE,
                path: "/b".into(),
                data: None,
                acl: Acl::open_unsafe(),
                flags: 0,
                ttl: -1,
            }),
            WriteOp::Delete {
                path: "/a".into(),
                version: 3,
            },
            WriteOp::SetData {
                path: "/b".into(),
                data: Some(vec![]),
                version: -1,
            },
            WriteOp::Check {
                path: "/b".into(),
                version: 1,
            },
        ];
        let mut w = Writer::new();
        write_multi(&mut w, &ops);
        let got = Request::read(op::MULTI, &mut Reader::new(&w.buf)).unwrap();
        assert_eq!(got, Request::Multi(ops));
    }

    #[test]
    fn multi_rejects_read_ops_and_unknown_opcodes_fail() {
        let mut w = Writer::new();
        w.i32(op::GET_DATA)
            .bool(false)
            .i32(-1)
            .ustring("/")
            .bool(false);
        w.i32(-1).bool(true).i32(-1);
        assert!(Request::read(op::MULTI, &mut Reader::new(&w.buf)).is_err());
        assert_eq!(
            Request::read(77, &mut Reader::new(&[])),
            Err(DecodeError::UnknownOp(77))
        );
        assert_eq!(
            Request::read(op::CREATE_SESSION, &mut Reader::new(&[])).unwrap(),
            Request::Unsupported(op::CREATE_SESSION)
        );
    }

    #[test]
    fn notification_layout() {
        let n = notification(-1, event::NODE_CREATED, "/x");
        assert_eq!(n.len(), 16 + 4 + 4 + 4 + 2);
        assert_eq!(&n[0..4], &(-1i32).to_be_bytes());
        assert_eq!(&n[16..20], &1i32.to_be_bytes());
        assert_eq!(&n[20..24], &3i32.to_be_bytes());
    }
}
