"""Elementwise primitives: numpy implementation, jvp, transpose and batching rules."""
from __future__ import annotations

import math
import statistics

import numpy as np

from .._core.rules import define
from ._util import quiet

_FLOAT_UNARY = {
    "neg": np.negative, "abs": np.abs, "sign": np.sign, "floor": np.floor, "ceil": np.ceil,
    "round": np.round, "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log,
    "log2": np.log2, "log1p": np.log1p, "sqrt": np.sqrt, "cbrt": np.cbrt, "sin": np.sin,
    "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh,
    "acosh": np.arccosh, "atanh": np.arctanh, "isfinite": np.isfinite, "not": np.invert,
}


def _rsqrt(x):
    return np.reciprocal(np.sqrt(x))


def _logistic(x):
    # Split by sign so neither branch overflows.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def _libm(fn):
    """Vectorise a scalar libm function, computing in float64."""
    vec = np.vectorize(fn, otypes=[np.float64])
    def impl(x):
        x = np.asarray(x)
        return vec(x.astype(np.float64)).astype(x.dtype) if x.size else x.copy()
    return impl


def _erf_inv_scalar(y: float) -> float:
    if not -1 <= y <= 1:
        return math.nan
    if abs(y) == 1:
        return math.copysign(math.inf, y)
    if y == 0:
        return y
    x = statistics.NormalDist().inv_cdf((1 + y) / 2) / math.sqrt(2)
    for _ in range(3):  # Newton on erf(x) = y restores relative accuracy near 0
        err = math.erf(x) - y
        x -= err / (2 / math.sqrt(math.pi) * math.exp(-x * x))
    return x


_FLOAT_UNARY.update({"rsqrt": _rsqrt, "logistic": _logistic, "erf": _libm(math.erf),
                     "erfc": _libm(math.erfc), "erf_inv": _libm(_erf_inv_scalar)})

for _name, _fn in _FLOAT_UNARY.items():
    define(_name, impl=quiet(_fn))

define("stop_gradient", impl=np.array)


# ------------------------------------------------------------------- binary

def _int_div(x, y):
    """Truncating division with defined results for y == 0 and INT_MIN / -1."""
    signed = x.dtype.kind == "i"
    zero = y == 0
    minus_one = (y == -1) if signed else np.zeros(y.shape, bool)
    safe = np.where(zero | minus_one, 1, y).astype(y.dtype)
    q = x // safe
    # floor -> trunc: bump when the remainder is non-zero and the signs differ
    q = q + ((x % safe != 0) & ((x < 0) != (safe < 0))).astype(x.dtype)
    q = np.where(minus_one, np.negative(x), q)
    all_ones = np.array(-1 if signed else np.iinfo(x.dtype).max, dtype=x.dtype)
    return np.where(zero, all_ones, q).astype(x.dtype)


def _div(x, y):
    if x.dtype.kind in "iu":
        return _int_div(np.asarray(x), np.asarray(y))
    return np.divide(x, y)


def _rem(x, y):
    if x.dtype.kind in "iu":
        x, y = np.asarray(x), np.asarray(y)
        r = x - _int_div(x, y) * y
        return np.where(y == 0, x, r).astype(x.dtype)
    return np.fmod(x, y)


def _shift(kind):
    def impl(x, y):
        x, y = np.asarray(x), np.asarray(y)
        bits = x.dtype.itemsize * 8
        ok = (y >= 0) & (y < bits)
        s = np.where(ok, y, 0).astype(x.dtype)
        if kind == "left":
            out = np.left_shift(x, s)
            fill = np.zeros((), x.dtype)
        elif kind == "logical":
            u = x.view(np.dtype(f"u{x.dtype.itemsize}"))
            out = np.right_shift(u, s.view(u.dtype)).view(x.dtype)
            fill = np.zeros((), x.dtype)
        else:
            signed = x.view(np.dtype(f"i{x.dtype.itemsize}"))
            out = np.right_shift(signed, s.view(signed.dtype)).view(x.dtype)
            fill = np.where(signed < 0, -1, 0).astype(signed.dtype).view(x.dtype)
        return np.where(ok, out, fill).astype(x.dtype)
    return impl


_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": _div, "rem": _rem,
    "pow": np.power, "atan2": np.arctan2, "max": np.maximum, "min": np.minimum,
    "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal, "shift_left": _shift("left"),
    "shift_right_logical": _shift("logical"), "shift_right_arithmetic": _shift("arithmetic"),
}
for _name, _fn in _BINARY.items():
    define(_name, impl=quiet(_fn))


@quiet
def _integer_pow(x, *, y):
    """Binary exponentiation: the same multiplications every backend performs."""
    x = np.asarray(x)
    acc, base, n = np.ones_like(x), x, abs(y)
    while n:
        if n & 1:
            acc = acc * base
        n >>= 1
        if n:
            base = base * base
    return (1 / acc).astype(x.dtype) if y < 0 else acc


define("integer_pow", impl=_integer_pow)
define("select", impl=lambda pred, a, b: np.where(pred, a, b))
define("clamp", impl=quiet(lambda lo, x, hi: np.minimum(np.maximum(x, lo), hi)))


@quiet
def _convert(x, *, new_dtype, weak):
    x = np.asarray(x)
    target = new_dtype.np
    if target.kind == "b":
        return x != 0
    if x.dtype.kind == "f" and target.kind in "iu":
        info = np.iinfo(target)
        lo, hi = float(info.min), float(info.max) + 1.0  # both exact powers of two
        inside = (x >= lo) & (x < hi)
        out = np.where(inside, x, 0).astype(target)
        out = np.where(x >= hi, info.max, out)
        return np.where(x < lo, info.min, out).astype(target)
    return x.astype(target)


define("convert_element_type", impl=_convert)
define("bitcast_convert_type",
       impl=lambda x, *, new_dtype: np.ascontiguousarray(x).view(new_dtype.np).copy())
