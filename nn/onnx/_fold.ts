/**
 * Folds each inference BatchNormalization into the Conv before it, at
 * import: `bn(conv(x, w, b)) = conv(x, w·s, b·s + t)` per output channel with
 * `s = γ / √(var + eps)` and `t = β − mean·s` (what onnxruntime's graph
 * optimiser does), computed once in float64 from the initializers. A pair
 * folds when the Conv's weight, its bias (if any) and the four statistics are
 * initializers and the Conv's output feeds only the BatchNormalization (and
 * is no graph output); the Conv then writes the BatchNormalization's output.
 * @module
 */
import * as lt from "../../mod.ts";
import type { OnnxGraph, OnnxNode, Value } from "./_graph.ts";

function values(v: Value): Float64Array {
  return Float64Array.from(v.tensor.dataSync() as ArrayLike<number>);
}

/** The folded weight and bias of a Conv → BatchNormalization pair, or undefined. */
function foldPair(
  conv: OnnxNode,
  bn: OnnxNode,
  init: ReadonlyMap<string, Value>,
): [Value, Value] | undefined {
  const w = init.get(conv.inputs[1]);
  const b = conv.inputs[2] ? init.get(conv.inputs[2]) : undefined;
  const stats = bn.inputs.slice(1, 5).map((name) => init.get(name));
  if (w === undefined || (conv.inputs[2] && b === undefined) || stats.some((s) => !s)) return;
  const dtype = w.tensor.dtype;
  if (dtype !== "float32" && dtype !== "float64") return;
  const channels = w.tensor.shape[0];
  const [gamma, beta, mean, variance] = stats.map((s) => values(s!));
  if ([gamma, beta, mean, variance].some((s) => s.length !== channels)) return;
  const raw = bn.attributes.epsilon;
  const eps = typeof raw === "number" ? raw : 1e-5;
  const weight = values(w);
  const bias = b === undefined ? new Float64Array(channels) : values(b);
  const per = weight.length / channels;
  for (let o = 0; o < channels; o++) {
    const s = gamma[o] / Math.sqrt(variance[o] + eps);
    for (let i = 0; i < per; i++) weight[o * per + i] *= s;
    bias[o] = (bias[o] - mean[o]) * s + beta[o];
  }
  const make = (data: Float64Array, shape: readonly number[]) => ({
    tensor: lt.tensor(dtype === "float32" ? Float32Array.from(data) : data, { shape, dtype }),
  });
  return [make(weight, w.tensor.shape), make(bias, [channels])];
}

/**
 * The graph with every foldable Conv → BatchNormalization pair as one Conv.
 * @param graph the decoded graph
 * @returns the folded graph (the same object when nothing folds)
 */
export function foldBatchNorms(graph: OnnxGraph): OnnxGraph {
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of graph.outputs) readers.set(o.name, (readers.get(o.name) ?? 0) + 1);
  const producer = new Map<string, OnnxNode>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const initializers = new Map(graph.initializers);
  const replaced = new Map<OnnxNode, OnnxNode | undefined>();
  for (const bn of graph.nodes) {
    if (bn.opType !== "BatchNormalization" || bn.domain !== "") continue;
    if (bn.attributes.training_mode || bn.outputs.filter((o) => o).length !== 1) continue;
    const conv = producer.get(bn.inputs[0]);
    if (conv?.opType !== "Conv" || conv.domain !== "" || replaced.has(conv)) continue;
    if (readers.get(bn.inputs[0]) !== 1) continue;
    const folded = foldPair(conv, bn, initializers);
    if (folded === undefined) continue;
    const base = `${conv.name || conv.outputs[0]}.folded`;
    initializers.set(`${base}.weight`, folded[0]);
    initializers.set(`${base}.bias`, folded[1]);
    replaced.set(conv, {
      ...conv,
      inputs: [conv.inputs[0], `${base}.weight`, `${base}.bias`],
      outputs: bn.outputs,
    });
    replaced.set(bn, undefined);
  }
  if (replaced.size === 0) return graph;
  const nodes = graph.nodes.flatMap((n) => {
    if (!replaced.has(n)) return [n];
    const r = replaced.get(n);
    return r === undefined ? [] : [r];
  });
  // the unfolded weights and statistics nothing reads any more
  const read = new Set([...nodes.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.name)]);
  for (const name of [...initializers.keys()]) if (!read.has(name)) initializers.delete(name);
  return { ...graph, nodes, initializers };
}
