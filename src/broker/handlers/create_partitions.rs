//! CreatePartitions (key 37) with ZooKeeper-mode semantics: the controller broker extends
//! `/brokers/topics/<t>` with the new partitions (Kafka's placement over the live brokers, or
//! the request's replica lists), then waits up to `timeout_ms` for them to show up with leaders
//! in its metadata (REQUEST_TIMED_OUT otherwise). A broker that is not the controller answers
//! NOT_CONTROLLER.

use std::collections::HashMap;

use super::BrokerContext;
use super::admin_common::{
    Refusal, assignment_refusal, is_controller, live_brokers, topic_ready, wait_for_metadata,
};
use crate::admin::{assignment, zk_topics};
use crate::coordinator::client::ZkClient;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::create_partitions_request::CreatePartitionsTopic;
use crate::protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use crate::protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};

/// Every version of the Kafka 3.9 spec.
pub const VERSIONS: (i16, i16) = (0, 3);

/// Answers `req`.
pub async fn handle(
    ctx: &BrokerContext,
    req: &CreatePartitionsRequest,
    _version: i16,
) -> CreatePartitionsResponse {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in &req.topics {
        *counts.entry(t.name.as_str()).or_default() += 1;
    }
    let zk = ctx.zk.current();
    let controller = is_controller(ctx) && zk.is_some();
    let mut results = Vec::with_capacity(req.topics.len());
    let mut grown: Vec<(String, usize)> = Vec::new();
    for t in &req.topics {
        let outcome = match &zk {
            Some(zk) if controller => {
                if counts.get(t.name.as_str()).copied().unwrap_or(0) > 1 {
                    Err(Refusal::new(
                        ErrorCode::INVALID_REQUEST,
                        "Duplicate topic in request.",
                    ))
                } else {
                    grow(ctx, zk, t, req.validate_only).await
                }
            }
            _ => Err(Refusal::code(ErrorCode::NOT_CONTROLLER)),
        };
        let mut result = CreatePartitionsTopicResult {
            name: t.name.clone(),
            ..CreatePartitionsTopicResult::default()
        };
        match outcome {
            Ok(total) => {
                if !req.validate_only {
                    grown.push((t.name.clone(), total));
                }
            }
            Err(r) => {
                result.error_code = r.code.0;
                result.error_message = r.message;
            }
        }
        results.push(result);
    }
    if req.timeout_ms > 0 && !grown.is_empty() {
        let image = wait_for_metadata(ctx, req.timeout_ms, |m| {
            grown.iter().all(|(t, n)| topic_ready(m, t, *n))
        })
        .await;
        for r in &mut results {
            if let Some((_, n)) = grown.iter().find(|(t, _)| *t == r.name)
                && !topic_ready(&image, &r.name, *n)
            {
                r.error_code = ErrorCode::REQUEST_TIMED_OUT.0;
            }
        }
    }
    CreatePartitionsResponse {
        results,
        ..CreatePartitionsResponse::default()
    }
}

/// Checks and writes one topic's growth; the new partition count.
async fn grow(
    ctx: &BrokerContext,
    zk: &ZkClient,
    t: &CreatePartitionsTopic,
    validate_only: bool,
) -> Result<usize, Refusal> {
    let server_error =
        |e: zk_topics::ZkTopicError| Refusal::new(ErrorCode::UNKNOWN_SERVER_ERROR, e.to_string());
    let Some((current, stat)) = zk_topics::assignment(zk, &t.name)
        .await
        .map_err(server_error)?
    else {
        return Err(Refusal::new(
            ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
            format!("The topic '{}' does not exist.", t.name),
        ));
    };
    if !current.adding_replicas.is_empty() || !current.removing_replicas.is_empty() {
        return Err(Refusal::new(
            ErrorCode::REASSIGNMENT_IN_PROGRESS,
            format!(
                "A partition reassignment is in progress for the topic '{}'.",
                t.name
            ),
        ));
    }
    let existing = current.partitions.len();
    if usize::try_from(t.count).is_ok_and(|c| c == existing) {
        return Err(Refusal::new(
            ErrorCode::INVALID_PARTITIONS,
            format!("Topic already has {existing} partitions."),
        ));
    }
    // admin::add_partitions takes the whole list and uses the entries past the existing ones.
    let explicit: Option<Vec<Vec<i32>>> = t.assignments.as_ref().map(|new| {
        current
            .partitions
            .values()
            .cloned()
            .chain(new.iter().map(|a| a.broker_ids.clone()))
            .collect()
    });
    let partitions = assignment::add_partitions(
        &t.name,
        &current.partitions,
        &live_brokers(ctx),
        t.count,
        explicit.as_deref(),
    )
    .map_err(|e| assignment_refusal(&e))?;
    let total = partitions.len();
    if !validate_only {
        zk_topics::write_partitions(zk, &t.name, current, partitions, stat.version)
            .await
            .map_err(server_error)?;
    }
    Ok(total)
}
