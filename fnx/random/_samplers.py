"""Samplers: uniform floats from bits, and the distributions built on them.

Each sampler mirrors the formula `jax.random` uses (jax 0.4-0.10), so that for the
same key, shape and dtype the values are the same (bit for bit where only exact
operations are involved; see docs/random.md for the few that go through a
transcendental function and may differ in the last places). Those transcendentals are
`_exactmath`'s, built from exact operations, so every backend gives the same bits.
"""
from __future__ import annotations

import math

import numpy as np

import fnx_ir
from fnx_ir import bool_, float32, float64, int32, int64, uint32

from .. import lax
from .._core.array import as_array
from .._core.config import enable_x64
from .._core.dtypes import default_int, promote, requested
from .._core.trace import type_of
from . import _threefry as tf
from . import _exactmath as xm
from ._compiled import compiled
from ._util import (as_operand, bcast, broadcast_shapes, canon_shape, check_key, check_shape,
                    dtype_of, float_dtype, full, is_traced, normalize_axis, param, shape_of,
                    take)

_SQRT2 = math.sqrt(2.0)
MAX_MVN_DIM = 64  # multivariate_normal: the unrolled Cholesky's size limit


def _const(value, dtype):
    return np.asarray(value, dtype=dtype.np)


# ----------------------------------------------------------------- uniform

def _uniform01(key, shape, dtype):
    """Floats in [0, 1): random mantissa bits under the exponent of 1.0, minus 1."""
    if dtype is float32:
        b = tf.bits(key, shape)
        fb = lax.bitwise_or(lax.shift_right_logical(b, full(shape, 32 - 23, uint32)),
                            full(shape, 0x3F800000, uint32))
        return lax.sub(lax.bitcast_convert_type(fb, float32), full(shape, 1.0, float32))
    # float64: JAX's 64 random bits are (hi << 32) | lo; keep the top 52 as the mantissa
    hi, lo = tf.bits_pair("uniform", key, shape)
    b = lax.bitwise_or(lax.shift_left(lax.convert_element_type(hi, int64), full(shape, 32, int64)),
                       lax.convert_element_type(lo, int64))
    fb = lax.bitwise_or(lax.shift_right_logical(b, full(shape, 64 - 52, int64)),
                        full(shape, 0x3FF0000000000000, int64))
    return lax.sub(lax.bitcast_convert_type(fb, float64), full(shape, 1.0, float64))


def _uniform(key, shape, dtype, minval, maxval):
    minval = bcast(param(minval, dtype), shape)
    maxval = bcast(param(maxval, dtype), shape)
    f = _uniform01(key, shape, dtype)
    # one rounding, as XLA's contraction of `f * (maxval - minval) + minval` into an FMA
    return lax.max(minval, xm.fma(f, lax.sub(maxval, minval), minval))


@compiled("minval", "maxval")
def uniform(key, shape=(), dtype=float, minval=0.0, maxval=1.0):
    """Uniform floats in [minval, maxval) of `shape` and float `dtype`."""
    key = check_key("uniform", key)
    shape = canon_shape("uniform", shape)
    dtype = float_dtype("uniform", dtype)
    check_shape("uniform", shape, shape_of(minval), shape_of(maxval))
    return _uniform(key, shape, dtype, minval, maxval)


# ----------------------------------------------------------------- normal family

def _nextafter(x, direction: float):
    """`numpy.nextafter(x, ±inf)` for float arrays, with integer bit operations."""
    t = type_of(x)
    it = int32 if t.dtype is float32 else int64
    shape = t.shape
    b = lax.bitcast_convert_type(x, it)
    one = full(shape, 1, it)
    zero_f = full(shape, 0.0, t.dtype)
    up = direction > 0
    # away from zero when moving towards the sign of x, else towards zero
    pos = lax.gt(x, zero_f)
    neg = lax.lt(x, zero_f)
    away = pos if up else neg
    moved = lax.select(away, lax.add(b, one), lax.sub(b, one))
    res = lax.bitcast_convert_type(moved, t.dtype)
    tiny = lax.bitcast_convert_type(full(shape, 1 if up else (-2**31 + 1 if it is int32
                                                               else -2**63 + 1), it), t.dtype)
    res = lax.select(lax.eq(x, zero_f), tiny, res)
    # x already at the target infinity, or NaN: unchanged
    target = full(shape, math.inf if up else -math.inf, t.dtype)
    keep = lax.bitwise_or(lax.eq(x, target), lax.ne(x, x))
    return lax.select(keep, x, res)


@compiled()
def normal(key, shape=(), dtype=float):
    """Standard normal floats: `sqrt(2) * erf_inv(u)` with `u` uniform in (-1, 1)."""
    key = check_key("normal", key)
    shape = canon_shape("normal", shape)
    dtype = float_dtype("normal", dtype)
    return _normal(key, shape, dtype)


def _normal(key, shape, dtype):
    lo = np.nextafter(np.array(-1.0, dtype.np), np.array(0.0, dtype.np))
    u = _uniform(key, shape, dtype, lo, 1.0)
    return lax.mul(full(shape, _SQRT2, dtype), xm.erf_inv(u))


@compiled("sigma")
def lognormal(key, sigma=1.0, shape=None, dtype=float):
    """Log-normal floats: `exp(sigma * normal)`."""
    key = check_key("lognormal", key)
    dtype = float_dtype("lognormal", dtype)
    if shape is None:
        shape = shape_of(sigma)
    else:
        shape = canon_shape("lognormal", shape)
        check_shape("lognormal", shape, shape_of(sigma))
    sigma = bcast(param(sigma, dtype), shape)
    return xm.exp(lax.mul(_normal(key, shape, dtype), sigma))


@compiled("lower", "upper")
def truncated_normal(key, lower, upper, shape=None, dtype=float):
    """Standard normal floats conditioned on `lower < x < upper` (inverse-CDF method)."""
    key = check_key("truncated_normal", key)
    dtype = float_dtype("truncated_normal", dtype)
    ps = (shape_of(lower), shape_of(upper))
    if shape is None:
        shape = broadcast_shapes("truncated_normal", *ps)
    else:
        shape = canon_shape("truncated_normal", shape)
        check_shape("truncated_normal", shape, *ps)
    lower = bcast(param(lower, dtype), shape)
    upper = bcast(param(upper, dtype), shape)
    sqrt2 = full(shape, _SQRT2, dtype)
    a = xm.erf(lax.div(lower, sqrt2))
    b = xm.erf(lax.div(upper, sqrt2))
    u = _uniform(key, shape, dtype, a, b)
    out = lax.mul(sqrt2, xm.erf_inv(u))
    lo = _nextafter(lax.stop_gradient(lower), math.inf)
    hi = _nextafter(lax.stop_gradient(upper), -math.inf)
    return lax.min(lax.max(out, lo), hi)


def _mvn_factor(cov, n: int):
    """Lower Cholesky factor of `cov` (..., n, n), unrolled over the static `n`.

    Column by column (left-looking): column j is `(A[:, j] - L[:, :j] @ L[j, :j]) / d`
    with `d = sqrt` of its diagonal entry, zeroed above the diagonal. A matrix that is
    not positive definite gives NaNs (as `jnp.linalg.cholesky`).
    """
    t = type_of(cov)
    batch = t.shape[:-2]
    nb = len(batch)
    bd = tuple(range(nb))
    L = None  # (..., n, j): the columns so far
    rows = lax.iota(int32, batch + (n,), nb)
    for j in range(n):
        a = lax.reshape(lax.slice(cov, (0,) * nb + (0, j), batch + (n, j + 1)), batch + (n,))
        if j:
            lj = lax.reshape(lax.slice(L, (0,) * nb + (j, 0), batch + (j + 1, j)), batch + (j,))
            a = lax.sub(a, lax.dot_general(L, lj, (((nb + 1,), (nb,)), (bd, bd))))
        d = lax.sqrt(lax.reshape(lax.slice(a, (0,) * nb + (j,), batch + (j + 1,)), batch))
        col = lax.div(a, lax.broadcast_in_dim(d, batch + (n,), bd))
        col = lax.select(lax.ge(rows, full(batch + (n,), j, int32)), col,
                         full(batch + (n,), 0, t.dtype))
        col = lax.expand_dims(col, (nb + 1,))
        L = col if L is None else lax.concatenate([L, col], nb + 1)
    return L


@compiled()
def multivariate_normal(key, mean, cov, shape=None, dtype=None, method: str = "cholesky"):
    """Multivariate normal samples `mean + L @ z` with `L` the Cholesky factor of `cov`.

    `mean` (..., n), `cov` (..., n, n); the result has shape `shape + (n,)` (`shape`
    defaults to the broadcast batch shape of `mean` and `cov`). `n` is static and at
    most `MAX_MVN_DIM` (64): the factorisation is unrolled over it.
    """
    key = check_key("multivariate_normal", key)
    if method != "cholesky":
        raise NotImplementedError("fnx.random.multivariate_normal: only method='cholesky' "
                                  "is implemented (no eigh/svd primitives yet)")
    mean, cov = as_operand(mean), as_operand(cov)
    if dtype is None:
        dtype = promote(*[(d if d.is_float else float32, False)
                          for d in (dtype_of(mean), dtype_of(cov))])[0]
    dtype = float_dtype("multivariate_normal", dtype)
    ms, cs = shape_of(mean), shape_of(cov)
    if len(ms) < 1:
        raise ValueError(f"fnx.random.multivariate_normal: mean must have ndim >= 1, got shape {ms}")
    if len(cs) < 2:
        raise ValueError(f"fnx.random.multivariate_normal: cov must have ndim >= 2, got shape {cs}")
    n = ms[-1]
    if cs[-2:] != (n, n):
        raise ValueError(f"fnx.random.multivariate_normal: cov.shape must be (..., {n}, {n}) "
                         f"for mean.shape {ms}, got {cs}")
    if n > MAX_MVN_DIM:
        raise ValueError(f"fnx.random.multivariate_normal: dimension {n} exceeds the limit "
                         f"{MAX_MVN_DIM} of the unrolled Cholesky factorisation")
    if shape is None:
        shape = broadcast_shapes("multivariate_normal", ms[:-1], cs[:-2])
    else:
        shape = canon_shape("multivariate_normal", shape)
        check_shape("multivariate_normal", shape, ms[:-1], cs[:-2])
    mean, cov = param(mean, dtype), param(cov, dtype)
    factor = _mvn_factor(cov, n)
    factor = bcast(factor, shape + (n, n))
    z = _normal(key, shape + (n,), dtype)
    nb = len(shape)
    bd = tuple(range(nb))
    lz = lax.dot_general(factor, z, (((nb + 1,), (nb,)), (bd, bd)))
    return lax.add(bcast(mean, shape + (n,)), lz)


# ----------------------------------------------------------------- simple transforms

@compiled()
def exponential(key, shape=(), dtype=float):
    """Exponential(1) floats: `-log1p(-u)`."""
    key = check_key("exponential", key)
    shape = canon_shape("exponential", shape)
    dtype = float_dtype("exponential", dtype)
    u = _uniform(key, shape, dtype, 0.0, 1.0)
    return lax.neg(xm.log1p(lax.neg(u)))


def _gumbel(key, shape, dtype, mode):
    if mode == "low":
        tiny = np.finfo(dtype.np).tiny
        u = _uniform(key, shape, dtype, tiny, 1.0)
        return lax.neg(xm.log(lax.neg(xm.log(u))))
    if mode == "high":
        info = np.finfo(dtype.np)
        both = _uniform(key, (2,) + shape, dtype, 0.0, 1.0)
        nd = len(shape)
        high = lax.reshape(lax.slice(both, (0,) * (nd + 1), (1,) + shape), shape)
        low = lax.reshape(lax.slice(both, (1,) + (0,) * nd, (2,) + shape), shape)
        x = lax.select(lax.ge(high, full(shape, 0.5, dtype)), high,
                       lax.add(lax.add(high, lax.mul(full(shape, 2.0 ** -info.nmant, dtype), low)),
                               full(shape, info.tiny, dtype)))
        return lax.neg(xm.log(lax.neg(xm.log1p(lax.neg(x)))))
    raise ValueError(f"fnx.random.gumbel: mode must be 'low' or 'high', got {mode!r}")


@compiled()
def gumbel(key, shape=(), dtype=float, mode=None):
    """Standard Gumbel floats: `-log(-log(u))`, `u` uniform in [tiny, 1).

    `mode='high'` spends two uniforms per value for a wider range (as JAX)."""
    key = check_key("gumbel", key)
    shape = canon_shape("gumbel", shape)
    dtype = float_dtype("gumbel", dtype)
    return _gumbel(key, shape, dtype, mode or "low")


@compiled()
def laplace(key, shape=(), dtype=float):
    """Standard Laplace floats."""
    key = check_key("laplace", key)
    shape = canon_shape("laplace", shape)
    dtype = float_dtype("laplace", dtype)
    u = _uniform(key, shape, dtype, -1.0 + np.finfo(dtype.np).epsneg, 1.0)
    return lax.mul(lax.sign(u), xm.log1p(lax.neg(lax.abs(u))))


@compiled()
def logistic(key, shape=(), dtype=float):
    """Standard logistic floats: `log(u) - log1p(-u)`."""
    key = check_key("logistic", key)
    shape = canon_shape("logistic", shape)
    dtype = float_dtype("logistic", dtype)
    u = _uniform(key, shape, dtype, np.finfo(dtype.np).tiny, 1.0)
    return lax.sub(xm.log(u), xm.log1p(lax.neg(u)))


@compiled()
def cauchy(key, shape=(), dtype=float):
    """Standard Cauchy floats: `tan(pi * (u - 1/2))`."""
    key = check_key("cauchy", key)
    shape = canon_shape("cauchy", shape)
    dtype = float_dtype("cauchy", dtype)
    u = _uniform(key, shape, dtype, np.finfo(dtype.np).eps, 1.0)
    return xm.tan(lax.mul(full(shape, math.pi, dtype), lax.sub(u, full(shape, 0.5, dtype))))


# ----------------------------------------------------------------- discrete

def _p_dtype(p):
    """Python scalars are weak: float32; float arrays keep their dtype."""
    if isinstance(p, (bool, int, float)):
        return float32
    d = dtype_of(p)
    if not d.is_float:
        raise TypeError(f"fnx.random.bernoulli: the probability p must have a floating "
                        f"dtype, got {d}")
    return d


@compiled()
def bernoulli(key, p=0.5, shape=None):
    """Booleans that are True with probability `p`: `uniform(key, shape) < p`."""
    key = check_key("bernoulli", key)
    dtype = _p_dtype(p)
    if shape is None:
        shape = shape_of(p)
    else:
        shape = canon_shape("bernoulli", shape)
        check_shape("bernoulli", shape, shape_of(p))
    u = _uniform(key, shape, dtype, 0.0, 1.0)
    return lax.lt(u, bcast(param(p, dtype), shape))


@compiled()
def rademacher(key, shape=(), dtype=int):
    """-1 or +1 with equal probability."""
    key = check_key("rademacher", key)
    shape = canon_shape("rademacher", shape)
    dtype = default_int() if dtype is int else requested(fnx_ir.dtype(dtype), "rademacher")
    b = lax.convert_element_type(bernoulli(key, 0.5, shape), dtype)
    return lax.sub(lax.mul(full(shape, 2, dtype), b), full(shape, 1, dtype))


def _urem(x, s, wide: bool):
    """Unsigned remainder `x mod s` (`x rem 0 = x`).

    32-bit: native uint32 `rem`. 64-bit: operands are int64 holding uint64 bit
    patterns (fnx has no uint64); the unsigned remainder is rebuilt from signed
    operations without overflow.
    """
    if not wide:
        return lax.rem(x, s)
    shape = type_of(x).shape
    zero = full(shape, 0, int64)
    one = full(shape, 1, int64)
    sign = full(shape, -2**63, int64)
    s_big = lax.lt(s, zero)                  # s >= 2**63 as unsigned
    s_zero = lax.eq(s, zero)
    # big divisor: x mod s = x - s if x >= s (unsigned compare) else x
    ge = lax.ge(lax.bitwise_xor(x, sign), lax.bitwise_xor(s, sign))
    big = lax.select(ge, lax.sub(x, s), x)
    # small divisor (0 < s < 2**63): ((x >> 1) mod s) * 2 + (x & 1), reduced without overflow
    ss = lax.select(lax.bitwise_or(s_big, s_zero), one, s)
    r = lax.rem(lax.shift_right_logical(x, one), ss)
    d = lax.sub(ss, r)
    r = lax.select(lax.ge(r, d), lax.sub(r, d), lax.add(r, r))
    r = lax.add(r, lax.bitwise_and(x, one))
    r = lax.select(lax.ge(r, ss), lax.sub(r, ss), r)
    return lax.select(s_zero, x, lax.select(s_big, big, r))


def _int_bounds(x, name):
    """An integer bound as an int64 operand (floats truncate, as `astype(int)`)."""
    if isinstance(x, int) and not isinstance(x, bool):
        return np.asarray(min(max(x, -2**63), 2**63 - 1), np.int64), x > 2**63 - 1
    if is_traced(x):
        return lax.convert_element_type(x, int64), False
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"fnx.random.{name}: bounds must be numbers, got {x!r}")
    if arr.dtype.kind == "u":
        return np.minimum(arr, 2**63 - 1).astype(np.int64), bool(np.any(arr > 2**63 - 1))
    return arr.astype(np.int64), False


@compiled("minval", "maxval")
def randint(key, shape, minval, maxval, dtype=int):
    """Uniform integers in [minval, maxval) of `dtype` (int32, uint32 or int64).

    As JAX: two independent words per value reduce modulo the span, so the bias for
    a span that is not a power of two is about span**2 / 2**(2 * bits).
    """
    key = check_key("randint", key)
    shape = canon_shape("randint", shape)
    dtype = default_int() if dtype is int else requested(fnx_ir.dtype(dtype), "randint")
    if dtype not in (int32, uint32, int64):
        raise TypeError(f"fnx.random.randint: dtype must be int32, uint32 or int64, got {dtype}")
    with enable_x64():  # the bounds are int64 internally (the result is `dtype`)
        return _randint(key, shape, minval, maxval, dtype)


def _randint(key, shape, minval, maxval, dtype):
    check_shape("randint", shape, shape_of(minval), shape_of(maxval))
    lo64, _ = _int_bounds(minval, "randint")
    hi64, too_big = _int_bounds(maxval, "randint")
    info = np.iinfo(dtype.np)
    lo64 = bcast(lo64, shape)
    hi64 = bcast(hi64, shape)
    wide = dtype is int64
    if wide:
        out_of_range = full(shape, bool(too_big), bool_)
        lo = lo64
        hi = hi64
        span = lax.sub(hi, lo)          # wrapping: the uint64 bit pattern of the span
        udt = int64
    else:
        dmin, dmax = full(shape, int(info.min), int64), full(shape, int(info.max), int64)
        out_of_range = lax.gt(hi64, dmax)
        lo = lax.min(lax.max(lo64, dmin), dmax)
        hi = lax.min(lax.max(hi64, dmin), dmax)
        span = lax.convert_element_type(
            lax.bitwise_and(lax.sub(hi, lo), full(shape, 0xFFFFFFFF, int64)), uint32)
        udt = uint32
    one = full(shape, 1, udt)
    span = lax.select(lax.le(hi, lo), one, span)
    span = lax.select(lax.bitwise_and(out_of_range, lax.gt(hi, lo)), lax.add(span, one), span)

    k = tf.split(key)
    k1 = lax.reshape(lax.slice(k, (0, 0), (1, 2)), (2,))
    k2 = lax.reshape(lax.slice(k, (1, 0), (2, 2)), (2,))
    if wide:
        def bits64(kk):
            a, b = tf.bits_pair("randint", kk, shape)
            return lax.bitwise_or(
                lax.shift_left(lax.convert_element_type(a, int64), full(shape, 32, int64)),
                lax.convert_element_type(b, int64))
        higher, lower = bits64(k1), bits64(k2)
        half = 2 ** 32
    else:
        higher, lower = tf.bits(k1, shape), tf.bits(k2, shape)
        half = 2 ** 16
    mult = _urem(full(shape, half, udt), span, wide)
    mult = _urem(lax.mul(mult, mult), span, wide)
    offset = lax.add(lax.mul(_urem(higher, span, wide), mult), _urem(lower, span, wide))
    offset = _urem(offset, span, wide)
    if wide:
        return lax.add(lo, offset)
    res = lax.add(lo, lax.convert_element_type(offset, int64))
    return lax.convert_element_type(res, dtype)


def _logits_dtype(logits):
    d = dtype_of(logits)
    return d if d.is_float else float32


@compiled()
def categorical(key, logits, axis: int = -1, shape=None, replace: bool = True, mode=None):
    """Samples of category indices (int32) with unnormalised log-probabilities `logits`.

    Gumbel-max: `argmax(logits + gumbel)` along `axis`; without replacement the
    Gumbel top-k trick (the first k of a sort of the perturbed logits).
    """
    key = check_key("categorical", key)
    logits = as_operand(logits)
    dtype = _logits_dtype(logits)
    logits = param(logits, dtype)
    lshape = type_of(logits).shape
    nd = len(lshape)
    if nd == 0:
        raise ValueError("fnx.random.categorical: logits must have at least one dimension")
    ax = normalize_axis("categorical", axis, nd)
    batch_shape = lshape[:ax] + lshape[ax + 1:]
    if shape is None:
        shape = batch_shape
    else:
        shape = canon_shape("categorical", shape)
        check_shape("categorical", shape, batch_shape)
    prefix = shape[:len(shape) - len(batch_shape)]
    mode = mode or "low"
    if replace:
        lshape_out = list(shape[len(shape) - len(batch_shape):])
        lshape_out.insert(ax, lshape[ax])
        full_shape = tuple(prefix) + tuple(lshape_out)
        g = _gumbel(key, full_shape, dtype, mode)
        z = lax.add(g, bcast(logits, full_shape))
        return lax.argmax(z, len(prefix) + ax, int32)
    k = math.prod(prefix)
    n = lshape[ax]
    if k > n:
        raise ValueError(f"fnx.random.categorical: number of samples without replacement ({k}) "
                         f"cannot exceed the number of categories ({n})")
    z = lax.add(logits, _gumbel(key, lshape, dtype, mode))
    perm = tuple(i for i in range(nd) if i != ax) + (ax,)
    z = lax.transpose(z, perm)                       # batch + (n,)
    zs = type_of(z).shape
    idx = lax.iota(int32, zs, nd - 1)
    _, order = lax.sort([lax.neg(z), idx], nd - 1, 1)  # descending, stable: top-k
    top = lax.slice(order, (0,) * nd, zs[:-1] + (k,))  # batch + (k,)
    top = lax.transpose(top, (nd - 1,) + tuple(range(nd - 1)))  # (k,) + batch
    return lax.reshape(top, shape)


# ----------------------------------------------------------------- permutations

def _shuffle(key, x, axis):
    """Sort by fresh random 32-bit keys, enough rounds to make collisions negligible."""
    t = type_of(x)
    size = t.size
    rounds = int(np.ceil(3 * np.log(max(1, size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        ks = tf.split(key)
        key = lax.reshape(lax.slice(ks, (0, 0), (1, 2)), (2,))
        sub = lax.reshape(lax.slice(ks, (1, 0), (2, 2)), (2,))
        sort_keys = tf.bits(sub, t.shape)
        _, x = lax.sort([sort_keys, x], axis, 1)
    return x


@compiled()
def permutation(key, x, axis: int = 0, independent: bool = False):
    """A random permutation of `range(x)` (int32), or of array `x` along `axis`."""
    key = check_key("permutation", key)
    if not is_traced(x) and np.ndim(x) == 0:
        arr = np.asarray(x)
        if arr.dtype.kind not in "iu":
            raise TypeError("fnx.random.permutation: x must be an integer or an array of "
                            "at least one dimension")
        return _shuffle(key, lax.iota(int32, (int(arr),), 0), 0)
    x = as_operand(x)
    t = type_of(x)
    if t.ndim == 0:
        raise TypeError("fnx.random.permutation: x must be a concrete integer or an array of "
                        "at least one dimension (a traced scalar has no static length)")
    axis = normalize_axis("permutation", axis, t.ndim)
    if independent or t.ndim == 1:
        return _shuffle(key, x, axis)
    ind = _shuffle(key, lax.iota(int32, (t.shape[axis],), 0), 0)
    return take(x, ind, axis)


@compiled()
def choice(key, a, shape=(), replace: bool = True, p=None, axis: int = 0, mode=None):
    """Random samples from `range(a)` (int `a`) or from `a`'s entries along `axis`.

    With `p`, entry i is drawn with probability `p[i]` (inverse CDF with replacement,
    Gumbel top-k without).
    """
    key = check_key("choice", key)
    shape = canon_shape("choice", shape)
    scalar = not is_traced(a) and np.ndim(a) == 0
    if scalar:
        arr_a = np.asarray(a)
        if arr_a.dtype.kind not in "iu":
            raise TypeError(f"fnx.random.choice: a must be an integer or an array, got {a!r}")
        n_inputs = int(arr_a)
        arr = None
    else:
        arr = as_operand(a)
        t = type_of(arr)
        if t.ndim == 0:
            raise TypeError("fnx.random.choice: a traced scalar `a` has no static size; "
                            "pass a Python int")
        axis = normalize_axis("choice", axis, t.ndim)
        n_inputs = t.shape[axis]
    n_draws = math.prod(shape)
    out_dtype = int32 if scalar else type_of(arr).dtype
    if n_draws == 0:
        out_shape = shape if scalar else (type_of(arr).shape[:axis] + shape
                                          + type_of(arr).shape[axis + 1:])
        return as_array(np.zeros(out_shape, out_dtype.np))
    if n_inputs <= 0:
        raise ValueError("fnx.random.choice: a must be greater than 0 unless no samples "
                         "are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"fnx.random.choice: cannot take a larger sample (size {n_draws}) "
                         f"than the population (size {n_inputs}) when replace=False")
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n_inputs)
            result = ind if scalar else take(arr, ind, axis)
            return result
        src = lax.iota(int32, (n_inputs,), 0) if scalar else arr
        perm = permutation(key, src, 0 if scalar else axis)
        st = type_of(perm)
        ax = 0 if scalar else axis
        limit = st.shape[:ax] + (n_draws,) + st.shape[ax + 1:]
        result = lax.slice(perm, (0,) * st.ndim, limit)
    else:
        p_arr = as_operand(p)
        pd = dtype_of(p_arr)
        pd = pd if pd.is_float else float32
        p_arr = param(p_arr, pd)
        if type_of(p_arr).shape != (n_inputs,):
            raise ValueError(f"fnx.random.choice: p must be None or a 1-d vector with the same "
                             f"size as a.shape[axis] ({n_inputs}), got shape "
                             f"{type_of(p_arr).shape}")
        if replace:
            p_cuml = lax.cumsum(p_arr, 0)
            total = lax.reshape(lax.slice(p_cuml, (n_inputs - 1,), (n_inputs,)), ())
            u = _uniform(key, shape, pd, 0.0, 1.0)
            r = lax.mul(lax.broadcast_in_dim(total, shape, ()),
                        lax.sub(full(shape, 1.0, pd), u))
            # searchsorted(p_cuml, r, side='left') == #{i: p_cuml[i] < r}
            nd = len(shape)
            cmp = lax.lt(lax.broadcast_in_dim(p_cuml, shape + (n_inputs,), (nd,)),
                         lax.broadcast_in_dim(r, shape + (n_inputs,), tuple(range(nd))))
            ind = lax.reduce_sum(lax.convert_element_type(cmp, int32), (nd,))
            ind = lax.min(ind, full(shape, n_inputs - 1, int32))
        else:
            g = lax.add(_gumbel(key, (n_inputs,), pd, mode or "low"), xm.log(p_arr))
            idx = lax.iota(int32, (n_inputs,), 0)
            _, order = lax.sort([lax.neg(g), idx], 0, 1)
            ind = lax.slice(order, (0,), (n_draws,))
        result = ind if scalar else take(arr, ind, axis)
    if scalar:
        return lax.reshape(result, shape)
    at = type_of(arr).shape
    return lax.reshape(result, at[:axis] + shape + at[axis + 1:])
