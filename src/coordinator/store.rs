//! Durable state of the coordinator: a write-ahead transaction log plus snapshots, and the
//! replay that rebuilds the tree, the last zxid, the session id counter and the sessions.
//!
//! Layout (rkafka's own format, crash-safe; names follow ZooKeeper's):
//! - `<dataLogDir>/version-2/log.<hex first zxid>`: header `RKZL` + u32 version 1, then entries
//!   `u32 length | u32 crc32(payload) | payload`, payload = `i64 zxid, i64 time ms, i64
//!   session, i32 kind, body` (kind 1 createSession: i64 timeout; 2 closeSession: empty;
//!   3 write: i32 opcode + the jute body; 4 multi: the jute multi request; 5 failed write:
//!   i32 error code).
//! - `<dataDir>/version-2/snapshot.<hex last zxid>`: header `RKZS` + u32 version 1, i64 last
//!   zxid, i64 next session id, sessions (i32 count; i64 id, i64 timeout each), nodes (i32
//!   count; path, data buffer, ACL vector, 68-byte Stat each, parents first), then u32 crc32
//!   of everything before it. Written to a temp file, fsynced, renamed, directory fsynced.
//!
//! Recovery loads the newest snapshot whose checksum holds, then replays log entries with a
//! larger zxid. A torn or corrupt entry at the end of the newest log is cut off (it was never
//! acknowledged: replies go out only after the fsync that follows the append).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::proto::{
    Acl, Code, DecodeError, Reader, Stat, WriteOp, Writer, read_acls, write_acls, write_multi,
};
use super::tree::{DataTree, Event, TxnCtx};

const LOG_MAGIC: &[u8; 4] = b"RKZL";
const SNAP_MAGIC: &[u8; 4] = b"RKZS";
const FORMAT_VERSION: u32 = 1;
/// An entry larger than this is treated as corruption (jute.maxbuffer is far below it).
const MAX_ENTRY: u32 = 256 * 1024 * 1024;

/// What went wrong with the data directories.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}: corrupt at byte {offset}: {reason}")]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error(
        "replaying zxid {zxid:#x} failed with error code {code:?}: the log does not match the snapshot"
    )]
    Replay { zxid: i64, code: Code },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// CRC-32 (IEEE), the checksum of log entries and snapshots.
pub fn crc32(data: &[u8]) -> u32 {
    !crc32_extend(!0, data)
}

/// Feeds `data` into a running CRC-32 state (start with `!0`, finish with `!state`).
fn crc32_extend(mut c: u32, data: &[u8]) -> u32 {
    for &b in data {
        c = CRC_TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    c
}

/// Snapshot bytes buffered before they are written out: the snapshot streams to its file
/// instead of being built whole in memory (tens of MiB at 100k nodes, which the allocator
/// would then keep as resident memory).
const SNAP_CHUNK: usize = 1 << 20;

/// One logged transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Txn {
    CreateSession {
        timeout_ms: u64,
    },
    CloseSession,
    Write(WriteOp),
    Multi(Vec<WriteOp>),
    /// A write that failed: ZooKeeper still spends a zxid on it, so we log it to keep zxids
    /// identical across restarts. Replay only moves the zxid.
    Error {
        code: i32,
    },
}

/// A transaction with the zxid, time (ms since the epoch) and session it ran with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnRecord {
    pub zxid: i64,
    pub time: i64,
    pub session: i64,
    pub txn: Txn,
}

impl TxnRecord {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.i64(self.zxid).i64(self.time).i64(self.session);
        match &self.txn {
            Txn::CreateSession { timeout_ms } => {
                w.i32(1).i64(i64::try_from(*timeout_ms).unwrap_or(i64::MAX));
            }
            Txn::CloseSession => {
                w.i32(2);
            }
            Txn::Write(op) => {
                w.i32(3).i32(op.opcode());
                op.write(&mut w);
            }
            Txn::Multi(ops) => {
                w.i32(4);
                write_multi(&mut w, ops);
            }
            Txn::Error { code } => {
                w.i32(5).i32(*code);
            }
        }
        w.into_vec()
    }

    pub fn decode(buf: &[u8]) -> Result<TxnRecord, DecodeError> {
        let mut r = Reader::new(buf);
        let zxid = r.i64("zxid")?;
        let time = r.i64("time")?;
        let session = r.i64("session")?;
        let txn = match r.i32("kind")? {
            1 => Txn::CreateSession {
                timeout_ms: u64::try_from(r.i64("timeout")?).unwrap_or(0),
            },
            2 => Txn::CloseSession,
            3 => {
                let opcode = r.i32("opcode")?;
                Txn::Write(WriteOp::read(opcode, &mut r)?)
            }
            4 => match super::proto::Request::read(super::proto::op::MULTI, &mut r)? {
                super::proto::Request::Multi(ops) => Txn::Multi(ops),
                _ => {
                    return Err(DecodeError::Invalid {
                        field: "multi",
                        value: 4,
                    });
                }
            },
            5 => Txn::Error {
                code: r.i32("code")?,
            },
            k => {
                return Err(DecodeError::Invalid {
                    field: "txn kind",
                    value: k.into(),
                });
            }
        };
        Ok(TxnRecord {
            zxid,
            time,
            session,
            txn,
        })
    }
}

/// Applies a logged transaction during replay; `sessions` maps id to timeout ms.
pub fn replay_one(
    tree: &mut DataTree,
    sessions: &mut BTreeMap<i64, u64>,
    rec: &TxnRecord,
) -> Result<Vec<Event>, Code> {
    let ctx = TxnCtx {
        zxid: rec.zxid,
        time: rec.time,
        session: rec.session,
        auth: None,
    };
    match &rec.txn {
        Txn::CreateSession { timeout_ms } => {
            sessions.insert(rec.session, *timeout_ms);
            Ok(Vec::new())
        }
        Txn::CloseSession => {
            sessions.remove(&rec.session);
            Ok(tree.close_session(rec.session, &ctx))
        }
        Txn::Write(op) => {
            let mut events = Vec::new();
            tree.apply(&mut op.clone(), &ctx, &mut events)?;
            Ok(events)
        }
        Txn::Multi(ops) => tree
            .apply_multi(&mut ops.clone(), &ctx)
            .map(|(_, ev)| ev)
            .map_err(|f| f.code),
        Txn::Error { .. } => Ok(Vec::new()),
    }
}

/// What recovery found.
#[derive(Debug)]
pub struct Recovered {
    pub tree: DataTree,
    /// Live sessions: id -> timeout ms.
    pub sessions: BTreeMap<i64, u64>,
    pub last_zxid: i64,
    pub next_session_id: i64,
    /// Bytes cut from a torn log tail (0 when the log was clean).
    pub truncated_bytes: u64,
}

/// The open log plus where snapshots go.
#[derive(Debug)]
pub struct Store {
    snap_dir: PathBuf,
    log_dir: PathBuf,
    log_path: PathBuf,
    log: BufWriter<File>,
    /// Entries appended to the current log file.
    pub entries_in_log: u64,
    dirty: bool,
}

fn parse_name(name: &str, prefix: &str) -> Option<i64> {
    let hex = name.strip_prefix(prefix)?;
    u64::from_str_radix(hex, 16).ok().map(|v| v as i64)
}

/// Files `prefix<hex zxid>` in `dir`, sorted by zxid.
fn list(dir: &Path, prefix: &str) -> Result<Vec<(i64, PathBuf)>, StoreError> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir).map_err(io_err(dir))? {
        let e = e.map_err(io_err(dir))?;
        if let Some(z) = e.file_name().to_str().and_then(|n| parse_name(n, prefix)) {
            v.push((z, e.path()));
        }
    }
    v.sort();
    Ok(v)
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io_err(dir))
}

fn read_snapshot(
    path: &Path,
    ttl_enabled: bool,
) -> Result<(DataTree, BTreeMap<i64, u64>, i64, i64), StoreError> {
    let bytes = fs::read(path).map_err(io_err(path))?;
    let corrupt = |reason: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        offset: 0,
        reason,
    };
    if bytes.len() < 12 || &bytes[..4] != SNAP_MAGIC {
        return Err(corrupt("not a snapshot".into()));
    }
    let (body, tail) = bytes.split_at(bytes.len() - 4);
    let want = u32::from_be_bytes([tail[0], tail[1], tail[2], tail[3]]);
    if crc32(body) != want {
        return Err(corrupt("checksum mismatch".into()));
    }
    let mut r = Reader::new(&body[4..]);
    let parse = |r: &mut Reader| -> Result<_, DecodeError> {
        let version = r.i32("version")?;
        if version != FORMAT_VERSION as i32 {
            return Err(DecodeError::Invalid {
                field: "snapshot version",
                value: version.into(),
            });
        }
        let last_zxid = r.i64("last zxid")?;
        let next_session = r.i64("next session")?;
        let n = r.count("sessions", 16)?;
        let mut sessions = BTreeMap::new();
        for _ in 0..n {
            let id = r.i64("session id")?;
            let t = r.i64("timeout")?;
            sessions.insert(id, u64::try_from(t).unwrap_or(0));
        }
        let n = r.count("nodes", 80)?;
        let mut tree = DataTree::new(ttl_enabled);
        for _ in 0..n {
            let path = r.ustring("path")?;
            let data = r.buffer("data")?;
            let acl: Vec<Acl> = read_acls(r)?;
            let stat: Stat = Stat::read(r)?;
            if tree.get(&path).is_some() {
                // System nodes exist already; take the snapshot's metadata for them.
                tree.restore_meta(&path, data, acl, stat);
            } else if !tree.insert_raw(path, data, acl, stat) {
                return Err(DecodeError::Invalid {
                    field: "node without parent",
                    value: 0,
                });
            }
        }
        Ok((tree, sessions, last_zxid, next_session))
    };
    parse(&mut r).map_err(|e| corrupt(e.to_string()))
}

/// Reads log entries after `after_zxid`; returns them and the offset just past the last
/// good one (where a torn tail starts) and whether the file ended cleanly.
fn read_log(path: &Path) -> Result<(Vec<TxnRecord>, u64, bool), StoreError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io_err(path))?;
    if bytes.len() < 8 || &bytes[..4] != LOG_MAGIC {
        return Ok((Vec::new(), 0, bytes.is_empty()));
    }
    let mut pos = 8usize;
    let mut out = Vec::new();
    loop {
        if pos == bytes.len() {
            return Ok((out, pos as u64, true));
        }
        let rest = &bytes[pos..];
        if rest.len() < 8 {
            return Ok((out, pos as u64, false));
        }
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let crc = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if len > MAX_ENTRY || rest.len() - 8 < len as usize {
            return Ok((out, pos as u64, false));
        }
        let payload = &rest[8..8 + len as usize];
        if crc32(payload) != crc {
            return Ok((out, pos as u64, false));
        }
        match TxnRecord::decode(payload) {
            Ok(rec) => out.push(rec),
            Err(_) => return Ok((out, pos as u64, false)),
        }
        pos += 8 + len as usize;
    }
}

fn new_log(dir: &Path, first_zxid: i64) -> Result<(PathBuf, File), StoreError> {
    let path = dir.join(format!("log.{:x}", first_zxid as u64));
    let mut f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&path)
        .map_err(io_err(&path))?;
    f.write_all(LOG_MAGIC).map_err(io_err(&path))?;
    f.write_all(&FORMAT_VERSION.to_be_bytes())
        .map_err(io_err(&path))?;
    f.sync_all().map_err(io_err(&path))?;
    sync_dir(dir)?;
    Ok((path, f))
}

impl Store {
    /// Opens (creating) the directories, recovers, and opens the log for appending.
    /// `log_dir` is dataLogDir, or `data_dir` when unset.
    pub fn open(
        data_dir: &Path,
        log_dir: Option<&Path>,
        ttl_enabled: bool,
    ) -> Result<(Store, Recovered), StoreError> {
        let snap_dir = data_dir.join("version-2");
        let log_dir = log_dir.unwrap_or(data_dir).join("version-2");
        for d in [&snap_dir, &log_dir] {
            fs::create_dir_all(d).map_err(io_err(d))?;
        }
        let mut base = None;
        for (_, p) in list(&snap_dir, "snapshot.")?.into_iter().rev() {
            match read_snapshot(&p, ttl_enabled) {
                Ok(s) => {
                    base = Some(s);
                    break;
                }
                Err(e) => tracing::warn!("skipping snapshot: {e}"),
            }
        }
        let (mut tree, mut sessions, mut last_zxid, mut next_session) =
            base.unwrap_or_else(|| (DataTree::new(ttl_enabled), BTreeMap::new(), 0, 0));
        let logs = list(&log_dir, "log.")?;
        let mut truncated = 0;
        let mut append_to = None;
        for (i, (_, path)) in logs.iter().enumerate() {
            let (recs, good_end, clean) = read_log(path)?;
            let is_last = i + 1 == logs.len();
            if !clean {
                if !is_last {
                    return Err(StoreError::Corrupt {
                        path: path.clone(),
                        offset: good_end,
                        reason: "bad entry in a log that is not the newest".into(),
                    });
                }
                let len = fs::metadata(path).map_err(io_err(path))?.len();
                truncated = len.saturating_sub(good_end);
                tracing::warn!("{}: cutting {truncated} bytes of torn tail", path.display());
            }
            for rec in recs {
                if rec.zxid <= last_zxid {
                    continue;
                }
                replay_one(&mut tree, &mut sessions, &rec).map_err(|code| StoreError::Replay {
                    zxid: rec.zxid,
                    code,
                })?;
                last_zxid = rec.zxid;
                if let Txn::CreateSession { .. } = rec.txn {
                    next_session = next_session.max(rec.session.wrapping_add(1));
                }
            }
            if is_last && good_end >= 8 {
                append_to = Some((path.clone(), good_end));
            }
        }
        let (log_path, file) = match append_to {
            Some((path, good_end)) => {
                let f = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(io_err(&path))?;
                f.set_len(good_end).map_err(io_err(&path))?;
                f.sync_all().map_err(io_err(&path))?;
                let mut f = f;
                std::io::Seek::seek(&mut f, io::SeekFrom::End(0)).map_err(io_err(&path))?;
                (path, f)
            }
            None => new_log(&log_dir, last_zxid.wrapping_add(1))?,
        };
        let store = Store {
            snap_dir,
            log_dir,
            log_path,
            log: BufWriter::new(file),
            entries_in_log: 0,
            dirty: false,
        };
        Ok((
            store,
            Recovered {
                tree,
                sessions,
                last_zxid,
                next_session_id: next_session,
                truncated_bytes: truncated,
            },
        ))
    }

    /// Buffers one entry; it is durable only after [`Store::commit`].
    pub fn append(&mut self, rec: &TxnRecord) -> Result<(), StoreError> {
        let payload = rec.encode();
        let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        let path = &self.log_path;
        self.log
            .write_all(&len.to_be_bytes())
            .map_err(io_err(path))?;
        self.log
            .write_all(&crc32(&payload).to_be_bytes())
            .map_err(io_err(path))?;
        self.log.write_all(&payload).map_err(io_err(path))?;
        self.entries_in_log += 1;
        self.dirty = true;
        Ok(())
    }

    /// Writes buffered entries and fsyncs them (one fsync for a whole batch: group commit).
    pub fn commit(&mut self) -> Result<(), StoreError> {
        if !self.dirty {
            return Ok(());
        }
        let path = &self.log_path;
        self.log.flush().map_err(io_err(path))?;
        self.log.get_ref().sync_data().map_err(io_err(path))?;
        self.dirty = false;
        Ok(())
    }

    /// Writes a snapshot of the state at `last_zxid` and starts a new log after it.
    pub fn snapshot(
        &mut self,
        tree: &DataTree,
        sessions: &[(i64, u64)],
        next_session_id: i64,
        last_zxid: i64,
    ) -> Result<PathBuf, StoreError> {
        self.commit()?;
        let path = self
            .snap_dir
            .join(format!("snapshot.{:x}", last_zxid as u64));
        let tmp = self
            .snap_dir
            .join(format!("snapshot.{:x}.tmp", last_zxid as u64));
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        let mut crc = !0u32;
        let mut spill = |buf: &mut Vec<u8>, crc: &mut u32| -> Result<(), StoreError> {
            *crc = crc32_extend(*crc, buf);
            f.write_all(buf).map_err(io_err(&tmp))?;
            buf.clear();
            Ok(())
        };
        let mut w = Writer::new();
        w.buf.extend_from_slice(SNAP_MAGIC);
        w.i32(FORMAT_VERSION as i32)
            .i64(last_zxid)
            .i64(next_session_id);
        w.i32(sessions.len() as i32);
        for (id, t) in sessions {
            w.i64(*id).i64(i64::try_from(*t).unwrap_or(i64::MAX));
        }
        let nodes = tree.nodes_parent_first();
        w.i32(nodes.len() as i32);
        for (path, n) in nodes {
            w.ustring(path).buffer(n.data.as_deref());
            write_acls(&mut w, &n.acl);
            n.stat.write(&mut w);
            if w.buf.len() >= SNAP_CHUNK {
                spill(&mut w.buf, &mut crc)?;
            }
        }
        spill(&mut w.buf, &mut crc)?;
        w.buf.extend_from_slice(&(!crc).to_be_bytes());
        f.write_all(&w.buf).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        drop(f);
        fs::rename(&tmp, &path).map_err(io_err(&path))?;
        sync_dir(&self.snap_dir)?;
        let (log_path, file) = new_log(&self.log_dir, last_zxid.wrapping_add(1))?;
        self.log_path = log_path;
        self.log = BufWriter::new(file);
        self.entries_in_log = 0;
        Ok(path)
    }

    /// Bytes in the snapshot directory and in the log directory (`dirs`, `conf`).
    pub fn dir_sizes(&self) -> (u64, u64) {
        let size = |d: &Path| -> u64 {
            fs::read_dir(d)
                .map(|it| {
                    it.filter_map(Result::ok)
                        .filter_map(|e| e.metadata().ok())
                        .map(|m| m.len())
                        .sum()
                })
                .unwrap_or(0)
        };
        (size(&self.snap_dir), size(&self.log_dir))
    }

    /// Autopurge: keeps the newest `retain` (at least 3) snapshots and the logs needed to
    /// replay from the oldest kept one; returns how many files were deleted.
    pub fn purge(&self, retain: usize) -> Result<usize, StoreError> {
        let retain = retain.max(3);
        let snaps = list(&self.snap_dir, "snapshot.")?;
        if snaps.len() <= retain {
            return Ok(0);
        }
        let cut = snaps.len() - retain;
        let oldest_kept = snaps[cut].0;
        let mut deleted = 0;
        for (_, p) in &snaps[..cut] {
            fs::remove_file(p).map_err(io_err(p))?;
            deleted += 1;
        }
        let logs = list(&self.log_dir, "log.")?;
        // A log is needed if it may hold entries after the oldest kept snapshot: that is, if
        // the next log starts after oldest_kept + 1.
        for (i, (_, p)) in logs.iter().enumerate() {
            let next_start = logs.get(i + 1).map(|(z, _)| *z);
            if *p != self.log_path && next_start.is_some_and(|n| n <= oldest_kept.wrapping_add(1)) {
                fs::remove_file(p).map_err(io_err(p))?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coordinator::proto::{CreateReq, op};

    fn create(path: &str, flags: i32) -> WriteOp {
        WriteOp::Create(CreateReq {
            op: op::CREATE,
            path: path.into(),
            data: Some(path.as_bytes().to_vec()),
            acl: Acl::open_unsafe(),
            flags,
            ttl: -1,
        })
    }

    fn rec(zxid: i64, session: i64, txn: Txn) -> TxnRecord {
        TxnRecord {
            zxid,
            time: 100 + zxid,
            session,
            txn,
        }
    }

    #[test]
    fn crc32_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn record_round_trip() {
        for r in [
            rec(1, 7, Txn::CreateSession { timeout_ms: 6000 }),
            rec(2, 7, Txn::CloseSession),
            rec(3, 7, Txn::Write(create("/a", 2))),
            rec(
                4,
                7,
                Txn::Multi(vec![
                    create("/b", 0),
                    WriteOp::Check {
                        path: "/b".into(),
                        version: 0,
                    },
                ]),
            ),
            rec(5, 7, Txn::Error { code: -110 }),
        ] {
            assert_eq!(TxnRecord::decode(&r.encode()).unwrap(), r);
        }
    }

    fn write_some(store: &mut Store) {
        store
            .append(&rec(1, 7, Txn::CreateSession { timeout_ms: 6000 }))
            .unwrap();
        store
            .append(&rec(2, 7, Txn::Write(create("/a", 0))))
            .unwrap();
        store
            .append(&rec(3, 7, Txn::Write(create("/a/s-", 2))))
            .unwrap();
        store.append(&rec(4, 7, Txn::Error { code: -110 })).unwrap();
        store
            .append(&rec(5, 7, Txn::Write(create("/a/e", 1))))
            .unwrap();
        store.commit().unwrap();
    }

    #[test]
    fn replay_restores_tree_sessions_and_zxid() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, r) = Store::open(dir.path(), None, false).unwrap();
        assert_eq!(r.last_zxid, 0);
        write_some(&mut s);
        drop(s);
        let (_, r) = Store::open(dir.path(), None, false).unwrap();
        assert_eq!(r.last_zxid, 5);
        assert_eq!(r.sessions.get(&7), Some(&6000));
        assert_eq!(r.next_session_id, 8);
        assert!(r.tree.get("/a/s-0000000000").is_some());
        assert_eq!(r.tree.ephemerals_of(7), vec!["/a/e".to_string()]);
        assert_eq!(r.tree.exists("/a").unwrap().cversion, 2);
        assert_eq!(r.truncated_bytes, 0);
    }

    #[test]
    fn torn_tail_is_cut_and_appends_continue() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, _) = Store::open(dir.path(), None, false).unwrap();
        write_some(&mut s);
        let log = s.log_path.clone();
        drop(s);
        let full = fs::metadata(&log).unwrap().len();
        // Tear the last entry in half.
        let f = OpenOptions::new().write(true).open(&log).unwrap();
        f.set_len(full - 5).unwrap();
        drop(f);
        let (mut s, r) = Store::open(dir.path(), None, false).unwrap();
        assert_eq!(r.last_zxid, 4);
        assert!(r.truncated_bytes > 0);
        assert!(r.tree.get("/a/e").is_none());
        s.append(&rec(5, 7, Txn::Write(create("/a/f", 0)))).unwrap();
        s.commit().unwrap();
        drop(s);
        let (_, r) = Store::open(dir.path(), None, false).unwrap();
        assert_eq!(r.last_zxid, 5);
        assert!(r.tree.get("/a/f").is_some());
        assert_eq!(r.truncated_bytes, 0);
    }

    #[test]
    fn flipped_byte_in_last_entry_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, _) = Store::open(dir.path(), None, false).unwrap();
        write_some(&mut s);
        let log = s.log_path.clone();
        drop(s);
        let mut b = fs::read(&log).unwrap();
        let n = b.len();
        b[n - 3] ^= 0x40;
        fs::write(&log, b).unwrap();
        let (_, r) = Store::open(dir.path(), None, false).unwrap();
        assert_eq!(r.last_zxid, 4);
    }

    #[test]
    fn snapshot_then_log_then_purge() {
        let dir = tempfile::tempdir().unwrap();
        let logs = tempfile::tempdir().unwrap();
        let (mut s, _) = Store::open(dir.path(), Some(logs.path()), false).unwrap();
        write_some(&mut s);
        let (_, r) = Store::open(dir.path(), Some(logs.path()), false).unwrap();
        let sessions: Vec<_> = r.sessions.iter().map(|(a, b)| (*a, *b)).collect();
        s.snapshot(&r.tree, &sessions, r.next_session_id, r.last_zxid)
            .unwrap();
        s.append(&rec(6, 7, Txn::Write(create("/after", 0))))
            .unwrap();
        s.append(&rec(7, 7, Txn::CloseSession)).unwrap();
        s.commit().unwrap();
        drop(s);
        let (mut s, r) = Store::open(dir.path(), Some(logs.path()), false).unwrap();
        assert_eq!(r.last_zxid, 7);
        assert!(r.tree.get("/after").is_some());
        assert!(
            r.tree.get("/a/e").is_none(),
            "closeSession replayed over the snapshot"
        );
        assert!(r.sessions.is_empty());
        assert_eq!(r.tree.get("/a").unwrap().data.as_deref(), Some(&b"/a"[..]));
        assert_eq!(r.next_session_id, 8);
        // More snapshots, then purge keeps 3 and the logs after the oldest kept.
        for z in 8..12 {
            s.append(&rec(z, 0, Txn::Write(create(&format!("/n{z}"), 0))))
                .unwrap();
            let mut t = r.tree.clone();
            t.apply(
                &mut create(&format!("/n{z}"), 0),
                &TxnCtx {
                    zxid: z,
                    time: 0,
                    session: 0,
                    auth: None,
                },
                &mut Vec::new(),
            )
            .ok();
            s.snapshot(&t, &[], 8, z).unwrap();
        }
        assert_eq!(
            list(&dir.path().join("version-2"), "snapshot.")
                .unwrap()
                .len(),
            5
        );
        let deleted = s.purge(3).unwrap();
        assert!(deleted >= 2);
        assert_eq!(
            list(&dir.path().join("version-2"), "snapshot.")
                .unwrap()
                .len(),
            3
        );
        drop(s);
        let (_, r) = Store::open(dir.path(), Some(logs.path()), false).unwrap();
        assert_eq!(r.last_zxid, 11);
    }

    #[test]
    fn corrupt_snapshot_falls_back_to_older_one() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, _) = Store::open(dir.path(), None, false).unwrap();
        write_some(&mut s);
        drop(s);
        let (mut s, r) = Store::open(dir.path(), None, false).unwrap();
        let p = s.snapshot(&r.tree, &[(7, 6000)], 8, 5).unwrap();
        drop(s);
        let mut b = fs::read(&p).unwrap();
        b[20] ^= 1;
        fs::write(&p, b).unwrap();
        // The log from zxid 1 is still there, so replay from scratch gives the same state.
        let (_, r) = Store::open(dir.path(), None, false).unwrap();
        assert_eq!(r.last_zxid, 5);
        assert!(r.tree.get("/a/e").is_some());
    }
}
