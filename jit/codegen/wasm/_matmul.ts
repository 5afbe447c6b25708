/**
 * The Wasm matmul: C = A·B over batch dims, blocked for the caches (BLIS
 * order: panels of B of KC×NC and blocks of A of MC×KC, packed into scratch
 * memory) with a 4×8 register tile of f32x4 accumulators (A's 4 rows
 * loaded as one vector and splat in registers: see `microKernel`; 4×8
 * measured 25–30% faster than 6×8, 5×8 and 4×16 with broadcasts from
 * memory, and a 6×8 with A vectors spills). Packing reads each operand
 * through its strides, so A·B, A·Bᵀ and Aᵀ·B run the same inner kernel: a
 * unit stride along k is transposed 4×4 in registers, a unit
 * stride across is copied as vectors, anything else is gathered. The
 * epilogue (the kernel body over `acc`) then runs in place on the output.
 * Threads split the output rows (`m0`, `m1`: see `WasmSplit`), each
 * packing into its own scratch.
 * @module
 */
import type { Kernel } from "../../kernel.ts";
import type { WasmKernel, WasmOptions, WasmSplit } from "./mod.ts";
import { Fn, I32, op, simd, V128, wasmModule } from "./_emit.ts";

const MR = 4;
const NR = 8;
/** The largest k block; K is split into equal blocks no longer than this. */
const KC_MAX = 256;
const MC = 72;
const NC = 512;

/** Pushes min(a, b) of two i32 expressions. */
function min(f: Fn, a: () => void, b: () => void): void {
  a();
  b();
  a();
  b();
  f.emit(op.i32LtS, op.select);
}

/** k steps per trip of the micro-kernel's main loop (the rest run one at a time first). */
const UNROLL = 4;

/**
 * `(ap, bp, c, ldc, kc, accumulate)`: C[r][j] (+)= Σ_k ap[MR·k + r]·bp[NR·k + j], rows ldc bytes
 * apart.
 * NOTE: Deno's V8 runs Wasm without the trap handler, so every memory access
 * is an explicit bounds check (about 5 instructions): a k step loads A's 4
 * rows as one vector and splats its lanes in registers (3 accesses for 8
 * multiply-adds) instead of broadcasting each row from memory (a 6×8 tile
 * with broadcasts did 8 for 12, and measured 25% slower). 8 accumulators,
 * 2 B vectors, A and a splat use 12 of the 15 vector registers.
 */
function microKernel(relaxed: boolean): Fn {
  const f = new Fn(6);
  const [ap, bp, c, ldc, kc, accumulate] = [0, 1, 2, 3, 4, 5];
  const acc = Array.from({ length: MR * 2 }, () => f.local(V128));
  const b = [f.local(V128), f.local(V128)];
  const [a, splat] = [f.local(V128), f.local(V128)];
  const end = f.local(I32);
  const row = f.local(I32);
  /** One k step at a step offset into the panels. */
  const step = (u: number) => {
    f.get(bp).mem(simd.load, 4 * NR * u).set(b[0]);
    f.get(bp).mem(simd.load, 4 * NR * u + 16).set(b[1]);
    f.get(ap).mem(simd.load, 4 * MR * u).set(a);
    for (let r = 0; r < MR; r++) {
      f.get(a).get(a).shuffle([r, r, r, r]).set(splat);
      for (let h = 0; h < 2; h++) {
        const x = acc[2 * r + h];
        if (relaxed) f.get(splat).get(b[h]).get(x).v(simd.f32x4RelaxedMadd).set(x);
        else f.get(splat).get(b[h]).v(simd.f32x4Mul).get(x).v(simd.f32x4Add).set(x);
      }
    }
  };
  const advance = (u: number) => {
    f.get(bp).i32(4 * NR * u).emit(op.i32Add).set(bp);
    f.get(ap).i32(4 * MR * u).emit(op.i32Add).set(ap);
  };
  for (const x of acc) f.f32x4(0).set(x);
  // kc mod UNROLL single steps, then UNROLL steps per trip
  f.get(ap).get(kc).i32(UNROLL - 1).emit(op.i32And).i32(4 * MR).emit(op.i32Mul, op.i32Add).set(end);
  f.get(ap).get(end).emit(op.i32LtS).open(op.if).open(op.loop);
  step(0);
  advance(1);
  f.get(ap).get(end).emit(op.i32LtS).br(0, true).end().end();
  f.get(ap).get(kc).i32(-UNROLL).emit(op.i32And).i32(4 * MR).emit(op.i32Mul, op.i32Add).set(end);
  f.get(ap).get(end).emit(op.i32LtS).open(op.if).open(op.loop);
  for (let u = 0; u < UNROLL; u++) step(u);
  advance(UNROLL);
  f.get(ap).get(end).emit(op.i32LtS).br(0, true).end().end();
  for (let r = 0; r < MR; r++) {
    f.get(c).get(ldc).i32(r).emit(op.i32Mul, op.i32Add).set(row);
    for (let h = 0; h < 2; h++) {
      const x = acc[2 * r + h];
      f.get(accumulate).open(op.if).get(x).get(row).mem(simd.load, 16 * h).v(simd.f32x4Add).set(x)
        .end();
      f.get(row).get(x).mem(simd.store, 16 * h);
    }
  }
  return f;
}

/**
 * A packer `(dst, src, kc, x0, panels)`, panels of `w` along x, k-major:
 * dst[p][k][x] = src[k·sK + min(x0 + p·w + x, limit - 1)·sX].
 */
function packer(w: number, sK: number, sX: number, limit: number): Fn {
  const f = new Fn(5);
  const [dst, src, kc, x0, panels] = [0, 1, 2, 3, 4];
  const [p, k, x, k4, first] = [
    f.local(I32),
    f.local(I32),
    f.local(I32),
    f.local(I32),
    f.local(I32),
  ];
  const v = Array.from({ length: 8 }, () => f.local(V128));
  /** Pushes the byte address of src element (k, first + dx), x clamped. */
  const at = (dx: () => void) => {
    f.get(src).get(k).i32(4 * sK).emit(op.i32Mul, op.i32Add);
    min(f, () => {
      f.get(first);
      dx();
      f.emit(op.i32Add);
    }, () => f.i32(limit - 1));
    f.i32(4 * sX).emit(op.i32Mul, op.i32Add);
  };
  f.loop(p, () => f.i32(0), () => f.get(panels), 1, () => {
    f.get(x0).get(p).i32(w).emit(op.i32Mul, op.i32Add).set(first);
    f.i32(0).set(k4);
    if (sX === 1) {
      // contiguous across: vector copies per k (reads past the end stay in the padding; a
      // partial last vector spills into the next k, which is written after it)
      f.get(kc).set(k4);
      f.loop(k, () => f.i32(0), () => f.get(kc), 1, () => {
        for (let q = 0; q < Math.ceil(w / 4); q++) {
          f.get(dst);
          at(() => f.i32(0));
          f.mem(simd.load, 16 * q).mem(simd.store, 16 * q);
        }
        f.get(dst).i32(4 * w).emit(op.i32Add).set(dst);
      });
    } else if (sK === 1) {
      // contiguous along k: 4 k-values of 4 rows, transposed 4×4 in registers
      f.get(kc).i32(-4).emit(op.i32And).set(k4);
      f.loop(k, () => f.i32(0), () => f.get(k4), 4, () => {
        for (let q = 0; q < Math.floor(w / 4); q++) {
          for (let r = 0; r < 4; r++) {
            at(() => f.i32(4 * q + r));
            f.mem(simd.load).set(v[r]);
          }
          f.get(v[0]).get(v[1]).shuffle([0, 4, 1, 5]).set(v[4]);
          f.get(v[0]).get(v[1]).shuffle([2, 6, 3, 7]).set(v[5]);
          f.get(v[2]).get(v[3]).shuffle([0, 4, 1, 5]).set(v[6]);
          f.get(v[2]).get(v[3]).shuffle([2, 6, 3, 7]).set(v[7]);
          const lo = [0, 1, 4, 5];
          const hi = [2, 3, 6, 7];
          ([[4, 6, lo], [4, 6, hi], [5, 7, lo], [5, 7, hi]] as const).forEach(
            ([s, t, lanes], kk) => {
              f.get(dst).get(v[s]).get(v[t]).shuffle(lanes).mem(simd.store, 4 * (kk * w + 4 * q));
            },
          );
        }
        if (w % 4 === 2) {
          // two more rows: interleave them, then store k pairs as 64-bit lanes
          for (let r = 0; r < 2; r++) {
            at(() => f.i32(w - 2 + r));
            f.mem(simd.load).set(v[r]);
          }
          f.get(v[0]).get(v[1]).shuffle([0, 4, 1, 5]).set(v[2]);
          f.get(v[0]).get(v[1]).shuffle([2, 6, 3, 7]).set(v[3]);
          for (let kk = 0; kk < 4; kk++) {
            f.get(dst).get(v[2 + (kk >> 1)]).storeLane(kk & 1, 4 * (kk * w + w - 2), true);
          }
        }
        f.get(dst).i32(16 * w).emit(op.i32Add).set(dst);
      });
    }
    // the rest element by element
    f.loop(k, () => f.get(k4), () => f.get(kc), 1, () => {
      f.loop(x, () => f.i32(0), () => f.i32(w), 1, () => {
        f.get(dst).get(x).i32(2).emit(op.i32Shl, op.i32Add);
        at(() => f.get(x));
        f.emit(op.f32Load, 2, 0, op.f32Store, 2, 0);
      });
      f.get(dst).i32(4 * w).emit(op.i32Add).set(dst);
    });
  });
  return f;
}

/** `(src, srcStride, dst, dstStride, rows, cols)`: copies a small block of floats (strides in bytes). */
function blockCopy(): Fn {
  const f = new Fn(6);
  const [src, ss, dst, ds, rows, cols] = [0, 1, 2, 3, 4, 5];
  const [r, j] = [f.local(I32), f.local(I32)];
  f.loop(r, () => f.i32(0), () => f.get(rows), 1, () => {
    f.loop(j, () => f.i32(0), () => f.get(cols), 1, () => {
      f.get(dst).get(r).get(ds).emit(op.i32Mul, op.i32Add).get(j).i32(2).emit(op.i32Shl, op.i32Add);
      f.get(src).get(r).get(ss).emit(op.i32Mul, op.i32Add).get(j).i32(2).emit(op.i32Shl, op.i32Add);
      f.emit(op.f32Load, 2, 0, op.f32Store, 2, 0);
    });
  });
  return f;
}

/** Bytes of scratch a matmul needs: packed B, packed A and one tile. */
function scratchBytes(n: number, KC: number): number {
  const ncPad = Math.ceil(Math.min(NC, n) / NR) * NR;
  // + one k-row of slack: vector packing may write past a panel's end
  return 4 * (KC * ncPad + MC * KC + NR + MR * NR);
}

/** Columns of B per share of a split launch's packing pass (divides NC). */
export const PACK_COLS = 64;

/** Bytes of B packed whole (block after block, as one launch packs them), for a shared pass. */
function packedBytes(n: number, k: number): number {
  return 4 * (k * Math.ceil(n / NR) * NR + NR);
}

/**
 * Renders a matmul kernel: f0 is
 * `(out, in0, …, constants, packed, mode, scratch, m0, m1, epilogue)`.
 * Mode 0 packs each block of B into `scratch` as it goes; mode 1 only
 * packs columns [m0, m1) of B (m0 a multiple of {@linkcode PACK_COLS}) into
 * `packed`, where mode 2 then reads them: threads that split the rows share
 * one packing of B instead of each packing all of it.
 * @param kernel a `matmul` kernel with a float32 output
 * @param epilogue the kernel body as a loop over the output reading `acc` in place
 * @param options code generation choices
 * @returns the module, or undefined for empty products
 */
export function renderMatmul(
  kernel: Kernel,
  epilogue: Fn,
  options: WasmOptions,
): WasmKernel | undefined {
  const mm = kernel.matmul!;
  const nb = kernel.loops.length - 2;
  const [M, N, K] = [kernel.loops[nb].extent, kernel.loops[nb + 1].extent, mm.k];
  if (M === 0 || N === 0 || K === 0 || kernel.loops.some((l) => l.extent === 0)) return undefined;
  const KC = Math.ceil(K / Math.ceil(K / KC_MAX));
  const nIn = kernel.inputs.length;
  const [out, packed, mode] = [0, nIn + 2, nIn + 3];
  const [scratch, m0, m1, epi] = [nIn + 4, nIn + 5, nIn + 6, nIn + 7];
  const f = new Fn(nIn + 8);
  const [sAm, sAk] = [mm.a.strides[nb], mm.a.strides[nb + 1]];
  const [sBk, sBn] = [mm.b.strides[nb], mm.b.strides[nb + 1]];
  const L = () => f.local(I32);
  const [aBase, bBase, cBase, jc, pc, ic, jr, ir, nc, kc, mc, cp, rows, cols, acc] = Array.from(
    { length: 15 },
    L,
  );
  const bPack = L();
  const bBlock = L();
  const aPack = L();
  const tile = L();
  f.get(scratch).set(bPack);
  f.get(scratch).i32(4 * KC * Math.ceil(Math.min(NC, N) / NR) * NR).emit(op.i32Add).set(aPack);
  f.get(aPack).i32(4 * (MC * KC + NR)).emit(op.i32Add).set(tile);
  const ceilDiv = (x: number, d: number) =>
    f.get(x).i32(d - 1).emit(op.i32Add).i32(d).emit(op.i32DivU);
  const gemm = () => {
    f.loop(jc, () => f.i32(0), () => f.i32(N), NC, () => {
      min(f, () => f.i32(NC), () => f.i32(N).get(jc).emit(op.i32Sub));
      f.set(nc);
      f.loop(pc, () => f.i32(0), () => f.i32(K), KC, () => {
        min(f, () => f.i32(KC), () => f.i32(K).get(pc).emit(op.i32Sub));
        f.set(kc);
        f.get(pc).i32(0).emit(op.i32GtS).set(acc);
        f.get(mode).i32(2).emit(op.i32Eq).open(op.if);
        // B packed by the shared pass: block (jc, pc) at jc·K + pc·ncPad floats
        f.get(packed).get(jc).i32(4 * K).emit(op.i32Mul, op.i32Add);
        ceilDiv(nc, NR);
        f.i32(4 * NR).emit(op.i32Mul).get(pc).emit(op.i32Mul, op.i32Add).set(bBlock);
        f.emit(op.else);
        f.get(bPack).set(bBlock);
        f.get(bPack).get(bBase).get(pc).i32(4 * sBk).emit(op.i32Mul, op.i32Add).get(kc).get(jc);
        ceilDiv(nc, NR);
        f.call(3);
        f.end();
        f.loop(ic, () => f.get(m0), () => f.get(m1), MC, () => {
          min(f, () => f.i32(MC), () => f.get(m1).get(ic).emit(op.i32Sub));
          f.set(mc);
          f.get(aPack).get(aBase).get(pc).i32(4 * sAk).emit(op.i32Mul, op.i32Add).get(kc).get(ic);
          ceilDiv(mc, MR);
          f.call(2);
          f.loop(jr, () => f.i32(0), () => f.get(nc), NR, () => {
            min(f, () => f.i32(NR), () => f.get(nc).get(jr).emit(op.i32Sub));
            f.set(cols);
            f.loop(ir, () => f.i32(0), () => f.get(mc), MR, () => {
              min(f, () => f.i32(MR), () => f.get(mc).get(ir).emit(op.i32Sub));
              f.set(rows);
              // C tile address: cBase + 4·((ic + ir)·N + jc + jr)
              f.get(cBase).get(ic).get(ir).emit(op.i32Add).i32(4 * N).emit(op.i32Mul, op.i32Add);
              f.get(jc).get(jr).emit(op.i32Add).i32(2).emit(op.i32Shl, op.i32Add).set(cp);
              const panels = () => {
                f.get(aPack).get(ir).get(kc).emit(op.i32Mul).i32(2).emit(op.i32Shl, op.i32Add);
                f.get(bBlock).get(jr).get(kc).emit(op.i32Mul).i32(2).emit(op.i32Shl, op.i32Add);
              };
              f.get(rows).i32(MR).emit(op.i32Eq).get(cols).i32(NR).emit(op.i32Eq).emit(op.i32And);
              f.open(op.if);
              panels();
              f.get(cp).i32(4 * N).get(kc).get(acc).call(1);
              f.emit(op.else);
              f.get(acc).open(op.if);
              f.get(cp).i32(4 * N).get(tile).i32(4 * NR).get(rows).get(cols).call(4);
              f.end();
              panels();
              f.get(tile).i32(4 * NR).get(kc).get(acc).call(1);
              f.get(tile).i32(4 * NR).get(cp).i32(4 * N).get(rows).get(cols).call(4);
              f.end();
            });
          });
        });
      });
    });
  };
  // batch loops: operand offsets from the batch strides
  const batch = kernel.loops.slice(0, nb);
  const bvars = batch.map(L);
  const nest = (d: number) => {
    if (d === nb) {
      const base = (dst: number, param: number, offset: number, strides: readonly number[]) => {
        f.get(param).i32(4 * offset).emit(op.i32Add);
        bvars.forEach((v, i) => f.get(v).i32(4 * strides[i]).emit(op.i32Mul, op.i32Add));
        f.set(dst);
      };
      base(aBase, mm.a.input + 1, mm.a.offset, mm.a.strides);
      base(bBase, mm.b.input + 1, mm.b.offset, mm.b.strides);
      let size = M * N;
      const cStrides = batch.map(() => 0);
      for (let i = nb - 1; i >= 0; i--) {
        cStrides[i] = size;
        size *= batch[i].extent;
      }
      base(cBase, out, 0, cStrides);
      return gemm();
    }
    f.loop(bvars[d], () => f.i32(0), () => f.i32(batch[d].extent), 1, () => nest(d + 1));
  };
  /** Mode 1: columns [m0, m1) of B, each k block where a launch's block (jc, pc) would have it. */
  const packColumns = () => {
    f.get(m0).i32(NC).emit(op.i32DivU).i32(NC).emit(op.i32Mul).set(jc);
    min(f, () => f.i32(NC), () => f.i32(N).get(jc).emit(op.i32Sub));
    f.set(nc);
    f.loop(pc, () => f.i32(0), () => f.i32(K), KC, () => {
      min(f, () => f.i32(KC), () => f.i32(K).get(pc).emit(op.i32Sub));
      f.set(kc);
      // dst: packed + 4·(jc·K + pc·ncPad + (m0 - jc)·kc)
      f.get(packed).get(jc).i32(4 * K).emit(op.i32Mul, op.i32Add);
      ceilDiv(nc, NR);
      f.i32(4 * NR).emit(op.i32Mul).get(pc).emit(op.i32Mul, op.i32Add);
      f.get(m0).get(jc).emit(op.i32Sub).get(kc).emit(op.i32Mul).i32(2).emit(op.i32Shl, op.i32Add);
      f.get(mm.b.input + 1).i32(4 * mm.b.offset).emit(op.i32Add);
      f.get(pc).i32(4 * sBk).emit(op.i32Mul, op.i32Add).get(kc).get(m0);
      f.get(m1).get(m0).emit(op.i32Sub).set(cols);
      ceilDiv(cols, NR);
      f.call(3);
    });
  };
  // only an unbatched product shares its packing of B (the runtime passes mode 0 otherwise)
  if (nb === 0) {
    f.get(mode).i32(1).emit(op.i32Eq).open(op.if);
    packColumns();
    f.emit(op.else);
  }
  nest(0);
  const fns = [
    f,
    microKernel(options.relaxed),
    packer(MR, sAk, sAm, M),
    packer(NR, sBk, sBn, N),
    blockCopy(),
  ];
  const hasEpilogue = kernel.body.k !== "acc";
  if (hasEpilogue) {
    f.get(epi).open(op.if);
    for (let i = 0; i <= nIn + 1; i++) f.get(i);
    f.call(5).end();
    fns.push(epilogue);
  }
  if (nb === 0) f.end();
  const work = batch.reduce((w, l) => w * l.extent, M * N * K);
  const split: WasmSplit = {
    rows: M,
    rowBlock: MR,
    work,
    epilogue: hasEpilogue,
    packB: nb === 0 ? { bytes: packedBytes(N, K), columns: N, elements: N * K } : undefined,
  };
  return { bytes: wasmModule(fns, options.shared), scratch: scratchBytes(N, KC), split };
}
