"""The few operations the core itself computes with (zeros for symbolic tangents, moving and
broadcasting batch axes, slicing Jacobian blocks), bound directly as primitives: the core
sits below `fnx.lax`, so it cannot call it. Dtypes are IR `DType`s (no numpy dtypes, no x64
canonicalisation: that is `fnx.lax`'s job for user code). Each skips a no-op, as `fnx.lax`
does; `fnx.lax` re-exports the shape operations defined here.
"""
from __future__ import annotations

from typing import Sequence

import fnx_ir
from fnx_ir import DType, Literal

from .dtypes import promote, python_scalar_type, to_inexact
from .trace import bind, type_of


def add(x, y):
    """`x + y` of equal-typed operands."""
    return bind("add", x, y)


def ne(x, y):
    """`x != y` of equal-typed operands (bool)."""
    return bind("ne", x, y)


def lt(x, y):
    """`x < y` of equal-typed operands (bool)."""
    return bind("lt", x, y)


def clamp(lo, x, hi):
    """`x` clamped to `[lo, hi]`."""
    return bind("clamp", lo, x, hi)


def convert_element_type(x, new_dtype: DType, weak: bool = False):
    """`x` as `new_dtype` (itself when it already has that type)."""
    t = type_of(x)
    if t.dtype is new_dtype and t.weak == weak:
        return x
    return bind("convert_element_type", x, new_dtype=new_dtype, weak=weak)


def true_divide(x, n: int | float):
    """`x / n` for a Python number `n`, in JAX's inexact dtype of the pair (`fnx.numpy`'s
    true division: an int32 `x` gives float32)."""
    t, nt = type_of(x), python_scalar_type(n)
    d, weak = promote((t.dtype, t.weak), (nt.dtype, nt.weak))
    d = to_inexact(d, weak)
    return bind("div", convert_element_type(x, d, weak), fnx_ir.literal(n, d, weak=True))


def iota(dtype: DType, shape: Sequence[int], dimension: int = 0):
    """An array of `shape` counting 0, 1, ... along `dimension`."""
    return bind("iota", dtype=dtype, shape=tuple(shape), dimension=dimension)


def broadcast_in_dim(x, shape: Sequence[int], broadcast_dimensions: Sequence[int]):
    """`x` broadcast to `shape`, its axes at `broadcast_dimensions` (itself when a no-op)."""
    shape, dims = tuple(shape), tuple(broadcast_dimensions)
    if (type_of(x).shape == shape and dims == tuple(range(len(shape)))
            and not isinstance(x, Literal)):
        return x
    return bind("broadcast_in_dim", x, shape=shape, broadcast_dimensions=dims)


def reshape(x, new_sizes: Sequence[int]):
    """`x` with shape `new_sizes` (row-major; itself when it has it)."""
    new_sizes = tuple(int(d) for d in new_sizes)
    return x if type_of(x).shape == new_sizes else bind("reshape", x, new_sizes=new_sizes)


def transpose(x, permutation: Sequence[int]):
    """`x` with its axes permuted: axis `i` of the result is axis `permutation[i]` of `x`."""
    permutation = tuple(permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return bind("transpose", x, permutation=permutation)


def expand_dims(x, dimensions: Sequence[int]):
    """`x` with axes of size 1 inserted at `dimensions` (of the result)."""
    dimensions = tuple(dimensions)
    return bind("expand_dims", x, dimensions=dimensions) if dimensions else x


def concatenate(operands: Sequence, dimension: int):
    """`operands` joined along `dimension`."""
    return operands[0] if len(operands) == 1 else bind("concatenate", *operands,
                                                       dimension=dimension)


def slice_rows(x, start: int, limit: int):
    """`x[start:limit]` along axis 0."""
    shape = type_of(x).shape
    if (start, limit) == (0, shape[0]):
        return x
    rest = len(shape) - 1
    return bind("slice", x, start_indices=(start,) + (0,) * rest,
                limit_indices=(limit,) + shape[1:], strides=(1,) * len(shape))


def reduce_sum(x, axes: Sequence[int]):
    """The sum of `x` over `axes`."""
    return bind("reduce_sum", x, axes=tuple(axes))


def gather(x, indices: Sequence, axes: Sequence[int]):
    """`x` indexed by one index array per axis in `axes` (all of `indices`' shape)."""
    return bind("gather", x, *indices, axes=tuple(axes))
