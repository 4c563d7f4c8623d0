"""exp, exp2, expm1 and the pieces other families build on (`exp_reduce`, `exp_core`,
`expm1_r`, float32 `expm1_32`).

float32 exp avoids every conversion and select it can: n = rint(x/ln2) is read from the bits of
a magic-number rounding, r is computed in two fma steps, a degree-6 Horner polynomial follows, and
p * 2**n is formed as two exact power-of-two factors built from bits (one rounding in the
subnormal range), or as one vscalefps (`USE_LDEXP`): 21 zmm instructions per 16 lanes, 15 with
vscalefps.
"""
from __future__ import annotations

from llvmlite import ir

from .dsl import (
    Ctx, Float, Int, MAGIC32_BITS, clamp, finish, fma, magic_round, mangle, poly, pow2i, scale2,
    two_sum,
)
from .coefficients import COEFFS
from .constants import LN2, LN2_HI, LN2_HI32, LN2_LO, LN2_LO32, LN2_TAIL, LOG2E


def exp_reduce(x: Float) -> tuple[Float, Float, Int]:
    """x (finite, |x| < ~1100) = n*ln2 + r, |r| <= ~0.347. Returns (rh, rl, n) with r = rh + rl
    and n an Int."""
    ln2_hi, ln2_lo = (LN2_HI, LN2_LO) if x.c.is64 else (LN2_HI32, LN2_LO32)
    nf = (x * LOG2E).rint()
    r1 = fma(-nf, ln2_hi, x)                        # exact
    rh = fma(-nf, ln2_lo, r1)
    rl = fma(-nf, ln2_lo, r1 - rh)                  # (float32: keeps exp within 1 ulp)
    return rh, rl, nf.toi()


def expm1_r(rh: Float, rl: Float) -> Float:
    """expm1(rh + rl) for |r| <= 0.347 (the exp polynomial minus its constant term)."""
    c = rh.c
    q = poly(rh, COEFFS["EXP64"] if c.is64 else COEFFS["EXP32"])
    return rh + fma(rh * rh, q, rl)


def exp_core(x: Float) -> tuple[Float, Int]:
    """(p, n) with exp(x) = p * 2**n, p in [0.7, 1.42]; x finite, clamped by the caller."""
    rh, rl, n = exp_reduce(x)
    return 1.0 + expm1_r(rh, rl), n


def exp_limits(c: Ctx) -> tuple[float, float]:
    """exp's argument range: below it the result is 0, above it inf."""
    return (-750.0, 710.0) if c.is64 else (-105.0, 89.0)


def exp(x: Float) -> Float:
    """exp(x) (float32: `_exp32`)."""
    c = x.c
    if not c.is64:
        return _exp32(x)
    lo, hi = exp_limits(c)
    p, n = exp_core(clamp(x, lo, hi))
    return finish(x, scale2(p, n, clamp=False))


# llvm.ldexp is one instruction (vscalefps) on AVX-512 and a libm call elsewhere: used only when
# the host, which the backend compiles for, has AVX-512F. None = decide from the host (Linux:
# /proc/cpuinfo; elsewhere: no); tests may set True/False.
USE_LDEXP = None
_HOST_AVX512F = None


def _use_ldexp():
    global _HOST_AVX512F
    if USE_LDEXP is not None:
        return USE_LDEXP
    if _HOST_AVX512F is None:
        _HOST_AVX512F = False
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("flags"):
                        _HOST_AVX512F = "avx512f" in line.split()
                        break
        except OSError:
            pass
    return _HOST_AVX512F


def _ldexp(p, n):
    """p * 2**n, n an Int (llvm.ldexp: exact scaling, one rounding for subnormal results)."""
    c = p.c
    fname = "llvm.ldexp.%s.%s" % (mangle(c.ty), mangle(c.ity))
    fn = c.mod.globals.get(fname)
    if fn is None:
        fn = ir.Function(c.mod, ir.FunctionType(c.ty, [c.ty, c.ity]), fname)
    return Float(c, c.b.call(fn, [p.v, n.v]))


def _exp32_poly(r):
    """exp(r) for |r| <= 0.35: degree 6, Horner (1 + r + r^2*(c2 + ...))."""
    return poly(r, (1.0, 1.0) + COEFFS["EXP32"])


def _reduce32(x):
    """float32 x = n*ln2 + r for |x*log2(e)| < 2**22: (nb, r), nb holding n (see `magic_round`),
    r in two fma steps, the first exact."""
    nb, nf = magic_round(x, LOG2E)
    r = fma(-nf, LN2_HI32, x)                       # exact
    return nb, fma(-nf, LN2_LO32, r)


def _exp32(x):
    """float32 exp: clamp (NaN passes), x = n*ln2 + r (n by the magic-number rounding, r in two
    fma steps, the first exact), degree-6 polynomial, and p * 2**n as two exact power-of-two
    factors (so that results in the subnormal range are rounded once). ~20 vector instructions,
    no select, no float->int conversion."""
    nb, r = _reduce32(clamp(x, *exp_limits(x.c)))
    p = _exp32_poly(r)
    b = nb.bits()
    if _use_ldexp():
        return _ldexp(p, b - MAGIC32_BITS)         # vscalefps: one instruction
    # n in [-152, 129] = n1 + n2, n1 = floor(n/2): 2**n1 and 2**n2 are normal. bits(nb) is
    # 0x4B400000 + n, and 0x4B400000 << 22 vanishes mod 2**32, so no subtraction is needed.
    t1 = (b >> 1) << 23                             # n1 << 23
    s1 = (t1 + (127 << 23)).asf()
    s2 = ((b << 23) - t1 + (127 << 23)).asf()       # 2**(n - n1)
    return (p * s1) * s2                            # NaN in p propagates


def exp2(x: Float) -> Float:
    """2**x: x = n + r, |r| <= 1/2, a polynomial for 2**r - 1."""
    c = x.c
    lo, hi = (-1080.0, 1025.0) if c.is64 else (-152.0, 129.0)
    xc = clamp(x, lo, hi)
    nf = xc.rint()
    r = xc - nf                                     # exact
    if c.is64:
        coeffs, ln2_hi, ln2_lo = COEFFS["EXP2_64"], LN2, LN2_TAIL
    else:
        coeffs, ln2_hi, ln2_lo = COEFFS["EXP2_32"], LN2_HI32, LN2_LO32
    q = poly(r, coeffs)
    t = fma(r * r, q, r * ln2_lo)
    t = fma(r, ln2_hi, t)
    return finish(x, scale2(1.0 + t, nf.toi(), clamp=False))


def expm1(x: Float) -> Float:
    """exp(x) - 1, accurate near 0."""
    c = x.c
    lo, hi = (-40.0, 710.0) if c.is64 else (-20.0, 89.0)
    rh, rl, n = exp_reduce(clamp(x, lo, hi))
    q = poly(rh, COEFFS["EXP64"] if c.is64 else COEFFS["EXP32"])
    t = fma(rh * rh, q, rl)                                    # expm1(r) = rh + t
    s = pow2i(c, n - 1)                                        # n - 1 in [-60, 1023]
    # expm1(x) = 2**n * expm1(r) + 2**n - 1 = 2 * (s*rh + (s - 1/2) + s*t), s*rh exact
    a, ae = two_sum(s * rh, s - 0.5)
    res = (a + (ae + s * t)) * 2.0
    return finish(x, res, keep_zero=True)


def _exp2_bits(nb):
    """2**n as a float32, n in [-126, 127] the integer held by nb (see magic_round); bits(nb) is
    0x4B400000 + n and 0x4B400000 << 23 vanishes mod 2**32."""
    return ((nb.bits() << 23) + (127 << 23)).asf()


def expm1_32(y: Float) -> Float:
    """float32 expm1(y) for |y| <= 19 (NaN propagates): y = n*ln2 + r, expm1(r) = r + r^2 q(r),
    expm1(y) = 2**n * expm1(r) + (2**n - 1) in one fma."""
    nb, r = _reduce32(y)
    em = fma(r * r, poly(r, COEFFS["EXP32"]), r)
    s = _exp2_bits(nb)
    return fma(s, em, s - 1.0)
