/**
 * The WGSL form of the `attention` primitive (`core/ops/attention.ts`), never writing the scores.
 * A workgroup per (batch element, block of 64 query rows) — per 64 keys for dK, dV — and an
 * invocation per row (key); the other side streams through workgroup memory in tiles of up to 16
 * rows that all 64 invocations load together.
 *
 * - forward: each invocation keeps its row's running maximum, sum and output (an online softmax,
 *   rescaled once per tile) in a scratch buffer; the last pass writes `acc / sum` and the row's
 *   log-sum-exp `m + log sum`.
 * - backward: the scores recomputed, `P = exp(s − lse)`, `dS = P (dO·v − delta)`, summed into
 *   the output: dQ by passes of an invocation per query row, then dK and dV by passes of an
 *   invocation per key (a workgroup per 64 keys, query rows streamed).
 *
 * NOTE: lavapipe stops an invocation after 65,535 loop iterations, so the streamed side is split
 * into chunks of at most `MAX_ITERATIONS` iterations, one pass each; each pass continues the
 * previous one's state (in place: every invocation reads and writes only its own row).
 * @module
 */
import { attentionDims } from "../../../core/ops/attention.ts";
import type { Kernel } from "../../kernel.ts";
import type { WgslPass, WgslPlan, WgslRef } from "./mod.ts";
import { pass } from "./_order.ts";
import { grid } from "./_render.ts";

const WG = 64;

/**
 * The passes of an attention kernel.
 * @param kernel the kernel (kind `attention`)
 * @param maxIterations the most loop iterations one invocation may run
 * @returns the passes and their scratch buffer
 */
export function renderAttention(kernel: Kernel, maxIterations: number): WgslPlan {
  const a = kernel.attention!;
  const { batch, n, l, s, e, ev } = attentionDims(kernel.inputs);
  const masked = a.mask !== "none";
  // tile rows: 16, fewer where wide rows would pass 16 KiB of workgroup memory
  const tile = Math.max(1, Math.min(16, Math.floor(4096 / (e + ev + 2))));
  // per tile: its loads, then per streamed row a score (e), dO·v (ev), the updates (e + ev)
  const perTile = Math.ceil((tile * (e + ev + 2)) / WG) + tile * (2 * e + 2 * ev + 4) + ev;
  const tilesPerPass = Math.floor(maxIterations / perTile);
  if (tilesPerPass < 1) {
    throw new RangeError(
      `WebGPU attention needs ${perTile} loop iterations per tile: the limit is ${maxIterations}`,
    );
  }
  const chunk = tilesPerPass * tile;
  const reads: WgslRef[] = kernel.inputs.map((_, index) => ({ kind: "input", index }));
  const mask = masked ? maskAt(kernel, batch, l, s) : undefined;
  const passes: WgslPass[] = [];
  const state = a.part === "forward";
  const write: WgslRef = state ? { kind: "scratch", index: 0 } : { kind: "output" };
  const t = l * e + s * (e + ev); // backward: per batch element dQ [L, E], then dK, dV
  // forward and dQ: an invocation per query row, keys streamed; dK, dV: the other way round
  for (const dkv of state ? [false] : [false, true]) {
    const own = dkv ? s : l;
    const streamed = dkv ? l : s;
    const blocks = Math.ceil(own / WG);
    const groups = grid(n * blocks);
    const d = { l, s, e, ev, tile, mask, t };
    for (let c = 0, chunks = Math.ceil(streamed / chunk); c < chunks; c++) {
      const [from, to] = [c * chunk, Math.min(streamed, (c + 1) * chunk)];
      const source = [
        ...bindings(kernel, masked, tile * (dkv ? e + ev + 2 : e + ev)),
        ...main(groups, blocks, own),
        ...(dkv
          ? dkvBody(a.causal, from, to, c === 0, d)
          : rowBody(state ? "forward" : "dq", a.causal, from, to, c === 0, d)),
        "}",
      ].join("\n") + "\n";
      passes.push(pass(source, groups, write, reads, { iterations: perTile * tilesPerPass }));
    }
  }
  if (!state) return { passes, scratch: [] };
  const rows = n * l;
  const finish = [
    "@group(0) @binding(0) var<storage, read_write> lt_out: array<f32>;",
    "@group(0) @binding(1) var<storage, read> lt_st: array<f32>;",
    `@compute @workgroup_size(${WG})`,
    "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {",
    `  let p = (i32(wid.y) * ${grid(Math.ceil(rows / WG))[0]} + i32(wid.x)) * ${WG} + i32(lid);`,
    `  if (p >= ${rows}) { return; }`,
    `  let st = p * ${ev + 2};`,
    `  let sum = lt_st[st + ${ev + 1}];`,
    `  for (var c = 0; c < ${ev}; c++) { lt_out[p * ${ev + 1} + c] = lt_st[st + c] / sum; }`,
    `  lt_out[p * ${ev + 1} + ${ev}] = lt_st[st + ${ev}] + log(sum);`,
    "}",
  ].join("\n") + "\n";
  passes.push(
    pass(finish, grid(Math.ceil(rows / WG)), { kind: "output" }, [{ kind: "scratch", index: 0 }], {
      iterations: ev,
    }),
  );
  return { passes, scratch: [{ size: rows * (ev + 2), type: "f32" }] };
}

/** Sizes and the mask reader the bodies share. */
interface Dims {
  readonly l: number;
  readonly s: number;
  readonly e: number;
  readonly ev: number;
  readonly tile: number;
  /** The backward output's values per batch element. */
  readonly t: number;
  /** `(i, j) => WGSL` adding the mask to the score `s` (undefined: no mask). */
  readonly mask?: (i: string, j: string) => string;
}

/** The buffers (the written one first), the scale and the tile of `size` values. */
function bindings(kernel: Kernel, masked: boolean, size: number): string[] {
  const names = ["q", "k", "v", ...(masked ? ["m"] : []), "lse", "delta", "dout"];
  const types = kernel.inputs.map((x) => (x.dtype === "bool" ? "i32" : "f32"));
  return [
    "@group(0) @binding(0) var<storage, read_write> lt_out: array<f32>;",
    ...kernel.inputs.map((_, i) =>
      `@group(0) @binding(${i + 1}) var<storage, read> lt_${names[i]}: array<${types[i]}>;`
    ),
    `const lt_scale = f32(${kernel.attention!.scale});`,
    `var<workgroup> lt_tile: array<f32, ${size}>;`,
  ];
}

function main(groups: readonly number[], blocks: number, own: number): string[] {
  return [
    `@compute @workgroup_size(${WG})`,
    "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {",
    `  let g = i32(wid.y) * ${groups[0]} + i32(wid.x);`,
    // every invocation of a workgroup takes part in its barriers: only whole groups return
    `  let b = g / ${blocks};`,
    `  let r0 = (g % ${blocks}) * ${WG};`,
    `  let r = r0 + i32(lid);`,
    `  let live = r < ${own};`,
  ];
}

/** The mask term of score (i, j) for batch element `b` (its axes of 1 broadcast). */
function maskAt(kernel: Kernel, batch: readonly number[], l: number, s: number) {
  const ms = kernel.inputs[3].shape;
  const [ml, mc] = ms.slice(-2);
  const terms: string[] = [];
  let [stride, div] = [ml * mc, 1];
  for (let d = batch.length - 1; d >= 0; d--) {
    if (ms[d] !== 1) terms.push(`((b / ${div}) % ${batch[d]}) * ${stride}`);
    stride *= ms[d];
    div *= batch[d];
  }
  const base = terms.join(" + ") || "0";
  const bool = kernel.inputs[3].dtype === "bool";
  return (i: string, j: string): string => {
    const at = `${base} + ${ml === l ? `(${i}) * ${mc}` : "0"} + ${mc === s ? j : "0"}`;
    return bool ? `if (lt_m[${at}] == 0) { sc = -inf; }` : `sc += lt_m[${at}];`;
  };
}

/** The score `sc` of query `i` (q at `qo`) and tile key `t` (in `tk`), masked. */
function score(d: Dims, i: string, j: string, qFrom: string, kFrom: string): string[] {
  return [
    "var sc = 0.0;",
    `for (var c = 0; c < ${d.e}; c++) { sc += ${qFrom} * ${kFrom}; }`,
    `sc *= lt_scale;`,
    ...(d.mask ? [d.mask(i, j)] : []),
  ];
}

/** forward and dq: an invocation per query row `r`, keys `from..to` streamed in tiles. */
function rowBody(
  part: "forward" | "dq",
  causal: boolean,
  from: number,
  to: number,
  first: boolean,
  d: Dims,
): string[] {
  const { l, s, e, ev, tile } = d;
  const forward = part === "forward";
  const out: string[] = [];
  const w = e + ev;
  out.push(
    `  let inf = bitcast<f32>(0x7f800000u);`,
    `  let i = min(r, ${l - 1});`,
    `  let qo = (b * ${l} + i) * ${e};`,
    // causal: the workgroup's last row sees keys up to it
    `  let end = ${causal ? `min(${to}, r0 + ${WG})` : `${to}`};`,
  );
  if (forward) {
    out.push(
      `  let st = (b * ${l} + i) * ${ev + 2};`,
      `  var acc: array<f32, ${ev}>;`,
      first
        ? "  var m = -inf;\n  var sum = 0.0;"
        : `  for (var c = 0; c < ${ev}; c++) { acc[c] = lt_out[st + c]; }\n  var m = lt_out[st + ${ev}];\n  var sum = lt_out[st + ${
          ev + 1
        }];`,
      `  var sct: array<f32, ${tile}>;`,
    );
  } else {
    out.push(
      `  var dq: array<f32, ${e}>;`,
      `  let dqo = b * ${d.t} + i * ${e};`,
      first ? "" : `  for (var c = 0; c < ${e}; c++) { dq[c] = lt_out[dqo + c]; }`,
      `  let lse = lt_lse[b * ${l} + i];`,
      `  let dl = lt_delta[b * ${l} + i];`,
      `  let go = (b * ${l} + i) * ${ev};`,
    );
  }
  out.push(
    `  for (var j0 = ${from}; j0 < end; j0 += ${tile}) {`,
    // load keys j0.. and their values into the tile, together
    `    for (var x = i32(lid); x < ${tile * w}; x += ${WG}) {`,
    `      let j = j0 + x / ${w};`,
    `      let c = x % ${w};`,
    `      var val = 0.0;`,
    `      if (j < end) { val = select(lt_v[(b * ${s} + j) * ${ev} + c - ${e}], lt_k[(b * ${s} + j) * ${e} + c], c < ${e}); }`,
    `      lt_tile[x] = val;`,
    "    }",
    "    workgroupBarrier();",
    `    let tn = min(${tile}, end - j0);`,
  );
  const keyLoop = (body: string[]) => [
    "    for (var t = 0; t < tn; t++) {",
    "      let j = j0 + t;",
    `      let kt = t * ${w};`,
    ...score(d, "i", "j", "lt_q[qo + c]", "lt_tile[kt + c]").map((x) => `      ${x}`),
    ...(causal ? ["      if (j > i) { sc = -inf; }"] : []),
    ...body.map((x) => `      ${x}`),
    "    }",
  ];
  if (forward) {
    out.push(
      "    if (live) {",
      "    var bm = -inf;",
      ...keyLoop(["sct[t] = sc;", "bm = max(bm, sc);"]),
      "    let mn = max(m, bm);",
      "    if (mn > -inf) {",
      "      let rs = exp(m - mn);",
      "      sum *= rs;",
      `      for (var c = 0; c < ${ev}; c++) { acc[c] *= rs; }`,
      "      m = mn;",
      "      for (var t = 0; t < tn; t++) {",
      "        let pr = exp(sct[t] - m);",
      "        sum += pr;",
      `        for (var c = 0; c < ${ev}; c++) { acc[c] += pr * lt_tile[t * ${w} + ${e} + c]; }`,
      "      }",
      "    }",
      "    }",
      "    workgroupBarrier();",
      "  }",
      "  if (live) {",
      `    for (var c = 0; c < ${ev}; c++) { lt_out[st + c] = acc[c]; }`,
      `    lt_out[st + ${ev}] = m;`,
      `    lt_out[st + ${ev + 1}] = sum;`,
      "  }",
    );
  } else {
    out.push(
      "    if (live) {",
      ...keyLoop([
        "if (sc > -inf) {",
        "  let pr = exp(sc - lse);",
        "  var dp = 0.0;",
        `  for (var c = 0; c < ${ev}; c++) { dp += lt_dout[go + c] * lt_tile[kt + ${e} + c]; }`,
        "  let ds = pr * (dp - dl) * lt_scale;",
        `  for (var c = 0; c < ${e}; c++) { dq[c] += ds * lt_tile[kt + c]; }`,
        "}",
      ]),
      "    }",
      "    workgroupBarrier();",
      "  }",
      `  if (live) { for (var c = 0; c < ${e}; c++) { lt_out[dqo + c] = dq[c]; } }`,
    );
  }
  return out;
}

/** dkv: an invocation per key `r`, query rows `from..to` streamed in tiles with their dO. */
function dkvBody(
  causal: boolean,
  from: number,
  to: number,
  first: boolean,
  d: Dims,
): string[] {
  const { l, s, e, ev, tile } = d;
  const w = e + ev + 2; // a tile row: q, dO, lse, delta
  return [
    `  let inf = bitcast<f32>(0x7f800000u);`,
    `  let j = min(r, ${s - 1});`,
    `  let ko = (b * ${s} + j) * ${e};`,
    `  let vo = (b * ${s} + j) * ${ev};`,
    `  let oo = b * ${d.t} + ${l * e} + j * ${e + ev};`,
    `  var dk: array<f32, ${e}>;`,
    `  var dv: array<f32, ${ev}>;`,
    ...(first ? [] : [
      `  for (var c = 0; c < ${e}; c++) { dk[c] = lt_out[oo + c]; }`,
      `  for (var c = 0; c < ${ev}; c++) { dv[c] = lt_out[oo + ${e} + c]; }`,
    ]),
    // causal: query rows before the workgroup's first key see none of its keys
    `  let start = ${causal ? `max(${from}, r0)` : `${from}`};`,
    `  for (var i0 = start; i0 < ${to}; i0 += ${tile}) {`,
    `    for (var x = i32(lid); x < ${tile * w}; x += ${WG}) {`,
    `      let i = i0 + x / ${w};`,
    `      let c = x % ${w};`,
    "      var val = 0.0;",
    `      if (i < ${to}) {`,
    `        if (c < ${e}) { val = lt_q[(b * ${l} + i) * ${e} + c]; }`,
    `        else if (c < ${e + ev}) { val = lt_dout[(b * ${l} + i) * ${ev} + c - ${e}]; }`,
    `        else if (c == ${e + ev}) { val = lt_lse[b * ${l} + i]; }`,
    `        else { val = lt_delta[b * ${l} + i]; }`,
    "      }",
    "      lt_tile[x] = val;",
    "    }",
    "    workgroupBarrier();",
    `    let tn = min(${tile}, ${to} - i0);`,
    "    if (live) {",
    "    for (var t = 0; t < tn; t++) {",
    "      let i = i0 + t;",
    `      let qt = t * ${w};`,
    ...score(d, "i", "j", "lt_tile[qt + c]", "lt_k[ko + c]").map((x) => `      ${x}`),
    ...(causal ? ["      if (j > i) { sc = -inf; }"] : []),
    "      if (sc > -inf) {",
    `        let pr = exp(sc - lt_tile[qt + ${e + ev}]);`,
    "        var dp = 0.0;",
    `        for (var c = 0; c < ${ev}; c++) { dp += lt_tile[qt + ${e} + c] * lt_v[vo + c]; }`,
    `        let ds = pr * (dp - lt_tile[qt + ${e + ev + 1}]) * lt_scale;`,
    `        for (var c = 0; c < ${e}; c++) { dk[c] += ds * lt_tile[qt + c]; }`,
    `        for (var c = 0; c < ${ev}; c++) { dv[c] += pr * lt_tile[qt + ${e} + c]; }`,
    "      }",
    "    }",
    "    }",
    "    workgroupBarrier();",
    "  }",
    "  if (live) {",
    `    for (var c = 0; c < ${e}; c++) { lt_out[oo + c] = dk[c]; }`,
    `    for (var c = 0; c < ${ev}; c++) { lt_out[oo + ${e} + c] = dv[c]; }`,
    "  }",
  ];
}
