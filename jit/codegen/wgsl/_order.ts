/**
 * WGSL forms of the two kernels that are not one value per output element,
 * read by `codegen_wgsl.ts`:
 *
 * - `scatter`: zeros, then an invocation per update adds its value at its
 *   target with an atomic add: `atomicAdd` for int32, a compare-exchange
 *   loop on the bits for float32 (WGSL has no float atomics), bool as an
 *   atomic or. float16 sums in an f32 scratch buffer and rounds to half once
 *   at the end (there are no 16-bit atomics). Repeated targets accumulate;
 *   the order of float adds is the GPU's, so sums may differ from the CPU's
 *   in the last bits.
 * - `sort`: a stable merge sort of each row's positions, ⌈log₂ n⌉ passes of
 *   an invocation per element: each finds its place in the merged pair of
 *   runs by a binary search in the other run (at most 32 loop iterations,
 *   well below lavapipe's limit). NaN is the largest value and ties keep
 *   their order, as the CPU kernel and torch's stable sort.
 * @module
 */
import { sizeOf } from "../../../core/ir/shape.ts";
import type { DType } from "../../../core/ir/dtype.ts";
import type { Kernel } from "../../kernel.ts";
import type { WgslPass, WgslPlan, WgslRef } from "./mod.ts";
import { grid, Renderer, Scope, wgslStorage, wgslStore, wgslType } from "./_render.ts";

const WG = 64;

/** The first lines of a pass's `main` over `size` invocations, `p` the flat index. */
export function head(size: number): { lines: string[]; groups: [number, number, number] } {
  const groups = grid(Math.ceil(size / WG));
  const lines = [
    `@compute @workgroup_size(${WG})`,
    "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {",
    `  let p = (i32(wid.y) * ${groups[0]} + i32(wid.x)) * ${WG} + i32(lid);`,
    `  if (p >= ${size}) { return; }`,
  ];
  return { lines, groups };
}

/** A pass of hand-written WGSL (`more`: its constants, index checks, iterations). */
export function pass(
  source: string,
  groups: WgslPass["workgroups"],
  write: WgslRef,
  reads: WgslRef[],
  more: Partial<WgslPass> = {},
): WgslPass {
  return {
    source: /\bf16\b/.test(source) ? `enable f16;\n${source}` : source,
    constants: new Uint32Array(0),
    workgroups: groups,
    reads,
    write,
    checksIndex: false,
    iterations: 0,
    ...more,
  };
}

/** A pass of a Renderer's reads (virtual inputs: the kernel's, then scratch buffers). */
function rendered(
  k: Kernel,
  r: Renderer,
  out: Parameters<Renderer["declarations"]>[0],
  main: string[],
  groups: WgslPass["workgroups"],
  write: WgslRef,
): WgslPass {
  const n = k.inputs.length;
  const reads = r.reads.map((i): WgslRef =>
    i < n ? { kind: "input", index: i } : { kind: "scratch", index: i - n }
  );
  const source = [...r.declarations(out), ...main].join("\n") + "\n";
  return pass(source, groups, write, reads, {
    constants: Uint32Array.from(r.constants),
    checksIndex: r.checksIndex,
    iterations: r.iterations,
  });
}

/**
 * A scatter kernel: zeros, then each update (the kernel's loops run over the
 * updates) added at its target with an atomic add.
 * @param k a kernel of kind `scatter`
 * @returns its passes and the scratch buffer of a float16 sum
 */
export function renderScatter(k: Kernel): WgslPlan {
  const size = sizeOf(k.shape);
  if (size === 0) return { passes: [], scratch: [] };
  const half = k.dtype === "float16";
  const sum: WgslRef = half ? { kind: "scratch", index: 0 } : { kind: "output" };
  const zero = head(size);
  const passes = [
    pass(
      [
        "@group(0) @binding(0) var<storage, read_write> lt_out: array<u32>;",
        ...zero.lines,
        "  lt_out[p] = 0u;", // the bits of 0.0 and 0
        "}",
      ].join("\n") + "\n",
      zero.groups,
      sum,
      [],
    ),
  ];
  const updates = k.loops.reduce((m, l) => m * l.extent, 1);
  if (updates > 0) {
    const r = new Renderer();
    const root = new Scope();
    r.unflatten(k.loops, "p", root);
    const v = r.value(k.body, root);
    const at = r.index(k.scatter!.target, root);
    const t = wgslType(k.dtype);
    const add = k.dtype === "bool"
      ? [`atomicOr(&lt_out[${at}], ${v});`]
      : t === "i32"
      ? [`atomicAdd(&lt_out[${at}], ${v});`]
      : [
        // NOTE: a weak exchange may fail spuriously; each retry re-reads the value it lost to
        `var old = atomicLoad(&lt_out[${at}]);`,
        "loop {",
        `  let r = atomicCompareExchangeWeak(&lt_out[${at}], old, bitcast<u32>(bitcast<f32>(old) + ${v}));`,
        "  if (r.exchanged) { break; }",
        "  old = r.old_value;",
        "}",
      ];
    const { lines, groups } = head(updates);
    const main = [...lines, ...[...root.lines, ...add].map((l) => `  ${l}`), "}"];
    passes.push(rendered(k, r, t === "i32" ? "atomic<i32>" : "atomic<u32>", main, groups, sum));
  }
  if (half) {
    const r = new Renderer();
    const { lines, groups } = head(size);
    const v = r.load(k.inputs.length, "float32", "p");
    const main = [...lines, `  lt_out[p] = ${wgslStore(v, "f16")};`, "}"];
    passes.push(rendered(k, r, "f16", main, groups, { kind: "output" }));
  }
  return { passes, scratch: half ? [{ size, type: "f32" }] : [] };
}

/** `a` strictly before `b` in the sort order (NaN largest; descending: NaN first). */
function beforeFn(dtype: DType, descending: boolean): string {
  const t = wgslType(dtype);
  const [lo, hi] = descending ? ["b", "a"] : ["a", "b"];
  const nan = t === "f32" ? ` || (lt_isnan(${hi}) && !lt_isnan(${lo}))` : "";
  return `fn lt_before(a: ${t}, b: ${t}) -> bool { return ${lo} < ${hi}${nan}; }`;
}

/**
 * A sort kernel: the stable sorting permutation of each row (the last axis)
 * of input 0, merged from runs of 1, 2, 4, … positions; the passes alternate
 * between a scratch buffer and the output so that the last writes the output.
 * @param k a kernel of kind `sort`
 * @returns its passes and their scratch buffer
 */
export function renderSort(k: Kernel): WgslPlan {
  const size = sizeOf(k.shape);
  const n = k.shape[k.shape.length - 1] ?? 1;
  if (size === 0) return { passes: [], scratch: [] };
  const { lines, groups } = head(size);
  if (n < 2) {
    const source = [
      "@group(0) @binding(0) var<storage, read_write> lt_out: array<i32>;",
      ...lines,
      "  lt_out[p] = 0;",
      "}",
    ];
    return {
      passes: [pass(source.join("\n") + "\n", groups, { kind: "output" }, [])],
      scratch: [],
    };
  }
  const keys = k.inputs[0].dtype;
  const t = wgslType(keys);
  const stored = wgslStorage(keys);
  const steps = Math.ceil(Math.log2(n));
  const passes: WgslPass[] = [];
  let prev: WgslRef | undefined;
  for (let s = 0; s < steps; s++) {
    const write: WgslRef = (steps - 1 - s) % 2 === 0 ? { kind: "output" } : {
      kind: "scratch",
      index: 0,
    };
    const first = prev === undefined;
    const at = (j: string) => (first ? j : `lt_prev[row + ${j}]`);
    const source = [
      "@group(0) @binding(0) var<storage, read_write> lt_out: array<i32>;",
      `@group(0) @binding(1) var<storage, read> lt_keys: array<${stored}>;`,
      ...(first ? [] : [
        "@group(0) @binding(2) var<storage, read> lt_prev: array<i32>;",
        "@group(0) @binding(3) var<storage, read> lt_c: array<u32>;",
      ]),
      "fn lt_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }",
      beforeFn(keys, k.sort!.descending),
      ...lines,
      `  let row = (p / ${n}) * ${n};`,
      `  let i = p % ${n};`,
      `  let w = ${first ? "1" : "i32(lt_c[0])"};`, // the runs' length
      "  let start = (i / (2 * w)) * (2 * w);",
      `  let mid = min(start + w, ${n});`,
      `  let end = min(start + 2 * w, ${n});`,
      "  let left = i < mid;",
      `  let e = ${at("i")};`,
      `  let x = ${t}(lt_keys[row + e]);`,
      // a left element goes after the right run's elements before it; a right one after the
      // left run's elements not after it (ties: left first, so the sort is stable)
      "  var lo = select(start, mid, left);",
      "  var hi = select(mid, end, left);",
      "  let origin = lo;",
      "  for (var it = 0; it < 32 && lo < hi; it++) {",
      "    let m = (lo + hi) / 2;",
      `    let y = ${t}(lt_keys[row + ${at("m")}]);`,
      "    if (select(!lt_before(x, y), lt_before(y, x), left)) { lo = m + 1; } else { hi = m; }",
      "  }",
      "  lt_out[row + start + (i - select(mid, start, left)) + (lo - origin)] = e;",
      "}",
    ].join("\n") + "\n";
    const reads: WgslRef[] = first ? [{ kind: "input", index: 0 }] : [
      { kind: "input", index: 0 },
      prev!,
    ];
    const constants = first ? new Uint32Array(0) : Uint32Array.of(2 ** s);
    passes.push(pass(source, groups, write, reads, { constants, iterations: steps + 1 }));
    prev = write;
  }
  return { passes, scratch: steps > 1 ? [{ size, type: "i32" }] : [] };
}
