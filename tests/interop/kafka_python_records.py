#!/usr/bin/env python3
"""kafka-python as an independent writer and reader of Kafka record batches v2.

Used by tests/records_interop.rs:

  kafka_python_records.py check   exit 0 when kafka-python and every codec are importable
  kafka_python_records.py write   print one JSON line per codec: {"codec": name, "hex": batch}
                                  built with kafka-python's DefaultRecordBatchBuilder from the
                                  fixed records below (the Rust test holds the same list)
  kafka_python_records.py read    read such JSON lines on stdin (written by rkafka), parse each
                                  batch with DefaultRecordBatch, check its CRC, and print the
                                  header fields and records as one JSON line per batch
"""

import json
import sys

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
NAMES = {v: k for k, v in CODECS.items()}

PRODUCER_ID = 4242
PRODUCER_EPOCH = 7
BASE_SEQUENCE = 100


def fixed_records():
    """(offset, timestamp, key, value, headers): the records the Rust test expects."""
    return [
        (0, 1700000000000, b"key-0", b"value-0 " * 20, []),
        (1, 1700000000005, None, b"v" * 200, [("h1", b"a"), ("h1", b"b"), ("h2", None)]),
        (2, 1699999999990, b"tomb", None, []),
        (3, 1700000000001, b"", b"", [("k\u00e9y", b"\x00\xff")]),
        # Large enough for several lz4 blocks (64 KiB) and xerial snappy blocks (32 KiB).
        (4, 1700000000002, b"big", bytes(i % 251 for i in range(200000)), []),
    ]


def check():
    import kafka  # noqa: F401
    from kafka import codec

    missing = [
        name
        for name, ok in (
            ("snappy", codec.has_snappy()),
            ("lz4", codec.has_lz4()),
            ("zstd", codec.has_zstd()),
        )
        if not ok
    ]
    if missing:
        sys.exit("kafka-python lacks codecs: " + ", ".join(missing))
    print(kafka.__version__)


def write():
    from kafka.record.default_records import DefaultRecordBatchBuilder

    for index, (name, codec_id) in enumerate(CODECS.items()):
        builder = DefaultRecordBatchBuilder(
            magic=2,
            compression_type=codec_id,
            is_transactional=False,
            producer_id=-1,
            producer_epoch=-1,
            base_sequence=-1,
            batch_size=1 << 30,
        )
        builder.set_producer_state(PRODUCER_ID, PRODUCER_EPOCH, BASE_SEQUENCE, index % 2 == 1)
        for offset, timestamp, key, value, headers in fixed_records():
            meta = builder.append(offset, timestamp, key, value, headers)
            assert meta is not None, "record did not fit"
        batch = bytes(builder.build())
        print(json.dumps({"codec": name, "transactional": index % 2 == 1, "hex": batch.hex()}))


def hex_or_none(b):
    return None if b is None else bytes(b).hex()


def read():
    from kafka.record.default_records import DefaultRecordBatch

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        item = json.loads(line)
        batch = DefaultRecordBatch(bytes.fromhex(item["hex"]))
        crc_ok = batch.validate_crc()
        out = {
            "codec": NAMES.get(batch.compression_type, str(batch.compression_type)),
            "crc_ok": crc_ok,
            "base_offset": batch.base_offset,
            "last_offset": batch.last_offset,
            "leader_epoch": batch.leader_epoch,
            "producer_id": batch.producer_id,
            "producer_epoch": batch.producer_epoch,
            "base_sequence": batch.base_sequence,
            "transactional": batch.is_transactional,
            "control": batch.is_control_batch,
            "first_timestamp": batch.first_timestamp,
            "max_timestamp": batch.max_timestamp,
            "records_count": batch.records_count,
            "records": [],
        }
        for record in batch:
            out["records"].append(
                {
                    "offset": record.offset,
                    "timestamp": record.timestamp,
                    "key": hex_or_none(record.key),
                    "value": hex_or_none(record.value),
                    "headers": [[k, hex_or_none(v)] for k, v in record.headers],
                }
            )
        print(json.dumps(out))


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "check":
        check()
    elif mode == "write":
        write()
    elif mode == "read":
        read()
    else:
        sys.exit("usage: kafka_python_records.py check|write|read")
