"""The machinery under `fnx.numpy`: operands, NumPy 2 promotion and broadcasting.

Every `fnx.numpy` function turns its inputs into operands of one dtype and one
shape here, then binds a primitive through `fnx.lax`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

import fnx_ir
from fnx_ir import DType, Literal, ShapedType

from .. import lax
from .._core import errors
from .._core.trace import Tracer, type_of

ArrayLike = "Tracer | np.ndarray | np.generic | bool | int | float | Sequence"


def is_python_scalar(x) -> bool:
    return isinstance(x, (bool, int, float)) and not isinstance(x, np.generic)


def asarray_or_tracer(x):
    """Tracers and numpy arrays pass; Python scalars stay (weak); the rest via numpy."""
    if type(x) is Tracer or isinstance(x, np.ndarray) or is_python_scalar(x):
        return x
    if isinstance(x, np.generic):
        return np.asarray(x)
    if isinstance(x, (list, tuple)) and any(type(e) is Tracer for e in _flat(x)):
        from ._shape import stack  # a nested list of traced scalars/arrays
        return stack([asarray_or_tracer(e) for e in x])
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"fnx.numpy cannot use a value of type {type(x).__name__} "
                        f"(dtype {arr.dtype}) as an array")
    return arr


def _flat(x):
    for e in x:
        if isinstance(e, (list, tuple)):
            yield from _flat(e)
        else:
            yield e


def result_dtype(*xs) -> DType:
    """NumPy 2 promotion of the operands (Python scalars are weak)."""
    return fnx_ir.result_type(*[(t.dtype, t.weak) for t in (type_of(x) for x in xs)])


def broadcast_shapes(*shapes, what: str = "operands") -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise errors.FnxTypeError(errors.at_source(
            f"{what}: shapes {', '.join(str(tuple(s)) for s in shapes)} cannot be broadcast "
            "together", errors.user_source())) from None


def convert(x, dtype: DType):
    """`x` with dtype `dtype`: Python scalars become literals, arrays are converted."""
    if is_python_scalar(x):
        return fnx_ir.literal(x, dtype, weak=True)
    t = type_of(x)
    if t.dtype is dtype:
        return x
    return lax.convert_element_type(x, dtype, weak=False)


def broadcast_to(x, shape: tuple[int, ...]):
    return lax.broadcast_to_rank_shape(x, shape)


def operands(*xs, dtype: DType | None = None, what: str = "operands"):
    """Promote to a common dtype (or `dtype`) and broadcast to a common shape."""
    xs = [asarray_or_tracer(x) for x in xs]
    dtype = dtype or result_dtype(*xs)
    shape = broadcast_shapes(*[type_of(x).shape for x in xs], what=what)
    return [broadcast_to(convert(x, dtype), shape) for x in xs]


def float_dtype_for(dtype: DType) -> DType:
    """The float dtype numpy computes a transcendental of `dtype` in (bool→f32, ints→f64)."""
    if dtype.is_float:
        return dtype
    return fnx_ir.float32 if dtype.is_bool else fnx_ir.float64


def ensure_array(x):
    """An operand that is a numpy array or tracer (Python scalars become 0-d arrays)."""
    x = asarray_or_tracer(x)
    if is_python_scalar(x):
        return np.asarray(x)
    return x


def normalize_axis(axis: int, ndim: int, what: str = "axis") -> int:
    if not -ndim <= axis < max(ndim, 1):
        raise np.exceptions.AxisError(f"{what} {axis} is out of bounds for array of dimension {ndim}")
    return axis % max(ndim, 1)


def normalize_axes(axis, ndim: int) -> tuple[int, ...]:
    """`axis=None | int | tuple` → a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    axes = tuple(normalize_axis(int(a), ndim) for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"duplicate value in 'axis': {axis}")
    return tuple(sorted(axes))
