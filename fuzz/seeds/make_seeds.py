"""Writes the tiny seed corpus (a few hundred bytes each): valid v2 record batches (plain,
gzip, transactional control marker) and request bodies/frames, so the fuzzer starts past the
length and CRC checks. Run from fuzz/: python3 seeds/make_seeds.py"""
import gzip, struct

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

def uvarint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)

def varint(n):
    return uvarint((n << 1) ^ (n >> 63))

def nbytes(b):
    return varint(-1) if b is None else varint(len(b)) + b

def record(delta, key, value, headers=()):
    body = b"\x00" + varint(delta * 3) + varint(delta) + nbytes(key) + nbytes(value)
    body += varint(len(headers))
    for k, v in headers:
        body += nbytes(k) + nbytes(v)
    return varint(len(body)) + body

def batch(records, attrs=0, codec_body=None, pid=-1):
    body = b"".join(records)
    if codec_body:
        body = codec_body(body)
    after_crc = struct.pack(">hiqqqhii", attrs, len(records) - 1, 1700000000000,
                            1700000000000 + 3 * (len(records) - 1), pid, 0 if pid >= 0 else -1,
                            0 if pid >= 0 else -1, len(records)) + body
    head = struct.pack(">ib", -1, 2) + struct.pack(">I", crc32c(after_crc))
    length = len(head) + len(after_crc)
    return struct.pack(">qi", 0, length) + head + after_crc

recs = [record(0, b"k0", b"hello"), record(1, None, b"v" * 40, [(b"h", b"x")]), record(2, b"tomb", None)]
plain = batch(recs)
gz = batch(recs, attrs=1, codec_body=gzip.compress)
marker = batch([record(0, struct.pack(">hh", 0, 1), struct.pack(">hi", 0, 3))], attrs=0x30, pid=7)

def write(path, data):
    with open(path, "wb") as f:
        f.write(data)

write("seeds/record_batch/plain", plain)
write("seeds/record_batch/gzip", gz)
write("seeds/record_batch/control_commit", marker)
write("seeds/record_batch/two_batches", plain + marker)

def cstr(s):
    return uvarint(len(s) + 1) + s

# Produce v9 body (flexible): transactional id null, acks, timeout, one topic, one partition.
produce9 = (uvarint(0) + struct.pack(">hi", -1, 30000) + uvarint(2) + cstr(b"t") + uvarint(2)
            + struct.pack(">i", 0) + uvarint(len(plain) + 1) + plain + b"\x00" + b"\x00" + b"\x00")
# Metadata v12 body: two topics by name, allow auto-create, no authorized operations.
meta12 = (uvarint(3) + (b"\x00" * 16 + cstr(b"a") + b"\x00") * 2 + b"\x01\x00" + b"\x00")
# ApiVersions v3 body: client software name and version.
apiv3 = cstr(b"rkafka") + cstr(b"0.1") + b"\x00"
write("seeds/request_decode/produce_v9", struct.pack(">hh", 0, 9) + produce9)
write("seeds/request_decode/metadata_v12", struct.pack(">hh", 3, 12) + meta12)
write("seeds/request_decode/api_versions_v3", struct.pack(">hh", 18, 3) + apiv3)
# A whole request frame as a broker reads it: header v2 (key, version, correlation, client id,
# tagged fields) then the body.
frame = struct.pack(">hhi", 18, 3, 1) + struct.pack(">h", 2) + b"me" + b"\x00" + apiv3
write("seeds/request_decode/frame_api_versions_v3", struct.pack(">i", len(frame)) + frame)
