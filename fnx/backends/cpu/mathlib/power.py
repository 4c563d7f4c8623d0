"""pow (numpy.power / C99 pow) and cbrt. pow computes log(|x|) as a double-double (~2^-66) so
that y*log(x) is exact enough for results near the overflow threshold."""
from __future__ import annotations

import math

from .dsl import (
    Float, Int, clamp_nan0, fast_two_sum, finish, fma, infinity, nan, poly, pow2i, scale2, select,
    two_prod, two_sum,
)
from .coefficients import COEFFS
from .constants import LN2_HI, LN2_LO
from .exponential import exp_reduce, expm1_r
from .logarithm import log, log_reduce


_TWO_THIRDS_HI = 0.6666666666666666               # 2/3
_TWO_THIRDS_LO = 3.700743415417188e-17


def _log_dd(a):
    """log(a) as a double-double (hi, lo), relative error ~2**-66; a > 0 finite (float64)."""
    c = a.c
    k, f = log_reduce(a)
    m = f + 1.0                                   # exact
    dh = m + 1.0
    dl = m - (dh - 1.0)                           # exact: m + 1 = dh + dl
    sh = f / dh
    rho = fma(-sh, dh, f)                         # exact residual
    rho = fma(-sh, dl, rho)
    sl = rho / dh                                 # s = f/(m+1) = sh + sl
    z = sh * sh
    # 2 atanh(s) = 2s + (2/3) s^3 + s^5 Q(s^2)
    ph, pl = two_prod(sh, sh)
    qh, ql = two_prod(ph, sh)
    ql = ql + pl * sh                             # s^3 = qh + ql
    rh, rl = two_prod(c.f(_TWO_THIRDS_HI), qh)
    rl = rl + (_TWO_THIRDS_HI * ql + _TWO_THIRDS_LO * qh)   # (2/3) s^3 = rh + rl
    tail = sh * z * z * poly(z, COEFFS["POWLOG"])
    Lh, e1 = fast_two_sum(2.0 * sh, rh)
    Ll = e1 + ((2.0 * sl + rl) + (2.0 * z * sl + tail))
    kh = k * LN2_HI                               # exact
    Gh, e2 = two_sum(kh, Lh)
    Gl = e2 + (Ll + k * LN2_LO)
    return fast_two_sum(Gh, Gl)


def _pow_special(x, y, r):
    """numpy.power (C99 pow) edge cases around a generic result r computed from |x|."""
    c = x.c
    a = x.abs()
    ay = y.abs()
    inf = infinity(c)
    yint = y.floor().eq(y) & (ay < math.inf)
    half = y * 0.5
    yodd = yint & half.floor().ne(half)
    xneg = x < 0.0
    r = select(xneg & yodd, -r, r)
    r = select(xneg & ~yint, nan(c), r)
    zr = select(y < 0.0, inf, c.f(0.0))
    zr = select(yodd, zr.copysign(x), zr)
    r = select(a.eq(0.0), zr, r)
    ir = select(y < 0.0, c.f(0.0), inf)
    ir = select(yodd & xneg, -ir, ir)
    r = select(a.eq(math.inf), ir, r)
    grow = ((a > 1.0) & (y > 0.0)) | ((a < 1.0) & (y < 0.0))
    yr = select(grow, inf, c.f(0.0))
    yr = select(a.eq(1.0), c.f(1.0), yr)
    r = select(ay.eq(math.inf), yr, r)
    r = select(x.isnan() | y.isnan(), x + y, r)
    return select(y.eq(0.0) | x.eq(1.0), c.f(1.0), r)


def power(x: Float, y: Float, lite: bool = False) -> Float:
    """x**y (float64 code) = exp(y * log|x|), log|x| a double-double (lite: a float64 log,
    plenty for float32 operands), then the C99 edge cases."""
    c = x.c
    a = x.abs()
    ok = (a > 0.0) & (a < math.inf)
    a = select(ok, a, c.f(1.0))
    ys = select(y.abs() < math.inf, y, c.f(0.0))
    if lite:                                      # float32 operands: float64 is plenty
        zh = ys * log(a)
        zl = None
    else:
        Gh, Gl = _log_dd(a)
        zh = ys * Gh
        zl = fma(ys, Gh, -zh) + ys * Gl
    fin = zh.abs() < 745.0
    zc = clamp_nan0(zh, -760.0, 720.0)
    rh, rl, n = exp_reduce(zc)
    if zl is not None:
        rh, rl = fast_two_sum(rh, rl + select(fin, zl, c.f(0.0)))
    p = 1.0 + expm1_r(rh, rl)
    r = scale2(p, n)
    return _pow_special(x, y, r)


_CBRT2 = 1.2599210498948732
_CBRT4 = 1.5874010519681994


def cbrt(x: Float) -> Float:
    """float64 cube root: exponent split e = 3q + r, polynomial for cbrt(mantissa), one Halley
    step evaluated with an exact residual."""
    c = x.c
    a = x.abs()
    tiny = a < 2.2250738585072014e-308
    a = select(tiny, a * 2.0 ** 54, a)
    bits = a.bits()
    E = ((bits >> 52) & 0x7FF) - 1023
    E = E - select(tiny, c.i(54), c.i(0))
    m = ((bits & ((1 << 52) - 1)) | 0x3FF0000000000000).asf()      # [1, 2)
    # q = floor(E / 3) for E in [-1130, 1023]
    Eb = E + 1131                                                  # >= 0
    qb = Int(c, c.b.udiv(Eb.v, c.i(3).v))
    r = Eb - qb * 3                                                # Eb = 3*qb + r
    q = qb - 377
    T = poly(m, COEFFS["CBRT"])
    A = m * select(r.eq(1), c.f(2.0), select(r.eq(2), c.f(4.0), c.f(1.0)))   # exact
    T = T * select(r.eq(1), c.f(_CBRT2), select(r.eq(2), c.f(_CBRT4), c.f(1.0)))
    # Halley: T <- T + T*(A - T^3)/(2 T^3 + A), residual A - T^3 in double-double
    t2h, t2l = two_prod(T, T)
    t3h = t2h * T
    t3l = fma(t2h, T, -t3h) + t2l * T
    d = (A - t3h) - t3l
    T = T + T * d / (2.0 * t3h + A)
    res = T * pow2i(c, q)
    res = res.copysign(x)
    res = select(x.abs().eq(math.inf) | x.eq(0.0), x, res)
    return finish(x, res)
