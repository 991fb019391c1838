//! DescribeLogDirs (API 35): each log directory of this broker with the size of every
//! partition replica in it (kafka-log-dirs.sh, and the reassignment tool's disk view).
//!
//! Versions 1-4 (Kafka 4.0's floor is 1, KIP-896). The directories are `log.dirs` (or
//! `log.dir`) plus any directory a hosted partition lives in. `topics` null means every
//! partition; otherwise only those named. Offset lag is 0 (no replica is being moved between
//! directories); v4's total and usable bytes come from statvfs (-1 when it fails).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::BrokerContext;
use crate::log::manager::lock_log;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::describe_log_dirs_response::{
    DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
};
use crate::protocol::messages::{DescribeLogDirsRequest, DescribeLogDirsResponse};

/// DescribeLogDirs versions served: 1 through 4 (Kafka 3.9's maximum).
pub const VERSIONS: (i16, i16) = (1, 4);

/// Handles one DescribeLogDirs request. Sizes come from the segment sizes the logs keep in
/// memory; only statvfs touches the disk, so it runs on the blocking pool.
pub async fn handle(
    ctx: &BrokerContext,
    req: &DescribeLogDirsRequest,
    version: i16,
) -> DescribeLogDirsResponse {
    let mut dirs: BTreeMap<PathBuf, BTreeMap<String, Vec<DescribeLogDirsPartition>>> =
        BTreeMap::new();
    let configured = ctx
        .config
        .get_string("log.dirs")
        .or_else(|| ctx.config.get_string("log.dir"))
        .unwrap_or_default();
    for d in configured
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        dirs.entry(PathBuf::from(d)).or_default();
    }
    let wanted = |topic: &str, partition: i32| match &req.topics {
        None => true,
        Some(ts) => ts
            .iter()
            .any(|t| t.topic == topic && t.partitions.contains(&partition)),
    };
    let mut hosted = ctx.replicas.hosted();
    hosted.sort_by(|a, b| a.tp.cmp(&b.tp));
    for h in hosted {
        let (parent, size) = {
            let log = lock_log(&h.log);
            (
                log.dir().parent().map(PathBuf::from).unwrap_or_default(),
                log.size_bytes(),
            )
        };
        let topics = dirs.entry(parent).or_default();
        if !wanted(&h.tp.topic, h.tp.partition) {
            continue;
        }
        topics
            .entry(h.tp.topic.clone())
            .or_default()
            .push(DescribeLogDirsPartition {
                partition_index: h.tp.partition,
                partition_size: i64::try_from(size).unwrap_or(i64::MAX),
                offset_lag: 0,
                is_future_key: false,
                ..Default::default()
            });
    }
    let paths: Vec<PathBuf> = dirs.keys().cloned().collect();
    let space = tokio::task::spawn_blocking(move || {
        paths.iter().map(|p| disk_space(p)).collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    let results = dirs
        .into_iter()
        .enumerate()
        .map(|(i, (dir, topics))| {
            let (total, usable) = match space.get(i) {
                Some(s) if version >= 4 => *s,
                _ => (-1, -1),
            };
            DescribeLogDirsResult {
                error_code: ErrorCode::NONE.0,
                log_dir: dir.to_string_lossy().into_owned(),
                topics: topics
                    .into_iter()
                    .map(|(name, partitions)| DescribeLogDirsTopic {
                        name,
                        partitions,
                        ..Default::default()
                    })
                    .collect(),
                total_bytes: total,
                usable_bytes: usable,
                ..Default::default()
            }
        })
        .collect();
    DescribeLogDirsResponse {
        results,
        ..Default::default()
    }
}

/// `(total, usable)` bytes of the file system holding `dir`, (-1, -1) when unknown.
fn disk_space(dir: &std::path::Path) -> (i64, i64) {
    match nix::sys::statvfs::statvfs(dir) {
        Ok(s) => {
            let frag = s.fragment_size();
            let total = s.blocks().saturating_mul(frag);
            let usable = s.blocks_available().saturating_mul(frag);
            (
                i64::try_from(total).unwrap_or(i64::MAX),
                i64::try_from(usable).unwrap_or(i64::MAX),
            )
        }
        Err(_) => (-1, -1),
    }
}
