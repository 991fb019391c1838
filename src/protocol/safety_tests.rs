//! Hostile-input and known-bytes tests across the protocol modules: lengths and counts that
//! lie, random bytes for every API key and version, and encodings checked byte by byte
//! against what the spec says Kafka sends.

use bytes::{Bytes, BytesMut};

use crate::protocol::codec::test_support::Rng;
use crate::protocol::codec::{DecodeErrorKind, Decoder};
use crate::protocol::frame::{DEFAULT_MAX_REQUEST_BYTES, Frame, decode_frame};
use crate::protocol::header::{decode_request, decode_request_header, encode_request};
use crate::protocol::messages::metadata_request::MetadataRequestTopic;
use crate::protocol::messages::produce_request::TopicProduceData;
use crate::protocol::messages::{
    ApiKey, MetadataRequest, ProduceRequest, Request, RequestHeader, Response,
};

/// A 26-byte Metadata v9 request frame whose topics array claims 2^31 elements.
fn hostile_metadata_v9() -> Vec<u8> {
    let mut f = vec![0, 0, 0, 22]; // frame length
    f.extend_from_slice(&[0, 3, 0, 9, 0, 0, 0, 1]); // Metadata v9, correlation id 1
    f.extend_from_slice(&[0, 6, b'c', b'l', b'i', b'e', b'n', b't', 0]); // client id, no tags
    f.extend_from_slice(&[0x81, 0x80, 0x80, 0x80, 0x08]); // compact count 2^31 (+1)
    f
}

#[test]
fn metadata_request_claiming_2_pow_31_topics_is_an_error() {
    let raw = hostile_metadata_v9();
    assert_eq!(raw.len(), 26);
    let mut buf = BytesMut::from(&raw[..]);
    let Ok(Frame::Complete(frame)) = decode_frame(&mut buf, DEFAULT_MAX_REQUEST_BYTES) else {
        panic!("frame")
    };
    let err = decode_request(frame).unwrap_err();
    // 2^31 is past Kafka's int32 limit for any count, whatever the bytes left.
    assert_eq!(
        err.kind(),
        &DecodeErrorKind::TooLong {
            what: "array",
            len: 1 << 31
        }
    );
    assert_eq!(err.path(), "topics");
    assert_eq!(
        err.to_string(),
        "MetadataRequest v9: topics: array length 2147483648 too long"
    );

    // Non-flexible form: int32 count 2^31-1 with four bytes left.
    let mut body = vec![0, 3, 0, 4, 0, 0, 0, 1, 0, 0]; // Metadata v4, client id ""
    body.extend_from_slice(&[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    let err = decode_request(Bytes::from(body)).unwrap_err();
    assert_eq!(
        err.kind(),
        &DecodeErrorKind::CountPastEnd {
            count: i32::MAX as usize,
            min_size: 2,
            remaining: 4
        }
    );

    // Flexible form with a count that fits int32 but not the input: 2^31-1.
    let mut body = vec![0, 3, 0, 9, 0, 0, 0, 1, 0, 0, 0];
    body.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x08]);
    let err = decode_request(Bytes::from(body)).unwrap_err();
    assert!(matches!(
        err.kind(),
        DecodeErrorKind::CountPastEnd {
            count: 2147483647,
            ..
        }
    ));
}

#[test]
fn string_length_past_end_names_the_field() {
    let mut body = vec![0, 0, 0, 7, 0, 0, 0, 1, 0, 0]; // Produce v7, client id ""
    body.extend_from_slice(&[0xff, 0xff, 0, 1, 0, 0, 0, 100]); // null txn id, acks, timeout
    body.extend_from_slice(&[0, 0, 0, 1, 0x01, 0x2c]); // 1 topic, name length 300
    body.extend_from_slice(b"abcdef");
    let err = decode_request(Bytes::from(body)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ProduceRequest v7: topic_data[0].name: string length 300 past end (6 bytes left)"
    );
}

#[test]
fn negative_lengths_other_than_null_are_errors() {
    // ClientId length -2 in a request header v1.
    let raw = Bytes::from_static(&[0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xfe]);
    let err = decode_request_header(raw).unwrap_err();
    assert!(matches!(
        err.kind(),
        DecodeErrorKind::NegativeLength { len: -2, .. }
    ));
    // Records length -7 in a Produce v3 partition.
    let mut body = vec![0xff, 0xff, 0, 1, 0, 0, 0, 100, 0, 0, 0, 1, 0, 1, b't'];
    body.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf9]);
    let err = ProduceRequest::decode(&mut Decoder::new(Bytes::from(body)), 3).unwrap_err();
    assert!(matches!(
        err.kind(),
        DecodeErrorKind::NegativeLength { len: -7, .. }
    ));
    assert_eq!(err.path(), "topic_data[0].partition_data[0].records");
}

#[test]
fn versions_outside_the_spec_are_rejected() {
    let err = MetadataRequest::decode(&mut Decoder::new(Bytes::new()), 13).unwrap_err();
    assert!(matches!(
        err.kind(),
        DecodeErrorKind::UnsupportedVersion {
            version: 13,
            min: 0,
            max: 12
        }
    ));
    assert!(
        MetadataRequest::default()
            .encode(&mut BytesMut::new(), -1)
            .is_err()
    );
}

#[test]
fn random_bytes_never_panic_for_any_api_key_or_version() {
    let mut rng = Rng::new(0x006b_6166_6b61);
    let mut decoded = 0usize;
    for i in 0..20_000 {
        let key = ApiKey::ALL[i % ApiKey::ALL.len()];
        let (min, max) = key.valid_versions();
        // Also try one version past the spec on each side.
        let version = (min - 1) + rng.below((max - min + 3) as usize) as i16;
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let bytes = Bytes::from(bytes);
        if Request::decode(key.key(), version, &mut Decoder::new(bytes.clone())).is_ok() {
            decoded += 1;
        }
        let _ = Response::decode(key.key(), version, &mut Decoder::new(bytes.clone()));
        let _ = RequestHeader::decode(&mut Decoder::new(bytes.clone()), (i % 3) as i16);
        let _ = decode_request_header(bytes);
    }
    // Some short random inputs are valid bodies (many requests are a few ints).
    assert!(decoded > 0);
}

#[test]
fn metadata_v4_request_known_bytes() {
    let body = MetadataRequest {
        topics: Some(vec![MetadataRequestTopic {
            name: Some("foo".into()),
            ..MetadataRequestTopic::default()
        }]),
        allow_auto_topic_creation: false,
        ..MetadataRequest::default()
    };
    let mut buf = BytesMut::new();
    encode_request(&mut buf, 42, Some("c"), 4, &body).unwrap();
    let expected: &[u8] = &[
        0, 0, 0, 21, // length
        0, 3, 0, 4, 0, 0, 0, 42, // Metadata v4, correlation id 42
        0, 1, b'c', // client id
        0, 0, 0, 1, // one topic
        0, 3, b'f', b'o', b'o', // name
        0,    // allow_auto_topic_creation = false
    ];
    assert_eq!(&buf[..], expected);
    let (_, decoded) = decode_request(Bytes::copy_from_slice(&buf[4..])).unwrap();
    assert_eq!(decoded, Request::Metadata(body));
}

#[test]
fn produce_v9_request_known_bytes_with_records_uncopied() {
    use crate::protocol::codec::ChainWriter;
    use crate::protocol::messages::produce_request::PartitionProduceData;
    let records = Bytes::from(vec![0xab; 2048]);
    let body = ProduceRequest {
        transactional_id: None,
        acks: -1,
        timeout_ms: 30_000,
        topic_data: vec![TopicProduceData {
            name: "t".into(),
            partition_data: vec![PartitionProduceData {
                index: 0,
                records: Some(records.clone()),
                ..PartitionProduceData::default()
            }],
            ..TopicProduceData::default()
        }],
        ..ProduceRequest::default()
    };
    let mut w = ChainWriter::default();
    body.encode(&mut w, 9).unwrap();
    let chunks = w.finish();
    assert_eq!(chunks.len(), 3, "prefix, records, trailing tags");
    assert_eq!(chunks[1].as_ptr(), records.as_ptr());
    let head: &[u8] = &[
        0, // null transactional id (compact)
        0xff, 0xff, // acks -1
        0, 0, 0x75, 0x30, // timeout 30000
        2,    // one topic (compact)
        2, b't', // name
        2,    // one partition
        0, 0, 0, 0, // index 0
        0x81, 0x10, // records length 2048 + 1 as unsigned varint
    ];
    assert_eq!(&chunks[0][..], head);
    assert_eq!(
        &chunks[2][..],
        &[0, 0, 0],
        "partition, topic and request tags"
    );
    assert_eq!(body.encoded_size(9), head.len() + 2048 + 3);
}

#[test]
fn api_versions_response_v3_known_bytes_with_tagged_fields() {
    use crate::protocol::messages::ApiVersionsResponse;
    let bytes: &[u8] = &[
        0, 0, // error code
        2, // one api key (compact array)
        0, 18, 0, 0, 0, 3, 0, // ApiVersions 0-3, no tags
        0, 0, 0, 0, // throttle time
        3, // three tagged fields, in tag order
        0, 8, 2, 2, b'x', 0, 1, 0, 2, 0, // tag 0: supported features [x 1-2]
        1, 8, 0, 0, 0, 0, 0, 0, 0, 5, // tag 1: finalized features epoch 5
        3, 1, 1, // tag 3: zk migration ready
    ];
    let resp = ApiVersionsResponse::decode(&mut Decoder::new(Bytes::from_static(bytes)), 3)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.api_keys.len(), 1);
    assert_eq!(resp.api_keys[0].api_key, 18);
    assert_eq!(resp.api_keys[0].max_version, 3);
    assert_eq!(resp.supported_features.len(), 1);
    assert_eq!(resp.supported_features[0].name, "x");
    assert_eq!(resp.supported_features[0].max_version, 2);
    assert_eq!(resp.finalized_features_epoch, 5);
    assert!(resp.finalized_features.is_empty());
    assert!(resp.zk_migration_ready);
    assert!(resp.unknown_tagged_fields.is_empty());
    let mut out = BytesMut::new();
    resp.encode(&mut out, 3).unwrap();
    assert_eq!(&out[..], bytes);

    // An unknown tag sent first is kept and written back in tag order (after tag 3).
    let mut with_unknown = bytes.to_vec();
    with_unknown[14] = 4;
    with_unknown.splice(15..15, [7, 2, 0xaa, 0xbb]);
    let resp = ApiVersionsResponse::decode(&mut Decoder::new(Bytes::from(with_unknown)), 3)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.unknown_tagged_fields.len(), 1);
    assert_eq!(resp.unknown_tagged_fields[0].tag, 7);
    let mut out = BytesMut::new();
    resp.encode(&mut out, 3).unwrap();
    let mut expected = bytes.to_vec();
    expected[14] = 4;
    expected.extend_from_slice(&[7, 2, 0xaa, 0xbb]);
    assert_eq!(&out[..], &expected[..]);
}
