"""`fnx.numpy.take`: elements gathered along one axis, with numpy's and JAX's index modes.

Below the shape functions (`repeat`, `roll`, `pad`, `delete` gather with it) and the
indexing module (`take_along_axis` and `x[...]` share its index handling).
"""
from __future__ import annotations

import numpy as np

import fnx_ir

from .. import lax
from .._core.trace import type_of
from ._base import (Array, ArrayLike, flat_or_axis, asarray_or_tracer, Axis, dtype_of,
                    ensure_array, finish, is_tracer, shape_of)
from ._elementwise import remainder

__all__ = ["take"]


def wrap_indices(idx, n: int, mode, fn: str):
    """Integer index array → (in-range index array, in-bounds mask or None), by `mode`
    (shared with `take_along_axis`)."""
    if not is_tracer(idx):
        a = np.asarray(idx)
        if a.dtype.kind not in "iu":
            if a.size == 0:
                a = a.astype(np.int64)
            else:
                raise IndexError(f"{fn}: indices must be integers, got {a.dtype}")
        if mode in (None, "raise"):
            if a.size and (a.min() < -n or a.max() >= n):
                bad = a[(a < -n) | (a >= n)].flat[0]
                raise IndexError(f"index {bad} is out of bounds for axis with size {n}")
            return np.where(a < 0, a + n, a).astype(np.int64), None
        if mode == "clip":
            return np.clip(a, 0, max(n - 1, 0)).astype(np.int64), None
        if mode == "wrap":
            return np.mod(a, n).astype(np.int64), None
        if mode == "fill":
            ok = (a >= -n) & (a < n)
            return np.where(a < 0, a + n, a).astype(np.int64), ok
        raise ValueError(f"{fn}: unknown mode {mode!r}")
    d = dtype_of(idx)
    if not d.is_integer:
        raise IndexError(f"{fn}: indices must be integers, got {d}")
    zero, nn = lax.full_like(idx, 0), lax.full_like(idx, n)
    if mode == "clip":
        return idx, None
    if mode == "wrap":
        return remainder(idx, n), None
    ok = None
    if mode == "fill":
        ok = lax.bitwise_and(lax.ge(idx, lax.neg(nn)) if d.kind == "i" else lax.ge(idx, zero),
                             lax.lt(idx, nn))
    if d.kind == "i":
        idx = lax.select(lax.lt(idx, zero), lax.add(idx, nn), idx)
    return idx, ok


def fill_default(d: fnx_ir.DType):
    """What `mode='fill'` puts where an index was out of range: NaN, True, or INT_MIN/UINT_MAX."""
    if d.is_float:
        return np.nan
    if d.is_bool:
        return True
    info = np.iinfo(d.np)
    return info.min if d.kind == "i" else info.max


def take(a: ArrayLike, indices: ArrayLike, axis: Axis = None, out: None = None,
         mode: str | None = None, unique_indices: bool = False, indices_are_sorted: bool = False,
         fill_value: ArrayLike | None = None) -> Array:
    """`numpy.take`. mode: None/'raise' (concrete indices are checked; traced ones clamp),
    'clip', 'wrap', or 'fill' (out-of-range gives `fill_value`, default NaN / INT_MIN...)."""
    if out is not None:
        raise NotImplementedError("fnx.numpy.take: out= is not supported")
    x = ensure_array(a)
    x, ax = flat_or_axis(x, axis)
    t = type_of(x)
    n = t.shape[ax]
    idx = asarray_or_tracer(indices)
    if not is_tracer(idx):
        idx = np.asarray(idx)
    idx, ok = wrap_indices(idx, n, mode, "take")
    ni = type_of(idx).ndim
    if n == 0:
        if type_of(idx).size:
            raise IndexError("cannot do a non-empty take from an empty axes.")
    g = lax.gather(x, [idx], (ax,))
    if ok is not None:
        fv = fill_default(t.dtype) if fill_value is None else fill_value
        okb = lax.broadcast_in_dim(ok, shape_of(g), tuple(range(ni)))
        g = lax.select(okb, g, lax.full_like(g, fv))
    perm = list(range(ni, ni + ax)) + list(range(ni)) + list(range(ni + ax, ni + t.ndim - 1))
    return finish(lax.transpose(g, perm), a)
