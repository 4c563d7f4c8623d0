"""Argument reduction modulo pi/2 for sin, cos and tan.

pi comes from an exact integer computation at import (Machin's formula, 1600 bits). From it:
pi/2 split into 4 doubles and 3 floats for the Cody-Waite reduction (`rem_pio2_cw`, valid below
2**40 resp. 2**16), and the Payne-Hanek tables of (2/pi * 2**e) mod 4, 2 (float32) or 4
(float64) doubles per exponent e, emitted as internal constants of the module on first use
(2.2 KiB / 31 KiB). `rem_pio2_64` and `rem_pio2_32` reduce any finite argument, so sin(1e300)
is as accurate as sin(1).
"""
from __future__ import annotations

import math
from fractions import Fraction

from llvmlite import ir

from .dsl import Float, Int, Mask, clamp, fast_two_sum, fma, select, to_f32, two_prod, two_sum
from .constants import PIO2_HI, PIO2_LO, TWO_OVER_PI


def _pi_scaled(prec):
    """floor(pi * 2**prec) (Machin's formula in integer arithmetic, 32 guard bits)."""
    g = prec + 32

    def atan_inv(k):
        total, term, k2, i = 0, (1 << g) // k, k * k, 0
        while term:
            total += term // (2 * i + 1) if i % 2 == 0 else -(term // (2 * i + 1))
            term //= k2
            i += 1
        return total

    return (16 * atan_inv(5) - 4 * atan_inv(239)) >> 32


def _split_const(num_scaled, shift, nparts, fmt):
    """Split num_scaled / 2**shift into nparts floats (each correctly rounded remainder)."""
    rest = Fraction(num_scaled, 1 << shift)
    out = []
    for _ in range(nparts):
        v = float(rest) if fmt == 64 else to_f32(float(rest))
        if fmt == 32 and Fraction(v) != Fraction(to_f32(v)):
            raise AssertionError
        out.append(v)
        rest -= Fraction(v)
    return out


_PI_BITS = 1600
_PI_INT = _pi_scaled(_PI_BITS)
# pi/2 split into 4 doubles (Cody-Waite with fma) and 3 floats
PIO2_64 = _split_const(_PI_INT, _PI_BITS + 1, 4, 64)
PIO2_32 = _split_const(_PI_INT, _PI_BITS + 1, 3, 32)
# floor(2/pi * 2**_TOP_BITS)
_TOP_BITS = 1450
_TWO_OVER_PI_INT = (1 << (_TOP_BITS + 1 + _PI_BITS)) // _PI_INT


def _ph_table(e_lo, e_hi, nch):
    """Rows F(e) = (2/pi * 2**e) mod 4 for e in [e_lo, e_hi], as nch doubles of 53 bits each
    (bits 2**1 .. 2**(2 - 53*nch))."""
    S = 53 * nch - 2
    mask53 = (1 << 53) - 1
    rows = []
    for e in range(e_lo, e_hi + 1):
        sh = _TOP_BITS - e - S
        G = (_TWO_OVER_PI_INT >> sh) if sh >= 0 else (_TWO_OVER_PI_INT << -sh)
        G &= (1 << (S + 2)) - 1
        for j in range(nch):
            low = S - 51 - 53 * j
            rows.append(math.ldexp((G >> low) & mask53, -(51 + 53 * j)))
    return rows


# float64: Payne-Hanek for |x| >= 2**40, x = m * 2**e with m a 53-bit integer, e >= -12
_PH64_ELO, _PH64_EHI, _PH64_NCH = 40 - 52, 1023 - 52, 4
# float32 (reduced in float64): |x| >= 2**-12, x = m * 2**e with m a 24-bit integer
_PH32_ELO, _PH32_EHI, _PH32_NCH = -12 - 23, 127 - 23, 2
_TABLES = {}


def _table_global(c, key):
    """The module-level constant table (created on first use in this module)."""
    name = "fnx.mathlib.%s" % key
    g = c.mod.globals.get(name)
    if g is None:
        if key not in _TABLES:
            if key == "pio2_f64":
                _TABLES[key] = _ph_table(_PH64_ELO, _PH64_EHI, _PH64_NCH)
            elif key == "pio2_f32":
                _TABLES[key] = _ph_table(_PH32_ELO, _PH32_EHI, _PH32_NCH)
            else:
                raise KeyError(key)
        vals = _TABLES[key]
        aty = ir.ArrayType(ir.DoubleType(), len(vals))
        g = ir.GlobalVariable(c.mod, aty, name)
        g.global_constant = True
        g.linkage = "internal"
        g.align = 64
        g.initializer = ir.Constant(aty, vals)
    return g


def _table_load(c, key, idx):
    """table[idx] for an integer Int idx (in bounds) of the float64 context c."""
    g = _table_global(c, key)
    b = c.b
    i32 = ir.IntType(32)
    if not c.n:
        p = b.gep(g, [ir.Constant(i32, 0), idx.v], inbounds=True, source_etype=g.value_type)
        return Float(c, b.load(p, typ=ir.DoubleType()))
    out = ir.Constant(c.ty, ir.Undefined)
    for lane in range(c.n):
        li = b.extract_element(idx.v, ir.Constant(i32, lane))
        p = b.gep(g, [ir.Constant(i32, 0), li], inbounds=True, source_etype=g.value_type)
        out = b.insert_element(out, b.load(p, typ=ir.DoubleType()), ir.Constant(i32, lane))
    return Float(c, out)


def rem_pio2_cw(x: Float) -> tuple[Float, Float, Float]:
    """Cody-Waite with fma: x = n*pi/2 + (rh + rl), valid for |x| < 2**40 (float64, pi/2 in 4
    parts) or |x| < 2**16 (float32, 3 parts); the first step is exact, the rest double-word.
    Returns (nf, rh, rl)."""
    c = x.c
    P1, P2, P3 = (PIO2_64 if c.is64 else PIO2_32)[:3]
    nf = (x * TWO_OVER_PI).rint()
    r1 = fma(-nf, P1, x)                                # exact
    p2h = nf * P2
    p2l = fma(nf, P2, -p2h)
    t, e = two_sum(r1, -p2h)
    tl = fma(-nf, P3, e - p2l)
    rh, rl = fast_two_sum(t, tl)
    return nf, rh, rl


def _rem_pio2_ph64(a):
    """float64 Payne-Hanek for a = |x| >= 2**40 (finite). Returns (q, rh, rl), q an Int."""
    c = a.c
    bits = a.bits()
    e = ((bits >> 52) & 0x7FF) - (1023 + 52)
    m = ((bits & ((1 << 52) - 1)) | (1 << 52)).tof()        # exact 53-bit integer
    row = clamp(e - _PH64_ELO, 0, _PH64_EHI - _PH64_ELO) * _PH64_NCH
    F = [_table_load(c, "pio2_f64", row + j) for j in range(_PH64_NCH)]
    P0, Q0 = two_prod(m, F[0])
    P1, Q1 = two_prod(m, F[1])
    P2, Q2 = two_prod(m, F[2])
    P3 = m * F[3]
    P0 = fma((P0 * 0.25).floor(), -4.0, P0)                # P0 mod 4, exact
    s, e1 = two_sum(P0, P1)
    s, e2 = two_sum(s, Q0)
    n = s.rint()
    s = s - n                                                # exact
    t, e3 = two_sum(e1, e2)
    t, e4 = two_sum(t, Q1)
    t, e5 = two_sum(t, P2)
    tail = ((e3 + e4) + (e5 + Q2)) + P3
    fh, fl = two_sum(s, t)
    fl = fl + tail
    rh = fh * PIO2_HI
    rl = fma(fh, PIO2_HI, -rh) + (fh * PIO2_LO + fl * PIO2_HI)
    return n.toi(), rh, rl


def rem_pio2_64(x: Float) -> tuple[Int, Float, Float]:
    """Any finite x -> (q, rh, rl): x = q*pi/2 + rh + rl (mod 2pi), |rh| <~ pi/4."""
    c = x.c
    a = x.abs()
    huge = a >= 2.0 ** 40
    nf, rh, rl = rem_pio2_cw(select(huge, c.f(0.0), x))
    q = nf.toi()
    q2, rh2, rl2 = _rem_pio2_ph64(select(huge, a, c.f(2.0 ** 40)))
    neg = x < 0.0
    # Payne-Hanek reduced |x|: sin/cos of -|x| follow from quadrant negation
    q2 = select(neg, c.i(0) - q2, q2)
    rh2 = select(neg, -rh2, rh2)
    rl2 = select(neg, -rl2, rl2)
    return select(huge, q2, q), select(huge, rh2, rh), select(huge, rl2, rl)


def rem_pio2_32(x: Float) -> tuple[Int, Float]:
    """float32 x (any finite) -> (q as float32-context Int, r as float64 Float), reduced in float64
    with the table F(e) = (2/pi * 2**e) mod 4: x*2/pi = m * F(e) mod 4, m the 24-bit integer
    significand (exact products, error ~2**-75 absolute). |x| < 2**-12 gives r = x, q = 0."""
    c = x.c
    c64 = c.other()
    bits = x.bits()
    ef = (bits >> 23) & 0xFF
    m32 = (bits & 0x7FFFFF) | 0x800000
    row = clamp(ef - (127 + 23) - _PH32_ELO, 0, _PH32_EHI - _PH32_ELO) * _PH32_NCH
    row64 = Int(c64, c.b.sext(row.v, c64.ity))
    m = Int(c64, c.b.sext(m32.v, c64.ity)).tof()
    F0 = _table_load(c64, "pio2_f32", row64)
    F1 = _table_load(c64, "pio2_f32", row64 + 1)
    P0, Q0 = two_prod(m, F0)
    P0 = fma((P0 * 0.25).floor(), -4.0, P0)                # P0 mod 4, exact
    n = P0.rint()
    f = (P0 - n) + (Q0 + m * F1)
    r = f * PIO2_HI
    q = Int(c, c.b.fptosi(n.v, c.ity))
    neg = x < 0.0
    small = x.abs() < 2.0 ** -12
    q = select(neg, c.i(0) - q, q)
    negw = Mask(c64, neg.v)
    r = select(negw, -r, r)
    r = select(Mask(c64, small.v), x.convert(c64), r)
    return select(small, c.i(0), q), r
