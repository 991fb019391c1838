//! Differential test: one scripted session of raw requests is sent to a real Apache ZooKeeper
//! 3.8 server (Debian's `zookeeper` package, run in-place) and to rkafka's coordinator; the
//! decoded transcripts (error codes, zxids, Stat fields, results, notifications, in order)
//! must be identical, with only wall-clock times and session ids masked.
//! ZooKeeper's C client shell (cli_mt) runs a script against both as well. The same is done
//! with ZooKeeper's own CLI (zkCli.sh, the Java client Kafka also uses)
//! running tests/interop/zkcli_script.txt: its output must match line for line.
//! Needs java and the zookeeper package: run tests/interop/setup.sh.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rkafka::coordinator::proto::{
    Acl, CreateReq, Reader, Stat, WriteOp, Writer, op, write_acls, write_multi,
};
use rkafka::coordinator::{Coordinator, CoordinatorSettings};

mod common;
use common::{Client, read_raw};

const ZK_JAR: &str = "/usr/share/java/zookeeper.jar";

fn require_zookeeper() {
    assert!(
        Path::new(CLI_MT).exists(),
        "ZooKeeper's C client shell is required for this test: run tests/interop/setup.sh"
    );
    let java = Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        java && Path::new(ZK_JAR).exists(),
        "java and Debian's zookeeper package are required for this test: run tests/interop/setup.sh"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct RealZk(Child);

impl Drop for RealZk {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_real_zk(dir: &Path) -> (RealZk, SocketAddr) {
    let port = free_port();
    let cfg = dir.join("zoo.cfg");
    std::fs::write(
        &cfg,
        format!(
            "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             admin.enableServer=false\n4lw.commands.whitelist=*\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    let child = Command::new("java")
        .args([
            "-cp",
            &format!("/etc/zookeeper/conf:{ZK_JAR}"),
            &format!("-Dzookeeper.log.dir={}", dir.display()),
            "-Dzookeeper.root.logger=WARN,CONSOLE",
            "org.apache.zookeeper.server.ZooKeeperServerMain",
        ])
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = RealZk(child);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    loop {
        if let Ok(mut s) = TcpStream::connect(addr) {
            use std::io::Write;
            // ruok answers before the database is loaded; srvr tells when it serves.
            let _ = s.write_all(b"srvr");
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            if out.contains("Mode: standalone") {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "real ZooKeeper did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (guard, addr)
}

fn stat_str(s: &Stat, me: i64) -> String {
    let owner = match s.ephemeral_owner {
        0 => "0".to_string(),
        o if o == me => "me".to_string(),
        _ => "other session".to_string(),
    };
    format!(
        "Stat(cz={:#x} mz={:#x} pz={:#x} v={} cv={} av={} owner={owner} len={} kids={} times_ok={})",
        s.czxid,
        s.mzxid,
        s.pzxid,
        s.version,
        s.cversion,
        s.aversion,
        s.data_length,
        s.num_children,
        s.ctime > 1_600_000_000_000 && s.mtime >= s.ctime
    )
}

fn create_body(path: &str, data: Option<&[u8]>, flags: i32, acl: &[Acl]) -> Vec<u8> {
    let mut w = Writer::new();
    w.ustring(path).buffer(data);
    write_acls(&mut w, acl);
    w.i32(flags);
    w.buf
}

fn path_watch(path: &str, watch: bool) -> Vec<u8> {
    let mut w = Writer::new();
    w.ustring(path).bool(watch);
    w.buf
}

fn path_version(path: &str, v: i32) -> Vec<u8> {
    let mut w = Writer::new();
    w.ustring(path).i32(v);
    w.buf
}

fn path_only(path: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.ustring(path);
    w.buf
}

fn mk(op_code: i32, path: &str, flags: i32) -> WriteOp {
    WriteOp::Create(CreateReq {
        op: op_code,
        path: path.into(),
        data: Some(path.as_bytes().to_vec()),
        acl: Acl::open_unsafe(),
        flags,
        ttl: -1,
    })
}

/// ZooKeeper lists children and ephemerals in hash-set order; rkafka sorts them. Clients may
/// not rely on either, so the transcript compares them sorted.
fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Decodes a reply body for `opcode` into text.
fn decode(opcode: i32, body: &[u8], me: i64) -> String {
    let mut r = Reader::new(body);
    let r = &mut r;
    let s = match opcode {
        op::CREATE | op::SYNC => r.ustring("path").unwrap(),
        op::CREATE2 | op::CREATE_CONTAINER | op::CREATE_TTL => {
            let p = r.ustring("path").unwrap();
            format!("{p} {}", stat_str(&Stat::read(r).unwrap(), me))
        }
        op::EXISTS | op::SET_DATA | op::SET_ACL => stat_str(&Stat::read(r).unwrap(), me),
        op::GET_DATA => {
            let d = r.buffer("data").unwrap();
            format!("{d:?} {}", stat_str(&Stat::read(r).unwrap(), me))
        }
        op::GET_ACL => {
            let n = r.i32("n").unwrap();
            let acl: Vec<String> = (0..n)
                .map(|_| {
                    format!(
                        "{}:{}:{}",
                        r.i32("p").unwrap(),
                        r.ustring("s").unwrap(),
                        r.ustring("i").unwrap()
                    )
                })
                .collect();
            format!("{acl:?} {}", stat_str(&Stat::read(r).unwrap(), me))
        }
        op::GET_CHILDREN | op::GET_EPHEMERALS => format!("{:?}", sorted(r.strings("c").unwrap())),
        op::GET_CHILDREN2 => {
            let c = sorted(r.strings("c").unwrap());
            format!("{c:?} {}", stat_str(&Stat::read(r).unwrap(), me))
        }
        op::GET_ALL_CHILDREN_NUMBER | op::ADD_WATCH => format!("{}", r.i32("n").unwrap()),
        op::WHO_AM_I => {
            let n = r.i32("n").unwrap();
            let ids: Vec<String> = (0..n)
                .map(|_| format!("{}={}", r.ustring("s").unwrap(), r.ustring("u").unwrap()))
                .collect();
            format!("{ids:?}")
        }
        op::MULTI | op::MULTI_READ => {
            let mut parts = Vec::new();
            loop {
                let ty = r.i32("t").unwrap();
                let done = r.bool("d").unwrap();
                let err = r.i32("e").unwrap();
                if done {
                    parts.push(format!("end({ty},{err})"));
                    break;
                }
                let inner = if ty == -1 {
                    format!("err {}", r.i32("e").unwrap())
                } else {
                    let rest = &body[body.len() - r.remaining()..];
                    let (text, used) = decode_prefix(ty, rest, me);
                    for _ in 0..used {
                        r.bool("skip").unwrap();
                    }
                    text
                };
                parts.push(format!("{ty}/{err}: {inner}"));
            }
            parts.join("; ")
        }
        _ => String::new(),
    };
    let left = r.remaining();
    if left > 0 {
        format!("{s} +{left} bytes")
    } else {
        s
    }
}

/// Decodes one multi result body and says how many bytes it used.
fn decode_prefix(ty: i32, rest: &[u8], me: i64) -> (String, usize) {
    let mut r = Reader::new(rest);
    let text = match ty {
        op::DELETE | op::CHECK => String::new(),
        op::CREATE => r.ustring("p").unwrap(),
        op::CREATE2 => {
            let p = r.ustring("p").unwrap();
            format!("{p} {}", stat_str(&Stat::read(&mut r).unwrap(), me))
        }
        op::SET_DATA => stat_str(&Stat::read(&mut r).unwrap(), me),
        op::GET_DATA => {
            let d = r.buffer("d").unwrap();
            format!("{d:?} {}", stat_str(&Stat::read(&mut r).unwrap(), me))
        }
        op::GET_CHILDREN => format!("{:?}", sorted(r.strings("c").unwrap())),
        other => format!("?{other}"),
    };
    (text, rest.len() - r.remaining())
}

/// Runs the scripted session against `addr` and returns its transcript.
fn transcript(addr: SocketAddr) -> Vec<String> {
    let mut a = Client::connect(addr);
    let mut b = Client::connect(addr);
    let me = a.session;
    let open = Acl::open_unsafe();
    let read_only = vec![Acl {
        perms: 1,
        scheme: "world".into(),
        id: "anyone".into(),
    }];
    let mut t = vec![format!("timeout {}", a.timeout)];
    let mut steps: Vec<(&str, i32, Vec<u8>)> = vec![
        (
            "create /a",
            op::CREATE,
            create_body("/a", Some(b"A"), 0, &open),
        ),
        (
            "create /a again",
            op::CREATE,
            create_body("/a", Some(b"A"), 0, &open),
        ),
        (
            "create under missing",
            op::CREATE,
            create_body("/x/y", None, 0, &open),
        ),
        (
            "create bad path",
            op::CREATE,
            create_body("/a//b", None, 0, &open),
        ),
        (
            "create trailing slash",
            op::CREATE,
            create_body("/a/", None, 0, &open),
        ),
        (
            "create relative",
            op::CREATE,
            create_body("a", None, 0, &open),
        ),
        (
            "create bad flags",
            op::CREATE,
            create_body("/f", None, 9, &open),
        ),
        (
            "create empty acl",
            op::CREATE,
            create_body("/f", None, 0, &[]),
        ),
        (
            "create bad acl",
            op::CREATE,
            create_body(
                "/f",
                None,
                0,
                &[Acl {
                    perms: 31,
                    scheme: "world".into(),
                    id: "x".into(),
                }],
            ),
        ),
        (
            "create null data",
            op::CREATE,
            create_body("/a/null", None, 0, &open),
        ),
        (
            "create2 seq",
            op::CREATE2,
            create_body("/a/s-", Some(b"s"), 2, &open),
        ),
        (
            "create2 eph seq",
            op::CREATE2,
            create_body("/a/s-", Some(b""), 3, &open),
        ),
        (
            "create seq trailing slash",
            op::CREATE,
            create_body("/a/", None, 2, &open),
        ),
        (
            "create eph",
            op::CREATE2,
            create_body("/a/e", Some(b"e"), 1, &open),
        ),
        (
            "create under eph",
            op::CREATE,
            create_body("/a/e/c", None, 0, &open),
        ),
        (
            "create container",
            op::CREATE_CONTAINER,
            create_body("/c", None, 4, &open),
        ),
        ("create ttl disabled", op::CREATE_TTL, {
            let mut v = create_body("/t", None, 5, &open);
            v.extend_from_slice(&1000i64.to_be_bytes());
            v
        }),
        (
            "create read-only node",
            op::CREATE,
            create_body("/ro", Some(b"r"), 0, &read_only),
        ),
        (
            "create under read-only",
            op::CREATE,
            create_body("/ro/c", None, 0, &open),
        ),
        ("exists /a", op::EXISTS, path_watch("/a", false)),
        (
            "exists missing+watch",
            op::EXISTS,
            path_watch("/a/later", true),
        ),
        ("exists bad path", op::EXISTS, path_watch("nope", false)),
        ("get /a watch", op::GET_DATA, path_watch("/a", true)),
        ("get null", op::GET_DATA, path_watch("/a/null", false)),
        ("get missing", op::GET_DATA, path_watch("/nope", true)),
        (
            "children /a watch",
            op::GET_CHILDREN,
            path_watch("/a", true),
        ),
        ("children2 /", op::GET_CHILDREN2, path_watch("/", false)),
        (
            "children missing",
            op::GET_CHILDREN,
            path_watch("/nope", false),
        ),
        (
            "create /a/later",
            op::CREATE,
            create_body("/a/later", Some(b"L"), 0, &open),
        ),
        ("set /a v0", op::SET_DATA, {
            let mut w = Writer::new();
            w.ustring("/a").buffer(Some(b"A2")).i32(0);
            w.buf
        }),
        ("set /a stale", op::SET_DATA, {
            let mut w = Writer::new();
            w.ustring("/a").buffer(Some(b"A3")).i32(0);
            w.buf
        }),
        ("set missing", op::SET_DATA, {
            let mut w = Writer::new();
            w.ustring("/nope").buffer(None).i32(-1);
            w.buf
        }),
        ("set read-only", op::SET_DATA, {
            let mut w = Writer::new();
            w.ustring("/ro").buffer(None).i32(-1);
            w.buf
        }),
        ("setacl /a", op::SET_ACL, {
            let mut w = Writer::new();
            w.ustring("/a");
            write_acls(&mut w, &open);
            w.i32(0);
            w.buf
        }),
        ("setacl stale", op::SET_ACL, {
            let mut w = Writer::new();
            w.ustring("/a");
            write_acls(&mut w, &open);
            w.i32(0);
            w.buf
        }),
        ("getacl /ro", op::GET_ACL, path_only("/ro")),
        ("delete not empty", op::DELETE, path_version("/a", -1)),
        ("delete stale", op::DELETE, path_version("/a/later", 5)),
        ("delete missing", op::DELETE, path_version("/nope", -1)),
        (
            "delete /zookeeper",
            op::DELETE,
            path_version("/zookeeper", -1),
        ),
        ("delete /a/later", op::DELETE, path_version("/a/later", 0)),
        ("sync", op::SYNC, path_only("/a")),
        ("ephemerals", op::GET_EPHEMERALS, path_only("/")),
        ("ephemerals prefix", op::GET_EPHEMERALS, path_only("/a/s")),
        ("all children", op::GET_ALL_CHILDREN_NUMBER, path_only("/")),
        ("addWatch persistent", op::ADD_WATCH, {
            let mut w = Writer::new();
            w.ustring("/c").i32(0);
            w.buf
        }),
        ("addWatch recursive", op::ADD_WATCH, {
            let mut w = Writer::new();
            w.ustring("/a").i32(1);
            w.buf
        }),
        (
            "container child",
            op::CREATE,
            create_body("/c/k", None, 0, &open),
        ),
        (
            "deep create",
            op::CREATE,
            create_body("/a/null/deep", Some(b"d"), 0, &open),
        ),
        ("checkWatches none", op::CHECK_WATCHES, {
            let mut w = Writer::new();
            w.ustring("/zookeeper").i32(2);
            w.buf
        }),
        ("removeWatches none", op::REMOVE_WATCHES, {
            let mut w = Writer::new();
            w.ustring("/a").i32(2);
            w.buf
        }),
        ("get /ro watch", op::GET_DATA, path_watch("/ro", true)),
        ("checkWatches data", op::CHECK_WATCHES, {
            let mut w = Writer::new();
            w.ustring("/ro").i32(2);
            w.buf
        }),
        ("removeWatches data", op::REMOVE_WATCHES, {
            let mut w = Writer::new();
            w.ustring("/ro").i32(2);
            w.buf
        }),
        ("removeWatches data again", op::REMOVE_WATCHES, {
            let mut w = Writer::new();
            w.ustring("/ro").i32(2);
            w.buf
        }),
        ("exists container", op::EXISTS, path_watch("/c", false)),
        (
            "delete container child",
            op::DELETE,
            path_version("/c/k", 0),
        ),
        (
            "create2 then getData",
            op::CREATE2,
            create_body("/g", Some(b"0123456789"), 0, &open),
        ),
        ("set to null", op::SET_DATA, {
            let mut w = Writer::new();
            w.ustring("/g").buffer(None).i32(0);
            w.buf
        }),
        ("get after null set", op::GET_DATA, path_watch("/g", false)),
        ("multi ok", op::MULTI, {
            let mut w = Writer::new();
            write_multi(
                &mut w,
                &[
                    mk(op::CREATE, "/m", 0),
                    mk(op::CREATE2, "/m/s-", 2),
                    WriteOp::SetData {
                        path: "/m".into(),
                        data: Some(b"M".to_vec()),
                        version: 0,
                    },
                    WriteOp::Check {
                        path: "/m".into(),
                        version: 1,
                    },
                    WriteOp::Delete {
                        path: "/m/s-0000000000".into(),
                        version: 0,
                    },
                ],
            );
            w.buf
        }),
        ("multi fail", op::MULTI, {
            let mut w = Writer::new();
            write_multi(
                &mut w,
                &[
                    mk(op::CREATE, "/m/x", 0),
                    WriteOp::SetData {
                        path: "/m".into(),
                        data: None,
                        version: -1,
                    },
                    WriteOp::Check {
                        path: "/m".into(),
                        version: 0,
                    },
                    mk(op::CREATE, "/m/y", 0),
                ],
            );
            w.buf
        }),
        ("multi empty", op::MULTI, {
            let mut w = Writer::new();
            write_multi(&mut w, &[]);
            w.buf
        }),
        ("exists /m", op::EXISTS, path_watch("/m", false)),
        ("multiRead", op::MULTI_READ, {
            let mut w = Writer::new();
            for (ty, p) in [
                (op::GET_DATA, "/m"),
                (op::GET_CHILDREN, "/"),
                (op::GET_DATA, "/nope"),
            ] {
                w.i32(ty).bool(false).i32(-1).ustring(p).bool(false);
            }
            w.i32(-1).bool(true).i32(-1);
            w.buf
        }),
        ("whoami", op::WHO_AM_I, Vec::new()),
        ("check alone missing", op::CHECK, path_version("/nope", -1)),
        ("check alone stale", op::CHECK, path_version("/m", 0)),
        // A *successful* standalone check makes ZooKeeper 3.8.0 drop the connection (it has
        // no reply for it); rkafka answers OK instead, so that case is not compared.
        (
            "deleteContainer from a client",
            op::DELETE_CONTAINER,
            path_only("/c"),
        ),
        ("reconfig", op::RECONFIG, {
            let mut w = Writer::new();
            w.ustring("").ustring("").ustring("").i64(-1);
            w.buf
        }),
    ];
    // A second session's ephemeral, then a's view of it.
    let (bp, _) = b.create("/b-eph", b"", 1).unwrap();
    assert_eq!(bp, "/b-eph");
    steps.push(("exists other's eph", op::EXISTS, path_watch("/b-eph", true)));
    for (name, opcode, body) in steps {
        let xid = a.send(opcode, &body);
        loop {
            let Some(frame) = read_raw(&mut a.s) else {
                t.push(format!("{name}: connection closed"));
                return t;
            };
            let mut h = Reader::new(&frame);
            let r = common::Reply {
                xid: h.i32("xid").unwrap(),
                zxid: h.i64("zxid").unwrap(),
                err: h.i32("err").unwrap(),
                body: frame[16..].to_vec(),
            };
            if r.xid == -1 {
                let mut rd = Reader::new(&r.body);
                t.push(format!(
                    "  notify type={} state={} path={}",
                    rd.i32("t").unwrap(),
                    rd.i32("s").unwrap(),
                    rd.ustring("p").unwrap()
                ));
                continue;
            }
            assert_eq!(r.xid, xid, "{name}: reply order");
            let text = if r.err == 0 {
                decode(opcode, &r.body, me)
            } else {
                String::new()
            };
            t.push(format!("{name}: err={} zxid={:#x} {text}", r.err, r.zxid));
            break;
        }
    }
    // b closes: a sees its ephemeral go.
    let r = b.call(op::CLOSE_SESSION, &[]);
    t.push(format!("b close: err={} zxid={:#x}", r.err, r.zxid));
    let r = a.read();
    let mut rd = Reader::new(&r.body);
    t.push(format!(
        "  notify xid={} type={} state={} path={}",
        r.xid,
        rd.i32("t").unwrap(),
        rd.i32("s").unwrap(),
        rd.ustring("p").unwrap()
    ));
    let r = a.ping();
    t.push(format!(
        "ping: xid={} err={} zxid={:#x}",
        r.xid, r.err, r.zxid
    ));
    assert!(
        read_raw(&mut b.s).is_none(),
        "closeSession closes the socket"
    );
    t
}

/// Reads frames until the reply to `xid`, recording notifications on the way.
fn until_reply(c: &mut Client, xid: i32, name: &str, t: &mut Vec<String>) -> Option<common::Reply> {
    loop {
        let Some(frame) = read_raw(&mut c.s) else {
            t.push(format!("{name}: connection closed"));
            return None;
        };
        let mut h = Reader::new(&frame);
        let r = common::Reply {
            xid: h.i32("xid").unwrap(),
            zxid: h.i64("zxid").unwrap(),
            err: h.i32("err").unwrap(),
            body: frame[16..].to_vec(),
        };
        if r.xid == -1 {
            let mut rd = Reader::new(&r.body);
            t.push(format!(
                "  notify type={} state={} path={}",
                rd.i32("t").unwrap(),
                rd.i32("s").unwrap(),
                rd.ustring("p").unwrap()
            ));
            continue;
        }
        if r.xid != xid {
            t.push(format!("{name}: xid {} instead of {xid}", r.xid));
        }
        t.push(format!("{name}: err={} zxid={:#x}", r.err, r.zxid));
        return Some(r);
    }
}

/// Sessions, reconnects, setWatches, auth and watch fan-out across two sessions.
fn session_transcript(addr: SocketAddr) -> Vec<String> {
    let mut t = Vec::new();
    let open = Acl::open_unsafe();
    for asked in [1, 4000, 39_999, 1_000_000] {
        let c = Client::handshake(addr, 0, vec![0; 16], 0, asked).unwrap();
        t.push(format!("asked {asked} got {}", c.timeout));
    }
    let mut a = Client::connect(addr);
    let mut b = Client::connect(addr);
    let x = a.send(op::CREATE, &create_body("/w", Some(b"0"), 0, &open));
    let base = until_reply(&mut a, x, "create /w", &mut t).map_or(0, |r| r.zxid);

    // Resume a's session on a new connection with another timeout; the old one is closed.
    let mut a2 = Client::handshake(addr, a.session, a.passwd.clone(), base, 8000).unwrap();
    t.push(format!(
        "resume: same session {} timeout {} old closed {}",
        a2.session == a.session,
        a2.timeout,
        common::closed(&mut a.s)
    ));
    let mut wrong = a2.passwd.clone();
    wrong[3] ^= 0x10;
    for (name, sid, pw) in [
        ("wrong password", a2.session, wrong),
        ("unknown session", 0x1234_5678, vec![0; 16]),
    ] {
        match Client::handshake(addr, sid, pw, 0, 4000) {
            Some(mut c) => t.push(format!(
                "{name}: timeout {} session {} passwd zero {} closed {}",
                c.timeout,
                c.session,
                c.passwd.iter().all(|b| *b == 0),
                common::closed(&mut c.s)
            )),
            None => t.push(format!("{name}: closed without answer")),
        }
    }
    t.push(format!(
        "future zxid: answered {}",
        Client::handshake(addr, 0, vec![0; 16], base + 1000, 4000).is_some()
    ));
    // The wrong-password attempt cost a2 its connection; the owner reconnects.
    t.push(format!(
        "a2 after the wrong password: closed {}",
        common::closed(&mut a2.s)
    ));
    let mut a2 = Client::handshake(addr, a2.session, a2.passwd.clone(), base, 8000).unwrap();

    // b changes things while a2 was "away"; setWatches reports what a2 missed.
    let x = b.send(op::SET_DATA, &{
        let mut w = Writer::new();
        w.ustring("/w").buffer(Some(b"1")).i32(-1);
        w.buf
    });
    until_reply(&mut b, x, "b set /w", &mut t);
    let x = b.send(op::CREATE, &create_body("/w/kid", None, 0, &open));
    until_reply(&mut b, x, "b create /w/kid", &mut t);
    let x = b.send(op::CREATE, &create_body("/appeared", None, 0, &open));
    until_reply(&mut b, x, "b create /appeared", &mut t);
    let mut sw = Writer::new();
    sw.i64(base);
    sw.strings(&[
        "/w".to_string(),
        "/gone".to_string(),
        "/zookeeper".to_string(),
    ]);
    sw.strings(&["/appeared".to_string(), "/absent".to_string()]);
    sw.strings(&["/w".to_string(), "/".to_string(), "/zookeeper".to_string()]);
    a2.xid += 1;
    let mut w = Writer::new();
    w.i32(-8).i32(op::SET_WATCHES);
    w.buf.extend_from_slice(&sw.buf);
    use std::io::Write as _;
    let _ = a2.s.write_all(&common::frame(&w.buf));
    until_reply(&mut a2, -8, "setWatches", &mut t);
    // The re-armed ones fire on the next changes.
    let x = b.send(op::CREATE, &create_body("/absent", None, 0, &open));
    until_reply(&mut b, x, "b create /absent", &mut t);
    let x = b.send(op::CREATE, &create_body("/zookeeper/kid", None, 0, &open));
    until_reply(&mut b, x, "b create /zookeeper/kid", &mut t);
    let x = a2.send(op::SYNC, &path_only("/"));
    until_reply(&mut a2, x, "a2 sync", &mut t);

    // Watch fan-out: both sessions watch, b deletes; recursive and persistent on a2.
    let body = path_watch("/w/kid", true);
    let x = a2.send(op::GET_DATA, &body);
    until_reply(&mut a2, x, "a2 get /w/kid", &mut t);
    let x = b.send(op::EXISTS, &body);
    until_reply(&mut b, x, "b exists /w/kid", &mut t);
    let x = a2.send(op::ADD_WATCH, &{
        let mut w = Writer::new();
        w.ustring("/").i32(1);
        w.buf
    });
    until_reply(&mut a2, x, "a2 recursive on /", &mut t);
    let x = b.send(op::DELETE, &path_version("/w/kid", -1));
    until_reply(&mut b, x, "b delete /w/kid", &mut t);
    let x = a2.send(op::SYNC, &path_only("/"));
    until_reply(&mut a2, x, "a2 sync", &mut t);
    let x = b.send(op::CREATE, &create_body("/w/deep", None, 0, &open));
    until_reply(&mut b, x, "b create /w/deep", &mut t);
    let x = a2.send(op::SYNC, &path_only("/"));
    until_reply(&mut a2, x, "a2 sync", &mut t);

    // Auth: digest identities, the auth ACL scheme, whoami; then an unknown scheme.
    let mut w = Writer::new();
    w.i32(-4)
        .i32(op::AUTH)
        .i32(0)
        .ustring("digest")
        .buffer(Some(b"alice:secret"));
    let _ = a2.s.write_all(&common::frame(&w.buf));
    until_reply(&mut a2, -4, "auth digest", &mut t);
    let auth_acl = vec![Acl {
        perms: 31,
        scheme: "auth".into(),
        id: String::new(),
    }];
    let x = a2.send(op::CREATE, &create_body("/mine", Some(b"m"), 0, &auth_acl));
    until_reply(&mut a2, x, "create /mine with auth acl", &mut t);
    let x = a2.send(op::GET_ACL, &path_only("/mine"));
    if let Some(r) = until_reply(&mut a2, x, "getacl /mine", &mut t) {
        t.push(format!("  {}", decode(op::GET_ACL, &r.body, a2.session)));
    }
    let x = a2.send(op::WHO_AM_I, &[]);
    if let Some(r) = until_reply(&mut a2, x, "whoami", &mut t) {
        t.push(format!("  {}", decode(op::WHO_AM_I, &r.body, a2.session)));
    }
    let x = b.send(op::GET_DATA, &path_watch("/mine", false));
    until_reply(&mut b, x, "b get /mine", &mut t);
    let x = b.send(
        op::CREATE,
        &create_body(
            "/ip-only",
            None,
            0,
            &[Acl {
                perms: 31,
                scheme: "ip".into(),
                id: "10.0.0.0/8".into(),
            }],
        ),
    );
    until_reply(&mut b, x, "create ip acl", &mut t);
    let x = b.send(op::GET_DATA, &path_watch("/ip-only", false));
    until_reply(&mut b, x, "get ip-only from 127.0.0.1", &mut t);
    let mut w = Writer::new();
    w.i32(-4)
        .i32(op::AUTH)
        .i32(0)
        .ustring("nosuch")
        .buffer(Some(b"x"));
    let _ = b.s.write_all(&common::frame(&w.buf));
    until_reply(&mut b, -4, "auth unknown scheme", &mut t);
    t.push(format!("  then closed: {}", common::closed(&mut b.s)));
    t
}

fn four(addr: SocketAddr, word: &str) -> String {
    use std::io::Write;
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(word.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// The shape of the four-letter answers: exact where the text is fixed, keys and line
/// patterns where values depend on the run (latencies, sizes, connections, versions).
fn four_letter_shapes(addr: SocketAddr) -> Vec<String> {
    let keys = |text: &str, sep: char| -> Vec<String> {
        text.lines()
            .map(|l| l.split(sep).next().unwrap_or("").to_string())
            .collect()
    };
    let mut t = Vec::new();
    for w in ["ruok", "isro", "gtmk", "crst", "srst"] {
        t.push(format!("{w}: {:?}", four(addr, w)));
    }
    let srvr = four(addr, "srvr");
    t.push(format!("srvr keys: {:?}", keys(&srvr, ':')));
    t.push(format!(
        "srvr mode: {}",
        srvr.contains("\nMode: standalone\n")
    ));
    let stat = four(addr, "stat");
    t.push(format!(
        "stat head: {:?}",
        stat.lines()
            .take(3)
            .map(|l| l.split(':').next().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    ));
    t.push(format!("conf keys: {:?}", keys(&four(addr, "conf"), '=')));
    t.push(format!("dirs keys: {:?}", keys(&four(addr, "dirs"), ':')));
    let envi = four(addr, "envi");
    t.push(format!(
        "envi: first {:?} version {} host {}",
        envi.lines().next(),
        envi.contains("\nzookeeper.version=3."),
        envi.contains("\nhost.name=")
    ));
    let wchs = four(addr, "wchs");
    t.push(format!(
        "wchs: {:?}",
        wchs.lines()
            .map(|l| l
                .chars()
                .filter(|c| !c.is_ascii_digit())
                .collect::<String>())
            .collect::<Vec<_>>()
    ));
    let cons = four(addr, "cons");
    t.push(format!(
        "cons lines start ok: {}",
        cons.lines()
            .filter(|l| !l.is_empty())
            .all(|l| l.starts_with(" /127.0.0.1:"))
    ));
    t
}

const ZKCLI: &str = "/usr/share/zookeeper/bin/zkCli.sh";

/// Runs tests/interop/zkcli_script.txt through ZooKeeper's own CLI (the Java client) and
/// returns its output with times, session ids, ports and log lines masked.
fn zkcli_transcript(addr: SocketAddr) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/zkcli_script.txt");
    let out = Command::new(ZKCLI)
        .args(["-server", &addr.to_string()])
        .stdin(std::fs::File::open(script).unwrap())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    text.lines()
        .filter(|l| !l.starts_with("SLF4J") && !l.starts_with("20") && !l.trim().is_empty())
        .map(|l| {
            if l.starts_with("ctime = ") || l.starts_with("mtime = ") {
                format!("{} = <time>", &l[..5])
            } else if l.starts_with("ephemeralOwner = ") && l != "ephemeralOwner = 0x0" {
                "ephemeralOwner = <session>".to_string()
            } else if l.starts_with("Connecting to ") {
                "Connecting to <server>".to_string()
            } else {
                l.to_string()
            }
        })
        .collect()
}

const CLI_MT: &str = "/usr/lib/zookeeper/bin/cli_mt";

/// Drives ZooKeeper's C client shell (cli_mt, whose handshake reads exactly 41 bytes back)
/// one command at a time. Its completions print from another thread, so the lines are
/// compared as a sorted multiset, with times and the session id masked.
fn c_client_transcript(addr: SocketAddr) -> Vec<String> {
    use std::io::Write;
    let mut child = Command::new(CLI_MT)
        .arg(addr.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for cmd in [
        "create /cc",
        "create +e /cc/e",
        "create +s /cc/s-",
        "ls /cc",
        "ls2 /cc",
        "set /cc hello",
        "get /cc",
        "exists /cc",
        "exists /nope",
        "sync /cc",
        "delete /cc/e",
        "get /nope",
        "delete /cc",
        "quit",
    ] {
        let _ = writeln!(stdin, "{cmd}");
        std::thread::sleep(Duration::from_millis(150));
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    // cli_mt prints to both streams; the C client's own log lines start with a date.
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| {
            !l.starts_with("20")
                && !l.contains("session id")
                && !l.contains("time = ")
                && !l.contains("time=")
        })
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

fn compare(expected: &[String], got: &[String]) {
    let mut diffs = Vec::new();
    for i in 0..expected.len().max(got.len()) {
        let (e, g) = (expected.get(i), got.get(i));
        if e != g {
            diffs.push(format!("line {i}\n  zookeeper: {e:?}\n  rkafka:    {g:?}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}\n\nfull ZooKeeper transcript:\n{}",
        diffs.len(),
        diffs.join("\n"),
        expected.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_transcript_as_real_zookeeper() {
    require_zookeeper();
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let expected = tokio::task::spawn_blocking(move || {
        let (_zk, addr) = start_real_zk(&real);
        (
            zkcli_transcript(addr),
            c_client_transcript(addr),
            transcript(addr),
            session_transcript(addr),
            four_letter_shapes(addr),
            four(addr, "mntr"),
        )
    })
    .await
    .unwrap();

    let server = Coordinator::start(CoordinatorSettings {
        data_dir: dir.path().join("ours"),
        client_addr: "127.0.0.1:0".parse().unwrap(),
        tick_time_ms: 2000,
        max_client_cnxns: 0,
        four_letter_whitelist: vec!["*".into()],
        ..CoordinatorSettings::default()
    })
    .await
    .unwrap();
    let addr = server.local_addr();
    let got = tokio::task::spawn_blocking(move || {
        (
            zkcli_transcript(addr),
            c_client_transcript(addr),
            transcript(addr),
            session_transcript(addr),
            four_letter_shapes(addr),
            four(addr, "mntr"),
        )
    })
    .await
    .unwrap();
    server.shutdown().await.unwrap();
    assert!(
        expected
            .0
            .iter()
            .any(|l| l == "Created /cli/seq-0000000001"),
        "zkCli did not run: {:?}",
        expected.0
    );
    assert!(
        expected.1.iter().any(|l| l == "\tname = /cc/s-0000000001"),
        "cli_mt did not run: {:?}",
        expected.1
    );
    compare(&expected.0, &got.0);
    compare(&expected.1, &got.1);
    compare(&expected.2, &got.2);
    compare(&expected.3, &got.3);
    compare(&expected.4, &got.4);
    let real_keys: Vec<&str> = expected
        .5
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    for line in got.5.lines() {
        let key = line.split('\t').next().unwrap_or("");
        assert!(
            real_keys.contains(&key),
            "mntr key {key:?} unknown to ZooKeeper"
        );
    }
    assert!(got.5.lines().count() >= 10, "{}", got.5);
}
