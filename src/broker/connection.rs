//! One client connection: read frames (refusing oversized ones from their length prefix, before
//! the body is buffered), route each, run its handler as its own task, and write the responses
//! strictly in request order. Requests may be pipelined: the next one is decoded and started
//! while earlier ones are still being handled; a writer task awaits them in order.
//!
//! The connection closes on: end of stream, a frame over `socket.request.max.bytes`, a request
//! the router refuses (malformed, unserved API or version), `connections.max.idle.ms` without
//! traffic while no request is in progress, or server shutdown (after answering every request
//! already read).

use std::io::IoSlice;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::broker::handlers::{self, BrokerContext, Chunk, CloseReason};
use crate::broker::server::BrokerNetSettings;
use crate::protocol::frame::{Frame, decode_frame};

/// Requests one connection may have started but not yet answered. Bounds the memory a single
/// client can pin by pipelining; `queued.max.requests` bounds all connections together.
pub const MAX_PIPELINED: usize = 64;

/// Read buffer growth step: a large frame is buffered as it arrives, not reserved up front
/// from its (checked, but client-chosen) length prefix.
const READ_CHUNK: usize = 64 * 1024;

/// What every connection task shares.
#[derive(Debug)]
pub struct ConnectionShared {
    pub ctx: BrokerContext,
    pub settings: BrokerNetSettings,
    /// `queued.max.requests` permits: one per request read and not yet handled.
    pub queue: Arc<Semaphore>,
}

/// Traffic bookkeeping for the idle timeout, shared by the reader and the writer.
#[derive(Debug)]
struct Activity {
    start: Instant,
    /// Milliseconds after `start` of the last read or write.
    last_ms: AtomicU64,
    /// Requests read and not yet answered.
    in_flight: AtomicUsize,
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + std::time::Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

type Pending = JoinHandle<Result<Vec<Chunk>, CloseReason>>;

/// Serves one accepted connection until it closes.
pub async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<ConnectionShared>,
    stop: watch::Receiver<bool>,
) {
    // Responses are whole frames written at once; Nagle would only add latency.
    let _ = stream.set_nodelay(true);
    let (rd, wr) = stream.into_split();
    let activity = Arc::new(Activity {
        start: Instant::now(),
        last_ms: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
    });
    let (tx, rx) = mpsc::channel(MAX_PIPELINED);
    let writer = tokio::spawn(write_responses(wr, rx, Arc::clone(&activity), peer));
    read_requests(rd, tx, &shared, &activity, stop, peer).await;
    if let Err(e) = writer.await {
        tracing::warn!(%peer, error = %e, "connection writer ended abnormally");
    }
    tracing::debug!(%peer, "connection closed");
}

async fn read_requests(
    mut rd: OwnedReadHalf,
    tx: mpsc::Sender<Pending>,
    shared: &ConnectionShared,
    activity: &Activity,
    mut stop: watch::Receiver<bool>,
    peer: SocketAddr,
) {
    let max = shared.settings.socket_request_max_bytes;
    let idle = shared.settings.connections_max_idle;
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        if *stop.borrow() {
            return;
        }
        // every complete frame already buffered
        loop {
            match decode_frame(&mut buf, max) {
                Ok(Frame::Complete(frame)) => {
                    let routed = match handlers::route(frame) {
                        Ok(routed) => routed,
                        Err(reason) => {
                            tracing::debug!(%peer, %reason, "closing connection");
                            return;
                        }
                    };
                    let permit = tokio::select! {
                        p = Arc::clone(&shared.queue).acquire_owned() => p,
                        _ = stop.changed() => return,
                        () = tx.closed() => return,
                    };
                    let Ok(permit) = permit else { return };
                    activity.in_flight.fetch_add(1, Ordering::Relaxed);
                    let ctx = shared.ctx.clone();
                    let task = tokio::spawn(async move {
                        let out = handlers::PEER
                            .scope(peer, handlers::respond(&ctx, routed))
                            .await;
                        drop(permit);
                        out
                    });
                    if tx.send(task).await.is_err() {
                        return;
                    }
                }
                Ok(Frame::Incomplete { needed }) => {
                    buf.reserve(needed.min(READ_CHUNK));
                    break;
                }
                Ok(Frame::TooLarge { size, max }) => {
                    tracing::debug!(%peer, size, max, "request over socket.request.max.bytes; closing");
                    return;
                }
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "bad frame; closing");
                    return;
                }
            }
        }
        // Past the deadline only while a request is in progress (which keeps the connection
        // alive): look again one idle period later instead of waking in a loop.
        let deadline = idle.map(|d| {
            let due = activity.last() + d;
            let now = Instant::now();
            if due <= now { now + d } else { due }
        });
        tokio::select! {
            _ = stop.changed() => return,
            () = tx.closed() => return,
            read = rd.read_buf(&mut buf) => match read {
                Ok(0) => return,
                Ok(_) => activity.touch(),
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "read failed");
                    return;
                }
            },
            () = sleep_until_opt(deadline) => {
                let quiet = idle.is_some_and(|d| activity.last().elapsed() >= d);
                if quiet && activity.in_flight.load(Ordering::Relaxed) == 0 {
                    tracing::debug!(%peer, "idle past connections.max.idle.ms; closing");
                    return;
                }
            }
        }
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

async fn write_responses(
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Pending>,
    activity: Arc<Activity>,
    peer: SocketAddr,
) {
    while let Some(task) = rx.recv().await {
        let result = task.await;
        activity.in_flight.fetch_sub(1, Ordering::Relaxed);
        match result {
            Ok(Ok(mut chunks)) => {
                if let Err(e) = write_chunks(&mut wr, &mut chunks).await {
                    tracing::debug!(%peer, error = %e, "write failed");
                    return;
                }
                activity.touch();
            }
            Ok(Err(reason)) => {
                tracing::debug!(%peer, %reason, "closing connection");
                break;
            }
            Err(e) => {
                tracing::warn!(%peer, error = %e, "request handler failed; closing connection");
                break;
            }
        }
    }
    let _ = wr.shutdown().await;
}

/// Writes a response: runs of in-memory chunks with vectored writes, file ranges with
/// sendfile (the record bytes go from the page cache to the socket without a copy through
/// user space). An empty list writes nothing (a request without a response).
async fn write_chunks(wr: &mut OwnedWriteHalf, chunks: &mut [Chunk]) -> std::io::Result<()> {
    let mut rest = chunks;
    while !rest.is_empty() {
        let run = rest
            .iter()
            .position(|c| matches!(c, Chunk::File(_)))
            .unwrap_or(rest.len());
        let (memory, tail) = rest.split_at_mut(run);
        if !memory.is_empty() {
            let mut bytes: Vec<Bytes> = memory
                .iter()
                .filter_map(|c| match c {
                    Chunk::Bytes(b) => Some(b.clone()),
                    Chunk::File(_) => None,
                })
                .collect();
            write_bytes(wr, &mut bytes).await?;
        }
        match tail.split_first_mut() {
            Some((Chunk::File(range), after)) => {
                send_file(wr, range).await?;
                rest = after;
            }
            // `run` stops only at a file chunk or the end
            _ => break,
        }
    }
    Ok(())
}

/// Sends a segment file range with sendfile, waiting for the socket to take more when it is
/// full. A file shorter than the range (truncated meanwhile) fails the connection rather than
/// sending a frame shorter than its length prefix said.
async fn send_file(
    wr: &mut OwnedWriteHalf,
    range: &crate::log::segment::FileRange,
) -> std::io::Result<()> {
    let socket: &tokio::net::TcpStream = wr.as_ref();
    let mut offset = i64::try_from(range.position).map_err(std::io::Error::other)?;
    let mut left = usize::try_from(range.length).map_err(std::io::Error::other)?;
    while left > 0 {
        socket.writable().await?;
        let sent = socket.try_io(tokio::io::Interest::WRITABLE, || {
            nix::sys::sendfile::sendfile(socket, range.file.as_ref(), Some(&mut offset), left)
                .map_err(std::io::Error::from)
        });
        match sent {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => left = left.saturating_sub(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes all `chunks` with vectored writes, consuming them.
async fn write_bytes(wr: &mut OwnedWriteHalf, chunks: &mut [Bytes]) -> std::io::Result<()> {
    let mut first = 0;
    while first < chunks.len() {
        let slices: Vec<IoSlice<'_>> = chunks[first..].iter().map(|c| IoSlice::new(c)).collect();
        let mut n = wr.write_vectored(&slices).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        while n > 0 {
            let Some(chunk) = chunks.get_mut(first) else {
                break;
            };
            if n >= chunk.len() {
                n -= chunk.len();
                first += 1;
            } else {
                chunk.advance(n);
                n = 0;
            }
        }
    }
    Ok(())
}
