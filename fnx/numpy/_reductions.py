"""Reductions of `fnx.numpy`: sum, mean, max, min, ..."""
from __future__ import annotations

import math

import fnx_ir

from .. import lax
from .._core.trace import type_of
from ._base import ensure_array, normalize_axes, float_dtype_for, convert


def _keepdims(out, x_shape, axes, keepdims):
    if not keepdims:
        return out
    return lax.reshape(out, tuple(1 if i in axes else d for i, d in enumerate(x_shape)))


def _sum_dtype(dtype):
    """numpy sums bool and narrow ints in the platform integer (int64)."""
    if dtype.is_bool or dtype is fnx_ir.int32:
        return fnx_ir.int64
    return dtype  # uint32 stays uint32 (numpy's uint64 is not an fnx dtype)


def sum(a, axis=None, dtype=None, keepdims: bool = False):
    """`numpy.sum`."""
    x = ensure_array(a)
    t = type_of(x)
    axes = normalize_axes(axis, t.ndim)
    x = convert(x, fnx_ir.dtype(dtype) if dtype is not None else _sum_dtype(t.dtype))
    return _keepdims(lax.reduce_sum(x, axes), t.shape, axes, keepdims)


def mean(a, axis=None, dtype=None, keepdims: bool = False):
    """`numpy.mean` (integers average in float64)."""
    x = ensure_array(a)
    t = type_of(x)
    axes = normalize_axes(axis, t.ndim)
    out_dtype = fnx_ir.dtype(dtype) if dtype is not None else float_dtype_for(t.dtype)
    if t.dtype.is_bool and dtype is None:
        out_dtype = fnx_ir.float64
    count = math.prod(t.shape[i] for i in axes)
    total = lax.reduce_sum(convert(x, out_dtype), axes)
    out = lax.div(total, lax.full_like(total, count))
    return _keepdims(out, t.shape, axes, keepdims)


def _extreme(name, prim):
    def f(a, axis=None, keepdims: bool = False):
        x = ensure_array(a)
        t = type_of(x)
        axes = normalize_axes(axis, t.ndim)
        if any(t.shape[i] == 0 for i in axes):
            raise ValueError(f"zero-size array to reduction operation {name} which has no identity")
        return _keepdims(prim(x, axes), t.shape, axes, keepdims)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"`numpy.{name}`."
    return f


max = amax = _extreme("max", lax.reduce_max)
min = amin = _extreme("min", lax.reduce_min)
