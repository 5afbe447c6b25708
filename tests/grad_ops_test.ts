// Gradients of every differentiable op and composite in mod.ts: a table of
// small programs checked against float64 central differences (`checkGrads`)
// and forward mode against reverse mode (<vjp(ct), t> == <ct, jvp(t)>), then
// PyTorch's conventions at kinks asserted exactly, and second-order checks.
import { describe, it } from "@std/testing/bdd";
import { assertAlmostEquals, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { assertClose } from "./_close.ts";
import { mulberry32 as uniform } from "./_random.ts";

type Tensor = lt.Tensor;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** float64 values uniform in [lo, hi). */
function rand(shape: number[], seed: number, lo = -1.5, hi = 1.5): Tensor {
  const r = uniform(seed);
  const data = Float64Array.from({ length: sizeOf(shape) }, () => lo + (hi - lo) * r());
  return lt.tensor(data, { shape });
}

/** float64 values with |x| in [0.3, 1.5) and a random sign: away from kinks at 0. */
function awayFromZero(shape: number[], seed: number): Tensor {
  const r = uniform(seed);
  const data = Float64Array.from({ length: sizeOf(shape) }, () => {
    const magnitude = 0.3 + 1.2 * r();
    return r() < 0.5 ? -magnitude : magnitude;
  });
  return lt.tensor(data, { shape });
}

function f64(data: lt.NestedArray): Tensor {
  return lt.tensor(data, { dtype: "float64" });
}

/** An int32 index tensor. */
function idx(data: lt.NestedArray): Tensor {
  return lt.tensor(data, { dtype: "int32" });
}

interface Case {
  /** The test name: the op and the variant. */
  name: string;
  f: (...xs: Tensor[]) => Tensor;
  args: Tensor[];
  /** Looser checks for programs that pass through float32. */
  options?: lt.CheckGradsOptions;
}

const x23 = () => rand([2, 3], 1);
const x234 = () => rand([2, 3, 4], 2);

const unaryCases: Case[] = [
  { name: "neg()", f: (x) => lt.neg(x), args: [x23()] },
  { name: "exp()", f: (x) => lt.exp(x), args: [x23()] },
  { name: "log()", f: (x) => lt.log(x), args: [rand([2, 3], 3, 0.2, 3)] },
  { name: "log1p()", f: (x) => lt.log1p(x), args: [rand([2, 3], 4, -0.6, 2)] },
  { name: "expm1()", f: (x) => lt.expm1(x), args: [x23()] },
  { name: "sqrt()", f: (x) => lt.sqrt(x), args: [rand([2, 3], 5, 0.2, 3)] },
  { name: "rsqrt()", f: (x) => lt.rsqrt(x), args: [rand([2, 3], 6, 0.2, 3)] },
  { name: "abs()", f: (x) => lt.abs(x), args: [awayFromZero([2, 3], 7)] },
  { name: "sign()", f: (x) => lt.sign(x).mul(x), args: [awayFromZero([2, 3], 8)] },
  { name: "sin()", f: (x) => lt.sin(x), args: [x23()] },
  { name: "cos()", f: (x) => lt.cos(x), args: [x23()] },
  { name: "tanh()", f: (x) => lt.tanh(x), args: [x23()] },
  { name: "erf()", f: (x) => lt.erf(x), args: [x23()] },
  { name: "sigmoid()", f: (x) => lt.sigmoid(x), args: [rand([2, 3], 9, -4, 4)] },
  { name: "relu()", f: (x) => lt.relu(x), args: [awayFromZero([2, 3], 10)] },
  { name: "leakyRelu()", f: (x) => lt.leakyRelu(x), args: [awayFromZero([2, 3], 11)] },
  { name: "leakyRelu(x, 0.2)", f: (x) => x.leakyRelu(0.2), args: [awayFromZero([2, 3], 12)] },
  { name: "gelu()", f: (x) => lt.gelu(x), args: [rand([2, 3], 13, -3, 3)] },
  {
    name: "gelu({approximate: tanh})",
    f: (x) => lt.gelu(x, { approximate: "tanh" }),
    args: [rand([2, 3], 14, -3, 3)],
  },
  { name: "softplus()", f: (x) => lt.softplus(x), args: [rand([2, 3], 15, -4, 4)] },
  {
    // β·x = [-2, 1, 2.4, 4.2, 6, -4]: both sides of the threshold 3, none on it
    name: "softplus({beta: 2, threshold: 3})",
    f: (x) => x.softplus({ beta: 2, threshold: 3 }),
    args: [f64([[-1, 0.5, 1.2], [2.1, 3, -2]])],
  },
  { name: "elu()", f: (x) => lt.elu(x), args: [awayFromZero([2, 3], 16)] },
  { name: "elu(x, 1.5)", f: (x) => x.elu(1.5), args: [awayFromZero([2, 3], 17)] },
  { name: "silu()", f: (x) => lt.silu(x), args: [rand([2, 3], 18, -4, 4)] },
  { name: "square()", f: (x) => lt.square(x), args: [x23()] },
  { name: "reciprocal()", f: (x) => lt.reciprocal(x), args: [awayFromZero([2, 3], 19)] },
  {
    name: "clamp(x, min, max)",
    f: (x) => lt.clamp(x, -0.5, 0.7),
    args: [f64([[-1.2, -0.3, 0.1], [0.5, 0.9, 1.4]])],
  },
  {
    name: "clamp(x, min)",
    f: (x) => x.clamp(-0.5),
    args: [f64([[-1.2, -0.3, 0.1], [0.5, 0.9, 1.4]])],
  },
  {
    name: "clip(x, undefined, max)",
    f: (x) => lt.clip(x, undefined, 0.7),
    args: [f64([[-1.2, -0.3, 0.1], [0.5, 0.9, 1.4]])],
  },
  {
    // piecewise constant: zero gradient away from the jumps
    name: "floor(), ceil() and round()",
    f: (x) => lt.floor(x).add(lt.ceil(x)).add(lt.round(x)).add(x),
    args: [f64([[0.2, 1.3, -0.7], [2.2, -1.8, 0.4]])],
  },
  {
    name: "Tensor.cast() to float32 and back",
    f: (x) => x.float().exp().double(),
    args: [x23()],
    options: { eps: 1e-3, rtol: 1e-3, atol: 1e-4 },
  },
];

const binaryCases: Case[] = [
  {
    name: "add() broadcasting [2, 3] + [3]",
    f: (x, y) => lt.add(x, y),
    args: [x23(), rand([3], 20)],
  },
  {
    name: "add() broadcasting [2, 1] + [1, 3]",
    f: (x, y) => x.add(y),
    args: [rand([2, 1], 21), rand([1, 3], 22)],
  },
  { name: "add() with a number", f: (x) => x.add(2.5), args: [x23()] },
  {
    name: "sub() broadcasting [3] - [2, 3]",
    f: (x, y) => lt.sub(x, y),
    args: [rand([3], 23), x23()],
  },
  { name: "sub() from a number", f: (x) => lt.sub(1, x), args: [x23()] },
  {
    name: "mul() broadcasting [2, 3, 1] * [4]",
    f: (x, y) => lt.mul(x, y),
    args: [rand([2, 3, 1], 24), rand([4], 25)],
  },
  { name: "mul() of an input with itself", f: (x) => x.mul(x), args: [x23()] },
  {
    name: "div() broadcasting [2, 3] / [2, 1]",
    f: (x, y) => lt.div(x, y),
    args: [x23(), awayFromZero([2, 1], 26)],
  },
  { name: "div() of a number", f: (x) => lt.div(1, x), args: [awayFromZero([2, 3], 27)] },
  {
    name: "pow() broadcasting [2, 3] ** [3]",
    f: (x, y) => lt.pow(x, y),
    args: [rand([2, 3], 28, 0.3, 2), rand([3], 29, -2, 2)],
  },
  { name: "pow() with a number exponent", f: (x) => x.pow(3), args: [x23()] },
  { name: "pow() of a number base", f: (x) => lt.pow(2, x), args: [x23()] },
  {
    name: "maximum() broadcasting [2, 3] and [3]",
    f: (x, y) => lt.maximum(x, y),
    args: [x23(), rand([3], 30)],
  },
  {
    name: "minimum() broadcasting [2, 1] and [2, 3]",
    f: (x, y) => lt.minimum(x, y),
    args: [rand([2, 1], 31), x23()],
  },
  {
    // x / y stays away from whole numbers, where floor jumps
    name: "mod() broadcasting [2, 3] % [3]",
    f: (x, y) => lt.mod(x, y),
    args: [f64([[2.3, -1.7, 0.4], [5.2, 3.3, -2.6]]), f64([1.1, 0.7, -0.9])],
  },
  {
    name: "where() broadcasting a [3] condition, [2, 3] and [2, 1] values",
    f: (x, y) => lt.where(lt.tensor([true, false, true]), x, y),
    args: [x23(), rand([2, 1], 32)],
  },
  {
    name: "where() with a number branch",
    f: (x) => lt.where(x.gt(0), x.mul(3), 0.5),
    args: [awayFromZero([2, 3], 33)],
  },
];

const reduceCases: Case[] = [
  { name: "sum()", f: (x) => lt.sum(x), args: [x234()] },
  { name: "sum({axis: 1})", f: (x) => x.sum({ axis: 1 }), args: [x234()] },
  {
    name: "sum({axis: [0, 2], keepdims})",
    f: (x) => x.sum({ axis: [0, 2], keepdims: true }),
    args: [x234()],
  },
  { name: "mean()", f: (x) => lt.mean(x), args: [x234()] },
  {
    name: "mean({axis: -1, keepdims})",
    f: (x) => x.mean({ axis: -1, keepdims: true }),
    args: [x234()],
  },
  { name: "prod()", f: (x) => lt.prod(x), args: [awayFromZero([2, 3], 34)] },
  {
    name: "prod({axis: 1, keepdims})",
    f: (x) => x.prod({ axis: 1, keepdims: true }),
    args: [awayFromZero([2, 3, 2], 35)],
  },
  { name: "max()", f: (x) => lt.max(x), args: [x234()] },
  { name: "max({axis: 2})", f: (x) => x.max({ axis: 2 }), args: [x234()] },
  {
    name: "max({axis: [0, 1], keepdims})",
    f: (x) => x.max({ axis: [0, 1], keepdims: true }),
    args: [x234()],
  },
  { name: "min()", f: (x) => lt.min(x), args: [x234()] },
  { name: "min({axis: 0})", f: (x) => x.min({ axis: 0 }), args: [x234()] },
  { name: "variance()", f: (x) => lt.variance(x), args: [x234()] },
  {
    name: "var({axis: 1, keepdims})",
    f: (x) => x.var({ axis: 1, keepdims: true }),
    args: [x234()],
  },
  {
    name: "var({axis: [0, 2], correction: 0})",
    f: (x) => x.var({ axis: [0, 2], correction: 0 }),
    args: [x234()],
  },
  { name: "std()", f: (x) => lt.std(x), args: [x234()] },
  { name: "std({axis: -1})", f: (x) => x.std({ axis: -1 }), args: [x234()] },
  { name: "logSumExp()", f: (x) => lt.logSumExp(x), args: [x234()] },
  {
    name: "logSumExp({axis: 1, keepdims})",
    f: (x) => x.logSumExp({ axis: 1, keepdims: true }),
    args: [x234()],
  },
  { name: "softmax()", f: (x) => lt.softmax(x), args: [x234()] },
  { name: "softmax(x, 0)", f: (x) => x.softmax(0), args: [x234()] },
  { name: "logSoftmax()", f: (x) => lt.logSoftmax(x), args: [x234()] },
  { name: "logSoftmax(x, 1)", f: (x) => x.logSoftmax(1), args: [x234()] },
];

const x56 = () => rand([5, 6], 36);

const movementCases: Case[] = [
  { name: "reshape()", f: (x) => lt.reshape(x, [6, 4]).mul(rand([6, 4], 37)), args: [x234()] },
  { name: "reshape() with -1", f: (x) => x.reshape([4, -1]).sin(), args: [x234()] },
  { name: "view()", f: (x) => x.view([3, 8]).sin(), args: [x234()] },
  { name: "flatten()", f: (x) => lt.flatten(x).sin(), args: [x234()] },
  { name: "flatten(x, 1)", f: (x) => x.flatten(1).sin(), args: [x234()] },
  { name: "transpose()", f: (x) => lt.transpose(x).mul(rand([2, 4, 3], 38)), args: [x234()] },
  {
    name: "transpose(x, 0, 2)",
    f: (x) => x.transpose(0, 2).mul(rand([4, 3, 2], 39)),
    args: [x234()],
  },
  { name: "Tensor.T", f: (x) => x.T.mul(rand([3, 2], 40)), args: [x23()] },
  {
    name: "permute()",
    f: (x) => lt.permute(x, [2, 0, 1]).mul(rand([4, 2, 3], 41)),
    args: [x234()],
  },
  { name: "squeeze()", f: (x) => lt.squeeze(x).mul(rand([2, 3], 42)), args: [rand([2, 1, 3], 43)] },
  {
    name: "squeeze(x, 1)",
    f: (x) => x.squeeze(1).mul(rand([2, 3, 1], 44)),
    args: [rand([2, 1, 3, 1], 45)],
  },
  { name: "unsqueeze()", f: (x) => lt.unsqueeze(x, 1).mul(rand([2, 4, 3], 46)), args: [x23()] },
  { name: "unsqueeze(x, -1)", f: (x) => x.unsqueeze(-1).mul(rand([2, 3, 2], 47)), args: [x23()] },
  {
    name: "broadcastTo() [3] to [2, 3]",
    f: (x) => lt.broadcastTo(x, [2, 3]).mul(x23()),
    args: [rand([3], 48)],
  },
  {
    name: "broadcastTo() [2, 1] to [4, 2, 3]",
    f: (x) => x.broadcastTo([4, 2, 3]).mul(rand([4, 2, 3], 49)),
    args: [rand([2, 1], 50)],
  },
  { name: "expand()", f: (x) => x.expand([3, -1]).mul(rand([3, 4], 51)), args: [rand([1, 4], 52)] },
  {
    name: "concat() along axis 1",
    f: (a, b, c) => lt.concat([a, b, c], 1).mul(rand([2, 6], 53)),
    args: [rand([2, 1], 54), rand([2, 3], 55), rand([2, 2], 56)],
  },
  {
    name: "concat() of one input twice",
    f: (a) => lt.concat([a, a.sin()], 0).mul(rand([4, 3], 57)),
    args: [x23()],
  },
  {
    name: "stack() along axis 1",
    f: (a, b) => lt.stack([a, b], 1).mul(rand([2, 2, 3], 58)),
    args: [x23(), rand([2, 3], 59)],
  },
  {
    name: "split() into sizes",
    f: (x) => {
      const [a, b, c] = lt.split(x, [1, 2, 1], 1);
      return lt.concat([c.mul(2), a.sin(), b.square()], 1);
    },
    args: [rand([2, 4], 60)],
  },
  {
    name: "split() into equal parts",
    f: (x) => {
      const [a, b] = x.split(2, 0);
      return a.mul(b);
    },
    args: [rand([4, 3], 61)],
  },
  {
    name: "pad()",
    f: (x) => lt.pad(x, [[1, 2], [0, 1]], 0.5).mul(rand([5, 4], 62)),
    args: [x23()],
  },
  { name: "flip(x, 0)", f: (x) => lt.flip(x, 0).mul(rand([2, 3], 63)), args: [x23()] },
  { name: "flip() of all axes", f: (x) => x.flip().mul(rand([2, 3, 4], 64)), args: [x234()] },
  {
    name: "tile()",
    f: (x) => lt.tile(x, [2, 1, 3]).mul(rand([2, 2, 6], 65)),
    args: [rand([2, 2], 66)],
  },
  { name: "repeat()", f: (x) => x.repeat([3, 2]).mul(rand([6, 6], 67)), args: [x23()] },
  {
    name: "slice() with positive and negative steps",
    f: (x) => lt.slice(x, [1, 5, 2], [null, null, -2]).mul(rand([2, 3], 68)),
    args: [x56()],
  },
  {
    name: "slice() reversed with step -3",
    f: (x) => x.slice([null, null, -1], [4, 0, -3]).mul(rand([5, 2], 69)),
    args: [x56()],
  },
  {
    name: "slice() with step 4 past the end",
    f: (x) => x.slice([0, 5, 4], [1, 6, 4]).mul(rand([2, 2], 70)),
    args: [x56()],
  },
  {
    name: "slice() with an integer and negative bounds",
    f: (x) => x.slice(2, [-4, -1]).mul(rand([3], 71)),
    args: [x56()],
  },
  { name: "select()", f: (x) => lt.select(x, 0, 1).mul(rand([3, 4], 72)), args: [x234()] },
  { name: "select(x, 2, -1)", f: (x) => x.select(2, -1).mul(rand([2, 3], 73)), args: [x234()] },
];

const indexCases: Case[] = [
  {
    name: "take() of the flattened input with repeats and negative indices",
    f: (x) => lt.take(x, idx([0, 5, -1, 5, 2])).mul(rand([5], 74)),
    args: [x23()],
  },
  {
    name: "take() along axis 1 with a 2-D index",
    f: (x) => x.take(idx([[2, 0], [2, 2]]), 1).mul(rand([2, 2, 2, 4], 75)),
    args: [x234()],
  },
  {
    name: "gather() along axis 1 with repeats",
    f: (x) => lt.gather(x, 1, idx([[0, 2, 2], [1, 1, 0]])).mul(rand([2, 3], 76)),
    args: [rand([2, 4], 77)],
  },
  {
    name: "gather() along axis 0",
    f: (x) => x.gather(0, idx([[2, 0], [1, 2]])).mul(rand([2, 2], 78)),
    args: [rand([3, 2], 79)],
  },
];

const linalgCases: Case[] = [
  {
    name: "matmul() [2, 3] @ [3, 4]",
    f: (a, b) => lt.matmul(a, b),
    args: [x23(), rand([3, 4], 80)],
  },
  {
    name: "matmul() [3] @ [3, 4]",
    f: (a, b) => a.matmul(b),
    args: [rand([3], 81), rand([3, 4], 82)],
  },
  { name: "matmul() [2, 3] @ [3]", f: (a, b) => a.matmul(b), args: [x23(), rand([3], 83)] },
  { name: "matmul() [3] @ [3]", f: (a, b) => a.matmul(b), args: [rand([3], 84), rand([3], 85)] },
  {
    name: "matmul() batched [2, 2, 3] @ [3, 4]",
    f: (a, b) => a.matmul(b),
    args: [rand([2, 2, 3], 86), rand([3, 4], 87)],
  },
  {
    name: "matmul() broadcast batches [2, 1, 2, 3] @ [3, 3, 2]",
    f: (a, b) => a.matmul(b),
    args: [rand([2, 1, 2, 3], 88), rand([3, 3, 2], 89)],
  },
  {
    name: "matmul() [3] @ [2, 3, 4]",
    f: (a, b) => a.matmul(b),
    args: [rand([3], 90), rand([2, 3, 4], 91)],
  },
  { name: "matmul() of an input with itself", f: (a) => a.matmul(a), args: [rand([3, 3], 92)] },
  { name: "mm()", f: (a, b) => lt.mm(a, b), args: [x23(), rand([3, 2], 93)] },
  { name: "dot()", f: (a, b) => lt.dot(a, b), args: [rand([4], 94), rand([4], 95)] },
  { name: "outer()", f: (a, b) => lt.outer(a, b), args: [rand([3], 96), rand([2], 97)] },
  {
    name: "linear() with a bias",
    f: (x, w, b) => lt.linear(x, w, b),
    args: [x23(), rand([4, 3], 98), rand([4], 99)],
  },
  {
    name: "linear() without a bias",
    f: (x, w) => lt.linear(x, w),
    args: [x23(), rand([4, 3], 100)],
  },
  {
    name: "linear() of a 3-D input",
    f: (x, w, b) => lt.linear(x, w, b),
    args: [x234(), rand([2, 4], 101), rand([2], 102)],
  },
];

const compositeCases: Case[] = [
  {
    name: "a two-layer tanh network with a softmax cross-entropy",
    f: (x, w1, w2) => {
      const logits = x.matmul(w1).tanh().matmul(w2);
      return logits.logSoftmax().mul(lt.tensor([[1, 0], [0, 1]], { dtype: "float64" })).sum().neg();
    },
    args: [x23(), rand([3, 4], 103), rand([4, 2], 104)],
  },
  {
    name: "a layer norm",
    f: (x, g) => {
      const m = x.mean({ axis: -1, keepdims: true });
      const v = x.var({ axis: -1, keepdims: true, correction: 0 });
      return x.sub(m).div(v.add(1e-5).sqrt()).mul(g);
    },
    args: [x234(), rand([4], 105)],
  },
];

const allCases: [string, Case[]][] = [
  ["unary", unaryCases],
  ["binary", binaryCases],
  ["reductions", reduceCases],
  ["movement", movementCases],
  ["indexing", indexCases],
  ["linalg", linalgCases],
  ["composites", compositeCases],
];

function dotAll(xs: readonly Tensor[], ys: readonly Tensor[]): number {
  let total = 0;
  xs.forEach((x, i) => {
    const a = x.dataSync();
    const b = ys[i].dataSync();
    for (let k = 0; k < a.length; k++) total += a[k] * b[k];
  });
  return total;
}

for (const [group, cases] of allCases) {
  describe(`gradients of ${group} ops`, () => {
    for (const c of cases) {
      it(`${c.name} matches finite differences`, () => {
        lt.checkGrads(c.f, c.args, c.options);
      });
    }
    for (const [k, c] of cases.entries()) {
      it(`${c.name} jvp agrees with vjp`, () => {
        const xs = c.args.map((x) => x.double());
        const ts = xs.map((x, i) => rand(x.shape, 1000 + 7 * k + i));
        const [out, back] = lt.vjp(c.f, ...xs);
        const ct = rand(out.shape, 2000 + k);
        const [, tangentOut] = lt.jvp(c.f, xs, ts);
        assertEquals(tangentOut.shape, out.shape);
        const lhs = dotAll(back(ct) as Tensor[], ts);
        const rhs = dotAll([ct], [tangentOut]);
        const tol = c.options === undefined ? 1e-9 : 1e-6;
        assertAlmostEquals(lhs, rhs, tol * Math.max(1, Math.abs(rhs)));
      });
    }
  });
}

describe("second-order gradients", () => {
  const second: Case[] = [
    { name: "tanh(x)³", f: (x) => x.tanh().pow(3), args: [x23()] },
    { name: "softmax()", f: (x) => x.softmax(), args: [x23()] },
    {
      name: "a matmul chain",
      f: (x, w1, w2) => x.matmul(w1).tanh().matmul(w2),
      args: [x23(), rand([3, 4], 106), rand([4, 2], 107)],
    },
    { name: "logSumExp()", f: (x) => x.logSumExp({ axis: 1 }), args: [x23()] },
    { name: "sigmoid()", f: (x) => x.sigmoid(), args: [rand([2, 3], 108, -3, 3)] },
    {
      name: "div() and log()",
      f: (x, y) => x.div(y).add(y.log()),
      args: [x23(), rand([3], 109, 0.5, 2)],
    },
    { name: "gelu()", f: (x) => x.gelu(), args: [x23()] },
    { name: "max({axis: 1})", f: (x) => x.square().max({ axis: 1 }), args: [x23()] },
  ];
  for (const c of second) {
    it(`${c.name} second derivatives match finite differences`, () => {
      lt.checkGrads(c.f, c.args, { order: 2 });
    });
  }
});

function gradOf(f: (x: Tensor) => Tensor, values: number[]): Tensor {
  return lt.grad((x: Tensor) => f(x).sum())(lt.tensor(values, { dtype: "float32" }));
}

describe("gradients at kinks follow PyTorch", () => {
  it("relu'(0) is 0", () => {
    assertClose(gradOf(lt.relu, [-1, 0, 2]), [0, 0, 1]);
  });

  it("abs'(0) is 0", () => {
    assertClose(gradOf(lt.abs, [-2, 0, 3]), [-1, 0, 1]);
  });

  it("leakyRelu'(0) is the negative slope and elu'(0) is alpha", () => {
    assertClose(gradOf((x) => x.leakyRelu(0.2), [-1, 0, 2]), [0.2, 0.2, 1]);
    assertClose(gradOf((x) => x.elu(1.5), [0, 1]), [1.5, 1]);
  });

  it("sign(), floor(), ceil() and round() have zero gradient", () => {
    assertClose(gradOf(lt.sign, [-1, 0, 2]), [0, 0, 0]);
    assertClose(gradOf((x) => x.floor().add(x.ceil()).add(x.round()), [-1.5, 0, 2.5]), [0, 0, 0]);
  });

  it("clamp() passes the whole gradient at its bounds", () => {
    // torch.clamp: grad · (min <= x <= max)
    assertClose(gradOf((x) => x.clamp(-1, 1), [-2, -1, 0, 1, 2]), [0, 1, 1, 1, 0]);
    assertClose(gradOf((x) => x.clamp(-1), [-2, -1, 0]), [0, 1, 1]);
    assertClose(gradOf((x) => x.clamp(undefined, 1), [0, 1, 2]), [1, 1, 0]);
  });

  it("max() ties split the gradient evenly", () => {
    assertClose(gradOf(lt.max, [1, 3, 3]), [0, 0.5, 0.5]);
    const rows = lt.tensor([[1, 3, 3], [2, 2, 2]], { dtype: "float32" });
    const g = lt.grad((x: Tensor) => x.max({ axis: 1 }).mul(lt.tensor([1, 3])).sum())(rows);
    assertClose(g, [[0, 0.5, 0.5], [1, 1, 1]]);
  });

  it("min() ties split the gradient evenly", () => {
    assertClose(gradOf(lt.min, [1, 1, 3, 1]), [1 / 3, 1 / 3, 0, 1 / 3]);
  });

  it("maximum() and minimum() ties give half to each side", () => {
    const x = lt.tensor([1, 2, 3], { dtype: "float32" });
    const y = lt.tensor([1, 3, 2], { dtype: "float32" });
    const [dx, dy] = lt.grad((a: Tensor, b: Tensor) => lt.maximum(a, b).sum(), { argnums: [0, 1] })(
      x,
      y,
    );
    assertClose(dx, [0.5, 0, 1]);
    assertClose(dy, [0.5, 1, 0]);
    const [ex, ey] = lt.grad((a: Tensor, b: Tensor) => lt.minimum(a, b).sum(), { argnums: [0, 1] })(
      x,
      y,
    );
    assertClose(ex, [0.5, 1, 0]);
    assertClose(ey, [0.5, 0, 1]);
  });

  it("sqrt'(0) is infinite", () => {
    assertEquals(Array.from(gradOf(lt.sqrt, [0, 4]).dataSync()), [Infinity, 0.25]);
  });

  it("pow() masks the zero cases like PyTorch", () => {
    // d/dx x^0 = 0 even at x = 0; d/dy 0^y = 0 for y >= 0, and 0^y·log(0) = -inf for y < 0
    const base = lt.tensor([0, 0, 0, 2], { dtype: "float32" });
    const exponent = lt.tensor([0, 2, -1, 0], { dtype: "float32" });
    const [dx, dy] = lt.grad((x: Tensor, y: Tensor) => x.pow(y).sum(), { argnums: [0, 1] })(
      base,
      exponent,
    );
    assertEquals(Array.from(dx.dataSync()), [0, 0, -Infinity, 0]);
    assertEquals(Array.from(dy.dataSync()), [0, 0, -Infinity, Math.fround(Math.log(2))]);
  });

  it("prod() with zeros gives the product of the other elements", () => {
    // torch.prod: one zero → the others' product there and 0 elsewhere; two zeros → all 0
    assertClose(gradOf(lt.prod, [2, 0, 3]), [0, 6, 0]);
    assertClose(gradOf(lt.prod, [0, 2, 0]), [0, 0, 0]);
    const rows = lt.tensor([[2, 0, 3], [1, 2, 4]], { dtype: "float32" });
    assertClose(lt.grad((x: Tensor) => x.prod({ axis: 1 }).sum())(rows), [[0, 6, 0], [8, 4, 2]]);
  });

  it("prod() with zeros has correct second derivatives", () => {
    const x = f64([[2, 0, 3], [0, 1.5, 0], [0.5, 1.5, -2], [0, 0, 0]]);
    lt.checkGrads((x) => x.prod({ axis: 1 }), [x], { order: 2 });
  });
});
