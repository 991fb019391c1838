//! The Kafka broker: network server and request routing ([`server`], [`connection`],
//! [`limits`]), one handler file per API ([`handlers`]), and the metadata cache the handlers
//! answer from ([`metadata`]), the hosted partitions and their roles ([`replica`]), and
//! Kafka's ZooKeeper-mode controller ([`controller`]). Replication comes later. [`runtime`]
//! runs the broker process (start-up, coordinator registration via [`registration`], session
//! expiry, periodic log work, shutdown).

pub mod connection;
pub mod controller;
pub mod handlers;
pub mod limits;
pub mod metadata;
pub mod registration;
pub mod replica;
pub mod runtime;
pub mod server;
