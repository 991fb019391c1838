//! Developer tasks that rewrite committed, generated files.
//!
//! `cargo xtask docs`: `bin/` wrappers, shell completions and man pages from the tool list and
//! its clap definitions.
//! `cargo xtask codegen`: the Kafka protocol codecs from Kafka's JSON message specs.

mod codegen;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let root = repo_root();
    let result = match task.as_str() {
        #[cfg(feature = "docs")]
        "docs" => write_docs(&root),
        "codegen" => codegen::run(&root).map_err(std::io::Error::other),
        _ => {
            eprintln!("usage: cargo xtask docs|codegen");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(feature = "docs")]
fn write_docs(root: &Path) -> std::io::Result<()> {
    for dir in rkafka::cli::docs::GENERATED_DIRS {
        let dir = root.join(dir);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
    }
    let files = rkafka::cli::docs::generated_files();
    for file in &files {
        let path = root.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &file.contents)?;
        if file.executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    println!("wrote {} files", files.len());
    Ok(())
}
