#!/usr/bin/env python3
"""Produce-then-consume round trips of a real Python Kafka client, for tests/broker_interop.rs.

  client_matrix.py CLIENT BOOTSTRAP PREFIX

CLIENT is kafka-python or confluent-kafka. For each codec (none, gzip, snappy, lz4, zstd) and
idempotence off (0) and on (1) it produces 200 keyed records with acks=all to the existing
topic PREFIX-CODEC-IDEM, remembers where each was acknowledged (partition, offset), then
consumes every partition from the beginning with the same client library and checks that it
read back exactly the acknowledged records: the same (partition, offset, key, value) set, each
partition in send order, and nothing beyond (the end offsets equal the last acknowledged + 1).
Prints "ok CLIENT CODEC IDEM COUNT" per case; any mismatch raises (exit status 1).
"""

import sys
import time

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
COUNT = 200


def records(codec, idem):
    return [
        (f"k{i % 7}".encode(), f"{codec}-{idem}-{i}-".encode() + b"x" * (i % 61))
        for i in range(COUNT)
    ]


def kafka_python_produce(bootstrap, topic, codec, idem, recs):
    from kafka import KafkaProducer

    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=20,
        compression_type=None if codec == "none" else codec,
        enable_idempotence=bool(idem),
    )
    futures = [producer.send(topic, key=k, value=v) for k, v in recs]
    producer.flush(30)
    acked = []
    for (k, v), f in zip(recs, futures):
        m = f.get(timeout=30)
        acked.append((m.partition, m.offset, k, v))
    producer.close()
    return acked


def kafka_python_consume(bootstrap, topic, want):
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        consumer_timeout_ms=10000,
    )
    tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    got = []
    for m in consumer:
        got.append((m.partition, m.offset, m.key, m.value))
        if len(got) >= want:
            break
    ends = {tp.partition: o for tp, o in consumer.end_offsets(tps).items()}
    consumer.close()
    return got, ends


def confluent_produce(bootstrap, topic, codec, idem, recs):
    from confluent_kafka import Producer

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "linger.ms": 20,
            "compression.type": codec,
            "enable.idempotence": bool(idem),
        }
    )
    acked, errors = {}, []

    def report(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            acked[msg.value()] = (msg.partition(), msg.offset(), msg.key(), msg.value())

    for k, v in recs:
        producer.produce(topic, key=k, value=v, on_delivery=report)
        producer.poll(0)
    left = producer.flush(30)
    assert left == 0 and not errors, (left, errors[:5])
    return [acked[v] for _, v in recs]


def confluent_consume(bootstrap, topic, want):
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            # Required by the library; assign() below never joins the group.
            "group.id": "client-matrix-unused",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "enable.partition.eof": False,
        }
    )
    meta = consumer.list_topics(topic, timeout=10)
    parts = sorted(meta.topics[topic].partitions)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    got = []
    deadline = time.time() + 30
    while len(got) < want and time.time() < deadline:
        m = consumer.poll(1.0)
        if m is None:
            continue
        assert m.error() is None, m.error()
        got.append((m.partition(), m.offset(), m.key(), m.value()))
    ends = {}
    for p in parts:
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        ends[p] = high
    consumer.close()
    return got, ends


def check(acked, got, ends, case):
    assert len(got) == len(acked), (case, "consumed", len(got), "acknowledged", len(acked))
    assert sorted(got) == sorted(acked), (case, "consumed records differ")
    by_partition = {}
    for p, o, k, v in acked:
        by_partition.setdefault(p, []).append((o, v))
    for p, sent in by_partition.items():
        offsets = [o for o, _ in sent]
        assert offsets == sorted(offsets), (case, "partition", p, "out of send order")
        assert ends.get(p) == offsets[-1] + 1, (case, "partition", p, "end", ends.get(p))
    for p, end in ends.items():
        if p not in by_partition:
            assert end == 0, (case, "partition", p, "has records nobody sent", end)


def main():
    client, bootstrap, prefix = sys.argv[1:4]
    produce, consume = {
        "kafka-python": (kafka_python_produce, kafka_python_consume),
        "confluent-kafka": (confluent_produce, confluent_consume),
    }[client]
    for codec in CODECS:
        for idem in (0, 1):
            topic = f"{prefix}-{codec}-{idem}"
            case = (client, codec, idem)
            acked = produce(bootstrap, topic, codec, idem, records(codec, idem))
            got, ends = consume(bootstrap, topic, len(acked))
            check(acked, got, ends, case)
            print("ok", client, codec, idem, len(got), flush=True)


if __name__ == "__main__":
    main()
