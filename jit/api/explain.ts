/**
 * `explain`: shows the pending graph of tensors and the fused kernels it will
 * become (with their generated source), without running anything.
 * @module
 */
import type { Tensor } from "../../core/tensor.ts";
import { isRealized, type Node, pendingNodes } from "../../core/ir/ir.ts";
import { schedule } from "../schedule.ts";
import { renderJs } from "../codegen/js.ts";
import { stagedKernels } from "./jit.ts";
import { kernelWasm } from "../runtime/cpu/kernels.ts";
import { disassemble } from "../codegen/wasm/_disasm.ts";
import { backendOf } from "../realize.ts";
import type { Kernel } from "../kernel.ts";

/** One kernel as `explain` reports it. */
export interface KernelReport {
  /** `loop` (elementwise / reduction), `matmul` (with an epilogue), `host` (a linalg routine), `scatter` (adds at indices), `sort` (argsort rows) `scan` (running sums, products, log-sum-exps of rows) or `attention` (flash attention, no scores written). */
  readonly kind: "loop" | "matmul" | "host" | "scatter" | "sort" | "scan" | "attention";
  /** The primitives fused into it, in graph order. */
  readonly ops: readonly string[];
  /** Output shape. */
  readonly shape: readonly number[];
  /** Output dtype. */
  readonly dtype: string;
  /** How many buffers it reads. */
  readonly inputs: number;
  /**
   * What runs it: on the CPU `wasm` (SIMD), `js` (the reference) or `blas`
   * (a large matmul in the native BLAS library, its epilogue as a loop
   * kernel); else the device (`webgpu`).
   */
  readonly backend: "wasm" | "js" | "blas" | "webgpu";
  /** Threads it runs on: more than 1 for a big Wasm kernel split over worker threads. */
  readonly threads: number;
  /**
   * The code that runs: for `wasm`, a WAT-like listing of the module; else
   * the generated JavaScript (for `blas`, of the whole kernel; on the GPU,
   * the reference that WGSL is tested against).
   */
  readonly source: string;
  /** The generated JavaScript (the reference every tier is tested against). */
  readonly jsSource: string;
}

/** What `explain` returns: the graph, the kernels, and a readable text. */
export interface Explanation {
  /** The pending graph, one line per node. */
  readonly graph: readonly string[];
  /** The kernels realization will run, in order. */
  readonly kernels: readonly KernelReport[];
  /** The whole report as text. */
  toString(): string;
}

function describe(node: Node, name: (n: Node) => string): string {
  const args = node.src.map(name).join(", ");
  const arg = node.arg === undefined ? "" : ` ${JSON.stringify(node.arg)}`;
  return `${name(node)} = ${node.op}(${args})${arg} : ${node.dtype}[${node.shape.join(", ")}]`;
}

/**
 * Explains how tensors will be computed: their pending IR and the fused
 * kernels (nothing is run).
 * @param tensors the tensors to explain
 * @returns the graph, the kernels and a printable text
 * @example A 5-op chain is one kernel
 * ```ts
 * import { explain, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = tensor([1, -2, 3]);
 * const y = x.mul(2).add(1).sigmoid().mul(x.relu()).sub(x.mul(0.5));
 * assertEquals(explain(y).kernels.length, 1);
 * ```
 */
export function explain(...tensors: Tensor[]): Explanation;
/** Explains the program a (jitted) function becomes for these arguments: forward, backward and updates. */
export function explain(f: (...args: any[]) => unknown, ...args: unknown[]): Explanation;
export function explain(first: unknown, ...rest: unknown[]): Explanation {
  if (typeof first === "function") {
    return explainKernels([], stagedKernels(first as (...a: any[]) => any, rest));
  }
  const roots = [first, ...rest].map((t) => (t as Tensor).node);
  const ids = new Map<Node, string>();
  const name = (n: Node) => {
    let id = ids.get(n);
    if (id === undefined) {
      id = `%${ids.size}`;
      ids.set(n, id);
    }
    return id;
  };
  // a computed root is listed once, as a buffer (pendingNodes lists roots even when computed)
  const pending = pendingNodes(roots).filter((n) => !isRealized(n));
  const inputs = new Set(pending.flatMap((n) => n.src.filter((s) => s.buffer !== undefined)));
  for (const r of roots) if (isRealized(r)) inputs.add(r);
  const graph = [...inputs, ...pending].map((n) => describe(n, name));
  return explainKernels(graph, schedule(roots));
}

function explainKernels(graph: readonly string[], scheduled: readonly Kernel[]): Explanation {
  const kernels = scheduled.map((k): KernelReport => {
    const { tier, threads } = backendOf(k.output.device).place(k);
    const jsSource = renderJs(k).source;
    const wasm = k.output.device === "cpu" ? kernelWasm(k) : undefined;
    return {
      kind: k.kind,
      ops: k.fused.map((n) => n.op),
      shape: [...k.shape],
      dtype: k.dtype,
      inputs: k.inputs.length,
      backend: tier,
      threads,
      source: wasm === undefined ? jsSource : disassemble(wasm),
      jsSource,
    };
  });
  const text = [
    ...(graph.length > 0 ? [`graph (${graph.length} node${graph.length === 1 ? "" : "s"}):`] : []),
    ...graph.map((g) => `  ${g}`),
    `kernels (${kernels.length}):`,
    ...kernels.map((k, i) =>
      `  #${i} ${k.kind} ${k.backend}${k.threads > 1 ? ` ×${k.threads}` : ""} ${k.dtype}[${
        k.shape.join(", ")
      }] <- ${k.inputs} buffer(s): ${k.ops.join(" → ") || "copy"}`
    ),
  ].join("\n");
  return { graph, kernels, toString: () => text };
}
