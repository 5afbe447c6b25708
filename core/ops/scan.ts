/**
 * Running sums, products and log-sum-exps of the last axis, the one way
 * `cumsum`, `cumprod` and `logCumSumExp` are built: the `cumulative`
 * primitive (one pass per row on the CPU, O(n); ⌈log₂ n⌉ Hillis-Steele
 * passes in WGSL); where WGSL's scan has no form (int32 products), each
 * prefix is a masked reduction, O(n²) per row, fused into one kernel. The
 * gradients are scans too, so O(n): a reverse
 * running sum for `sum`; for `logaddexp`, softmax weights summed in log
 * space by sign (no `exp(-out)` overflows); a product is the linear
 * recurrence `h_i = x_i · h_(i-1)`, whose gradient is the reverse recurrence
 * `r_j = ct_j + x_(j+1) · r_(j+1)` times `h_(j-1)`: no division, so exact at
 * zeros and differentiable again.
 * @module
 */
import type { Node } from "../ir/ir.ts";
import type { DType } from "../ir/dtype.ts";
import type { OpArgs } from "./registry.ts";
import * as b from "./build.ts";

/** The `cumulative` primitive's operation. */
export type ScanOp = OpArgs["cumulative"]["op"];

/** What a running scan combines with: `cumsum`, `cumprod`, `logCumSumExp`. */
export type ScanKind = "sum" | "prod" | "logaddexp";

const last = (x: Node) => x.shape.length - 1;

function full(x: Node, value: number, dtype: DType = x.dtype): Node {
  return b.constant(value, dtype, x.shape, x.device);
}

/** The positions of the last axis, int32, broadcast to `x`'s shape. */
function positions(x: Node): Node {
  const n = x.shape[last(x)];
  const ones = x.shape.slice(0, -1).map(() => 1);
  return b.expand(b.reshape(b.iota(n, x.device), [...ones, n]), x.shape);
}

/**
 * `x`'s running `op` along its last axis: the primitive on the CPU, and on WebGPU for float32
 * (and for sums of any dtype); masked prefixes where WGSL's scan has no form (int32 products).
 */
export function cumulativeLast(x: Node, op: ScanKind): Node {
  if (x.device === "cpu" || op === "sum" || x.dtype === "float32") {
    return op === "prod" ? cumprodLinear(x) : b.cumulative(x, op);
  }
  const n = x.shape[last(x)];
  const lead = x.shape.slice(0, -1);
  const grid = [...lead, n, n]; // [..., i, j]: element j of the prefix of i
  const at = (shape: number[]) =>
    b.expand(b.reshape(b.iota(n, x.device), [...lead.map(() => 1), ...shape]), grid);
  const xj = b.expand(b.reshape(x, [...lead, 1, n]), grid);
  // j <= i is j < i + 1
  const inside = b.alu("cmplt", at([1, n]), b.alu("add", at([n, 1]), full(xj, 1, "int32")));
  const fill = op === "prod" ? 1 : -Infinity;
  const masked = b.alu("where", inside, xj, full(xj, fill));
  const j = lead.length + 1;
  if (op === "prod") return b.reduce("reduceProd", masked, [j]);
  // log Σ exp(x_j - m) + m, m the prefix's maximum (0 where infinite: -inf or inf comes out)
  const max = b.reduce("reduceMax", masked, [j]);
  const m = b.alu(
    "where",
    b.alu("cmpeq", b.alu("abs", max), full(max, Infinity)),
    full(max, 0),
    max,
  );
  const shift = b.expand(b.reshape(m, [...lead, n, 1]), grid);
  const sum = b.reduce("reduceSum", b.alu("exp", b.alu("add", masked, b.alu("neg", shift))), [j]);
  return b.alu("add", b.alu("log", sum), m);
}

/** The reverse running `op` (from the end of each row). */
function reversed(x: Node, op: "sum" | "logaddexp"): Node {
  return b.flip(cumulativeLast(b.flip(x, [last(x)]), op), [last(x)]);
}

/** `x` shifted along the last axis: `out_j = x_(j-by)`, 0 where that is outside. */
function shifted(x: Node, by: 1 | -1): Node {
  const n = x.shape[last(x)];
  if (n === 0) return x;
  const zeros = x.shape.map(() => 0);
  const edge = x.shape.map((_, d) => (d === last(x) ? 1 : 0));
  if (by === 1) return b.slice(b.pad(x, edge, zeros, 0), zeros, zeros.map(() => 1), x.shape);
  const start = edge;
  const inner = x.shape.map((e, d) => (d === last(x) ? n - 1 : e));
  return b.pad(b.slice(x, start, zeros.map(() => 1), inner), zeros, edge, 0);
}

/** `(a_i, b_i)` pairs along a new last axis: the `linear` scan's input. */
function pairs(a: Node, c: Node): Node {
  const shape = [...a.shape, 1];
  const zeros = shape.map(() => 0);
  const edge = shape.map((_, d) => (d === shape.length - 1 ? 1 : 0));
  return b.alu(
    "add",
    b.pad(b.reshape(a, shape), zeros, edge, 0),
    b.pad(b.reshape(c, shape), edge, zeros, 0),
  );
}

/** `h_i = a_i · h_(i-1) + c_i` along the last axis (`h_(-1) = 0`), reversed: from the end. */
function linear(a: Node, c: Node, reverse = false): Node {
  if (!reverse) return b.cumulative(pairs(a, c), "linear");
  const flip = (x: Node) => b.flip(x, [last(x)]);
  return flip(linear(flip(a), flip(c)));
}

/** cumprod as a linear recurrence: `h_i = x_i · h_(i-1)` with `h_0 = x_0`. */
function cumprodLinear(x: Node): Node {
  const first = b.alu("cmpeq", positions(x), full(x, 0, "int32"));
  return linear(x, b.alu("where", first, x, full(x, 0)));
}

/**
 * The cotangent of `x` for `out = cumulative(x, op)` (the primitive's VJP).
 * @param ct the output's cotangent
 * @param x the input
 * @param out the output
 * @param op the combining operation
 */
export function cumulativeVjp(ct: Node, x: Node, out: Node, op: ScanOp): Node {
  // d out_i / d x_j = [j <= i] · ∂(x_0 ⊕ … ⊕ x_i)/∂x_j
  if (op === "sum") return reversed(ct, "sum");
  if (op === "logaddexp") {
    // Σ_{i≥j} ct_i e^(x_j - out_i) = e^(x_j) (e^(lse(log ct⁺ - out)) - e^(lse(log ct⁻ - out)))
    // NOTE: log and -out are taken on guarded values so that -inf never meets -inf (a NaN in
    // e^(y - out) of the second derivative): log of the positive terms only, and an all -inf
    // prefix (out = -inf, whose terms are all 0) shifted by 0
    const negOut = b.alu(
      "where",
      b.alu("cmpeq", out, full(out, -Infinity)),
      full(out, 0),
      b.alu("neg", out),
    );
    const part = (sign: number) => {
      const w = b.alu("mul", ct, full(ct, sign));
      const positive = b.alu("cmplt", full(w, 0), w);
      const log = b.alu("log", b.alu("where", positive, w, full(w, 1)));
      const logs = b.alu("add", b.alu("where", positive, log, full(w, -Infinity)), negOut);
      return b.alu("exp", b.alu("add", x, reversed(logs, "logaddexp")));
    };
    return b.alu("add", part(1), b.alu("neg", part(-1)));
  }
  // linear: r_j = ct_j + a_(j+1) r_(j+1) (the reverse recurrence); dc_j = r_j, da_j = r_j h_(j-1)
  const n = x.shape.length - 1;
  const column = (k: number) => {
    const start = x.shape.map((_, d) => (d === n ? k : 0));
    const part = b.slice(x, start, x.shape.map(() => 1), [...out.shape, 1]);
    return b.reshape(part, out.shape);
  };
  const r = linear(shifted(column(0), -1), ct, true);
  return pairs(b.alu("mul", r, shifted(out, 1)), r);
}
