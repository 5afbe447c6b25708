// Float32 accuracy sweeps shared by the special-function tests of the Wasm
// tier (wasm_special_test.ts) and of the WGSL kernels (wgsl_special_test.ts).

/** ±2^k·(1 + j/8 + 0.0123) for k in [lo, hi), plus extra values, each rounded to float32. */
export function sweep(lo: number, hi: number, extra: number[] = [], negative = true): number[] {
  const v: number[] = extra.map(Math.fround);
  for (let k = lo; k < hi; k++) {
    for (let j = 0; j < 8; j++) {
      const x = Math.fround(2 ** k * (1 + j / 8 + 0.0123));
      v.push(x);
      if (negative) v.push(-x);
    }
  }
  return v;
}

/**
 * The worst error in float32 epsilons relative to max(|want|, floor), and
 * where: Infinity where got and want differ and want is not finite, or the error is NaN.
 */
export function worst(got: ArrayLike<number>, want: number[], floor: number): [number, number] {
  let err = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const w = Math.fround(want[i]);
    const g = got[i];
    let e: number;
    if (g === w || (Number.isNaN(g) && Number.isNaN(w))) e = 0;
    else if (!Number.isFinite(w)) e = Infinity;
    else e = Math.abs(g - w) / Math.max(Math.abs(w), floor) / 2 ** -23;
    if (Number.isNaN(e)) e = Infinity;
    if (!(e <= err)) [err, at] = [e, i];
  }
  return [err, at];
}
