//! Logging set-up: `tracing` to stderr, level from `RKAFKA_LOG`: `warn` by default for tools,
//! `info` for the servers (whose stderr is their console log, `$LOG_DIR/*.out` under -daemon).

use tracing_subscriber::EnvFilter;

/// Installs the stderr subscriber for a tool; later calls do nothing.
pub fn init_for_tool() {
    init("warn", false);
}

/// Installs the stderr subscriber for a server, with timestamps and module names.
pub fn init_for_daemon() {
    init("info", true);
}

fn init(default_level: &str, detailed: bool) {
    let filter =
        EnvFilter::try_from_env("RKAFKA_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(detailed);
    let _ = if detailed {
        builder.try_init()
    } else {
        builder.without_time().try_init()
    };
}
