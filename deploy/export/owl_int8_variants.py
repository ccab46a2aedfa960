#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The measurement behind owl_int8.py's scheme, for the other way ONNX Runtime quantizes: static QDQ
(activation ranges calibrated on frames instead of measured at run time).

  python3 owl_int8_variants.py --base deploy/export/base-patch32 --frames DIR --out DIR

Quantizes the regenerated base-patch32 image encoder (owl_regenerate.py: the weights regenerate-base.js
writes) in each variant, times it against fp32 on this machine's CPU, and writes each as a weight-free
graph + manifest (owl_int8.strip) so that `npm run bench` machines can regenerate and time it on theirs.
DIR holds the calibration frames: <name>.rgb (RGB24, already scaled to the model's input side) and
frames.json ([{name, width, height}]).
"""
import argparse
import json
import os
import shutil
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import owl_int8  # noqa: E402


def load_frames(folder, owl):
    """The frames as the model sees them: centred in the square, mean-colour padding (0), normalised."""
    size = owl["imageSize"]
    with open(os.path.join(folder, "frames.json")) as f:
        index = json.load(f)
    tensors = []
    for frame in index:
        rgb = np.fromfile(os.path.join(folder, frame["name"] + ".rgb"), np.uint8).reshape(frame["height"], frame["width"], 3)
        pixels = np.zeros((3, size, size), np.float32)
        top, left = (size - frame["height"]) // 2, (size - frame["width"]) // 2
        norm = (rgb / 255.0 - owl["mean"]) / owl["std"]
        pixels[:, top:top + frame["height"], left:left + frame["width"]] = norm.transpose(2, 0, 1)
        tensors.append(pixels)
    return tensors


class FrameReader:
    """onnxruntime.quantization's CalibrationDataReader over the frames."""

    def __init__(self, tensors):
        self.items = iter([{"image": t[None]} for t in tensors])

    def get_next(self):
        return next(self.items, None)

    def rewind(self):
        pass


def quantize_qdq(fp32_path, out_path, tensors, op_types):
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    import onnx

    quantize_static(fp32_path, out_path, FrameReader(tensors), quant_format=QuantFormat.QDQ,
                    op_types_to_quantize=op_types, per_channel=True, reduce_range=False,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    nodes_to_exclude=owl_int8.head_nodes(onnx.load(fp32_path, load_external_data=False)),
                    calibrate_method=CalibrationMethod.MinMax)


VARIANTS = {
    # static QDQ, the same float heads: MatMuls only (attention products included: both are activations
    # with calibrated ranges), then every op type QDQ supports (LayerNorm, softmax, Add, ... as well).
    "qdq-matmul": lambda src, dst, tensors: quantize_qdq(src, dst, tensors, ["MatMul"]),
    "qdq-all": lambda src, dst, tensors: quantize_qdq(src, dst, tensors, None),
}


def time_session(path, image, threads=2, runs=4):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    session.run(None, {"image": image})
    t0 = time.perf_counter()
    for _ in range(runs):
        out = session.run(None, {"image": image})
    return (time.perf_counter() - t0) / runs * 1000, out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="split base-patch32 folder with weights-manifest.json")
    parser.add_argument("--frames", required=True, help="folder of calibration frames (see above)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.base, owl_int8.WEIGHTS_MANIFEST)) as f:
        manifest = json.load(f)
    owl = owl_int8.read_owl(args.base)
    tensors = load_frames(args.frames, owl)
    work = os.path.join(args.out, "work")
    os.makedirs(work, exist_ok=True)
    fp32 = os.path.join(work, "image_encoder.onnx")
    shutil.copy(os.path.join(args.base, "image_encoder.onnx"), fp32)
    owl_int8.regenerate(manifest, ["image_encoder.onnx.data"], work)
    fp32_ms, reference = time_session(fp32, tensors[0][None])
    results = {"fp32_ms": fp32_ms, "variants": {}}
    for name in args.variants:
        t0, entry = time.time(), {}
        quantized = os.path.join(work, f"{name}.onnx")
        try:
            VARIANTS[name](fp32, quantized, tensors)
            ms, out = time_session(quantized, tensors[0][None])
            cos = (out[0] * reference[0]).sum(-1) / (np.linalg.norm(out[0], axis=-1) * np.linalg.norm(reference[0], axis=-1))
            entry.update({"ms": ms, "speedup": fp32_ms / ms, "embed_cosine_min": float(cos.min()),
                          "box_max_error": float(np.abs(out[3] - reference[3]).max())})
            entries, size = owl_int8.strip(quantized, os.path.join(args.base, "image_encoder.onnx"), manifest,
                                           os.path.join(args.out, f"{name}.onnx"), f"{name}.onnx.data")
            owl_int8.write_manifest(os.path.join(args.out, f"{name}-manifest.json"), manifest, entries, size,
                                    f"variant {name} of owl_int8_variants.py")
            entry["stripped"] = True
        except (Exception, SystemExit) as err:  # one variant failing leaves the others
            entry["error"] = str(err).splitlines()[0][:300]
        entry["seconds"] = time.time() - t0
        results["variants"][name] = entry
        print(f"  {name}: {json.dumps(entry)}", flush=True)
    with open(os.path.join(args.out, "variants.json"), "w") as f:
        json.dump(results, f, indent=2)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
