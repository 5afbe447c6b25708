"""The coefficients of the Wasm tier's erf on |x| < 1 (ERF_Q in
jit/codegen/wasm/_math.ts): erf(x) = x + x*Q(x^2), Q of degree 6 in z = x^2,
a least-squares fit of erf(x)/x - 1 weighted for erf's relative error, each
coefficient rounded to float32 (lowest order first) before the rest are
refitted. Prints them highest order first, and the worst relative error of the
rounded polynomial (exact arithmetic) in units of 2^-24.

Run: /usr/bin/python3 bench/erf_fit.py
"""
import math

import numpy as np


def f32(v):
    return float(np.float32(v))


N = 4000
k = np.arange(N)
x = np.concatenate([np.cos(np.pi * (k + 0.5) / (2 * N)), np.linspace(1e-4, 1, N)])
erf = np.array([math.erf(v) for v in x])
z = x * x
w = x / erf
powers = [z**d for d in range(7)]
resid = erf / x - 1
cs = []
for d in range(7):
    a = np.stack(powers[d:], 1) * w[:, None]
    sol, *_ = np.linalg.lstsq(a, resid * w, rcond=None)
    cs.append(f32(sol[0]))
    resid = resid - cs[-1] * powers[d]
q = sum(c * p for c, p in zip(cs, powers))
print([repr(c) for c in cs[::-1]])
print("worst relative error / 2^-24:", np.abs((x * (1 + q) - erf) / erf).max() / 2**-24)
