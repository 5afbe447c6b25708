/**
 * The ONNX bench's model, written here so the bench needs no file and no
 * Python: an MLP (Gemm → Relu → … → Gemm, weights uniform ±1/√fan-in from a
 * seeded key) as ONNX protobuf bytes, opset 14, with a dynamic batch axis.
 * @module
 */
import * as lt from "../mod.ts";

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Byte arrays joined. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One protobuf field: a number (varint), or a string / bytes / nested message parts (length-delimited). */
export function field(
  number: number,
  value: number | string | Uint8Array | Uint8Array[],
): Uint8Array {
  if (typeof value === "number") return new Uint8Array([...varint(number << 3), ...varint(value)]);
  const bytes = typeof value === "string"
    ? new TextEncoder().encode(value)
    : Array.isArray(value)
    ? concat(value)
    : value;
  return concat([new Uint8Array([...varint((number << 3) | 2), ...varint(bytes.length)]), bytes]);
}

/** A float32 TensorProto's fields. */
export function tensorProto(name: string, dims: number[], data: Float32Array): Uint8Array[] {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return [...dims.map((d) => field(1, d)), field(2, 1), field(8, name), field(9, raw)];
}

function valueInfo(name: string, features: number): Uint8Array[] {
  const dims = [field(1, field(2, "batch")), field(1, field(1, features))];
  const tensorType = [field(1, 1), field(2, dims)];
  return [field(1, name), field(2, field(1, tensorType))];
}

/** A NodeProto's fields (named after its output). */
export function node(
  op: string,
  inputs: string[],
  output: string,
  attrs: Uint8Array[] = [],
): Uint8Array[] {
  return [
    ...inputs.map((i) => field(1, i)),
    field(2, output),
    field(3, `${op}_${output}`),
    field(4, op),
    ...attrs,
  ];
}

/**
 * An MLP as `.onnx` bytes: input `x` [batch, sizes[0]], output `y`.
 * @param sizes the layer widths, e.g. [784, 256, 10]
 * @param seed the weights' seed
 * @returns the model's bytes
 */
export function mlpOnnx(sizes: readonly number[], seed = 0): Uint8Array {
  const nodes: Uint8Array[] = [];
  const weights: Uint8Array[] = [];
  let h = "x";
  const keys = lt.random.split(lt.random.key(seed), 2 * (sizes.length - 1));
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
    const bound = 1 / Math.sqrt(fanIn);
    const w = lt.random.uniform(keys[2 * l], [fanOut, fanIn], { low: -bound, high: bound });
    const b = lt.random.uniform(keys[2 * l + 1], [fanOut], { low: -bound, high: bound });
    weights.push(field(5, tensorProto(`w${l}`, [fanOut, fanIn], w.dataSync() as Float32Array)));
    weights.push(field(5, tensorProto(`b${l}`, [fanOut], b.dataSync() as Float32Array)));
    const out = l + 2 === sizes.length ? "y" : `h${l}`;
    const transB = [field(5, [field(1, "transB"), field(3, 1), field(20, 2)])];
    nodes.push(
      field(
        1,
        node("Gemm", [h, `w${l}`, `b${l}`], l + 2 === sizes.length ? out : `g${l}`, transB),
      ),
    );
    if (out !== "y") nodes.push(field(1, node("Relu", [`g${l}`], out)));
    h = out;
  }
  const graph = [
    ...nodes,
    field(2, "mlp"),
    ...weights,
    field(11, valueInfo("x", sizes[0])),
    field(12, valueInfo("y", sizes[sizes.length - 1])),
  ];
  const opset = [field(1, ""), field(2, 14)];
  return concat([field(1, 7), field(7, graph), field(8, opset)]);
}
