"""Reductions of `fnx.numpy`: sum, mean, var, max, argmax, any, cumsum, ...

Result dtypes are JAX's: sums and products of bool and signed integers accumulate in the
default integer (int32, or int64 with x64 on), of unsigned ones in the default unsigned
(uint32, or uint64 with x64 on); means of integers are JAX's inexact dtype (float32 for int32).
"""
from __future__ import annotations

import builtins
import math

import numpy as np

import fnx_ir

from .. import lax
from .._core.trace import type_of
from .._core.dtypes import canonical, default_int
from ._base import (Array, ArrayLike, flat_or_axis, Axis, DTypeLike, canonical_dtype,
                    float_dtype_for, convert, dtype_of, ensure_array, finish, normalize_axes,
                    normalize_axis, broadcast_to, broadcast_shapes, type_error)
from ._elementwise import divide, multiply, subtract

__all__ = ["sum", "prod", "product", "mean", "average", "var", "std", "max", "min", "amax",
           "amin", "ptp", "argmax", "argmin", "any", "all", "cumsum", "cumprod",
           "cumulative_sum", "cumulative_prod", "count_nonzero", "nansum", "nanprod", "nanmax",
           "nanmin", "nanmean", "nanvar", "nanstd", "nanargmax", "nanargmin", "nancumsum",
           "nancumprod", "alltrue", "sometrue"]


def _keepdims(out, x_shape, axes, keepdims):
    if not keepdims:
        return out
    return lax.reshape(out, tuple(1 if i in axes else d for i, d in enumerate(x_shape)))


def _acc_dtype(dtype: fnx_ir.DType, cumulative: bool = False) -> fnx_ir.DType:
    """JAX sums/products integers in at least the default (unsigned) integer; cumulative ones
    keep integer dtypes (bool: the default integer)."""
    if dtype.is_bool:
        return default_int()
    if cumulative or not dtype.is_integer:
        return dtype
    wide = default_int() if dtype.kind == "i" else canonical(fnx_ir.uint64)
    return wide if wide.itemsize > dtype.itemsize else dtype


def _where_fill(x, where, fill):
    """`x` with the elements where `where` is False replaced by `fill`."""
    if where is None:
        return x
    w = ensure_array(where)
    shape = type_of(x).shape
    broadcast_shapes(type_of(w).shape, shape, what="where= of a reduction", xs=(w, x))
    w = broadcast_to(convert(w, fnx_ir.bool_), shape)
    return lax.select(w, x, lax.full_like(x, fill))


def _reduce(prim, x, axes, keepdims, shape):
    return _keepdims(prim(x, axes), shape, axes, keepdims)


def _accumulate(name: str, reduce, combine, identity: int, a, axis, dtype, out, keepdims,
                initial, where):
    """The body of `sum` and `prod`: `reduce` in the accumulation dtype, then `initial`."""
    _no_out(out, name)
    x = ensure_array(a)
    t = type_of(x)
    axes = normalize_axes(axis, t.ndim)
    d = canonical_dtype(dtype, name) or _acc_dtype(t.dtype)
    x = _where_fill(convert(x, d), where, identity)
    res = _reduce(reduce, x, axes, keepdims, t.shape)
    if initial is not None:
        res = combine(res, lax.full_like(res, initial))
    return finish(res, a)


def sum(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
        keepdims: bool = False, initial: ArrayLike | None = None,
        where: ArrayLike | None = None) -> Array:
    """As `numpy.sum`; bool and int32 accumulate in the default integer, uint32 stays uint32."""
    return _accumulate("sum", lax.reduce_sum, lax.add, 0, a, axis, dtype, out, keepdims,
                       initial, where)


def prod(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
         keepdims: bool = False, initial: ArrayLike | None = None,
         where: ArrayLike | None = None) -> Array:
    """As `numpy.prod`; bool and int32 accumulate in the default integer, uint32 stays uint32."""
    return _accumulate("prod", lax.reduce_prod, lax.mul, 1, a, axis, dtype, out, keepdims,
                       initial, where)


product = prod


def _count(t, axes, where, dtype):
    """The number of elements each output averages over (a scalar, or an array with where=)."""
    if where is None:
        return math.prod(t.shape[i] for i in axes)
    w = broadcast_to(convert(ensure_array(where), fnx_ir.bool_), t.shape)
    return lax.reduce_sum(lax.convert_element_type(w, dtype), axes)


def _mean_dtype(t, dtype):
    if dtype is not None:
        return canonical_dtype(dtype, "mean")
    return float_dtype_for(t.dtype)


def mean(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
         keepdims: bool = False, *, where: ArrayLike | None = None) -> Array:
    """`numpy.mean` (integers and bool average in JAX's inexact dtype: float32 for int32)."""
    _no_out(out, "mean")
    x = ensure_array(a)
    t = type_of(x)
    axes = normalize_axes(axis, t.ndim)
    d = _mean_dtype(t, dtype)
    total = lax.reduce_sum(_where_fill(convert(x, d), where, 0), axes)
    count = _count(t, axes, where, d)
    if isinstance(count, int):
        count = lax.full_like(total, count)
    return finish(_keepdims(lax.div(total, count), t.shape, axes, keepdims))


def average(a: ArrayLike, axis: Axis = None, weights: ArrayLike | None = None,
            returned: bool = False, keepdims: bool = False) -> Array | tuple[Array, Array]:
    """`numpy.average`: the (weighted) mean."""
    if weights is None:
        avg = mean(a, axis, keepdims=keepdims)
        if returned:
            x = ensure_array(a)
            n = math.prod(type_of(x).shape[i] for i in normalize_axes(axis, type_of(x).ndim))
            return avg, lax.full_like(avg, n)
        return avg
    x, w = ensure_array(a), ensure_array(weights)
    tx, tw = type_of(x), type_of(w)
    if tx.shape != tw.shape:
        if axis is None or tw.ndim != 1 or tw.shape[0] != tx.shape[normalize_axis(axis, tx.ndim)]:
            raise type_error("average", "weights must have the array's shape, or be 1-d along "
                             "axis", x, w, shape=True)
        ax = normalize_axis(axis, tx.ndim)
        w = lax.broadcast_in_dim(w, tx.shape, (ax,))
    num = sum(multiply(x, w), axis, keepdims=keepdims)
    den = sum(lax.convert_element_type(w, dtype_of(num)) if dtype_of(w) is not dtype_of(num)
              else w, axis, keepdims=keepdims)
    avg = divide(num, den)
    if returned:
        return avg, lax.convert_element_type(den, dtype_of(avg))
    return avg


def var(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
        ddof: int = 0, keepdims: bool = False, *, where: ArrayLike | None = None,
        correction: int | None = None) -> Array:
    """`numpy.var`: `mean(abs(x - x.mean())**2)` over `count - ddof` (integers in JAX's inexact dtype)."""
    _no_out(out, "var")
    if correction is not None:
        ddof = correction
    x = ensure_array(a)
    t = type_of(x)
    axes = normalize_axes(axis, t.ndim)
    d = _mean_dtype(t, dtype)
    xc = convert(x, d)
    total = lax.reduce_sum(_where_fill(xc, where, 0), axes)
    count = _count(t, axes, where, d)
    cnt = lax.full_like(total, count) if isinstance(count, int) else count
    m = lax.div(total, cnt)
    m = lax.broadcast_in_dim(m, t.shape, tuple(i for i in range(t.ndim) if i not in axes))
    dev = _where_fill(lax.sub(xc, m), where, 0)  # before squaring: masked NaNs get 0 cotangents
    sq = lax.mul(dev, dev)
    ss = lax.reduce_sum(sq, axes)
    if isinstance(count, int):
        denom = lax.full_like(ss, builtins.max(count - ddof, 0))
    else:
        denom = lax.max(lax.sub(count, lax.full_like(count, ddof)), lax.zeros_like(count))
    return finish(_keepdims(lax.div(ss, denom), t.shape, axes, keepdims))


def std(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
        ddof: int = 0, keepdims: bool = False, *, where: ArrayLike | None = None,
        correction: int | None = None) -> Array:
    """`numpy.std`: `sqrt(var(...))`."""
    return lax.sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, correction=correction))


def _extreme(name: str, prim, combine, identity_name: str, a, axis, out, keepdims, initial,
             where):
    """The body of `max` and `min`: no identity, so empty or masked needs `initial`."""
    _no_out(out, name)
    x = ensure_array(a)
    t = type_of(x)
    axes = normalize_axes(axis, t.ndim)
    if where is not None and initial is None:
        raise ValueError(f"reduction operation '{identity_name}' does not have an identity, "
                         "so to use a where mask one has to specify 'initial'")
    if initial is None and builtins.any(t.shape[i] == 0 for i in axes):
        raise ValueError(f"zero-size array to reduction operation {identity_name} which has "
                         "no identity")
    if initial is not None:
        x = _where_fill(x, where, initial)
    res = _reduce(prim, x, axes, keepdims, t.shape)
    if initial is not None:
        res = combine(res, lax.full_like(res, initial))
    return finish(res, a)


def max(a: ArrayLike, axis: Axis = None, out: None = None, keepdims: bool = False,
        initial: ArrayLike | None = None, where: ArrayLike | None = None) -> Array:
    """As `numpy.max`; NaN propagates."""
    return _extreme("max", lax.reduce_max, lax.max, "maximum", a, axis, out, keepdims, initial,
                    where)


def min(a: ArrayLike, axis: Axis = None, out: None = None, keepdims: bool = False,
        initial: ArrayLike | None = None, where: ArrayLike | None = None) -> Array:
    """As `numpy.min`; NaN propagates."""
    return _extreme("min", lax.reduce_min, lax.min, "minimum", a, axis, out, keepdims, initial,
                    where)


amax, amin = max, min


def ptp(a: ArrayLike, axis: Axis = None, out: None = None, keepdims: bool = False) -> Array:
    """`max - min` along `axis`."""
    return subtract(max(a, axis, keepdims=keepdims), min(a, axis, keepdims=keepdims))


def _arg(name: str, prim, a, axis, out, keepdims):
    """The body of `argmax` and `argmin`."""
    _no_out(out, name)
    x = ensure_array(a)
    t = type_of(x)
    x, ax = flat_or_axis(x, axis)
    if type_of(x).shape[ax] == 0:
        raise ValueError(f"attempt to get {name} of an empty sequence")
    if type_of(x).ndim == 0:
        x = lax.reshape(x, (1,))
    res = prim(x, ax, default_int())
    if keepdims:
        res = lax.reshape(res, (1,) * t.ndim if axis is None else
                          tuple(1 if i == ax else d for i, d in enumerate(t.shape)))
    return finish(res)


def argmax(a: ArrayLike, axis: int | None = None, out: None = None,
           keepdims: bool = False) -> Array:
    """As `numpy.argmax`: the first index of the largest (a NaN counts as largest)."""
    return _arg("argmax", lax.argmax, a, axis, out, keepdims)


def argmin(a: ArrayLike, axis: int | None = None, out: None = None,
           keepdims: bool = False) -> Array:
    """As `numpy.argmin`: the first index of the smallest (a NaN counts as smallest)."""
    return _arg("argmin", lax.argmin, a, axis, out, keepdims)


def _bool_reduce(name: str, prim, a, axis, out, keepdims, where):
    """The body of `any` and `all`."""
    _no_out(out, name)
    x = ensure_array(a)
    t = type_of(x)
    axes = normalize_axes(axis, t.ndim)
    b = convert(x, fnx_ir.bool_) if not t.dtype.is_bool else x
    b = _where_fill(b, where, name == "all")
    return finish(_reduce(prim, b, axes, keepdims, t.shape), a)


def any(a: ArrayLike, axis: Axis = None, out: None = None, keepdims: bool = False, *,
        where: ArrayLike | None = None) -> Array:
    """As `numpy.any`."""
    return _bool_reduce("any", lax.reduce_or, a, axis, out, keepdims, where)


def all(a: ArrayLike, axis: Axis = None, out: None = None, keepdims: bool = False, *,
        where: ArrayLike | None = None) -> Array:
    """As `numpy.all`."""
    return _bool_reduce("all", lax.reduce_and, a, axis, out, keepdims, where)


sometrue, alltrue = any, all


def count_nonzero(a: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Array:
    """The number of non-zero elements (of the default integer dtype)."""
    x = ensure_array(a)
    b = convert(x, fnx_ir.bool_)
    return sum(b, axis, dtype=default_int(), keepdims=keepdims)


def _cumulative(name: str, prim, a, axis, dtype, out):
    """The body of `cumsum` and `cumprod`."""
    _no_out(out, name)
    x = ensure_array(a)
    t = type_of(x)
    x, ax = flat_or_axis(x, axis)
    d = canonical_dtype(dtype, name) or _acc_dtype(t.dtype, cumulative=True)
    x = convert(x, d)
    if type_of(x).ndim == 0:
        x = lax.reshape(x, (1,))
    return finish(prim(x, ax), a)


def cumsum(a: ArrayLike, axis: int | None = None, dtype: DTypeLike | None = None,
           out: None = None) -> Array:
    """As `numpy.cumsum`: an inclusive scan; axis=None scans the flattened array."""
    return _cumulative("cumsum", lax.cumsum, a, axis, dtype, out)


def cumprod(a: ArrayLike, axis: int | None = None, dtype: DTypeLike | None = None,
            out: None = None) -> Array:
    """As `numpy.cumprod`: an inclusive scan; axis=None scans the flattened array."""
    return _cumulative("cumprod", lax.cumprod, a, axis, dtype, out)


def _cumulative_api(name: str, base, identity: int, x, axis, dtype, include_initial):
    """The body of the array API scans: `base`, then the identity prepended on request."""
    arr = ensure_array(x)
    t = type_of(arr)
    if axis is None:
        if t.ndim > 1:
            raise ValueError(f"{name}: axis must be given for arrays of more than one dimension")
        axis = 0
    res = base(arr, axis, dtype)
    if include_initial:
        ax = normalize_axis(axis, type_of(res).ndim)
        cfg = [(0, 0, 0)] * type_of(res).ndim
        cfg[ax] = (1, 0, 0)
        res = lax.pad(res, fnx_ir.literal(identity, dtype_of(res)), cfg)
    return res


def cumulative_sum(x: ArrayLike, /, *, axis: int | None = None, dtype: DTypeLike | None = None,
                   include_initial: bool = False) -> Array:
    """As `numpy.cumulative_sum` (the array API scan; `include_initial` prepends 0)."""
    return _cumulative_api("cumulative_sum", cumsum, 0, x, axis, dtype, include_initial)


def cumulative_prod(x: ArrayLike, /, *, axis: int | None = None, dtype: DTypeLike | None = None,
                    include_initial: bool = False) -> Array:
    """As `numpy.cumulative_prod` (the array API scan; `include_initial` prepends 1)."""
    return _cumulative_api("cumulative_prod", cumprod, 1, x, axis, dtype, include_initial)


# ------------------------------------------------------------------ NaN-ignoring variants

def _nan_replaced(a, value):
    x = ensure_array(a)
    if not dtype_of(x).is_float:
        return x
    return lax.select(lax.ne(x, x), lax.full_like(x, value), x)


def nansum(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
           keepdims: bool = False, initial: ArrayLike | None = None,
           where: ArrayLike | None = None) -> Array:
    """`numpy.nansum`: NaNs count as zero."""
    return sum(_nan_replaced(a, 0), axis, dtype, out, keepdims, initial, where)


def nanprod(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
            keepdims: bool = False, initial: ArrayLike | None = None,
            where: ArrayLike | None = None) -> Array:
    """`numpy.nanprod`: NaNs count as one."""
    return prod(_nan_replaced(a, 1), axis, dtype, out, keepdims, initial, where)


def _nan_extreme(base, fill, a, axis, out, keepdims, initial, where):
    """The body of `nanmax` and `nanmin`: NaNs become `fill`; an all-NaN slice gives NaN."""
    x = ensure_array(a)
    if not dtype_of(x).is_float:
        return base(x, axis, out, keepdims, initial, where)
    res = base(_nan_replaced(x, fill), axis, out, keepdims, initial, where)
    nan = lax.ne(x, x)
    all_nan = all(nan, axis, keepdims=keepdims)
    return lax.select(all_nan, lax.full_like(res, np.nan), res)


def nanmax(a: ArrayLike, axis: Axis = None, out: None = None, keepdims: bool = False,
           initial: ArrayLike | None = None, where: ArrayLike | None = None) -> Array:
    """As `numpy.nanmax`: ignores NaN (an all-NaN slice gives NaN)."""
    return _nan_extreme(max, -np.inf, a, axis, out, keepdims, initial, where)


def nanmin(a: ArrayLike, axis: Axis = None, out: None = None, keepdims: bool = False,
           initial: ArrayLike | None = None, where: ArrayLike | None = None) -> Array:
    """As `numpy.nanmin`: ignores NaN (an all-NaN slice gives NaN)."""
    return _nan_extreme(min, np.inf, a, axis, out, keepdims, initial, where)


def nanmean(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
            keepdims: bool = False, where: ArrayLike | None = None) -> Array:
    """`numpy.nanmean`: the mean of the non-NaN elements."""
    x = ensure_array(a)
    if not dtype_of(x).is_float:
        return mean(x, axis, dtype, out, keepdims, where=where)
    keep = lax.eq(x, x)
    if where is not None:
        keep = lax.bitwise_and(keep, broadcast_to(convert(ensure_array(where), fnx_ir.bool_),
                                                  type_of(x).shape))
    return mean(x, axis, dtype, out, keepdims, where=keep)


def nanvar(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
           ddof: int = 0, keepdims: bool = False, *, where: ArrayLike | None = None) -> Array:
    """`numpy.nanvar`."""
    x = ensure_array(a)
    if not dtype_of(x).is_float:
        return var(x, axis, dtype, out, ddof, keepdims, where=where)
    keep = lax.eq(x, x)
    if where is not None:
        keep = lax.bitwise_and(keep, broadcast_to(convert(ensure_array(where), fnx_ir.bool_),
                                                  type_of(x).shape))
    return var(x, axis, dtype, out, ddof, keepdims, where=keep)


def nanstd(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
           ddof: int = 0, keepdims: bool = False, *, where: ArrayLike | None = None) -> Array:
    """`numpy.nanstd`."""
    return lax.sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where=where))


def nanargmax(a: ArrayLike, axis: int | None = None, out: None = None,
              keepdims: bool = False) -> Array:
    """`numpy.nanargmax` (an all-NaN slice gives index 0 here; numpy raises)."""
    return argmax(_nan_replaced(a, -np.inf), axis, keepdims=keepdims)


def nanargmin(a: ArrayLike, axis: int | None = None, out: None = None,
              keepdims: bool = False) -> Array:
    """`numpy.nanargmin` (an all-NaN slice gives index 0 here; numpy raises)."""
    return argmin(_nan_replaced(a, np.inf), axis, keepdims=keepdims)


def nancumsum(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None,
              out: None = None) -> Array:
    """As `numpy.nancumsum`: NaNs count as zero."""
    return cumsum(_nan_replaced(a, 0), axis, dtype, out)


def nancumprod(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None,
               out: None = None) -> Array:
    """As `numpy.nancumprod`: NaNs count as one."""
    return cumprod(_nan_replaced(a, 1), axis, dtype, out)


def _no_out(out, name):
    if out is not None:
        raise NotImplementedError(f"fnx.numpy.{name}: out= is not supported (arrays are immutable)")
