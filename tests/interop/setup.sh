#!/usr/bin/env bash
# Installs what the coordinator interop tests need: python3 and the kazoo ZooKeeper client.
set -euo pipefail
if ! command -v python3 >/dev/null; then
    apt-get update && apt-get install -y python3 python3-pip
fi
python3 -c 'import kazoo' 2>/dev/null || python3 -m pip install --quiet kazoo \
    || python3 -m pip install --quiet --break-system-packages kazoo
python3 -c 'import kazoo; print("kazoo", kazoo.__version__ if hasattr(kazoo, "__version__") else "installed")'
