"""Elementwise functions of `fnx.numpy`, with NumPy's broadcasting and JAX's promotion.

The dtypes are JAX's: operands promote to one dtype (JAX's lattice), and numpy's ufunc loop
for that dtype tells whether the result is bool (comparisons), float for integer operands
(transcendentals, true division: JAX's inexact dtype, e.g. int32 → float32) or the
operands' dtype (`_base.ufunc_dtypes`). Results equal numpy's:
exactly where the computation is the same numpy call, within an ulp or two for the
few functions composed from several primitives (log10, hypot, logaddexp, deg2rad, ...).
"""
from __future__ import annotations

import builtins
import math

import numpy as np

import fnx_ir

from .. import lax
from .._core.dtypes import default_int
from .._core.trace import type_of
from ._base import (asarray_or_tracer, broadcast_shapes, broadcast_to, convert, dtype_of,
                    ensure_array, finish, float_dtype_for, is_python_scalar, is_tracer, result_dtype,
                    result_weak, ufunc_dtypes)

__all__ = []


def _export(f):
    __all__.append(f.__name__)
    return f


def _prepare(ufunc, name, xs):
    """Operands converted to JAX's dtype for `ufunc` and broadcast; plus the output type."""
    xs = [asarray_or_tracer(x) for x in xs]
    in_dtype, out_dtype, weak = ufunc_dtypes(ufunc, name, *xs)
    shape = broadcast_shapes(*(type_of(x).shape for x in xs), what=name, xs=xs)
    return [broadcast_to(convert(x, in_dtype, weak), shape) for x in xs], out_dtype, weak


def _ufunc(name, ufunc, impl, doc=None):
    """A public elementwise function: JAX's dtype resolution, then `impl` on the operands."""
    def f(*xs):
        if len(xs) != ufunc.nin:
            raise TypeError(f"{name}() takes {ufunc.nin} positional arguments, got {len(xs)}")
        ops, out_dtype, weak = _prepare(ufunc, name, xs)
        res = impl(*ops)
        t = type_of(res)
        if t.dtype is not out_dtype or t.weak != weak:
            res = lax.convert_element_type(res, out_dtype, weak=weak)
        return finish(res, *xs)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc or f"Elementwise `{name}` with broadcasting, as `numpy.{name}`."
    globals()[name] = f
    __all__.append(name)
    return f


def _lit(value, like):
    """`value` in the dtype and shape of `like` (a broadcast literal)."""
    return lax.full_like(like, value)


def _full(like, value):
    return lax.full_like(like, value)


def _copy(x):
    return lax.convert_element_type(x, dtype_of(x))  # eagerly a fresh array; traced a no-op


# ------------------------------------------------------------------ transcendental & co

for _name, _uf, _prim in [
        ("sin", np.sin, lax.sin), ("cos", np.cos, lax.cos), ("tan", np.tan, lax.tan),
        ("arcsin", np.arcsin, lax.asin), ("arccos", np.arccos, lax.acos),
        ("arctan", np.arctan, lax.atan), ("sinh", np.sinh, lax.sinh),
        ("cosh", np.cosh, lax.cosh), ("tanh", np.tanh, lax.tanh),
        ("arcsinh", np.arcsinh, lax.asinh), ("arccosh", np.arccosh, lax.acosh),
        ("arctanh", np.arctanh, lax.atanh), ("exp", np.exp, lax.exp),
        ("exp2", np.exp2, lax.exp2), ("expm1", np.expm1, lax.expm1), ("log", np.log, lax.log),
        ("log2", np.log2, lax.log2), ("log1p", np.log1p, lax.log1p),
        ("sqrt", np.sqrt, lax.sqrt), ("cbrt", np.cbrt, lax.cbrt)]:
    _ufunc(_name, _uf, _prim,
           f"Elementwise `{_name}`, as `jax.numpy.{_name}` (bool, int32 and uint32 compute in "
           "float32, int64 in float64).")
asin, acos, atan, asinh, acosh, atanh = (globals()[n] for n in (  # defined by the loop above
    "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh"))
__all__ += ["asin", "acos", "atan", "asinh", "acosh", "atanh"]

log10 = _ufunc("log10", np.log10, lambda x: lax.div(lax.log(x), _lit(math.log(10), x)),
       "Elementwise base-10 logarithm (`log(x) / log(10)`: within an ulp of numpy's).")
rsqrt = _ufunc("rsqrt", np.sqrt, lax.rsqrt, "Elementwise `1 / sqrt(x)` (not in numpy; as `jax.lax.rsqrt`).")


def _deg(factor):
    return lambda x: lax.mul(x, _lit(factor, x))


deg2rad = _ufunc("deg2rad", np.deg2rad, _deg(math.pi / 180))
rad2deg = _ufunc("rad2deg", np.rad2deg, _deg(180 / math.pi))
radians, degrees = deg2rad, rad2deg
__all__ += ["radians", "degrees"]


@_export
def sinc(x):
    """Normalised sinc `sin(pi x) / (pi x)`, as `numpy.sinc` (non-floats as JAX's inexact dtype)."""
    a = ensure_array(x)
    a = convert(a, float_dtype_for(dtype_of(a), type_of(a).weak))
    # numpy: y = pi * where(x == 0, 1e-20, x); sin(y) / y. At 0 the value is 1 from the
    # Maclaurin polynomial 1 - z²/6 + z⁴/120 (z = pi x), whose derivatives there are
    # sinc's own up to order 4 (JAX's are exact to every order).
    zero = lax.eq(a, _full(a, 0))
    y = lax.mul(lax.select(zero, _full(a, 1e-20), a), _full(a, math.pi))
    z2 = lax.integer_pow(lax.mul(a, _full(a, math.pi)), 2)
    poly = lax.add(_full(a, 1), lax.mul(z2, lax.add(_full(a, -1 / 6), lax.mul(z2, _full(a, 1 / 120)))))
    return lax.select(zero, poly, lax.div(lax.sin(y), y))


# ------------------------------------------------------------------ sign, abs, rounding

def _if_float(prim, other=_copy):
    return lambda x: prim(x) if dtype_of(x).is_float else other(x)


negative = _ufunc("negative", np.negative, lax.neg)
positive = _ufunc("positive", np.positive, _copy)
absolute = _ufunc("absolute", np.absolute, lambda x: _copy(x) if dtype_of(x).is_bool else lax.abs(x))
abs = absolute
__all__.append("abs")
fabs = _ufunc("fabs", np.fabs, lax.abs)
sign = _ufunc("sign", np.sign, lax.sign)
floor = _ufunc("floor", np.floor, _if_float(lax.floor))
ceil = _ufunc("ceil", np.ceil, _if_float(lax.ceil))
rint = _ufunc("rint", np.rint, _if_float(lax.round))


def _trunc(x):
    return lax.select(lax.lt(x, _full(x, 0)), lax.ceil(x), lax.floor(x))


trunc = _ufunc("trunc", np.trunc, _if_float(_trunc))
fix = trunc
__all__.append("fix")
square = _ufunc("square", np.square, lambda x: lax.mul(x, x))
conjugate = _ufunc("conjugate", np.conjugate, _copy)
conj = conjugate
__all__.append("conj")


def _reciprocal(x):
    d = dtype_of(x)
    if d.is_float:
        return lax.div(_full(x, 1), x)
    if d.is_bool:
        return _copy(x)
    q = lax.div(_full(x, 1), x)  # 1 / x truncates: 1, -1 or 0
    zero = lax.eq(x, _full(x, 0))  # numpy: INT_MIN for signed, 0 for unsigned
    return lax.select(zero, _full(x, np.iinfo(d.np).min if d.kind == "i" else 0), q)


reciprocal = _ufunc("reciprocal", np.reciprocal, _reciprocal)


@_export
def real(val):
    """The real part (fnx has no complex dtypes: a copy)."""
    x = ensure_array(val)
    return finish(_copy(x), val)


@_export
def imag(val):
    """The imaginary part (fnx has no complex dtypes: zeros)."""
    x = ensure_array(val)
    return finish(lax.zeros_like(x))


@_export
def round(a, decimals: int = 0, out=None):
    """`numpy.round`: halves to even; `decimals` scales by a power of ten as numpy does."""
    if out is not None:
        raise NotImplementedError("fnx.numpy.round: out= is not supported")
    x = ensure_array(a)
    d = dtype_of(x)
    decimals = int(decimals)
    if d.is_float:
        if decimals == 0:
            return finish(lax.round(x))
        f = 10.0 ** builtins.abs(decimals)
        if decimals > 0:
            return lax.div(lax.round(lax.mul(x, _lit(f, x))), _lit(f, x))
        return lax.mul(lax.round(lax.div(x, _lit(f, x))), _lit(f, x))
    if decimals >= 0 or d.is_bool:
        return finish(_copy(x), a)
    f = 10 ** -decimals
    if f > np.iinfo(d.np).max:
        return lax.zeros_like(x)
    fl = _full(x, f)
    q = floor_divide(x, fl)
    r = lax.sub(x, lax.mul(q, fl))
    twice = lax.mul(r, _full(x, 2))
    odd = lax.ne(lax.rem(q, _full(x, 2)), _full(x, 0))
    up = lax.bitwise_or(lax.gt(twice, fl), lax.bitwise_and(lax.eq(twice, fl), odd))
    q = lax.select(up, lax.add(q, _full(x, 1)), q)
    return lax.mul(q, fl)


around = round_ = round
__all__ += ["around", "round_"]


# ------------------------------------------------------------------ float classification

def _signbit(x):
    d = dtype_of(x)
    if not d.is_float:
        return lax.lt(x, _full(x, 0)) if d.kind == "i" else lax.ne(x, x)
    ibits = fnx_ir.int32 if d.itemsize == 4 else default_int()
    b = lax.bitcast_convert_type(x, ibits)
    return lax.lt(b, lax.full_like(b, 0))


def _isnan(x):
    return lax.ne(x, x)


def _isinf(x):
    if not dtype_of(x).is_float:
        return lax.ne(x, x)  # all False
    return lax.eq(lax.abs(x), _full(x, np.inf))


def _isfinite(x):
    if not dtype_of(x).is_float:
        return lax.eq(x, x)  # all True
    return lax.isfinite(x)


signbit = _ufunc("signbit", np.signbit, _signbit)
isnan = _ufunc("isnan", np.isnan, _isnan)
isinf = _ufunc("isinf", np.isinf, _isinf)
isfinite = _ufunc("isfinite", np.isfinite, _isfinite)


@_export
def isposinf(x):
    """`x == +inf`."""
    return equal(x, np.inf) if ensure_array_dtype(x).is_float else not_equal(x, x)


@_export
def isneginf(x):
    """`x == -inf`."""
    return equal(x, -np.inf) if ensure_array_dtype(x).is_float else not_equal(x, x)


def ensure_array_dtype(x):
    return dtype_of(ensure_array(x))


@_export
def isreal(x):
    """All True (fnx has no complex dtypes)."""
    return finish(lax.full(type_of(ensure_array(x)).shape, True, fnx_ir.bool_))


@_export
def iscomplex(x):
    """All False (fnx has no complex dtypes)."""
    return finish(lax.full(type_of(ensure_array(x)).shape, False, fnx_ir.bool_))


@_export
def nan_to_num(x, copy: bool = True, nan: float = 0.0, posinf=None, neginf=None):
    """`numpy.nan_to_num`: NaN → `nan`, ±inf → `posinf`/`neginf` (default: the dtype's extremes)."""
    x = ensure_array(x)
    d = dtype_of(x)
    if not d.is_float:
        return finish(_copy(x), x)
    info = np.finfo(d.np)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    out = lax.select(_isnan(x), _full(x, nan), x)
    out = lax.select(lax.eq(x, _full(x, np.inf)), _full(x, hi), out)
    return lax.select(lax.eq(x, _full(x, -np.inf)), _full(x, lo), out)


# ------------------------------------------------------------------ binary arithmetic

add = _ufunc("add", np.add, lambda a, b: lax.bitwise_or(a, b) if dtype_of(a).is_bool else lax.add(a, b))
subtract = _ufunc("subtract", np.subtract, lax.sub)
multiply = _ufunc("multiply", np.multiply,
       lambda a, b: lax.bitwise_and(a, b) if dtype_of(a).is_bool else lax.mul(a, b))
divide = _ufunc("divide", np.true_divide, lax.div)
true_divide = divide
__all__.append("true_divide")
arctan2 = _ufunc("arctan2", np.arctan2, lax.atan2)
atan2 = arctan2
__all__.append("atan2")


def _max(a, b):
    return lax.bitwise_or(a, b) if dtype_of(a).is_bool else lax.max(a, b)


def _min(a, b):
    return lax.bitwise_and(a, b) if dtype_of(a).is_bool else lax.min(a, b)


maximum = _ufunc("maximum", np.maximum, _max)
minimum = _ufunc("minimum", np.minimum, _min)


def _fmax(a, b):
    # as JAX: a where a > b or b is NaN, else b (ties take b, and so does b's tangent)
    if not dtype_of(a).is_float:
        return _max(a, b)
    return lax.select(lax.bitwise_or(lax.gt(a, b), _isnan(b)), a, b)


def _fmin(a, b):
    if not dtype_of(a).is_float:
        return _min(a, b)
    return lax.select(lax.bitwise_or(lax.lt(a, b), _isnan(b)), a, b)


fmax = _ufunc("fmax", np.fmax, _fmax, "Elementwise maximum ignoring NaN, as `numpy.fmax`.")
fmin = _ufunc("fmin", np.fmin, _fmin, "Elementwise minimum ignoring NaN, as `numpy.fmin`.")


def _copysign_abs(mag, sign_of):
    """copysign(mag, sign_of) for floats."""
    a = lax.abs(mag)
    return lax.select(_signbit(sign_of), lax.neg(a), a)


copysign = _ufunc("copysign", np.copysign, _copysign_abs)


def _int_floor_divmod(x, y):
    """numpy's integer floor division and modulo: `x // 0 == 0`, `x % 0 == 0`."""
    zero = _full(x, 0)
    q = lax.div(x, y)                     # truncating
    r = lax.rem(x, y)                     # sign of x
    if dtype_of(x).kind == "i":
        fix = lax.bitwise_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, zero)))
        q = lax.select(fix, lax.sub(q, _full(x, 1)), q)
        r = lax.select(fix, lax.add(r, y), r)
    by_zero = lax.eq(y, zero)
    return lax.select(by_zero, zero, q), lax.select(by_zero, zero, r)


def _float_floor_divmod(a, b):
    """numpy's `npy_divmod` for floats, step by step (same results, same signed zeros)."""
    zero = _full(a, 0)
    mod = lax.rem(a, b)                                     # C fmod
    div = lax.div(lax.sub(a, mod), b)
    fix = lax.bitwise_and(lax.ne(mod, zero), lax.ne(lax.lt(b, zero), lax.lt(mod, zero)))
    # a zero remainder takes b's sign; -(-copysign(0, b) - |mod|) is that signed zero and
    # keeps mod's tangent (JAX's derivative of remainder is 1 in x there too)
    signed_zero = lax.neg(lax.sub(lax.neg(_copysign_abs(zero, b)), lax.abs(mod)))
    mod = lax.select(fix, lax.add(mod, b), lax.select(lax.ne(mod, zero), mod, signed_zero))
    div = lax.select(fix, lax.sub(div, _full(a, 1)), div)
    fl = lax.floor(div)
    fl = lax.select(lax.gt(lax.sub(div, fl), _full(a, 0.5)), lax.add(fl, _full(a, 1)), fl)
    floordiv = lax.select(lax.ne(div, zero), fl, _copysign_abs(zero, lax.div(a, b)))
    b_zero = lax.eq(b, zero)
    return lax.select(b_zero, lax.div(a, b), floordiv), lax.select(b_zero, lax.rem(a, b), mod)


def _floor_divmod(a, b):
    d = dtype_of(a)
    if d.is_bool:
        raise TypeError("floor division of bool operands")
    return _float_floor_divmod(a, b) if d.is_float else _int_floor_divmod(a, b)


floor_divide = _ufunc("floor_divide", np.floor_divide, lambda a, b: _floor_divmod(a, b)[0],
       "`numpy.floor_divide`: rounds toward -inf; integer division by zero gives 0, as numpy.")
remainder = _ufunc("remainder", np.remainder, lambda a, b: _floor_divmod(a, b)[1],
       "`numpy.remainder`: the sign of the divisor; integer `x % 0` is 0, as numpy.")
mod = remainder
__all__.append("mod")


@_export
def divmod(x1, x2):
    """`(floor_divide(x1, x2), remainder(x1, x2))`."""
    return floor_divide(x1, x2), remainder(x1, x2)


def _fmod(a, b):
    if dtype_of(a).is_float:
        return lax.rem(a, b)
    zero = _full(a, 0)
    return lax.select(lax.eq(b, zero), zero, lax.rem(a, b))


fmod = _ufunc("fmod", np.fmod, _fmod, "`numpy.fmod`: the sign of the dividend; integer `fmod(x, 0)` is 0.")


def _logaddexp(base2):
    def impl(x, y):
        # big + log1p(b**(-|x - y|)) with the branch (x >= y or not) chosen once by a
        # select, so each side is smooth: the derivative is (1/2, 1/2) at ties, to every
        # order (JAX's). Equal infinities (x - y is NaN there) give (x + y) / 2 + log1p(1),
        # +-inf with the derivative (1/2, 1/2) too (JAX: (1, 1) at +inf, NaN at -inf).
        d = lax.sub(x, y)
        ge = lax.ge(x, y)
        both_inf = lax.bitwise_and(lax.eq(x, y), _isinf(x))
        big = lax.select(both_inf, lax.mul(lax.add(x, y), _full(x, 0.5)), lax.select(ge, x, y))
        neg_abs = lax.select(both_inf, _full(x, 0), lax.select(ge, lax.neg(d), d))
        if base2:
            tail = lax.mul(lax.log1p(lax.exp2(neg_abs)), _full(x, 1 / math.log(2)))
        else:
            tail = lax.log1p(lax.exp(neg_abs))
        return lax.add(big, tail)
    return impl


logaddexp = _ufunc("logaddexp", np.logaddexp, _logaddexp(False), "`log(exp(x) + exp(y))` without overflow.")
logaddexp2 = _ufunc("logaddexp2", np.logaddexp2, _logaddexp(True), "`log2(2**x + 2**y)` without overflow.")


def _hypot(x, y):
    ax, ay = lax.abs(x), lax.abs(y)
    big, small = lax.max(ax, ay), lax.min(ax, ay)
    zero = _full(x, 0)
    safe = lax.select(lax.eq(big, zero), _full(x, 1), big)
    r = lax.div(small, safe)
    out = lax.mul(big, lax.sqrt(lax.add(_full(x, 1), lax.mul(r, r))))
    out = lax.select(lax.eq(big, zero), big, out)  # big, not 0: its tangent at (0, 0) (JAX)
    inf = _full(x, np.inf)
    return lax.select(lax.bitwise_or(lax.eq(ax, inf), lax.eq(ay, inf)), inf, out)


hypot = _ufunc("hypot", np.hypot, _hypot, "`sqrt(x**2 + y**2)` without overflow or underflow.")


def _heaviside(x, h0):
    zero = _full(x, 0)
    out = lax.select(lax.lt(x, zero), zero, lax.select(lax.gt(x, zero), _full(x, 1), h0))
    return lax.select(_isnan(x), x, out)


heaviside = _ufunc("heaviside", np.heaviside, _heaviside)


# ------------------------------------------------------------------ power

def _int_power(x, y, max_bits: int):
    """x ** y for integer arrays by binary exponentiation (wrapping like numpy)."""
    one = _full(x, 1)
    zero = _full(x, 0)
    acc, base, e = one, x, y
    for i in range(max_bits):
        odd = lax.ne(lax.bitwise_and(e, one), zero)
        acc = lax.select(odd, lax.mul(acc, base), acc)
        if i + 1 < max_bits:
            base = lax.mul(base, base)
            e = lax.shift_right_logical(e, one)
    if dtype_of(x).kind == "i":  # negative exponents (traced): 1, -1 by parity, or 0
        neg = lax.lt(y, zero)
        minus_one = _full(x, -1)
        odd = lax.ne(lax.bitwise_and(y, one), zero)
        special = lax.select(lax.eq(x, one), one,
                             lax.select(lax.eq(x, minus_one),
                                        lax.select(odd, minus_one, one), zero))
        acc = lax.select(neg, special, acc)
    return acc


@_export
def power(x1, x2):
    """`numpy.power`. Floats: C99 `pow` (as JAX; docs/semantics.md). Integers by repeated
    squaring; a negative integer power gives `x ** y` truncated (1, -1 or 0; a negative Python
    scalar exponent raises, as in JAX)."""
    if is_python_scalar(x2) and float(x2).is_integer() and builtins.abs(x2) <= 32:
        base = ensure_array(x1)
        if dtype_of(base).is_float:  # as JAX: cheaper, and so is its derivative
            return finish(lax.integer_pow(base, int(x2)), x1)
    ops, out_dtype, weak = _prepare(np.power, "power", (x1, x2))
    a, b = ops
    d = dtype_of(a)
    if d.is_float:
        res = lax.pow(a, b)
    elif d.is_bool:
        res = lax.bitwise_or(a, lax.bitwise_not(b))
    elif is_python_scalar(x2) and x2 >= 0:
        res = lax.integer_pow(a, x2) if x2 else lax.full_like(a, 1)
    else:
        bits = d.itemsize * 8
        if is_python_scalar(x2):  # (as JAX; an array of exponents gives 1, -1 or 0 instead)
            raise ValueError(f"Integers cannot be raised to negative powers, got power(..., {x2})")
        if not is_tracer(x2):  # as few squarings as the largest exponent needs
            y = np.asarray(x2)
            bits = builtins.max(int(y.max()), 1).bit_length() if y.size else 1
        res = _int_power(a, b, bits)
    if dtype_of(res) is not out_dtype or type_of(res).weak != weak:
        res = lax.convert_element_type(res, out_dtype, weak=weak)
    return finish(res, x1, x2)


@_export
def float_power(x1, x2):
    """`jax.numpy.float_power`: `power` in the inexact dtype of the operands (JAX's; NumPy's
    is always float64)."""
    xs = [asarray_or_tracer(x) for x in (x1, x2)]
    d, weak = result_weak(*xs)
    d = float_dtype_for(d, weak)
    return power(*(convert(x, d, weak) for x in xs))


# ------------------------------------------------------------------ bitwise, logical

bitwise_and = _ufunc("bitwise_and", np.bitwise_and, lax.bitwise_and)
bitwise_or = _ufunc("bitwise_or", np.bitwise_or, lax.bitwise_or)
bitwise_xor = _ufunc("bitwise_xor", np.bitwise_xor, lax.bitwise_xor)
invert = _ufunc("invert", np.invert, lax.bitwise_not)
bitwise_not = bitwise_invert = invert
__all__ += ["bitwise_not", "bitwise_invert"]
left_shift = _ufunc("left_shift", np.left_shift, lax.shift_left)
right_shift = _ufunc("right_shift", np.right_shift, lambda a, b: (
    lax.shift_right_arithmetic(a, b) if dtype_of(a).kind == "i" else lax.shift_right_logical(a, b)))
bitwise_left_shift, bitwise_right_shift = left_shift, right_shift
__all__ += ["bitwise_left_shift", "bitwise_right_shift"]


def _truth(x):
    return x if dtype_of(x).is_bool else lax.ne(x, _full(x, 0))


logical_and = _ufunc("logical_and", np.logical_and, lambda a, b: lax.bitwise_and(_truth(a), _truth(b)))
logical_or = _ufunc("logical_or", np.logical_or, lambda a, b: lax.bitwise_or(_truth(a), _truth(b)))
logical_xor = _ufunc("logical_xor", np.logical_xor, lambda a, b: lax.bitwise_xor(_truth(a), _truth(b)))
logical_not = _ufunc("logical_not", np.logical_not, lambda a: lax.bitwise_not(_truth(a)))

equal = _ufunc("equal", np.equal, lax.eq)
not_equal = _ufunc("not_equal", np.not_equal, lax.ne)
less = _ufunc("less", np.less, lax.lt)
less_equal = _ufunc("less_equal", np.less_equal, lax.le)
greater = _ufunc("greater", np.greater, lax.gt)
greater_equal = _ufunc("greater_equal", np.greater_equal, lax.ge)


# ------------------------------------------------------------------ where, clip, select

@_export
def where(condition, x=None, y=None, *, size=None, fill_value=None):
    """`numpy.where(condition, x, y)`. The one-argument form is `nonzero(condition, size=...)`."""
    if x is None and y is None:
        from ._indexing import nonzero
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    c, a, b = ensure_array(condition), asarray_or_tracer(x), asarray_or_tracer(y)
    shape = broadcast_shapes(*(type_of(v).shape for v in (c, a, b)), what="where", xs=(c, a, b))
    dtype, weak = result_weak(a, b)
    c = _truth(broadcast_to(c, shape))
    a, b = (broadcast_to(convert(v, dtype, weak), shape) for v in (a, b))
    return finish(lax.select(c, a, b))


@_export
def clip(arr=None, min=None, max=None, *, a=None, a_min=None, a_max=None):
    """`numpy.clip(a, a_min, a_max)` = `minimum(maximum(a, a_min), a_max)` (NaN propagates)."""
    x = arr if arr is not None else a
    lo = min if min is not None else a_min
    hi = max if max is not None else a_max
    if x is None:
        raise TypeError("clip() needs an array")
    if lo is None and hi is None:
        raise ValueError("One of max or min must be given")
    args = [x] + [v for v in (lo, hi) if v is not None]
    xs = [asarray_or_tracer(v) for v in args]
    dtype = result_dtype(*xs)
    shape = broadcast_shapes(*(type_of(v).shape for v in xs), what="clip", xs=xs)
    ops = [broadcast_to(convert(v, dtype), shape) for v in xs]
    out = ops[0]
    i = 1
    if lo is not None:
        out = _max(out, ops[i])
        i += 1
    if hi is not None:
        out = _min(out, ops[i])
    return finish(out, x)


@_export
def select(condlist, choicelist, default=0):
    """`numpy.select`: the first true condition picks its choice, else `default`."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if not condlist:
        raise ValueError("select with an empty condition list is not possible")
    conds = [asarray_or_tracer(c) for c in condlist]
    for i, c in enumerate(conds):
        if not dtype_of(ensure_array(c)).is_bool:
            raise TypeError(f"invalid entry {i} in condlist: should be boolean ndarray")
    choices = [asarray_or_tracer(c) for c in choicelist] + [asarray_or_tracer(default)]
    dtype = result_dtype(*choices)
    shape = broadcast_shapes(*(type_of(v).shape for v in conds + choices), what="select")
    out = broadcast_to(convert(choices[-1], dtype), shape)
    for c, v in zip(reversed(conds), reversed(choices[:-1])):
        out = lax.select(broadcast_to(ensure_array(c), shape), broadcast_to(convert(v, dtype), shape), out)
    return finish(out)
