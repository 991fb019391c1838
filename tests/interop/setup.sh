#!/usr/bin/env bash
# Installs the real peers rkafka's tests talk to (see the shared interop notes). Idempotent:
# anything already present is left alone, so running it before every test run is cheap.
# Needs root for apt-get (CI and the development machines run as root).
#   apt: kcat; Java; Debian's zookeeper (server, zkCli.sh) and zookeeper-bin (C client cli_mt);
#        Maven, to fetch Apache Kafka's jars
#   pip: kafka-python with its codecs, confluent-kafka (librdkafka in its wheel), kazoo
#   Maven Central: Apache Kafka 3.9.1 and 4.4.0 into ${RKAFKA_PEERS:-$HOME/.cache/rkafka-peers}
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

need_apt=()
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-pip)
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
[ -e /usr/share/java/zookeeper.jar ] || need_apt+=(zookeeper)
[ -e /usr/lib/zookeeper/bin/cli_mt ] || need_apt+=(zookeeper-bin)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

python_packages=(kafka-python confluent-kafka kazoo lz4 zstandard python-snappy)
missing=()
for pkg in "${python_packages[@]}"; do
  python3 -m pip show -q "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: pip install ${missing[*]}"
  python3 -m pip install -q --disable-pip-version-check "${missing[@]}" \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages "${missing[@]}"
fi

"$here/kafka/install.sh"
echo "setup: peers ready (kcat, java, zookeeper, kafka 3.9.1 and 4.4.0, ${python_packages[*]})"
