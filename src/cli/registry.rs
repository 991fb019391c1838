//! The tools this build ships. A tool is listed here only once it works; `rkafka --help`,
//! completions, man pages and `bin/` wrappers are all derived from this list.

use super::{
    Tool, broker_api_versions, dump_log, server_start, standalone, topics, zookeeper_server,
    zookeeper_shell,
};

/// Every implemented tool, in the order `rkafka --help` lists them: the operator's workflow
/// (coordinator, topics, ...), diagnostics last.
pub static TOOLS: &[Tool] = &[
    Tool {
        name: "zookeeper-server-start",
        script: "zookeeper-server-start.sh",
        command: zookeeper_server::start_command,
        run: zookeeper_server::run_start,
        host_list_options: &[],
        renamed_options: &[],
        server: true,
    },
    Tool {
        name: "zookeeper-server-stop",
        script: "zookeeper-server-stop.sh",
        command: zookeeper_server::stop_command,
        run: zookeeper_server::run_stop,
        host_list_options: &[],
        renamed_options: &[],
        server: false,
    },
    Tool {
        name: "server-start",
        script: "kafka-server-start.sh",
        command: server_start::start_command,
        run: server_start::run_start,
        host_list_options: &[],
        renamed_options: &[],
        server: true,
    },
    Tool {
        name: "server-stop",
        script: "kafka-server-stop.sh",
        command: server_start::stop_command,
        run: server_start::run_stop,
        host_list_options: &[],
        renamed_options: &[],
        server: false,
    },
    Tool {
        name: "standalone",
        // No Kafka script: a development cluster in one process is rkafka's own.
        script: "",
        command: standalone::command,
        run: standalone::run,
        host_list_options: &[],
        renamed_options: &[],
        server: true,
    },
    Tool {
        name: "zookeeper-shell",
        script: "zookeeper-shell.sh",
        command: zookeeper_shell::command,
        run: zookeeper_shell::run,
        host_list_options: &[],
        renamed_options: &[],
        server: false,
    },
    Tool {
        name: "topics",
        script: "kafka-topics.sh",
        command: topics::command,
        run: topics::run,
        host_list_options: &["zookeeper"],
        renamed_options: &[],
        server: false,
    },
    Tool {
        name: "broker-api-versions",
        script: "kafka-broker-api-versions.sh",
        command: broker_api_versions::command,
        run: broker_api_versions::run,
        host_list_options: &["bootstrap-server"],
        renamed_options: &[],
        server: false,
    },
    Tool {
        name: "dump-log",
        script: "kafka-dump-log.sh",
        command: dump_log::command,
        run: dump_log::run,
        host_list_options: &[],
        renamed_options: &[],
        server: false,
    },
];
