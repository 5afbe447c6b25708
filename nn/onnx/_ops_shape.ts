/**
 * ONNX operators that move, reshape, select or make values (the shape
 * arithmetic of exported graphs): one table row per operator.
 * @module
 */
import * as lt from "../../mod.ts";
import type { DType } from "../../mod.ts";
import { dtypeOf } from "./_graph.ts";
import {
  axisOf,
  input,
  ints,
  known,
  list,
  num,
  type OnnxOp,
  type OpContext,
  sliceValues,
  value,
  where,
} from "./_op_util.ts";

function castTo(code: number, ctx: OpContext): DType {
  return dtypeOf(code, `${where(ctx).slice("importOnnx(): ".length)} "to"`);
}

/** The movement and shape operators, by ONNX name. */
export const shapeOps: Readonly<Record<string, OnnxOp>> = {
  Identity: (inputs, ctx) => [inputs[0] ?? value(input(inputs, 0, ctx))[0]],
  Dropout: (inputs, ctx) => value(input(inputs, 0, ctx)), // inference: identity
  Constant: (_inputs, ctx) => {
    const t = ctx.node.attributes.value ?? ctx.node.attributes.value_float ??
      ctx.node.attributes.value_int ??
      ctx.node.attributes.value_floats ?? ctx.node.attributes.value_ints;
    if (typeof t === "object" && t !== null && "tensor" in t) return [t];
    if (typeof t === "number") {
      return "value_int" in ctx.node.attributes ? ints([t], []) : value(lt.tensor(t));
    }
    if (Array.isArray(t)) {
      return "value_ints" in ctx.node.attributes
        ? ints(t, [t.length])
        : value(lt.tensor(t as number[]));
    }
    throw new TypeError(
      `${where(ctx)} has no value attribute Lathe reads: found ${
        Object.keys(ctx.node.attributes).join(", ")
      }`,
    );
  },
  Cast: (inputs, ctx) => {
    const to = castTo(num(ctx, "to", 1), ctx);
    return value(input(inputs, 0, ctx).astype(to), to === "int32" ? inputs[0]?.known : undefined);
  },
  Shape: (inputs, ctx) => {
    const shape = input(inputs, 0, ctx).shape;
    const rank = shape.length;
    const start = axisOf(num(ctx, "start", 0), rank);
    const end = axisOf(num(ctx, "end", rank), rank);
    const dims = shape.slice(Math.max(0, start), Math.min(rank, end));
    return ints(dims, [dims.length]);
  },
  Flatten: (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    const axis = axisOf(num(ctx, "axis", 1), x.ndim);
    const rows = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    return value(x.reshape([rows, x.size / Math.max(rows, 1)]));
  },
  Reshape: (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    const allowZero = num(ctx, "allowzero", 0) === 1;
    const shape = known(inputs, 1, ctx, "shape").map((
      d,
      i,
    ) => (d === 0 && !allowZero ? x.shape[i] : d));
    return value(x.reshape(shape), inputs[0]?.known);
  },
  Transpose: (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    const perm = list(ctx, "perm", x.shape.map((_, i) => x.ndim - 1 - i));
    return value(lt.permute(x, perm));
  },
  Unsqueeze: (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    const axes = ctx.opset >= 13 ? known(inputs, 1, ctx, "axes") : list(ctx, "axes", []);
    const rank = x.ndim + axes.length;
    const shape = [...x.shape];
    for (const a of axes.map((a) => axisOf(a, rank)).sort((p, q) => p - q)) shape.splice(a, 0, 1);
    return value(x.reshape(shape), inputs[0]?.known);
  },
  Squeeze: (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    const given = ctx.opset >= 13
      ? (inputs[1] === undefined ? [] : known(inputs, 1, ctx, "axes"))
      : list(ctx, "axes", []);
    const axes = given.length === 0
      ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      : given.map((a) => axisOf(a, x.ndim));
    return value(x.reshape(x.shape.filter((_, i) => !axes.includes(i))), inputs[0]?.known);
  },
  Concat: (inputs, ctx) => {
    const parts = inputs.flatMap((v) => (v === undefined ? [] : [v]));
    const axis = num(ctx, "axis", 0);
    const out = lt.concat(parts.map((p) => p.tensor), axis);
    const all = parts.every((p) => p.known !== undefined) && out.ndim === 1;
    return value(out, all ? parts.flatMap((p) => p.known!) : undefined);
  },
  Gather: (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    const axis = axisOf(num(ctx, "axis", 0), x.ndim);
    const [kx, ki] = [inputs[0]?.known, inputs[1]?.known];
    if (kx !== undefined && ki !== undefined && x.ndim === 1) {
      const picked = ki.map((i) => kx[i < 0 ? i + kx.length : i]);
      return ints(picked, input(inputs, 1, ctx).shape);
    }
    const index = input(inputs, 1, ctx);
    const wrapped = ki !== undefined
      ? lt.tensor(Int32Array.from(ki, (i) => (i < 0 ? i + x.shape[axis] : i)), {
        shape: index.shape,
        device: x.device,
      })
      : index;
    return value(lt.take(x, wrapped, axis));
  },
  Slice: (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    const starts = known(inputs, 1, ctx, "starts");
    const ends = known(inputs, 2, ctx, "ends");
    const axes = inputs[3] === undefined ? starts.map((_, i) => i) : known(inputs, 3, ctx, "axes");
    const steps = inputs[4] === undefined ? starts.map(() => 1) : known(inputs, 4, ctx, "steps");
    const specs: lt.SliceSpec[] = x.shape.map(() => null);
    axes.forEach((a, i) => {
      const n = x.shape[axisOf(a, x.ndim)];
      const clampEnd = (e: number) => (steps[i] > 0 ? Math.min(e, n) : Math.max(e, -n - 1));
      specs[axisOf(a, x.ndim)] = [
        Math.max(Math.min(starts[i], n), -n),
        clampEnd(ends[i]),
        steps[i],
      ];
    });
    const out = lt.slice(x, ...specs);
    const kx = inputs[0]?.known;
    if (kx === undefined || x.ndim !== 1) return value(out);
    const [start, stop, step] = specs[0] as [number, number, number];
    return ints(sliceValues(kx, start, stop, step), out.shape);
  },
};
