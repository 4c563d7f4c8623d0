"""Sorting and order statistics in `fnx.numpy`: sort, argsort, lexsort, searchsorted, unique,
median, quantile, percentile. All lower to the stable `sort` primitive (NaN sorts last)."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

import fnx_ir

from .. import lax
from .._core.dtypes import default_int
from .._core import errors
from .._core.dtypes import promote
from .._core.trace import type_of
from ._base import (Array, ArrayLike, flat_or_axis, asarray_or_tracer, Axis, convert, dtype_of,
                    ensure_array, finish, float_dtype_for, is_python_scalar, is_tracer,
                    normalize_axes, normalize_axis, result_dtype, shape_of, static_int)
from ._elementwise import add, divide, floor, maximum, minimum, multiply, subtract
from ._indexing import take_along_axis, where
from ._take import take

__all__ = ["sort", "argsort", "lexsort", "partition", "argpartition", "searchsorted", "unique",
           "unique_values", "unique_counts", "median", "quantile", "percentile", "nanmedian",
           "msort"]


def sort(a: ArrayLike, axis: int | None = -1, kind: str | None = None, order: str | None = None, *,
         stable: bool = True, descending: bool = False) -> Array:
    """`numpy.sort` (stable; NaN last; `descending` as in JAX)."""
    if order is not None:
        raise NotImplementedError("fnx.numpy.sort: order= (structured arrays) is not supported")
    x, ax = flat_or_axis(ensure_array(a), axis)
    if type_of(x).ndim == 0:
        raise np.exceptions.AxisError("axis -1 is out of bounds for array of dimension 0")
    if descending:
        return lax.rev(lax.sort(lax.rev(x, (ax,)), ax), (ax,))
    return finish(lax.sort(x, ax), a)


def argsort(a: ArrayLike, axis: int | None = -1, kind: str | None = None, order: str | None = None,
            *, stable: bool = True, descending: bool = False) -> Array:
    """`numpy.argsort` (stable; indices of the default integer dtype)."""
    if order is not None:
        raise NotImplementedError("fnx.numpy.argsort: order= is not supported")
    x, ax = flat_or_axis(ensure_array(a), axis)
    t = type_of(x)
    if t.ndim == 0:
        raise np.exceptions.AxisError("axis -1 is out of bounds for array of dimension 0")
    n = t.shape[ax]
    iota = lax.iota(default_int(), t.shape, ax)
    if descending:
        _, idx = lax.sort([lax.rev(x, (ax,)), iota], ax, num_keys=1)
        return lax.rev(lax.sub(lax.full_like(idx, n - 1), idx), (ax,))
    return lax.sort([x, iota], ax, num_keys=1)[1]


def lexsort(keys: Sequence[ArrayLike], axis: int = -1) -> Array:
    """`numpy.lexsort`: sort by the last key, then the one before, ... (stable)."""
    ks = [ensure_array(k) for k in keys]
    if not ks:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    shape = shape_of(ks[0])
    ax = normalize_axis(axis, len(shape))
    iota = lax.iota(default_int(), shape, ax)
    return lax.sort(ks[::-1] + [iota], ax, num_keys=len(ks))[-1]


def partition(a: ArrayLike, kth: int, axis: int = -1) -> Array:
    """A valid `numpy.partition` result: here the fully sorted array (numpy leaves the
    order within each side unspecified)."""
    return sort(a, axis)


def argpartition(a: ArrayLike, kth: int, axis: int = -1) -> Array:
    """A valid `numpy.argpartition` result: the full argsort."""
    return argsort(a, axis)


def msort(a: ArrayLike) -> Array:
    """As the removed `numpy.msort`: `sort(a, axis=0)`."""
    return sort(a, 0)


# ----------------------------------------------------------------------------- searchsorted

def _lt_nan_last(x, y):
    """`x < y` in the order where NaN sorts last."""
    lt = lax.lt(x, y)
    if not dtype_of(x).is_float:
        return lt
    return lax.bitwise_or(lt, lax.bitwise_and(lax.ne(y, y), lax.eq(x, x)))


def searchsorted(a: ArrayLike, v: ArrayLike, side: str = "left",
                 sorter: ArrayLike | None = None, *, method: str | None = None) -> Array:
    """`numpy.searchsorted` on a sorted 1-d `a` (binary search, log2(n) gathers)."""
    arr = ensure_array(a)
    if type_of(arr).ndim != 1:
        raise ValueError("a must be 1-d")
    if sorter is not None:
        arr = take(arr, sorter)
    vals = ensure_array(asarray_or_tracer(v))
    d = result_dtype(arr, vals)
    arr, vals = convert(arr, d), convert(vals, d)
    n = type_of(arr).shape[0]
    vs = shape_of(vals)
    lo = lax.full(vs, 0, default_int())
    hi = lax.full(vs, n, default_int())
    if n == 0:
        return finish(lo)
    one = lax.full(vs, 1, default_int())
    for _ in range(n.bit_length()):
        active = lax.lt(lo, hi)
        mid = lax.shift_right_logical(lax.add(lo, hi), one)
        am = lax.gather(arr, [mid], (0,))
        go_right = _lt_nan_last(am, vals) if side == "left" else \
            lax.bitwise_not(_lt_nan_last(vals, am))
        lo = lax.select(lax.bitwise_and(active, go_right), lax.add(mid, one), lo)
        hi = lax.select(lax.bitwise_and(active, lax.bitwise_not(go_right)), mid, hi)
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return finish(lo)


# ----------------------------------------------------------------------------- unique

def unique(ar: ArrayLike, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: Axis = None, *, equal_nan: bool = True,
           size: int | None = None, fill_value: ArrayLike | None = None,
           sorted: bool = True) -> Array | tuple[Array, ...]:
    """`numpy.unique`. A traced input needs a static `size=` (JAX style): the first `size`
    sorted unique values, padded with `fill_value` (default: the smallest value)."""
    x = ensure_array(ar)
    if not is_tracer(x) and size is None:
        res = np.unique(x, return_index, return_inverse, return_counts, axis,
                        equal_nan=equal_nan)
        return tuple(map(finish, res)) if isinstance(res, tuple) else finish(res)
    if axis is not None:
        raise NotImplementedError("fnx.numpy.unique: axis= with a traced array is not supported")
    if size is None:
        raise errors.ConcretizationError(errors.at_source(
            "fnx.numpy.unique of a traced value has a data-dependent shape: pass a static size=n",
            errors.user_source()))
    size = static_int(size, "size")
    t = type_of(x)
    flat = lax.reshape(x, (t.size,))
    n = t.size
    s, perm = lax.sort([flat, lax.iota(default_int(), (n,))], 0, num_keys=1)
    if n == 0:
        raise ValueError("fnx.numpy.unique of an empty traced array")
    head = lax.slice(s, (1,), (n,))
    prev = lax.slice(s, (0,), (n - 1,))
    differ = lax.ne(head, prev)
    if dtype_of(s).is_float and equal_nan:
        differ = lax.bitwise_and(differ, lax.bitwise_not(lax.bitwise_and(
            lax.ne(head, head), lax.ne(prev, prev))))
    first = lax.concatenate([lax.full((1,), True, fnx_ir.bool_), differ], 0)
    rank = lax.sub(lax.cumsum(lax.convert_element_type(first, default_int()), 0),
                   lax.full((n,), 1, default_int()))
    target = lax.select(first, rank, lax.full((n,), size, default_int()))
    fv = lax.slice(s, (0,), (1,)) if fill_value is None else None
    init = lax.broadcast_in_dim(fv, (size,), (0,)) if fv is not None else \
        lax.full((size,), fill_value, t.dtype)
    values = lax.scatter(init, s, [target], (0,), mode="drop")
    out = [values]
    if return_index:
        out.append(lax.scatter(lax.full((size,), 0, default_int()), perm, [target], (0,),
                               mode="drop"))
    if return_inverse:
        inv = lax.scatter(lax.full((n,), 0, default_int()), rank, [perm], (0,), mode="drop")
        out.append(lax.reshape(inv, t.shape))
    if return_counts:
        out.append(lax.scatter_add(lax.full((size,), 0, default_int()),
                                   lax.full((n,), 1, default_int()), [rank], (0,), mode="drop"))
    return out[0] if len(out) == 1 else tuple(out)


def unique_values(x: ArrayLike, /, *, size: int | None = None,
                  fill_value: ArrayLike | None = None) -> Array:
    """As `numpy.unique_values` (traced input needs a static `size=`, as in JAX)."""
    return unique(x, size=size, fill_value=fill_value)


def unique_counts(x: ArrayLike, /, *, size: int | None = None,
                  fill_value: ArrayLike | None = None) -> tuple[Array, Array]:
    """As `numpy.unique_counts` (traced input needs a static `size=`, as in JAX)."""
    return unique(x, return_counts=True, size=size, fill_value=fill_value)


# ----------------------------------------------------------------------------- order stats

def _to_last(x, axis):
    """Move `axis` (None: all, or a tuple) to one trailing dim; returns (x, kept shape for
    keepdims, reduced axes)."""
    t = type_of(x)
    axes = normalize_axes(axis, t.ndim)
    keep = [i for i in range(t.ndim) if i not in axes]
    y = lax.transpose(x, keep + list(axes))
    n = math.prod(t.shape[i] for i in axes)
    y = lax.reshape(y, tuple(t.shape[i] for i in keep) + (n,))
    kd = tuple(1 if i in axes else d for i, d in enumerate(t.shape))
    return y, kd, n


def _take_last(s, i):
    """`s[..., i]` for a static i."""
    sh = shape_of(s)
    return lax.squeeze(lax.slice(s, (0,) * (len(sh) - 1) + (i,), sh[:-1] + (i + 1,)),
                       (len(sh) - 1,))


def _has_nan_last(s):
    """Whether each sorted row holds a NaN (NaN sorts last)."""
    last = _take_last(s, shape_of(s)[-1] - 1)
    return lax.ne(last, last)


def median(a: ArrayLike, axis: Axis = None, out: None = None, overwrite_input: bool = False,
           keepdims: bool = False) -> Array:
    """`numpy.median` (NaN anywhere in a slice gives NaN; integers give JAX's inexact dtype)."""
    x = ensure_array(a)
    y, kd, n = _to_last(x, axis)
    if n == 0:
        raise ValueError("fnx.numpy.median of an empty slice")
    d = float_dtype_for(dtype_of(x))
    s = convert(lax.sort(y, type_of(y).ndim - 1), d)
    if n % 2:
        res = _take_last(s, n // 2)
    else:
        res = divide(add(_take_last(s, n // 2 - 1), _take_last(s, n // 2)), 2)
        res = convert(res, d)
    if d.is_float:
        res = lax.select(_has_nan_last(s), lax.full_like(res, np.nan), res)
    return lax.reshape(res, kd) if keepdims else res


def nanmedian(a: ArrayLike, axis: Axis = None, out: None = None, overwrite_input: bool = False,
              keepdims: bool = False) -> Array:
    """`numpy.nanmedian`: the median of the non-NaN values (via nanquantile-style sorting)."""
    return nanquantile(a, 0.5, axis, keepdims=keepdims)


def _lerp(a, b, t):
    diff = subtract(b, a)
    lo = add(a, multiply(diff, t))
    hi = subtract(b, multiply(diff, subtract(1, t)))
    return where(lax.ge(t, lax.full_like(t, 0.5)) if not isinstance(t, float) else t >= 0.5,
                 hi, lo)


def quantile(a: ArrayLike, q: ArrayLike, axis: Axis = None, out: None = None,
             overwrite_input: bool = False, method: str = "linear", keepdims: bool = False, *,
             interpolation: str | None = None) -> Array:
    """`numpy.quantile` (methods linear, lower, higher, midpoint, nearest)."""
    return _quantile(a, q, axis, method if interpolation is None else interpolation, keepdims,
                     ignore_nan=False)


def nanquantile(a: ArrayLike, q: ArrayLike, axis: Axis = None, method: str = "linear",
                keepdims: bool = False) -> Array:
    """As `numpy.nanquantile`: NaNs are ignored."""
    return _quantile(a, q, axis, method, keepdims, ignore_nan=True)


def _quantile(a, q, axis, method, keepdims, ignore_nan):
    if method not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise NotImplementedError(f"fnx.numpy.quantile: method {method!r} is not supported")
    x = ensure_array(a)
    y, kd, n = _to_last(x, axis)
    d = float_dtype_for(dtype_of(x))
    qa = ensure_array(q)
    if not is_tracer(qa) and (np.any(np.asarray(qa) < 0) or np.any(np.asarray(qa) > 1)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    if is_python_scalar(q) and dtype_of(x).is_float:
        qd = dtype_of(x)  # numpy casts a Python q to the array's float dtype
    else:
        qd = float_dtype_for(dtype_of(qa))
    s = lax.sort(y, type_of(y).ndim - 1)
    rest = shape_of(s)[:-1]
    qshape = shape_of(qa)
    if ignore_nan and dtype_of(s).is_float:
        count = lax.reduce_sum(lax.convert_element_type(lax.eq(s, s), qd), (len(rest),))
        cnt = lax.broadcast_in_dim(count, qshape + rest, tuple(range(len(qshape), len(qshape) + len(rest))))
    else:
        cnt = lax.full(qshape + rest, n, qd)
    qb = lax.broadcast_in_dim(convert(qa, qd), qshape + rest, tuple(range(len(qshape))))
    virtual = multiply(qb, subtract(cnt, 1))
    prev = floor(virtual)
    hi_index = subtract(cnt, 1)
    if method == "lower":
        virtual = prev
    elif method == "higher":
        virtual = lax.ceil(virtual)
    elif method == "nearest":
        virtual = lax.round(virtual)
    prev = maximum(minimum(floor(virtual), hi_index), 0)
    nxt = maximum(minimum(add(prev, 1), hi_index), 0)
    gamma = subtract(virtual, floor(virtual))
    if method == "midpoint":
        gamma = where(lax.eq(gamma, lax.full_like(gamma, 0)), gamma, lax.full_like(gamma, 0.5))
    # gather: s has shape rest + (n,); indices have shape qshape + rest
    nq = len(qshape)
    sb = lax.broadcast_in_dim(s, qshape + rest + (n,), tuple(range(nq, nq + len(rest) + 1)))
    ip = lax.expand_dims(convert(prev, default_int()), (nq + len(rest),))
    inx = lax.expand_dims(convert(nxt, default_int()), (nq + len(rest),))
    last = nq + len(rest)
    pv = lax.squeeze(take_along_axis(sb, ip, last, mode="clip"), (last,))
    nv = lax.squeeze(take_along_axis(sb, inx, last, mode="clip"), (last,))
    if method in ("lower", "higher", "nearest"):
        res = pv  # an element itself: the array's dtype
    else:
        out_d = promote((d, False), (qd, False))[0]
        res = _lerp(convert(pv, out_d), convert(nv, out_d), convert(gamma, out_d))
    if dtype_of(s).is_float:
        has_nan = _has_nan_last(s)
        bad = lax.broadcast_in_dim(has_nan, qshape + rest, tuple(range(nq, nq + len(rest))))
        if ignore_nan:
            bad = lax.eq(cnt, lax.full_like(cnt, 0))
        res = lax.select(bad, lax.full_like(res, np.nan), res)
    if keepdims:
        res = lax.reshape(res, qshape + kd)
    return res


def percentile(a: ArrayLike, q: ArrayLike, axis: Axis = None, out: None = None,
               overwrite_input: bool = False, method: str = "linear", keepdims: bool = False, *,
               interpolation: str | None = None) -> Array:
    """`numpy.percentile`: `quantile(a, q / 100)`."""
    qq = divide(q, 100) if not is_python_scalar(q) else q / 100
    return quantile(a, qq, axis, out, overwrite_input, method, keepdims,
                    interpolation=interpolation)


def nanpercentile(a: ArrayLike, q: ArrayLike, axis: Axis = None, method: str = "linear",
                  keepdims: bool = False) -> Array:
    """As `numpy.nanpercentile`: NaNs are ignored."""
    qq = divide(q, 100) if not is_python_scalar(q) else q / 100
    return nanquantile(a, qq, axis, method, keepdims)


__all__ += ["nanquantile", "nanpercentile"]
