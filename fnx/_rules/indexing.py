"""Indexing primitives: slices, dynamic slices, gather/scatter, sort.

numpy implementation, jvp, transpose and batching rules.
"""
from __future__ import annotations

import builtins  # `slice` is the binder here
from typing import Any, Sequence

import numpy as np

from .._core.rules import define
from ._util import quiet
from .._core import batching as _bat
from .._core import ad as _ad
from .._core.trace import bind, type_of
from .._core.ops import Value, add, broadcast_in_dim, gather, lt, reshape, slice
from .elementwise import bitwise_and, convert_element_type, div, eq, ge, mul, select
from .shape import full, iota, pad
import math
import fnx_ir as _fnx_ir

__all__ = [  # the public binders (re-exported by fnx.lax)
    "slice", "dynamic_slice", "dynamic_update_slice", "gather", "scatter", "scatter_add",
    "scatter_mul", "scatter_min", "scatter_max", "sort"]


def _slice(x, *, start_indices, limit_indices, strides):
    return np.asarray(x)[tuple(builtins.slice(a, b, s) for a, b, s in zip(start_indices, limit_indices, strides, strict=True))]


def _clamped_starts(shape, sizes, starts):
    return [int(np.clip(int(s), 0, d - n)) for s, d, n in zip(starts, shape, sizes, strict=True)]


def _dynamic_slice(x, *starts, slice_sizes):
    x = np.asarray(x)
    lo = _clamped_starts(x.shape, slice_sizes, starts)
    return x[tuple(builtins.slice(a, a + n) for a, n in zip(lo, slice_sizes, strict=True))]


def _dynamic_update_slice(x, update, *starts):
    out = np.array(x)
    update = np.asarray(update)
    lo = _clamped_starts(out.shape, update.shape, starts)
    out[tuple(builtins.slice(a, a + n) for a, n in zip(lo, update.shape, strict=True))] = update
    return out


def _gather(x, *indices, axes):
    x = np.asarray(x)
    front = np.moveaxis(x, axes, range(len(axes)))
    clamped = tuple(np.clip(i, 0, x.shape[a] - 1) for i, a in zip(indices, axes, strict=True))
    return front[clamped]


_COMBINE = {"scatter_add": np.add, "scatter_mul": np.multiply,
            "scatter_min": np.minimum, "scatter_max": np.maximum}


def _scatter(name):
    @quiet
    def impl(x, updates, *indices, axes, mode):
        out = np.array(x)
        if out.size == 0:
            return out  # an empty axis receives nothing (docs/semantics.md)
        front = np.moveaxis(out, axes, range(len(axes)))  # a view: writes land in `out`
        dims = [x.shape[a] for a in axes]
        idx = [np.asarray(i).reshape(-1).astype(np.int64) for i in indices]
        rest = front.shape[len(axes):]
        upd = np.asarray(updates).reshape((-1,) + rest)
        if mode == "clip":
            idx = [np.clip(i, 0, d - 1) for i, d in zip(idx, dims, strict=True)]
        else:
            keep = np.ones(upd.shape[0], bool)
            for i, d in zip(idx, dims, strict=True):
                keep &= (i >= 0) & (i < d)
            idx, upd = [i[keep] for i in idx], upd[keep]
        if name == "scatter":
            # Last update wins for repeated indices: keep each target's last occurrence.
            flat = np.ravel_multi_index(idx, dims) if idx[0].size else idx[0]
            _, last = np.unique(flat[::-1], return_index=True)
            last = len(flat) - 1 - last
            front[tuple(i[last] for i in idx)] = upd[last]
        else:
            _COMBINE[name].at(front, tuple(idx), upd)
        return out
    return impl


def _sort(*operands, dimension, num_keys):
    ops = [np.moveaxis(np.asarray(o), dimension, -1) for o in operands]
    if num_keys == 1:
        order = np.argsort(ops[0], axis=-1, kind="stable")
    else:
        order = np.lexsort(ops[:num_keys][::-1], axis=-1)
    return [np.moveaxis(np.take_along_axis(o, order, axis=-1), -1, dimension) for o in ops]


# ------------------------------------------------------------------- batching rules
# batch(args, dims, **params) -> (out, out_dim); see fnx/_core/batching.py. Batched start
# indices turn dynamic slices into one gather / scatter over iota-built index arrays.

def _slice_batch(args, dims, *, start_indices, limit_indices, strides):
    (x,), (d,) = args, dims
    size = _bat.type_of(x).shape[d]
    def ins(t, v):
        return t[:d] + (v,) + t[d:]
    return (_bat.bind("slice", x, start_indices=ins(start_indices, 0),
                      limit_indices=ins(limit_indices, size), strides=ins(strides, 1)), d)


def _zero_start(starts):
    dtype = _bat.type_of(starts[0]).dtype if starts else _bat.fnx_ir.int32
    return _bat.fnx_ir.literal(0, dtype)


def _dynamic_slice_batch(args, dims, *, slice_sizes):
    (x, *starts), (dx, *ds) = args, dims
    size = _bat.batch_size(args, dims)
    if all(d is None for d in ds):  # only the operand is batched: take its whole batch axis
        starts = starts[:dx] + [_zero_start(starts)] + starts[dx:]
        sizes = slice_sizes[:dx] + (size,) + slice_sizes[dx:]
        return _bat.bind("dynamic_slice", x, *starts, slice_sizes=sizes), dx
    xt = _bat.type_of(x)
    shape = xt.shape if dx is None else xt.shape[:dx] + xt.shape[dx + 1:]
    idx = _bat.window_indices(starts, ds, shape, slice_sizes, size)
    axes = tuple(range(len(shape)))
    if dx is None:
        return gather(x, idx, axes), 0
    batch_idx = iota(_bat.type_of(idx[0]).dtype, (size,) + tuple(slice_sizes), 0)
    axes = (dx,) + tuple(_bat.batched_axis(dx, a) for a in axes)
    return gather(x, [batch_idx] + idx, axes), 0


def _dynamic_update_slice_batch(args, dims):
    (x, update, *starts), (dx, du, *ds) = args, dims
    size = _bat.batch_size(args, dims)
    if all(d is None for d in ds):  # one window for all examples: update the whole batch axis
        d = dx if dx is not None else 0
        x, update = _bat.matchaxis(x, dx, size, d), _bat.matchaxis(update, du, size, d)
        starts = starts[:d] + [_zero_start(starts)] + starts[d:]
        return _bat.bind("dynamic_update_slice", x, update, *starts), d
    x, update = _bat.matchaxis(x, dx, size, 0), _bat.matchaxis(update, du, size, 0)
    window = _bat.type_of(update).shape[1:]
    idx = _bat.window_indices(starts, ds, _bat.type_of(x).shape[1:], window, size)
    batch_idx = iota(_bat.type_of(idx[0]).dtype, (size,) + window, 0)
    axes = tuple(range(len(window) + 1))
    return scatter(x, update, [batch_idx] + idx, axes, mode="clip"), 0


def _gather_batch(args, dims, *, axes):
    (x, *idx), (dx, *di) = args, dims
    if all(d is None for d in di):  # the batch axis is one of the operand's other dims
        new_axes = tuple(_bat.batched_axis(dx, a) for a in axes)
        rest = [i for i in range(_bat.type_of(x).ndim) if i not in new_axes]
        return (_bat.bind("gather", x, *idx, axes=new_axes),
                _bat.type_of(idx[0]).ndim + rest.index(dx))
    idx, d = _bat.common_layout(idx, di)
    if dx is None:
        return _bat.bind("gather", x, *idx, axes=axes), d
    t = _bat.type_of(idx[0])  # both batched: example b reads its own slice of the operand
    batch_idx = iota(t.dtype, t.shape, d)
    new_axes = (dx,) + tuple(_bat.batched_axis(dx, a) for a in axes)
    return _bat.bind("gather", x, batch_idx, *idx, axes=new_axes), d


def _scatter_batch(name):
    def rule(args, dims, *, axes, mode):
        (x, updates, *idx), (dx, du, *di) = args, dims
        size = _bat.batch_size(args, dims)
        d = dx if dx is not None else 0
        x = _bat.matchaxis(x, dx, size, d)
        if all(i is None for i in di):  # the batch axis is one of the operand's other dims
            new_axes = tuple(_bat.batched_axis(d, a) for a in axes)
            rest = [i for i in range(_bat.type_of(x).ndim) if i not in new_axes]
            updates = _bat.matchaxis(updates, du, size,
                                     _bat.type_of(idx[0]).ndim + rest.index(d))
            return _bat.bind(name, x, updates, *idx, axes=new_axes, mode=mode), d
        idx, di0 = _bat.common_layout(idx, di)
        t = _bat.type_of(idx[0])  # example b scatters into its own slice of the operand
        batch_idx = iota(t.dtype, t.shape, di0)
        new_axes = (d,) + tuple(_bat.batched_axis(d, a) for a in axes)
        updates = _bat.matchaxis(updates, du, size, di0)
        return _bat.bind(name, x, updates, batch_idx, *idx, axes=new_axes, mode=mode), d
    rule.__name__ = f"_{name}_batch"
    return rule


def _sort_batch(args, dims, *, dimension, num_keys):
    ops, d = _bat.common_layout(args, dims)
    outs = _bat.bind("sort", *ops, dimension=_bat.batched_axis(d, dimension), num_keys=num_keys)
    return outs, [d] * len(outs)


# ------------------------------------------------------------------- derivative rules
# slice/dynamic_slice/gather are linear in the operand; dynamic_update_slice, scatter and
# scatter_add jointly in (operand, updates). See docs/autodiff.md for the conventions.

def _undef(x):
    return _ad.is_undefined(x)


def _zeros(x):
    return _ad.zeros_like_aval(_ad.aval_of(x).strong())


def _slice_transpose(ct, x, *, start_indices, limit_indices, strides):
    shape = x.aval.shape
    out_shape = _ad.aval_of(ct).shape
    pads = []
    for start, n, stride, dim in zip(start_indices, out_shape, strides, shape, strict=True):
        real_limit = start + (n - 1) * stride + 1 if n > 0 else start
        pads.append((start, dim - real_limit, stride - 1))
    return [pad(ct, _fnx_ir.literal(0, x.aval.dtype), pads)]


def _dynamic_slice_transpose(ct, x, *starts, slice_sizes):
    return [dynamic_update_slice(_zeros(x), ct, starts)] + [None] * len(starts)


def _dynamic_update_slice_transpose(ct, x, update, *starts):
    ut = _ad.aval_of(update)
    ct_x = dynamic_update_slice(ct, _zeros(update), starts) if _undef(x) else None
    ct_u = dynamic_slice(ct, starts, ut.shape) if _undef(update) else None
    return [ct_x, ct_u] + [None] * len(starts)


def _gather_transpose(ct, x, *indices, axes):
    # gather clamps its indices, so the scatter back clamps them the same way
    return [scatter_add(_zeros(x), ct, indices, axes, mode="clip")] + [None] * len(indices)


def _in_range(x_aval, update_aval, indices, axes):
    """Which updates land inside the operand (mode='drop' ignores the others)."""
    ok = None
    for i, a in zip(indices, axes, strict=True):
        t = _ad.aval_of(i)
        lo = ge(i, full(t.shape, 0, t.dtype))
        hi = lt(i, full(t.shape, x_aval.shape[a], t.dtype))
        both = bitwise_and(lo, hi)
        ok = both if ok is None else bitwise_and(ok, both)
    nb = _ad.aval_of(indices[0]).ndim
    return broadcast_in_dim(ok, update_aval.shape, tuple(range(nb)))


def _scatter_add_transpose(ct, x, updates, *indices, axes, mode):
    ct_x = ct if _undef(x) else None
    ct_u = None
    if _undef(updates):
        ct_u = gather(ct, indices, axes)
        if mode == "drop":
            ut = updates.aval
            ct_u = select(_in_range(_ad.aval_of(ct), ut, indices, axes), ct_u, _zeros(updates))
    return [ct_x, ct_u] + [None] * len(indices)


def _scatter_winners(x_aval, u_aval, indices, axes, mode):
    """For `scatter` (last update wins): which updates are the ones that remain."""
    bshape = _ad.aval_of(indices[0]).shape
    ids = reshape(iota(_fnx_ir.int64, (math.prod(bshape),), 0), bshape)
    ids = broadcast_in_dim(ids, u_aval.shape, tuple(range(len(bshape))))
    board = full(x_aval.shape, -1, _fnx_ir.int64)
    board = scatter(board, ids, indices, axes, mode=mode)
    return eq(gather(board, indices, axes), ids)


def _scatter_transpose(ct, x, updates, *indices, axes, mode):
    ct_x = ct_u = None
    if _undef(x):  # overwritten positions do not reach the operand
        ct_x = scatter(ct, _zeros(updates), indices, axes, mode=mode)
    if _undef(updates):
        won = _scatter_winners(_ad.aval_of(ct), updates.aval, indices, axes, mode)
        ct_u = select(won, gather(ct, indices, axes), _zeros(updates))
    return [ct_x, ct_u] + [None] * len(indices)


def _scatter_mul_jvp(primals, tangents, *, axes, mode):
    """d/dx: scatter_mul(dx, u). d/du_b: x[p] * (product of the other updates at p),
    exact also when updates are 0: y[p] / u_b where u_b != 0; where u_b == 0 the
    product of the non-zero updates if u_b is the only zero update at p, else 0."""
    x, u, *idx = primals
    tx, tu = tangents[0], tangents[1]
    ans = scatter_mul(x, u, idx, axes, mode)
    out_t = None
    if tx is not None:
        out_t = scatter_mul(tx, u, idx, axes, mode)
    if tu is not None:
        ut = _ad.aval_of(u)
        zero_u = eq(u, _zeros(u))
        one_u = _ad.full_like_aval(ut.strong(), 1)
        safe_u = select(zero_u, one_u, u)
        nonzero_product = scatter_mul(x, safe_u, idx, axes, mode)
        n_zero = scatter_add(_zeros(x), convert_element_type(zero_u, ut.dtype),
                                  idx, axes, mode)
        only_zero = eq(gather(n_zero, idx, axes), one_u)
        at_zero = select(only_zero, gather(nonzero_product, idx, axes), _zeros(u))
        d = select(zero_u, at_zero, div(gather(ans, idx, axes), safe_u))
        out_t = _ad.add_tangents(out_t, scatter_add(_zeros(x), mul(tu, d),
                                                         idx, axes, mode))
    return ans, out_t


def _scatter_mul_transpose(ct, x, updates, *indices, axes, mode):
    if _undef(updates):
        raise NotImplementedError("transpose of scatter_mul: it is linear only in the operand")
    return [scatter_mul(ct, updates, indices, axes, mode)] + [None] * (len(indices) + 1)


def _scatter_extremal_jvp(name):
    """scatter_max/min: the tangent at each position is the mean of the tangents of all
    candidates (the operand and the updates landing there) that attain the result."""
    def rule(primals, tangents, *, axes, mode):
        x, u, *idx = primals
        tx, tu = tangents[0], tangents[1]
        ans = _ad.bind(name, x, u, *idx, axes=axes, mode=mode)
        if tx is None and tu is None:
            return ans, None
        dtype = _ad.aval_of(x).dtype
        won_u = convert_element_type(eq(u, gather(ans, idx, axes)), dtype)
        kept_x = convert_element_type(eq(x, ans), dtype)
        total = add(scatter_add(_zeros(x), won_u, idx, axes, mode), kept_x)
        total = select(eq(total, _zeros(x)), _ad.full_like_aval(
            _ad.aval_of(x).strong(), 1), total)
        out_t = None
        if tx is not None:
            out_t = mul(tx, div(kept_x, total))
        if tu is not None:
            w = div(won_u, gather(total, idx, axes))
            out_t = _ad.add_tangents(out_t, scatter_add(_zeros(x), mul(tu, w),
                                                             idx, axes, mode))
        return ans, out_t
    return rule


def _sort_jvp(primals, tangents, *, dimension, num_keys):
    """Sort an iota along: the permutation carries the tangents (one gather each)."""
    shape = _ad.aval_of(primals[0]).shape
    perm_in = iota(_fnx_ir.int64, shape, dimension)
    outs = _ad.bind("sort", *primals, perm_in, dimension=dimension, num_keys=num_keys)
    perm = outs[-1]
    return outs[:-1], [None if t is None else _ad.take_along_axis(t, perm, dimension)
                       for t in tangents]


# ------------------------------------------------------------------- registration
# One block per primitive: binder, impl, jvp, transpose (when linear), batch.
# A block without a binder `def` registers the one in fnx/_core/ops.py (the core binds it too).

define("slice", binder=slice, impl=_slice,
       jvp=_ad.linear_jvp("slice"),
       transpose=_slice_transpose,
       batch=_slice_batch)

def dynamic_slice(x: Value, start_indices: Sequence, slice_sizes: Sequence[int]) -> Value:
    """A `slice_sizes` block of `x` from `start_indices` (may be traced; clamped so it fits)."""
    return bind("dynamic_slice", x, *start_indices, slice_sizes=tuple(slice_sizes))

define("dynamic_slice", binder=dynamic_slice, impl=_dynamic_slice,
       jvp=_ad.linear_jvp("dynamic_slice", linear=(0,)),
       transpose=_dynamic_slice_transpose,
       batch=_dynamic_slice_batch)

def dynamic_update_slice(x: Value, update: Value, start_indices: Sequence) -> Value:
    """`x` with `update` written from `start_indices` (may be traced; clamped so it fits)."""
    return bind("dynamic_update_slice", x, update, *start_indices)

define("dynamic_update_slice", binder=dynamic_update_slice, impl=_dynamic_update_slice,
       jvp=_ad.linear_jvp("dynamic_update_slice", linear=(0, 1)),
       transpose=_dynamic_update_slice_transpose,
       batch=_dynamic_update_slice_batch)

define("gather", binder=gather, impl=_gather,
       jvp=_ad.linear_jvp("gather", linear=(0,)),
       transpose=_gather_transpose,
       batch=_gather_batch)

def scatter(x: Value, updates: Value, indices: Sequence, axes: Sequence[int],
            mode: str = "drop") -> Value:
    """`x` with `updates` written (the last write wins) at `indices` along `axes` (`mode`: "drop" or
    "clip" out-of-range indices)."""
    return bind("scatter", x, updates, *indices, axes=tuple(axes), mode=mode)

define("scatter", binder=scatter, impl=_scatter("scatter"),
       jvp=_ad.linear_jvp("scatter", linear=(0, 1)),
       transpose=_scatter_transpose,
       batch=_scatter_batch("scatter"))

def scatter_add(x: Value, updates: Value, indices: Sequence, axes: Sequence[int],
                mode: str = "drop") -> Value:
    """`x` with `updates` added at `indices` along `axes` (`mode`: "drop" or
    "clip" out-of-range indices)."""
    return bind("scatter_add", x, updates, *indices, axes=tuple(axes), mode=mode)

define("scatter_add", binder=scatter_add, impl=_scatter("scatter_add"),
       jvp=_ad.linear_jvp("scatter_add", linear=(0, 1)),
       transpose=_scatter_add_transpose,
       batch=_scatter_batch("scatter_add"))

def scatter_mul(x: Value, updates: Value, indices: Sequence, axes: Sequence[int],
                mode: str = "drop") -> Value:
    """`x` with `updates` multiplied at `indices` along `axes` (`mode`: "drop" or
    "clip" out-of-range indices)."""
    return bind("scatter_mul", x, updates, *indices, axes=tuple(axes), mode=mode)

define("scatter_mul", binder=scatter_mul, impl=_scatter("scatter_mul"),
       jvp=_scatter_mul_jvp,
       transpose=_scatter_mul_transpose,
       batch=_scatter_batch("scatter_mul"))

def scatter_min(x: Value, updates: Value, indices: Sequence, axes: Sequence[int],
                mode: str = "drop") -> Value:
    """`x` with `updates` combined by minimum at `indices` along `axes` (`mode`: "drop" or
    "clip" out-of-range indices)."""
    return bind("scatter_min", x, updates, *indices, axes=tuple(axes), mode=mode)

define("scatter_min", binder=scatter_min, impl=_scatter("scatter_min"),
       jvp=_scatter_extremal_jvp("scatter_min"),
       batch=_scatter_batch("scatter_min"))

def scatter_max(x: Value, updates: Value, indices: Sequence, axes: Sequence[int],
                mode: str = "drop") -> Value:
    """`x` with `updates` combined by maximum at `indices` along `axes` (`mode`: "drop" or
    "clip" out-of-range indices)."""
    return bind("scatter_max", x, updates, *indices, axes=tuple(axes), mode=mode)

define("scatter_max", binder=scatter_max, impl=_scatter("scatter_max"),
       jvp=_scatter_extremal_jvp("scatter_max"),
       batch=_scatter_batch("scatter_max"))

def sort(operands: Value | Sequence[Value], dimension: int = -1, num_keys: int = 1) -> Any:
    """Stable sort of one operand, or of several by the first `num_keys` (returns a list)."""
    single = not isinstance(operands, (list, tuple))
    ops = [operands] if single else list(operands)
    dimension = dimension % (type_of(ops[0]).ndim or 1)  # (`max` here is lax.max, not the builtin)
    out = bind("sort", *ops, dimension=dimension, num_keys=num_keys)
    return out[0] if single else out

define("sort", binder=sort, impl=_sort,
       jvp=_sort_jvp,
       batch=_sort_batch)
