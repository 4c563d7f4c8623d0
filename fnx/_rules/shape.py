"""Shape primitives: numpy implementation, jvp, transpose and batching rules."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._core.rules import define
from .._core import batching as _bat
from .._core import ad as _ad
from .._core.trace import bind, type_of
from ._util import as_dtype
from .._core import ops  # reduce_sum, slice: primitives of the families above (transposes)
from .._core.ops import Value, broadcast_in_dim, concatenate, expand_dims, reshape, transpose
from .elementwise import select, sub
import fnx_ir as _fnx_ir

__all__ = [  # the public binders (re-exported by fnx.lax)
    "iota", "broadcast_in_dim", "broadcast_to_rank_shape", "full", "full_like",
    "zeros_like", "reshape", "transpose", "squeeze", "expand_dims", "rev", "concatenate",
    "pad"]


def _iota(*, dtype, shape, dimension):
    line = np.arange(shape[dimension], dtype=dtype.np)
    view = line.reshape([-1 if i == dimension else 1 for i in range(len(shape))])
    return np.broadcast_to(view, shape)


def _broadcast_in_dim(x, *, shape, broadcast_dimensions):
    x = np.asarray(x)
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


def _pad(x, value, *, padding_config):
    """Operand element `i` lands at `lo + i * (interior + 1)` of each dim; those landing outside
    the output (negative `lo`/`hi` crop) are dropped. The output size is the shape rule's,
    also for an empty dim (whose output is all padding)."""
    x = np.asarray(x)
    shape, src, dst = [], [], []
    for n, (lo, hi, interior) in zip(x.shape, padding_config, strict=True):
        step = interior + 1
        size = lo + hi + n + max(n - 1, 0) * interior
        first = max(0, -(lo // step))  # the first element landing at >= 0
        last = max(first, min(n, (size - 1 - lo) // step + 1))  # one past the last inside
        shape.append(size)
        src.append(slice(first, last))
        start = lo + first * step
        dst.append(slice(start, max(start, lo + last * step - interior), step))
    out = np.full(shape, value, dtype=x.dtype)
    out[tuple(dst)] = x[tuple(src)]
    return out


# ------------------------------------------------------------------- batching rules
# batch(args, dims, **params) -> (out, out_dim); see fnx/_core/batching.py.

def _iota_batch(args, dims, **params):
    return _bat.bind("iota", **params), None  # no operands: never batched


def _broadcast_in_dim_batch(args, dims, *, shape, broadcast_dimensions):
    """The batch axis goes right after the output dim of the operand dim before it."""
    (x,), (d,) = args, dims
    size = _bat.type_of(x).shape[d]
    bd = broadcast_dimensions
    p = bd[d - 1] + 1 if d > 0 else 0
    new_bd = bd[:d] + (p,) + tuple(b + 1 for b in bd[d:])
    return (_bat.bind("broadcast_in_dim", x, shape=shape[:p] + (size,) + shape[p:],
                      broadcast_dimensions=new_bd), p)


def _reshape_batch(args, dims, *, new_sizes):
    (x,), (d,) = args, dims
    x = _bat.moveaxis(x, d, 0)
    return reshape(x, (_bat.type_of(x).shape[0],) + new_sizes), 0


def _transpose_batch(args, dims, *, permutation):
    (x,), (d,) = args, dims
    perm = (d,) + tuple(_bat.batched_axis(d, p) for p in permutation)
    return _bat.bind("transpose", x, permutation=perm), 0


def _squeeze_batch(args, dims, *, dimensions):
    (x,), (d,) = args, dims
    new = tuple(_bat.batched_axis(d, a) for a in dimensions)
    return _bat.bind("squeeze", x, dimensions=new), d - sum(1 for a in new if a < d)


def _expand_dims_batch(args, dims, *, dimensions):
    """Operand dim j lands at keep[j] of the per-example output; the batch axis goes just
    before where operand dim d lands (or last)."""
    (x,), (d,) = args, dims
    rank = _bat.type_of(x).ndim - 1
    out_rank = rank + len(dimensions)
    keep = [i for i in range(out_rank) if i not in dimensions]
    p = keep[d] if d < rank else out_rank
    new = tuple(a if a < p else a + 1 for a in dimensions)
    return _bat.bind("expand_dims", x, dimensions=new), p


def _rev_batch(args, dims, *, dimensions):
    (x,), (d,) = args, dims
    new = tuple(_bat.batched_axis(d, a) for a in dimensions)
    return _bat.bind("rev", x, dimensions=new), d


def _concatenate_batch(args, dims, *, dimension):
    xs, d = _bat.common_layout(args, dims)
    return _bat.bind("concatenate", *xs, dimension=_bat.batched_axis(d, dimension)), d


def _pad_batch(args, dims, *, padding_config):
    (x, value), (dx, dv) = args, dims
    if dv is None:  # one padding value: pad the batch axis by nothing
        cfg = padding_config[:dx] + ((0, 0, 0),) + padding_config[dx:]
        return _bat.bind("pad", x, value, padding_config=cfg), dx
    # A padding value per example: pad with zeros, then select each example's value
    # where an (unbatched) mask of the padded positions says so.
    size = _bat.batch_size(args, dims)
    x = _bat.matchaxis(x, dx, size, 0)
    t = _bat.type_of(x)
    padded = _bat.bind("pad", x, _bat.fnx_ir.literal(0, t.dtype),
                       padding_config=((0, 0, 0),) + padding_config)
    inside = full(t.shape[1:], True, _bat.fnx_ir.bool_)
    inside = _bat.bind("pad", inside, _bat.fnx_ir.literal(False, _bat.fnx_ir.bool_),
                       padding_config=padding_config)
    out_shape = _bat.type_of(padded).shape
    inside = _bat.broadcast_batch(inside, size, 0)
    value = broadcast_in_dim(_bat.moveaxis(value, dv, 0), out_shape, (0,))
    return select(inside, padded, value), 0


# ------------------------------------------------------------------- derivative rules
# Every shape op is linear: jvp applies the op to the tangent; transpose undoes it.
# See fnx/_core/ad.py and docs/autodiff.md.

def _undef(x):
    return _ad.is_undefined(x)


def _broadcast_in_dim_transpose(ct, x, *, shape, broadcast_dimensions):
    xs = x.aval.shape
    kept = {d for i, d in enumerate(broadcast_dimensions) if xs[i] == shape[d]}
    axes = tuple(d for d in range(len(shape)) if d not in kept)
    summed = ops.reduce_sum(ct, axes) if axes else ct
    return [reshape(summed, xs)]


def _transpose_transpose(ct, x, *, permutation):
    inverse = [0] * len(permutation)
    for i, p in enumerate(permutation):
        inverse[p] = i
    return [transpose(ct, inverse)]


def _reshape_back(ct, x, **params):
    return [reshape(ct, x.aval.shape)]


def _concatenate_transpose(ct, *xs, dimension):
    out, offset = [], 0
    full = _ad.aval_of(ct).shape
    for x in xs:
        n = _ad.aval_of(x).shape[dimension]
        if _undef(x):
            start = [0] * len(full)
            limit = list(full)
            start[dimension], limit[dimension] = offset, offset + n
            out.append(ops.slice(ct, start, limit))
        else:
            out.append(None)
        offset += n
    return out


def _pad_transpose(ct, x, value, *, padding_config):
    """The operand's cotangent un-pads (negative padding restores cropped zeros, a strided
    slice skips interior padding); the padding value gets the sum of the rest."""
    def operand_ct():
        dtype = _ad.aval_of(ct).dtype
        unpad = tuple((-lo, -hi, 0) for lo, hi, _ in padding_config)
        unpadded = pad(ct, _fnx_ir.literal(0, dtype), unpad)
        shape = _ad.aval_of(unpadded).shape
        return ops.slice(unpadded, (0,) * len(shape), shape,
                          tuple(interior + 1 for _, _, interior in padding_config))
    t_x = operand_ct() if _undef(x) else None
    t_v = None
    if _undef(value):
        everything = lambda a: ops.reduce_sum(a, tuple(range(_ad.aval_of(a).ndim)))
        inner = t_x if t_x is not None else operand_ct()
        t_v = sub(everything(ct), everything(inner))
    return [t_x, t_v]


# ------------------------------------------------------------------- registration
# One block per primitive: binder, impl, jvp, transpose (when linear), batch.
# A block without a binder `def` registers the one in fnx/_core/ops.py (the core binds it too).

def iota(dtype: Any, shape: Sequence[int], dimension: int = 0) -> Value:
    """An array of `shape` counting 0, 1, … along `dimension`."""
    return ops.iota(as_dtype(dtype), shape, dimension)

define("iota", binder=iota, impl=_iota,
       jvp=_ad.zero_jvp("iota"),
       batch=_iota_batch)

define("broadcast_in_dim", binder=broadcast_in_dim, impl=_broadcast_in_dim,
       jvp=_ad.linear_jvp("broadcast_in_dim"),
       transpose=_broadcast_in_dim_transpose,
       batch=_broadcast_in_dim_batch)

def broadcast_to_rank_shape(x: Value, shape: Sequence[int]) -> Value:
    """Broadcast `x` to `shape` aligning trailing dims (numpy rules)."""
    shape = tuple(shape)
    nd = type_of(x).ndim
    return broadcast_in_dim(x, shape, tuple(range(len(shape) - nd, len(shape))))

def full(shape: Sequence[int], value: Any, dtype: Any) -> Value:
    """An array of `shape` filled with `value` (a broadcast literal)."""
    dtype = as_dtype(dtype)
    return broadcast_in_dim(_fnx_ir.literal(value, dtype), tuple(shape), ())

def full_like(x: Value, value: Any) -> Value:
    """An array of `x`'s shape and dtype filled with `value`."""
    t = type_of(x)
    return full(t.shape, value, t.dtype)

def zeros_like(x: Value) -> Value:
    """Zeros of `x`'s shape and dtype."""
    return full_like(x, 0)

define("reshape", binder=reshape, impl=lambda x, *, new_sizes: np.reshape(x, new_sizes),
       jvp=_ad.linear_jvp("reshape"),
       transpose=_reshape_back,
       batch=_reshape_batch)

define("transpose", binder=transpose,
       impl=lambda x, *, permutation: np.transpose(x, permutation),
       jvp=_ad.linear_jvp("transpose"),
       transpose=_transpose_transpose,
       batch=_transpose_batch)

def squeeze(x: Value, dimensions: Sequence[int]) -> Value:
    """`x` without its size-1 `dimensions`."""
    dimensions = tuple(dimensions)
    return bind("squeeze", x, dimensions=dimensions) if dimensions else x

define("squeeze", binder=squeeze,
       impl=lambda x, *, dimensions: np.squeeze(x, axis=dimensions),
       jvp=_ad.linear_jvp("squeeze"),
       transpose=_reshape_back,
       batch=_squeeze_batch)

define("expand_dims", binder=expand_dims,
       impl=lambda x, *, dimensions: np.expand_dims(x, dimensions),
       jvp=_ad.linear_jvp("expand_dims"),
       transpose=_reshape_back,
       batch=_expand_dims_batch)

def rev(x: Value, dimensions: Sequence[int]) -> Value:
    """`x` reversed along `dimensions`."""
    dimensions = tuple(dimensions)
    return bind("rev", x, dimensions=dimensions) if dimensions else x

define("rev", binder=rev, impl=lambda x, *, dimensions: np.flip(x, dimensions),
       jvp=_ad.linear_jvp("rev"),
       transpose=lambda ct, x, *, dimensions: [rev(ct, dimensions)],
       batch=_rev_batch)

define("concatenate", binder=concatenate,
       impl=lambda *xs, dimension: np.concatenate(xs, axis=dimension),
       jvp=_ad.linear_jvp("concatenate"),
       transpose=_concatenate_transpose,
       batch=_concatenate_batch)

def pad(x: Value, padding_value: Value, padding_config: Sequence[tuple[int, int, int]]) -> Value:
    """`x` padded with the scalar `padding_value` by (low, high, interior) per dim (negative
    low/high crop)."""
    return bind("pad", x, padding_value,
                padding_config=tuple(tuple(int(v) for v in c) for c in padding_config))

define("pad", binder=pad, impl=_pad,
       jvp=_ad.linear_jvp("pad"),
       transpose=_pad_transpose,
       batch=_pad_batch)
