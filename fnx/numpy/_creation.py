"""Array creation in `fnx.numpy`: array/asarray, zeros/ones/full, arange, linspace, eye, tri...

Default dtypes are JAX's: float32/int32, or float64/int64 with the x64 switch on; an
explicit 64-bit `dtype=` with x64 off narrows with JAX's warning. Inside a traced
function these record primitives (`iota`, `broadcast_in_dim` of a literal) rather than
embedding large constants.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

import fnx_ir

from .. import lax
from .._core.array import Array, as_array
from .._core.dtypes import canonical_array, default_float, default_int, python_scalar_type
from .._core.trace import eager_value, type_of
from ._base import (ArrayLike, asarray_or_tracer, canonical_dtype, convert, dtype_of, DTypeLike,
                    ensure_array, finish, _flat, is_python_scalar, is_tracer, result_dtype,
                    shape_of, static_int, tracing)
from ._elementwise import add, divide, floor, multiply, power, subtract
from ._shape import broadcast_to, moveaxis

__all__ = ["array", "asarray", "asanyarray", "ascontiguousarray", "copy", "zeros", "ones",
           "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like", "arange",
           "linspace", "logspace", "geomspace", "eye", "identity", "tri", "tril", "triu",
           "meshgrid", "indices", "fromfunction", "astype"]


def _shape(shape) -> tuple[int, ...]:
    if isinstance(shape, (tuple, list)):
        shape = tuple(static_int(d, "shape") for d in shape)
    else:
        shape = (static_int(shape, "shape"),)
    if any(d < 0 for d in shape):
        raise ValueError(f"negative dimensions are not allowed: {shape}")
    return shape


def _np_dtype_check(arr: np.ndarray) -> Array:
    """A numpy result as what fnx.numpy returns eagerly (an `fnx.Array` of an fnx dtype)."""
    arr = canonical_array(arr)
    fnx_ir.dtype(arr.dtype)  # raises a clear TypeError for unsupported dtypes
    return as_array(arr)


def asarray(a: ArrayLike, dtype: DTypeLike | None = None, order: str | None = None, *,
            copy: bool | None = None) -> Array:
    """`numpy.asarray`: traced values are converted; anything else goes through numpy to an
    `fnx.Array` (sharing the data of a numpy array when no copy is needed, as numpy does; a
    Python scalar gives a weakly typed 0-d array, as JAX)."""
    return _asarray(a, dtype, copy, "asarray")


def _asarray(a, dtype, copy, fn: str):
    d = canonical_dtype(dtype, fn)
    if is_python_scalar(a) and d is None:
        return eager_value(a, python_scalar_type(a))
    if is_tracer(a) or (isinstance(a, (list, tuple)) and any(is_tracer(e) for e in _flat(a))):
        x = asarray_or_tracer(a)
        return convert(x, d) if d is not None else x
    if a.__class__ is Array and not copy and (d is None or a.dtype == d.np):
        return a
    if isinstance(a, fnx_ir.Literal):
        a = a.value
    arr = np.asarray(a, copy=copy) if d is None else fnx_ir.cast(a, d, copy=copy)
    return _np_dtype_check(arr)


def asanyarray(a: ArrayLike, dtype: DTypeLike | None = None, order: str | None = None) -> Array:
    """As `numpy.asanyarray`: `asarray` (fnx has no array subclasses)."""
    return asarray(a, dtype, order)


def ascontiguousarray(a: ArrayLike, dtype: DTypeLike | None = None) -> Array:
    """As `numpy.ascontiguousarray`: `asarray` (fnx arrays are always C-contiguous)."""
    return asarray(a, dtype)


def array(object: Any, dtype: DTypeLike | None = None, copy: bool = True, order: str = "K",
          ndmin: int = 0) -> Array:
    """`numpy.array` (always a new array eagerly)."""
    x = _asarray(object, dtype, None, "array")
    if copy and isinstance(object, np.ndarray) and np.may_share_memory(x, object):
        x = as_array(np.array(x))
    nd = type_of(x).ndim
    if ndmin > nd:
        x = lax.reshape(x, (1,) * (ndmin - nd) + shape_of(x))
    return x


def astype(x: ArrayLike, dtype: DTypeLike, /, *, copy: bool = True) -> Array:
    """`x.astype(dtype)` as a function (numpy 2 / array API)."""
    a = ensure_array(x)
    d = canonical_dtype(dtype, "astype")
    out = lax.convert_element_type(a, d)  # strong, as JAX's astype
    return finish(out, x) if copy else out


def copy(a: ArrayLike, order: str = "K") -> Array:
    """A copy (eagerly a new numpy array; traced values are immutable, so themselves)."""
    x = ensure_array(a)
    return as_array(np.array(x)) if isinstance(x, np.ndarray) else x


def full(shape: int | Sequence[int], fill_value: ArrayLike,
         dtype: DTypeLike | None = None) -> Array:
    """`numpy.full` (dtype defaults to that of `fill_value`, as numpy)."""
    shape = _shape(shape)
    v = asarray_or_tracer(fill_value)
    if dtype is None:
        d = dtype_of(v)
    else:
        d = canonical_dtype(dtype, "full")
    if is_python_scalar(v) or (not is_tracer(v) and np.ndim(v) == 0):
        val = v if is_python_scalar(v) else np.asarray(v)[()]
        return finish(lax.full(shape, val, d))
    return broadcast_to(convert(v, d), shape)


def zeros(shape: int | Sequence[int], dtype: DTypeLike | None = None) -> Array:
    """`numpy.zeros` (float32 by default; float64 with x64 on)."""
    return full(shape, 0, canonical_dtype(dtype, "zeros") or default_float())


def ones(shape: int | Sequence[int], dtype: DTypeLike | None = None) -> Array:
    """`numpy.ones` (float32 by default; float64 with x64 on)."""
    return full(shape, 1, canonical_dtype(dtype, "ones") or default_float())


def empty(shape: int | Sequence[int], dtype: DTypeLike | None = None) -> Array:
    """`numpy.empty`: zeros here (no uninitialised memory)."""
    return zeros(shape, dtype)


def _like(a, dtype, shape):
    x = ensure_array(a)
    d = canonical_dtype(dtype) or dtype_of(x)
    s = shape_of(x) if shape is None else _shape(shape)
    return s, d


def full_like(a: ArrayLike, fill_value: ArrayLike, dtype: DTypeLike | None = None,
              shape: int | Sequence[int] | None = None) -> Array:
    """As `numpy.full_like`; `shape=` overrides the shape, as in JAX."""
    s, d = _like(a, dtype, shape)
    return full(s, fill_value, d)


def zeros_like(a: ArrayLike, dtype: DTypeLike | None = None,
               shape: int | Sequence[int] | None = None) -> Array:
    """As `numpy.zeros_like`; `shape=` overrides the shape, as in JAX."""
    s, d = _like(a, dtype, shape)
    return full(s, 0, d)


def ones_like(a: ArrayLike, dtype: DTypeLike | None = None,
              shape: int | Sequence[int] | None = None) -> Array:
    """As `numpy.ones_like`; `shape=` overrides the shape, as in JAX."""
    s, d = _like(a, dtype, shape)
    return full(s, 1, d)


def empty_like(a: ArrayLike, dtype: DTypeLike | None = None,
               shape: int | Sequence[int] | None = None) -> Array:
    """As `jax.numpy.empty_like`: zeros (fnx never returns uninitialised memory)."""
    return zeros_like(a, dtype, shape)


# --------------------------------------------------------------------------- ranges

def _static_number(x, what):
    if is_tracer(x):
        x.concrete(f"fnx.numpy.{what} with a traced bound")
        x = x.val
    return x


def arange(start: ArrayLike, stop: ArrayLike | None = None, step: ArrayLike | None = None,
           dtype: DTypeLike | None = None) -> Array:
    """`numpy.arange` (static bounds: the length must be known)."""
    start, stop, step = (_static_number(v, "arange") for v in (start, stop, step))
    d = canonical_dtype(dtype, "arange")
    ref = np.arange(start, stop, step, dtype=None if d is None else d.np)
    ref = _np_dtype_check(ref)
    if not tracing() or ref.size < 2:
        return ref
    n = ref.size
    dt = fnx_ir.dtype(ref.dtype)
    first, delta = ref[0], ref[1] - ref[0]
    out = lax.iota(dt, (n,)) if dt.kind in "iuf" else None
    if out is None:
        return ref
    if delta != 1:
        out = lax.mul(out, lax.full((n,), delta, dt))
    if first != 0:
        out = lax.add(out, lax.full((n,), first, dt))
    return out


def linspace(start: ArrayLike, stop: ArrayLike, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: DTypeLike | None = None,
             axis: int = 0) -> Array | tuple[Array, Array]:
    """`numpy.linspace` (traced `start`/`stop` work; `num` is static)."""
    num = static_int(num, "num")
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    d = canonical_dtype(dtype, "linspace")
    if not (is_tracer(start) or is_tracer(stop)):
        res = np.linspace(np.asarray(start), np.asarray(stop), num, endpoint, retstep,
                          None if d is None else d.np, axis)
        if retstep:
            return _np_dtype_check(np.asarray(res[0])), _np_dtype_check(np.asarray(res[1]))
        return _np_dtype_check(np.asarray(res))
    s, e = ensure_array(start), ensure_array(stop)
    dt = result_dtype(s, e, float(num))
    div = (num - 1) if endpoint else num
    s, e = convert(s, dt), convert(e, dt)
    delta = subtract(e, s)
    nd = max(type_of(delta).ndim, type_of(s).ndim, type_of(e).ndim)
    y = lax.reshape(lax.iota(dt, (num,)), (num,) + (1,) * nd)
    if div > 0:
        step = divide(delta, div)
        y = multiply(y, step)
    else:
        step = np.nan
        y = multiply(y, delta)
    y = add(y, s)
    if endpoint and num > 1:
        last = lax.broadcast_to_rank_shape(e, (1,) + shape_of(y)[1:])
        head = lax.slice(y, (0,) * type_of(y).ndim, (num - 1,) + shape_of(y)[1:])
        y = lax.concatenate([head, convert(last, dtype_of(y))], 0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    out_d = d or dt
    if out_d.is_integer:
        y = floor(y)
    y = convert(y, out_d)
    return (y, step) if retstep else y


def logspace(start: ArrayLike, stop: ArrayLike, num: int = 50, endpoint: bool = True,
             base: ArrayLike = 10.0, dtype: DTypeLike | None = None, axis: int = 0) -> Array:
    """`numpy.logspace`."""
    if not (is_tracer(start) or is_tracer(stop) or is_tracer(base)):
        d = canonical_dtype(dtype, "logspace")
        return _np_dtype_check(np.logspace(start, stop, num, endpoint, base,
                                           None if d is None else d.np, axis))
    y = linspace(start, stop, num, endpoint, axis=axis)
    out = power(base, y)
    return convert(out, canonical_dtype(dtype, "logspace")) if dtype is not None else out


def geomspace(start: ArrayLike, stop: ArrayLike, num: int = 50, endpoint: bool = True,
              dtype: DTypeLike | None = None, axis: int = 0) -> Array:
    """`numpy.geomspace` (concrete bounds only)."""
    start, stop = _static_number(start, "geomspace"), _static_number(stop, "geomspace")
    d = canonical_dtype(dtype, "geomspace")
    return _np_dtype_check(np.geomspace(start, stop, num, endpoint, None if d is None else d.np,
                                        axis))


# --------------------------------------------------------------------------- matrices

def _tri_mask(n, m, k):
    """bool[n, m]: `j <= i + k`."""
    i = lax.iota(default_int(), (n, m), 0)
    j = lax.iota(default_int(), (n, m), 1)
    return lax.le(j, lax.add(i, lax.full((n, m), k, default_int())))


def eye(N: int, M: int | None = None, k: int = 0, dtype: DTypeLike | None = None) -> Array:
    """`numpy.eye`."""
    n = static_int(N, "N")
    m = n if M is None else static_int(M, "M")
    k = static_int(k, "k")
    d = canonical_dtype(dtype, "eye") or default_float()
    if n == 0 or m == 0:
        return as_array(np.zeros((n, m), d.np))
    i = lax.iota(default_int(), (n, m), 0)
    j = lax.iota(default_int(), (n, m), 1)
    mask = lax.eq(lax.add(i, lax.full((n, m), k, default_int())), j)
    return lax.convert_element_type(mask, d)


def identity(n: int, dtype: DTypeLike | None = None) -> Array:
    """`numpy.identity`."""
    return eye(n, dtype=dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype: DTypeLike | None = None) -> Array:
    """`numpy.tri`: ones at and below the `k`-th diagonal."""
    n = static_int(N, "N")
    m = n if M is None else static_int(M, "M")
    d = canonical_dtype(dtype, "tri") or default_float()
    if n == 0 or m == 0:
        return as_array(np.zeros((n, m), d.np))
    return lax.convert_element_type(_tri_mask(n, m, static_int(k, "k")), d)


def _tri_select(m, k, lower: bool):
    x = ensure_array(m)
    s = shape_of(x)
    if len(s) == 0:
        raise ValueError("tril/triu need an array of at least one dimension")
    if len(s) == 1:
        s = (s[0], s[0])
        x = lax.broadcast_to_rank_shape(x, s)
    n, mm = s[-2:]
    if n == 0 or mm == 0:
        return finish(x, m)
    mask = _tri_mask(n, mm, k if lower else k - 1)
    mask = lax.broadcast_to_rank_shape(mask, s)
    zero = lax.zeros_like(x)
    return lax.select(mask, x, zero) if lower else lax.select(mask, zero, x)


def tril(m: ArrayLike, k: int = 0) -> Array:
    """`numpy.tril`: zeros above the `k`-th diagonal."""
    return _tri_select(m, static_int(k, "k"), True)


def triu(m: ArrayLike, k: int = 0) -> Array:
    """`numpy.triu`: zeros below the `k`-th diagonal."""
    return _tri_select(m, static_int(k, "k"), False)


def meshgrid(*xi: ArrayLike, copy: bool = True, sparse: bool = False,
             indexing: str = "xy") -> tuple[Array, ...]:
    """`numpy.meshgrid` (a tuple)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    xs = [lax.reshape(ensure_array(x), (type_of(ensure_array(x)).size,)) for x in xi]
    nd = len(xs)
    shapes = [type_of(x).shape[0] for x in xs]
    if indexing == "xy" and nd > 1:
        shapes[0], shapes[1] = shapes[1], shapes[0]
    out = []
    for i, x in enumerate(xs):
        axis = i
        if indexing == "xy" and nd > 1 and i < 2:
            axis = 1 - i
        if sparse:
            s = [1] * nd
            s[axis] = type_of(x).shape[0]
            out.append(finish(lax.reshape(x, s), *xi))
        else:
            out.append(finish(lax.broadcast_in_dim(x, tuple(shapes), (axis,)), *xi))
    return tuple(out)


def indices(dimensions: Sequence[int], dtype: DTypeLike | None = None,
            sparse: bool = False) -> Array | tuple[Array, ...]:
    """`numpy.indices`."""
    dims = _shape(dimensions)
    d = canonical_dtype(dtype, "indices") or default_int()
    if sparse:
        out = []
        for i, n in enumerate(dims):
            s = [1] * len(dims)
            s[i] = n
            out.append(lax.reshape(lax.iota(d, (n,)), s) if n else as_array(np.zeros(s, d.np)))
        return tuple(out)
    if math.prod(dims) == 0 or not dims:
        return _np_dtype_check(np.indices(dims, dtype=d.np))
    return lax.concatenate([lax.expand_dims(lax.iota(d, dims, i), (0,))
                            for i in range(len(dims))], 0)


def fromfunction(function: Callable, shape: int | Sequence[int], *, dtype: DTypeLike = float,
                 **kwargs: Any) -> Any:
    """`numpy.fromfunction`: `function(*indices(shape, dtype))`."""
    return function(*indices(shape, dtype), **kwargs)
