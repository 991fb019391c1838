//! The `rkafka` binary: hands argv to the multi-call dispatcher and exits with its code.

fn main() -> std::process::ExitCode {
    rkafka::cli::main_with(std::env::args_os().collect())
}
