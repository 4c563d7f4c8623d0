"""asinh, acosh, atanh via log1p (run in float64 for float32 operands)."""
from __future__ import annotations

import math

from .dsl import Float, finish, fma, infinity, nan, select
from .constants import LN2
from .logarithm import log1p_core


def asinh(x: Float) -> Float:
    """asinh(a) = log1p(a + a^2/(1 + sqrt(1 + a^2))), a = |x|; log(2a) above 2^28."""
    c = x.c
    a = x.abs()
    big = a > 2.0 ** 28
    s = fma(a, a, c.f(1.0)).sqrt()
    u = select(big, a - 1.0, a + a * a / (1.0 + s))
    res = log1p_core(u) + select(big, c.f(LN2), c.f(0.0))
    res = select(a.eq(math.inf), infinity(c), res).copysign(x)
    return finish(x, res, keep_zero=True)


def acosh(x: Float) -> Float:
    """acosh = log1p(t + sqrt(t^2 + 2t)), t = x - 1; log(2x) above 2^28."""
    c = x.c
    t = x - 1.0
    big = x > 2.0 ** 28
    u = select(big, t, t + fma(t, t, 2.0 * t).sqrt())
    res = log1p_core(u) + select(big, c.f(LN2), c.f(0.0))
    res = select(x.eq(math.inf), infinity(c), res)
    res = select(x < 1.0, nan(c), res)
    return finish(x, res)


def atanh(x: Float) -> Float:
    """atanh(a) = log1p(2a/(1 - a))/2, a = |x|, the sign of x."""
    c = x.c
    a = x.abs()
    ad = a / (1.0 - a)
    u = select(a < 0.5, fma(2.0 * a, ad, 2.0 * a), 2.0 * ad)
    res = 0.5 * log1p_core(u)
    res = select(a.eq(1.0), infinity(c), res)
    res = select(a > 1.0, nan(c), res).copysign(x)
    return finish(x, select(a > 1.0, nan(c), res), keep_zero=True)
