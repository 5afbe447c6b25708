/**
 * What the ONNX operator rows share: reading attributes and inputs, and
 * integer values known while tracing.
 * @module
 */
import * as lt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import type { Attribute, OnnxNode, Value } from "./_graph.ts";

/** What an operator gets: its node, its inputs (`undefined` when omitted) and the opset. */
export interface OpContext {
  /** The node (attributes, names). */
  readonly node: OnnxNode;
  /** The default domain's opset version. */
  readonly opset: number;
}

/** An operator: input values to output values. */
export type OnnxOp = (inputs: readonly (Value | undefined)[], ctx: OpContext) => Value[];

export function where(ctx: OpContext): string {
  return `importOnnx(): node "${ctx.node.name}" (${ctx.node.opType})`;
}

export function attr<T extends Attribute>(ctx: OpContext, name: string, fallback: T): T {
  return (ctx.node.attributes[name] as T | undefined) ?? fallback;
}

export function num(ctx: OpContext, name: string, fallback: number): number {
  return attr<number>(ctx, name, fallback);
}

export function list(ctx: OpContext, name: string, fallback: readonly number[]): readonly number[] {
  return attr<readonly number[]>(ctx, name, fallback);
}

export function input(inputs: readonly (Value | undefined)[], i: number, ctx: OpContext): Tensor {
  const v = inputs[i];
  if (v === undefined) throw new TypeError(`${where(ctx)} expected input ${i}: found none`);
  return v.tensor;
}

/** The integer values of an input that must be known while tracing (a shape, axes, …). */
export function known(
  inputs: readonly (Value | undefined)[],
  i: number,
  ctx: OpContext,
  what: string,
): number[] {
  const v = inputs[i];
  if (v?.known === undefined) {
    throw new TypeError(
      `${
        where(ctx)
      } needs its ${what} (input ${i}) as constants: found a value computed from the ` +
        "model's inputs: export with static shapes, or compute it from Shape and constants only",
    );
  }
  return [...v.known];
}

export function value(tensor: Tensor, values?: readonly number[]): Value[] {
  return [values === undefined ? { tensor } : { tensor, known: values }];
}

export function ints(values: readonly number[], shape: readonly number[]): Value[] {
  return value(lt.tensor(Int32Array.from(values), { shape }), values);
}

export function axisOf(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** NumPy's `values[start:stop:step]` on known values. */
export function sliceValues(
  values: readonly number[],
  start: number,
  stop: number,
  step: number,
): number[] {
  const n = values.length;
  const norm = (i: number, lo: number, hi: number) => Math.min(Math.max(i < 0 ? i + n : i, lo), hi);
  const out: number[] = [];
  if (step > 0) {
    for (let i = norm(start, 0, n); i < norm(stop, 0, n); i += step) out.push(values[i]);
  } else {
    for (let i = norm(start, -1, n - 1); i > norm(stop, -1, n - 1); i += step) out.push(values[i]);
  }
  return out;
}

/** Every operator Lathe runs, by ONNX name. */
