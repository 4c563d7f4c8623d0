"""Collectives over named axes: `psum`, `pmax`, `pmin`, `all_gather`, `axis_index`.

Each has an `axis_name` param (a tuple of names). Within one process a named axis is a
`vmap(..., axis_name=...)` axis, and the batching rules below are the implementation: when
`batch_program` batches along axis `name` (the innermost `bound_axis`), a collective over
`name` becomes the reduction / gather / iota along the batch dimension, and a collective
over other names is re-bound for the enclosing vmap that binds them. A later backend can
implement the same equations across processes (the process axis) instead. Evaluating one
with no axis bound is an error (there is no eager meaning), as in JAX.
"""
from __future__ import annotations

import fnx_ir

from .._core.ops import broadcast_in_dim, reshape
from .elementwise import mul
from .shape import full_like, iota
from .indexing import dynamic_slice
from .._core import ad as _ad
from .._core import collectives
from .._core import batching as _bat
from .._core import errors
from .._core.rules import NOT_DIFFERENTIABLE, define
from .._core.trace import bind


def _unbound_impl(*args, axis_name, **params):
    raise errors.UnboundAxisError(f"unbound axis name: {axis_name[0]}")


def _here(axis_name: tuple) -> tuple[bool, int, tuple]:
    """(whether the axis being batched is one of `axis_name`, its size, the other names)."""
    name, size = _bat.current_axis()
    return name in axis_name, size, tuple(n for n in axis_name if n != name)


# ------------------------------------------------------------------- psum, pmax, pmin

def _reduction_batch(prim: str, reduce: str, unbatched):
    def rule(args, dims, *, axis_name):
        (x,), (d,) = args, dims
        here, size, rest = _here(axis_name)
        if not here:  # elementwise along this axis
            return bind(prim, x, axis_name=axis_name), d
        y = unbatched(x, size) if d is None else bind(reduce, x, axes=(d,))
        return (bind(prim, y, axis_name=rest) if rest else y), None
    rule.__name__ = f"batch_{prim}"
    return rule


def _times(x, size: int):
    return mul(x, full_like(x, size))


def _psum_transpose(ct, x, *, axis_name):
    return [None if ct is None else bind("psum", ct, axis_name=axis_name)]


define("psum", binder=collectives.psum, impl=_unbound_impl,
       jvp=_ad.linear_jvp("psum"),
       transpose=_psum_transpose,
       batch=_reduction_batch("psum", "reduce_sum", _times))

define("pmax", binder=collectives.pmax, impl=_unbound_impl,
       jvp=NOT_DIFFERENTIABLE,  # (as in JAX)
       batch=_reduction_batch("pmax", "reduce_max", lambda x, size: x))

define("pmin", binder=collectives.pmin, impl=_unbound_impl,
       jvp=NOT_DIFFERENTIABLE,
       batch=_reduction_batch("pmin", "reduce_min", lambda x, size: x))


# ------------------------------------------------------------------- all_gather

def _all_gather_batch(args, dims, *, axis_name, axis, tiled, axis_size):
    (x,), (d,) = args, dims
    here, size, _ = _here(axis_name)
    if not here:  # batch at 0: the gathered axis moves one up
        x = _bat.moveaxis(x, d, 0)
        return bind("all_gather", x, axis_name=axis_name, axis=axis + 1, tiled=tiled,
                    axis_size=axis_size), 0
    t = _ad.aval_of(x)
    if d is None:
        shape = t.shape[:axis] + (size,) + t.shape[axis:]
        y = broadcast_in_dim(x, shape, tuple(i if i < axis else i + 1 for i in range(t.ndim)))
    else:
        y = _bat.moveaxis(x, d, axis)
    if tiled:
        s = _ad.aval_of(y).shape
        y = reshape(y, s[:axis] + (s[axis] * s[axis + 1],) + s[axis + 2:])
    return y, None


def _all_gather_transpose(ct, x, *, axis_name, axis, tiled, axis_size):
    """Every member's cotangent of the gathered value, summed over the axis; each member
    takes its own block."""
    if ct is None:
        return [None]
    total = bind("psum", ct, axis_name=axis_name)
    t = x.aval
    index = bind("axis_index", axis_name=axis_name)
    block = t.shape[axis] if tiled else 1
    start = mul(index, fnx_ir.literal(block, fnx_ir.int32))
    zero = fnx_ir.literal(0, fnx_ir.int32)
    sizes = list(_ad.aval_of(total).shape)
    sizes[axis] = block
    starts = [start if i == axis else zero for i in range(len(sizes))]
    return [reshape(dynamic_slice(total, starts, sizes), t.shape)]


define("all_gather", binder=collectives.all_gather, impl=_unbound_impl,
       jvp=_ad.linear_jvp("all_gather"),
       transpose=_all_gather_transpose,
       batch=_all_gather_batch)


# ------------------------------------------------------------------- axis_index

def _axis_index_batch(args, dims, *, axis_name):
    here, size, _ = _here(axis_name)
    if not here:
        return bind("axis_index", axis_name=axis_name), None
    return iota(fnx_ir.int32, (size,), 0), 0


define("axis_index", binder=collectives.axis_index, impl=_unbound_impl,
       jvp=_ad.zero_jvp("axis_index"),
       batch=_axis_index_batch)
