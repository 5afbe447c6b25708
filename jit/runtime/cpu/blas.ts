/**
 * The optional native tier of the CPU backend: large float32 / float64
 * matmul kernels call the system BLAS (`cblas_sgemm` / `cblas_dgemm`)
 * through FFI, directly on the operands' memory. Only where the runtime
 * already allows it (Deno with `--allow-ffi`: the permission is queried,
 * never requested; Bun's `bun:ffi`, which needs none) and a BLAS library opens (OpenBLAS, ATLAS's cblas,
 * Accelerate); otherwise nothing changes. An operand qualifies when its
 * matrix is row-major or a plain transpose (`CblasTrans`); batch dims loop
 * over pointer offsets (broadcasts too). The kernel's epilogue then runs as
 * a loop kernel reading the product ({@linkcode epilogueKernel}).
 * `LATHE_BLAS=off` disables the tier, `LATHE_BLAS=/path/lib.so` picks the
 * library (read only if env access is granted).
 * @module
 */
import type { DataArray, DType } from "../../../core/ir/dtype.ts";
import { Node } from "../../../core/ir/ir.ts";
import {
  iadd,
  type IExpr,
  imul,
  type Kernel,
  type StridedOperand,
  type VExpr,
} from "../../kernel.ts";
import { mapValues, readsOf } from "../../_vexpr_map.ts";
import { envVar, pinOpenBlasCore } from "../_env.ts";

/** Libraries tried in order (the first that opens and has both symbols wins). */
const LIBRARIES = [
  "libopenblas.so.0",
  "libopenblas.so",
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "libcblas.so.3",
  "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
  "/usr/local/opt/openblas/lib/libopenblas.dylib",
  "/System/Library/Frameworks/Accelerate.framework/Accelerate",
];

/**
 * Multiply-adds per product (m·n·k) from which BLAS runs it: measured with
 * OpenBLAS 0.3.21 on 2 Zen 5 cores, Wasm ties at 16³–24³ and BLAS is about
 * 2.5× faster from 32³ on (3× at 256³, 5× at 1024³).
 */
export const BLAS_MIN_WORK = 1 << 15;

/**
 * Multiply-adds per call from which OpenBLAS may use its own threads; below
 * it a call runs on one. OpenBLAS's threads spin while they wait, so on 2
 * cores shared with Lathe's Wasm workers (a CNN's im2col and pooling kernels)
 * threaded products were slower, in interleaved runs on a loaded machine:
 * 64·1568·64 took 0.15 ms alone and 2–6 ms threaded, and the demo CNN's
 * second convolution at batch 64 (32·144·12544) 2.3–6.2 ms alone and
 * 11.7–13.0 ms threaded. From 2^26 (406³) on, threads are left on.
 */
export const BLAS_THREADED_WORK = 1 << 26;

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

type Gemm = (...args: (number | DataArray)[]) => void;

interface Library {
  readonly path: string;
  readonly sgemm: Gemm;
  readonly dgemm: Gemm;
  /** OpenBLAS's thread count setter and its default count, where the library has them. */
  readonly threads?: { readonly set: Gemm; readonly count: number };
  /** The open library, kept referenced for as long as its symbols are called. */
  readonly library: unknown;
}

/** The structural slice of `Deno` this module uses (the npm build's declarations need no Deno types). */
interface DenoFfi {
  permissions: { querySync(d: { name: string }): { state: string } };
  dlopen?(
    path: string,
    symbols: Record<string, { parameters: string[]; result: string }>,
  ): { symbols: Record<string, Gemm> };
}

/** The structural slice of `bun:ffi` this module uses. */
interface BunFfi {
  dlopen(
    path: string,
    symbols: Record<string, { args: string[]; returns: string }>,
  ): { symbols: Record<string, Gemm> };
}

/** Opens a library's two gemm symbols (throws where it is missing or lacks them). */
type Loader = (
  path: string,
) => Omit<Library, "path">;

/**
 * A loader from a runtime's `dlopen`, its symbol description for a
 * parameter list, and its name for a pointer parameter.
 */
function loader<S>(
  dlopen: (path: string, symbols: Record<string, S>) => { symbols: Record<string, Gemm> },
  symbol: (parameters: string[], result?: string) => S,
  pointer: string,
): Loader {
  // cblas_?gemm: order, transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc
  const i = "i32";
  const gemm = (scalar: string) =>
    symbol([i, i, i, i, i, i, scalar, pointer, i, pointer, i, scalar, pointer, i]);
  return (path) => {
    const lib = dlopen(path, { cblas_sgemm: gemm("f32"), cblas_dgemm: gemm("f64") });
    let threads: Library["threads"];
    try {
      const t = dlopen(path, {
        openblas_set_num_threads: symbol([i]),
        openblas_get_num_threads: symbol([], i),
      });
      const count = Number(t.symbols.openblas_get_num_threads());
      threads = { set: t.symbols.openblas_set_num_threads, count };
      // NOTE: kept referenced like `lib`
      return {
        sgemm: lib.symbols.cblas_sgemm,
        dgemm: lib.symbols.cblas_dgemm,
        threads,
        library: [lib, t],
      };
    } catch {
      // not OpenBLAS: its own threading
    }
    // NOTE: the library stays referenced: a collected handle closes it under its symbols (a crash)
    return { sgemm: lib.symbols.cblas_sgemm, dgemm: lib.symbols.cblas_dgemm, library: lib };
  };
}

/** Deno: only where `--allow-ffi` was already granted (queried, never requested). */
function denoLoader(): Loader | undefined {
  const deno = (globalThis as { Deno?: DenoFfi }).Deno;
  if (deno === undefined || typeof deno.dlopen !== "function") return undefined;
  if (deno.permissions.querySync({ name: "ffi" }).state !== "granted") return undefined;
  return loader(
    deno.dlopen.bind(deno),
    (parameters, result = "void") => ({ parameters, result }),
    "buffer",
  );
}

/** Bun: `bun:ffi` needs no permission (typed arrays pass as pointers, offsets included). */
function bunLoader(): Loader | undefined {
  if ((globalThis as { Bun?: unknown }).Bun === undefined) return undefined;
  const require = (import.meta as { require?: (id: string) => unknown }).require;
  if (typeof require !== "function") return undefined;
  const ffi = require("bun:ffi") as BunFfi;
  return loader(
    ffi.dlopen.bind(ffi),
    (args, returns = "void") => ({ args, returns }),
    "ptr",
  );
}

/** Opens the first BLAS library that loads, where the runtime allows FFI (`LATHE_BLAS` picks one, or "off"). */
function open(): Library | undefined {
  try {
    const load = denoLoader() ?? bunLoader();
    const env = envVar("LATHE_BLAS");
    if (load === undefined || env === "off" || env === "0") return undefined;
    pinOpenBlasCore();
    for (const path of env ? [env] : LIBRARIES) {
      try {
        return { path, ...load(path) };
      } catch {
        // not there: try the next one
      }
    }
  } catch {
    // no FFI here
  }
  return undefined;
}

let library: Library | undefined | null = null;

function loaded(): Library | undefined {
  if (library === null) library = open();
  return library;
}

/**
 * The BLAS library the CPU backend calls for large matmuls, if any (opened
 * on first use; `undefined` without FFI permission or a library).
 * @returns its path as opened
 * @example Which path large matmuls take
 * ```ts
 * import { blasLibrary, cpuBackend, explain, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = tensor(new Float32Array(64 * 64), { shape: [64, 64] });
 * const tier = explain(x.matmul(x)).kernels[0].backend;
 * // on the Wasm tier (the default; LATHE_CPU=js picks the reference)
 * if (cpuBackend() === "wasm") assertEquals(tier, blasLibrary() === undefined ? "wasm" : "blas");
 * ```
 */
export function blasLibrary(): string | undefined {
  return loaded()?.path;
}

/** `C = alpha · op(A) · op(B) + beta · C`, row-major, `op` a transpose where `ta`/`tb` say so. */
export type RowGemm = (
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: DataArray,
  lda: number,
  b: DataArray,
  ldb: number,
  beta: number,
  c: DataArray,
  ldc: number,
) => void;

/**
 * The library's gemm for `dtype` (one thread while `run` runs), or `undefined` without BLAS.
 * @param dtype float32 or float64
 * @param run the work that calls the gemm
 * @returns whether it ran (false: no BLAS here)
 */
export function withGemm(dtype: DType, run: (gemm: RowGemm) => void): boolean {
  const lib = loaded();
  if (lib === undefined || (dtype !== "float32" && dtype !== "float64")) return false;
  const g = dtype === "float32" ? lib.sgemm : lib.dgemm;
  const t = (x: boolean) => (x ? TRANS : NO_TRANS);
  const alone = lib.threads !== undefined && lib.threads.count > 1;
  if (alone) lib.threads!.set(1);
  try {
    run((ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) =>
      g(ROW_MAJOR, t(ta), t(tb), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    );
  } finally {
    if (alone) lib.threads!.set(lib.threads!.count);
  }
  return true;
}

/** One operand of a BLAS call: where its matrices start, transposed or not, and their leading dimension. */
interface Side {
  readonly input: number;
  readonly offset: number;
  readonly batch: readonly number[];
  readonly trans: boolean;
  readonly ld: number;
}

/** How a matmul kernel runs in BLAS. */
export interface BlasPlan {
  readonly gemm: Gemm;
  readonly dtype: "float32" | "float64";
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Batch extents (outermost first); the output is contiguous. */
  readonly batch: readonly number[];
  readonly a: Side;
  readonly b: Side;
  /** OpenBLAS's thread setter, if the library is OpenBLAS. */
  readonly threads?: Library["threads"];
}

/** A rows×cols matrix of an operand as BLAS sees it, or undefined for other strides. */
function side(o: StridedOperand, nb: number, rows: number, cols: number): Side | undefined {
  const [sr, sc] = [o.strides[nb], o.strides[nb + 1]];
  const batch = o.strides.slice(0, nb);
  if (o.offset < 0 || batch.some((s) => s < 0 || !Number.isInteger(s))) return undefined;
  const base = { input: o.input, offset: o.offset, batch };
  // row-major: unit stride along a row, rows ld ≥ cols apart (a single row or column is either)
  if ((cols === 1 || sc === 1) && (rows === 1 || sr >= cols)) {
    return { ...base, trans: false, ld: rows === 1 ? cols : sr };
  }
  if ((rows === 1 || sr === 1) && (cols === 1 || sc >= rows)) {
    return { ...base, trans: true, ld: cols === 1 ? rows : sc };
  }
  return undefined;
}

/** The dtypes `acc` takes in an expression. */
function accTypes(e: VExpr): Set<DType> {
  const out = new Set<DType>();
  mapValues(e, (x) => {
    if (x.k === "acc") out.add(x.dtype);
    return undefined;
  });
  return out;
}

/**
 * How a kernel runs in BLAS, or undefined: not a matmul, not float32/float64,
 * too small, strides BLAS cannot take, or no library.
 * @param kernel a scheduled kernel
 * @returns the plan
 */
export function blasPlan(kernel: Kernel): BlasPlan | undefined {
  const mm = kernel.matmul;
  if (kernel.kind !== "matmul" || mm === undefined) return undefined;
  const nb = kernel.loops.length - 2;
  const [m, n, k] = [kernel.loops[nb].extent, kernel.loops[nb + 1].extent, mm.k];
  if (m * n * k < BLAS_MIN_WORK || m === 0 || n === 0) return undefined;
  const dtype = kernel.inputs[mm.a.input].dtype;
  if (dtype !== "float32" && dtype !== "float64") return undefined;
  if (kernel.inputs[mm.b.input].dtype !== dtype) return undefined;
  if ([...accTypes(kernel.body)].some((d) => d !== dtype)) return undefined;
  const batch = kernel.loops.slice(0, nb).map((l) => l.extent);
  if (batch.some((e) => e === 0)) return undefined;
  const a = side(mm.a, nb, m, k);
  const b = side(mm.b, nb, k, n);
  if (a === undefined || b === undefined) return undefined;
  const lib = loaded();
  if (lib === undefined) return undefined;
  const gemm = dtype === "float32" ? lib.sgemm : lib.dgemm;
  return { gemm, dtype, m, n, k, batch, a, b, threads: lib.threads };
}

/**
 * Computes a planned product into `out` (contiguous `[...batch, m, n]`).
 * @param plan from {@linkcode blasPlan}
 * @param arrays the kernel's input buffers
 * @param out the product's buffer, of the plan's dtype
 */
export function blasProduct(plan: BlasPlan, arrays: readonly DataArray[], out: DataArray): void {
  const { m, n, k, a, b, batch } = plan;
  const A = arrays[a.input];
  const B = arrays[b.input];
  let count = 1;
  for (const e of batch) count *= e;
  const alone = plan.threads !== undefined && plan.threads.count > 1 &&
    m * n * k < BLAS_THREADED_WORK;
  if (alone) plan.threads!.set(1);
  try {
    gemms(plan, A, B, out, count);
  } finally {
    if (alone) plan.threads!.set(plan.threads!.count);
  }
}

function gemms(plan: BlasPlan, A: DataArray, B: DataArray, out: DataArray, count: number): void {
  const { m, n, k, a, b, batch } = plan;
  const idx = batch.map(() => 0);
  for (let t = 0; t < count; t++) {
    let [ao, bo] = [a.offset, b.offset];
    for (let d = 0; d < batch.length; d++) {
      ao += idx[d] * a.batch[d];
      bo += idx[d] * b.batch[d];
    }
    plan.gemm(
      ROW_MAJOR,
      a.trans ? TRANS : NO_TRANS,
      b.trans ? TRANS : NO_TRANS,
      m,
      n,
      k,
      1,
      ao === 0 ? A : A.subarray(ao),
      a.ld,
      bo === 0 ? B : B.subarray(bo),
      b.ld,
      0,
      t === 0 ? out : out.subarray(t * m * n),
      n,
    );
    for (let d = batch.length - 1; d >= 0 && ++idx[d] === batch[d]; d--) idx[d] = 0;
  }
}

/** A matmul's BLAS plan, its epilogue step, and a product buffer reused across runs. */
export interface BlasRun<S> {
  readonly plan: BlasPlan;
  readonly epilogue?: { readonly step: S; readonly inputs: readonly number[] };
  product?: DataArray;
}

/**
 * How a kernel runs in BLAS, its epilogue prepared as a loop kernel step.
 * @param kernel a scheduled kernel
 * @param prepare makes a loop kernel's step
 * @returns the run, or undefined where BLAS does not take the kernel
 */
export function blasStep<S>(kernel: Kernel, prepare: (k: Kernel) => S): BlasRun<S> | undefined {
  const plan = blasPlan(kernel);
  if (plan === undefined) return undefined;
  const epi = epilogueKernel(kernel, plan.dtype);
  return { plan, epilogue: epi && { step: prepare(epi.kernel), inputs: epi.inputs } };
}

/** A matmul kernel's epilogue as a loop kernel, and which of its inputs that reads. */
export interface Epilogue {
  /** Reads `inputs` (original input numbers), then the product. */
  readonly kernel: Kernel;
  readonly inputs: readonly number[];
}

/**
 * The epilogue of a matmul kernel (its body over `acc`) as a loop kernel whose
 * last input is the product: undefined when the body is `acc` itself.
 * @param kernel a `matmul` kernel
 * @param dtype the product's dtype
 * @returns the loop kernel and the original inputs it reads
 */
export function epilogueKernel(kernel: Kernel, dtype: DType): Epilogue | undefined {
  if (kernel.body.k === "acc" && kernel.body.dtype === kernel.dtype) return undefined;
  const used = [...readsOf(kernel.body, new Map())].sort((x, y) => x - y);
  const renumber = new Map(used.map((input, i) => [input, i]));
  let index: IExpr = 0;
  let size = 1;
  for (let d = kernel.loops.length - 1; d >= 0; d--) {
    index = iadd(index, imul(kernel.loops[d], size));
    size *= kernel.loops[d].extent;
  }
  const product: VExpr = { k: "load", input: used.length, index, dtype };
  const swap = (x: VExpr): VExpr | undefined => {
    if (x.k === "acc") return product;
    if (x.k === "load") return { ...x, input: renumber.get(x.input)!, index: within(x.index) };
    return undefined;
  };
  // gathers: loads inside index expressions are renumbered too
  const within = (i: IExpr): IExpr => {
    if (typeof i === "number" || "v" in i) return i;
    if (i.op === "index") return { ...i, x: mapValues(i.x, swap) };
    return { ...i, a: within(i.a), b: within(i.b) };
  };
  const body = mapValues(kernel.body, swap);
  const inputs = [...used.map((i) => kernel.inputs[i]), Node.placeholder(dtype, kernel.shape)];
  return {
    kernel: { ...kernel, kind: "loop", matmul: undefined, inputs, body },
    inputs: used,
  };
}
