#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The int8 image encoder, made with ONNX Runtime's own quantization tooling.

owl_export.py --int8 calls quantize_image_encoder() after the fp32 export; this file's command line makes
the int8 graphs of the random base-patch32 benchmark model, whose weights a fresh machine regenerates:

  python3 owl_int8.py --base deploy/export/base-patch32
  python3 owl_int8.py --base-transformersjs deploy/export/base-patch32-transformersjs --weights deploy/export/base-patch32

Scheme (measured on this project's 2-core AVX-512 VNNI machine, see README.md beside this file): dynamic
quantization (activations to uint8 per tensor at run time, weights to int8 per output channel,
symmetric), of the MatMuls with constant weights only. ONNX Runtime fuses each into one
DynamicQuantizeMatMul (u8s8, VNNI). Kept in float: the patch-embedding Conv (per-channel ConvInteger has
no CPU kernel; per-tensor ConvInteger ran slower than the float Conv), the attention's activation
products (int8 u8u8 was no faster there), LayerNorm, softmax and GELU (dynamic quantization never
touches them), and the heads — class embedding, logit shift and scale, box MLP — which are 1.6 % of the
work and whose errors go straight into scores and boxes (in float they halve the box error and the
logit error).

--base: the committed fp32 graph's weights are regenerated (owl_regenerate.py, the same values as
regenerate-base.js), quantized with ONNX Runtime, and the result is stored without its large tensors:
each int8 weight is described in int8-manifest.json as the quantization of an fp32 manifest tensor
(type, axis, symmetry), with the sha256 of ONNX Runtime's own bytes so that regenerate-base.js can
check that it reproduces them; float tensors point into image_encoder.onnx.data. Needs onnx,
onnxruntime and numpy; no torch.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import owl_regenerate  # noqa: E402

INT8_FILE = "image_encoder_int8.onnx"
INT8_MANIFEST = "int8-manifest.json"
Q8_FILE = os.path.join("onnx", "model_quantized.onnx")
Q8_MANIFEST = "quantized-manifest.json"
WEIGHTS_MANIFEST = "weights-manifest.json"
# Node-name prefixes of the heads (owl_encoders.ImageEncoder as torch.onnx names them): kept in float.
FLOAT_HEADS = ("/box_head/", "/dense0/", "/logit_shift/", "/logit_scale/")
SCHEME = {
    "tool": "onnxruntime.quantization.quantize_dynamic",
    "weights": "int8, per output channel, symmetric",
    "activations": "uint8, per tensor, computed at run time",
    "quantized": "MatMul with constant weights (the transformer blocks' projections and MLPs)",
    "float": "patch-embedding Conv, attention products, LayerNorm, softmax, GELU, class/logit/box heads",
}
ALIGN = 64
EXTERNAL_ELEMENTS = 1 << 16  # smaller tensors (scales, zero points) stay inside the graph file


def head_nodes(model):
    return [n.name for n in model.graph.node if n.op_type == "MatMul" and n.name.startswith(FLOAT_HEADS)]


def quantize_image_encoder(fp32_path, int8_path):
    """Writes the int8 image encoder; returns the names of the MatMuls kept in float."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    keep_float = head_nodes(onnx.load(fp32_path, load_external_data=False))
    quantize_dynamic(fp32_path, int8_path, op_types_to_quantize=["MatMul"], per_channel=True, reduce_range=False,
                     weight_type=QuantType.QInt8, nodes_to_exclude=keep_float,
                     extra_options={"MatMulConstBOnly": True})
    return keep_float


def quantize_transformersjs_q8(fp32_path, q8_path):
    """transformers.js's own `q8` quantization (its scripts/quantize.py, mode q8): dynamic, every op type
    of ONNX Runtime's IntegerOps registry, per-tensor weights, uint8 weights when the model has a Conv
    (OWL-ViT's patch embedding) and int8 otherwise, MatMuls with constant weights only."""
    import onnx
    from onnxruntime.quantization import QuantizationMode, QuantType
    from onnxruntime.quantization.onnx_quantizer import ONNXQuantizer
    from onnxruntime.quantization.registry import IntegerOpsRegistry

    model = onnx.load(fp32_path)
    weight_type = QuantType.QUInt8 if any(n.op_type == "Conv" for n in model.graph.node) else QuantType.QInt8
    quantizer = ONNXQuantizer(model, False, False, mode=QuantizationMode.IntegerOps, static=False,
                              weight_qType=weight_type, activation_qType=QuantType.QUInt8, tensors_range=None,
                              nodes_to_quantize=[], nodes_to_exclude=[], op_types_to_quantize=list(IntegerOpsRegistry),
                              extra_options={"EnableSubgraph": True, "MatMulConstBOnly": True})
    quantizer.quantize_model()
    onnx.save(quantizer.model.model, q8_path)


# --- How close the int8 encoder is --------------------------------------------------------------------------

def synthetic_images(owl, count=6):
    """Normalised [count,3,S,S] pictures with structure at several scales (gradients, blocks, discs, noise),
    seeded: what the export can check on without a data set."""
    size = owl["imageSize"]
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / size
    images = []
    for i in range(count):
        a, b = rng.uniform(0, 255, (2, 3))
        rgb = a + (b - a) * ((xx * np.cos(i) + yy * np.sin(i)) % 1.0)[..., None]
        for _ in range(3 + i):
            x0, y0 = rng.uniform(0, 0.8, 2) * size
            w, h = rng.uniform(0.05, 0.3, 2) * size
            if rng.random() < 0.5:
                rgb[int(y0):int(y0 + h), int(x0):int(x0 + w)] = rng.uniform(0, 255, 3)
            else:
                rgb[(xx * size - x0) ** 2 + (yy * size - y0) ** 2 <= (w / 2) ** 2] = rng.uniform(0, 255, 3)
        rgb = np.clip(rgb + rng.normal(0, 4 * (i % 3), rgb.shape), 0, 255)
        images.append(((rgb / 255.0 - owl["mean"]) / owl["std"]).transpose(2, 0, 1))
    return np.stack(images).astype(np.float32)


def print_fidelity(run_fp32, run_int8, images, text_embeds, hf_logits):
    """Prints class-embedding cosine, logit and box errors and the agreement of thresholded detections of
    the int8 encoder against the fp32 one (and both against Hugging Face's logits)."""
    import owl_reference

    ref, got = run_fp32(images), run_int8(images)
    cos = (ref[0] * got[0]).sum(-1) / (np.linalg.norm(ref[0], axis=-1) * np.linalg.norm(got[0], axis=-1))
    logits = [np.stack([owl_reference.class_scores([o[b] for o in out], text_embeds) for b in range(len(images))])
              for out in (ref, got)]
    scores = [1 / (1 + np.exp(-lg)) for lg in logits]
    threshold = np.quantile(scores[0].max(-1), 0.9)
    matched = total = 0
    for b in range(len(images)):
        found = [(s[b].argmax(-1), out[3][b], np.nonzero(s[b].max(-1) > threshold)[0]) for s, out in zip(scores, (ref, got))]
        (labels_r, boxes_r, keep_r), (labels_g, boxes_g, keep_g) = found
        free = set(keep_g.tolist())
        for i in keep_r:
            hit = next((j for j in free if labels_g[j] == labels_r[i] and box_iou(boxes_r[i], boxes_g[j]) >= 0.9), None)
            if hit is not None:
                free.discard(hit)
                matched += 1
        total += len(keep_r) + len(keep_g)
    print(f"  int8 vs fp32 on {len(images)} images: class-embedding cosine min {cos.min():.4f} mean {cos.mean():.4f}; "
          f"logits max |d| {np.abs(logits[1] - logits[0]).max():.3g} (largest |logit| {np.abs(logits[0]).max():.3g}); "
          f"boxes max |d| {np.abs(got[3] - ref[3]).max():.2g} of the input side; detections (top 10 % of patches) "
          f"F1 {2 * matched / max(total, 1):.3f} at IoU >= 0.9")
    if hf_logits is not None:
        print(f"  against Hugging Face (torch, fp32) logits: fp32 ONNX max |d| {np.abs(logits[0] - hf_logits).max():.3g}, "
              f"int8 ONNX max |d| {np.abs(logits[1] - hf_logits).max():.3g}")


def box_iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)


# --- ONNX Runtime's weight quantization, re-done (quant_utils.quantize_data), to describe its output ---------

QRANGE = {  # (type, symmetric, reduce_range) -> (qmin, qmax) as quant_utils.get_qmin_qmax_for_qType
    ("int8", False, False): (-128, 127), ("int8", True, False): (-127, 127), ("int8", False, True): (-64, 64),
    ("int8", True, True): (-64, 64), ("uint8", False, False): (0, 255), ("uint8", True, False): (0, 254),
    ("uint8", False, True): (0, 127), ("uint8", True, True): (0, 127),
}
FULL_RANGE = {"int8": (-128, 127), "uint8": (0, 255)}


def quantize_weights(values, qtype, axis, symmetric, reduce_range):
    """quant_utils.quantize_data per tensor (axis None) or per channel, with ONNX Runtime's float32 and
    float64 steps; returns (quantized, scale, zero_point). regenerate-base.js implements the same."""
    qmin, qmax = QRANGE[(qtype, symmetric, reduce_range)]
    rows = (values.reshape(1, -1) if axis is None else np.moveaxis(values, axis, 0).reshape(values.shape[axis], -1))
    rmin = np.minimum(rows.min(axis=1), np.float32(0))
    rmax = np.maximum(rows.max(axis=1), np.float32(0))
    if symmetric:
        absmax = np.maximum(np.abs(rmin), np.abs(rmax))
        rmin, rmax = -absmax, absmax
    scale64 = (rmax - rmin).astype(np.float64) / (float(qmax) - float(qmin))
    tiny = scale64 < np.finfo(np.float32).tiny
    if symmetric:
        zero = np.full(rows.shape[0], np.round((qmin + qmax) / 2.0))
    else:
        zero = np.round(qmin - rmin.astype(np.float64) / np.where(tiny, 1.0, scale64))
    zero = np.where(tiny, 0.0, zero)
    scale = np.where(tiny, 1.0, scale64).astype(np.float32)
    q = np.round(rows / scale[:, None]) + zero.astype(np.float32)[:, None]
    q = np.clip(q, *FULL_RANGE[qtype]).astype(qtype)
    q = q.reshape(values.shape) if axis is None else np.moveaxis(
        q.reshape((values.shape[axis],) + tuple(np.delete(values.shape, axis))), 0, axis)
    shape = () if axis is None else (values.shape[axis],)
    return q, scale.reshape(shape), zero.astype(qtype).reshape(shape)


def describe_quantized(quantized, source):
    """The parameters that reproduce ONNX Runtime's `quantized` from `source` exactly, or None."""
    qtype = {np.dtype("int8"): "int8", np.dtype("uint8"): "uint8"}.get(quantized.dtype)
    if qtype is None or quantized.shape != source.shape:
        return None
    axes = [None] + sorted(range(source.ndim), key=lambda a: -a)  # per tensor, then the last axis first
    for axis in axes:
        for symmetric in (qtype == "int8", qtype != "int8"):
            for reduce_range in (False, True):
                if np.array_equal(quantize_weights(source, qtype, axis, symmetric, reduce_range)[0], quantized):
                    return {"type": qtype, "axis": axis, "symmetric": symmetric, "reduceRange": reduce_range}
    return None


# --- Weight-free int8 graphs for the regenerated benchmark model ---------------------------------------------

def external_refs(model):
    """{initializer name: {location, offset, length}} of the tensors kept in external data."""
    from onnx import TensorProto

    refs = {}
    for t in model.graph.initializer:
        if t.data_location == TensorProto.EXTERNAL:
            refs[t.name] = {kv.key: kv.value for kv in t.external_data}
    return refs


def point_to(tensor, location, offset, length):
    from onnx import TensorProto

    for field in ("raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data"):
        tensor.ClearField(field)  # ONNX Runtime's quantizer writes scales and zero points as typed fields
    tensor.data_location = TensorProto.EXTERNAL
    del tensor.external_data[:]
    for key, value in (("location", location), ("offset", str(offset)), ("length", str(length))):
        kv = tensor.external_data.add()
        kv.key, kv.value = key, value


def strip(quantized_path, original_graph, manifest, out_graph, data_name):
    """Rewrites the quantized model at quantized_path as out_graph: float tensors point where the original
    (weight-free) graph points; each quantized weight (`<w>_quantized`) with its scale and zero point
    (`<w>_scale`, `<w>_zero_point`) goes to `data_name`, described as the quantization of manifest tensor
    <w>. Other tensors (QDQ's calibrated activation scales) stay inline. Returns the derived entries."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(quantized_path)
    refs = external_refs(onnx.load(original_graph, load_external_data=False))
    by_place = {(e["file"], e["offset"]): e for e in manifest["tensors"]}
    tensors = {t.name: t for t in model.graph.initializer}
    derived = {}  # initializer name -> (part, rule, source entry, source values)
    for name, tensor in tensors.items():
        base = name[:-len("_quantized")] if name.endswith("_quantized") else None
        ref = refs.get(base)
        source = by_place.get((ref["location"], int(ref["offset"]))) if ref else None
        if source is None:
            continue
        values = numpy_helper.to_array(tensor)
        source_values = owl_regenerate.fill(source, manifest["seed"])
        rule = describe_quantized(values, source_values)
        if rule is None:
            raise SystemExit(f"error: {name} {list(values.shape)} {values.dtype} is not a quantization of "
                             f"{source['name']} that this tool can describe; it would have to stay inline")
        _, scale, zero = quantize_weights(source_values, rule["type"], rule["axis"], rule["symmetric"],
                                          rule["reduceRange"])
        derived[name] = ("data", rule, source, source_values)
        for part, suffix, want in (("scale", "_scale", scale), ("zeroPoint", "_zero_point", zero)):
            got = tensors.get(base + suffix)
            if got is not None and np.array_equal(numpy_helper.to_array(got).reshape(want.shape), want):
                derived[base + suffix] = (part, rule, source, source_values)
    entries, offset = [], 0
    with open(os.path.join(os.path.dirname(out_graph), data_name), "wb") as data:
        for tensor in model.graph.initializer:
            if tensor.name in refs:  # an fp32 weight the quantizer left alone
                ref = refs[tensor.name]
                point_to(tensor, ref["location"], int(ref["offset"]), int(ref["length"]))
                continue
            if tensor.name not in derived:
                values = numpy_helper.to_array(tensor)
                if values.size >= EXTERNAL_ELEMENTS:
                    raise SystemExit(f"error: {tensor.name} {list(values.shape)} is large and derives from no "
                                     "manifest tensor: the graph would not be weight-free")
                continue
            part, rule, source, source_values = derived[tensor.name]
            values = numpy_helper.to_array(tensor)
            raw = np.ascontiguousarray(values).tobytes()
            data.write(b"\0" * (-offset % ALIGN))
            offset += -offset % ALIGN
            data.write(raw)
            entries.append({"name": tensor.name, "file": data_name, "offset": offset, "length": len(raw),
                            "dtype": str(values.dtype), "shape": list(values.shape),
                            "fill": {"kind": "quantize", "source": source["name"], "sourceFile": source["file"],
                                     "part": part, **rule},
                            "sha256": hashlib.sha256(raw).hexdigest(),
                            "sourceSha256": hashlib.sha256(source_values.astype("<f4").tobytes()).hexdigest()})
            point_to(tensor, data_name, offset, len(raw))
            offset += len(raw)
    onnx.save(model, out_graph)
    return entries, offset


def write_manifest(path, manifest, entries, size, note):
    head = {"format": 1, "source": manifest["source"], "seed": manifest["seed"], "sourceManifest": WEIGHTS_MANIFEST,
            "note": note, "files": {entries[0]["file"]: size} if entries else {}}
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in head.items()))
        f.write(',\n  "tensors": [\n' + ",\n".join("    " + json.dumps(t) for t in entries) + "\n  ]\n}\n")


def regenerate(manifest, files, out_dir):
    """The fp32 data files the base graphs read, filled as regenerate-base.js fills them."""
    owl_regenerate.write_data_files({**manifest, "files": {f: manifest["files"][f] for f in files}}, out_dir)


def same_outputs(path_a, path_b, inputs):
    import onnxruntime as ort

    runs = [ort.InferenceSession(p, providers=["CPUExecutionProvider"]).run(None, inputs) for p in (path_a, path_b)]
    return all(np.array_equal(a, b) for a, b in zip(*runs))


def base_int8(folder):
    """--base: image_encoder_int8.onnx + int8-manifest.json for the regenerated base-patch32 model."""
    with open(os.path.join(folder, WEIGHTS_MANIFEST)) as f:
        manifest = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(folder, "image_encoder.onnx"), tmp)
        regenerate(manifest, ["image_encoder.onnx.data"], tmp)
        quantized = os.path.join(tmp, "quantized.onnx")
        keep_float = quantize_image_encoder(os.path.join(tmp, "image_encoder.onnx"), quantized)
        out = os.path.join(tmp, INT8_FILE)
        entries, size = strip(quantized, os.path.join(folder, "image_encoder.onnx"), manifest, out,
                              INT8_FILE + ".data")
        side = read_owl(folder)["imageSize"]
        probe = {"image": np.random.default_rng(2).standard_normal((1, 3, side, side)).astype(np.float32)}
        print(f"  {INT8_FILE}: {len(entries)} int8 tensors ({size / 1e6:.1f} MB regenerated), "
              f"{len(keep_float)} MatMuls kept in float; the weight-free graph reproduces ONNX Runtime's model "
              f"exactly: {same_outputs(quantized, out, probe)}")
        shutil.copy(out, os.path.join(folder, INT8_FILE))
    write_manifest(os.path.join(folder, INT8_MANIFEST), manifest, entries, size,
                   f"{INT8_FILE} reads its float tensors from image_encoder.onnx.data and its int8 weights from "
                   f"{INT8_FILE}.data, written by regenerate-base.js from these rules (owl_int8.py makes them)")
    set_int8_in_owl_json(folder, keep_float)


def base_q8(folder, weights_folder):
    """--base-transformersjs: onnx/model_quantized.onnx + quantized-manifest.json (transformers.js `q8`)."""
    with open(os.path.join(weights_folder, WEIGHTS_MANIFEST)) as f:
        manifest = json.load(f)
    graph = os.path.join(folder, "onnx", "model.onnx")
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(graph, tmp)
        regenerate(manifest, list(manifest["files"]), tmp)
        quantized = os.path.join(tmp, "quantized.onnx")
        quantize_transformersjs_q8(os.path.join(tmp, "model.onnx"), quantized)
        out = os.path.join(tmp, "model_quantized.onnx")
        data_name = "model_quantized.onnx.data"
        entries, size = strip(quantized, graph, manifest, out, data_name)
        owl = read_owl(weights_folder)
        ids = np.full((2, owl["textLength"]), owl["padTokenId"], np.int64)
        ids[:, :3] = [[owl["bosTokenId"], 300, owl["eosTokenId"]], [owl["bosTokenId"], 400, owl["eosTokenId"]]]
        side = owl["imageSize"]
        probe = {"input_ids": ids, "attention_mask": (ids != owl["padTokenId"]).astype(np.int64),
                 "pixel_values": np.random.default_rng(2).standard_normal((1, 3, side, side)).astype(np.float32)}
        print(f"  {Q8_FILE}: {len(entries)} quantized tensors ({size / 1e6:.1f} MB regenerated); the weight-free "
              f"graph reproduces ONNX Runtime's model exactly: {same_outputs(quantized, out, probe)}")
        shutil.copy(out, os.path.join(folder, Q8_FILE))
    write_manifest(os.path.join(folder, Q8_MANIFEST), manifest, entries, size,
                   f"{Q8_FILE} (transformers.js dtype q8) reads its float tensors from the split model's data "
                   f"files and its quantized weights from {data_name}, written by regenerate-base.js")
    shared_path = os.path.join(folder, "shared-weights.json")
    with open(shared_path) as f:
        shared = json.load(f)
    shared["quantized"] = {"graph": Q8_FILE, "manifest": Q8_MANIFEST, "files": {data_name: size}}
    with open(shared_path, "w") as f:
        json.dump(shared, f, indent=2)
        f.write("\n")


def read_owl(folder):
    with open(os.path.join(folder, "owl.json")) as f:
        return json.load(f)


def set_int8_in_owl_json(folder, keep_float):
    """owl.json lists the int8 file and how it was made."""
    owl = read_owl(folder)
    owl["files"]["imageEncoderInt8"] = INT8_FILE
    owl["int8"] = dict(SCHEME, floatNodes=keep_float)
    with open(os.path.join(folder, "owl.json"), "w") as f:
        json.dump(owl, f, indent=2)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--base", metavar="DIR", help="split base-patch32 folder with weights-manifest.json")
    which.add_argument("--base-transformersjs", metavar="DIR", help="its transformers.js layout (shared weights)")
    parser.add_argument("--weights", metavar="DIR", help="with --base-transformersjs: the split folder")
    args = parser.parse_args()
    if args.base:
        base_int8(args.base)
    else:
        if not args.weights:
            parser.error("--base-transformersjs needs --weights DIR (the split base-patch32 folder)")
        base_q8(args.base_transformersjs, args.weights)


if __name__ == "__main__":
    main()
