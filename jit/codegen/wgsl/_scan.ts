/**
 * A WGSL running scan of each row (the last axis): `sum` and `logaddexp`
 * give `out[i] = x[0] ⊕ … ⊕ x[i]`; `linear` reads pairs `(a_i, b_i)` (a last
 * axis of 2) and gives `out_i = a_i · out_(i-1) + b_i` with `out_(-1) = 0`
 * (cumprod, and gradients of products with no division). Hillis–Steele:
 * ⌈log₂ n⌉ passes with an invocation per element, pass s combining each
 * element with the one 2^s before it, so no invocation loops (lavapipe's
 * limit) and the work is O(n log n). Partial results stay in f32 (float16 is
 * rounded once, at the end); sums are added in a tree order, not the CPU's
 * left-to-right one, so float results may differ in the last bits.
 * @module
 */
import type { DType } from "../../../core/ir/dtype.ts";
import type { WgslPass, WgslPlan, WgslRef } from "./mod.ts";
import { wgslStorage, wgslStore, wgslType } from "./_render.ts";
import { head, pass } from "./_order.ts";
import { HelperSet } from "../../../core/ops/_wgsl_helpers.ts";

/** The combining operation of a row scan. */
export type WgslScanOp = "sum" | "logaddexp" | "linear";

/**
 * The passes of a row scan of input 0 (`rows × n` values, or `rows × n`
 * pairs for `linear`) into the output (`rows × n` values of `dtype`).
 * @param rows how many rows
 * @param n the row length
 * @param dtype the input's and the output's dtype
 * @param op the combining operation
 * @returns the passes and their scratch buffers
 */
export function renderScan(rows: number, n: number, dtype: DType, op: WgslScanOp): WgslPlan {
  const size = rows * n;
  if (size === 0) return { passes: [], scratch: [] };
  const t = wgslType(dtype);
  if (t !== "f32" && op !== "sum") {
    throw new TypeError(`WebGPU ${op} scans need float values: found ${dtype}`);
  }
  const width = op === "linear" ? 2 : 1; // values per element in the scratch buffers
  const { lines, groups } = head(size);
  const steps = Math.max(1, Math.ceil(Math.log2(n)));
  const scratch = Array.from(
    { length: Math.min(2, steps - 1) },
    () => ({ size: size * width, type: t }),
  );
  const passes: WgslPass[] = [];
  let prev: WgslRef = { kind: "input", index: 0 };
  for (let s = 0; s < steps; s++) {
    const last = s === steps - 1;
    const write: WgslRef = last ? { kind: "output" } : { kind: "scratch", index: s % 2 };
    const from = s === 0 ? wgslStorage(dtype) : t; // the input's storage, then the scratch's
    const source = [
      `@group(0) @binding(0) var<storage, read_write> lt_out: array<${
        last ? wgslStorage(dtype) : t
      }>;`,
      `@group(0) @binding(1) var<storage, read> lt_x: array<${from}>;`,
      "@group(0) @binding(2) var<storage, read> lt_c: array<u32>;",
      ...combine(op, t),
      ...lines,
      "  let d = i32(lt_c[0]);",
      `  let i = p % ${n};`,
      ...load(op, t, "v", "p"),
      ...(n === 1 && s === 0 ? [] : [
        "  if (i >= d) {",
        ...load(op, t, "u", "p - d").map((l) => `  ${l}`),
        "    v = lt_combine(u, v);",
        "  }",
      ]),
      ...(last
        ? [`  lt_out[p] = ${wgslStore(op === "linear" ? "v.y" : "v", wgslStorage(dtype))};`]
        : store(op)),
      "}",
    ].join("\n") + "\n";
    // n = 1: one pass copies (d = 1 leaves every element alone)
    const constants = Uint32Array.of(2 ** s);
    passes.push(pass(source, groups, write, [prev], { constants }));
    prev = write;
  }
  return { passes, scratch };
}

/** `lt_combine(earlier, later)`: the scan's associative operation. */
function combine(op: WgslScanOp, t: string): string[] {
  switch (op) {
    case "sum":
      return [`fn lt_combine(a: ${t}, b: ${t}) -> ${t} { return a + b; }`];
    case "logaddexp": {
      // max + log1p(e^-|a - b|); equal values (infinities too) add log 2
      const h = new HelperSet();
      const [isnan, nan, log1p] = [h.use("lt_isnan"), h.use("lt_nan"), h.use("lt_log1p")];
      return [
        h.source(),
        "fn lt_combine(a: f32, b: f32) -> f32 {",
        `  if (${isnan}(a) || ${isnan}(b)) { return ${nan}(); }`,
        "  if (a == b) { return a + 0.6931472; }",
        `  return max(a, b) + ${log1p}(exp(-abs(a - b)));`,
        "}",
      ];
    }
    case "linear":
      // (a1, b1) then (a2, b2): x -> a2 (a1 x + b1) + b2
      return [
        "fn lt_combine(p: vec2<f32>, q: vec2<f32>) -> vec2<f32> { return vec2<f32>(p.x * q.x, q.x * p.y + q.y); }",
      ];
  }
}

/** Binds `name` (a `var`) to element `at` of `lt_x`. */
function load(op: WgslScanOp, t: string, name: string, at: string): string[] {
  if (op === "linear") {
    return [`  var ${name} = vec2<f32>(f32(lt_x[2 * (${at})]), f32(lt_x[2 * (${at}) + 1]));`];
  }
  return [`  var ${name}: ${t} = ${t}(lt_x[${at}]);`];
}

function store(op: WgslScanOp): string[] {
  return op === "linear"
    ? ["  lt_out[2 * p] = v.x;", "  lt_out[2 * p + 1] = v.y;"]
    : ["  lt_out[p] = v;"];
}
