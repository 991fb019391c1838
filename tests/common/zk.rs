//! A minimal blocking ZooKeeper wire client for the coordinator's integration tests.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use rkafka::coordinator::proto::{
    Acl, ConnectRequest, CreateReq, Reader, Stat, WriteOp, Writer, op,
};

pub struct Client {
    pub s: TcpStream,
    pub session: i64,
    pub passwd: Vec<u8>,
    pub timeout: i32,
    pub xid: i32,
}

pub struct Reply {
    pub xid: i32,
    pub zxid: i64,
    pub err: i32,
    pub body: Vec<u8>,
}

pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut v = (payload.len() as i32).to_be_bytes().to_vec();
    v.extend_from_slice(payload);
    v
}

pub fn read_raw(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let mut b = vec![0u8; i32::from_be_bytes(len) as usize];
    s.read_exact(&mut b).ok()?;
    Some(b)
}

/// Whether the server closed the connection (EOF or reset) within a few seconds.
pub fn closed(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => {
                return matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
                );
            }
        }
    }
}

impl Client {
    pub fn connect_with(
        addr: SocketAddr,
        session: i64,
        passwd: Vec<u8>,
        last_zxid: i64,
    ) -> Option<Client> {
        Client::handshake(addr, session, passwd, last_zxid, 4000)
    }

    /// Sends a ConnectRequest; None when the server closed without answering.
    pub fn handshake(
        addr: SocketAddr,
        session: i64,
        passwd: Vec<u8>,
        last_zxid: i64,
        timeout_ms: i32,
    ) -> Option<Client> {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut w = Writer::new();
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: last_zxid,
            timeout_ms,
            session_id: session,
            passwd,
            read_only: Some(false),
        }
        .write(&mut w);
        s.write_all(&frame(&w.buf)).unwrap();
        let resp = read_raw(&mut s)?;
        assert_eq!(
            resp.len() + 4,
            41,
            "ConnectResponse is 41 bytes with its length"
        );
        let mut r = Reader::new(&resp);
        assert_eq!(r.i32("pv").unwrap(), 0);
        let timeout = r.i32("timeout").unwrap();
        let session = r.i64("session").unwrap();
        let passwd = r.buffer("passwd").unwrap().unwrap();
        assert_eq!(passwd.len(), 16);
        Some(Client {
            s,
            session,
            passwd,
            timeout,
            xid: 0,
        })
    }

    pub fn connect(addr: SocketAddr) -> Client {
        Client::connect_with(addr, 0, vec![0; 16], 0).unwrap()
    }

    pub fn send(&mut self, opcode: i32, body: &[u8]) -> i32 {
        self.xid += 1;
        let mut w = Writer::new();
        w.i32(self.xid).i32(opcode);
        w.buf.extend_from_slice(body);
        // A closed connection shows up on the next read.
        let _ = self.s.write_all(&frame(&w.buf));
        self.xid
    }

    pub fn read(&mut self) -> Reply {
        let b = read_raw(&mut self.s).expect("reply");
        let mut r = Reader::new(&b);
        let xid = r.i32("xid").unwrap();
        let zxid = r.i64("zxid").unwrap();
        let err = r.i32("err").unwrap();
        Reply {
            xid,
            zxid,
            err,
            body: b[16..].to_vec(),
        }
    }

    pub fn call(&mut self, opcode: i32, body: &[u8]) -> Reply {
        let xid = self.send(opcode, body);
        let r = self.read();
        assert_eq!(r.xid, xid, "replies in request order");
        r
    }

    pub fn create(&mut self, path: &str, data: &[u8], flags: i32) -> Result<(String, i64), i32> {
        let mut w = Writer::new();
        WriteOp::Create(CreateReq {
            op: op::CREATE,
            path: path.into(),
            data: Some(data.to_vec()),
            acl: Acl::open_unsafe(),
            flags,
            ttl: -1,
        })
        .write(&mut w);
        let r = self.call(op::CREATE, &w.buf);
        if r.err != 0 {
            return Err(r.err);
        }
        Ok((Reader::new(&r.body).ustring("path").unwrap(), r.zxid))
    }

    pub fn get(&mut self, path: &str, watch: bool) -> Result<(Vec<u8>, Stat), i32> {
        let mut w = Writer::new();
        w.ustring(path).bool(watch);
        let r = self.call(op::GET_DATA, &w.buf);
        if r.err != 0 {
            return Err(r.err);
        }
        let mut rd = Reader::new(&r.body);
        let d = rd.buffer("data").unwrap().unwrap_or_default();
        Ok((d, Stat::read(&mut rd).unwrap()))
    }

    pub fn ping(&mut self) -> Reply {
        let mut w = Writer::new();
        w.i32(-2).i32(op::PING);
        self.s.write_all(&frame(&w.buf)).unwrap();
        self.read()
    }
}

impl Client {
    /// Like `call`, but None when the connection is gone (used while the server is killed).
    pub fn try_call(&mut self, opcode: i32, body: &[u8]) -> Option<Reply> {
        self.xid += 1;
        let mut w = Writer::new();
        w.i32(self.xid).i32(opcode);
        w.buf.extend_from_slice(body);
        self.s.write_all(&frame(&w.buf)).ok()?;
        let b = read_raw(&mut self.s)?;
        let mut r = Reader::new(&b);
        let reply = Reply {
            xid: r.i32("xid").ok()?,
            zxid: r.i64("zxid").ok()?,
            err: r.i32("err").ok()?,
            body: b.get(16..)?.to_vec(),
        };
        assert_eq!(reply.xid, self.xid, "replies in request order");
        Some(reply)
    }

    /// A create that reports a lost connection as None and a refusal as Some(Err(code)).
    pub fn try_create(
        &mut self,
        path: &str,
        data: &[u8],
        flags: i32,
    ) -> Option<Result<(String, i64), i32>> {
        let mut w = Writer::new();
        WriteOp::Create(CreateReq {
            op: op::CREATE,
            path: path.into(),
            data: Some(data.to_vec()),
            acl: Acl::open_unsafe(),
            flags,
            ttl: -1,
        })
        .write(&mut w);
        let r = self.try_call(op::CREATE, &w.buf)?;
        if r.err != 0 {
            return Some(Err(r.err));
        }
        Some(Ok((Reader::new(&r.body).ustring("path").ok()?, r.zxid)))
    }
}
