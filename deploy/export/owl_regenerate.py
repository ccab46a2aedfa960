# SPDX-License-Identifier: Apache-2.0
"""The weights that regenerate-base.js writes, computed with numpy: the same per-tensor PRNG
(mulberry32 seeded with FNV-1a-32 of '<seed>:<name>', normal fill by Box-Muller), so that the int8
tooling (owl_int8.py), which runs where Python's onnxruntime is but Node is not, quantizes the very
weights a fresh machine regenerates. libm and V8 may round log/cos/sin differently in the last bit
of a double; after the rounding to float32 that changes a value about once in 10^8, and
regenerate-base.js checks the digests owl_int8.py records."""
import numpy as np


def fnv1a(text):
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def mulberry32(seed, count):
    """The first `count` outputs of regenerate-base.js's mulberry32, in [0, 1), as float64."""
    with np.errstate(over="ignore"):
        a = (np.uint32(seed) + np.arange(1, count + 1, dtype=np.uint64).astype(np.uint32) * np.uint32(0x6D2B79F5))
        t = (a ^ (a >> np.uint32(15))) * (a | np.uint32(1))
        t = (t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61))) ^ t
        return (t ^ (t >> np.uint32(14))).astype(np.float64) / 4294967296.0


def fill(entry, seed):
    """The float32 values of one weights-manifest.json entry."""
    count = int(np.prod(entry["shape"], dtype=np.int64))
    rule = entry["fill"]
    if rule["kind"] == "constant":
        return np.full(entry["shape"], rule["value"], np.float32)
    if rule["kind"] != "normal":
        raise ValueError(f"unknown fill kind {rule['kind']} for {entry['name']}")
    pairs = (count + 1) // 2
    u = mulberry32(fnv1a(f"{seed}:{entry['name']}"), 2 * pairs)
    r = rule["std"] * np.sqrt(-2.0 * np.log(1.0 - u[0::2]))
    angle = 2.0 * np.pi * u[1::2]
    values = np.empty(2 * pairs, np.float64)
    values[0::2] = rule["mean"] + r * np.cos(angle)
    values[1::2] = rule["mean"] + r * np.sin(angle)
    return values[:count].astype(np.float32).reshape(entry["shape"])


def write_data_files(manifest, out_dir):
    """Writes every external data file of the manifest into out_dir (as regenerate-base.js does)."""
    import os

    for file, size in manifest["files"].items():
        with open(os.path.join(out_dir, file), "wb") as data:
            data.truncate(size)
            for entry in (e for e in manifest["tensors"] if e["file"] == file):
                data.seek(entry["offset"])
                data.write(np.ascontiguousarray(fill(entry, manifest["seed"]), dtype="<f4").tobytes())
