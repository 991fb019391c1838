#!/usr/bin/env bash
# Installs real Apache Kafka (jars only, as a distribution's libs/ directory) from Maven Central
# for rkafka's interop tests, into a cache outside the working tree:
#
#   ${RKAFKA_PEERS:-$HOME/.cache/rkafka-peers}/kafka-<version>/libs/*.jar
#
# tests/common/kafka.rs looks for the jars at the same place. Usage: install.sh [VERSION...]
# (default: every version the tests use). Idempotent and quiet: a version whose jars are
# already there (marked by libs/.complete, written last) is skipped without running Maven.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${RKAFKA_PEERS:-$HOME/.cache/rkafka-peers}"
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(3.9.1 4.4.0)

for v in "${versions[@]}"; do
  dest="$cache/kafka-$v/libs"
  [ -f "$dest/.complete" ] && continue
  case "$v" in
    3.*) profile=kafka3 ;;
    4.*) profile=kafka4 ;;
    *) echo "install.sh: no Maven profile for Kafka $v" >&2; exit 2 ;;
  esac
  echo "setup: Kafka $v from Maven Central into $dest"
  tmp="$dest.partial"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # Maven's quiet mode still writes colour resets; keep its output for failures only.
  if ! mvn -q -B -f "$here/pom.xml" -P"$profile" -Dkafka.version="$v" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
    >"$cache/mvn-$v.log" 2>&1; then
    cat "$cache/mvn-$v.log" >&2
    echo "install.sh: Maven could not fetch Kafka $v (log above)" >&2
    exit 1
  fi
  rm -f "$cache/mvn-$v.log"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  touch "$dest/.complete"
done
