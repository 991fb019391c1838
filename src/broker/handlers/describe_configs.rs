//! DescribeConfigs (key 32) as a ZooKeeper-mode Kafka broker answers it. TOPIC resources: every
//! topic-level key with its value in force and where it comes from: the topic's override in
//! `/config/topics/<t>` (DYNAMIC_TOPIC_CONFIG), else the broker synonym set in
//! `server.properties` (STATIC_BROKER_CONFIG), else the default (DEFAULT_CONFIG); with
//! `include_synonyms` the whole chain, highest precedence first. BROKER resources (this broker's
//! id, or "" for the cluster default): every broker key from the resolved `server.properties`.
//! Sensitive (password) values are never sent. Documentation is not sent (null).

use super::BrokerContext;
use super::admin_common::{Refusal, broker_id};
use crate::admin::zk_topics;
use crate::config::def::{DefaultValue, KeyDef, Kind};
use crate::config::error::Source;
use crate::config::server::{TOPIC, synonym_values, topic_default};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::describe_configs_request::DescribeConfigsResource;
use crate::protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use crate::protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 4);

/// Kafka's resource type codes.
pub const TOPIC_RESOURCE: i8 = 2;
pub const BROKER_RESOURCE: i8 = 4;

/// Kafka's config source codes.
pub mod source {
    pub const DYNAMIC_TOPIC_CONFIG: i8 = 1;
    pub const STATIC_BROKER_CONFIG: i8 = 4;
    pub const DEFAULT_CONFIG: i8 = 5;
}

/// Kafka's ConfigType code of a key kind (v3+).
fn config_type(kind: Kind) -> i8 {
    match kind {
        Kind::Boolean => 1,
        Kind::String => 2,
        Kind::Int => 3,
        Kind::Short => 4,
        Kind::Long => 5,
        Kind::Double => 6,
        Kind::List => 7,
        Kind::Class => 8,
        Kind::Password => 9,
    }
}

fn source_code(s: &Source) -> i8 {
    match s {
        Source::Default => source::DEFAULT_CONFIG,
        _ => source::STATIC_BROKER_CONFIG,
    }
}

/// Answers `req`, decoded in `version`.
pub async fn handle(
    ctx: &BrokerContext,
    req: &DescribeConfigsRequest,
    version: i16,
) -> DescribeConfigsResponse {
    let synonyms = req.include_synonyms && version >= 1;
    let mut results = Vec::with_capacity(req.resources.len());
    for r in &req.resources {
        let outcome = match r.resource_type {
            TOPIC_RESOURCE => topic_configs(ctx, r, synonyms).await,
            BROKER_RESOURCE => broker_configs(ctx, r, synonyms),
            other => Err(Refusal::new(
                ErrorCode::INVALID_REQUEST,
                format!("Unsupported resource type: {other}"),
            )),
        };
        let mut result = DescribeConfigsResult {
            resource_type: r.resource_type,
            resource_name: r.resource_name.clone(),
            ..DescribeConfigsResult::default()
        };
        match outcome {
            Ok(mut configs) => {
                // v0 has only is_default; later versions carry the source instead.
                if version >= 1 {
                    for c in &mut configs {
                        c.is_default = false;
                    }
                }
                result.configs = configs;
            }
            Err(e) => {
                result.error_code = e.code.0;
                result.error_message = e.message;
            }
        }
        results.push(result);
    }
    DescribeConfigsResponse {
        results,
        ..DescribeConfigsResponse::default()
    }
}

fn wanted(r: &DescribeConfigsResource, key: &str) -> bool {
    r.configuration_keys
        .as_ref()
        .is_none_or(|keys| keys.iter().any(|k| k == key))
}

fn entry(
    def: &KeyDef,
    value: Option<String>,
    source: i8,
    read_only: bool,
) -> DescribeConfigsResourceResult {
    let sensitive = def.kind == Kind::Password;
    DescribeConfigsResourceResult {
        name: def.name.to_string(),
        value: if sensitive { None } else { value },
        read_only,
        is_default: source == source::DEFAULT_CONFIG,
        config_source: source,
        is_sensitive: sensitive,
        config_type: config_type(def.kind),
        documentation: None,
        ..DescribeConfigsResourceResult::default()
    }
}

fn synonym(name: &str, value: Option<String>, source: i8) -> DescribeConfigsSynonym {
    DescribeConfigsSynonym {
        name: name.to_string(),
        value,
        source,
        ..DescribeConfigsSynonym::default()
    }
}

async fn topic_configs(
    ctx: &BrokerContext,
    r: &DescribeConfigsResource,
    synonyms: bool,
) -> Result<Vec<DescribeConfigsResourceResult>, Refusal> {
    let topic = &r.resource_name;
    if ctx.metadata.snapshot().topic(topic).is_none() {
        return Err(Refusal::new(
            ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
            format!("Topic '{topic}' does not exist."),
        ));
    }
    let overrides = match ctx.zk.current() {
        Some(zk) => zk_topics::topic_config(&zk, topic)
            .await
            .map_err(|e| Refusal::new(ErrorCode::UNKNOWN_SERVER_ERROR, e.to_string()))?,
        None => {
            return Err(Refusal::new(
                ErrorCode::UNKNOWN_SERVER_ERROR,
                "The broker has no coordinator session.",
            ));
        }
    };
    let mut out = Vec::new();
    for def in TOPIC.keys {
        if !wanted(r, def.name) {
            continue;
        }
        let own = overrides.get(def.name).cloned();
        let inherited = topic_default(def.name, &ctx.config);
        let table_default = match def.default {
            DefaultValue::Value(raw) => def.parse(raw).ok().map(|v| v.to_string()),
            _ => None,
        };
        let mut e = match (&own, &inherited) {
            (Some(v), _) => entry(def, Some(v.clone()), source::DYNAMIC_TOPIC_CONFIG, false),
            (None, Some((value, from))) => entry(
                def,
                Some(value.to_string()),
                source_code(&from.source),
                false,
            ),
            (None, None) => entry(def, table_default, source::DEFAULT_CONFIG, false),
        };
        if synonyms {
            if let Some(v) = &own {
                e.synonyms.push(synonym(
                    def.name,
                    Some(v.clone()),
                    source::DYNAMIC_TOPIC_CONFIG,
                ));
            }
            for s in synonym_values(def.name, &ctx.config) {
                e.synonyms.push(synonym(
                    s.broker_key,
                    Some(s.value.to_string()),
                    source_code(&s.source),
                ));
            }
        }
        out.push(e);
    }
    Ok(out)
}

fn broker_configs(
    ctx: &BrokerContext,
    r: &DescribeConfigsResource,
    synonyms: bool,
) -> Result<Vec<DescribeConfigsResourceResult>, Refusal> {
    let me = broker_id(ctx).0;
    if !r.resource_name.is_empty() && r.resource_name != me.to_string() {
        return Err(Refusal::new(
            ErrorCode::INVALID_REQUEST,
            format!(
                "Unexpected broker id, expected {me} or empty string, but received {}",
                r.resource_name
            ),
        ));
    }
    let mut out = Vec::new();
    for k in ctx.config.keys() {
        if !wanted(r, k.def.name) {
            continue;
        }
        let code = source_code(&k.source);
        let value = k.value.as_ref().map(ToString::to_string);
        let mut e = entry(k.def, value.clone(), code, true);
        if synonyms && !e.is_sensitive {
            e.synonyms.push(synonym(k.def.name, value, code));
        }
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::ChainWriter;

    #[test]
    fn broker_resources_encode_in_every_version() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = BrokerContext::new(
            crate::broker::replica::tests::broker_config(&[]),
            crate::broker::replica::tests::manager(dir.path()),
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for version in VERSIONS.0..=VERSIONS.1 {
            let req = DescribeConfigsRequest {
                resources: vec![DescribeConfigsResource {
                    resource_type: BROKER_RESOURCE,
                    resource_name: String::new(),
                    configuration_keys: None,
                    ..DescribeConfigsResource::default()
                }],
                include_synonyms: true,
                ..DescribeConfigsRequest::default()
            };
            let resp = rt.block_on(handle(&ctx, &req, version));
            assert_eq!(resp.results[0].error_code, 0);
            assert!(!resp.results[0].configs.is_empty());
            let mut w = ChainWriter::with_capacity(64);
            resp.encode(&mut w, version).unwrap();
        }
    }
}
