"""Indexing primitives: slices, dynamic slices, gather/scatter, sort.

numpy implementation, jvp, transpose and batching rules.
"""
from __future__ import annotations

import numpy as np

from .._core.rules import define
from ._util import quiet


def _slice(x, *, start_indices, limit_indices, strides):
    return np.asarray(x)[tuple(slice(a, b, s) for a, b, s in zip(start_indices, limit_indices, strides))]


def _clamped_starts(shape, sizes, starts):
    return [int(np.clip(int(s), 0, d - n)) for s, d, n in zip(starts, shape, sizes)]


def _dynamic_slice(x, *starts, slice_sizes):
    x = np.asarray(x)
    lo = _clamped_starts(x.shape, slice_sizes, starts)
    return x[tuple(slice(a, a + n) for a, n in zip(lo, slice_sizes))]


def _dynamic_update_slice(x, update, *starts):
    out = np.array(x)
    update = np.asarray(update)
    lo = _clamped_starts(out.shape, update.shape, starts)
    out[tuple(slice(a, a + n) for a, n in zip(lo, update.shape))] = update
    return out


def _gather(x, *indices, axes):
    x = np.asarray(x)
    front = np.moveaxis(x, axes, range(len(axes)))
    clamped = tuple(np.clip(i, 0, x.shape[a] - 1) for i, a in zip(indices, axes))
    return front[clamped]


_COMBINE = {"scatter_add": np.add, "scatter_mul": np.multiply,
            "scatter_min": np.minimum, "scatter_max": np.maximum}


def _scatter(name):
    @quiet
    def impl(x, updates, *indices, axes, mode):
        out = np.array(x)
        front = np.moveaxis(out, axes, range(len(axes)))  # a view: writes land in `out`
        dims = [x.shape[a] for a in axes]
        idx = [np.asarray(i).reshape(-1).astype(np.int64) for i in indices]
        rest = front.shape[len(axes):]
        upd = np.asarray(updates).reshape((-1,) + rest)
        if mode == "clip":
            idx = [np.clip(i, 0, d - 1) for i, d in zip(idx, dims)]
        else:
            keep = np.ones(upd.shape[0], bool)
            for i, d in zip(idx, dims):
                keep &= (i >= 0) & (i < d)
            idx, upd = [i[keep] for i in idx], upd[keep]
        if name == "scatter":
            # Last update wins for repeated indices: keep each target's last occurrence.
            flat = np.ravel_multi_index(idx, dims) if idx[0].size else idx[0]
            _, last = np.unique(flat[::-1], return_index=True)
            last = len(flat) - 1 - last
            front[tuple(i[last] for i in idx)] = upd[last]
        else:
            _COMBINE[name].at(front, tuple(idx), upd)
        return out
    return impl


def _sort(*operands, dimension, num_keys):
    ops = [np.moveaxis(np.asarray(o), dimension, -1) for o in operands]
    if num_keys == 1:
        order = np.argsort(ops[0], axis=-1, kind="stable")
    else:
        order = np.lexsort(ops[:num_keys][::-1], axis=-1)
    return [np.moveaxis(np.take_along_axis(o, order, axis=-1), -1, dimension) for o in ops]


define("slice", impl=_slice)
define("dynamic_slice", impl=_dynamic_slice)
define("dynamic_update_slice", impl=_dynamic_update_slice)
define("gather", impl=_gather)
for _name in ("scatter", "scatter_add", "scatter_mul", "scatter_min", "scatter_max"):
    define(_name, impl=_scatter(_name))
define("sort", impl=_sort, multiple_results=True)
