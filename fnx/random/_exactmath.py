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


def log(x):
    """Natural logarithm: `log(0) = -inf`, `log(inf) = inf`, NaN for negatives and NaN.
    fdlibm's reduction, `log(1 + f) = f - f²/2 + s (f²/2 + R(s²))` with `s = f / (2 + f)`,
    and R the atanh series. `1 + f = x * 2**-e` is an exact product, so the tangent flows."""
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
    e = lax.select(small, lax.sub(e, full(t.shape, shift, it)), e)
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
    res = lax.select(lax.eq(x, _c(x, np.inf)), _c(x, np.inf), res)
    res = lax.select(lax.eq(x, _c(x, 0.0)), _c(x, -np.inf), res)
    return lax.select(lax.bitwise_or(lax.lt(x, _c(x, 0.0)), lax.ne(x, x)), _c(x, np.nan), res)


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



# Chebyshev series (variable, upper end, mid, half-width, coefficients) fitted to mpmath
# at 50 digits: erf_inv(u) = u * g(w), w = -log((1 - u)(1 + u)), g a series in w or sqrt(w)
_ERF_INV_F64 = (
    ('w', 6.25, 3.125, 3.125,
     (1.6304220989459326, 0.7315674456742257, -0.021235032142504585, -0.0065808875424494635,
      0.0019488711426908524, -0.00014158343386374536, -4.9292864636180004e-05,
      1.4752887929042498e-05, -6.111918603258194e-07, -5.106997335480761e-07,
      1.159027723297735e-07, 1.4907998843194937e-09, -5.244776785530681e-09,
      8.51790549109762e-10, 7.917020592973908e-11, -5.0994281737154326e-11,
      5.436227530231317e-12, 1.292282189751795e-12, -4.656064719044143e-13,
      2.4256976317675218e-14, 1.6403697972051414e-14, -3.94956069090147e-15,
      -3.9036001761416307e-17, 1.83129083527959e-16, -3.03580260263594e-17)),
    ('sqrt', 4.0, 3.25, 0.75,
     (3.085744844023102, 0.7524837268921277, 0.0019842584172056767, -0.000534561900101604,
      0.0001302806745904227, -2.943377534710642e-05, 5.231051543788091e-06,
      -5.385189635316591e-07, -2.922686732135409e-08, 2.3903569231251557e-08,
      -4.411209869554094e-09, 2.2053622855049448e-10, 8.095391923249493e-11,
      -2.1642011149793333e-11, 1.9364299208504444e-12, 1.9183918173325102e-13,
      -8.245551635697369e-14, 1.0402388222104601e-14, 2.9484539267546553e-17,
      -2.4669496593190295e-16, 4.5962728850225956e-17)),
    ('sqrt', 6.1, 5.05, 1.0499999999999998,
     (4.90036173887868, 1.060609945940428, -4.7553553480943616e-05, -6.575473998320701e-05,
      1.1954464593415608e-05, -1.621367947252388e-06, 1.987629118165904e-07,
      -2.4375799091760192e-08, 3.4566606298205155e-09, -6.531992299707701e-10,
      1.5559659251917995e-10, -3.8932130213237084e-11, 9.02613213565678e-12,
      -1.810033271887814e-12, 2.925540796397148e-13, -3.189723436808639e-14,
      5.716041001700554e-17, 1.010802601869117e-15, -2.879487147676619e-16)),
)
_ERF_INV_F32 = (
    ('w', 5.0, 2.5, 2.5,
     (1.4912989404744903, 0.60175630341083, -0.009170559500080926, -0.004962635326766425,
      0.0009153796700079642, -3.889562757083e-06, -2.4202599404944085e-05,
      3.2665715925842334e-06, 2.7758889803736634e-07, -1.3023363013643025e-07,
      8.10464342479187e-09, 2.862438517693075e-09)),
    ('sqrt', 4.2, 3.218033988749895, 0.9819660112501052,
     (3.0557761473680927, 0.9826715172024585, 0.00448047553727861, -0.0015819980656147595,
      0.0004878484190761587, -0.00013084612873149562, 2.5807781212532362e-05,
      -2.178241657918992e-06, -6.640551889009662e-07, 3.1135379887825993e-07,
      -5.304584705936934e-08)),
)
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
# erf(x) = x * s(x * x) for |x| <= 1: (mid, half-width, coefficients)
_ERF_SMALL_F32 = (0.5, 0.5,
    (0.9754769393826541, -0.14226120510371365, 0.010035582187599796, -0.0005768764699767485,
     2.741993125219606e-05, -1.1043175507344507e-06, 3.8488755420345036e-08,
     -1.1808582533875466e-09))
# erfc(x) * exp(x * x) for x > 1, by intervals (upper end, mid, half-width, coefficients)
_ERFCX_F32 = (
    (4.0, 2.5, 1.5,
     (0.24442575284923573, -0.13589862891594598, 0.03563511414853497, -0.00888409861822249,
      0.002118423997553177, -0.00048539876408003704, 0.00010727375453771771,
      -2.2936634481904863e-05, 4.7568746915755546e-06, -9.58994483266277e-07,
      1.8829006882958966e-07, -3.606320662143091e-08, 6.7476020519374555e-09,
      -1.234907042333986e-09)),
)


def erf_inv(u):
    """Inverse error function on [-1, 1] (`±inf` at `±1`, NaN outside): `u * g(w)`,
    `w = -log((1 - u)(1 + u))`, g a Chebyshev series in w (central region) or in sqrt(w)
    (tails), Giles' variable."""
    d = type_of(u).dtype
    one = _c(u, 1.0)
    w = lax.neg(log(lax.mul(lax.sub(one, u), lax.add(one, u))))
    central = (_ERF_INV_F64 if d is float64 else _ERF_INV_F32)[0][1]
    # the tails' sqrt(w) away from w = 0, so that no 0 * inf reaches a gradient
    rt = lax.sqrt(lax.select(lax.lt(w, _c(u, central)), _c(u, central), w))
    regions = _ERF_INV_F64 if d is float64 else _ERF_INV_F32
    g = None
    for var, hi, mid, half, coeffs in reversed(regions):
        v = w if var == "w" else rt
        val = _chebyshev(v, mid, half, coeffs)
        g = val if g is None else lax.select(lax.lt(v, _c(u, hi)), val, g)
    res = lax.mul(u, g)
    edge = lax.eq(lax.abs(u), one)
    res = lax.select(edge, lax.select(lax.gt(u, _c(u, 0.0)), _c(u, np.inf), _c(u, -np.inf)), res)
    return lax.select(lax.gt(lax.abs(u), one), _c(u, np.nan), res)


def erf(x):
    """Error function: `x s(x²)` for `|x| <= 1`, else `±(1 - exp(-x²) erfcx(|x|))` with
    erfcx Chebyshev series by interval, and `±1` beyond them."""
    d = type_of(x).dtype
    mid, half, coeffs = _ERF_SMALL_F64 if d is float64 else _ERF_SMALL_F32
    z = lax.mul(x, x)
    small = lax.mul(x, _chebyshev(z, mid, half, coeffs))
    a = lax.abs(x)
    intervals = _ERFCX_F64 if d is float64 else _ERFCX_F32
    ex = None
    for hi, mid, half, coeffs in reversed(intervals):
        val = _chebyshev(lax.min(a, _c(x, hi)), mid, half, coeffs)
        ex = val if ex is None else lax.select(lax.le(a, _c(x, hi)), val, ex)
    big = lax.sub(_c(x, 1.0), lax.mul(exp(lax.neg(z)), ex))
    big = lax.select(lax.gt(a, _c(x, intervals[-1][0])), _c(x, 1.0), big)
    big = lax.select(lax.lt(x, _c(x, 0.0)), lax.neg(big), big)
    return lax.select(lax.le(a, _c(x, 1.0)), small, big)
