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
  /** The method form of `tan`. */
  tan(): Tensor;
  /** The method form of `asin`. */
  asin(): Tensor;
  /** The method form of `acos`. */
  acos(): Tensor;
  /** The method form of `atan`. */
  atan(): Tensor;
  /** The method form of `sinh`. */
  sinh(): Tensor;
  /** The method form of `cosh`. */
  cosh(): Tensor;
  /** The method form of `asinh`. */
  asinh(): Tensor;
  /** The method form of `acosh`. */
  acosh(): Tensor;
  /** The method form of `atanh`. */
  atanh(): Tensor;
  /** The method form of `sinc`. */
  sinc(): Tensor;
  /** The method form of `deg2rad`. */
  deg2rad(): Tensor;
  /** The method form of `log2`. */
  log2(): Tensor;
  /** The method form of `log10`. */
  log10(): Tensor;
  /** The method form of `exp2`. */
  exp2(): Tensor;
  /** The method form of `erfc`. */
  erfc(): Tensor;
  /** The method form of `erfinv`. */
  erfinv(): Tensor;
  /** The method form of `lgamma`. */
  lgamma(): Tensor;
  /** The method form of `digamma`. */
  digamma(): Tensor;
  /** The method form of `trunc`. */
  trunc(): Tensor;
  /** The method form of `frac`. */
  frac(): Tensor;
  /** The method form of `atan2`. */
  atan2(other: TensorLike): Tensor;
  /** The method form of `hypot`. */
  hypot(other: TensorLike): Tensor;
  /** The method form of `logAddExp`. */
  logAddExp(other: TensorLike): Tensor;
  /** The method form of `xlogy`. */
  xlogy(other: TensorLike): Tensor;
  /** The method form of `fmod`. */
  fmod(other: TensorLike): Tensor;
  /** The method form of `lerp`. */
  lerp(end: Tensor, weight: TensorLike): Tensor;
  /** The method form of `norm`. */
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
