# SPDX-License-Identifier: Apache-2.0
"""reference.json for the tiny random model: fixed images and prompts, the Hugging Face model's outputs,
our ONNX encoders' outputs and the NanoOWL-style decode, so that the runtime (tokenizer, pre-processing,
ONNX Runtime, C++ decode) can be checked against transformers without torch."""
import base64

import numpy as np

PROMPTS = ["a person", "a hat", "a bike"]
TOKENIZER_CASES = [
    "a person", "A  Person!", "a red car", "person's bag", "café", "12 cats", "", "a zzyzx",
    "a photo of a dog and a cat on a bike with a hat near the face and a bag",
]


def tensor(array, dtype):
    """Tensors travel as {dtype, shape, base64}: little-endian values, row-major."""
    a = np.ascontiguousarray(np.asarray(array).astype({"float32": "<f4", "int64": "<i8", "uint8": "u1"}[dtype]))
    return {"dtype": dtype, "shape": list(a.shape), "base64": base64.b64encode(a.tobytes()).decode("ascii")}


def disc(img, cx, cy, r, colour):
    yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]]
    img[(xx - cx) ** 2 + (yy - cy) ** 2 <= r * r] = colour


def reference_images():
    """Three deterministic RGB images, [H,W,3] uint8: one square and two non-square (wide, tall) with
    their longer side equal to the model input (96), so pad_square needs no resize."""
    yy, xx = np.mgrid[0:96, 0:96]
    square = np.stack([xx * 2, 100 + yy, 180 - xx], axis=-1).astype(np.uint8)
    square[20:80, 8:40] = (220, 30, 30)
    disc(square, 68, 40, 16, (30, 60, 220))
    square[86:90, 50:90] = (255, 255, 255)

    wide = np.zeros((64, 96, 3), np.uint8)
    wide[:40] = (135, 206, 235)
    wide[40:] = (34, 139, 34)
    wide[10:35, 20:50] = (240, 220, 40)
    disc(wide, 75, 45, 10, (10, 10, 10))

    yy, xx = np.mgrid[0:96, 0:48]
    tall = np.stack([yy * 2, np.full_like(yy, 128), 255 - 2 * yy], axis=-1).astype(np.uint8)
    tall[30:70, 10:38] = (200, 0, 200)
    disc(tall, 24, 15, 8, (255, 255, 255))
    return [("square", square), ("wide", wide), ("tall", tall)]


def pad_square(rgb, size, mean, std):
    """NanoOWL pad_square for a frame whose longer side equals the model input: centre it in a
    size x size square (offset floor((size - side) / 2)), normalise (p/255 - mean)/std, padding 0 (the
    mean colour). Returns pixel values [3,size,size] float32 and the square ROI in source pixels,
    [-left, -top, size - left, size - top]: where the pixels were placed, so boxes map back to them. NanoOWL's
    ROI is [cx-s, cy-s, cx+s, cy+s] (s = max(w,h)/2) sampled with roi_align (aligned=False), which would
    blend neighbouring pixels and centre an odd padding at the exact half; we define the reference without
    that resampling, so the whole-pixel offset is the one that matches the pixels (the same for even
    paddings, the only ones the reference images have)."""
    h, w, _ = rgb.shape
    assert max(h, w) == size
    top, left = (size - h) // 2, (size - w) // 2
    norm = (rgb.astype(np.float64) / 255.0 - np.array(mean)) / np.array(std)
    pixels = np.zeros((3, size, size), np.float32)
    pixels[:, top:top + h, left:left + w] = norm.transpose(2, 0, 1)
    return pixels, [-left, -top, size - left, size - top]


def class_scores(image_out, text_embeds):
    """NanoOWL decode up to the sigmoid, in float64: logits [P,Q]."""
    ice, shift, scale = (np.asarray(a, np.float64) for a in image_out[:3])
    q = np.asarray(text_embeds, np.float64)
    ice = ice / (np.linalg.norm(ice, axis=-1, keepdims=True) + 1e-6)
    q = q / (np.linalg.norm(q, axis=-1, keepdims=True) + 1e-6)
    return (ice @ q.T + shift) * scale


def decode(image_out, text_embeds, thresholds, roi):
    """NanoOWL decode: per patch label = argmax of the logits (as Hugging Face: sigmoid scores of large logits
    tie at 1.0), score = its sigmoid, keep when score > threshold[label]; boxes mapped from the padded square
    to source pixels through the ROI."""
    logits = class_scores(image_out, text_embeds)
    scores_all = 1.0 / (1.0 + np.exp(-logits))
    labels = logits.argmax(-1)
    scores = scores_all[np.arange(len(labels)), labels]
    keep = np.nonzero(scores > np.asarray(thresholds)[labels])[0]
    x0, y0, x1, y1 = roi
    boxes = np.asarray(image_out[3], np.float64) * [x1 - x0, y1 - y0, x1 - x0, y1 - y0] + [x0, y0, x0, y0]
    top2 = np.sort(scores_all, axis=-1)[:, -2:] if scores_all.shape[1] > 1 else None
    return {
        "patches": keep.tolist(),
        "labels": labels[keep].tolist(),
        "scores": scores[keep].tolist(),
        "boxes": boxes[keep].tolist(),
        "patchLabels": labels.tolist(),
        "patchScores": scores.tolist(),
        "labelMargin": float((top2[:, 1] - top2[:, 0]).min()) if top2 is not None else None,
        "thresholdMargin": float(np.abs(scores - np.asarray(thresholds)[labels]).min()),
    }


def pick_thresholds(per_image_scores, num_prompts):
    """One threshold per prompt, in the widest gap between the winning scores of that prompt (middle half
    of them), so that about half of its patches pass and no score sits close to a threshold."""
    thresholds = []
    for q in range(num_prompts):
        s = np.unique(np.concatenate([scores[labels == q] for labels, scores in per_image_scores]))
        if len(s) < 2:
            thresholds.append(0.5)
            continue
        lo, hi = max(0, len(s) // 4 - 1), min(len(s) - 1, (3 * len(s)) // 4)
        gaps = s[lo + 1:hi + 1] - s[lo:hi]
        i = lo + int(gaps.argmax())
        thresholds.append(round(float((s[i] + s[i + 1]) / 2), 6))
    return thresholds


def max_error(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def build(detector, owl, tokenize, tokenize_unpadded, run_image, run_text):
    """detector: OwlViTForObjectDetection (fp32); run_image/run_text: the exported ONNX encoders."""
    import torch

    size = owl["imageSize"]
    ids, mask = tokenize(PROMPTS)
    text_onnx = run_text(ids, mask)
    images = [(name, rgb) + pad_square(rgb, size, owl["mean"], owl["std"]) for name, rgb in reference_images()]
    batch = np.stack([pixels for _, _, pixels, _ in images])
    onnx_out = run_image(batch)  # one batched run: the dynamic batch axis is part of what is checked

    entries, per_image_scores, errors = [], [], {}
    with torch.no_grad():
        for b, (name, rgb, pixels, roi) in enumerate(images):
            hf = detector(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                          pixel_values=torch.from_numpy(pixels[None]))
            hf_logits = hf.logits[0].numpy()
            hf_cxcywh = hf.pred_boxes[0].numpy()
            cx, cy, w, h = hf_cxcywh.T
            hf_corners = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)
            out_b = [o[b] for o in onnx_out]
            logits = class_scores(out_b, text_onnx)
            errors[f"{name}: decode(onnx) logits vs hf logits"] = max_error(logits, hf_logits)
            errors[f"{name}: onnx pred_boxes vs hf corners"] = max_error(out_b[3], hf_corners)
            errors["text_embeds: onnx vs hf"] = max_error(text_onnx, hf.text_embeds.reshape(len(PROMPTS), -1).numpy())
            scores_all = 1.0 / (1.0 + np.exp(-logits))
            per_image_scores.append((scores_all.argmax(-1), scores_all.max(-1)))
            entries.append({
                "name": name, "width": rgb.shape[1], "height": rgb.shape[0],
                "rgb": tensor(rgb, "uint8"),
                "roi": roi,
                "pixelValues": tensor(pixels, "float32"),
                "hf": {
                    "logits": tensor(hf_logits, "float32"),
                    "predBoxesCxcywh": tensor(hf_cxcywh, "float32"),
                    "predBoxesXyxy": tensor(hf_corners, "float32"),
                    "classEmbeds": tensor(hf.class_embeds[0].numpy(), "float32"),
                },
                "onnx": {
                    "imageClassEmbeds": tensor(out_b[0], "float32"),
                    "logitShift": tensor(out_b[1], "float32"),
                    "logitScale": tensor(out_b[2], "float32"),
                    "predBoxes": tensor(out_b[3], "float32"),
                },
            })
            hf_text = hf.text_embeds.reshape(len(PROMPTS), -1).numpy()

    thresholds = pick_thresholds(per_image_scores, len(PROMPTS))
    for b, (entry, (name, _, _, roi)) in enumerate(zip(entries, images)):
        entry["decode"] = decode([o[b] for o in onnx_out], text_onnx, thresholds, roi)
        print(f"  {name}: {len(entry['decode']['patches'])}/{owl['numPatches']} patches pass, "
              f"label margin {entry['decode']['labelMargin']:.2e}, threshold margin {entry['decode']['thresholdMargin']:.2e}")

    cases = []
    for text in TOKENIZER_CASES:
        case_ids, case_mask = tokenize([text])
        cases.append({"text": text, "ids": tokenize_unpadded(text),
                      "inputIds": case_ids[0].tolist(), "attentionMask": case_mask[0].tolist()})

    for key, value in errors.items():
        print(f"  max |error| {key}: {value:.3e}")
    return {
        "format": 1,
        "model": owl["source"],
        "note": ("Tensors are {dtype, shape, base64} with little-endian values in row-major order. Per image: rgb "
                 "[H,W,3]; pixelValues [3,S,S] = pad_square (centred, offset floor((S-side)/2), padding 0, no "
                 "resampling); hf.* from transformers OwlViTForObjectDetection on pixelValues (logits [P,Q], "
                 "predBoxesCxcywh/Xyxy [P,4] normalised, classEmbeds [P,D] L2-normalised); onnx.* from "
                 "image_encoder.onnx run on all images as one batch; decode = NanoOWL decode of the onnx outputs "
                 "with `thresholds` (strict >), boxes x0,y0,x1,y1 in source pixels via roi."),
        "prompts": [{"text": t, "inputIds": ids[i].tolist(), "attentionMask": mask[i].tolist()}
                    for i, t in enumerate(PROMPTS)],
        "thresholds": thresholds,
        "textEmbeds": {"hf": tensor(hf_text, "float32"), "onnx": tensor(text_onnx, "float32")},
        "images": entries,
        "tokenizerCases": cases,
        "maxErrors": errors,
    }
