//! Planning `--reset-offsets` without touching the network: which partitions a scope names,
//! and the new offset of each from the scenario (--to-earliest, --to-latest, --to-current,
//! --to-offset, --shift-by, --to-datetime, --by-duration, --from-file), the committed offsets
//! and the partitions' earliest / latest / by-timestamp offsets, clamped into the log as
//! Kafka's GroupOffsetsResetter does. Time comes in as a parameter (`now_ms`).

use std::collections::BTreeMap;

use super::format::{java_hash_order, java_topic_partition_hash};

pub type TopicPartition = (String, i32);

/// How new offsets are chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scenario {
    ToEarliest,
    ToLatest,
    ToCurrent,
    ToOffset(i64),
    ShiftBy(i64),
    /// Milliseconds since the epoch.
    ToDatetime(i64),
    /// A duration in milliseconds before now.
    ByDuration(i64),
    /// The per-group plan read from a CSV file.
    FromFile(BTreeMap<String, Vec<(TopicPartition, i64)>>),
}

impl Scenario {
    /// Whether the partitions' offsets at a timestamp are needed, and which timestamp.
    pub fn timestamp(&self, now_ms: i64) -> Option<i64> {
        match self {
            Scenario::ToDatetime(ts) => Some(*ts),
            Scenario::ByDuration(d) => Some(now_ms.saturating_sub(*d)),
            _ => None,
        }
    }
}

/// Why planning failed, split as Kafka's tool reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// An IllegalArgumentException in Kafka: the message and the usage on stderr, exit 1.
    Usage(String),
    /// Anything else: "Error: Executing consumer group command failed due to ..." on stdout.
    Failed(String),
}

/// A partition's offset from ListOffsets: the value, or why there is none.
pub type LogOffset = Result<i64, String>;

/// The log offsets the planner may consult.
#[derive(Debug, Clone, Default)]
pub struct LogOffsets {
    pub earliest: BTreeMap<TopicPartition, LogOffset>,
    pub latest: BTreeMap<TopicPartition, LogOffset>,
    /// Offsets at the scenario's timestamp (-1: no record at or after it).
    pub at_time: BTreeMap<TopicPartition, LogOffset>,
}

/// A plan for one group: new offsets in the order Kafka prints them, plus the notes Kafka
/// prints on stdout (empty partitions under --to-datetime/--by-duration) and logs as warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupPlan {
    pub offsets: Vec<(TopicPartition, i64)>,
    pub stdout_notes: String,
    pub warnings: Vec<String>,
}

/// Kafka's `topic-partition` spelling.
pub fn tp_string((t, p): &TopicPartition) -> String {
    format!("{t}-{p}")
}

/// Splits `--topic` arguments into explicit partitions (`t:0,1`) and whole topics (`t`).
pub fn parse_topic_args(args: &[String]) -> Result<(Vec<TopicPartition>, Vec<String>), PlanError> {
    let mut explicit = Vec::new();
    let mut whole = Vec::new();
    for arg in args {
        if !arg.contains(':') {
            whole.push(arg.clone());
            continue;
        }
        let parts: Vec<&str> = arg.split(':').collect();
        // Java's split drops trailing empty strings: "t:" is one part.
        let parts: Vec<&str> = match parts.iter().rposition(|p| !p.is_empty()) {
            Some(last) => parts[..=last].to_vec(),
            None => Vec::new(),
        };
        let [topic, partitions] = parts.as_slice() else {
            return Err(PlanError::Usage(format!(
                "Invalid topic arg '{arg}', expected topic name and partitions"
            )));
        };
        for p in partitions.split(',') {
            let n: i32 = p.parse().map_err(|_| {
                PlanError::Usage(format!(
                    "Invalid partition '{p}' specified in topic arg '{arg}''"
                ))
            })?;
            explicit.push((topic.to_string(), n));
        }
    }
    Ok((explicit, whole))
}

fn offset_of(
    map: &BTreeMap<TopicPartition, LogOffset>,
    tp: &TopicPartition,
) -> Option<Result<i64, String>> {
    map.get(tp).cloned()
}

/// Kafka's checkOffsetsRange: above the log end becomes the log end, below the log start
/// becomes the log start (each with a warning).
fn clamp(
    tp: &TopicPartition,
    offset: i64,
    logs: &LogOffsets,
    warnings: &mut Vec<String>,
) -> Result<i64, PlanError> {
    match offset_of(&logs.latest, tp) {
        Some(Ok(end)) if offset > end => {
            warnings.push(format!(
                "New offset ({offset}) is higher than latest offset for topic partition {}. Value will be set to {end}.",
                tp_string(tp)
            ));
            Ok(end)
        }
        Some(_) => match offset_of(&logs.earliest, tp) {
            Some(Ok(start)) if offset < start => {
                warnings.push(format!(
                    "New offset ({offset}) is lower than earliest offset for topic partition {}. Value will be set to {start}.",
                    tp_string(tp)
                ));
                Ok(start)
            }
            _ => Ok(offset),
        },
        None => Err(PlanError::Failed(format!(
            "Unexpected non-existing offset value for topic partition {}",
            tp_string(tp)
        ))),
    }
}

fn known(
    map: &BTreeMap<TopicPartition, LogOffset>,
    tp: &TopicPartition,
    what: &str,
) -> Result<i64, PlanError> {
    match map.get(tp) {
        Some(Ok(o)) => Ok(*o),
        Some(Err(e)) => Err(PlanError::Failed(e.clone())),
        None => Err(PlanError::Usage(format!(
            "Error getting {what} of topic partition: {}",
            tp_string(tp)
        ))),
    }
}

/// Plans the new offsets of `group` for `partitions` (ignored by --from-file, which brings
/// its own) under `scenario`.
pub fn plan_group(
    group: &str,
    scenario: &Scenario,
    partitions: &[TopicPartition],
    committed: &BTreeMap<TopicPartition, i64>,
    logs: &LogOffsets,
) -> Result<GroupPlan, PlanError> {
    let mut plan = GroupPlan::default();
    let mut offsets: Vec<(TopicPartition, i64)> = Vec::new();
    match scenario {
        Scenario::ToEarliest => {
            for tp in partitions {
                offsets.push((tp.clone(), known(&logs.earliest, tp, "starting offset")?));
            }
        }
        Scenario::ToLatest => {
            for tp in partitions {
                offsets.push((tp.clone(), known(&logs.latest, tp, "ending offset")?));
            }
        }
        Scenario::ToCurrent => {
            // Partitions with a committed offset keep it; the others go to the log end.
            for tp in partitions.iter().filter(|tp| committed.contains_key(*tp)) {
                offsets.push((tp.clone(), committed.get(tp).copied().unwrap_or(0)));
            }
            for tp in partitions.iter().filter(|tp| !committed.contains_key(*tp)) {
                offsets.push((tp.clone(), known(&logs.latest, tp, "ending offset")?));
            }
        }
        Scenario::ToOffset(o) => {
            for tp in partitions {
                offsets.push((tp.clone(), clamp(tp, *o, logs, &mut plan.warnings)?));
            }
        }
        Scenario::ShiftBy(n) => {
            for tp in partitions {
                let Some(current) = committed.get(tp) else {
                    return Err(PlanError::Usage(format!(
                        "Cannot shift offset for partition {} since there is no current committed offset",
                        tp_string(tp)
                    )));
                };
                let wanted = current.saturating_add(*n);
                offsets.push((tp.clone(), clamp(tp, wanted, logs, &mut plan.warnings)?));
            }
        }
        Scenario::ToDatetime(_) | Scenario::ByDuration(_) => {
            let mut empty = Vec::new();
            for tp in partitions {
                let at = known(&logs.at_time, tp, "offset by timestamp")?;
                let offset = if at >= 0 {
                    at
                } else {
                    empty.push(tp.clone());
                    known(&logs.latest, tp, "offset by timestamp")?
                };
                offsets.push((tp.clone(), offset));
            }
            // Kafka warns while iterating a HashMap of the empty partitions.
            let hashes: Vec<i32> = empty
                .iter()
                .map(|(t, p)| java_topic_partition_hash(t, *p))
                .collect();
            for i in java_hash_order(&hashes) {
                if let Some((t, p)) = empty.get(i) {
                    plan.stdout_notes.push_str(&format!(
                        "\nWarn: Partition {p} from topic {t} is empty. Falling back to latest known offset.\n"
                    ));
                }
            }
        }
        Scenario::FromFile(file) => match file.get(group) {
            None => {
                plan.stdout_notes.push_str(&format!(
                    "\nError: No reset plan for group {group} found.\n"
                ));
            }
            Some(entries) => {
                for (tp, o) in entries {
                    offsets.push((tp.clone(), clamp(tp, *o, logs, &mut plan.warnings)?));
                }
            }
        },
    }
    // Later entries for the same partition win, as puts into Kafka's map do.
    let mut dedup: Vec<(TopicPartition, i64)> = Vec::with_capacity(offsets.len());
    for (tp, o) in offsets {
        match dedup.iter_mut().find(|(t, _)| *t == tp) {
            Some(slot) => slot.1 = o,
            None => dedup.push((tp, o)),
        }
    }
    let hashes: Vec<i32> = dedup
        .iter()
        .map(|((t, p), _)| java_topic_partition_hash(t, *p))
        .collect();
    plan.offsets = java_hash_order(&hashes)
        .into_iter()
        .filter_map(|i| dedup.get(i).cloned())
        .collect();
    Ok(plan)
}

/// Reads a `--from-file` CSV: `topic,partition,offset` lines when one group is being reset
/// and the first line has that shape, otherwise `group,topic,partition,offset` lines.
pub fn parse_reset_csv(
    text: &str,
    groups: &[String],
) -> Result<BTreeMap<String, Vec<(TopicPartition, i64)>>, PlanError> {
    let lines: Vec<&str> = text.split('\n').collect();
    // Java's split drops trailing empty strings.
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |i| i + 1);
    let lines = &lines[..end];
    let no_group = |line: &str| -> Option<(String, i32, i64)> {
        let f: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
        match f.as_slice() {
            [t, p, o] => Some((
                t.to_string(),
                p.trim().parse().ok()?,
                o.trim().parse().ok()?,
            )),
            _ => None,
        }
    };
    let old_format = lines.first().is_some_and(|l| no_group(l).is_some());
    let mut out: BTreeMap<String, Vec<(TopicPartition, i64)>> = BTreeMap::new();
    if groups.len() == 1 && old_format {
        let group = groups.first().cloned().unwrap_or_default();
        for line in lines {
            let (t, p, o) = no_group(line).ok_or_else(|| {
                PlanError::Failed(format!("Cannot parse reset plan line '{line}'"))
            })?;
            out.entry(group.clone()).or_default().push(((t, p), o));
        }
    } else {
        for line in lines {
            let f: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
            let parsed = match f.as_slice() {
                [g, t, p, o] => p
                    .trim()
                    .parse::<i32>()
                    .ok()
                    .zip(o.trim().parse::<i64>().ok())
                    .map(|(p, o)| (g.to_string(), t.to_string(), p, o)),
                _ => None,
            };
            let (g, t, p, o) = parsed.ok_or_else(|| {
                PlanError::Failed(format!("Cannot parse reset plan line '{line}'"))
            })?;
            out.entry(g).or_default().push(((t, p), o));
        }
    }
    Ok(out)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `--to-datetime` as Kafka's `Utils.getDateTime`: `YYYY-MM-DDTHH:mm:SS[.sss]` with an
/// optional zone (`Z`, `+hh:mm`, `-hhmm`); without one the time is UTC. Milliseconds since
/// the epoch.
pub fn parse_datetime(text: &str) -> Result<i64, PlanError> {
    let bad = || {
        PlanError::Failed(format!(
            "java.text.ParseException: Unparseable date: \"{text}\""
        ))
    };
    let (date, time) = text.split_once('T').ok_or_else(|| {
        PlanError::Failed(
            "java.text.ParseException: Error parsing timestamp. It does not contain a 'T' according to ISO8601 format"
                .to_string(),
        )
    })?;
    let num = |s: &str| -> Result<i64, PlanError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse().map_err(|_| bad())
    };
    let d: Vec<&str> = date.split('-').collect();
    let [y, mo, day] = d.as_slice() else {
        return Err(bad());
    };
    let (y, mo, day) = (num(y)?, num(mo)?, num(day)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    // Split off the zone.
    let zone_at = time.find(['Z', '+', '-']);
    let (clock, zone) = match zone_at {
        Some(i) => (&time[..i], &time[i..]),
        None => (time, "Z"),
    };
    let (hms, millis) = match clock.split_once('.') {
        Some((hms, ms)) => {
            if ms.len() != 3 {
                return Err(bad());
            }
            (hms, num(ms)?)
        }
        None => (clock, 0),
    };
    let t: Vec<&str> = hms.split(':').collect();
    let [h, mi, s] = t.as_slice() else {
        return Err(bad());
    };
    let (h, mi, s) = (num(h)?, num(mi)?, num(s)?);
    if h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    let offset_min = if zone == "Z" {
        0
    } else {
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
        if digits.len() != 2 && digits.len() != 4 {
            return Err(bad());
        }
        let hh = num(&digits[..2])?;
        let mm = if digits.len() == 4 {
            num(&digits[2..])?
        } else {
            0
        };
        sign * (hh * 60 + mm)
    };
    let days = days_from_civil(y, mo, day);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset_min * 60;
    Ok(secs * 1000 + millis)
}

/// Parses `--by-duration` as Java's `Duration.parse` (`PnDTnHnMn.nS`, signs allowed) into
/// milliseconds.
pub fn parse_duration(text: &str) -> Result<i64, PlanError> {
    let bad = || {
        PlanError::Failed(
            "java.time.format.DateTimeParseException: Text cannot be parsed to a Duration"
                .to_string(),
        )
    };
    let upper = text.to_ascii_uppercase();
    let (negate, rest) = match upper.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, upper.strip_prefix('+').unwrap_or(&upper)),
    };
    let rest = rest.strip_prefix('P').ok_or_else(bad)?;
    let (days_part, time_part) = match rest.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return Err(bad());
            }
            (d, Some(t))
        }
        None => (rest, None),
    };
    let mut total_ms: i128 = 0;
    let mut any = false;
    if !days_part.is_empty() {
        let n = days_part.strip_suffix('D').ok_or_else(bad)?;
        let n: i128 = n.parse().map_err(|_| bad())?;
        total_ms += n * 86_400_000;
        any = true;
    }
    if let Some(mut t) = time_part {
        for (unit, ms) in [('H', 3_600_000i128), ('M', 60_000)] {
            if let Some(i) = t.find(unit) {
                let n: i128 = t[..i].parse().map_err(|_| bad())?;
                total_ms += n * ms;
                t = &t[i + 1..];
                any = true;
            }
        }
        if let Some(n) = t.strip_suffix('S') {
            let (whole, frac) = match n.split_once(['.', ',']) {
                Some((w, f)) => (w, f),
                None => (n, ""),
            };
            let negative = whole.starts_with('-');
            let w: i128 = whole.parse().map_err(|_| bad())?;
            if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let frac_ms: i128 = format!("{frac:0<3}")[..3].parse().unwrap_or(0);
            total_ms += w * 1000 + if negative { -frac_ms } else { frac_ms };
            any = true;
        } else if !t.is_empty() {
            return Err(bad());
        }
    }
    if !any {
        return Err(bad());
    }
    if negate {
        total_ms = -total_ms;
    }
    i64::try_from(total_ms).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> TopicPartition {
        ("t".to_string(), p)
    }

    fn logs(earliest: &[(i32, i64)], latest: &[(i32, i64)]) -> LogOffsets {
        LogOffsets {
            earliest: earliest.iter().map(|&(p, o)| (tp(p), Ok(o))).collect(),
            latest: latest.iter().map(|&(p, o)| (tp(p), Ok(o))).collect(),
            at_time: BTreeMap::new(),
        }
    }

    fn offsets(plan: &GroupPlan) -> BTreeMap<TopicPartition, i64> {
        plan.offsets.iter().cloned().collect()
    }

    #[test]
    fn earliest_latest_and_current() {
        let l = logs(&[(0, 2), (1, 0)], &[(0, 10), (1, 5)]);
        let committed: BTreeMap<_, _> = [(tp(0), 7)].into_iter().collect();
        let parts = [tp(0), tp(1)];
        let e = plan_group("g", &Scenario::ToEarliest, &parts, &committed, &l).unwrap();
        assert_eq!(offsets(&e), [(tp(0), 2), (tp(1), 0)].into_iter().collect());
        let la = plan_group("g", &Scenario::ToLatest, &parts, &committed, &l).unwrap();
        assert_eq!(
            offsets(&la),
            [(tp(0), 10), (tp(1), 5)].into_iter().collect()
        );
        let c = plan_group("g", &Scenario::ToCurrent, &parts, &committed, &l).unwrap();
        assert_eq!(offsets(&c), [(tp(0), 7), (tp(1), 5)].into_iter().collect());
    }

    #[test]
    fn to_offset_and_shift_are_clamped_into_the_log() {
        let l = logs(&[(0, 2)], &[(0, 10)]);
        let committed: BTreeMap<_, _> = [(tp(0), 7)].into_iter().collect();
        let high = plan_group("g", &Scenario::ToOffset(99), &[tp(0)], &committed, &l).unwrap();
        assert_eq!(high.offsets, vec![(tp(0), 10)]);
        assert_eq!(high.warnings.len(), 1);
        let low = plan_group("g", &Scenario::ShiftBy(-100), &[tp(0)], &committed, &l).unwrap();
        assert_eq!(low.offsets, vec![(tp(0), 2)]);
        let mid = plan_group("g", &Scenario::ShiftBy(-3), &[tp(0)], &committed, &l).unwrap();
        assert_eq!(mid.offsets, vec![(tp(0), 4)]);
        let none = plan_group("g", &Scenario::ShiftBy(1), &[tp(1)], &committed, &l);
        assert_eq!(
            none,
            Err(PlanError::Usage(
                "Cannot shift offset for partition t-1 since there is no current committed offset"
                    .into()
            ))
        );
    }

    #[test]
    fn by_time_falls_back_to_latest_for_empty_partitions() {
        let mut l = logs(&[(0, 0), (1, 0)], &[(0, 10), (1, 4)]);
        l.at_time = [(tp(0), Ok(6)), (tp(1), Ok(-1))].into_iter().collect();
        let p = plan_group(
            "g",
            &Scenario::ToDatetime(0),
            &[tp(0), tp(1)],
            &BTreeMap::new(),
            &l,
        )
        .unwrap();
        assert_eq!(offsets(&p), [(tp(0), 6), (tp(1), 4)].into_iter().collect());
        assert_eq!(
            p.stdout_notes,
            "\nWarn: Partition 1 from topic t is empty. Falling back to latest known offset.\n"
        );
        assert_eq!(Scenario::ByDuration(1000).timestamp(5000), Some(4000));
    }

    #[test]
    fn from_file_plans_and_missing_groups() {
        let file = parse_reset_csv("t,0,3\nt,1,99\n", &["g".to_string()]).unwrap();
        let l = logs(&[(0, 0), (1, 0)], &[(0, 10), (1, 4)]);
        let s = Scenario::FromFile(file);
        let p = plan_group("g", &s, &[], &BTreeMap::new(), &l).unwrap();
        assert_eq!(offsets(&p), [(tp(0), 3), (tp(1), 4)].into_iter().collect());
        let other = plan_group("h", &s, &[], &BTreeMap::new(), &l).unwrap();
        assert!(other.offsets.is_empty());
        assert_eq!(
            other.stdout_notes,
            "\nError: No reset plan for group h found.\n"
        );
        let multi = parse_reset_csv("g,t,0,1\nh,t,1,2\n", &["g".into(), "h".into()]).unwrap();
        assert_eq!(multi.get("h").unwrap(), &vec![(tp(1), 2)]);
        assert!(parse_reset_csv("g,t,x,1\n", &["g".into(), "h".into()]).is_err());
    }

    #[test]
    fn topic_args() {
        let (explicit, whole) = parse_topic_args(&["a:0,2".to_string(), "b".to_string()]).unwrap();
        assert_eq!(explicit, vec![("a".to_string(), 0), ("a".to_string(), 2)]);
        assert_eq!(whole, vec!["b".to_string()]);
        assert_eq!(
            parse_topic_args(&["a:x".to_string()]),
            Err(PlanError::Usage(
                "Invalid partition 'x' specified in topic arg 'a:x''".into()
            ))
        );
        assert!(parse_topic_args(&["a:1:2".to_string()]).is_err());
    }

    #[test]
    fn datetimes_and_durations() {
        assert_eq!(parse_datetime("1970-01-01T00:00:01.500").unwrap(), 1500);
        assert_eq!(
            parse_datetime("2024-02-29T12:00:00Z").unwrap(),
            1_709_208_000_000
        );
        assert_eq!(
            parse_datetime("2024-02-29T14:00:00.000+02:00").unwrap(),
            1_709_208_000_000
        );
        assert!(parse_datetime("2024-02-29").is_err());
        assert!(parse_datetime("2024-13-01T00:00:00").is_err());
        assert_eq!(parse_duration("PT1H").unwrap(), 3_600_000);
        assert_eq!(
            parse_duration("P1DT2M3.5S").unwrap(),
            86_400_000 + 120_000 + 3_500
        );
        assert_eq!(parse_duration("-PT1S").unwrap(), -1000);
        assert!(parse_duration("1H").is_err());
        assert!(parse_duration("P").is_err());
    }
}
