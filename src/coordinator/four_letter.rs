//! The four-letter words (spec A9): ruok, srvr, stat, mntr, conf, envi, cons, dump, wchs,
//! wchc, wchp, isro, dirs, gtmk, crst, srst, answered as text from the engine's state, in
//! ZooKeeper 3.8's formats (checked against a real server), behind the whitelist.

use std::net::SocketAddr;

use super::engine::{Engine, Latency, VERSION};

impl Engine {
    /// The text answer to a four-letter word (spec A9). `asker` is the connection that sent
    /// it: like ZooKeeper, `stat`, `cons` and the connection counts include it.
    pub fn four_letter(&mut self, word: &str, now: u64, asker: Option<SocketAddr>) -> String {
        let allowed = self.cfg.whitelist.iter().any(|w| w == "*" || w == word);
        if !allowed {
            return format!("{word} is not executed because it is not in the whitelist.\n");
        }
        let avg = if self.latency.count == 0 {
            0.0
        } else {
            self.latency.total as f64 / self.latency.count as f64
        };
        let srvr_tail = format!(
            "Latency min/avg/max: {}/{avg:.4}/{}\nReceived: {}\nSent: {}\nConnections: {}\nOutstanding: 0\nZxid: {:#x}\nMode: standalone\nNode count: {}\n",
            self.latency.min,
            self.latency.max,
            self.received,
            self.sent,
            self.conns.len() + usize::from(asker.is_some()),
            self.last_zxid,
            self.tree.node_count()
        );
        match word {
            "ruok" => "imok".into(),
            "isro" => "rw".into(),
            "srvr" => format!("Zookeeper version: {VERSION}\n{srvr_tail}"),
            "stat" => format!(
                "Zookeeper version: {VERSION}\nClients:\n{}\n{srvr_tail}",
                self.cons_lines(false, asker)
            ),
            "cons" => format!("{}\n", self.cons_lines(true, asker)),
            "mntr" => {
                let data: usize = self
                    .tree
                    .nodes_parent_first()
                    .iter()
                    .map(|(p, n)| p.len() + n.data.as_ref().map_or(0, Vec::len))
                    .sum();
                [
                    ("zk_version", VERSION.to_string()),
                    ("zk_server_state", "standalone".into()),
                    ("zk_avg_latency", format!("{avg:.4}")),
                    ("zk_max_latency", self.latency.max.to_string()),
                    ("zk_min_latency", self.latency.min.to_string()),
                    ("zk_packets_received", self.received.to_string()),
                    ("zk_packets_sent", self.sent.to_string()),
                    (
                        "zk_num_alive_connections",
                        (self.conns.len() + usize::from(asker.is_some())).to_string(),
                    ),
                    ("zk_outstanding_requests", "0".into()),
                    ("zk_znode_count", self.tree.node_count().to_string()),
                    ("zk_watch_count", self.watches.count().to_string()),
                    (
                        "zk_ephemerals_count",
                        self.tree.ephemeral_count().to_string(),
                    ),
                    ("zk_approximate_data_size", data.to_string()),
                    ("zk_global_sessions", self.sessions.len().to_string()),
                    ("zk_local_sessions", "0".into()),
                    ("zk_uptime", now.saturating_sub(self.started_ms).to_string()),
                ]
                .iter()
                .map(|(k, v)| format!("{k}\t{v}\n"))
                .collect()
            }
            "conf" => {
                let (snap, log) = self.store.dir_sizes();
                let mut out = String::new();
                for (k, v) in &self.cfg.conf_lines {
                    out.push_str(&format!("{k}={v}\n"));
                    match k.as_str() {
                        "dataDir" => out.push_str(&format!("dataDirSize={snap}\n")),
                        "dataLogDir" => out.push_str(&format!("dataLogSize={log}\n")),
                        _ => {}
                    }
                }
                out
            }
            "envi" => format!(
                "Environment:\nzookeeper.version={VERSION}\nhost.name=localhost\njava.version=none (rkafka)\nos.name={}\nos.arch={}\nuser.dir={}\n",
                std::env::consts::OS,
                std::env::consts::ARCH,
                std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default()
            ),
            "dump" => {
                let all = self.sessions.all();
                let mut s = format!(
                    "SessionTracker dump:\nSession Sets ({})/({}):\n",
                    all.len(),
                    all.len()
                );
                for sess in all {
                    s.push_str(&format!(
                        "1 expire at {} ms:\n\t{:#x}\n",
                        sess.expires_at, sess.id
                    ));
                }
                let with: Vec<i64> = {
                    let mut v = self.tree.ephemeral_sessions();
                    v.sort_unstable();
                    v
                };
                s.push_str(&format!(
                    "ephemeral nodes dump:\nSessions with Ephemerals ({}):\n",
                    with.len()
                ));
                for id in with {
                    s.push_str(&format!("{id:#x}:\n"));
                    for p in self.tree.ephemerals_of(id) {
                        s.push_str(&format!("\t{p}\n"));
                    }
                }
                s
            }
            "wchs" => {
                let by = self.watches.by_path();
                let mut sessions: Vec<i64> = by.iter().map(|(_, s)| *s).collect();
                sessions.sort_unstable();
                sessions.dedup();
                let mut paths: Vec<&String> = by.iter().map(|(p, _)| p).collect();
                paths.dedup();
                format!(
                    "{} connections watching {} paths\nTotal watches:{}\n",
                    sessions.len(),
                    paths.len(),
                    self.watches.count()
                )
            }
            "wchc" => {
                let mut by: Vec<(i64, String)> = self
                    .watches
                    .by_path()
                    .into_iter()
                    .map(|(p, s)| (s, p))
                    .collect();
                by.sort();
                let mut out = String::new();
                let mut last = None;
                for (s, p) in by {
                    if last != Some(s) {
                        out.push_str(&format!("{s:#x}\n"));
                        last = Some(s);
                    }
                    out.push_str(&format!("\t{p}\n"));
                }
                out
            }
            "wchp" => {
                let mut out = String::new();
                let mut last: Option<String> = None;
                for (p, s) in self.watches.by_path() {
                    if last.as_deref() != Some(&p) {
                        out.push_str(&format!("{p}\n"));
                        last = Some(p.clone());
                    }
                    out.push_str(&format!("\t{s:#x}\n"));
                }
                out
            }
            "crst" => {
                for c in self.conns.values_mut() {
                    c.received = 0;
                    c.sent = 0;
                }
                "Connection stats reset.\n".into()
            }
            "srst" => {
                self.latency = Latency::default();
                self.received = 0;
                self.sent = 0;
                "Server stats reset.\n".into()
            }
            "dirs" => {
                let (snap, log) = self.store.dir_sizes();
                format!("datadir_size: {snap}\nlogdir_size: {log}\n")
            }
            // ZooKeeper's default trace mask; rkafka has no tracing levels to set.
            "gtmk" => "306".into(),
            other => format!("{other} is not executed because it is not in the whitelist.\n"),
        }
    }

    fn cons_lines(&self, detailed: bool, asker: Option<SocketAddr>) -> String {
        let mut v: Vec<_> = self.conns.values().collect();
        v.sort_by_key(|c| c.peer);
        let own = asker.map(|a| format!(" /{a}[0](queued=0,recved=1,sent=0)\n"));
        own.into_iter()
            .chain(v.iter().map(|c| {
                if detailed {
                    format!(
                        " /{}[1](queued=0,recved={},sent={},sid={:#x},lop={},est={},to={})\n",
                        c.peer,
                        c.received,
                        c.sent,
                        c.session.unwrap_or(0),
                        c.last_op,
                        c.established_ms,
                        c.session
                            .and_then(|s| self.sessions.get(s))
                            .map_or(0, |s| s.timeout_ms)
                    )
                } else {
                    format!(
                        " /{}[1](queued=0,recved={},sent={})\n",
                        c.peer, c.received, c.sent
                    )
                }
            }))
            .collect()
    }
}
