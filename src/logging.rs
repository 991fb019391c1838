//! Logging set-up: `tracing` to stderr for tools (level from `RKAFKA_LOG`, default `warn`).
//! Daemons add their log files when they start.

use tracing_subscriber::EnvFilter;

/// Installs the stderr subscriber once; later calls do nothing.
pub fn init_for_tool() {
    let filter = EnvFilter::try_from_env("RKAFKA_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
