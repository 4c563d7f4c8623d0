"""Shape functions of `fnx.numpy`: reshape, transpose, stack, split, tile, pad, roll, ..."""
from __future__ import annotations

import builtins
import math
from typing import Any, Sequence

import numpy as np

import fnx_ir

from .. import lax
from .._core.dtypes import default_int
from .._core.trace import type_of
from ._base import (Array, ArrayLike, flat_or_axis, Axis, DTypeLike, broadcast_shapes as _bs,
                    convert, dtype_of, ensure_array, finish, fresh, is_tracer, join,
                    normalize_axes, normalize_axis, stack_along, static_int, type_error)
from ._elementwise import remainder, subtract
from ._logical import not_equal
from ._take import take

__all__ = ["reshape", "ravel", "transpose", "permute_dims", "matrix_transpose", "swapaxes",
           "moveaxis", "squeeze", "expand_dims", "broadcast_to", "broadcast_arrays",
           "broadcast_shapes", "concatenate", "concat", "stack", "hstack", "vstack", "dstack",
           "column_stack", "row_stack", "split", "array_split", "hsplit", "vsplit", "dsplit",
           "unstack", "tile", "repeat", "pad", "flip", "fliplr", "flipud", "rot90", "roll",
           "atleast_1d", "atleast_2d", "atleast_3d", "diff", "ediff1d", "append", "delete",
           "resize"]


@fresh
def reshape(a: ArrayLike, shape: int | Sequence[int] | None = None, order: str = "C", *,
            newshape: int | Sequence[int] | None = None, copy: bool | None = None) -> Array:
    """`numpy.reshape` (C order; one dimension may be -1)."""
    if order != "C":
        raise NotImplementedError("fnx.numpy.reshape supports only order='C'")
    shape = newshape if shape is None else shape
    x = ensure_array(a)
    t = type_of(x)
    shape = (shape,) if not isinstance(shape, (tuple, list)) else shape
    shape = tuple(static_int(d, "reshape dimension") for d in shape)
    if shape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension")
    if builtins.any(d < -1 for d in shape):
        raise ValueError(f"negative dimensions not allowed: {shape}")
    if -1 in shape:
        known = math.prod(d for d in shape if d != -1)
        if known == 0 or t.size % known:
            raise type_error("reshape", f"cannot reshape array of size {t.size} into shape "
                             f"{shape}", x, shape=True)
        shape = tuple(t.size // known if d == -1 else d for d in shape)
    if math.prod(shape) != t.size:
        raise type_error("reshape", f"cannot reshape array of size {t.size} into shape {shape}",
                         x, shape=True)
    return lax.reshape(x, shape)


@fresh
def ravel(a: ArrayLike, order: str = "C") -> Array:
    """`numpy.ravel` (C order)."""
    if order not in ("C", "K", "A"):
        raise NotImplementedError("fnx.numpy.ravel supports only order='C'")
    x = ensure_array(a)
    return lax.reshape(x, (type_of(x).size,))


@fresh
def transpose(a: ArrayLike, axes: Sequence[int] | None = None) -> Array:
    """`numpy.transpose`."""
    x = ensure_array(a)
    nd = type_of(x).ndim
    if axes is None:
        perm = tuple(reversed(range(nd)))
    else:
        if len(axes) != nd:
            raise ValueError(f"axes {tuple(axes)} don't match array of dimension {nd}")
        perm = tuple(normalize_axis(i, nd) for i in axes)
    if sorted(perm) != list(range(nd)):
        raise ValueError(f"repeated axis in transpose: {tuple(axes)}")
    return lax.transpose(x, perm)


def permute_dims(a: ArrayLike, /, axes: Axis) -> Array:
    """As `numpy.permute_dims`: the array API name of `transpose`."""
    return transpose(a, axes)


def matrix_transpose(x: ArrayLike, /) -> Array:
    """Swap the last two axes."""
    a = ensure_array(x)
    if type_of(a).ndim < 2:
        raise ValueError("matrix_transpose needs at least 2 dimensions")
    return swapaxes(a, -1, -2)


@fresh
def swapaxes(a: ArrayLike, axis1: int, axis2: int) -> Array:
    """`numpy.swapaxes`."""
    x = ensure_array(a)
    nd = type_of(x).ndim
    i, j = normalize_axis(axis1, nd), normalize_axis(axis2, nd)
    perm = list(range(nd))
    perm[i], perm[j] = perm[j], perm[i]
    return lax.transpose(x, perm)


@fresh
def moveaxis(a: ArrayLike, source: int | Sequence[int], destination: int | Sequence[int]) -> Array:
    """`numpy.moveaxis`."""
    x = ensure_array(a)
    nd = type_of(x).ndim
    src = normalize_axes(source, nd, sort=False)
    dst = normalize_axes(destination, nd, sort=False)
    if len(src) != len(dst):
        raise ValueError("`source` and `destination` arguments must have the same number of "
                         "elements")
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return lax.transpose(x, order)


@fresh
def squeeze(a: ArrayLike, axis: Axis = None) -> Array:
    """`numpy.squeeze`."""
    x = ensure_array(a)
    t = type_of(x)
    if axis is None:
        dims = tuple(i for i, d in enumerate(t.shape) if d == 1)
    else:
        dims = normalize_axes(axis, t.ndim)
        if builtins.any(t.shape[i] != 1 for i in dims):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return lax.squeeze(x, dims)


@fresh
def expand_dims(a: ArrayLike, axis: Axis) -> Array:
    """`numpy.expand_dims` (`axis` may be a tuple)."""
    x = ensure_array(a)
    n = len(axis) if isinstance(axis, (tuple, list)) else 1
    dims = normalize_axes(axis, type_of(x).ndim + n)
    return lax.expand_dims(x, dims)


@fresh
def broadcast_to(array: ArrayLike, shape: int | Sequence[int]) -> Array:
    """`numpy.broadcast_to` (a fresh array eagerly; JAX arrays are immutable anyway)."""
    x = ensure_array(array)
    shape = (shape,) if not isinstance(shape, (tuple, list)) else tuple(shape)
    shape = tuple(static_int(d, "shape") for d in shape)
    t = type_of(x)
    ok = len(shape) >= t.ndim and builtins.all(
        s in (1, d) for s, d in zip(t.shape[::-1], shape[::-1]))
    if not ok:
        raise type_error("broadcast_to", f"cannot broadcast shape {t.shape} to {shape}", x,
                         shape=True)
    return lax.broadcast_to_rank_shape(x, shape)


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """`numpy.broadcast_shapes`."""
    return tuple(np.broadcast_shapes(*shapes))


def broadcast_arrays(*args: ArrayLike) -> tuple[Array, ...]:
    """`numpy.broadcast_arrays` (a tuple)."""
    xs = [ensure_array(a) for a in args]
    shape = _bs(*(type_of(x).shape for x in xs), what="broadcast_arrays", xs=xs)
    return tuple(broadcast_to(x, shape) for x in xs)


@fresh
def concatenate(arrays: Sequence[ArrayLike], axis: int | None = 0,
                dtype: DTypeLike | None = None) -> Array:
    """`numpy.concatenate`."""
    return join(arrays, axis, dtype)


concat = concatenate


def stack(arrays: Sequence[ArrayLike], axis: int = 0, dtype: DTypeLike | None = None) -> Array:
    """`numpy.stack`."""
    return finish(stack_along(arrays, axis, dtype))


def hstack(tup: Sequence[ArrayLike], dtype: DTypeLike | None = None) -> Array:
    """As `numpy.hstack`."""
    xs = atleast_1d(*tup) if len(tup) > 1 else [atleast_1d(tup[0])]
    return concatenate(xs, 0 if type_of(xs[0]).ndim == 1 else 1, dtype=dtype)


def vstack(tup: Sequence[ArrayLike], dtype: DTypeLike | None = None) -> Array:
    """As `numpy.vstack`."""
    xs = atleast_2d(*tup) if len(tup) > 1 else [atleast_2d(tup[0])]
    return concatenate(xs, 0, dtype=dtype)


row_stack = vstack


def dstack(tup: Sequence[ArrayLike], dtype: DTypeLike | None = None) -> Array:
    """As `numpy.dstack`."""
    xs = atleast_3d(*tup) if len(tup) > 1 else [atleast_3d(tup[0])]
    return concatenate(xs, 2, dtype=dtype)


def column_stack(tup: Sequence[ArrayLike]) -> Array:
    """As `numpy.column_stack`: 1-d inputs become columns."""
    cols = []
    for a in tup:
        x = ensure_array(a)
        if type_of(x).ndim < 2:
            x = lax.reshape(x, (type_of(x).size, 1))
        cols.append(x)
    return concatenate(cols, 1)


def _atleast(nd, args):
    out = []
    for a in args:
        x = ensure_array(a)
        s = type_of(x).shape
        if len(s) < nd:
            if nd == 3 and len(s) == 2:
                s = s + (1,)
            elif nd == 3 and len(s) == 1:
                s = (1,) + s + (1,)
            else:
                s = (1,) * (nd - len(s)) + s
            x = lax.reshape(x, s)
        out.append(finish(x, a))
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*arys: ArrayLike) -> Array | list[Array]:
    """As `numpy.atleast_1d` (one input gives an array, several a list)."""
    return _atleast(1, arys)


def atleast_2d(*arys: ArrayLike) -> Array | list[Array]:
    """As `numpy.atleast_2d` (one input gives an array, several a list)."""
    return _atleast(2, arys)


def atleast_3d(*arys: ArrayLike) -> Array | list[Array]:
    """As `numpy.atleast_3d` (one input gives an array, several a list)."""
    return _atleast(3, arys)


# ----------------------------------------------------------------------------- splitting

def _slice_axis(x, axis, start, stop):
    t = type_of(x)
    lo = [0] * t.ndim
    hi = list(t.shape)
    lo[axis], hi[axis] = start, stop
    return finish(lax.slice(x, lo, hi), x)


def _split(ary, indices_or_sections, axis, even: bool, name: str):
    x = ensure_array(ary)
    t = type_of(x)
    ax = normalize_axis(axis, t.ndim)
    n = t.shape[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        if even and n % sections:
            raise ValueError("array split does not result in an equal division")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        idx = [static_int(i, "split index") for i in np.asarray(indices_or_sections).tolist()]
        bounds = [0] + idx + [n]
    out = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        a = builtins.min(builtins.max(a + n if a < 0 else a, 0), n)
        b = builtins.min(builtins.max(b + n if b < 0 else b, 0), n)
        out.append(_slice_axis(x, ax, a, builtins.max(a, b)))
    return out


def split(ary: ArrayLike, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Array]:
    """`numpy.split` (equal sections, or at static indices)."""
    return _split(ary, indices_or_sections, axis, True, "split")


def array_split(ary: ArrayLike, indices_or_sections: int | Sequence[int],
                axis: int = 0) -> list[Array]:
    """`numpy.array_split` (sections may be unequal)."""
    return _split(ary, indices_or_sections, axis, False, "array_split")


def hsplit(ary: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[Array]:
    """As `numpy.hsplit`."""
    x = ensure_array(ary)
    return split(x, indices_or_sections, 1 if type_of(x).ndim > 1 else 0)


def vsplit(ary: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[Array]:
    """As `numpy.vsplit`."""
    return split(ary, indices_or_sections, 0)


def dsplit(ary: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[Array]:
    """As `numpy.dsplit`."""
    return split(ary, indices_or_sections, 2)


def unstack(x: ArrayLike, /, *, axis: int = 0) -> tuple[Array, ...]:
    """The slices of `x` along `axis`, as a tuple."""
    a = ensure_array(x)
    ax = normalize_axis(axis, type_of(a).ndim)
    return tuple(lax.squeeze(_slice_axis(a, ax, i, i + 1), (ax,))
                 for i in range(type_of(a).shape[ax]))


# ----------------------------------------------------------------------------- tile, repeat

def tile(A: ArrayLike, reps: int | Sequence[int]) -> Array:
    """`numpy.tile`."""
    x = ensure_array(A)
    reps = (reps,) if not isinstance(reps, (tuple, list)) else tuple(reps)
    reps = tuple(static_int(r, "reps") for r in reps)
    s = type_of(x).shape
    nd = builtins.max(len(s), len(reps))
    s = (1,) * (nd - len(s)) + s
    reps = (1,) * (nd - len(reps)) + reps
    x = lax.reshape(x, s)
    big = tuple(v for r, d in zip(reps, s, strict=True) for v in (r, d))
    y = lax.broadcast_in_dim(x, big, tuple(range(1, 2 * nd, 2)))
    return finish(lax.reshape(y, tuple(r * d for r, d in zip(reps, s, strict=True))), A)


def repeat(a: ArrayLike, repeats: ArrayLike, axis: Axis = None, *,
           total_repeat_length: int | None = None) -> Array:
    """`numpy.repeat` (per-element `repeats` must be concrete: the result shape depends on them)."""
    x = ensure_array(a)
    x, ax = flat_or_axis(x, axis)
    t = type_of(x)
    if is_tracer(repeats):
        raise TypeError("fnx.numpy.repeat: `repeats` must be concrete (the result shape depends "
                        "on it)")
    r = np.asarray(repeats)
    if r.ndim == 0 or r.size == 1:
        k = int(r.reshape(()))
        if k < 0:
            raise ValueError("repeats may not contain negative values.")
        big = t.shape[:ax + 1] + (k,) + t.shape[ax + 1:]
        y = lax.broadcast_in_dim(x, big, tuple(i for i in range(t.ndim + 1) if i != ax + 1))
        out = lax.reshape(y, t.shape[:ax] + (t.shape[ax] * k,) + t.shape[ax + 1:])
        return finish(out, a)
    src = np.repeat(np.arange(t.shape[ax]), r)
    return take(x, src, axis=ax)


# ----------------------------------------------------------------------------- pad

_INDEX_MODES = ("edge", "reflect", "symmetric", "wrap")


def pad(array: ArrayLike, pad_width: int | Sequence, mode: str = "constant",
        **kwargs: Any) -> Array:
    """`numpy.pad` with modes constant, edge, reflect, symmetric, wrap and empty (zeros)."""
    x = ensure_array(array)
    t = type_of(x)
    if is_tracer(pad_width):
        raise TypeError("fnx.numpy.pad: pad_width must be concrete")
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (t.ndim, 2)).tolist()
    if builtins.any(w < 0 for pair in widths for w in pair):
        raise ValueError("index can't contain negative values")
    if callable(mode):
        raise NotImplementedError("fnx.numpy.pad: a callable mode is not supported")
    if mode in ("constant", "empty"):
        values = kwargs.get("constant_values", 0) if mode == "constant" else 0
        if is_tracer(values):
            if type_of(values).shape != ():
                raise NotImplementedError("fnx.numpy.pad: a traced constant_values must be a scalar")
            v = convert(values, t.dtype)
            return finish(lax.pad(x, v, [(lo, hi, 0) for lo, hi in widths]), array)
        vals = np.broadcast_to(np.asarray(values), (t.ndim, 2))
        if t.ndim == 0 or np.all(vals == vals.flat[0]):
            v = fnx_ir.literal(np.asarray(values).flat[0], t.dtype)
            return finish(lax.pad(x, v, [(lo, hi, 0) for lo, hi in widths]), array)
        for ax, ((lo, hi), (vlo, vhi)) in enumerate(zip(widths, vals.tolist())):
            for cfg, v in (((lo, 0, 0), vlo), ((0, hi, 0), vhi)):
                full = [(0, 0, 0)] * t.ndim
                full[ax] = cfg
                x = lax.pad(x, fnx_ir.literal(v, t.dtype), full)
        return finish(x, array)
    if mode in _INDEX_MODES:
        np_kwargs = {k: v for k, v in kwargs.items() if k == "reflect_type"}
        if np_kwargs.get("reflect_type", "even") != "even":
            raise NotImplementedError("fnx.numpy.pad: reflect_type='odd' is not supported")
        for ax, (lo, hi) in enumerate(widths):
            if lo == hi == 0:
                continue
            n = type_of(x).shape[ax]
            if n == 0:
                raise ValueError(f"can't extend empty axis {ax} using modes other than "
                                 "'constant' or 'empty'")
            src = np.pad(np.arange(n), (lo, hi), mode=mode)
            x = take(x, src, axis=ax)
        return finish(x, array)
    raise NotImplementedError(f"fnx.numpy.pad: mode {mode!r} is not supported (supported: "
                              f"constant, empty, {', '.join(_INDEX_MODES)})")


# ----------------------------------------------------------------------------- flips, rolls

@fresh
def flip(m: ArrayLike, axis: Axis = None) -> Array:
    """`numpy.flip`."""
    x = ensure_array(m)
    return lax.rev(x, normalize_axes(axis, type_of(x).ndim))


def fliplr(m: ArrayLike) -> Array:
    """As `numpy.fliplr`."""
    x = ensure_array(m)
    if type_of(x).ndim < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(x, 1)


def flipud(m: ArrayLike) -> Array:
    """As `numpy.flipud`."""
    x = ensure_array(m)
    if type_of(x).ndim < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(x, 0)


def rot90(m: ArrayLike, k: int = 1, axes: Axis = (0, 1)) -> Array:
    """`numpy.rot90`."""
    x = ensure_array(m)
    nd = type_of(x).ndim
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    a0, a1 = normalize_axis(axes[0], nd), normalize_axis(axes[1], nd)
    if a0 == a1:
        raise ValueError("Axes must be different.")
    k = static_int(k, "k") % 4
    if k == 0:
        return finish(x, m)
    if k == 2:
        return flip(flip(x, a0), a1)
    perm = list(range(nd))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(x, a1), perm)
    return flip(transpose(x, perm), a1)


def roll(a: ArrayLike, shift: ArrayLike, axis: Axis = None) -> Array:
    """`numpy.roll` (a traced `shift` works too)."""
    x = ensure_array(a)
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), type_of(x).shape)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    if len(axes) == 1 and len(shifts) > 1:
        axes = axes * len(shifts)
    if len(axes) != len(shifts):
        raise ValueError("'shift' and 'axis' should be scalars or 1D sequences of the same length")
    t = type_of(x)
    for ax, s in zip(axes, shifts, strict=True):
        ax = normalize_axis(ax, t.ndim)
        n = t.shape[ax]
        if n == 0:
            continue
        if is_tracer(s):
            idx = remainder(subtract(lax.iota(default_int(), (n,)), convert(s, default_int())), n)
            x = take(x, idx, axis=ax, mode="clip")
            continue
        s = static_int(s, "shift") % n
        if s:
            x = lax.concatenate([_slice_axis(x, ax, n - s, n), _slice_axis(x, ax, 0, n - s)], ax)
    return finish(x, a)


# ----------------------------------------------------------------------------- differences

def diff(a: ArrayLike, n: int = 1, axis: int = -1, prepend: ArrayLike | None = None,
         append: ArrayLike | None = None) -> Array:
    """`numpy.diff` (bool arrays use `!=`, as numpy)."""
    x = ensure_array(a)
    t = type_of(x)
    if t.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    ax = normalize_axis(axis, t.ndim)
    parts = []
    for v in (prepend, append):
        if v is None:
            parts.append(None)
            continue
        v = ensure_array(v)
        if type_of(v).ndim == 0:
            shape = list(t.shape)
            shape[ax] = 1
            v = broadcast_to(v, tuple(shape))
        parts.append(v)
    if parts[0] is not None or parts[1] is not None:
        x = concatenate([p for p in (parts[0], x, parts[1]) if p is not None], ax)
    n = static_int(n, "n")
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n}")
    for _ in range(n):
        m = type_of(x).shape[ax]
        if m == 0:
            break
        hi, lo = _slice_axis(x, ax, 1, m), _slice_axis(x, ax, 0, m - 1)
        x = not_equal(hi, lo) if dtype_of(x).is_bool else subtract(hi, lo)
    return finish(x, a)


def ediff1d(ary: ArrayLike, to_end: ArrayLike | None = None,
            to_begin: ArrayLike | None = None) -> Array:
    """`numpy.ediff1d`: differences of the flattened array."""
    x = ravel(ary)
    d = diff(x)
    cast = lambda v: convert(ravel(v), dtype_of(x))  # numpy casts to the array's dtype
    parts = [cast(v) for v in (to_begin,) if v is not None] + [d] + \
        [cast(v) for v in (to_end,) if v is not None]
    return concatenate(parts) if len(parts) > 1 else d


def append(arr: ArrayLike, values: ArrayLike, axis: Axis = None) -> Array:
    """`numpy.append`."""
    if axis is None:
        return concatenate([ravel(arr), ravel(values)])
    return concatenate([arr, values], axis)


def delete(arr: ArrayLike, obj: int | Sequence[int] | slice, axis: Axis = None, *,
           assume_unique_indices: bool = False) -> Array:
    """`numpy.delete` with static `obj` (an int, a slice or integers)."""
    x = ensure_array(arr)
    if axis is None:
        x = ravel(x)
        axis = 0
    ax = normalize_axis(axis, type_of(x).ndim)
    if is_tracer(obj):
        raise TypeError("fnx.numpy.delete: `obj` must be concrete (the result shape depends on it)")
    n = type_of(x).shape[ax]
    keep = np.delete(np.arange(n), obj)
    return take(x, keep, axis=ax)


def resize(a: ArrayLike, new_shape: int | Sequence[int]) -> Array:
    """`numpy.resize`: repeat the flattened array to fill `new_shape`."""
    x = ravel(a)
    new_shape = (new_shape,) if isinstance(new_shape, int) else tuple(new_shape)
    total = math.prod(new_shape)
    n = type_of(x).size
    if n == 0 or total == 0:
        return finish(lax.full(new_shape, 0, dtype_of(x)))
    reps = -(-total // n)
    return reshape(lax.slice(tile(x, reps), (0,), (total,)), new_shape)
