//! Runs a `consumer-groups` action against a cluster: gathers what Kafka's
//! ConsumerGroupService gathers (group descriptions, committed offsets, log offsets) through
//! [`GroupAdmin`], then prints it with [`super::format`] in Kafka's order, or as JSON.
//!
//! Failures are reported as Kafka's tool reports them: an error while running prints
//! "Error: Executing consumer group command failed due to ..." on stdout and the tool exits 0
//! (Kafka catches every exception in `run`); an IllegalArgumentException-class problem (a bad
//! `--topic t:x`, shifting a partition without an offset) exits 1 with the message.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::format::{self, MemberRow, OffsetRow, StateRow, error_line, java_string_hash};
use super::plan::{self, GroupPlan, LogOffsets, PlanError, Scenario, TopicPartition};
use super::rows;
use super::{Action, Groups, OutputFormat, ScenarioArg, Scope, Settings, View};
use crate::client::ClientSettings;
use crate::client::group_admin::{
    EARLIEST_TIMESTAMP, GroupAdmin, GroupAdminError, GroupDescription, LATEST_TIMESTAMP,
};
use crate::config::properties::Properties;
use crate::error::Error;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::ApiKey;
use crate::types::HostPort;

/// Kafka's prefix of a failure while running.
const FAILED_PREFIX: &str = "Executing consumer group command failed due to ";

/// How an action failed.
#[derive(Debug)]
enum Failure {
    /// Printed as "Error: Executing consumer group command failed due to <m>", exit 0.
    Message(String),
    /// Kafka's usage exit: the message on stderr, exit 1.
    Usage(String),
    /// A local problem (stdout closed, ...).
    Tool(Error),
}

impl From<GroupAdminError> for Failure {
    fn from(e: GroupAdminError) -> Self {
        match e {
            GroupAdminError::Api { code } => Failure::Message(java_exception(code, None)),
            other => Failure::Message(crate::cli::chain(&other)),
        }
    }
}

impl From<crate::client::ClientError> for Failure {
    fn from(e: crate::client::ClientError) -> Self {
        Failure::Message(crate::cli::chain(&e))
    }
}

impl From<PlanError> for Failure {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::Usage(m) => Failure::Usage(m),
            PlanError::Failed(m) => Failure::Message(m),
        }
    }
}

fn out_err(e: std::io::Error) -> Failure {
    Failure::Tool(Error::Output(e))
}

/// Java's `Throwable.toString()` of the exception Kafka's client raises for `code`:
/// `org.apache.kafka.common.errors.<Name>Exception: <message>`.
pub fn java_exception(code: ErrorCode, message: Option<&str>) -> String {
    let name = code.name().unwrap_or("UNKNOWN_SERVER_ERROR");
    let class = match name {
        "NON_EMPTY_GROUP" => "GroupNotEmptyException".to_string(),
        "GROUP_AUTHORIZATION_FAILED" => "GroupAuthorizationException".to_string(),
        "TOPIC_AUTHORIZATION_FAILED" => "TopicAuthorizationException".to_string(),
        "UNKNOWN_SERVER_ERROR" => "UnknownServerException".to_string(),
        _ => {
            let camel: String = name
                .split('_')
                .map(|w| {
                    let lower = w.to_ascii_lowercase();
                    let mut c = lower.chars();
                    match c.next() {
                        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                        None => String::new(),
                    }
                })
                .collect();
            format!("{camel}Exception")
        }
    };
    format!(
        "org.apache.kafka.common.errors.{class}: {}",
        message.unwrap_or(code.message())
    )
}

/// The client settings: Kafka's defaults, the `--command-config` file over them, and
/// `--bootstrap-server` over that.
fn client_settings(servers: &str, command_config: Option<&Path>) -> Result<ClientSettings, Error> {
    let mut settings = ClientSettings::default();
    if let Some(path) = command_config {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let props = Properties::parse(&text, path)?;
        settings
            .apply(&props)
            .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    }
    settings.bootstrap_servers = HostPort::parse_list(servers)
        .map_err(|e| Error::Usage(format!("--bootstrap-server {servers}: {e}")))?;
    Ok(settings)
}

/// Where the tool writes.
struct Io<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    json: bool,
}

impl Io<'_> {
    fn out(&mut self, text: &str) -> Result<(), Failure> {
        self.out.write_all(text.as_bytes()).map_err(out_err)
    }
    fn err(&mut self, text: &str) -> Result<(), Failure> {
        self.err.write_all(text.as_bytes()).map_err(out_err)
    }
    fn json(&mut self, value: &serde_json::Value) -> Result<(), Failure> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Failure::Tool(Error::Failed(e.to_string())))?;
        self.out(&format!("{text}\n"))
    }
}

/// Runs the action, printing to stdout and stderr.
pub async fn run(settings: &Settings) -> Result<(), Error> {
    let client = client_settings(
        &settings.bootstrap_server,
        settings.command_config.as_deref(),
    )?;
    let mut admin = GroupAdmin::new(client, Duration::from_millis(settings.timeout_ms));
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let mut io = Io {
        out: &mut out,
        err: &mut err,
        json: settings.format == OutputFormat::Json,
    };
    let result = execute(&mut admin, &settings.action, &mut io).await;
    let _ = io.out.flush();
    match result {
        Ok(()) => Ok(()),
        Err(Failure::Message(m)) => {
            // Kafka prints the failure on stdout and exits 0.
            io.out(&error_line(&format!("{FAILED_PREFIX}{m}")))
                .map_err(|_| Error::Failed(m.clone()))?;
            Ok(())
        }
        Err(Failure::Usage(m)) => Err(Error::Failed(m)),
        Err(Failure::Tool(e)) => Err(e),
    }
}

async fn execute(admin: &mut GroupAdmin, action: &Action, io: &mut Io<'_>) -> Result<(), Failure> {
    match action {
        Action::List { states } => list(admin, states.as_deref(), io).await,
        Action::Describe {
            groups,
            view,
            verbose,
            watch,
        } => {
            let groups = resolve(admin, groups).await?;
            match watch {
                Some(secs) => watch_offsets(admin, &groups, *verbose, *secs, io).await,
                None => describe(admin, &groups, *view, *verbose, io).await,
            }
        }
        Action::Delete { groups } => {
            let groups = resolve(admin, groups).await?;
            delete(admin, &groups, io).await
        }
        Action::DeleteOffsets { group, topics } => delete_offsets(admin, group, topics, io).await,
        Action::ResetOffsets {
            groups,
            scope,
            scenario,
            execute,
            export,
        } => {
            let named = match groups {
                Groups::Named(g) => g.len(),
                Groups::All => 0,
            };
            let list = resolve(admin, groups).await?;
            let request = ResetRequest {
                scope,
                scenario,
                execute: *execute,
                given: match groups {
                    Groups::Named(g) => g.clone(),
                    Groups::All => Vec::new(),
                },
            };
            let plans = reset(admin, &list, &request, io).await?;
            if io.json {
                let groups: Vec<_> = plans
                    .iter()
                    .map(|(g, ps)| {
                        json!({"group": g, "offsets": ps.iter().map(|((t, p), o)| json!({"topic": t, "partition": p, "offset": o})).collect::<Vec<_>>()})
                    })
                    .collect();
                io.json(&json!({"executed": execute, "groups": groups}))
            } else if *export {
                io.out(&format::reset_csv(&plans, named != 1))
            } else {
                io.out(&format::reset_table(&plans))
            }
        }
    }
}

/// The groups an action names: `--all-groups` lists them; `--group`s are deduplicated.
async fn resolve(admin: &mut GroupAdmin, groups: &Groups) -> Result<Vec<String>, Failure> {
    match groups {
        Groups::All => Ok(admin
            .list_groups(&[])
            .await?
            .into_iter()
            .map(|g| g.group_id)
            .collect()),
        Groups::Named(names) => {
            let mut seen = BTreeSet::new();
            Ok(names
                .iter()
                .filter(|g| seen.insert(g.as_str()))
                .cloned()
                .collect())
        }
    }
}

/// Orders group ids as a Java `HashMap<String, _>` iterates them.
fn hash_ordered(groups: &[String]) -> Vec<String> {
    let hashes: Vec<i32> = groups.iter().map(|g| java_string_hash(g)).collect();
    format::java_hash_order(&hashes)
        .into_iter()
        .filter_map(|i| groups.get(i).cloned())
        .collect()
}

async fn list(
    admin: &mut GroupAdmin,
    states: Option<&[String]>,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    let listed = admin.list_groups(states.unwrap_or(&[])).await?;
    // Kafka's admin client collects listings in a HashMap keyed by group id.
    let ids: Vec<String> = listed.iter().map(|g| g.group_id.clone()).collect();
    let listed: Vec<_> = hash_ordered(&ids)
        .into_iter()
        .filter_map(|id| listed.iter().find(|g| g.group_id == id).cloned())
        .collect();
    if io.json {
        let v: Vec<_> = listed
            .iter()
            .map(|g| json!({"group": g.group_id, "state": g.state}))
            .collect();
        return io.json(&json!(v));
    }
    match states {
        None => {
            let mut text = String::new();
            for g in &listed {
                text.push_str(&g.group_id);
                text.push('\n');
            }
            io.out(&text)
        }
        Some(_) => {
            let rows: Vec<(String, String)> = listed
                .into_iter()
                .map(|g| {
                    let state = if g.state.is_empty() {
                        "Unknown".to_string()
                    } else {
                        g.state
                    };
                    (g.group_id, state)
                })
                .collect();
            io.out(&format::list_with_state(&rows))
        }
    }
}

/// Describes a group as Kafka 4's admin client does: on brokers that serve
/// ConsumerGroupDescribe (KIP-848), a group that does not exist is an error; on older brokers
/// it is described as Dead (and the tool says it does not exist, as Kafka 3.9's did).
async fn describe_existing(
    admin: &mut GroupAdmin,
    group: &str,
) -> Result<GroupDescription, Failure> {
    let not_found = || {
        Failure::Message(format!(
            "org.apache.kafka.common.errors.GroupIdNotFoundException: Group {group} not found."
        ))
    };
    match admin.describe_group(group).await {
        Ok(d) if d.state == "Dead" => {
            if admin.supports(ApiKey::ConsumerGroupDescribe).await? {
                Err(not_found())
            } else {
                Ok(d)
            }
        }
        Ok(d) => Ok(d),
        Err(e) if e.code() == Some(ErrorCode::GROUP_ID_NOT_FOUND) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

/// Everything the offsets view shows of one group.
struct GroupOffsets {
    state: String,
    rows: Vec<OffsetRow>,
}

/// Kafka's collectGroupsOffsets for one group (see [`rows`]).
async fn collect_offsets(admin: &mut GroupAdmin, group: &str) -> Result<GroupOffsets, Failure> {
    let desc = describe_existing(admin, group).await?;
    let committed = admin.committed_offsets(group).await?;
    let partitions = rows::shown_partitions(&desc.members, &committed);
    let ends = admin.list_offsets(&partitions, LATEST_TIMESTAMP).await?;
    Ok(GroupOffsets {
        rows: rows::offset_rows(group, &desc.members, &committed, &ends),
        state: desc.state,
    })
}

async fn describe(
    admin: &mut GroupAdmin,
    groups: &[String],
    view: View,
    verbose: bool,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    // Kafka prints groups sorted (a TreeMap), after describing all of them.
    let sorted: Vec<String> = groups
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    match view {
        View::Offsets => {
            let mut all = Vec::new();
            for g in &sorted {
                all.push((g.clone(), collect_offsets(admin, g).await?));
            }
            if io.json {
                let v: Vec<_> = all
                    .iter()
                    .map(|(g, o)| json!({"group": g, "state": o.state, "offsets": o.rows}))
                    .collect();
                return io.json(&json!(v));
            }
            for (g, o) in all {
                print_offsets(io, &g, &o, verbose, None)?;
            }
            Ok(())
        }
        View::Members => {
            let mut all = Vec::new();
            for g in &sorted {
                let d = describe_existing(admin, g).await?;
                let rows: Vec<MemberRow> = d
                    .members
                    .iter()
                    .map(|m| MemberRow {
                        group: g.clone(),
                        consumer_id: m.member_id.clone(),
                        group_instance_id: m.group_instance_id.clone().unwrap_or_default(),
                        host: m.host.clone(),
                        client_id: m.client_id.clone(),
                        partitions: m.assignment.clone(),
                    })
                    .collect();
                all.push((g.clone(), d.state, rows));
            }
            if io.json {
                let v: Vec<_> = all
                    .iter()
                    .map(|(g, s, rows)| json!({"group": g, "state": s, "members": rows}))
                    .collect();
                return io.json(&json!(v));
            }
            for (g, state, rows) in all {
                let note = format::state_note(&g, Some(&state), Some(rows.len()));
                io.out(&note.stdout)?;
                io.err(&note.stderr)?;
                io.out(&format::members_table(&rows, verbose))?;
            }
            Ok(())
        }
        View::State => {
            let mut all = Vec::new();
            for g in &sorted {
                let d = describe_existing(admin, g).await?;
                all.push(StateRow {
                    group: g.clone(),
                    coordinator_host: d.coordinator.host.clone(),
                    coordinator_port: d.coordinator.port,
                    coordinator_id: d.coordinator.id,
                    assignment_strategy: d.protocol.clone(),
                    state: d.state.clone(),
                    members: d.members.len(),
                });
            }
            if io.json {
                return io.json(&json!(all));
            }
            for s in all {
                let note = format::state_note(&s.group, Some(&s.state), Some(1));
                io.out(&note.stdout)?;
                io.err(&note.stderr)?;
                if note.print_table {
                    io.out(&format::state_table(&s, verbose))?;
                }
            }
            Ok(())
        }
    }
}

fn print_offsets(
    io: &mut Io<'_>,
    group: &str,
    o: &GroupOffsets,
    verbose: bool,
    extra: Option<&[String]>,
) -> Result<(), Failure> {
    let note = format::state_note(group, Some(&o.state), Some(o.rows.len()));
    io.out(&note.stdout)?;
    io.err(&note.stderr)?;
    if note.print_table {
        io.out(&format::offsets_table(&o.rows, verbose, extra))?;
    }
    Ok(())
}

/// `--describe --watch SECONDS`: the offsets view redrawn every SECONDS with LAG/S, the change
/// of each partition's lag per second since the previous sample. Runs until interrupted.
async fn watch_offsets(
    admin: &mut GroupAdmin,
    groups: &[String],
    verbose: bool,
    secs: u64,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    let sorted: Vec<String> = groups
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let terminal = std::io::stdout().is_terminal();
    let mut previous: BTreeMap<(String, String, i32), i64> = BTreeMap::new();
    let mut previous_at: Option<Instant> = None;
    loop {
        let started = Instant::now();
        let mut samples = Vec::new();
        for g in &sorted {
            samples.push((g.clone(), collect_offsets(admin, g).await?));
        }
        let elapsed = previous_at.map(|at| started.duration_since(at).as_secs_f64());
        if terminal {
            // Clear the screen and home the cursor, so the table redraws in place.
            io.out("\x1b[2J\x1b[H")?;
        }
        io.out(&format!(
            "Every {secs}s: lag of {} group(s)\n",
            sorted.len()
        ))?;
        let mut current = BTreeMap::new();
        for (g, o) in &samples {
            let rates: Vec<String> = o
                .rows
                .iter()
                .map(|r| {
                    let key = (
                        g.clone(),
                        r.topic.clone().unwrap_or_default(),
                        r.partition.unwrap_or(-1),
                    );
                    if let Some(lag) = r.lag {
                        current.insert(key.clone(), lag);
                    }
                    lag_rate(r.lag, previous.get(&key).copied(), elapsed)
                })
                .collect();
            print_offsets(io, g, o, verbose, Some(&rates))?;
        }
        io.out.flush().map_err(out_err)?;
        previous = current;
        previous_at = Some(started);
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }
}

/// The change of lag per second between two samples, with one decimal; "-" when unknown.
fn lag_rate(now: Option<i64>, before: Option<i64>, elapsed_secs: Option<f64>) -> String {
    match (now, before, elapsed_secs) {
        (Some(n), Some(b), Some(e)) if e > 0.0 => format!("{:+.1}", (n - b) as f64 / e),
        _ => format::MISSING.to_string(),
    }
}

/// Asks on the terminal before a destructive action; in scripts (stdin not a terminal) the
/// answer is yes without asking, as Kafka's tool never asks.
fn confirm(prompt: &str) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Ok(true);
    }
    dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(false)
        .interact()
        .map_err(|e| Failure::Tool(Error::Failed(format!("cannot ask for confirmation: {e}"))))
}

async fn delete(admin: &mut GroupAdmin, groups: &[String], io: &mut Io<'_>) -> Result<(), Failure> {
    if !groups.is_empty() {
        let names: Vec<String> = groups.iter().map(|g| format!("'{g}'")).collect();
        if !confirm(&format!("Delete consumer group(s) {}?", names.join(", ")))? {
            return Err(Failure::Usage("Deletion cancelled.".to_string()));
        }
    }
    let mut success = Vec::new();
    let mut failed: Vec<(String, String)> = Vec::new();
    for g in groups {
        match admin.delete_group(g).await {
            Ok(code) if !code.is_err() => success.push(g.clone()),
            Ok(code) => failed.push((g.clone(), java_exception(code, None))),
            Err(e) => failed.push((g.clone(), failure_text(e.into()))),
        }
    }
    if io.json {
        let f: BTreeMap<_, _> = failed.iter().cloned().collect();
        return io.json(&json!({"deleted": success, "failed": f}));
    }
    if failed.is_empty() {
        return io.out(&format!(
            "Deletion of requested consumer groups ({}) was successful.\n",
            format::quoted_groups(&success)
        ));
    }
    let mut text = error_line("Deletion of some consumer groups failed:");
    let names: Vec<String> = failed.iter().map(|(g, _)| g.clone()).collect();
    for g in hash_ordered(&names) {
        if let Some((_, why)) = failed.iter().find(|(f, _)| *f == g) {
            text.push_str(&format!(
                "* Group '{g}' could not be deleted due to: {why}\n"
            ));
        }
    }
    if !success.is_empty() {
        text.push_str(&format!(
            "\nThese consumer groups were deleted successfully: {}\n",
            format::quoted_groups(&success)
        ));
    }
    io.out(&text)
}

fn failure_text(f: Failure) -> String {
    match f {
        Failure::Message(m) | Failure::Usage(m) => m,
        Failure::Tool(e) => e.to_string(),
    }
}

/// The partitions of `topics` from metadata; an unknown topic is an error naming it.
async fn topic_partitions(
    admin: &mut GroupAdmin,
    topics: &[String],
) -> Result<Vec<Result<Vec<TopicPartition>, String>>, Failure> {
    let metadata = admin.metadata().await?;
    Ok(topics
        .iter()
        .map(|t| {
            match metadata
                .topics
                .iter()
                .find(|i| &i.name == t && !i.error.is_err())
            {
                Some(info) => {
                    let mut ps: Vec<i32> = info.partitions.iter().map(|p| p.partition).collect();
                    ps.sort_unstable();
                    Ok(ps.into_iter().map(|p| (t.clone(), p)).collect())
                }
                None => Err(java_exception(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, None)),
            }
        })
        .collect())
}

async fn delete_offsets(
    admin: &mut GroupAdmin,
    group: &str,
    topics: &[String],
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    let (explicit, whole) = plan::parse_topic_args(topics)?;
    let mut rows: Vec<(TopicPartition, Option<String>)> = Vec::new();
    let mut partitions: BTreeSet<TopicPartition> = explicit.into_iter().collect();
    let unique_whole: Vec<String> = whole
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for (t, r) in unique_whole
        .iter()
        .zip(topic_partitions(admin, &unique_whole).await?)
    {
        match r {
            Ok(ps) => partitions.extend(ps),
            Err(e) => rows.push(((t.clone(), -1), Some(e))),
        }
    }
    if !confirm(&format!("Delete the committed offsets of group '{group}'?"))? {
        return Err(Failure::Usage("Deletion cancelled.".to_string()));
    }
    let (top, per) = admin.delete_offsets(group, &partitions).await?;
    let first_partition_error = per.values().find(|c| c.is_err()).copied();
    let overall = if top.is_err() {
        top
    } else {
        first_partition_error.unwrap_or(ErrorCode::NONE)
    };
    for tp in &partitions {
        let code = if top.is_err() {
            top
        } else {
            per.get(tp).copied().unwrap_or(ErrorCode::NONE)
        };
        rows.push((
            tp.clone(),
            code.is_err().then(|| java_exception(code, None)),
        ));
    }
    if io.json {
        let v: Vec<_> = rows
            .iter()
            .map(|((t, p), e)| json!({"topic": t, "partition": p, "error": e}))
            .collect();
        return io.json(&json!({"group": group, "error": overall.name(), "partitions": v}));
    }
    let head = match overall.name().unwrap_or("UNKNOWN_SERVER_ERROR") {
        "NONE" => format!("Request succeeded for deleting offsets from group {group}.\n"),
        "INVALID_GROUP_ID"
        | "GROUP_ID_NOT_FOUND"
        | "GROUP_AUTHORIZATION_FAILED"
        | "NON_EMPTY_GROUP" => error_line(overall.message()),
        "GROUP_SUBSCRIBED_TO_TOPIC"
        | "TOPIC_AUTHORIZATION_FAILED"
        | "UNKNOWN_TOPIC_OR_PARTITION" => {
            error_line("Encountered some partition-level error, see the follow-up details.")
        }
        other => error_line(&format!("Encountered some unknown error: {other}")),
    };
    io.out(&head)?;
    io.out(&format::delete_offsets_table(&rows))
}

/// What `--reset-offsets` was asked.
struct ResetRequest<'a> {
    scope: &'a Scope,
    scenario: &'a ScenarioArg,
    execute: bool,
    /// The `--group` values (empty with --all-groups), which decide the CSV shape.
    given: Vec<String>,
}

/// Kafka's resetOffsets: each group (in Java hash order) is planned if inactive; an active
/// group gets Kafka's error line and an empty plan.
async fn reset(
    admin: &mut GroupAdmin,
    groups: &[String],
    request: &ResetRequest<'_>,
    io: &mut Io<'_>,
) -> Result<Vec<(String, Vec<(TopicPartition, i64)>)>, Failure> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let scenario = match request.scenario {
        ScenarioArg::ToEarliest => Scenario::ToEarliest,
        ScenarioArg::ToLatest => Scenario::ToLatest,
        ScenarioArg::ToCurrent => Scenario::ToCurrent,
        ScenarioArg::ToOffset(o) => Scenario::ToOffset(*o),
        ScenarioArg::ShiftBy(n) => Scenario::ShiftBy(*n),
        ScenarioArg::ToDatetime(s) => Scenario::ToDatetime(plan::parse_datetime(s)?),
        ScenarioArg::ByDuration(s) => Scenario::ByDuration(plan::parse_duration(s)?),
        ScenarioArg::FromFile(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::Message(format!("java.io.IOException: {}: {e}", path.display()))
            })?;
            Scenario::FromFile(plan::parse_reset_csv(&text, &request.given)?)
        }
    };
    let mut result = Vec::new();
    for g in hash_ordered(groups) {
        let state = match admin.describe_group(&g).await {
            Ok(d) => d.state,
            Err(e) if e.code() == Some(ErrorCode::GROUP_ID_NOT_FOUND) => "Dead".to_string(),
            Err(e) => return Err(e.into()),
        };
        if state != "Empty" && state != "Dead" {
            io.out(&error_line(&format!(
                "Assignments can only be reset if the group '{g}' is inactive, but the current state is {state}."
            )))?;
            result.push((g, Vec::new()));
            continue;
        }
        let planned = reset_inactive(admin, &g, request, &scenario, now_ms).await?;
        io.out(&planned.stdout_notes)?;
        for w in &planned.warnings {
            io.err(&format!("WARN {w}\n"))?;
        }
        if request.execute && !planned.offsets.is_empty() {
            if !confirm(&format!(
                "Reset the offsets of {} partition(s) of group '{g}'?",
                planned.offsets.len()
            ))? {
                return Err(Failure::Usage("Reset cancelled.".to_string()));
            }
            let offsets: BTreeMap<TopicPartition, i64> = planned.offsets.iter().cloned().collect();
            let results = admin.commit_offsets(&g, &offsets).await?;
            if let Some(code) = results.values().find(|c| c.is_err()) {
                return Err(Failure::Message(java_exception(*code, None)));
            }
        }
        result.push((g, planned.offsets));
    }
    Ok(result)
}

/// Plans one inactive group: its partitions from the scope, checked to exist and have
/// leaders, then [`plan::plan_group`] over their log offsets.
async fn reset_inactive(
    admin: &mut GroupAdmin,
    group: &str,
    request: &ResetRequest<'_>,
    scenario: &Scenario,
    now_ms: i64,
) -> Result<GroupPlan, Failure> {
    let committed: BTreeMap<TopicPartition, i64> = admin
        .committed_offsets(group)
        .await?
        .into_iter()
        .map(|(tp, c)| (tp, c.offset))
        .collect();
    let partitions: Vec<TopicPartition> = match request.scope {
        Scope::AllTopics => committed.keys().cloned().collect(),
        Scope::FromFile => Vec::new(),
        Scope::Topics(args) => {
            let (mut explicit, whole) = plan::parse_topic_args(args)?;
            for r in topic_partitions(admin, &whole).await? {
                match r {
                    Ok(ps) => explicit.extend(ps),
                    Err(_) => {
                        return Err(Failure::Message(
                            ErrorCode::UNKNOWN_TOPIC_OR_PARTITION.message().to_string(),
                        ));
                    }
                }
            }
            explicit
        }
    };
    check_partitions(admin, &partitions).await?;
    let involved: Vec<TopicPartition> = match scenario {
        Scenario::FromFile(file) => file
            .get(group)
            .map(|e| e.iter().map(|(tp, _)| tp.clone()).collect())
            .unwrap_or_default(),
        _ => partitions.clone(),
    };
    let to_logs = |m: BTreeMap<TopicPartition, Result<i64, ErrorCode>>| {
        m.into_iter()
            .map(|(tp, r)| (tp, r.map_err(|c| java_exception(c, None))))
            .collect::<BTreeMap<_, _>>()
    };
    let mut logs = LogOffsets {
        earliest: to_logs(admin.list_offsets(&involved, EARLIEST_TIMESTAMP).await?),
        latest: to_logs(admin.list_offsets(&involved, LATEST_TIMESTAMP).await?),
        at_time: BTreeMap::new(),
    };
    if let Some(ts) = scenario.timestamp(now_ms) {
        logs.at_time = to_logs(admin.list_offsets(&involved, ts).await?);
    }
    Ok(plan::plan_group(
        group,
        scenario,
        &partitions,
        &committed,
        &logs,
    )?)
}

/// Kafka's checkAllTopicPartitionsValid: every partition exists and has a leader.
async fn check_partitions(
    admin: &mut GroupAdmin,
    partitions: &[TopicPartition],
) -> Result<(), Failure> {
    if partitions.is_empty() {
        return Ok(());
    }
    let metadata = admin.metadata().await?;
    let topics: BTreeSet<&str> = partitions.iter().map(|(t, _)| t.as_str()).collect();
    for t in &topics {
        if !metadata
            .topics
            .iter()
            .any(|i| i.name == *t && !i.error.is_err())
        {
            return Err(Failure::Message(format!(
                "java.util.concurrent.ExecutionException: {}",
                java_exception(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, None)
            )));
        }
    }
    let find = |tp: &TopicPartition| {
        metadata
            .topics
            .iter()
            .find(|i| i.name == tp.0)
            .and_then(|i| i.partitions.iter().find(|p| p.partition == tp.1))
    };
    let missing: Vec<String> = partitions
        .iter()
        .filter(|tp| find(tp).is_none())
        .map(plan::tp_string)
        .collect();
    if !missing.is_empty() {
        return Err(Failure::Message(format!(
            "The partitions \"{}\" do not exist",
            missing.join(",")
        )));
    }
    let leaderless: Vec<String> = partitions
        .iter()
        .filter(|tp| find(tp).is_some_and(|p| p.leader < 0))
        .map(plan::tp_string)
        .collect();
    if !leaderless.is_empty() {
        return Err(Failure::Message(format!(
            "The partitions \"{}\" have no leader",
            leaderless.join(",")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_exception_names() {
        assert_eq!(
            java_exception(ErrorCode::NON_EMPTY_GROUP, None),
            "org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty."
        );
        assert_eq!(
            java_exception(ErrorCode::GROUP_ID_NOT_FOUND, None),
            "org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist."
        );
        assert!(
            java_exception(ErrorCode::GROUP_SUBSCRIBED_TO_TOPIC, None)
                .starts_with("org.apache.kafka.common.errors.GroupSubscribedToTopicException: ")
        );
    }

    #[test]
    fn lag_rates() {
        assert_eq!(lag_rate(Some(10), Some(4), Some(2.0)), "+3.0");
        assert_eq!(lag_rate(Some(0), Some(4), Some(2.0)), "-2.0");
        assert_eq!(lag_rate(Some(0), None, Some(2.0)), "-");
        assert_eq!(lag_rate(Some(0), Some(1), None), "-");
    }
}
