"""Bitwise, logical and comparison functions of `fnx.numpy` (and the infinity predicates built
on them), with NumPy's broadcasting and JAX's dtypes: comparisons and logical functions give
bool, bitwise ones the operands' promoted integer or bool dtype."""
from __future__ import annotations

import numpy as np

from .. import lax
from ._base import Array, ArrayLike, dtype_of
from ._elementwise import apply_ufunc, array_dtype, full_of

__all__ = ["bitwise_and", "bitwise_invert", "bitwise_left_shift", "bitwise_not", "bitwise_or",
           "bitwise_right_shift", "bitwise_xor", "equal", "greater", "greater_equal", "invert",
           "isneginf", "isposinf", "left_shift", "less", "less_equal", "logical_and",
           "logical_not", "logical_or", "logical_xor", "not_equal", "right_shift"]


def bitwise_and(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.bitwise_and`, with JAX's dtypes."""
    return apply_ufunc(np.bitwise_and, "bitwise_and", lax.bitwise_and, x1, x2)


def bitwise_or(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.bitwise_or`, with JAX's dtypes."""
    return apply_ufunc(np.bitwise_or, "bitwise_or", lax.bitwise_or, x1, x2)


def bitwise_xor(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.bitwise_xor`, with JAX's dtypes."""
    return apply_ufunc(np.bitwise_xor, "bitwise_xor", lax.bitwise_xor, x1, x2)


def invert(x: ArrayLike, /) -> Array:
    """As `numpy.invert`, with JAX's dtypes."""
    return apply_ufunc(np.invert, "invert", lax.bitwise_not, x)


bitwise_not = bitwise_invert = invert


def left_shift(x: ArrayLike, y: ArrayLike, /) -> Array:
    """As `numpy.left_shift`, with JAX's dtypes."""
    return apply_ufunc(np.left_shift, "left_shift", lax.shift_left, x, y)


def _right_shift(a, b):
    if dtype_of(a).kind == "i":
        return lax.shift_right_arithmetic(a, b)
    return lax.shift_right_logical(a, b)


def right_shift(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.right_shift`, with JAX's dtypes."""
    return apply_ufunc(np.right_shift, "right_shift", _right_shift, x1, x2)


bitwise_left_shift, bitwise_right_shift = left_shift, right_shift


def truth(x):
    """`x != 0` (bool stays as is): the truth value numpy's logical functions use."""
    return x if dtype_of(x).is_bool else lax.ne(x, full_of(x, 0))


def logical_and(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.logical_and`, with JAX's dtypes."""
    return apply_ufunc(np.logical_and, "logical_and",
                  lambda a, b: lax.bitwise_and(truth(a), truth(b)), x1, x2)


def logical_or(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.logical_or`, with JAX's dtypes."""
    return apply_ufunc(np.logical_or, "logical_or",
                  lambda a, b: lax.bitwise_or(truth(a), truth(b)), x1, x2)


def logical_xor(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.logical_xor`, with JAX's dtypes."""
    return apply_ufunc(np.logical_xor, "logical_xor",
                  lambda a, b: lax.bitwise_xor(truth(a), truth(b)), x1, x2)


def logical_not(x: ArrayLike, /) -> Array:
    """As `numpy.logical_not`, with JAX's dtypes."""
    return apply_ufunc(np.logical_not, "logical_not", lambda a: lax.bitwise_not(truth(a)), x)


def equal(x: ArrayLike, y: ArrayLike, /) -> Array:
    """As `numpy.equal`, with JAX's dtypes."""
    return apply_ufunc(np.equal, "equal", lax.eq, x, y)


def not_equal(x: ArrayLike, y: ArrayLike, /) -> Array:
    """As `numpy.not_equal`, with JAX's dtypes."""
    return apply_ufunc(np.not_equal, "not_equal", lax.ne, x, y)


def less(x: ArrayLike, y: ArrayLike, /) -> Array:
    """As `numpy.less`, with JAX's dtypes."""
    return apply_ufunc(np.less, "less", lax.lt, x, y)


def less_equal(x: ArrayLike, y: ArrayLike, /) -> Array:
    """As `numpy.less_equal`, with JAX's dtypes."""
    return apply_ufunc(np.less_equal, "less_equal", lax.le, x, y)


def greater(x: ArrayLike, y: ArrayLike, /) -> Array:
    """As `numpy.greater`, with JAX's dtypes."""
    return apply_ufunc(np.greater, "greater", lax.gt, x, y)


def greater_equal(x: ArrayLike, y: ArrayLike, /) -> Array:
    """As `numpy.greater_equal`, with JAX's dtypes."""
    return apply_ufunc(np.greater_equal, "greater_equal", lax.ge, x, y)


# ------------------------------------------------------------------ infinities

def isposinf(x: ArrayLike) -> Array:
    """`x == +inf`."""
    return equal(x, np.inf) if array_dtype(x).is_float else not_equal(x, x)


def isneginf(x: ArrayLike) -> Array:
    """`x == -inf`."""
    return equal(x, -np.inf) if array_dtype(x).is_float else not_equal(x, x)
