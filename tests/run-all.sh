#!/usr/bin/env bash
# The whole test suite, as the README documents it: installs the real peers the interop tests
# use, checks formatting and lints, then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

tests/interop/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
