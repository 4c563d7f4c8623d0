"""`fnx.lax`: one thin function per primitive, as in `jax.lax`.

Each binder is defined in its family file in `fnx/_rules/` (`elementwise.py`, `shape.py`,
…), at the head of its primitive's block, next to the rules registered with it; every family
lists its public binders in `__all__`, and this module re-exports them all with `import *`,
so a new primitive's binder appears here by being in its family file. Added here: a few
conveniences built on the binders (`dot`, `slice_in_dim`, …), structured control flow and
collectives. No broadcasting or promotion happens here: operands must already fit the
primitive (see docs/semantics.md). Every function works on numpy arrays (eagerly) and on
traced values alike.
"""
from __future__ import annotations

from typing import Any


from ._core.ops import Value
from ._core.trace import type_of as _type_of
# The public binders, family by family (each family's `__all__`).
from ._rules.elementwise import *  # noqa: F401,F403
from ._rules.shape import *  # noqa: F401,F403
from ._rules.indexing import *  # noqa: F401,F403
from ._rules.reductions import *  # noqa: F401,F403
from ._rules.linalg import *  # noqa: F401,F403
from ._rules.elementwise import add, lt, select  # (used by the conveniences below)
from ._rules.indexing import dynamic_slice, dynamic_update_slice, slice
from ._rules.linalg import Precision, dot_general
from ._rules.shape import full_like, squeeze


# ---------------------------------------------------------------- conveniences

def dot(lhs: Value, rhs: Value, *, precision: Precision | str | None = None,
        preferred_element_type: Any = None) -> Value:
    """Vector/matrix products: the last axis of `lhs` with the first of `rhs` (1-D or 2-D
    operands, as `jax.lax.dot`)."""
    nl, nr = _type_of(lhs).ndim, _type_of(rhs).ndim
    if not (1 <= nl <= 2 and 1 <= nr <= 2):
        raise TypeError(f"fnx.lax.dot: operands must be 1-D or 2-D, got ranks {nl} and {nr}")
    return dot_general(lhs, rhs, (((nl - 1,), (0,)), ((), ())), precision,
                       preferred_element_type)


def _in_dim(x, axis: int, what: str) -> tuple[int, int]:
    """(axis normalised, its size)."""
    shape = _type_of(x).shape
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"fnx.lax.{what}: axis {axis} is out of bounds for rank {len(shape)}")
    axis %= len(shape)
    return axis, shape[axis]


def _wrap_negative(i, n: int):
    """A start index with negative values counted from the end (`i + n`)."""
    if isinstance(i, int):
        return i + n if i < 0 else i
    if not _type_of(i).dtype.is_integer:
        raise TypeError(f"start index must be an integer, got {_type_of(i)}")
    if _type_of(i).dtype.kind == "u":
        return i
    return select(lt(i, full_like(i, 0)), add(i, full_like(i, n)), i)


def slice_in_dim(operand: Value, start_index: int | None, limit_index: int | None, stride: int = 1,
                 axis: int = 0):
    """`operand[start:limit:stride]` along `axis` (static indices; negative ones count from
    the end)."""
    axis, n = _in_dim(operand, axis, "slice_in_dim")
    start = 0 if start_index is None else int(start_index)
    limit = n if limit_index is None else int(limit_index)
    start, limit = start + n if start < 0 else start, limit + n if limit < 0 else limit
    shape = _type_of(operand).shape
    starts, limits, strides = [0] * len(shape), list(shape), [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start, limit, int(stride)
    return slice(operand, starts, limits, strides)


def index_in_dim(operand: Value, index: int, axis: int = 0, keepdims: bool = True):
    """`operand`'s entry `index` (static) along `axis`, keeping that axis (size 1) or not."""
    axis, n = _in_dim(operand, axis, "index_in_dim")
    i = int(index)
    wrapped = i + n if i < 0 else i
    if not 0 <= wrapped < n:
        raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
    out = slice_in_dim(operand, wrapped, wrapped + 1, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


def _starts(operand, axis: int, start):
    starts = [0] * _type_of(operand).ndim
    starts[axis] = start
    return starts


def dynamic_slice_in_dim(operand: Value, start_index: Value, slice_size: int, axis: int = 0, *,
                         allow_negative_indices: bool = True):
    """`slice_size` entries from `start_index` (may be traced; clamped so the slice fits)
    along `axis`."""
    axis, n = _in_dim(operand, axis, "dynamic_slice_in_dim")
    if allow_negative_indices:
        start_index = _wrap_negative(start_index, n)
    sizes = list(_type_of(operand).shape)
    sizes[axis] = int(slice_size)
    return dynamic_slice(operand, _starts(operand, axis, start_index), sizes)


def dynamic_index_in_dim(operand: Value, index: Value, axis: int = 0, keepdims: bool = True, *,
                         allow_negative_indices: bool = True):
    """`operand`'s entry `index` (may be traced; clamped) along `axis`."""
    out = dynamic_slice_in_dim(operand, index, 1, axis,
                               allow_negative_indices=allow_negative_indices)
    return out if keepdims else squeeze(out, (_in_dim(operand, axis, "dynamic_index_in_dim")[0],))


def dynamic_update_slice_in_dim(operand: Value, update: Value, start_index: Value, axis: int, *,
                                allow_negative_indices: bool = True):
    """`operand` with `update` written from `start_index` (may be traced; clamped) along
    `axis`."""
    axis, n = _in_dim(operand, axis, "dynamic_update_slice_in_dim")
    if allow_negative_indices:
        start_index = _wrap_negative(start_index, n)
    return dynamic_update_slice(operand, update, _starts(operand, axis, start_index))


# ---------------------------------------------------------------- control flow
# Structured control flow; the tracing of the branch/body functions into closed sub-programs
# is in fnx/_core/control_flow.py (see docs/control-flow.md). Note: `fnx.lax.map` shadows
# the builtin inside this module, which therefore must not call the builtin `map`.

from ._core.control_flow import cond, switch, while_loop, fori_loop, scan, map  # noqa: E402,F401


# ---------------------------------------------------------------- collectives
# Over the named axes of enclosing `fnx.vmap(..., axis_name=...)` calls (docs/vmap.md).

from ._core.collectives import psum, pmean, pmax, pmin, all_gather, axis_index  # noqa: E402,F401
