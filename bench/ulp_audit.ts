/**
 * Accuracy audit of the Wasm tier's float32 math routines: every float32 of
 * each routine's input range (or every `--stride`th bit pattern) through the
 * real kernels, against the float64 function rounded once to float32. Prints
 * the worst distance in float32 ulps per routine, where it was, and how many
 * inputs broke the bound the routine's module doc states.
 *
 * `deno run -A bench/ulp_audit.ts [--stride N] [--only erf,exp] [--range lo,hi]
 * [--list N] [--tier js]`
 * (stride 1 is exhaustive: about 2^31 inputs per routine over both signs,
 * minutes each). Results of the last full run are in docs/accuracy.md.
 * @module
 */
import * as lt from "../mod.ts";
import { erf as erf64, pow as powC } from "../core/ops/_scalar.ts";
import { digamma, erfc, erfinv, lgamma } from "../core/ops/_special_math.ts";

const bits = new Float32Array(1);
const ints = new Int32Array(bits.buffer);

/** The bit pattern of a non-negative float32. */
function pattern(v: number): number {
  bits[0] = v;
  return ints[0];
}

/** The spacing of float32s at |v| (normal v). */
function ulpOf(v: number): number {
  return 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);
}

/** Distance in float32 ulps (0 for two NaNs; the distance across 0 counts ±0 as one point). */
export function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) {
    return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  }
  const ord = (v: number) => {
    bits[0] = v;
    return ints[0] < 0 ? -(ints[0] & 0x7fffffff) : ints[0];
  };
  return Math.abs(ord(a) - ord(b));
}

/** One routine to audit. */
interface Routine {
  name: string;
  /** The bound its doc states, in ulps. */
  bound: number;
  /** The Wasm kernel under test. */
  op: (x: lt.Tensor) => lt.Tensor;
  /** The float64 reference (of the input and its index in the chunk). */
  ref: (x: number, i: number) => number;
  /** [lo, hi) magnitudes swept (both signs unless `positive`). */
  range: [number, number];
  positive?: boolean;
  /** Results below this magnitude may differ by up to it (flushed subnormals). */
  floor?: number;
  /**
   * Errors of results below this magnitude count in ulps of it (absolute), as the routine's test
   * measures them (lgamma and digamma near their zeros, erfc's subnormal tail).
   */
  abs?: number;
  fma?: boolean;
  /** Sweeps every `stride`·`--stride`th input (pow: its pairs are not exhaustive anyway). */
  stride?: number;
}

/** exp(x - max(0, 0)): the shifted exp softmax uses, one value per row. */
function shifted(x: lt.Tensor): lt.Tensor {
  const n = x.shape[0];
  return x.reshape([n, 1]).sub(
    lt.zeros([n, 2]).max({ axis: 1, keepdims: true }),
  )
    .exp().reshape([n]);
}

/** x·Φ(x) in float64. */
function gelu64(x: number): number {
  return 0.5 * x * (1 + erf64(x * Math.SQRT1_2));
}

/** pow's exponent for the i-th input of a chunk: 0.004-spaced in [-8, 8], integers among them. */
function exponent(i: number): number {
  return Math.fround(((i * 7919) % 4001) / 250 - 8);
}

/** x^exponent(i) on the Wasm tier. */
function powChunk(x: lt.Tensor): lt.Tensor {
  const b = Float32Array.from({ length: x.shape[0] }, (_, i) => exponent(i));
  return x.pow(lt.tensor(b));
}

const routines: Routine[] = [
  { name: "exp", bound: 1, op: lt.exp, ref: Math.exp, range: [0, 104] },
  {
    name: "log",
    bound: 1,
    op: lt.log,
    ref: Math.log,
    range: [0, Infinity],
    positive: true,
  },
  { name: "expm1", bound: 2, op: lt.expm1, ref: Math.expm1, range: [0, 89] },
  {
    name: "log1p",
    bound: 2,
    op: lt.log1p,
    ref: Math.log1p,
    range: [0, Infinity],
  },
  { name: "tanh", bound: 2, op: lt.tanh, ref: Math.tanh, range: [0, 10] },
  { name: "erf", bound: 2, op: lt.erf, ref: erf64, range: [0, 4.5] },
  { name: "sin", bound: 1, op: lt.sin, ref: Math.sin, range: [0, 1e6] },
  { name: "cos", bound: 1, op: lt.cos, ref: Math.cos, range: [0, 1e6] },
  ...[true, false].map((fma): Routine => ({
    name: `expShifted (fma ${fma})`,
    bound: 2,
    op: shifted,
    ref: Math.exp,
    range: [0, 88.376],
    floor: 2 ** -126,
    fma,
  })),
  {
    name: "pow",
    bound: 1,
    op: powChunk,
    ref: (x, i) => powC(x, exponent(i)),
    range: [0, Infinity],
    stride: 16,
  },
  // the special functions (jit/codegen/wasm/_special.ts) with their test's bounds
  // (tests/wasm_special_test.ts, in float32 eps: at most the ulps counted here)
  { name: "sinh", bound: 8, op: lt.sinh, ref: Math.sinh, range: [0, 90] },
  { name: "cosh", bound: 8, op: lt.cosh, ref: Math.cosh, range: [0, 90] },
  {
    name: "asinh",
    bound: 4,
    op: lt.asinh,
    ref: Math.asinh,
    range: [0, Infinity],
  },
  {
    name: "acosh",
    bound: 4,
    op: lt.acosh,
    ref: Math.acosh,
    range: [1, Infinity],
    positive: true,
  },
  {
    name: "log2",
    bound: 4,
    op: lt.log2,
    ref: Math.log2,
    range: [0, Infinity],
    positive: true,
    abs: 1e-6,
  },
  {
    name: "log10",
    bound: 4,
    op: lt.log10,
    ref: Math.log10,
    range: [0, Infinity],
    positive: true,
    abs: 1e-6,
  },
  {
    name: "erfc",
    bound: 64,
    op: lt.erfc,
    ref: erfc,
    range: [0, 11],
    abs: 1.2e-38,
  },
  { name: "erfinv", bound: 4, op: lt.erfinv, ref: erfinv, range: [0, 1] },
  {
    name: "lgamma",
    bound: 32,
    op: lt.lgamma,
    ref: lgamma,
    range: [0, 1e6],
    abs: 1,
  },
  {
    name: "digamma",
    bound: 24,
    op: lt.digamma,
    ref: digamma,
    range: [0, 1e6],
    abs: 1,
  },
  // gelu has no stated bound (1 + erf(x/√2) cancels for x below about -1):
  // its measured worst is reported for x >= -1 (`gelu-` sweeps -x)
  {
    name: "gelu+",
    bound: Infinity,
    op: lt.gelu,
    ref: gelu64,
    range: [0, 10],
    positive: true,
  },
  {
    name: "gelu-",
    bound: Infinity,
    op: (x) => lt.gelu(x.neg()),
    ref: (x) => gelu64(-x),
    range: [0, 1],
    positive: true,
  },
  {
    name: "sigmoid",
    // 3 eps stated (docs/memory.md): 4 whole ulps on 22 float32s near -16.74
    bound: 4,
    op: lt.sigmoid,
    ref: (x) => 1 / (1 + Math.exp(-x)),
    range: [0, 104],
    floor: 2 ** -126,
  },
];

const CHUNK = 1 << 20;
/** The CPU tier audited (`--tier js`: the JavaScript reference tier). */
let tier: "wasm" | "js" = "wasm";

/** Sweeps one routine; returns [worst ulps, at x, count over the bound, inputs]. */
function audit(
  r: Routine,
  strideAll: number,
  listed = 0,
): [number, number, number, number] {
  const stride = strideAll * (r.stride ?? 1);
  lt.setCpuBackend(tier, { fma: r.fma ?? true });
  const lo = pattern(r.range[0]);
  const hi = r.range[1] === Infinity ? 0x7f800000 : pattern(r.range[1]);
  const signs = r.positive ? [1] : [1, -1];
  let worst = 0;
  let at = NaN;
  let over = 0;
  let count = 0;
  const x = new Float32Array(CHUNK);
  const xi = new Int32Array(x.buffer);
  for (let start = lo; start < hi; start += CHUNK * stride) {
    const n = Math.min(CHUNK, Math.ceil((hi - start) / stride));
    for (let i = 0; i < n; i++) xi[i] = start + i * stride;
    for (const sign of signs) {
      const xs = x.slice(0, n);
      if (sign < 0) { for (let i = 0; i < n; i++) xs[i] = -xs[i]; }
      const got = r.op(lt.tensor(xs)).dataSync();
      for (let i = 0; i < n; i++) {
        const want = Math.fround(r.ref(xs[i], i));
        if (r.floor && Math.abs(want) < r.floor && Math.abs(got[i]) < r.floor) {
          continue;
        }
        const u = r.abs && Math.abs(want) < r.abs
          ? Math.abs(got[i] - want) / ulpOf(r.abs)
          : ulps(got[i], want);
        if (u > r.bound && over++ < listed) console.log(`  ${xs[i]}: ${u} ulp`);
        if (u > worst) [worst, at] = [u, xs[i]];
      }
      count += n;
    }
  }
  lt.setCpuBackend("wasm");
  return [worst, at, over, count];
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i < 0 ? undefined : Deno.args[i + 1];
  };
  const stride = Number(arg("--stride") ?? 1);
  tier = arg("--tier") === "js" ? "js" : "wasm";
  const only = arg("--only")?.split(",");
  const range = arg("--range")?.split(",").map(Number) as [number, number];
  console.log(
    `| routine | bound | stride | worst ulp | at x | over bound | inputs |`,
  );
  console.log(`|---|---:|---:|---:|---:|---:|---:|`);
  for (const r of routines) {
    if (only && !only.some((o) => r.name.split(/[ +-]/)[0] === o)) continue;
    const t0 = performance.now();
    const [worst, at, over, count] = audit(
      range ? { ...r, range } : r,
      stride,
      Number(arg("--list") ?? 0),
    );
    const s = ((performance.now() - t0) / 1000).toFixed(0);
    console.log(
      `| ${r.name} | ${r.bound === Infinity ? "none" : r.bound} | ${
        stride * (r.stride ?? 1)
      } | ${worst} | ${at} | ${over} | ${count} (${s} s) |`,
    );
  }
}
