/**
 * Parameter trees ("pytrees"): nested plain objects and arrays whose leaves
 * are tensors. `null`, `undefined`, numbers, strings and booleans are kept
 * as static parts of the structure. Object keys are visited in sorted order
 * (like JAX), so a structure is a stable cache key.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { isTensor } from "./_wrap.ts";
import { checkOptions } from "./_options.ts";
import { fmtShape } from "./ir/errors.ts";

/** A tree of tensors: a tensor, or arrays / plain objects of trees. */
export type Tree =
  | Tensor
  | null
  | undefined
  | number
  | string
  | boolean
  | readonly Tree[]
  // NOTE: `object`, not an index signature, so interfaces of tensors are trees too
  | object;

/** The shape of a tree without its tensors, as returned by `flatten`. */
export type TreeDef =
  | { readonly kind: "leaf" }
  | { readonly kind: "static"; readonly value: null | undefined | number | string | boolean }
  | { readonly kind: "array"; readonly items: readonly TreeDef[] }
  | {
    readonly kind: "object";
    readonly keys: readonly string[];
    readonly items: readonly TreeDef[];
  };

function isPlainObject(x: unknown): x is Record<string, Tree> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (typeof x !== "object") return typeof x;
  return (x as object).constructor?.name ?? "object";
}

function walk(x: unknown, path: string, leaves: Tensor[], paths?: string[]): TreeDef {
  if (isTensor(x)) {
    leaves.push(x);
    paths?.push(path);
    return { kind: "leaf" };
  }
  if (x === null || x === undefined || ["number", "string", "boolean"].includes(typeof x)) {
    return { kind: "static", value: x as null | undefined | number | string | boolean };
  }
  if (Array.isArray(x)) {
    return {
      kind: "array",
      items: x.map((y, i) => walk(y, `${path}[${i}]`, leaves, paths)),
    };
  }
  if (isPlainObject(x)) {
    const keys = Object.keys(x).sort();
    return {
      kind: "object",
      keys,
      items: keys.map((k) => walk(x[k], `${path}.${k}`, leaves, paths)),
    };
  }
  throw new TypeError(
    `Tree expected tensors, arrays, plain objects, numbers, strings, booleans or null: found ${
      describeValue(x)
    } at ${path}: keep other values in closures`,
  );
}

/**
 * Splits a tree into its tensors (in a stable order) and its structure.
 * @example
 * ```ts
 * import { tensor, tree } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const { leaves } = tree.flatten({ w: tensor([1]), b: tensor([2]) });
 * assertEquals(leaves.map((t) => t.item()), [2, 1]); // keys sorted: b, w
 * ```
 */
export function flatten(value: Tree): { leaves: Tensor[]; def: TreeDef } {
  const leaves: Tensor[] = [];
  const def = walk(value, "tree", leaves);
  return { leaves, def };
}

/**
 * The key path of each tensor of a tree, in `flatten`'s order.
 * @param value the tree
 * @param root the name the paths start with
 * @returns paths such as `params.layers[0].w`
 * @example
 * ```ts
 * import { tensor, tree } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(tree.leafPaths({ w: tensor([1]), b: [tensor([2])] }, "p"), ["p.b[0]", "p.w"]);
 * ```
 */
export function leafPaths(value: Tree, root = "tree"): string[] {
  const paths: string[] = [];
  walk(value, root, [], paths);
  return paths;
}

/** Rebuilds a tree from its structure and leaves (in `flatten`'s order). */
export function unflatten<T = Tree>(def: TreeDef, leaves: readonly Tree[]): T {
  let pos = 0;
  const build = (d: TreeDef): unknown => {
    switch (d.kind) {
      case "leaf":
        return leaves[pos++];
      case "static":
        return d.value;
      case "array":
        return d.items.map(build);
      case "object":
        return Object.fromEntries(d.keys.map((k, i) => [k, build(d.items[i])]));
    }
  };
  const out = build(def) as T;
  if (pos !== leaves.length) {
    throw new RangeError(
      `unflatten() expected ${pos} leaves for this structure: found ${leaves.length}`,
    );
  }
  return out;
}

/** The tensors of a tree, in `flatten`'s order. */
export function leaves(value: Tree): Tensor[] {
  return flatten(value).leaves;
}

/** A readable key of a structure (equal structures give equal keys). */
export function structureKey(def: TreeDef): string {
  return JSON.stringify(def);
}

function mismatch(path: string, what: string): TypeError {
  return new TypeError(`Tree mismatch at ${path}: ${what}`);
}

function compare(a: unknown, b: unknown, path: string, checkShapes: boolean): void {
  if (isTensor(a) || isTensor(b)) {
    if (!isTensor(a) || !isTensor(b)) {
      throw mismatch(
        path,
        `expected a Tensor in both trees but found ${describeValue(a)} and ${describeValue(b)}`,
      );
    }
    if (
      checkShapes && (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i]))
    ) {
      throw mismatch(path, `expected shape ${fmtShape(a.shape)} but found ${fmtShape(b.shape)}`);
    }
    return;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) {
      const len = (
        x: unknown,
      ) => (Array.isArray(x) ? `an array of length ${x.length}` : describeValue(x));
      throw mismatch(path, `expected ${len(a)} but found ${len(b)}`);
    }
    a.forEach((x, i) => compare(x, b[i], `${path}[${i}]`, checkShapes));
    return;
  }
  if (isPlainObject(a) || isPlainObject(b)) {
    if (!isPlainObject(a) || !isPlainObject(b)) {
      throw mismatch(
        path,
        `expected an object in both trees but found ${describeValue(a)} and ${describeValue(b)}`,
      );
    }
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    const missing = ka.filter((k) => !kb.includes(k));
    const extra = kb.filter((k) => !ka.includes(k));
    if (missing.length > 0 || extra.length > 0) {
      throw mismatch(
        path,
        `keys differ: missing [${missing.join(", ")}], unexpected [${extra.join(", ")}]`,
      );
    }
    ka.forEach((k) => compare(a[k], b[k], `${path}.${k}`, checkShapes));
    return;
  }
  if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) {
    throw mismatch(path, `expected the static value ${String(a)} but found ${String(b)}`);
  }
}

/**
 * Throws a `TypeError` naming the first path where two trees differ
 * (structure, and tensor shapes when `checkShapes` is true).
 */
export function assertSameStructure(
  a: Tree,
  b: Tree,
  options: { checkShapes?: boolean; name?: string } = {},
): void {
  checkOptions("assertSameStructure", options, ["checkShapes", "name"]);
  compare(a, b, options.name ?? "tree", options.checkShapes ?? false);
}

/** Whether two trees have the same structure (tensor shapes are not compared). */
export function structureEquals(a: Tree, b: Tree): boolean {
  try {
    compare(a, b, "tree", false);
    return true;
  } catch {
    return false;
  }
}

/**
 * Applies `fn` to the tensors at the same places in one or more trees of the
 * same structure; static parts are kept from the first tree.
 * @example
 * ```ts
 * import { tensor, tree } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const p = { w: tensor([1, 2]), b: tensor([3]) };
 * const g = { w: tensor([0.5, 0.5]), b: tensor([1]) };
 * const next = tree.map((x, dx) => x.sub(dx), p, g);
 * assertEquals(next.w.toArray(), [0.5, 1.5]);
 * ```
 */
export function map<T extends Tree>(
  fn: (...leaves: Tensor[]) => Tensor,
  first: T,
  ...rest: Tree[]
): T {
  rest.forEach((r, i) => compare(first, r, `trees[${i + 1}]`, false));
  const { leaves: heads, def } = flatten(first);
  const others = rest.map((r) => flatten(r).leaves);
  return unflatten<T>(def, heads.map((leaf, i) => fn(leaf, ...others.map((o) => o[i]))));
}
