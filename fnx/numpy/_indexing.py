"""Indexing in `fnx.numpy`: `x[...]`, `x.at[...]`, take, take_along_axis, diagonal, nonzero.

`x[idx]` follows numpy's rules (basic and advanced indexing, with numpy's placement of
the advanced-index dimensions) and lowers to `slice`, `rev`, `squeeze`, `dynamic_slice`
and `gather`. Out-of-range indices:
- a static Python int (or a concrete numpy index array) raises IndexError, as numpy;
- a traced index is clamped to the valid range, as JAX does (negative indices are first
  wrapped once, `i + n`).
A boolean mask must be concrete (a numpy array): the result shape depends on it. With a
traced mask use `fnx.numpy.where(mask, x, 0)` or `fnx.numpy.nonzero(mask, size=n)`.

`x.at[idx].set(v)` (and add, subtract, multiply/mul, divide, min, max, power, apply, get)
returns an updated copy, as in JAX; out-of-range updates are dropped. Traced values have
`.at`; for numpy arrays use `fnx.numpy.at(x)[idx].set(v)`.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

import fnx_ir

from .. import lax
from .._core.dtypes import default_int
from .._core import errors
from .._core.trace import type_of
from ._base import (Array, ArrayLike, Axis, _flat, asarray_or_tracer, broadcast_shapes,
                    broadcast_to, convert, dtype_of, ensure_array, finish, fresh, is_tracer,
                    normalize_axis, result_dtype, result_weak, shape_of, static_int, type_error)
from ._creation import zeros
from ._elementwise import add, clip, divide, maximum, minimum, multiply, negative, power
from ._logical import greater_equal, less, logical_and, truth
from ._shape import ravel, stack
from ._take import fill_default, take, wrap_indices

__all__ = ["where", "take_along_axis", "diagonal", "diag", "diagflat", "nonzero", "argwhere",
           "flatnonzero", "compress", "extract", "unravel_index", "ravel_multi_index", "at"]


class NonConcreteBooleanIndexError(errors.FnxTypeError, IndexError):
    """A boolean mask index that is a traced value: the result shape would depend on it."""


_VALID = ("only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer "
          "or boolean arrays are valid indices")


# ----------------------------------------------------------------------------- parsing

class _Item:
    """One index item after expansion: kind in none/slice/int/scalar/array/mask."""

    __slots__ = ("kind", "value", "dim")

    def __init__(self, kind: str, value: Any = None, dim: int = -1):
        self.kind, self.value, self.dim = kind, value, dim


def _classify(item) -> _Item:
    if item is None:
        return _Item("none")
    if item is Ellipsis:
        return _Item("ellipsis")
    if isinstance(item, slice):
        return _Item("slice", item)
    if isinstance(item, (bool, np.bool_)):
        return _Item("mask", np.asarray(item))
    if isinstance(item, (int, np.integer)):
        return _Item("int", int(item))
    if isinstance(item, fnx_ir.Literal):
        item = np.asarray(item.value)
    if is_tracer(item) or (isinstance(item, (list, tuple)) and
                           any(is_tracer(e) for e in _flat(item))):
        t = asarray_or_tracer(item)
        d = dtype_of(t)
        if d.is_bool:
            raise NonConcreteBooleanIndexError(errors.at_source(
                f"indexing with a traced boolean mask {type_of(t)}: the result shape would depend "
                "on its values. Use fnx.numpy.where(mask, x, 0) to keep the shape, or "
                "fnx.numpy.nonzero(mask, size=n) for a static number of indices.",
                errors.user_source()))
        if not d.is_integer:
            raise IndexError(f"{_VALID}; got a traced value of dtype {d}")
        return _Item("scalar" if type_of(t).ndim == 0 else "array", t)
    arr = np.asarray(item)
    if arr.dtype == bool:
        return _Item("mask", arr)
    if arr.size == 0 and arr.dtype.kind == "f" and isinstance(item, (list, tuple)):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise IndexError(_VALID)
    if arr.ndim == 0:
        return _Item("int", int(arr))
    return _Item("array", arr.astype(np.int64) if arr.dtype != np.int64 else arr)


class _Parsed:
    """An index expression resolved against a shape: one item per consumed dim, plus Nones."""

    def __init__(self, shape: tuple[int, ...], idx, *, for_update: bool = False):
        self.shape = shape
        if not isinstance(idx, tuple):
            idx = (idx,)
        items = [_classify(i) for i in idx]
        if sum(i.kind == "ellipsis" for i in items) > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        consumed = sum(1 if i.kind in ("slice", "int", "scalar", "array") else
                       i.value.ndim if i.kind == "mask" else 0 for i in items)
        ndim = len(shape)
        if consumed > ndim:
            raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                             f"{consumed} were indexed")
        fill = [_Item("slice", slice(None)) for _ in range(ndim - consumed)]
        pos = next((k for k, i in enumerate(items) if i.kind == "ellipsis"), len(items))
        items = items[:pos] + fill + items[pos + 1:]
        # zero-dimensional boolean masks (x[True]) act as a new axis of length 1 or 0
        self.empty_new_axis = False
        out: list[_Item] = []
        dim = 0
        for it in items:
            if it.kind == "mask":
                m = it.value
                if m.ndim == 0:
                    if any(j.kind in ("array", "mask") and np.ndim(j.value) > 0 for j in items):
                        raise NotImplementedError("fnx.numpy: a scalar boolean index combined "
                                                  "with array indices is not supported")
                    out.append(_Item("none", None if bool(m) else "false"))
                    self.empty_new_axis |= not bool(m)
                    continue
                covered = shape[dim:dim + m.ndim]
                if tuple(m.shape) != tuple(covered):
                    bad = next(k for k, (a, b) in enumerate(zip(m.shape, covered)) if a != b)
                    raise IndexError(f"boolean index did not match indexed array along axis "
                                     f"{dim + bad}; size of axis is {covered[bad]} but size of "
                                     f"corresponding boolean axis is {m.shape[bad]}")
                for k, nz in enumerate(np.nonzero(m)):
                    out.append(_Item("array", nz.astype(np.int64), dim + k))
                dim += m.ndim
                continue
            if it.kind == "none":
                out.append(it)
                continue
            it.dim = dim
            dim += 1
            out.append(it)
        self.items = out
        self.has_adv = any(i.kind == "array" for i in out)
        if self.has_adv or for_update:  # numpy: with array indices, ints are advanced too
            for it in out:
                if it.kind in ("int", "scalar"):
                    if it.kind == "int":
                        it.value = self._static_int(it.value, it.dim, check=not for_update)
                        it.value = np.asarray(it.value, np.int64)
                    it.kind = "array"
        else:
            for it in out:
                if it.kind == "int":
                    it.value = self._static_int(it.value, it.dim, check=True)
        self.adv = [i for i in out if i.kind == "array"]

    def _static_int(self, i: int, dim: int, check: bool) -> int:
        n = self.shape[dim]
        if check and not -n <= i < n:
            raise IndexError(f"index {i} is out of bounds for axis {dim} with size {n}")
        return i + n if i < 0 and i >= -n else i

    def index_arrays(self, check: bool):
        """The advanced index arrays: broadcast, one integer dtype, negatives wrapped once."""
        arrays = [i.value for i in self.adv]
        try:
            b = tuple(np.broadcast_shapes(*(type_of(a).shape for a in arrays)))
        except ValueError:
            raise IndexError("shape mismatch: indexing arrays could not be broadcast together "
                             "with shapes " + " ".join(str(type_of(a).shape) for a in arrays)
                             ) from None
        dt = result_dtype(*arrays)
        if not dt.is_integer:
            dt = default_int()
        out = []
        for it in self.adv:
            n = self.shape[it.dim]
            a = it.value
            if not is_tracer(a):
                a = np.asarray(a)
                if check and a.size and (a.min() < -n or a.max() >= n):
                    bad = a[(a < -n) | (a >= n)].flat[0]
                    raise IndexError(f"index {bad} is out of bounds for axis {it.dim} with size {n}")
                a = np.where(a < 0, a + n, a).astype(dt.np)
            else:
                a = convert(a, dt)
                if dt.kind == "i":
                    zero = lax.full_like(a, 0)
                    a = lax.select(lax.lt(a, zero), lax.add(a, lax.full_like(a, n)), a)
            out.append(broadcast_to(a, b))
        return out, b

    def adjacent(self) -> bool:
        pos = [k for k, i in enumerate(self.items) if i.kind == "array"]
        return pos == list(range(pos[0], pos[0] + len(pos))) if pos else True

    def layout(self, nb: int) -> list[tuple]:
        """Result dims in order: ('B', k) advanced dims, ('S', item) slices, ('N', item) Nones."""
        labels: list[tuple] = []
        adj = self.adjacent()
        if self.adv and not adj:
            labels += [("B", k) for k in range(nb)]
        placed = not self.adv or not adj
        for k, it in enumerate(self.items):
            if it.kind == "array":
                if not placed:
                    labels += [("B", j) for j in range(nb)]
                    placed = True
            elif it.kind == "slice":
                labels.append(("S", k))
            elif it.kind == "none":
                labels.append(("N", k))
        return labels


def _slice_params(s: slice, n: int):
    """(lo, hi, stride, reverse) for a static slice of a dim of size n."""
    start, stop, step = s.indices(n)
    length = len(range(start, stop, step))
    if length == 0:
        return 0, 0, 1, False
    if step > 0:
        return start, start + (length - 1) * step + 1, step, False
    first = start + (length - 1) * step
    return first, start + 1, -step, True


# ----------------------------------------------------------------------------- getitem

def _getitem(x, idx, mode=None, fill_value=None):
    """`x[idx]` with numpy's semantics (see the module docstring). `mode` (of `x.at[idx].get`):
    None checks concrete indices; "clip" clamps out-of-range integer indices, "fill" gives
    `fill_value` (default: NaN, INT_MIN, UINT_MAX or True) where an index is out of range."""
    arr = ensure_array(x)
    shape = shape_of(arr)
    p = _Parsed(shape, idx, for_update=mode is not None)
    nd = len(shape)
    lo, hi, st = [0] * nd, list(shape), [1] * nd
    rev, squeeze, dyn = [], [], {}
    for it in p.items:
        if it.kind == "slice":
            a, b, s, r = _slice_params(it.value, shape[it.dim])
            lo[it.dim], hi[it.dim], st[it.dim] = a, b, s
            if r:
                rev.append(it.dim)
        elif it.kind == "int":
            lo[it.dim], hi[it.dim] = it.value, it.value + 1
            squeeze.append(it.dim)
        elif it.kind == "scalar":
            dyn[it.dim] = it.value
            squeeze.append(it.dim)
    out = lax.slice(arr, lo, hi, st)
    out = lax.rev(out, rev)
    if dyn:
        starts, sizes = [], list(shape_of(out))
        for d in range(nd):
            if d in dyn:
                i = dyn[d]
                if dtype_of(i).kind == "i":
                    n = lax.full_like(i, shape[d])
                    i = lax.select(lax.lt(i, lax.full_like(i, 0)), lax.add(i, n), i)
                starts.append(i)
                sizes[d] = 1
            else:
                starts.append(fnx_ir.literal(0, default_int()))
        out = lax.dynamic_slice(out, starts, sizes)
    out = lax.squeeze(out, squeeze)
    nb = 0
    if p.adv:  # (with a mode, integer indices are advanced too)
        arrays, b = p.index_arrays(check=mode is None)
        nb = len(b)
        out = lax.gather(out, arrays, [it.dim for it in p.adv])
    labels = p.layout(nb)
    out = _place(out, labels, nb, p)
    if mode == "fill" and p.adv:
        out = _fill_out_of_range(out, p, b, labels, fill_value)
    if p.empty_new_axis:
        out = _empty_new_axis(out, p)
    return finish(out, x)


def _fill_out_of_range(out, p: _Parsed, b: tuple[int, ...], labels, fill_value):
    """`out` with `fill_value` where any advanced index of `p` was out of range."""
    ok = True
    for it in p.adv:
        n = p.shape[it.dim]
        ok = logical_and(ok, logical_and(greater_equal(it.value, -n), less(it.value, n)))
    d = dtype_of(out)
    fill = fill_default(d) if fill_value is None else fill_value
    positions = [k for k, lab in enumerate(labels) if lab[0] == "B"]
    mask = lax.broadcast_in_dim(broadcast_to(ok, b), shape_of(out), positions)
    return lax.select(mask, out, lax.full(shape_of(out), fill, d))


def _place(out, labels, nb, p: _Parsed):
    """Insert the None dims and move the advanced dims where numpy puts them."""
    nones = [lab for lab in labels if lab[0] == "N"]
    if not nones and (not p.adv or not p.adjacent()):
        return out
    cur = [("B", k) for k in range(nb)] + [lab for lab in labels if lab[0] == "S"] + nones
    out = lax.reshape(out, shape_of(out) + (1,) * len(nones))
    return lax.transpose(out, [cur.index(lab) for lab in labels])


def _empty_new_axis(out, p: _Parsed):
    labels = p.layout(0)
    for k, lab in enumerate(labels):
        if lab[0] == "N" and p.items[lab[1]].value == "false":
            s = shape_of(out)
            hi = list(s)
            hi[k] = 0
            return lax.slice(out, (0,) * len(s), hi)
    return out


# ----------------------------------------------------------------------------- .at

_SCATTER = {"set": lax.scatter, "add": lax.scatter_add, "multiply": lax.scatter_mul,
            "min": lax.scatter_min, "max": lax.scatter_max}


def _elementwise_update(kind, x, v):
    if kind == "set":
        return v
    fn = {"add": add, "multiply": multiply, "min": minimum, "max": maximum}[kind]
    return convert(fn(x, v), dtype_of(x))


def _scatter_update(kind: str, x, idx, values, mode: str = "drop"):
    arr = ensure_array(x)
    shape = shape_of(arr)
    d = dtype_of(arr)
    p = _Parsed(shape, idx, for_update=True)
    # The shape `x[idx]` has, and its dims' labels.
    arrays, b = p.index_arrays(check=False) if p.adv else ([], ())
    nb = len(b)
    labels = p.layout(nb)
    sizes = {("B", k): n for k, n in enumerate(b)}
    partial, full = [], []
    for k, it in enumerate(p.items):
        if it.kind == "slice":
            n = len(range(*it.value.indices(shape[it.dim])))
            sizes[("S", k)] = n
            if it.value.indices(shape[it.dim]) == (0, shape[it.dim], 1):
                full.append(k)
            else:
                partial.append(k)
        elif it.kind == "none":
            sizes[("N", k)] = 1
    res_shape = tuple(sizes[lab] for lab in labels)
    v = asarray_or_tracer(values)
    if broadcast_shapes(type_of(v).shape, res_shape, what=f"at[...].{kind}",
                        xs=(arr, v)) != res_shape:
        raise type_error(f"at[...].{kind}", f"updates of shape {type_of(v).shape} do not "
                         f"broadcast to the indexed shape {res_shape}", arr, v, shape=True)
    v = broadcast_to(convert(v, d), res_shape)
    order = ([("B", k) for k in range(nb)] + [("S", k) for k in partial] +
             [("S", k) for k in full] + [lab for lab in labels if lab[0] == "N"])
    v = lax.transpose(v, [labels.index(lab) for lab in order])
    grid = b + tuple(sizes[("S", k)] for k in partial)
    v = lax.reshape(v, grid + tuple(sizes[("S", k)] for k in full))
    if not p.adv and not partial:  # every dim taken whole: an elementwise update
        return finish(_elementwise_update(kind, arr, v), x)
    idx_dt = dtype_of(arrays[0]) if arrays else default_int()
    index = [lax.broadcast_in_dim(a, grid, tuple(range(nb))) for a in arrays]
    for j, k in enumerate(partial):
        it = p.items[k]
        vec = np.arange(*it.value.indices(shape[it.dim]), dtype=idx_dt.np)
        index.append(lax.broadcast_in_dim(vec, grid, (nb + j,)))
    axes = [it.dim for it in p.adv] + [p.items[k].dim for k in partial]
    if math.prod(grid) == 0:
        return finish(arr, x)
    return finish(_SCATTER[kind](arr, v, index, axes, mode=mode), x)


class _IndexUpdateRef:
    """`x.at[idx]`: `.set(v)`, `.add(v)`, `.multiply(v)`, `.min(v)`, `.max(v)`, `.get()`, ..."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array, self.index = array, index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None, fill_value=None):
        """`x[idx]`, as JAX: out-of-range integer indices are clamped (`mode=None`, "clip",
        "promise_in_bounds") or give `fill_value` ("fill", "drop"; default NaN for floats)."""
        if mode not in (None, "clip", "promise_in_bounds", "fill", "drop"):
            raise ValueError(f"at[...].get: unknown mode {mode!r}")
        return _getitem(self.array, self.index, "fill" if mode in ("fill", "drop") else "clip",
                        fill_value)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """`x` with `x[idx] = values` (the last of repeated indices wins)."""
        return _scatter_update("set", self.array, self.index, values, _mode(mode))

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """`x` with `values` added at `idx` (repeated indices accumulate, as `np.add.at`)."""
        return _scatter_update("add", self.array, self.index, values, _mode(mode))

    def subtract(self, values, **kwargs):
        return self.add(negative(values), **kwargs)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter_update("multiply", self.array, self.index, values, _mode(mode))

    mul = multiply

    def divide(self, values, **kwargs):
        """Multiply by the reciprocal (float arrays), as JAX does."""
        x = ensure_array(self.array)
        if not dtype_of(x).is_float:
            raise TypeError("at[...].divide needs a floating-point array")
        return self.multiply(divide(fnx_ir.literal(1, dtype_of(x)), convert(
            asarray_or_tracer(values), dtype_of(x))), **kwargs)

    def power(self, values, **kwargs):
        return self.set(power(self.get(), values), **kwargs)

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter_update("min", self.array, self.index, values, _mode(mode))

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter_update("max", self.array, self.index, values, _mode(mode))

    def apply(self, func, **kwargs):
        """`x` with `func` applied elementwise at `idx` (each indexed element once)."""
        return self.set(func(self.get()), **kwargs)


def _mode(mode):
    if mode in (None, "drop", "fill", "promise_in_bounds"):
        return "drop"
    if mode == "clip":
        return "clip"
    raise ValueError(f"unknown update mode {mode!r}")


class _IndexUpdateHelper:
    """`x.at`: index it, `x.at[idx]`, to get an update reference."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"_IndexUpdateHelper({self.array!r})"


def at(x: ArrayLike) -> _IndexUpdateHelper:
    """`fnx.numpy.at(x)[idx].set(v)`: JAX's `x.at[idx].set(v)` for any array (numpy arrays
    have no `.at` attribute; traced values do). Returns a new array; `x` is unchanged."""
    return _IndexUpdateHelper(ensure_array(x))


def take_along_axis(arr: ArrayLike, indices: ArrayLike, axis: Axis, mode: str | None = None,
                    fill_value: ArrayLike | None = None) -> Array:
    """`numpy.take_along_axis` (indices broadcast against `arr` outside `axis`)."""
    x = ensure_array(arr)
    idx = asarray_or_tracer(indices)
    if not is_tracer(idx):
        idx = np.asarray(idx)
    if axis is None:
        x = lax.reshape(x, (type_of(x).size,))
        if type_of(idx).ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        axis = 0
    t = type_of(x)
    ti = type_of(idx)
    if ti.ndim != t.ndim:
        raise type_error("take_along_axis", "`indices` and `arr` must have the same number of "
                         "dimensions", x, idx, shape=True)
    ax = normalize_axis(axis, t.ndim)
    xs = list(t.shape)
    xs[ax] = 1
    out_shape = list(broadcast_shapes(tuple(xs), ti.shape[:ax] + (1,) + ti.shape[ax + 1:],
                                      what="take_along_axis", xs=(x, idx)))
    out_shape[ax] = ti.shape[ax]
    out_shape = tuple(out_shape)
    if t.size == 0 or math.prod(out_shape) == 0:  # nothing to take (as JAX, whatever the indices)
        wrap_indices(idx, t.shape[ax], "clip", "take_along_axis")  # (they must still be integers)
        return zeros(out_shape, t.dtype)
    idx, ok = wrap_indices(idx, t.shape[ax], mode, "take_along_axis")
    dt = dtype_of(idx) if is_tracer(idx) else default_int()
    index = []
    for d in range(t.ndim):
        if d == ax:
            index.append(broadcast_to(idx, out_shape))
        elif t.shape[d] == 1:
            index.append(lax.full(out_shape, 0, dt))
        else:
            index.append(lax.iota(dt, out_shape, d))
    g = lax.gather(x, index, tuple(range(t.ndim)))
    if ok is not None:
        fv = fill_default(t.dtype) if fill_value is None else fill_value
        g = lax.select(broadcast_to(ok, out_shape), g, lax.full_like(g, fv))
    return finish(g, arr)


def diagonal(a: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Array:
    """`numpy.diagonal`: the diagonal becomes the last dimension."""
    x = ensure_array(a)
    t = type_of(x)
    if t.ndim < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    a1, a2 = normalize_axis(axis1, t.ndim), normalize_axis(axis2, t.ndim)
    if a1 == a2:
        raise ValueError("axis1 and axis2 cannot be the same")
    offset = static_int(offset, "offset")
    r0, c0 = max(-offset, 0), max(offset, 0)
    n = max(0, min(t.shape[a1] - r0, t.shape[a2] - c0))
    rows = np.arange(r0, r0 + n, dtype=np.int64)
    cols = np.arange(c0, c0 + n, dtype=np.int64)
    rest = [s for i, s in enumerate(t.shape) if i not in (a1, a2)]
    if n == 0:
        return zeros(tuple(rest) + (0,), t.dtype)
    g = lax.gather(x, [rows, cols], (a1, a2))
    return lax.transpose(g, list(range(1, len(rest) + 1)) + [0])


def diag(v: ArrayLike, k: int = 0) -> Array:
    """`numpy.diag`: a 2-d array's k-th diagonal, or a 1-d array placed on one."""
    x = ensure_array(v)
    t = type_of(x)
    k = static_int(k, "k")
    if t.ndim == 2:
        return diagonal(x, k)
    if t.ndim != 1:
        raise ValueError("Input must be 1- or 2-d.")
    n = t.shape[0]
    size = n + abs(k)
    padded = lax.pad(x, fnx_ir.literal(0, t.dtype), [(0, abs(k), 0)])
    i = lax.iota(default_int(), (size, size), 0)
    j = lax.iota(default_int(), (size, size), 1)
    mask = lax.eq(lax.add(i, lax.full((size, size), k, default_int())), j)
    vals = lax.broadcast_in_dim(padded, (size, size), (0,) if k >= 0 else (1,))
    return lax.select(mask, vals, lax.zeros_like(vals))


def diagflat(v: ArrayLike, k: int = 0) -> Array:
    """As `numpy.diagflat`: the flattened input on the `k`-th diagonal of a square matrix."""
    return diag(ravel(v), k)


# ----------------------------------------------------------------------------- where, nonzero

def where(condition: ArrayLike, x: ArrayLike | None = None, y: ArrayLike | None = None, *,
          size: int | None = None, fill_value: ArrayLike | None = None) -> Array | tuple[Array,
          ...]:
    """`numpy.where(condition, x, y)`. The one-argument form is `nonzero(condition, size=...)`."""
    if x is None and y is None:
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    c, a, b = ensure_array(condition), asarray_or_tracer(x), asarray_or_tracer(y)
    shape = broadcast_shapes(*(type_of(v).shape for v in (c, a, b)), what="where", xs=(c, a, b))
    dtype, weak = result_weak(a, b)
    c = truth(broadcast_to(c, shape))
    a, b = (broadcast_to(convert(v, dtype, weak), shape) for v in (a, b))
    return finish(lax.select(c, a, b))


def nonzero(a: ArrayLike, *, size: int | None = None,
            fill_value: ArrayLike | None = None) -> tuple[Array, ...]:
    """`numpy.nonzero`. A traced `a` needs a static `size=` (JAX style): the first `size`
    indices, padded with `fill_value` (default 0)."""
    x = ensure_array(a)
    t = type_of(x)
    if t.ndim == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed. Use np.atleast_1d("
                         "scalar).nonzero() instead.")
    if size is None:
        if is_tracer(x):
            raise errors.ConcretizationError(errors.at_source(
                "fnx.numpy.nonzero of a traced value has a data-dependent shape: pass a static "
                "size=n (the first n indices are returned, padded with fill_value)",
                errors.user_source()))
        return tuple(map(finish, np.nonzero(x)))
    size = static_int(size, "size")
    flat = lax.reshape(convert(x, fnx_ir.bool_) if not t.dtype.is_bool else x, (t.size,))
    fills = fill_value if isinstance(fill_value, (tuple, list)) else (fill_value,) * t.ndim
    if len(fills) != t.ndim:
        raise ValueError(f"fill_value must be a scalar or a tuple of length {t.ndim}")
    if t.size == 0 or size == 0:
        return tuple(finish(lax.full((size,), 0 if f is None else f, default_int())) for f in fills)
    counts = lax.cumsum(lax.convert_element_type(flat, default_int()), 0)
    rank = lax.sub(counts, lax.full_like(counts, 1))
    target = lax.select(flat, rank, lax.full_like(rank, size))  # size: dropped
    pos = lax.iota(default_int(), (t.size,))
    found = lax.scatter(lax.full((size,), -1, default_int()), pos, [target], (0,), mode="drop")
    missing = lax.lt(found, lax.full_like(found, 0))
    out = []
    rem = found
    strides = [math.prod(t.shape[i + 1:]) for i in range(t.ndim)]
    for dim, (st, f) in enumerate(zip(strides, fills)):
        q = lax.div(rem, lax.full_like(rem, st)) if st != 1 else rem
        rem = lax.sub(rem, lax.mul(q, lax.full_like(q, st))) if st != 1 else rem
        out.append(lax.select(missing, lax.full_like(q, 0 if f is None else f), q))
    return tuple(out)


@fresh
def argwhere(a: ArrayLike, *, size: int | None = None,
             fill_value: ArrayLike | None = None) -> Array:
    """`numpy.argwhere`: the indices of non-zero elements, shape `(count or size, ndim)`."""
    x = ensure_array(a)
    if type_of(x).ndim == 0:
        if is_tracer(x):
            raise NotImplementedError("fnx.numpy.argwhere of a 0-d traced value")
        return np.argwhere(x)
    idx = nonzero(x, size=size, fill_value=fill_value)
    return stack(idx, axis=1)


def flatnonzero(a: ArrayLike, *, size: int | None = None,
                fill_value: ArrayLike | None = None) -> Array:
    """`numpy.flatnonzero`."""
    return nonzero(ravel(a), size=size, fill_value=fill_value)[0]


def compress(condition: ArrayLike, a: ArrayLike, axis: Axis = None, *, size: int | None = None,
             fill_value: ArrayLike = 0) -> Array:
    """`numpy.compress` (a concrete `condition`)."""
    if is_tracer(condition):
        raise TypeError("fnx.numpy.compress: the condition must be concrete")
    c = np.asarray(condition).astype(bool).ravel()
    x = ensure_array(a)
    if axis is None:
        x, axis = ravel(x), 0
    n = type_of(x).shape[normalize_axis(axis, type_of(x).ndim)]
    if c.size > n:
        raise IndexError("condition is longer than the array")
    return take(x, np.nonzero(c)[0], axis=axis)


def extract(condition: ArrayLike, arr: ArrayLike, *, size: int | None = None,
            fill_value: ArrayLike = 0) -> Array:
    """`numpy.extract` (a concrete `condition`)."""
    if is_tracer(condition):
        raise TypeError("fnx.numpy.extract: the condition must be concrete")
    return compress(np.ravel(np.asarray(condition)), ravel(arr))


@fresh
def unravel_index(indices: ArrayLike, shape: int | Sequence[int]) -> tuple[Array, ...]:
    """`numpy.unravel_index`: a tuple of coordinate arrays (traced indices work)."""
    shape = tuple(static_int(d, "shape") for d in shape)
    idx = ensure_array(indices)
    if not is_tracer(idx):
        return tuple(np.unravel_index(idx, shape))
    out = []
    rem = idx
    for i in range(len(shape)):
        st = math.prod(shape[i + 1:])
        q = lax.div(rem, lax.full_like(rem, st))
        rem = lax.sub(rem, lax.mul(q, lax.full_like(q, st)))
        out.append(q)
    return tuple(out)


@fresh
def ravel_multi_index(multi_index: Sequence[ArrayLike], dims: Sequence[int], mode: str = "raise",
                      order: str = "C") -> Array:
    """`numpy.ravel_multi_index` (C order; traced indices are clipped)."""
    dims = tuple(static_int(d, "dims") for d in dims)
    if len(multi_index) != len(dims):
        raise ValueError(f"ravel_multi_index: {len(multi_index)} index arrays for the "
                         f"{len(dims)} dims {dims}: give one per dim")
    if not any(is_tracer(i) for i in multi_index):
        return np.asarray(np.ravel_multi_index(tuple(np.asarray(i) for i in multi_index), dims,
                                               mode, order))
    out = 0
    for i, n in zip(multi_index, dims, strict=True):
        out = add(multiply(out, n), clip(i, 0, n - 1))
    return out
