//! The committed `bin/` wrappers, completions and man pages must equal what the current clap
//! definitions generate; run `cargo xtask docs` after changing a tool.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn committed_files(root: &Path, dir: &str) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.insert(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    found
}

#[test]
fn generated_files_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = rkafka::cli::docs::generated_files();
    let mut stale = Vec::new();
    for file in &files {
        let path = root.join(&file.path);
        match std::fs::read(&path) {
            Ok(bytes) if bytes == file.contents => {}
            Ok(_) => stale.push(format!("{} differs", file.path.display())),
            Err(e) => stale.push(format!("{} missing ({e})", file.path.display())),
        }
        if file.executable {
            let mode = std::fs::metadata(&path)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            if mode & 0o111 == 0 {
                stale.push(format!("{} is not executable", file.path.display()));
            }
        }
    }
    let expected: BTreeSet<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
    for dir in rkafka::cli::docs::GENERATED_DIRS {
        for extra in committed_files(root, dir).difference(&expected) {
            stale.push(format!("{} is not generated any more", extra.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale; run `cargo xtask docs`:\n{}",
        stale.join("\n")
    );
}

#[test]
fn every_tool_has_a_wrapper_completions_and_a_man_page() {
    let files: BTreeSet<PathBuf> = rkafka::cli::docs::generated_files()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert!(files.contains(Path::new("man/rkafka.1")));
    assert!(files.contains(Path::new("completions/bash/rkafka.bash")));
    assert!(files.contains(Path::new("completions/zsh/_rkafka")));
    assert!(files.contains(Path::new("completions/fish/rkafka.fish")));
    for tool in rkafka::cli::TOOLS {
        assert!(files.contains(Path::new(&format!("man/rkafka-{}.1", tool.name))));
        // rkafka's own tools (no Kafka script) are run as `rkafka TOOL` only.
        if tool.script.is_empty() {
            assert!(
                !files.contains(Path::new("bin")),
                "no wrapper without a name"
            );
            continue;
        }
        for path in [
            format!("bin/{}", tool.script),
            format!("completions/bash/{}.bash", tool.script),
        ] {
            assert!(files.contains(Path::new(&path)), "{path} is not generated");
        }
    }
}
