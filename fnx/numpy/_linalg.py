"""Products of `fnx.numpy`: matmul, dot, ..."""
from __future__ import annotations

from .. import lax
from .._core import errors
from .._core.trace import type_of
from ._base import broadcast_shapes, convert, ensure_array, result_dtype


def matmul(a, b):
    """`numpy.matmul`: batch dims broadcast, 1-d operands are promoted and squeezed."""
    a, b = ensure_array(a), ensure_array(b)
    dtype = result_dtype(a, b)
    a, b = convert(a, dtype), convert(b, dtype)
    ta, tb = type_of(a), type_of(b)
    if ta.ndim == 0 or tb.ndim == 0:
        raise errors.FnxTypeError(errors.at_source(
            f"matmul: operands must not be scalars, got shapes {ta.shape} and {tb.shape}",
            errors.user_source()))
    a2 = lax.reshape(a, (1,) + ta.shape) if ta.ndim == 1 else a
    b2 = lax.reshape(b, tb.shape + (1,)) if tb.ndim == 1 else b
    sa, sb = type_of(a2).shape, type_of(b2).shape
    if sa[-1] != sb[-2]:
        raise errors.FnxTypeError(errors.at_source(
            f"matmul: contracting dimensions differ: shapes {ta.shape} and {tb.shape} "
            f"({sa[-1]} != {sb[-2]})", errors.user_source()))
    batch = broadcast_shapes(sa[:-2], sb[:-2], what="matmul batch dimensions")
    nb = len(batch)
    a3 = lax.broadcast_to_rank_shape(a2, batch + sa[-2:]) if nb else a2
    b3 = lax.broadcast_to_rank_shape(b2, batch + sb[-2:]) if nb else b2
    bd = tuple(range(nb))
    out = lax.dot_general(a3, b3, (((nb + 1,), (nb,)), (bd, bd)))
    shape = type_of(out).shape
    if ta.ndim == 1:
        shape = shape[:-2] + shape[-1:]
    if tb.ndim == 1:
        shape = shape[:-1]
    return lax.reshape(out, shape)
