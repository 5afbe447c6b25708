/**
 * The `Tensor` methods of the trigonometric, hyperbolic, logarithmic,
 * rounding and special functions and of `norm` (the functions are in
 * trig.ts, exp_log.ts, rounding.ts and norm.ts). tensor.ts merges
 * `MathMethods` into the class and installs them on its prototype.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import type { TensorLike } from "./_convert.ts";
import * as t from "./trig.ts";
import * as x from "./exp_log.ts";
import * as r from "./rounding.ts";
import * as n from "./norm.ts";

/** Methods over the functions of trig.ts, exp_log.ts, rounding.ts and norm.ts. */
export interface MathMethods {
  /** See {@link t.tan}. */
  tan(): Tensor;
  /** See {@link t.asin}. */
  asin(): Tensor;
  /** See {@link t.acos}. */
  acos(): Tensor;
  /** See {@link t.atan}. */
  atan(): Tensor;
  /** See {@link t.sinh}. */
  sinh(): Tensor;
  /** See {@link t.cosh}. */
  cosh(): Tensor;
  /** See {@link t.asinh}. */
  asinh(): Tensor;
  /** See {@link t.acosh}. */
  acosh(): Tensor;
  /** See {@link t.atanh}. */
  atanh(): Tensor;
  /** See {@link t.sinc}. */
  sinc(): Tensor;
  /** See {@link t.deg2rad}. */
  deg2rad(): Tensor;
  /** See {@link x.log2}. */
  log2(): Tensor;
  /** See {@link x.log10}. */
  log10(): Tensor;
  /** See {@link x.exp2}. */
  exp2(): Tensor;
  /** See {@link x.erfc}. */
  erfc(): Tensor;
  /** See {@link x.erfinv}. */
  erfinv(): Tensor;
  /** See {@link x.lgamma}. */
  lgamma(): Tensor;
  /** See {@link x.digamma}. */
  digamma(): Tensor;
  /** See {@link r.trunc}. */
  trunc(): Tensor;
  /** See {@link r.frac}. */
  frac(): Tensor;
  /** See {@link t.atan2}. */
  atan2(other: TensorLike): Tensor;
  /** See {@link n.hypot}. */
  hypot(other: TensorLike): Tensor;
  /** See {@link x.logAddExp}. */
  logAddExp(other: TensorLike): Tensor;
  /** See {@link x.xlogy}. */
  xlogy(other: TensorLike): Tensor;
  /** See {@link r.fmod}. */
  fmod(other: TensorLike): Tensor;
  /** See {@link r.lerp}. */
  lerp(end: Tensor, weight: TensorLike): Tensor;
  /** See {@link n.norm}. */
  norm(options?: n.NormOptions): Tensor;
}

const methods: MathMethods = {
  tan(this: Tensor): Tensor {
    return t.tan(this);
  },
  asin(this: Tensor): Tensor {
    return t.asin(this);
  },
  acos(this: Tensor): Tensor {
    return t.acos(this);
  },
  atan(this: Tensor): Tensor {
    return t.atan(this);
  },
  sinh(this: Tensor): Tensor {
    return t.sinh(this);
  },
  cosh(this: Tensor): Tensor {
    return t.cosh(this);
  },
  asinh(this: Tensor): Tensor {
    return t.asinh(this);
  },
  acosh(this: Tensor): Tensor {
    return t.acosh(this);
  },
  atanh(this: Tensor): Tensor {
    return t.atanh(this);
  },
  sinc(this: Tensor): Tensor {
    return t.sinc(this);
  },
  deg2rad(this: Tensor): Tensor {
    return t.deg2rad(this);
  },
  log2(this: Tensor): Tensor {
    return x.log2(this);
  },
  log10(this: Tensor): Tensor {
    return x.log10(this);
  },
  exp2(this: Tensor): Tensor {
    return x.exp2(this);
  },
  erfc(this: Tensor): Tensor {
    return x.erfc(this);
  },
  erfinv(this: Tensor): Tensor {
    return x.erfinv(this);
  },
  lgamma(this: Tensor): Tensor {
    return x.lgamma(this);
  },
  digamma(this: Tensor): Tensor {
    return x.digamma(this);
  },
  trunc(this: Tensor): Tensor {
    return r.trunc(this);
  },
  frac(this: Tensor): Tensor {
    return r.frac(this);
  },
  atan2(this: Tensor, other: TensorLike): Tensor {
    return t.atan2(this, other);
  },
  hypot(this: Tensor, other: TensorLike): Tensor {
    return n.hypot(this, other);
  },
  logAddExp(this: Tensor, other: TensorLike): Tensor {
    return x.logAddExp(this, other);
  },
  xlogy(this: Tensor, other: TensorLike): Tensor {
    return x.xlogy(this, other);
  },
  fmod(this: Tensor, other: TensorLike): Tensor {
    return r.fmod(this, other);
  },
  lerp(this: Tensor, end: Tensor, weight: TensorLike): Tensor {
    return r.lerp(this, end, weight);
  },
  norm(this: Tensor, options?: n.NormOptions): Tensor {
    return n.norm(this, options);
  },
};

/**
 * Adds the methods to a prototype (the Tensor class's).
 * @param proto the prototype
 */
export function installMathMethods(proto: object): void {
  Object.assign(proto, methods);
}
