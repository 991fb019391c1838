#!/usr/bin/env bash
# Installs what the coordinator interop tests need:
# - python3 with the kazoo ZooKeeper client (tests/coordinator_kazoo.rs),
# - Java and Debian's zookeeper package, a real ZooKeeper 3.8 server and zkCli.sh
#   (tests/coordinator_vs_zookeeper.rs).
set -euo pipefail
need_apt=()
command -v python3 >/dev/null || need_apt+=(python3 python3-pip)
command -v java >/dev/null || need_apt+=(default-jre-headless)
[ -e /usr/share/java/zookeeper.jar ] || need_apt+=(zookeeper)
if [ ${#need_apt[@]} -gt 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_apt[@]}"
fi
python3 -c 'import kazoo' 2>/dev/null || python3 -m pip install --quiet kazoo \
    || python3 -m pip install --quiet --break-system-packages kazoo
python3 -c 'import kazoo' && echo "kazoo: ok"
[ -e /usr/share/java/zookeeper.jar ] && echo "zookeeper: ok"
