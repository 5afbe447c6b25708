// Test helper for the issue-13 ops: the PyTorch fixture (fixtures/new_ops.json,
// see gen_new_ops.py), the Lathe function behind each fixture op name, and a
// runner that computes a case's value and gradients on one device and dtype.
import * as lt from "../mod.ts";
import * as nn from "../nn/mod.ts";
import fixture from "./fixtures/new_ops.json" with { type: "json" };

type Json = number | string;
type Args = Record<string, unknown> | null;

/** One fixture input tensor. */
export interface CaseInput {
  v: Json[];
  s: number[];
  d: "float" | "int32";
}

/** PyTorch's value and gradients for one dtype. */
export interface Expected {
  out: Json[];
  s: number[];
  grads: (Json[] | null)[] | null;
}

/** One fixture case. */
export interface NewOpCase {
  op: string;
  args: Args;
  in: CaseInput[];
  ct: number[] | null;
  f64: Expected;
  f32?: Expected;
}

/** Every case of the fixture. */
export const cases: NewOpCase[] = fixture.cases as NewOpCase[];

/** A JSON number or "nan" / "inf" / "-inf". */
export function decode(v: Json): number {
  if (typeof v === "number") return v;
  return v === "nan" ? NaN : v === "inf" ? Infinity : -Infinity;
}

function num(args: Args, key: string): number {
  const v = args?.[key];
  return v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v as number;
}
function opt(args: Args): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(args ?? {}) };
  if (typeof out.p === "string" && out.p !== "fro") out.p = num(args, "p");
  return out;
}

type Op = (xs: lt.Tensor[], args: Args) => lt.Tensor;
const un = (f: (x: lt.Tensor) => lt.Tensor): Op => ([x]) => f(x);
const bin = (f: (a: lt.Tensor, b: lt.Tensor) => lt.Tensor): Op => ([a, b]) => f(a, b);

/** The Lathe function behind each fixture op name (options from the case's args). */
export const ops: Record<string, Op> = {
  tan: un(lt.tan),
  asin: un(lt.asin),
  acos: un(lt.acos),
  atan: un(lt.atan),
  atan2: bin(lt.atan2),
  sinh: un(lt.sinh),
  cosh: un(lt.cosh),
  asinh: un(lt.asinh),
  acosh: un(lt.acosh),
  log2: un(lt.log2),
  log10: un(lt.log10),
  fmod: bin(lt.fmod),
  erfc: un(lt.erfc),
  erfinv: un(lt.erfinv),
  lgamma: un(lt.lgamma),
  digamma: un(lt.digamma),
  atanh: un(lt.atanh),
  exp2: un(lt.exp2),
  trunc: un(lt.trunc),
  frac: un(lt.frac),
  sinc: un(lt.sinc),
  deg2rad: un(lt.deg2rad),
  hypot: bin(lt.hypot),
  logAddExp: bin(lt.logAddExp),
  xlogy: ([a, b], args) =>
    args?.scalar !== undefined ? lt.xlogy(a, num(args, "scalar")) : lt.xlogy(a, b),
  lerp: ([s, e, w], args) => lt.lerp(s, e, w ?? num(args, "weight")),
  relu6: un(lt.relu6),
  hardtanh: ([x], args) => lt.hardtanh(x, opt(args)),
  hardsigmoid: un(lt.hardsigmoid),
  hardswish: un(lt.hardswish),
  mish: un(lt.mish),
  selu: un(lt.selu),
  celu: ([x], args) => lt.celu(x, opt(args)),
  logSigmoid: un(lt.logSigmoid),
  softsign: un(lt.softsign),
  tanhshrink: un(lt.tanhshrink),
  gelu: ([x], args) => lt.gelu(x, opt(args)),
  glu: ([x], args) => lt.glu(x, args?.axis as number | undefined),
  softmin: ([x], args) => lt.softmin(x, args?.axis as number | undefined),
  normalize: ([x], args) => lt.normalize(x, opt(args)),
  cosineSimilarity: ([a, b], args) => lt.cosineSimilarity(a, b, opt(args)),
  norm: ([x], args) => lt.norm(x, opt(args)),
  crossEntropy: ([x, y], args) => nn.crossEntropy(x, y, opt(args)),
  klDiv: ([x, y], args) => nn.klDiv(x, y, opt(args)),
};

/** A case's result on one device and float dtype: value, gradients, and the tensors' kernels. */
export interface Result {
  out: ArrayLike<number>;
  shape: number[];
  grads: (ArrayLike<number> | null)[] | null;
  tensors: lt.Tensor[];
}

/** Runs a case: float inputs as `dtype` on `device`, int inputs as int32; gradients by vjp with the case's cotangent. */
export async function runCase(
  c: NewOpCase,
  dtype: "float32" | "float64",
  device: lt.Device = "cpu",
): Promise<Result> {
  const op = ops[c.op];
  if (op === undefined) throw new Error(`no Lathe function for fixture op ${c.op}`);
  const inputs = c.in.map((x) =>
    lt.tensor(x.v.map(decode), {
      dtype: x.d === "int32" ? "int32" : dtype,
      shape: x.s,
      device,
    })
  );
  const read = (t: lt.Tensor) => device === "cpu" ? Promise.resolve(t.dataSync()) : t.data();
  const floats = c.in.flatMap((x, i) => (x.d === "float" ? [i] : []));
  if (c.ct === null) {
    const out = op(inputs, c.args);
    return { out: await read(out), shape: out.shape, grads: null, tensors: [out] };
  }
  const f = (...xs: lt.Tensor[]) => {
    const all = [...inputs];
    floats.forEach((i, k) => (all[i] = xs[k]));
    return op(all, c.args);
  };
  const [out, back] = lt.vjp(f, ...floats.map((i) => inputs[i]));
  const ct = lt.tensor(c.ct, { dtype: out.dtype, shape: out.shape, device });
  const gs = back(ct) as lt.Tensor[];
  const grads: (ArrayLike<number> | null)[] = c.in.map(() => null);
  for (const [k, i] of floats.entries()) grads[i] = await read(gs[k]);
  return { out: await read(out), shape: out.shape, grads, tensors: [out, ...gs] };
}

/** A readable label: op, options, input shapes. */
export function label(c: NewOpCase, index: number): string {
  const args = c.args ? ` ${JSON.stringify(c.args)}` : "";
  const shapes = c.in.map((x) => `${x.d === "int32" ? "int32" : ""}[${x.s}]`).join(", ");
  return `#${index} ${c.op}${args} (${shapes})`;
}
