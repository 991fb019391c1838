//! The text `consumer-groups` prints, character for character as Kafka's ConsumerGroupCommand:
//! its `printf` column widths (a column is as wide as its longest value, at least 15), the
//! newline-before-each-row habit (a table starts with an empty line), "-" for a missing
//! value, and the iteration orders of the Java maps it prints from ([`java_hash_order`]).
//!
//! Pure: every function takes the data and returns the text; the caller decides stdout or
//! stderr, as Kafka does (state notes go to stderr, "Error: ..." lines to stdout).

use std::collections::BTreeMap;

use serde::Serialize;

/// Kafka's placeholder for a missing value.
pub const MISSING: &str = "-";

/// Java's `String.hashCode` (over UTF-16 code units, wrapping).
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// Java's `TopicPartition.hashCode`: `31 * (31 + partition) + topic.hashCode()`.
pub fn java_topic_partition_hash(topic: &str, partition: i32) -> i32 {
    31i32
        .wrapping_mul(31i32.wrapping_add(partition))
        .wrapping_add(java_string_hash(topic))
}

/// The iteration order of a Java `HashMap` (default capacity 16, load factor 0.75, grown by
/// doubling) into which keys with these hashes were put in this order: by bucket
/// `(h ^ h >>> 16) & (capacity - 1)` of the final table, insertion order within a bucket
/// (resizing keeps it). Returns indexes into `hashes`. Duplicate keys must be removed first.
pub fn java_hash_order(hashes: &[i32]) -> Vec<usize> {
    let mut capacity: usize = 16;
    while hashes.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |h: i32| {
        let h = h as u32;
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut order: Vec<usize> = (0..hashes.len()).collect();
    // A stable sort keeps insertion order inside a bucket.
    order.sort_by_key(|&i| hashes.get(i).map(|&h| bucket(h)).unwrap_or(0));
    order
}

/// Java's `%-Ns`: left-justified, padded with spaces to `width` characters (never cut).
fn pad(s: &str, width: usize) -> String {
    let len = s.chars().count();
    if len >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - len))
    }
}

/// One row of the default `--describe` view (and of `--offsets`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OffsetRow {
    pub group: String,
    pub topic: Option<String>,
    pub partition: Option<i32>,
    pub leader_epoch: Option<i32>,
    pub current_offset: Option<i64>,
    pub log_end_offset: Option<i64>,
    pub lag: Option<i64>,
    pub consumer_id: Option<String>,
    pub host: Option<String>,
    pub client_id: Option<String>,
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| MISSING.to_string())
}

/// What Kafka prints about a group's state before its table, and whether the table follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateNote {
    /// Text for stdout (an "Error: ..." line), if any.
    pub stdout: String,
    /// Text for stderr (the no-active-members or rebalancing note), if any.
    pub stderr: String,
    pub print_table: bool,
}

/// Kafka's `shouldPrintMemberState`: `rows` is None when the group was not described.
pub fn state_note(group: &str, state: Option<&str>, rows: Option<usize>) -> StateNote {
    let mut note = StateNote {
        stdout: String::new(),
        stderr: String::new(),
        print_table: false,
    };
    let Some(rows) = rows else {
        note.stdout = error_line(&format!("The consumer group '{group}' does not exist."));
        return note;
    };
    let state = state.unwrap_or("Unknown");
    match state {
        "Dead" => {
            note.stdout = error_line(&format!("Consumer group '{group}' does not exist."));
            return note;
        }
        "Empty" => note.stderr = format!("\nConsumer group '{group}' has no active members.\n"),
        "PreparingRebalance" | "CompletingRebalance" | "Assigning" | "Reconciling" => {
            note.stderr = format!("\nWarning: Consumer group '{group}' is rebalancing.\n")
        }
        _ => {}
    }
    note.print_table = rows > 0;
    note
}

/// Kafka's `printError` without an exception: an empty line, then "Error: message".
pub fn error_line(message: &str) -> String {
    format!("\nError: {message}\n")
}

/// The offsets table of one group (Kafka's `printOffsets`); `extra` adds rkafka's LAG/S
/// column (the `--watch` view) with one value per row.
pub fn offsets_table(rows: &[OffsetRow], verbose: bool, extra: Option<&[String]>) -> String {
    let width = |f: &dyn Fn(&OffsetRow) -> String| {
        rows.iter()
            .map(|r| f(r).chars().count())
            .max()
            .unwrap_or(0)
            .max(15)
    };
    let group_w = width(&|r| r.group.clone());
    let topic_w = width(&|r| opt(&r.topic));
    let consumer_w = width(&|r| opt(&r.consumer_id));
    let host_w = width(&|r| opt(&r.host));
    let line = |cells: [&str; 10]| {
        let [
            group,
            topic,
            partition,
            epoch,
            current,
            end,
            lag,
            consumer,
            host,
            client,
        ] = cells;
        let mut s = format!(
            "\n{} {} {} ",
            pad(group, group_w),
            pad(topic, topic_w),
            pad(partition, 10)
        );
        if verbose {
            s.push_str(&pad(epoch, 15));
            s.push(' ');
        }
        s.push_str(&format!(
            "{} {} {} {} {} {}",
            pad(current, 15),
            pad(end, 15),
            pad(lag, 15),
            pad(consumer, consumer_w),
            pad(host, host_w),
            client
        ));
        s
    };
    let mut out = line([
        "GROUP",
        "TOPIC",
        "PARTITION",
        "LEADER-EPOCH",
        "CURRENT-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
        "CONSUMER-ID",
        "HOST",
        "CLIENT-ID",
    ]);
    if let Some(extra) = extra {
        let _ = extra;
        out.push_str("  LAG/S");
    }
    for (i, r) in rows.iter().enumerate() {
        out.push_str(&line([
            &r.group,
            &opt(&r.topic),
            &opt(&r.partition),
            &opt(&r.leader_epoch),
            &opt(&r.current_offset),
            &opt(&r.log_end_offset),
            &opt(&r.lag),
            &opt(&r.consumer_id),
            &opt(&r.host),
            &opt(&r.client_id),
        ]));
        if let Some(v) = extra.and_then(|e| e.get(i)) {
            out.push_str("  ");
            out.push_str(v);
        }
    }
    out.push('\n');
    out
}

/// One member row of `--members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberRow {
    pub group: String,
    pub consumer_id: String,
    /// Empty when the member is not static.
    pub group_instance_id: String,
    pub host: String,
    pub client_id: String,
    pub partitions: Vec<(String, i32)>,
}

/// Kafka's assignment text: "topic:0,1,2" per topic (partitions sorted), topics sorted,
/// joined by ";"; "-" when empty.
pub fn assignment_string(partitions: &[(String, i32)]) -> String {
    if partitions.is_empty() {
        return MISSING.to_string();
    }
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (t, p) in partitions {
        by_topic.entry(t.as_str()).or_default().push(*p);
    }
    let mut parts: Vec<String> = by_topic
        .into_iter()
        .map(|(t, mut ps)| {
            ps.sort_unstable();
            let list: Vec<String> = ps.iter().map(ToString::to_string).collect();
            format!("{t}:{}", list.join(","))
        })
        .collect();
    parts.sort();
    parts.join(";")
}

/// The members table of one group (Kafka's `printMembers`, classic-group columns: epochs and
/// target assignments are "-").
pub fn members_table(rows: &[MemberRow], verbose: bool) -> String {
    let w = |f: &dyn Fn(&MemberRow) -> usize, min: usize| {
        rows.iter().map(f).max().unwrap_or(0).max(min)
    };
    let group_w = w(&|r| r.group.chars().count(), 15);
    let consumer_w = w(&|r| r.consumer_id.chars().count(), 15);
    let instance_w = w(&|r| r.group_instance_id.chars().count(), 17);
    let host_w = w(&|r| r.host.chars().count(), 15);
    let client_w = w(&|r| r.client_id.chars().count(), 15);
    let current_w = w(&|r| assignment_string(&r.partitions).chars().count(), 20);
    let target_w = 20;
    let with_instance = rows.iter().any(|r| !r.group_instance_id.is_empty());
    let base = |group: &str, consumer: &str, instance: &str, host: &str, client: &str, n: &str| {
        let mut s = format!("{} {} ", pad(group, group_w), pad(consumer, consumer_w));
        if with_instance {
            s.push_str(&pad(instance, instance_w));
            s.push(' ');
        }
        s.push_str(&format!(
            "{} {} {} ",
            pad(host, host_w),
            pad(client, client_w),
            pad(n, 15)
        ));
        s
    };
    let tail = |a: &str, b: &str, c: &str, d: &str| {
        format!(
            "{} {} {} {}",
            pad(a, 15),
            pad(b, current_w),
            pad(c, 15),
            pad(d, target_w)
        )
    };
    let mut out = String::from("\n");
    out.push_str(&base(
        "GROUP",
        "CONSUMER-ID",
        "GROUP-INSTANCE-ID",
        "HOST",
        "CLIENT-ID",
        "#PARTITIONS",
    ));
    if verbose {
        out.push_str(&tail(
            "CURRENT-EPOCH",
            "CURRENT-ASSIGNMENT",
            "TARGET-EPOCH",
            "TARGET-ASSIGNMENT",
        ));
    }
    out.push('\n');
    for r in rows {
        out.push_str(&base(
            &r.group,
            &r.consumer_id,
            &r.group_instance_id,
            &r.host,
            &r.client_id,
            &r.partitions.len().to_string(),
        ));
        if verbose {
            out.push_str(&tail(
                MISSING,
                &assignment_string(&r.partitions),
                MISSING,
                MISSING,
            ));
        }
        out.push('\n');
    }
    out
}

/// What `--describe --state` shows of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateRow {
    pub group: String,
    pub coordinator_host: String,
    pub coordinator_port: i32,
    pub coordinator_id: i32,
    pub assignment_strategy: String,
    pub state: String,
    pub members: usize,
}

/// Kafka's `printStates` for one group.
pub fn state_table(s: &StateRow, verbose: bool) -> String {
    let coordinator = format!(
        "{}:{}  ({})",
        s.coordinator_host, s.coordinator_port, s.coordinator_id
    );
    let coord_w = coordinator.chars().count().max(25);
    let group_w = s.group.chars().count().max(15);
    let strategy = if s.assignment_strategy.is_empty() {
        MISSING
    } else {
        &s.assignment_strategy
    };
    let line = |cells: [&str; 7]| {
        let [group, coord, strat, state, epoch, target, members] = cells;
        let mut l = format!(
            "\n{} {} {} {} ",
            pad(group, group_w),
            pad(coord, coord_w),
            pad(strat, 20),
            pad(state, 20)
        );
        if verbose {
            l.push_str(&format!("{} {} ", pad(epoch, 15), pad(target, 25)));
        }
        l.push_str(members);
        l
    };
    let mut out = line([
        "GROUP",
        "COORDINATOR (ID)",
        "ASSIGNMENT-STRATEGY",
        "STATE",
        "GROUP-EPOCH",
        "TARGET-ASSIGNMENT-EPOCH",
        "#MEMBERS",
    ]);
    out.push_str(&line([
        &s.group,
        &coordinator,
        strategy,
        &s.state,
        MISSING,
        MISSING,
        &s.members.to_string(),
    ]));
    out.push('\n');
    out
}

/// `--list --state`: Kafka's `printGroupInfo` (groups in the order listed).
pub fn list_with_state(groups: &[(String, String)]) -> String {
    let group_w = groups
        .iter()
        .map(|(g, _)| g.chars().count().max(15))
        .max()
        .unwrap_or(15)
        + 10;
    let mut out = format!("{} {}\n", pad("GROUP", group_w), pad("STATE", 20));
    for (g, s) in groups {
        out.push_str(&format!("{} {}\n", pad(g, group_w), pad(s, 20)));
    }
    out
}

/// A reset plan: per group, the new offset of each partition, in printing order.
pub type ResetPlan = [(String, Vec<((String, i32), i64)>)];

/// Kafka's `printOffsetsToReset`: groups and partitions in the order given.
pub fn reset_table(plan: &ResetPlan) -> String {
    let group_w = plan
        .iter()
        .map(|(g, _)| g.chars().count())
        .max()
        .unwrap_or(0)
        .max(15);
    let topic_w = plan
        .iter()
        .flat_map(|(_, ps)| ps.iter().map(|((t, _), _)| t.chars().count()))
        .max()
        .unwrap_or(0)
        .max(15);
    let line = |g: &str, t: &str, p: &str, o: &str| {
        format!(
            "\n{} {} {} {o}",
            pad(g, group_w),
            pad(t, topic_w),
            pad(p, 10)
        )
    };
    let mut out = String::new();
    if !plan.is_empty() {
        out.push_str(&line("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"));
    }
    for (g, ps) in plan {
        for ((t, p), o) in ps {
            out.push_str(&line(g, t, &p.to_string(), &o.to_string()));
        }
    }
    out.push('\n');
    out
}

/// `--export`: Kafka's CSV (`topic,partition,offset`, with the group first when more than
/// one `--group` was given), one line per partition, then the empty line of its println.
pub fn reset_csv(plan: &ResetPlan, with_group: bool) -> String {
    let mut out = String::new();
    for (g, ps) in plan {
        for ((t, p), o) in ps {
            if with_group {
                out.push_str(&format!("{},{t},{p},{o}\n", csv_field(g)));
            } else {
                out.push_str(&format!("{},{p},{o}\n", csv_field(t)));
            }
        }
    }
    out.push('\n');
    out
}

/// A CSV field quoted as Jackson's CSV writer does when it holds a separator or a quote.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `--delete-offsets`' table: rows sorted by the text `topic + partition`, as Kafka sorts.
/// A partition of -1 stands for a topic that could not be described.
pub fn delete_offsets_table(rows: &[((String, i32), Option<String>)]) -> String {
    let topic_w = rows
        .iter()
        .map(|((t, _), _)| t.chars().count())
        .max()
        .unwrap_or(0)
        .max(15);
    let mut sorted: Vec<&((String, i32), Option<String>)> = rows.iter().collect();
    sorted.sort_by_key(|((t, p), _)| format!("{t}{p}"));
    let line =
        |t: &str, p: &str, s: &str| format!("\n{} {} {}", pad(t, topic_w), pad(p, 10), pad(s, 15));
    let mut out = line("TOPIC", "PARTITION", "STATUS");
    for ((t, p), err) in sorted {
        let partition = if *p >= 0 {
            p.to_string()
        } else {
            MISSING.to_string()
        };
        let status = match err {
            Some(e) => format!("Error: {e}"),
            None => "Successful".to_string(),
        };
        out.push_str(&line(t, &partition, &status));
    }
    out.push('\n');
    out
}

/// Kafka's quoted group list: `'g1', 'g2'`, in Java `HashMap<String, _>` order.
pub fn quoted_groups(groups: &[String]) -> String {
    let hashes: Vec<i32> = groups.iter().map(|g| java_string_hash(g)).collect();
    java_hash_order(&hashes)
        .into_iter()
        .filter_map(|i| groups.get(i))
        .map(|g| format!("'{g}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(group: &str, topic: &str, p: i32, cur: Option<i64>, end: Option<i64>) -> OffsetRow {
        OffsetRow {
            group: group.into(),
            topic: Some(topic.into()),
            partition: Some(p),
            leader_epoch: None,
            current_offset: cur,
            log_end_offset: end,
            lag: cur.zip(end).map(|(c, e)| e - c),
            consumer_id: None,
            host: None,
            client_id: None,
        }
    }

    #[test]
    fn offsets_table_pads_to_fifteen_and_to_the_longest_value() {
        let rows = vec![
            row("g1", "t", 0, Some(3), Some(5)),
            row("g1", "a-very-long-topic-name", 1, None, Some(7)),
        ];
        let text = offsets_table(&rows, false, None);
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines[0], "");
        assert_eq!(
            lines[1],
            "GROUP           TOPIC                  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID"
        );
        assert_eq!(
            lines[2],
            "g1              t                      0          3               5               2               -               -               -"
        );
        assert_eq!(
            lines[3],
            "g1              a-very-long-topic-name 1          -               7               -               -               -               -"
        );
        assert_eq!(lines[4], "");
        assert_eq!(lines.len(), 5);
    }

    #[test]
    fn verbose_offsets_add_the_leader_epoch_column() {
        let mut r = row("g", "t", 0, Some(1), Some(1));
        r.leader_epoch = Some(4);
        let text = offsets_table(&[r], true, None);
        assert!(
            text.contains("PARTITION  LEADER-EPOCH    CURRENT-OFFSET"),
            "{text}"
        );
        assert!(text.contains("0          4               1 "), "{text}");
    }

    #[test]
    fn state_notes_are_kafkas() {
        let n = state_note("g", Some("Empty"), Some(2));
        assert_eq!(n.stderr, "\nConsumer group 'g' has no active members.\n");
        assert!(n.print_table);
        let n = state_note("g", Some("Dead"), Some(0));
        assert_eq!(n.stdout, "\nError: Consumer group 'g' does not exist.\n");
        assert!(!n.print_table);
        let n = state_note("g", Some("PreparingRebalance"), Some(0));
        assert!(
            n.stderr
                .contains("Warning: Consumer group 'g' is rebalancing.")
        );
        assert!(!n.print_table);
        assert!(state_note("g", Some("Stable"), Some(1)).stderr.is_empty());
    }

    #[test]
    fn members_table_has_kafkas_trailing_space_and_instance_column_only_when_static() {
        let rows = vec![MemberRow {
            group: "g".into(),
            consumer_id: "c-1".into(),
            group_instance_id: String::new(),
            host: "/127.0.0.1".into(),
            client_id: "cl".into(),
            partitions: vec![("t".into(), 1), ("t".into(), 0), ("a".into(), 2)],
        }];
        let text = members_table(&rows, false);
        assert_eq!(
            text,
            "\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     \n\
             g               c-1             /127.0.0.1      cl              3               \n"
        );
        let verbose = members_table(&rows, true);
        assert!(verbose.contains("a:2;t:0,1"), "{verbose}");
        let mut stat = rows.clone();
        stat[0].group_instance_id = "i1".into();
        assert!(members_table(&stat, false).contains("GROUP-INSTANCE-ID"));
    }

    #[test]
    fn state_and_list_tables() {
        let s = StateRow {
            group: "g".into(),
            coordinator_host: "localhost".into(),
            coordinator_port: 9092,
            coordinator_id: 1,
            assignment_strategy: String::new(),
            state: "Empty".into(),
            members: 0,
        };
        assert_eq!(
            state_table(&s, false),
            "\nGROUP           COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE                #MEMBERS\
             \ng               localhost:9092  (1)       -                    Empty                0\n"
        );
        let l = list_with_state(&[("g1".into(), "Stable".into())]);
        assert_eq!(
            l,
            format!(
                "{:<25} {:<20}\n{:<25} {:<20}\n",
                "GROUP", "STATE", "g1", "Stable"
            )
        );
    }

    #[test]
    fn reset_outputs() {
        let plan = vec![(
            "g".to_string(),
            vec![(("t".to_string(), 0), 5), (("t".to_string(), 1), 7)],
        )];
        assert_eq!(
            reset_table(&plan),
            "\nGROUP           TOPIC           PARTITION  NEW-OFFSET\
             \ng               t               0          5\
             \ng               t               1          7\n"
        );
        assert_eq!(reset_table(&[]), "\n");
        assert_eq!(reset_csv(&plan, false), "t,0,5\nt,1,7\n\n");
        assert_eq!(reset_csv(&plan, true), "g,t,0,5\ng,t,1,7\n\n");
    }

    #[test]
    fn delete_offsets_rows_sort_as_text() {
        let rows = vec![
            (("t".to_string(), 10), None),
            (("t".to_string(), 2), Some("boom".to_string())),
        ];
        let text = delete_offsets_table(&rows);
        let t10 = text.find("t               10").unwrap();
        let t2 = text.find("t               2 ").unwrap();
        assert!(t10 < t2, "{text}");
        assert!(text.contains("Error: boom"));
    }

    #[test]
    fn java_hash_order_matches_hashmap_buckets() {
        // "b" hashes to 98 (bucket 2), "a" to 97 (bucket 1), "q" to 113 (bucket 1).
        assert_eq!(java_string_hash("a"), 97);
        let order = java_hash_order(&[98, 113, 97]);
        assert_eq!(order, vec![1, 2, 0]);
        assert_eq!(
            quoted_groups(&["b".into(), "a".into()]),
            "'a', 'b'".to_string()
        );
        assert_eq!(java_topic_partition_hash("", 0), 961);
    }
}
