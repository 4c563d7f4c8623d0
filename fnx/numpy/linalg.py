"""`fnx.numpy.linalg`: norms and the product functions. Factorisations and solvers (det,
inv, solve, svd, eigh, cholesky, qr, ...) are not provided yet: calling one raises
NotImplementedError."""
from __future__ import annotations

import numpy as _np

from .._core.trace import type_of as _type_of
from ._base import Array, ArrayLike, Axis
from . import _base, _creation, _elementwise, _reductions, _shape
from ._linalg import matmul, outer, tensordot, vecdot, cross, trace  # noqa: F401
from ._indexing import diagonal  # noqa: F401
from ._shape import matrix_transpose  # noqa: F401

__all__ = ["norm", "vector_norm", "matrix_norm", "matmul", "outer", "tensordot", "vecdot",
           "cross", "trace", "diagonal", "matrix_transpose"]


def vector_norm(x: ArrayLike, /, *, axis: Axis = None, keepdims: bool = False,
                ord: int | float | str | None = 2) -> Array:
    """The vector p-norm over `axis` (all axes by default): ord 2, 1, inf, -inf, 0 or any p."""
    a = _base.ensure_array(x)
    if not _type_of(a).dtype.is_float:
        a = _creation.asarray(a, _base.float_dtype_for(_type_of(a).dtype))
    m = _elementwise.abs(a)
    if ord == 2:
        return _elementwise.sqrt(_reductions.sum(m * m, axis=axis, keepdims=keepdims))
    if ord == 1:
        return _reductions.sum(m, axis=axis, keepdims=keepdims)
    if ord == _np.inf:
        return _reductions.max(m, axis=axis, keepdims=keepdims)
    if ord == -_np.inf:
        return _reductions.min(m, axis=axis, keepdims=keepdims)
    if ord == 0:
        return _reductions.sum(_creation.asarray(m != 0, m.dtype), axis=axis, keepdims=keepdims)
    total = _reductions.sum(_elementwise.power(m, ord), axis=axis, keepdims=keepdims)
    return _elementwise.power(total, 1.0 / ord)


def matrix_norm(x: ArrayLike, /, *, keepdims: bool = False,
                ord: int | float | str | None = "fro") -> Array:
    """Matrix norms of the last two axes: 'fro', 1, -1, inf, -inf."""
    a = _base.ensure_array(x)
    if not _type_of(a).dtype.is_float:
        a = _creation.asarray(a, _base.float_dtype_for(_type_of(a).dtype))
    m = _elementwise.abs(a)
    if ord == "fro":
        return _elementwise.sqrt(_reductions.sum(m * m, axis=(-2, -1), keepdims=keepdims))
    if ord in (1, -1):
        col = _reductions.sum(m, axis=-2, keepdims=keepdims)
        red = _reductions.max if ord == 1 else _reductions.min
        return red(col, axis=-1, keepdims=keepdims)
    if ord in (_np.inf, -_np.inf):
        row = _reductions.sum(m, axis=-1, keepdims=True)
        red = _reductions.max if ord == _np.inf else _reductions.min
        out = red(row, axis=-2, keepdims=True)
        return out if keepdims else _shape.squeeze(out, (-2, -1))
    raise NotImplementedError(f"fnx.numpy.linalg.matrix_norm: ord={ord!r} needs singular "
                              "values, which fnx does not compute yet")


def norm(x: ArrayLike, ord: int | float | str | None = None, axis: Axis = None,
         keepdims: bool = False) -> Array:
    """`numpy.linalg.norm` (vector norms, and matrix norms 'fro', 1, -1, inf, -inf)."""
    a = _base.ensure_array(x)
    nd = _type_of(a).ndim
    if axis is None:
        if ord is None or (ord == "fro" and nd == 2):
            flat = _shape.ravel(a) if not keepdims else a
            return vector_norm(flat, axis=None, keepdims=keepdims)
        if nd == 1:
            return vector_norm(a, axis=0, keepdims=keepdims, ord=ord)
        if nd == 2:
            return matrix_norm(a, keepdims=keepdims, ord=ord)
        raise ValueError("Improper number of dimensions to norm.")
    axes = _base.normalize_axes(axis, nd, sort=False)
    if len(axes) == 1:
        return vector_norm(a, axis=axes[0], keepdims=keepdims, ord=2 if ord is None else ord)
    if len(axes) == 2:
        moved = _shape.moveaxis(a, axes, (-2, -1))
        out = matrix_norm(moved, keepdims=keepdims, ord="fro" if ord is None else ord)
        if keepdims:
            out = _shape.moveaxis(out, (-2, -1), axes)
        return out
    raise ValueError("Improper number of dimensions to norm.")


def __getattr__(name: str):
    if not name.startswith("_") and hasattr(_np.linalg, name):
        raise _base.NotImplementedInFnx(f"fnx.numpy.linalg.{name} is not implemented yet "
                                  "(factorisations and solvers are left out)")
    raise AttributeError(f"module 'fnx.numpy.linalg' has no attribute {name!r}")
