/**
 * Scalar helpers the primitives' JS forms call as `rt.<name>` (`jsHelpers`): what Math lacks or
 * gets different from PyTorch.
 * @module
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/** erf(x) to double precision: a positive series below 3, a continued fraction above. */
export function erf(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  if (ax < 3) {
    // erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  let frac = ax;
  for (let n = 60; n >= 1; n--) frac = ax + n / 2 / frac;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / frac;
  return Math.sign(x) * (1 - erfc);
}

/** Round half to even, like torch.round. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torch.maximum: NaN if either is NaN. */
export function maximum(a: number, b: number): number {
  return a !== a || b !== b ? NaN : a > b ? a : b;
}

/** torch.minimum: NaN if either is NaN. */
export function minimum(a: number, b: number): number {
  return a !== a || b !== b ? NaN : a < b ? a : b;
}

/** C's pow (torch.pow): like Math.pow, except that 1 ** y and (-1) ** ±Infinity are 1. */
export function pow(a: number, b: number): number {
  if (a === 1 || (a === -1 && (b === Infinity || b === -Infinity))) return 1;
  return Math.pow(a, b);
}

/** torch.remainder: the result takes the divisor's sign. */
export function remainder(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
}
