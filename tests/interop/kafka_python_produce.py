#!/usr/bin/env python3
"""kafka-python as an independent producer for tests/console_consumer_kafka.rs.

  kafka_python_produce.py BOOTSTRAP TOPIC   for each codec (none, gzip, snappy, lz4, zstd)
                                            sends 20 records "py-CODEC-i" (key "k-i", one
                                            header "codec"=CODEC) in one flush, so each codec
                                            lands in its own compressed batch(es)
"""

import sys

from kafka import KafkaProducer


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
        producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            compression_type=None if codec == "none" else codec,
            linger_ms=50,
            acks="all",
        )
        for i in range(20):
            producer.send(
                topic,
                key=f"k-{i}".encode(),
                value=f"py-{codec}-{i}".encode(),
                headers=[("codec", codec.encode())],
            )
        producer.flush()
        producer.close()


if __name__ == "__main__":
    main()
