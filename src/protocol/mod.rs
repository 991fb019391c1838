//! The Kafka wire protocol, pure (no sockets, no tokio).
pub mod codec;
pub mod internal;
pub mod messages;
