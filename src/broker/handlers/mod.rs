//! Request routing: header -> version check against [`SERVED`] -> the API's handler -> the
//! encoded response frame. One file per API below; each declares the versions it implements as
//! `VERSIONS`, which the [`SERVED`] table references, so advertising and handling cannot drift.
//!
//! Adding an API: write `handlers/<api>.rs` with `VERSIONS` and a `handle` function, list it in
//! `SERVED`, and add its arm to [`dispatch`].
//!
//! Kafka's rules for what cannot be answered: an ApiVersions version the broker does not serve
//! gets a v0 body with error 35 and the table (so the client can retry at a version both know);
//! any other unserved API or version, and any request that does not decode, closes the
//! connection. Nothing a client sends can panic here.

pub mod admin_common;
pub mod alter_configs;
pub mod api_versions;
pub mod create_partitions;
pub mod create_topics;
pub mod delete_groups;
pub mod delete_records;
pub mod delete_topics;
pub mod describe_cluster;
pub mod describe_configs;
pub mod describe_groups;
pub mod describe_log_dirs;
pub mod fetch;
pub mod find_coordinator;
pub mod heartbeat;
pub mod incremental_alter_configs;
pub mod init_producer_id;
pub mod join_group;
pub mod leader_and_isr;
pub mod leave_group;
pub mod list_groups;
pub mod list_offsets;
pub mod metadata;
pub mod offset_commit;
pub mod offset_delete;
pub mod offset_fetch;
pub mod offset_for_leader_epoch;
pub mod partition_io;
pub mod produce;
pub mod stop_replica;
pub mod sync_group;
pub mod update_metadata;

use std::sync::atomic::{AtomicI32, AtomicI64};
use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;

pub use self::fetch::Chunk;
use crate::broker::metadata::MetadataCache;
use crate::broker::replica::ReplicaManager;
use crate::config::resolve::ResolvedConfig;
use crate::coordinator::client::ZkClient;
use crate::protocol::api::{ApiVersionRange, is_served};
use crate::protocol::codec::{ChainWriter, DecodeError, EncodeError};
use crate::protocol::header::{
    decode_request_header, encode_any_response, encode_response, unsupported_api_versions_response,
};
use crate::protocol::messages::{ApiKey, Request, RequestHeader, Response};

/// The APIs the rkafka broker serves, in key order: the only source of its ApiVersions
/// response. Each handler adds its key here when it lands, with the `VERSIONS` its file
/// declares (never more than the spec's range, which a test checks), so the broker never
/// advertises an API it cannot answer.
pub const SERVED: &[ApiVersionRange] = &[
    served(ApiKey::Produce, produce::VERSIONS),
    served(ApiKey::Fetch, fetch::VERSIONS),
    served(ApiKey::ListOffsets, list_offsets::VERSIONS),
    served(ApiKey::Metadata, metadata::VERSIONS),
    served(ApiKey::LeaderAndIsr, leader_and_isr::VERSIONS),
    served(ApiKey::StopReplica, stop_replica::VERSIONS),
    served(ApiKey::UpdateMetadata, update_metadata::VERSIONS),
    served(ApiKey::OffsetCommit, offset_commit::VERSIONS),
    served(ApiKey::OffsetFetch, offset_fetch::VERSIONS),
    served(ApiKey::FindCoordinator, find_coordinator::VERSIONS),
    served(ApiKey::JoinGroup, join_group::VERSIONS),
    served(ApiKey::Heartbeat, heartbeat::VERSIONS),
    served(ApiKey::LeaveGroup, leave_group::VERSIONS),
    served(ApiKey::SyncGroup, sync_group::VERSIONS),
    served(ApiKey::DescribeGroups, describe_groups::VERSIONS),
    served(ApiKey::ListGroups, list_groups::VERSIONS),
    served(ApiKey::ApiVersions, api_versions::VERSIONS),
    served(ApiKey::CreateTopics, create_topics::VERSIONS),
    served(ApiKey::DeleteTopics, delete_topics::VERSIONS),
    served(ApiKey::DeleteRecords, delete_records::VERSIONS),
    served(ApiKey::InitProducerId, init_producer_id::VERSIONS),
    served(
        ApiKey::OffsetForLeaderEpoch,
        offset_for_leader_epoch::VERSIONS,
    ),
    served(ApiKey::DescribeConfigs, describe_configs::VERSIONS),
    served(ApiKey::AlterConfigs, alter_configs::VERSIONS),
    served(ApiKey::DescribeLogDirs, describe_log_dirs::VERSIONS),
    served(ApiKey::CreatePartitions, create_partitions::VERSIONS),
    served(ApiKey::DeleteGroups, delete_groups::VERSIONS),
    served(
        ApiKey::IncrementalAlterConfigs,
        incremental_alter_configs::VERSIONS,
    ),
    served(ApiKey::OffsetDelete, offset_delete::VERSIONS),
    served(ApiKey::DescribeCluster, describe_cluster::VERSIONS),
];

const fn served(api_key: ApiKey, (min, max): (i16, i16)) -> ApiVersionRange {
    ApiVersionRange { api_key, min, max }
}

/// What handlers share: the broker's state. Cheap to clone.
#[derive(Debug, Clone)]
pub struct BrokerContext {
    /// The broker's resolved `server.properties` (with `--override`s).
    pub config: Arc<ResolvedConfig>,
    /// What the controller told this broker about the cluster.
    pub metadata: Arc<MetadataCache>,
    /// The partitions this broker hosts and its role for each.
    pub replicas: Arc<ReplicaManager>,
    /// The coordinator session, once connected (replaced when a session expires).
    pub zk: ZkSlot,
    /// This broker's epoch: the czxid of its `/brokers/ids/<id>` registration, -1 until
    /// registered. Inter-broker requests carrying an older epoch are refused
    /// (STALE_BROKER_EPOCH).
    pub broker_epoch: Arc<AtomicI64>,
    /// The highest controller epoch seen in an inter-broker request (0 before any): requests
    /// from an older controller are refused (STALE_CONTROLLER_EPOCH).
    pub controller_epoch: Arc<AtomicI32>,
    /// This broker's block of idempotent producer ids (InitProducerId).
    pub producer_ids: Arc<init_producer_id::ProducerIdBlocks>,
    /// The group coordinator: groups of the `__consumer_offsets` partitions this broker leads.
    pub groups: Arc<crate::broker::group::GroupCoordinator>,
}

impl BrokerContext {
    /// A context with an empty metadata cache and no coordinator session yet.
    pub fn new(config: Arc<ResolvedConfig>, replicas: Arc<ReplicaManager>) -> BrokerContext {
        BrokerContext {
            config,
            metadata: Arc::default(),
            replicas,
            zk: ZkSlot::default(),
            broker_epoch: Arc::new(AtomicI64::new(-1)),
            controller_epoch: Arc::new(AtomicI32::new(0)),
            producer_ids: Arc::default(),
            groups: Arc::default(),
        }
    }
}

tokio::task_local! {
    /// The client address of the request being handled (set by the connection), for
    /// JoinGroup's member client host.
    pub static PEER: std::net::SocketAddr;
}

/// The requesting client's host as Kafka reports it (`/` and the address).
pub fn client_host() -> String {
    PEER.try_with(|p| format!("/{}", p.ip()))
        .unwrap_or_else(|_| "/unknown".to_string())
}

/// The broker's current coordinator session. The runtime fills it after connecting and
/// replaces it when the session expires; handlers take a clone per request.
#[derive(Debug, Clone, Default)]
pub struct ZkSlot(Arc<RwLock<Option<ZkClient>>>);

impl ZkSlot {
    /// The current session, if any.
    pub fn current(&self) -> Option<ZkClient> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Installs a new session (or none), returning the previous one.
    pub fn replace(&self, client: Option<ZkClient>) -> Option<ZkClient> {
        std::mem::replace(
            &mut *self.0.write().unwrap_or_else(PoisonError::into_inner),
            client,
        )
    }
}

/// A request ready for its handler, or the fallback answer the router gives itself.
#[allow(clippy::large_enum_variant)] // made once per request and moved into its task
#[derive(Debug)]
pub enum Routed {
    /// A served API and version with its decoded body.
    Call {
        header: RequestHeader,
        request: Request,
    },
    /// An ApiVersions version the broker does not serve: answer v0, error 35, the table.
    UnsupportedApiVersions { correlation_id: i32 },
}

/// Why a connection is closed instead of answered.
#[derive(Debug, thiserror::Error)]
pub enum CloseReason {
    #[error("malformed request: {0}")]
    Malformed(#[from] DecodeError),
    #[error("{api:?} v{version} is not served")]
    NotServed { api: ApiKey, version: i16 },
    #[error("an acks=0 produce failed; closing so the client refreshes its metadata")]
    AcksZeroProduceFailed,
    #[error("response to {api:?} v{version} could not be encoded: {source}")]
    Encode {
        api: ApiKey,
        version: i16,
        #[source]
        source: EncodeError,
    },
}

/// Decodes a request frame (without its length prefix) and checks its version.
pub fn route(frame: Bytes) -> Result<Routed, CloseReason> {
    let mut split = decode_request_header(frame)?;
    let (api, version) = (split.api_key, split.version());
    if !is_served(SERVED, api, version) {
        return if api == ApiKey::ApiVersions {
            Ok(Routed::UnsupportedApiVersions {
                correlation_id: split.header.correlation_id,
            })
        } else {
            Err(CloseReason::NotServed { api, version })
        };
    }
    let request = split.decode_body()?;
    Ok(Routed::Call {
        header: split.header,
        request,
    })
}

/// What a handler produced: a response, a fetch response whose record placeholders become
/// file ranges, or nothing at all (acks=0 produce).
enum Reply {
    Response(Response),
    Fetch(fetch::FetchReply),
    Nothing,
}

/// Runs the handler for `routed` and encodes the whole response frame (length prefix and
/// header of the right version included) as chunks ready for vectored writes and sendfile.
/// No chunk at all means no response is sent (acks=0 produce).
pub async fn respond(ctx: &BrokerContext, routed: Routed) -> Result<Vec<Chunk>, CloseReason> {
    let mut w = ChainWriter::with_capacity(256);
    let mut files = Vec::new();
    match routed {
        Routed::UnsupportedApiVersions { correlation_id } => {
            let body = unsupported_api_versions_response(SERVED);
            encode_response(&mut w, correlation_id, 0, &body).map_err(|source| {
                CloseReason::Encode {
                    api: ApiKey::ApiVersions,
                    version: 0,
                    source,
                }
            })?;
        }
        Routed::Call { header, request } => {
            let version = header.request_api_version;
            let client_id = header.client_id.as_deref().unwrap_or_default();
            let response = match dispatch(ctx, version, client_id, request).await? {
                Reply::Nothing => return Ok(Vec::new()),
                Reply::Response(r) => r,
                Reply::Fetch(f) => {
                    files = f.files;
                    f.response.into()
                }
            };
            encode_any_response(&mut w, header.correlation_id, version, &response).map_err(
                |source| CloseReason::Encode {
                    api: response.api_key(),
                    version,
                    source,
                },
            )?;
        }
    }
    Ok(fetch::FetchReply::splice(w.finish(), files))
}

/// Hands a decoded request to its API's handler. `async` because handlers to come (acks=all
/// produce, long-poll fetch) wait.
async fn dispatch(
    ctx: &BrokerContext,
    version: i16,
    client_id: &str,
    request: Request,
) -> Result<Reply, CloseReason> {
    let r = |resp: Response| Ok(Reply::Response(resp));
    match request {
        Request::ApiVersions(req) => r(api_versions::handle(&req, version, SERVED).into()),
        Request::Metadata(req) => r(metadata::handle_with_auto_create(ctx, &req, version)
            .await
            .into()),
        Request::Produce(req) => match produce::handle(ctx, req, version).await {
            Ok(Some(resp)) => r(resp.into()),
            Ok(None) => Ok(Reply::Nothing),
            Err(produce::AcksZeroFailed) => Err(CloseReason::AcksZeroProduceFailed),
        },
        Request::Fetch(req) => Ok(Reply::Fetch(fetch::handle(ctx, req, version).await)),
        Request::ListOffsets(req) => r(list_offsets::handle(ctx, &req, version).await.into()),
        Request::DeleteRecords(req) => r(delete_records::handle(ctx, &req).await.into()),
        Request::InitProducerId(req) => r(init_producer_id::handle(ctx, &req).await.into()),
        Request::OffsetForLeaderEpoch(req) => {
            r(offset_for_leader_epoch::handle(ctx, &req).await.into())
        }
        Request::DescribeLogDirs(req) => {
            r(describe_log_dirs::handle(ctx, &req, version).await.into())
        }
        Request::LeaderAndIsr(req) => r(leader_and_isr::handle(ctx, &req, version).await.into()),
        Request::UpdateMetadata(req) => r(update_metadata::handle(ctx, &req, version).into()),
        Request::StopReplica(req) => r(stop_replica::handle(ctx, &req, version).await.into()),
        Request::CreateTopics(req) => r(create_topics::handle(ctx, &req, version).await.into()),
        Request::DeleteTopics(req) => r(delete_topics::handle(ctx, &req, version).await.into()),
        Request::CreatePartitions(req) => {
            r(create_partitions::handle(ctx, &req, version).await.into())
        }
        Request::DescribeConfigs(req) => {
            r(describe_configs::handle(ctx, &req, version).await.into())
        }
        Request::AlterConfigs(req) => r(alter_configs::handle(ctx, &req, version).await.into()),
        Request::IncrementalAlterConfigs(req) => {
            r(incremental_alter_configs::handle(ctx, &req, version)
                .await
                .into())
        }
        Request::DescribeCluster(req) => r(describe_cluster::handle(ctx, &req, version).into()),
        Request::FindCoordinator(req) => {
            r(find_coordinator::handle(ctx, &req, version).await.into())
        }
        Request::JoinGroup(req) => r(join_group::handle(ctx, &req, version, client_id)
            .await
            .into()),
        Request::SyncGroup(req) => r(sync_group::handle(ctx, &req).await.into()),
        Request::Heartbeat(req) => r(heartbeat::handle(ctx, &req).await.into()),
        Request::LeaveGroup(req) => r(leave_group::handle(ctx, &req, version).await.into()),
        Request::OffsetCommit(req) => r(offset_commit::handle(ctx, &req, version).await.into()),
        Request::OffsetFetch(req) => r(offset_fetch::handle(ctx, &req, version).await.into()),
        Request::ListGroups(req) => r(list_groups::handle(ctx, &req, version).into()),
        Request::DescribeGroups(req) => r(describe_groups::handle(ctx, &req).into()),
        Request::DeleteGroups(req) => r(delete_groups::handle(ctx, &req).await.into()),
        Request::OffsetDelete(req) => r(offset_delete::handle(ctx, &req).await.into()),
        other => Err(CloseReason::NotServed {
            api: other.api_key(),
            version,
        }),
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;

    #[test]
    fn served_table_stays_within_the_specs_and_sorted() {
        let mut previous = None;
        for r in SERVED {
            let (min, max) = r.api_key.valid_versions();
            assert!(min <= r.min && r.min <= r.max && r.max <= max, "{r:?}");
            assert!(previous < Some(r.api_key), "sorted, no duplicates");
            previous = Some(r.api_key);
        }
    }
    use crate::protocol::frame::{Frame, decode_frame};
    use crate::protocol::header::{decode_response, encode_request};
    use crate::protocol::messages::{ApiVersionsRequest, MetadataRequest, ProduceRequest};

    fn frame<M: crate::protocol::codec::ApiRequest>(version: i16, body: &M) -> Bytes {
        let mut buf = BytesMut::new();
        encode_request(&mut buf, 42, Some("t"), version, body).unwrap();
        buf.split_off(4).freeze()
    }

    async fn answer(frame: Bytes, api: ApiKey, version: i16) -> Response {
        let dir = tempfile::tempdir().unwrap();
        let ctx = BrokerContext::new(
            crate::broker::replica::tests::broker_config(&[]),
            crate::broker::replica::tests::manager(dir.path()),
        );
        let routed = route(frame).unwrap();
        let chunks = respond(&ctx, routed).await.unwrap();
        let mut all = BytesMut::new();
        for c in chunks {
            all.extend_from_slice(&c.to_bytes().unwrap());
        }
        let Ok(Frame::Complete(body)) = decode_frame(&mut all, usize::MAX) else {
            panic!("one whole frame")
        };
        assert!(all.is_empty());
        let (header, resp) = decode_response(api, version, body).unwrap();
        assert_eq!(header.correlation_id, 42);
        resp
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn served_versions_are_answered() {
        block_on(async {
            for v in api_versions::VERSIONS.0..=api_versions::VERSIONS.1 {
                let req = ApiVersionsRequest {
                    client_software_name: "t".into(),
                    client_software_version: "1".into(),
                    ..Default::default()
                };
                let Response::ApiVersions(r) = answer(frame(v, &req), ApiKey::ApiVersions, v).await
                else {
                    panic!()
                };
                assert_eq!(r.error_code, 0);
                assert_eq!(r.api_keys.len(), SERVED.len());
            }
            for v in metadata::VERSIONS.0..=metadata::VERSIONS.1 {
                let req = MetadataRequest::default();
                let resp = answer(frame(v, &req), ApiKey::Metadata, v).await;
                assert!(matches!(resp, Response::Metadata(_)), "v{v}");
            }
        });
    }

    #[test]
    fn admin_apis_answer_every_served_version() {
        use crate::protocol::messages::{
            AlterConfigsRequest, CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest,
            DescribeClusterRequest, DescribeConfigsRequest, IncrementalAlterConfigsRequest,
        };
        use crate::protocol::messages::{
            alter_configs_request as ac, create_partitions_request as cp,
            create_topics_request as ct, delete_topics_request as dt,
            describe_configs_request as dc, incremental_alter_configs_request as iac,
        };
        block_on(async {
            // One entry each; this context has no coordinator session and is not the
            // controller, so the answers are refusals, which must encode in every version.
            for v in create_topics::VERSIONS.0..=create_topics::VERSIONS.1 {
                let req = CreateTopicsRequest {
                    topics: vec![ct::CreatableTopic {
                        name: "t".into(),
                        num_partitions: 1,
                        replication_factor: 1,
                        ..Default::default()
                    }],
                    ..Default::default()
                };
                let Response::CreateTopics(r) =
                    answer(frame(v, &req), ApiKey::CreateTopics, v).await
                else {
                    panic!()
                };
                assert_eq!(r.topics[0].error_code, 41, "NOT_CONTROLLER, v{v}");
            }
            for v in delete_topics::VERSIONS.0..=delete_topics::VERSIONS.1 {
                let req = if v >= 6 {
                    DeleteTopicsRequest {
                        topics: vec![dt::DeleteTopicState {
                            name: Some("t".into()),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }
                } else {
                    DeleteTopicsRequest {
                        topic_names: vec!["t".into()],
                        ..Default::default()
                    }
                };
                let Response::DeleteTopics(r) =
                    answer(frame(v, &req), ApiKey::DeleteTopics, v).await
                else {
                    panic!()
                };
                assert_eq!(r.responses[0].error_code, 41, "v{v}");
            }
            for v in create_partitions::VERSIONS.0..=create_partitions::VERSIONS.1 {
                let req = CreatePartitionsRequest {
                    topics: vec![cp::CreatePartitionsTopic {
                        name: "t".into(),
                        count: 2,
                        ..Default::default()
                    }],
                    ..Default::default()
                };
                let Response::CreatePartitions(r) =
                    answer(frame(v, &req), ApiKey::CreatePartitions, v).await
                else {
                    panic!()
                };
                assert_eq!(r.results[0].error_code, 41, "v{v}");
            }
            for v in describe_configs::VERSIONS.0..=describe_configs::VERSIONS.1 {
                let req = DescribeConfigsRequest {
                    resources: vec![dc::DescribeConfigsResource {
                        resource_type: describe_configs::BROKER_RESOURCE,
                        resource_name: String::new(),
                        configuration_keys: Some(vec!["num.partitions".into()]),
                        ..Default::default()
                    }],
                    include_synonyms: v >= 1,
                    ..Default::default()
                };
                let Response::DescribeConfigs(r) =
                    answer(frame(v, &req), ApiKey::DescribeConfigs, v).await
                else {
                    panic!()
                };
                assert_eq!(r.results[0].configs.len(), 1, "v{v}");
                assert_eq!(r.results[0].configs[0].value.as_deref(), Some("1"));
            }
            for v in alter_configs::VERSIONS.0..=alter_configs::VERSIONS.1 {
                let req = AlterConfigsRequest {
                    resources: vec![ac::AlterConfigsResource {
                        resource_type: describe_configs::TOPIC_RESOURCE,
                        resource_name: "t".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                };
                let Response::AlterConfigs(r) =
                    answer(frame(v, &req), ApiKey::AlterConfigs, v).await
                else {
                    panic!()
                };
                assert_eq!(
                    r.responses[0].error_code, 3,
                    "UNKNOWN_TOPIC_OR_PARTITION, v{v}"
                );
            }
            for v in incremental_alter_configs::VERSIONS.0..=incremental_alter_configs::VERSIONS.1 {
                let req = IncrementalAlterConfigsRequest {
                    resources: vec![iac::AlterConfigsResource {
                        resource_type: describe_configs::TOPIC_RESOURCE,
                        resource_name: "t".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                };
                let Response::IncrementalAlterConfigs(r) =
                    answer(frame(v, &req), ApiKey::IncrementalAlterConfigs, v).await
                else {
                    panic!()
                };
                assert_eq!(r.responses[0].error_code, 3, "v{v}");
            }
            for v in describe_cluster::VERSIONS.0..=describe_cluster::VERSIONS.1 {
                let req = DescribeClusterRequest {
                    endpoint_type: 1,
                    ..Default::default()
                };
                let Response::DescribeCluster(r) =
                    answer(frame(v, &req), ApiKey::DescribeCluster, v).await
                else {
                    panic!()
                };
                assert_eq!(r.error_code, 0, "v{v}");
            }
        });
    }

    #[test]
    fn unserved_api_versions_version_gets_the_v0_fallback() {
        // key 18, version 9, correlation 42, client id "t", tagged fields, then junk
        let raw = Bytes::from_static(&[0, 18, 0, 9, 0, 0, 0, 42, 0, 1, b't', 0, 0xff, 0xfe]);
        let routed = route(raw.clone()).unwrap();
        assert!(matches!(
            routed,
            Routed::UnsupportedApiVersions { correlation_id: 42 }
        ));
        block_on(async {
            let Response::ApiVersions(r) = answer(raw, ApiKey::ApiVersions, 0).await else {
                panic!()
            };
            assert_eq!(r.error_code, 35);
            assert_eq!(r.api_keys.len(), SERVED.len());
        });
    }

    #[test]
    fn unserved_apis_and_garbage_close() {
        // Produce v0-v2 are gone (KIP-896)
        let produce = frame(2, &ProduceRequest::default());
        assert!(matches!(
            route(produce),
            Err(CloseReason::NotServed {
                api: ApiKey::Produce,
                version: 2
            })
        ));
        // Metadata v13 does not exist
        let raw = Bytes::from_static(&[0, 3, 0, 13, 0, 0, 0, 1, 0, 0, 0]);
        assert!(matches!(route(raw), Err(CloseReason::NotServed { .. })));
        // truncated Metadata v4 body
        let mut good = frame(4, &MetadataRequest::default()).to_vec();
        good.truncate(good.len() - 1);
        assert!(matches!(
            route(Bytes::from(good)),
            Err(CloseReason::Malformed(_))
        ));
        for raw in [&[][..], &[0, 3], &[0x7f, 0x7f, 0, 0, 0, 0, 0, 0]] {
            assert!(route(Bytes::copy_from_slice(raw)).is_err());
        }
    }

    #[test]
    fn served_table_references_the_handlers() {
        let range = |k| crate::protocol::api::served_range(SERVED, k).unwrap();
        let av = range(ApiKey::ApiVersions);
        assert_eq!((av.min, av.max), api_versions::VERSIONS);
        let md = range(ApiKey::Metadata);
        assert_eq!((md.min, md.max), metadata::VERSIONS);
    }
}
