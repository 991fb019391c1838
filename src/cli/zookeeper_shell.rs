//! `zookeeper-shell` (Kafka's zookeeper-shell.sh, a wrapper of ZooKeeper's zkCli): run one
//! zkCli command against an ensemble and exit, or read commands from a prompt (or from stdin
//! lines when stdin is not a terminal). Commands, flags, output and error wording are zkCli's;
//! `--output json` gives ls, get and stat as JSON.
//!
//! | module     | owns |
//! |------------|------|
//! | [`parse`]  | splitting lines, parsing commands and ACL text (pure) |
//! | [`format`] | Stat blocks, Java dates, ACL listings, zkCli error wording, JSON (pure) |
//!
//! Exit codes: 0 when every command succeeded; 1 when a ZooKeeper call failed (the message,
//! worded as zkCli words it, is on stderr) or the ensemble could not be reached; 2 for a bad
//! command line.

pub mod format;
pub mod parse;

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use serde_json::json;

use self::format::{acl_text, error_text, list_text, stat_json, stat_text};
use self::parse::{ShellCmd, help_text, split_line};
use crate::coordinator::client::state::ConnectString;
use crate::coordinator::client::{
    ClientConfig, EventKind, Events, KeeperState, Op, WatchedEvent, ZkClient, ZkError,
};
use crate::error::{Error, Result, exit};

/// Output formats of ls, get and stat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// zkCli's text.
    #[default]
    Text,
    /// One JSON object per command.
    Json,
}

#[derive(Debug, Parser)]
#[command(
    about = "Run ZooKeeper shell (zkCli) commands against a ZooKeeper ensemble",
    long_about = "Runs one zkCli command (ls, get, stat, set, create, delete, deleteall, sync, \
                  getAcl, setAcl, getEphemerals, getAllChildrenNumber, whoami, addWatch, \
                  addauth) and exits, or, without a command, reads commands from a prompt \
                  (or from stdin lines when stdin is not a terminal). Type `help` for the \
                  list. Output and error messages are zkCli's."
)]
pub struct ShellArgs {
    /// Output format for ls, get and stat: zkCli's text or JSON
    #[arg(long, value_enum, value_name = "format", default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// The ensemble: host:port[,host:port...][/chroot]
    #[arg(value_name = "HOST:PORT[/CHROOT]")]
    pub server: String,
    /// One command to run, e.g. `ls /brokers/ids`; without it, commands are read from stdin
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

/// The clap command of the tool.
pub fn command() -> clap::Command {
    ShellArgs::command()
}

/// How a session of the shell ended.
enum Outcome {
    Ok,
    /// Already printed; exit with this code.
    Exit(u8),
}

/// Runs the tool; a ZooKeeper failure prints zkCli's message and exits 1.
pub fn run(matches: &ArgMatches) -> Result<()> {
    let mut args = ShellArgs::from_arg_matches(matches).map_err(|e| Error::Usage(e.to_string()))?;
    let words = take_output_flag(&mut args.output, std::mem::take(&mut args.command))?;
    ConnectString::parse(&args.server).map_err(|e| Error::Usage(e.to_string()))?;
    let one_shot = if words.is_empty() {
        None
    } else {
        Some(parse::parse(&words).map_err(|e| Error::Usage(e.0))?)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    let outcome = runtime.block_on(session(&args, one_shot))?;
    drop(runtime);
    match outcome {
        Outcome::Ok => Ok(()),
        Outcome::Exit(code) => {
            let _ = std::io::stdout().flush();
            std::process::exit(i32::from(code))
        }
    }
}

/// Lets `--output json` also follow the command words.
fn take_output_flag(output: &mut OutputFormat, words: Vec<String>) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(words.len());
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        let value = if w == "--output" {
            Some(
                it.next()
                    .ok_or_else(|| Error::Usage("--output needs a value (text or json)".into()))?,
            )
        } else {
            w.strip_prefix("--output=").map(str::to_string)
        };
        match value.as_deref() {
            None => out.push(w),
            Some("json") => *output = OutputFormat::Json,
            Some("text") => *output = OutputFormat::Text,
            Some(other) => {
                return Err(Error::Usage(format!(
                    "invalid value '{other}' for '--output': text or json"
                )));
            }
        }
    }
    Ok(out)
}

async fn session(args: &ShellArgs, one_shot: Option<ShellCmd>) -> Result<Outcome> {
    let mut cfg = ClientConfig::new(&args.server);
    cfg.connect_timeout = Duration::from_secs(15);
    cfg.request_timeout = Duration::from_secs(30);
    let (zk, events) = match ZkClient::connect(cfg).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Unable to connect to {}: {e}", args.server);
            return Ok(Outcome::Exit(exit::FAILURE));
        }
    };
    let mut shell = Shell {
        zk,
        json: args.output == OutputFormat::Json,
    };
    let outcome = match one_shot {
        Some(cmd) => match shell.exec(cmd).await {
            Ok(_) => Outcome::Ok,
            Err(ShellError::Output(e)) => {
                let _ = shell.zk.close().await;
                return Err(Error::Output(e));
            }
            Err(ShellError::Zk(e)) => {
                eprintln!("{}", error_text(&e));
                Outcome::Exit(exit::FAILURE)
            }
        },
        None => shell.repl(&args.server, events).await?,
    };
    let _ = shell.zk.close().await;
    Ok(outcome)
}

enum ShellError {
    Zk(ZkError),
    Output(std::io::Error),
}

impl From<ZkError> for ShellError {
    fn from(e: ZkError) -> Self {
        ShellError::Zk(e)
    }
}

impl From<std::io::Error> for ShellError {
    fn from(e: std::io::Error) -> Self {
        ShellError::Output(e)
    }
}

/// Whether the shell goes on after a command.
enum Flow {
    Continue,
    Quit,
}

struct Shell {
    zk: ZkClient,
    json: bool,
}

fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

fn print_json(v: &serde_json::Value) -> std::io::Result<()> {
    print(&format!("{v}\n"))
}

/// A child's full path.
fn child_path(parent: &str, child: &str) -> String {
    if parent == "/" {
        format!("/{child}")
    } else {
        format!("{parent}/{child}")
    }
}

/// zkCli's line for an event.
fn event_text(e: &WatchedEvent) -> String {
    let state = match e.state {
        KeeperState::Disconnected => "Disconnected".to_string(),
        KeeperState::SyncConnected => "SyncConnected".to_string(),
        KeeperState::AuthFailed => "AuthFailed".to_string(),
        KeeperState::ConnectedReadOnly => "ConnectedReadOnly".to_string(),
        KeeperState::Expired => "Expired".to_string(),
        KeeperState::Closed => "Closed".to_string(),
        KeeperState::Unknown(v) => format!("Unknown({v})"),
    };
    let kind = match e.kind {
        EventKind::Unknown(v) => format!("Unknown({v})"),
        k => format!("{k:?}"),
    };
    format!(
        "WATCHER::\n\nWatchedEvent state:{state} type:{kind} path:{}\n",
        e.path.as_deref().unwrap_or("null")
    )
}

impl Shell {
    /// Runs one command, printing its output; errors are returned for the caller to word.
    async fn exec(&self, cmd: ShellCmd) -> std::result::Result<Flow, ShellError> {
        let zk = &self.zk;
        match cmd {
            ShellCmd::Ls {
                path,
                stat,
                recursive,
                watch,
            } => {
                if recursive {
                    let paths = self.subtree(&path).await?;
                    if self.json {
                        print_json(&json!({ "path": path, "paths": paths }))?;
                    } else {
                        print(&paths.iter().map(|p| format!("{p}\n")).collect::<String>())?;
                    }
                } else {
                    let (mut kids, st) = zk.get_children2(&path, watch).await?;
                    kids.sort();
                    if self.json {
                        let mut v = json!({ "path": path, "children": kids });
                        if stat {
                            v["stat"] = stat_json(&st);
                        }
                        print_json(&v)?;
                    } else {
                        let mut text = format!("{}\n", list_text(&kids));
                        if stat {
                            text.push_str(&stat_text(&st));
                        }
                        print(&text)?;
                    }
                }
            }
            ShellCmd::Get { path, stat, watch } => {
                let (data, st) = zk.get_data_opt(&path, watch).await?;
                let text = data.map(|d| String::from_utf8_lossy(&d).into_owned());
                if self.json {
                    let mut v = json!({ "path": path, "data": text });
                    if stat {
                        v["stat"] = stat_json(&st);
                    }
                    print_json(&v)?;
                } else {
                    let mut out = format!("{}\n", text.as_deref().unwrap_or("null"));
                    if stat {
                        out.push_str(&stat_text(&st));
                    }
                    print(&out)?;
                }
            }
            ShellCmd::Stat { path, watch } => {
                let st = zk
                    .exists(&path, watch)
                    .await?
                    .ok_or_else(|| ZkError::NoNode { path: path.clone() })?;
                if self.json {
                    let mut v = stat_json(&st);
                    v["path"] = json!(path);
                    print_json(&v)?;
                } else {
                    print(&stat_text(&st))?;
                }
            }
            ShellCmd::Set {
                path,
                data,
                stat,
                version,
            } => {
                let st = zk.set_data(&path, data.as_bytes(), version).await?;
                if stat {
                    print(&stat_text(&st))?;
                }
            }
            ShellCmd::Create {
                path,
                data,
                acl,
                mode,
                ttl,
            } => {
                let data = data.as_deref().map(str::as_bytes);
                let created = match ttl {
                    Some(t) => zk.create_ttl(&path, data, &acl, mode, t).await?.0,
                    None => zk.create_opt(&path, data, &acl, mode).await?,
                };
                // zkCli reports creations on stderr.
                eprintln!("Created {created}");
            }
            ShellCmd::Delete { path, version } => zk.delete(&path, version).await?,
            ShellCmd::DeleteAll { path, batch } => self.delete_all(&path, batch).await?,
            ShellCmd::Sync { path } => {
                zk.sync(&path).await?;
                print("Sync is OK\n")?;
            }
            ShellCmd::GetAcl { path, stat } => {
                let (acl, st) = zk.get_acl(&path).await?;
                let mut out = acl_text(&acl);
                if stat {
                    out.push_str(&stat_text(&st));
                }
                print(&out)?;
            }
            ShellCmd::SetAcl {
                path,
                acl,
                stat,
                version,
                recursive,
            } => {
                if recursive {
                    for p in self.subtree(&path).await? {
                        zk.set_acl(&p, &acl, version).await?;
                    }
                } else {
                    let st = zk.set_acl(&path, &acl, version).await?;
                    if stat {
                        print(&stat_text(&st))?;
                    }
                }
            }
            ShellCmd::GetEphemerals { path } => {
                let mut e = zk.get_ephemerals(&path).await?;
                e.sort();
                print(&format!("{}\n", list_text(&e)))?;
            }
            ShellCmd::GetAllChildrenNumber { path } => {
                print(&format!("{}\n", zk.get_all_children_number(&path).await?))?;
            }
            ShellCmd::WhoAmI => {
                let mut out = String::from("Auth scheme: User\n");
                for c in zk.who_am_i().await? {
                    out.push_str(&format!("{}: {}\n", c.auth_scheme, c.user));
                }
                print(&out)?;
            }
            ShellCmd::AddWatch { path, mode } => zk.add_watch(&path, mode).await?,
            ShellCmd::AddAuth { scheme, auth } => zk.add_auth(&scheme, auth.as_bytes()).await?,
            ShellCmd::Close => zk.close().await?,
            ShellCmd::Quit => return Ok(Flow::Quit),
            ShellCmd::Help => print(&help_text())?,
        }
        Ok(Flow::Continue)
    }

    /// `path` and all its descendants, parents before children, children sorted (zkCli's
    /// `ls -R` order).
    async fn subtree(&self, path: &str) -> std::result::Result<Vec<String>, ZkError> {
        let mut out = Vec::new();
        let mut stack = vec![path.to_string()];
        while let Some(p) = stack.pop() {
            let mut kids = match self.zk.get_children(&p, false).await {
                Ok(k) => k,
                // A node deleted while walking is simply gone; only the root must exist.
                Err(ZkError::NoNode { .. }) if p != path => continue,
                Err(e) => return Err(e),
            };
            kids.sort();
            for k in kids.iter().rev() {
                stack.push(child_path(&p, k));
            }
            out.push(p);
        }
        Ok(out)
    }

    /// Deletes `path` and everything below it, deepest first, `batch` deletes per multi.
    async fn delete_all(&self, path: &str, batch: usize) -> std::result::Result<(), ZkError> {
        let mut nodes = self.subtree(path).await?;
        // Longer paths (deeper nodes) first; siblings in any order.
        nodes.sort_by_key(|p| std::cmp::Reverse(p.matches('/').count()));
        for chunk in nodes.chunks(batch.max(1)) {
            let ops: Vec<Op> = chunk
                .iter()
                .map(|p| Op::Delete {
                    path: p.clone(),
                    version: -1,
                })
                .collect();
            self.zk.multi(&ops).await?;
        }
        Ok(())
    }

    /// The prompt loop: a prompt and watch events on a terminal, plain line reading otherwise.
    async fn repl(&mut self, server: &str, mut events: Events) -> Result<Outcome> {
        let interactive = std::io::stdin().is_terminal();
        let (line_tx, mut line_rx) = tokio::sync::mpsc::channel::<String>(16);
        let (ask_tx, ask_rx) = std::sync::mpsc::channel::<()>();
        // Blocking stdin reads live on their own thread; one line per request.
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            while ask_rx.recv().is_ok() {
                let mut line = String::new();
                match stdin.lock().read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if line_tx.blocking_send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let mut n = 0u64;
        let mut failed = false;
        loop {
            if interactive {
                // Events that already arrived (the connection's) come before the prompt.
                while let Some(e) = events.try_recv() {
                    print(&event_text(&e)).map_err(Error::Output)?;
                }
                let state = match self.zk.state() {
                    KeeperState::SyncConnected => "CONNECTED",
                    KeeperState::Disconnected => "CONNECTING",
                    _ => "CLOSED",
                };
                print(&format!("[zk: {server}({state}) {n}] ")).map_err(Error::Output)?;
            }
            if ask_tx.send(()).is_err() {
                break;
            }
            let line = loop {
                tokio::select! {
                    l = line_rx.recv() => break l,
                    Some(e) = events.recv(), if interactive => {
                        print(&format!("\n{}", event_text(&e))).map_err(Error::Output)?;
                    }
                }
            };
            let Some(line) = line else { break };
            let words = split_line(&line);
            if words.is_empty() {
                continue;
            }
            n += 1;
            let cmd = match parse::parse(&words) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{}", e.0.trim_end());
                    failed = true;
                    continue;
                }
            };
            match self.exec(cmd).await {
                Ok(Flow::Continue) => {}
                Ok(Flow::Quit) => break,
                Err(ShellError::Output(e)) => return Err(Error::Output(e)),
                Err(ShellError::Zk(e)) => {
                    eprintln!("{}", error_text(&e));
                    failed = true;
                }
            }
        }
        Ok(if failed && !interactive {
            Outcome::Exit(exit::FAILURE)
        } else {
            Outcome::Ok
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_flag_may_follow_the_command() {
        let mut f = OutputFormat::Text;
        let w = take_output_flag(
            &mut f,
            vec!["ls".into(), "--output".into(), "json".into(), "/".into()],
        )
        .unwrap();
        assert_eq!(w, vec!["ls", "/"]);
        assert_eq!(f, OutputFormat::Json);
        assert!(take_output_flag(&mut f, vec!["--output=xml".into()]).is_err());
        assert!(take_output_flag(&mut f, vec!["--output".into()]).is_err());
    }

    #[test]
    fn events_print_like_zkcli() {
        let e = WatchedEvent {
            kind: EventKind::NodeDataChanged,
            state: KeeperState::SyncConnected,
            path: Some("/a".into()),
        };
        assert_eq!(
            event_text(&e),
            "WATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/a\n"
        );
        assert!(event_text(&WatchedEvent::session(KeeperState::Expired)).ends_with("path:null\n"));
        assert_eq!(child_path("/", "a"), "/a");
        assert_eq!(child_path("/a", "b"), "/a/b");
    }
}
