#!/usr/bin/env bash
# rkafka's broker vs Apache Kafka 4.4 (KRaft combined mode) on this machine, side by side in
# one run, with Kafka's own ProducerPerformance / ConsumerPerformance as the load tool for both.
# Numbers, not pass/fail; run on demand (never from the tests). See benches/README.md.
#
#   cargo build --release && benches/broker.sh
#   RUNS=3 RECORDS=500000 LAT_RECORDS=600000 LAT_WARMUP=200000 benches/broker.sh
#
# Each run starts each broker fresh (new data directory, new ports), one after the other:
#   ready      process start -> first acknowledged produce (benches/ready_probe.py spawns the
#              broker and retries Metadata + Produce v3 acks=1 every 2 ms; the topic is
#              auto-created). Kafka's storage format step runs before and is not counted.
#   produce    ProducerPerformance, RECORDS records of 1 KiB, --throughput -1, acks=1, into a
#              1-partition topic
#   consume    ConsumerPerformance --num-records RECORDS of that topic from the beginning; it
#              subscribes through a consumer group, so it needs FindCoordinator/JoinGroup: until
#              rkafka's broker serves groups it reports n/a for rkafka, and the script also runs
#              `rkafka consumer-perf-test` (assigns partitions itself, Kafka's output format)
#              against both brokers as the same-tool fallback
#   latency    ProducerPerformance, LAT_RECORDS records of 1 KiB at --throughput 20480
#              (20 MiB/s), acks=1, into another 1-partition topic: p50 and p99 of its steady
#              state (--warmup-records LAT_WARMUP: the producer JVM needs seconds to warm up on
#              this loaded 2-core machine, and the backlog it builds meanwhile is the client's
#              latency, not the broker's)
#   rss        VmRSS of the broker process after all of the above
# rkafka runs as `rkafka standalone` (coordinator + broker in one process, the counterpart of
# KRaft's combined broker+controller), so its RSS and ready time include the coordinator.
# Kafka runs with kafka-server-start.sh's JVM settings (1 GiB heap, G1). Both brokers use
# their defaults otherwise (one partition per topic, no flush settings). The medians of all
# runs go to a Markdown table at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
RKAFKA=${RKAFKA:-${CARGO_TARGET_DIR:-target}/release/rkafka}
LIBS=${RKAFKA_PEERS:-$HOME/.cache/rkafka-peers}/kafka-4.4.0/libs
RUNS=${RUNS:-3}
RECORDS=${RECORDS:-500000}
LAT_RECORDS=${LAT_RECORDS:-600000}
LAT_WARMUP=${LAT_WARMUP:-200000}
[ -x "$RKAFKA" ] || { echo "build first: cargo build --release ($RKAFKA missing)" >&2; exit 1; }
[ -f "$LIBS/.complete" ] || { echo "Kafka 4.4 jars missing: run tests/interop/setup.sh" >&2; exit 1; }

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
log4j="-Dlog4j2.configurationFile=$root/tests/interop/kafka/log4j2.properties -Drkafka.kafka.log.level=WARN"
java_tool() { java -Xmx1g $log4j -cp "$LIBS/*" "$@"; }
results=$work/results.tsv

start_kafka() { # dir port -> sets pid, ready
  local dir=$1 port=$2 cport
  cport=$(free_port)
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  java $log4j -cp "$LIBS/*" kafka.tools.StorageTool format -t "$(python3 -c 'import uuid,base64;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=").replace("-","A"))')" -c "$dir/server.properties" >/dev/null
  read -r ready pid < <(python3 benches/ready_probe.py "127.0.0.1:$port" ready "$dir/broker.out" -- \
    java -Xmx1G -Xms1G -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -XX:MaxInlineLevel=15 -Djava.awt.headless=true $log4j -cp "$LIBS/*" \
    kafka.Kafka "$dir/server.properties")
}

start_rkafka() { # dir port -> sets pid, ready
  local dir=$1 port=$2 zport
  zport=$(free_port)
  read -r ready pid < <(python3 benches/ready_probe.py "127.0.0.1:$port" ready "$dir/broker.out" -- \
    "$RKAFKA" standalone --data-dir "$dir/data" --zookeeper-port "$zport" --port "$port" \
    --override "listeners=PLAINTEXT://127.0.0.1:$port" \
    --override group.initial.rebalance.delay.ms=0)
}

# "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, P50 ms 50th,
# P95 ms 95th, P99 ms 99th, P999 ms 99.9th." (with --warmup-records the last line is the same
# for the steady state) -> "R M P50 P99"
perf_fields() { tail -1 | sed -E 's/.* ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\).* ([0-9.]+) ms 50th, [0-9.]+ ms 95th, ([0-9.]+) ms 99th.*/\1 \2 \3 \4/'; }
# ConsumerPerformance CSV: field 4 MB.sec, field 6 nMsg.sec -> "nMsg MB"
consumer_fields() { awk -F', ' 'NF >= 10 && $1 !~ /start.time/ { print $6, $4 }' | tail -1; }

one_system() { # name run
  local name=$1 run=$2 dir port boot
  dir=$work/$name-$run; mkdir -p "$dir"
  port=$(free_port); boot=127.0.0.1:$port
  "start_$name" "$dir" "$port"
  for t in perf lat; do
    "$RKAFKA" topics --bootstrap-server "$boot" --create --topic $t --partitions 1 \
      --replication-factor 1 >/dev/null
  done
  sleep 1
  read -r p_rate p_mb _ _ < <(java_tool org.apache.kafka.tools.ProducerPerformance --topic perf \
    --num-records "$RECORDS" --record-size 1024 --throughput -1 \
    --command-property bootstrap.servers="$boot" acks=1 | perf_fields)
  c_out=$(java_tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$boot" \
    --topic perf --num-records "$RECORDS" --timeout 30000 2>"$dir/consumer.err" | consumer_fields || true)
  [ -n "$c_out" ] || c_out="n/a n/a"
  read -r c_rate c_mb <<< "$c_out"
  f_out=$("$RKAFKA" consumer-perf-test --bootstrap-server "$boot" --topic perf \
    --messages "$RECORDS" --timeout 30000 | consumer_fields || true)
  [ -n "$f_out" ] || f_out="n/a n/a"
  read -r f_rate f_mb <<< "$f_out"
  read -r _ _ l_p50 l_p99 < <(java_tool org.apache.kafka.tools.ProducerPerformance --topic lat \
    --num-records "$LAT_RECORDS" --warmup-records "$LAT_WARMUP" --record-size 1024 \
    --throughput 20480 --command-property bootstrap.servers="$boot" acks=1 | perf_fields)
  rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
  kill "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; pid=
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$run" "$ready" \
    "$p_rate" "$p_mb" "$c_rate" "$c_mb" "$f_rate" "$f_mb" "$l_p50" "$l_p99" "$rss_kb" | tee -a "$results"
  rm -rf "$dir"
}

echo "# $RUNS run(s); $RECORDS x 1 KiB for throughput, $LAT_RECORDS at 20 MiB/s for latency ($LAT_WARMUP warm-up); load $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
echo -e "# system\trun\tready_ms\tprod_rec_s\tprod_MB_s\tcons_rec_s\tcons_MB_s\trkcons_rec_s\trkcons_MB_s\tp50_ms\tp99_ms\trss_kB"
for run in $(seq 1 "$RUNS"); do
  one_system kafka "$run"
  one_system rkafka "$run"
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
cols = {"ready": 2, "prod": 3, "prodmb": 4, "cons": 5, "consmb": 6, "rkcons": 7, "rkconsmb": 8,
        "p50": 9, "p99": 10, "rss": 11}
def med(system, col):
    vals = [float(r[cols[col]]) for r in rows if r[0] == system and r[cols[col]] != "n/a"]
    return statistics.median(vals) if vals else None
def fmt(v, unit=""):
    return "n/a" if v is None else (f"{v:,.0f}{unit}" if v >= 100 else f"{v:.1f}{unit}")
def ratio(a, b):
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}x"
print()
print("| metric (median of %d runs) | Kafka 4.4 KRaft | rkafka | rkafka / Kafka | target |" % len({r[1] for r in rows}))
print("|---|---|---|---|---|")
lines = [
    ("produce, records/s (ProducerPerformance, acks=1)", "prod", "", ">= 1.5x"),
    ("produce, MB/s", "prodmb", "", ">= 1.5x"),
    ("consume, records/s (ConsumerPerformance)", "cons", "", ">= 1.5x"),
    ("consume, records/s (rkafka consumer-perf-test, both)", "rkcons", "", ">= 1.5x"),
    ("consume, MB/s (rkafka consumer-perf-test, both)", "rkconsmb", "", ">= 1.5x"),
    ("produce latency p50 at 20 MiB/s, ms", "p50", "", "-"),
    ("produce latency p99 at 20 MiB/s, ms", "p99", "", "<= 0.5x"),
    ("broker RSS after the run, MiB", "rss", "", "<= 0.1x"),
    ("start to first acknowledged produce, ms", "ready", "", "<= 100 ms"),
]
for label, col, unit, target in lines:
    k, r = med("kafka", col), med("rkafka", col)
    if col == "rss":
        k = None if k is None else k / 1024
        r = None if r is None else r / 1024
    print(f"| {label} | {fmt(k, unit)} | {fmt(r, unit)} | {ratio(r, k)} | {target} |")
PY
