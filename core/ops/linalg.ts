/**
 * The `linalg` primitive: a dense decomposition or solve that is not an elementwise kernel. Each
 * routine is one row: its result rule and its host form (float64 loops over each matrix of the
 * batch, `_lapack.ts`); the Wasm and WGSL forms are deliberate gaps. The scheduler gives a
 * `linalg` node a kernel of its own (kind `host`) reading its operands as contiguous buffers.
 * Gradients are not rows here: the frontend (`core/linalg/`) wraps every node in `customVjp`
 * with the decomposition's reverse rule written in primitives (matmul, triangular solves), so
 * they can be differentiated again.
 * @module
 */
import type { DataArray, DType } from "../ir/dtype.ts";
import { Node } from "../ir/ir.ts";
import type { Shape } from "../ir/shape.ts";
import { type BatchRule, type Missing, missing } from "./primitive.ts";
import * as la from "./_lapack.ts";
import { cofactor } from "./_cofactor.ts";
import { symmetricEigen } from "./_eigen.ts";
import * as b from "./build.ts";

/** The routines of the `linalg` primitive. */
export type LinalgRoutine =
  | "solve"
  | "solveTriangular"
  | "cholesky"
  | "det"
  | "cofactor"
  | "slogdet"
  | "qr"
  | "eigh"
  | "svd"
  | "svdvals";

/** The parameters of a `linalg` node. */
export interface LinalgArgs {
  /** Which routine runs. */
  readonly routine: LinalgRoutine;
  /** The user-facing function, for error messages (`linalg.inv`). */
  readonly caller: string;
  /** solveTriangular: which triangle of the matrix is read. */
  readonly upper: boolean;
  /** solveTriangular: whether the diagonal is taken as ones. */
  readonly unit: boolean;
}

/** The host form: reads the operands (contiguous, dtype of the node) and fills `out`. */
type HostForm = (
  ins: readonly DataArray[],
  src: readonly Shape[],
  out: DataArray,
  arg: LinalgArgs,
) => void;

/** One routine's rules. */
interface LinalgRow {
  /** The result's shape from the operands' (validated by the frontend). */
  readonly shape: (src: readonly Shape[]) => Shape;
  readonly host: HostForm;
  readonly wasm: Missing;
  readonly wgsl: Missing;
  readonly batch: BatchRule;
}

const noWasm = missing("a decomposition is a sequential host routine, not a vector kernel");
const noWgsl = missing("no GPU form: linalg functions run on the cpu (the frontend says so)");
/**
 * The vmap rule of a routine: the mapped axis of each operand moves to the front (an unmapped
 * operand is broadcast along it), where the routine batches already; the result's is axis 0.
 */
function batchFront(routine: LinalgRoutine): BatchRule {
  return (src, dims, x) => {
    const at = dims.findIndex((d) => d !== undefined);
    const size = src[at].shape[dims[at]!];
    const moved = src.map((s, i) => {
      const d = dims[i];
      if (d === undefined) return b.expand(b.reshape(s, [1, ...s.shape]), [size, ...s.shape]);
      return b.permute(s, [d, ...[...s.shape.keys()].filter((k) => k !== d)]);
    });
    return [linalgNode(routine, moved, x.arg as LinalgArgs), 0];
  };
}

const lead = (s: Shape) => s.slice(0, -2);
const rows = (s: Shape) => s[s.length - 2];
const cols = (s: Shape) => s[s.length - 1];

/** Runs `f` on each matrix of the batch as float64 copies, writing its outputs into `out`. */
export function perMatrix(
  ins: readonly DataArray[],
  src: readonly Shape[],
  out: DataArray,
  f: (mats: Float64Array[], b: number) => readonly number[] | Float64Array,
): void {
  const sizes = src.map((s) => rows(s) * cols(s));
  const batch = sizes[0] === 0 ? 0 : ins[0].length / sizes[0];
  const per = batch === 0 ? 0 : out.length / batch;
  for (let b = 0; b < batch; b++) {
    const mats = ins.map((x, i) =>
      Float64Array.from(x.subarray(b * sizes[i], (b + 1) * sizes[i]) as ArrayLike<number>)
    );
    const result = f(mats, b);
    for (let i = 0; i < per; i++) out[b * per + i] = result[i];
  }
}

/** The SVD of an m×n matrix packed as U [m, k], S [k], Vh [k, n] with k = min(m, n). */
function packedSvd(a: Float64Array, m: number, n: number): Float64Array {
  const k = Math.min(m, n);
  const p = new Float64Array(m * k + k + k * n);
  la.jacobiSvd(a, m, n, p.subarray(0, m * k), p.subarray(m * k, m * k + k), p.subarray(m * k + k));
  return p;
}

function where(b: number, src: Shape): string {
  return lead(src).length === 0 ? "" : ` (matrix ${b} of the batch ${JSON.stringify(lead(src))})`;
}

/** The error for a singular matrix `b` of the batch (zero pivot `pivot`). */
export function singular(arg: LinalgArgs, b: number, src: Shape, pivot: number): RangeError {
  return new RangeError(
    `${arg.caller}() expected an invertible matrix: the input${where(b, src)} is singular ` +
      `(U[${pivot}, ${pivot}] = 0 in its LU factorization): check for repeated or zero ` +
      `rows, or use linalg.lstsq/linalg.pinv for a least-squares answer`,
  );
}

/** The error for a matrix `b` of the batch that is not positive-definite (pivot `bad`). */
export function notPositiveDefinite(
  arg: LinalgArgs,
  b: number,
  src: Shape,
  bad: number,
): RangeError {
  return new RangeError(
    `${arg.caller}() expected a symmetric positive-definite matrix: the input${
      where(b, src)
    } is not positive-definite (the leading minor of order ${bad + 1} is not positive, ` +
      `pivot ${bad}): add a small multiple of the identity (jitter) or check symmetry`,
  );
}

/** Every `linalg` routine. */
export const linalgRoutines: { readonly [K in LinalgRoutine]: LinalgRow } = {
  solve: {
    shape: ([, b]) => b,
    host: (ins, src, out, arg) =>
      perMatrix(ins, src, out, ([a, x], b) => {
        const n = rows(src[0]);
        const { piv, zero } = la.luInPlace(a, n);
        if (zero >= 0) throw singular(arg, b, src[0], zero);
        la.luSolveInPlace(a, piv, n, x, cols(src[1]));
        return x;
      }),
    wasm: noWasm,
    wgsl: noWgsl,
    batch: batchFront("solve"),
  },
  solveTriangular: {
    shape: ([, b]) => b,
    host: (ins, src, out, arg) =>
      perMatrix(ins, src, out, ([a, x]) => {
        la.triangularSolveInPlace(a, rows(src[0]), x, cols(src[1]), arg.upper, arg.unit);
        return x;
      }),
    wasm: noWasm,
    wgsl: noWgsl,
    batch: batchFront("solveTriangular"),
  },
  cholesky: {
    shape: ([a]) => a,
    host: (ins, src, out, arg) =>
      perMatrix(ins, src, out, ([a], b) => {
        const n = rows(src[0]);
        const l = new Float64Array(n * n);
        const bad = la.cholesky(a, n, l);
        if (bad >= 0) throw notPositiveDefinite(arg, b, src[0], bad);
        return l;
      }),
    wasm: noWasm,
    wgsl: noWgsl,
    batch: batchFront("cholesky"),
  },
  det: {
    shape: ([a]) => lead(a),
    host: (ins, src, out) =>
      perMatrix(ins, src, out, ([a]) => {
        const n = rows(src[0]);
        const { sign } = la.luInPlace(a, n);
        let det = sign;
        for (let i = 0; i < n; i++) det *= a[i * n + i];
        return [det];
      }),
    wasm: noWasm,
    wgsl: noWgsl,
    batch: batchFront("det"),
  },
  cofactor: {
    shape: ([a]) => a,
    host: (ins, src, out) => perMatrix(ins, src, out, ([a]) => cofactor(a, rows(src[0]))),
    wasm: noWasm,
    wgsl: noWgsl,
    batch: batchFront("cofactor"),
  },
  slogdet: {
    shape: ([a]) => [...lead(a), 2],
    host: (ins, src, out) =>
      perMatrix(ins, src, out, ([a]) => {
        const n = rows(src[0]);
        let { sign } = la.luInPlace(a, n);
        let log = 0;
        for (let i = 0; i < n; i++) {
          const d = a[i * n + i];
          if (d < 0) sign = -sign;
          log += Math.log(Math.abs(d));
        }
        return log === -Infinity ? [0, -Infinity] : [sign, log];
      }),
    wasm: noWasm,
    wgsl: noWgsl,
    batch: batchFront("slogdet"),
  },
  qr: {
    shape: ([a]) => {
      const [m, n] = [rows(a), cols(a)];
      const k = Math.min(m, n);
      return [...lead(a), m * k + k * n];
    },
    host: (ins, src, out) =>
      perMatrix(ins, src, out, ([a]) => {
        const [m, n] = [rows(src[0]), cols(src[0])];
        const k = Math.min(m, n);
        const packed = new Float64Array(m * k + k * n);
        la.householderQr(a, m, n, packed.subarray(0, m * k), packed.subarray(m * k));
        return packed;
      }),
    wasm: noWasm,
    wgsl: noWgsl,
    batch: batchFront("qr"),
  },
  eigh: {
    shape: ([a]) => [...lead(a), rows(a) + rows(a) * rows(a)],
    host: (ins, src, out) =>
      perMatrix(ins, src, out, ([a]) => {
        const n = rows(src[0]);
        const packed = new Float64Array(n + n * n);
        symmetricEigen(a, n, packed.subarray(0, n), packed.subarray(n));
        return packed;
      }),
    wasm: noWasm,
    wgsl: noWgsl,
    batch: batchFront("eigh"),
  },
  svd: {
    shape: ([a]) => {
      const [m, n] = [rows(a), cols(a)];
      const k = Math.min(m, n);
      return [...lead(a), m * k + k + k * n];
    },
    host: (ins, src, out) =>
      perMatrix(ins, src, out, ([a]) => {
        const [m, n] = [rows(src[0]), cols(src[0])];
        return packedSvd(a, m, n);
      }),
    wasm: noWasm,
    wgsl: noWgsl,
    batch: batchFront("svd"),
  },
  svdvals: {
    shape: ([a]) => [...lead(a), Math.min(rows(a), cols(a))],
    host: (ins, src, out) =>
      perMatrix(ins, src, out, ([a]) => {
        const [m, n] = [rows(src[0]), cols(src[0])];
        const k = Math.min(m, n);
        return packedSvd(a, m, n).subarray(m * k, m * k + k);
      }),
    wasm: noWasm,
    wgsl: noWgsl,
    batch: batchFront("svdvals"),
  },
};

/** Makes a `linalg` node (operands validated, of one float dtype, batch axes equal). */
export function linalgNode(
  routine: LinalgRoutine,
  src: readonly Node[],
  options: { caller: string; upper?: boolean; unit?: boolean },
): Node {
  const arg: LinalgArgs = {
    routine,
    caller: options.caller,
    upper: options.upper ?? false,
    unit: options.unit ?? false,
  };
  const dtype: DType = src[0].dtype;
  return Node.make(
    "linalg",
    dtype,
    linalgRoutines[routine].shape(src.map((s) => s.shape)),
    src,
    arg,
  );
}

/** Runs a `linalg` node's host form on its operands' buffers. */
export function runLinalg(
  arg: LinalgArgs,
  ins: readonly DataArray[],
  src: readonly Shape[],
  out: DataArray,
): void {
  linalgRoutines[arg.routine].host(ins, src, out, arg);
}
