"""Gradients at ties, kinks and edges equal JAX's (issue 9): first and second order, eagerly
and under jit, for every case of `tie_cases.CASES`.

EXPECTED holds JAX 0.10's values (float32 inputs, computed once with JAX; fnx does not need
JAX). The few deliberate differences are marked where they stand and listed in
docs/autodiff.md. Each entry is (first order, second order): the gradient of the case's loss
with respect to each argument in `argnums`, and the gradient of the sum of its first-argument
gradient (elementwise functions: the second derivative at each point).
"""
import types

import numpy as np
import pytest

import fnx
import fnx.lax
import fnx.nn
import fnx.numpy as fnp

from .tie_cases import CASES

nan, inf = np.nan, np.inf
M = types.SimpleNamespace(np=fnp, nn=fnx.nn, lax=fnx.lax)

EXPECTED = {
    'abs': ([[-1.0, 1.0, 1.0, 1.0, -1.0, 1.0, -1.0]],
        [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]),
    'fabs': ([[-1.0, 1.0, 1.0]],
        [[0.0, 0.0, 0.0]]),
    'sign': ([[0.0, 0.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'sqrt': ([[inf, 0.5, 0.25, 0.0]],
        [[-inf, -0.25, -0.03125, 0.0]]),
    'cbrt': ([[inf, 0.33333334, 0.083333336]],
        [[-inf, -0.22222224, 0.006944445]]),
    'rsqrt': ([[-inf, -0.5, 0.0]],
        [[inf, 0.75, 0.0]]),
    'reciprocal': ([[-inf, -1.0, 0.0]],
        [[inf, 2.0, 0.0]]),
    'log': ([[inf, 1.0, 0.0]],
        [[-inf, -1.0, 0.0]]),
    'square': ([[0.0, -2.0, inf]],
        [[2.0, 2.0, 2.0]]),
    'floor': ([[0.0, 0.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'ceil': ([[0.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0]]),
    'round': ([[0.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0]]),
    'rint': ([[0.0, 0.0]],
        [[0.0, 0.0]]),
    'trunc': ([[0.0, 0.0]],
        [[0.0, 0.0]]),
    'sinc': ([[0.0, -1.2732396, -1.0]],
        [[-3.2898684, -1.190227, 2.0000002]]),
    'heaviside': ([[0.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0]]),
    'clip': ([[0.0, 0.5, 1.0, 0.5, 0.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]),
    'clip_lo': ([[0.0, 0.5, 1.0]],
        [[0.0, 0.0, 0.0]]),
    'clip_hi': ([[1.0, 0.5, 0.0]],
        [[0.0, 0.0, 0.0]]),
    'nan_to_num': ([[0.0, 0.0, 0.0, 1.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    # JAX: NaN at 0 (0 * 0**-1); fnx takes x ** 0.0 (a Python integral float) as
    # integer_pow(x, 0), a constant
    'power_0': ([[0.0, 0.0]],
        [[0.0, 0.0]]),
    'power_half': ([[inf, 0.5]],
        [[-inf, -0.25]]),
    'power_2': ([[0.0, -2.0]],
        [[2.0, 2.0]]),
    'power_1p5': ([[0.0, 1.5]],
        [[inf, 0.75]]),
    'arcsin': ([[inf, inf, 1.0]],
        [[inf, -inf, 0.0]]),
    'arccos': ([[-inf, -1.0]],
        [[-inf, 0.0]]),
    'maximum_0': ([[0.0, 0.5, 1.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'minimum_0': ([[1.0, 0.5, 0.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'fmax_0': ([[0.0, 0.0, 1.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'fmin_0': ([[1.0, 0.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'where_gt': ([[0.0, 0.0, 1.0]],
        [[0.0, 0.0, 0.0]]),
    'where_ge': ([[-1.0, 0.0, 2.0]],
        [[0.0, 2.0, 2.0]]),
    'logaddexp_0': ([[0.2689414, 0.5, 0.73105854, 0.0, 1.0, nan]],
        [[0.19661193, 0.25, 0.19661194, 0.0, 0.0, nan]]),
    'logaddexp2_0': ([[0.33333331, 0.5, 0.66666669, 0.0, 1.0]],
        [[0.15403271, 0.1732868, 0.15403271, 0.0, 0.0]]),
    # equal infinities: fnx (1/2, 1/2) as at every tie; JAX (1, 1) at +inf, NaN at -inf
    'logaddexp_self': ([[1.0, 1.0, 1.0]],
        [[0.0, 0.0, 0.0]]),
    'hypot_self': ([[1.0, 1.4142135]],
        [[0.0, 0.0]]),
    'copysign': ([[-1.0, -1.0, 1.0]],
        [[0.0, 0.0, 0.0]]),
    'maximum': ([[0.5, 0.0, 1.0, 0.0], [0.5, 1.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]),
    'minimum': ([[0.5, 1.0, 0.0, 0.0], [0.5, 0.0, 1.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]),
    'fmax': ([[0.0, 0.0, 1.0, 0.0], [1.0, 1.0, 0.0, 1.0]],
        [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]),
    'fmin': ([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 1.0]],
        [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]),
    'logaddexp': ([[0.5, 0.5, 0.88079703, 0.5, 0.5, 0.0], [0.5, 0.5, 0.11920291, 0.5, 0.5, 1.0]],
        [[0.25, 0.25, 0.10499364, 0.0, 0.0, 0.0], [-0.25, -0.25, -0.10499357, 0.0, 0.0, 0.0]]),
    'logaddexp2': ([[0.5, 0.5, 0.80000007, 0.5, 0.5], [0.5, 0.5, 0.20000002, 0.5, 0.5]],
        [[0.1732868, 0.1732868, 0.11090353, 0.0, 0.0], [-0.1732868, -0.1732868, -0.11090357, 0.0, 0.0]]),
    'hypot': ([[0.5, 0.60000002, 1.0], [0.5, 0.79999995, 0.0]],
        [[0.0, 0.12800001, 0.0], [0.0, -0.096000001, 0.0]]),
    'arctan2': ([[nan, 0.0, 1.0], [nan, -1.0, 0.0]],
        [[nan, 0.0, 0.0], [nan, 1.0, -1.0]]),
    'power': ([[0.0, nan, 0.0, 1.0], [0.0, 0.0, 0.69314718, 0.0]],
        [[2.0, nan, 0.0, nan], [0.0, nan, 0.5, 1.0]]),
    'clip_bounds': ([[0.5, 0.5, 0.0, 0.0, 1.0], [0.5, 0.5, 1.0, 1.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]]),
    'where_tie': ([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0]],
        [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
    'lax_clamp': ([[0.0, 0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]]),
    'lax_max': ([[0.5, 0.0, 0.0], [0.5, 1.0, 0.0]],
        [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
    'lax_min': ([[0.5, 1.0, 0.0], [0.5, 0.0, 0.0]],
        [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
    'fmod': ([[1.0, 1.0, 1.0], [-2.0, -1.0, 2.0]],
        [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
    'remainder': ([[1.0, 1.0, 1.0], [-2.0, -1.0, 2.0]],
        [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
    'floor_divide': ([[0.0, 0.0], [0.0, 0.0]],
        [[0.0, 0.0], [0.0, 0.0]]),
    'interp': ([[2.0, -1.0, -1.0, 2.0, 0.0], [1.5, 4.5, 4.0, 0.0, 0.0]],
        None),
    'relu': ([[0.0, 0.0, 1.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'relu6': ([[0.0, 0.0, 1.0, 0.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]),
    'leaky_relu': ([[0.0099999998, 1.0, 1.0]],
        [[0.0, 0.0, 0.0]]),
    'elu': ([[0.36787945, 1.0, 1.0, 0.0]],
        [[0.36787945, 1.0, 0.0, 0.0]]),
    'celu': ([[0.36787945, 1.0, 1.0]],
        [[0.36787945, 0.25, 0.0]]),
    'selu': ([[0.64676863, 1.7580993, 1.050701]],
        [[0.64676863, 1.7580993, 0.0]]),
    'gelu': ([[-0.08296407, 0.5, 1.0829639]],
        [[0.2421481, 0.79788458, 0.24214809]]),
    'gelu_exact': ([[-0.083315477, 0.5, 1.0833155]],
        [[0.24197075, 0.79788458, 0.24197075]]),
    'silu': ([[0.072329491, 0.5, 0.92767054]],
        [[0.30236614, 0.5, 0.30236611]]),
    'sigmoid': ([[0.25, 0.0, 0.0]],
        [[0.0, 0.0, 0.0]]),
    'softplus': ([[0.2689414, 0.5, 0.73105854, 0.0, 1.0, nan]],
        [[0.19661193, 0.25, 0.19661196, 0.0, 0.0, nan]]),
    'log_sigmoid': ([[0.73105854, 0.5, 0.2689414, 1.0, 0.0]],
        [[-0.19661196, -0.25, -0.19661193, 0.0, 0.0]]),
    'soft_sign': ([[0.25, 1.0, 0.25]],
        [[0.25, -2.0, -0.25]]),
    'hard_sigmoid': ([[0.0, 0.0, 0.16666667, 0.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0, 0.0]]),
    'hard_silu': ([[0.0, 0.0, 0.5, 1.0, 1.0]],
        [[0.0, 0.0, 0.33333334, 0.0, 0.0]]),
    'hard_tanh': ([[0.0, 1.0, 1.0, 1.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0, 0.0]]),
    'squareplus': ([[0.2763932, 0.5, 0.72360682]],
        [[0.17888543, 0.25, 0.17888543]]),
    'mish': ([[0.059216753, 0.60000002, 1.0490361]],
        [[0.34970567, 0.63999999, 0.18468562]]),
    'max_ties': ([[0.5, 0.5, 0.0]],
        [[0.0, 0.0, 0.0]]),
    'min_ties': ([[0.5, 0.0, 0.5]],
        [[0.0, 0.0, 0.0]]),
    'amax_nan': ([[nan, nan, nan]],
        [[0.0, 0.0, 0.0]]),
    'max_axis': ([[0.5, 0.5, 0.0, 1.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'lax_reduce_max': ([[0.33333334, 0.33333334, 0.33333334]],
        [[0.0, 0.0, 0.0]]),
    'nanmax': ([[0.5, 0.0, 0.5]],
        [[0.0, 0.0, 0.0]]),
    'nanmin': ([[0.5, 0.0, 0.5, 0.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'ptp': ([[0.5, 0.5, -0.5, -0.5]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'median_odd': ([[0.0, 1.0, 0.0]],
        [[0.0, 0.0, 0.0]]),
    'median_even': ([[0.5, 0.0, 0.5, 0.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'nanmedian': ([[0.0, 0.0, 1.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'quantile': ([[0.25, 0.75, 0.0, 0.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'percentile': ([[0.5, 0.0, 0.0, 0.5]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'sort': ([[3.0, 1.0, 4.0, 2.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'lax_sort': ([[1.0, 2.0, 3.0]],
        [[0.0, 0.0, 0.0]]),
    'cummax': ([[4.0, 3.0, 0.0, 8.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'cummin': ([[4.0, 3.0, 0.0, 8.0]],
        [[0.0, 0.0, 0.0, 0.0]]),
    'cummax_ties7': ([[15.0, 14.0, 14.0, 12.0, 24.0, 16.0, 32.0]],
        [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]),
    'cummin_reverse': ([[0.5, 1.25, 0.0, 6.625, 22.625]],
        [[0.0, 0.0, 0.0, 0.0, 0.0]]),
    'logsumexp': ([[0.5, 0.5]],
        [[0.0, 0.0]]),
    'logsumexp_neginf': ([[nan, nan]],
        [[nan, nan]]),
    'logsumexp_inf': ([[nan, 0.0]],
        [[nan, nan]]),
    'softmax': ([[-0.33333334, 0.0, 0.33333331]],
        [[0.0, 0.0, 0.0]]),
    'log_softmax': ([[-2.0, -1.0, 3.0]],
        [[0.0, 0.0, 0.0]]),
    'norm_zero': ([[nan, nan]],
        [[nan, nan]]),
    'norm_inf': ([[0.5, -0.5, 0.0]],
        [[0.0, 0.0, 0.0]]),
    'norm_1': ([[1.0, 1.0, -1.0]],
        [[0.0, 0.0, 0.0]]),
    'std_const': ([[nan, nan, nan]],
        [[nan, nan, nan]]),
    'var_const': ([[0.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0]]),
    'prod_zeros': ([[0.0, 0.0, 0.0]],
        [[2.0, 2.0, 0.0]]),
    'nansum': ([[2.0, nan, 4.0]],
        [[2.0, 0.0, 2.0]]),
    'nanmean': ([[1.0, nan, 2.0]],
        [[1.0, 0.0, 1.0]]),
    'nanvar': ([[0.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0]]),
    'average': ([[0.33333334, 0.0, 0.66666669]],
        [[0.0, 0.0, 0.0]]),
    'logsumexp_b': ([[0.33333334, 0.0, 0.66666669]],
        [[0.0, 0.0, 0.0]]),
    'softmax_where': ([[-0.5, 0.0, 0.5]],
        None),
    'standardize': ([[-316.22775, 0.0, 316.22772]],
        [[0.0, 0.0, 0.0]]),
    'sum_where': ([[1.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0]]),
}


def _check(got, want, what):
    assert len(got) == len(want), what
    for g, w in zip(got, want):
        g = np.asarray(g)
        rtol = 8 * np.finfo(g.dtype).eps  # a few ulps of the result dtype (JAX's formulas differ)
        np.testing.assert_allclose(g.ravel(), np.array(w, g.dtype), rtol=rtol, atol=rtol,
                                   equal_nan=True, err_msg=what)


def _grads(case, transform):
    loss = case.loss(M)
    first = transform(fnx.grad(loss, argnums=case.argnums))(*case.args)
    second = None
    if case.second:
        d0 = fnx.grad(loss, argnums=0)
        second = transform(fnx.grad(lambda *a: fnp.sum(d0(*a)), argnums=case.argnums))(*case.args)
    return first, second


def test_every_case_has_expected_values():
    assert sorted(c.name for c in CASES) == sorted(EXPECTED)


@pytest.mark.parametrize("transform", [lambda f: f, fnx.jit], ids=["eager", "jit"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradient_at_ties_matches_jax(case, transform):
    first, second = _grads(case, transform)
    want_first, want_second = EXPECTED[case.name]
    _check(first, want_first, f"{case.name}: first order")
    if case.second:
        _check(second, want_second, f"{case.name}: second order")


def test_issue_examples():
    """The cases named in issue 9."""
    half = np.float32(0.5)
    assert fnx.grad(fnx.nn.softplus)(np.float32(0)) == half
    assert fnx.grad(fnx.nn.log_sigmoid)(np.float32(0)) == half
    assert fnx.grad(fnx.nn.relu)(np.float32(0)) == 0
    gx, gy = fnx.grad(fnp.logaddexp, argnums=(0, 1))(np.float32(1), np.float32(1))
    assert (gx, gy) == (half, half)
    gx, gy = fnx.grad(fnp.logaddexp2, argnums=(0, 1))(np.float32(-3), np.float32(-3))
    assert (gx, gy) == (half, half)
