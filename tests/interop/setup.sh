#!/usr/bin/env bash
# Installs the real peers rkafka's tests talk to (see DESIGN.md and the shared interop notes).
# Idempotent: anything already present is left alone, so running it before every test run is
# cheap. Needs root for apt-get (CI and the development machines run as root).
set -euo pipefail

need_apt=()
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
[ -x /usr/share/zookeeper/bin/zkCli.sh ] || need_apt+=(zookeeper)
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

python_packages=(kafka-python kazoo lz4 zstandard python-snappy)
missing=()
for pkg in "${python_packages[@]}"; do
  python3 -m pip show -q "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: pip install ${missing[*]}"
  python3 -m pip install -q --disable-pip-version-check "${missing[@]}"
fi
# Real Apache Kafka (3.9 and 4.x jars) into ${RKAFKA_PEERS:-$HOME/.cache/rkafka-peers}.
"$(dirname "$0")/kafka/install.sh"
echo "setup: peers ready (kcat, zookeeper, kafka, ${python_packages[*]})"
