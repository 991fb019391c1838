//! `cargo xtask codegen`: reads Kafka's JSON message specs and writes the Rust codecs under
//! `src/protocol/messages/` and `src/protocol/internal/`.
//!
//! The specs live outside the repository, in `<repo>/../shared/specs/` (`kafka-messages/` and
//! `kafka-internal-records/`); the `RKAFKA_SPECS` environment variable points elsewhere.
//! Output is deterministic and rustfmt-formatted, so a regenerated tree can be compared with
//! the committed one (see the staleness test below).
//!
//! xtask links the rkafka library for `docs`; if a generator change leaves the committed
//! codecs uncompilable, regenerate without it: `cargo run -p xtask --no-default-features --
//! codegen`.

pub mod emit;
pub mod spec;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use spec::Message;

/// The generated directories, relative to the repository root.
pub const MESSAGES_DIR: &str = "src/protocol/messages";
pub const INTERNAL_DIR: &str = "src/protocol/internal";

/// One generated file: path relative to the repository root, and contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
}

/// The specs folder: `$RKAFKA_SPECS`, else `<repo>/../shared/specs`.
pub fn specs_dir(root: &Path) -> PathBuf {
    match std::env::var_os("RKAFKA_SPECS") {
        Some(dir) => PathBuf::from(dir),
        None => root.join("..").join("shared").join("specs"),
    }
}

fn load_dir(dir: &Path) -> Result<Vec<Message>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!("{}: no *.json specs", dir.display()));
    }
    let mut out = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        out.push(spec::parse_message(&text).map_err(|e| format!("{}: {e}", p.display()))?);
    }
    Ok(out)
}

/// Formats Rust source with `rustfmt --edition 2024`.
pub fn rustfmt(source: &str) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running rustfmt: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("rustfmt: no stdin")?;
    let input = source.to_string();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(input.as_bytes())
    });
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    writer
        .join()
        .map_err(|_| "rustfmt: writer thread panicked".to_string())?
        .map_err(|e| format!("rustfmt stdin: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt output: {e}"))
}

/// Generates every file (formatted) from the specs in `specs`.
pub fn generate(specs: &Path) -> Result<Vec<GeneratedFile>, String> {
    let messages = load_dir(&specs.join("kafka-messages"))?;
    let internal = load_dir(&specs.join("kafka-internal-records"))?;
    let mut unformatted = Vec::new();
    for (dir, msgs) in [(MESSAGES_DIR, &messages), (INTERNAL_DIR, &internal)] {
        for m in msgs {
            unformatted.push((
                Path::new(dir).join(format!("{}.rs", spec::snake_case(&m.name))),
                emit::message_module(m)?,
            ));
        }
    }
    unformatted.push((
        Path::new(MESSAGES_DIR).join("mod.rs"),
        emit::messages_mod(&messages)?,
    ));
    unformatted.push((
        Path::new(INTERNAL_DIR).join("mod.rs"),
        emit::internal_mod(&internal),
    ));
    // rustfmt is the slow part: spread it over a few threads.
    let threads = 4;
    let chunk = unformatted.len().div_ceil(threads);
    let results: Vec<Result<Vec<GeneratedFile>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = unformatted
            .chunks(chunk.max(1))
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(path, src)| {
                            Ok(GeneratedFile {
                                path: path.clone(),
                                contents: rustfmt(src)
                                    .map_err(|e| format!("{}: {e}", path.display()))?,
                            })
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("rustfmt thread panicked".into()))
            })
            .collect()
    });
    let mut files = Vec::new();
    for r in results {
        files.extend(r?);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The `.rs` files currently under the generated directories.
pub fn existing_files(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for dir in [MESSAGES_DIR, INTERNAL_DIR] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries {
            let e = e.map_err(|e| format!("{dir}: {e}"))?;
            let p = e.path();
            if p.extension().is_some_and(|x| x == "rs") {
                out.push(Path::new(dir).join(e.file_name()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Regenerates the committed files: writes every generated file and deletes stale ones.
pub fn run(root: &Path) -> Result<(), String> {
    let specs = specs_dir(root);
    let files = generate(&specs)?;
    for old in existing_files(root)? {
        if !files.iter().any(|f| f.path == old) {
            std::fs::remove_file(root.join(&old)).map_err(|e| format!("{}: {e}", old.display()))?;
        }
    }
    for f in &files {
        let path = root.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let same = std::fs::read_to_string(&path).is_ok_and(|old| old == f.contents);
        if !same {
            std::fs::write(&path, &f.contents).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    println!("generated {} files from {}", files.len(), specs.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// The committed codecs must be exactly what the generator makes from the specs.
    #[test]
    fn committed_codecs_are_fresh() {
        let root = repo_root();
        let specs = specs_dir(&root);
        assert!(
            specs.join("kafka-messages").is_dir(),
            "Kafka specs not found at {} (expected the shared folder beside the repository, \
             or set RKAFKA_SPECS); the staleness check cannot run without them",
            specs.display()
        );
        let files = generate(&specs).unwrap_or_else(|e| panic!("codegen failed: {e}"));
        let generated: Vec<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
        let existing = existing_files(&root).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            existing, generated,
            "generated file set differs; run `cargo xtask codegen`"
        );
        for f in &files {
            let committed = std::fs::read_to_string(root.join(&f.path))
                .unwrap_or_else(|e| panic!("{}: {e}", f.path.display()));
            assert!(
                committed == f.contents,
                "{} is stale; run `cargo xtask codegen`",
                f.path.display()
            );
        }
    }

    #[test]
    fn generation_is_deterministic() {
        let specs = specs_dir(&repo_root());
        let text = std::fs::read_to_string(specs.join("kafka-messages/ProduceRequest.json"))
            .unwrap_or_else(|e| panic!("ProduceRequest.json: {e}"));
        let m = spec::parse_message(&text).unwrap();
        assert_eq!(
            emit::message_module(&m).unwrap(),
            emit::message_module(&m).unwrap()
        );
    }
}
