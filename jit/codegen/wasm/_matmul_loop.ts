/**
 * Small matmuls as loop kernels: when packing cannot pay (k < 8, or under
 * 65,536 multiply-adds), `acc` becomes a float64 sum over k of exact
 * products read through the operands' strides, as the JS reference
 * computes it (same float32 result).
 * @module
 */
import {
  iadd,
  type IExpr,
  imul,
  type Kernel,
  type LoopVar,
  type StridedOperand,
  type VExpr,
} from "../../kernel.ts";

/**
 * Products that a matmul rewritten as a loop sums exactly (in float64, like
 * the JS reference), not rounded to float32 first.
 */
export const exactProducts: WeakSet<VExpr> = new WeakSet();

/** Whether a matmul is too small for packing to pay: a sum over k in a loop kernel instead. */
export function smallMatmul(kernel: Kernel): boolean {
  const nb = kernel.loops.length - 2;
  const [m, n] = [kernel.loops[nb].extent, kernel.loops[nb + 1].extent];
  const k = kernel.matmul!.k;
  return k < 8 || m * n * k < 65536;
}

/**
 * The same matmul as a loop kernel: `acc` becomes Σ_k a[…, m, k]·b[…, k, n]
 * read through the operands' strides.
 */
export function matmulAsLoop(kernel: Kernel): Kernel {
  const mm = kernel.matmul!;
  const nb = kernel.loops.length - 2;
  const k: LoopVar = { v: "mmk", extent: mm.k };
  const at = (o: StridedOperand, row: IExpr, col: IExpr): IExpr => {
    let i: IExpr = o.offset;
    kernel.loops.slice(0, nb).forEach((l, d) => (i = iadd(i, imul(l, o.strides[d]))));
    return iadd(iadd(i, imul(row, o.strides[nb])), imul(col, o.strides[nb + 1]));
  };
  const load = (o: StridedOperand, index: IExpr): VExpr => ({
    k: "load",
    input: o.input,
    index,
    dtype: "float32",
  });
  const a = load(mm.a, at(mm.a, kernel.loops[nb], k));
  const b = load(mm.b, at(mm.b, k, kernel.loops[nb + 1]));
  const product: VExpr = { k: "alu", op: "mul", args: [a, b], dtype: "float32" };
  exactProducts.add(product);
  const sum: VExpr = { k: "reduce", op: "sum", vars: [k], body: product, dtype: "float32" };
  const memo = new Map<VExpr, VExpr>();
  const swap = (e: VExpr): VExpr => {
    let out = memo.get(e);
    if (out !== undefined) return out;
    if (e.k === "acc") out = sum;
    else if (e.k === "alu") out = { ...e, args: e.args.map(swap) };
    else if (e.k === "cast") out = { ...e, x: swap(e.x) };
    else out = e;
    memo.set(e, out);
    return out;
  };
  return { ...kernel, kind: "loop", body: swap(kernel.body), matmul: undefined };
}
