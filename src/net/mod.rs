//! Framed Kafka connections over TCP, shared by the client and the tools.
//!
//! A [`Connection`] writes length-prefixed requests with increasing correlation ids and reads
//! the replies, which a broker sends in request order. Several requests may be in flight
//! (pipelining); each reply must carry the correlation id of the oldest outstanding request,
//! otherwise the stream is out of step and the connection is closed with an error. Frames
//! larger than the configured maximum are refused from their length prefix alone.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::protocol::codec::{ApiRequest, DecodeError, EncodeError};
use crate::protocol::frame::{Frame, decode_frame};
use crate::protocol::header::{decode_response, encode_request};
use crate::protocol::messages::{ApiKey, Response};
use crate::types::HostPort;

/// Limits and timeouts of one connection.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// `client.id` sent in every request header.
    pub client_id: Option<String>,
    /// Largest response frame accepted, in bytes (without the length prefix).
    pub max_response_bytes: usize,
    /// `request.timeout.ms`: how long to wait for one reply.
    pub request_timeout: Duration,
    /// `socket.connection.setup.timeout.ms`: how long DNS plus TCP connect may take.
    pub connect_timeout: Duration,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings {
            client_id: Some("rkafka".to_string()),
            max_response_bytes: crate::protocol::frame::DEFAULT_MAX_REQUEST_BYTES,
            request_timeout: Duration::from_millis(30_000),
            connect_timeout: Duration::from_millis(10_000),
        }
    }
}

/// Why a connection failed; every variant names the broker address.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot resolve broker {addr}: {source}")]
    Resolve {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to broker {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("connecting to broker {addr} timed out after {ms} ms")]
    ConnectTimeout { addr: String, ms: u128 },
    #[error("broker {addr}: I/O error: {source}")]
    Io {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("broker {addr} closed the connection")]
    Closed { addr: String },
    #[error("broker {addr} did not answer within {ms} ms (request.timeout.ms)")]
    Timeout { addr: String, ms: u128 },
    #[error("broker {addr}: response of {size} bytes exceeds the maximum of {max}")]
    FrameTooLarge {
        addr: String,
        size: usize,
        max: usize,
    },
    #[error("broker {addr}: negative response frame length {len}")]
    NegativeLength { addr: String, len: i32 },
    #[error("broker {addr}: expected correlation id {expected}, got {got}; connection closed")]
    CorrelationMismatch {
        addr: String,
        expected: i32,
        got: i32,
    },
    #[error("broker {addr}: a response arrived with no request in flight")]
    Unsolicited { addr: String },
    #[error("broker {addr}: cannot decode {api:?} v{version} response: {source}")]
    Decode {
        addr: String,
        api: ApiKey,
        version: i16,
        #[source]
        source: DecodeError,
    },
    #[error("cannot encode {api:?} v{version} request: {source}")]
    Encode {
        api: ApiKey,
        version: i16,
        #[source]
        source: EncodeError,
    },
    #[error("connection to broker {addr} is closed after an earlier error")]
    Broken { addr: String },
}

/// One outstanding request: what its reply must be decoded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InFlight {
    pub correlation_id: i32,
    pub api_key: ApiKey,
    pub version: i16,
}

/// Matches a reply's correlation id against the queue of outstanding requests (oldest first)
/// and removes the matched entry. Pure, so the ordering rule is unit tested.
pub fn match_reply(
    queue: &mut VecDeque<InFlight>,
    got: i32,
    addr: &str,
) -> Result<InFlight, NetError> {
    let Some(front) = queue.front().copied() else {
        return Err(NetError::Unsolicited {
            addr: addr.to_string(),
        });
    };
    if front.correlation_id != got {
        return Err(NetError::CorrelationMismatch {
            addr: addr.to_string(),
            expected: front.correlation_id,
            got,
        });
    }
    queue.pop_front();
    Ok(front)
}

/// An open connection to one broker.
#[derive(Debug)]
pub struct Connection {
    addr: String,
    stream: TcpStream,
    settings: ConnectionSettings,
    read_buf: BytesMut,
    next_correlation_id: i32,
    in_flight: VecDeque<InFlight>,
    broken: bool,
}

impl Connection {
    /// Resolves and connects to `addr` within `settings.connect_timeout`.
    pub async fn connect(addr: &HostPort, settings: ConnectionSettings) -> Result<Self, NetError> {
        let name = addr.to_string();
        let attempt = async {
            let addrs: Vec<_> = tokio::net::lookup_host((addr.host.as_str(), addr.port))
                .await
                .map_err(|source| NetError::Resolve {
                    addr: name.clone(),
                    source,
                })?
                .collect();
            let mut last = None;
            for a in addrs {
                match TcpStream::connect(a).await {
                    Ok(s) => return Ok(s),
                    Err(e) => last = Some(e),
                }
            }
            Err(NetError::Connect {
                addr: name.clone(),
                source: last.unwrap_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no address found")
                }),
            })
        };
        let stream = tokio::time::timeout(settings.connect_timeout, attempt)
            .await
            .map_err(|_| NetError::ConnectTimeout {
                addr: name.clone(),
                ms: settings.connect_timeout.as_millis(),
            })??;
        // Requests are small and latency matters more than packet count.
        let _ = stream.set_nodelay(true);
        Ok(Connection {
            addr: name,
            stream,
            settings,
            read_buf: BytesMut::with_capacity(8192),
            next_correlation_id: 0,
            in_flight: VecDeque::new(),
            broken: false,
        })
    }

    /// The broker address this connection goes to, as `host:port`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// How many requests await their reply.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Writes one request without waiting for its reply; returns its correlation id.
    pub async fn send<M: ApiRequest>(&mut self, version: i16, body: &M) -> Result<i32, NetError> {
        self.check_usable()?;
        let correlation_id = self.next_correlation_id;
        let mut buf = Vec::with_capacity(64 + body.encoded_size(version));
        encode_request(
            &mut buf,
            correlation_id,
            self.settings.client_id.as_deref(),
            version,
            body,
        )
        .map_err(|source| NetError::Encode {
            api: M::API_KEY,
            version,
            source,
        })?;
        if let Err(source) = self.stream.write_all(&buf).await {
            return Err(self.fail(NetError::Io {
                addr: self.addr.clone(),
                source,
            }));
        }
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);
        self.in_flight.push_back(InFlight {
            correlation_id,
            api_key: M::API_KEY,
            version,
        });
        Ok(correlation_id)
    }

    /// Writes one request the broker will not answer (Produce with acks=0): it takes a
    /// correlation id but is not queued for a reply.
    pub async fn send_oneway<M: ApiRequest>(
        &mut self,
        version: i16,
        body: &M,
    ) -> Result<(), NetError> {
        self.send(version, body).await?;
        self.in_flight.pop_back();
        Ok(())
    }

    /// Reads the reply to the oldest outstanding request, within `request.timeout.ms`.
    pub async fn recv(&mut self) -> Result<(InFlight, Response), NetError> {
        self.check_usable()?;
        let timeout = self.settings.request_timeout;
        let result = match tokio::time::timeout(timeout, self.recv_inner()).await {
            Ok(r) => r,
            Err(_) => Err(NetError::Timeout {
                addr: self.addr.clone(),
                ms: timeout.as_millis(),
            }),
        };
        result.map_err(|e| self.fail(e))
    }

    /// Sends one request and waits for its reply (earlier outstanding replies must have been
    /// read first, otherwise this reply is not the next one).
    pub async fn request<M: ApiRequest>(
        &mut self,
        version: i16,
        body: &M,
    ) -> Result<Response, NetError> {
        self.send(version, body).await?;
        let (_, response) = self.recv().await?;
        Ok(response)
    }

    fn check_usable(&self) -> Result<(), NetError> {
        if self.broken {
            return Err(NetError::Broken {
                addr: self.addr.clone(),
            });
        }
        Ok(())
    }

    /// Marks the connection unusable: after any error the byte stream may be out of step.
    fn fail(&mut self, e: NetError) -> NetError {
        self.broken = true;
        self.in_flight.clear();
        e
    }

    async fn recv_inner(&mut self) -> Result<(InFlight, Response), NetError> {
        let frame = loop {
            match decode_frame(&mut self.read_buf, self.settings.max_response_bytes) {
                Ok(Frame::Complete(f)) => break f,
                Ok(Frame::TooLarge { size, max }) => {
                    return Err(NetError::FrameTooLarge {
                        addr: self.addr.clone(),
                        size,
                        max,
                    });
                }
                Ok(Frame::Incomplete { needed }) => {
                    // Grow by what is known to be missing, bounded by the checked frame size.
                    self.read_buf.reserve(needed.min(1 << 20));
                    let n = self
                        .stream
                        .read_buf(&mut self.read_buf)
                        .await
                        .map_err(|source| NetError::Io {
                            addr: self.addr.clone(),
                            source,
                        })?;
                    if n == 0 {
                        return Err(NetError::Closed {
                            addr: self.addr.clone(),
                        });
                    }
                }
                Err(crate::protocol::frame::FrameError::NegativeLength(len)) => {
                    return Err(NetError::NegativeLength {
                        addr: self.addr.clone(),
                        len,
                    });
                }
            }
        };
        let got = frame
            .get(..4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| NetError::Closed {
                addr: self.addr.clone(),
            })?;
        let entry = match_reply(&mut self.in_flight, got, &self.addr)?;
        // A broker that does not know the requested ApiVersions version answers with a v0
        // body (error 35 and its table), whatever version was asked for.
        if entry.api_key == ApiKey::ApiVersions && entry.version > 0 {
            if let Ok((_, body)) = decode_response(entry.api_key, entry.version, frame.clone()) {
                return Ok((entry, body));
            }
            if let Ok((_, body)) = decode_response(entry.api_key, 0, frame.clone()) {
                return Ok((entry, body));
            }
        }
        let (_, body) = decode_response(entry.api_key, entry.version, frame).map_err(|source| {
            NetError::Decode {
                addr: self.addr.clone(),
                api: entry.api_key,
                version: entry.version,
                source,
            }
        })?;
        Ok((entry, body))
    }
}

#[cfg(test)]
mod tests;
