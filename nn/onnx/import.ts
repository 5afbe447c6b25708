/**
 * Running ONNX models (e.g. from `torch.onnx.export`) for inference: the
 * protobuf is decoded by a small wire reader (see `_proto.ts` for why), each
 * node maps to Lathe ops through one table (`_ops.ts`), and the whole graph
 * runs under `jit` (traced once per input shape, then replayed as fused
 * kernels) on the CPU or WebGPU.
 * @module
 */
import * as lt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { decodeMessage } from "./_proto.ts";
import { graphOf, type OnnxGraph, type OnnxValueInfo, type Value } from "./_graph.ts";
import { onnxOps } from "./_ops.ts";
import { foldBatchNorms } from "./_fold.ts";

export type { OnnxValueInfo } from "./_graph.ts";

/** An imported model. */
export interface OnnxModel {
  /** The inputs `run` expects, by name (integer types map to int32). */
  readonly inputs: readonly OnnxValueInfo[];
  /** The outputs `run` returns. */
  readonly outputs: readonly OnnxValueInfo[];
  /** The default domain's opset version. */
  readonly opset: number;
  /** The operators the graph uses, sorted. */
  readonly operators: readonly string[];
  /**
   * Runs the graph.
   * @param inputs a tensor per graph input, by name
   * @returns a tensor per graph output, by name
   */
  run(inputs: Readonly<Record<string, Tensor>>): Record<string, Tensor>;
}

/** Options of `importOnnx`. */
export interface ImportOnnxOptions {
  /** Run under `jit` (default true); false runs op by op (for debugging). */
  jit?: boolean;
  /**
   * Fold each inference BatchNormalization into the Conv before it, once at
   * import (default true): the pair runs as one convolution.
   */
  foldBatchNorm?: boolean;
}

function checkSupported(graph: OnnxGraph): void {
  const missing = graph.nodes.filter((n) =>
    !Object.hasOwn(onnxOps, n.opType) || !["", "ai.onnx"].includes(n.domain)
  );
  if (missing.length === 0) return;
  const listed = missing.map((n) =>
    `${n.domain ? `${n.domain}.` : ""}${n.opType} (node "${n.name}")`
  );
  throw new TypeError(
    `importOnnx() cannot run ${missing.length} node(s) of this model: ${listed.join(", ")}: ` +
      `Lathe maps ${Object.keys(onnxOps).sort().join(", ")}: ` +
      "export the model without these operators, or run it with onnxruntime",
  );
}

function describe(info: OnnxValueInfo): string {
  return `${info.name} ${info.dtype ?? "?"} [${info.shape.map((d) => d ?? "?").join(", ")}]`;
}

function checkInput(info: OnnxValueInfo, t: unknown): Tensor {
  if (!(t instanceof lt.Tensor)) {
    throw new TypeError(
      `OnnxModel.run() expected a tensor for input "${info.name}" (${describe(info)}): found ${
        t === undefined ? "nothing" : typeof t
      }: pass { ${info.name}: tensor }`,
    );
  }
  const bad = t.ndim !== info.shape.length ||
    info.shape.some((d, i) => typeof d === "number" && d > 0 && d !== t.shape[i]);
  if (info.shape.length > 0 && bad) {
    throw new RangeError(
      `OnnxModel.run() expected input "${info.name}" of shape [${
        info.shape.map((d) => d ?? "?").join(", ")
      }]: found [${t.shape.join(", ")}]`,
    );
  }
  if (info.dtype !== undefined && t.dtype !== info.dtype) {
    throw new TypeError(
      `OnnxModel.run() expected input "${info.name}" as ${info.dtype}: found ${t.dtype}: ` +
        `cast it with .astype("${info.dtype}")`,
    );
  }
  return t;
}

function interpret(
  graph: OnnxGraph,
  weights: ReadonlyMap<string, Value>,
  feeds: Readonly<Record<string, Tensor>>,
): Record<string, Tensor> {
  const env = new Map<string, Value>(weights);
  const device = Object.values(feeds).find((t) => t instanceof lt.Tensor)?.device ?? "cpu";
  const unknown = Object.keys(feeds).filter((k) => !graph.inputs.some((i) => i.name === k));
  if (unknown.length > 0) {
    throw new TypeError(
      `OnnxModel.run() got inputs the model does not have: ${unknown.join(", ")}: ` +
        `expected ${graph.inputs.map(describe).join("; ")}`,
    );
  }
  for (const info of graph.inputs) {
    env.set(info.name, { tensor: checkInput(info, feeds[info.name]) });
  }
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((name) => {
      if (name === "") return undefined;
      const v = env.get(name);
      if (v === undefined) {
        throw new TypeError(
          `importOnnx(): node "${node.name}" (${node.opType}) reads "${name}", which no earlier node ` +
            "makes: the graph is not in topological order or is corrupt: export it again",
        );
      }
      return v;
    });
    let outputs: Value[];
    try {
      outputs = onnxOps[node.opType](inputs, { node, opset: graph.opset });
    } catch (e) {
      if (!(e instanceof Error) || e.message.startsWith("importOnnx(): node")) throw e;
      const Kind = e instanceof RangeError ? RangeError : TypeError;
      throw new Kind(
        `OnnxModel.run() failed at node "${node.name}" (${node.opType}): ${e.message}`,
      );
    }
    node.outputs.forEach((name, i) => {
      const v = outputs[i];
      if (name === "" || v === undefined) return;
      // constants made by a node (Constant, Shape) start on the cpu
      env.set(name, v.tensor.device === device ? v : { ...v, tensor: v.tensor.to(device) });
    });
  }
  return Object.fromEntries(graph.outputs.map((o) => [o.name, env.get(o.name)!.tensor]));
}

/**
 * Imports an ONNX model for inference. Every operator is checked first: the
 * error for unsupported ones lists them all, with their node names.
 * @param bytes the `.onnx` file (weights inside, not external data)
 * @param options `jit` (default true)
 * @returns the model: its inputs, outputs, and `run`
 */
export function importOnnx(
  bytes: Uint8Array | ArrayBuffer,
  options: ImportOnnxOptions = {},
): OnnxModel {
  for (const k of Object.keys(options)) {
    if (k !== "jit" && k !== "foldBatchNorm") {
      throw new TypeError(
        `importOnnx() got an unknown option "${k}": expected one of jit, foldBatchNorm`,
      );
    }
  }
  const all = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const decoded = graphOf(decodeMessage(all));
  checkSupported(decoded);
  const graph = options.foldBatchNorm === false ? decoded : foldBatchNorms(decoded);
  // the weights, copied once to each device the model runs on
  const placed = new Map<lt.Device, ReadonlyMap<string, Value>>([["cpu", graph.initializers]]);
  const weightsFor = (feeds: Readonly<Record<string, Tensor>>) => {
    const dev = Object.values(feeds).find((t) => t instanceof lt.Tensor)?.device ?? "cpu";
    let weights = placed.get(dev);
    if (weights === undefined) {
      weights = new Map(
        [...graph.initializers].map(([k, v]) => [k, { ...v, tensor: v.tensor.to(dev) }]),
      );
      placed.set(dev, weights);
    }
    return weights;
  };
  const direct = (feeds: Readonly<Record<string, Tensor>>) =>
    interpret(graph, weightsFor(feeds), feeds);
  const jitted = lt.jit(direct);
  return {
    inputs: graph.inputs,
    outputs: graph.outputs,
    opset: graph.opset,
    operators: [...new Set(decoded.nodes.map((n) => n.opType))].sort(),
    run: options.jit === false ? direct : (feeds) => {
      for (const info of graph.inputs) checkInput(info, feeds[info.name]);
      weightsFor(feeds); // place the weights outside the trace
      return jitted(feeds);
    },
  };
}
