/**
 * The types of the autodiff transforms (`grad`, `valueAndGrad`): which
 * arguments are differentiated, and the gradient's type computed from the
 * differentiated function's parameters, so a gradient keeps its argument's
 * type (a parameter tree's interface, a tuple for several arguments).
 * @module
 */
import type { Tensor } from "./tensor.ts";

/** Which positional argument(s) `grad` differentiates: one position, or a list of them. */
export type Argnums = number | readonly number[];

/** Options of `grad` and `valueAndGrad`. */
export interface GradOptions<A extends Argnums = Argnums> {
  /** Which positional argument(s) to differentiate (default 0). */
  argnums?: A;
  /** `f` returns `[loss, aux]`; aux is passed through untouched. */
  hasAux?: boolean;
}

/** Any function (the transforms' inputs). */
export type AnyFunction = (...args: any[]) => any;

/** The type of positional argument `I` of `F` (`never` past its end). */
export type ArgumentOf<F extends AnyFunction, I> = I extends keyof Parameters<F> ? Parameters<F>[I]
  : never;

/**
 * The type of `grad(f, { argnums })`'s result: the type of the differentiated
 * argument (a gradient has its argument's structure), or a tuple of them when
 * `argnums` is a list.
 */
export type GradientOf<F extends AnyFunction, A extends Argnums = 0> = A extends number
  ? ArgumentOf<F, A>
  : { -readonly [K in keyof A]: ArgumentOf<F, A[K]> };

/** The aux part of a `[loss, aux]` function's result (`hasAux: true`). */
export type AuxOf<F extends AnyFunction> = ReturnType<F> extends readonly [unknown, infer X] ? X
  : unknown;

/** A function `grad` can differentiate: it returns the scalar loss. */
export type LossFunction = (...args: any[]) => Tensor;

/** A function `grad` with `hasAux: true` can differentiate: it returns `[loss, aux]`. */
export type LossAuxFunction = (...args: any[]) => readonly [Tensor, unknown];
