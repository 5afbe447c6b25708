// The JavaScript Cholesky (core/ops/_lapack.ts, blocked: panels of 32 columns and a gemmSub
// trailing update) against the unblocked algorithm it replaced (kept below, verbatim), on
// the same float64 SPD matrix M·Mᵀ + n·I, alternated in one process: each round times
// both once; prints the best time of each and the ratio, and the largest difference of
// the two factors.
//
//   deno run -A bench/cholesky.ts [n …] (default 512 1024)
import { cholesky } from "../core/ops/_lapack.ts";

/** The unblocked factorization as it was before the blocked one (the "before"). */
function unblocked(a: Float64Array, n: number, l: Float64Array): number {
  l.fill(0);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
    if (!(d > 0)) return j;
    const r = Math.sqrt(d);
    l[j * n + j] = r;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / r;
    }
  }
  return -1;
}

function spd(n: number): Float64Array {
  const m = new Float64Array(n * n);
  let s = 1;
  for (let i = 0; i < n * n; i++) {
    s = (16807 * s) % 2147483647;
    m[i] = s / 2147483647 - 0.5;
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let t = i === j ? n : 0;
      for (let k = 0; k < n; k++) t += m[i * n + k] * m[j * n + k];
      a[i * n + j] = a[j * n + i] = t;
    }
  }
  return a;
}

const sizes = Deno.args.length ? Deno.args.map(Number) : [512, 1024];
for (const n of sizes) {
  const a = spd(n);
  const l0 = new Float64Array(n * n);
  const l1 = new Float64Array(n * n);
  const rounds = n <= 512 ? 5 : 3;
  let before = Infinity, after = Infinity;
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    unblocked(a, n, l0);
    before = Math.min(before, performance.now() - t);
    t = performance.now();
    cholesky(a, n, l1);
    after = Math.min(after, performance.now() - t);
  }
  let diff = 0;
  for (let i = 0; i < n * n; i++) {
    diff = Math.max(diff, Math.abs(l0[i] - l1[i]));
  }
  console.log(
    `n=${n}: unblocked ${before.toFixed(1)} ms, blocked ${after.toFixed(1)} ms, ` +
      `${(before / after).toFixed(2)}× (best of ${rounds} alternated rounds); ` +
      `max |L_blocked − L_unblocked| = ${diff.toExponential(2)}`,
  );
}
