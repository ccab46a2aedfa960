# SPDX-License-Identifier: Apache-2.0
"""The whole OwlViTForObjectDetection in the folder layout that transformers.js loads, so that
`npm run bench` (scenario `peer`) can run transformers.js's zero-shot-object-detection pipeline on the
same weights as owl-stream.

Layout: config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json and
onnx/model.onnx with inputs input_ids, pixel_values, attention_mask and outputs logits [B,P,Q],
pred_boxes [B,P,4] (centre x, centre y, width, height in 0..1), as Hugging Face's Optimum exports it
(minus the outputs the pipeline does not read).

For `--random base-patch32` the graph keeps no weights of its own: each weight tensor points into the
external data files of the split model (image_encoder.onnx.data, text_encoder.onnx.data) at the offsets
that deploy/export/base-patch32/weights-manifest.json gives, so the folder runs on the very bytes
regenerate-base.js writes once those two files are linked into onnx/ (the bench does that).
shared-weights.json names them.
"""
import hashlib
import json
import os
import sys
import tempfile

import numpy as np
import torch

import owl_encoders

INPUTS = ["input_ids", "pixel_values", "attention_mask"]
OUTPUTS = ["logits", "pred_boxes"]
MODEL_FILE = os.path.join("onnx", "model.onnx")
SHARED_WEIGHTS = "shared-weights.json"
MIN_ELEMENTS = 64  # as owl_external: smaller tensors stay inline


class FullDetector(torch.nn.Module):
    """OwlViTForObjectDetection with the pipeline's inputs and only the two outputs it reads."""

    def __init__(self, detector):
        super().__init__()
        self.detector = detector

    def forward(self, input_ids, pixel_values, attention_mask):
        out = self.detector(input_ids=input_ids, pixel_values=pixel_values, attention_mask=attention_mask)
        return out.logits, out.pred_boxes


def preprocessor_config(owl):
    """OwlViTImageProcessor's settings as both transformers and transformers.js read them: resize to S x S
    (bicubic), rescale 1/255, normalise."""
    size = owl["imageSize"]
    return {
        "image_processor_type": "OwlViTImageProcessor",
        "processor_class": "OwlViTProcessor",
        "do_resize": True,
        "size": {"height": size, "width": size},
        "resample": 3,
        "do_center_crop": False,
        "crop_size": {"height": size, "width": size},
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": owl["mean"],
        "image_std": owl["std"],
        "do_convert_rgb": True,
    }


def export(src, owl, out_dir, opset):
    """Writes the transformers.js folder (weights inline) and checks it against torch; returns True when
    the outputs agree."""
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    config = json.loads(src.detector.config.to_json_string(use_diff=False))
    config["transformers.js_config"] = {"dtype": "fp32"}
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "preprocessor_config.json"), "w") as f:
        json.dump(preprocessor_config(owl), f, indent=2)
        f.write("\n")
    src.save_tokenizer(out_dir)

    model = FullDetector(src.detector).eval()
    size, length = owl["imageSize"], owl["textLength"]
    ids, mask = src.tokenize(["a person", "a red car"])
    dynamic = {"input_ids": {0: "queries", 1: "sequence"}, "attention_mask": {0: "queries", 1: "sequence"},
               "pixel_values": {0: "batch"}, "logits": {0: "batch", 2: "queries"}, "pred_boxes": {0: "batch"}}
    path = os.path.join(out_dir, MODEL_FILE)
    torch.onnx.export(model, (torch.from_numpy(ids), torch.zeros(1, 3, size, size), torch.from_numpy(mask)), path,
                      input_names=INPUTS, output_names=OUTPUTS, dynamic_axes=dynamic, opset_version=opset,
                      do_constant_folding=True, dynamo=False)
    print(f"wrote {out_dir} (transformers.js layout, {os.path.getsize(path) / 1e6:.1f} MB graph with weights)")
    return verify(src, model, path, size, length)


def _inputs(src, size, length):
    """Three prompts padded to the longest (as the pipeline pads them) and one random image."""
    prompts = ["a person", "a hat", "a photo of a dog"]
    rows = [src.tokenize_unpadded(p)[:length] for p in prompts]
    longest = max(len(r) for r in rows)
    ids = np.full((len(rows), longest), src.pad_id, np.int64)
    mask = np.zeros((len(rows), longest), np.int64)
    for i, row in enumerate(rows):
        ids[i, :len(row)], mask[i, :len(row)] = row, 1
    pixels = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(3)).numpy()
    return ids, pixels, mask


def verify(src, model, path, size, length, data_dir=None):
    """ONNX Runtime against torch on prompts of another count and length than the traced ones. With
    data_dir, the graph is first copied there (its external data lives there)."""
    try:
        import onnxruntime as ort
    except ImportError:
        print("warning: onnxruntime is not installed; the transformers.js model was not checked")
        return True
    ids, pixels, mask = _inputs(src, size, length)
    with torch.no_grad():
        want = model(torch.from_numpy(ids), torch.from_numpy(pixels), torch.from_numpy(mask))
    if data_dir is not None:
        copy = os.path.join(data_dir, "model.onnx")
        with open(path, "rb") as a, open(copy, "wb") as b:
            b.write(a.read())
        path = copy
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = session.run(OUTPUTS, {"input_ids": ids, "pixel_values": pixels, "attention_mask": mask})
    ok = True
    for name, g, w in zip(OUTPUTS, got, want):
        w = w.detach().numpy()
        err = float(np.max(np.abs(g - w)))
        limit = 1e-5 * max(1.0, float(np.max(np.abs(w))))
        ok = ok and err <= limit and g.shape == w.shape
        print(f"  transformers.js model {name} {list(g.shape)}: max |onnx - torch| = {err:.3e} "
              f"(max |torch| {np.max(np.abs(w)):.3g}) {'ok' if err <= limit else 'EXCEEDS ' + f'{limit:.1e}'}")
    return ok


def _digest(values):
    return hashlib.sha1(np.ascontiguousarray(values, dtype="<f4").tobytes()).hexdigest()


def _split_initializers(src, owl, opset, tmp):
    """Exports the split encoders again (same seed, same graphs as the committed ones) and returns
    {data file: {initializer name: values}}."""
    import onnx
    from onnx import numpy_helper

    size, length = owl["imageSize"], owl["textLength"]
    image_path, text_path = os.path.join(tmp, "image_encoder.onnx"), os.path.join(tmp, "text_encoder.onnx")
    ids = torch.full((2, length), src.pad_id, dtype=torch.int64)
    ids[:, :2] = torch.tensor([src.bos_id, src.eos_id])
    owl_encoders.export(owl_encoders.TextEncoder(src.detector).eval(), (ids, (ids != src.pad_id).to(torch.int64)),
                        text_path, owl_encoders.TEXT_INPUTS, owl_encoders.TEXT_OUTPUTS, opset, "queries")
    owl_encoders.export(owl_encoders.ImageEncoder(src.detector, owl["gridSize"]).eval(),
                        (torch.zeros(2, 3, size, size),), image_path, owl_encoders.IMAGE_INPUTS,
                        owl_encoders.IMAGE_OUTPUTS, opset, "batch")
    return {os.path.basename(p) + ".data": {t.name: numpy_helper.to_array(t) for t in onnx.load(p).graph.initializer}
            for p in (image_path, text_path)}


def share_split_weights(src, owl, out_dir, opset, split_dir):
    """Points every weight tensor of onnx/model.onnx into the split model's external data (offsets from
    split_dir/weights-manifest.json), writes shared-weights.json, and checks the result on the real
    weights laid out the same way. Returns True when the outputs still agree with torch."""
    import onnx
    from onnx import numpy_helper

    with open(os.path.join(split_dir, "weights-manifest.json")) as f:
        manifest = json.load(f)
    path = os.path.join(out_dir, MODEL_FILE)
    with tempfile.TemporaryDirectory() as tmp:
        split = _split_initializers(src, owl, opset, tmp)
        # Where each split tensor's bytes sit in the regenerated data files, by content.
        where = {}
        for entry in manifest["tensors"]:
            values = split[entry["file"]].get(entry["name"])
            if values is None or list(values.shape) != entry["shape"]:
                sys.exit(f"error: the split export no longer has {entry['name']} {entry['shape']} of "
                         f"{entry['file']}: re-export {split_dir} first")
            where.setdefault(_digest(values), entry)

        model = onnx.load(path)
        shared, inline = 0, []
        for tensor in model.graph.initializer:
            if tensor.data_type != onnx.TensorProto.FLOAT:
                continue
            values = numpy_helper.to_array(tensor)
            entry = where.get(_digest(values))
            if values.size < MIN_ELEMENTS or entry is None:
                if values.size >= MIN_ELEMENTS:
                    inline.append((tensor.name, values.size))
                continue
            tensor.ClearField("raw_data")
            tensor.ClearField("float_data")
            tensor.data_location = onnx.TensorProto.EXTERNAL
            del tensor.external_data[:]
            for key, value in (("location", entry["file"]), ("offset", str(entry["offset"])),
                               ("length", str(entry["length"]))):
                kv = tensor.external_data.add()
                kv.key, kv.value = key, value
            shared += 1
        onnx.save(model, path)
        for name, count in inline:
            print(f"  note: {name} ({count} floats) is in no split data file: kept inline with its exported values"
                  + (" (a random tensor: the peer's outputs will differ)" if count >= 1 << 16 else ""))
        with open(os.path.join(out_dir, SHARED_WEIGHTS), "w") as f:
            json.dump({
                "format": 1,
                "source": manifest["source"],
                "weightsFrom": os.path.relpath(split_dir, out_dir),
                "files": manifest["files"],
                "sharedTensors": shared,
                "note": "onnx/model.onnx reads its weights from these data files of the split model "
                        "(regenerate-base.js writes them); link or copy them into onnx/",
            }, f, indent=2)
            f.write("\n")
        print(f"  {shared} weight tensors shared with {split_dir}; graph {os.path.getsize(path) / 1e3:.0f} KB")

        # The same data files, filled with this export's real weights, must reproduce torch.
        for file, size in manifest["files"].items():
            with open(os.path.join(tmp, file), "wb") as data:
                data.truncate(size)
                for entry in (e for e in manifest["tensors"] if e["file"] == file):
                    data.seek(entry["offset"])
                    data.write(np.ascontiguousarray(split[file][entry["name"]], dtype="<f4").tobytes())
        return verify(src, FullDetector(src.detector).eval(), path, owl["imageSize"], owl["textLength"], data_dir=tmp)
