"""`fnx.eval_shape` and `fnx.ShapeDtypeStruct`: a function's output shapes and dtypes, traced
abstractly (nothing is computed), as JAX's."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import fnx_ir
from fnx_ir import ShapedType

from . import pytree
from .argspec import trace_pytree


class ShapeDtypeStruct:
    """A shape and a dtype standing for an array (JAX's `jax.ShapeDtypeStruct`): an argument of
    `eval_shape` and `jit(f).lower`, and what `eval_shape` returns. It holds no values."""

    __slots__ = ("shape", "dtype", "weak_type", "sharding", "_fnx_type")

    def __init__(self, shape, dtype, *, sharding=None, weak_type: bool = False):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)
        self.sharding = sharding
        # (what fnx.type_of reads: an abstract value of this type)
        self._fnx_type = ShapedType(self.shape, fnx_ir.dtype(self.dtype), self.weak_type)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return self._fnx_type.size

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"{self!r} describes an array but holds no values: call the function "
                        "with arrays; use a ShapeDtypeStruct with fnx.eval_shape or "
                        "fnx.jit(f).lower")

    def __eq__(self, other) -> bool:
        return (isinstance(other, ShapeDtypeStruct) and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype, self.weak_type))

    def __repr__(self) -> str:
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak})"


def eval_shape(fun: Callable, *args, **kwargs) -> Any:
    """The output pytree of `fun(*args, **kwargs)` with a `ShapeDtypeStruct` for each array,
    found by tracing abstractly: nothing is computed. Arguments are arrays, scalars or
    `ShapeDtypeStruct`s."""
    traced, out_tree, _ = trace_pytree(fun, args, kwargs, concrete=False,
                                       what=getattr(fun, "__name__", "function"))
    return pytree.tree_unflatten(out_tree, [
        ShapeDtypeStruct(v.type.shape, v.type.dtype.np, weak_type=v.type.weak)
        for v in traced.program.outputs])
