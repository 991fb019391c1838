//! The consumer's embedded group protocol: the subscription a member puts in JoinGroup's
//! protocol metadata and the assignment the leader hands out through SyncGroup. Both are a
//! big-endian int16 version followed by the versioned struct (generated codecs in
//! `protocol::messages`). Pure; every length is checked by the decoder.
//!
//! Forward compatibility as Kafka does it: a newer version than rkafka knows is read with
//! the newest known layout (fields are only ever appended) and trailing bytes are ignored.

use std::collections::BTreeMap;

use bytes::{BufMut, Bytes, BytesMut};

use crate::protocol::codec::{DecodeError, Decoder, EncodeError};
use crate::protocol::messages::consumer_protocol_assignment as wire_assignment;
use crate::protocol::messages::consumer_protocol_subscription as wire_subscription;
use crate::protocol::messages::{ConsumerProtocolAssignment, ConsumerProtocolSubscription};

/// The protocol type consumers register under (JoinGroup `ProtocolType`).
pub const PROTOCOL_TYPE: &str = "consumer";
/// Highest ConsumerProtocolSubscription / Assignment version rkafka reads and writes.
pub const MAX_VERSION: i16 = 3;

/// One partition of one topic. Orders by topic, then partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: &str, partition: i32) -> Self {
        TopicPartition {
            topic: topic.to_string(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// What a member asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subscription {
    /// Topic names, as subscribed (a regex is resolved to names before joining).
    pub topics: Vec<String>,
    /// Assignor-specific data (sticky assignors keep their state here).
    pub user_data: Option<Bytes>,
    /// Partitions the member still owns (cooperative rebalancing; v1+).
    pub owned_partitions: Vec<TopicPartition>,
    /// The generation `owned_partitions` belong to, -1 unknown (v2+).
    pub generation: i32,
    /// `client.rack` (v3+).
    pub rack: Option<String>,
}

/// What the leader gives a member.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    pub partitions: Vec<TopicPartition>,
    pub user_data: Option<Bytes>,
}

/// Embedded protocol data that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("consumer protocol data too short for its version ({len} bytes)")]
    TooShort { len: usize },
    #[error("consumer protocol version {version} is negative")]
    BadVersion { version: i16 },
    #[error("malformed consumer protocol data: {0}")]
    Decode(#[from] DecodeError),
    #[error("cannot encode consumer protocol data: {0}")]
    Encode(#[from] EncodeError),
}

/// Groups partitions by topic in topic order (partitions in the order given).
fn by_topic(partitions: &[TopicPartition]) -> BTreeMap<&str, Vec<i32>> {
    let mut map: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for tp in partitions {
        map.entry(&tp.topic).or_default().push(tp.partition);
    }
    map
}

fn flatten(pairs: impl IntoIterator<Item = (String, Vec<i32>)>) -> Vec<TopicPartition> {
    let mut out = Vec::new();
    for (topic, parts) in pairs {
        for p in parts {
            out.push(TopicPartition {
                topic: topic.clone(),
                partition: p,
            });
        }
    }
    out
}

/// Reads the version prefix; the body is read with `min(version, MAX_VERSION)`.
fn split_version(data: &Bytes) -> Result<(i16, Decoder), ProtocolError> {
    if data.len() < 2 {
        return Err(ProtocolError::TooShort { len: data.len() });
    }
    let version = i16::from_be_bytes([data[0], data[1]]);
    if version < 0 {
        return Err(ProtocolError::BadVersion { version });
    }
    Ok((version.min(MAX_VERSION), Decoder::new(data.slice(2..))))
}

/// Encodes `s` in `version` (0..=3) with its version prefix.
pub fn encode_subscription(s: &Subscription, version: i16) -> Result<Bytes, ProtocolError> {
    let version = version.clamp(0, MAX_VERSION);
    let wire = ConsumerProtocolSubscription {
        topics: s.topics.clone(),
        user_data: s.user_data.clone(),
        owned_partitions: if version >= 1 {
            by_topic(&s.owned_partitions)
                .into_iter()
                .map(|(t, p)| wire_subscription::TopicPartition {
                    topic: t.to_string(),
                    partitions: p,
                    ..Default::default()
                })
                .collect()
        } else {
            Vec::new()
        },
        generation_id: if version >= 2 { s.generation } else { -1 },
        rack_id: if version >= 3 { s.rack.clone() } else { None },
        ..Default::default()
    };
    let mut buf = BytesMut::with_capacity(2 + wire.encoded_size(version));
    buf.put_i16(version);
    wire.encode(&mut buf, version)?;
    Ok(buf.freeze())
}

/// Decodes a member's protocol metadata.
pub fn decode_subscription(data: &Bytes) -> Result<Subscription, ProtocolError> {
    let (version, mut d) = split_version(data)?;
    let wire = ConsumerProtocolSubscription::decode(&mut d, version)?;
    Ok(Subscription {
        topics: wire.topics,
        user_data: wire.user_data,
        owned_partitions: flatten(
            wire.owned_partitions
                .into_iter()
                .map(|t| (t.topic, t.partitions)),
        ),
        generation: wire.generation_id,
        rack: wire.rack_id,
    })
}

/// Encodes `a` in `version` (0..=3; all versions share one layout) with its prefix.
pub fn encode_assignment(a: &Assignment, version: i16) -> Result<Bytes, ProtocolError> {
    let version = version.clamp(0, MAX_VERSION);
    let wire = ConsumerProtocolAssignment {
        assigned_partitions: by_topic(&a.partitions)
            .into_iter()
            .map(|(t, p)| wire_assignment::TopicPartition {
                topic: t.to_string(),
                partitions: p,
                ..Default::default()
            })
            .collect(),
        user_data: a.user_data.clone(),
        ..Default::default()
    };
    let mut buf = BytesMut::with_capacity(2 + wire.encoded_size(version));
    buf.put_i16(version);
    wire.encode(&mut buf, version)?;
    Ok(buf.freeze())
}

/// Decodes SyncGroup's assignment; an empty buffer (the leader gave nothing, or the member
/// was not part of the generation's plan) is an empty assignment, as in Kafka.
pub fn decode_assignment(data: &Bytes) -> Result<Assignment, ProtocolError> {
    if data.is_empty() {
        return Ok(Assignment::default());
    }
    let (version, mut d) = split_version(data)?;
    let wire = ConsumerProtocolAssignment::decode(&mut d, version)?;
    Ok(Assignment {
        partitions: flatten(
            wire.assigned_partitions
                .into_iter()
                .map(|t| (t.topic, t.partitions)),
        ),
        user_data: wire.user_data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(t: &str, p: i32) -> TopicPartition {
        TopicPartition::new(t, p)
    }

    #[test]
    fn subscription_round_trips_in_every_version() {
        let s = Subscription {
            topics: vec!["a".into(), "b".into()],
            user_data: Some(Bytes::from_static(b"ud")),
            owned_partitions: vec![tp("a", 0), tp("b", 2), tp("a", 1)],
            generation: 7,
            rack: Some("r1".into()),
        };
        let v3 = decode_subscription(&encode_subscription(&s, 3).unwrap()).unwrap();
        assert_eq!(
            v3.owned_partitions,
            vec![tp("a", 0), tp("a", 1), tp("b", 2)]
        );
        assert_eq!((v3.generation, v3.rack.as_deref()), (7, Some("r1")));
        let v0 = decode_subscription(&encode_subscription(&s, 0).unwrap()).unwrap();
        assert_eq!(v0.topics, s.topics);
        assert!(v0.owned_partitions.is_empty());
        assert_eq!(v0.generation, -1);
    }

    #[test]
    fn version_zero_bytes_are_kafkas() {
        // version 0, one topic "t", null user data.
        let bytes = encode_subscription(
            &Subscription {
                topics: vec!["t".into()],
                ..Subscription::default()
            },
            0,
        )
        .unwrap();
        assert_eq!(
            &bytes[..],
            &[0, 0, 0, 0, 0, 1, 0, 1, b't', 0xff, 0xff, 0xff, 0xff]
        );
    }

    #[test]
    fn newer_versions_and_trailing_bytes_are_tolerated() {
        let s = Subscription {
            topics: vec!["t".into()],
            ..Subscription::default()
        };
        let mut raw = encode_subscription(&s, 3).unwrap().to_vec();
        raw[1] = 9;
        raw.extend_from_slice(&[1, 2, 3]);
        assert_eq!(
            decode_subscription(&Bytes::from(raw)).unwrap().topics,
            s.topics
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(decode_subscription(&Bytes::from_static(b"\0")).is_err());
        assert!(decode_subscription(&Bytes::from_static(b"\xff\xff\0\0")).is_err());
        // a topic array claiming 2^31-1 entries in a few bytes
        assert!(decode_subscription(&Bytes::from_static(b"\0\0\x7f\xff\xff\xff\0")).is_err());
        assert!(decode_assignment(&Bytes::from_static(b"\0\0\0\0\0\x05")).is_err());
        assert_eq!(
            decode_assignment(&Bytes::new()).unwrap(),
            Assignment::default()
        );
    }

    #[test]
    fn assignment_round_trips() {
        let a = Assignment {
            partitions: vec![tp("x", 3), tp("a", 1)],
            user_data: None,
        };
        let back = decode_assignment(&encode_assignment(&a, 0).unwrap()).unwrap();
        assert_eq!(back.partitions, vec![tp("a", 1), tp("x", 3)]);
    }
}
