//! zkCli's command language, pure: splitting a typed line into words (with quotes), parsing
//! the words of one command with zkCli's flags, and ACL strings (`world:anyone:cdrwa`).
//! A parse error carries the command's usage line, which zkCli prints.

use crate::coordinator::client::{Acl, AddWatchMode, CreateMode};
use crate::coordinator::proto::perms;

/// One shell command, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellCmd {
    Ls {
        path: String,
        stat: bool,
        recursive: bool,
        watch: bool,
    },
    Get {
        path: String,
        stat: bool,
        watch: bool,
    },
    Stat {
        path: String,
        watch: bool,
    },
    Set {
        path: String,
        data: String,
        stat: bool,
        version: i32,
    },
    Create {
        path: String,
        data: Option<String>,
        acl: Vec<Acl>,
        mode: CreateMode,
        ttl: Option<i64>,
    },
    Delete {
        path: String,
        version: i32,
    },
    DeleteAll {
        path: String,
        batch: usize,
    },
    Sync {
        path: String,
    },
    GetAcl {
        path: String,
        stat: bool,
    },
    SetAcl {
        path: String,
        acl: Vec<Acl>,
        stat: bool,
        version: i32,
        recursive: bool,
    },
    GetEphemerals {
        path: String,
    },
    GetAllChildrenNumber {
        path: String,
    },
    WhoAmI,
    AddWatch {
        path: String,
        mode: AddWatchMode,
    },
    AddAuth {
        scheme: String,
        auth: String,
    },
    Close,
    Quit,
    Help,
}

/// The command names and usage lines, in zkCli's wording; `help` prints them.
pub const USAGES: &[(&str, &str)] = &[
    (
        "addWatch",
        "addWatch [-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE",
    ),
    ("addauth", "addauth scheme auth"),
    ("close", "close "),
    ("create", "create [-s] [-e] [-c] [-t ttl] path [data] [acl]"),
    ("delete", "delete [-v version] path"),
    ("deleteall", "deleteall path [-b batch size]"),
    ("get", "get [-s] [-w] path"),
    ("getAcl", "getAcl [-s] path"),
    ("getAllChildrenNumber", "getAllChildrenNumber path"),
    ("getEphemerals", "getEphemerals path"),
    ("ls", "ls [-s] [-w] [-R] path"),
    ("quit", "quit "),
    ("set", "set [-s] [-v version] path data"),
    ("setAcl", "setAcl [-s] [-v version] [-R] path acl"),
    ("stat", "stat [-w] path"),
    ("sync", "sync path"),
    ("whoami", "whoami "),
];

/// The zkCli help text.
pub fn help_text() -> String {
    let mut s = String::from("ZooKeeper -server host:port cmd args\n");
    for (_, usage) in USAGES {
        s.push('\t');
        s.push_str(usage);
        s.push('\n');
    }
    s
}

/// Why a command line could not be parsed: the message zkCli prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn usage(name: &str) -> ParseError {
    let u = USAGES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, u)| *u)
        .unwrap_or(name);
    ParseError(u.to_string())
}

/// Splits a typed line into words: whitespace separates, and '...' or "..." keep spaces.
pub fn split_line(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for ch in line.chars() {
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => cur.push(ch),
            None if ch == '"' || ch == '\'' => {
                quote = Some(ch);
                in_word = true;
            }
            None if ch.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(ch);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Flags and positional words of one command (POSIX style: `-s`, `-sw`, `-v 3`, `-v3`).
struct Args {
    flags: Vec<(char, Option<String>)>,
    positional: Vec<String>,
}

fn split_args(
    name: &str,
    words: &[String],
    with_value: &[char],
    known: &[char],
) -> Result<Args, ParseError> {
    let mut flags = Vec::new();
    let mut positional = Vec::new();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let is_flag = w.len() > 1
            && w.starts_with('-')
            && w.chars().nth(1).is_some_and(|c| c.is_ascii_alphabetic());
        if !is_flag {
            positional.push(w.clone());
            continue;
        }
        let body = &w[1..];
        for (i, c) in body.char_indices() {
            if !known.contains(&c) && !with_value.contains(&c) {
                return Err(usage(name));
            }
            if with_value.contains(&c) {
                let rest = &body[i + c.len_utf8()..];
                let value = if rest.is_empty() {
                    it.next().cloned().ok_or_else(|| usage(name))?
                } else {
                    rest.to_string()
                };
                flags.push((c, Some(value)));
                break;
            }
            flags.push((c, None));
        }
    }
    Ok(Args { flags, positional })
}

impl Args {
    fn has(&self, c: char) -> bool {
        self.flags.iter().any(|(f, _)| *f == c)
    }
    fn value(&self, c: char) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(f, _)| *f == c)
            .and_then(|(_, v)| v.as_deref())
    }
}

fn version_arg(name: &str, a: &Args) -> Result<i32, ParseError> {
    match a.value('v') {
        None => Ok(-1),
        Some(v) => v.parse::<i32>().map_err(|_| usage(name)),
    }
}

/// Parses one command (its name first).
pub fn parse(words: &[String]) -> Result<ShellCmd, ParseError> {
    let Some((name, rest)) = words.split_first() else {
        return Err(ParseError(String::new()));
    };
    let name = name.as_str();
    let one_path = |a: &Args| -> Result<String, ParseError> {
        match a.positional.as_slice() {
            [p] => Ok(p.clone()),
            _ => Err(usage(name)),
        }
    };
    Ok(match name {
        "ls" | "ls2" => {
            let a = split_args("ls", rest, &[], &['s', 'w', 'R'])?;
            ShellCmd::Ls {
                path: one_path(&a).map_err(|_| usage("ls"))?,
                stat: a.has('s') || name == "ls2",
                recursive: a.has('R'),
                watch: a.has('w'),
            }
        }
        "get" => {
            let a = split_args(name, rest, &[], &['s', 'w'])?;
            ShellCmd::Get {
                path: one_path(&a)?,
                stat: a.has('s'),
                watch: a.has('w'),
            }
        }
        "stat" => {
            let a = split_args(name, rest, &[], &['w'])?;
            ShellCmd::Stat {
                path: one_path(&a)?,
                watch: a.has('w'),
            }
        }
        "set" => {
            let a = split_args(name, rest, &['v'], &['s'])?;
            let [path, data] = a.positional.as_slice() else {
                return Err(usage(name));
            };
            ShellCmd::Set {
                path: path.clone(),
                data: data.clone(),
                stat: a.has('s'),
                version: version_arg(name, &a)?,
            }
        }
        "create" => {
            let a = split_args(name, rest, &['t'], &['s', 'e', 'c'])?;
            let (path, data, acl) = match a.positional.as_slice() {
                [p] => (p.clone(), None, None),
                [p, d] => (p.clone(), Some(d.clone()), None),
                [p, d, acl] => (p.clone(), Some(d.clone()), Some(acl.as_str())),
                _ => return Err(usage(name)),
            };
            let ttl = match a.value('t') {
                None => None,
                Some(t) => Some(
                    t.parse::<i64>()
                        .ok()
                        .filter(|t| *t > 0)
                        .ok_or_else(|| usage(name))?,
                ),
            };
            let (s, e, c) = (a.has('s'), a.has('e'), a.has('c'));
            let mode = match (s, e, c, ttl.is_some()) {
                (_, true, true, _) | (true, _, true, _) | (_, _, true, true) => {
                    return Err(ParseError(
                        "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.".into(),
                    ));
                }
                (_, true, _, true) => {
                    return Err(ParseError(
                        "TTLs cannot be used with Ephemeral znodes".into(),
                    ));
                }
                (_, _, true, _) => CreateMode::Container,
                (true, true, _, _) => CreateMode::EphemeralSequential,
                (false, true, _, _) => CreateMode::Ephemeral,
                (true, false, _, true) => CreateMode::PersistentSequentialWithTtl,
                (true, false, _, false) => CreateMode::PersistentSequential,
                (false, false, _, true) => CreateMode::PersistentWithTtl,
                (false, false, _, false) => CreateMode::Persistent,
            };
            let acl = match acl {
                None => Acl::open_unsafe(),
                Some(text) => parse_acl(text)?,
            };
            ShellCmd::Create {
                path,
                data,
                acl,
                mode,
                ttl,
            }
        }
        "delete" => {
            let a = split_args(name, rest, &['v'], &[])?;
            ShellCmd::Delete {
                path: one_path(&a)?,
                version: version_arg(name, &a)?,
            }
        }
        "deleteall" | "rmr" => {
            let a = split_args("deleteall", rest, &['b'], &[])?;
            let batch = match a.value('b') {
                None => 1000,
                Some(b) => b
                    .parse::<usize>()
                    .ok()
                    .filter(|b| *b > 0)
                    .ok_or_else(|| usage("deleteall"))?,
            };
            ShellCmd::DeleteAll {
                path: one_path(&a).map_err(|_| usage("deleteall"))?,
                batch,
            }
        }
        "sync" => {
            let a = split_args(name, rest, &[], &[])?;
            ShellCmd::Sync {
                path: one_path(&a)?,
            }
        }
        "getAcl" => {
            let a = split_args(name, rest, &[], &['s'])?;
            ShellCmd::GetAcl {
                path: one_path(&a)?,
                stat: a.has('s'),
            }
        }
        "setAcl" => {
            let a = split_args(name, rest, &['v'], &['s', 'R'])?;
            let [path, acl] = a.positional.as_slice() else {
                return Err(usage(name));
            };
            ShellCmd::SetAcl {
                path: path.clone(),
                acl: parse_acl(acl)?,
                stat: a.has('s'),
                version: version_arg(name, &a)?,
                recursive: a.has('R'),
            }
        }
        "getEphemerals" => {
            let a = split_args(name, rest, &[], &[])?;
            ShellCmd::GetEphemerals {
                path: match a.positional.as_slice() {
                    [] => "/".to_string(),
                    [p] => p.clone(),
                    _ => return Err(usage(name)),
                },
            }
        }
        "getAllChildrenNumber" => {
            let a = split_args(name, rest, &[], &[])?;
            ShellCmd::GetAllChildrenNumber {
                path: one_path(&a)?,
            }
        }
        "whoami" => ShellCmd::WhoAmI,
        "addWatch" => {
            let a = split_args(name, rest, &['m'], &[])?;
            let mode = match a.value('m').map(|m| m.to_ascii_uppercase()) {
                None => AddWatchMode::PersistentRecursive,
                Some(m) if m == "PERSISTENT" => AddWatchMode::Persistent,
                Some(m) if m == "PERSISTENT_RECURSIVE" => AddWatchMode::PersistentRecursive,
                Some(_) => return Err(usage(name)),
            };
            ShellCmd::AddWatch {
                path: one_path(&a)?,
                mode,
            }
        }
        "addauth" => match rest {
            [scheme] => ShellCmd::AddAuth {
                scheme: scheme.clone(),
                auth: String::new(),
            },
            [scheme, auth] => ShellCmd::AddAuth {
                scheme: scheme.clone(),
                auth: auth.clone(),
            },
            _ => return Err(usage(name)),
        },
        "close" => ShellCmd::Close,
        "quit" => ShellCmd::Quit,
        "help" => ShellCmd::Help,
        _ => return Err(ParseError(help_text())),
    })
}

/// Parses zkCli ACL text: comma-separated `scheme:id:perms` (the id may itself contain ':',
/// as in `digest:user:hash:cdrwa`; `world:anyone:cdrwa`, `ip:10.0.0.1:r`, `auth::rw`).
pub fn parse_acl(text: &str) -> Result<Vec<Acl>, ParseError> {
    let bad = || ParseError(format!("Acl is not valid : {text}"));
    let mut out = Vec::new();
    for entry in text.split(',').filter(|s| !s.is_empty()) {
        let (scheme, rest) = entry.split_once(':').ok_or_else(bad)?;
        let (id, p) = rest.rsplit_once(':').ok_or_else(bad)?;
        out.push(Acl {
            perms: parse_perms(p).ok_or_else(bad)?,
            scheme: scheme.to_string(),
            id: id.to_string(),
        });
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

fn parse_perms(p: &str) -> Option<i32> {
    let mut v = 0;
    for c in p.chars() {
        v |= match c {
            'r' => perms::READ,
            'w' => perms::WRITE,
            'c' => perms::CREATE,
            'd' => perms::DELETE,
            'a' => perms::ADMIN,
            _ => return None,
        };
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        split_line(s)
    }

    #[test]
    fn lines_split_on_spaces_and_keep_quoted_text() {
        assert_eq!(
            w("  create /a 'hello world'  "),
            vec!["create", "/a", "hello world"]
        );
        assert_eq!(w(r#"set /a "x y" "#), vec!["set", "/a", "x y"]);
        assert_eq!(w("create /a ''"), vec!["create", "/a", ""]);
        assert!(w("   ").is_empty());
    }

    #[test]
    fn flags_and_positionals() {
        assert_eq!(
            parse(&w("ls -s -R /a")).unwrap(),
            ShellCmd::Ls {
                path: "/a".into(),
                stat: true,
                recursive: true,
                watch: false
            }
        );
        assert_eq!(
            parse(&w("set -v 3 /a data")).unwrap(),
            ShellCmd::Set {
                path: "/a".into(),
                data: "data".into(),
                stat: false,
                version: 3
            }
        );
        assert_eq!(
            parse(&w("get -sw /a")).unwrap(),
            ShellCmd::Get {
                path: "/a".into(),
                stat: true,
                watch: true
            }
        );
        assert_eq!(
            parse(&w("delete -v3 /a")).unwrap(),
            ShellCmd::Delete {
                path: "/a".into(),
                version: 3
            }
        );
        assert_eq!(parse(&w("ls")).unwrap_err().0, "ls [-s] [-w] [-R] path");
        assert_eq!(
            parse(&w("ls -x /a")).unwrap_err().0,
            "ls [-s] [-w] [-R] path"
        );
        assert!(parse(&w("set -v x /a d")).is_err());
        assert!(
            parse(&w("bogus"))
                .unwrap_err()
                .0
                .contains("ZooKeeper -server")
        );
    }

    #[test]
    fn create_modes() {
        let mode = |s: &str| match parse(&w(s)).unwrap() {
            ShellCmd::Create { mode, ttl, .. } => (mode, ttl),
            other => panic!("{other:?}"),
        };
        assert_eq!(mode("create /a"), (CreateMode::Persistent, None));
        assert_eq!(mode("create -e /a"), (CreateMode::Ephemeral, None));
        assert_eq!(
            mode("create -s -e /a"),
            (CreateMode::EphemeralSequential, None)
        );
        assert_eq!(
            mode("create -s /a"),
            (CreateMode::PersistentSequential, None)
        );
        assert_eq!(mode("create -c /a"), (CreateMode::Container, None));
        assert_eq!(
            mode("create -t 500 /a"),
            (CreateMode::PersistentWithTtl, Some(500))
        );
        assert_eq!(
            mode("create -s -t 500 /a"),
            (CreateMode::PersistentSequentialWithTtl, Some(500))
        );
        assert!(parse(&w("create -c -e /a")).is_err());
        assert!(parse(&w("create -e -t 5 /a")).is_err());
        assert!(parse(&w("create -t 0 /a")).is_err());
        match parse(&w("create /a data digest:u:h=:cdr")).unwrap() {
            ShellCmd::Create { data, acl, .. } => {
                assert_eq!(data.as_deref(), Some("data"));
                assert_eq!(acl[0].id, "u:h=");
                assert_eq!(acl[0].perms, perms::CREATE | perms::DELETE | perms::READ);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn acl_text() {
        assert_eq!(parse_acl("world:anyone:cdrwa").unwrap(), Acl::open_unsafe());
        let two = parse_acl("ip:10.0.0.1:r,auth::rw").unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!((two[1].scheme.as_str(), two[1].id.as_str()), ("auth", ""));
        assert!(parse_acl("world:anyone:xyz").is_err());
        assert!(parse_acl("nocolon").is_err());
        assert!(parse_acl("").is_err());
    }

    #[test]
    fn other_commands() {
        assert_eq!(
            parse(&w("getEphemerals")).unwrap(),
            ShellCmd::GetEphemerals { path: "/".into() }
        );
        assert_eq!(
            parse(&w("addWatch -m persistent /a")).unwrap(),
            ShellCmd::AddWatch {
                path: "/a".into(),
                mode: AddWatchMode::Persistent
            }
        );
        assert_eq!(
            parse(&w("deleteall /a -b 10")).unwrap(),
            ShellCmd::DeleteAll {
                path: "/a".into(),
                batch: 10
            }
        );
        assert_eq!(
            parse(&w("setAcl -R -v 2 /a world:anyone:r")).unwrap(),
            ShellCmd::SetAcl {
                path: "/a".into(),
                acl: parse_acl("world:anyone:r").unwrap(),
                stat: false,
                version: 2,
                recursive: true
            }
        );
        assert_eq!(parse(&w("quit")).unwrap(), ShellCmd::Quit);
    }
}
