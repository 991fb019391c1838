#!/usr/bin/env bash
# Consumer throughput and start-up, rkafka against Kafka's own tools, on one Apache Kafka 4.4
# KRaft broker (numbers, not pass/fail; see benches/README.md).
#
#   benches/consumer.sh [RECORDS]      default 1000000 records of 1 KiB
#
# Needs the Kafka 4.4 jars of tests/interop/setup.sh and a release build of rkafka
# ($RKAFKA, default $CARGO_TARGET_DIR/release/rkafka or target/release/rkafka).
# Steps: start the broker, preload RECORDS 1 KiB records with Kafka's ProducerPerformance,
# then alternate Kafka's ConsumerPerformance and `rkafka consumer-perf-test` (2 runs each,
# all records from the beginning), then time `console-consumer --max-messages 1` of both.
set -euo pipefail

records=${1:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
peers=${RKAFKA_PEERS:-$HOME/.cache/rkafka-peers}
libs=$peers/kafka-4.4.0/libs
rkafka=${RKAFKA:-${CARGO_TARGET_DIR:-$root/target}/release/rkafka}
[ -x "$rkafka" ] || { echo "no release build at $rkafka (cargo build --release)" >&2; exit 1; }
[ -f "$libs/.complete" ] || { echo "Kafka 4.4 jars missing: run tests/interop/setup.sh" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
java_tool() { java -Xmx1g -Dlog4j2.configurationFile="$root/tests/interop/kafka/log4j2.properties" \
  -Drkafka.kafka.log.level=WARN -cp "$libs/*" "$@"; }
now_ns() { date +%s%N; }

dir=$(mktemp -d)
port=$(free_port); cport=$(free_port)
bootstrap=127.0.0.1:$port
cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
java_tool kafka.tools.StorageTool format -t "$(python3 -c 'import uuid,base64;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=").replace("-","A"))')" \
  -c "$dir/server.properties" > /dev/null
java_tool kafka.Kafka "$dir/server.properties" > "$dir/kafka.out" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 120); do
  "$rkafka" broker-api-versions --bootstrap-server "$bootstrap" > /dev/null 2>&1 && break
  sleep 0.5
done

echo "# preloading $records records of 1024 bytes"
java_tool org.apache.kafka.tools.ProducerPerformance --topic bench --num-records "$records" \
  --record-size 1024 --throughput -1 \
  --producer-props bootstrap.servers="$bootstrap" acks=1 linger.ms=20 batch.size=262144 | tail -1

field6() { awk -F', ' 'NF >= 10 { print $6 }' | tail -1; }
for run in 1 2; do
  k=$(java_tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$bootstrap" \
      --topic bench --messages "$records" --timeout 60000 | tee "$dir/java-$run.txt" | field6)
  r=$("$rkafka" consumer-perf-test --bootstrap-server "$bootstrap" --topic bench \
      --messages "$records" --timeout 60000 | tee "$dir/rkafka-$run.txt" | field6)
  echo "run $run: ConsumerPerformance ${k} records/s; rkafka consumer-perf-test ${r} records/s"
  tail -1 "$dir/java-$run.txt"; tail -1 "$dir/rkafka-$run.txt"
done

echo "# console-consumer --max-messages 1 (wall time, 5 runs each for rkafka, 2 for Kafka)"
for _ in 1 2 3 4 5; do
  t0=$(now_ns)
  "$rkafka" console-consumer --bootstrap-server "$bootstrap" --topic bench --from-beginning \
    --max-messages 1 > /dev/null 2>&1
  echo "rkafka console-consumer: $(( ($(now_ns) - t0) / 1000000 )) ms"
done
for _ in 1 2; do
  t0=$(now_ns)
  java_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$bootstrap" \
    --topic bench --from-beginning --max-messages 1 > /dev/null 2>&1
  echo "Kafka ConsoleConsumer: $(( ($(now_ns) - t0) / 1000000 )) ms"
done
