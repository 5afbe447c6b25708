/**
 * The native tier of the `linalg` host routines: where the BLAS tier's library is open (Deno with
 * `--allow-ffi` granted; see `blas.ts`) and exports LAPACK's Fortran symbols (OpenBLAS
 * does), `solve` (dgesv), `cholesky` (dpotrf), `det`/`slogdet` (dgetrf), `eigh` (dsyevd) and
 * `svd`/`svdvals` (dgesdd) run there in float64 on column-major copies; the other routines, and
 * every routine without the library, run the JavaScript forms (`core/ops/linalg.ts`), against
 * which `tests/lapack_test.ts` checks this tier. Errors are the same as the JavaScript forms'.
 * @module
 */
import type { DataArray } from "../../../core/ir/dtype.ts";
import type { Shape } from "../../../core/ir/shape.ts";
import {
  type LinalgArgs,
  notPositiveDefinite,
  perMatrix,
  singular,
} from "../../../core/ops/linalg.ts";
import { blasLibrary } from "./blas.ts";

type Fn = (...args: (DataArray | Uint8Array | number | bigint)[]) => void;

interface Lapack {
  readonly handle: unknown;
  readonly dgesv: Fn;
  readonly dpotrf: Fn;
  readonly dgetrf: Fn;
  readonly dsyevd: Fn;
  readonly dgesdd: Fn;
}

/** The structural slice of `Deno` this module uses. */
interface DenoFfi {
  dlopen?(
    path: string,
    symbols: Record<string, { parameters: string[]; result: string }>,
  ): { symbols: Record<string, Fn> };
}

// Fortran: every argument by reference; a CHARACTER argument adds a hidden length at the end
const P = "buffer";
const SYMBOLS = {
  dgesv_: [P, P, P, P, P, P, P, P],
  dpotrf_: [P, P, P, P, P, "usize"],
  dgetrf_: [P, P, P, P, P, P],
  dsyevd_: [P, P, P, P, P, P, P, P, P, P, P, "usize", "usize"],
  dgesdd_: [P, P, P, P, P, P, P, P, P, P, P, P, P, P, "usize"],
};

function open(): Lapack | undefined {
  const path = blasLibrary();
  const deno = (globalThis as { Deno?: DenoFfi }).Deno;
  if (path === undefined || typeof deno?.dlopen !== "function") return undefined;
  try {
    const described = Object.fromEntries(
      Object.entries(SYMBOLS).map(([name, parameters]) => [name, { parameters, result: "void" }]),
    );
    // the handle stays referenced: a collected one closes the library under its symbols
    const handle = deno.dlopen(path, described);
    const s = handle.symbols;
    return {
      handle,
      dgesv: s.dgesv_,
      dpotrf: s.dpotrf_,
      dgetrf: s.dgetrf_,
      dsyevd: s.dsyevd_,
      dgesdd: s.dgesdd_,
    };
  } catch {
    return undefined; // a BLAS without LAPACK (cblas only, Accelerate's other names)
  }
}

let lapack: Lapack | undefined | null = null;

/** LAPACK's routines in the BLAS library, if it has them (opened on first use). */
export function lapackLibrary(): Lapack | undefined {
  if (lapack === null) lapack = open();
  return lapack;
}

/** The routines with a LAPACK form here. */
const NATIVE: ReadonlySet<string> = new Set([
  "solve",
  "cholesky",
  "det",
  "slogdet",
  "eigh",
  "svd",
  "svdvals",
]);

/** Whether a routine runs in LAPACK (the library is open and the routine has a form here). */
export function runsInLapack(arg: LinalgArgs): boolean {
  return NATIVE.has(arg.routine) && lapackLibrary() !== undefined;
}

// NOTE: every array handed to LAPACK has its own ArrayBuffer: V8 keeps typed arrays of up to 64
// bytes made by `new Float64Array(n)` or `.of()` inside its heap, where a collection can move them,
// and passing those as FFI buffers crashed (flakily) under --expose-gc
const f64 = (n: number) => new Float64Array(new ArrayBuffer(8 * n));
const i32 = (n: number) => new Int32Array(new ArrayBuffer(4 * n));
const int = (v: number) => i32(1).fill(v);
const char = (c: string) => new Uint8Array(new ArrayBuffer(1)).fill(c.charCodeAt(0));

/** Row-major `rows × cols` to a column-major copy (and back: swap the extents). */
function transpose(x: Float64Array, rows: number, cols: number): Float64Array {
  const t = f64(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[i + j * rows] = x[i * cols + j];
  return t;
}

function internal(routine: string, info: number): Error {
  return new Error(`LAPACK ${routine} failed (info ${info}) (internal error)`);
}

/** LU in place (column-major), with the first exactly zero pivot (-1: none) and the permutation's sign. */
function getrf(L: Lapack, a: Float64Array, n: number): { zero: number; sign: number } {
  const piv = i32(n);
  const info = int(0);
  L.dgetrf(int(n), int(n), a, int(n), piv, info);
  if (info[0] < 0) throw internal("dgetrf", info[0]);
  let sign = 1;
  for (let i = 0; i < n; i++) if (piv[i] !== i + 1) sign = -sign;
  return { zero: info[0] - 1, sign };
}

/**
 * Runs a `linalg` node in LAPACK.
 * @returns false where the routine has no LAPACK form here or no library is open
 */
export function lapackHost(
  arg: LinalgArgs,
  ins: readonly DataArray[],
  src: readonly Shape[],
  out: DataArray,
): boolean {
  const L = lapackLibrary();
  if (L === undefined || !NATIVE.has(arg.routine)) return false;
  const [m, n] = src[0].slice(-2);
  const k = Math.min(m, n);
  switch (arg.routine) {
    case "solve": {
      const r = src[1][src[1].length - 1];
      perMatrix(ins, src, out, ([a, b], i) => {
        const ca = transpose(a, n, n);
        const cb = transpose(b, n, r);
        const info = int(0);
        L.dgesv(int(n), int(r), ca, int(n), i32(n), cb, int(n), info);
        if (info[0] > 0) throw singular(arg, i, src[0], info[0] - 1);
        if (info[0] < 0) throw internal("dgesv", info[0]);
        return transpose(cb, r, n);
      });
      return true;
    }
    case "cholesky":
      perMatrix(ins, src, out, ([a], i) => {
        const ca = transpose(a, n, n);
        const info = int(0);
        L.dpotrf(char("L"), int(n), ca, int(n), info, 1n);
        if (info[0] > 0) throw notPositiveDefinite(arg, i, src[0], info[0] - 1);
        if (info[0] < 0) throw internal("dpotrf", info[0]);
        const l = transpose(ca, n, n);
        for (let row = 0; row < n; row++) l.fill(0, row * n + row + 1, (row + 1) * n);
        return l;
      });
      return true;
    case "det":
    case "slogdet":
      perMatrix(ins, src, out, ([a]) => {
        const ca = transpose(a, n, n);
        let { sign } = getrf(L, ca, n);
        if (arg.routine === "det") {
          for (let i = 0; i < n; i++) sign *= ca[i + i * n];
          return [sign];
        }
        let log = 0;
        for (let i = 0; i < n; i++) {
          const d = ca[i + i * n];
          if (d < 0) sign = -sign;
          log += Math.log(Math.abs(d));
        }
        return log === -Infinity ? [0, -Infinity] : [sign, log];
      });
      return true;
    case "eigh":
      perMatrix(ins, src, out, ([a]) => {
        const ca = transpose(a, n, n);
        const w = f64(n);
        const info = int(0);
        const query = f64(1);
        const iquery = int(0);
        const call = (work: Float64Array, lwork: number, iwork: Int32Array, liwork: number) =>
          L.dsyevd(
            char("V"),
            char("L"),
            int(n),
            ca,
            int(n),
            w,
            work,
            int(lwork),
            iwork,
            int(liwork),
            info,
            1n,
            1n,
          );
        call(query, -1, iquery, -1);
        call(
          f64(Math.max(1, query[0])),
          Math.max(1, query[0]),
          i32(Math.max(1, iquery[0])),
          Math.max(1, iquery[0]),
        );
        if (info[0] !== 0) throw internal("dsyevd", info[0]);
        const packed = f64(n + n * n);
        packed.set(w);
        packed.set(transpose(ca, n, n), n);
        return packed;
      });
      return true;
    case "svd":
    case "svdvals": {
      const vectors = arg.routine === "svd";
      perMatrix(ins, src, out, ([a]) => {
        const ca = transpose(a, m, n);
        const s = f64(k);
        const u = f64(vectors ? m * k : 1);
        const vt = f64(vectors ? k * n : 1);
        const iwork = i32(8 * k);
        const info = int(0);
        const job = char(vectors ? "S" : "N");
        const [ldu, ldvt] = vectors ? [m, k] : [1, 1];
        const call = (work: Float64Array, lwork: number) =>
          L.dgesdd(
            job,
            int(m),
            int(n),
            ca,
            int(m),
            s,
            u,
            int(ldu),
            vt,
            int(ldvt),
            work,
            int(lwork),
            iwork,
            info,
            1n,
          );
        const query = f64(1);
        call(query, -1);
        call(f64(Math.max(1, query[0])), Math.max(1, query[0]));
        if (info[0] !== 0) throw internal("dgesdd", info[0]);
        if (!vectors) return s;
        const packed = f64(m * k + k + k * n);
        packed.set(transpose(u, k, m), 0); // column-major m×k read as k×m, transposed back
        packed.set(s, m * k);
        packed.set(transpose(vt, n, k), m * k + k);
        return packed;
      });
      return true;
    }
    default:
      return false;
  }
}
