//! The tools this build ships. A tool is listed here only once it works; `rkafka --help`,
//! completions, man pages and `bin/` wrappers are all derived from this list.

use super::{
    RenamedOption, Tool, broker_api_versions, console_consumer, consumer_perf_test, dump_log,
    topics, zookeeper_server, zookeeper_shell,
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
        name: "console-consumer",
        script: "kafka-console-consumer.sh",
        command: console_consumer::command,
        run: console_consumer::run,
        host_list_options: &["bootstrap-server"],
        renamed_options: &[RenamedOption {
            old: "whitelist",
            new: "include",
        }],
        server: false,
    },
    Tool {
        name: "consumer-perf-test",
        script: "kafka-consumer-perf-test.sh",
        command: consumer_perf_test::command,
        run: consumer_perf_test::run,
        host_list_options: &["bootstrap-server"],
        renamed_options: &[RenamedOption {
            old: "broker-list",
            new: "bootstrap-server",
        }],
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
