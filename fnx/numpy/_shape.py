"""Shape functions of `fnx.numpy`: reshape, transpose, stack, concatenate, ..."""
from __future__ import annotations

import math
from typing import Sequence

from .. import lax
from .._core.trace import type_of
from ._base import ensure_array, normalize_axis, result_dtype, convert


def reshape(a, shape, order: str = "C"):
    """`numpy.reshape` (C order; one dimension may be -1)."""
    if order != "C":
        raise NotImplementedError("fnx.numpy.reshape supports only order='C'")
    x = ensure_array(a)
    t = type_of(x)
    shape = (shape,) if isinstance(shape, int) else tuple(int(d) for d in shape)
    if shape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension")
    if -1 in shape:
        known = math.prod(d for d in shape if d != -1)
        if known == 0 or t.size % known:
            raise ValueError(f"cannot reshape array of size {t.size} into shape {shape}")
        shape = tuple(t.size // known if d == -1 else d for d in shape)
    if math.prod(shape) != t.size:
        raise ValueError(f"cannot reshape array of size {t.size} into shape {shape}")
    return lax.reshape(x, shape)


def transpose(a, axes: Sequence[int] | None = None):
    """`numpy.transpose`."""
    x = ensure_array(a)
    nd = type_of(x).ndim
    perm = tuple(reversed(range(nd))) if axes is None else tuple(normalize_axis(i, nd) for i in axes)
    if sorted(perm) != list(range(nd)):
        raise ValueError(f"axes {axes} don't match array of dimension {nd}")
    return lax.transpose(x, perm)


def concatenate(arrays, axis: int | None = 0):
    """`numpy.concatenate`."""
    xs = [ensure_array(a) for a in arrays]
    if not xs:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        xs = [lax.reshape(x, (type_of(x).size,)) for x in xs]
        axis = 0
    dtype = result_dtype(*xs)
    nd = type_of(xs[0]).ndim
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    return lax.concatenate([convert(x, dtype) for x in xs], normalize_axis(axis, nd))


def stack(arrays, axis: int = 0):
    """`numpy.stack`."""
    xs = [ensure_array(a) for a in arrays]
    if not xs:
        raise ValueError("need at least one array to stack")
    shapes = {type_of(x).shape for x in xs}
    if len(shapes) != 1:
        raise ValueError(f"all input arrays must have the same shape, got {sorted(shapes)}")
    nd = type_of(xs[0]).ndim + 1
    axis = normalize_axis(axis, nd)
    return concatenate([lax.expand_dims(x, (axis,)) for x in xs], axis)
