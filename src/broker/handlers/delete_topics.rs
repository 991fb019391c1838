//! DeleteTopics (key 20) with ZooKeeper-mode semantics: the controller broker marks each known
//! topic under `/admin/delete_topics/<t>` (the controller deletes it from there), then waits up
//! to `timeout_ms` for the topics to leave its metadata; those still present get
//! REQUEST_TIMED_OUT. `delete.topic.enable=false` refuses with TOPIC_DELETION_DISABLED; a
//! broker that is not the controller answers NOT_CONTROLLER. From v6 topics may be named by id.

use super::BrokerContext;
use super::admin_common::{Refusal, is_controller, wait_for_metadata};
use crate::admin::zk_topics;
use crate::protocol::codec::Uuid;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::delete_topics_response::DeletableTopicResult;
use crate::protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 6);

/// Answers `req`, decoded in `version`.
pub async fn handle(
    ctx: &BrokerContext,
    req: &DeleteTopicsRequest,
    version: i16,
) -> DeleteTopicsResponse {
    // v0-v5 list names; v6 lists (name or id) states.
    let wanted: Vec<(Option<String>, Uuid)> = if version >= 6 {
        req.topics
            .iter()
            .map(|t| (t.name.clone(), t.topic_id))
            .collect()
    } else {
        req.topic_names
            .iter()
            .map(|n| (Some(n.clone()), Uuid::ZERO))
            .collect()
    };
    let zk = ctx.zk.current();
    let controller = is_controller(ctx) && zk.is_some();
    let enabled = ctx.config.get_bool("delete.topic.enable").unwrap_or(true);
    let image = ctx.metadata.snapshot();
    let mut results = Vec::with_capacity(wanted.len());
    let mut marked: Vec<String> = Vec::new();
    for (name, id) in wanted {
        let topic = match (&name, id) {
            (_, id) if id != Uuid::ZERO => image.topic_by_id(id).map(|t| t.name.clone()),
            (Some(n), _) => image.topic(n).map(|t| t.name.clone()),
            (None, _) => None,
        };
        let mut result = DeletableTopicResult {
            name: topic.clone().or(name.clone()),
            topic_id: topic
                .as_deref()
                .and_then(|t| image.topic(t))
                .map_or(id, |t| t.id),
            ..DeletableTopicResult::default()
        };
        let outcome = if !controller {
            Err(Refusal::code(ErrorCode::NOT_CONTROLLER))
        } else if !enabled {
            Err(Refusal::new(
                ErrorCode::TOPIC_DELETION_DISABLED,
                "Topic deletion is disabled.",
            ))
        } else {
            match (topic, &zk) {
                (None, _) if id != Uuid::ZERO => Err(Refusal::code(ErrorCode::UNKNOWN_TOPIC_ID)),
                (None, _) => Err(Refusal::code(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION)),
                (Some(t), Some(zk)) => match zk_topics::mark_for_deletion(zk, &t).await {
                    Ok(_) => {
                        marked.push(t);
                        Ok(())
                    }
                    Err(e) => Err(Refusal::new(ErrorCode::UNKNOWN_SERVER_ERROR, e.to_string())),
                },
                (Some(_), None) => Err(Refusal::code(ErrorCode::NOT_CONTROLLER)),
            }
        };
        if let Err(r) = outcome {
            result.error_code = r.code.0;
            result.error_message = r.message;
        }
        results.push(result);
    }
    if req.timeout_ms > 0 && !marked.is_empty() {
        let image = wait_for_metadata(ctx, req.timeout_ms, |m| {
            marked.iter().all(|t| m.topic(t).is_none())
        })
        .await;
        for r in &mut results {
            if r.error_code == 0
                && let Some(name) = &r.name
                && image.topic(name).is_some()
            {
                r.error_code = ErrorCode::REQUEST_TIMED_OUT.0;
            }
        }
    }
    DeleteTopicsResponse {
        responses: results,
        ..DeleteTopicsResponse::default()
    }
}
