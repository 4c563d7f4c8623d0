"""`fnx.lax` collectives over named axes (JAX's signatures): `psum`, `pmean`, `pmax`,
`pmin`, `all_gather`, `axis_index`.

A name refers to an enclosing `fnx.vmap(..., axis_name=name)` (see docs/vmap.md); naming
an axis that is not bound raises `NameError("unbound axis name: ...")`, as in JAX. The
primitives and their batching rules are in `fnx/_rules/collectives.py`.
"""
from __future__ import annotations

from typing import Any, Hashable

import fnx_ir

from . import ops, pytree
from .batching import axis_size
from .trace import bind, type_of


def _names(axis_name) -> tuple[str, ...]:
    names = axis_name if isinstance(axis_name, (tuple, list)) else (axis_name,)
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"axis names must be strings, got {n!r}")
        axis_size(n)  # NameError if unbound
    return tuple(names)


def _no_groups(axis_index_groups, what: str) -> None:
    if axis_index_groups is not None:
        raise NotImplementedError(f"{what}: axis_index_groups is not supported")


def _map(prim: str, x, names: tuple):
    return pytree.tree_map(lambda leaf: bind(prim, leaf, axis_name=names), x)


def psum(x: Any, axis_name: Hashable | tuple, *, axis_index_groups: None = None) -> Any:
    """The sum of `x` (a pytree) over the named axis or axes: every member gets the total
    (booleans are counted as int32, as in JAX)."""
    _no_groups(axis_index_groups, "psum")
    names = _names(axis_name)

    def total(leaf):
        if type_of(leaf).dtype is fnx_ir.bool_:
            leaf = bind("convert_element_type", leaf, new_dtype=fnx_ir.int32, weak=False)
        return bind("psum", leaf, axis_name=names)
    return pytree.tree_map(total, x)


def pmax(x: Any, axis_name: Hashable | tuple, *, axis_index_groups: None = None) -> Any:
    """The maximum of `x` (a pytree) over the named axis or axes."""
    _no_groups(axis_index_groups, "pmax")
    return _map("pmax", x, _names(axis_name))


def pmin(x: Any, axis_name: Hashable | tuple, *, axis_index_groups: None = None) -> Any:
    """The minimum of `x` (a pytree) over the named axis or axes."""
    _no_groups(axis_index_groups, "pmin")
    return _map("pmin", x, _names(axis_name))


def pmean(x: Any, axis_name: Hashable | tuple, *, axis_index_groups: None = None) -> Any:
    """The mean of `x` (a pytree) over the named axis or axes (`psum(x) / axis size`, a
    true division: integers give floats, as in JAX)."""
    _no_groups(axis_index_groups, "pmean")
    names = _names(axis_name)
    n = 1
    for name in names:
        n *= axis_size(name)
    return pytree.tree_map(lambda leaf: ops.true_divide(bind("psum", leaf, axis_name=names), n), x)


def all_gather(x: Any, axis_name: Hashable, *, axis_index_groups: None = None, axis: int = 0,
               tiled: bool = False) -> Any:
    """Every member's `x` (a pytree), stacked along a new axis `axis` (or concatenated
    along the existing axis `axis` when `tiled`), in the order of the named axis."""
    _no_groups(axis_index_groups, "all_gather")
    names = _names(axis_name)
    if len(names) != 1:
        raise NotImplementedError("all_gather over several axis names is not supported")
    size = axis_size(names[0])

    def gather(leaf):
        ndim = type_of(leaf).ndim
        rank = ndim if tiled else ndim + 1
        if not -rank <= axis < rank:
            raise ValueError(f"all_gather: axis {axis} is out of bounds for an operand of "
                             f"rank {ndim}{' (tiled)' if tiled else ''}")
        return bind("all_gather", leaf, axis_name=names, axis=axis % rank, tiled=bool(tiled),
                    axis_size=size)
    return pytree.tree_map(gather, x)


def axis_index(axis_name: Hashable):
    """This member's position (int32) along the named axis."""
    names = _names(axis_name)
    if len(names) != 1:
        raise NotImplementedError("axis_index over several axis names is not supported")
    return bind("axis_index", axis_name=names)
