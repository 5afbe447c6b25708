/**
 * ONNX's messages (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto) read into plain objects, with field numbers
 * from onnx.proto. Tensors become Lathe tensors: FLOAT, DOUBLE, FLOAT16 and
 * BOOL keep their type; every integer type becomes int32 (range-checked),
 * with its values also kept as numbers (shape arguments need them while jit
 * traces).
 * @module
 */
import * as lt from "../../mod.ts";
import type { DType, Tensor } from "../../mod.ts";
import {
  bytesOf,
  doubles,
  floats,
  int,
  ints,
  type Message,
  messages,
  string,
  strings,
} from "./_proto.ts";

/** A tensor of the graph, with its values as numbers when it holds integers. */
export interface Value {
  /** The tensor. */
  readonly tensor: Tensor;
  /** Its values (row-major) when they are integers known before running (constants, shapes). */
  readonly known?: readonly number[];
}

/** An attribute value. */
export type Attribute = number | string | readonly number[] | readonly string[] | Value;

/** One node of the graph. */
export interface OnnxNode {
  /** The node's name (may be empty). */
  readonly name: string;
  /** The operator, e.g. `Gemm`. */
  readonly opType: string;
  /** The operator set's domain (`""` is the default ONNX domain). */
  readonly domain: string;
  /** Input value names (`""` for an omitted optional input). */
  readonly inputs: readonly string[];
  /** Output value names. */
  readonly outputs: readonly string[];
  /** Attributes by name. */
  readonly attributes: Readonly<Record<string, Attribute>>;
}

/** A graph input or output: its name, element type and shape (names for dynamic sizes). */
export interface OnnxValueInfo {
  /** The value's name. */
  readonly name: string;
  /** The Lathe dtype it maps to (`undefined` when the file does not say). */
  readonly dtype?: DType;
  /** Sizes: numbers, or names (`"batch"`) / `null` for dynamic ones. */
  readonly shape: readonly (number | string | null)[];
}

/** A decoded model. */
export interface OnnxGraph {
  /** The default domain's opset version. */
  readonly opset: number;
  /** Nodes in topological order (as ONNX requires). */
  readonly nodes: readonly OnnxNode[];
  /** Weights and other constants by name. */
  readonly initializers: ReadonlyMap<string, Value>;
  /** Graph inputs that are not initializers. */
  readonly inputs: readonly OnnxValueInfo[];
  /** Graph outputs. */
  readonly outputs: readonly OnnxValueInfo[];
}

const TYPES: Record<number, { name: string; dtype?: DType }> = {
  1: { name: "FLOAT", dtype: "float32" },
  2: { name: "UINT8", dtype: "int32" },
  3: { name: "INT8", dtype: "int32" },
  4: { name: "UINT16", dtype: "int32" },
  5: { name: "INT16", dtype: "int32" },
  6: { name: "INT32", dtype: "int32" },
  7: { name: "INT64", dtype: "int32" },
  8: { name: "STRING" },
  9: { name: "BOOL", dtype: "bool" },
  10: { name: "FLOAT16", dtype: "float16" },
  11: { name: "DOUBLE", dtype: "float64" },
  12: { name: "UINT32", dtype: "int32" },
  13: { name: "UINT64", dtype: "int32" },
  16: { name: "BFLOAT16", dtype: "float32" },
};

/** The Lathe dtype of an ONNX element type number, or an error naming it. */
export function dtypeOf(code: number, where: string): DType {
  const dtype = TYPES[code]?.dtype;
  if (dtype === undefined) {
    throw new TypeError(
      `importOnnx(): ${where} has element type ${
        TYPES[code]?.name ?? code
      }: expected FLOAT, DOUBLE, ` +
        `FLOAT16, BFLOAT16, BOOL or an integer type: change the exported model's dtype`,
    );
  }
  return dtype;
}

function float16Array(label: string): typeof Float16Array {
  const F16 = (globalThis as { Float16Array?: typeof Float16Array }).Float16Array;
  if (F16 === undefined) {
    throw new TypeError(
      `importOnnx(): ${label} is FLOAT16, but this runtime has no Float16Array: ` +
        "use Deno 2, Node 24+ or a current browser, or export the model in float32",
    );
  }
  return F16;
}

function intValues(raw: Uint8Array | undefined, code: number, fallback: number[]): number[] {
  if (raw === undefined) return fallback;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const width = { 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 12: 4, 13: 8 }[code] ?? 4;
  const signed = code === 3 || code === 5 || code === 6 || code === 7;
  const out: number[] = [];
  for (let i = 0; i + width <= raw.length; i += width) {
    if (width === 1) out.push(signed ? dv.getInt8(i) : dv.getUint8(i));
    else if (width === 2) out.push(signed ? dv.getInt16(i, true) : dv.getUint16(i, true));
    else if (width === 4) out.push(signed ? dv.getInt32(i, true) : dv.getUint32(i, true));
    else out.push(Number(signed ? dv.getBigInt64(i, true) : dv.getBigUint64(i, true)));
  }
  return out;
}

/** A TensorProto as a Lathe tensor. */
export function tensorOf(m: Message, where: string): Value {
  const dims = ints(m, 1);
  const code = int(m, 2);
  const name = string(m, 8);
  const label = `${where}${name ? ` "${name}"` : ""}`;
  if (int(m, 14) === 1) {
    throw new TypeError(
      `importOnnx(): ${label} keeps its data in an external file: ` +
        "export with the weights inside the model (save_as_external_data=False)",
    );
  }
  const dtype = dtypeOf(code, label);
  const raw = bytesOf(m, 9)[0];
  const size = dims.reduce((a, b) => a * b, 1);
  let values: ArrayLike<number>;
  let known: number[] | undefined;
  if (dtype === "int32") {
    known = intValues(raw, code, code === 7 || code === 13 ? ints(m, 7) : ints(m, 5));
    // INT64 shape arguments use INT64_MAX / MIN for "to the end": clamp those, reject others
    known = known.map((v) => (v >= 2 ** 62 ? 2 ** 31 - 1 : v <= -(2 ** 62) ? -(2 ** 31) : v));
    const bad = known.find((v) => v < -(2 ** 31) || v >= 2 ** 31);
    if (bad !== undefined) {
      throw new RangeError(
        `importOnnx(): ${label} holds ${bad}, outside int32 (Lathe's integer dtype): ` +
          "keep integer constants within int32",
      );
    }
    values = Int32Array.from(known);
  } else if (raw !== undefined) {
    const copy = raw.slice();
    values = dtype === "float64"
      ? new Float64Array(copy.buffer)
      : dtype === "bool"
      ? copy
      : dtype === "float16"
      ? new (float16Array(label))(copy.buffer)
      : code === 16
      ? new Float32Array(Uint32Array.from(new Uint16Array(copy.buffer), (b) => b << 16).buffer)
      : new Float32Array(copy.buffer);
  } else {
    values = dtype === "float64" ? doubles(m, 10) : dtype === "float32" ? floats(m, 4) : ints(m, 5);
  }
  if (values.length !== size) {
    throw new RangeError(
      `importOnnx(): ${label} has ${values.length} values for dims [${
        dims.join(", ")
      }] (${size}): ` +
        "the file is truncated or corrupt: export the model again",
    );
  }
  const tensor = lt.tensor(values as Float32Array, { dtype, shape: dims });
  return known === undefined ? { tensor } : { tensor, known };
}

function attributeOf(m: Message, where: string): [string, Attribute] {
  const name = string(m, 1);
  const type = int(m, 20);
  const at = `${where} attribute "${name}"`;
  switch (type) {
    case 1:
      return [name, floats(m, 2)[0]];
    case 2:
      return [name, int(m, 3)];
    case 3:
      return [name, string(m, 4)];
    case 4:
      return [name, tensorOf(messages(m, 5)[0], at)];
    case 6:
      return [name, floats(m, 7)];
    case 7:
      return [name, ints(m, 8)];
    case 8:
      return [name, strings(m, 9)];
    default:
      throw new TypeError(
        `importOnnx(): ${at} has attribute type ${type}, which Lathe does not read ` +
          "(graphs, sparse tensors, type protos): simplify the exported model",
      );
  }
}

function valueInfo(m: Message): OnnxValueInfo {
  const name = string(m, 1);
  const tensorType = messages(messages(m, 2)[0] ?? new Map(), 1)[0];
  if (tensorType === undefined) return { name, shape: [] };
  const code = int(tensorType, 1);
  const dims = messages(messages(tensorType, 2)[0] ?? new Map(), 1).map((d) =>
    d.has(1) ? int(d, 1) : d.has(2) ? string(d, 2) : null
  );
  return { name, dtype: TYPES[code]?.dtype, shape: dims };
}

/**
 * Reads a ModelProto.
 * @param model the decoded top-level message
 * @returns its graph
 */
export function graphOf(model: Message): OnnxGraph {
  const graph = messages(model, 7)[0];
  if (graph === undefined) {
    throw new TypeError("importOnnx(): the file has no graph: pass the bytes of a .onnx model");
  }
  const opsets = messages(model, 8).filter((o) => ["", "ai.onnx"].includes(string(o, 1)));
  const opset = opsets.length === 0 ? 1 : int(opsets[0], 2);
  const initializers = new Map<string, Value>();
  for (const t of messages(graph, 5)) initializers.set(string(t, 8), tensorOf(t, "initializer"));
  const nodes = messages(graph, 1).map((n, i): OnnxNode => {
    const name = string(n, 3) || `#${i}`;
    const where = `node "${name}" (${string(n, 4)})`;
    return {
      name,
      opType: string(n, 4),
      domain: string(n, 7),
      inputs: strings(n, 1),
      outputs: strings(n, 2),
      attributes: Object.fromEntries(messages(n, 5).map((a) => attributeOf(a, where))),
    };
  });
  return {
    opset,
    nodes,
    initializers,
    inputs: messages(graph, 11).map(valueInfo).filter((v) => !initializers.has(v.name)),
    outputs: messages(graph, 12).map(valueInfo),
  };
}
