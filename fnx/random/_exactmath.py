"""Transcendental functions for the samplers, built from IEEE-exact operations only.

`add`, `sub`, `mul`, `div`, `sqrt`, `floor`, comparisons, selects, conversions and bit casts
are correctly rounded (or exact) on numpy and in compiled code alike, and fnx contracts
nothing into fused multiply-adds. So these functions give the same bits on every backend,
eagerly, under `jit` and under `vmap`, and so do the samplers built on them (numpy's and
the CPU backend's own `log`/`erf_inv`/... differ in the last bits). They cover what the
samplers need; accuracy against correctly rounded values is in docs/random.md.
"""
from __future__ import annotations

from decimal import Decimal, getcontext

import numpy as np

from fnx_ir import float32, float64, int32, int64

from .. import lax
from .._core.trace import type_of
from ._util import full

getcontext().prec = 60
_PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494")
_LN2 = Decimal(2).ln()


def _c(x, value):
    t = type_of(x)
    return full(t.shape, value, t.dtype)


def _split(value: Decimal, dtype, zero_bits: int):
    """`value` as hi + lo in `dtype`, hi with its low `zero_bits` mantissa bits cleared (so
    that small integer multiples of hi are exact)."""
    hi = np.asarray(float(value), dtype.np)
    it = np.dtype(f"u{dtype.np.itemsize}")
    hi = (hi.view(it) & ~it.type((1 << zero_bits) - 1)).view(dtype.np)
    return float(hi), float(np.asarray(float(value - Decimal(float(hi))), dtype.np))


_INT = {float32: int32, float64: int64}
_MANT = {float32: 23, float64: 52}
_BIAS = {float32: 127, float64: 1023}
_LN2_SPLIT = {d: _split(_LN2, d, 12) for d in (float32, float64)}
_PIO2_SPLIT = {d: _split(_PI / 2, d, 0) for d in (float32, float64)}


def _horner(x, coeffs):
    """coeffs[0] + coeffs[1] x + ... (plain multiplies and adds)."""
    acc = _c(x, coeffs[-1])
    for k in reversed(coeffs[:-1]):
        acc = lax.add(lax.mul(acc, x), _c(x, k))
    return acc


def _chebyshev(x, mid: float, half: float, coeffs):
    """The Chebyshev series sum c_k T_k((x - mid) / half) (Clenshaw's recurrence)."""
    y = lax.mul(lax.sub(x, _c(x, mid)), _c(x, 1 / half))
    y2 = lax.add(y, y)
    b1, b2 = _c(x, 0.0), _c(x, 0.0)
    for k in reversed(coeffs[1:]):
        b1, b2 = lax.add(lax.sub(lax.mul(y2, b1), b2), _c(x, k)), b1
    return lax.add(lax.sub(lax.mul(y, b1), b2), _c(x, coeffs[0]))


def _terms(dtype, f64: int, f32: int) -> int:
    return f64 if dtype is float64 else f32


def _pow2(k, dtype):
    """2**k as `dtype` for integer arrays k in the normal exponent range (exact)."""
    shape, it = type_of(k).shape, _INT[dtype]
    return lax.bitcast_convert_type(lax.shift_left(
        lax.add(k, full(shape, _BIAS[dtype], it)), full(shape, _MANT[dtype], it)), dtype)


def _reduce(x):
    """`x = 2**e * m` with `m` in [sqrt(1/2), sqrt(2)] and integer `e`, for positive normal
    and subnormal `x` (exact)."""
    t = type_of(x)
    d, it, mb, bias = t.dtype, _INT[t.dtype], _MANT[t.dtype], _BIAS[t.dtype]
    shift = mb + 2
    small = lax.lt(x, _c(x, float(np.finfo(d.np).tiny)))
    xs = lax.select(small, lax.mul(x, _c(x, 2.0 ** shift)), x)  # subnormals: scale up
    b = lax.bitcast_convert_type(xs, it)
    e = lax.sub(lax.shift_right_logical(b, full(t.shape, mb, it)), full(t.shape, bias, it))
    # m in [1, 2) (then halved above sqrt 2) by two exact power-of-two products (each
    # factor is a normal number for every exponent e, those of 0, inf and NaN included)
    e1 = lax.shift_right_arithmetic(e, full(t.shape, 1, it))
    m = lax.mul(lax.mul(xs, _pow2(lax.neg(e1), d)), _pow2(lax.sub(e1, e), d))
    big = lax.gt(m, _c(x, float(np.sqrt(np.asarray(2.0, d.np)))))
    m = lax.select(big, lax.mul(m, _c(x, 0.5)), m)
    e = lax.add(e, lax.convert_element_type(big, it))
    return m, lax.select(small, lax.sub(e, full(t.shape, shift, it)), e)


def _log_specials(x, res):
    """`res` where x is positive and finite; -inf at 0, inf at inf, NaN below 0 and at NaN."""
    res = lax.select(lax.eq(x, _c(x, np.inf)), _c(x, np.inf), res)
    res = lax.select(lax.eq(x, _c(x, 0.0)), _c(x, -np.inf), res)
    return lax.select(lax.bitwise_or(lax.lt(x, _c(x, 0.0)), lax.ne(x, x)), _c(x, np.nan), res)


def log(x):
    """Natural logarithm: `log(0) = -inf`, `log(inf) = inf`, NaN for negatives and NaN.
    fdlibm's reduction, `log(1 + f) = f - f²/2 + s (f²/2 + R(s²))` with `s = f / (2 + f)`,
    and R the atanh series. `1 + f = x * 2**-e` is an exact product, so the tangent flows."""
    d = type_of(x).dtype
    m, e = _reduce(x)
    f = lax.sub(m, _c(x, 1.0))
    s = lax.div(f, lax.add(_c(x, 2.0), f))
    z = lax.mul(s, s)
    n = _terms(d, 11, 6)
    r = lax.mul(z, _horner(z, [2.0 / (2 * k + 3) for k in range(n)]))
    hfsq = lax.mul(_c(x, 0.5), lax.mul(f, f))
    ef = lax.convert_element_type(e, d)
    hi, lo = _LN2_SPLIT[d]
    res = lax.sub(lax.mul(ef, _c(x, hi)),
                  lax.sub(lax.sub(hfsq, lax.add(lax.mul(s, lax.add(hfsq, r)),
                                                lax.mul(ef, _c(x, lo)))), f))
    return _log_specials(x, res)


def log1p(x):
    """`log(1 + x)` for `x >= -1`: `log(u) - ((u - 1) - x) / u` with `u = 1 + x` (the
    correction restores what rounding `1 + x` lost)."""
    u = lax.add(_c(x, 1.0), x)
    lu = log(u)
    corr = lax.div(lax.sub(lax.sub(u, _c(x, 1.0)), x), u)
    tiny = lax.eq(u, _c(x, 1.0))  # |x| below half an ulp of 1: log1p(x) = x
    res = lax.select(lax.lt(u, _c(x, np.inf)), lax.sub(lu, corr), lu)
    res = lax.select(lax.eq(u, _c(x, 0.0)), lu, res)
    return lax.select(tiny, x, res)


def exp(x):
    """`e**x`: `2**n * p(r)` with `r = x - n log 2` (split constant) and p the Taylor
    series; the scaling is two exact powers of two (gradual underflow included)."""
    t = type_of(x)
    d, it, mb, bias = t.dtype, _INT[t.dtype], _MANT[t.dtype], _BIAS[t.dtype]
    ln2 = float(_LN2)
    lo_lim, hi_lim = -(bias + mb + 3) * ln2, (bias + 2) * ln2
    xc = lax.min(lax.max(x, _c(x, lo_lim)), _c(x, hi_lim))
    n = lax.floor(lax.add(lax.mul(xc, _c(x, 1 / ln2)), _c(x, 0.5)))
    hi, lo = _LN2_SPLIT[d]
    r = lax.sub(lax.sub(xc, lax.mul(n, _c(x, hi))), lax.mul(n, _c(x, lo)))
    deg = _terms(d, 13, 8)
    fact = [1.0]
    for k in range(1, deg + 1):
        fact.append(fact[-1] / k)
    p = _horner(r, fact)
    ni = lax.convert_element_type(n, it)
    n1 = lax.shift_right_arithmetic(ni, full(t.shape, 1, it))
    res = lax.mul(lax.mul(p, _pow2(n1, d)), _pow2(lax.sub(ni, n1), d))
    return lax.select(lax.ne(x, x), x, res)


def _sin_cos(a):
    """sin and cos of `a` in [0, pi/4] (Taylor series)."""
    z = lax.mul(a, a)
    n = _terms(type_of(a).dtype, 10, 6)
    sin_c, cos_c = [], []
    f = 1.0
    for k in range(1, 2 * n + 2):
        f /= k
        if k % 2:
            sin_c.append((-1) ** (k // 2) * f)
        else:
            cos_c.append((-1) ** (k // 2) * f)
    s = lax.add(a, lax.mul(lax.mul(a, z), _horner(z, sin_c[1:])))
    c = lax.add(_c(a, 1.0), lax.mul(z, _horner(z, cos_c)))
    return s, c


def tan(x):
    """`tan(x)` for `|x| < pi/2`: sin/cos on `|x|`, or cos/sin on `pi/2 - |x|` (split
    constant, so no cancellation) above pi/4."""
    d = type_of(x).dtype
    a = lax.abs(x)
    hi, lo = _PIO2_SPLIT[d]
    far = lax.gt(a, _c(x, float(_PI / 4)))
    arg = lax.select(far, lax.add(lax.sub(_c(x, hi), a), _c(x, lo)), a)
    s, c = _sin_cos(arg)
    t = lax.select(far, lax.div(c, s), lax.div(s, c))
    return lax.select(lax.lt(x, _c(x, 0.0)), lax.neg(t), t)



# erf(x) = x * s(x * x) for |x| <= 1: (mid, half-width, coefficients)
_ERF_SMALL_F64 = (0.5, 0.5,
    (0.9754769393826541, -0.14226120510371365, 0.010035582187599796, -0.0005768764699767485,
     2.741993125219606e-05, -1.1043175507344507e-06, 3.8488755420345036e-08,
     -1.1808582533875466e-09, 3.2334215826050907e-11, -7.991015947004549e-13,
     1.7990725113961456e-14, -3.718635487818693e-16))
# erfc(x) * exp(x * x) for x > 1, by intervals (upper end, mid, half-width, coefficients)
_ERFCX_F64 = (
    (2.5, 1.75, 0.75,
     (0.3017138902444292, -0.10574990110152695, 0.017104848474406763, -0.002587682261135065,
      0.0003696145268036729, -5.0198560605167956e-05, 6.517935170561901e-06,
      -8.126449775613485e-07, 9.763690285483578e-08, -1.133813656364367e-08,
      1.2757869239497698e-09, -1.3939984728303207e-10, 1.4818660272094163e-11,
      -1.535083855929386e-12, 1.5518968060622196e-13, -1.533073757450008e-14,
      1.4816184838693498e-15, -1.4022871840291417e-16, 1.3009973201083394e-17)),
    (6.0, 4.25, 1.75,
     (0.14016047004976134, -0.05677604943259737, 0.011209463278240392,
      -0.0021611166170954787, 0.00040747765264847823, -7.523771561693374e-05,
      1.3620051895515644e-05, -2.4198114237545286e-06, 4.223228134648387e-07,
      -7.246499552340511e-08, 1.223372886245904e-08, -2.0334473033647613e-09,
      3.329826004203619e-10, -5.374937749488635e-11, 8.556925347830744e-12,
      -1.3442073415954262e-12, 2.084564956391692e-13, -3.192625432717342e-14,
      4.8309695226060365e-15, -7.224932337043964e-16, 1.0683063372619959e-16,
      -1.562286501680805e-17, 2.2602709241233146e-18)),
)


def erf(x):
    """Error function. float32: XLA CPU's, bit for bit (below). float64: `x s(x²)` for
    `|x| <= 1`, else `±(1 - exp(-x²) erfcx(|x|))` with erfcx Chebyshev series by interval,
    and `±1` beyond them."""
    d = type_of(x).dtype
    if d is float32:
        return _erf_f32(x)
    mid, half, coeffs = _ERF_SMALL_F64
    z = lax.mul(x, x)
    small = lax.mul(x, _chebyshev(z, mid, half, coeffs))
    a = lax.abs(x)
    intervals = _ERFCX_F64
    ex = None
    for hi, mid, half, coeffs in reversed(intervals):
        val = _chebyshev(lax.min(a, _c(x, hi)), mid, half, coeffs)
        ex = val if ex is None else lax.select(lax.le(a, _c(x, hi)), val, ex)
    big = lax.sub(_c(x, 1.0), lax.mul(exp(lax.neg(z)), ex))
    big = lax.select(lax.gt(a, _c(x, intervals[-1][0])), _c(x, 1.0), big)
    big = lax.select(lax.lt(x, _c(x, 0.0)), lax.neg(big), big)
    return lax.select(lax.le(a, _c(x, 1.0)), small, big)


# ------------------------------------------------- fused multiply-add, exactly rounded
# XLA's CPU backend contracts `a * b + c` into one FMA instruction wherever the product has
# no other use. To give its bits, such steps use `fma` below: the exactly rounded
# `a * b + c` from plain IEEE operations, the same bits everywhere.

_SPLITTER = 134217729.0  # 2**27 + 1 splits a float64 into two 26-bit halves


def _two_sum(a, b):
    """`s = a + b` rounded and its rounding error `e`: `s + e == a + b` exactly (Knuth)."""
    s = lax.add(a, b)
    bb = lax.sub(s, a)
    return s, lax.add(lax.sub(a, lax.sub(s, bb)), lax.sub(b, bb))


def _two_product(a, b):
    """float64 `p = a * b` rounded and its error `e`, `p + e == a * b` exactly (Dekker; no
    overflow or underflow in the operands' range the samplers use)."""
    c = _c(a, _SPLITTER)

    def split(x):
        t = lax.mul(c, x)
        hi = lax.sub(t, lax.sub(t, x))
        return hi, lax.sub(x, hi)

    (ah, al), (bh, bl) = split(a), split(b)
    p = lax.mul(a, b)
    e = lax.sub(lax.mul(al, bl), lax.sub(lax.sub(lax.sub(p, lax.mul(ah, bh)),
                                                 lax.mul(al, bh)), lax.mul(ah, bl)))
    return p, e


def _add_round_to_odd(a, b):
    """`a + b` rounded to odd: the truncated sum with its last bit set when inexact."""
    t = type_of(a)
    it = _INT[t.dtype]
    s, e = _two_sum(a, b)
    bits = lax.bitcast_convert_type(s, it)
    one = full(t.shape, 1, it)
    even = lax.eq(lax.bitwise_and(bits, one), full(t.shape, 0, it))
    away = lax.eq(lax.gt(e, _c(a, 0.0)), lax.gt(s, _c(a, 0.0)))  # exact sum beyond s
    odd = lax.bitcast_convert_type(lax.select(away, lax.add(bits, one), lax.sub(bits, one)),
                                   t.dtype)
    # s + (odd - s) is odd exactly, and keeps the derivative of s
    odd = lax.add(s, lax.stop_gradient(lax.sub(odd, s)))
    inexact = lax.bitwise_and(lax.ne(e, _c(a, 0.0)), lax.lt(lax.abs(s), _c(a, np.inf)))
    return lax.select(lax.bitwise_and(even, inexact), odd, s)


def fma(a, b, c):
    """`a * b + c` with one rounding. float32: the product is exact in float64, and the
    float64 sum rounded to odd rounds to float32 as the exact sum would. float64: Boldo &
    Melquiond's emulation: the exact product `ph + pl`, `c + ph` as an exact sum
    `th + tl`, then `th + RO(tl + pl)`."""
    if type_of(a).dtype is float32:
        wide = [lax.convert_element_type(v, float64) for v in (a, b, c)]
        s = _add_round_to_odd(lax.mul(wide[0], wide[1]), wide[2])
        return lax.convert_element_type(s, float32)
    ph, pl = _two_product(a, b)
    th, tl = _two_sum(c, ph)
    return lax.add(th, _add_round_to_odd(tl, pl))


# ------------------------------------------------------ XLA's erf_inv, bit for bit
# `jax.lax.erf_inv` on XLA's CPU backend: Giles' polynomials in `w = -log1p(-x * x)`;
# log1p is Cephes' rational function for `|x| < sqrt(2) - 1`, else `log(1 + x)`; the
# float32 log is Cephes' polynomial (mantissa in [sqrt(1/2), sqrt(2)), split ln 2).
# Every `a * b + c` that XLA contracts is an exactly rounded `fma` here.

def _f32(bits: int) -> float:
    return float(np.uint32(bits).view(np.float32))


_LOG_F32_POLY = tuple(tuple(_f32(b) for b in chain) for chain in (
    (0x3D9021BB, 0xBDEBD1B8, 0x3DEF251A), (0xBDFE5D4F, 0x3E11E9BF, 0xBE2AAE50),
    (0x3E4CCEAC, 0xBE7FFFFC, 0x3EAAAAAA)))
_LOG_F32_LN2 = (_f32(0x3F318000), _f32(0xB95E8083))  # 0.693359375 + -2.12194440e-4


def _log_f32(y):
    """XLA CPU's float32 `log`."""
    t = type_of(y)
    it = int32
    tiny = float(np.finfo(np.float32).tiny)
    v = lax.select(lax.gt(y, _c(y, tiny)), y, _c(y, tiny))
    b = lax.bitcast_convert_type(v, it)
    e = lax.convert_element_type(lax.sub(lax.shift_right_logical(b, full(t.shape, 23, it)),
                                         full(t.shape, 127, it)), float32)
    e = lax.add(e, _c(y, 1.0))
    m = lax.bitcast_convert_type(lax.bitwise_or(
        lax.bitwise_and(b, full(t.shape, -0x7F800001, it)), full(t.shape, 0x3F000000, it)),
        float32)
    low = lax.lt(m, _c(y, _f32(0x3F3504F3)))  # m in [1/2, 1): below sqrt(1/2), use 2m
    x = lax.add(lax.sub(m, _c(y, 1.0)), lax.select(low, m, _c(y, 0.0)))
    e = lax.sub(e, lax.select(low, _c(y, 1.0), _c(y, 0.0)))
    z = lax.mul(x, x)
    x3 = lax.mul(z, x)
    p1, p2, p3 = (fma(fma(x, _c(y, c0), _c(y, c1)), x, _c(y, c2))
                  for c0, c1, c2 in _LOG_F32_POLY)
    hi, lo = _LOG_F32_LN2
    r = fma(fma(fma(p1, x3, p2), x3, p3), x3, lax.mul(e, _c(y, lo)))
    # (XLA's FMAs with exact products, z / 2 and e * hi, are plain operations)
    r = lax.add(lax.sub(x, lax.mul(z, _c(y, 0.5))), r)
    r = lax.add(lax.mul(e, _c(y, hi)), r)
    r = lax.select(lax.eq(y, _c(y, np.inf)), y, r)
    r = lax.select(lax.eq(y, _c(y, 0.0)), _c(y, -np.inf), r)
    return lax.select(lax.bitwise_or(lax.lt(y, _c(y, 0.0)), lax.ne(y, y)), _c(y, np.nan), r)


def _f64(bits: int) -> float:
    return float(np.uint64(bits).view(np.float64))


# log1p(x) = x - x²/2 + x³ P(x)/Q(x) for |x| < sqrt(2) - 1 (Cephes): threshold, leading
# numerator coefficient, numerator and denominator (after a leading 1) coefficients
_LOG1P = {
    float32: (_f32(0x3ED413CD), float(np.float32(4.527e-05)),
              tuple(map(_f32, (0x3EFF40C5, 0x40D284FA, 0x41EF4B9C, 0x4273CC76, 0x426473AD,
                               0x41A05101))),
              tuple(map(_f32, (0x417101AD, 0x42A6185B, 0x435DC32D, 0x439A8CA3, 0x43586D8A,
                               0x42707982)))),
    float64: (_f64(0x3FDA827999FCEF32), _f64(0x3F07BC0962B395CA),
              tuple(map(_f64, (0x3FDFE818A0FE1A83, 0x401A509F46F4FA53, 0x403DE9738B8CB9C9,
                               0x404E798EB86C3351, 0x404C8E7597479A10, 0x40340A202D99830A))),
              tuple(map(_f64, (0x402E20359E903E37, 0x4054C30B52213498, 0x406BB86590FCFB56,
                               0x407351945DC908A5, 0x406B0DB13E48E066, 0x404E0F304466448E)))),
}


_TWO_THIRDS = (2.0 / 3.0, float(Decimal(2) / 3 - Decimal(2.0 / 3.0)))


def _log_f64(x):
    """float64 `log`, nearly correctly rounded (for XLA's log1p, which calls the C library's
    `log`: this differs from it where that is not correctly rounded, ~0.04% of inputs).
    `log(m) = 2 atanh(s)`, `s = f / (2 + f)`, with `s`, `2 s`, `2 s³ / 3`, `k ln 2` and
    the sum in double-double arithmetic; the series' rest, below 2**-11 of it, in double."""
    m, e = _reduce(x)
    f = lax.sub(m, _c(x, 1.0))
    dh, dl = _two_sum(_c(x, 2.0), f)  # 2 + f exactly
    sh = lax.div(f, dh)
    # f - sh * (dh + dl): the division's remainder f - sh * dh is exact
    sl = lax.div(lax.sub(fma(lax.neg(sh), dh, f), lax.mul(sh, dl)), dh)
    zh, zl = _two_product(sh, sh)
    ch, cl = _two_product(zh, sh)  # s³ = ch + cl
    cl = lax.add(cl, lax.add(lax.mul(zl, sh), lax.mul(_c(x, 3.0), lax.mul(zh, sl))))
    th, tl = _two_product(ch, _c(x, _TWO_THIRDS[0]))  # 2 s³ / 3 = th + tl
    tl = lax.add(tl, lax.add(lax.mul(cl, _c(x, _TWO_THIRDS[0])),
                             lax.mul(ch, _c(x, _TWO_THIRDS[1]))))
    tail = lax.mul(lax.mul(ch, zh), _horner(zh, [2.0 / (2 * k + 5) for k in range(12)]))
    ef = lax.convert_element_type(e, float64)
    hi, lo = _LN2_SPLIT[float64]
    s1, e1 = _two_sum(lax.mul(ef, _c(x, hi)), lax.add(sh, sh))  # both exact
    s2, e2 = _two_sum(s1, th)
    low = lax.add(lax.add(lax.add(e1, e2), lax.add(sl, sl)),
                  lax.add(lax.add(tl, tail), lax.mul(ef, _c(x, lo))))
    return _log_specials(x, lax.add(s2, low))


def _log1p_xla(x):
    """XLA's `log1p`."""
    d = type_of(x).dtype
    threshold, n0, num, den = _LOG1P[d]
    x2 = lax.mul(x, x)
    n, q = _c(x, n0), lax.add(x, _c(x, den[0]))  # the leading 1 * x is exact
    for k in num:
        n = fma(n, x, _c(x, k))
    for k in den[1:]:
        q = fma(q, x, _c(x, k))
    small = lax.sub(lax.mul(lax.mul(x, x2), lax.div(n, q)), lax.mul(x2, _c(x, 0.5)))
    small = lax.add(x, small)
    y = lax.add(x, _c(x, 1.0))
    large = _log_f32(y) if d is float32 else _log_f64(y)
    return lax.select(lax.lt(lax.abs(x), _c(x, threshold)), small, large)


# Giles' erf_inv polynomials: per region (upper end of w, shift of w or sqrt(w), is the
# variable sqrt(w), coefficients from the highest power)
_ERF_INV = {
    float32: (
        (5.0, 2.5, False, (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                           0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
                           1.50140941)),
        (np.inf, 3.0, True, (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                             0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
                             2.83297682))),
    float64: (
        (6.25, 3.125, False, (
            -3.64441206401782e-21, -1.6850591381820166e-19, 1.28584807152564e-18,
            1.1157877678025181e-17, -1.3331716628546209e-16, 2.0972767875968562e-17,
            6.6376381343583238e-15, -4.0545662729752069e-14, -8.1519341976054722e-14,
            2.6335093153082323e-12, -1.2975133253453532e-11, -5.4154120542946279e-11,
            1.0512122733215323e-09, -4.1126339803469837e-09, -2.9070369957882005e-08,
            4.2347877827932404e-07, -1.3654692000834679e-06, -1.3882523362786469e-05,
            0.00018673420803405714, -0.000740702534166267, -0.0060336708714301491,
            0.24015818242558962, 1.6536545626831027)),
        (16.0, 3.25, True, (
            2.2137376921775787e-09, 9.0756561938885391e-08, -2.7517406297064545e-07,
            1.8239629214389228e-08, 1.5027403968909828e-06, -4.013867526981546e-06,
            2.9234449089955446e-06, 1.2475304481671779e-05, -4.7318229009055734e-05,
            6.8284851459573175e-05, 2.4031110387097894e-05, -0.00035503752036284748,
            0.0009532893797373805, -0.0016882755560235047, 0.0024914420961078508,
            -0.0037512085075692412, 0.0053709145535900636, 1.0052589676941592,
            3.0838856104922208)),
        (np.inf, 5.0, True, (
            -2.7109920616438573e-11, -2.5556418169965252e-10, 1.5076572693500548e-09,
            -3.789465440126737e-09, 7.61570120807834e-09, -1.496002662714924e-08,
            2.9147953450901081e-08, -6.7711997758452339e-08, 2.2900482228026655e-07,
            -9.9298272942317e-07, 4.5260625972231537e-06, -1.9681778105531671e-05,
            7.5995277030017761e-05, -0.00021503011930044477, -0.00013871931833623122,
            1.0103004648645344, 4.8499064014085844))),
}


def erf_inv(u):
    """Inverse error function, bit for bit as `jax.lax.erf_inv` on XLA's CPU backend
    (`±inf` at `±1`, NaN outside [-1, 1]): `u * p(w)`, `w = -log1p(-u * u)`, with Giles'
    polynomial p for the region of w, in `w - c` or `sqrt(w) - c`."""
    d = type_of(u).dtype
    w = lax.neg(_log1p_xla(lax.mul(u, lax.neg(u))))
    regions = _ERF_INV[d]
    # the tails' sqrt(w) away from w = 0, so that no 0 * inf reaches a gradient
    central = _c(u, regions[0][0])
    rt = lax.sqrt(lax.select(lax.lt(w, central), central, w))
    # one Horner chain with the variable and coefficients of each element's region; the
    # shorter polynomials get leading zeros (fma(0, v, c) is c for finite v)
    below = [lax.lt(w, _c(u, hi)) for hi, _, _, _ in regions[:-1]]

    def pick(values):
        out = values[-1]
        for cond, val in zip(reversed(below), reversed(values[:-1])):
            out = lax.select(cond, val, out)
        return out

    v = pick([lax.sub(rt if root else w, _c(u, shift)) for _, shift, root, _ in regions])
    n = max(len(r[3]) for r in regions)
    coeffs = [(0.0,) * (n - len(r[3])) + r[3] for r in regions]
    p = pick([_c(u, c[0]) for c in coeffs])
    for i in range(1, n):
        p = fma(p, v, pick([_c(u, c[i]) for c in coeffs]))
    p = lax.select(lax.eq(lax.abs(u), _c(u, 1.0)), _c(u, np.inf), p)
    return lax.mul(u, p)


# XLA CPU's float32 erf: x P(x²) / Q(x²) (FMA Horner steps), ±1 from |x| >= 3.8325...
_ERF_F32_NUM = tuple(map(_f32, (0x39702D51, 0x3B5F5DA2, 0x3D50B6EB, 0x3E3DA740, 0x3F906EBA)))
_ERF_F32_DEN = tuple(map(_f32, (0xB3FD3906, 0x37C588DF, 0x3A856D28, 0x3C6687D4, 0x3DE34C21,
                                0x3EFEB44A))) + (1.0,)
_ERF_F32_SAT = _f32(0x407547CB)


def _erf_f32(x):
    z = lax.mul(x, x)
    n, q = _c(x, _ERF_F32_NUM[0]), _c(x, _ERF_F32_DEN[0])
    for k in _ERF_F32_NUM[1:]:
        n = fma(z, n, _c(x, k))
    for k in _ERF_F32_DEN[1:]:
        q = fma(z, q, _c(x, k))
    r = lax.div(lax.mul(x, n), q)
    sat = lax.select(lax.lt(x, _c(x, 0.0)), _c(x, -1.0), _c(x, 1.0))
    return lax.select(lax.ge(lax.abs(x), _c(x, _ERF_F32_SAT)), sat, r)
