#!/usr/bin/env python3
"""An independent reader of a Megatron indexed dataset (PREFIX.idx + PREFIX.bin), numpy only.

Written from the layout in DESIGN.md ("Token shards"), not from tamis' code, so that
tests/megatron_interop.rs can check that what tamis writes is what the spec says:

  .idx: b"MMIDIDX\\x00\\x00", u64 version = 1, u8 dtype code, u64 S (sequences),
        u64 D (documents + 1), int32[S] lengths, int64[S] byte offsets into .bin,
        int64[D] document indices. Little-endian, no padding: 34 + 12*S + 8*D bytes.
  .bin: the tokens of every sequence, concatenated, little-endian, no header.

Usage: python3 tests/megatron_numpy.py PREFIX [--first N]
Prints one JSON object: version, dtype, sequences, documents, tokens, lengths, offsets,
doc_idx, first_tokens (the first N tokens of every sequence, default 8), last_tokens (the last
token of every non-empty sequence, null for an empty one) and token_sum (sum of all tokens).
Exits 1 with a message on stderr if the files break the spec.
"""

import json
import sys

import numpy as np

DTYPES = {
    1: "uint8",
    2: "int8",
    3: "int16",
    4: "int32",
    5: "int64",
    6: "float64",
    7: "float32",
    8: "uint16",
}
MAGIC = b"MMIDIDX\x00\x00"
HEADER = 9 + 8 + 1 + 8 + 8


def fail(message):
    print(f"megatron_numpy: {message}", file=sys.stderr)
    sys.exit(1)


def read(prefix, first_n):
    with open(prefix + ".idx", "rb") as f:
        idx = f.read()
    if len(idx) < HEADER:
        fail(f"{prefix}.idx: {len(idx)} bytes, shorter than the header")
    if idx[:9] != MAGIC:
        fail(f"{prefix}.idx: bad magic {idx[:9]!r}")
    version = int(np.frombuffer(idx, dtype="<u8", count=1, offset=9)[0])
    code = idx[17]
    s, d = (int(x) for x in np.frombuffer(idx, dtype="<u8", count=2, offset=18))
    if version != 1:
        fail(f"{prefix}.idx: version {version}")
    if code not in DTYPES:
        fail(f"{prefix}.idx: dtype code {code}")
    if len(idx) != HEADER + 12 * s + 8 * d:
        fail(f"{prefix}.idx: {len(idx)} bytes, expected 34 + 12*{s} + 8*{d}")
    lengths = np.frombuffer(idx, dtype="<i4", count=s, offset=HEADER)
    offsets = np.frombuffer(idx, dtype="<i8", count=s, offset=HEADER + 4 * s)
    doc_idx = np.frombuffer(idx, dtype="<i8", count=d, offset=HEADER + 12 * s)

    dtype = np.dtype(DTYPES[code]).newbyteorder("<")
    tokens = np.fromfile(prefix + ".bin", dtype=np.uint8).view(dtype) if s else np.zeros(0, dtype)
    size = dtype.itemsize
    if int(lengths.sum(dtype=np.int64)) != len(tokens):
        fail(f"{prefix}.bin: {len(tokens)} tokens, the lengths add up to {int(lengths.sum())}")
    first, last = [], []
    for length, offset in zip(lengths.tolist(), offsets.tolist()):
        if offset % size:
            fail(f"{prefix}.idx: offset {offset} is not a multiple of {size}")
        seq = tokens[offset // size : offset // size + length]
        if len(seq) != length:
            fail(f"{prefix}.bin: sequence at byte {offset} runs past the end")
        first.append(seq[:first_n].tolist())
        last.append(int(seq[-1]) if length else None)
    return {
        "version": version,
        "dtype": dtype.name,
        "sequences": s,
        "documents": d - 1,
        "tokens": int(len(tokens)),
        "lengths": lengths.tolist(),
        "offsets": offsets.tolist(),
        "doc_idx": doc_idx.tolist(),
        "first_tokens": first,
        "last_tokens": last,
        "token_sum": int(tokens.astype(np.int64).sum()),
    }


def main(argv):
    args = list(argv[1:])
    first_n = 8
    if "--first" in args:
        i = args.index("--first")
        first_n = int(args[i + 1])
        del args[i : i + 2]
    if len(args) != 1:
        fail("usage: megatron_numpy.py PREFIX [--first N]")
    print(json.dumps(read(args[0], first_n)))


if __name__ == "__main__":
    main(sys.argv)
