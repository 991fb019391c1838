//! The Kafka broker: network server and request routing ([`server`], [`connection`],
//! [`limits`]), one handler file per API ([`handlers`]), and the metadata cache the handlers
//! answer from ([`metadata`]), the hosted partitions and their roles ([`replica`]), and
//! Kafka's ZooKeeper-mode controller ([`controller`]). Replication comes later.

pub mod connection;
pub mod controller;
pub mod handlers;
pub mod limits;
pub mod metadata;
pub mod replica;
pub mod server;
