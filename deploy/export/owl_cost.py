# SPDX-License-Identifier: Apache-2.0
"""Compute cost of the exported image encoder, counted from its ONNX graph: floating-point operations
of the matrix products (MatMul, Gemm, Conv; a multiply-add counts as 2), which are all but a fraction
of a percent of an OWL-ViT's work. `npm run bench` (scenario `limit`) sets it against the machine's
measured matrix-multiply rate. (The text encoder runs only when prompts change, and its graph slices
position ids by a length that shape inference cannot follow, so it is not counted.)

  python3 owl_cost.py MODEL_FOLDER [...]   # writes MODEL_FOLDER/cost.json

cost.json: {"format": 1, "imageEncoder": {"flops", "byOp"}} for one image. owl_export.py writes it
with every export.
Needs only the onnx package (the graphs are read without their external weights).
"""
import json
import os
import sys

COST_FILE = "cost.json"
MATRIX_OPS = ("MatMul", "Gemm", "Conv")


def _dims(value_info):
    return [d.dim_value if d.HasField("dim_value") else None for d in value_info.type.tensor_type.shape.dim]


def _fix_first_axis(model):
    """The batch axis becomes 1, so that every shape is concrete."""
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if len(dims) > 0 and not dims[0].HasField("dim_value"):
            dims[0].dim_value = 1


def count_flops(onnx_path):
    """{"flops": total, "byOp": {kind: flops}} of one item (batch 1) through the graph at onnx_path; kinds:
    Conv, Gemm, "MatMul weights" (by a weight matrix) and "MatMul activations" (attention's two products)."""
    import onnx

    model = onnx.load(onnx_path, load_external_data=False)
    _fix_first_axis(model)
    inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)  # data_prop: shapes built by Shape/Concat
    shapes = {v.name: _dims(v) for v in list(inferred.graph.value_info) + list(inferred.graph.input)
              + list(inferred.graph.output)}
    shapes.update({t.name: list(t.dims) for t in inferred.graph.initializer})
    weights = {t.name for t in inferred.graph.initializer}
    weights |= {n.output[0] for n in inferred.graph.node if n.op_type == "Identity" and n.input[0] in weights}
    by_op = {}
    for node in inferred.graph.node:
        if node.op_type not in MATRIX_OPS:
            continue
        out = shapes.get(node.output[0])
        a, b = shapes.get(node.input[0]), shapes.get(node.input[1])
        if not out or not a or not b or None in out + a + b or 0 in out:
            sys.exit(f"error: {os.path.basename(onnx_path)}: no concrete shape for {node.op_type} {node.name}")
        outputs = 1
        for d in out:
            outputs *= d
        if node.op_type == "MatMul":
            per_output = a[-1]
        elif node.op_type == "Gemm":
            trans_a = next((at.i for at in node.attribute if at.name == "transA"), 0)
            per_output = a[0] if trans_a else a[-1]
        else:  # Conv: weight [Cout, Cin/group, k...]
            per_output = 1
            for d in b[1:]:
                per_output *= d
        # MatMuls of two activations are attention's scores and mixing; the rest multiply by weights.
        kind = node.op_type if node.op_type != "MatMul" else (
            "MatMul weights" if node.input[1] in weights else "MatMul activations")
        by_op[kind] = by_op.get(kind, 0) + 2 * outputs * per_output
    return {"flops": sum(by_op.values()), "byOp": by_op}


def write_cost(folder, image_file="image_encoder.onnx"):
    """Counts the image encoder of a model folder and writes its cost.json; returns the record."""
    cost = {
        "format": 1,
        "note": "matrix-product FLOPs (multiply-add = 2) counted from the ONNX graphs by owl_cost.py; "
                "per image",
        "imageEncoder": count_flops(os.path.join(folder, image_file)),
    }
    with open(os.path.join(folder, COST_FILE), "w") as f:
        json.dump(cost, f, indent=2)
        f.write("\n")
    return cost


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__)
    for folder in sys.argv[1:]:
        cost = write_cost(folder)
        print(f"{folder}: image encoder {cost['imageEncoder']['flops'] / 1e9:.3f} GFLOP per image")


if __name__ == "__main__":
    main()
