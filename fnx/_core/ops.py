"""The few operations the core itself computes with (zeros for symbolic tangents, moving and
broadcasting batch axes, slicing Jacobian blocks), bound directly as primitives: the core
sits below `fnx.lax`, so it cannot call it. Dtypes are IR `DType`s (no numpy dtypes, no x64
canonicalisation: that is `fnx.lax`'s job for user code). Each skips a no-op, as `fnx.lax`
does. Where a public binder would be the same function, its family file in `fnx/_rules/`
registers the one defined here (`fnx.lax.add` is `ops.add`), and the families use these to
reach a primitive of a family above them (a broadcast's transpose reduces).
"""
from __future__ import annotations

from typing import Any, Sequence

import fnx_ir
from fnx_ir import DType, Literal

from .dtypes import promote, python_scalar_type, to_inexact
from .trace import bind, type_of

Value = Any  # a numpy array or scalar, or a traced value (`fnx._core.trace.Tracer`)


def add(x: Value, y: Value) -> Value:
    """Elementwise x + y, of equal-typed operands."""
    return bind("add", x, y)


def ne(x: Value, y: Value) -> Value:
    """Elementwise x != y, of equal-typed operands."""
    return bind("ne", x, y)


def lt(x: Value, y: Value) -> Value:
    """Elementwise x < y, of equal-typed operands."""
    return bind("lt", x, y)


def clamp(lo: Value, x: Value, hi: Value) -> Value:
    """Elementwise min(max(x, lo), hi); `lo` and `hi` may be scalars."""
    return bind("clamp", lo, x, hi)


def convert_element_type(x: Value, new_dtype: DType, weak: bool = False) -> Value:
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


def iota(dtype: DType, shape: Sequence[int], dimension: int = 0) -> Value:
    """An array of `shape` counting 0, 1, ... along `dimension`."""
    return bind("iota", dtype=dtype, shape=tuple(shape), dimension=dimension)


def broadcast_in_dim(x: Value, shape: Sequence[int], broadcast_dimensions: Sequence[int]) -> Value:
    """`x` broadcast to `shape`, its dim i becoming dim `broadcast_dimensions[i]`."""
    shape, dims = tuple(shape), tuple(broadcast_dimensions)
    if (type_of(x).shape == shape and dims == tuple(range(len(shape)))
            and not isinstance(x, Literal)):
        return x
    return bind("broadcast_in_dim", x, shape=shape, broadcast_dimensions=dims)


def reshape(x: Value, new_sizes: Sequence[int]) -> Value:
    """`x`'s elements (row-major) in the shape `new_sizes`."""
    new_sizes = tuple(int(d) for d in new_sizes)
    return x if type_of(x).shape == new_sizes else bind("reshape", x, new_sizes=new_sizes)


def transpose(x: Value, permutation: Sequence[int]) -> Value:
    """`x` with its dims permuted: result dim i is `x`'s dim `permutation[i]`."""
    permutation = tuple(permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return bind("transpose", x, permutation=permutation)


def expand_dims(x: Value, dimensions: Sequence[int]) -> Value:
    """`x` with size-1 dims inserted at `dimensions` (of the result)."""
    dimensions = tuple(dimensions)
    return bind("expand_dims", x, dimensions=dimensions) if dimensions else x


def concatenate(operands: Sequence[Value], dimension: int) -> Value:
    """The operands joined along `dimension`."""
    return operands[0] if len(operands) == 1 else bind("concatenate", *operands,
                                                       dimension=dimension)


def slice(x: Value, start_indices: Sequence[int], limit_indices: Sequence[int],
          strides: Sequence[int] | None = None) -> Value:
    """`x[start:limit:stride]` per dim (static bounds)."""
    start, limit = tuple(start_indices), tuple(limit_indices)
    strides = tuple(strides) if strides is not None else (1,) * len(start)
    if start == (0,) * len(start) and limit == type_of(x).shape and set(strides) <= {1}:
        return x
    return bind("slice", x, start_indices=start, limit_indices=limit, strides=strides)


def slice_rows(x, start: int, limit: int):
    """`x[start:limit]` along axis 0."""
    shape = type_of(x).shape
    return slice(x, (start,) + (0,) * (len(shape) - 1), (limit,) + shape[1:])


def reduce_sum(x: Value, axes: Sequence[int]) -> Value:
    """The sum of `x` over `axes`."""
    return bind("reduce_sum", x, axes=tuple(axes))


def gather(x: Value, indices: Sequence, axes: Sequence[int]) -> Value:
    """`x` indexed by one integer array per axis of `axes` (clamped), as `x[i, j]` in numpy."""
    return bind("gather", x, *indices, axes=tuple(axes))
