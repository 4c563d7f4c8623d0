"""Shape primitives: numpy implementation, jvp, transpose and batching rules."""
from __future__ import annotations

import numpy as np

from .._core.rules import define


def _iota(*, dtype, shape, dimension):
    line = np.arange(shape[dimension], dtype=dtype.np)
    view = line.reshape([-1 if i == dimension else 1 for i in range(len(shape))])
    return np.broadcast_to(view, shape)


def _broadcast_in_dim(x, *, shape, broadcast_dimensions):
    x = np.asarray(x)
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


def _pad(x, value, *, padding_config):
    x = np.asarray(x)
    for axis, (lo, hi, interior) in enumerate(padding_config):
        n = x.shape[axis]
        if interior and n > 1:
            shape = list(x.shape)
            shape[axis] = n + (n - 1) * interior
            spread = np.full(shape, value, dtype=x.dtype)
            index = [slice(None)] * x.ndim
            index[axis] = slice(None, None, interior + 1)
            spread[tuple(index)] = x
            x = spread
        crop = [slice(None)] * x.ndim
        crop[axis] = slice(max(-lo, 0), x.shape[axis] - max(-hi, 0))
        x = x[tuple(crop)]
        widths = [(0, 0)] * x.ndim
        widths[axis] = (max(lo, 0), max(hi, 0))
        x = np.pad(x, widths, constant_values=value)
    return x


define("iota", impl=_iota)
define("broadcast_in_dim", impl=_broadcast_in_dim)
define("reshape", impl=lambda x, *, new_sizes: np.reshape(x, new_sizes))
define("transpose", impl=lambda x, *, permutation: np.transpose(x, permutation))
define("squeeze", impl=lambda x, *, dimensions: np.squeeze(x, axis=dimensions))
define("expand_dims", impl=lambda x, *, dimensions: np.expand_dims(x, dimensions))
define("rev", impl=lambda x, *, dimensions: np.flip(x, dimensions))
define("concatenate", impl=lambda *xs, dimension: np.concatenate(xs, axis=dimension))
define("pad", impl=_pad)
