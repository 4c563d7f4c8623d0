"""The rest of `fnx.numpy`: comparisons of whole arrays (isclose, allclose, array_equal),
r_/c_, isin, interp, bincount, digitize, convolve, polyval, vander, trapezoid, ..."""
from __future__ import annotations

from typing import Any, Callable
import numpy as np

import fnx_ir

from .. import lax
from .._core.dtypes import default_int
from .._core.trace import type_of
from .._core.array import as_array
from . import _reductions
from ._base import (Array, ArrayLike, DTypeLike, asarray_or_tracer, convert, dtype_of,
                    ensure_array, float_dtype_for, is_python_scalar, is_tracer, operands,
                    result_dtype, shape_of, static_int)
from ._creation import arange, linspace, zeros_like
from ._dtypes import result_type
from ._elementwise import (absolute, add, clip, copysign, divide, exp2, isfinite, isnan, multiply,
                           power, subtract, trunc)
from ._logical import bitwise_and, bitwise_or, equal, greater, less, less_equal, logical_not
from ._indexing import _getitem, take, where
from ._linalg import dot
from ._shape import concatenate, diff, flip
from ._sorting import searchsorted

__all__ = ["isclose", "allclose", "array_equal", "array_equiv", "r_", "c_", "s_", "index_exp",
           "ix_", "isin", "interp", "bincount", "digitize", "convolve", "correlate", "polyval",
           "vander", "trapezoid", "tril_indices", "triu_indices", "diag_indices",
           "tril_indices_from", "triu_indices_from", "diag_indices_from", "modf", "ldexp",
           "pow", "mask_indices", "trim_zeros", "iterable", "gcd", "lcm"]

s_ = np.s_
index_exp = np.index_exp
iterable = np.iterable


def _concrete_bool(x):
    """A Python bool for a concrete result (as numpy returns), the traced value otherwise."""
    return bool(x) if not is_tracer(x) else x


def isclose(a: ArrayLike, b: ArrayLike, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Array:
    """`numpy.isclose`: `|a - b| <= atol + rtol * |b|` (and equal infinities)."""
    x = asarray_or_tracer(a)
    y = asarray_or_tracer(b)
    if not is_python_scalar(y):
        y = convert(y, fnx_ir.dtype(result_type(y, 1.0)))
    elif isinstance(y, int) and not isinstance(y, bool):
        y = float(y)
    close = less_equal(absolute(subtract(x, y)), add(atol, multiply(rtol, absolute(y))))
    res = bitwise_or(bitwise_and(close, isfinite(y)), equal(x, y))
    if equal_nan:
        res = bitwise_or(res, bitwise_and(isnan(x), isnan(y)))
    return res


def allclose(a: ArrayLike, b: ArrayLike, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool | Array:
    """`numpy.allclose` (a Python bool for concrete inputs)."""
    return _concrete_bool(_reductions.all(isclose(a, b, rtol, atol, equal_nan)))


def array_equal(a1: ArrayLike, a2: ArrayLike, equal_nan: bool = False) -> bool | Array:
    """`numpy.array_equal` (a Python bool for concrete inputs)."""
    x, y = ensure_array(a1), ensure_array(a2)
    if shape_of(x) != shape_of(y):
        return False
    eq = equal(x, y)
    if equal_nan:
        eq = bitwise_or(eq, bitwise_and(isnan(x), isnan(y)))
    return _concrete_bool(_reductions.all(eq))


def array_equiv(a1: ArrayLike, a2: ArrayLike) -> bool | Array:
    """`numpy.array_equiv`: equal after broadcasting."""
    x, y = ensure_array(a1), ensure_array(a2)
    try:
        np.broadcast_shapes(shape_of(x), shape_of(y))
    except ValueError:
        return False
    return _concrete_bool(_reductions.all(equal(x, y)))


# ----------------------------------------------------------------------------- r_ / c_

class _Concatenator:
    """`r_[...]` / `c_[...]` in their simple forms: arrays, scalars and slices (`a:b:c`,
    `a:b:nj` for linspace). String directives are not supported."""

    def __init__(self, axis: int, columns: bool):
        self.axis, self.columns = axis, columns

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        parts = []
        for item in key:
            if isinstance(item, str):
                raise NotImplementedError("fnx.numpy r_/c_: string directives are not supported")
            if isinstance(item, slice):
                start = 0 if item.start is None else item.start
                step = 1 if item.step is None else item.step
                if isinstance(step, complex):
                    x = linspace(start, item.stop, int(abs(step)))
                else:
                    x = arange(start, item.stop, step)
            else:
                x = ensure_array(item)
            if self.columns:
                nd = type_of(x).ndim
                if nd < 2:
                    x = lax.reshape(x, (type_of(x).size, 1) if nd == 1 else (1, 1))
            elif type_of(x).ndim == 0:
                x = lax.reshape(x, (1,))
            parts.append(x)
        return concatenate(parts, self.axis)

    def __len__(self):
        return 0


r_ = _Concatenator(0, False)
c_ = _Concatenator(-1, True)


def ix_(*args: ArrayLike) -> tuple[Array, ...]:
    """`numpy.ix_`: open-mesh index arrays."""
    out = []
    n = len(args)
    for k, a in enumerate(args):
        x = ensure_array(a)
        if type_of(x).ndim != 1:
            raise ValueError("Cross index must be 1 dimensional")
        if dtype_of(x).is_bool:
            if is_tracer(x):
                raise TypeError("fnx.numpy.ix_: a boolean index must be concrete")
            x = np.nonzero(x)[0]
        shape = [1] * n
        shape[k] = type_of(x).size
        out.append(lax.reshape(x, shape) if is_tracer(x) else np.asarray(x).reshape(shape))
    return tuple(out)


# ----------------------------------------------------------------------------- set-like

def isin(element: ArrayLike, test_elements: ArrayLike, assume_unique: bool = False,
         invert: bool = False, *, kind: str | None = None) -> Array:
    """`numpy.isin` by comparing against every test element (memory `size(a) * size(b)`)."""
    x = ensure_array(element)
    t = ensure_array(test_elements)
    flat = lax.reshape(t, (type_of(t).size,))
    nd = type_of(x).ndim
    eq = equal(lax.expand_dims(x, (nd,)), lax.reshape(flat, (1,) * nd + (type_of(t).size,)))
    res = _reductions.any(eq, axis=nd)
    return logical_not(res) if invert else res


# ----------------------------------------------------------------------------- binning

def digitize(x: ArrayLike, bins: ArrayLike, right: bool = False) -> Array:
    """`numpy.digitize` for monotonically increasing `bins`."""
    b = ensure_array(bins)
    if not is_tracer(b):
        arr = np.asarray(b)
        if arr.size > 1 and np.all(np.diff(arr) <= 0) and not np.all(np.diff(arr) == 0):
            n = arr.size
            return subtract(n, searchsorted(flip(b), x, side="left" if right else "right"))
    return searchsorted(b, x, side="left" if right else "right")


def bincount(x: ArrayLike, weights: ArrayLike | None = None, minlength: int = 0, *,
             length: int | None = None) -> Array:
    """`numpy.bincount`. A traced `x` needs a static `length=` (JAX style)."""
    a = ensure_array(x)
    if type_of(a).ndim != 1:
        raise ValueError("bincount: x must be 1-dimensional")
    if not dtype_of(a).is_integer and not dtype_of(a).is_bool:
        raise TypeError("bincount: x must be integers")
    if length is None:
        if is_tracer(a):
            raise TypeError("fnx.numpy.bincount of a traced value needs a static length=")
        arr = np.asarray(a)
        if arr.size and arr.min() < 0:
            raise ValueError("'list' argument must have no negative elements")
        length = max(int(arr.max()) + 1 if arr.size else 0, minlength)
    length = static_int(length, "length")
    if weights is None:
        w = lax.full(shape_of(a), 1, default_int())
        d = default_int()
    else:
        w = ensure_array(weights)
        d = float_dtype_for(dtype_of(w))
        w = convert(w, d)
    return lax.scatter_add(lax.full((length,), 0, d), w, [convert(a, default_int())], (0,),
                           mode="drop")


def interp(x: ArrayLike, xp: ArrayLike, fp: ArrayLike, left: ArrayLike | None = None,
           right: ArrayLike | None = None, period: ArrayLike | None = None) -> Array:
    """`numpy.interp`: piecewise-linear interpolation on increasing `xp`."""
    if period is not None:
        raise NotImplementedError("fnx.numpy.interp: period= is not supported")
    xs, xpa, fpa = ensure_array(x), ensure_array(xp), ensure_array(fp)
    d = float_dtype_for(result_dtype(xs, xpa, fpa))
    xs, xpa, fpa = convert(xs, d), convert(xpa, d), convert(fpa, d)
    n = type_of(xpa).shape[0]
    if n == 0:
        raise ValueError("array of sample points is empty")
    i = clip(searchsorted(xpa, xs, side="right"), 1, max(n - 1, 1))
    if n == 1:
        res = lax.full_like(xs, 0)
        res = add(res, take(fpa, 0))
    else:
        x0, x1 = take(xpa, subtract(i, 1)), take(xpa, i)
        y0, y1 = take(fpa, subtract(i, 1)), take(fpa, i)
        dx = subtract(x1, x0)
        slope = divide(subtract(y1, y0), where(dx == 0, 1.0, dx))  # finite: NaN-free grads
        res = add(multiply(slope, subtract(xs, x0)), y0)
        # exactly y1 at the knot, with the interval's slope as derivative (JAX)
        res = where(lax.eq(xs, x1), add(y1, multiply(slope, subtract(xs, x1))), res)
    lv = take(fpa, 0) if left is None else left
    rv = take(fpa, n - 1) if right is None else right
    res = where(less(xs, take(xpa, 0)), lv, res)
    return where(greater(xs, take(xpa, n - 1)), rv, res)


# ----------------------------------------------------------------------------- signals, polys

def _convolve_full(a, v):
    """Full 1-d convolution as one gather of windows and a matrix-vector product."""
    n, m = type_of(a).shape[0], type_of(v).shape[0]
    padded = lax.pad(a, fnx_ir.literal(0, dtype_of(a)), [(m - 1, m - 1, 0)])
    idx = np.arange(n + m - 1)[:, None] + np.arange(m)[None, :]
    windows = lax.gather(padded, [idx], (0,))
    return dot(windows, lax.rev(v, (0,)))


def convolve(a: ArrayLike, v: ArrayLike, mode: str = "full", *, precision: Any = None,
             preferred_element_type: DTypeLike | None = None) -> Array:
    """`numpy.convolve` of 1-d arrays (modes full, same, valid)."""
    x, k = ensure_array(a), ensure_array(v)
    if type_of(x).ndim != 1 or type_of(k).ndim != 1:
        raise ValueError("convolve: both inputs must be 1-d")
    if type_of(x).size == 0 or type_of(k).size == 0:
        raise ValueError("convolve: inputs cannot be empty")
    d = result_dtype(x, k)
    x, k = convert(x, d), convert(k, d)
    if type_of(k).size > type_of(x).size:
        x, k = k, x
    n, m = type_of(x).size, type_of(k).size
    full = _convolve_full(x, k)
    if mode == "full":
        return full
    if mode == "same":
        start = (m - 1) // 2
        return lax.slice(full, (start,), (start + n,))
    if mode == "valid":
        return lax.slice(full, (m - 1,), (n,))
    raise ValueError(f"convolve: unknown mode {mode!r}")


def correlate(a: ArrayLike, v: ArrayLike, mode: str = "valid", *, precision: Any = None,
              preferred_element_type: DTypeLike | None = None) -> Array:
    """`numpy.correlate` of real 1-d arrays: `convolve(a, v[::-1])`."""
    k = ensure_array(v)
    x = ensure_array(a)
    return convolve(x, lax.rev(k, (0,)), mode)


def polyval(p: ArrayLike, x: ArrayLike) -> Array:
    """`numpy.polyval` by Horner's rule (highest power first)."""
    c = ensure_array(p)
    xs = ensure_array(x)
    n = type_of(c).shape[0]
    y = zeros_like(xs)
    y = convert(y, result_dtype(c, xs))
    for i in range(n):
        y = add(multiply(y, xs), _getitem(c, i))
    return y


def vander(x: ArrayLike, N: int | None = None, increasing: bool = False) -> Array:
    """`numpy.vander`."""
    v = ensure_array(x)
    n = type_of(v).shape[0]
    N = n if N is None else static_int(N, "N")
    powers = arange(N) if increasing else arange(N - 1, -1, -1)
    out = power(lax.reshape(v, (n, 1)), lax.reshape(powers, (1, N)) if is_tracer(powers)
                else np.asarray(powers).reshape(1, N))
    return out


def trapezoid(y: ArrayLike, x: ArrayLike | None = None, dx: float = 1.0, axis: int = -1) -> Array:
    """`numpy.trapezoid`."""
    ya = ensure_array(y)
    nd = type_of(ya).ndim
    ax = axis % nd
    hi = tuple(slice(1, None) if i == ax else slice(None) for i in range(nd))
    lo = tuple(slice(None, -1) if i == ax else slice(None) for i in range(nd))
    if x is None:
        d = dx
    else:
        xa = ensure_array(x)
        d = diff(xa, axis=axis if type_of(xa).ndim > 1 else -1)
        if type_of(xa).ndim == 1 and nd > 1:
            shape = [1] * nd
            shape[ax] = type_of(d).shape[0]
            d = lax.reshape(d, shape)
    pairs = add(_getitem(ya, hi), _getitem(ya, lo))
    return _reductions.sum(divide(multiply(d, pairs), 2.0), axis=axis)


# ----------------------------------------------------------------------------- index helpers

def tril_indices(n: int, k: int = 0, m: int | None = None) -> tuple[Array, ...]:
    """As `numpy.tril_indices` (numpy's index arrays, as eager `fnx.Array`s)."""
    return tuple(map(as_array, np.tril_indices(n, k, m)))


def triu_indices(n: int, k: int = 0, m: int | None = None) -> tuple[Array, ...]:
    """As `numpy.triu_indices` (numpy's index arrays, as eager `fnx.Array`s)."""
    return tuple(map(as_array, np.triu_indices(n, k, m)))


def diag_indices(n: int, ndim: int = 2) -> tuple[Array, ...]:
    """As `numpy.diag_indices` (numpy's index arrays, as eager `fnx.Array`s)."""
    return tuple(map(as_array, np.diag_indices(n, ndim)))


def tril_indices_from(arr: ArrayLike, k: int = 0) -> tuple[Array, ...]:
    """As `numpy.tril_indices_from` (from the shape of `arr`)."""
    s = shape_of(ensure_array(arr))
    return tril_indices(s[-2], k, s[-1])


def triu_indices_from(arr: ArrayLike, k: int = 0) -> tuple[Array, ...]:
    """As `numpy.triu_indices_from` (from the shape of `arr`)."""
    s = shape_of(ensure_array(arr))
    return triu_indices(s[-2], k, s[-1])


def diag_indices_from(arr: ArrayLike) -> tuple[Array, ...]:
    """As `numpy.diag_indices_from` (from the shape of `arr`)."""
    s = shape_of(ensure_array(arr))
    return diag_indices(s[0], len(s))


def mask_indices(n: int, mask_func: Callable, k: int = 0) -> tuple[Array, ...]:
    """As `numpy.mask_indices`: the indices where `mask_func(ones((n, n)), k)` is non-zero."""
    return tuple(map(as_array, np.mask_indices(n, lambda m, kk: np.asarray(mask_func(m, kk)), k)))


def trim_zeros(filt: ArrayLike, trim: str = "fb") -> Array:
    """`numpy.trim_zeros` (a concrete input: the result length depends on the values)."""
    if is_tracer(filt):
        raise TypeError("fnx.numpy.trim_zeros: the input must be concrete")
    return as_array(np.array(np.trim_zeros(np.asarray(filt), trim)))


# ----------------------------------------------------------------------------- odds and ends

def modf(x: ArrayLike, /) -> tuple[Array, Array]:
    """`(x - trunc(x), trunc(x))`."""
    a = ensure_array(x)
    if not dtype_of(a).is_float:
        a = convert(a, float_dtype_for(dtype_of(a)))
    whole = trunc(a)
    frac = copysign(subtract(a, whole), a)
    inf = lax.eq(lax.abs(a), lax.full_like(a, np.inf))
    frac = lax.select(inf, copysign(lax.full_like(a, 0), a), frac)
    return frac, whole


def ldexp(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """`x1 * 2**x2` (exact while the result is a normal number)."""
    a = ensure_array(x1)
    d = float_dtype_for(dtype_of(a))
    return multiply(convert(a, d), convert(exp2(convert(ensure_array(x2), d)), d))


def pow(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """As `numpy.pow`: the array API name of `power`."""
    return power(x1, x2)


def gcd(x1: ArrayLike, x2: ArrayLike) -> Array:
    """`numpy.gcd` of integers (Euclid's algorithm unrolled to the bit width)."""
    a, b = operands(absolute(x1), absolute(x2))
    if not dtype_of(a).is_integer:
        raise TypeError("gcd needs integer operands")
    zero = lax.full_like(a, 0)
    for _ in range(48 if dtype_of(a).itemsize == 4 else 94):  # Euclid needs <= log_phi(2**bits)
        nz = lax.ne(b, zero)
        safe = lax.select(nz, b, lax.full_like(b, 1))
        a, b = lax.select(nz, b, a), lax.select(nz, lax.rem(a, safe), b)
    return a


def lcm(x1: ArrayLike, x2: ArrayLike) -> Array:
    """`numpy.lcm` of integers."""
    a, b = operands(absolute(x1), absolute(x2))
    g = gcd(a, b)
    zero = lax.full_like(g, 0)
    safe = lax.select(lax.eq(g, zero), lax.full_like(g, 1), g)
    return lax.select(lax.eq(g, zero), zero, lax.mul(lax.div(a, safe), b))
