/**
 * ONNX operators as Lathe functions: one table row per operator, each taking
 * the node's input values and returning its outputs. Adding an operator
 * is adding one row; the shape operators are in `_ops_shape.ts`, the
 * convolutional ones (Conv, BatchNormalization, the pools, Pad) in
 * `_ops_cnn.ts`.
 *
 * Integer values known before running (constants, `Shape` of an input whose
 * shape jit fixes) are carried as numbers next to their tensors, so that
 * shape arguments (`Reshape`'s shape, `Unsqueeze`'s axes, `Slice`'s starts)
 * are plain numbers while jit traces.
 * @module
 */
import * as lt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { attr, axisOf, input, known, list, num, type OnnxOp, value } from "./_op_util.ts";
import { shapeOps } from "./_ops_shape.ts";
import { cnnOps } from "./_ops_cnn.ts";

export type { OnnxOp, OpContext } from "./_op_util.ts";

/** An elementwise binary op, also on known integers (shape arithmetic). */
function binary(f: (a: Tensor, b: Tensor) => Tensor, g: (a: number, b: number) => number): OnnxOp {
  return (inputs, ctx) => {
    const [a, b] = [input(inputs, 0, ctx), input(inputs, 1, ctx)];
    const out = f(a, b);
    const [ka, kb] = [inputs[0]?.known, inputs[1]?.known];
    if (
      ka !== undefined && kb !== undefined && out.dtype === "int32" &&
      (ka.length === 1 || kb.length === 1 || ka.length === kb.length)
    ) {
      const n = Math.max(ka.length, kb.length);
      const vals = Array.from(
        { length: n },
        (_, i) => g(ka[ka.length === 1 ? 0 : i], kb[kb.length === 1 ? 0 : i]),
      );
      return value(out, vals);
    }
    return value(out);
  };
}

function unary(f: (x: Tensor) => Tensor): OnnxOp {
  return (inputs, ctx) => value(f(input(inputs, 0, ctx)));
}

/** Softmax-like ops: opset 13+ along `axis` (default -1); before, over the flattened tail from `axis` (default 1). */
function softmaxLike(f: (x: Tensor, axis: number) => Tensor): OnnxOp {
  return (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    if (ctx.opset >= 13) return value(f(x, num(ctx, "axis", -1)));
    const axis = axisOf(num(ctx, "axis", 1), x.ndim);
    const rows = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    return value(f(x.reshape([rows, -1]), -1).reshape(x.shape));
  };
}

function reduce(f: (x: Tensor, options: lt.ReduceOptions) => Tensor, axesInput: number): OnnxOp {
  return (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    const fromInput = ctx.opset >= axesInput && inputs[1] !== undefined;
    const axes = fromInput ? known(inputs, 1, ctx, "axes") : list(ctx, "axes", []);
    const keepdims = num(ctx, "keepdims", 1) === 1;
    if (axes.length === 0 && num(ctx, "noop_with_empty_axes", 0) === 1) return value(x);
    return value(f(x, { axis: axes.length === 0 ? undefined : axes, keepdims }));
  };
}

/** Every operator Lathe runs, by ONNX name. */
export const onnxOps: Readonly<Record<string, OnnxOp>> = {
  ...shapeOps,
  ...cnnOps,
  Gemm: (inputs, ctx) => {
    let a = input(inputs, 0, ctx);
    let b = input(inputs, 1, ctx);
    const c = inputs[2]?.tensor;
    const [alpha, beta] = [num(ctx, "alpha", 1), num(ctx, "beta", 1)];
    if (num(ctx, "transA", 0) === 1) a = a.T;
    if (
      num(ctx, "transB", 0) === 1 && alpha === 1 && beta === 1 && (c === undefined || c.ndim === 1)
    ) {
      return value(lt.linear(a, b, c)); // x @ wᵀ + b: one fused kernel
    }
    if (num(ctx, "transB", 0) === 1) b = b.T;
    const y = alpha === 1 ? a.matmul(b) : a.matmul(b).mul(alpha);
    return value(c === undefined ? y : y.add(beta === 1 ? c : c.mul(beta)));
  },
  MatMul: (inputs, ctx) => value(lt.matmul(input(inputs, 0, ctx), input(inputs, 1, ctx))),
  Add: binary(lt.add, (a, b) => a + b),
  Sub: binary(lt.sub, (a, b) => a - b),
  Mul: binary(lt.mul, (a, b) => a * b),
  Div: binary(
    (
      a,
      b,
    ) => (a.dtype === "int32" && b.dtype === "int32" ? lt.div(a, b).astype("int32") : lt.div(a, b)),
    (a, b) => Math.trunc(a / b),
  ),
  Pow: binary(lt.pow, (a, b) => a ** b),
  Max: binary(lt.maximum, Math.max),
  Min: binary(lt.minimum, Math.min),
  Equal: binary(lt.eq, (a, b) => Number(a === b)),
  Less: binary(lt.lt, (a, b) => Number(a < b)),
  Greater: binary(lt.gt, (a, b) => Number(a > b)),
  Where: (inputs, ctx) =>
    value(lt.where(input(inputs, 0, ctx), input(inputs, 1, ctx), input(inputs, 2, ctx))),
  Not: unary(lt.logicalNot),
  Relu: unary(lt.relu),
  Sigmoid: unary(lt.sigmoid),
  Tanh: unary(lt.tanh),
  Exp: unary(lt.exp),
  Log: unary(lt.log),
  Sqrt: unary(lt.sqrt),
  Reciprocal: unary(lt.reciprocal),
  Neg: unary(lt.neg),
  Abs: unary(lt.abs),
  Erf: unary(lt.erf),
  Floor: unary(lt.floor),
  Ceil: unary(lt.ceil),
  LeakyRelu: (inputs, ctx) => value(lt.leakyRelu(input(inputs, 0, ctx), num(ctx, "alpha", 0.01))),
  Elu: (inputs, ctx) => value(lt.elu(input(inputs, 0, ctx), num(ctx, "alpha", 1))),
  Softplus: unary((x) => lt.softplus(x)),
  Gelu: (inputs, ctx) =>
    value(
      lt.gelu(input(inputs, 0, ctx), {
        approximate: attr<string>(ctx, "approximate", "none") === "tanh" ? "tanh" : "none",
      }),
    ),
  Clip: (inputs, ctx) => {
    let x = input(inputs, 0, ctx);
    const [low, high] = ctx.opset >= 11 ? [inputs[1]?.tensor, inputs[2]?.tensor] : [
      ctx.node.attributes.min as number | undefined,
      ctx.node.attributes.max as number | undefined,
    ];
    if (low !== undefined) x = lt.maximum(x, low);
    if (high !== undefined) x = lt.minimum(x, high);
    return value(x);
  },
  Softmax: softmaxLike(lt.softmax),
  LogSoftmax: softmaxLike(lt.logSoftmax),
  ReduceSum: reduce(lt.sum, 13),
  ReduceMean: reduce(lt.mean, 18),
  ReduceMax: reduce(lt.max, 18),
};
