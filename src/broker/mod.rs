//! The Kafka broker: network server and request routing ([`server`], [`connection`],
//! [`limits`]), one handler file per API ([`handlers`]), and the metadata cache the handlers
//! answer from ([`metadata`]), the hosted partitions and their roles ([`replica`]), the topic
//! config watcher ([`config_watch`]). Replication
//! and the controller come later.

pub mod config_watch;
pub mod connection;
pub mod handlers;
pub mod limits;
pub mod metadata;
pub mod replica;
pub mod server;
