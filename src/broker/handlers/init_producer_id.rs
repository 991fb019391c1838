//! InitProducerId (API 22) for idempotent producers: a fresh producer id with epoch 0.
//!
//! Producer ids come in blocks of [`BLOCK_SIZE`] reserved in the coordinator's
//! `/latest_producer_id_block` (Kafka's ZkProducerIdManager): read the last block, write the
//! next one with a version check (so two brokers never get the same block), retry on a
//! version conflict. Without a transactional id Kafka always hands out a new id at epoch 0,
//! also for the KIP-360 "bump" request that carries the old id and epoch, so the producer
//! restarts its sequences cleanly; rkafka does the same.
//!
//! A transactional id is refused with NOT_COORDINATOR: rkafka has no transaction
//! coordinator, so this broker coordinates no transactional id (never a pretend success).

use super::BrokerContext;
use crate::coordinator::client::{Acl, CreateMode, ZkClient, ZkError};
use crate::coordinator::kafka_paths::{ProducerIdBlock, path as zk_path};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::{InitProducerIdRequest, InitProducerIdResponse};

/// InitProducerId versions served: all of Kafka 3.9's (0-5).
pub const VERSIONS: (i16, i16) = (0, 5);

/// Producer ids reserved per coordinator round trip (Kafka's `PidBlockSize`).
pub const BLOCK_SIZE: i64 = 1000;

/// Version-check conflicts retried before giving up with COORDINATOR_NOT_AVAILABLE.
const MAX_ATTEMPTS: usize = 10;

/// This broker's current block of producer ids: `next..=last` are still free.
#[derive(Debug, Default)]
pub struct ProducerIdBlocks {
    inner: tokio::sync::Mutex<Option<(i64, i64)>>,
}

impl ProducerIdBlocks {
    /// The next free id, reserving a new block through `zk` when the current one is used up.
    pub async fn next_id(&self, zk: &ZkClient, broker: i32) -> Result<i64, ErrorCode> {
        let mut block = self.inner.lock().await;
        if let Some((next, last)) = *block {
            if next <= last {
                *block = Some((next + 1, last));
                return Ok(next);
            }
        }
        let (first, last) = reserve_block(zk, broker).await?;
        *block = Some((first + 1, last));
        Ok(first)
    }
}

/// Reserves the block after the one recorded in `/latest_producer_id_block`.
async fn reserve_block(zk: &ZkClient, broker: i32) -> Result<(i64, i64), ErrorCode> {
    let path = zk_path::LATEST_PRODUCER_ID_BLOCK;
    for _ in 0..MAX_ATTEMPTS {
        let current = match zk.get_data(path, false).await {
            Ok((data, stat)) => Some((data, stat.version)),
            Err(ZkError::NoNode { .. }) => None,
            Err(e) => return Err(unavailable(&e)),
        };
        let first = match &current {
            Some((data, _)) if !data.is_empty() => {
                let (_, end) = ProducerIdBlock::decode(data)
                    .and_then(|b| b.bounds())
                    .map_err(|e| {
                        tracing::error!("{path} is unreadable: {e}");
                        ErrorCode::UNKNOWN_SERVER_ERROR
                    })?;
                end.checked_add(1).ok_or(ErrorCode::UNKNOWN_SERVER_ERROR)?
            }
            _ => 0,
        };
        let last = first
            .checked_add(BLOCK_SIZE - 1)
            .ok_or(ErrorCode::UNKNOWN_SERVER_ERROR)?;
        let payload = ProducerIdBlock::new(broker, first, last).encode();
        let written = match current {
            Some((_, version)) => zk.set_data(path, &payload, version).await.map(|_| ()),
            None => zk
                .create(path, &payload, &Acl::open_unsafe(), CreateMode::Persistent)
                .await
                .map(|_| ()),
        };
        match written {
            Ok(()) => {
                tracing::info!(first, last, "reserved a producer id block");
                return Ok((first, last));
            }
            Err(ZkError::BadVersion { .. } | ZkError::NodeExists { .. }) => continue,
            Err(e) => return Err(unavailable(&e)),
        }
    }
    Err(ErrorCode::COORDINATOR_NOT_AVAILABLE)
}

fn unavailable(e: &ZkError) -> ErrorCode {
    tracing::warn!("cannot reserve a producer id block: {e}");
    ErrorCode::COORDINATOR_NOT_AVAILABLE
}

/// Handles one InitProducerId request.
pub async fn handle(ctx: &BrokerContext, req: &InitProducerIdRequest) -> InitProducerIdResponse {
    let error = |code: ErrorCode| InitProducerIdResponse {
        error_code: code.0,
        producer_id: -1,
        producer_epoch: -1,
        ..Default::default()
    };
    if req
        .transactional_id
        .as_deref()
        .is_some_and(|t| !t.is_empty())
    {
        return error(ErrorCode::NOT_COORDINATOR);
    }
    let Some(zk) = ctx.zk.current() else {
        return error(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    };
    match ctx
        .producer_ids
        .next_id(&zk, ctx.replicas.broker_id().0)
        .await
    {
        Ok(id) => InitProducerIdResponse {
            error_code: 0,
            producer_id: id,
            producer_epoch: 0,
            ..Default::default()
        },
        Err(code) => error(code),
    }
}
