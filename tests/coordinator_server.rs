//! The coordinator over real sockets with a minimal raw jute client: durability across
//! restarts, session resume, notification ordering, four-letter words, and hostile input.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use rkafka::coordinator::proto::{
    Acl, ConnectRequest, CreateReq, Reader, Stat, WriteOp, Writer, op, write_acls, write_multi,
};
use rkafka::coordinator::{Coordinator, CoordinatorSettings};

mod common;
use common::zk::{Client, closed, frame, read_raw};

fn settings(dir: &Path) -> CoordinatorSettings {
    CoordinatorSettings {
        data_dir: dir.to_path_buf(),
        client_addr: "127.0.0.1:0".parse().unwrap(),
        tick_time_ms: 200,
        min_session_timeout_ms: 1000,
        max_session_timeout_ms: 10_000,
        max_client_cnxns: 0,
        four_letter_whitelist: vec!["*".into()],
        ..CoordinatorSettings::default()
    }
}

fn four(addr: SocketAddr, word: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(word.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_acknowledged_znodes_zxids_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let server = Coordinator::start(settings(dir.path())).await.unwrap();
    let addr = server.local_addr();
    let (session, passwd, written, max_zxid) = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(addr);
        c.create("/d", b"root", 0).unwrap();
        let mut written = Vec::new();
        let mut max_zxid = 0;
        for i in 0..50 {
            let (p, z) = c.create("/d/s-", format!("v{i}").as_bytes(), 2).unwrap();
            assert!(z > max_zxid);
            max_zxid = z;
            written.push((p, format!("v{i}")));
        }
        c.create("/d/eph", b"e", 1).unwrap();
        (c.session, c.passwd.clone(), written, max_zxid)
    })
    .await
    .unwrap();
    server.shutdown().await.unwrap();

    let server = Coordinator::start(settings(dir.path())).await.unwrap();
    let addr = server.local_addr();
    tokio::task::spawn_blocking(move || {
        // The session resumes with its password; its ephemeral is still there.
        let mut c = Client::connect_with(addr, session, passwd, max_zxid).expect("resume");
        assert_eq!(c.session, session);
        assert!(c.timeout > 0);
        for (p, v) in &written {
            assert_eq!(c.get(p, false).unwrap().0, v.as_bytes(), "{p}");
        }
        assert_eq!(c.get("/d/eph", false).unwrap().1.ephemeral_owner, session);
        let (p, z) = c.create("/d/s-", b"next", 2).unwrap();
        assert!(z > max_zxid, "zxid went back: {z:#x} <= {max_zxid:#x}");
        // 50 sequentials plus /d/eph moved the parent cversion to 51.
        assert_eq!(p, "/d/s-0000000051", "sequence continues");
        // A wrong password is refused with the 'expired' answer.
        let mut bad = c.passwd.clone();
        bad[0] ^= 1;
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut w = Writer::new();
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout_ms: 4000,
            session_id: session,
            passwd: bad,
            read_only: Some(false),
        }
        .write(&mut w);
        s.write_all(&frame(&w.buf)).unwrap();
        let resp = read_raw(&mut s).unwrap();
        let mut r = Reader::new(&resp);
        r.i32("pv").unwrap();
        assert_eq!(r.i32("timeout").unwrap(), 0);
        assert_eq!(r.i64("session").unwrap(), 0);
        assert_eq!(r.buffer("passwd").unwrap().unwrap(), vec![0; 16]);
        assert!(closed(&mut s));
        // A client that saw a newer zxid than the server has is refused.
        assert!(Client::connect_with(addr, 0, vec![0; 16], z + 1000).is_none());
    })
    .await
    .unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_precede_the_reply_and_multi_layout() {
    let dir = tempfile::tempdir().unwrap();
    let server = Coordinator::start(settings(dir.path())).await.unwrap();
    let addr = server.local_addr();
    tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(addr);
        c.create("/w", b"0", 0).unwrap();
        c.get("/w", true).unwrap();
        let mut w = Writer::new();
        w.ustring("/w").buffer(Some(b"1")).i32(-1);
        let xid = c.send(op::SET_DATA, &w.buf);
        let first = c.read();
        assert_eq!(first.xid, -1, "notification first");
        let mut r = Reader::new(&first.body);
        assert_eq!(r.i32("type").unwrap(), 3);
        assert_eq!(r.i32("state").unwrap(), 3);
        assert_eq!(r.ustring("path").unwrap(), "/w");
        let reply = c.read();
        assert_eq!((reply.xid, reply.err), (xid, 0));

        // A failing multi: nothing applied, results 0 / code / -2, header err 0.
        let ops = vec![
            WriteOp::Create(CreateReq {
                op: op::CREATE,
                path: "/w/a".into(),
                data: None,
                acl: Acl::open_unsafe(),
                flags: 0,
                ttl: -1,
            }),
            WriteOp::Check {
                path: "/w".into(),
                version: 0,
            },
            WriteOp::Delete {
                path: "/w".into(),
                version: -1,
            },
        ];
        let mut w = Writer::new();
        write_multi(&mut w, &ops);
        let r = c.call(op::MULTI, &w.buf);
        assert_eq!(r.err, 0);
        let mut rd = Reader::new(&r.body);
        for want in [0, -103, -2] {
            assert_eq!(rd.i32("type").unwrap(), -1);
            assert!(!rd.bool("done").unwrap());
            assert_eq!(rd.i32("err").unwrap(), want);
            assert_eq!(rd.i32("ErrorResponse").unwrap(), want);
        }
        assert_eq!(rd.i32("type").unwrap(), -1);
        assert!(rd.bool("done").unwrap());
        assert_eq!(c.get("/w/a", false).unwrap_err(), -101);

        // Ping reply and an unknown opcode (Unimplemented, connection stays usable).
        let p = c.ping();
        assert_eq!((p.xid, p.err), (-2, 0));
        let r = c.call(999, &[]);
        assert_eq!(r.err, -6);
        let mut w = Writer::new();
        w.ustring("/").bool(false);
        let r = c.call(op::GET_CHILDREN2, &w.buf);
        let mut rd = Reader::new(&r.body);
        assert_eq!(rd.strings("children").unwrap(), vec!["w", "zookeeper"]);
        assert_eq!(Stat::read(&mut rd).unwrap().num_children, 2);
        // Invalid path -> BadArguments.
        assert_eq!(c.create("/bad//path", b"", 0).unwrap_err(), -8);
        // getACL returns OPEN_ACL_UNSAFE.
        let mut w = Writer::new();
        w.ustring("/w");
        let r = c.call(op::GET_ACL, &w.buf);
        let mut expected = Writer::new();
        write_acls(&mut expected, &Acl::open_unsafe());
        assert_eq!(&r.body[..expected.buf.len()], &expected.buf[..]);
    })
    .await
    .unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_letter_words_and_whitelist() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(dir.path());
    s.four_letter_whitelist = vec![
        "ruok".into(),
        "srvr".into(),
        "mntr".into(),
        "conf".into(),
        "cons".into(),
        "envi".into(),
        "dump".into(),
        "wchs".into(),
        "isro".into(),
        "stat".into(),
    ];
    let server = Coordinator::start(s).await.unwrap();
    let addr = server.local_addr();
    tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(addr);
        c.create("/e", b"", 1).unwrap();
        c.get("/e", true).unwrap();
        assert_eq!(four(addr, "ruok"), "imok");
        assert_eq!(four(addr, "isro"), "rw");
        let srvr = four(addr, "srvr");
        assert!(srvr.starts_with("Zookeeper version: "), "{srvr}");
        assert!(
            srvr.contains("Mode: standalone") && srvr.contains("Node count: 5"),
            "{srvr}"
        );
        let mntr = four(addr, "mntr");
        assert!(mntr.contains("zk_znode_count\t5\n"), "{mntr}");
        assert!(mntr.contains("zk_ephemerals_count\t1\n"), "{mntr}");
        assert!(mntr.contains("zk_watch_count\t1\n"), "{mntr}");
        assert!(four(addr, "conf").contains(&format!("clientPort={}\n", addr.port())));
        assert!(four(addr, "envi").contains("zookeeper.version=3."));
        assert!(four(addr, "cons").contains(&format!("sid={:#x}", c.session)));
        assert!(four(addr, "stat").contains("Clients:\n"));
        assert!(four(addr, "dump").contains("\t/e\n"));
        assert!(four(addr, "wchs").contains("1 connections watching 1 paths"));
        assert_eq!(
            four(addr, "wchc"),
            "wchc is not executed because it is not in the whitelist.\n"
        );
        // The session is unaffected by all those connections.
        assert_eq!(c.ping().err, 0);
    })
    .await
    .unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_closes_only_the_offending_connection() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(dir.path());
    s.jute_max_buffer = 1024;
    let server = Coordinator::start(s).await.unwrap();
    let addr = server.local_addr();
    tokio::task::spawn_blocking(move || {
        let mut good = Client::connect(addr);
        good.create("/ok", b"", 0).unwrap();

        // Length prefix over jute.maxbuffer, before and after the handshake.
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(&100_000i32.to_be_bytes()).unwrap();
        assert!(closed(&mut s));
        let mut c = Client::connect(addr);
        c.s.write_all(&2048i32.to_be_bytes()).unwrap();
        c.s.write_all(&[0u8; 2048]).ok();
        assert!(closed(&mut c.s));
        // Negative length.
        let mut c = Client::connect(addr);
        c.s.write_all(&(-5i32).to_be_bytes()).unwrap();
        assert!(closed(&mut c.s));
        // Random bytes instead of a handshake.
        let mut s = TcpStream::connect(addr).unwrap();
        let junk: Vec<u8> = (0..300u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        s.write_all(&junk).ok();
        assert!(closed(&mut s));
        // A truncated handshake frame, then the client goes away.
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(&[0, 0, 0, 45, 0, 0, 0]).unwrap();
        drop(s);
        // A frame too short for a request header, and a body that does not decode.
        let mut c = Client::connect(addr);
        c.s.write_all(&frame(&[1, 2, 3])).unwrap();
        assert!(closed(&mut c.s));
        let mut c = Client::connect(addr);
        let mut w = Writer::new();
        w.i32(1).i32(op::CREATE).i32(1_000_000);
        c.s.write_all(&frame(&w.buf)).unwrap();
        assert!(closed(&mut c.s));

        // The well-behaved client kept working all along.
        assert_eq!(good.ping().err, 0);
        good.create("/ok/still", b"x", 0).unwrap();
        assert_eq!(good.get("/ok/still", false).unwrap().0, b"x");
    })
    .await
    .unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_limits_per_ip_and_slow_readers() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(dir.path());
    s.max_client_cnxns = 2;
    s.max_outgoing_queue = 4;
    let server = Coordinator::start(s).await.unwrap();
    let addr = server.local_addr();
    tokio::task::spawn_blocking(move || {
        let mut a = Client::connect(addr);
        let mut b = Client::connect(addr);
        let mut third = TcpStream::connect(addr).unwrap();
        assert!(
            closed(&mut third),
            "a third connection from one IP is refused"
        );

        // A slow reader: many replies of ~900 KB each, never read.
        let big = vec![7u8; 900_000];
        let mut w = Writer::new();
        w.ustring("/big").buffer(Some(&big));
        write_acls(&mut w, &Acl::open_unsafe());
        w.i32(0);
        assert_eq!(a.call(op::CREATE, &w.buf).err, 0);
        let mut req = Writer::new();
        req.ustring("/big").bool(false);
        for _ in 0..200 {
            if b.s
                .write_all(&frame(&{
                    let mut f = Writer::new();
                    f.i32(1).i32(op::GET_DATA);
                    f.buf.extend_from_slice(&req.buf);
                    f.buf
                }))
                .is_err()
            {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(500));
        // The server dropped the slow reader without waiting for it to read: its per-IP slot
        // is free again while it still has unread replies.
        let mut c = Client::connect(addr);
        assert_eq!(c.ping().err, 0);
        assert_eq!(a.ping().err, 0);
        let mut replies = 0;
        b.s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        while read_raw(&mut b.s).is_some() {
            replies += 1;
        }
        assert!(
            replies < 200,
            "slow reader was never disconnected ({replies} replies)"
        );
    })
    .await
    .unwrap();
    server.shutdown().await.unwrap();
}
