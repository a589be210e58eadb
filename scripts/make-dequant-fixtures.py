#!/usr/bin/env python3
"""Writes Tests/LocalLMTests/Fixtures/dequant.json: random GGML blocks of every tensor type the
local engine computes with, and the floats the `gguf` package's numpy dequantisers decode them to.

The `gguf` package (maintained with llama.cpp) is the independent implementation the Swift/C
dequantisers are checked against. Run once, in a throwaway environment:

    python3 -m venv /tmp/gguf-venv && /tmp/gguf-venv/bin/pip install gguf==0.19.0 numpy
    /tmp/gguf-venv/bin/python scripts/make-dequant-fixtures.py
"""
import json
import pathlib

import numpy as np
import gguf
from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType as T
from gguf.quants import dequantize

SEED = 20251123
BLOCKS = 4
# Byte offsets of the half-precision scale fields in each block layout; random bytes there could
# decode as NaN or infinity, so those get random moderate halves instead.
HALF_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}


def random_blocks(rng, qtype):
    block_elems, block_bytes = GGML_QUANT_SIZES[qtype]
    if qtype == T.F16:
        return rng.normal(0, 2, BLOCKS * 32).astype(np.float16).view(np.uint8)
    if qtype == T.BF16:
        return gguf.quants.quantize(rng.normal(0, 2, BLOCKS * 32).astype(np.float32), T.BF16).view(np.uint8)
    if qtype == T.F32:
        return rng.normal(0, 2, BLOCKS * 32).astype(np.float32).view(np.uint8)
    data = rng.integers(0, 256, size=(BLOCKS, block_bytes), dtype=np.uint8)
    for offset in HALF_FIELDS[qtype]:
        halves = (rng.uniform(0.001, 0.2, BLOCKS) * rng.choice([-1, 1], BLOCKS)).astype(np.float16)
        data[:, offset:offset + 2] = halves.view(np.uint8).reshape(BLOCKS, 2)
    return data.reshape(-1)


def main():
    rng = np.random.default_rng(SEED)
    cases = []
    for qtype in [T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q4_K, T.Q5_K, T.Q6_K]:
        raw = random_blocks(rng, qtype)
        block_elems, block_bytes = GGML_QUANT_SIZES[qtype]
        n = raw.size // block_bytes * block_elems
        values = dequantize(raw, qtype).astype(np.float32).reshape(-1)
        assert values.size == n and np.all(np.isfinite(values))
        cases.append({
            "type": qtype.name,
            "type_code": int(qtype),
            "elements": int(n),
            "bytes_hex": raw.tobytes().hex(),
            # float32 bit patterns, so the comparison can be exact
            "expected_bits": [int(b) for b in values.view(np.uint32)],
        })
    out = pathlib.Path(__file__).resolve().parent.parent / "Tests/LocalLMTests/Fixtures/dequant.json"
    out.write_text(json.dumps({
        "generator": f"scripts/make-dequant-fixtures.py with gguf {gguf.__version__ if hasattr(gguf, '__version__') else '0.19.0'}, numpy {np.__version__}, seed {SEED}",
        "cases": cases,
    }, indent=1) + "\n")
    print(f"wrote {out} ({len(cases)} types)")


if __name__ == "__main__":
    main()
