//! Golden request frames from real clients, decoded with rkafka's codecs.
//!
//! The frames under tests/golden/frames were captured by tests/golden/capture.py (a proxy in
//! front of a real Kafka 3.9 broker; see its header for how to regenerate) from kcat 1.7.1
//! (librdkafka 2.0.2), kafka-python 3.0 and Kafka 3.9's Java clients. File names are
//! `<client>-<api>-v<version>.bin`; each file is one length-prefixed request frame.
//!
//! Every frame must decode, name the API and version of its file, carry its client's id and
//! re-encode to exactly the captured bytes. The per-client tests then check the values the
//! capture scenarios fixed: topics, partitions, record batches (lz4, gzip and zstd) and their
//! keys and values, group ids, member ids, subscriptions, assignments and committed offsets.
//! Values a regeneration changes (timestamps, member id suffixes, topic ids) are checked by
//! shape only.

use std::path::PathBuf;

use bytes::{Buf, Bytes, BytesMut};
use rkafka::protocol::codec::Uuid;
use rkafka::protocol::frame::{Frame, decode_frame};
use rkafka::protocol::header::decode_request;
use rkafka::protocol::messages::{ApiKey, Request, RequestHeader, request_header_version};
use rkafka::protocol::records::{
    Batch, Batches, Compression, DEFAULT_DECOMPRESSION_LIMIT, RecordBatch,
};

fn frames_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/frames")
}

fn frame_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(frames_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".bin"))
        .collect();
    names.sort();
    names
}

/// One captured frame: its bytes (with prefix), header and decoded body.
fn load(name: &str) -> (Bytes, RequestHeader, Request) {
    let raw = std::fs::read(frames_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut buf = BytesMut::from(&raw[..]);
    let body = match decode_frame(&mut buf, usize::MAX).unwrap() {
        Frame::Complete(body) => body,
        other => panic!("{name}: not one whole frame: {other:?}"),
    };
    assert!(buf.is_empty(), "{name}: bytes after the frame");
    let (header, request) =
        decode_request(body).unwrap_or_else(|e| panic!("{name}: does not decode: {e}"));
    (Bytes::from(raw), header, request)
}

/// Encodes header and body again, with the length prefix.
fn reencode(header: &RequestHeader, request: &Request) -> Vec<u8> {
    let key = ApiKey::from_i16(header.request_api_key).unwrap();
    let version = header.request_api_version;
    let mut body = BytesMut::new();
    header
        .encode(&mut body, request_header_version(key, version))
        .unwrap();
    request.encode(&mut body, version).unwrap();
    let mut out = i32::try_from(body.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

/// `api-versions` -> `ApiVersions`, as [`ApiKey::name`] spells it.
fn camel(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The client id each capture scenario set (the Java admin client names itself).
fn expected_client_id(name: &str) -> &'static str {
    for (prefix, id) in [
        ("kcat", "golden-kcat"),
        ("python", "golden-python"),
        ("java-producer", "golden-java"),
        ("java-consumer", "golden-java-consumer"),
        ("java-admin", "adminclient-1"),
    ] {
        if name.starts_with(&format!("{prefix}-")) {
            return id;
        }
    }
    panic!("{name}: unknown client prefix")
}

#[test]
fn every_frame_decodes_names_its_api_and_reencodes_byte_for_byte() {
    let names = frame_names();
    assert!(names.len() >= 40, "only {} golden frames", names.len());
    let mut apis = std::collections::BTreeSet::new();
    for name in &names {
        let (raw, header, request) = load(name);
        let stem = name.strip_suffix(".bin").unwrap();
        let (rest, version) = stem.rsplit_once("-v").unwrap();
        let version: i16 = version.parse().unwrap();
        let key = ApiKey::from_i16(header.request_api_key).unwrap();
        assert!(
            rest.ends_with(&format!("-{}", kebab_of(key))),
            "{name}: decoded as {}",
            key.name()
        );
        assert_eq!(camel(kebab_of(key)), key.name(), "{name}");
        assert_eq!(header.request_api_version, version, "{name}");
        assert_eq!(request.api_key(), key, "{name}");
        assert_eq!(
            header.client_id.as_deref(),
            Some(expected_client_id(name)),
            "{name}"
        );
        assert!(header.correlation_id >= 0, "{name}");
        assert!(header.unknown_tagged_fields.is_empty(), "{name}");
        assert_eq!(
            reencode(&header, &request),
            raw,
            "{name}: re-encoding differs"
        );
        apis.insert(key.name());
    }
    // Produce, Fetch, ListOffsets, Metadata, OffsetCommit, OffsetFetch, FindCoordinator,
    // JoinGroup, Heartbeat, LeaveGroup, SyncGroup, ApiVersions, CreateTopics, InitProducerId
    assert_eq!(apis.len(), 14, "{apis:?}");
}

/// The file-name spelling of an API (the inverse of [`camel`]).
fn kebab_of(key: ApiKey) -> &'static str {
    match key {
        ApiKey::Produce => "produce",
        ApiKey::Fetch => "fetch",
        ApiKey::ListOffsets => "list-offsets",
        ApiKey::Metadata => "metadata",
        ApiKey::OffsetCommit => "offset-commit",
        ApiKey::OffsetFetch => "offset-fetch",
        ApiKey::FindCoordinator => "find-coordinator",
        ApiKey::JoinGroup => "join-group",
        ApiKey::Heartbeat => "heartbeat",
        ApiKey::LeaveGroup => "leave-group",
        ApiKey::SyncGroup => "sync-group",
        ApiKey::ApiVersions => "api-versions",
        ApiKey::CreateTopics => "create-topics",
        ApiKey::InitProducerId => "init-producer-id",
        other => panic!("no golden frame expected for {other}"),
    }
}

macro_rules! body {
    ($name:expr, $variant:ident) => {{
        let (_, header, request) = load($name);
        match request {
            Request::$variant(body) => (header, body),
            other => panic!("{}: not {}: {other:?}", $name, stringify!($variant)),
        }
    }};
}

/// The single batch of a produce request's partition, CRC checked, with its (key, value)s.
fn batch_records(records: &Bytes) -> (RecordBatch, Vec<(String, String)>) {
    let mut batches: Vec<Batch> = Batches::new(records.clone()).map(|b| b.unwrap()).collect();
    assert_eq!(batches.len(), 1, "one batch per partition");
    let Batch::V2(batch) = batches.remove(0) else {
        panic!("not a v2 batch")
    };
    batch.validate().unwrap();
    let kvs = batch
        .records(DEFAULT_DECOMPRESSION_LIMIT)
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            let text = |b: Option<Bytes>| String::from_utf8(b.unwrap().to_vec()).unwrap();
            (text(r.key), text(r.value))
        })
        .collect();
    (batch, kvs)
}

/// The values capture.py produces with kcat and kafka-python: long and repetitive, so the
/// clients really compress them.
fn padded(prefix: &str, i: u32) -> String {
    format!("{prefix}-{i}-{}", "abcd".repeat(50))
}

/// Topics of a consumer-protocol subscription (JoinGroup metadata): version int16, then an
/// int32 count of int16-length names; the rest (user data, owned partitions...) is ignored.
fn subscription_topics(metadata: &Bytes) -> (i16, Vec<String>) {
    let mut b = metadata.clone();
    let version = b.get_i16();
    let count = b.get_i32();
    let topics = (0..count).map(|_| read_string(&mut b)).collect();
    (version, topics)
}

/// (topic, partitions) pairs of a consumer-protocol assignment (SyncGroup assignment).
fn assignment_partitions(assignment: &Bytes) -> Vec<(String, Vec<i32>)> {
    let mut b = assignment.clone();
    let _version = b.get_i16();
    let count = b.get_i32();
    (0..count)
        .map(|_| {
            let topic = read_string(&mut b);
            let n = b.get_i32();
            (topic, (0..n).map(|_| b.get_i32()).collect())
        })
        .collect()
}

fn read_string(b: &mut Bytes) -> String {
    let len = usize::try_from(b.get_i16()).unwrap();
    String::from_utf8(b.split_to(len).to_vec()).unwrap()
}

fn assert_member_id(member_id: &str, client_id: &str) {
    // Kafka's group coordinator names members `<client id>-<UUID>`.
    let suffix = member_id
        .strip_prefix(&format!("{client_id}-"))
        .unwrap_or_else(|| panic!("member id {member_id:?} does not start with {client_id}-"));
    assert_eq!(suffix.len(), 36, "{member_id}");
}

#[test]
fn kcat_api_versions_and_metadata() {
    for name in [
        "kcat-api-versions-v3.bin",
        "kcat-lz4-api-versions-v3.bin",
        "kcat-consume-api-versions-v3.bin",
        "kcat-group-api-versions-v3.bin",
    ] {
        let (header, body) = body!(name, ApiVersions);
        assert_eq!(header.request_api_version, 3);
        assert_eq!(body.client_software_name, "librdkafka");
        assert_eq!(body.client_software_version, "2.0.2");
    }
    let (_, meta) = body!("kcat-metadata-v4.bin", Metadata);
    let topics = meta.topics.unwrap();
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].name.as_deref(), Some("golden"));
    assert!(meta.allow_auto_topic_creation);
    // the consumer's metadata never auto-creates; the group's first asks for brokers only
    let (_, meta) = body!("kcat-consume-metadata-v4.bin", Metadata);
    assert!(!meta.allow_auto_topic_creation);
    let (_, meta) = body!("kcat-group-metadata-v4.bin", Metadata);
    assert_eq!(meta.topics, Some(vec![]));
}

#[test]
fn kcat_produce_v7_carries_one_lz4_batch_of_the_three_records() {
    let (_, produce) = body!("kcat-lz4-produce-v7.bin", Produce);
    assert_eq!(produce.acks, -1);
    assert_eq!(produce.transactional_id, None);
    assert_eq!(produce.topic_data.len(), 1);
    assert_eq!(produce.topic_data[0].name, "golden");
    let partitions = &produce.topic_data[0].partition_data;
    assert_eq!(partitions.len(), 1);
    assert_eq!(partitions[0].index, 1);
    let (batch, kvs) = batch_records(partitions[0].records.as_ref().unwrap());
    assert_eq!(batch.compression().unwrap(), Compression::Lz4);
    assert_eq!(batch.record_count(), 3);
    assert_eq!(batch.last_offset_delta(), 2);
    assert_eq!(
        batch.producer_id(),
        -1,
        "librdkafka 2.0 is not idempotent by default"
    );
    let expected: Vec<_> = (1..=3)
        .map(|i| (format!("k{i}"), padded("golden", i)))
        .collect();
    assert_eq!(kvs, expected);
}

#[test]
fn kcat_consumer_lists_offsets_v2_and_fetches_v11() {
    let (_, list) = body!("kcat-consume-list-offsets-v2.bin", ListOffsets);
    assert_eq!(list.replica_id, -1);
    assert_eq!(list.isolation_level, 1, "read_committed");
    assert_eq!(list.topics.len(), 1);
    assert_eq!(list.topics[0].name, "golden");
    let p = &list.topics[0].partitions;
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].partition_index, p[0].timestamp),
        (1, -2),
        "earliest of 1"
    );

    let (_, fetch) = body!("kcat-consume-fetch-v11.bin", Fetch);
    assert_eq!(fetch.replica_id, -1);
    assert_eq!((fetch.max_wait_ms, fetch.min_bytes), (500, 1));
    assert_eq!(fetch.isolation_level, 1);
    assert_eq!(
        (fetch.session_id, fetch.session_epoch),
        (0, -1),
        "no fetch session"
    );
    assert_eq!(fetch.topics.len(), 1);
    assert_eq!(fetch.topics[0].topic, "golden");
    let p = &fetch.topics[0].partitions;
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].partition, p[0].fetch_offset), (1, 0));
    assert_eq!(p[0].partition_max_bytes, 1_048_576);
    assert_eq!(fetch.rack_id, "");
}

#[test]
fn kcat_group_consumer_protocol() {
    let (_, find) = body!("kcat-group-find-coordinator-v2.bin", FindCoordinator);
    assert_eq!((find.key.as_str(), find.key_type), ("golden-group", 0));

    let (_, join) = body!("kcat-group-join-group-v5.bin", JoinGroup);
    assert_eq!(join.group_id, "golden-group");
    assert_eq!(join.member_id, "", "first join has no member id");
    assert_eq!(join.protocol_type, "consumer");
    assert_eq!(
        (join.session_timeout_ms, join.rebalance_timeout_ms),
        (45_000, 300_000)
    );
    let names: Vec<_> = join.protocols.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["range", "roundrobin"]);
    for p in &join.protocols {
        assert_eq!(
            subscription_topics(&p.metadata),
            (1, vec!["golden".to_owned()])
        );
    }

    let (_, sync) = body!("kcat-group-sync-group-v3.bin", SyncGroup);
    assert_eq!(sync.group_id, "golden-group");
    assert_member_id(&sync.member_id, "golden-kcat");
    assert!(sync.generation_id >= 1);
    assert_eq!(
        sync.assignments.len(),
        1,
        "the leader assigns its only member"
    );
    assert_eq!(sync.assignments[0].member_id, sync.member_id);
    assert_eq!(
        assignment_partitions(&sync.assignments[0].assignment),
        [("golden".to_owned(), vec![0, 1, 2])]
    );

    let (_, heartbeat) = body!("kcat-group-heartbeat-v3.bin", Heartbeat);
    assert_eq!(heartbeat.group_id, "golden-group");
    assert_eq!(heartbeat.member_id, sync.member_id);
    assert_eq!(heartbeat.generation_id, sync.generation_id);
    assert_eq!(heartbeat.group_instance_id, None);

    let (_, fetch) = body!("kcat-group-offset-fetch-v7.bin", OffsetFetch);
    assert_eq!(fetch.group_id, "golden-group");
    assert!(fetch.require_stable);
    let topics = fetch.topics.unwrap();
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].name, "golden");
    assert_eq!(topics[0].partition_indexes, [0, 1, 2]);

    let (_, commit) = body!("kcat-group-offset-commit-v7.bin", OffsetCommit);
    assert_eq!(commit.group_id, "golden-group");
    assert_eq!(commit.member_id, sync.member_id);
    assert_eq!(commit.generation_id_or_member_epoch, sync.generation_id);
    assert_eq!(commit.topics.len(), 1);
    assert_eq!(commit.topics[0].name, "golden");
    let p = &commit.topics[0].partitions;
    assert_eq!(p.len(), 1);
    // partition 1 holds the three records kcat produced: the next offset to read is 3
    assert_eq!((p[0].partition_index, p[0].committed_offset), (1, 3));
    assert_eq!(p[0].committed_metadata.as_deref(), Some(""));

    let (_, leave) = body!("kcat-group-leave-group-v1.bin", LeaveGroup);
    assert_eq!(leave.group_id, "golden-group");
    assert_eq!(leave.member_id, sync.member_id);
    assert!(leave.members.is_empty(), "v1 names one member in member_id");
}

#[test]
fn kafka_python_requests() {
    let (_, versions) = body!("python-api-versions-v4.bin", ApiVersions);
    assert_eq!(versions.client_software_name, "kafka-python");
    assert!(versions.client_software_version.starts_with("3."));

    let (_, produce) = body!("python-produce-v9.bin", Produce);
    assert_eq!(produce.topic_data.len(), 1);
    assert_eq!(produce.topic_data[0].name, "golden-py");
    let partitions = &produce.topic_data[0].partition_data;
    assert_eq!(partitions.len(), 1);
    assert_eq!(partitions[0].index, 0);
    let (batch, kvs) = batch_records(partitions[0].records.as_ref().unwrap());
    assert_eq!(batch.compression().unwrap(), Compression::Gzip);
    let expected: Vec<_> = (0..3)
        .map(|i| (format!("py-{i}"), padded("python", i)))
        .collect();
    assert_eq!(kvs, expected);

    let (_, find) = body!("python-find-coordinator-v6.bin", FindCoordinator);
    assert_eq!(
        find.coordinator_keys,
        ["golden-py-group"],
        "v4+ batches keys"
    );
    assert_eq!(find.key, "");

    let (_, join) = body!("python-join-group-v7.bin", JoinGroup);
    assert_eq!(join.group_id, "golden-py-group");
    assert_eq!(join.reason, None);
    for p in &join.protocols {
        assert_eq!(
            subscription_topics(&p.metadata),
            (0, vec!["golden-py".to_owned()])
        );
    }

    let (_, sync) = body!("python-sync-group-v5.bin", SyncGroup);
    assert_member_id(&sync.member_id, "golden-python");
    assert_eq!(sync.protocol_type.as_deref(), Some("consumer"));
    assert_eq!(sync.protocol_name.as_deref(), Some("range"));
    assert_eq!(
        assignment_partitions(&sync.assignments[0].assignment),
        [("golden-py".to_owned(), vec![0, 1])]
    );

    let (_, offsets) = body!("python-offset-fetch-v8.bin", OffsetFetch);
    assert_eq!(offsets.group_id, "", "v8+ puts groups in the groups array");
    assert_eq!(offsets.groups.len(), 1);
    assert_eq!(offsets.groups[0].group_id, "golden-py-group");
    let topics = offsets.groups[0].topics.as_ref().unwrap();
    assert_eq!(topics[0].name, "golden-py");
    assert_eq!(topics[0].partition_indexes, [0, 1]);

    let (_, commit) = body!("python-offset-commit-v8.bin", OffsetCommit);
    assert_eq!(commit.group_id, "golden-py-group");
    assert_member_id(&commit.member_id, "golden-python");
    assert_eq!(commit.topics[0].name, "golden-py");
    let p = &commit.topics[0].partitions;
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].partition_index, p[0].committed_offset), (0, 3));
    assert_eq!(p[0].committed_metadata.as_deref(), Some("golden-meta"));

    let (_, leave) = body!("python-leave-group-v5.bin", LeaveGroup);
    assert_eq!(leave.member_id, "", "v3+ lists members instead");
    assert_eq!(leave.members.len(), 1);
    assert_eq!(leave.members[0].member_id, commit.member_id);
}

#[test]
fn java_clients_use_flexible_versions() {
    let (header, versions) = body!("java-producer-api-versions-v4.bin", ApiVersions);
    assert_eq!(header.request_api_version, 4);
    assert_eq!(versions.client_software_name, "apache-kafka-java");
    assert_eq!(versions.client_software_version, "3.9.1");

    let (_, create) = body!("java-admin-create-topics-v7.bin", CreateTopics);
    assert_eq!(create.topics.len(), 1);
    let t = &create.topics[0];
    assert_eq!(
        (t.name.as_str(), t.num_partitions, t.replication_factor),
        ("golden", 3, 1)
    );
    assert!(t.assignments.is_empty() && t.configs.is_empty());
    assert!(!create.validate_only);

    let (_, meta) = body!("java-producer-metadata-v12.bin", Metadata);
    let topics = meta.topics.unwrap();
    assert_eq!(topics[0].name.as_deref(), Some("golden-java"));
    assert_eq!(topics[0].topic_id, Uuid::ZERO);

    let (_, init) = body!("java-producer-init-producer-id-v5.bin", InitProducerId);
    assert_eq!(init.transactional_id, None, "idempotent, not transactional");
    assert_eq!((init.producer_id, init.producer_epoch), (-1, -1));

    let (_, produce) = body!("java-producer-produce-v11.bin", Produce);
    assert_eq!(produce.acks, -1);
    assert_eq!(produce.topic_data[0].name, "golden-java");
    let (batch, kvs) = batch_records(
        produce.topic_data[0].partition_data[0]
            .records
            .as_ref()
            .unwrap(),
    );
    assert_eq!(batch.compression().unwrap(), Compression::Zstd);
    assert!(batch.producer_id() >= 0, "idempotent producer");
    assert_eq!((batch.producer_epoch(), batch.base_sequence()), (0, 0));
    let expected: Vec<_> = (1..=3)
        .map(|i| (format!("j{i}"), format!("java-{i}")))
        .collect();
    assert_eq!(kvs, expected);

    let (_, find) = body!("java-consumer-find-coordinator-v6.bin", FindCoordinator);
    assert_eq!(find.coordinator_keys, ["golden-java-group"]);

    let (_, join) = body!("java-consumer-join-group-v9.bin", JoinGroup);
    assert_eq!(join.group_id, "golden-java-group");
    let names: Vec<_> = join.protocols.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["range", "cooperative-sticky"]);
    for p in &join.protocols {
        assert_eq!(
            subscription_topics(&p.metadata),
            (3, vec!["golden-java".to_owned()])
        );
    }

    let (_, sync) = body!("java-consumer-sync-group-v5.bin", SyncGroup);
    assert_member_id(&sync.member_id, "golden-java-consumer");
    assert_eq!(
        assignment_partitions(&sync.assignments[0].assignment),
        [("golden-java".to_owned(), vec![0])]
    );

    let (_, offsets) = body!("java-consumer-offset-fetch-v9.bin", OffsetFetch);
    assert!(offsets.require_stable);
    assert_eq!(offsets.groups[0].group_id, "golden-java-group");
    assert_eq!(offsets.groups[0].member_epoch, -1);

    let (_, fetch) = body!("java-consumer-fetch-v17.bin", Fetch);
    assert_eq!(fetch.topics.len(), 1);
    assert_eq!(fetch.topics[0].topic, "", "v13+ names topics by id");
    assert_ne!(fetch.topics[0].topic_id, Uuid::ZERO);
    assert_eq!(fetch.topics[0].partitions[0].fetch_offset, 0);
    assert_eq!(fetch.session_epoch, 0, "opens a fetch session");

    let (_, commit) = body!("java-consumer-offset-commit-v9.bin", OffsetCommit);
    assert_eq!(commit.member_id, sync.member_id);
    let p = &commit.topics[0].partitions;
    assert_eq!((p[0].partition_index, p[0].committed_offset), (0, 3));
    assert_eq!(p[0].committed_leader_epoch, 0);

    let (_, leave) = body!("java-consumer-leave-group-v5.bin", LeaveGroup);
    assert_eq!(leave.members[0].member_id, sync.member_id);
    assert_eq!(
        leave.members[0].reason.as_deref(),
        Some("the consumer is being closed")
    );
}
