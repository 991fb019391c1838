//! IncrementalAlterConfigs (key 44) for TOPIC resources, as a ZooKeeper-mode broker: SET,
//! DELETE, APPEND and SUBTRACT (the last two for list keys only) applied to the topic's current
//! overrides, then checked and written like AlterConfigs
//! ([`super::alter_configs::replace_topic_config`]).

use std::collections::{BTreeMap, HashSet};

use super::BrokerContext;
use super::admin_common::Refusal;
use super::alter_configs::{dynamic_broker_configs_unsupported, replace_topic_config};
use super::describe_configs::{BROKER_RESOURCE, TOPIC_RESOURCE};
use crate::config::def::Kind;
use crate::config::server::TOPIC;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::incremental_alter_configs_request::AlterableConfig;
use crate::protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use crate::protocol::messages::{IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 1);

const SET: i8 = 0;
const DELETE: i8 = 1;
const APPEND: i8 = 2;
const SUBTRACT: i8 = 3;

/// Answers `req`.
pub async fn handle(
    ctx: &BrokerContext,
    req: &IncrementalAlterConfigsRequest,
    _version: i16,
) -> IncrementalAlterConfigsResponse {
    let mut responses = Vec::with_capacity(req.resources.len());
    for r in &req.resources {
        let mut seen = HashSet::new();
        let duplicate = r.configs.iter().any(|c| !seen.insert(c.name.as_str()));
        let outcome = match r.resource_type {
            _ if duplicate => Err(Refusal::new(
                ErrorCode::INVALID_REQUEST,
                "Error due to duplicate config keys",
            )),
            TOPIC_RESOURCE => {
                replace_topic_config(
                    ctx,
                    &r.resource_name,
                    |current| apply(current, &r.configs),
                    req.validate_only,
                )
                .await
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
    IncrementalAlterConfigsResponse {
        responses,
        ..IncrementalAlterConfigsResponse::default()
    }
}

/// The overrides after `ops`, as Kafka's `prepareIncrementalConfigs`: APPEND and SUBTRACT work
/// on the value in force (the override, else the key's default list) and only for list keys.
fn apply(
    mut config: BTreeMap<String, String>,
    ops: &[AlterableConfig],
) -> Result<BTreeMap<String, String>, Refusal> {
    for op in ops {
        let value = op.value.clone().unwrap_or_default();
        match op.config_operation {
            SET => {
                config.insert(op.name.clone(), value);
            }
            DELETE => {
                config.remove(&op.name);
            }
            APPEND | SUBTRACT => {
                let Some(def) = TOPIC.get(&op.name).filter(|d| d.kind == Kind::List) else {
                    let verb = if op.config_operation == APPEND {
                        "append"
                    } else {
                        "subtract"
                    };
                    return Err(Refusal::new(
                        ErrorCode::INVALID_CONFIG,
                        format!(
                            "Config value {verb} is not allowed for config key: {}",
                            op.name
                        ),
                    ));
                };
                let current = config.get(&op.name).cloned().or_else(|| match def.default {
                    crate::config::def::DefaultValue::Value(raw) => Some(raw.to_string()),
                    _ => None,
                });
                let mut items: Vec<String> = current
                    .iter()
                    .flat_map(|v| v.split(','))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                let given: Vec<String> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                if op.config_operation == APPEND {
                    for g in given {
                        if !items.contains(&g) {
                            items.push(g);
                        }
                    }
                } else {
                    items.retain(|i| !given.contains(i));
                }
                config.insert(op.name.clone(), items.join(","));
            }
            other => {
                return Err(Refusal::new(
                    ErrorCode::INVALID_REQUEST,
                    format!("Unknown config operation {other} for key {}", op.name),
                ));
            }
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str, code: i8, value: Option<&str>) -> AlterableConfig {
        AlterableConfig {
            name: name.into(),
            config_operation: code,
            value: value.map(String::from),
            ..AlterableConfig::default()
        }
    }

    #[test]
    fn operations() {
        let start: BTreeMap<String, String> =
            [("retention.ms".to_string(), "1".to_string())].into();
        let out = apply(
            start,
            &[
                op("retention.ms", DELETE, None),
                op("segment.ms", SET, Some("100")),
                op("cleanup.policy", APPEND, Some("compact")),
            ],
        )
        .unwrap();
        assert_eq!(out.get("retention.ms"), None);
        assert_eq!(out["segment.ms"], "100");
        assert_eq!(out["cleanup.policy"], "delete,compact");
        let out = apply(out, &[op("cleanup.policy", SUBTRACT, Some("delete"))]).unwrap();
        assert_eq!(out["cleanup.policy"], "compact");
        let e = apply(out, &[op("segment.ms", APPEND, Some("1"))]).unwrap_err();
        assert_eq!(e.code, ErrorCode::INVALID_CONFIG);
    }
}
