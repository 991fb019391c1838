//! Kafka wire protocol, pure: bytes in, typed values out, no sockets and no tokio.

pub mod records;
