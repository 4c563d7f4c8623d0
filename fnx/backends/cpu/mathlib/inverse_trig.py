"""atan, asin, acos, atan2 (fdlibm's reductions: atan in 5 intervals, asin/acos through
sqrt((1 - |x|)/2) above 1/2)."""
from __future__ import annotations

import math

from .dsl import Float, finish, fma, nan, poly, select, signbit
from .coefficients import COEFFS
from .constants import PIO2_HI, PIO2_LO


# pi, and in float32 pi/2 and pi, as hi + lo
_PI_HI = 3.141592653589793
_PI_LO = 1.2246467991473532e-16
_PIO2_HI32 = 1.5707963705062866
_PIO2_LO32 = -4.371138828673793e-08
_PI_HI32 = 3.1415927410125732
_PI_LO32 = -8.742277657347586e-08
# atan(0.5), atan(1), atan(1.5), atan(inf) as hi + lo
_ATAN_HI32 = (0.0, 0.46364760398864746, 0.7853981852531433, 0.9827937483787537, 1.5707963705062866)
_ATAN_LO32 = (0.0, 5.01215868808913e-09, -2.1855694143368964e-08, -2.5131424052915463e-08,
              -4.371138828673793e-08)
_ATAN_HI = (0.0, 0.4636476090008061, 0.7853981633974483, 0.982793723247329, 1.5707963267948966)
_ATAN_LO = (0.0, 2.2698777452961687e-17, 3.061616997868383e-17, 1.3903311031230998e-17,
            6.123233995736766e-17)


def _atan_pos(t):
    """atan(t) for t >= 0 (t may be +inf) (fdlibm's argument reduction: 5 intervals, one
    division, then an odd polynomial on |u| <= 7/16)."""
    c = t.c
    b1, b2, b3, b4 = t >= 7.0 / 16, t >= 11.0 / 16, t >= 19.0 / 16, t >= 39.0 / 16

    def pick(vals):
        v = select(b1, c.f(vals[1]), c.f(vals[0]))
        v = select(b2, c.f(vals[2]), v)
        v = select(b3, c.f(vals[3]), v)
        return select(b4, c.f(vals[4]), v)

    A = pick((1.0, 2.0, 1.0, 1.0, 0.0))
    B = pick((0.0, -1.0, -1.0, -1.5, -1.0))
    C = pick((0.0, 1.0, 1.0, 1.5, 1.0))
    D = pick((1.0, 2.0, 1.0, 1.0, 0.0))
    num = select(b4, c.f(-1.0), fma(A, t, B))
    den = select(b4, t, fma(C, t, D))
    u = num / den
    hi = pick(_ATAN_HI if c.is64 else _ATAN_HI32)
    lo = pick(_ATAN_LO if c.is64 else _ATAN_LO32)
    z = u * u
    w = u * z * poly(z, COEFFS["ATAN64" if c.is64 else "ATAN32"])   # atan(u) - u
    return hi + (u + (w + lo))


def atan(x: Float) -> Float:
    """atan, odd (`_atan_pos` of |x|)."""
    return finish(x, _atan_pos(x.abs()).copysign(x), keep_zero=True)


def _asin_parts(a):
    """For a = |x| <= 1: (big, p, cc) with asin(a) = p for a <= 1/2, and for a > 1/2
    asin(a) = pi/2 - 2*(p + cc), p = asin(s) at s = fl(sqrt((1-a)/2)), cc the sqrt correction."""
    c = a.c
    big = a > 0.5
    z = select(big, (1.0 - a) * 0.5, a * a)
    s = select(big, z.sqrt(), a)
    p = fma(s * z, poly(z, COEFFS["ASIN64" if c.is64 else "ASIN32"]), s)
    cc = select(big & (s > 0.0), fma(-s, s, z) / (s + s), c.f(0.0))
    return big, p, cc


def _pi_parts(c):
    """(pi/2 hi, lo, pi hi, lo) in the context's precision."""
    if c.is64:
        return PIO2_HI, PIO2_LO, _PI_HI, _PI_LO
    return _PIO2_HI32, _PIO2_LO32, _PI_HI32, _PI_LO32


def asin(x: Float) -> Float:
    """asin: a polynomial up to 1/2, pi/2 - 2 asin(sqrt((1 - |x|)/2)) above."""
    a = x.abs()
    big, p, cc = _asin_parts(a)
    pio2_hi, pio2_lo, _, _ = _pi_parts(x.c)
    rb = (pio2_hi - 2.0 * p) + (pio2_lo - 2.0 * cc)
    res = select(big, rb, p).copysign(x)
    res = select(a > 1.0, nan(x.c), res)
    return finish(x, res, keep_zero=True)


def acos(x: Float) -> Float:
    """acos, from the pieces of asin."""
    c = x.c
    a = x.abs()
    big, p, cc = _asin_parts(a)
    pio2_hi, pio2_lo, pi_hi, pi_lo = _pi_parts(c)
    # |x| <= 1/2: pi/2 - asin(x)
    ps = p.copysign(x)
    small = pio2_hi - (ps - pio2_lo)
    pos = 2.0 * (p + cc)
    neg = (pi_hi - 2.0 * p) + (pi_lo - 2.0 * cc)
    res = select(big, select(x < 0.0, neg, pos), small)
    res = select(a > 1.0, nan(c), res)
    return finish(x, res)


def atan2(y: Float, x: Float) -> Float:
    """atan2 (C99 edge cases): atan of the smaller magnitude over the larger, then
    the octant."""
    c = y.c
    ay, ax = y.abs(), x.abs()
    swap = ay > ax
    num = select(swap, ax, ay)
    den = select(swap, ay, ax)
    t = num / den
    t = select(den.eq(0.0), c.f(0.0), t)
    t = select(ax.eq(math.inf) & ay.eq(math.inf), c.f(1.0), t)
    at = _atan_pos(t)
    pio2_hi, pio2_lo, pi_hi, pi_lo = _pi_parts(c)
    at = select(swap, (pio2_hi - at) + pio2_lo, at)
    at = select(signbit(x), (pi_hi - at) + pi_lo, at)
    res = at.copysign(y)
    return select(x.isnan() | y.isnan(), x + y, res)
