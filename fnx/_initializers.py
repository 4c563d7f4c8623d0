"""`fnx.nn.initializers`: JAX's weight initializers, with its signatures and arithmetic.

An initializer is `init(key, shape, dtype=None, out_sharding=None) -> array`; the factories
(`normal(stddev)`, `variance_scaling(scale, mode, distribution)`, ...) return one. Each draws
with the same `fnx.random` sampler JAX uses and combines in the same order and dtype, so the
values are JAX's for the same key wherever the sampler's are (`uniform` and everything built on
it bit for bit; `normal`/`truncated_normal` bit for bit in float32, within a few ulps in
float64, see docs/random.md).
`dtype=None` is the default float dtype (that of `fnx.numpy.asarray(0.0)`). `out_sharding` is
accepted and has no effect (one CPU device). `orthogonal` needs a QR factorisation, which fnx
computes with NumPy: it needs a concrete key (not under `jit`).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from . import numpy as fnp
from . import random

__all__ = ["Initializer", "zeros", "ones", "constant", "uniform", "normal", "truncated_normal",
           "variance_scaling", "glorot_uniform", "glorot_normal", "xavier_uniform",
           "xavier_normal", "lecun_uniform", "lecun_normal", "he_uniform", "he_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal", "delta_orthogonal"]

Initializer = Callable[..., Any]  # (key, shape, dtype=None, out_sharding=None) -> array
Axes = "int | Sequence[int]"

# The standard deviation of a standard normal truncated to (-2, 2) (JAX's constant).
_TRUNCATED_STDDEV = 0.8796256610342398


def _dtype(dtype):
    return fnp.asarray(0.0).dtype if dtype is None else np.dtype(dtype)


def _shape(shape) -> tuple[int, ...]:
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)


def zeros(key, shape, dtype=None, out_sharding=None):
    """An array of zeros (the key is unused)."""
    return fnp.zeros(_shape(shape), _dtype(dtype))


def ones(key, shape, dtype=None, out_sharding=None):
    """An array of ones (the key is unused)."""
    return fnp.ones(_shape(shape), _dtype(dtype))


def constant(value, dtype=None) -> Initializer:
    """An initializer filling with `value`."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        return fnp.full(_shape(shape), value, _dtype(dtype))
    return init


def uniform(scale=1e-2, dtype=None) -> Initializer:
    """Uniform in `[0, scale)`."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        d = _dtype(dtype)
        return random.uniform(key, _shape(shape), d) * fnp.asarray(scale, dtype=d)
    return init


def normal(stddev=1e-2, dtype=None) -> Initializer:
    """Normal with mean 0 and standard deviation `stddev`."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        d = _dtype(dtype)
        return random.normal(key, _shape(shape), d) * fnp.asarray(stddev, dtype=d)
    return init


def truncated_normal(stddev=1e-2, dtype=None, lower=-2.0, upper=2.0) -> Initializer:
    """`stddev` times a standard normal truncated to `(lower, upper)`."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        d = _dtype(dtype)
        return (random.truncated_normal(key, lower, upper, _shape(shape), d)
                * fnp.asarray(stddev, dtype=d))
    return init


def _size(shape: tuple[int, ...], axes) -> int:
    return shape[axes] if isinstance(axes, int) else math.prod(shape[i] for i in axes)


def _compute_fans(shape: tuple[int, ...], in_axis=-2, out_axis=-1, batch_axis=()):
    """(fan_in, fan_out): the in/out axis sizes times the receptive field (the other axes
    but the batch axes), as floats."""
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"Can't compute input and output sizes of a {len(shape)}-dimensional "
                         "weights tensor with default in_axis. Must be at least 2D or specify "
                         "in_axis explicitly.")
    in_size, out_size = _size(shape, in_axis), _size(shape, out_axis)
    receptive_field = math.prod(shape) / in_size / out_size / _size(shape, batch_axis)
    return in_size * receptive_field, out_size * receptive_field


_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


def variance_scaling(scale, mode: str, distribution: str, in_axis: Axes = -2,
                     out_axis: Axes = -1, batch_axis: Axes = (), dtype=None) -> Initializer:
    """Samples of variance `scale / n`, `n` the fan of `mode` ('fan_in', 'fan_out', 'fan_avg',
    'fan_geo_avg'), from `distribution` ('truncated_normal' (to ±2 standard deviations),
    'normal' or 'uniform'). The fans count `in_axis`/`out_axis` sizes times the other axes'
    except `batch_axis`."""
    if mode not in _MODES:
        raise ValueError(f"invalid mode for variance scaling initializer: {mode}")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(f"invalid distribution for variance scaling initializer: {distribution}")

    def init(key, shape, dtype=dtype, out_sharding=None):
        shape = _shape(shape)
        d = _dtype(dtype)
        if d.kind != "f":
            raise TypeError(f"variance_scaling: dtype must be a float dtype, got {d}")
        fan_in, fan_out = _compute_fans(shape, in_axis, out_axis, batch_axis)
        denominator = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
                       "fan_geo_avg": (fan_in * fan_out) ** 0.5}[mode]
        variance = fnp.asarray(scale / denominator, dtype=d)
        if distribution == "truncated_normal":
            stddev = fnp.sqrt(variance) / fnp.asarray(_TRUNCATED_STDDEV, dtype=d)
            return random.truncated_normal(key, -2, 2, shape, d) * stddev
        if distribution == "normal":
            return random.normal(key, shape, d) * fnp.sqrt(variance)
        return random.uniform(key, shape, d, -1) * fnp.sqrt(3 * variance)
    return init


def _scaling(scale: float, mode: str, distribution: str, name: str, doc: str):
    def factory(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                dtype=None) -> Initializer:
        return variance_scaling(scale, mode, distribution, in_axis=in_axis, out_axis=out_axis,
                                batch_axis=batch_axis, dtype=dtype)
    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = f"`variance_scaling({scale}, {mode!r}, {distribution!r})`: {doc}"
    return factory


glorot_uniform = _scaling(1.0, "fan_avg", "uniform", "glorot_uniform", "Glorot/Xavier uniform.")
glorot_normal = _scaling(1.0, "fan_avg", "truncated_normal", "glorot_normal",
                         "Glorot/Xavier normal.")
lecun_uniform = _scaling(1.0, "fan_in", "uniform", "lecun_uniform", "LeCun uniform.")
lecun_normal = _scaling(1.0, "fan_in", "truncated_normal", "lecun_normal", "LeCun normal.")
he_uniform = _scaling(2.0, "fan_in", "uniform", "he_uniform", "He/Kaiming uniform.")
he_normal = _scaling(2.0, "fan_in", "truncated_normal", "he_normal", "He/Kaiming normal.")
xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


def _orthogonal_matrix(key, n_rows: int, n_cols: int, dtype):
    """An `n_rows x n_cols` matrix with orthonormal rows or columns (JAX's construction:
    QR of a normal sample, columns' signs fixed by R's diagonal)."""
    z = random.normal(key, (max(n_rows, n_cols), min(n_rows, n_cols)), dtype)
    if not isinstance(z, np.ndarray):  # a traced value: QR is computed with NumPy
        z = z.concrete("the orthogonal initializer")
    q, r = np.linalg.qr(np.asarray(z))
    q = (q * np.sign(np.diagonal(r))[None, :]).astype(dtype)
    return q.T if n_rows < n_cols else q


def orthogonal(scale=1.0, column_axis: int = -1, dtype=None) -> Initializer:
    """`scale` times a matrix with orthonormal rows or columns, reshaped to `shape` (the
    product of the other axes by `shape[column_axis]`)."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        shape = _shape(shape)
        d = _dtype(dtype)
        if len(shape) < 2:
            raise ValueError("orthogonal initializer requires at least a 2D shape")
        if 0 in shape:
            return fnp.zeros(shape, d)
        n_cols = shape[column_axis]
        q = _orthogonal_matrix(key, math.prod(shape) // n_cols, n_cols, d)
        q = fnp.reshape(q, tuple(np.delete(shape, column_axis)) + (n_cols,))
        return fnp.asarray(scale, dtype=d) * fnp.moveaxis(q, -1, column_axis)
    return init


def delta_orthogonal(scale=1.0, column_axis: int = -1, dtype=None) -> Initializer:
    """For 3-D to 5-D convolution kernels: zeros but an orthogonal matrix at the centre of the
    spatial axes (needs `shape[-1] >= shape[-2]`)."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        shape = _shape(shape)
        d = _dtype(dtype)
        if len(shape) not in (3, 4, 5):
            raise ValueError("Delta orthogonal initializer requires a 3D, 4D or 5D shape.")
        if shape[-1] < shape[-2]:
            raise ValueError("`fan_in` must be less or equal than `fan_out`. ")
        matrix = orthogonal(scale=scale, column_axis=column_axis, dtype=d)(key, shape[-2:])
        centre = tuple((k - 1) // 2 for k in shape[:-2])
        return fnp.zeros(shape, d).at[centre + (Ellipsis,)].set(matrix)
    return init
