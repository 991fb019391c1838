//! What `topics` prints: Kafka 3.9 TopicCommand's text lines (list, describe) and the same
//! data as JSON for `--output json`. Pure: the caller passes the topics and a writer.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::Serialize;

use super::DescribeFilter;
use crate::coordinator::kafka_paths::Uuid;

/// Output format of the tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Kafka's text, line for line
    Text,
    /// One JSON document
    Json,
}

/// One partition as `--describe` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionInfo {
    pub partition: i32,
    /// None when the partition has no leader (no state yet, or leader -1).
    pub leader: Option<i32>,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    /// A reassignment in progress (KIP-455): replicas being added and removed. `replicas`
    /// holds both the old and the new ones meanwhile.
    pub reassignment: Option<Reassigning>,
    /// Eligible leader replicas (KIP-966) as DescribeTopicPartitions reports them; None
    /// where the cluster does not report them (ZooKeeper mode, Metadata API): shown `N/A`.
    pub elr: Option<Vec<i32>>,
    pub last_known_elr: Option<Vec<i32>>,
}

/// The replicas a reassignment in progress adds and removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reassigning {
    pub adding: Vec<i32>,
    pub removing: Vec<i32>,
}

impl PartitionInfo {
    /// Kafka's replication factor of a partition: during a reassignment the replicas being
    /// added do not count yet.
    pub fn replication_factor(&self) -> usize {
        match &self.reassignment {
            Some(r)
                if self
                    .replicas
                    .iter()
                    .any(|x| r.adding.contains(x) || r.removing.contains(x)) =>
            {
                self.replicas.len().saturating_sub(r.adding.len())
            }
            _ => self.replicas.len(),
        }
    }
    /// Kafka: fewer in-sync replicas than the replication factor.
    pub fn is_under_replicated(&self) -> bool {
        self.replication_factor() > self.isr.len()
    }
    /// Kafka: no leader, or fewer in-sync replicas than the topic's min.insync.replicas.
    pub fn is_under_min_isr(&self, min_isr: Option<i32>) -> bool {
        self.leader.is_none() || min_isr.is_some_and(|m| (self.isr.len() as i64) < i64::from(m))
    }
    /// Kafka: exactly min.insync.replicas in-sync replicas.
    pub fn is_at_min_isr(&self, min_isr: Option<i32>) -> bool {
        min_isr.is_some_and(|m| self.isr.len() as i64 == i64::from(m))
    }
    /// Kafka: no leader, or a leader that is not a live broker.
    pub fn is_unavailable(&self, live_brokers: &BTreeSet<i32>) -> bool {
        self.leader.is_none_or(|l| !live_brokers.contains(&l))
    }
}

/// One topic as `--describe` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicInfo {
    pub name: String,
    /// Kafka's base64 text form; None for topics created before Kafka 2.8.
    pub topic_id: Option<String>,
    /// The configs Kafka shows: overrides in ZooKeeper mode (defaults live in the brokers);
    /// with `--bootstrap-server` every entry not at its built-in default, in the broker's order.
    pub configs: Vec<(String, String)>,
    /// The topic's min.insync.replicas, for the min-ISR reports.
    pub min_isr: Option<i32>,
    pub marked_for_deletion: bool,
    /// Sorted by partition.
    pub partitions: Vec<PartitionInfo>,
}

impl TopicInfo {
    /// The replication factor Kafka prints: the first partition's.
    pub fn replication_factor(&self) -> usize {
        self.partitions
            .first()
            .map_or(0, PartitionInfo::replication_factor)
    }
}

fn ids(list: &[i32]) -> String {
    list.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// `--list`: one topic per line; a marked one as "t - marked for deletion" (ZooKeeper mode).
pub fn write_list(
    out: &mut dyn Write,
    topics: &[(String, bool)],
    format: OutputFormat,
) -> io::Result<()> {
    match format {
        OutputFormat::Text => {
            for (name, marked) in topics {
                if *marked {
                    writeln!(out, "{name} - marked for deletion")?;
                } else {
                    writeln!(out, "{name}")?;
                }
            }
            Ok(())
        }
        OutputFormat::Json => {
            #[derive(Serialize)]
            struct Entry<'a> {
                name: &'a str,
                marked_for_deletion: bool,
            }
            let list: Vec<Entry> = topics
                .iter()
                .map(|(name, marked)| Entry {
                    name,
                    marked_for_deletion: *marked,
                })
                .collect();
            write_json(out, &serde_json::json!({ "topics": list }))
        }
    }
}

/// The topic line of `--describe`.
pub fn topic_line(t: &TopicInfo) -> String {
    let mut line = format!("Topic: {}", t.name);
    if let Some(id) = &t.topic_id
        && id != &Uuid::ZERO.to_string()
    {
        line.push_str(&format!("\tTopicId: {id}"));
    }
    let configs: Vec<String> = t.configs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    line.push_str(&format!(
        "\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: {}",
        t.partitions.len(),
        t.replication_factor(),
        configs.join(",")
    ));
    if t.marked_for_deletion {
        line.push_str("\tMarkedForDeletion: true");
    }
    line
}

/// A partition line of `--describe`. ZooKeeper-mode brokers keep no eligible leader replicas,
/// so Kafka 3.9 shows `Elr: N/A` and `LastKnownElr: N/A` for them (checked against Kafka
/// 3.9.1's TopicCommand describing a topic on a ZooKeeper-mode 3.9.1 broker: same bytes).
pub fn partition_line(topic: &str, p: &PartitionInfo, marked_for_deletion: bool) -> String {
    let leader = p
        .leader
        .map_or_else(|| "none".to_string(), |l| l.to_string());
    let mut line = format!(
        "\tTopic: {topic}\tPartition: {}\tLeader: {leader}\tReplicas: {}\tIsr: {}",
        p.partition,
        ids(&p.replicas),
        ids(&p.isr)
    );
    if let Some(r) = &p.reassignment {
        line.push_str(&format!(
            "\tAdding Replicas: {}\tRemoving Replicas: {}",
            ids(&r.adding),
            ids(&r.removing)
        ));
    }
    let elr = |list: &Option<Vec<i32>>| list.as_deref().map_or_else(|| "N/A".to_string(), ids);
    line.push_str(&format!(
        "\tElr: {}\tLastKnownElr: {}",
        elr(&p.elr),
        elr(&p.last_known_elr)
    ));
    if marked_for_deletion {
        line.push_str("\tMarkedForDeletion: true");
    }
    line
}

/// `--describe`, filtered as Kafka's DescribeOptions does: the report flags show only
/// matching partitions and no topic line; `--topics-with-overrides` shows only the topic line
/// of topics with overrides.
pub fn write_describe(
    out: &mut dyn Write,
    topics: &[TopicInfo],
    live_brokers: &BTreeSet<i32>,
    show: DescribeFilter,
    format: OutputFormat,
) -> io::Result<()> {
    let describe_configs =
        !show.under_replicated && !show.unavailable && !show.under_min_isr && !show.at_min_isr;
    let describe_partitions = !show.with_overrides;
    let mut json_topics = Vec::new();
    for t in topics {
        let wanted = |p: &PartitionInfo| {
            describe_configs
                || (show.under_replicated && p.is_under_replicated())
                || (show.unavailable && p.is_unavailable(live_brokers))
                || (show.under_min_isr && p.is_under_min_isr(t.min_isr))
                || (show.at_min_isr && p.is_at_min_isr(t.min_isr))
        };
        let show_topic = describe_configs && (!show.with_overrides || !t.configs.is_empty());
        let parts: Vec<&PartitionInfo> = if describe_partitions {
            t.partitions.iter().filter(|p| wanted(p)).collect()
        } else {
            Vec::new()
        };
        match format {
            OutputFormat::Text => {
                if show_topic {
                    writeln!(out, "{}", topic_line(t))?;
                }
                for p in parts {
                    writeln!(out, "{}", partition_line(&t.name, p, t.marked_for_deletion))?;
                }
            }
            OutputFormat::Json => {
                if show_topic || !parts.is_empty() {
                    json_topics.push(serde_json::json!({
                        "name": t.name,
                        "topic_id": t.topic_id,
                        "partition_count": t.partitions.len(),
                        "replication_factor": t.replication_factor(),
                        "configs": t.configs.iter().cloned().collect::<BTreeMap<_, _>>(),
                        "marked_for_deletion": t.marked_for_deletion,
                        "partitions": parts,
                    }));
                }
            }
        }
    }
    if format == OutputFormat::Json {
        write_json(out, &serde_json::json!({ "topics": json_topics }))?;
    }
    Ok(())
}

/// Writes one JSON document and a newline.
pub fn write_json(out: &mut dyn Write, value: &serde_json::Value) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic() -> TopicInfo {
        TopicInfo {
            name: "test".into(),
            topic_id: Some("ASNFZ4mrze_-3LqYdlQyEA".into()),
            configs: Vec::new(),
            min_isr: None,
            marked_for_deletion: false,
            partitions: vec![
                PartitionInfo {
                    partition: 0,
                    leader: Some(1),
                    replicas: vec![1, 2],
                    isr: vec![1, 2],
                    reassignment: None,
                    elr: None,
                    last_known_elr: None,
                },
                PartitionInfo {
                    partition: 1,
                    leader: None,
                    replicas: vec![2, 1],
                    isr: vec![],
                    reassignment: None,
                    elr: None,
                    last_known_elr: None,
                },
            ],
        }
    }

    fn text(topics: &[TopicInfo], show: DescribeFilter) -> String {
        let mut buf = Vec::new();
        let live: BTreeSet<i32> = [1, 2].into();
        write_describe(&mut buf, topics, &live, show, OutputFormat::Text).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn describe_lines_are_kafkas() {
        assert_eq!(
            text(&[topic()], DescribeFilter::default()),
            "Topic: test\tTopicId: ASNFZ4mrze_-3LqYdlQyEA\tPartitionCount: 2\tReplicationFactor: 2\tConfigs: \n\
             \tTopic: test\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\tElr: N/A\tLastKnownElr: N/A\n\
             \tTopic: test\tPartition: 1\tLeader: none\tReplicas: 2,1\tIsr: \tElr: N/A\tLastKnownElr: N/A\n"
        );
        let mut t = topic();
        t.topic_id = None;
        t.marked_for_deletion = true;
        t.configs.push(("cleanup.policy".into(), "compact".into()));
        t.configs.push(("retention.ms".into(), "1".into()));
        assert_eq!(
            topic_line(&t),
            "Topic: test\tPartitionCount: 2\tReplicationFactor: 2\tConfigs: cleanup.policy=compact,retention.ms=1\tMarkedForDeletion: true"
        );
    }

    #[test]
    fn reassignments_in_progress() {
        let p = PartitionInfo {
            partition: 0,
            leader: Some(1),
            replicas: vec![1, 2, 3],
            isr: vec![1],
            reassignment: Some(Reassigning {
                adding: vec![2, 3],
                removing: vec![],
            }),
            elr: Some(vec![]),
            last_known_elr: Some(vec![2]),
        };
        assert_eq!(p.replication_factor(), 1);
        assert!(!p.is_under_replicated());
        assert_eq!(
            partition_line("t", &p, false),
            "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1\tAdding Replicas: 2,3\tRemoving Replicas: \tElr: \tLastKnownElr: 2"
        );
    }

    #[test]
    fn report_flags_filter_partitions() {
        let only_bad = text(
            &[topic()],
            DescribeFilter {
                under_replicated: true,
                ..Default::default()
            },
        );
        assert_eq!(only_bad.lines().count(), 1);
        assert!(only_bad.contains("Partition: 1"));
        let unavailable = text(
            &[topic()],
            DescribeFilter {
                unavailable: true,
                ..Default::default()
            },
        );
        assert!(unavailable.contains("Partition: 1") && !unavailable.contains("Partition: 0"));
        let overrides = DescribeFilter {
            with_overrides: true,
            ..Default::default()
        };
        assert_eq!(text(&[topic()], overrides), "");
        let mut t = topic();
        t.configs.push(("retention.ms".into(), "1".into()));
        assert_eq!(text(&[t], overrides).lines().count(), 1);
        let mut t = topic();
        t.min_isr = Some(2);
        let under = DescribeFilter {
            under_min_isr: true,
            ..Default::default()
        };
        let at = DescribeFilter {
            at_min_isr: true,
            ..Default::default()
        };
        assert_eq!(
            text(std::slice::from_ref(&t), under).lines().count(),
            1,
            "leaderless"
        );
        assert!(text(std::slice::from_ref(&t), at).contains("Partition: 0"));
    }

    #[test]
    fn list_and_json() {
        let mut buf = Vec::new();
        write_list(
            &mut buf,
            &[("a".into(), false), ("b".into(), true)],
            OutputFormat::Text,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "a\nb - marked for deletion\n"
        );
        let mut buf = Vec::new();
        let live: BTreeSet<i32> = [1].into();
        write_describe(
            &mut buf,
            &[topic()],
            &live,
            DescribeFilter::default(),
            OutputFormat::Json,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(
            v["topics"][0]["partitions"][1]["leader"],
            serde_json::Value::Null
        );
        assert_eq!(v["topics"][0]["replication_factor"], 2);
    }
}
