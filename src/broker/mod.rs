//! The Kafka broker: network server and request routing ([`server`], [`connection`],
//! [`limits`]), one handler file per API ([`handlers`]), and the metadata cache the handlers
//! answer from ([`metadata`]), the hosted partitions and their roles ([`replica`]),
//! Kafka's ZooKeeper-mode controller ([`controller`]), the group coordinator ([`group`]) and
//! the topic config watcher ([`config_watch`]). [`runtime`] runs the broker process (start-up, coordinator registration
//! via [`registration`], session expiry, periodic log work, shutdown).

pub mod config_watch;
pub mod connection;
pub mod controller;
pub mod group;
pub mod handlers;
pub mod limits;
pub mod metadata;
pub mod registration;
pub mod replica;
pub mod runtime;
pub mod server;
