//! The client's protocol state, pure: connect-string parsing, chroot path mapping, the queue
//! of requests awaiting replies (xid bookkeeping), the registry of armed watches that is
//! replayed with setWatches after a reconnect, and the host rotation with backoff.
//!
//! Nothing here touches a socket or a clock: times are passed in as [`Duration`]s since an
//! origin the caller picks, randomness as a seed, so every decision is unit-tested.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::coordinator::proto::SetWatches;
use crate::types::HostPort;

/// ZooKeeper's client port, used when a connect-string entry has no `:port`.
pub const DEFAULT_PORT: u16 = 2181;

/// A parsed connect string: `h1:2181,h2:2181/kafka` (entries may also be space-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectString {
    /// In the order given; the caller shuffles them.
    pub hosts: Vec<HostPort>,
    /// The chroot every path is relative to; `None` for the root.
    pub chroot: Option<String>,
}

/// Why a connect string or a path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("bad connect string {input:?}: {reason}")]
    ConnectString { input: String, reason: String },
    #[error("Path must start with / character: {path:?}")]
    NotAbsolute { path: String },
    #[error("Invalid path string {path:?}: {reason}")]
    Invalid { path: String, reason: &'static str },
}

impl ConnectString {
    /// Parses hosts (comma and/or whitespace separated, `[v6]:port` allowed, port defaulting to
    /// 2181) followed by an optional chroot that starts at the first `/`.
    pub fn parse(input: &str) -> Result<ConnectString, PathError> {
        let bad = |reason: String| PathError::ConnectString {
            input: input.to_string(),
            reason,
        };
        let trimmed = input.trim();
        let (hosts_part, chroot) = match trimmed.find('/') {
            Some(i) => (&trimmed[..i], Some(&trimmed[i..])),
            None => (trimmed, None),
        };
        let entries: Vec<String> = hosts_part
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(with_default_port)
            .collect();
        let hosts = HostPort::parse_list(&entries.join(",")).map_err(bad)?;
        let chroot = match chroot {
            None | Some("/") => None,
            Some(c) => {
                validate_path(c, false).map_err(|e| bad(e.to_string()))?;
                Some(c.to_string())
            }
        };
        Ok(ConnectString { hosts, chroot })
    }
}

/// Appends `:2181` to an entry without a port (`zk1`, `[::1]`).
fn with_default_port(entry: &str) -> String {
    let has_port = if let Some(rest) = entry.strip_prefix('[') {
        rest.split_once(']')
            .is_some_and(|(_, after)| after.starts_with(':'))
    } else {
        entry.contains(':')
    };
    if has_port {
        entry.to_string()
    } else {
        format!("{entry}:{DEFAULT_PORT}")
    }
}

/// Checks a znode path the way the Java client does before sending it: absolute, no empty,
/// `.` or `..` segments, no trailing slash (except `/`), no NUL. `sequential` allows a
/// trailing slash, since the server appends the sequence number.
pub fn validate_path(path: &str, sequential: bool) -> Result<(), PathError> {
    let invalid = |reason| PathError::Invalid {
        path: path.to_string(),
        reason,
    };
    if !path.starts_with('/') {
        return Err(PathError::NotAbsolute {
            path: path.to_string(),
        });
    }
    if path == "/" {
        return Ok(());
    }
    if path.ends_with('/') && !sequential {
        return Err(invalid("must not end with / character"));
    }
    if path.contains('\0') {
        return Err(invalid("null character not allowed"));
    }
    let body = path.strip_suffix('/').unwrap_or(path);
    for seg in body[1..].split('/') {
        match seg {
            "" => return Err(invalid("empty node name specified")),
            "." | ".." => return Err(invalid("relative paths not allowed")),
            _ => {}
        }
    }
    Ok(())
}

/// Maps client paths to server paths under an optional chroot and back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chroot(Option<String>);

impl Chroot {
    pub fn new(chroot: Option<String>) -> Chroot {
        Chroot(chroot)
    }

    /// The server path for a client path (`/` is the chroot itself).
    pub fn to_server(&self, path: &str) -> String {
        match &self.0 {
            None => path.to_string(),
            Some(root) if path == "/" => root.clone(),
            Some(root) => format!("{root}{path}"),
        }
    }

    /// The client path for a server path; paths outside the chroot come back unchanged.
    pub fn to_client(&self, path: &str) -> String {
        match &self.0 {
            None => path.to_string(),
            Some(root) => match path.strip_prefix(root.as_str()) {
                Some("") => "/".to_string(),
                Some(rest) if rest.starts_with('/') => rest.to_string(),
                _ => path.to_string(),
            },
        }
    }
}

/// What kind of watch a successful read arms (spec A6), or which one addWatch sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WatchKind {
    /// getData, or exists on a present node.
    Data,
    /// exists on a missing node.
    Exist,
    /// getChildren / getChildren2.
    Child,
    /// addWatch PERSISTENT.
    Persistent,
    /// addWatch PERSISTENT_RECURSIVE.
    PersistentRecursive,
}

/// The watches this session has armed, by server path; replayed with setWatches on reconnect.
/// One-shot watches are dropped when their event arrives; persistent ones stay until removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchRegistry {
    watches: BTreeMap<WatchKind, std::collections::BTreeSet<String>>,
}

impl WatchRegistry {
    pub fn add(&mut self, kind: WatchKind, path: &str) {
        self.watches
            .entry(kind)
            .or_default()
            .insert(path.to_string());
    }

    pub fn contains(&self, kind: WatchKind, path: &str) -> bool {
        self.watches.get(&kind).is_some_and(|s| s.contains(path))
    }

    pub fn is_empty(&self) -> bool {
        self.watches.values().all(|s| s.is_empty())
    }

    fn remove(&mut self, kind: WatchKind, path: &str) -> bool {
        self.watches.get_mut(&kind).is_some_and(|s| s.remove(path))
    }

    /// Drops the one-shot watches a server event of `event_type` on `path` consumed.
    pub fn on_event(&mut self, event_type: i32, path: &str) {
        use crate::coordinator::proto::event;
        match event_type {
            event::NODE_CREATED | event::NODE_DATA_CHANGED => {
                self.remove(WatchKind::Data, path);
                self.remove(WatchKind::Exist, path);
            }
            event::NODE_CHILDREN_CHANGED => {
                self.remove(WatchKind::Child, path);
            }
            event::NODE_DELETED => {
                self.remove(WatchKind::Data, path);
                self.remove(WatchKind::Exist, path);
                self.remove(WatchKind::Child, path);
            }
            _ => {}
        }
    }

    /// Forgets watches after a successful removeWatches of `watcher_type` (1 children,
    /// 2 data, 3 any, 4 persistent, 5 recursive).
    pub fn on_removed(&mut self, watcher_type: i32, path: &str) {
        let kinds: &[WatchKind] = match watcher_type {
            1 => &[WatchKind::Child],
            2 => &[WatchKind::Data, WatchKind::Exist],
            4 => &[WatchKind::Persistent],
            5 => &[WatchKind::PersistentRecursive],
            _ => &[
                WatchKind::Child,
                WatchKind::Data,
                WatchKind::Exist,
                WatchKind::Persistent,
                WatchKind::PersistentRecursive,
            ],
        };
        for k in kinds {
            self.remove(*k, path);
        }
    }

    fn list(&self, kind: WatchKind) -> Vec<String> {
        self.watches
            .get(&kind)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The setWatches packets to send after a reconnect, each holding at most about
    /// `max_bytes` of paths (the Java client splits at 128 KiB so no packet nears
    /// jute.maxbuffer). The bool is true when the packet must be setWatches2 (it carries
    /// persistent watches, which setWatches cannot express).
    pub fn set_watches(&self, relative_zxid: i64, max_bytes: usize) -> Vec<(SetWatches, bool)> {
        let mut out = Vec::new();
        let mut cur = SetWatches {
            relative_zxid,
            ..SetWatches::default()
        };
        let mut size = 0usize;
        let order = [
            WatchKind::Data,
            WatchKind::Exist,
            WatchKind::Child,
            WatchKind::Persistent,
            WatchKind::PersistentRecursive,
        ];
        for kind in order {
            for path in self.list(kind) {
                if size > 0 && size + path.len() + 4 > max_bytes {
                    out.push(finish(std::mem::replace(
                        &mut cur,
                        SetWatches {
                            relative_zxid,
                            ..SetWatches::default()
                        },
                    )));
                    size = 0;
                }
                size += path.len() + 4;
                match kind {
                    WatchKind::Data => cur.data.push(path),
                    WatchKind::Exist => cur.exist.push(path),
                    WatchKind::Child => cur.child.push(path),
                    WatchKind::Persistent => cur.persistent.push(path),
                    WatchKind::PersistentRecursive => cur.recursive.push(path),
                }
            }
        }
        if size > 0 {
            out.push(finish(cur));
        }
        out
    }
}

fn finish(sw: SetWatches) -> (SetWatches, bool) {
    let v2 = !sw.persistent.is_empty() || !sw.recursive.is_empty();
    (sw, v2)
}

/// Why a reply could not be matched to a request: the connection must be dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Xid out of order. Got Xid {got} but expected {expected:?}")]
pub struct XidMismatch {
    pub got: i32,
    pub expected: Option<i32>,
}

/// Requests sent on the current connection and not answered yet, in send order. Normal xids
/// (>= 0) must be answered in order; special xids (auth -4, setWatches -8) may be answered
/// out of band (a real server answers auth at once), so they are matched by value.
#[derive(Debug)]
pub struct PendingQueue<T> {
    queue: VecDeque<(i32, T)>,
    next_xid: i32,
}

impl<T> Default for PendingQueue<T> {
    fn default() -> Self {
        PendingQueue {
            queue: VecDeque::new(),
            next_xid: 1,
        }
    }
}

impl<T> PendingQueue<T> {
    /// The next normal xid: 1, 2, ... wrapping back to 1 before i32::MAX.
    pub fn next_xid(&mut self) -> i32 {
        let x = self.next_xid;
        self.next_xid = if x >= i32::MAX - 1 { 1 } else { x + 1 };
        x
    }

    pub fn push(&mut self, xid: i32, entry: T) {
        self.queue.push_back((xid, entry));
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The entry a reply with `xid` answers.
    pub fn complete(&mut self, xid: i32) -> Result<T, XidMismatch> {
        let pos = if xid < 0 {
            self.queue.iter().position(|(x, _)| *x == xid)
        } else {
            self.queue
                .iter()
                .position(|(x, _)| *x >= 0)
                .filter(|&i| self.queue[i].0 == xid)
        };
        match pos.and_then(|i| self.queue.remove(i)) {
            Some((_, e)) => Ok(e),
            None => Err(XidMismatch {
                got: xid,
                expected: self.queue.iter().map(|(x, _)| *x).find(|x| *x >= 0),
            }),
        }
    }

    /// Everything still waiting, for failing with ConnectionLoss when the connection drops.
    pub fn drain(&mut self) -> Vec<T> {
        self.queue.drain(..).map(|(_, e)| e).collect()
    }
}

/// The order hosts are tried in and the pause before each attempt. Hosts are shuffled once
/// (so a fleet of clients spreads over the ensemble) and then rotated; after every host failed
/// once in a row, the client pauses with an exponential backoff capped at `max_backoff`.
#[derive(Debug, Clone)]
pub struct HostRing {
    hosts: Vec<HostPort>,
    next: usize,
    failures_in_row: u32,
    max_backoff: Duration,
}

impl HostRing {
    /// `seed` drives the shuffle (a Fisher-Yates with a xorshift generator).
    pub fn new(mut hosts: Vec<HostPort>, seed: u64, max_backoff: Duration) -> HostRing {
        let mut x = seed | 1;
        for i in (1..hosts.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let j = (x % (i as u64 + 1)) as usize;
            hosts.swap(i, j);
        }
        HostRing {
            hosts,
            next: 0,
            failures_in_row: 0,
            max_backoff,
        }
    }

    pub fn hosts(&self) -> &[HostPort] {
        &self.hosts
    }

    /// The host to try next and how long to wait before trying it.
    pub fn next_attempt(&mut self) -> (HostPort, Duration) {
        let n = self.hosts.len().max(1);
        let host = self.hosts[self.next % n].clone();
        self.next = (self.next + 1) % n;
        let rounds = self.failures_in_row / n as u32;
        let delay = if self.failures_in_row == 0 || self.failures_in_row % n as u32 != 0 {
            Duration::ZERO
        } else {
            let ms = 50u64.saturating_mul(1u64 << rounds.min(10));
            Duration::from_millis(ms).min(self.max_backoff)
        };
        (host, delay)
    }

    /// The attempt failed (refused, timed out, bad handshake).
    pub fn failed(&mut self) {
        self.failures_in_row = self.failures_in_row.saturating_add(1);
    }

    /// A session was established: the next loss starts again without delay, on the next host.
    pub fn connected(&mut self) {
        self.failures_in_row = 0;
    }
}

/// Timers of a live connection, from the negotiated session timeout (ms): the Java client
/// reads with a timeout of 2/3 of it and pings after a third of it without traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnTimers {
    pub ping_after: Duration,
    pub dead_after: Duration,
}

impl ConnTimers {
    pub fn from_negotiated(timeout_ms: i32) -> ConnTimers {
        let t = u64::try_from(timeout_ms).unwrap_or(0).max(30);
        ConnTimers {
            ping_after: Duration::from_millis(t / 3),
            dead_after: Duration::from_millis(t * 2 / 3),
        }
    }

    /// What the connection should do now, given the time since the last frame was read and
    /// since the last frame was written.
    pub fn decide(&self, since_read: Duration, since_write: Duration) -> TimerAction {
        if since_read >= self.dead_after {
            TimerAction::Dead
        } else if since_read >= self.ping_after && since_write >= self.ping_after {
            TimerAction::Ping
        } else {
            let to_ping = self
                .ping_after
                .saturating_sub(since_read.min(since_write))
                .max(Duration::from_millis(1));
            TimerAction::WaitFor(to_ping.min(self.dead_after.saturating_sub(since_read)))
        }
    }
}

/// See [`ConnTimers::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerAction {
    Ping,
    /// Nothing heard for too long: the connection is lost.
    Dead,
    WaitFor(Duration),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_string_hosts_chroot_and_ipv6() {
        let c = ConnectString::parse("h1:2181,h2:2182/kafka").unwrap();
        assert_eq!(c.hosts.len(), 2);
        assert_eq!(c.hosts[1].to_string(), "h2:2182");
        assert_eq!(c.chroot.as_deref(), Some("/kafka"));

        let c = ConnectString::parse("h1 h2:2000  [::1]:2183/a/b").unwrap();
        assert_eq!(
            c.hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
            vec!["h1:2181", "h2:2000", "[::1]:2183"]
        );
        assert_eq!(c.hosts[2].host, "::1");
        assert_eq!(c.chroot.as_deref(), Some("/a/b"));

        let c = ConnectString::parse("[fe80::1]/").unwrap();
        assert_eq!(c.hosts[0].port, 2181);
        assert_eq!(c.chroot, None);

        assert!(ConnectString::parse("").is_err());
        assert!(ConnectString::parse("/kafka").is_err());
        assert!(ConnectString::parse("h:1/kafka/").is_err());
        assert!(ConnectString::parse("h:notaport").is_err());
        assert!(ConnectString::parse("h:1/a//b").is_err());
    }

    #[test]
    fn paths_are_validated() {
        assert!(validate_path("/", false).is_ok());
        assert!(validate_path("/a/b", false).is_ok());
        assert!(validate_path("/a/", true).is_ok());
        assert!(validate_path("a", false).is_err());
        assert!(validate_path("/a/", false).is_err());
        assert!(validate_path("/a/../b", false).is_err());
        assert!(validate_path("/a/./b", false).is_err());
        assert!(validate_path("/a\0", false).is_err());
    }

    #[test]
    fn chroot_maps_both_ways() {
        let c = Chroot::new(Some("/kafka".into()));
        assert_eq!(c.to_server("/"), "/kafka");
        assert_eq!(c.to_server("/brokers/ids"), "/kafka/brokers/ids");
        assert_eq!(c.to_client("/kafka"), "/");
        assert_eq!(c.to_client("/kafka/brokers"), "/brokers");
        // A sibling that merely shares the prefix is not inside the chroot.
        assert_eq!(c.to_client("/kafka2/x"), "/kafka2/x");
        let none = Chroot::default();
        assert_eq!(none.to_server("/a"), "/a");
        assert_eq!(none.to_client("/a"), "/a");
    }

    #[test]
    fn watch_registry_consumes_one_shot_watches_and_keeps_persistent() {
        use crate::coordinator::proto::event;
        let mut w = WatchRegistry::default();
        w.add(WatchKind::Data, "/a");
        w.add(WatchKind::Child, "/a");
        w.add(WatchKind::Exist, "/b");
        w.add(WatchKind::Persistent, "/p");
        w.on_event(event::NODE_DATA_CHANGED, "/a");
        assert!(!w.contains(WatchKind::Data, "/a"));
        assert!(w.contains(WatchKind::Child, "/a"));
        w.on_event(event::NODE_CREATED, "/b");
        assert!(!w.contains(WatchKind::Exist, "/b"));
        w.on_event(event::NODE_DELETED, "/a");
        assert!(!w.contains(WatchKind::Child, "/a"));
        w.on_event(event::NODE_DELETED, "/p");
        assert!(w.contains(WatchKind::Persistent, "/p"));
        w.on_removed(4, "/p");
        assert!(w.is_empty());
    }

    #[test]
    fn set_watches_packets_split_and_pick_version() {
        let mut w = WatchRegistry::default();
        w.add(WatchKind::Data, "/d1");
        w.add(WatchKind::Exist, "/e1");
        w.add(WatchKind::Child, "/c1");
        let p = w.set_watches(0x55, 1 << 17);
        assert_eq!(p.len(), 1);
        let (sw, v2) = &p[0];
        assert!(!v2);
        assert_eq!(sw.relative_zxid, 0x55);
        assert_eq!(sw.data, vec!["/d1"]);
        assert_eq!(sw.exist, vec!["/e1"]);
        assert_eq!(sw.child, vec!["/c1"]);

        w.add(WatchKind::PersistentRecursive, "/r");
        let p = w.set_watches(1, 12);
        // Each path costs len + 4 bytes: "/d1","/e1","/c1" are 7 each, "/r" 6.
        assert_eq!(p.len(), 4);
        assert!(p[3].1, "the packet with a recursive watch is setWatches2");
        assert!(!p[0].1);
        assert!(WatchRegistry::default().set_watches(0, 100).is_empty());
    }

    #[test]
    fn pending_queue_matches_in_order_and_special_xids_by_value() {
        let mut q = PendingQueue::default();
        let a = q.next_xid();
        let b = q.next_xid();
        q.push(a, "a");
        q.push(-4, "auth");
        q.push(b, "b");
        assert_eq!(q.complete(-4), Ok("auth"));
        assert_eq!(
            q.complete(b),
            Err(XidMismatch {
                got: b,
                expected: Some(a)
            })
        );
        assert_eq!(q.complete(a), Ok("a"));
        assert_eq!(q.complete(b), Ok("b"));
        assert!(q.complete(-8).is_err());
        assert!(q.is_empty());
        q.push(7, "x");
        assert_eq!(q.drain(), vec!["x"]);
    }

    #[test]
    fn xids_wrap_before_overflow() {
        let mut q: PendingQueue<()> = PendingQueue {
            queue: VecDeque::new(),
            next_xid: i32::MAX - 1,
        };
        assert_eq!(q.next_xid(), i32::MAX - 1);
        assert_eq!(q.next_xid(), 1);
    }

    #[test]
    fn host_ring_rotates_and_backs_off_after_a_full_round() {
        let hosts = ConnectString::parse("a:1,b:1,c:1").unwrap().hosts;
        let mut r = HostRing::new(hosts.clone(), 42, Duration::from_secs(1));
        let mut seen = Vec::new();
        for _ in 0..3 {
            let (h, d) = r.next_attempt();
            assert_eq!(d, Duration::ZERO);
            seen.push(h);
            r.failed();
        }
        let mut sorted = seen.clone();
        sorted.sort_by_key(|h| h.host.clone());
        assert_eq!(sorted, hosts, "every host once per round");
        let (h, d) = r.next_attempt();
        assert_eq!(h, seen[0]);
        assert_eq!(d, Duration::from_millis(100));
        for _ in 0..40 {
            r.failed();
        }
        r.failed();
        r.failed();
        let (_, d) = r.next_attempt();
        assert!(d <= Duration::from_secs(1));
        r.connected();
        assert_eq!(r.next_attempt().1, Duration::ZERO);
    }

    #[test]
    fn timers_ping_then_declare_dead() {
        let t = ConnTimers::from_negotiated(3000);
        assert_eq!(t.ping_after, Duration::from_millis(1000));
        assert_eq!(t.dead_after, Duration::from_millis(2000));
        let ms = Duration::from_millis;
        assert_eq!(t.decide(ms(100), ms(100)), TimerAction::WaitFor(ms(900)));
        assert_eq!(t.decide(ms(1000), ms(1000)), TimerAction::Ping);
        // Just pinged: wait for the reply rather than pinging again.
        assert_eq!(t.decide(ms(1500), ms(10)), TimerAction::WaitFor(ms(500)));
        assert_eq!(t.decide(ms(2000), ms(10)), TimerAction::Dead);
    }
}
