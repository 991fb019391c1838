//! The Kafka wire protocol, pure (no sockets, no tokio).
pub mod codec;
