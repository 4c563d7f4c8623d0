"""Dtype objects and dtype queries of `fnx.numpy`.

`fnp.float32` etc. behave like numpy's scalar types wherever a dtype is expected
(`np.dtype(fnp.float32)`, `x.dtype == fnp.float32`, `dtype=fnp.float32`), and, as in
JAX, calling one converts an array or traced value: `fnp.float32(x)`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import fnx_ir

from .._core.dtypes import promote
from .._core.trace import type_of
from ._base import (ArrayLike, asarray_or_tracer, Axis, DTypeLike, result_dtype, to_dtype)
from ._creation import asarray


class _ScalarType:
    """A dtype usable as `fnp.float32(x)` (converts) and wherever numpy expects a dtype."""

    __slots__ = ("dtype", "type", "__name__")

    def __init__(self, np_type):
        self.type = np_type
        self.dtype = np.dtype(np_type)
        self.__name__ = self.dtype.name

    def __call__(self, x):
        return asarray(x, dtype=self.dtype)

    def __repr__(self):
        return f"fnx.numpy.{self.__name__}"

    def __eq__(self, other):
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.dtype)


bool_ = _ScalarType(np.bool_)
int8 = _ScalarType(np.int8)
int16 = _ScalarType(np.int16)
int32 = _ScalarType(np.int32)
int64 = _ScalarType(np.int64)
uint8 = _ScalarType(np.uint8)
uint16 = _ScalarType(np.uint16)
uint32 = _ScalarType(np.uint32)
uint64 = _ScalarType(np.uint64)
float16 = _ScalarType(np.float16)
float32 = _ScalarType(np.float32)
float64 = _ScalarType(np.float64)
# bfloat16 needs ml_dtypes (the `fnx[bfloat16]` extra): without it, fnx.numpy.bfloat16 is absent.
if fnx_ir.bfloat16 is not None:
    bfloat16 = _ScalarType(fnx_ir.bfloat16.np.type)

# The abstract scalar types (for issubdtype) and dtype helpers are numpy's own.
generic, number, integer, signedinteger, unsignedinteger = (
    np.generic, np.number, np.integer, np.signedinteger, np.unsignedinteger)
inexact, floating, complexfloating = np.inexact, np.floating, np.complexfloating
dtype, finfo, iinfo, issubdtype = np.dtype, np.finfo, np.iinfo, np.issubdtype
can_cast = np.can_cast


def promote_types(a: ArrayLike, b: ArrayLike) -> np.dtype:
    """JAX's promotion of two dtypes (its lattice, canonical under the x64 switch)."""
    return promote((to_dtype(a), False), (to_dtype(b), False))[0].np


def result_type(*args: ArrayLike) -> np.dtype:
    """JAX's `result_type` for arrays, traced values, Python scalars (weak) and dtypes."""
    vals = []
    for a in args:
        if isinstance(a, (_ScalarType, np.dtype, str)) or isinstance(a, type):
            vals.append(np.zeros((), fnx_ir.dtype(a).np))
        else:
            vals.append(asarray_or_tracer(a))
    return result_dtype(*vals).np


def isdtype(dtype: DTypeLike, kind: str) -> bool:
    """As `numpy.isdtype` (the array API dtype-kind query)."""
    return np.isdtype(np.dtype(dtype), kind)


def shape(a: ArrayLike) -> tuple[int, ...]:
    """As `numpy.shape`; works on traced values too."""
    return type_of(asarray_or_tracer(a)).shape


def ndim(a: ArrayLike) -> int:
    """As `numpy.ndim`; works on traced values too."""
    return type_of(asarray_or_tracer(a)).ndim


def size(a: ArrayLike, axis: Axis = None) -> int:
    """As `numpy.size`; works on traced values too."""
    t = type_of(asarray_or_tracer(a))
    return t.size if axis is None else t.shape[axis]


def iscomplexobj(x: ArrayLike) -> bool:
    """Always False (fnx has no complex dtypes)."""
    return False


def isrealobj(x: ArrayLike) -> bool:
    """Always True (fnx has no complex dtypes)."""
    return True


def isscalar(element: Any) -> bool:
    """As `numpy.isscalar` (a traced 0-d value is not a scalar, as in JAX)."""
    return np.isscalar(element)
