//! Request bodies the client sends and the reply bodies it reads, pure, on top of the jute
//! codecs in [`crate::coordinator::proto`]. Also the client's typed error and the public
//! value types (events, multi ops and results) so the whole wire mapping lives in one place.

use crate::coordinator::proto::{
    Acl, Code, CreateMode, CreateReq, DecodeError, Reader, Stat, WriteOp, Writer, event, op,
    write_acls, write_multi,
};

/// A ZooKeeper error as the client reports it. Path-bearing variants name the client path
/// (chroot stripped) the failing request was about. Display follows the Java client's
/// `KeeperException` wording (`KeeperErrorCode = NoNode for /x`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZkError {
    #[error("KeeperErrorCode = NoNode for {path}")]
    NoNode { path: String },
    #[error("KeeperErrorCode = NodeExists for {path}")]
    NodeExists { path: String },
    #[error("KeeperErrorCode = BadVersion for {path}")]
    BadVersion { path: String },
    #[error("KeeperErrorCode = Directory not empty for {path}")]
    NotEmpty { path: String },
    #[error("KeeperErrorCode = NoAuth for {path}")]
    NoAuth { path: String },
    #[error("KeeperErrorCode = NoChildrenForEphemerals for {path}")]
    NoChildrenForEphemerals { path: String },
    #[error("KeeperErrorCode = InvalidACL for {path}")]
    InvalidAcl { path: String },
    #[error("KeeperErrorCode = BadArguments for {path}")]
    BadArguments { path: String },
    #[error("KeeperErrorCode = No such watcher for {path}")]
    NoWatcher { path: String },
    #[error("KeeperErrorCode = Unimplemented for {path}")]
    Unimplemented { path: String },
    #[error("KeeperErrorCode = Session expired")]
    SessionExpired,
    #[error("KeeperErrorCode = ConnectionLoss")]
    ConnectionLoss,
    #[error("KeeperErrorCode = OperationTimeout")]
    OperationTimeout,
    #[error("KeeperErrorCode = AuthFailed")]
    AuthFailed,
    /// Any other code from the server (see spec A4).
    #[error("KeeperErrorCode = {code} for {path}")]
    Other { code: i32, path: String },
    /// The path was refused before sending (not absolute, empty segment, ...).
    #[error(transparent)]
    BadPath(#[from] super::state::PathError),
    /// The server sent a reply this client cannot decode; the connection is dropped.
    #[error("malformed reply to {what}: {source}")]
    Malformed {
        what: &'static str,
        #[source]
        source: DecodeError,
    },
    /// A multi failed: `index` is the failing op, `results` every op's outcome.
    #[error("multi failed at op {index}: {source}")]
    Multi {
        index: usize,
        #[source]
        source: Box<ZkError>,
        results: Vec<OpResult>,
    },
    /// `close` was called (or every handle was dropped) before this request.
    #[error("the ZooKeeper client is closed")]
    Closed,
}

impl ZkError {
    /// The error for server code `code` on `path` (a client path).
    pub fn from_code(code: i32, path: &str) -> ZkError {
        let path = path.to_string();
        match code {
            c if c == Code::NoNode as i32 => ZkError::NoNode { path },
            c if c == Code::NodeExists as i32 => ZkError::NodeExists { path },
            c if c == Code::BadVersion as i32 => ZkError::BadVersion { path },
            c if c == Code::NotEmpty as i32 => ZkError::NotEmpty { path },
            c if c == Code::NoAuth as i32 => ZkError::NoAuth { path },
            c if c == Code::NoChildrenForEphemerals as i32 => {
                ZkError::NoChildrenForEphemerals { path }
            }
            c if c == Code::InvalidAcl as i32 => ZkError::InvalidAcl { path },
            c if c == Code::BadArguments as i32 => ZkError::BadArguments { path },
            c if c == Code::NoWatcher as i32 => ZkError::NoWatcher { path },
            c if c == Code::Unimplemented as i32 => ZkError::Unimplemented { path },
            c if c == Code::SessionExpired as i32 => ZkError::SessionExpired,
            c if c == Code::ConnectionLoss as i32 => ZkError::ConnectionLoss,
            c if c == Code::OperationTimeout as i32 => ZkError::OperationTimeout,
            c if c == Code::AuthFailed as i32 => ZkError::AuthFailed,
            code => ZkError::Other { code, path },
        }
    }

    /// The ZooKeeper error code this error stands for, when it came from one.
    pub fn code(&self) -> Option<i32> {
        Some(match self {
            ZkError::NoNode { .. } => Code::NoNode as i32,
            ZkError::NodeExists { .. } => Code::NodeExists as i32,
            ZkError::BadVersion { .. } => Code::BadVersion as i32,
            ZkError::NotEmpty { .. } => Code::NotEmpty as i32,
            ZkError::NoAuth { .. } => Code::NoAuth as i32,
            ZkError::NoChildrenForEphemerals { .. } => Code::NoChildrenForEphemerals as i32,
            ZkError::InvalidAcl { .. } => Code::InvalidAcl as i32,
            ZkError::BadArguments { .. } => Code::BadArguments as i32,
            ZkError::NoWatcher { .. } => Code::NoWatcher as i32,
            ZkError::Unimplemented { .. } => Code::Unimplemented as i32,
            ZkError::SessionExpired => Code::SessionExpired as i32,
            ZkError::ConnectionLoss => Code::ConnectionLoss as i32,
            ZkError::OperationTimeout => Code::OperationTimeout as i32,
            ZkError::AuthFailed => Code::AuthFailed as i32,
            ZkError::Other { code, .. } => *code,
            ZkError::Multi { source, .. } => return source.code(),
            ZkError::BadPath(_) | ZkError::Malformed { .. } | ZkError::Closed => return None,
        })
    }

    /// The path the error is about, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            ZkError::NoNode { path }
            | ZkError::NodeExists { path }
            | ZkError::BadVersion { path }
            | ZkError::NotEmpty { path }
            | ZkError::NoAuth { path }
            | ZkError::NoChildrenForEphemerals { path }
            | ZkError::InvalidAcl { path }
            | ZkError::BadArguments { path }
            | ZkError::NoWatcher { path }
            | ZkError::Unimplemented { path }
            | ZkError::Other { path, .. } => Some(path),
            ZkError::Multi { source, .. } => source.path(),
            _ => None,
        }
    }
}

/// Event types of a [`WatchedEvent`] (spec A6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A session state change (no path).
    None,
    NodeCreated,
    NodeDeleted,
    NodeDataChanged,
    NodeChildrenChanged,
    DataWatchRemoved,
    ChildWatchRemoved,
    PersistentWatchRemoved,
    Unknown(i32),
}

impl EventKind {
    pub fn from_i32(v: i32) -> EventKind {
        match v {
            event::NONE => EventKind::None,
            event::NODE_CREATED => EventKind::NodeCreated,
            event::NODE_DELETED => EventKind::NodeDeleted,
            event::NODE_DATA_CHANGED => EventKind::NodeDataChanged,
            event::NODE_CHILDREN_CHANGED => EventKind::NodeChildrenChanged,
            event::DATA_WATCH_REMOVED => EventKind::DataWatchRemoved,
            event::CHILD_WATCH_REMOVED => EventKind::ChildWatchRemoved,
            event::PERSISTENT_WATCH_REMOVED => EventKind::PersistentWatchRemoved,
            other => EventKind::Unknown(other),
        }
    }
}

/// Session states (KeeperState).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeeperState {
    Disconnected,
    SyncConnected,
    AuthFailed,
    ConnectedReadOnly,
    Expired,
    Closed,
    Unknown(i32),
}

impl KeeperState {
    pub fn from_i32(v: i32) -> KeeperState {
        match v {
            0 => KeeperState::Disconnected,
            3 => KeeperState::SyncConnected,
            4 => KeeperState::AuthFailed,
            5 => KeeperState::ConnectedReadOnly,
            -112 => KeeperState::Expired,
            7 => KeeperState::Closed,
            other => KeeperState::Unknown(other),
        }
    }
}

/// A watch notification (kind + path) or a session state change (kind None, no path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedEvent {
    pub kind: EventKind,
    pub state: KeeperState,
    /// The client path (chroot stripped); None for session events.
    pub path: Option<String>,
}

impl WatchedEvent {
    pub fn session(state: KeeperState) -> WatchedEvent {
        WatchedEvent {
            kind: EventKind::None,
            state,
            path: None,
        }
    }
}

/// One operation of a [`multi`](super::ZkClient::multi); paths are client paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Create {
        path: String,
        data: Vec<u8>,
        acl: Vec<Acl>,
        mode: CreateMode,
    },
    SetData {
        path: String,
        data: Vec<u8>,
        version: i32,
    },
    Delete {
        path: String,
        version: i32,
    },
    Check {
        path: String,
        version: i32,
    },
}

impl Op {
    pub fn path(&self) -> &str {
        match self {
            Op::Create { path, .. }
            | Op::SetData { path, .. }
            | Op::Delete { path, .. }
            | Op::Check { path, .. } => path,
        }
    }
}

/// The outcome of one multi op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    /// The created node's client path.
    Create {
        path: String,
    },
    SetData {
        stat: Stat,
    },
    Delete,
    Check,
    /// The op failed (`code` != 0), or it was fine but another op failed (`code` 0), or it
    /// was not run because an earlier op failed (`code` -2, RuntimeInconsistency).
    Error {
        code: i32,
    },
}

/// Who a connection is authenticated as (whoAmI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    pub auth_scheme: String,
    pub user: String,
}

/// The opcode a create is sent with: TTL 21, container 19, create2 15, else create 1 (the
/// Java client's choices, spec A5).
pub fn create_opcode(mode: CreateMode, want_stat: bool) -> i32 {
    if mode.is_ttl() {
        op::CREATE_TTL
    } else if mode == CreateMode::Container {
        op::CREATE_CONTAINER
    } else if want_stat {
        op::CREATE2
    } else {
        op::CREATE
    }
}

/// The flags value of a create mode.
pub fn create_flags(mode: CreateMode) -> i32 {
    match mode {
        CreateMode::Persistent => 0,
        CreateMode::Ephemeral => 1,
        CreateMode::PersistentSequential => 2,
        CreateMode::EphemeralSequential => 3,
        CreateMode::Container => 4,
        CreateMode::PersistentWithTtl => 5,
        CreateMode::PersistentSequentialWithTtl => 6,
    }
}

/// A create body (server path).
pub fn create_body(
    opcode: i32,
    path: &str,
    data: &[u8],
    acl: &[Acl],
    mode: CreateMode,
    ttl: i64,
) -> Vec<u8> {
    let mut w = Writer::new();
    WriteOp::Create(CreateReq {
        op: opcode,
        path: path.to_string(),
        data: Some(data.to_vec()),
        acl: acl.to_vec(),
        flags: create_flags(mode),
        ttl,
    })
    .write(&mut w);
    w.into_vec()
}

pub fn path_body(path: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.ustring(path);
    w.into_vec()
}

pub fn path_watch_body(path: &str, watch: bool) -> Vec<u8> {
    let mut w = Writer::new();
    w.ustring(path).bool(watch);
    w.into_vec()
}

pub fn path_int_body(path: &str, v: i32) -> Vec<u8> {
    let mut w = Writer::new();
    w.ustring(path).i32(v);
    w.into_vec()
}

pub fn set_data_body(path: &str, data: &[u8], version: i32) -> Vec<u8> {
    let mut w = Writer::new();
    w.ustring(path).buffer(Some(data)).i32(version);
    w.into_vec()
}

pub fn set_acl_body(path: &str, acl: &[Acl], version: i32) -> Vec<u8> {
    let mut w = Writer::new();
    w.ustring(path);
    write_acls(&mut w, acl);
    w.i32(version);
    w.into_vec()
}

pub fn auth_body(scheme: &str, auth: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.i32(0).ustring(scheme).buffer(Some(auth));
    w.into_vec()
}

/// A setWatches (v2 = setWatches2) body.
pub fn set_watches_body(sw: &crate::coordinator::proto::SetWatches, v2: bool) -> Vec<u8> {
    let mut w = Writer::new();
    w.i64(sw.relative_zxid)
        .strings(&sw.data)
        .strings(&sw.exist)
        .strings(&sw.child);
    if v2 {
        w.strings(&sw.persistent).strings(&sw.recursive);
    }
    w.into_vec()
}

/// A multi body; ops carry server paths already.
pub fn multi_body(ops: &[Op]) -> Vec<u8> {
    let write_ops: Vec<WriteOp> = ops
        .iter()
        .map(|o| match o {
            Op::Create {
                path,
                data,
                acl,
                mode,
            } => WriteOp::Create(CreateReq {
                op: create_opcode(*mode, false),
                path: path.clone(),
                data: Some(data.clone()),
                acl: acl.clone(),
                flags: create_flags(*mode),
                ttl: -1,
            }),
            Op::SetData {
                path,
                data,
                version,
            } => WriteOp::SetData {
                path: path.clone(),
                data: Some(data.clone()),
                version: *version,
            },
            Op::Delete { path, version } => WriteOp::Delete {
                path: path.clone(),
                version: *version,
            },
            Op::Check { path, version } => WriteOp::Check {
                path: path.clone(),
                version: *version,
            },
        })
        .collect();
    let mut w = Writer::new();
    write_multi(&mut w, &write_ops);
    w.into_vec()
}

fn malformed(what: &'static str) -> impl Fn(DecodeError) -> ZkError {
    move |source| ZkError::Malformed { what, source }
}

pub fn read_path(body: &[u8], what: &'static str) -> Result<String, ZkError> {
    Reader::new(body).ustring("path").map_err(malformed(what))
}

pub fn read_path_stat(body: &[u8]) -> Result<(String, Stat), ZkError> {
    let mut r = Reader::new(body);
    let p = r.ustring("path").map_err(malformed("create2"))?;
    let s = Stat::read(&mut r).map_err(malformed("create2"))?;
    Ok((p, s))
}

pub fn read_stat(body: &[u8], what: &'static str) -> Result<Stat, ZkError> {
    Stat::read(&mut Reader::new(body)).map_err(malformed(what))
}

/// getData: data (None when the node holds null) and Stat.
pub fn read_data_stat(body: &[u8]) -> Result<(Option<Vec<u8>>, Stat), ZkError> {
    let mut r = Reader::new(body);
    let d = r.buffer("data").map_err(malformed("getData"))?;
    let s = Stat::read(&mut r).map_err(malformed("getData"))?;
    Ok((d, s))
}

pub fn read_strings(body: &[u8], what: &'static str) -> Result<Vec<String>, ZkError> {
    Reader::new(body)
        .strings("children")
        .map_err(malformed(what))
}

pub fn read_children_stat(body: &[u8]) -> Result<(Vec<String>, Stat), ZkError> {
    let mut r = Reader::new(body);
    let c = r.strings("children").map_err(malformed("getChildren2"))?;
    let s = Stat::read(&mut r).map_err(malformed("getChildren2"))?;
    Ok((c, s))
}

pub fn read_acl_stat(body: &[u8]) -> Result<(Vec<Acl>, Stat), ZkError> {
    let mut r = Reader::new(body);
    let a = crate::coordinator::proto::read_acls(&mut r).map_err(malformed("getACL"))?;
    let s = Stat::read(&mut r).map_err(malformed("getACL"))?;
    Ok((a, s))
}

pub fn read_i32(body: &[u8], what: &'static str) -> Result<i32, ZkError> {
    Reader::new(body).i32("int").map_err(malformed(what))
}

pub fn read_who_am_i(body: &[u8]) -> Result<Vec<ClientInfo>, ZkError> {
    let mut r = Reader::new(body);
    let n = r.count("clientInfo", 8).map_err(malformed("whoAmI"))?;
    (0..n)
        .map(|_| {
            Ok(ClientInfo {
                auth_scheme: r.ustring("authScheme").map_err(malformed("whoAmI"))?,
                user: r.ustring("user").map_err(malformed("whoAmI"))?,
            })
        })
        .collect()
}

/// A multi reply: per-op results (server paths in Create results) until the done marker.
pub fn read_multi(body: &[u8]) -> Result<Vec<OpResult>, ZkError> {
    let m = malformed("multi");
    let mut r = Reader::new(body);
    let mut out = Vec::new();
    loop {
        let ty = r.i32("multi type").map_err(&m)?;
        let done = r.bool("multi done").map_err(&m)?;
        let _err = r.i32("multi err").map_err(&m)?;
        if done {
            return Ok(out);
        }
        out.push(match ty {
            op::CREATE => OpResult::Create {
                path: r.ustring("path").map_err(&m)?,
            },
            op::CREATE2 | op::CREATE_TTL | op::CREATE_CONTAINER => {
                let path = r.ustring("path").map_err(&m)?;
                Stat::read(&mut r).map_err(&m)?;
                OpResult::Create { path }
            }
            op::SET_DATA => OpResult::SetData {
                stat: Stat::read(&mut r).map_err(&m)?,
            },
            op::DELETE => OpResult::Delete,
            op::CHECK => OpResult::Check,
            op::ERROR => OpResult::Error {
                code: r.i32("error").map_err(&m)?,
            },
            other => {
                return Err(ZkError::Malformed {
                    what: "multi",
                    source: DecodeError::Invalid {
                        field: "multi result type",
                        value: other.into(),
                    },
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_map_both_ways() {
        for code in [
            -101, -110, -103, -111, -102, -108, -114, -8, -121, -6, -112, -4, -7, -115,
        ] {
            let e = ZkError::from_code(code, "/x");
            assert_eq!(e.code(), Some(code), "{e}");
        }
        assert_eq!(
            ZkError::from_code(-101, "/a").to_string(),
            "KeeperErrorCode = NoNode for /a"
        );
        assert_eq!(
            ZkError::from_code(-999, "/a"),
            ZkError::Other {
                code: -999,
                path: "/a".into()
            }
        );
        assert_eq!(ZkError::from_code(-111, "/n").path(), Some("/n"));
    }

    #[test]
    fn create_opcodes_follow_the_java_client() {
        assert_eq!(create_opcode(CreateMode::Persistent, false), op::CREATE);
        assert_eq!(create_opcode(CreateMode::Ephemeral, true), op::CREATE2);
        assert_eq!(
            create_opcode(CreateMode::Container, false),
            op::CREATE_CONTAINER
        );
        assert_eq!(
            create_opcode(CreateMode::PersistentSequentialWithTtl, false),
            op::CREATE_TTL
        );
        for flags in 0..7 {
            let m = CreateMode::from_flags(flags).unwrap();
            assert_eq!(create_flags(m), flags);
        }
    }

    #[test]
    fn multi_reply_decodes_every_result_type() {
        let mut w = Writer::new();
        w.i32(op::CREATE).bool(false).i32(0).ustring("/a");
        w.i32(op::SET_DATA).bool(false).i32(0);
        Stat::default().write(&mut w);
        w.i32(op::DELETE).bool(false).i32(0);
        w.i32(op::CHECK).bool(false).i32(0);
        w.i32(op::ERROR).bool(false).i32(-101).i32(-101);
        w.i32(-1).bool(true).i32(-1);
        let got = read_multi(&w.buf).unwrap();
        assert_eq!(
            got,
            vec![
                OpResult::Create { path: "/a".into() },
                OpResult::SetData {
                    stat: Stat::default()
                },
                OpResult::Delete,
                OpResult::Check,
                OpResult::Error { code: -101 },
            ]
        );
        // Truncated: an error, not a panic.
        assert!(read_multi(&w.buf[..10]).is_err());
    }

    #[test]
    fn set_watches_layouts() {
        let sw = crate::coordinator::proto::SetWatches {
            relative_zxid: 9,
            data: vec!["/d".into()],
            persistent: vec!["/p".into()],
            ..Default::default()
        };
        let v1 = set_watches_body(&sw, false);
        assert_eq!(v1.len(), 8 + (4 + 4 + 2) + 4 + 4);
        let v2 = set_watches_body(&sw, true);
        assert_eq!(v2.len(), v1.len() + (4 + 4 + 2) + 4);
        let got = crate::coordinator::proto::Request::read(op::SET_WATCHES2, &mut Reader::new(&v2))
            .unwrap();
        assert_eq!(got, crate::coordinator::proto::Request::SetWatches(sw));
    }
}
