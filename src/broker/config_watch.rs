//! The topic config watcher: follows `/config/changes` (Kafka's
//! `ZkNodeChangeNotificationListener` for topic configs) on its own coordinator session, so its
//! watches never mix with the runtime's or the controller's. For each new
//! `config_change_<seq>` notification naming `topics/<t>` it re-reads `/config/topics/<t>` and
//! gives the logs of `t`'s hosted partitions the resolved [`LogConfig`] (topic overrides over
//! the broker's `server.properties`). Notifications are processed in sequence order, each once;
//! at start every existing one is applied (re-applying a config is harmless). A lost watch is
//! covered by re-listing every [`RESCAN`].
//!
//! Entry point for the runtime: [`spawn`] -> [`ConfigWatchHandle`], `shutdown().await`.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::admin::zk_topics;
use crate::broker::handlers::BrokerContext;
use crate::config::resolve::ResolvedConfig;
use crate::config::server::TOPIC;
use crate::coordinator::client::{ClientConfig, ZkClient, ZkError};
use crate::coordinator::kafka_paths::{ConfigChangeNotification, path};
use crate::log::config::LogConfig;
use crate::log::manager::lock_log;

/// How often the notifications are listed even without a watch firing.
pub const RESCAN: Duration = Duration::from_secs(5);

/// The prefix of notification znodes.
const PREFIX: &str = "config_change_";

/// The running watcher.
#[derive(Debug)]
pub struct ConfigWatchHandle {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl ConfigWatchHandle {
    /// Stops the watcher and closes its session.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}

/// The log config of a topic with `overrides` on a broker configured as `broker`: each
/// override that parses against the topic table wins over the broker's default.
pub fn topic_log_config(
    broker: &ResolvedConfig,
    overrides: &BTreeMap<String, String>,
) -> LogConfig {
    LogConfig::resolve(broker, &|key| {
        let raw = overrides.get(key)?;
        TOPIC.get(key)?.parse(raw).ok()
    })
}

/// The notifications among `children` newer than `last` (by sequence number), oldest first.
pub fn new_notifications(children: &[String], last: Option<u64>) -> Vec<(u64, String)> {
    let mut out: Vec<(u64, String)> = children
        .iter()
        .filter_map(|c| {
            let seq = c.strip_prefix(PREFIX)?.parse::<u64>().ok()?;
            (last.is_none_or(|l| seq > l)).then(|| (seq, c.clone()))
        })
        .collect();
    out.sort();
    out
}

/// Applies `topic`'s current overrides to its hosted partitions' logs.
pub async fn apply_topic(
    ctx: &BrokerContext,
    zk: &ZkClient,
    topic: &str,
) -> Result<(), zk_topics::ZkTopicError> {
    let overrides = zk_topics::topic_config(zk, topic).await?;
    let config = topic_log_config(&ctx.config, &overrides);
    for hosted in ctx.replicas.hosted() {
        if hosted.tp.topic == topic {
            lock_log(&hosted.log).set_config(config.clone());
        }
    }
    Ok(())
}

/// Connects its own session and starts following `/config/changes`.
pub async fn spawn(ctx: BrokerContext, zk: ClientConfig) -> Result<ConfigWatchHandle, ZkError> {
    let (client, mut events) = ZkClient::connect(zk).await?;
    let (stop_tx, mut stop_rx) = oneshot::channel();
    let task = tokio::spawn(async move {
        let mut last: Option<u64> = None;
        loop {
            match client.get_children(path::CONFIG_CHANGES, true).await {
                Ok(children) => {
                    for (seq, name) in new_notifications(&children, last) {
                        let p = format!("{}/{name}", path::CONFIG_CHANGES);
                        if let Ok((bytes, _)) = client.get_data(&p, false).await
                            && let Ok(note) = ConfigChangeNotification::decode(&bytes)
                            && let Some(topic) = note.entity_path.strip_prefix("topics/")
                            && let Err(e) = apply_topic(&ctx, &client, topic).await
                        {
                            tracing::warn!("cannot apply the config of topic {topic}: {e}");
                        }
                        last = Some(seq);
                    }
                }
                // Not created yet: the exists watch below tells when it is.
                Err(ZkError::NoNode { .. }) => {
                    let _ = client.exists(path::CONFIG_CHANGES, true).await;
                }
                Err(e) => tracing::warn!("cannot list {}: {e}", path::CONFIG_CHANGES),
            }
            tokio::select! {
                _ = &mut stop_rx => break,
                event = events.recv() => if event.is_none() { break },
                _ = tokio::time::sleep(RESCAN) => {}
            }
        }
        let _ = client.close().await;
    });
    Ok(ConfigWatchHandle {
        stop: Some(stop_tx),
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_in_sequence_order_once() {
        let children: Vec<String> = [
            "config_change_0000000002",
            "config_change_0000000000",
            "other",
        ]
        .map(String::from)
        .to_vec();
        let all = new_notifications(&children, None);
        assert_eq!(all.iter().map(|n| n.0).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(new_notifications(&children, Some(0)).len(), 1);
        assert!(new_notifications(&children, Some(2)).is_empty());
    }

    #[test]
    fn overrides_win_over_the_broker() {
        let broker = crate::broker::replica::tests::broker_config(&["log.retention.hours=1"]);
        let none = topic_log_config(&broker, &BTreeMap::new());
        assert_eq!(none.retention_ms, 3_600_000);
        let set: BTreeMap<String, String> = [
            ("retention.ms".to_string(), "5000".to_string()),
            ("segment.bytes".to_string(), "not a number".to_string()),
        ]
        .into();
        let c = topic_log_config(&broker, &set);
        assert_eq!(c.retention_ms, 5000);
        assert_eq!(
            c.segment_bytes, none.segment_bytes,
            "unparsable override ignored"
        );
    }
}
