//! The log manager: every partition log of a broker across its `log.dirs`.
//!
//! It owns each directory's `.lock` (an exclusive `flock`, so two brokers cannot share a
//! directory), `meta.properties` (`version=0`, `broker.id`, `cluster.id`; created on first use,
//! checked on every start), the checkpoint files and the `.kafka_cleanshutdown` marker. At
//! start it loads every `<topic>-<partition>` directory, recovering them in parallel with
//! `num.recovery.threads.per.data.dir` threads per directory; it creates partitions (in the
//! directory holding the fewest) and deletes them (renamed to `<topic>-<p>.<id>-delete`
//! first, as Kafka does, then removed).
//!
//! Threading contract: each partition log is shared as [`SharedLog`] (`Arc<Mutex<_>>`); the
//! broker locks one partition at a time, from blocking threads, never across an `.await`.
//! The manager's own methods take `&mut self` or `&self` and are called by one owner.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use nix::fcntl::{Flock, FlockArg};

use super::checkpoint::{
    self, LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT, REPLICATION_CHECKPOINT,
    TopicPartitionOffset,
};
use super::config::LogConfig;
use super::error::{LogError, Result, io_err};
use super::partition_log::{OpenOptions, OpenReport, PartitionLog};
use crate::config::properties::{Properties, to_text};

/// A partition log shared between the broker's threads.
pub type SharedLog = Arc<Mutex<PartitionLog>>;

pub const LOCK_FILE: &str = ".lock";
pub const META_PROPERTIES: &str = "meta.properties";
pub const CLEAN_SHUTDOWN_FILE: &str = ".kafka_cleanshutdown";
const DELETE_DIR_SUFFIX: &str = "-delete";

/// What the manager needs from the broker's configuration.
#[derive(Debug, Clone)]
pub struct LogManagerConfig {
    /// `log.dirs` (or `log.dir`).
    pub log_dirs: Vec<PathBuf>,
    /// `broker.id`.
    pub broker_id: i32,
    /// The cluster id from the coordinator, when known; written to and checked against
    /// `meta.properties`.
    pub cluster_id: Option<String>,
    /// `num.recovery.threads.per.data.dir` (at least 1).
    pub recovery_threads_per_dir: usize,
}

/// One loaded partition, for the start-up report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedPartition {
    pub topic: String,
    pub partition: i32,
    pub dir: PathBuf,
    pub report: OpenReport,
}

#[derive(Debug)]
struct LogDir {
    path: PathBuf,
    _lock: Flock<File>,
}

/// All partition logs of one broker.
#[derive(Debug)]
pub struct LogManager {
    config: LogManagerConfig,
    dirs: Vec<LogDir>,
    /// (topic, partition) -> (index into `dirs`, log).
    logs: BTreeMap<(String, i32), (usize, SharedLog)>,
}

/// Splits a partition directory name `<topic>-<partition>`.
pub fn parse_partition_dir_name(name: &str) -> Option<(&str, i32)> {
    let (topic, partition) = name.rsplit_once('-')?;
    if topic.is_empty() || partition.is_empty() || !partition.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((topic, partition.parse().ok()?))
}

fn lock_dir(dir: &Path) -> Result<Flock<File>> {
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_err("create lock file", &path))?;
    Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| {
        if errno == nix::errno::Errno::EWOULDBLOCK {
            LogError::DirLocked {
                path: dir.to_path_buf(),
            }
        } else {
            LogError::io("lock", &path, std::io::Error::from(errno))
        }
    })
}

/// Checks `meta.properties` in `dir` against this broker, creating it when absent. Returns
/// the cluster id it holds (or was given).
pub fn check_meta_properties(
    dir: &Path,
    broker_id: i32,
    cluster_id: Option<&str>,
) -> Result<Option<String>> {
    let path = dir.join(META_PROPERTIES);
    let Some(text) = checkpoint::read_optional(&path)? else {
        let id = broker_id.to_string();
        let mut entries = vec![("version", "0"), ("broker.id", id.as_str())];
        if let Some(c) = cluster_id {
            entries.push(("cluster.id", c));
        }
        let body = format!("#\n#Written by rkafka\n{}", to_text(entries));
        checkpoint::write_atomic(&path, &body)?;
        return Ok(cluster_id.map(str::to_string));
    };
    let props = Properties::parse(&text, &path).map_err(|e| LogError::BadMeta {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let get = |k: &str| props.get(k).map(|e| e.value.trim().to_string());
    match get("version").as_deref() {
        Some("0") => {}
        Some(v) => {
            return Err(LogError::BadMeta {
                path,
                reason: format!("version {v} is not supported (expected 0)"),
            });
        }
        None => {
            return Err(LogError::BadMeta {
                path,
                reason: "no version".into(),
            });
        }
    }
    if let Some(found) = get("broker.id") {
        if found != broker_id.to_string() {
            return Err(LogError::MetaMismatch {
                path,
                key: "broker.id",
                found,
                expected: broker_id.to_string(),
            });
        }
    }
    let stored = get("cluster.id");
    if let (Some(found), Some(expected)) = (&stored, cluster_id) {
        if found != expected {
            return Err(LogError::MetaMismatch {
                path,
                key: "cluster.id",
                found: found.clone(),
                expected: expected.to_string(),
            });
        }
    }
    Ok(stored.or(cluster_id.map(str::to_string)))
}

fn offsets_by_partition(path: &Path) -> Result<BTreeMap<(String, i32), i64>> {
    Ok(checkpoint::read_offsets(path)?
        .into_iter()
        .map(|e| ((e.topic, e.partition), e.offset))
        .collect())
}

/// A unique-enough id for a deleted directory's name (32 hex digits, as Kafka's UUIDs
/// without dashes): time, pid and a process-wide counter through the std hasher.
fn deletion_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let state = std::collections::hash_map::RandomState::new();
    let mut parts = [0u64; 2];
    for (i, p) in parts.iter_mut().enumerate() {
        let mut h = state.build_hasher();
        h.write_u128(nanos);
        h.write_u64(n);
        h.write_u32(std::process::id());
        h.write_usize(i);
        *p = h.finish();
    }
    format!("{:016x}{:016x}", parts[0], parts[1])
}

/// A partition directory to load.
struct Job {
    dir_index: usize,
    path: PathBuf,
    topic: String,
    partition: i32,
    opts: OpenOptions,
}

impl LogManager {
    /// Locks and checks every log dir, then loads every partition in them. `log_config`
    /// gives each topic's settings; `now_ms` and `seed` are the time and the randomness the
    /// logs use (roll jitter).
    pub fn open(
        config: LogManagerConfig,
        log_config: &(dyn Fn(&str) -> LogConfig + Sync),
        now_ms: i64,
        seed: u64,
    ) -> Result<(LogManager, Vec<LoadedPartition>)> {
        let mut dirs = Vec::new();
        let mut per_dir_jobs: Vec<Vec<Job>> = Vec::new();
        let mut cluster_id = config.cluster_id.clone();
        for (dir_index, path) in config.log_dirs.iter().enumerate() {
            std::fs::create_dir_all(path).map_err(io_err("create log directory", path))?;
            let lock = lock_dir(path)?;
            cluster_id = check_meta_properties(path, config.broker_id, cluster_id.as_deref())?;
            let clean = path.join(CLEAN_SHUTDOWN_FILE).exists();
            let recovery = offsets_by_partition(&path.join(RECOVERY_POINT_CHECKPOINT))?;
            let starts = offsets_by_partition(&path.join(LOG_START_OFFSET_CHECKPOINT))?;
            let hws = offsets_by_partition(&path.join(REPLICATION_CHECKPOINT))?;
            let mut jobs = Vec::new();
            for entry in std::fs::read_dir(path).map_err(io_err("list", path))? {
                let entry = entry.map_err(io_err("list", path))?;
                let child = entry.path();
                if !child.is_dir() {
                    continue;
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(DELETE_DIR_SUFFIX) {
                    // A deletion interrupted by a crash: finish it.
                    std::fs::remove_dir_all(&child).map_err(io_err("remove", &child))?;
                    continue;
                }
                let Some((topic, partition)) = parse_partition_dir_name(&name) else {
                    tracing::warn!(dir = %child.display(), "ignoring a directory that is not <topic>-<partition>");
                    continue;
                };
                let key = (topic.to_string(), partition);
                jobs.push(Job {
                    dir_index,
                    path: child,
                    opts: OpenOptions {
                        recovery_point: recovery.get(&key).copied().unwrap_or(0),
                        log_start_offset: starts.get(&key).copied(),
                        high_watermark: hws.get(&key).copied(),
                        clean_shutdown: clean,
                        now_ms,
                        jitter_seed: seed ^ (partition as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    },
                    topic: key.0,
                    partition,
                });
            }
            per_dir_jobs.push(jobs);
            dirs.push(LogDir {
                path: path.clone(),
                _lock: lock,
            });
        }

        let threads = config.recovery_threads_per_dir.max(1);
        let results: Mutex<Vec<Result<(Job, PartitionLog, OpenReport)>>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for jobs in per_dir_jobs {
                let queue = Arc::new(Mutex::new(jobs));
                for _ in 0..threads {
                    let queue = Arc::clone(&queue);
                    let results = &results;
                    scope.spawn(move || {
                        loop {
                            let job = match queue.lock() {
                                Ok(mut q) => q.pop(),
                                Err(_) => None,
                            };
                            let Some(job) = job else { break };
                            let cfg = log_config(&job.topic);
                            let r = PartitionLog::open(
                                &job.path,
                                &job.topic,
                                job.partition,
                                cfg,
                                job.opts,
                            )
                            .map(|(log, report)| (job, log, report));
                            if let Ok(mut out) = results.lock() {
                                out.push(r);
                            }
                        }
                    });
                }
            }
        });
        let results = results.into_inner().unwrap_or_default();
        let mut logs = BTreeMap::new();
        let mut loaded = Vec::new();
        for r in results {
            let (job, log, report) = r?;
            let key = (job.topic.clone(), job.partition);
            if let Some((other, _)) = logs.get(&key) {
                let other: &usize = other;
                return Err(LogError::Partition {
                    partition: format!(
                        "{}-{} (in {} and {})",
                        job.topic,
                        job.partition,
                        config.log_dirs[*other].display(),
                        job.path.display()
                    ),
                    reason: "found in two log directories",
                });
            }
            loaded.push(LoadedPartition {
                topic: job.topic.clone(),
                partition: job.partition,
                dir: job.path.clone(),
                report,
            });
            logs.insert(key, (job.dir_index, Arc::new(Mutex::new(log))));
        }
        // From here on a crash is unclean again.
        for d in &dirs {
            let marker = d.path.join(CLEAN_SHUTDOWN_FILE);
            if marker.exists() {
                std::fs::remove_file(&marker).map_err(io_err("remove", &marker))?;
                checkpoint::fsync_dir(&d.path)?;
            }
        }
        let manager = LogManager {
            config: LogManagerConfig {
                cluster_id,
                ..config
            },
            dirs,
            logs,
        };
        manager.write_checkpoints()?;
        loaded.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        Ok((manager, loaded))
    }

    /// The cluster id found in or written to `meta.properties`.
    pub fn cluster_id(&self) -> Option<&str> {
        self.config.cluster_id.as_deref()
    }

    /// The log of a partition, if this broker has it.
    pub fn get(&self, topic: &str, partition: i32) -> Option<SharedLog> {
        self.logs
            .get(&(topic.to_string(), partition))
            .map(|(_, l)| Arc::clone(l))
    }

    /// Every partition held, in (topic, partition) order.
    pub fn partitions(&self) -> Vec<(String, i32)> {
        self.logs.keys().cloned().collect()
    }

    /// Creates the log of a new partition in the log dir holding the fewest partitions (or
    /// returns the existing one).
    pub fn get_or_create(
        &mut self,
        topic: &str,
        partition: i32,
        config: LogConfig,
        now_ms: i64,
        seed: u64,
    ) -> Result<SharedLog> {
        if let Some(l) = self.get(topic, partition) {
            return Ok(l);
        }
        let mut counts = vec![0usize; self.dirs.len()];
        for (i, _) in self.logs.values() {
            counts[*i] += 1;
        }
        let dir_index = (0..self.dirs.len())
            .min_by_key(|i| counts[*i])
            .ok_or_else(|| LogError::Partition {
                partition: format!("{topic}-{partition}"),
                reason: "no log directory is configured",
            })?;
        let dir = self.dirs[dir_index]
            .path
            .join(format!("{topic}-{partition}"));
        let opts = OpenOptions {
            now_ms,
            jitter_seed: seed,
            ..OpenOptions::default()
        };
        let (log, _) = PartitionLog::open(&dir, topic, partition, config, opts)?;
        checkpoint::fsync_dir(&self.dirs[dir_index].path)?;
        let shared = Arc::new(Mutex::new(log));
        self.logs.insert(
            (topic.to_string(), partition),
            (dir_index, Arc::clone(&shared)),
        );
        Ok(shared)
    }

    /// Deletes a partition: its directory is renamed to `<topic>-<p>.<id>-delete` (so a crash
    /// cannot leave a half-deleted partition that looks live), then removed.
    pub fn delete(&mut self, topic: &str, partition: i32) -> Result<()> {
        let Some((dir_index, log)) = self.logs.remove(&(topic.to_string(), partition)) else {
            return Err(LogError::Partition {
                partition: format!("{topic}-{partition}"),
                reason: "no such partition on this broker",
            });
        };
        let parent = &self.dirs[dir_index].path;
        let dir = lock_log(&log).dir().to_path_buf();
        let doomed = parent.join(format!(
            "{topic}-{partition}.{}{DELETE_DIR_SUFFIX}",
            deletion_id()
        ));
        std::fs::rename(&dir, &doomed).map_err(io_err("rename for deletion", &dir))?;
        checkpoint::fsync_dir(parent)?;
        self.write_checkpoints()?;
        std::fs::remove_dir_all(&doomed).map_err(io_err("remove", &doomed))?;
        Ok(())
    }

    /// Writes the three offset checkpoints of every log dir.
    pub fn write_checkpoints(&self) -> Result<()> {
        for (i, d) in self.dirs.iter().enumerate() {
            let mut recovery = Vec::new();
            let mut starts = Vec::new();
            let mut hws = Vec::new();
            for ((topic, partition), (dir_index, log)) in &self.logs {
                if *dir_index != i {
                    continue;
                }
                let log = lock_log(log);
                let entry = |offset| TopicPartitionOffset {
                    topic: topic.clone(),
                    partition: *partition,
                    offset,
                };
                recovery.push(entry(log.recovery_point()));
                starts.push(entry(log.log_start_offset()));
                hws.push(entry(log.high_watermark()));
            }
            for (name, entries) in [
                (RECOVERY_POINT_CHECKPOINT, &recovery),
                (LOG_START_OFFSET_CHECKPOINT, &starts),
                (REPLICATION_CHECKPOINT, &hws),
            ] {
                checkpoint::write_atomic(&d.path.join(name), &checkpoint::encode_offsets(entries))?;
            }
        }
        Ok(())
    }

    /// Periodic work: `flush.ms` flushes, compaction, retention, removal of `.deleted` files.
    pub fn maintain(&self, now_ms: i64) -> Result<()> {
        for (_, log) in self.logs.values() {
            let mut log = lock_log(log);
            log.flush_if_due(now_ms)?;
            if log.config().cleanup_compact {
                log.compact(now_ms)?;
            }
            log.apply_retention(now_ms)?;
            log.remove_deleted_files(now_ms)?;
        }
        Ok(())
    }

    /// Clean shutdown: every log flushed and sealed, checkpoints written, then the
    /// `.kafka_cleanshutdown` marker in every dir, so the next start skips recovery.
    pub fn shutdown(self, now_ms: i64) -> Result<()> {
        for (_, log) in self.logs.values() {
            lock_log(log).close(now_ms)?;
        }
        self.write_checkpoints()?;
        for d in &self.dirs {
            checkpoint::write_atomic(&d.path.join(CLEAN_SHUTDOWN_FILE), "")?;
        }
        Ok(())
    }
}

/// Locks a shared log; a poisoned lock (a panic while held) still yields the log, whose
/// on-disk state is always consistent between calls.
pub fn lock_log(log: &SharedLog) -> MutexGuard<'_, PartitionLog> {
    log.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::partition_log::tests::batch;

    fn cfg(dirs: &[&Path]) -> LogManagerConfig {
        LogManagerConfig {
            log_dirs: dirs.iter().map(|d| d.to_path_buf()).collect(),
            broker_id: 1,
            cluster_id: Some("abc".into()),
            recovery_threads_per_dir: 2,
        }
    }

    fn topic_cfg(_: &str) -> LogConfig {
        LogConfig {
            segment_bytes: 5000,
            ..LogConfig::default()
        }
    }

    #[test]
    fn partition_dir_names() {
        assert_eq!(parse_partition_dir_name("orders-3"), Some(("orders", 3)));
        assert_eq!(
            parse_partition_dir_name("my-topic-12"),
            Some(("my-topic", 12))
        );
        for bad in ["orders", "-1", "t-", "t-x", "t-0.abc-delete"] {
            assert_eq!(parse_partition_dir_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn create_reload_clean_and_unclean_and_delete() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let (mut m, loaded) =
            LogManager::open(cfg(&[a.path(), b.path()]), &topic_cfg, 0, 1).unwrap();
        assert!(loaded.is_empty());
        for p in 0..4 {
            let log = m
                .get_or_create("t", p, topic_cfg("t"), 0, p as u64)
                .unwrap();
            let mut log = lock_log(&log);
            for _ in 0..10 {
                log.append_as_leader(batch(2, 300, 0), 0, 0).unwrap();
            }
            log.set_high_watermark(20);
        }
        // Balanced over the two dirs.
        let count = |d: &Path| {
            std::fs::read_dir(d)
                .unwrap()
                .filter(|e| e.as_ref().unwrap().path().is_dir())
                .count()
        };
        assert_eq!((count(a.path()), count(b.path())), (2, 2));
        m.shutdown(0).unwrap();
        assert!(a.path().join(CLEAN_SHUTDOWN_FILE).exists());
        let text = std::fs::read_to_string(a.path().join(REPLICATION_CHECKPOINT)).unwrap();
        assert!(text.starts_with("0\n2\nt "), "{text}");

        let (m, loaded) = LogManager::open(cfg(&[a.path(), b.path()]), &topic_cfg, 0, 1).unwrap();
        assert_eq!(loaded.len(), 4);
        assert!(loaded.iter().all(|l| l.report.segments_recovered == 0));
        assert!(!a.path().join(CLEAN_SHUTDOWN_FILE).exists());
        let log = m.get("t", 2).unwrap();
        assert_eq!(lock_log(&log).log_end_offset(), 20);
        assert_eq!(lock_log(&log).high_watermark(), 20);
        drop(log);
        drop(m); // a crash: no marker

        let (mut m, loaded) =
            LogManager::open(cfg(&[a.path(), b.path()]), &topic_cfg, 0, 1).unwrap();
        assert_eq!(loaded.len(), 4);
        // Everything below the recovery point (the last roll) is trusted; the rest re-read.
        assert!(loaded.iter().all(|l| l.report.segments_recovered >= 1));
        let dir = lock_log(&m.get("t", 0).unwrap()).dir().to_path_buf();
        m.delete("t", 0).unwrap();
        assert!(!dir.exists());
        assert!(m.get("t", 0).is_none());
        assert_eq!(m.partitions().len(), 3);
        assert!(matches!(m.delete("t", 0), Err(LogError::Partition { .. })));
    }

    #[test]
    fn a_second_broker_cannot_take_the_dir() {
        let a = tempfile::tempdir().unwrap();
        let (_m, _) = LogManager::open(cfg(&[a.path()]), &topic_cfg, 0, 1).unwrap();
        let err = LogManager::open(cfg(&[a.path()]), &topic_cfg, 0, 1).unwrap_err();
        assert!(matches!(err, LogError::DirLocked { .. }), "{err}");
    }

    #[test]
    fn meta_properties_is_created_and_checked() {
        let a = tempfile::tempdir().unwrap();
        assert_eq!(
            check_meta_properties(a.path(), 1, Some("abc"))
                .unwrap()
                .as_deref(),
            Some("abc")
        );
        let text = std::fs::read_to_string(a.path().join(META_PROPERTIES)).unwrap();
        assert!(
            text.contains("version=0\nbroker.id=1\ncluster.id=abc\n"),
            "{text}"
        );
        check_meta_properties(a.path(), 1, None).unwrap();
        let e = check_meta_properties(a.path(), 2, Some("abc")).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: broker.id is 1 but this broker is configured with broker.id=2; the directory belongs to another broker or cluster",
                a.path().join(META_PROPERTIES).display()
            )
        );
        let e = check_meta_properties(a.path(), 1, Some("xyz")).unwrap_err();
        assert!(
            matches!(
                e,
                LogError::MetaMismatch {
                    key: "cluster.id",
                    ..
                }
            ),
            "{e}"
        );
        std::fs::write(a.path().join(META_PROPERTIES), "version=1\n").unwrap();
        assert!(matches!(
            check_meta_properties(a.path(), 1, None),
            Err(LogError::BadMeta { .. })
        ));
    }

    #[test]
    fn interrupted_deletions_are_finished_and_strange_dirs_ignored() {
        let a = tempfile::tempdir().unwrap();
        std::fs::create_dir(a.path().join("t-0.0123456789abcdef0123456789abcdef-delete")).unwrap();
        std::fs::create_dir(a.path().join("not_a_partition")).unwrap();
        let (m, loaded) = LogManager::open(cfg(&[a.path()]), &topic_cfg, 0, 1).unwrap();
        assert!(loaded.is_empty());
        assert!(m.partitions().is_empty());
        assert!(
            !a.path()
                .join("t-0.0123456789abcdef0123456789abcdef-delete")
                .exists()
        );
    }
}
