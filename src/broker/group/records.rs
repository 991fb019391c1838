//! `__consumer_offsets` records in Kafka's own formats, so Kafka's tools and brokers read
//! rkafka's data and the other way round. Each key and value is an int16 schema version and
//! the schema's fields: keys 0 and 1 are an OffsetCommitKey (group, topic, partition), key 2 a
//! GroupMetadataKey (group); a null value is a tombstone (offset or group deleted, removed by
//! compaction). rkafka writes offset values v3 (v1 when an explicit expiry is set) and group
//! values v3, as Kafka 3.x does; replay reads every version.

use bytes::{BufMut, Bytes, BytesMut};

use super::state::{CommittedOffset, StoredGroup, StoredMember};
use crate::protocol::codec::{DecodeError, Decoder, EncodeError};
use crate::protocol::internal::group_metadata_value::MemberMetadata;
use crate::protocol::internal::{
    GroupMetadataKey, GroupMetadataValue, OffsetCommitKey, OffsetCommitValue,
};

/// A record this module cannot read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("record has no key")]
    NoKey,
    #[error("unknown __consumer_offsets key version {version}")]
    UnknownKeyVersion { version: i16 },
    #[error("bad {what}: {source}")]
    Decode {
        what: &'static str,
        #[source]
        source: DecodeError,
    },
    #[error("cannot encode {what}: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: EncodeError,
    },
}

/// What one `__consumer_offsets` record says.
#[derive(Debug, Clone, PartialEq)]
pub enum OffsetsRecord {
    /// A committed offset, or its deletion (`None`).
    Offset {
        group: String,
        topic: String,
        partition: i32,
        value: Option<CommittedOffset>,
    },
    /// A group's metadata, or the group's deletion (`None`).
    Group {
        group: String,
        value: Option<StoredGroup>,
    },
}

const OFFSET_KEY_VERSION: i16 = 1;
const GROUP_KEY_VERSION: i16 = 2;
const GROUP_VALUE_VERSION: i16 = 3;

fn versioned(
    version: i16,
    what: &'static str,
    encode: impl FnOnce(&mut BytesMut) -> Result<(), EncodeError>,
) -> Result<Bytes, RecordError> {
    let mut buf = BytesMut::new();
    buf.put_i16(version);
    encode(&mut buf).map_err(|source| RecordError::Encode { what, source })?;
    Ok(buf.freeze())
}

/// The key of a committed offset.
pub fn offset_key(group: &str, topic: &str, partition: i32) -> Result<Bytes, RecordError> {
    let key = OffsetCommitKey {
        group: group.to_string(),
        topic: topic.to_string(),
        partition,
        ..OffsetCommitKey::default()
    };
    versioned(OFFSET_KEY_VERSION, "offset key", |b| {
        key.encode(b, OFFSET_KEY_VERSION)
    })
}

/// The value of a committed offset.
pub fn offset_value(o: &CommittedOffset) -> Result<Bytes, RecordError> {
    let version = if o.expire_timestamp >= 0 { 1 } else { 3 };
    let value = OffsetCommitValue {
        offset: o.offset,
        leader_epoch: o.leader_epoch,
        metadata: o.metadata.clone(),
        commit_timestamp: o.commit_timestamp,
        expire_timestamp: o.expire_timestamp,
        ..OffsetCommitValue::default()
    };
    versioned(version, "offset value", |b| value.encode(b, version))
}

/// The key of a group's metadata.
pub fn group_key(group: &str) -> Result<Bytes, RecordError> {
    let key = GroupMetadataKey {
        group: group.to_string(),
        ..GroupMetadataKey::default()
    };
    versioned(GROUP_KEY_VERSION, "group key", |b| {
        key.encode(b, GROUP_KEY_VERSION)
    })
}

/// The value of a group's metadata.
pub fn group_value(g: &StoredGroup) -> Result<Bytes, RecordError> {
    let value = GroupMetadataValue {
        protocol_type: g.protocol_type.clone(),
        generation: g.generation,
        protocol: g.protocol_name.clone(),
        leader: g.leader.clone(),
        current_state_timestamp: g.state_timestamp,
        members: g
            .members
            .iter()
            .map(|m| MemberMetadata {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                client_id: m.client_id.clone(),
                client_host: m.client_host.clone(),
                rebalance_timeout: m.rebalance_timeout_ms,
                session_timeout: m.session_timeout_ms,
                subscription: m.subscription.clone(),
                assignment: m.assignment.clone(),
                ..MemberMetadata::default()
            })
            .collect(),
        ..GroupMetadataValue::default()
    };
    versioned(GROUP_VALUE_VERSION, "group value", |b| {
        value.encode(b, GROUP_VALUE_VERSION)
    })
}

fn decode_err(what: &'static str) -> impl FnOnce(DecodeError) -> RecordError {
    move |source| RecordError::Decode { what, source }
}

/// Reads one record (key and nullable value).
pub fn decode(key: Option<&[u8]>, value: Option<&[u8]>) -> Result<OffsetsRecord, RecordError> {
    let key = key.ok_or(RecordError::NoKey)?;
    let mut k = Decoder::new(Bytes::copy_from_slice(key));
    let version = k.i16().map_err(decode_err("key version"))?;
    match version {
        0 | 1 => {
            let key = OffsetCommitKey::decode(&mut k, version).map_err(decode_err("offset key"))?;
            let value = match value {
                None => None,
                Some(v) => {
                    let mut d = Decoder::new(Bytes::copy_from_slice(v));
                    let vv = d.i16().map_err(decode_err("offset value version"))?;
                    let v = OffsetCommitValue::decode(&mut d, vv)
                        .map_err(decode_err("offset value"))?;
                    Some(CommittedOffset {
                        offset: v.offset,
                        leader_epoch: v.leader_epoch,
                        metadata: v.metadata,
                        commit_timestamp: v.commit_timestamp,
                        expire_timestamp: v.expire_timestamp,
                    })
                }
            };
            Ok(OffsetsRecord::Offset {
                group: key.group,
                topic: key.topic,
                partition: key.partition,
                value,
            })
        }
        2 => {
            let key = GroupMetadataKey::decode(&mut k, version).map_err(decode_err("group key"))?;
            let value = match value {
                None => None,
                Some(v) => {
                    let mut d = Decoder::new(Bytes::copy_from_slice(v));
                    let vv = d.i16().map_err(decode_err("group value version"))?;
                    let v = GroupMetadataValue::decode(&mut d, vv)
                        .map_err(decode_err("group value"))?;
                    Some(StoredGroup {
                        protocol_type: v.protocol_type,
                        generation: v.generation,
                        protocol_name: v.protocol.filter(|p| !p.is_empty()),
                        leader: v.leader.filter(|l| !l.is_empty()),
                        state_timestamp: v.current_state_timestamp,
                        members: v
                            .members
                            .into_iter()
                            .map(|m| StoredMember {
                                member_id: m.member_id,
                                group_instance_id: m.group_instance_id,
                                client_id: m.client_id,
                                client_host: m.client_host,
                                rebalance_timeout_ms: if m.rebalance_timeout < 0 {
                                    m.session_timeout
                                } else {
                                    m.rebalance_timeout
                                },
                                session_timeout_ms: m.session_timeout,
                                subscription: m.subscription,
                                assignment: m.assignment,
                            })
                            .collect(),
                    })
                }
            };
            Ok(OffsetsRecord::Group {
                group: key.group,
                value,
            })
        }
        version => Err(RecordError::UnknownKeyVersion { version }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_in_kafkas_layout() {
        let o = CommittedOffset {
            offset: 42,
            leader_epoch: 3,
            metadata: "m".into(),
            commit_timestamp: 1_700_000_000_000,
            expire_timestamp: -1,
        };
        let key = offset_key("g", "t", 7).unwrap();
        // version 1, then group "g", topic "t", partition 7 (int16 string lengths)
        assert_eq!(&key[..], &[0, 1, 0, 1, b'g', 0, 1, b't', 0, 0, 0, 7]);
        let value = offset_value(&o).unwrap();
        assert_eq!(&value[..2], &[0, 3]);
        let back = decode(Some(&key), Some(&value)).unwrap();
        assert_eq!(
            back,
            OffsetsRecord::Offset {
                group: "g".into(),
                topic: "t".into(),
                partition: 7,
                value: Some(o.clone()),
            }
        );
        let tomb = decode(Some(&key), None).unwrap();
        assert!(matches!(tomb, OffsetsRecord::Offset { value: None, .. }));
        let with_expiry = CommittedOffset {
            expire_timestamp: 5,
            ..o
        };
        let v1 = offset_value(&with_expiry).unwrap();
        assert_eq!(&v1[..2], &[0, 1]);
        let OffsetsRecord::Offset { value: Some(v), .. } = decode(Some(&key), Some(&v1)).unwrap()
        else {
            panic!()
        };
        assert_eq!(v.expire_timestamp, 5);
        assert_eq!(v.leader_epoch, -1, "v1 has no leader epoch");
    }

    #[test]
    fn group_metadata_round_trips() {
        let g = StoredGroup {
            protocol_type: "consumer".into(),
            generation: 4,
            protocol_name: Some("range".into()),
            leader: Some("m1".into()),
            state_timestamp: 99,
            members: vec![StoredMember {
                member_id: "m1".into(),
                group_instance_id: Some("i1".into()),
                client_id: "c".into(),
                client_host: "/127.0.0.1".into(),
                rebalance_timeout_ms: 300_000,
                session_timeout_ms: 10_000,
                subscription: Bytes::from_static(b"sub"),
                assignment: Bytes::from_static(b"asg"),
            }],
        };
        let key = group_key("g").unwrap();
        assert_eq!(&key[..], &[0, 2, 0, 1, b'g']);
        let value = group_value(&g).unwrap();
        assert_eq!(
            decode(Some(&key), Some(&value)).unwrap(),
            OffsetsRecord::Group {
                group: "g".into(),
                value: Some(g)
            }
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(None, None).is_err());
        assert!(decode(Some(&[0]), None).is_err());
        assert!(decode(Some(&[0, 9, 0, 0]), None).is_err());
        assert!(decode(Some(&[0, 1, 0, 5, b'g']), None).is_err());
        let key = group_key("g").unwrap();
        assert!(decode(Some(&key), Some(&[0, 3, 0xff])).is_err());
    }
}
