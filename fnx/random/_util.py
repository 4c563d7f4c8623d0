"""Small helpers shared by `fnx.random`: key checks, shapes, parameters as operands.

Everything here works on numpy arrays and on traced values alike: parameters
that are Python scalars or numpy arrays become (constant) numpy operands of the
requested dtype, traced values are converted with `lax.convert_element_type`,
and every array operation goes through `fnx.lax`.
"""
from __future__ import annotations

import operator
from typing import Sequence

import numpy as np

import fnx_ir
from fnx_ir import DType, Literal

from .. import lax
from .._core.dtypes import canonical_array, default_float, requested
from .._core.trace import Tracer, type_of

KEY_SHAPE = (2,)


def is_traced(x) -> bool:
    return type(x) is Tracer


def check_key(name: str, key):
    """A single raw key: a uint32[2] array (numpy or traced)."""
    if not is_traced(key) and not isinstance(key, np.ndarray):
        arr = np.asarray(key)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"fnx.random.{name}: expected a PRNG key (uint32[2], from "
                            f"fnx.random.key/PRNGKey/split), got {type(key).__name__}")
        key = arr.astype(np.uint32)
    t = type_of(key)
    if t.dtype is not fnx_ir.uint32 or t.shape != KEY_SHAPE:
        hint = ""
        if t.dtype is fnx_ir.uint32 and t.shape[-1:] == KEY_SHAPE:
            hint = (" This is a batch of keys: map over it with fnx.vmap (or index one key "
                    "out of it).")
        elif t.shape == ():
            hint = " To make a key from an integer seed use fnx.random.key(seed)."
        raise TypeError(f"fnx.random.{name}: expected a single PRNG key of type u32[2], got "
                        f"{t.dtype.short}{list(t.shape)}.{hint}")
    return key


def canon_shape(name: str, shape) -> tuple[int, ...]:
    if shape is None:
        raise TypeError(f"fnx.random.{name}: shape must be a tuple of ints, got None")
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        out = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"fnx.random.{name}: shape must be a tuple of non-negative ints, "
                        f"got {shape!r}") from None
    if any(d < 0 for d in out):
        raise ValueError(f"fnx.random.{name}: shape must be non-negative, got {out}")
    return out


def float_dtype(name: str, dtype) -> DType:
    """A sampler's float `dtype=`: Python `float` is the default float (float32, or float64
    with x64 on); an explicit float64 with x64 off narrows with JAX's warning."""
    if dtype is float:
        return default_float()
    d = requested(fnx_ir.dtype(dtype), name)
    if not d.is_float:
        raise ValueError(f"fnx.random.{name}: dtype must be a floating-point dtype "
                         f"(float32 or float64), got {d}")
    return d


def param(x, dtype: DType):
    """`x` (Python scalar, list, numpy array or traced value) as an operand of `dtype`."""
    if is_traced(x):
        return lax.convert_element_type(x, dtype)
    if isinstance(x, Literal):
        x = x.value
    return np.asarray(x).astype(dtype.np)


def shape_of(x) -> tuple[int, ...]:
    if is_traced(x):
        return type_of(x).shape
    return np.shape(x)


def dtype_of(x) -> DType:
    if is_traced(x):
        return type_of(x).dtype
    return fnx_ir.dtype(np.asarray(x).dtype)


def broadcast_shapes(name: str, *shapes) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"fnx.random.{name}: shapes {', '.join(str(tuple(s)) for s in shapes)} "
                         "cannot be broadcast together") from None


def check_shape(name: str, shape: tuple[int, ...], *param_shapes) -> None:
    """As JAX: parameter shapes must broadcast *to* the requested shape."""
    if param_shapes:
        got = broadcast_shapes(name, shape, *param_shapes)
        if got != tuple(shape):
            raise ValueError(
                f"fnx.random.{name}: parameter shapes {[tuple(s) for s in param_shapes]} must "
                f"be broadcast-compatible with shape {tuple(shape)}, and broadcasting them must "
                f"give that shape, but it gives {got}")


def bcast(x, shape: Sequence[int]):
    """Broadcast an operand to `shape` (numpy rules, trailing dims aligned)."""
    shape = tuple(shape)
    t = type_of(x)
    if t.shape == shape:
        return x
    if t.ndim > len(shape):
        # size-1 leading dims may be dropped, as numpy.broadcast_to would refuse: do it here
        lead = t.shape[:t.ndim - len(shape)]
        if any(d != 1 for d in lead):
            raise ValueError(f"cannot broadcast shape {t.shape} to {shape}")
        x = lax.reshape(x, t.shape[t.ndim - len(shape):])
    return lax.broadcast_to_rank_shape(x, shape)


def full(shape, value, dtype: DType):
    return lax.full(tuple(shape), value, dtype)


def normalize_axis(name: str, axis: int, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"fnx.random.{name}: axis {axis} is out of bounds for an array of "
                         f"dimension {ndim}")
    return axis % ndim


def as_operand(x):
    """A traced value or a numpy array (lists and scalars via numpy) of a canonical dtype
    (float64 is float32 with x64 off)."""
    if is_traced(x):
        return x
    if isinstance(x, Literal):
        return np.asarray(x.value)
    return canonical_array(np.asarray(x))


def take(x, ind, axis: int):
    """`numpy.take(x, ind, axis)` for in-range integer indices, via `lax.gather`."""
    t = type_of(x)
    out = lax.gather(x, [ind], (axis,))
    if axis == 0:
        return out
    # gather puts the index dims first: move them to `axis`
    nb = type_of(ind).ndim
    perm = (tuple(range(nb, nb + axis)) + tuple(range(nb))
            + tuple(range(nb + axis, nb + t.ndim - 1)))
    return lax.transpose(out, perm)
