//! AlterConfigs (key 33) for TOPIC resources, as a ZooKeeper-mode broker: the request's set
//! replaces the topic's overrides. Checked against the topic key table (Kafka's
//! `LogConfig.validate`), then written to `/config/topics/<t>` with a
//! `/config/changes/config_change_` notification, which every broker's config watcher follows.
//! Any broker serves it (not only the controller). Dynamic BROKER configs are not supported:
//! rkafka brokers take their configuration from `server.properties` only.

use std::collections::BTreeMap;

use super::BrokerContext;
use super::admin_common::{Refusal, validate_topic_config};
use super::describe_configs::{BROKER_RESOURCE, TOPIC_RESOURCE};
use crate::admin::zk_topics;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use crate::protocol::messages::{AlterConfigsRequest, AlterConfigsResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 2);

/// Answers `req`.
pub async fn handle(
    ctx: &BrokerContext,
    req: &AlterConfigsRequest,
    _version: i16,
) -> AlterConfigsResponse {
    let mut responses = Vec::with_capacity(req.resources.len());
    for r in &req.resources {
        let outcome = match r.resource_type {
            TOPIC_RESOURCE => {
                let mut set = BTreeMap::new();
                let mut result = Ok(());
                for c in &r.configs {
                    match &c.value {
                        Some(v) => {
                            set.insert(c.name.clone(), v.clone());
                        }
                        None => {
                            result = Err(Refusal::new(
                                ErrorCode::INVALID_REQUEST,
                                format!("Null value not supported for : {}", c.name),
                            ));
                        }
                    }
                }
                match result {
                    Ok(()) => {
                        replace_topic_config(ctx, &r.resource_name, |_| Ok(set), req.validate_only)
                            .await
                    }
                    Err(e) => Err(e),
                }
            }
            BROKER_RESOURCE => Err(dynamic_broker_configs_unsupported()),
            other => Err(Refusal::new(
                ErrorCode::INVALID_REQUEST,
                format!("Unsupported resource type: {other}"),
            )),
        };
        let mut resp = AlterConfigsResourceResponse {
            resource_type: r.resource_type,
            resource_name: r.resource_name.clone(),
            ..AlterConfigsResourceResponse::default()
        };
        if let Err(e) = outcome {
            resp.error_code = e.code.0;
            resp.error_message = e.message;
        }
        responses.push(resp);
    }
    AlterConfigsResponse {
        responses,
        ..AlterConfigsResponse::default()
    }
}

/// The refusal for BROKER resources.
pub fn dynamic_broker_configs_unsupported() -> Refusal {
    Refusal::new(
        ErrorCode::INVALID_REQUEST,
        "rkafka brokers do not support dynamic broker configs; change server.properties and restart",
    )
}

/// Reads a topic's overrides, computes the new set with `change`, validates it and (unless
/// `validate_only`) writes it with a change notification.
pub async fn replace_topic_config(
    ctx: &BrokerContext,
    topic: &str,
    change: impl FnOnce(BTreeMap<String, String>) -> Result<BTreeMap<String, String>, Refusal>,
    validate_only: bool,
) -> Result<(), Refusal> {
    if ctx.metadata.snapshot().topic(topic).is_none() {
        return Err(Refusal::new(
            ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
            format!("Topic '{topic}' does not exist."),
        ));
    }
    let Some(zk) = ctx.zk.current() else {
        return Err(Refusal::new(
            ErrorCode::UNKNOWN_SERVER_ERROR,
            "The broker has no coordinator session.",
        ));
    };
    let server_error =
        |e: zk_topics::ZkTopicError| Refusal::new(ErrorCode::UNKNOWN_SERVER_ERROR, e.to_string());
    let current = zk_topics::topic_config(&zk, topic)
        .await
        .map_err(server_error)?;
    let next = change(current)?;
    validate_topic_config(next.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    if validate_only {
        return Ok(());
    }
    zk_topics::write_topic_config(&zk, topic, next)
        .await
        .map_err(server_error)
}
