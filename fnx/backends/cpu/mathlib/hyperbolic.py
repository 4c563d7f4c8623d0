"""sinh, cosh, tanh and logistic, all from exp (`exp_core`, `expm1`): saturating without
overflow."""
from __future__ import annotations

from .dsl import Float, at_most, clamp, clamp_nan0, finish, fma, poly, pow2i, scale2, select
from .coefficients import COEFFS
from .exponential import exp_core, exp_limits, exp_reduce, expm1, expm1_32, expm1_r


def _half_exp(a):
    """exp(a)/2 for a >= 0 (a clamped to the overflow range; inf for a huge)."""
    hi = exp_limits(a.c)[1]
    p, n = exp_core(clamp_nan0(a, 0.0, hi + 2.0))
    return scale2(p, n - 1)


def sinh(x: Float) -> Float:
    """sinh: an odd polynomial below 1, e^a/2 - 1/(4 e^a/2) above (a = |x|)."""
    a = x.abs()
    z = a * a
    small = fma(a * z, poly(z, COEFFS["SINH64" if x.c.is64 else "SINH32"]), a)
    E = _half_exp(a)
    big = E - 0.25 / E
    res = select(a < 1.0, small, big).copysign(x)
    return finish(x, res, keep_zero=True)


def cosh(x: Float) -> Float:
    """cosh = e^a/2 + 1/(4 e^a/2), a = |x|."""
    a = x.abs()
    E = _half_exp(a)
    return finish(x, E + 0.25 / E)


def tanh(x: Float) -> Float:
    """tanh from expm1 of -2|x| (below 1) or 2|x| (float32: `_tanh32`)."""
    c = x.c
    if not c.is64:
        return _tanh32(x)
    a = x.abs()
    small = a < 1.0
    t = expm1(select(small, -2.0 * a, 2.0 * at_most(a, 22.0)))
    z = select(small, -t, c.f(2.0)) / (t + 2.0)
    z = select(small, z, 1.0 - z)
    z = select(a > 22.0, c.f(1.0), z)
    return finish(x, z.copysign(x), keep_zero=True)


def _tanh32(x):
    """float32 tanh = em / (em + 2) with em = expm1(2|x|), one division and no select: below 0.35
    em = expm1(-2|x|) instead (tanh(-a) = em/(em + 2), the sign fixed by the final copysign),
    whose denominator lies in (1.5, 2] rather than [2, 3): smaller relative rounding errors where
    the cancellation-free small-|x| regime needs them (2.29 ulp instead of 2.6). |x| is clamped to
    9.1, beyond which tanh rounds to 1. -0, subnormals: em = 2x exactly, so x; NaN propagates;
    +-inf -> +-1. 24 vector instructions (the odd-polynomial-below-0.625, 1 - 2/(exp(2|x|) + 1)
    above form it replaces: 1.3 ulp, 42)."""
    a = x.abs()
    ac = at_most(a, 9.1)
    em = expm1_32((ac + ac).copysign(a - 0.35))
    return (em / (em + 2.0)).copysign(x)


def logistic(x: Float) -> Float:
    """1/(1 + exp(-x)) with exp(-x) = p * 2**n: x >= 0 (n <= 0) divides by 1 + p*2**n, x < 0
    (n >= 0) computes 2**-n / (p + 2**-n), so nothing overflows and the result's binade does
    not amplify the error of exp."""
    c = x.c
    lo = exp_limits(c)[0]
    rh, rl, n = exp_reduce(clamp(-x, lo, -lo))
    em = expm1_r(rh, rl)                                      # p = 1 + em
    pos = x >= 0.0
    big = 1000 if c.is64 else 120
    t = pow2i(c, c.i(0) - at_most(n, big))                  # 2**-n (x < 0 lanes)
    d = select(pos, 1.0 + scale2(1.0 + em, n, clamp=False), 1.0 + (em + t))
    q = 1.0 / d
    res = select(pos, q, scale2(q, c.i(0) - n, clamp=False))
    return finish(x, res)
