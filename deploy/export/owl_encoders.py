# SPDX-License-Identifier: Apache-2.0
"""The two exported halves of OwlViTForObjectDetection, split the way NanoOWL splits it
(nanoowl/owl_predictor.py encode_image_torch / encode_text): the image encoder runs per frame, the
text encoder only when prompts change, and the decode (normalise, dot product, shift/scale, sigmoid,
threshold) runs in our own code."""
import torch

IMAGE_INPUTS = ["image"]
IMAGE_OUTPUTS = ["image_class_embeds", "logit_shift", "logit_scale", "pred_boxes"]
TEXT_INPUTS = ["input_ids", "attention_mask"]
TEXT_OUTPUTS = ["text_embeds"]


def box_bias(grid_size):
    """NanoOWL's/HF's box bias: logit of each patch's grid corner (x, y) and of the patch size (w, h),
    patches in row-major order."""
    idx = torch.arange(1, grid_size + 1, dtype=torch.float32) / grid_size
    yy, xx = torch.meshgrid(idx, idx, indexing="ij")
    xy = torch.stack([xx, yy], dim=-1).reshape(-1, 2).clip(0.0, 1.0)
    wh = torch.full_like(xy, 1.0 / grid_size)

    def logit(v):
        return torch.log(v + 1e-4) - torch.log1p(-v + 1e-4)

    return torch.cat([logit(xy), logit(wh)], dim=-1)


class ImageEncoder(torch.nn.Module):
    """image [B,3,S,S] (normalised pixels) -> image_class_embeds [B,P,D] (class_head.dense0, not
    normalised), logit_shift [B,P,1], logit_scale [B,P,1] (elu+1), pred_boxes [B,P,4] (x0,y0,x1,y1 in
    0..1 of the input square). Computes in the model's dtype; inputs and outputs stay float32."""

    def __init__(self, detector, grid_size):
        super().__init__()
        self.vision = detector.owlvit.vision_model
        self.layer_norm = detector.layer_norm
        self.class_head = detector.class_head
        self.box_head = detector.box_head
        self.register_buffer("box_bias", box_bias(grid_size).to(detector.layer_norm.weight.dtype))

    def forward(self, image):
        dtype = self.layer_norm.weight.dtype
        tokens = self.vision.post_layernorm(self.vision(pixel_values=image.to(dtype))[0])
        patches = self.layer_norm(tokens[:, 1:, :] * tokens[:, :1, :])

        boxes = torch.sigmoid(self.box_head(patches) + self.box_bias)
        cx, cy, w, h = boxes.unbind(-1)
        corners = torch.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=-1)

        class_embeds = self.class_head.dense0(patches)
        logit_shift = self.class_head.logit_shift(patches)
        logit_scale = self.class_head.elu(self.class_head.logit_scale(patches)) + 1
        return tuple(t.float() for t in (class_embeds, logit_shift, logit_scale, corners))


class TextEncoder(torch.nn.Module):
    """input_ids, attention_mask [Q,T] int64 -> text_embeds [Q,D]: the text model's pooled output
    (the end token's state), projected and L2-normalised (as OwlViTModel returns text_embeds)."""

    def __init__(self, detector):
        super().__init__()
        self.text = detector.owlvit.text_model
        self.projection = detector.owlvit.text_projection

    def forward(self, input_ids, attention_mask):
        pooled = self.text(input_ids=input_ids, attention_mask=attention_mask)[1]
        embeds = self.projection(pooled)
        return embeds / torch.linalg.norm(embeds, ord=2, dim=-1, keepdim=True)


def export(module, args, path, input_names, output_names, opset, batch_axis):
    dynamic = {name: {0: batch_axis} for name in input_names + output_names}
    torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic, opset_version=opset, do_constant_folding=True, dynamo=False)
