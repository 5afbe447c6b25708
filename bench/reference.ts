/**
 * Plain-JS float64 references and the result check shared by the CPU and the
 * `--device webgpu` benchmark modes.
 * @module
 */

/** Median of `xs`. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `ok` when every |got - want| <= atol + rtol * |want|, else MISMATCH with the worst entry. */
export function compare(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  atol: number,
  rtol: number,
): string {
  if (got.length !== want.length) return `MISMATCH (length ${got.length} vs ${want.length})`;
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i] - want[i]) - (atol + rtol * Math.abs(want[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  return worst < 0 ? "ok" : `MISMATCH (at ${worst}: ${got[worst]} vs ${want[worst]})`;
}

/** Float64 dot of A's row i with B's column j (row-major, K inner). */
export function dot(
  a: Float32Array,
  b: Float32Array,
  i: number,
  j: number,
  k: number,
  n: number,
): number {
  let s = 0;
  for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * n + j];
  return s;
}

/** B1: checks six probe entries of an n x n matmul result against float64 dots. */
export function checkB1(result: ArrayLike<number>, a: Float32Array, b: Float32Array, n: number) {
  const probes: number[] = [], want: number[] = [];
  for (const [i, j] of [[0, 0], [0, n - 1], [n - 1, 0], [n - 1, n - 1], [n >> 1, n >> 2], [7, 3]]) {
    probes.push(result[i * n + j]);
    want.push(dot(a, b, i, j, n, n));
  }
  return compare(probes, want, 1e-4, 1e-4);
}

/** B2: sigmoid(2x + 1) * relu(x) - 0.5x in float64. */
export function refB2(x: Float32Array): Float64Array {
  const want = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    want[i] = (1 / (1 + Math.exp(-(v * 2 + 1)))) * (v > 0 ? v : 0) - 0.5 * v;
  }
  return want;
}

/** B3: relu(X @ W + b) for X [256,784], W [784,256], in float64. */
export function refB3(x: Float32Array, w: Float32Array, b: Float32Array): Float64Array {
  const want = new Float64Array(256 * 256);
  for (let i = 0; i < 256; i++) {
    for (let j = 0; j < 256; j++) want[i * 256 + j] = Math.max(0, dot(x, w, i, j, 784, 256) + b[j]);
  }
  return want;
}

/** B6 sum: the float64 sum and the sum of |x| (for the tolerance). */
export function refB6Sum(x: Float32Array): { sum: number; abs: number } {
  let sum = 0, abs = 0;
  for (let i = 0; i < x.length; i++) {
    sum += x[i];
    abs += Math.abs(x[i]);
  }
  return { sum, abs };
}

/** B6 softmax over the rows of a 1024 x 1024 matrix, in float64. */
export function refB6Softmax(m: Float32Array): Float64Array {
  const ref = new Float64Array(m.length);
  for (let r = 0; r < 1024; r++) {
    let mx = -Infinity, s = 0;
    for (let c = 0; c < 1024; c++) mx = Math.max(mx, m[r * 1024 + c]);
    for (let c = 0; c < 1024; c++) s += ref[r * 1024 + c] = Math.exp(m[r * 1024 + c] - mx);
    for (let c = 0; c < 1024; c++) ref[r * 1024 + c] /= s;
  }
  return ref;
}

/** Greedy word wrap to `deno fmt`'s prose width (this repo: 100), as it formats paragraphs and list items. */
export function wrap(text: string, first = "", rest = first, width = 100): string {
  const lines: string[] = [];
  let cur = first;
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    const atStart = cur === first && lines.length === 0 || cur === rest && lines.length > 0;
    if (!atStart && cur.length + 1 + word.length > width) {
      lines.push(cur);
      cur = rest + word;
    } else cur += (atStart ? "" : " ") + word;
  }
  lines.push(cur);
  return lines.join("\n");
}
