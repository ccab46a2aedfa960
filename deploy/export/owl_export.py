#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Export an OWL-ViT checkpoint to the model folder that owl-stream loads.

  python3 owl_export.py --model google/owlvit-base-patch32 --out models/owlvit-base-patch32 [--fp16] [--opset 17]
  python3 owl_export.py --random tiny --seed 0 --out test/fixtures/owl-tiny
  python3 owl_export.py --random base-patch32 --seed 0 --out deploy/export/base-patch32
  python3 owl_export.py --random base-patch32 --seed 0 --transformersjs --out deploy/export/base-patch32-transformersjs
  python3 owl_export.py --model google/owlvit-base-patch32 --int8 --out models/owlvit-base-patch32

The folder holds image_encoder.onnx, text_encoder.onnx, tokenizer.json, tokenizer_config.json,
owl.json and cost.json (see README.md beside this file). A random tiny model also gets reference.json;
a random base-patch32 model keeps its weights in external data files described by
weights-manifest.json, which regenerate-base.js turns back into a runnable model without torch.
--transformersjs writes the whole detector in transformers.js's layout instead (owl_transformersjs.py),
for the benchmark against it; for random base-patch32 it shares the split model's weight files.
--int8 adds image_encoder_int8.onnx (owl_int8.py: ONNX Runtime's dynamic quantization) and prints how
close it is to the fp32 encoder; with --transformersjs it adds transformers.js's own q8 model instead.

Needs torch, transformers, onnx, and onnxruntime for the verification (skipped without it).
"""
import argparse
import copy
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import owl_cost  # noqa: E402
import owl_encoders  # noqa: E402
import owl_int8  # noqa: E402
import owl_random  # noqa: E402
import owl_transformersjs  # noqa: E402

FILES = {
    "imageEncoder": "image_encoder.onnx",
    "textEncoder": "text_encoder.onnx",
    "tokenizer": "tokenizer.json",
    "tokenizerConfig": "tokenizer_config.json",
}
MANIFEST = "weights-manifest.json"
FP32_TOLERANCE = 1e-5  # max |onnx - torch| relative to max(1, max |torch|) of each output
FP16_TOLERANCE = 2e-2


@dataclass
class Source:
    """A loaded checkpoint: the fp32 detector and what the export needs around it."""
    name: str  # owl.json "source"
    detector: torch.nn.Module
    tokenize: Callable  # list[str] -> (input_ids, attention_mask) int64 [Q,T], padded and truncated to T
    tokenize_unpadded: Callable  # str -> list[int], special tokens included
    save_tokenizer: Callable  # out_dir -> writes tokenizer.json and tokenizer_config.json
    mean: list
    std: list
    pad_id: int
    bos_id: int
    eos_id: int


def load_pretrained(name):
    from transformers import AutoImageProcessor, AutoTokenizer, OwlViTForObjectDetection

    detector = OwlViTForObjectDetection.from_pretrained(name).eval()
    tokenizer = AutoTokenizer.from_pretrained(name)
    image_processor = AutoImageProcessor.from_pretrained(name)
    length = detector.config.text_config.max_position_embeddings

    def tokenize(texts):
        enc = tokenizer(texts, padding="max_length", max_length=length, truncation=True, return_tensors="np")
        return enc["input_ids"].astype(np.int64), enc["attention_mask"].astype(np.int64)

    def save_tokenizer(out_dir):
        with tempfile.TemporaryDirectory() as tmp:
            tokenizer.save_pretrained(tmp)
            for key in ("tokenizer", "tokenizerConfig"):
                if not os.path.exists(os.path.join(tmp, FILES[key])):
                    sys.exit(f"error: the tokenizer of {name} saved no {FILES[key]} (a fast tokenizer is needed)")
                shutil.copy(os.path.join(tmp, FILES[key]), os.path.join(out_dir, FILES[key]))

    return Source(name, detector, tokenize, lambda text: tokenizer(text)["input_ids"], save_tokenizer,
                  [float(v) for v in image_processor.image_mean], [float(v) for v in image_processor.image_std],
                  tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id)


def load_random(config_name, seed):
    from tokenizers import Tokenizer

    tok = owl_random.train_tokenizer()
    unpadded = Tokenizer.from_str(tok.to_str())
    unpadded.no_padding()
    unpadded.no_truncation()
    bos, eos = tok.token_to_id(owl_random.BOS_TOKEN), tok.token_to_id(owl_random.EOS_TOKEN)
    detector = owl_random.build_random_model(config_name, seed, tok.get_vocab_size(), bos, eos)

    def tokenize(texts):
        encs = tok.encode_batch(texts)
        return (np.array([e.ids for e in encs], np.int64), np.array([e.attention_mask for e in encs], np.int64))

    def save_tokenizer(out_dir):
        tok.save(os.path.join(out_dir, FILES["tokenizer"]))
        with open(os.path.join(out_dir, FILES["tokenizerConfig"]), "w") as f:
            json.dump(owl_random.tokenizer_config(), f, indent=2)

    return Source(f"random:{config_name}:{seed}", detector, tokenize, lambda text: unpadded.encode(text).ids,
                  save_tokenizer, owl_random.CLIP_MEAN, owl_random.CLIP_STD,
                  tok.token_to_id(owl_random.PAD_TOKEN), bos, eos)


def describe(src, opset, fp16):
    vision = src.detector.config.vision_config
    grid = vision.image_size // vision.patch_size
    embed_dim = src.detector.class_head.dense0.out_features
    if src.detector.owlvit.text_projection.out_features != embed_dim:
        sys.exit("error: text projection and class embedding sizes differ; this is not an OWL-ViT detector")
    return {
        "format": 1,
        "source": src.name,
        "imageSize": vision.image_size,
        "patchSize": vision.patch_size,
        "gridSize": grid,
        "numPatches": grid * grid,
        "embedDim": embed_dim,
        "textLength": src.detector.config.text_config.max_position_embeddings,
        "padTokenId": src.pad_id,
        "bosTokenId": src.bos_id,
        "eosTokenId": src.eos_id,
        "mean": src.mean,
        "std": src.std,
        "opset": opset,
        "dtype": "fp16" if fp16 else "fp32",
        "files": dict(FILES),
    }


def onnx_runner(path, input_names):
    """A function running the ONNX file on onnxruntime's CPU provider, or None without onnxruntime."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return lambda *inputs: session.run(None, dict(zip(input_names, inputs)))


def compare(label, onnx_outputs, torch_outputs, names, tolerance):
    ok = True
    for name, got, want in zip(names, onnx_outputs, torch_outputs):
        want = want.detach().cpu().float().numpy()
        err = float(np.max(np.abs(got - want)))
        limit = tolerance * max(1.0, float(np.max(np.abs(want))))
        ok = ok and err <= limit
        print(f"  {label} {name} {list(got.shape)}: max |onnx - torch| = {err:.3e} "
              f"(max |torch| {np.max(np.abs(want)):.3g}) {'ok' if err <= limit else 'EXCEEDS ' + f'{limit:.1e}'}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", help="Hugging Face hub id or local folder of an OWL-ViT checkpoint")
    which.add_argument("--random", choices=sorted(owl_random.RANDOM_CONFIGS), help="random weights of this architecture")
    parser.add_argument("--seed", type=int, default=0, help="seed of --random weights (default 0)")
    parser.add_argument("--out", required=True, help="model folder to write")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17)")
    parser.add_argument("--fp16", action="store_true",
                        help="fp16 weights and compute in the image encoder (for TensorRT/GPU); its inputs and outputs stay float32")
    parser.add_argument("--int8", action="store_true",
                        help="also write the int8 image encoder (needs onnxruntime); with --transformersjs, "
                             "transformers.js's q8 model (onnx/model_quantized.onnx)")
    parser.add_argument("--transformersjs", action="store_true",
                        help="write the whole detector in transformers.js's folder layout (for the benchmark against it)")
    parser.add_argument("--share-weights", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "base-patch32"),
                        help="with --transformersjs --random base-patch32: the split model folder whose weight files "
                             "the graph reads (default: deploy/export/base-patch32)")
    args = parser.parse_args()
    if args.fp16 and (args.random == "base-patch32" or args.transformersjs or args.int8):
        parser.error("--fp16 applies to neither --random base-patch32 (regenerated as float32), --transformersjs "
                     "nor --int8")

    t0 = time.time()
    src = load_pretrained(args.model) if args.model else load_random(args.random, args.seed)
    os.makedirs(args.out, exist_ok=True)
    owl = describe(src, args.opset, args.fp16)
    size, length = owl["imageSize"], owl["textLength"]
    print(f"{src.name}: {size}x{size} input, {owl['numPatches']} patches, embed {owl['embedDim']}, "
          f"{sum(p.numel() for p in src.detector.parameters()) / 1e6:.1f} M parameters ({time.time() - t0:.1f} s)")
    if args.transformersjs:
        ok = owl_transformersjs.export(src, owl, args.out, args.opset)
        if args.random == "base-patch32":  # too big to commit: the graph reads the split model's weight files
            ok = owl_transformersjs.share_split_weights(src, owl, args.out, args.opset, args.share_weights) and ok
            if args.int8:
                owl_int8.base_q8(args.out, args.share_weights)
        elif args.int8:
            owl_int8.quantize_transformersjs_q8(os.path.join(args.out, owl_transformersjs.MODEL_FILE),
                                                os.path.join(args.out, owl_int8.Q8_FILE))
            print(f"wrote {os.path.join(args.out, owl_int8.Q8_FILE)} (transformers.js dtype q8)")
        print(f"done in {time.time() - t0:.1f} s")
        if not ok:
            sys.exit("error: the ONNX outputs differ from torch beyond the tolerance")
        return

    image_path = os.path.join(args.out, FILES["imageEncoder"])
    text_path = os.path.join(args.out, FILES["textEncoder"])
    text_module = owl_encoders.TextEncoder(src.detector).eval()
    # Traced with 2 queries and 2 images so that no size-1 batch gets baked into the graphs.
    ids = torch.full((2, length), src.pad_id, dtype=torch.int64)
    ids[:, :2] = torch.tensor([src.bos_id, src.eos_id])
    mask = (ids != src.pad_id).to(torch.int64)
    owl_encoders.export(text_module, (ids, mask), text_path, owl_encoders.TEXT_INPUTS, owl_encoders.TEXT_OUTPUTS,
                        args.opset, "queries")

    image_module = owl_encoders.ImageEncoder(src.detector, owl["gridSize"]).eval()
    if args.fp16:
        device = "cuda" if torch.cuda.is_available() else "cpu"
        export_module = owl_encoders.ImageEncoder(copy.deepcopy(src.detector).half(), owl["gridSize"]).to(device).eval()
    else:
        device, export_module = "cpu", image_module
    owl_encoders.export(export_module, (torch.zeros(2, 3, size, size, device=device),), image_path,
                        owl_encoders.IMAGE_INPUTS, owl_encoders.IMAGE_OUTPUTS, args.opset, "batch")

    src.save_tokenizer(args.out)
    with open(os.path.join(args.out, "owl.json"), "w") as f:
        json.dump(owl, f, indent=2)
        f.write("\n")
    cost = owl_cost.write_cost(args.out)
    print(f"wrote {args.out} ({time.time() - t0:.1f} s); image encoder {cost['imageEncoder']['flops'] / 1e9:.1f} GFLOP "
          f"per image ({owl_cost.COST_FILE})")

    ok = verify(src, owl, image_module, text_module, image_path, text_path, args)
    if args.random == "base-patch32":  # too big to commit: weights move to external data + manifest
        write_manifest(src, args, image_path, text_path)
        if args.int8:
            owl_int8.base_int8(args.out)
    elif args.int8:
        export_int8(src, owl, image_path, text_path, args.out)
    print(f"done in {time.time() - t0:.1f} s")
    if not ok:
        sys.exit("error: the ONNX outputs differ from torch beyond the tolerance")


def export_int8(src, owl, image_path, text_path, out_dir):
    """image_encoder_int8.onnx beside the fp32 one, listed in owl.json, and how close its outputs are."""
    import owl_reference

    int8_path = os.path.join(out_dir, owl_int8.INT8_FILE)
    keep_float = owl_int8.quantize_image_encoder(image_path, int8_path)
    owl_int8.set_int8_in_owl_json(out_dir, keep_float)
    print(f"wrote {int8_path} ({os.path.getsize(int8_path) / 1e6:.1f} MB; {len(keep_float)} head MatMuls kept in float)")
    ids, mask = src.tokenize(owl_reference.PROMPTS)
    text = onnx_runner(text_path, owl_encoders.TEXT_INPUTS)(ids, mask)[0]
    if src.name.startswith("random:tiny"):  # reference.json's images
        images = np.stack([owl_reference.pad_square(rgb, owl["imageSize"], owl["mean"], owl["std"])[0]
                           for _, rgb in owl_reference.reference_images()])
    else:
        images = owl_int8.synthetic_images(owl)
    with torch.no_grad():
        hf_logits = np.stack([src.detector(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                                           pixel_values=torch.from_numpy(image[None])).logits[0].numpy()
                              for image in images])
    owl_int8.print_fidelity(onnx_runner(image_path, owl_encoders.IMAGE_INPUTS),
                            onnx_runner(int8_path, owl_encoders.IMAGE_INPUTS), images, text, hf_logits)


def verify(src, owl, image_module, text_module, image_path, text_path, args):
    """Runs both ONNX files against torch (a batch of 2 random images, the reference prompts); for the
    tiny random model also writes reference.json."""
    import owl_reference

    run_image = onnx_runner(image_path, owl_encoders.IMAGE_INPUTS) if not args.fp16 else None
    run_text = onnx_runner(text_path, owl_encoders.TEXT_INPUTS)
    if run_text is None:
        print("warning: onnxruntime is not installed; the ONNX files were not checked")
        return True
    size = owl["imageSize"]
    images = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    ids, mask = src.tokenize(owl_reference.PROMPTS)
    with torch.no_grad():
        want_image = image_module(images)
        want_text = text_module(torch.from_numpy(ids), torch.from_numpy(mask))

    ok = compare("text", run_text(ids, mask), [want_text], owl_encoders.TEXT_OUTPUTS, FP32_TOLERANCE)
    if args.fp16:
        try:
            got = onnx_runner(image_path, owl_encoders.IMAGE_INPUTS)(images.numpy())
            compare("image fp16 vs fp32 torch", got, want_image, owl_encoders.IMAGE_OUTPUTS, FP16_TOLERANCE)
        except Exception as e:  # onnxruntime's CPU provider lacks some fp16 kernels
            print(f"  note: the fp16 image encoder could not run on onnxruntime CPU here ({str(e).splitlines()[0]})")
        return ok
    ok = compare("image", run_image(images.numpy()), want_image, owl_encoders.IMAGE_OUTPUTS, FP32_TOLERANCE) and ok

    if args.random == "tiny":
        reference = owl_reference.build(src.detector, owl, src.tokenize, src.tokenize_unpadded,
                                        run_image, lambda i, m: run_text(i, m)[0])
        with open(os.path.join(args.out, "reference.json"), "w") as f:
            json.dump(reference, f)
        print(f"wrote {os.path.join(args.out, 'reference.json')}")
    if args.random:
        check_transformers_tokenizer(src, args.out)
    return ok


def check_transformers_tokenizer(src, out_dir):
    """The random tokenizer must load in transformers too, and give the same ids."""
    import owl_reference
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(out_dir)
        texts = owl_reference.TOKENIZER_CASES
        enc = tokenizer(texts, padding="max_length", max_length=owl_random.TEXT_LENGTH, truncation=True)
        ours = src.tokenize(texts)[0].tolist()
        print(f"  transformers AutoTokenizer ({type(tokenizer).__name__}) gives the same ids: {enc['input_ids'] == ours}")
        for text, theirs, mine in zip(texts, enc["input_ids"], ours):
            if theirs != mine:
                print(f"    {text!r}: transformers {theirs} tokenizers {mine}")
    except Exception as e:  # informative only: the runtime uses tokenizer.json directly
        print(f"  note: transformers could not load the tokenizer folder: {e}")


def write_manifest(src, args, image_path, text_path):
    """Moves the weights into external data and writes weights-manifest.json."""
    import owl_external

    size = src.detector.config.vision_config.image_size
    probe = np.random.default_rng(2).standard_normal((1, 3, size, size)).astype(np.float32)
    run = onnx_runner(image_path, owl_encoders.IMAGE_INPUTS)
    before = run(probe) if run is not None else None
    digests = owl_external.parameter_digests(src.detector)
    manifest = {
        "format": 1,
        "source": src.name,
        "seed": args.seed,
        "prng": ("per tensor: mulberry32 seeded with FNV-1a-32 of '<seed>:<name>'; normal fill by Box-Muller "
                 "(see regenerate-base.js)"),
        "files": {},
        "tensors": [],
    }
    for path in (image_path, text_path):
        entries, total = owl_external.externalize(path, digests)
        manifest["files"][os.path.basename(path) + ".data"] = total
        manifest["tensors"] += entries
        print(f"  {os.path.basename(path)}: {len(entries)} tensors, {total / 1e6:.1f} MB external, "
              f"graph {os.path.getsize(path) / 1e3:.0f} KB")
    with open(os.path.join(args.out, MANIFEST), "w") as f:
        f.write('{\n' + ',\n'.join(f'  {json.dumps(k)}: {json.dumps(v)}' for k, v in manifest.items() if k != "tensors"))
        f.write(',\n  "tensors": [\n' + ',\n'.join('    ' + json.dumps(t) for t in manifest["tensors"]) + '\n  ]\n}\n')
    if before is not None:
        after = onnx_runner(image_path, owl_encoders.IMAGE_INPUTS)(probe)
        same = all(np.array_equal(a, b) for a, b in zip(before, after))
        print(f"  external-data image encoder reproduces the inline one exactly: {same}")


if __name__ == "__main__":
    main()
