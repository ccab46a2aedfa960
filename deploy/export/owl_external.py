# SPDX-License-Identifier: Apache-2.0
"""Move the weights of an exported random model into ONNX external data, described by a manifest.

The manifest says where each weight tensor lives in the external data file and how to refill it
(a constant, or seeded normal noise with the tensor's mean and standard deviation), so that
deploy/export/regenerate-base.js can rebuild a full-size random model on a machine without torch
from the small graph files alone. Regenerated weights are a different random draw than the exported
ones: that model is for speed measurements, not for parity.
"""
import hashlib
import os

import numpy as np

ALIGN = 64
MIN_ELEMENTS = 64  # smaller tensors stay inside the graph file
ALWAYS_EXTERNAL_ELEMENTS = 1 << 16  # larger tensors leave the graph even if no parameter matches them


def parameter_digests(model):
    """sha1 of every parameter's float32 bytes, and of its transpose (Linear weights are exported
    transposed into MatMul initializers)."""
    digests = set()
    for p in model.state_dict().values():
        a = p.detach().cpu().float().numpy()
        digests.add(hashlib.sha1(np.ascontiguousarray(a).tobytes()).hexdigest())
        if a.ndim == 2:
            digests.add(hashlib.sha1(np.ascontiguousarray(a.T).tobytes()).hexdigest())
    return digests


def fill_rule(values):
    if np.all(values == values.flat[0]):
        return {"kind": "constant", "value": float(values.flat[0])}
    return {"kind": "normal", "mean": float(values.mean(dtype=np.float64)), "std": float(values.std(dtype=np.float64))}


def externalize(onnx_path, digests):
    """Rewrites onnx_path with its weight tensors in '<file>.data' and returns the manifest entries."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(onnx_path)
    data_name = os.path.basename(onnx_path) + ".data"
    entries, offset, unmatched = [], 0, []
    with open(onnx_path + ".data", "wb") as data:
        for tensor in model.graph.initializer:
            if tensor.data_type != onnx.TensorProto.FLOAT:
                continue
            values = numpy_helper.to_array(tensor)
            if values.size < MIN_ELEMENTS:
                continue
            matched = hashlib.sha1(np.ascontiguousarray(values).tobytes()).hexdigest() in digests
            if not matched:
                unmatched.append((tensor.name, values.size))
                if values.size < ALWAYS_EXTERNAL_ELEMENTS:
                    continue  # a structured constant such as the box bias: keep its exact values
            raw = np.ascontiguousarray(values, dtype="<f4").tobytes()
            data.write(b"\0" * (-offset % ALIGN))
            offset += -offset % ALIGN
            data.write(raw)
            entries.append({"name": tensor.name, "file": data_name, "offset": offset, "length": len(raw),
                            "dtype": "float32", "shape": list(values.shape), "fill": fill_rule(values)})
            tensor.ClearField("raw_data")
            tensor.ClearField("float_data")
            tensor.data_location = onnx.TensorProto.EXTERNAL
            del tensor.external_data[:]
            for key, value in (("location", data_name), ("offset", str(offset)), ("length", str(len(raw)))):
                kv = tensor.external_data.add()
                kv.key, kv.value = key, value
            offset += len(raw)
    onnx.save(model, onnx_path)
    for name, size in unmatched:
        print(f"  note: {os.path.basename(onnx_path)} initializer {name} ({size} floats) matches no parameter; "
              + ("externalised with a noise fill" if size >= ALWAYS_EXTERNAL_ELEMENTS else "kept inline"))
    return entries, offset
