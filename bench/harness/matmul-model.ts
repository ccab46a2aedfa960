// SPDX-License-Identifier: Apache-2.0
// A one-node ONNX model, Y = X · W with W a float32 weight (an initializer, packed once by ONNX Runtime as
// the encoder's weights are), written as protobuf bytes here so that measuring the machine's matrix-multiply
// rate needs no model file and no ONNX tooling.

type Bytes = number[];

function varint(value: number): Bytes {
  const out: Bytes = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function field(number: number, wireType: 0 | 2, payload: Bytes | Uint8Array): Bytes {
  const tag = varint(number * 8 + wireType);
  return wireType === 0 ? [...tag, ...payload] : [...tag, ...varint(payload.length), ...payload];
}

const int = (number: number, value: number) => field(number, 0, varint(value));
const text = (number: number, value: string) => field(number, 2, [...Buffer.from(value, 'utf8')]);
const message = (number: number, ...parts: Bytes[]) => field(number, 2, parts.flat());

const FLOAT = 1;

// ValueInfoProto{name=1, type=2 TypeProto{tensor_type=1 {elem_type=1, shape=2 {dim=1 {dim_value=1}}}}}
function valueInfo(number: number, name: string, dims: number[]): Bytes {
  return message(number, text(1, name),
    message(2, message(1, int(1, FLOAT), message(2, ...dims.map((d) => message(1, int(1, d)))))));
}

/**
 * ONNX bytes of Y[m,n] = X[m,k] · W[k,n], W filled with small deterministic values.
 * Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto).
 */
export function matmulModel(m: number, k: number, n: number): Uint8Array {
  const weights = new Float32Array(k * n);
  for (let i = 0; i < weights.length; i++) weights[i] = Math.sin(i) * 0.01;
  // TensorProto{dims=1, data_type=2, name=8, raw_data=9}; large, so assembled as bytes rather than a number[].
  const head = Uint8Array.from([...int(1, k), ...int(1, n), ...int(2, FLOAT), ...text(8, 'W')]);
  const raw = new Uint8Array(weights.buffer);
  const rawTag = Uint8Array.from([...varint(9 * 8 + 2), ...varint(raw.length)]);
  const tensor = Buffer.concat([head, rawTag, raw]);
  const node = message(1, text(1, 'X'), text(1, 'W'), text(2, 'Y'), text(3, 'matmul'), text(4, 'MatMul'));
  const graphHead = Uint8Array.from([...node, ...text(2, 'matmul'), ...valueInfo(11, 'X', [m, k]), ...valueInfo(12, 'Y', [m, n])]);
  const initializerTag = Uint8Array.from([...varint(5 * 8 + 2), ...varint(tensor.length)]);
  const graph = Buffer.concat([graphHead, initializerTag, tensor]);
  return Buffer.concat([
    Uint8Array.from([...int(1, 8), ...message(8, text(1, ''), int(2, 17))]),  // ir_version 8, opset 17
    Uint8Array.from([...varint(7 * 8 + 2), ...varint(graph.length)]), graph,
  ]);
}
