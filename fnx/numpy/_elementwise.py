"""Elementwise functions of `fnx.numpy`, with NumPy's broadcasting and promotion."""
from __future__ import annotations

import numpy as np

import fnx_ir

from .. import lax
from .._core.trace import type_of
from ._base import (asarray_or_tracer, broadcast_shapes, broadcast_to, convert, ensure_array,
                    float_dtype_for, operands, result_dtype)


def _float_unary(name: str, prim):
    def f(x):
        x = ensure_array(x)
        (x,) = operands(x, dtype=float_dtype_for(type_of(x).dtype))
        return prim(x)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise `{name}`, as `numpy.{name}` (integers compute in float64)."
    return f


sin = _float_unary("sin", lax.sin)
cos = _float_unary("cos", lax.cos)
tan = _float_unary("tan", lax.tan)
arcsin = _float_unary("arcsin", lax.asin)
arccos = _float_unary("arccos", lax.acos)
arctan = _float_unary("arctan", lax.atan)
sinh = _float_unary("sinh", lax.sinh)
cosh = _float_unary("cosh", lax.cosh)
tanh = _float_unary("tanh", lax.tanh)
arcsinh = _float_unary("arcsinh", lax.asinh)
arccosh = _float_unary("arccosh", lax.acosh)
arctanh = _float_unary("arctanh", lax.atanh)
exp = _float_unary("exp", lax.exp)
exp2 = _float_unary("exp2", lax.exp2)
expm1 = _float_unary("expm1", lax.expm1)
log = _float_unary("log", lax.log)
log2 = _float_unary("log2", lax.log2)
log1p = _float_unary("log1p", lax.log1p)
sqrt = _float_unary("sqrt", lax.sqrt)
cbrt = _float_unary("cbrt", lax.cbrt)
asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh


def _same_dtype_unary(name: str, prim, int_identity: bool = False):
    def f(x):
        x = ensure_array(x)
        if int_identity and not type_of(x).dtype.is_float:
            return lax.convert_element_type(x, type_of(x).dtype)  # numpy returns a copy
        return prim(x)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise `{name}`, as `numpy.{name}`."
    return f


negative = _same_dtype_unary("negative", lax.neg)
absolute = abs = _same_dtype_unary("absolute", lax.abs)
sign = _same_dtype_unary("sign", lax.sign)
floor = _same_dtype_unary("floor", lax.floor, int_identity=True)
ceil = _same_dtype_unary("ceil", lax.ceil, int_identity=True)
rint = _same_dtype_unary("rint", lax.round, int_identity=True)
bitwise_not = invert = _same_dtype_unary("invert", lax.bitwise_not)


def _binary(name: str, prim, *, out_float: bool = False):
    def f(x, y):
        dtype = result_dtype(asarray_or_tracer(x), asarray_or_tracer(y))
        if out_float:
            dtype = float_dtype_for(dtype)
        a, b = operands(x, y, dtype=dtype, what=name)
        return prim(a, b)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise `{name}` with broadcasting, as `numpy.{name}`."
    return f


add = _binary("add", lax.add)
subtract = _binary("subtract", lax.sub)
multiply = _binary("multiply", lax.mul)
true_divide = divide = _binary("divide", lax.div, out_float=True)
power = _binary("power", lax.pow, out_float=True)
arctan2 = _binary("arctan2", lax.atan2, out_float=True)
maximum = _binary("maximum", lax.max)
minimum = _binary("minimum", lax.min)
bitwise_and = _binary("bitwise_and", lax.bitwise_and)
bitwise_or = _binary("bitwise_or", lax.bitwise_or)
bitwise_xor = _binary("bitwise_xor", lax.bitwise_xor)
left_shift = _binary("left_shift", lax.shift_left)
right_shift = _binary("right_shift", lax.shift_right_arithmetic)
equal = _binary("equal", lax.eq)
not_equal = _binary("not_equal", lax.ne)
less = _binary("less", lax.lt)
less_equal = _binary("less_equal", lax.le)
greater = _binary("greater", lax.gt)
greater_equal = _binary("greater_equal", lax.ge)
atan2 = arctan2


def where(condition, x=None, y=None):
    """`numpy.where(condition, x, y)`; the one-argument form needs a static result size."""
    if x is None or y is None:
        raise NotImplementedError(
            "fnx.numpy.where(condition) without x and y has a data-dependent shape; "
            "use fnx.numpy.nonzero(..., size=n) or where(condition, x, y)")
    c, x, y = (asarray_or_tracer(v) for v in (condition, x, y))
    shape = broadcast_shapes(*(type_of(v).shape for v in (c, x, y)), what="where")
    dtype = result_dtype(x, y)
    c, a, b = (broadcast_to(convert(v, d), shape) for v, d in ((c, fnx_ir.bool_), (x, dtype), (y, dtype)))
    return lax.select(c, a, b)
