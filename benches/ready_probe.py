#!/usr/bin/env python3
"""Start-up probe for benches/broker.sh: starts a broker command and measures the time from
process start to the first acknowledged produce.

  ready_probe.py HOST:PORT TOPIC LOGFILE -- COMMAND...

Spawns COMMAND (stdout and stderr to LOGFILE), then on one connection, as soon as the port
accepts: Metadata v4 for TOPIC (allowing auto-creation), Produce v3 (acks=1) of one record to
partition 0, repeated every 2 ms until the produce answers error 0. Prints
"READY_MS PID" and exits, leaving the broker running. The clock starts just before the
spawn, so the figure includes exec, JVM or binary start-up, topic auto-creation and leader
election: what a client waiting for a fresh broker sees.
"""

import socket
import struct
import subprocess
import sys
import time

from kafka.record.default_records import DefaultRecordBatchBuilder


def frame(api_key, version, correlation, body):
    client = b"ready-probe"
    head = struct.pack(">hhih", api_key, version, correlation, len(client)) + client
    return struct.pack(">i", len(head) + len(body)) + head + body


def string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def read_frame(sock):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    (size,) = struct.unpack(">i", exact(4))
    return exact(size)


def produce_error(resp, topic):
    # correlation id, topic count, topic name, partition count, partition index, error code
    off = 4 + 4 + 2 + len(topic.encode()) + 4 + 4
    return struct.unpack_from(">h", resp, off)[0]


def main():
    addr, topic, logfile = sys.argv[1:4]
    cmd = sys.argv[sys.argv.index("--") + 1 :]
    host, port = addr.rsplit(":", 1)
    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=0, is_transactional=False, producer_id=-1,
        producer_epoch=-1, base_sequence=-1, batch_size=1 << 16)
    builder.append(0, timestamp=None, key=None, value=b"ready", headers=[])
    batch = bytes(builder.build())
    metadata = struct.pack(">i", 1) + string(topic) + b"\x01"
    produce = (struct.pack(">hhi", -1, 1, 5000) + struct.pack(">i", 1) + string(topic)
               + struct.pack(">ii", 1, 0) + struct.pack(">i", len(batch)) + batch)

    log = open(logfile, "wb")
    start = time.monotonic()
    child = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = start + 120
    sock, correlation = None, 0
    while time.monotonic() < deadline:
        if child.poll() is not None:
            sys.exit(f"broker exited with {child.returncode}; see {logfile}")
        try:
            if sock is None:
                sock = socket.create_connection((host, int(port)), timeout=10)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            correlation += 1
            sock.sendall(frame(3, 4, correlation, metadata))
            read_frame(sock)
            correlation += 1
            sock.sendall(frame(0, 3, correlation, produce))
            if produce_error(read_frame(sock), topic) == 0:
                ready = (time.monotonic() - start) * 1000
                print(f"{ready:.0f} {child.pid}")
                return
        except OSError:
            if sock is not None:
                sock.close()
            sock = None
        time.sleep(0.002)
    sys.exit("broker not ready within 120 s")


if __name__ == "__main__":
    main()
