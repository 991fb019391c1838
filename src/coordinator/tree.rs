//! The data tree: znodes with their data, ACLs and Stat bookkeeping (spec A3-A5, A7), pure.
//!
//! Every write is applied by [`DataTree::apply`] with the zxid and time chosen by the caller,
//! so the same accepted writes replayed from the transaction log rebuild the same tree. A write
//! either fully applies or changes nothing: single ops validate before they mutate, and a multi
//! records the old value of every node it touches and restores them when an op fails. Watch
//! triggering is not done here; writes return the [`Event`]s that happened, in order, for
//! sessions.rs to turn into notifications.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use super::proto::{Acl, Code, CreateMode, ReadOp, Stat, WriteOp, op, perms};

/// ephemeralOwner of a container node.
pub const CONTAINER_OWNER: i64 = i64::MIN;
/// High byte tagging a TTL node's ephemeralOwner; the low 56 bits hold the TTL in ms.
const TTL_TAG: i64 = 0xFF00_0000_0000_0000_u64 as i64;
/// Largest TTL a node can carry (ZooKeeper keeps it in 40 bits).
pub const MAX_TTL_MS: i64 = 0xFF_FFFF_FFFF;

/// Paths that always exist and can never be deleted.
const SPECIAL: [&str; 4] = ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"];

/// One znode. `stat.data_length` and `stat.num_children` are derived, see [`Node::stat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub data: Option<Vec<u8>>,
    /// Shared with every other node holding an equal ACL (see [`DataTree::intern_acl`]):
    /// nearly all nodes carry the same one, and a private copy costs ~150 bytes per node.
    pub acl: Arc<[Acl]>,
    pub stat: Stat,
    /// Child names (not full paths); boxed, as they never grow (8 bytes less per child).
    pub children: BTreeSet<Box<str>>,
}

impl Node {
    /// The Stat as clients see it, with dataLength and numChildren filled in.
    /// Containers and TTL nodes show ephemeralOwner 0 to clients, as in ZooKeeper; the
    /// tagged value stays in `stat` (and in snapshots).
    pub fn stat(&self) -> Stat {
        Stat {
            data_length: self.data.as_ref().map_or(0, |d| d.len() as i32),
            num_children: self.children.len() as i32,
            ephemeral_owner: self.ephemeral_session().unwrap_or(0),
            ..self.stat
        }
    }
    fn is_container(&self) -> bool {
        self.stat.ephemeral_owner == CONTAINER_OWNER
    }
    fn ttl(&self) -> Option<i64> {
        let o = self.stat.ephemeral_owner;
        (o != CONTAINER_OWNER && o & TTL_TAG == TTL_TAG).then_some(o & !TTL_TAG)
    }
    /// The session owning this node, when it is a session ephemeral.
    pub fn ephemeral_session(&self) -> Option<i64> {
        let o = self.stat.ephemeral_owner;
        (o != 0 && !self.is_container() && self.ttl().is_none()).then_some(o)
    }
}

/// Something a write did, in the order watches must fire (spec A6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Created(String),
    Deleted(String),
    DataChanged(String),
    ChildrenChanged(String),
}

/// The outcome of one successful write op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    /// `op` is the create opcode used (1 answers with the path only).
    Created {
        op: i32,
        path: String,
        stat: Stat,
    },
    Deleted,
    SetData(Stat),
    SetAcl(Stat),
    Checked,
}

/// Who performs a write and when. `auth` is None for replay, where ACLs were already checked
/// when the write was first accepted.
#[derive(Debug, Clone, Copy)]
pub struct TxnCtx<'a> {
    pub zxid: i64,
    /// Wall-clock ms stored in ctime/mtime.
    pub time: i64,
    pub session: i64,
    pub auth: Option<&'a [(String, String)]>,
}

/// A multi that failed: the index of the failing op and its error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultiFailure {
    pub index: usize,
    pub code: Code,
}

type Undo = Vec<(String, Option<Box<Node>>)>;

/// Validates a client path (ZooKeeper's PathUtils rules). Sequential creates may end in '/'
/// because the counter is appended.
pub fn validate_path(path: &str, sequential: bool) -> Result<(), Code> {
    let owned;
    let path = if sequential {
        owned = format!("{path}1");
        owned.as_str()
    } else {
        path
    };
    if !path.starts_with('/') {
        return Err(Code::BadArguments);
    }
    if path == "/" {
        return Ok(());
    }
    if path.ends_with('/') {
        return Err(Code::BadArguments);
    }
    for seg in path[1..].split('/') {
        if seg.is_empty() || seg == "." || seg == ".." {
            return Err(Code::BadArguments);
        }
    }
    // Surrogates (U+D800-U+DFFF) cannot occur: paths were checked as UTF-8 when decoded.
    let bad = |c: char| {
        matches!(c,
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{e000}'..='\u{f8ff}' | '\u{fff0}'..='\u{ffff}')
    };
    if path.chars().any(bad) {
        return Err(Code::BadArguments);
    }
    Ok(())
}

fn parent_of(path: &str) -> Option<&str> {
    let i = path.rfind('/')?;
    if path == "/" {
        None
    } else if i == 0 {
        Some("/")
    } else {
        Some(&path[..i])
    }
}

fn child_path(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

fn acl_allows(acl: &[Acl], perm: i32, auth: Option<&[(String, String)]>) -> bool {
    let Some(auth) = auth else { return true };
    acl.iter().any(|a| {
        a.perms & perm != 0
            && ((a.scheme == "world" && a.id == "anyone")
                || auth.iter().any(|(s, i)| {
                    *s == a.scheme
                        && if s == "ip" {
                            ip_matches(&a.id, i)
                        } else {
                            *i == a.id
                        }
                }))
    })
}

/// ZooKeeper's ip scheme: `addr` or `addr/bits` against the client's address.
fn ip_matches(acl_id: &str, client: &str) -> bool {
    use std::net::IpAddr;
    let (addr, bits) = match acl_id.split_once('/') {
        Some((a, b)) => (a, b.parse::<u32>().ok()),
        None => (acl_id, None),
    };
    let (Ok(a), Ok(c)) = (addr.parse::<IpAddr>(), client.parse::<IpAddr>()) else {
        return false;
    };
    let (a, c, width): (u128, u128, u32) = match (a, c) {
        (IpAddr::V4(a), IpAddr::V4(c)) => (u32::from(a).into(), u32::from(c).into(), 32),
        (IpAddr::V6(a), IpAddr::V6(c)) => (u128::from(a), u128::from(c), 128),
        _ => return false,
    };
    let bits = bits.unwrap_or(width).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (a >> shift) == (c >> shift)
}

/// Checks an ACL given by a client and replaces `auth` scheme entries by the session's
/// identities (as ZooKeeper's fixupACL does). Replay (`auth` None) keeps it as logged.
pub fn fixup_acl(acl: &[Acl], auth: Option<&[(String, String)]>) -> Result<Vec<Acl>, Code> {
    if acl.is_empty() {
        return Err(Code::InvalidAcl);
    }
    let Some(auth) = auth else {
        return Ok(acl.to_vec());
    };
    let mut out = Vec::new();
    for a in acl {
        if a.perms & !perms::ALL != 0 {
            return Err(Code::InvalidAcl);
        }
        match a.scheme.as_str() {
            "world" if a.id == "anyone" => out.push(a.clone()),
            "world" => return Err(Code::InvalidAcl),
            "auth" => {
                let ids: Vec<_> = auth.iter().filter(|(s, _)| s != "ip").collect();
                if ids.is_empty() {
                    return Err(Code::InvalidAcl);
                }
                out.extend(ids.into_iter().map(|(s, i)| Acl {
                    perms: a.perms,
                    scheme: s.clone(),
                    id: i.clone(),
                }));
            }
            "digest" if !a.id.contains(':') => return Err(Code::InvalidAcl),
            "digest" | "ip" | "sasl" | "x509" | "super" => out.push(a.clone()),
            _ => return Err(Code::InvalidAcl),
        }
    }
    Ok(out)
}

/// The znode tree plus indexes of ephemerals, containers and TTL nodes.
#[derive(Debug, Clone)]
pub struct DataTree {
    /// Boxed so that the table's slots stay small (32 bytes): the table is sized in powers
    /// of two and is at worst under half full, so inline nodes would waste far more.
    /// Keys are boxed too (16 bytes, not a String's 24): paths never grow.
    nodes: HashMap<Box<str>, Box<Node>>,
    ephemerals: HashMap<i64, BTreeSet<String>>,
    /// Containers and TTL nodes, checked periodically by [`DataTree::expired_candidates`].
    expirable: HashSet<String>,
    /// zookeeper.extendedTypesEnabled: TTL nodes are refused with Unimplemented when false.
    pub ttl_enabled: bool,
    /// The ACL stored last, reused by the next node with an equal ACL. One entry keeps the
    /// cache bounded while still sharing the ACL of long runs of similar creates.
    last_acl: Arc<[Acl]>,
}

impl Default for DataTree {
    fn default() -> Self {
        DataTree::new(false)
    }
}

impl DataTree {
    /// A tree holding only `/`, `/zookeeper`, `/zookeeper/quota` and `/zookeeper/config`.
    pub fn new(ttl_enabled: bool) -> Self {
        let mut t = DataTree {
            nodes: HashMap::new(),
            ephemerals: HashMap::new(),
            expirable: HashSet::new(),
            ttl_enabled,
            last_acl: Arc::from(Acl::open_unsafe()),
        };
        for p in SPECIAL {
            // A fresh ZooKeeper 3.8 shows cversion -1 on "/" and -2 on "/zookeeper" (its
            // system nodes are linked without counting), so the first sequential child of
            // "/" is numbered -000000001 there too.
            let cversion = match p {
                "/" => -1,
                "/zookeeper" => -2,
                _ => 0,
            };
            let stat = Stat {
                cversion,
                ..Stat::default()
            };
            t.insert_raw(p.to_string(), None, Acl::open_unsafe(), stat);
        }
        t
    }

    /// The shared copy of `acl`: the last stored ACL when equal, else a new one that becomes
    /// the last.
    fn intern_acl(&mut self, acl: Vec<Acl>) -> Arc<[Acl]> {
        if *self.last_acl != *acl {
            self.last_acl = Arc::from(acl);
        }
        Arc::clone(&self.last_acl)
    }

    /// Inserts a node as read from a snapshot (or a system node), linking it to its parent
    /// (which must already exist) and indexing it. Returns false when the parent is missing.
    pub fn insert_raw(
        &mut self,
        path: String,
        data: Option<Vec<u8>>,
        acl: Vec<Acl>,
        stat: Stat,
    ) -> bool {
        if let Some(parent) = parent_of(&path) {
            let name: Box<str> = path[path.rfind('/').map_or(0, |i| i + 1)..].into();
            match self.nodes.get_mut(parent) {
                Some(p) => {
                    p.children.insert(name);
                }
                None => return false,
            }
        }
        let acl = self.intern_acl(acl);
        let node = Node {
            data,
            acl,
            stat,
            children: BTreeSet::new(),
        };
        self.index(&path, &node);
        self.nodes.insert(path.into_boxed_str(), Box::new(node));
        true
    }

    /// Overwrites data, ACL and Stat of an existing node, keeping its children (snapshot
    /// loading of the system nodes). Returns false when the node does not exist.
    pub fn restore_meta(
        &mut self,
        path: &str,
        data: Option<Vec<u8>>,
        acl: Vec<Acl>,
        stat: Stat,
    ) -> bool {
        let acl = self.intern_acl(acl);
        match self.nodes.get_mut(path) {
            Some(n) => {
                n.data = data;
                n.acl = acl;
                n.stat = stat;
                true
            }
            None => false,
        }
    }

    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path).map(|n| &**n)
    }

    /// Number of znodes, system nodes included.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn ephemeral_count(&self) -> usize {
        self.ephemerals.values().map(BTreeSet::len).sum()
    }

    /// Every node in an order where parents come before children (for snapshots).
    pub fn nodes_parent_first(&self) -> Vec<(&str, &Node)> {
        let mut v: Vec<(&str, &Node)> = self.nodes.iter().map(|(p, n)| (&**p, &**n)).collect();
        v.sort_by(|a, b| {
            let da = a.0.matches('/').count() - usize::from(a.0 == "/");
            let db = b.0.matches('/').count() - usize::from(b.0 == "/");
            da.cmp(&db).then_with(|| a.0.cmp(b.0))
        });
        v
    }

    /// A session's ephemeral paths, sorted.
    pub fn ephemerals_of(&self, session: i64) -> Vec<String> {
        self.ephemerals
            .get(&session)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Sessions that own at least one ephemeral (used after replay to spot orphans).
    pub fn ephemeral_sessions(&self) -> Vec<i64> {
        self.ephemerals.keys().copied().collect()
    }

    fn index(&mut self, path: &str, node: &Node) {
        if let Some(s) = node.ephemeral_session() {
            self.ephemerals
                .entry(s)
                .or_default()
                .insert(path.to_string());
        } else if node.is_container() || node.ttl().is_some() {
            self.expirable.insert(path.to_string());
        }
    }

    fn unindex(&mut self, path: &str, node: &Node) {
        if let Some(s) = node.ephemeral_session() {
            if let Some(set) = self.ephemerals.get_mut(&s) {
                set.remove(path);
                if set.is_empty() {
                    self.ephemerals.remove(&s);
                }
            }
        }
        self.expirable.remove(path);
    }

    fn save(&self, undo: &mut Option<Undo>, path: &str) {
        if let Some(u) = undo {
            if !u.iter().any(|(p, _)| p == path) {
                u.push((path.to_string(), self.nodes.get(path).cloned()));
            }
        }
    }

    fn rollback(&mut self, undo: Undo) {
        for (path, old) in undo.into_iter().rev() {
            if let Some(cur) = self.nodes.remove(path.as_str()) {
                self.unindex(&path, &cur);
            }
            if let Some(old) = old {
                self.index(&path, &old);
                self.nodes.insert(path.into_boxed_str(), old);
            }
        }
    }

    fn node(&self, path: &str) -> Result<&Node, Code> {
        self.nodes.get(path).map(|n| &**n).ok_or(Code::NoNode)
    }

    /// Applies one write atomically. The op is fixed up in place (ACLs resolved, sequential
    /// names are not) so that the caller logs what replay must re-run.
    pub fn apply(
        &mut self,
        op: &mut WriteOp,
        ctx: &TxnCtx,
        events: &mut Vec<Event>,
    ) -> Result<OpResult, Code> {
        self.apply_one(op, ctx, &mut None, events)
    }

    /// Applies a multi: all ops or none. On failure nothing changed and no events are returned.
    pub fn apply_multi(
        &mut self,
        ops: &mut [WriteOp],
        ctx: &TxnCtx,
    ) -> Result<(Vec<OpResult>, Vec<Event>), MultiFailure> {
        let mut undo = Some(Vec::new());
        let mut events = Vec::new();
        let mut results = Vec::with_capacity(ops.len());
        for (index, o) in ops.iter_mut().enumerate() {
            match self.apply_one(o, ctx, &mut undo, &mut events) {
                Ok(r) => results.push(r),
                Err(code) => {
                    self.rollback(undo.unwrap_or_default());
                    return Err(MultiFailure { index, code });
                }
            }
        }
        Ok((results, events))
    }

    fn apply_one(
        &mut self,
        op: &mut WriteOp,
        ctx: &TxnCtx,
        undo: &mut Option<Undo>,
        events: &mut Vec<Event>,
    ) -> Result<OpResult, Code> {
        match op {
            WriteOp::Create(c) => {
                // ZooKeeper's order (PrepRequestProcessor, checked against a real 3.8 server):
                // mode and TTL, a '/' at all, ACL, parent, CREATE permission, then the full
                // path (sequence suffix included), existence, ephemeral parent.
                let mode = CreateMode::from_flags(c.flags).ok_or(Code::BadArguments)?;
                if mode.is_ttl() {
                    if !self.ttl_enabled {
                        return Err(Code::Unimplemented);
                    }
                    if c.op != op::CREATE_TTL || c.ttl <= 0 || c.ttl > MAX_TTL_MS {
                        return Err(Code::BadArguments);
                    }
                } else if c.op == op::CREATE_TTL
                    || (c.op == op::CREATE_CONTAINER) != (mode == CreateMode::Container)
                {
                    return Err(Code::BadArguments);
                }
                if c.path.contains('\0') {
                    return Err(Code::BadArguments);
                }
                // The text before the last '/' ("/a//b" has parent "/a/", which never exists).
                let parent_path = match c.path.rfind('/') {
                    Some(0) => "/",
                    Some(i) => &c.path[..i],
                    None => return Err(Code::BadArguments),
                };
                let acl = fixup_acl(&c.acl, ctx.auth)?;
                let parent = self.node(parent_path)?;
                if !acl_allows(&parent.acl, perms::CREATE, ctx.auth) {
                    return Err(Code::NoAuth);
                }
                let path = if mode.is_sequential() {
                    format!("{}{:010}", c.path, parent.stat.cversion)
                } else {
                    c.path.clone()
                };
                validate_path(&path, false)?;
                if self.nodes.contains_key(path.as_str()) {
                    return Err(Code::NodeExists);
                }
                if parent.ephemeral_session().is_some() {
                    return Err(Code::NoChildrenForEphemerals);
                }
                let owner = if mode.is_ephemeral() {
                    ctx.session
                } else if mode == CreateMode::Container {
                    CONTAINER_OWNER
                } else if mode.is_ttl() {
                    TTL_TAG | c.ttl
                } else {
                    0
                };
                let parent_path = parent_path.to_string();
                self.save(undo, &parent_path);
                self.save(undo, &path);
                let stat = Stat {
                    czxid: ctx.zxid,
                    mzxid: ctx.zxid,
                    ctime: ctx.time,
                    mtime: ctx.time,
                    ephemeral_owner: owner,
                    pzxid: ctx.zxid,
                    ..Stat::default()
                };
                if let Some(p) = self.nodes.get_mut(parent_path.as_str()) {
                    p.stat.cversion = p.stat.cversion.wrapping_add(1);
                    p.stat.pzxid = ctx.zxid;
                }
                c.acl = acl.clone();
                self.insert_raw(path.clone(), c.data.clone(), acl, stat);
                events.push(Event::Created(path.clone()));
                events.push(Event::ChildrenChanged(parent_path));
                let stat = self.node(&path)?.stat();
                Ok(OpResult::Created {
                    op: c.op,
                    path,
                    stat,
                })
            }
            WriteOp::Delete { path, version } => {
                // ZooKeeper does not validate a delete's path beyond these checks.
                if SPECIAL.contains(&path.as_str()) || path.contains('\0') {
                    return Err(Code::BadArguments);
                }
                let parent_path = match path.rfind('/') {
                    Some(0) => "/".to_string(),
                    Some(i) => path[..i].to_string(),
                    None => return Err(Code::BadArguments),
                };
                let parent = self.node(&parent_path)?;
                let node = self.node(path)?;
                if !acl_allows(&parent.acl, perms::DELETE, ctx.auth) {
                    return Err(Code::NoAuth);
                }
                if *version != -1 && *version != node.stat.version {
                    return Err(Code::BadVersion);
                }
                if !node.children.is_empty() {
                    return Err(Code::NotEmpty);
                }
                self.save(undo, &parent_path);
                self.save(undo, path);
                if let Some(old) = self.nodes.remove(path.as_str()) {
                    self.unindex(path, &old);
                }
                if let Some(p) = self.nodes.get_mut(parent_path.as_str()) {
                    let name = &path[path.rfind('/').map_or(0, |i| i + 1)..];
                    p.children.remove(name);
                    p.stat.cversion = p.stat.cversion.wrapping_add(1);
                    p.stat.pzxid = ctx.zxid;
                }
                events.push(Event::Deleted(path.clone()));
                events.push(Event::ChildrenChanged(parent_path));
                Ok(OpResult::Deleted)
            }
            WriteOp::SetData {
                path,
                data,
                version,
            } => {
                validate_path(path, false)?;
                let node = self.node(path)?;
                if !acl_allows(&node.acl, perms::WRITE, ctx.auth) {
                    return Err(Code::NoAuth);
                }
                if *version != -1 && *version != node.stat.version {
                    return Err(Code::BadVersion);
                }
                self.save(undo, path);
                let n = self.nodes.get_mut(path.as_str()).ok_or(Code::NoNode)?;
                n.data = data.clone();
                n.stat.version = n.stat.version.wrapping_add(1);
                n.stat.mzxid = ctx.zxid;
                n.stat.mtime = ctx.time;
                let stat = n.stat();
                events.push(Event::DataChanged(path.clone()));
                Ok(OpResult::SetData(stat))
            }
            WriteOp::SetAcl { path, acl, version } => {
                validate_path(path, false)?;
                let fixed = fixup_acl(acl, ctx.auth)?;
                let node = self.node(path)?;
                if !acl_allows(&node.acl, perms::ADMIN, ctx.auth) {
                    return Err(Code::NoAuth);
                }
                if *version != -1 && *version != node.stat.aversion {
                    return Err(Code::BadVersion);
                }
                self.save(undo, path);
                let shared = self.intern_acl(fixed.clone());
                let n = self.nodes.get_mut(path.as_str()).ok_or(Code::NoNode)?;
                n.acl = shared;
                n.stat.aversion = n.stat.aversion.wrapping_add(1);
                *acl = fixed;
                Ok(OpResult::SetAcl(n.stat()))
            }
            WriteOp::Check { path, version } => {
                validate_path(path, false)?;
                let node = self.node(path)?;
                if !acl_allows(&node.acl, perms::READ, ctx.auth) {
                    return Err(Code::NoAuth);
                }
                if *version != -1 && *version != node.stat.version {
                    return Err(Code::BadVersion);
                }
                Ok(OpResult::Checked)
            }
        }
    }

    /// Deletes every ephemeral of `session` (closeSession or expiry), in path order, children
    /// of other sessions untouched. Returns the watch events.
    pub fn close_session(&mut self, session: i64, ctx: &TxnCtx) -> Vec<Event> {
        let mut events = Vec::new();
        // Deepest first so an ephemeral never blocks its (impossible) parent; path order keeps
        // replay deterministic.
        let mut paths = self.ephemerals_of(session);
        paths.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        for path in paths {
            let mut op = WriteOp::Delete { path, version: -1 };
            let replay_ctx = TxnCtx { auth: None, ..*ctx };
            // An ephemeral can be deleted only if it has no children, which always holds.
            let _ = self.apply_one(&mut op, &replay_ctx, &mut None, &mut events);
        }
        self.ephemerals.remove(&session);
        events
    }

    /// Containers that had children and have none now, and TTL nodes without children whose
    /// mtime is older than their TTL at `now` (ms). The caller deletes them as ordinary writes.
    pub fn expired_candidates(&self, now: i64) -> Vec<String> {
        let mut v: Vec<String> = self
            .expirable
            .iter()
            .filter(|p| {
                self.nodes.get(p.as_str()).is_some_and(|n| {
                    n.children.is_empty()
                        && if n.is_container() {
                            n.stat.cversion > 0
                        } else {
                            n.ttl()
                                .is_some_and(|ttl| now.saturating_sub(n.stat.mtime) > ttl)
                        }
                })
            })
            .cloned()
            .collect();
        v.sort();
        v
    }

    /// getData: data and Stat, READ permission required. Reads never validate the path
    /// (ZooKeeper answers NoNode for any path it does not have).
    pub fn get_data(
        &self,
        path: &str,
        auth: &[(String, String)],
    ) -> Result<(Option<Vec<u8>>, Stat), Code> {
        let n = self.node(path)?;
        if !acl_allows(&n.acl, perms::READ, Some(auth)) {
            return Err(Code::NoAuth);
        }
        Ok((n.data.clone(), n.stat()))
    }

    /// exists: the Stat, or NoNode.
    pub fn exists(&self, path: &str) -> Result<Stat, Code> {
        Ok(self.node(path)?.stat())
    }

    /// getChildren(2): child names (sorted) and the parent's Stat.
    pub fn get_children(
        &self,
        path: &str,
        auth: &[(String, String)],
    ) -> Result<(Vec<String>, Stat), Code> {
        let n = self.node(path)?;
        if !acl_allows(&n.acl, perms::READ, Some(auth)) {
            return Err(Code::NoAuth);
        }
        Ok((n.children.iter().map(|c| c.to_string()).collect(), n.stat()))
    }

    /// getACL: the ACL and Stat (no permission needed, as in ZooKeeper).
    pub fn get_acl(&self, path: &str) -> Result<(Vec<Acl>, Stat), Code> {
        let n = self.node(path)?;
        Ok((n.acl.to_vec(), n.stat()))
    }

    /// getAllChildrenNumber: every descendant of `path`.
    pub fn all_children_number(&self, path: &str) -> Result<i32, Code> {
        let mut stack = vec![path.to_string()];
        let mut count: i32 = -1;
        while let Some(p) = stack.pop() {
            let n = self.node(&p)?;
            count = count.saturating_add(1);
            stack.extend(n.children.iter().map(|c| child_path(&p, c)));
        }
        Ok(count)
    }

    /// Runs one multiRead op; errors are per op.
    pub fn read_op(&self, op: &ReadOp, auth: &[(String, String)]) -> Result<ReadResult, Code> {
        match op {
            ReadOp::GetChildren { path } => {
                Ok(ReadResult::Children(self.get_children(path, auth)?.0))
            }
            ReadOp::GetData { path } => {
                let (d, s) = self.get_data(path, auth)?;
                Ok(ReadResult::Data(d, s))
            }
        }
    }
}

/// A multiRead result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadResult {
    Children(Vec<String>),
    Data(Option<Vec<u8>>, Stat),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coordinator::proto::CreateReq;

    fn ctx(zxid: i64) -> TxnCtx<'static> {
        TxnCtx {
            zxid,
            time: 1000 + zxid,
            session: 0x55,
            auth: Some(&[]),
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

    fn ok(t: &mut DataTree, mut o: WriteOp, zxid: i64) -> OpResult {
        t.apply(&mut o, &ctx(zxid), &mut Vec::new()).unwrap()
    }

    fn err(t: &mut DataTree, mut o: WriteOp, zxid: i64) -> Code {
        t.apply(&mut o, &ctx(zxid), &mut Vec::new()).unwrap_err()
    }

    #[test]
    fn new_tree_has_system_nodes() {
        let t = DataTree::default();
        for p in SPECIAL {
            assert!(t.get(p).is_some(), "{p}");
        }
        assert_eq!(t.get_children("/", &[]).unwrap().0, vec!["zookeeper"]);
        assert_eq!(
            t.get_children("/zookeeper", &[]).unwrap().0,
            vec!["config", "quota"]
        );
    }

    #[test]
    fn path_validation() {
        for bad in [
            "",
            "a",
            "/a/",
            "//",
            "/a//b",
            "/a/./b",
            "/a/..",
            "/.",
            "/a\u{0}b",
            "/a\u{1}",
            "/\u{e000}x",
        ] {
            assert_eq!(
                validate_path(bad, false),
                Err(Code::BadArguments),
                "{bad:?}"
            );
        }
        for good in ["/", "/a", "/a/b.c", "/a/...", "/zookeeper/x", "/ünï"] {
            assert_eq!(validate_path(good, false), Ok(()), "{good:?}");
        }
        assert_eq!(validate_path("/a/", true), Ok(()));
        let mut t = DataTree::default();
        // ZooKeeper's create checks: no '/' at all, then the parent, then the whole path.
        assert_eq!(err(&mut t, create("a", 0), 1), Code::BadArguments);
        assert_eq!(err(&mut t, create("a/b", 0), 1), Code::NoNode);
        assert_eq!(err(&mut t, create("/", 0), 1), Code::NodeExists);
        assert_eq!(err(&mut t, create("/zookeeper/", 0), 1), Code::BadArguments);
        assert_eq!(
            err(&mut t, create("/zookeeper/.", 0), 1),
            Code::BadArguments
        );
        assert_eq!(err(&mut t, create("/zookeeper//x", 0), 1), Code::NoNode);
        assert_eq!(err(&mut t, create("/a\u{0}", 0), 1), Code::BadArguments);
        assert_eq!(err(&mut t, create("/a", 9), 1), Code::BadArguments);
        // Reads do not validate: an invalid path is simply not there.
        assert_eq!(t.get_data("/a//", &[]), Err(Code::NoNode));
        assert_eq!(t.exists("x"), Err(Code::NoNode));
        // setData and check validate; delete only refuses paths without '/'.
        let set = WriteOp::SetData {
            path: "/x/".into(),
            data: None,
            version: -1,
        };
        assert_eq!(err(&mut t, set, 1), Code::BadArguments);
        assert_eq!(
            err(
                &mut t,
                WriteOp::Delete {
                    path: "x".into(),
                    version: -1
                },
                1
            ),
            Code::BadArguments
        );
        assert_eq!(
            err(
                &mut t,
                WriteOp::Delete {
                    path: "/x/".into(),
                    version: -1
                },
                1
            ),
            Code::NoNode
        );
    }

    #[test]
    fn create_sets_stat_and_parent_bookkeeping() {
        let mut t = DataTree::default();
        let r = ok(&mut t, create("/a", 0), 5);
        let OpResult::Created { path, stat, .. } = r else {
            panic!()
        };
        assert_eq!(path, "/a");
        assert_eq!((stat.czxid, stat.mzxid, stat.pzxid), (5, 5, 5));
        assert_eq!((stat.ctime, stat.mtime), (1005, 1005));
        assert_eq!((stat.version, stat.cversion, stat.aversion), (0, 0, 0));
        assert_eq!(
            (stat.data_length, stat.num_children, stat.ephemeral_owner),
            (1, 0, 0)
        );
        let root = t.exists("/").unwrap();
        assert_eq!((root.cversion, root.pzxid, root.num_children), (0, 5, 2));
        assert_eq!(
            root.mzxid, 0,
            "child create does not touch the parent's mzxid"
        );
        ok(&mut t, create("/a/b", 0), 6);
        ok(
            &mut t,
            WriteOp::Delete {
                path: "/a/b".into(),
                version: -1,
            },
            7,
        );
        let a = t.exists("/a").unwrap();
        assert_eq!((a.cversion, a.pzxid, a.num_children, a.mzxid), (2, 7, 0, 5));
    }

    #[test]
    fn create_error_order() {
        let mut t = DataTree::default();
        let mut empty_acl = create("/a", 0);
        if let WriteOp::Create(c) = &mut empty_acl {
            c.acl.clear();
        }
        assert_eq!(err(&mut t, empty_acl.clone(), 1), Code::InvalidAcl);
        assert_eq!(err(&mut t, create("/x/y", 0), 1), Code::NoNode);
        ok(&mut t, create("/a", 0), 1);
        assert_eq!(err(&mut t, create("/a", 0), 2), Code::NodeExists);
        ok(&mut t, create("/e", 1), 3);
        assert_eq!(
            err(&mut t, create("/e/c", 0), 4),
            Code::NoChildrenForEphemerals
        );
        assert_eq!(
            err(&mut t, create("/e", 0), 4),
            Code::NodeExists,
            "exists is checked before ephemeral parent"
        );
        let mut locked = create("/locked", 0);
        if let WriteOp::Create(c) = &mut locked {
            c.acl = vec![Acl {
                perms: perms::READ,
                scheme: "world".into(),
                id: "anyone".into(),
            }];
        }
        ok(&mut t, locked, 5);
        assert_eq!(err(&mut t, create("/locked/c", 0), 6), Code::NoAuth);
        assert_eq!(t.exists("/locked/c"), Err(Code::NoNode));
    }

    #[test]
    fn sequential_names_use_parent_cversion() {
        let mut t = DataTree::default();
        ok(&mut t, create("/q", 0), 1);
        ok(&mut t, create("/q/other", 0), 2);
        let OpResult::Created { path, .. } = ok(&mut t, create("/q/n-", 2), 3) else {
            panic!()
        };
        assert_eq!(path, "/q/n-0000000001");
        ok(
            &mut t,
            WriteOp::Delete {
                path: "/q/other".into(),
                version: -1,
            },
            4,
        );
        let OpResult::Created { path, .. } = ok(&mut t, create("/q/n-", 3), 5) else {
            panic!()
        };
        assert_eq!(path, "/q/n-0000000003");
        let OpResult::Created { path, .. } = ok(&mut t, create("/q/", 2), 6) else {
            panic!()
        };
        assert_eq!(path, "/q/0000000004");
        assert_eq!(t.ephemerals_of(0x55), vec!["/q/n-0000000003".to_string()]);
    }

    #[test]
    fn versions_and_delete_errors() {
        let mut t = DataTree::default();
        ok(&mut t, create("/v", 0), 1);
        let set = |v| WriteOp::SetData {
            path: "/v".into(),
            data: Some(b"new".to_vec()),
            version: v,
        };
        let OpResult::SetData(s) = ok(&mut t, set(0), 2) else {
            panic!()
        };
        assert_eq!(
            (s.version, s.mzxid, s.czxid, s.data_length, s.mtime),
            (1, 2, 1, 3, 1002)
        );
        assert_eq!(err(&mut t, set(0), 3), Code::BadVersion);
        ok(&mut t, set(-1), 3);
        assert_eq!(
            err(
                &mut t,
                WriteOp::SetData {
                    path: "/nope".into(),
                    data: None,
                    version: -1
                },
                4
            ),
            Code::NoNode
        );
        ok(&mut t, create("/v/c", 0), 4);
        assert_eq!(
            err(
                &mut t,
                WriteOp::Delete {
                    path: "/v".into(),
                    version: 1
                },
                5
            ),
            Code::BadVersion
        );
        assert_eq!(
            err(
                &mut t,
                WriteOp::Delete {
                    path: "/v".into(),
                    version: 2
                },
                5
            ),
            Code::NotEmpty
        );
        assert_eq!(
            err(
                &mut t,
                WriteOp::Delete {
                    path: "/nope".into(),
                    version: -1
                },
                5
            ),
            Code::NoNode
        );
        assert_eq!(
            err(
                &mut t,
                WriteOp::Delete {
                    path: "/zookeeper".into(),
                    version: -1
                },
                5
            ),
            Code::BadArguments
        );
        let acl = WriteOp::SetAcl {
            path: "/v".into(),
            acl: Acl::open_unsafe(),
            version: 0,
        };
        let OpResult::SetAcl(s) = ok(&mut t, acl.clone(), 6) else {
            panic!()
        };
        assert_eq!((s.aversion, s.version, s.mzxid), (1, 2, 3));
        assert_eq!(err(&mut t, acl, 7), Code::BadVersion);
        let (d, _) = t.get_data("/v", &[]).unwrap();
        assert_eq!(d.as_deref(), Some(&b"new"[..]));
    }

    #[test]
    fn null_data_reads_back_as_null_with_zero_length() {
        let mut t = DataTree::default();
        let mut c = create("/n", 0);
        if let WriteOp::Create(c) = &mut c {
            c.data = None;
        }
        ok(&mut t, c, 1);
        let (d, s) = t.get_data("/n", &[]).unwrap();
        assert_eq!((d, s.data_length), (None, 0));
    }

    #[test]
    fn events_in_watch_order() {
        let mut t = DataTree::default();
        let mut ev = Vec::new();
        t.apply(&mut create("/a", 0), &ctx(1), &mut ev).unwrap();
        t.apply(
            &mut WriteOp::SetData {
                path: "/a".into(),
                data: None,
                version: -1,
            },
            &ctx(2),
            &mut ev,
        )
        .unwrap();
        t.apply(
            &mut WriteOp::Delete {
                path: "/a".into(),
                version: -1,
            },
            &ctx(3),
            &mut ev,
        )
        .unwrap();
        assert_eq!(
            ev,
            vec![
                Event::Created("/a".into()),
                Event::ChildrenChanged("/".into()),
                Event::DataChanged("/a".into()),
                Event::Deleted("/a".into()),
                Event::ChildrenChanged("/".into()),
            ]
        );
    }

    #[test]
    fn multi_is_atomic() {
        let mut t = DataTree::default();
        ok(&mut t, create("/m", 0), 1);
        let before = t.clone();
        let mut ops = vec![
            create("/m/a", 1),
            create("/m/s-", 2),
            WriteOp::SetData {
                path: "/m".into(),
                data: None,
                version: 0,
            },
            WriteOp::Check {
                path: "/m".into(),
                version: 0,
            },
        ];
        let f = t.apply_multi(&mut ops, &ctx(2)).unwrap_err();
        assert_eq!(
            f,
            MultiFailure {
                index: 3,
                code: Code::BadVersion
            }
        );
        assert_eq!(t.nodes, before.nodes);
        assert_eq!(t.ephemerals, before.ephemerals);
        assert_eq!(t.exists("/m").unwrap().cversion, 0);

        let mut ops = vec![
            create("/m/a", 1),
            create("/m/a2", 0),
            WriteOp::Delete {
                path: "/m/a2".into(),
                version: -1,
            },
            WriteOp::Check {
                path: "/m".into(),
                version: 0,
            },
            WriteOp::SetData {
                path: "/m".into(),
                data: Some(b"z".to_vec()),
                version: 0,
            },
        ];
        let (res, ev) = t.apply_multi(&mut ops, &ctx(2)).unwrap();
        assert_eq!(res.len(), 5);
        assert_eq!(res[2], OpResult::Deleted);
        assert_eq!(res[3], OpResult::Checked);
        let OpResult::SetData(s) = &res[4] else {
            panic!()
        };
        assert_eq!((s.version, s.mzxid, s.cversion, s.pzxid), (1, 2, 3, 2));
        assert_eq!(ev.len(), 7);
        assert_eq!(t.ephemerals_of(0x55), vec!["/m/a".to_string()]);
    }

    #[test]
    fn multi_rollback_restores_deleted_and_ephemeral_index() {
        let mut t = DataTree::default();
        ok(&mut t, create("/e", 1), 1);
        let before = t.clone();
        let mut ops = vec![
            WriteOp::Delete {
                path: "/e".into(),
                version: -1,
            },
            create("/e", 0),
            create("/nope/x", 0),
        ];
        assert_eq!(
            t.apply_multi(&mut ops, &ctx(2)).unwrap_err(),
            MultiFailure {
                index: 2,
                code: Code::NoNode
            }
        );
        assert_eq!(t.nodes, before.nodes);
        assert_eq!(t.ephemerals_of(0x55), vec!["/e".to_string()]);
    }

    #[test]
    fn close_session_removes_only_its_ephemerals() {
        let mut t = DataTree::default();
        ok(&mut t, create("/p", 0), 1);
        ok(&mut t, create("/p/e1", 1), 2);
        ok(&mut t, create("/p/e2", 3), 3);
        let mut other = create("/p/o", 1);
        t.apply(
            &mut other,
            &TxnCtx {
                session: 0x77,
                ..ctx(4)
            },
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(t.ephemeral_count(), 3);
        let ev = t.close_session(0x55, &ctx(5));
        assert_eq!(ev.len(), 4);
        assert_eq!(t.get_children("/p", &[]).unwrap().0, vec!["o"]);
        assert_eq!(t.exists("/p").unwrap().pzxid, 5);
        assert_eq!(t.ephemerals_of(0x55), Vec::<String>::new());
        assert_eq!(t.exists("/p/o").unwrap().ephemeral_owner, 0x77);
    }

    #[test]
    fn containers_and_ttl_nodes() {
        let mut t = DataTree::new(true);
        let mut c = create("/c", 4);
        if let WriteOp::Create(c) = &mut c {
            c.op = op::CREATE_CONTAINER;
        }
        ok(&mut t, c, 1);
        assert_eq!(t.get("/c").unwrap().stat.ephemeral_owner, i64::MIN);
        assert_eq!(t.exists("/c").unwrap().ephemeral_owner, 0, "clients see 0");
        assert!(
            t.expired_candidates(10_000).is_empty(),
            "a container that never had children stays"
        );
        ok(&mut t, create("/c/x", 0), 2);
        ok(
            &mut t,
            WriteOp::Delete {
                path: "/c/x".into(),
                version: -1,
            },
            3,
        );
        assert_eq!(t.expired_candidates(10_000), vec!["/c".to_string()]);
        let ttl = |flags, op, ttl| {
            WriteOp::Create(CreateReq {
                op,
                path: "/t".into(),
                data: None,
                acl: Acl::open_unsafe(),
                flags,
                ttl,
            })
        };
        assert_eq!(err(&mut t, ttl(5, op::CREATE, -1), 4), Code::BadArguments);
        assert_eq!(
            err(&mut t, ttl(0, op::CREATE_TTL, 100), 4),
            Code::BadArguments
        );
        assert_eq!(
            err(&mut t, ttl(5, op::CREATE_TTL, 0), 4),
            Code::BadArguments
        );
        ok(&mut t, ttl(5, op::CREATE_TTL, 100), 4);
        let s = t.get("/t").unwrap().stat;
        assert_eq!(s.ephemeral_owner, TTL_TAG | 100);
        assert_eq!(t.exists("/t").unwrap().ephemeral_owner, 0);
        assert_eq!(t.expired_candidates(s.mtime + 100), vec!["/c".to_string()]);
        assert_eq!(
            t.expired_candidates(s.mtime + 101),
            vec!["/c".to_string(), "/t".to_string()]
        );
        let mut off = DataTree::new(false);
        assert_eq!(
            err(&mut off, ttl(5, op::CREATE_TTL, 100), 1),
            Code::Unimplemented
        );
    }

    #[test]
    fn acl_fixup_and_auth() {
        let auth = vec![("digest".to_string(), "u:h".to_string())];
        let a = vec![Acl {
            perms: 31,
            scheme: "auth".into(),
            id: "".into(),
        }];
        assert_eq!(fixup_acl(&a, Some(&[])), Err(Code::InvalidAcl));
        assert_eq!(fixup_acl(&a, Some(&auth)).unwrap()[0].id, "u:h");
        let bad = vec![Acl {
            perms: 31,
            scheme: "world".into(),
            id: "x".into(),
        }];
        assert_eq!(fixup_acl(&bad, Some(&[])), Err(Code::InvalidAcl));
        let mut t = DataTree::default();
        let mut c = create("/s", 0);
        if let WriteOp::Create(c) = &mut c {
            c.acl = a.clone();
        }
        t.apply(
            &mut c,
            &TxnCtx {
                auth: Some(&auth),
                ..ctx(1)
            },
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(t.get_data("/s", &[]), Err(Code::NoAuth));
        assert!(t.get_data("/s", &auth).is_ok());
        assert_eq!(
            err(
                &mut t,
                WriteOp::SetData {
                    path: "/s".into(),
                    data: None,
                    version: -1
                },
                2
            ),
            Code::NoAuth
        );
    }

    #[test]
    fn counts_and_reads() {
        let mut t = DataTree::default();
        ok(&mut t, create("/a", 0), 1);
        ok(&mut t, create("/a/b", 0), 2);
        ok(&mut t, create("/a/b/c", 0), 3);
        assert_eq!(t.all_children_number("/a").unwrap(), 2);
        assert_eq!(t.all_children_number("/x"), Err(Code::NoNode));
        assert_eq!(
            t.read_op(&ReadOp::GetChildren { path: "/a".into() }, &[])
                .unwrap(),
            ReadResult::Children(vec!["b".into()])
        );
        let order: Vec<_> = t
            .nodes_parent_first()
            .into_iter()
            .map(|(p, _)| p.to_string())
            .collect();
        assert_eq!(order[0], "/");
        assert!(
            order.iter().position(|p| p == "/a").unwrap()
                < order.iter().position(|p| p == "/a/b").unwrap()
        );
    }
}
