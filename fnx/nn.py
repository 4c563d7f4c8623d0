"""`fnx.nn`: activation functions and friends, as `jax.nn` (numerically stable forms).

Every function works on numpy arrays (eagerly) and on traced values. Integer inputs are
computed in JAX's inexact dtype (bool, int32 → float32; int64 → float64), like the
`fnx.numpy` transcendentals.
"""
from __future__ import annotations

import math

import numpy as np

from . import lax
from . import numpy as fnp
from . import _initializers as initializers  # noqa: F401  (fnx.nn.initializers)
from ._core import dtypes as _dtypes
from ._core.trace import type_of as _type_of
from .numpy import _base
from .numpy._base import Array, ArrayLike, Axis, DTypeLike

__all__ = ["relu", "relu6", "leaky_relu", "elu", "celu", "selu", "gelu", "silu", "swish",
           "softplus", "soft_sign", "sigmoid", "log_sigmoid", "hard_sigmoid", "hard_silu",
           "hard_swish", "hard_tanh", "softmax", "log_softmax", "logsumexp", "one_hot",
           "normalize", "standardize", "glu", "squareplus", "mish"]


def _float(x):
    """`x` as an array in its float computation dtype (python scalars stay weak)."""
    x = _base.ensure_array(x)
    return _base.convert(x, _base.float_dtype_for(_dtype(x)))


def _dtype(x):
    return _type_of(x).dtype


def _kinked(x, inside, value):
    """`value` (equal to `x` where `inside`), whose derivative is 1 where `inside` and 0
    elsewhere, kinks included: JAX's rule for relu and relu6."""
    return fnp.where(inside, x, lax.stop_gradient(value))


def relu(x: ArrayLike) -> Array:
    """`max(x, 0)` (NaN propagates); the derivative is 1 where `x > 0`, else 0 (0 at 0, as JAX)."""
    x = _base.ensure_array(x)
    return _kinked(x, x > 0, fnp.maximum(x, 0))


def relu6(x: ArrayLike) -> Array:
    """`min(max(x, 0), 6)`; the derivative is 1 where `0 < x < 6`, else 0 (as JAX)."""
    x = _base.ensure_array(x)
    return _kinked(x, (x > 0) & (x < 6), fnp.minimum(fnp.maximum(x, 0), 6))


def leaky_relu(x: ArrayLike, negative_slope: ArrayLike = 1e-2) -> Array:
    """`x` where `x >= 0`, else `negative_slope * x`."""
    x = _float(x)
    return fnp.where(x >= 0, x, negative_slope * x)


def elu(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    """`x` where `x > 0`, else `alpha * expm1(x)` (no overflow for large x)."""
    x = _float(x)
    safe = fnp.where(x > 0, 0, x)
    return fnp.where(x > 0, x, alpha * fnp.expm1(safe))


def celu(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    """`max(x, 0) + alpha * min(0, expm1(x / alpha))`."""
    x = _float(x)
    return fnp.maximum(x, 0) + alpha * fnp.expm1(fnp.minimum(x, 0) / alpha)


def selu(x: ArrayLike) -> Array:
    """Scaled ELU with the self-normalising constants."""
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def gelu(x: ArrayLike, approximate: bool = True) -> Array:
    """GELU: the tanh approximation by default (as `jax.nn.gelu`), or exactly via erf."""
    x = _float(x)
    if approximate:
        # 0.5 * (1 + tanh(z)) == sigmoid(2 z): no cancellation for negative x
        c = 2 * math.sqrt(2 / math.pi)
        return x * lax.logistic(c * (x + 0.044715 * (x * x * x)))
    # 0.5 * (1 + erf(x / sqrt 2)) == 0.5 * erfc(-x / sqrt 2): no cancellation either
    return 0.5 * x * lax.erfc(x * (-1 / math.sqrt(2)))


def sigmoid(x: ArrayLike) -> Array:
    """`1 / (1 + exp(-x))` without overflow (the `logistic` primitive)."""
    return lax.logistic(_float(x))


def silu(x: ArrayLike) -> Array:
    """`x * sigmoid(x)`."""
    x = _float(x)
    return x * sigmoid(x)


swish = silu


def hard_sigmoid(x: ArrayLike) -> Array:
    """As `jax.nn.hard_sigmoid`: `relu6(x + 3) / 6`."""
    return relu6(_float(x) + 3) / 6


def hard_silu(x: ArrayLike) -> Array:
    """As `jax.nn.hard_silu`: `x * hard_sigmoid(x)`."""
    x = _float(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def hard_tanh(x: ArrayLike) -> Array:
    """`x` clipped to [-1, 1]; the derivative is 1 on the closed interval (as JAX)."""
    x = _float(x)
    return fnp.where(x > 1, 1, fnp.where(x < -1, -1, x))


def softplus(x: ArrayLike) -> Array:
    """`log(1 + exp(x))` = `logaddexp(x, 0)`, stable for large |x|."""
    x = _float(x)
    return fnp.logaddexp(x, 0)


def soft_sign(x: ArrayLike) -> Array:
    """As `jax.nn.soft_sign`: `x / (|x| + 1)`."""
    x = _float(x)
    return x / (fnp.abs(x) + 1)


def squareplus(x: ArrayLike, b: ArrayLike = 4) -> Array:
    """As `jax.nn.squareplus`: `(x + sqrt(x**2 + b)) / 2`."""
    x = _float(x)
    r = fnp.sqrt(x * x + b)
    return fnp.where(x > 0, (x + r) / 2, (b / 2) / (r - x))  # no cancellation for x < 0


def mish(x: ArrayLike) -> Array:
    """As `jax.nn.mish`: `x * tanh(softplus(x))`."""
    x = _float(x)
    return x * fnp.tanh(softplus(x))


def log_sigmoid(x: ArrayLike) -> Array:
    """`log(sigmoid(x))` = `-softplus(-x)`, stable for large |x|."""
    return -softplus(-_float(x))


def glu(x: ArrayLike, axis: int = -1) -> Array:
    """Gated linear unit: the first half times the sigmoid of the second half."""
    x = _float(x)
    a, b = fnp.split(x, 2, axis=axis)
    return a * sigmoid(b)


def _reduce_max_stable(x, axes, initial=None):
    """max over axes with -inf for empty/all -inf slices replaced by 0 (no inf - inf)."""
    m = lax.reduce_max(x, axes)
    return fnp.where(fnp.isfinite(m), m, 0)


def logsumexp(a: ArrayLike, axis: Axis = None, b: ArrayLike | None = None, keepdims: bool = False,
              return_sign: bool = False,
              where: ArrayLike | None = None) -> Array | tuple[Array, Array]:
    """`log(sum(b * exp(a)))` over `axis`, stable (as `jax.nn.logsumexp` /
    `jax.scipy.special.logsumexp`)."""
    x = _float(a)
    nd = fnp.ndim(x)
    axes = _base.normalize_axes(axis, nd)
    if where is not None:
        x = fnp.where(where, x, -np.inf)
    if b is not None:
        bb = _float(b)
        x, bb = fnp.broadcast_arrays(x, bb)
        nd = fnp.ndim(x)
        axes = _base.normalize_axes(axis, nd)
        x = fnp.where(bb != 0, x, -np.inf)
    m = _reduce_max_stable(x, axes)
    keep_shape = tuple(1 if i in axes else s for i, s in enumerate(fnp.shape(x)))
    mk = fnp.reshape(m, keep_shape)
    e = fnp.exp(x - mk)
    if b is not None:
        e = e * bb
    s = fnp.sum(e, axis=axes, keepdims=keepdims)
    sign = fnp.sign(s)
    out = fnp.log(fnp.abs(s)) + (mk if keepdims else m)
    if return_sign:
        return out, sign
    if b is not None:
        out = fnp.where(sign < 0, np.nan, out)
    return out


def _shifted_exp(x, axis, where):
    """`(x - max, exp(x - max), axes)` along `axis`, masked by `where`: the stable core of
    softmax and log_softmax."""
    x = _float(x)
    axes = _base.normalize_axes(axis, fnp.ndim(x))
    if where is not None:
        x = fnp.where(where, x, -np.inf)
    m = fnp.max(x, axis=axes, keepdims=True)
    shifted = x - fnp.where(fnp.isfinite(m), m, 0)
    e = fnp.exp(shifted)
    if where is not None:
        e = fnp.where(where, e, 0)
    return shifted, e, axes


def softmax(x: ArrayLike, axis: Axis = -1, where: ArrayLike | None = None,
            initial: ArrayLike | None = None) -> Array:
    """`exp(x - max) / sum(exp(x - max))` along `axis` (may be a tuple)."""
    _, e, axes = _shifted_exp(x, axis, where)
    return e / fnp.sum(e, axis=axes, keepdims=True)


def log_softmax(x: ArrayLike, axis: Axis = -1, where: ArrayLike | None = None,
                initial: ArrayLike | None = None) -> Array:
    """`x - logsumexp(x)` along `axis`, stable."""
    shifted, e, axes = _shifted_exp(x, axis, where)
    out = shifted - fnp.log(fnp.sum(e, axis=axes, keepdims=True))
    if where is not None:
        out = fnp.where(where, out, -np.inf)
    return out


def one_hot(x: ArrayLike, num_classes: int, *, dtype: DTypeLike | None = None,
            axis: int = -1) -> Array:
    """`x[..., None] == arange(num_classes)` as `dtype` (the default float by default, as
    JAX). Out-of-range and negative class indices give all-zero rows."""
    xa = _base.ensure_array(x)
    n = int(num_classes)
    d = _base.canonical_dtype(dtype, "one_hot") or _dtypes.default_float()
    nd = fnp.ndim(xa) + 1
    ax = axis % nd
    classes = lax.iota(_dtypes.default_int(), (n,))
    shape = [1] * nd
    shape[ax] = n
    eq = fnp.expand_dims(xa, ax) == fnp.reshape(classes, tuple(shape))
    return fnp.asarray(eq, dtype=d)


def standardize(x: ArrayLike, axis: Axis = -1, mean: ArrayLike | None = None,
                variance: ArrayLike | None = None, epsilon: ArrayLike = 1e-5,
                where: ArrayLike | None = None) -> Array:
    """`(x - mean) / sqrt(variance + epsilon)` along `axis` (as `jax.nn.standardize`)."""
    x = _float(x)
    if mean is None:
        mean = fnp.mean(x, axis, keepdims=True, where=where)
    if variance is None:
        # as JAX: E[x^2] - E[x]^2 would lose precision; use the centred form
        variance = fnp.mean(fnp.square(x - mean), axis, keepdims=True, where=where)
    return (x - mean) * lax.rsqrt(fnp.asarray(variance + epsilon, fnp.result_type(x)))


normalize = standardize
