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

const methods: FreeFunctions<MathMethods> = {
  tan: t.tan,
  asin: t.asin,
  acos: t.acos,
  atan: t.atan,
  sinh: t.sinh,
  cosh: t.cosh,
  asinh: t.asinh,
  acosh: t.acosh,
  atanh: t.atanh,
  sinc: t.sinc,
  deg2rad: t.deg2rad,
  log2: x.log2,
  log10: x.log10,
  exp2: x.exp2,
  erfc: x.erfc,
  erfinv: x.erfinv,
  lgamma: x.lgamma,
  digamma: x.digamma,
  trunc: r.trunc,
  frac: r.frac,
  atan2: t.atan2,
  hypot: n.hypot,
  logAddExp: x.logAddExp,
  xlogy: x.xlogy,
  fmod: r.fmod,
  lerp: r.lerp,
  norm: n.norm,
};

/**
 * The free function behind each method of `M`: the tensor first, then the method's arguments,
 * typed against the method's signature.
 */
export type FreeFunctions<M> = {
  readonly [K in keyof M]: M[K] extends (...args: infer A) => infer R
    ? (self: Tensor, ...args: A) => R
    : never;
};

/**
 * Adds methods that call their free functions with `this` first to a prototype (the Tensor
 * class's).
 * @param proto the prototype
 * @param functions the free function of each method
 */
export function installMethods<M>(proto: object, functions: FreeFunctions<M>): void {
  for (const [name, fn] of Object.entries(functions) as [string, (...a: unknown[]) => unknown][]) {
    Object.assign(proto, {
      [name](this: Tensor, ...args: unknown[]) {
        return fn(this, ...args);
      },
    });
  }
}

/**
 * Adds the methods to a prototype (the Tensor class's).
 * @param proto the prototype
 */
export function installMathMethods(proto: object): void {
  installMethods(proto, methods);
}
