"""log, log2, log1p and the reduction x = 2**k * (1 + f) that pow and the inverse hyperbolic
functions share (`log_reduce`, `log1p_core`)."""
from __future__ import annotations

import math

from .dsl import Float, float_format, fma, infinity, nan, poly, select
from .coefficients import COEFFS
from .constants import LN2_HI, LN2_HI32, LN2_LO, LN2_LO32


_LOG2E_HI32 = 1.4426950216293335          # log2(e) = hi + lo (float32 log2)
_LOG2E_LO32 = 1.925963033500011e-08
_IVLN2_HI = 1.4426946640014648            # 1/ln2 with the low 32 bits cleared
_IVLN2_LO = 3.768874985636099e-07


def log_reduce(x: Float) -> tuple[Float, Float]:
    """x > 0 finite (other lanes: garbage) -> (k as Float, f) with x = 2**k * (1 + f),
    1 + f in [sqrt(2)/2, sqrt(2))."""
    c = x.c
    p = float_format(c)
    tiny_v = 2.2250738585072014e-308 if c.is64 else 1.1754943508222875e-38
    sc = 54 if c.is64 else 25
    tiny = x < tiny_v
    x = select(tiny, x * float(2 ** sc), x)
    C = 0x3FE6A09E00000000 if c.is64 else 0x3F3504F3
    ix = x.bits() + (p["one"] - C)
    k = (ix >> p["mant"]) - p["bias"]
    k = k - select(tiny, c.i(sc), c.i(0))
    m = ((ix & ((1 << p["mant"]) - 1)) + C).asf()
    return k.tof(), m - 1.0


def _log_specials(x, res, neg_one=None):
    """log-like edge cases: 0 -> -inf, < 0 -> nan, +inf -> +inf, nan -> nan."""
    c = x.c
    zero = x.eq(0.0) if neg_one is None else x.eq(neg_one)
    lim = 0.0 if neg_one is None else neg_one
    res = select(zero, -infinity(c), res)
    res = select(x < lim, nan(c), res)
    res = select(x.eq(math.inf), infinity(c), res)
    return select(x.isnan(), x, res)


def _log1pf_64(f):
    """pieces of log(1+f) for float64, |f| <= 0.415: returns (s, hfsq, R) with
    log1p(f) = f - (hfsq - s*(hfsq + R))."""
    s = f / (2.0 + f)
    z = s * s
    R = z * poly(z, COEFFS["LOGR64"])
    hfsq = 0.5 * f * f
    return s, hfsq, R


def _log_from_parts(k, f, cc=None):
    """k*ln2 + log(1 + f) (+ cc, log1p's correction for the rounding of 1 + x) for f from
    `log_reduce`: fdlibm's sum (float64), one final rounding by fma (float32)."""
    if k.c.is64:
        s, hfsq, R = _log1pf_64(f)
        hi = k * LN2_HI
        t = s * (hfsq + R)
        lo = k * LN2_LO if cc is None else k * LN2_LO + cc
        return hi - ((hfsq - (t + lo)) - f)
    q = poly(f, COEFFS["LOG32"])
    if cc is None:
        p = fma(f * f, fma(f, q, -0.5), f)          # log1p(f)
    else:
        p = f + fma(f * f, fma(f, q, -0.5), cc)     # log1p(f) + cc, one final rounding
    return fma(k, LN2_HI32, fma(k, LN2_LO32, p))


def log(x: Float) -> Float:
    """The natural logarithm."""
    k, f = log_reduce(x)
    return _log_specials(x, _log_from_parts(k, f))


def log2(x: Float) -> Float:
    """The base-2 logarithm (float64: fdlibm's hi + lo evaluation)."""
    c = x.c
    k, f = log_reduce(x)
    if c.is64:
        s, hfsq, R = _log1pf_64(f)
        hi = f - hfsq
        hi = (hi.bits() & ~0xFFFFFFFF).asf()
        lo = ((f - hi) - hfsq) + s * (hfsq + R)
        val_hi = hi * _IVLN2_HI
        val_lo = (lo + hi) * _IVLN2_LO + lo * _IVLN2_HI
        w = k + val_hi
        val_lo = val_lo + ((k - w) + val_hi)
        res = val_lo + w
    else:
        q = poly(f, COEFFS["LOG2_32"])
        t = fma(f * f, q, f * _LOG2E_LO32)
        res = k + fma(f, _LOG2E_HI32, t)
    return _log_specials(x, res)


def log1p_core(x: Float) -> Float:
    """log1p(x) for x > -1 (no special-case handling)."""
    u = 1.0 + x
    k, f = log_reduce(u)
    cc = select(x > 1.0, 1.0 - (u - x), x - (u - 1.0)) / u   # exact rounding error of u
    return _log_from_parts(k, f, cc)


def log1p(x: Float) -> Float:
    """log(1 + x), accurate near 0."""
    res = log1p_core(x)
    res = _log_specials(x, res, neg_one=-1.0)
    return select(x.eq(0.0), x, res)
