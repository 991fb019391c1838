//! Kafka's command-line habits, applied to every tool before clap sees the arguments.
//!
//! Kafka's tools parse options with jopt-simple, which accepts long options after a single dash
//! (`-bootstrap-server h:9092 -list`), and operators type host lists separated by spaces
//! (`--broker-list localhost:9092 localhost:9093`). This module rewrites such command lines into
//! the form clap expects: `--name=value`, host lists joined with commas, deprecated spellings
//! renamed (with a note). It is pure: the clap command only tells it which options exist.

use std::collections::HashMap;
use std::ffi::OsString;

use super::Tool;

/// The rewritten arguments and the notes to show the user on stderr.
#[derive(Debug, Default, PartialEq)]
pub struct Normalized {
    pub args: Vec<OsString>,
    pub notes: Vec<String>,
}

/// What the front-end knows about one long option.
#[derive(Clone, Copy)]
struct OptionInfo {
    takes_value: bool,
    /// Takes several values (`--producer-props a=1 b=2`, as Kafka's argparse tools do).
    multiple: bool,
}

/// Rewrites `args` (argv[0] first) for `cmd`. Unknown options are left alone for clap to report.
pub fn normalize(args: &[OsString], cmd: &clap::Command, tool: &Tool) -> Normalized {
    let mut options: HashMap<String, OptionInfo> = HashMap::new();
    for arg in cmd.get_arguments() {
        let info = OptionInfo {
            takes_value: arg.get_action().takes_values(),
            multiple: arg.get_num_args().is_some_and(|r| r.max_values() > 1),
        };
        if let Some(long) = arg.get_long() {
            options.insert(long.to_string(), info);
        }
        for alias in arg.get_all_aliases().unwrap_or_default() {
            options.insert(alias.to_string(), info);
        }
    }
    // clap adds these itself; make `-help` and `-version` work like Kafka's tools.
    for builtin in ["help", "version"] {
        options.entry(builtin.to_string()).or_insert(OptionInfo {
            takes_value: false,
            multiple: false,
        });
    }
    let renamed: HashMap<&str, &str> = tool
        .renamed_options
        .iter()
        .map(|r| (r.old, r.new))
        .collect();

    let known = |name: &str| options.contains_key(name) || renamed.contains_key(name);
    // The option name an argument spells, if it spells one we know (`--x`, `-x` with a long
    // name, either with `=value`).
    let as_option = |arg: &str| -> Option<(String, Option<String>)> {
        let body = if let Some(b) = arg.strip_prefix("--") {
            b
        } else {
            let b = arg.strip_prefix('-')?;
            let name = b.split('=').next().unwrap_or(b);
            if name.chars().count() < 2 || !known(name) {
                return None;
            }
            b
        };
        if body.is_empty() {
            return None;
        }
        match body.split_once('=') {
            Some((name, value)) => Some((name.to_string(), Some(value.to_string()))),
            None => Some((body.to_string(), None)),
        }
    };

    let mut out = Normalized::default();
    let mut iter = args.iter().peekable();
    if let Some(program) = iter.next() {
        out.args.push(program.clone());
    }
    while let Some(arg) = iter.next() {
        let Some(text) = arg.to_str() else {
            out.args.push(arg.clone());
            continue;
        };
        if text == "--" {
            out.args.push(arg.clone());
            out.args.extend(iter.by_ref().cloned());
            break;
        }
        let Some((mut name, mut value)) = as_option(text) else {
            out.args.push(arg.clone());
            continue;
        };
        if let Some(new) = renamed.get(name.as_str()) {
            out.notes.push(format!(
                "--{name} is deprecated; using it as --{new}. Please use --{new} instead."
            ));
            name = (*new).to_string();
        }
        let takes_value = options.get(&name).is_some_and(|o| o.takes_value);
        if takes_value && value.is_none() {
            // The next argument is the value, even when it starts with '-' (`--shift-by -5`),
            // unless it is itself one of our options (then clap reports the missing value).
            if let Some(next) = iter.peek().and_then(|n| n.to_str())
                && as_option(next).is_none()
            {
                value = Some(next.to_string());
                iter.next();
            }
        }
        if tool.host_list_options.contains(&name.as_str())
            && let Some(list) = value.as_mut()
        {
            while let Some(next) = iter.peek().and_then(|n| n.to_str()) {
                if !looks_like_host_port(next) {
                    break;
                }
                list.push(',');
                list.push_str(next);
                iter.next();
            }
        }
        let multiple = options.get(&name).is_some_and(|o| o.multiple);
        let had_value = value.is_some();
        out.args.push(match value {
            Some(v) => format!("--{name}={v}").into(),
            None => format!("--{name}").into(),
        });
        // Further values of a multi-value option become repeated `--name=value`s.
        while multiple
            && had_value
            && let Some(next) = iter.peek().and_then(|n| n.to_str())
            && as_option(next).is_none()
        {
            out.args.push(format!("--{name}={next}").into());
            iter.next();
        }
    }
    out
}

/// Whether an argument reads as a `host:port` entry (optionally with a ZooKeeper chroot or a
/// trailing comma-separated list), so that a space-separated host list can be continued with it.
pub fn looks_like_host_port(arg: &str) -> bool {
    if arg.starts_with('-') || arg.contains('=') {
        return false;
    }
    let first = arg.split(',').find(|s| !s.is_empty()).unwrap_or("");
    let without_chroot = first.split('/').next().unwrap_or(first);
    let Some((host, port)) = without_chroot.rsplit_once(':') else {
        return false;
    };
    !host.is_empty()
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_[]:".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::RenamedOption;
    use clap::{Arg, ArgAction, Command};

    fn test_tool() -> Tool {
        Tool {
            name: "demo",
            script: "kafka-demo.sh",
            command: demo_command,
            run: |_| Ok(()),
            host_list_options: &["bootstrap-server", "zookeeper"],
            renamed_options: &[RenamedOption {
                old: "broker-list",
                new: "bootstrap-server",
            }],
            server: false,
        }
    }

    fn demo_command() -> Command {
        Command::new("demo")
            .arg(Arg::new("bootstrap-server").long("bootstrap-server"))
            .arg(Arg::new("zookeeper").long("zookeeper"))
            .arg(Arg::new("topic").long("topic"))
            .arg(Arg::new("shift-by").long("shift-by"))
            .arg(Arg::new("list").long("list").action(ArgAction::SetTrue))
            .arg(Arg::new("e").short('e').action(ArgAction::SetTrue))
            .arg(Arg::new("file"))
    }

    fn run(args: &[&str]) -> Normalized {
        let tool = test_tool();
        let args: Vec<OsString> = std::iter::once("demo")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        normalize(&args, &demo_command(), &tool)
    }

    fn strings(n: &Normalized) -> Vec<String> {
        n.args[1..]
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn single_dash_long_options_become_double_dash() {
        let n = run(&["-bootstrap-server", "10.0.0.1:9092", "-list"]);
        assert_eq!(strings(&n), ["--bootstrap-server=10.0.0.1:9092", "--list"]);
        assert!(n.notes.is_empty());
    }

    #[test]
    fn single_dash_short_options_and_unknown_words_are_left_alone() {
        let n = run(&["-e", "-nosuch", "-x"]);
        assert_eq!(strings(&n), ["-e", "-nosuch", "-x"]);
    }

    #[test]
    fn values_starting_with_a_dash_stay_values() {
        let n = run(&["--shift-by", "-5", "-topic", "-list"]);
        // `-list` is an option, so --topic gets no value and clap will say so.
        assert_eq!(strings(&n), ["--shift-by=-5", "--topic", "--list"]);
    }

    #[test]
    fn space_separated_host_lists_are_joined() {
        let n = run(&[
            "--bootstrap-server",
            "localhost:9092",
            "localhost:9093",
            "localhost:9094",
            "--topic",
            "t",
        ]);
        assert_eq!(
            strings(&n),
            [
                "--bootstrap-server=localhost:9092,localhost:9093,localhost:9094",
                "--topic=t"
            ]
        );
    }

    #[test]
    fn host_list_joining_stops_at_positionals_and_other_options() {
        let n = run(&["--zookeeper", "zk1:2181/kafka", "zk2:2181", "data.txt"]);
        assert_eq!(
            strings(&n),
            ["--zookeeper=zk1:2181/kafka,zk2:2181", "data.txt"]
        );
        // Options that are not host lists never swallow host-like words.
        let n = run(&["--topic", "a:1", "b:2"]);
        assert_eq!(strings(&n), ["--topic=a:1", "b:2"]);
    }

    #[test]
    fn renamed_options_are_translated_with_a_note() {
        let n = run(&["--broker-list", "localhost:9092", "localhost:9093"]);
        assert_eq!(
            strings(&n),
            ["--bootstrap-server=localhost:9092,localhost:9093"]
        );
        assert_eq!(n.notes.len(), 1);
        assert!(n.notes[0].contains("--broker-list"), "{:?}", n.notes);
        let n = run(&["-broker-list=h:1"]);
        assert_eq!(strings(&n), ["--bootstrap-server=h:1"]);
    }

    #[test]
    fn everything_after_double_dash_is_untouched() {
        let n = run(&["--", "-list", "--topic"]);
        assert_eq!(strings(&n), ["--", "-list", "--topic"]);
    }

    #[test]
    fn host_port_recognition() {
        assert!(looks_like_host_port("localhost:9092"));
        assert!(looks_like_host_port("[::1]:9092"));
        assert!(looks_like_host_port("zk:2181/chroot"));
        assert!(looks_like_host_port("a:1,b:2"));
        assert!(!looks_like_host_port("--topic"));
        assert!(!looks_like_host_port("file.txt"));
        assert!(!looks_like_host_port("key=value:1"));
        assert!(!looks_like_host_port("host:"));
    }
}
