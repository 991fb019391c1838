//! Sessions (timeouts, passwords, expiry) and watches (spec A6, A8), pure: time is passed in as
//! `now` in ms and every decision comes back to the caller as data (ids to expire,
//! notifications to send).
//!
//! Expiry uses tickTime buckets as ZooKeeper does: a session touched at `now` expires at the
//! first tick boundary after `now + timeout`, so the server only needs to look once per tick.
//! Watches belong to a session while it has a connection; the server drops them when the
//! connection goes away (clients re-register with setWatches).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::proto::{Code, SetWatches, event};
use super::tree::{DataTree, Event};

/// Timeout bounds, all in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub tick_ms: u64,
    pub min_timeout_ms: u64,
    pub max_timeout_ms: u64,
}

impl SessionLimits {
    /// ZooKeeper's defaults: min 2x and max 20x tickTime when not set (0 = unset).
    pub fn new(tick_ms: u64, min_timeout_ms: u64, max_timeout_ms: u64) -> Self {
        let tick_ms = tick_ms.max(1);
        let min = if min_timeout_ms == 0 {
            2 * tick_ms
        } else {
            min_timeout_ms
        };
        let max = if max_timeout_ms == 0 {
            20 * tick_ms
        } else {
            max_timeout_ms
        };
        SessionLimits {
            tick_ms,
            min_timeout_ms: min,
            max_timeout_ms: max.max(min),
        }
    }

    /// The timeout granted for a requested one.
    pub fn negotiate(&self, requested_ms: i32) -> u64 {
        let r = u64::try_from(requested_ms).unwrap_or(0);
        r.clamp(self.min_timeout_ms, self.max_timeout_ms)
    }
}

/// The 16-byte password of a session: a fixed mix of its id, so it survives restarts without
/// being stored (ZooKeeper also derives it from the id and a constant secret).
pub fn password(session_id: i64) -> [u8; 16] {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    let a = mix(session_id as u64 ^ 0xB341_5C00);
    let b = mix(a);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&a.to_be_bytes());
    out[8..].copy_from_slice(&b.to_be_bytes());
    out
}

/// SHA-1 of `data` (FIPS 180-4); used only to name digest identities, as ZooKeeper does.
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// The identity a `digest` auth packet `user:password` gives: `user:base64(sha1(user:password))`
/// (ZooKeeper's DigestAuthenticationProvider; digest ACL ids use the same form).
pub fn digest_id(user_password: &str) -> String {
    let user = user_password.split(':').next().unwrap_or("");
    format!("{user}:{}", base64(&sha1(user_password.as_bytes())))
}

/// One live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    /// Negotiated timeout, ms.
    pub timeout_ms: u64,
    /// The tick boundary (ms) at which it expires unless touched.
    pub expires_at: u64,
    /// Identities added with auth packets: (scheme, id).
    pub auth: Vec<(String, String)>,
}

/// All live sessions.
#[derive(Debug, Clone)]
pub struct Sessions {
    pub limits: SessionLimits,
    map: HashMap<i64, Session>,
    next_id: i64,
}

impl Sessions {
    /// `now` seeds the id counter as ZooKeeper does ((time << 24) >>> 8, server id 0), so ids
    /// from different server runs do not collide.
    pub fn new(limits: SessionLimits, now: u64) -> Self {
        Sessions {
            limits,
            map: HashMap::new(),
            next_id: ((now << 24) >> 8) as i64,
        }
    }

    fn deadline(&self, now: u64, timeout: u64) -> u64 {
        let t = self.limits.tick_ms;
        (now.saturating_add(timeout) / t + 1).saturating_mul(t)
    }

    /// Creates a session with the negotiated timeout; returns its id and timeout (ms).
    pub fn create(&mut self, requested_ms: i32, now: u64) -> (i64, u64) {
        let timeout = self.limits.negotiate(requested_ms);
        let mut id = self.next_id;
        while self.map.contains_key(&id) || id == 0 {
            id = id.wrapping_add(1);
        }
        self.next_id = id.wrapping_add(1);
        self.restore(id, timeout, now);
        (id, timeout)
    }

    /// Re-creates a session from the log or a snapshot (and is how `create` records one).
    /// The id counter moves past it so new sessions never reuse it.
    pub fn restore(&mut self, id: i64, timeout_ms: u64, now: u64) {
        let expires_at = self.deadline(now, timeout_ms);
        self.map.insert(
            id,
            Session {
                id,
                timeout_ms,
                expires_at,
                auth: Vec::new(),
            },
        );
        if id >= self.next_id {
            self.next_id = id.wrapping_add(1);
        }
    }

    pub fn get(&self, id: i64) -> Option<&Session> {
        self.map.get(&id)
    }

    pub fn get_mut(&mut self, id: i64) -> Option<&mut Session> {
        self.map.get_mut(&id)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Live sessions sorted by id (for snapshots and `cons`).
    pub fn all(&self) -> Vec<&Session> {
        let mut v: Vec<_> = self.map.values().collect();
        v.sort_by_key(|s| s.id);
        v
    }

    /// The id counter, persisted in snapshots so ids never go back.
    pub fn next_id(&self) -> i64 {
        self.next_id
    }

    pub fn bump_next_id(&mut self, at_least: i64) {
        self.next_id = self.next_id.max(at_least);
    }

    /// Whether a reconnect with `id` and `passwd` may resume.
    pub fn can_resume(&self, id: i64, passwd: &[u8]) -> bool {
        self.map.contains_key(&id) && passwd == password(id)
    }

    /// Any packet refreshes the session. Returns false for an unknown session.
    pub fn touch(&mut self, id: i64, now: u64) -> bool {
        let Some(t) = self.map.get(&id).map(|s| s.timeout_ms) else {
            return false;
        };
        let d = self.deadline(now, t);
        if let Some(s) = self.map.get_mut(&id) {
            s.expires_at = d;
        }
        true
    }

    pub fn remove(&mut self, id: i64) -> Option<Session> {
        self.map.remove(&id)
    }

    /// Sessions whose deadline has passed at `now`, sorted; the caller closes them.
    pub fn expired(&self, now: u64) -> Vec<i64> {
        let mut v: Vec<i64> = self
            .map
            .values()
            .filter(|s| s.expires_at <= now)
            .map(|s| s.id)
            .collect();
        v.sort_unstable();
        v
    }
}

/// A notification to send to a session: WatcherEvent{type, SyncConnected, path}.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    pub session: i64,
    pub event_type: i32,
    pub path: String,
}

/// Kinds accepted by checkWatches/removeWatches.
pub mod watch_kind {
    pub const CHILDREN: i32 = 1;
    pub const DATA: i32 = 2;
    pub const ANY: i32 = 3;
    pub const PERSISTENT: i32 = 4;
    pub const PERSISTENT_RECURSIVE: i32 = 5;
}

/// How a registered watch behaves when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// getData/exists/getChildren: removed when it fires.
    OneShot,
    /// addWatch mode 0: stays; registered for data and children of its path.
    Persistent,
    /// addWatch mode 1: stays; data events of its path and every path below it.
    Recursive,
}

type WatchMap = BTreeMap<String, BTreeMap<i64, Mode>>;

/// Registered watches, kept as ZooKeeper keeps them: a data table (getData, exists,
/// persistent, recursive) and a child table (getChildren, persistent), each mapping a path to
/// the watching sessions and their mode. A one-shot registration never downgrades a
/// persistent one.
#[derive(Debug, Clone, Default)]
pub struct Watches {
    data: WatchMap,
    child: WatchMap,
}

fn add(map: &mut WatchMap, path: &str, s: i64, mode: Mode) {
    let e = map
        .entry(path.to_string())
        .or_default()
        .entry(s)
        .or_insert(mode);
    if *e == Mode::OneShot {
        *e = mode;
    }
}

/// Sessions watching `path` itself (any mode); one-shot registrations are consumed.
fn fire_path(map: &mut WatchMap, path: &str, out: &mut BTreeSet<i64>) {
    if let Some(ws) = map.get_mut(path) {
        out.extend(ws.keys().copied());
        ws.retain(|_, m| *m != Mode::OneShot);
        if ws.is_empty() {
            map.remove(path);
        }
    }
}

/// Each strict ancestor of `path`, up to `/`.
fn ancestors(path: &str) -> Vec<&str> {
    let mut v = Vec::new();
    let mut p = path;
    while let Some(i) = p.rfind('/') {
        if p == "/" {
            break;
        }
        p = if i == 0 { "/" } else { &p[..i] };
        v.push(p);
    }
    v
}

impl Watches {
    /// A one-shot watch from getData or exists.
    pub fn add_data(&mut self, path: &str, s: i64) {
        add(&mut self.data, path, s, Mode::OneShot);
    }
    /// A one-shot watch from getChildren.
    pub fn add_child(&mut self, path: &str, s: i64) {
        add(&mut self.child, path, s, Mode::OneShot);
    }
    /// addWatch mode 0: fires for create, delete, data and children changes of `path`.
    pub fn add_persistent(&mut self, path: &str, s: i64) {
        add(&mut self.data, path, s, Mode::Persistent);
        add(&mut self.child, path, s, Mode::Persistent);
    }
    /// addWatch mode 1: fires for create, delete and data changes of `path` and below.
    pub fn add_recursive(&mut self, path: &str, s: i64) {
        add(&mut self.data, path, s, Mode::Recursive);
    }

    /// Registrations in both tables (a persistent watch counts twice, as in ZooKeeper).
    pub fn count(&self) -> usize {
        [&self.data, &self.child]
            .iter()
            .flat_map(|m| m.values())
            .map(BTreeMap::len)
            .sum()
    }

    /// (path, session) pairs with at least one watch, sorted (for wchc/wchp/wchs).
    pub fn by_path(&self) -> Vec<(String, i64)> {
        let mut v: Vec<(String, i64)> = [&self.data, &self.child]
            .iter()
            .flat_map(|m| m.iter())
            .flat_map(|(p, ws)| ws.keys().map(move |s| (p.clone(), *s)))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Drops every watch of a session (its connection went away).
    pub fn remove_session(&mut self, s: i64) {
        for m in [&mut self.data, &mut self.child] {
            m.retain(|_, ws| {
                ws.remove(&s);
                !ws.is_empty()
            });
        }
    }

    /// checkWatches (remove = false) and removeWatches (remove = true). Kinds 1 (children)
    /// and 2 (data) match any registration in that table, persistent ones included, as in
    /// ZooKeeper; 3 both tables; 4 and 5 only persistent / recursive ones. NoWatcher when
    /// nothing matches.
    pub fn check_or_remove(
        &mut self,
        path: &str,
        s: i64,
        kind: i32,
        remove: bool,
    ) -> Result<(), Code> {
        let (tables, want): (Vec<&mut WatchMap>, fn(Mode) -> bool) = match kind {
            watch_kind::CHILDREN => (vec![&mut self.child], |_| true),
            watch_kind::DATA => (vec![&mut self.data], |_| true),
            watch_kind::ANY => (vec![&mut self.child, &mut self.data], |_| true),
            watch_kind::PERSISTENT => (vec![&mut self.child, &mut self.data], |m| {
                m == Mode::Persistent
            }),
            watch_kind::PERSISTENT_RECURSIVE => (vec![&mut self.data], |m| m == Mode::Recursive),
            _ => return Err(Code::BadArguments),
        };
        let mut found = false;
        for m in tables {
            let Some(ws) = m.get_mut(path) else { continue };
            if ws.get(&s).is_some_and(|mode| want(*mode)) {
                found = true;
                if remove {
                    ws.remove(&s);
                    if ws.is_empty() {
                        m.remove(path);
                    }
                }
            }
        }
        if found { Ok(()) } else { Err(Code::NoWatcher) }
    }

    /// Sessions with a recursive watch on a strict ancestor of `path`.
    fn recursive_above(&self, path: &str, out: &mut BTreeSet<i64>) {
        for a in ancestors(path) {
            if let Some(ws) = self.data.get(a) {
                out.extend(
                    ws.iter()
                        .filter(|(_, m)| **m == Mode::Recursive)
                        .map(|(s, _)| *s),
                );
            }
        }
    }

    /// Turns the events of one write into notifications, in event order; one-shot watches are
    /// consumed. A session gets one notification per event even when several of its watches
    /// match it.
    pub fn trigger(&mut self, events: &[Event]) -> Vec<Notify> {
        let mut out = Vec::new();
        for ev in events {
            let mut targets = BTreeSet::new();
            let (ty, path) = match ev {
                Event::Created(p) | Event::DataChanged(p) => {
                    fire_path(&mut self.data, p, &mut targets);
                    self.recursive_above(p, &mut targets);
                    let ty = if matches!(ev, Event::Created(_)) {
                        event::NODE_CREATED
                    } else {
                        event::NODE_DATA_CHANGED
                    };
                    (ty, p)
                }
                Event::Deleted(p) => {
                    fire_path(&mut self.data, p, &mut targets);
                    fire_path(&mut self.child, p, &mut targets);
                    self.recursive_above(p, &mut targets);
                    (event::NODE_DELETED, p)
                }
                Event::ChildrenChanged(p) => {
                    fire_path(&mut self.child, p, &mut targets);
                    (event::NODE_CHILDREN_CHANGED, p)
                }
            };
            out.extend(targets.into_iter().map(|session| Notify {
                session,
                event_type: ty,
                path: path.clone(),
            }));
        }
        out
    }

    /// setWatches after a reconnect: fires what the client missed since `relative_zxid` and
    /// re-arms the rest (spec A6).
    pub fn set_watches(&mut self, s: i64, sw: &SetWatches, tree: &DataTree) -> Vec<Notify> {
        let mut out = Vec::new();
        let note = |out: &mut Vec<Notify>, ty, path: &String| {
            out.push(Notify {
                session: s,
                event_type: ty,
                path: path.clone(),
            })
        };
        for p in &sw.data {
            match tree.get(p) {
                None => note(&mut out, event::NODE_DELETED, p),
                Some(n) if n.stat.mzxid > sw.relative_zxid => {
                    note(&mut out, event::NODE_DATA_CHANGED, p)
                }
                Some(_) => self.add_data(p, s),
            }
        }
        for p in &sw.exist {
            match tree.get(p) {
                Some(_) => note(&mut out, event::NODE_CREATED, p),
                None => self.add_data(p, s),
            }
        }
        for p in &sw.child {
            match tree.get(p) {
                None => note(&mut out, event::NODE_DELETED, p),
                Some(n) if n.stat.pzxid > sw.relative_zxid => {
                    note(&mut out, event::NODE_CHILDREN_CHANGED, p)
                }
                Some(_) => self.add_child(p, s),
            }
        }
        for p in &sw.persistent {
            self.add_persistent(p, s);
        }
        for p in &sw.recursive {
            self.add_recursive(p, s);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coordinator::proto::{Acl, CreateReq, WriteOp, op};
    use crate::coordinator::tree::TxnCtx;

    fn limits() -> SessionLimits {
        SessionLimits::new(2000, 0, 0)
    }

    #[test]
    fn digest_ids_match_zookeeper() {
        assert_eq!(base64(&sha1(b"abc")), "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
        assert_eq!(base64(&sha1(b"")), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
        assert_eq!(
            digest_id("super:test"),
            "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
        );
    }

    #[test]
    fn timeout_negotiation_clamps_to_bounds() {
        let l = limits();
        assert_eq!((l.min_timeout_ms, l.max_timeout_ms), (4000, 40000));
        assert_eq!(l.negotiate(1000), 4000);
        assert_eq!(l.negotiate(-5), 4000);
        assert_eq!(l.negotiate(10000), 10000);
        assert_eq!(l.negotiate(i32::MAX), 40000);
        let l = SessionLimits::new(3000, 6000, 18000);
        assert_eq!(l.negotiate(30000), 18000);
    }

    #[test]
    fn expiry_uses_tick_buckets_and_touch_extends() {
        let mut s = Sessions::new(limits(), 1_000_000);
        let (id, t) = s.create(10000, 1000);
        assert_eq!(t, 10000);
        // 1000 + 10000 rounds up to the next 2000 ms boundary: 12000.
        assert_eq!(s.get(id).unwrap().expires_at, 12000);
        assert!(s.expired(11999).is_empty());
        assert_eq!(s.expired(12000), vec![id]);
        assert!(s.touch(id, 5000));
        assert!(s.expired(14000).is_empty());
        assert_eq!(s.expired(16000), vec![id]);
        assert!(!s.touch(12345, 5000));
        s.remove(id);
        assert!(s.expired(100_000).is_empty());
    }

    #[test]
    fn ids_are_unique_and_passwords_checked() {
        let mut s = Sessions::new(limits(), 77);
        let (a, _) = s.create(5000, 0);
        let (b, _) = s.create(5000, 0);
        assert_ne!(a, b);
        assert!(s.can_resume(a, &password(a)));
        assert!(!s.can_resume(a, &password(b)));
        assert!(!s.can_resume(a, &[0; 16]));
        assert!(!s.can_resume(999, &password(999)));
        assert_eq!(password(a), password(a));
        assert_ne!(password(a), password(b));
        let mut restarted = Sessions::new(limits(), 0);
        restarted.restore(b, 5000, 0);
        let (c, _) = restarted.create(5000, 0);
        assert!(c > b, "new ids move past restored ones");
    }

    #[test]
    fn one_shot_watches_fire_once_in_event_order() {
        let mut w = Watches::default();
        w.add_data("/a", 1);
        w.add_child("/", 2);
        w.add_data("/a", 2);
        let n = w.trigger(&[
            Event::Created("/a".into()),
            Event::ChildrenChanged("/".into()),
        ]);
        let got: Vec<_> = n
            .iter()
            .map(|n| (n.session, n.event_type, n.path.as_str()))
            .collect();
        assert_eq!(got, vec![(1, 1, "/a"), (2, 1, "/a"), (2, 4, "/")]);
        assert!(w.trigger(&[Event::DataChanged("/a".into())]).is_empty());
        assert_eq!(w.count(), 0);
    }

    #[test]
    fn one_shot_does_not_downgrade_persistent() {
        let mut w = Watches::default();
        w.add_persistent("/x", 1);
        w.add_data("/x", 1);
        assert_eq!(w.trigger(&[Event::DataChanged("/x".into())]).len(), 1);
        assert_eq!(w.trigger(&[Event::DataChanged("/x".into())]).len(), 1);
        assert_eq!(ancestors("/a/b"), vec!["/a", "/"]);
        assert!(ancestors("/").is_empty());
    }

    #[test]
    fn delete_fires_once_per_session_for_data_and_child_watch() {
        let mut w = Watches::default();
        w.add_data("/a", 1);
        w.add_child("/a", 1);
        w.add_child("/a", 3);
        let n = w.trigger(&[Event::Deleted("/a".into())]);
        assert_eq!(n.len(), 2);
        assert!(n.iter().all(|n| n.event_type == event::NODE_DELETED));
    }

    #[test]
    fn persistent_and_recursive_watches_stay() {
        let mut w = Watches::default();
        w.add_persistent("/p", 1);
        w.add_recursive("/p", 2);
        for _ in 0..2 {
            let n = w.trigger(&[
                Event::Created("/p/x/y".into()),
                Event::ChildrenChanged("/p/x".into()),
                Event::DataChanged("/p".into()),
                Event::ChildrenChanged("/p".into()),
            ]);
            let got: Vec<_> = n
                .iter()
                .map(|n| (n.session, n.event_type, n.path.as_str()))
                .collect();
            assert_eq!(
                got,
                vec![(2, 1, "/p/x/y"), (1, 3, "/p"), (2, 3, "/p"), (1, 4, "/p")]
            );
        }
        assert_eq!(w.count(), 3, "persistent counts in both tables");
        let mut cr = |s, kind, remove| w.check_or_remove("/p", s, kind, remove);
        assert_eq!(cr(1, watch_kind::PERSISTENT, false), Ok(()));
        assert_eq!(
            cr(1, watch_kind::PERSISTENT_RECURSIVE, false),
            Err(Code::NoWatcher)
        );
        // A data-kind check sees persistent and recursive registrations (ZooKeeper 3.8).
        assert_eq!(cr(1, watch_kind::DATA, false), Ok(()));
        assert_eq!(cr(2, watch_kind::CHILDREN, false), Err(Code::NoWatcher));
        assert_eq!(cr(2, watch_kind::ANY, true), Ok(()));
        assert_eq!(cr(2, watch_kind::ANY, true), Err(Code::NoWatcher));
        assert_eq!(cr(2, 9, true), Err(Code::BadArguments));
        // Removing the data side of a persistent watch leaves its child side.
        assert_eq!(cr(1, watch_kind::DATA, true), Ok(()));
        assert!(w.trigger(&[Event::DataChanged("/p".into())]).is_empty());
        assert_eq!(w.trigger(&[Event::ChildrenChanged("/p".into())]).len(), 1);
        w.remove_session(1);
        assert_eq!(w.count(), 0);
    }

    #[test]
    fn set_watches_fires_missed_events_and_rearms() {
        let mut t = DataTree::default();
        let mut c = WriteOp::Create(CreateReq {
            op: op::CREATE,
            path: "/a".into(),
            data: None,
            acl: Acl::open_unsafe(),
            flags: 0,
            ttl: -1,
        });
        let ctx = TxnCtx {
            zxid: 5,
            time: 0,
            session: 1,
            auth: None,
        };
        t.apply(&mut c, &ctx, &mut Vec::new()).unwrap();
        let mut w = Watches::default();
        let sw = SetWatches {
            relative_zxid: 4,
            data: vec!["/a".into(), "/gone".into(), "/".into()],
            exist: vec!["/a".into(), "/b".into()],
            child: vec!["/".into(), "/zookeeper".into()],
            ..SetWatches::default()
        };
        let n = w.set_watches(9, &sw, &t);
        let got: Vec<_> = n.iter().map(|n| (n.event_type, n.path.as_str())).collect();
        assert_eq!(got, vec![(3, "/a"), (2, "/gone"), (1, "/a"), (4, "/")]);
        // Re-armed: data on "/", exist on "/b", child on "/zookeeper".
        assert_eq!(w.count(), 3);
        let n = w.trigger(&[Event::Created("/b".into())]);
        assert_eq!(
            n,
            vec![Notify {
                session: 9,
                event_type: 1,
                path: "/b".into()
            }]
        );
    }
}
