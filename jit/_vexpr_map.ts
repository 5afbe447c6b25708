/**
 * Walking value expressions: `mapValues(e, f)` rebuilds `e` with every
 * subexpression `x` for which `f(x)` returns a replacement swapped out,
 * keeping shared subexpressions shared (renderers name each one once);
 * `readsOf(e)` lists the buffers it reads.
 * @module
 */
import type { IExpr, VExpr } from "./kernel.ts";

/**
 * Rebuilds `e`, replacing each subexpression for which `f` returns a value.
 * @param e the expression
 * @param f the replacement, or `undefined` to keep a subexpression (and look inside)
 * @returns the rewritten expression (`e` itself when nothing changed)
 */
export function mapValues(e: VExpr, f: (x: VExpr) => VExpr | undefined): VExpr {
  const memo = new Map<VExpr, VExpr>();
  const index = (i: IExpr): IExpr => {
    if (typeof i === "number" || "v" in i) return i;
    if (i.op === "index") {
      const x = value(i.x);
      return x === i.x ? i : { ...i, x };
    }
    const [a, b] = [index(i.a), index(i.b)];
    return a === i.a && b === i.b ? i : { ...i, a, b };
  };
  const value = (x: VExpr): VExpr => {
    let out = memo.get(x);
    if (out !== undefined) return out;
    out = f(x) ?? rebuild(x);
    memo.set(x, out);
    return out;
  };
  const rebuild = (x: VExpr): VExpr => {
    switch (x.k) {
      case "const":
      case "acc":
        return x;
      case "load": {
        const i = index(x.index);
        return i === x.index ? x : { ...x, index: i };
      }
      case "cast": {
        const y = value(x.x);
        return y === x.x ? x : { ...x, x: y };
      }
      case "alu": {
        const args = x.args.map(value);
        return args.every((a, i) => a === x.args[i]) ? x : { ...x, args };
      }
      case "pad": {
        const conds = x.conds.map((c) => ({ ...c, i: index(c.i) }));
        const y = value(x.x);
        return y === x.x && conds.every((c, i) => c.i === x.conds[i].i) ? x : { ...x, conds, x: y };
      }
      case "reduce": {
        const body = value(x.body);
        return body === x.body ? x : { ...x, body };
      }
    }
  };
  return value(e);
}

/**
 * The inputs an expression reads (loads, gathered indices, reduction bodies).
 * @param e the expression
 * @param memo results for shared subexpressions
 * @returns the input numbers
 */
export function readsOf(e: VExpr, memo: Map<VExpr, Set<number>>): Set<number> {
  let known = memo.get(e);
  if (known !== undefined) return known;
  known = new Set();
  const add = (s: Set<number>) => s.forEach((i) => known!.add(i));
  const index = (i: IExpr) => {
    if (typeof i === "number" || "v" in i) return;
    if (i.op === "index") add(readsOf(i.x, memo));
    else {
      index(i.a);
      index(i.b);
    }
  };
  switch (e.k) {
    case "load":
      known.add(e.input);
      index(e.index);
      break;
    case "alu":
      e.args.forEach((a) => add(readsOf(a, memo)));
      break;
    case "cast":
      add(readsOf(e.x, memo));
      break;
    case "pad":
      e.conds.forEach((c) => index(c.i));
      add(readsOf(e.x, memo));
      break;
    case "reduce":
      add(readsOf(e.body, memo));
      break;
  }
  memo.set(e, known);
  return known;
}

/** A key equal for expressions that generate the same code (constants left out, sharing kept). */
export function structureOf(e: VExpr): string {
  const ids = new Map<VExpr, number>();
  const index = (i: IExpr): string => {
    if (typeof i === "number") return String(i);
    if ("v" in i) return `${i.v}<${i.extent}`;
    return i.op === "index" ? `[${value(i.x)}<${i.extent}]` : `(${index(i.a)}${i.op}${index(i.b)})`;
  };
  const value = (x: VExpr): string => {
    const id = ids.get(x);
    if (id !== undefined) return `#${id}`;
    const head = `${x.k === "alu" || x.k === "reduce" ? x.op : x.k}:${x.dtype}`;
    let key: string;
    if (x.k === "load") key = `${head}${x.input}[${index(x.index)}]`;
    else if (x.k === "alu") key = `${head}(${x.args.map(value).join()})`;
    else if (x.k === "cast") key = `${head}(${value(x.x)})`;
    else if (x.k === "pad") {
      key = `${head}(${x.conds.map((c) => `${index(c.i)}:${c.lo}:${c.hi}`).join()};${value(x.x)})`;
    } else if (x.k === "reduce") {
      key = `${head}(${x.vars.map((v) => `${v.v}<${v.extent}`).join()};${value(x.body)})`;
    } else key = head; // const, acc
    ids.set(x, ids.size);
    return key;
  };
  return value(e);
}
