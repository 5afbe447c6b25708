/**
 * Parameter trees as flat records named by path, and back: the naming that
 * safetensors, `.npz` and PyTorch `state_dict`s use.
 *
 * A tensor's name is its path in the tree with the parts joined by dots:
 * object keys as they are, array positions as numbers. So
 * `[{ weight, bias }, {}, { weight, bias }]` (the params of
 * `sequential(linear(…), relu, linear(…))`) is named `0.weight`, `0.bias`,
 * `2.weight`, `2.bias`: exactly the keys of the `state_dict` of PyTorch's
 * `nn.Sequential(nn.Linear(…), nn.ReLU(), nn.Linear(…))`. A module with named
 * children (`self.fc1 = nn.Linear(…)`) gives `fc1.weight`: a Lathe tree
 * `{ fc1: { weight, bias } }` has the same names. `linear`, `layerNorm` and
 * `embedding` use torch's parameter names (`weight`, `bias`) and layouts.
 * Numbers, strings, booleans and `null` in a tree are structure, not saved.
 * @module
 */
import type { Tensor } from "../tensor.ts";
import type { Tree } from "../tree.ts";
import { isTensor } from "../_wrap.ts";
import { fmtShape, fmtValue } from "../ir/errors.ts";
import { toDevice } from "../device.ts";
import { checkOptions } from "./_options.ts";

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Calls `visit(name, tensor)` for every tensor of a tree, in the tree's sorted-key order. */
function walk(
  op: string,
  x: unknown,
  path: string[],
  visit: (name: string, t: Tensor) => void,
): void {
  if (isTensor(x)) {
    visit(path.join("."), x);
  } else if (Array.isArray(x)) {
    x.forEach((y, i) => walk(op, y, [...path, String(i)], visit));
  } else if (isPlainObject(x)) {
    for (const k of Object.keys(x).sort()) walk(op, x[k], [...path, k], visit);
  } else if (
    !(x === null || x === undefined || ["number", "string", "boolean"].includes(typeof x))
  ) {
    throw new TypeError(
      `${op}() expected a tree of tensors: found ${fmtValue(x)} at "${path.join(".")}": ` +
        `keep other values out of the tree`,
    );
  }
}

/**
 * The tensors of a tree as a flat record named by path (`"0.weight"`), the
 * form safetensors and `.npz` files store.
 * @param tree a parameter tree (or any tree of tensors); not a bare tensor
 * @returns a record from names to tensors (shared, not copied)
 * @example The names of a sequential model match PyTorch's
 * ```ts
 * import { io, random } from "@lathe/lathe";
 * import { linear, relu, sequential } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const params = sequential(linear(2, 3), relu, linear(3, 1)).init(random.key(0));
 * assertEquals(Object.keys(io.stateDict(params)), ["0.bias", "0.weight", "2.bias", "2.weight"]);
 * ```
 */
export function stateDict(tree: Tree): Record<string, Tensor> {
  if (isTensor(tree)) {
    throw new TypeError(
      "stateDict() expected a tree of tensors: found a single tensor, which has no name: " +
        "wrap it in an object, e.g. { weight: t }",
    );
  }
  const out: Record<string, Tensor> = {};
  walk("stateDict", tree, [], (name, t) => {
    if (name in out) {
      throw new TypeError(
        `stateDict() found two tensors named "${name}": a key with dots collides with a nested path: ` +
          `rename one of them`,
      );
    }
    out[name] = t;
  });
  return out;
}

/** Options of `loadStateDict`. */
export interface LoadStateDictOptions {
  /** Prepended to every name of the template when looking it up (e.g. `"model."`). */
  prefix?: string;
  /**
   * Maps a template name (after `prefix`) to the name in the record, for
   * layouts that differ; return `undefined` to keep the name.
   */
  rename?: (name: string) => string | undefined;
  /** Fail on tensors of the record that the template does not use (default true, like torch's `strict`). */
  strict?: boolean;
}

/**
 * Loads named tensors into a tree of the template's structure: each tensor of
 * the template is replaced by the record's tensor of the same name, cast to
 * the template tensor's dtype and moved to its device (like torch's
 * `load_state_dict`, which copies into the existing parameters).
 * @param template a tree of the wanted structure, e.g. `model.init(key)`
 * @param tensors named tensors, e.g. from `decodeSafetensors(bytes).tensors`
 * @param options `prefix`, `rename` and `strict`
 * @returns a new tree with the loaded tensors
 * @example Parameters survive a round trip through names
 * ```ts
 * import { io, random } from "@lathe/lathe";
 * import { linear } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const layer = linear(2, 2);
 * const saved = layer.init(random.key(1));
 * const loaded = io.loadStateDict(layer.init(random.key(2)), io.stateDict(saved));
 * assertEquals(loaded.weight.toArray(), saved.weight.toArray());
 * ```
 */
export function loadStateDict<T extends Tree>(
  template: T,
  tensors: Readonly<Record<string, Tensor>>,
  options: LoadStateDictOptions = {},
): T {
  checkOptions("loadStateDict", options, ["prefix", "rename", "strict"]);
  const prefix = options.prefix ?? "";
  const used = new Set<string>();
  const missing: string[] = [];
  const nameOf = (path: string): string => {
    const full = prefix + path;
    return options.rename?.(full) ?? full;
  };
  const build = (x: unknown, path: string[]): unknown => {
    if (isTensor(x)) {
      const name = nameOf(path.join("."));
      const found = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
      if (found === undefined) {
        missing.push(name);
        return x;
      }
      if (!isTensor(found)) {
        throw new TypeError(
          `loadStateDict() expected a tensor named "${name}": found ${fmtValue(found)}`,
        );
      }
      used.add(name);
      if (found.shape.length !== x.shape.length || found.shape.some((d, i) => d !== x.shape[i])) {
        throw new RangeError(
          `loadStateDict() expected "${name}" of shape ${fmtShape(x.shape)} (the template's): ` +
            `found ${
              fmtShape(found.shape)
            }: build the model with the sizes the file was saved with`,
        );
      }
      return toDevice(found.dtype === x.dtype ? found : found.astype(x.dtype), x.device);
    }
    if (Array.isArray(x)) return x.map((y, i) => build(y, [...path, String(i)]));
    if (isPlainObject(x)) {
      return Object.fromEntries(Object.keys(x).sort().map((k) => [k, build(x[k], [...path, k])]));
    }
    walk("loadStateDict", x, path, () => {});
    return x;
  };
  const out = build(template, []) as T;
  if (missing.length > 0) {
    throw new TypeError(
      `loadStateDict() found no tensor for ${missing.length} name(s) of the template: ${
        list(missing)
      }; the record has ${
        list(Object.keys(tensors))
      }: pass { prefix } or { rename } to map the names`,
    );
  }
  const unused = Object.keys(tensors).filter((k) => !used.has(k));
  if ((options.strict ?? true) && unused.length > 0) {
    throw new TypeError(
      `loadStateDict() got ${unused.length} tensor(s) the template does not use: ${
        list(unused)
      }: ` +
        `pass { strict: false } to ignore them, or { prefix } to pick a sub-tree`,
    );
  }
  return out;
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, 8).map((n) => `"${n}"`).join(", ");
  return names.length > 8 ? `${shown} and ${names.length - 8} more` : `[${shown}]`;
}
