/**
 * The scheduler: cuts the pending graph below the requested nodes into fused
 * kernels. Elementwise chains and views fuse into their consumer; a reduction
 * fuses with its producers (prologue) and, when read one-to-one, into its
 * consumer; `matmul` fuses with an elementwise epilogue (bias, activation).
 * Reductions and matmuls used more than once, or read through a broadcast,
 * become buffers of their own.
 * @module
 */
import { type Node, pendingNodes } from "../core/ir/ir.ts";
import { elementwiseOps, isElementwise } from "../core/ops/elementwise.ts";
import { isMissing } from "../core/ops/primitive.ts";
import type { OpArgs, OpName } from "../core/ops/registry.ts";
import { isReduction } from "../core/ops/reductions.ts";

/** Views and markers that map each output element to one input element. */
const oneToOne: ReadonlySet<OpName> = new Set<OpName>([
  "cast",
  "reshape",
  "permute",
  "flip",
  "identity",
  "stopGradient",
  "customVjp",
]);
/**
 * Ops a WGSL matmul may compute in its operand tiles: index maps and pads
 * (elementwise math would be recomputed once per tile column that reads it).
 */
const operandOps: ReadonlySet<OpName> = new Set<OpName>([
  ...oneToOne,
  "expand",
  "pad",
  "slice",
]);
import { sizeOf } from "../core/ir/shape.ts";
import {
  iadd,
  type IExpr,
  imul,
  type Kernel,
  type LoopVar,
  type StridedOperand,
  type VExpr,
} from "./kernel.ts";
import { divides, loopSplits, raggedSplits } from "./_loop_split.ts";
import { pad as padNode } from "../core/ops/build.ts";
import { stridedView } from "./_strided_view.ts";
import { flatIndex, type LowerContext, lowerNode, reshapeIndex } from "./lower.ts";

/**
 * Plans the kernels that compute `roots`, in run order.
 * @param roots the nodes to realize
 * @param given nodes whose values are given (a compiled loop body's arguments), read as buffers
 * @returns the kernels; each writes one node's buffer
 */
export function schedule(roots: readonly Node[], given: ReadonlySet<Node> = new Set()): Kernel[] {
  const consumers = new Map<Node, Node[]>();
  for (const node of pendingNodes(roots)) {
    for (const s of node.src) {
      const list = consumers.get(s);
      if (list === undefined) consumers.set(s, [node]);
      else if (!list.includes(node)) list.push(node);
    }
  }
  const rootSet = new Set(roots);
  // A matmul reads its operands as buffers, so those are computed once whatever else reads them:
  // the other readers read that buffer too rather than recompute it (a gelu's derivative feeds
  // both the input gradient's product and the bias gradient's sum)
  const operandBases = new Set<Node>();
  for (const node of consumers.keys()) {
    for (const up of consumers.get(node)!) {
      if (up.op === "matmul") operandBases.add(stridedView(node, given).base);
    }
  }
  // The kernels that would read a node if it were fused everywhere: walk up
  // through consumers until a matmul operand or a requested output (at most 2 kept).
  const terminalsMemo = new Map<Node, Node[]>();
  const terminals = (n: Node): Node[] => {
    let known = terminalsMemo.get(n);
    if (known !== undefined) return known;
    known = [];
    terminalsMemo.set(n, known);
    const ups = consumers.get(n) ?? [];
    // a matmul operand is one buffer, which its other readers read too
    if (operandBases.has(n)) {
      known.push(n);
      return known;
    }
    if (rootSet.has(n) || ups.length === 0) known.push(n);
    for (const c of ups) {
      for (const t of c.op === "matmul" ? [c] : terminals(c)) {
        if (!known.includes(t)) known.push(t);
        if (known.length > 1) return known;
      }
    }
    return known;
  };
  /** Whether a node would be computed by more than one kernel if it were fused. */
  const shared = (n: Node) => terminals(n).length > 1;
  const produced = new Set<Node>();
  // A node used by several consumers is recomputed by each, unless that would
  // recompute a reduction or a matmul it fuses: then it becomes a buffer.
  const expensiveMemo = new Map<Node, boolean>();
  const expensive = (n: Node): boolean => {
    let known = expensiveMemo.get(n);
    if (known === undefined) {
      // shared nodes below are not counted: they become buffers of their own when reached
      known = !isBuffer(n) && (n.op === "matmul" || n.op === "gather" || isReduction(n.op) ||
        storedWhenShared(n) ||
        (oneToOne.has(n.op) || isElementwise(n.op)) &&
          n.src.some((s) => !shared(s) && expensive(s)));
      expensiveMemo.set(n, known);
    }
    return known;
  };
  const jsOnlyMemo = new Map<Node, boolean>();
  /** Whether computing `n` needs the JS tier (float64 values, an op without a Wasm form). */
  const jsOnly = (n: Node): boolean => {
    let known = jsOnlyMemo.get(n);
    if (known === undefined) {
      known = !isBuffer(n) && n.op !== "const" &&
        (n.dtype === "float64" ||
          isElementwise(n.op) && isMissing(elementwiseOps[n.op].kernel.wasm) || n.src.some(jsOnly));
      jsOnlyMemo.set(n, known);
    }
    return known;
  };
  const kernels: Kernel[] = [];
  const isBuffer = (n: Node) =>
    n.buffer !== undefined || n.op === "buffer" || produced.has(n) || given.has(n);
  /** Whether `n` is views and pads of buffers (cheap to compute where read). */
  const fusable = (n: Node, memo = new Map<Node, boolean>()): boolean => {
    let known = memo.get(n);
    if (known === undefined) {
      const srcs = n.op === "customVjp" ? [n.src[n.src.length - 1]] : n.src;
      known = isBuffer(n) || n.op === "const" ||
        operandOps.has(n.op) && srcs.every((s) => fusable(s, memo));
      memo.set(n, known);
    }
    return known;
  };
  const need = (n: Node) =>
    isBuffer(n) ||
    kernels.push(n.op === "linalg" || n.op === "attention" ? hostKernel(n) : planKernel(n));
  /** A `linalg` routine or an attention part: its operands become contiguous buffers, and it runs alone. */
  function hostKernel(root: Node): Kernel {
    root.src.forEach(need);
    produced.add(root);
    expensiveMemo.clear();
    const linalg = root.op === "linalg";
    return {
      kind: linalg ? "host" : "attention",
      inputs: root.src,
      output: root,
      shape: root.shape,
      dtype: root.dtype,
      loops: [],
      body: { k: "const", value: 0, dtype: root.dtype },
      host: linalg ? root.arg as OpArgs["linalg"] : undefined,
      attention: linalg ? undefined : root.arg as OpArgs["attention"],
      fused: [root],
    };
  }

  function planKernel(root: Node): Kernel {
    const kernel = planKernelWith(root, undefined);
    if (kernel.kind !== "loop" || root.device !== "cpu") return kernel;
    const splits = loopSplits(kernel.body, kernel.loops);
    const wide = raggedKernel(root, kernel);
    if (splits === undefined || wide !== kernel) return wide;
    produced.delete(root); // planned again: the kernels it needs are produced already
    return planKernelWith(root, splits);
  }

  /**
   * A kernel reading an output axis `/ c` or `% c` where c does not divide
   * its extent: computed over the extents rounded up to multiples of c
   * (zeros past the end), where its loops split and its indices are affine,
   * then cropped by a copy kernel. Unchanged when its indices still divide.
   */
  function raggedKernel(root: Node, kernel: Kernel): Kernel {
    // (once: the rounded-up copy itself is not rounded again)
    const ragged = inlined === undefined ? raggedSplits(kernel.body, kernel.loops) : undefined;
    if (ragged === undefined) return kernel;
    const after = root.shape.map((n, d) =>
      ragged.has(d) ? Math.ceil(n / ragged.get(d)!) * ragged.get(d)! - n : 0
    );
    const wide = padNode(root, root.shape.map(() => 0), after, 0);
    produced.delete(root);
    inlined = root;
    let planned: Kernel;
    try {
      planned = planKernel(wide);
    } finally {
      inlined = undefined;
    }
    if (divides(planned.body)) {
      produced.delete(wide);
      produced.add(root);
      return kernel;
    }
    kernels.push(planned);
    produced.add(root);
    const loops = root.shape.map((extent, i) => ({ v: `o${i}`, extent }));
    const body: VExpr = {
      k: "load",
      input: 0,
      index: flatIndex(wide.shape, loops),
      dtype: root.dtype,
    };
    return {
      kind: "loop",
      inputs: [wide],
      output: root,
      shape: root.shape,
      dtype: root.dtype,
      loops,
      body,
      fused: [],
    };
  }
  /** A root planned inside its rounded-up copy (`raggedKernel`): inlined there, never a buffer. */
  let inlined: Node | undefined;

  /** Plans `root`'s kernel, its output axes split into `[extent / c, c]` loops where given. */
  function planKernelWith(
    root: Node,
    splits: Map<number, number> | undefined,
    views = root.device === "webgpu",
  ): Kernel {
    const inputs: Node[] = [];
    const slots = new Map<Node, number>();
    const scattered = root.op === "scatterAdd" ? root.src[0] : undefined;
    const loops: LoopVar[] = [];
    const index: IExpr[] = [];
    (scattered ?? root).shape.forEach((extent, i) => {
      const c = splits?.get(i);
      if (c === undefined) {
        loops.push({ v: `o${i}`, extent });
        index.push(loops[loops.length - 1]);
        return;
      }
      const hi = { v: `o${i}`, extent: extent / c };
      const lo = { v: `o${i}r`, extent: c };
      loops.push(hi, lo);
      index.push(iadd(imul(hi, c), lo));
    });
    // WGSL applies an epilogue at the output position of each product element, even through views
    const found = findEpilogueMatmul(root, shared, isBuffer, views);
    const matmulNode = found?.node;
    let viewAt: IExpr | undefined;
    let viewIndices = 0; // distinct product indices the epilogue reads (lowering memoizes)
    const inputSlot = (n: Node) => {
      let slot = slots.get(n);
      if (slot === undefined) {
        slot = inputs.length;
        slots.set(n, slot);
        inputs.push(n);
      }
      return slot;
    };
    const ctx: LowerContext = {
      asBuffer: (n) => {
        if (isBuffer(n)) return true;
        // a scalar read by several kernels whose computation has no Wasm form (float64, pow: a
        // step count's bias correction, read by every parameter's update) is computed once in a
        // kernel of its own, and the readers' kernels stay on the Wasm tier
        const scalar = sizeOf(root.shape) > 1 && root.dtype !== "float64" &&
          sizeOf(n.shape) === 1 && shared(n) && jsOnly(n);
        // (WGSL tiles compute views of buffers where they read them: no operand buffer there)
        const operand = operandBases.has(n) && !(root.device === "webgpu" && fusable(n));
        if (n !== root && n !== inlined && n.op !== "const" && (operand || scalar)) {
          need(n);
          return true;
        }
        if (n === root || n === inlined || !shared(n) || !expensive(n)) return false;
        need(n);
        return true;
      },
      inputSlot,
      materialize: need,
      mayInline: (n) => n === root || n === inlined || !shared(n),
      // hoisting is the CPU codegens' (a GPU thread per element would recompute it)
      mayHoist: (n, idx) =>
        root.device === "cpu" && matmulNode === undefined && !shared(n) &&
        hoistedOnce(idx, loops, sizeOf(n.shape)),
      matmul: matmulNode,
      viewedAcc: found?.chain && ((idx) => {
        viewIndices++;
        viewAt = flatIndex(matmulNode!.shape, idx);
      }),
      loops,
      flat: { v: "p", extent: sizeOf((scattered ?? root).shape) },
      fused: new Set(),
      reduceCount: 0,
    };
    let matmul: Kernel["matmul"];
    const memo = new Map<string, VExpr>();
    if (matmulNode !== undefined) {
      const operand = (n: Node, name: string): StridedOperand => {
        const view = stridedView(n, given);
        if (root.device === "webgpu" && !isBuffer(view.base) && fusable(n)) {
          // WGSL tiles compute the operand where they read it (an implicit im2col)
          const vars = n.shape.map((extent, d) => ({ v: `${name}${d}`, extent }));
          const value = lowerNode(ctx, memo, n, vars, "other");
          return { input: -1, offset: 0, strides: [], fused: { value, vars } };
        }
        need(view.base);
        return { input: inputSlot(view.base), offset: view.offset, strides: view.strides };
      };
      const [a, b] = matmulNode.src;
      matmul = { a: operand(a, "ia"), b: operand(b, "ib"), k: a.shape[a.shape.length - 1] };
    }
    let scatter: Kernel["scatter"];
    let sort: Kernel["sort"];
    let scan: Kernel["scan"];
    let body: VExpr;
    if (root.op === "argsort" || root.op === "cumulative") {
      // rows are sorted or scanned in one pass over a copy: the values are a buffer first
      ctx.fused.add(root);
      need(root.src[0]);
      if (root.op === "argsort") sort = root.arg as OpArgs["argsort"];
      else scan = root.arg as OpArgs["cumulative"];
      body = {
        k: "load",
        input: inputSlot(root.src[0]),
        index: ctx.flat,
        dtype: root.src[0].dtype,
      };
    } else if (scattered !== undefined) {
      // the updates are a buffer first: their producers then run in SIMD lanes (a scatter runs
      // one element at a time), once, however many scatters read them (an embedding's two tables)
      ctx.fused.add(root);
      need(scattered);
      const axis = root.arg as OpArgs["scatterAdd"];
      body = lowerNode(ctx, memo, scattered, index, "identity");
      const at = lowerNode(ctx, memo, root.src[1], index, "identity");
      const idx = index.map((l, d) =>
        d === axis ? { op: "index" as const, x: at, extent: root.shape[d], site: root.id } : l
      );
      scatter = { target: flatIndex(root.shape, idx) };
    } else {
      body = lowerNode(ctx, memo, root, index, "identity");
    }
    // the product read at two positions per output element (x + xᵀ): no epilogue through views
    if (viewIndices > 1) return planKernelWith(root, splits, false);
    if (ctx.copied !== undefined) {
      need(ctx.copied); // a value every piece of a stack computed again: once, then read
      return planKernelWith(root, splits, views);
    }
    if (matmul !== undefined && found?.chain !== undefined) {
      matmul = { ...matmul, view: { ...productView(found.chain), at: viewAt! } };
    }
    produced.add(root);
    expensiveMemo.clear(); // nodes above a new buffer are cheap now
    return {
      kind: sort !== undefined
        ? "sort"
        : scan !== undefined
        ? "scan"
        : scatter !== undefined
        ? "scatter"
        : matmul === undefined
        ? "loop"
        : "matmul",
      inputs,
      output: root,
      shape: root.shape,
      dtype: root.dtype,
      loops,
      body,
      matmul,
      scatter,
      sort,
      scan,
      fused: [...ctx.fused].sort((x, y) => x.id - y.id),
    };
  }

  // shallowest first: in a gradient, the last layer's is ready first, and its values die early
  for (const root of [...roots].sort((x, y) => x.depth - y.depth)) need(root);
  return kernels;
}

/**
 * Whether a value read at `idx` is computed at most `results` times when
 * hoisted out of the loops it does not vary along (it varies along the
 * outer loops only: each row's reduction then runs once per row).
 */
function hoistedOnce(idx: readonly IExpr[], loops: readonly LoopVar[], results: number): boolean {
  let deepest = -1;
  const affine = (e: IExpr): boolean => {
    if (typeof e === "number") return true;
    if ("v" in e) {
      const d = loops.findIndex((l) => l.v === e.v);
      deepest = Math.max(deepest, d);
      return d >= 0;
    }
    return e.op !== "index" && affine(e.a) && affine(e.b);
  };
  if (!idx.every(affine)) return false;
  return loops.slice(0, deepest + 1).reduce((n, l) => n * l.extent, 1) <= results;
}

/**
 * The matmul reached from `root` through elementwise ops only, with the same
 * shape; with `views` (WGSL), also through reshapes and permutes (`chain`:
 * the route, root first, the matmul last).
 */
function findEpilogueMatmul(
  root: Node,
  shared: (n: Node) => boolean,
  isBuffer: (n: Node) => boolean,
  views: boolean,
): { node: Node; chain?: Node[] } | undefined {
  const stack: Node[][] = [[root]];
  const seen = new Set<Node>();
  while (stack.length > 0) {
    const route = stack.pop()!;
    const node = route[route.length - 1];
    if (seen.has(node) || isBuffer(node)) continue;
    // a shared intermediate is computed by a kernel of its own (see `expensive`)
    if (node !== root && shared(node)) continue;
    seen.add(node);
    const next = (n: Node) => stack.push([...route, n]);
    if (node.op === "matmul") {
      if (!route.some((n) => n.op === "reshape" || n.op === "permute")) {
        if (node.shape.length === root.shape.length) return { node };
      } else return { node, chain: route };
    } else if (isElementwise(node.op) || node.op === "cast") {
      node.src.forEach(next);
    } else if (views && (node.op === "reshape" || node.op === "permute")) {
      next(node.src[0]);
    } else if (views && node.op === "customVjp") {
      next(node.src[node.src.length - 1]);
    }
  }
  return undefined;
}

/** The product's loops, and the chain's root index as a function of them. */
function productView(chain: readonly Node[]): { loops: LoopVar[]; outer: IExpr[] } {
  const product = chain[chain.length - 1];
  const loops = product.shape.map((extent, d) => ({ v: `mg${d}`, extent }));
  let idx: IExpr[] = loops;
  for (let i = chain.length - 2; i >= 0; i--) {
    const node = chain[i];
    if (node.op === "reshape") idx = reshapeIndex(node.shape, chain[i + 1].shape, idx);
    else if (node.op === "permute") {
      const at = idx;
      idx = (node.arg as OpArgs["permute"]).map((p) => at[p]);
    }
  }
  return { loops, outer: idx };
}

/** Fewest elements from which a shared costly value is stored rather than recomputed. */
const STORED_MIN_SIZE = 4096;

/**
 * Whether a costly elementwise value (erf, exp, log…: tens of vector
 * instructions per element) is computed once into a buffer when several
 * kernels read it, rather than recomputed by each: from
 * `STORED_MIN_SIZE` elements, where writing and reading it back costs less
 * than the polynomial (gelu's Φ, read by its forward and its backward).
 */
function storedWhenShared(n: Node): boolean {
  return isElementwise(n.op) && elementwiseOps[n.op].cost === "costly" &&
    sizeOf(n.shape) >= STORED_MIN_SIZE;
}
