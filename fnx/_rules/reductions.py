"""Reductions, arg-reductions and cumulative ops: numpy implementation, jvp, transpose, batching."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._core.rules import define
from ._util import as_dtype, quiet
from .elementwise import balanced_weights
from .._core import batching as _bat
from .._core import ad as _ad
from .._core.trace import bind
from .._core.ops import Value, add, broadcast_in_dim, concatenate, reduce_sum, reshape, slice, transpose
from .elementwise import convert_element_type, div, eq, mul
from .shape import pad, rev
import math
import fnx_ir as _fnx_ir

__all__ = [  # the public binders (re-exported by fnx.lax)
    "reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_and", "reduce_or",
    "argmax", "argmin", "cumsum", "cumprod", "cummax", "cummin"]


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


# ------------------------------------------------------------------- derivative rules
# See fnx/_core/ad.py for the rule signatures and docs/autodiff.md for the conventions.

def _kept(ndim, axes):
    return tuple(i for i in range(ndim) if i not in axes)


def _reduce_sum_transpose(ct, x, *, axes):
    t = x.aval
    return [broadcast_in_dim(ct, t.shape, _kept(t.ndim, axes))]


def _reduce_prod_jvp(primals, tangents, *, axes):
    """d prod = sum_i t_i * prod_{j != i} x_j, with the exclusive products formed from a
    left and a right cumulative product (exact when some x_j are 0)."""
    (x,), (t,) = primals, tangents
    ans = reduce_prod(x, axes)
    if t is None:
        return ans, None
    xt = _ad.aval_of(x)
    rest = _kept(xt.ndim, axes)
    n = math.prod(xt.shape[a] for a in axes)
    m = math.prod(xt.shape[a] for a in rest)
    perm = tuple(axes) + rest
    x2 = reshape(transpose(x, perm), (n, m))
    t2 = reshape(transpose(t, perm), (n, m))
    one = _fnx_ir.literal(1, xt.dtype)
    left = pad(cumprod(x2, 0), one, ((1, -1, 0), (0, 0, 0)))
    right = pad(cumprod(x2, 0, reverse=True), one, ((-1, 1, 0), (0, 0, 0)))
    out_t = reduce_sum(mul(t2, mul(left, right)), (0,))
    return ans, reshape(out_t, _ad.aval_of(ans).shape)


def _reduce_chooser_jvp(name):
    """reduce_max/min: the tangent is the mean of the tangents at all extremal positions."""
    def rule(primals, tangents, *, axes):
        (x,), (t,) = primals, tangents
        ans = _ad.bind(name, x, axes=axes)
        if t is None:
            return ans, None
        xt = _ad.aval_of(x)
        at = broadcast_in_dim(ans, xt.shape, _kept(xt.ndim, axes))
        where = convert_element_type(eq(x, at), xt.dtype)
        counts = reduce_sum(where, axes)
        return ans, div(reduce_sum(mul(t, where), axes), counts)
    return rule


def _slice_axis(x, start, stop, stride, axis):
    shape = _ad.aval_of(x).shape
    starts, limits = [0] * len(shape), list(shape)
    strides = [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start, max(stop, start), stride
    return slice(x, starts, limits, strides)


def _interleave(a, b, axis):
    """a[0], b[0], a[1], b[1], ... along `axis` (len(a) == len(b) or len(b) + 1)."""
    na, nb = _ad.aval_of(a).shape[axis], _ad.aval_of(b).shape[axis]
    nd = _ad.aval_of(a).ndim
    a_pad, b_pad = [(0, 0, 0)] * nd, [(0, 0, 0)] * nd
    a_pad[axis] = (0, 1 if na == nb else 0, 1)
    b_pad[axis] = (1, 0 if na == nb else 1, 1)
    zero = _fnx_ir.literal(0, _ad.aval_of(a).dtype)
    return add(pad(a, zero, a_pad), pad(b, zero, b_pad))


def _associative_scan(fn, elems, axis):
    """Inclusive scan of `fn` (on lists of arrays) along `axis` in O(log n) levels of
    strided slices, pads and `fn` (the parallel prefix algorithm JAX uses)."""
    n = _ad.aval_of(elems[0]).shape[axis]
    if n < 2:
        return elems
    reduced = fn([_slice_axis(e, 0, n - 1, 2, axis) for e in elems],
                 [_slice_axis(e, 1, n, 2, axis) for e in elems])
    odd = _associative_scan(fn, reduced, axis)
    if n % 2 == 0:
        no = _ad.aval_of(odd[0]).shape[axis]
        even = fn([_slice_axis(e, 0, no - 1, 1, axis) for e in odd],
                  [_slice_axis(e, 2, n, 2, axis) for e in elems])
    else:
        even = fn(odd, [_slice_axis(e, 2, n, 2, axis) for e in elems])
    even = [concatenate([_slice_axis(e, 0, 1, 1, axis), r], axis)
            for e, r in zip(elems, even, strict=True)]
    return [_interleave(e, o, axis) for e, o in zip(even, odd, strict=True)]


def _cumprod_jvp(primals, tangents, *, axis, reverse):
    """The tangent of a cumulative product is the scan of the product rule on
    (value, tangent) pairs: exact with zeros, O(log n) equations."""
    (x,), (t,) = primals, tangents
    ans = cumprod(x, axis, reverse)
    if t is None:
        return ans, None
    if reverse:
        x, t = rev(x, (axis,)), rev(t, (axis,))

    def product_rule(a, b):
        (pa, ta), (pb, tb) = a, b
        return [mul(pa, pb), add(mul(ta, pb), mul(pa, tb))]
    _, out_t = _associative_scan(product_rule, [x, t], axis)
    return ans, rev(out_t, (axis,)) if reverse else out_t


def _cumulative_extreme_jvp(name):
    """cummax/cummin: JAX's rule, the jvp of the parallel prefix scan of max/min over
    (value, tangent) pairs, ties split equally at each combine (`balanced_weights`)."""
    binary = "max" if name == "cummax" else "min"

    def rule(primals, tangents, *, axis, reverse):
        (x,), (t,) = primals, tangents
        ans = _ad.bind(name, x, axis=axis, reverse=reverse)
        if t is None:
            return ans, None
        if reverse:
            x, t = rev(x, (axis,)), rev(t, (axis,))

        def extreme_rule(a, b):
            (pa, ta), (pb, tb) = a, b
            out = _ad.bind(binary, pa, pb)
            wa, wb = balanced_weights(pa, pb, out)
            return [out, add(mul(ta, wa), mul(tb, wb))]
        _, out_t = _associative_scan(extreme_rule, [x, t], axis)
        return ans, rev(out_t, (axis,)) if reverse else out_t
    return rule


def _cumulative(accumulate):
    @quiet
    def impl(x, *, axis, reverse):
        x = np.asarray(x)
        if reverse:
            return np.flip(accumulate(np.flip(x, axis), axis), axis)
        return accumulate(x, axis)
    return impl


# ------------------------------------------------------------------- registration
# One block per primitive: binder, impl, jvp, transpose (when linear), batch.
# A block without a binder `def` registers the one in fnx/_core/ops.py (the core binds it too).

define("reduce_sum", binder=reduce_sum, impl=quiet(_sum),
       jvp=_ad.linear_jvp("reduce_sum"),
       transpose=_reduce_sum_transpose,
       batch=_bat.make_reduction_batch("reduce_sum"))

def reduce_prod(x: Value, axes: Sequence[int]) -> Value:
    """The product of `x` over `axes`."""
    return bind("reduce_prod", x, axes=tuple(axes))

define("reduce_prod", binder=reduce_prod, impl=quiet(_prod),
       jvp=_reduce_prod_jvp,
       batch=_bat.make_reduction_batch("reduce_prod"))

def reduce_max(x: Value, axes: Sequence[int]) -> Value:
    """The maximum of `x` over `axes`."""
    return bind("reduce_max", x, axes=tuple(axes))

define("reduce_max", binder=reduce_max, impl=_extreme("max"),
       jvp=_reduce_chooser_jvp("reduce_max"),
       batch=_bat.make_reduction_batch("reduce_max"))

def reduce_min(x: Value, axes: Sequence[int]) -> Value:
    """The minimum of `x` over `axes`."""
    return bind("reduce_min", x, axes=tuple(axes))

define("reduce_min", binder=reduce_min, impl=_extreme("min"),
       jvp=_reduce_chooser_jvp("reduce_min"),
       batch=_bat.make_reduction_batch("reduce_min"))

def reduce_and(x: Value, axes: Sequence[int]) -> Value:
    """The logical and of `x` over `axes`."""
    return bind("reduce_and", x, axes=tuple(axes))

define("reduce_and", binder=reduce_and, impl=lambda x, *, axes: np.all(x, axis=axes),
       jvp=_ad.zero_jvp("reduce_and"),  # (boolean results)
       batch=_bat.make_reduction_batch("reduce_and"))

def reduce_or(x: Value, axes: Sequence[int]) -> Value:
    """The logical or of `x` over `axes`."""
    return bind("reduce_or", x, axes=tuple(axes))

define("reduce_or", binder=reduce_or, impl=lambda x, *, axes: np.any(x, axis=axes),
       jvp=_ad.zero_jvp("reduce_or"),
       batch=_bat.make_reduction_batch("reduce_or"))

def argmax(x: Value, axis: int, index_dtype: Any = _fnx_ir.int64) -> Value:
    """The index of the first maximum along `axis` (NaN counts as the maximum)."""
    return bind("argmax", x, axis=axis, index_dtype=as_dtype(index_dtype))

define("argmax", binder=argmax,
       impl=lambda x, *, axis, index_dtype: np.argmax(x, axis=axis).astype(index_dtype.np),
       jvp=_ad.zero_jvp("argmax"),  # (integer results)
       batch=_bat.make_axis_batch("argmax", removes_axis=True))

def argmin(x: Value, axis: int, index_dtype: Any = _fnx_ir.int64) -> Value:
    """The index of the first minimum along `axis` (NaN counts as the minimum)."""
    return bind("argmin", x, axis=axis, index_dtype=as_dtype(index_dtype))

define("argmin", binder=argmin,
       impl=lambda x, *, axis, index_dtype: np.argmin(x, axis=axis).astype(index_dtype.np),
       jvp=_ad.zero_jvp("argmin"),
       batch=_bat.make_axis_batch("argmin", removes_axis=True))

def cumsum(x: Value, axis: int = 0, reverse: bool = False) -> Value:
    """Inclusive cumulative sum along `axis` (from the end with `reverse`)."""
    return bind("cumsum", x, axis=axis, reverse=bool(reverse))

define("cumsum", binder=cumsum,
       impl=_cumulative(lambda x, a: np.cumsum(x, axis=a, dtype=x.dtype)),
       jvp=_ad.linear_jvp("cumsum"),
       transpose=lambda ct, x, *, axis, reverse: [cumsum(ct, axis, not reverse)],
       batch=_bat.make_axis_batch("cumsum", removes_axis=False))

def cumprod(x: Value, axis: int = 0, reverse: bool = False) -> Value:
    """Inclusive cumulative product along `axis` (from the end with `reverse`)."""
    return bind("cumprod", x, axis=axis, reverse=bool(reverse))

define("cumprod", binder=cumprod,
       impl=_cumulative(lambda x, a: np.cumprod(x, axis=a, dtype=x.dtype)),
       jvp=_cumprod_jvp,
       batch=_bat.make_axis_batch("cumprod", removes_axis=False))

def cummax(x: Value, axis: int = 0, reverse: bool = False) -> Value:
    """Inclusive cumulative maximum along `axis` (from the end with `reverse`)."""
    return bind("cummax", x, axis=axis, reverse=bool(reverse))

define("cummax", binder=cummax,
       impl=_cumulative(lambda x, a: np.maximum.accumulate(x, axis=a)),
       jvp=_cumulative_extreme_jvp("cummax"),
       batch=_bat.make_axis_batch("cummax", removes_axis=False))

def cummin(x: Value, axis: int = 0, reverse: bool = False) -> Value:
    """Inclusive cumulative minimum along `axis` (from the end with `reverse`)."""
    return bind("cummin", x, axis=axis, reverse=bool(reverse))

define("cummin", binder=cummin,
       impl=_cumulative(lambda x, a: np.minimum.accumulate(x, axis=a)),
       jvp=_cumulative_extreme_jvp("cummin"),
       batch=_bat.make_axis_batch("cummin", removes_axis=False))
