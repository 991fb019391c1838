#!/usr/bin/env bash
# Installs what the coordinator interop tests need:
# - python3 with the kazoo ZooKeeper client (tests/coordinator_kazoo.rs),
# - Java and Debian's zookeeper and zookeeper-bin packages: a real ZooKeeper 3.8 server,
#   zkCli.sh and the C client's cli_mt (tests/coordinator_vs_zookeeper.rs),
# - Maven and Apache Kafka 3.9.1's jars from Maven Central, a real broker in ZooKeeper mode
#   (tests/coordinator_kafka.rs), copied to ~/.cache/rkafka/kafka-3.9.1/libs.
set -euo pipefail
need_apt=()
command -v python3 >/dev/null || need_apt+=(python3 python3-pip)
command -v java >/dev/null || need_apt+=(default-jre-headless)
[ -e /usr/share/java/zookeeper.jar ] || need_apt+=(zookeeper)
[ -e /usr/lib/zookeeper/bin/cli_mt ] || need_apt+=(zookeeper-bin)
command -v mvn >/dev/null || need_apt+=(maven)
if [ ${#need_apt[@]} -gt 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_apt[@]}"
fi
python3 -c 'import kazoo' 2>/dev/null || python3 -m pip install --quiet kazoo \
    || python3 -m pip install --quiet --break-system-packages kazoo
here=$(cd "$(dirname "$0")" && pwd)
libs="${RKAFKA_KAFKA_LIBS:-$HOME/.cache/rkafka/kafka-3.9.1/libs}"
if [ ! -e "$libs/kafka_2.13-3.9.1.jar" ]; then
    mvn -q -f "$here/kafka/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$libs"
fi
python3 -c 'import kazoo' && echo "kazoo: ok"
[ -e "$libs/kafka_2.13-3.9.1.jar" ] && echo "kafka 3.9.1 jars: ok ($libs)"
[ -e /usr/share/java/zookeeper.jar ] && echo "zookeeper: ok"
