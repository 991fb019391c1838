//! rkafka's ZooKeeper client against rkafka's coordinator and against a real Apache
//! ZooKeeper 3.8 (Debian's package): the same checks run on both servers. Each check works
//! under its own chroot, so the checks share one real server safely.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rkafka::coordinator::client::{
    Acl, AddWatchMode, ClientConfig, CreateMode, EventKind, Events, KeeperState, Op, OpResult,
    WatchedEvent, WatcherType, ZkClient, ZkError,
};
use rkafka::coordinator::{Coordinator, CoordinatorSettings};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

mod common;
use common::real_zk;

const P: CreateMode = CreateMode::Persistent;

/// A server to run the checks on.
enum Server {
    /// The temp dir lives as long as the server.
    Rkafka(Coordinator, #[allow(dead_code)] tempfile::TempDir),
    Real,
}

impl Server {
    async fn rkafka() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let c = Coordinator::start(CoordinatorSettings {
            data_dir: dir.path().to_path_buf(),
            client_addr: "127.0.0.1:0".parse().unwrap(),
            tick_time_ms: 200,
            min_session_timeout_ms: 1000,
            max_session_timeout_ms: 20_000,
            four_letter_whitelist: vec!["*".into()],
            ..CoordinatorSettings::default()
        })
        .await
        .unwrap();
        Server::Rkafka(c, dir)
    }

    fn real() -> Server {
        tokio::task::block_in_place(real_zk::real_zk);
        Server::Real
    }

    fn addr(&self) -> SocketAddr {
        match self {
            Server::Rkafka(c, _) => c.local_addr(),
            Server::Real => real_zk::real_zk().addr,
        }
    }
}

fn cfg(connect: &str, session_ms: u64) -> ClientConfig {
    let mut c = ClientConfig::new(connect);
    c.session_timeout = Duration::from_millis(session_ms);
    c.connect_timeout = Duration::from_secs(10);
    c.request_timeout = Duration::from_secs(10);
    c
}

/// Creates `/name` at the root and returns a client chrooted there, plus its events.
async fn chrooted(addr: SocketAddr, name: &str) -> (ZkClient, Events) {
    let (root, _) = ZkClient::connect(cfg(&addr.to_string(), 10_000))
        .await
        .unwrap();
    match root
        .create(&format!("/{name}"), b"", &Acl::open_unsafe(), P)
        .await
    {
        Ok(_) | Err(ZkError::NodeExists { .. }) => {}
        Err(e) => panic!("{e}"),
    }
    root.close().await.unwrap();
    ZkClient::connect(cfg(&format!("{addr}/{name}"), 10_000))
        .await
        .unwrap()
}

/// The next event that is not a session event, within 10 s.
async fn next_node_event(ev: &mut Events) -> WatchedEvent {
    loop {
        let e = tokio::time::timeout(Duration::from_secs(10), ev.recv())
            .await
            .expect("an event within 10 s")
            .expect("event stream open");
        if e.kind != EventKind::None {
            return e;
        }
    }
}

async fn wait_state(ev: &mut Events, state: KeeperState, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let e = tokio::time::timeout_at(deadline, ev.recv())
            .await
            .unwrap_or_else(|_| panic!("no {state:?} event in {within:?}"))
            .expect("event stream open");
        if e.kind == EventKind::None && e.state == state {
            return;
        }
    }
}

fn ev_(kind: EventKind, path: &str) -> WatchedEvent {
    WatchedEvent {
        kind,
        state: KeeperState::SyncConnected,
        path: Some(path.to_string()),
    }
}

async fn check_crud(addr: SocketAddr, name: &str) {
    let (zk, _ev) = chrooted(addr, name).await;
    let open = Acl::open_unsafe();
    assert_eq!(zk.create("/p", b"a", &open, P).await.unwrap(), "/p");
    assert_eq!(
        zk.create("/p", b"b", &open, P).await,
        Err(ZkError::NodeExists { path: "/p".into() })
    );
    assert_eq!(
        zk.create("/nope/x", b"", &open, P).await,
        Err(ZkError::NoNode {
            path: "/nope/x".into()
        })
    );
    let (data, stat) = zk.get_data("/p", false).await.unwrap();
    assert_eq!(&data[..], b"a");
    assert_eq!((stat.version, stat.data_length), (0, 1));
    let s1 = zk.set_data("/p", b"bb", 0).await.unwrap();
    assert_eq!((s1.version, s1.data_length), (1, 2));
    assert!(s1.mzxid > stat.mzxid);
    assert_eq!(
        zk.set_data("/p", b"c", 0).await,
        Err(ZkError::BadVersion { path: "/p".into() })
    );
    assert_eq!(zk.exists("/p", false).await.unwrap(), Some(s1));
    let (c, cstat) = zk.create2("/p/c", b"", &open, P).await.unwrap();
    assert_eq!(c, "/p/c");
    assert!(cstat.czxid > s1.mzxid);
    let (kids, pstat) = zk.get_children2("/p", false).await.unwrap();
    assert_eq!(kids, vec!["c"]);
    assert_eq!((pstat.num_children, pstat.cversion), (1, 1));
    assert_eq!(zk.get_children("/", false).await.unwrap(), vec!["p"]);
    assert_eq!(zk.get_all_children_number("/").await.unwrap(), 2);
    assert_eq!(
        zk.delete("/p", -1).await,
        Err(ZkError::NotEmpty { path: "/p".into() })
    );
    assert_eq!(
        zk.delete("/p/c", 5).await,
        Err(ZkError::BadVersion {
            path: "/p/c".into()
        })
    );
    let (acl, astat) = zk.get_acl("/p").await.unwrap();
    assert_eq!(acl, open);
    assert_eq!(astat.aversion, 0);
    let read_only = vec![Acl {
        perms: 1 | 16,
        scheme: "world".into(),
        id: "anyone".into(),
    }];
    assert_eq!(zk.set_acl("/p", &read_only, 0).await.unwrap().aversion, 1);
    assert!(matches!(
        zk.set_acl("/p", &read_only, 0).await,
        Err(ZkError::BadVersion { .. })
    ));
    assert_eq!(zk.get_acl("/p").await.unwrap().0, read_only);
    // Without DELETE on the parent the child cannot go.
    assert_eq!(
        zk.delete("/p/c", 0).await,
        Err(ZkError::NoAuth {
            path: "/p/c".into()
        })
    );
    assert_eq!(zk.set_acl("/p", &open, 1).await.unwrap().aversion, 2);
    assert_eq!(zk.sync("/p").await.unwrap(), "/p");
    zk.delete("/p/c", 0).await.unwrap();
    zk.delete("/p", 1).await.unwrap();
    assert_eq!(zk.exists("/p", false).await.unwrap(), None);
    assert_eq!(
        zk.get_data("/p", false).await,
        Err(ZkError::NoNode { path: "/p".into() })
    );
    // Null data reads back as None, empty as Some(empty).
    zk.create("/e", b"", &open, P).await.unwrap();
    assert_eq!(
        zk.get_data_opt("/e", false).await.unwrap().0.as_deref(),
        Some(&b""[..])
    );
    zk.create_opt("/null", None, &open, P).await.unwrap();
    assert_eq!(zk.get_data_opt("/null", false).await.unwrap().0, None);
    assert!(zk.get_data("/null", false).await.unwrap().0.is_empty());
    zk.delete("/null", -1).await.unwrap();
    // Pipelining: many requests in flight from clones of the handle, replies matched.
    let mut tasks = Vec::new();
    for i in 0..50 {
        let zk = zk.clone();
        tasks.push(tokio::spawn(async move {
            zk.create(
                &format!("/e/n{i}"),
                i.to_string().as_bytes(),
                &Acl::open_unsafe(),
                P,
            )
            .await
            .unwrap();
            zk.get_data(&format!("/e/n{i}"), false).await.unwrap().0
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.unwrap(), i.to_string().as_bytes());
    }
    assert_eq!(zk.get_children("/e", false).await.unwrap().len(), 50);
    assert!(matches!(
        zk.get_data("relative", false).await,
        Err(ZkError::BadPath(_))
    ));
    zk.close().await.unwrap();
    assert_eq!(zk.get_data("/e", false).await, Err(ZkError::Closed));
}

async fn check_sequential_ephemeral(addr: SocketAddr, name: &str) {
    let (zk, _ev) = chrooted(addr, name).await;
    let open = Acl::open_unsafe();
    zk.create("/s", b"", &open, P).await.unwrap();
    let a = zk
        .create("/s/x-", b"", &open, CreateMode::PersistentSequential)
        .await
        .unwrap();
    let b = zk
        .create("/s/x-", b"", &open, CreateMode::PersistentSequential)
        .await
        .unwrap();
    assert_eq!(
        (a.as_str(), b.as_str()),
        ("/s/x-0000000000", "/s/x-0000000001")
    );
    let e = zk
        .create("/s/e-", b"", &open, CreateMode::EphemeralSequential)
        .await
        .unwrap();
    assert_eq!(e, "/s/e-0000000002");
    zk.create("/eph", b"x", &open, CreateMode::Ephemeral)
        .await
        .unwrap();
    let sid = zk.session().session_id;
    let st = zk.exists("/eph", false).await.unwrap().unwrap();
    assert_eq!(st.ephemeral_owner, sid);
    assert_eq!(
        zk.create("/eph/child", b"", &open, P).await,
        Err(ZkError::NoChildrenForEphemerals {
            path: "/eph/child".into()
        })
    );
    let mut eph = zk.get_ephemerals("/").await.unwrap();
    eph.sort();
    assert_eq!(eph, vec!["/eph".to_string(), e.clone()]);
    let (cpath, cstat) = zk
        .create2("/cont", b"", &open, CreateMode::Container)
        .await
        .unwrap();
    assert_eq!(cpath, "/cont");
    // The container marker stays inside the server; clients see owner 0.
    assert_eq!(cstat.ephemeral_owner, 0);

    let (other, _o) = ZkClient::connect(cfg(&format!("{addr}/{name}"), 10_000))
        .await
        .unwrap();
    assert!(other.exists("/eph", false).await.unwrap().is_some());
    zk.close().await.unwrap();
    assert_eq!(other.exists("/eph", false).await.unwrap(), None);
    assert_eq!(other.exists(&e, false).await.unwrap(), None);
    assert!(
        other
            .exists("/s/x-0000000000", false)
            .await
            .unwrap()
            .is_some()
    );
    other.close().await.unwrap();
}

async fn check_watches(addr: SocketAddr, name: &str) {
    let (a, mut ev) = chrooted(addr, name).await;
    let (b, _bev) = ZkClient::connect(cfg(&format!("{addr}/{name}"), 10_000))
        .await
        .unwrap();
    let open = Acl::open_unsafe();
    a.create("/w", b"0", &open, P).await.unwrap();

    a.get_data("/w", true).await.unwrap();
    b.set_data("/w", b"1", -1).await.unwrap();
    assert_eq!(
        next_node_event(&mut ev).await,
        ev_(EventKind::NodeDataChanged, "/w")
    );
    // One-shot: a second change is not reported.
    b.set_data("/w", b"2", -1).await.unwrap();

    assert_eq!(a.exists("/w2", true).await.unwrap(), None);
    b.create("/w2", b"", &open, P).await.unwrap();
    assert_eq!(
        next_node_event(&mut ev).await,
        ev_(EventKind::NodeCreated, "/w2")
    );

    a.get_children("/w", true).await.unwrap();
    b.create("/w/c", b"", &open, P).await.unwrap();
    assert_eq!(
        next_node_event(&mut ev).await,
        ev_(EventKind::NodeChildrenChanged, "/w")
    );

    a.get_data("/w/c", true).await.unwrap();
    b.delete("/w/c", -1).await.unwrap();
    assert_eq!(
        next_node_event(&mut ev).await,
        ev_(EventKind::NodeDeleted, "/w/c")
    );

    // Persistent recursive watch: every change below, repeatedly.
    a.create("/r", b"", &open, P).await.unwrap();
    a.add_watch("/r", AddWatchMode::PersistentRecursive)
        .await
        .unwrap();
    b.create("/r/x", b"", &open, P).await.unwrap();
    assert_eq!(
        next_node_event(&mut ev).await,
        ev_(EventKind::NodeCreated, "/r/x")
    );
    b.set_data("/r/x", b"1", -1).await.unwrap();
    assert_eq!(
        next_node_event(&mut ev).await,
        ev_(EventKind::NodeDataChanged, "/r/x")
    );
    a.remove_watches("/r", WatcherType::Any).await.unwrap();
    assert_eq!(
        a.remove_watches("/r", WatcherType::Any).await,
        Err(ZkError::NoWatcher { path: "/r".into() })
    );
    // Removal is confirmed, then nothing more arrives for /r.
    b.set_data("/r/x", b"2", -1).await.unwrap();
    a.get_data("/w", true).await.unwrap();
    b.set_data("/w", b"3", -1).await.unwrap();
    let e = next_node_event(&mut ev).await;
    let e = if e.kind == EventKind::PersistentWatchRemoved {
        next_node_event(&mut ev).await
    } else {
        e
    };
    assert_eq!(e, ev_(EventKind::NodeDataChanged, "/w"));

    // Digest auth and whoami.
    a.add_auth("digest", b"alice:secret").await.unwrap();
    let who = a.who_am_i().await.unwrap();
    assert!(
        who.iter()
            .any(|c| c.auth_scheme == "digest" && c.user == "alice"),
        "{who:?}"
    );
    a.close().await.unwrap();
    b.close().await.unwrap();
}

async fn check_multi(addr: SocketAddr, name: &str) {
    let (zk, _ev) = chrooted(addr, name).await;
    let open = Acl::open_unsafe();
    let res = zk
        .multi(&[
            Op::Create {
                path: "/m".into(),
                data: Some(b"x".to_vec()),
                acl: open.clone(),
                mode: P,
            },
            Op::SetData {
                path: "/m".into(),
                data: b"y".to_vec(),
                version: 0,
            },
            Op::Check {
                path: "/m".into(),
                version: 1,
            },
            Op::Create {
                path: "/m/s-".into(),
                data: None,
                acl: open.clone(),
                mode: CreateMode::PersistentSequential,
            },
        ])
        .await
        .unwrap();
    assert_eq!(res.len(), 4);
    assert_eq!(res[0], OpResult::Create { path: "/m".into() });
    assert!(matches!(res[1], OpResult::SetData { stat } if stat.version == 1));
    assert_eq!(res[2], OpResult::Check);
    assert_eq!(
        res[3],
        OpResult::Create {
            path: "/m/s-0000000000".into()
        }
    );
    let err = zk
        .multi(&[
            Op::Create {
                path: "/m2".into(),
                data: None,
                acl: open.clone(),
                mode: P,
            },
            Op::Check {
                path: "/m".into(),
                version: 99,
            },
            Op::Delete {
                path: "/m".into(),
                version: -1,
            },
        ])
        .await
        .unwrap_err();
    match err {
        ZkError::Multi {
            index,
            source,
            results,
        } => {
            assert_eq!(index, 1);
            assert_eq!(*source, ZkError::BadVersion { path: "/m".into() });
            assert_eq!(
                results,
                vec![
                    OpResult::Error { code: 0 },
                    OpResult::Error { code: -103 },
                    OpResult::Error { code: -2 },
                ]
            );
        }
        other => panic!("expected a multi failure, got {other}"),
    }
    assert_eq!(zk.exists("/m2", false).await.unwrap(), None, "atomic");
    let del = zk
        .multi(&[
            Op::Delete {
                path: "/m/s-0000000000".into(),
                version: -1,
            },
            Op::Delete {
                path: "/m".into(),
                version: 1,
            },
        ])
        .await
        .unwrap();
    assert_eq!(del, vec![OpResult::Delete, OpResult::Delete]);
    zk.close().await.unwrap();
}

/// A TCP proxy the test controls: `cut` drops every live connection, `block` refuses new ones.
struct Proxy {
    addr: SocketAddr,
    blocked: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let blocked = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (b, c) = (blocked.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut down, _)) = listener.accept().await {
                if b.load(Ordering::SeqCst) {
                    drop(down);
                    continue;
                }
                let h = tokio::spawn(async move {
                    if let Ok(mut up) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                    }
                });
                c.lock().await.push(h);
            }
        });
        Proxy {
            addr,
            blocked,
            conns,
            accept,
        }
    }

    async fn cut(&self) {
        for h in self.conns.lock().await.drain(..) {
            h.abort();
        }
    }

    fn block(&self, on: bool) {
        self.blocked.store(on, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn check_resume(addr: SocketAddr, name: &str) {
    let (setup, _e) = chrooted(addr, name).await;
    setup.close().await.unwrap();
    let proxy = Proxy::start(addr).await;
    let (zk, mut ev) = ZkClient::connect(cfg(&format!("{}/{name}", proxy.addr), 8000))
        .await
        .unwrap();
    let (other, _o) = ZkClient::connect(cfg(&format!("{addr}/{name}"), 10_000))
        .await
        .unwrap();
    let open = Acl::open_unsafe();
    zk.create("/eph", b"", &open, CreateMode::Ephemeral)
        .await
        .unwrap();
    zk.create("/wd", b"0", &open, P).await.unwrap();
    zk.get_data("/wd", true).await.unwrap();
    assert_eq!(zk.exists("/later", true).await.unwrap(), None);
    let before = zk.session();

    proxy.block(true);
    proxy.cut().await;
    wait_state(&mut ev, KeeperState::Disconnected, Duration::from_secs(5)).await;
    // While the client is away, the watched nodes change.
    other.set_data("/wd", b"1", -1).await.unwrap();
    other.create("/later", b"", &open, P).await.unwrap();
    proxy.block(false);
    wait_state(&mut ev, KeeperState::SyncConnected, Duration::from_secs(8)).await;
    let after = zk.session();
    assert_eq!(after.session_id, before.session_id, "the session resumed");
    // setWatches with the last zxid seen reports what was missed.
    let mut got = vec![
        next_node_event(&mut ev).await,
        next_node_event(&mut ev).await,
    ];
    got.sort_by_key(|e| e.path.clone());
    assert_eq!(
        got,
        vec![
            ev_(EventKind::NodeCreated, "/later"),
            ev_(EventKind::NodeDataChanged, "/wd"),
        ]
    );
    let st = other.exists("/eph", false).await.unwrap().unwrap();
    assert_eq!(st.ephemeral_owner, before.session_id, "ephemeral kept");
    assert_eq!(&zk.get_data("/wd", false).await.unwrap().0[..], b"1");
    zk.close().await.unwrap();
    other.close().await.unwrap();
}

async fn check_expiry(addr: SocketAddr, name: &str) {
    let (setup, _e) = chrooted(addr, name).await;
    setup.close().await.unwrap();
    let proxy = Proxy::start(addr).await;
    let (zk, mut ev) = ZkClient::connect(cfg(&format!("{}/{name}", proxy.addr), 1000))
        .await
        .unwrap();
    let (other, _o) = ZkClient::connect(cfg(&format!("{addr}/{name}"), 10_000))
        .await
        .unwrap();
    zk.create("/eph", b"", &Acl::open_unsafe(), CreateMode::Ephemeral)
        .await
        .unwrap();
    proxy.block(true);
    proxy.cut().await;
    // The server expires the session and removes its ephemeral.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while other.exists("/eph", false).await.unwrap().is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "session never expired"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    proxy.block(false);
    wait_state(&mut ev, KeeperState::Expired, Duration::from_secs(10)).await;
    assert_eq!(zk.state(), KeeperState::Expired);
    assert_eq!(zk.get_data("/", false).await, Err(ZkError::SessionExpired));
    other.close().await.unwrap();
}

async fn check_pings_keep_idle_sessions(addr: SocketAddr, name: &str) {
    let (setup, _e) = chrooted(addr, name).await;
    setup.close().await.unwrap();
    let (zk, mut ev) = ZkClient::connect(cfg(&format!("{addr}/{name}"), 1000))
        .await
        .unwrap();
    let sid = zk.session().session_id;
    assert!(zk.session().negotiated_timeout_ms <= 1000);
    zk.create("/eph", b"", &Acl::open_unsafe(), CreateMode::Ephemeral)
        .await
        .unwrap();
    // Idle for well over the session timeout: only pings keep the session.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let st = zk
        .exists("/eph", false)
        .await
        .unwrap()
        .expect("ephemeral kept");
    assert_eq!(st.ephemeral_owner, sid);
    assert_eq!(zk.session().session_id, sid);
    while let Some(e) = ev.try_recv() {
        assert_ne!(
            e.state,
            KeeperState::Disconnected,
            "no reconnect while idle"
        );
    }
    zk.close().await.unwrap();
}

macro_rules! on_both {
    ($check:ident, $rk:ident, $real:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $rk() {
            let s = Server::rkafka().await;
            $check(s.addr(), stringify!($check)).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $real() {
            let s = Server::real();
            $check(s.addr(), stringify!($check)).await;
        }
    };
}

on_both!(check_crud, crud_rkafka, crud_zookeeper);
on_both!(
    check_sequential_ephemeral,
    sequential_ephemeral_rkafka,
    sequential_ephemeral_zookeeper
);
on_both!(check_watches, watches_rkafka, watches_zookeeper);
on_both!(check_multi, multi_rkafka, multi_zookeeper);
on_both!(check_resume, resume_rkafka, resume_zookeeper);
on_both!(check_expiry, expiry_rkafka, expiry_zookeeper);
on_both!(
    check_pings_keep_idle_sessions,
    pings_rkafka,
    pings_zookeeper
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_over_to_a_live_host_and_reports_unreachable_ensembles() {
    let s = Server::rkafka().await;
    // A closed port first: the client must move on to the live host.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let (zk, _e) = ZkClient::connect(cfg(&format!("{dead_addr} {}", s.addr()), 4000))
        .await
        .unwrap();
    assert!(zk.exists("/zookeeper", false).await.unwrap().is_some());
    zk.close().await.unwrap();
    let mut c = cfg(&dead_addr.to_string(), 4000);
    c.connect_timeout = Duration::from_millis(800);
    assert_eq!(
        ZkClient::connect(c).await.err(),
        Some(ZkError::ConnectionLoss)
    );
}

/// A fake server speaking just enough of the protocol: it accepts sessions, then answers
/// every request with the xid `reply_xid` picks (or not at all when it returns None).
async fn fake_server(
    reply_xid: fn(i32) -> Option<i32>,
) -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sessions = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = sessions.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let len = s.read_i32().await.unwrap();
                let mut req = vec![0u8; len as usize];
                s.read_exact(&mut req).await.unwrap();
                let mut w = rkafka::coordinator::proto::Writer::new();
                rkafka::coordinator::proto::ConnectResponse {
                    timeout_ms: 10_000,
                    session_id: 0x42,
                    passwd: [7; 16],
                    read_only: Some(false),
                }
                .write(&mut w);
                let mut frame = (w.buf.len() as i32).to_be_bytes().to_vec();
                frame.extend_from_slice(&w.buf);
                s.write_all(&frame).await.unwrap();
                loop {
                    let Ok(len) = s.read_i32().await else { return };
                    let mut req = vec![0u8; len as usize];
                    if s.read_exact(&mut req).await.is_err() {
                        return;
                    }
                    let xid = i32::from_be_bytes([req[0], req[1], req[2], req[3]]);
                    if let Some(x) = reply_xid(xid) {
                        let mut w = rkafka::coordinator::proto::Writer::new();
                        w.i32(16).i32(x).i64(1).i32(-101);
                        if s.write_all(&w.buf).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, sessions)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_times_requests_out() {
    let (addr, _) = fake_server(|xid| (xid == -2).then_some(-2)).await;
    let mut c = cfg(&addr.to_string(), 10_000);
    c.request_timeout = Duration::from_millis(300);
    let (zk, _e) = ZkClient::connect(c).await.unwrap();
    assert_eq!(zk.session().session_id, 0x42);
    let started = std::time::Instant::now();
    assert_eq!(
        zk.get_data("/a", false).await,
        Err(ZkError::OperationTimeout)
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_order_reply_drops_the_connection() {
    // Replies carry the wrong xid: the client must not hand them to the wrong caller.
    let (addr, sessions) = fake_server(|xid| Some(if xid > 0 { xid + 1000 } else { xid })).await;
    let (zk, mut ev) = ZkClient::connect(cfg(&addr.to_string(), 10_000))
        .await
        .unwrap();
    assert_eq!(zk.get_data("/a", false).await, Err(ZkError::ConnectionLoss));
    wait_state(&mut ev, KeeperState::Disconnected, Duration::from_secs(5)).await;
    wait_state(&mut ev, KeeperState::SyncConnected, Duration::from_secs(5)).await;
    assert!(sessions.load(Ordering::SeqCst) >= 2, "reconnected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_server_answers_well_formed_replies() {
    // Control for the two tests above: with matching xids the reply reaches its caller.
    let (addr, _) = fake_server(Some).await;
    let (zk, _e) = ZkClient::connect(cfg(&addr.to_string(), 10_000))
        .await
        .unwrap();
    assert_eq!(
        zk.get_data("/a", false).await,
        Err(ZkError::NoNode { path: "/a".into() })
    );
}
