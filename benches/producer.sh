#!/usr/bin/env bash
# rkafka producer-perf-test vs Kafka's ProducerPerformance against the same Apache Kafka 4.4
# KRaft broker (started here), 1 KiB records, unthrottled, acks=all (both tools' default),
# each on its own 1-partition topic; then the start-up time of console-producer sending one
# line, beside Kafka's ConsoleProducer. Prints numbers; asserts nothing.
#
#   cargo build --release && benches/producer.sh            # 500k records per run
#   RECORDS=200000 RUNS=1 benches/producer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RKAFKA=${RKAFKA:-${CARGO_TARGET_DIR:-target}/release/rkafka}
LIBS=${RKAFKA_PEERS:-$HOME/.cache/rkafka-peers}/kafka-4.4.0/libs
RECORDS=${RECORDS:-500000}
RUNS=${RUNS:-2}
[ -x "$RKAFKA" ] || { echo "build first: cargo build --release ($RKAFKA missing)" >&2; exit 1; }
[ -f "$LIBS/.complete" ] || { echo "Kafka 4.4 jars missing: run tests/interop/setup.sh" >&2; exit 1; }

DIR=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); CPORT=$(free_port)
BOOT=127.0.0.1:$PORT
LOG4J="-Dlog4j2.configurationFile=$PWD/tests/interop/kafka/log4j2.properties -Drkafka.kafka.log.level=WARN"
cat > "$DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DIR/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
PROPS
java $LOG4J -cp "$LIBS/*" kafka.tools.StorageTool format -t "$(python3 -c 'import uuid,base64;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=").replace("-","A"))')" -c "$DIR/server.properties" >/dev/null
java -Xmx1g $LOG4J -cp "$LIBS/*" kafka.Kafka "$DIR/server.properties" > "$DIR/kafka.out" 2>&1 &
BROKER=$!
trap 'kill $BROKER 2>/dev/null; wait $BROKER 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 1 120); do
  "$RKAFKA" broker-api-versions --bootstrap-server "$BOOT" >/dev/null 2>&1 && break
  sleep 0.5
done
echo "Kafka 4.4 broker at $BOOT; $RECORDS records of 1024 bytes per run, $RUNS run(s) each, load: $(cut -d' ' -f1-3 /proc/loadavg)"

run_java() {
  java -Xmx1g $LOG4J -cp "$LIBS/*" org.apache.kafka.tools.ProducerPerformance --topic "$1" \
    --num-records "$RECORDS" --record-size 1024 --throughput -1 \
    --producer-props bootstrap.servers="$BOOT" | tail -1
}
run_rkafka() {
  "$RKAFKA" producer-perf-test --topic "$1" --num-records "$RECORDS" --record-size 1024 \
    --throughput -1 --producer-props bootstrap.servers="$BOOT" | tail -1
}
for i in $(seq 1 "$RUNS"); do
  echo "run $i Java   : $(run_java perf-java-$i)"
  echo "run $i rkafka : $(run_rkafka perf-rkafka-$i)"
done

echo "start-up, one line through console-producer (wall time, 3 tries each):"
for i in 1 2 3; do
  s=$(date +%s.%N); echo "hello $i" | "$RKAFKA" console-producer --bootstrap-server "$BOOT" --topic startup >/dev/null
  e=$(date +%s.%N); r=$(echo "($e - $s) * 1000" | bc)
  s=$(date +%s.%N); echo "hello $i" | java $LOG4J -cp "$LIBS/*" org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$BOOT" --topic startup >/dev/null
  e=$(date +%s.%N); j=$(echo "($e - $s) * 1000" | bc)
  printf '  rkafka %6.0f ms   Kafka ConsoleProducer %6.0f ms\n' "$r" "$j"
done
