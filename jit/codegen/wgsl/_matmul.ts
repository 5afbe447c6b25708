/**
 * The tiled WGSL matmul pass behind `codegen_wgsl.ts`: 16×16 output tiles,
 * a workgroup per tile, the operands staged through shared memory K
 * columns at a time, the epilogue (bias, activation) applied to each result
 * in place.
 *
 * - An operand that is views, pads and elementwise ops of a buffer is
 *   computed where its tile is loaded: for a convolution, the windows of
 *   the padded input are read straight from the input (an implicit im2col)
 *   instead of a copied column buffer.
 * - An epilogue that reads the product through reshapes and permutes (a
 *   convolution's `[G, O/G, N·L]` product stored as `[N, O, H, W]`, then its
 *   activation) is applied at the output position of each product element.
 * @module
 */
import type { Kernel, StridedOperand } from "../../kernel.ts";
import { MAX_GROUPS, Renderer, Scope, type WgslStorage, wgslStore } from "./_render.ts";
import type { WgslType } from "../../../core/ops/_wgsl_helpers.ts";
import { iadd, type IExpr, imul, type LoopVar } from "../../kernel.ts";

/** The side of the output tiles (and the K step). */
export const TILE = 16;

/** The flat index of `vars` (row-major) as an index expression. */
export function flatOf(vars: readonly LoopVar[]): IExpr {
  let flat: IExpr = 0;
  for (const v of vars) flat = iadd(imul(flat, v.extent), v);
  return flat;
}

/**
 * The tiled pass of a matmul kernel.
 * @param k the kernel (kind `matmul`)
 * @param slices K slices (each a z layer of workgroups); 1: the whole K
 * @param slice the length of one K slice
 * @param t the accumulator type
 * @param out the output's storage when the epilogue is applied here, or undefined to store
 *   each slice's sums (`[slices, product]` in product order) for a later pass
 * @returns the renderer (reads, constants, iterations), the `main` lines and the dispatch
 */
export function tiledMatmul(
  k: Kernel,
  slices: number,
  slice: number,
  t: WgslType,
  out: WgslStorage | undefined,
): { r: Renderer; main: string[]; groups: [number, number, number] } {
  const mm = k.matmul!;
  const loops = mm.view?.loops ?? k.loops;
  const nb = loops.length - 2;
  const [mVar, nVar] = [loops[nb], loops[nb + 1]];
  const batch = loops.slice(0, nb);
  const size = loops.reduce((n, l) => n * l.extent, 1);
  const r = new Renderer();
  const root = new Scope();
  const base = (o: StridedOperand) =>
    [String(o.offset), ...batch.map((l, d) => `${l.v} * ${o.strides[d]}`)].join(" + ");
  r.unflatten(batch, "bz", root);
  const zero = t === "f32" ? "0.0" : "0";
  const [sAm, sAk] = [mm.a.strides[nb], mm.a.strides[nb + 1]];
  const [sBk, sBn] = [mm.b.strides[nb], mm.b.strides[nb + 1]];
  /** Loads element (row, col) of an operand into a tile (`at`: a strided view's offset). */
  const tile = (o: StridedOperand, v: string, ok: string, rc: [string, string], at: string) => {
    if (o.fused === undefined) {
      return [`if (${ok}) { ${v} = ${r.load(o.input, k.inputs[o.input].dtype, at)}; }`];
    }
    // an implicit im2col: the operand's index arithmetic and pads, computed here
    const inner = new Scope(root);
    o.fused.vars.forEach((l, d) => {
      const bound = d < nb ? (l.extent === 1 ? "0" : batch[d].v) : rc[d - nb];
      inner.lines.push(`let ${l.v} = ${bound};`);
    });
    const x = r.value(o.fused.value, inner);
    return [`if (${ok}) {`, ...inner.lines.map((l) => `  ${l}`), `  ${v} = ${x};`, "}"];
  };
  // the product's flat index; the output's, when the epilogue reads the product through views
  const q = `(bz * ${mVar.extent} + ${mVar.v}) * ${nVar.extent} + ${nVar.v}`;
  const tail = new Scope(root);
  if (mm.view === undefined) tail.lines.push("let p = lt_q;");
  else {
    k.loops.forEach((l, d) => tail.lines.push(`let ${l.v} = ${r.index(mm.view!.outer[d], tail)};`));
    tail.lines.push(`let p = ${r.index(flatOf(k.loops), tail)};`);
  }
  let store: string;
  if (out !== undefined) {
    const value = r.value(k.body, tail);
    store = `lt_out[p] = ${wgslStore(value, out)};`;
  } else {
    store = `lt_out[ks * ${size} + lt_q] = lt_acc;`;
  }
  const trips = Math.ceil(slice / TILE);
  r.iterations += trips * (TILE + 1);
  const main = [
    `var<workgroup> lt_ta: array<${t}, ${TILE * TILE}>;`,
    `var<workgroup> lt_tb: array<${t}, ${TILE * TILE}>;`,
    `@compute @workgroup_size(${TILE}, ${TILE})`,
    "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {",
    "  let tx = i32(lid.x);",
    "  let ty = i32(lid.y);",
    `  let ${nVar.v} = i32(wid.x) * ${TILE} + tx;`,
    `  let ${mVar.v} = i32(wid.y) * ${TILE} + ty;`,
    `  let bz = i32(wid.z) / ${slices};`,
    `  let ks = i32(wid.z) % ${slices};`,
    ...root.lines.map((l) => `  ${l}`),
    ...(mm.a.fused ? [] : [`  let aRow = ${base(mm.a)} + ${mVar.v} * ${sAm};`]),
    ...(mm.b.fused ? [] : [`  let bCol = ${base(mm.b)} + ${nVar.v} * ${sBn};`]),
    `  let k0 = ks * ${slice};`,
    `  let k1 = min(${mm.k}, k0 + ${slice});`,
    `  var lt_acc: ${t} = ${zero};`,
    `  for (var kt: i32 = k0; kt < k1; kt += ${TILE}) {`,
    `    var av: ${t} = ${zero};`,
    ...tile(
      mm.a,
      "av",
      `${mVar.v} < ${mVar.extent} && kt + tx < k1`,
      [mVar.v, "kt + tx"],
      `aRow + (kt + tx) * ${sAk}`,
    )
      .map((l) => `    ${l}`),
    `    lt_ta[ty * ${TILE} + tx] = av;`,
    `    var bv: ${t} = ${zero};`,
    ...tile(
      mm.b,
      "bv",
      `${nVar.v} < ${nVar.extent} && kt + ty < k1`,
      ["kt + ty", nVar.v],
      `bCol + (kt + ty) * ${sBk}`,
    )
      .map((l) => `    ${l}`),
    `    lt_tb[ty * ${TILE} + tx] = bv;`,
    "    workgroupBarrier();",
    `    for (var kk: i32 = 0; kk < ${TILE}; kk++) {`,
    `      lt_acc = lt_acc + lt_ta[ty * ${TILE} + kk] * lt_tb[kk * ${TILE} + tx];`,
    "    }",
    "    workgroupBarrier();",
    "  }",
    `  if (${mVar.v} < ${mVar.extent} && ${nVar.v} < ${nVar.extent}) {`,
    `    let lt_q = ${q};`,
    ...tail.lines.map((l) => `    ${l}`),
    `    ${store}`,
    "  }",
    "}",
  ];
  const batchSize = batch.reduce((n, l) => n * l.extent, 1);
  const groups: [number, number, number] = [
    Math.ceil(nVar.extent / TILE),
    Math.ceil(mVar.extent / TILE),
    batchSize * slices,
  ];
  if (groups.some((g) => g > MAX_GROUPS)) {
    throw new RangeError(
      `WebGPU matmul needs ${groups.join(" × ")} workgroups: the limit is ${MAX_GROUPS} per axis`,
    );
  }
  return { r, main, groups };
}
