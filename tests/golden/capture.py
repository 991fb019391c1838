#!/usr/bin/env python3
"""Captures golden request frames from real Kafka clients for tests/golden_frames.rs.

How: starts a real Apache Kafka 3.9 broker (KRaft, single node) whose advertised listener is
a capturing TCP proxy in this script, so every connection a client opens (bootstrap, broker,
group coordinator) goes through the proxy. The proxy forwards bytes both ways unchanged and
records each client-to-broker frame (int32 length prefix + request bytes). Clients run one
scenario at a time, each under a label; for every (label, api, version) the first frame
(or the first one containing the scenario's marker bytes) is written to

    tests/golden/frames/<label>-<api>-v<version>.bin      (length prefix included)

Clients: kcat 1.7.1 (librdkafka 2.0.2), kafka-python, and Kafka 3.9's own Java tools
(TopicCommand, ConsoleProducer, ConsoleConsumer).

Regenerate (takes ~30 s; needs the peers of tests/interop/setup.sh):

    tests/interop/setup.sh
    tests/golden/capture.py            # rewrites tests/golden/frames/*.bin
    cargo test --test golden_frames    # the assertions must still hold

Timestamps, CRCs, member ids and producer ids change from run to run; the test asserts only
what the scenarios below fix (client ids, topics, partitions, keys and values, groups,
committed offsets and metadata), plus the byte-exact re-encoding of every frame.
"""

import argparse
import base64
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
KAFKA_VERSION = "3.9.1"

# Kafka API keys of the requests these clients send, named as in the file names.
API_NAMES = {
    0: "produce", 1: "fetch", 2: "list-offsets", 3: "metadata", 8: "offset-commit",
    9: "offset-fetch", 10: "find-coordinator", 11: "join-group", 12: "heartbeat",
    13: "leave-group", 14: "sync-group", 15: "describe-groups", 16: "list-groups",
    18: "api-versions", 19: "create-topics", 22: "init-producer-id",
    32: "describe-configs", 60: "describe-cluster",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proxy:
    """Forwards 127.0.0.1:listen -> 127.0.0.1:upstream, recording client frames by label."""

    def __init__(self, listen, upstream):
        self.upstream = upstream
        self.label = "setup"
        self.frames = []  # (label, api_key, api_version, frame bytes with prefix)
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", listen))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self._requests, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._responses, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _read_exact(sock, n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def _requests(self, client, upstream):
        try:
            while True:
                prefix = self._read_exact(client, 4)
                if prefix is None:
                    break
                (size,) = struct.unpack(">i", prefix)
                body = self._read_exact(client, size)
                if body is None:
                    break
                key, version = struct.unpack(">hh", body[:4])
                with self.lock:
                    self.frames.append((self.label, key, version, prefix + body))
                upstream.sendall(prefix + body)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    @staticmethod
    def _responses(upstream, client):
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def java(libs, log4j, heap="256m"):
    return ["java", f"-Xmx{heap}", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            f"-Dlog4j.configuration=file:{log4j}", "-cp", os.path.join(libs, "*")]


def run(cmd, stdin=b"", timeout=60):
    out = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
    if out.returncode != 0:
        sys.exit(f"capture: {cmd[:8]}... failed ({out.returncode}):\n"
                 f"{out.stdout.decode(errors='replace')}\n{out.stderr.decode(errors='replace')}")
    return out


def start_kafka(libs, log4j, workdir, proxy_port):
    port, controller = free_port(), free_port()
    props = os.path.join(workdir, "server.properties")
    with open(props, "w") as f:
        f.write(f"""process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=PLAINTEXT://127.0.0.1:{proxy_port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={workdir}/data
num.partitions=1
offsets.topic.num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
""")
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    # "--cluster-id=ID": an id starting with "-" would otherwise read as an option.
    run(java(libs, log4j) + ["kafka.tools.StorageTool", "format", "--cluster-id=" + cluster_id, "-c", props])
    log = open(os.path.join(workdir, "kafka.out"), "wb")
    proc = subprocess.Popen(java(libs, log4j, "512m") + ["kafka.Kafka", props],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"capture: Kafka exited:\n{open(log.name).read()[-4000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("capture: Kafka did not open its port in 60 s")


def padded(prefix, i):
    """A record value that compresses well: `<prefix>-<i>-` then "abcd" 50 times
    (tests/golden_frames.rs builds the same values)."""
    return b"%s-%d-%s" % (prefix, i, b"abcd" * 50)


# Frames to prefer over the first of their (label, api, version): the first one containing
# these bytes. kafka-python's first SyncGroup may carry an empty assignment (it joined before
# its metadata named the topic); prefer the one assigning golden-py (int16 length 9 + name).
PREFER = {("python", "sync-group"): b"\x00\x09golden-py"}


def scenarios(proxy, bootstrap, libs, log4j):
    """Each client's requests, in order. Returns {label: marker bytes or None}."""
    markers = {}

    def label(name, marker=None):
        time.sleep(0.3)  # let the previous client's last frames land under its own label
        proxy.label = name
        markers[name] = marker

    kcat = ["kcat", "-b", bootstrap, "-X", "client.id=golden-kcat"]

    # Java AdminClient (TopicCommand): CreateTopics with explicit partition counts.
    label("java-admin", b"golden")
    for topic, partitions in (("golden", 3), ("golden-py", 2), ("golden-java", 1)):
        run(java(libs, log4j) + ["org.apache.kafka.tools.TopicCommand", "--bootstrap-server",
                                 bootstrap, "--create", "--topic", topic, "--partitions",
                                 str(partitions), "--replication-factor", "1"])

    # librdkafka: ApiVersions v3 + Metadata v4 for one topic.
    label("kcat", b"golden")
    run(kcat + ["-L", "-t", "golden"])
    # librdkafka: Produce v7 with one lz4 batch of three keyed records to partition 1 (the
    # values are long and repetitive: librdkafka sends a batch uncompressed when compressing
    # does not make it smaller).
    label("kcat-lz4")
    run(kcat + ["-P", "-t", "golden", "-p", "1", "-z", "lz4", "-K", ":",
                "-X", "linger.ms=500"],
        stdin=b"".join(b"k%d:%s\n" % (i, padded(b"golden", i)) for i in (1, 2, 3)))
    # librdkafka: ListOffsets v2 + Fetch v11 from the beginning of partition 1.
    label("kcat-consume", b"golden")
    run(kcat + ["-C", "-t", "golden", "-p", "1", "-o", "beginning", "-e", "-q"])
    # librdkafka balanced consumer: FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
    # OffsetFetch, OffsetCommit, LeaveGroup.
    label("kcat-group", b"golden-group")
    group = subprocess.Popen(kcat + ["-G", "golden-group", "-q",
                                     "-X", "heartbeat.interval.ms=200",
                                     "-X", "auto.commit.interval.ms=200",
                                     "-X", "auto.offset.reset=earliest", "golden"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(4)
    group.send_signal(signal.SIGINT)
    group.wait(timeout=20)

    # kafka-python: its own versions of Produce (gzip), Metadata, the group APIs and an
    # explicit OffsetCommit with metadata.
    label("python", b"golden-py")
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.structs import OffsetAndMetadata
    # linger so that the three records travel as one batch
    producer = KafkaProducer(bootstrap_servers=bootstrap, client_id="golden-python",
                             compression_type="gzip", linger_ms=500)
    for i in range(3):
        producer.send("golden-py", key=b"py-%d" % i, value=padded(b"python", i), partition=0)
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="golden-python",
                             group_id="golden-py-group", enable_auto_commit=False,
                             auto_offset_reset="earliest")
    consumer.subscribe(["golden-py"])
    seen = 0
    deadline = time.time() + 20
    while seen < 3 and time.time() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            seen += len(records)
    if seen < 3:
        sys.exit(f"capture: kafka-python consumed {seen} of 3 records")
    consumer.commit({TopicPartition("golden-py", 0): OffsetAndMetadata(3, "golden-meta", -1)})
    consumer.close()

    # Kafka 3.9 Java clients: flexible versions (Metadata v12, Produce v11 with zstd,
    # InitProducerId, FindCoordinator v4, JoinGroup v9, Fetch with topic ids...).
    label("java-producer", b"golden-java")
    run(java(libs, log4j) + ["kafka.tools.ConsoleProducer", "--bootstrap-server", bootstrap,
                             "--topic", "golden-java", "--compression-codec", "zstd",
                             "--property", "parse.key=true", "--property", "key.separator=:",
                             "--producer-property", "client.id=golden-java"],
        stdin=b"j1:java-1\nj2:java-2\nj3:java-3\n")
    label("java-consumer", b"golden-java")
    run(java(libs, log4j) + ["org.apache.kafka.tools.consumer.ConsoleConsumer",
                             "--bootstrap-server", bootstrap, "--topic", "golden-java",
                             "--group", "golden-java-group", "--from-beginning",
                             "--max-messages", "3",
                             "--consumer-property", "client.id=golden-java-consumer"])
    label("done")
    return markers


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "frames"))
    args = parser.parse_args()

    peers = os.environ.get("RKAFKA_PEERS", os.path.expanduser("~/.cache/rkafka-peers"))
    libs = os.path.join(peers, f"kafka-{KAFKA_VERSION}", "libs")
    if not os.path.exists(os.path.join(libs, ".complete")):
        sys.exit(f"capture: no Kafka {KAFKA_VERSION} jars at {libs}: run tests/interop/setup.sh")
    log4j = os.path.join(REPO, "tests", "interop", "kafka", "log4j.properties")

    workdir = tempfile.mkdtemp(prefix="rkafka-golden-")
    proxy_port = free_port()
    kafka, broker_port = start_kafka(libs, log4j, workdir, proxy_port)
    proxy = Proxy(proxy_port, broker_port)
    try:
        markers = scenarios(proxy, f"127.0.0.1:{proxy_port}", libs, log4j)
    finally:
        kafka.terminate()
        try:
            kafka.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kafka.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    chosen = {}
    with proxy.lock:
        frames = list(proxy.frames)
    for lbl, key, version, frame in frames:
        if lbl in ("setup", "done") or key not in API_NAMES:
            continue
        name = f"{lbl}-{API_NAMES[key]}-v{version}.bin"
        marker = PREFER.get((lbl, API_NAMES[key]), markers.get(lbl))
        previous = chosen.get(name)
        if previous is None:
            chosen[name] = frame
        elif marker and marker not in previous and marker in frame:
            chosen[name] = frame

    os.makedirs(args.out, exist_ok=True)
    for old in os.listdir(args.out):
        if old.endswith(".bin"):
            os.remove(os.path.join(args.out, old))
    for name, frame in sorted(chosen.items()):
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(frame)
        print(f"{name:60} {len(frame):6} bytes")
    print(f"capture: {len(chosen)} frames in {args.out}")


if __name__ == "__main__":
    main()
