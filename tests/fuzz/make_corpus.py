#!/usr/bin/env python3
"""Seeds tests/data/fuzz/pgoutput/ for the pgoutput decoder fuzz target.

Every seed uses the fuzz target's input format (and the capture files'): CopyData payloads,
each preceded by a big-endian uint32 length. Seeds are
  - single messages taken from the PostgreSQL captures (a few of each message type),
  - each capture shortened (long runs of one message type cut to 3) as one whole sequence,
    so the assembler's transaction and stream state machine is reached,
  - hand-made messages of every type (including two-phase, Origin and proto-4 Stream Abort)
    bare and inside 'w' envelopes, plus keepalive and status-update envelopes.
Run from the repository root: python3 tests/fuzz/make_corpus.py
"""
import hashlib
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CAPTURES = os.path.join(ROOT, "tests", "data", "pgoutput")
OUT = os.path.join(ROOT, "tests", "data", "fuzz", "pgoutput")
PER_TYPE = 3  # single-message seeds per (capture, message type)


def read_capture(path):
    data = open(path, "rb").read()
    pos, msgs = 0, []
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        msgs.append(data[pos + 4:pos + 4 + n])
        pos += 4 + n
    return msgs


def frame(*msgs):
    return b"".join(struct.pack(">I", len(m)) + m for m in msgs)


def kind(copy_data):
    return chr(copy_data[0]) if copy_data[:1] != b"w" else "w" + chr(copy_data[25])


def w(payload, lsn=0x1000):
    return b"w" + struct.pack(">QQQ", lsn, lsn, 0) + payload


def s(text):
    return text.encode() + b"\0"


def tup(*vals):
    out = struct.pack(">H", len(vals))
    for v in vals:
        if v is None:
            out += b"n"
        elif v == "u":
            out += b"u"
        else:
            out += b"t" + struct.pack(">I", len(v)) + v.encode()
    return out


def hand_made():
    rel = (b"R" + struct.pack(">I", 16384) + s("public") + s("t") + b"d" + struct.pack(">H", 2)
           + b"\x01" + s("id") + struct.pack(">Ii", 23, -1) + b"\x00" + s("v") + struct.pack(">Ii", 25, -1))
    srel = b"R" + struct.pack(">I", 900) + rel[1:]
    msgs = {
        "begin": b"B" + struct.pack(">QqI", 0x5000, 1, 742),
        "commit": b"C\x00" + struct.pack(">QQq", 0x5000, 0x5030, 2),
        "origin": b"O" + struct.pack(">Q", 0x10) + s("node"),
        "relation": rel,
        "type": b"Y" + struct.pack(">I", 16390) + s("public") + s("mood"),
        "insert": b"I" + struct.pack(">I", 16384) + b"N" + tup("1", "ab"),
        "update_k": b"U" + struct.pack(">I", 16384) + b"K" + tup("1", None) + b"N" + tup("2", "u"),
        "update_o": b"U" + struct.pack(">I", 16384) + b"O" + tup("1", "a") + b"N" + tup("1", "b"),
        "delete": b"D" + struct.pack(">I", 16384) + b"K" + tup("1", None),
        "truncate": b"T" + struct.pack(">IB", 1, 3) + struct.pack(">I", 16384),
        "message": b"M\x01" + struct.pack(">Q", 0x10) + s("pg2sr") + struct.pack(">I", 3) + b"L:1",
        "stream_start": b"S" + struct.pack(">IB", 900, 1),
        "stream_stop": b"E",
        "stream_commit": b"c" + struct.pack(">IBQQq", 900, 0, 0x6000, 0x6030, 3),
        "stream_abort": b"A" + struct.pack(">II", 900, 901),
        "stream_abort_p4": b"A" + struct.pack(">IIQq", 900, 900, 0x7000, 4),
        "begin_prepare": b"b" + struct.pack(">QQqI", 1, 2, 3, 4) + s("gid"),
        "prepare": b"P\x00" + struct.pack(">QQqI", 1, 2, 3, 4) + s("gid"),
        "commit_prepared": b"K\x00" + struct.pack(">QQqI", 1, 2, 3, 4) + s("gid"),
        "rollback_prepared": b"r\x00" + struct.pack(">QQqqI", 1, 2, 3, 4, 5) + s("gid"),
        "stream_prepare": b"p\x00" + struct.pack(">QQqI", 1, 2, 3, 4) + s("gid"),
    }
    seeds = [frame(m) for m in msgs.values()]
    seeds += [frame(w(m)) for m in msgs.values()]
    seeds.append(frame(b"k" + struct.pack(">QqB", 0x9000, 5, 1)))
    seeds.append(frame(b"r" + struct.pack(">QQQqB", 1, 2, 3, 4, 0)))
    # Whole sequences: a plain transaction, a streamed one with a subtransaction abort.
    seeds.append(frame(*[w(m) for m in (rel, msgs["begin"], msgs["insert"], msgs["update_k"], msgs["delete"],
                                         msgs["truncate"], msgs["message"], msgs["commit"])]))
    sins = b"I" + struct.pack(">I", 900) + msgs["insert"][1:]
    ssub = b"I" + struct.pack(">I", 901) + msgs["insert"][1:]
    seeds.append(frame(*[w(m) for m in (msgs["stream_start"], srel, sins, ssub, msgs["stream_stop"],
                                         msgs["stream_abort"], msgs["stream_commit"])]))
    return seeds


def main():
    seeds = []
    for name in sorted(os.listdir(CAPTURES)):
        if not name.endswith(".bin"):
            continue
        msgs = read_capture(os.path.join(CAPTURES, name))
        seen = {}
        for m in msgs:
            k = kind(m)
            if seen.get(k, 0) < PER_TYPE and len(m) < 4096:
                seen[k] = seen.get(k, 0) + 1
                seeds.append(frame(m))
        short, run_kind, run = [], None, 0
        for m in msgs:
            k = kind(m)
            run = run + 1 if k == run_kind else 1
            run_kind = k
            if run <= 3:
                short.append(m)
        seeds.append(frame(*short))
    seeds += hand_made()

    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        os.remove(os.path.join(OUT, old))
    unique = {hashlib.sha1(x).hexdigest(): x for x in seeds}
    if len(unique) >= 200:
        sys.exit(f"too many seeds: {len(unique)}")
    for digest, data in unique.items():
        with open(os.path.join(OUT, digest), "wb") as f:
            f.write(data)
    print(f"{len(unique)} seeds, {sum(map(len, unique.values()))} bytes in {OUT}")


if __name__ == "__main__":
    main()
