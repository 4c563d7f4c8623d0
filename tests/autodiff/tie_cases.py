"""Gradients at ties, kinks and edges: the case table of test_ties.py.

Each case is written against a namespace `m` with `m.np` (a `jax.numpy`-like module), `m.nn`
and `m.lax`, so the same table runs against fnx and, to produce the expected values, against
JAX (the reference). This module imports nothing but numpy.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

f32 = np.float32
nan, inf = np.nan, np.inf


class Case(NamedTuple):
    name: str
    loss: Callable  # m -> (*args -> scalar)
    args: tuple     # float32 arrays
    argnums: tuple = (0,)
    second: bool = True  # also check d/dargs of sum(d loss / d arg0)


def a(*xs):
    return np.array(xs, f32)


def _elementwise(name, fn, points, second=True):
    """Case for an elementwise function of one array: the derivative at every point."""
    return Case(name, lambda m: (lambda x: m.np.sum(fn(m, x))), (a(*points),), (0,), second)


def _binary(name, fn, xs, ys, second=True):
    return Case(name, lambda m: (lambda x, y: m.np.sum(fn(m, x, y))), (a(*xs), a(*ys)), (0, 1),
                second)


def _reduction(name, fn, points, second=True):
    return Case(name, lambda m: fn(m), (a(*points),), (0,), second)


_U = _elementwise
CASES = [
    # ---------------------------------------------------------------- fnx.numpy, unary
    _U("abs", lambda m, x: m.np.abs(x), [-1, 0, -0.0, 1, nan, inf, -inf]),
    _U("fabs", lambda m, x: m.np.fabs(x), [-1, 0, 1]),
    _U("sign", lambda m, x: m.np.sign(x), [-1, 0, 1, nan]),
    _U("sqrt", lambda m, x: m.np.sqrt(x), [0, 1, 4, inf]),
    _U("cbrt", lambda m, x: m.np.cbrt(x), [0, 1, -8]),
    _U("rsqrt", lambda m, x: m.lax.rsqrt(x), [0, 1, inf]),
    _U("reciprocal", lambda m, x: m.np.reciprocal(x), [0, 1, inf]),
    _U("log", lambda m, x: m.np.log(x), [0, 1, inf]),
    _U("square", lambda m, x: m.np.square(x), [0, -1, inf]),
    _U("floor", lambda m, x: m.np.floor(x), [0, 0.5, 1, -1]),
    _U("ceil", lambda m, x: m.np.ceil(x), [0, 0.5, 1]),
    _U("round", lambda m, x: m.np.round(x), [0.5, 1.5, 1]),
    _U("rint", lambda m, x: m.np.rint(x), [0.5, 1.5]),
    _U("trunc", lambda m, x: m.np.trunc(x), [-0.5, 0.5]),
    _U("sinc", lambda m, x: m.np.sinc(x), [0, 0.5, 1]),
    _U("heaviside", lambda m, x: m.np.heaviside(x, f32(0.5)), [-1, 0, 1]),
    _U("clip", lambda m, x: m.np.clip(x, -1, 1), [-2, -1, 0, 1, 2, nan]),
    _U("clip_lo", lambda m, x: m.np.clip(x, min=0), [-1, 0, 1]),
    _U("clip_hi", lambda m, x: m.np.clip(x, max=0), [-1, 0, 1]),
    _U("nan_to_num", lambda m, x: m.np.nan_to_num(x), [nan, inf, -inf, 1]),
    _U("power_0", lambda m, x: m.np.power(x, 0.0), [0, 1]),
    _U("power_half", lambda m, x: m.np.power(x, 0.5), [0, 1]),
    _U("power_2", lambda m, x: m.np.power(x, 2.0), [0, -1]),
    _U("power_1p5", lambda m, x: x ** 1.5, [0, 1]),
    _U("arcsin", lambda m, x: m.np.arcsin(x), [1, -1, 0]),
    _U("arccos", lambda m, x: m.np.arccos(x), [1, 0]),
    _U("maximum_0", lambda m, x: m.np.maximum(x, 0.0), [-1, 0, 1, nan]),
    _U("minimum_0", lambda m, x: m.np.minimum(x, 0.0), [-1, 0, 1, nan]),
    _U("fmax_0", lambda m, x: m.np.fmax(x, 0.0), [-1, 0, 1, nan]),
    _U("fmin_0", lambda m, x: m.np.fmin(x, 0.0), [-1, 0, 1, nan]),
    _U("where_gt", lambda m, x: m.np.where(x > 0, x, 0.0), [-1, 0, 1]),
    _U("where_ge", lambda m, x: m.np.where(x >= 0, x * x, -x), [-1, 0, 1]),
    _U("logaddexp_0", lambda m, x: m.np.logaddexp(x, 0.0), [-1, 0, 1, -inf, inf, nan]),
    _U("logaddexp2_0", lambda m, x: m.np.logaddexp2(x, 0.0), [-1, 0, 1, -inf, inf]),
    _U("logaddexp_self", lambda m, x: m.np.logaddexp(x, x), [0, 1, -inf]),
    _U("hypot_self", lambda m, x: m.np.hypot(x, x), [0, 1]),
    _U("copysign", lambda m, x: m.np.copysign(x, f32(-1)), [0, 1, -1]),
    # ---------------------------------------------------------------- fnx.numpy, binary
    _binary("maximum", lambda m, x, y: m.np.maximum(x, y), [1, 0, 1, nan], [1, 1, 0, 1]),
    _binary("minimum", lambda m, x, y: m.np.minimum(x, y), [1, 0, 1, nan], [1, 1, 0, 1]),
    _binary("fmax", lambda m, x, y: m.np.fmax(x, y), [1, 0, 1, nan], [1, 1, 0, 1]),
    _binary("fmin", lambda m, x, y: m.np.fmin(x, y), [1, 0, 1, nan], [1, 1, 0, 1]),
    _binary("logaddexp", lambda m, x, y: m.np.logaddexp(x, y),
            [0, 1, 2, -inf, inf, -inf], [0, 1, 0, -inf, inf, 0]),
    _binary("logaddexp2", lambda m, x, y: m.np.logaddexp2(x, y),
            [0, 1, 2, -inf, inf], [0, 1, 0, -inf, inf]),
    _binary("hypot", lambda m, x, y: m.np.hypot(x, y), [0, 3, 1], [0, 4, 0]),
    _binary("arctan2", lambda m, x, y: m.np.arctan2(x, y), [0, 1, 0], [0, 0, 1]),
    _binary("power", lambda m, x, y: m.np.power(x, y), [0, 0, 2, 0], [2, 0, 0, 1]),
    _binary("clip_bounds", lambda m, x, y: m.np.clip(x, y, y + 1), [0, 1, -1, 2, 0.5],
            [0, 0, 0, 0, 0]),
    _binary("where_tie", lambda m, x, y: m.np.where(x > y, x, y), [1, 0, 2], [1, 1, 1]),
    _binary("lax_clamp", lambda m, x, y: m.lax.clamp(y, x, y + 1), [0, 1, -1, 2, 0.5],
            [0, 0, 0, 0, 0]),
    _binary("lax_max", lambda m, x, y: m.lax.max(x, y), [1, 0, nan], [1, 1, 1]),
    _binary("lax_min", lambda m, x, y: m.lax.min(x, y), [1, 0, nan], [1, 1, 1]),
    _binary("fmod", lambda m, x, y: m.np.fmod(x, y), [2, 3, -2], [1, 2, 1]),
    _binary("remainder", lambda m, x, y: m.np.remainder(x, y), [2, 3, -2], [1, 2, 1]),
    _binary("floor_divide", lambda m, x, y: m.np.floor_divide(x, y), [2, 3], [1, 2]),
    _binary("interp", lambda m, x, y: m.np.interp(x, a(0, 1, 2), y[:3] * a(1, 3, 2)),
            [0, 1, 2, 0.5, 3], [1, 1, 1, 1, 1], second=False),
    # ---------------------------------------------------------------- fnx.nn
    _U("relu", lambda m, x: m.nn.relu(x), [-1, 0, 1, nan]),
    _U("relu6", lambda m, x: m.nn.relu6(x), [-1, 0, 3, 6, 7, nan]),
    _U("leaky_relu", lambda m, x: m.nn.leaky_relu(x), [-1, 0, 1]),
    _U("elu", lambda m, x: m.nn.elu(x), [-1, 0, 1, -inf]),
    _U("celu", lambda m, x: m.nn.celu(x), [-1, 0, 1]),
    _U("selu", lambda m, x: m.nn.selu(x), [-1, 0, 1]),
    _U("gelu", lambda m, x: m.nn.gelu(x), [-1, 0, 1]),
    _U("gelu_exact", lambda m, x: m.nn.gelu(x, approximate=False), [-1, 0, 1]),
    _U("silu", lambda m, x: m.nn.silu(x), [-1, 0, 1]),
    _U("sigmoid", lambda m, x: m.nn.sigmoid(x), [0, inf, -inf]),
    _U("softplus", lambda m, x: m.nn.softplus(x), [-1, 0, 1, -inf, inf, nan]),
    _U("log_sigmoid", lambda m, x: m.nn.log_sigmoid(x), [-1, 0, 1, -inf, inf]),
    _U("soft_sign", lambda m, x: m.nn.soft_sign(x), [-1, 0, 1]),
    _U("hard_sigmoid", lambda m, x: m.nn.hard_sigmoid(x), [-4, -3, 0, 3, 4]),
    _U("hard_silu", lambda m, x: m.nn.hard_silu(x), [-4, -3, 0, 3, 4]),
    _U("hard_tanh", lambda m, x: m.nn.hard_tanh(x), [-2, -1, 0, 1, 2]),
    _U("squareplus", lambda m, x: m.nn.squareplus(x), [-1, 0, 1]),
    _U("mish", lambda m, x: m.nn.mish(x), [-1, 0, 1]),
    # ---------------------------------------------------------------- reductions and sorts
    _reduction("max_ties", lambda m: lambda x: m.np.max(x), [1, 1, 0]),
    _reduction("min_ties", lambda m: lambda x: m.np.min(x), [0, 1, 0]),
    _reduction("amax_nan", lambda m: lambda x: m.np.amax(x), [1, nan, 1]),
    _reduction("max_axis", lambda m: lambda x: m.np.sum(m.np.max(x.reshape(2, 2), axis=1)),
               [1, 1, 2, 3]),
    _reduction("lax_reduce_max", lambda m: lambda x: m.lax.reduce_max(x, (0,)), [2, 2, 2]),
    _reduction("nanmax", lambda m: lambda x: m.np.nanmax(x), [1, nan, 1]),
    _reduction("nanmin", lambda m: lambda x: m.np.nanmin(x), [1, nan, 1, 2]),
    _reduction("ptp", lambda m: lambda x: m.np.ptp(x), [1, 1, 0, 0]),
    _reduction("median_odd", lambda m: lambda x: m.np.median(x), [1, 1, 1]),
    _reduction("median_even", lambda m: lambda x: m.np.median(x), [2, 1, 2, 3]),
    _reduction("nanmedian", lambda m: lambda x: m.np.nanmedian(x), [2, nan, 2, 3]),
    _reduction("quantile", lambda m: lambda x: m.np.quantile(x, 0.25), [1, 1, 1, 2]),
    _reduction("percentile", lambda m: lambda x: m.np.percentile(x, 50.0), [3, 1, 3, 1]),
    _reduction("sort", lambda m: lambda x: m.np.sum(m.np.sort(x) * a(1, 2, 3, 4)),
               [1, 0, 1, 0]),
    _reduction("lax_sort", lambda m: lambda x: m.np.sum(m.lax.sort(x) * a(1, 2, 3)), [2, 2, 2]),
    _reduction("cummax", lambda m: lambda x: m.np.sum(m.lax.cummax(x, axis=0) * a(1, 2, 4, 8)),
               [1, 1, 0, 2]),
    _reduction("cummin", lambda m: lambda x: m.np.sum(m.lax.cummin(x, axis=0) * a(1, 2, 4, 8)),
               [1, 1, 2, 0]),
    _reduction("cummax_ties7", lambda m: lambda x: m.np.sum(
        m.lax.cummax(x, axis=0) * a(1, 2, 4, 8, 16, 32, 64)), [1, 1, 1, 1, 1, 1, 1]),
    _reduction("cummin_reverse", lambda m: lambda x: m.np.sum(
        m.lax.cummin(x, axis=0, reverse=True) * a(1, 2, 4, 8, 16)), [0, 0, 1, 0, 0]),
    _reduction("logsumexp", lambda m: lambda x: m.nn.logsumexp(x), [0, 0]),
    _reduction("logsumexp_neginf", lambda m: lambda x: m.nn.logsumexp(x), [-inf, -inf]),
    _reduction("logsumexp_inf", lambda m: lambda x: m.nn.logsumexp(x), [inf, 0]),
    _reduction("softmax", lambda m: lambda x: m.np.sum(m.nn.softmax(x) * a(1, 2, 3)), [0, 0, 0]),
    _reduction("log_softmax", lambda m: lambda x: m.np.sum(m.nn.log_softmax(x) * a(1, 2, 3)),
               [0, 0, -inf]),
    _reduction("norm_zero", lambda m: lambda x: m.np.linalg.norm(x), [0, 0]),
    _reduction("norm_inf", lambda m: lambda x: m.np.linalg.norm(x, ord=np.inf), [1, -1, 0]),
    _reduction("norm_1", lambda m: lambda x: m.np.linalg.norm(x, ord=1), [1, 0, -1]),
    _reduction("std_const", lambda m: lambda x: m.np.std(x), [1, 1, 1]),
    _reduction("var_const", lambda m: lambda x: m.np.var(x), [1, 1, 1]),
    _reduction("prod_zeros", lambda m: lambda x: m.np.prod(x), [0, 0, 2]),
    _reduction("nansum", lambda m: lambda x: m.np.nansum(x * x), [1, nan, 2]),
    _reduction("nanmean", lambda m: lambda x: m.np.nanmean(x * x), [1, nan, 2]),
    _reduction("nanvar", lambda m: lambda x: m.np.nanvar(x), [1, nan, 1]),
    _reduction("average", lambda m: lambda x: m.np.average(x, weights=a(1, 0, 2)), [1, 5, 1]),
    _reduction("logsumexp_b", lambda m: lambda x: m.nn.logsumexp(x, b=a(1, 0, 2)), [0, 0, 0]),
    _reduction("softmax_where", lambda m: lambda x: m.np.sum(
        m.nn.softmax(x, where=np.array([True, False, True])) * a(1, 2, 3)), [0, 0, 0],
        second=False),
    _reduction("standardize", lambda m: lambda x: m.np.sum(m.nn.standardize(x) * a(1, 2, 3)),
               [1, 1, 1]),
    _reduction("sum_where", lambda m: lambda x: m.np.sum(x, where=x > 0), [1, 0, -1]),
]
