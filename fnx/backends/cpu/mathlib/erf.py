"""erf, erfc, erf_inv. erfc and erf_inv run in float64 for float32 operands (`lite`: their
shorter float32-accuracy polynomials)."""
from __future__ import annotations

import math

from .dsl import (
    Float, at_least, at_most, finish, fma, infinity, nan, poly, scale2, select, two_prod,
)
from .coefficients import COEFFS
from .exponential import exp_core
from .logarithm import log


_TWO_OVER_SQRT_PI_HI = 1.1283791670955126               # 2/sqrt(pi) = hi + lo
_TWO_OVER_SQRT_PI_LO = 1.533545961316588e-17
_TWO_OVER_SQRT_PI_HI32 = 1.128379225730896
_TWO_OVER_SQRT_PI_LO32 = -5.8635382771399236e-08
_ERFC_K = 3.0                                          # erfc's y = (a - K)/(a + K)


def _erfc_pos(a, lite):
    """erfc(a) for a >= 0 (clamped to <= 28): exp(-a^2) * g(y) / (1 + 2a) where
    g = (1+2a) exp(a^2) erfc(a) is a polynomial in y = (a - K)/(a + K) (a truncated Chebyshev
    series, Shepherd & Laframboise's variable, converted to monomials)."""
    c = a.c
    a = at_most(a, 28.0)
    y = (a - _ERFC_K) / (a + _ERFC_K)
    g = poly(y, COEFFS["ERFC_POLY32" if lite else "ERFC_POLY"])
    sh, sl = two_prod(a, a)
    p, n = exp_core(select(sh > 750.0, c.f(-750.0), -sh))
    p = fma(-p, sl, p)                                  # exp(-sh - sl)
    v = p * g / fma(a, c.f(2.0), c.f(1.0))
    return scale2(v, n)


def _erf_small(a):
    """erf(a) for |a| <= 1/2 (float64) or < 3/4 (float32), odd: the sign follows a."""
    if a.c.is64:
        hi, lo, coeffs = _TWO_OVER_SQRT_PI_HI, _TWO_OVER_SQRT_PI_LO, COEFFS["ERF64"]
    else:
        hi, lo, coeffs = _TWO_OVER_SQRT_PI_HI32, _TWO_OVER_SQRT_PI_LO32, COEFFS["ERF32S"]
    z = a * a
    return fma(a, hi, fma(a * z, poly(z, coeffs), a * lo))


def erf(x: Float, lite: bool = False) -> Float:
    """erf: a polynomial near 0, 1 - erfc beyond (float32: 1 - exp(a polynomial))."""
    c = x.c
    a = x.abs()
    if c.is64:
        es = _erf_small(a)
        el = 1.0 - _erfc_pos(a, lite)
        res = select(a < 0.5, es, el)
    else:
        es = _erf_small(a)
        g = poly(at_most(a, 3.93), COEFFS["ERF32L"])     # log(erfc(a)), a >= 0.75
        p, n = exp_core(at_least(g, -20.0))
        el = 1.0 - scale2(p, n)
        res = select(a < 0.75, es, el)
        res = select(a > 3.92, c.f(1.0), res)
    return finish(x, res.copysign(x), keep_zero=True)


def erfc(x: Float, lite: bool = False) -> Float:
    """erfc (float64 code): 1 - erf below 1/2, `_erfc_pos` above, 2 - erfc(-x) for x < 0."""
    a = x.abs()
    es = _erf_small(x)
    ec = _erfc_pos(a, lite)
    res = select(x < 0.0, 2.0 - ec, ec)
    res = select(a < 0.5, 1.0 - es, res)
    return finish(x, res)


def erf_inv(x: Float, lite: bool = False) -> Float:
    """Giles' form: erf_inv(x) = x * P(w), w = -log(1 - x^2) (1 - x^2 by fma, exact input),
    P a polynomial in w (w < 6.25) or in sqrt(w) (tails), minimax fits in float64."""
    c = x.c
    a = x.abs()
    w = -log(fma(-a, a, c.f(1.0)))
    w = select(w.notnan(), w, c.f(0.0))
    t = select(w < math.inf, w, c.f(0.0)).sqrt()
    if lite:
        central = poly(w - 3.125, COEFFS["EINV32_C"])
        tail = poly(t - 3.25, COEFFS["EINV32_T"])
    else:
        central = poly(w - 3.125, COEFFS["EINV_C"])
        t1 = poly(t - 3.25, COEFFS["EINV_T1"])
        t2 = poly(t - 5.0, COEFFS["EINV_T2"])
        tail = select(w < 16.0, t1, t2)
    res = select(w < 6.25, central, tail) * x
    res = select(a.eq(1.0), infinity(c).copysign(x), res)
    res = select(a > 1.0, nan(c), res)
    return finish(x, res, keep_zero=True)
