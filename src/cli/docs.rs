//! Shell completions and man pages, rendered from the same clap definitions the tools parse
//! with. The rendered files are committed (`completions/`, `man/`); `cargo xtask docs` rewrites
//! them and a test fails when they are stale.

use std::path::PathBuf;

use clap_complete::Shell;

use super::{TOOLS, tool_command, top_command};

/// A file that `cargo xtask docs` writes, relative to the repository root.
#[derive(Debug)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: Vec<u8>,
}

/// The directories whose whole contents are generated.
pub const GENERATED_DIRS: [&str; 2] = ["completions", "man"];

/// Every generated file: completions for bash, zsh and fish (for `rkafka` and for each Kafka
/// script name), `rkafka.1` and one `rkafka-TOOL.1` per tool.
pub fn generated_files() -> Vec<GeneratedFile> {
    let mut files = Vec::new();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let mut cmd = top_command();
        files.push(completion(shell, &mut cmd, "rkafka"));
        for tool in TOOLS {
            let mut cmd = tool_command(tool, tool.script);
            files.push(completion(shell, &mut cmd, tool.script));
        }
    }
    files.push(man_page(top_command(), "rkafka.1"));
    for tool in TOOLS {
        let cmd = tool_command(tool, &format!("rkafka {}", tool.name))
            .name(format!("rkafka-{}", tool.name));
        files.push(man_page(cmd, &format!("rkafka-{}.1", tool.name)));
    }
    files
}

fn completion(shell: Shell, cmd: &mut clap::Command, bin: &str) -> GeneratedFile {
    let mut contents = Vec::new();
    clap_complete::generate(shell, cmd, bin, &mut contents);
    let file = match shell {
        Shell::Bash => format!("{bin}.bash"),
        Shell::Zsh => format!("_{bin}"),
        Shell::Fish => format!("{bin}.fish"),
        _ => format!("{bin}.{shell}"),
    };
    GeneratedFile {
        path: PathBuf::from("completions")
            .join(shell.to_string())
            .join(file),
        contents,
    }
}

fn man_page(cmd: clap::Command, file: &str) -> GeneratedFile {
    let mut contents = Vec::new();
    // Rendering into a Vec cannot fail with an I/O error.
    let _ = clap_mangen::Man::new(cmd).render(&mut contents);
    GeneratedFile {
        path: PathBuf::from("man").join(file),
        contents,
    }
}
