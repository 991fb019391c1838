#!/usr/bin/env python3
"""kafka-python as an independent producer for tests/console_consumer_kafka.rs.

  kafka_python_produce.py BOOTSTRAP TOPIC   for each codec (none, gzip, snappy, lz4, zstd)
                                            sends 20 records "py-CODEC-i" (key "k-i", one
                                            header "codec"=CODEC) in one flush, so each codec
                                            lands in its own compressed batch(es)
  kafka_python_produce.py BOOTSTRAP TOPIC txn
                                            three transactions: "c1-0..4" committed,
                                            "a-0..4" aborted, "c2-0..4" committed
"""

import sys

from kafka import KafkaProducer


def transactions(bootstrap, topic):
    producer = KafkaProducer(bootstrap_servers=bootstrap, transactional_id="rkafka-test-txn")
    producer.init_transactions()
    for name, commit in [("c1", True), ("a", False), ("c2", True)]:
        producer.begin_transaction()
        for i in range(5):
            producer.send(topic, value=f"{name}-{i}".encode())
        producer.flush()
        if commit:
            producer.commit_transaction()
        else:
            producer.abort_transaction()
    producer.close()


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3 and sys.argv[3] == "txn":
        transactions(bootstrap, topic)
        return
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
