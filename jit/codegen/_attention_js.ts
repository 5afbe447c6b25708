/**
 * The JavaScript form of the `attention` primitive (`core/ops/attention.ts`): loops over the
 * inputs' buffers that never write the scores. Forward: per query row, keys in blocks of
 * {@linkcode KEY_BLOCK} (their scores in a small scratch), a running maximum `m` and sum `l`,
 * and the output accumulated and rescaled by `exp(m_old − m_new)` once per block; the row's
 * log-sum-exp `m + log l` goes to the last column. Backward: scores recomputed one query row
 * at a time, dQ summed for the row, dK and dV added into the output. Accumulates in float64 (JS
 * numbers), except dK and dV in float32 outputs (rounded at each add).
 * @module
 */
import { attentionDims } from "../../core/ops/attention.ts";
import type { Kernel } from "../kernel.ts";

/** Keys whose scores one forward step holds. */
export const KEY_BLOCK = 64;

/**
 * The body of `function (rt, c, out, in0, …)` for an attention kernel.
 * @param kernel the kernel (kind `attention`)
 * @returns JavaScript source
 */
export function attentionSource(kernel: Kernel): string {
  const a = kernel.attention!;
  const { batch, n, l, s, e, ev } = attentionDims(kernel.inputs);
  const masked = a.mask !== "none";
  const [lseIn, deltaIn, doIn] = masked ? ["in4", "in5", "in6"] : ["in3", "in4", "in5"];
  const lines = ['"use strict";', `const scale = ${a.scale};`];
  // the mask's offset for batch element b and its row/column strides (0 where broadcast)
  let maskAt = "0";
  let [mRow, mCol] = [0, 0];
  if (masked) {
    const ms = kernel.inputs[3].shape;
    const [ml, mc] = ms.slice(-2);
    [mRow, mCol] = [ml === 1 ? 0 : mc, mc === 1 ? 0 : 1];
    let stride = ml * mc;
    const terms: string[] = [];
    let div = 1;
    for (let d = batch.length - 1; d >= 0; d--) {
      if (ms[d] !== 1) terms.push(`(Math.floor(b / ${div}) % ${batch[d]}) * ${stride}`);
      stride *= ms[d];
      div *= batch[d];
    }
    maskAt = terms.join(" + ") || "0";
  }
  // the score of (query row i, key j), or -Infinity where masked: needs qo, ko, mo
  const score = [
    "let s = 0;",
    `for (let c = 0; c < ${e}; c++) s += in0[qo + c] * in1[ko + c];`,
    "s *= scale;",
    a.mask === "bool"
      ? `if (!in3[mo + i * ${mRow} + j * ${mCol}]) s = -Infinity;`
      : a.mask === "add"
      ? `s += in3[mo + i * ${mRow} + j * ${mCol}];`
      : "",
  ];
  const keysOf = a.causal ? `Math.min(${s}, i + 1)` : `${s}`;
  lines.push(`for (let b = 0; b < ${n}; b++) {`, `const mo = ${maskAt};`);
  if (a.part === "forward") {
    lines.push(
      `const sc = new Float64Array(${KEY_BLOCK});`,
      `const acc = new Float64Array(${ev});`,
      `for (let i = 0; i < ${l}; i++) {`,
      `const qo = (b * ${l} + i) * ${e};`,
      "let m = -Infinity;",
      "let sum = 0;",
      "acc.fill(0);",
      `const keys = ${keysOf};`,
      `for (let j0 = 0; j0 < keys; j0 += ${KEY_BLOCK}) {`,
      `const j1 = Math.min(keys, j0 + ${KEY_BLOCK});`,
      "let bm = -Infinity;",
      "for (let j = j0; j < j1; j++) {",
      `const ko = (b * ${s} + j) * ${e};`,
      ...score,
      "sc[j - j0] = s;",
      "if (s > bm) bm = s;",
      "}",
      // a block of masked keys (or NaN scores, which the sums below carry) changes nothing
      "const mNew = bm > m ? bm : m;",
      "if (mNew === -Infinity) continue;",
      "if (mNew !== m) {",
      "const r = Math.exp(m - mNew);",
      "sum *= r;",
      `for (let c = 0; c < ${ev}; c++) acc[c] *= r;`,
      "m = mNew;",
      "}",
      "for (let j = j0; j < j1; j++) {",
      "const p = Math.exp(sc[j - j0] - m);",
      "if (p === 0) continue;",
      "sum += p;",
      `const vo = (b * ${s} + j) * ${ev};`,
      `for (let c = 0; c < ${ev}; c++) acc[c] += p * in2[vo + c];`,
      "}",
      "}",
      `const oo = (b * ${l} + i) * ${ev + 1};`,
      `for (let c = 0; c < ${ev}; c++) out[oo + c] = acc[c] / sum;`,
      `out[oo + ${ev}] = m + Math.log(sum);`,
      "}",
      "}",
    );
    return lines.join("\n");
  }
  // P = exp(s − lse), dS = P (dO·v − delta): needs i, j, qo, ko, mo
  const t = l * e + s * (e + ev); // per batch element: dQ [L, E], then dK, dV [S, E + Ev]
  lines.push(
    `const base = b * ${t};`,
    `for (let o = base; o < base + ${t}; o++) out[o] = 0;`,
    `const dq = new Float64Array(${e});`,
    `for (let i = 0; i < ${l}; i++) {`,
    `const qo = (b * ${l} + i) * ${e};`,
    `const go = (b * ${l} + i) * ${ev};`,
    `const lse = ${lseIn}[b * ${l} + i];`,
    `const dl = ${deltaIn}[b * ${l} + i];`,
    "dq.fill(0);",
    `for (let j = 0, keys = ${keysOf}; j < keys; j++) {`,
    `const ko = (b * ${s} + j) * ${e};`,
    ...score,
    "if (s === -Infinity) continue;",
    "const p = Math.exp(s - lse);",
    `const vo = (b * ${s} + j) * ${ev};`,
    "let dp = 0;",
    `for (let c = 0; c < ${ev}; c++) dp += ${doIn}[go + c] * in2[vo + c];`,
    "const ds = p * (dp - dl) * scale;",
    `const oo = base + ${l * e} + j * ${e + ev};`,
    `for (let c = 0; c < ${e}; c++) {`,
    "dq[c] += ds * in1[ko + c];",
    "out[oo + c] += ds * in0[qo + c];",
    "}",
    `for (let c = 0; c < ${ev}; c++) out[oo + ${e} + c] += p * ${doIn}[go + c];`,
    "}",
    `for (let c = 0; c < ${e}; c++) out[base + i * ${e} + c] = dq[c];`,
    "}",
    "}",
  );
  return lines.join("\n");
}
