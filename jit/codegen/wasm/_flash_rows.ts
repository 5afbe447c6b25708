/**
 * The Wasm SIMD row steps of the `attention` primitive's float32 BLAS tiles
 * (`jit/runtime/cpu/_flash_blas.ts`): the tile's scores stay in this module's
 * memory between the gemm calls, and its exps run here, in f32x4 lanes, with
 * softmax's `expShifted` (≤ 2 ulp, 0 below 2^-126: every argument is a score
 * minus its row's maximum or log-sum-exp, so ≤ 0). Rows are `stride` floats
 * apart, a multiple of 4 (the caller fills the lanes past a row's end with
 * -Infinity). All pointers are byte addresses.
 *
 * - `f0(tile, rows, stride, max)`: `max[r]` = the largest score of row r;
 * - `f1(tile, rows, stride, shift, sum)`: `x = e^(x − shift[r])` in place, `sum[r] += Σ x`;
 * - `f2(tile, dp, rows, stride, lse, delta, scale)`: `p = e^(x − lse[r])` in place and
 *   `dp = p · (dp − delta[r]) · scale` (`scale` a float at that address);
 * - `f3` and `f4`: the tiles' products where no BLAS library is open (`dotRows`, `axpyRows`;
 *   their operands copied into this memory).
 * @module
 */
import { Fn, I32, op, simd, V128, wasmModule } from "./_emit.ts";
import { VMath } from "./_math.ts";

/** Loops over `count` rows: `body(r)`. */
function rows(f: Fn, count: number, body: (r: number) => void): void {
  const r = f.local(I32);
  f.loop(r, () => f.i32(0), () => f.get(count), 1, () => body(r));
}

/** Pushes `base + r·4`, or with `stride` `base + r·stride·4`. */
function at(f: Fn, base: number, r: number, stride?: number): void {
  f.get(base).get(r);
  if (stride !== undefined) f.get(stride).emit(op.i32Mul);
  f.i32(2).emit(op.i32Shl).emit(op.i32Add);
}

/** Loops over the row's vectors: `body(p)` with `p` the vector's byte address. */
function lanes(f: Fn, row: number, stride: number, body: (p: number) => void): void {
  const [c, p] = [f.local(I32), f.local(I32)];
  f.loop(c, () => f.i32(0), () => f.get(stride).i32(2).emit(op.i32Shl), 16, () => {
    f.get(row).get(c).emit(op.i32Add).set(p);
    body(p);
  });
}

/** The four lanes of `v` combined by the scalar op `combine`, on the stack. */
function horizontal(f: Fn, v: number, combine: number): void {
  f.get(v).v(simd.f32x4ExtractLane, 0);
  for (let lane = 1; lane < 4; lane++) f.get(v).v(simd.f32x4ExtractLane, lane).emit(combine);
}

function rowMax(): Fn {
  const f = new Fn(4);
  const [tile, count, stride, max] = [0, 1, 2, 3];
  const [row, acc] = [f.local(I32), f.local(V128)];
  rows(f, count, (r) => {
    at(f, tile, r, stride);
    f.set(row).f32x4(-Infinity).set(acc);
    lanes(f, row, stride, (p) => f.get(acc).get(p).mem(simd.load).v(simd.f32x4Pmax).set(acc));
    at(f, max, r);
    horizontal(f, acc, 0x97); // f32.max
    f.emit(op.f32Store, 2, 0);
  });
  return f;
}

function expRows(): Fn {
  const f = new Fn(5);
  const [tile, count, stride, shift, sum] = [0, 1, 2, 3, 4];
  const m = new VMath(f);
  const [row, acc, s, x] = [f.local(I32), f.local(V128), f.local(V128), f.local(V128)];
  rows(f, count, (r) => {
    at(f, tile, r, stride);
    f.set(row).f32x4(0).set(acc);
    at(f, shift, r);
    f.mem(simd.load32Splat).set(s);
    lanes(f, row, stride, (p) => {
      f.get(p).mem(simd.load).get(s).v(simd.f32x4Sub).set(x);
      f.get(p);
      m.expShifted(x);
      f.set(x).get(x).mem(simd.store);
      f.get(acc).get(x).v(simd.f32x4Add).set(acc);
    });
    at(f, sum, r);
    at(f, sum, r);
    f.emit(op.f32Load, 2, 0);
    horizontal(f, acc, 0x92); // f32.add
    f.emit(0x92).emit(op.f32Store, 2, 0);
  });
  return f;
}

function gradRows(): Fn {
  const f = new Fn(7);
  const [tile, dp, count, stride, lse, delta, scale] = [0, 1, 2, 3, 4, 5, 6];
  const m = new VMath(f);
  const [row, drow, l, d, k, x, q] = [
    f.local(I32),
    f.local(I32),
    f.local(V128),
    f.local(V128),
    f.local(V128),
    f.local(V128),
    f.local(I32),
  ];
  f.get(scale).mem(simd.load32Splat).set(k);
  rows(f, count, (r) => {
    at(f, tile, r, stride);
    f.set(row);
    at(f, dp, r, stride);
    f.set(drow);
    at(f, lse, r);
    f.mem(simd.load32Splat).set(l);
    at(f, delta, r);
    f.mem(simd.load32Splat).set(d);
    lanes(f, row, stride, (p) => {
      f.get(p).mem(simd.load).get(l).v(simd.f32x4Sub).set(x);
      m.expShifted(x);
      f.set(x).get(p).get(x).mem(simd.store);
      // the same lane of dp: p − row + drow
      f.get(p).get(row).emit(op.i32Sub).get(drow).emit(op.i32Add).set(q);
      f.get(q).get(x).get(q).mem(simd.load).get(d).v(simd.f32x4Sub).v(simd.f32x4Mul);
      f.get(k).v(simd.f32x4Mul).mem(simd.store);
    });
  });
  return f;
}

/** `c[i·ldc + j] = alpha · Σ_t a[i·lda + t] b[j·ldb + t]`, t in steps of 4 (rows padded with 0). */
function dotRows(): Fn {
  const f = new Fn(10);
  const [a, b, c, m, n, k, lda, ldb, ldc, alpha] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [i, j, t, ar, br, acc, s] = [
    f.local(I32),
    f.local(I32),
    f.local(I32),
    f.local(I32),
    f.local(I32),
    f.local(V128),
    f.local(V128),
  ];
  f.get(alpha).mem(simd.load32Splat).set(s);
  f.loop(i, () => f.i32(0), () => f.get(m), 1, () => {
    at(f, a, i, lda);
    f.set(ar);
    f.loop(j, () => f.i32(0), () => f.get(n), 1, () => {
      at(f, b, j, ldb);
      f.set(br).f32x4(0).set(acc);
      f.loop(t, () => f.i32(0), () => f.get(k).i32(2).emit(op.i32Shl), 16, () => {
        f.get(acc).get(ar).get(t).emit(op.i32Add).mem(simd.load);
        f.get(br).get(t).emit(op.i32Add).mem(simd.load).v(simd.f32x4Mul);
        f.v(simd.f32x4Add).set(acc);
      });
      f.get(acc).get(s).v(simd.f32x4Mul).set(acc);
      // c + (i·ldc + j)·4
      f.get(c).get(i).get(ldc).emit(op.i32Mul).get(j).emit(op.i32Add).i32(2).emit(op.i32Shl);
      f.emit(op.i32Add);
      horizontal(f, acc, 0x92);
      f.emit(op.f32Store, 2, 0);
    });
  });
  return f;
}

/**
 * `c[i·ldc + :n] += Σ_t a[i·si + t·st] · b[t·ldb + :n]` (n in steps of 4): `a` row-major with
 * si = lda, st = 1, or read transposed with si = 1, st = lda.
 */
function axpyRows(): Fn {
  const f = new Fn(10);
  const [a, b, c, m, n, k, si, st, ldb, ldc] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [i, t, col, cr, k4] = [
    f.local(I32),
    f.local(I32),
    f.local(I32),
    f.local(I32),
    f.local(I32),
  ];
  const xs = [0, 1, 2, 3].map(() => f.local(V128));
  const brs = [0, 1, 2, 3].map(() => f.local(I32));
  /** Rows t + u (u < `count`) of A's column i splatted into xs, of B into brs; C += their sum. */
  const step = (count: number) => {
    for (let u = 0; u < count; u++) {
      // a[i·si + (t + u)·st], splat
      f.get(a).get(i).get(si).emit(op.i32Mul).get(t).i32(u).emit(op.i32Add).get(st);
      f.emit(op.i32Mul).emit(op.i32Add).i32(2).emit(op.i32Shl).emit(op.i32Add);
      f.mem(simd.load32Splat).set(xs[u]);
      f.get(b).get(t).i32(u).emit(op.i32Add).get(ldb).emit(op.i32Mul).i32(2).emit(op.i32Shl);
      f.emit(op.i32Add).set(brs[u]);
    }
    f.loop(col, () => f.i32(0), () => f.get(n).i32(2).emit(op.i32Shl), 16, () => {
      f.get(cr).get(col).emit(op.i32Add);
      f.get(cr).get(col).emit(op.i32Add).mem(simd.load);
      for (let u = 0; u < count; u++) {
        f.get(brs[u]).get(col).emit(op.i32Add).mem(simd.load).get(xs[u]).v(simd.f32x4Mul);
        f.v(simd.f32x4Add);
      }
      f.mem(simd.store);
    });
  };
  f.get(k).i32(-4).emit(op.i32And).set(k4);
  f.loop(i, () => f.i32(0), () => f.get(m), 1, () => {
    at(f, c, i, ldc);
    f.set(cr);
    // four rows of B at a time (C loaded and stored once for them), then the rest
    f.loop(t, () => f.i32(0), () => f.get(k4), 4, () => step(4));
    f.loop(t, () => f.get(k4), () => f.get(k), 1, () => step(1));
  });
  return f;
}

/**
 * The module's bytes (it imports its memory as `e.m`).
 * @returns a module exporting `f0` (row maxima), `f1` (exps and sums), `f2` (gradient rows),
 * `f3` (products of rows: `A·Bᵀ`) and `f4` (sums of scaled rows: `A·B`, `Aᵀ·B`)
 */
export function flashRowsModule(): Uint8Array<ArrayBuffer> {
  return wasmModule([rowMax(), expRows(), gradRows(), dotRows(), axpyRows()]);
}
