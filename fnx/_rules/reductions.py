"""Reductions, arg-reductions and cumulative ops: numpy implementation, jvp, transpose, batching."""
from __future__ import annotations

import numpy as np

from .._core.rules import define
from ._util import quiet


def _identity(dtype: np.dtype, which: str):
    """The value an empty max/min reduction gives (docs/semantics.md)."""
    if dtype.kind == "f":
        return -np.inf if which == "max" else np.inf
    if dtype.kind == "b":
        return which != "max"
    info = np.iinfo(dtype)
    return info.min if which == "max" else info.max


def _sum(x, *, axes):
    return np.sum(x, axis=axes, dtype=x.dtype)


def _prod(x, *, axes):
    return np.prod(x, axis=axes, dtype=x.dtype)


def _extreme(which):
    fn = np.max if which == "max" else np.min
    def impl(x, *, axes):
        x = np.asarray(x)
        return fn(x, axis=axes, initial=_identity(x.dtype, which))
    return impl


define("reduce_sum", impl=quiet(_sum))
define("reduce_prod", impl=quiet(_prod))
define("reduce_max", impl=_extreme("max"))
define("reduce_min", impl=_extreme("min"))
define("reduce_and", impl=lambda x, *, axes: np.all(x, axis=axes))
define("reduce_or", impl=lambda x, *, axes: np.any(x, axis=axes))
define("argmax", impl=lambda x, *, axis, index_dtype:
       np.argmax(x, axis=axis).astype(index_dtype.np))
define("argmin", impl=lambda x, *, axis, index_dtype:
       np.argmin(x, axis=axis).astype(index_dtype.np))


def _cumulative(accumulate):
    @quiet
    def impl(x, *, axis, reverse):
        x = np.asarray(x)
        if reverse:
            return np.flip(accumulate(np.flip(x, axis), axis), axis)
        return accumulate(x, axis)
    return impl


define("cumsum", impl=_cumulative(lambda x, a: np.cumsum(x, axis=a, dtype=x.dtype)))
define("cumprod", impl=_cumulative(lambda x, a: np.cumprod(x, axis=a, dtype=x.dtype)))
define("cummax", impl=_cumulative(lambda x, a: np.maximum.accumulate(x, axis=a)))
define("cummin", impl=_cumulative(lambda x, a: np.minimum.accumulate(x, axis=a)))
