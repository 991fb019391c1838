//! Cluster administration logic shared by the tools and the broker's controller, pure: topic
//! name rules, replica placement, replica-assignment parsing and reassignment plans, with
//! Kafka's rules and error messages (Kafka's `AdminUtils`, `AdminZkClient` checks, `Topic`).
//!
//! | module         | owns |
//! |----------------|------|
//! | [`topic_name`] | legal topic names, internal topics, '.'/'_' collisions |
//! | [`assignment`] | rack-unaware replica placement, `--replica-assignment` lists, validation, replication-factor changes |

pub mod assignment;
pub mod topic_name;
pub mod zk_topics;
