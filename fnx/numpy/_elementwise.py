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
from typing import Sequence

import numpy as np

import fnx_ir

from .. import lax
from .._core.dtypes import default_int
from .._core.trace import type_of
from .._core.rules import RULES
from ._base import (Array, ArrayLike, asarray_or_tracer, broadcast_shapes, broadcast_to, convert,
                    direct_elementwise, dtype_of, ensure_array, finish, float_dtype_for,
                    is_python_scalar, is_tracer, result_dtype, result_weak, ufunc_dtypes)

__all__ = ["abs", "absolute", "acos", "acosh", "add", "arccos", "arccosh", "arcsin", "arcsinh",
           "arctan", "arctan2", "arctanh", "around", "asin", "asinh", "atan", "atan2", "atanh",
           "cbrt", "ceil", "clip", "conj", "conjugate", "copysign", "cos", "cosh", "deg2rad",
           "degrees", "divide", "divmod", "exp", "exp2", "expm1", "fabs", "fix", "float_power",
           "floor", "floor_divide", "fmax", "fmin", "fmod", "heaviside", "hypot", "imag",
           "iscomplex", "isfinite", "isinf", "isnan", "isreal", "log", "log10", "log1p", "log2",
           "logaddexp", "logaddexp2", "maximum", "minimum", "mod", "multiply", "nan_to_num",
           "negative", "positive", "power", "rad2deg", "radians", "real", "reciprocal",
           "remainder", "rint", "round", "round_", "rsqrt", "select", "sign", "signbit", "sin",
           "sinc", "sinh", "sqrt", "square", "subtract", "tan", "tanh", "true_divide", "trunc"]


def _prepare(ufunc, name, xs):
    """Operands converted to JAX's dtype for `ufunc` and broadcast; plus the output type."""
    xs = [asarray_or_tracer(x) for x in xs]
    in_dtype, out_dtype, weak = ufunc_dtypes(ufunc, name, *xs)
    shape = broadcast_shapes(*(type_of(x).shape for x in xs), what=name, xs=xs)
    return [broadcast_to(convert(x, in_dtype, weak), shape) for x in xs], out_dtype, weak


def apply_ufunc(ufunc: np.ufunc, name: str, impl, *xs):
    """The body of every elementwise function: the operands in JAX's dtype for `ufunc`,
    broadcast, then `impl` on them, and the result in JAX's output dtype and weakness.
    Eagerly, an `impl` that is one primitive takes the direct path when it can."""
    primitive = _DIRECT.get(impl)
    if primitive is not None:
        res = direct_elementwise(ufunc, primitive, _NUMPY_FN.get(primitive), xs)
        if res is not None:
            return res
    ops, out_dtype, weak = _prepare(ufunc, name, xs)
    res = impl(*ops)
    t = type_of(res)
    if t.dtype is not out_dtype or t.weak != weak:
        res = lax.convert_element_type(res, out_dtype, weak=weak)
    return finish(res, *xs)


def _lit(value, like):
    """`value` in the dtype and shape of `like` (a broadcast literal)."""
    return lax.full_like(like, value)


def full_of(like, value):
    """An array like `like` filled with `value`."""
    return lax.full_like(like, value)


def _copy(x):
    return lax.convert_element_type(x, dtype_of(x))  # eagerly a fresh array; traced a no-op


# ------------------------------------------------------------------ transcendental & co

def sin(x: ArrayLike, /) -> Array:
    """As `jax.numpy.sin`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.sin, "sin", lax.sin, x)


def cos(x: ArrayLike, /) -> Array:
    """As `jax.numpy.cos`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.cos, "cos", lax.cos, x)


def tan(x: ArrayLike, /) -> Array:
    """As `jax.numpy.tan`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.tan, "tan", lax.tan, x)


def arcsin(x: ArrayLike, /) -> Array:
    """As `jax.numpy.arcsin`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.arcsin, "arcsin", lax.asin, x)


def arccos(x: ArrayLike, /) -> Array:
    """As `jax.numpy.arccos`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.arccos, "arccos", lax.acos, x)


def arctan(x: ArrayLike, /) -> Array:
    """As `jax.numpy.arctan`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.arctan, "arctan", lax.atan, x)


def sinh(x: ArrayLike, /) -> Array:
    """As `jax.numpy.sinh`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.sinh, "sinh", lax.sinh, x)


def cosh(x: ArrayLike, /) -> Array:
    """As `jax.numpy.cosh`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.cosh, "cosh", lax.cosh, x)


def tanh(x: ArrayLike, /) -> Array:
    """As `jax.numpy.tanh`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.tanh, "tanh", lax.tanh, x)


def arcsinh(x: ArrayLike, /) -> Array:
    """As `jax.numpy.arcsinh`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.arcsinh, "arcsinh", lax.asinh, x)


def arccosh(x: ArrayLike, /) -> Array:
    """As `jax.numpy.arccosh`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.arccosh, "arccosh", lax.acosh, x)


def arctanh(x: ArrayLike, /) -> Array:
    """As `jax.numpy.arctanh`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.arctanh, "arctanh", lax.atanh, x)


def exp(x: ArrayLike, /) -> Array:
    """As `jax.numpy.exp`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.exp, "exp", lax.exp, x)


def exp2(x: ArrayLike, /) -> Array:
    """As `jax.numpy.exp2`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.exp2, "exp2", lax.exp2, x)


def expm1(x: ArrayLike, /) -> Array:
    """As `jax.numpy.expm1`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.expm1, "expm1", lax.expm1, x)


def log(x: ArrayLike, /) -> Array:
    """As `jax.numpy.log`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.log, "log", lax.log, x)


def log2(x: ArrayLike, /) -> Array:
    """As `jax.numpy.log2`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.log2, "log2", lax.log2, x)


def log1p(x: ArrayLike, /) -> Array:
    """As `jax.numpy.log1p`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.log1p, "log1p", lax.log1p, x)


def sqrt(x: ArrayLike, /) -> Array:
    """As `jax.numpy.sqrt`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.sqrt, "sqrt", lax.sqrt, x)


def cbrt(x: ArrayLike, /) -> Array:
    """As `jax.numpy.cbrt`: bool, int32 and uint32 compute in float32, int64 in float64."""
    return apply_ufunc(np.cbrt, "cbrt", lax.cbrt, x)


asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh


def log10(x: ArrayLike, /) -> Array:
    """Elementwise base-10 logarithm (`log(x) / log(10)`: within an ulp of numpy's)."""
    return apply_ufunc(np.log10, "log10", lambda x: lax.div(lax.log(x), _lit(math.log(10), x)), x)


def rsqrt(x: ArrayLike, /) -> Array:
    """Elementwise `1 / sqrt(x)` (not in numpy; as `jax.lax.rsqrt`)."""
    return apply_ufunc(np.sqrt, "rsqrt", lax.rsqrt, x)


def _deg(factor):
    return lambda x: lax.mul(x, _lit(factor, x))


def deg2rad(x: ArrayLike, /) -> Array:
    """As `numpy.deg2rad`, with JAX's dtypes."""
    return apply_ufunc(np.deg2rad, "deg2rad", _deg(math.pi / 180), x)


def rad2deg(x: ArrayLike, /) -> Array:
    """As `numpy.rad2deg`, with JAX's dtypes."""
    return apply_ufunc(np.rad2deg, "rad2deg", _deg(180 / math.pi), x)


radians, degrees = deg2rad, rad2deg


def sinc(x: ArrayLike, /) -> Array:
    """Normalised sinc `sin(pi x) / (pi x)`, as `numpy.sinc` (non-floats as JAX's inexact dtype)."""
    a = ensure_array(x)
    a = convert(a, float_dtype_for(dtype_of(a), type_of(a).weak))
    # numpy: y = pi * where(x == 0, 1e-20, x); sin(y) / y. At 0 the value is 1 from the
    # Maclaurin polynomial 1 - z²/6 + z⁴/120 (z = pi x), whose derivatives there are
    # sinc's own up to order 4 (JAX's are exact to every order).
    zero = lax.eq(a, full_of(a, 0))
    y = lax.mul(lax.select(zero, full_of(a, 1e-20), a), full_of(a, math.pi))
    z2 = lax.integer_pow(lax.mul(a, full_of(a, math.pi)), 2)
    poly = lax.add(full_of(a, 1), lax.mul(z2, lax.add(full_of(a, -1 / 6), lax.mul(z2, full_of(a, 1 / 120)))))
    return lax.select(zero, poly, lax.div(lax.sin(y), y))


# ------------------------------------------------------------------ sign, abs, rounding

def _if_float(prim, other=_copy):
    return lambda x: prim(x) if dtype_of(x).is_float else other(x)


def negative(x: ArrayLike, /) -> Array:
    """As `numpy.negative`, with JAX's dtypes."""
    return apply_ufunc(np.negative, "negative", lax.neg, x)


def positive(x: ArrayLike, /) -> Array:
    """As `numpy.positive`, with JAX's dtypes."""
    return apply_ufunc(np.positive, "positive", _copy, x)


def _absolute(x):
    return _copy(x) if dtype_of(x).is_bool else lax.abs(x)


def absolute(x: ArrayLike, /) -> Array:
    """As `numpy.absolute`, with JAX's dtypes."""
    return apply_ufunc(np.absolute, "absolute", _absolute, x)


abs = absolute


def fabs(x: ArrayLike, /) -> Array:
    """As `numpy.fabs`, with JAX's dtypes."""
    return apply_ufunc(np.fabs, "fabs", lax.abs, x)


def sign(x: ArrayLike, /) -> Array:
    """As `numpy.sign`, with JAX's dtypes."""
    return apply_ufunc(np.sign, "sign", lax.sign, x)


def floor(x: ArrayLike, /) -> Array:
    """As `numpy.floor`, with JAX's dtypes."""
    return apply_ufunc(np.floor, "floor", _if_float(lax.floor), x)


def ceil(x: ArrayLike, /) -> Array:
    """As `numpy.ceil`, with JAX's dtypes."""
    return apply_ufunc(np.ceil, "ceil", _if_float(lax.ceil), x)


def rint(x: ArrayLike, /) -> Array:
    """As `numpy.rint`, with JAX's dtypes."""
    return apply_ufunc(np.rint, "rint", _if_float(lax.round), x)


def _trunc(x):
    return lax.select(lax.lt(x, full_of(x, 0)), lax.ceil(x), lax.floor(x))


def trunc(x: ArrayLike) -> Array:
    """As `numpy.trunc`, with JAX's dtypes."""
    return apply_ufunc(np.trunc, "trunc", _if_float(_trunc), x)


fix = trunc


def square(x: ArrayLike, /) -> Array:
    """As `numpy.square`, with JAX's dtypes."""
    return apply_ufunc(np.square, "square", lambda x: lax.mul(x, x), x)


def conjugate(x: ArrayLike, /) -> Array:
    """As `numpy.conjugate`, with JAX's dtypes."""
    return apply_ufunc(np.conjugate, "conjugate", _copy, x)


conj = conjugate


def _reciprocal(x):
    d = dtype_of(x)
    if d.is_float:
        return lax.div(full_of(x, 1), x)
    if d.is_bool:
        return _copy(x)
    q = lax.div(full_of(x, 1), x)  # 1 / x truncates: 1, -1 or 0
    zero = lax.eq(x, full_of(x, 0))  # numpy: INT_MIN for signed, 0 for unsigned
    return lax.select(zero, full_of(x, np.iinfo(d.np).min if d.kind == "i" else 0), q)


def reciprocal(x: ArrayLike, /) -> Array:
    """As `numpy.reciprocal`, with JAX's dtypes."""
    return apply_ufunc(np.reciprocal, "reciprocal", _reciprocal, x)


def real(val: ArrayLike, /) -> Array:
    """The real part (fnx has no complex dtypes: a copy)."""
    x = ensure_array(val)
    return finish(_copy(x), val)


def imag(val: ArrayLike, /) -> Array:
    """The imaginary part (fnx has no complex dtypes: zeros)."""
    x = ensure_array(val)
    return finish(lax.zeros_like(x))


def round(a: ArrayLike, decimals: int = 0, out: None = None) -> Array:
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
    fl = full_of(x, f)
    q = floor_divide(x, fl)
    r = lax.sub(x, lax.mul(q, fl))
    twice = lax.mul(r, full_of(x, 2))
    odd = lax.ne(lax.rem(q, full_of(x, 2)), full_of(x, 0))
    up = lax.bitwise_or(lax.gt(twice, fl), lax.bitwise_and(lax.eq(twice, fl), odd))
    q = lax.select(up, lax.add(q, full_of(x, 1)), q)
    return lax.mul(q, fl)


around = round_ = round


# ------------------------------------------------------------------ float classification

def _signbit(x):
    d = dtype_of(x)
    if not d.is_float:
        return lax.lt(x, full_of(x, 0)) if d.kind == "i" else lax.ne(x, x)
    ibits = fnx_ir.int32 if d.itemsize == 4 else default_int()
    b = lax.bitcast_convert_type(x, ibits)
    return lax.lt(b, lax.full_like(b, 0))


def _isnan(x):
    return lax.ne(x, x)


def _isinf(x):
    if not dtype_of(x).is_float:
        return lax.ne(x, x)  # all False
    return lax.eq(lax.abs(x), full_of(x, np.inf))


def _isfinite(x):
    if not dtype_of(x).is_float:
        return lax.eq(x, x)  # all True
    return lax.isfinite(x)


def signbit(x: ArrayLike, /) -> Array:
    """As `numpy.signbit`, with JAX's dtypes."""
    return apply_ufunc(np.signbit, "signbit", _signbit, x)


def isnan(x: ArrayLike, /) -> Array:
    """As `numpy.isnan`, with JAX's dtypes."""
    return apply_ufunc(np.isnan, "isnan", _isnan, x)


def isinf(x: ArrayLike, /) -> Array:
    """As `numpy.isinf`, with JAX's dtypes."""
    return apply_ufunc(np.isinf, "isinf", _isinf, x)


def isfinite(x: ArrayLike, /) -> Array:
    """As `numpy.isfinite`, with JAX's dtypes."""
    return apply_ufunc(np.isfinite, "isfinite", _isfinite, x)


def array_dtype(x):
    """The DType of `x` as an array."""
    return dtype_of(ensure_array(x))


def isreal(x: ArrayLike) -> Array:
    """All True (fnx has no complex dtypes)."""
    return finish(lax.full(type_of(ensure_array(x)).shape, True, fnx_ir.bool_))


def iscomplex(x: ArrayLike) -> Array:
    """All False (fnx has no complex dtypes)."""
    return finish(lax.full(type_of(ensure_array(x)).shape, False, fnx_ir.bool_))


def nan_to_num(x: ArrayLike, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Array:
    """`numpy.nan_to_num`: NaN → `nan`, ±inf → `posinf`/`neginf` (default: the dtype's extremes)."""
    x = ensure_array(x)
    d = dtype_of(x)
    if not d.is_float:
        return finish(_copy(x), x)
    info = np.finfo(d.np)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    out = lax.select(_isnan(x), full_of(x, nan), x)
    out = lax.select(lax.eq(x, full_of(x, np.inf)), full_of(x, hi), out)
    return lax.select(lax.eq(x, full_of(x, -np.inf)), full_of(x, lo), out)


# ------------------------------------------------------------------ binary arithmetic


def _add(a, b):
    return lax.bitwise_or(a, b) if dtype_of(a).is_bool else lax.add(a, b)


def _multiply(a, b):
    return lax.bitwise_and(a, b) if dtype_of(a).is_bool else lax.mul(a, b)


def add(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.add`, with JAX's dtypes."""
    return apply_ufunc(np.add, "add", _add, x1, x2)


def subtract(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.subtract`, with JAX's dtypes."""
    return apply_ufunc(np.subtract, "subtract", lax.sub, x1, x2)


def multiply(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.multiply`, with JAX's dtypes."""
    return apply_ufunc(np.multiply, "multiply", _multiply, x1, x2)


def divide(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.divide`, with JAX's dtypes."""
    return apply_ufunc(np.true_divide, "divide", lax.div, x1, x2)


true_divide = divide


def arctan2(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.arctan2`, with JAX's dtypes."""
    return apply_ufunc(np.arctan2, "arctan2", lax.atan2, x1, x2)


atan2 = arctan2


def _max(a, b):
    return lax.bitwise_or(a, b) if dtype_of(a).is_bool else lax.max(a, b)


def _min(a, b):
    return lax.bitwise_and(a, b) if dtype_of(a).is_bool else lax.min(a, b)


def maximum(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.maximum`, with JAX's dtypes."""
    return apply_ufunc(np.maximum, "maximum", _max, x1, x2)


def minimum(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.minimum`, with JAX's dtypes."""
    return apply_ufunc(np.minimum, "minimum", _min, x1, x2)


def _fmax(a, b):
    # as JAX: a where a > b or b is NaN, else b (ties take b, and so does b's tangent)
    if not dtype_of(a).is_float:
        return _max(a, b)
    return lax.select(lax.bitwise_or(lax.gt(a, b), _isnan(b)), a, b)


def _fmin(a, b):
    if not dtype_of(a).is_float:
        return _min(a, b)
    return lax.select(lax.bitwise_or(lax.lt(a, b), _isnan(b)), a, b)


def fmax(x1: ArrayLike, x2: ArrayLike) -> Array:
    """Elementwise maximum ignoring NaN, as `numpy.fmax`."""
    return apply_ufunc(np.fmax, "fmax", _fmax, x1, x2)


def fmin(x1: ArrayLike, x2: ArrayLike) -> Array:
    """Elementwise minimum ignoring NaN, as `numpy.fmin`."""
    return apply_ufunc(np.fmin, "fmin", _fmin, x1, x2)


def _copysign_abs(mag, sign_of):
    """copysign(mag, sign_of) for floats."""
    a = lax.abs(mag)
    return lax.select(_signbit(sign_of), lax.neg(a), a)


def copysign(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.copysign`, with JAX's dtypes."""
    return apply_ufunc(np.copysign, "copysign", _copysign_abs, x1, x2)


def _int_floor_divmod(x, y):
    """numpy's integer floor division and modulo: `x // 0 == 0`, `x % 0 == 0`."""
    zero = full_of(x, 0)
    q = lax.div(x, y)                     # truncating
    r = lax.rem(x, y)                     # sign of x
    if dtype_of(x).kind == "i":
        fix = lax.bitwise_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, zero)))
        q = lax.select(fix, lax.sub(q, full_of(x, 1)), q)
        r = lax.select(fix, lax.add(r, y), r)
    by_zero = lax.eq(y, zero)
    return lax.select(by_zero, zero, q), lax.select(by_zero, zero, r)


def _float_floor_divmod(a, b):
    """numpy's `npy_divmod` for floats, step by step (same results, same signed zeros)."""
    zero = full_of(a, 0)
    mod = lax.rem(a, b)                                     # C fmod
    div = lax.div(lax.sub(a, mod), b)
    fix = lax.bitwise_and(lax.ne(mod, zero), lax.ne(lax.lt(b, zero), lax.lt(mod, zero)))
    # a zero remainder takes b's sign; -(-copysign(0, b) - |mod|) is that signed zero and
    # keeps mod's tangent (JAX's derivative of remainder is 1 in x there too)
    signed_zero = lax.neg(lax.sub(lax.neg(_copysign_abs(zero, b)), lax.abs(mod)))
    mod = lax.select(fix, lax.add(mod, b), lax.select(lax.ne(mod, zero), mod, signed_zero))
    div = lax.select(fix, lax.sub(div, full_of(a, 1)), div)
    fl = lax.floor(div)
    fl = lax.select(lax.gt(lax.sub(div, fl), full_of(a, 0.5)), lax.add(fl, full_of(a, 1)), fl)
    floordiv = lax.select(lax.ne(div, zero), fl, _copysign_abs(zero, lax.div(a, b)))
    b_zero = lax.eq(b, zero)
    return lax.select(b_zero, lax.div(a, b), floordiv), lax.select(b_zero, lax.rem(a, b), mod)


def _floor_divmod(a, b):
    d = dtype_of(a)
    if d.is_bool:
        raise TypeError("floor division of bool operands")
    return _float_floor_divmod(a, b) if d.is_float else _int_floor_divmod(a, b)


def floor_divide(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """`numpy.floor_divide`: rounds toward -inf; integer division by zero gives 0, as numpy."""
    return apply_ufunc(np.floor_divide, "floor_divide", lambda a, b: _floor_divmod(a, b)[0], x1, x2)


def remainder(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """`numpy.remainder`: the sign of the divisor; integer `x % 0` is 0, as numpy."""
    return apply_ufunc(np.remainder, "remainder", lambda a, b: _floor_divmod(a, b)[1], x1, x2)


mod = remainder


def divmod(x1: ArrayLike, x2: ArrayLike, /) -> tuple[Array, Array]:
    """`(floor_divide(x1, x2), remainder(x1, x2))`."""
    return floor_divide(x1, x2), remainder(x1, x2)


def _fmod(a, b):
    if dtype_of(a).is_float:
        return lax.rem(a, b)
    zero = full_of(a, 0)
    return lax.select(lax.eq(b, zero), zero, lax.rem(a, b))


def fmod(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """`numpy.fmod`: the sign of the dividend; integer `fmod(x, 0)` is 0."""
    return apply_ufunc(np.fmod, "fmod", _fmod, x1, x2)


def _logaddexp(base2):
    def impl(x, y):
        # big + log1p(b**(-|x - y|)) with the branch (x >= y or not) chosen once by a
        # select, so each side is smooth: the derivative is (1/2, 1/2) at ties, to every
        # order (JAX's). Equal infinities (x - y is NaN there) give (x + y) / 2 + log1p(1),
        # +-inf with the derivative (1/2, 1/2) too (JAX: (1, 1) at +inf, NaN at -inf).
        d = lax.sub(x, y)
        ge = lax.ge(x, y)
        both_inf = lax.bitwise_and(lax.eq(x, y), _isinf(x))
        big = lax.select(both_inf, lax.mul(lax.add(x, y), full_of(x, 0.5)), lax.select(ge, x, y))
        neg_abs = lax.select(both_inf, full_of(x, 0), lax.select(ge, lax.neg(d), d))
        if base2:
            tail = lax.mul(lax.log1p(lax.exp2(neg_abs)), full_of(x, 1 / math.log(2)))
        else:
            tail = lax.log1p(lax.exp(neg_abs))
        return lax.add(big, tail)
    return impl


def logaddexp(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """`log(exp(x) + exp(y))` without overflow."""
    return apply_ufunc(np.logaddexp, "logaddexp", _logaddexp(False), x1, x2)


def logaddexp2(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """`log2(2**x + 2**y)` without overflow."""
    return apply_ufunc(np.logaddexp2, "logaddexp2", _logaddexp(True), x1, x2)


def _hypot(x, y):
    ax, ay = lax.abs(x), lax.abs(y)
    big, small = lax.max(ax, ay), lax.min(ax, ay)
    zero = full_of(x, 0)
    safe = lax.select(lax.eq(big, zero), full_of(x, 1), big)
    r = lax.div(small, safe)
    out = lax.mul(big, lax.sqrt(lax.add(full_of(x, 1), lax.mul(r, r))))
    out = lax.select(lax.eq(big, zero), big, out)  # big, not 0: its tangent at (0, 0) (JAX)
    inf = full_of(x, np.inf)
    return lax.select(lax.bitwise_or(lax.eq(ax, inf), lax.eq(ay, inf)), inf, out)


def hypot(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """`sqrt(x**2 + y**2)` without overflow or underflow."""
    return apply_ufunc(np.hypot, "hypot", _hypot, x1, x2)


def _heaviside(x, h0):
    zero = full_of(x, 0)
    out = lax.select(lax.lt(x, zero), zero, lax.select(lax.gt(x, zero), full_of(x, 1), h0))
    return lax.select(_isnan(x), x, out)


def heaviside(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.heaviside`, with JAX's dtypes."""
    return apply_ufunc(np.heaviside, "heaviside", _heaviside, x1, x2)


# ------------------------------------------------------------------ power

def _int_power(x, y, max_bits: int):
    """x ** y for integer arrays by binary exponentiation (wrapping like numpy)."""
    one = full_of(x, 1)
    zero = full_of(x, 0)
    acc, base, e = one, x, y
    for i in range(max_bits):
        odd = lax.ne(lax.bitwise_and(e, one), zero)
        acc = lax.select(odd, lax.mul(acc, base), acc)
        if i + 1 < max_bits:
            base = lax.mul(base, base)
            e = lax.shift_right_logical(e, one)
    if dtype_of(x).kind == "i":  # negative exponents (traced): 1, -1 by parity, or 0
        neg = lax.lt(y, zero)
        minus_one = full_of(x, -1)
        odd = lax.ne(lax.bitwise_and(y, one), zero)
        special = lax.select(lax.eq(x, one), one,
                             lax.select(lax.eq(x, minus_one),
                                        lax.select(odd, minus_one, one), zero))
        acc = lax.select(neg, special, acc)
    return acc


def power(x1: ArrayLike, x2: ArrayLike, /) -> Array:
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


def float_power(x: ArrayLike, y: ArrayLike, /) -> Array:
    """As `jax.numpy.float_power`: `power` in the operands' inexact dtype (NumPy's: float64)."""
    xs = [asarray_or_tracer(v) for v in (x, y)]
    d, weak = result_weak(*xs)
    d = float_dtype_for(d, weak)
    return power(*(convert(x, d, weak) for x in xs))


# ------------------------------------------------------------------ clip, select

def clip(arr: ArrayLike | None = None, min: ArrayLike | None = None, max: ArrayLike | None = None,
         *, a: ArrayLike | None = None, a_min: ArrayLike | None = None,
         a_max: ArrayLike | None = None) -> Array:
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


def select(condlist: Sequence[ArrayLike], choicelist: Sequence[ArrayLike],
           default: ArrayLike = 0) -> Array:
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
    for c, v in zip(reversed(conds), reversed(choices[:-1]), strict=True):
        out = lax.select(broadcast_to(ensure_array(c), shape), broadcast_to(convert(v, dtype), shape), out)
    return finish(out)


# The `impl`s of `apply_ufunc` that are one elementwise primitive (its binder is exactly
# `bind(primitive, *operands)`), for the direct eager path. `_add`, `_multiply`, `_max`,
# `_min` and `_absolute` are one primitive except on bool operands, which the direct path
# leaves to the general one.
_DIRECT_PRIMITIVES = (
    "neg", "abs", "sign", "exp", "exp2", "expm1", "log", "log2", "log1p", "sqrt", "cbrt", "sin",
    "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "not", "rsqrt", "add", "sub", "mul", "div", "atan2", "and", "or", "xor", "eq", "ne", "lt",
    "le", "gt", "ge", "shift_left", "max", "min")
_DIRECT = {RULES[p].binder: p for p in _DIRECT_PRIMITIVES}
_DIRECT.update({_add: "add", _multiply: "mul", _max: "max", _min: "min", _absolute: "abs"})
# The numpy function each primitive's implementation applies when it is one call (the
# direct path then calls it without the implementation's wrappers); the others (rsqrt, div,
# shift_left) are called through their implementation. tests/numpy/test_eager_direct.py
# checks each against its implementation.
_NUMPY_FN = {
    "neg": np.negative, "abs": np.abs, "sign": np.sign, "exp": np.exp, "exp2": np.exp2,
    "expm1": np.expm1, "log": np.log, "log2": np.log2, "log1p": np.log1p, "sqrt": np.sqrt,
    "cbrt": np.cbrt, "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin,
    "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh, "not": np.invert,
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "atan2": np.arctan2,
    "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor, "eq": np.equal,
    "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
    "ge": np.greater_equal, "max": np.maximum, "min": np.minimum}
