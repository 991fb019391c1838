//! The multi-call binary as a user meets it: top-level help and version, unknown tools, and
//! each tool reached through a link named like Kafka's script.

mod common;
use common::*;

#[test]
fn version_and_help_exit_zero() {
    let out = rkafka(&["--version"]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        stdout(&out).trim(),
        format!("rkafka {}", env!("CARGO_PKG_VERSION"))
    );
    let out = rkafka(&["--help"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("Usage: rkafka"), "{}", stdout(&out));
}

#[test]
fn help_lists_exactly_the_implemented_tools() {
    let out = rkafka(&["--help"]);
    let help = stdout(&out);
    for tool in rkafka::cli::TOOLS {
        assert!(
            help.contains(tool.name),
            "{} missing from help:\n{help}",
            tool.name
        );
        assert!(
            help.contains(tool.script),
            "{} missing from help:\n{help}",
            tool.script
        );
    }
    // A tool of the future suite that is not implemented must not be offered.
    for future in ["consumer-groups", "console-consumer", "producer-perf-test"] {
        if rkafka::cli::TOOLS.iter().all(|t| t.name != future) {
            assert!(
                !help.contains(future),
                "{future} offered but not implemented:\n{help}"
            );
        }
    }
}

#[test]
fn no_tool_prints_help_and_exits_2() {
    let out = rkafka(&[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("Usage: rkafka"), "{}", stderr(&out));
}

#[test]
fn unknown_tool_is_named_and_exits_2() {
    let out = rkafka(&["no-such-tool"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no-such-tool"), "{}", stderr(&out));
}

#[test]
fn every_tool_answers_help_under_its_kafka_script_name() {
    let dir = tempfile::tempdir().unwrap();
    for tool in rkafka::cli::TOOLS {
        let stem = tool.script.trim_end_matches(".sh");
        for name in [
            tool.script.to_string(),
            stem.to_string(),
            format!("rkafka-{}", tool.name),
        ] {
            // rkafka's own tools (empty script) have no Kafka name.
            if name.is_empty() {
                continue;
            }
            let link = link_as(dir.path(), &name);
            let out = std::process::Command::new(&link)
                .arg("--help")
                .output()
                .unwrap();
            assert_eq!(code(&out), 0, "{name} --help: {}", stderr(&out));
            let text = stdout(&out);
            assert!(text.contains(&format!("Usage: {name}")), "{name}: {text}");
            std::fs::remove_file(&link).unwrap();
        }
        // The same tool through the multi-call form.
        let out = rkafka(&[tool.name, "--help"]);
        assert_eq!(code(&out), 0);
        assert!(stdout(&out).contains(&format!("Usage: rkafka {}", tool.name)));
    }
}
