"""fnx.nn vs numpy references (float64 math), dtype kept, stable for large |x|, traced == eager;
JAX's jax.nn as an optional oracle."""
from __future__ import annotations

import math

import numpy as np
import pytest

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx.backends.interpreter import evaluate

X32 = np.array([-1000.0, -50.0, -3.0, -1.0, -1e-3, 0.0, 1e-3, 0.5, 2.0, 30.0, 88.0, 1000.0],
               np.float32)
X64 = X32.astype(np.float64)
_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def _softplus(x):
    return np.logaddexp(x, 0.0)


REFS = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.minimum(np.maximum(x, 0), 6),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.01 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "celu": lambda x: np.maximum(x, 0) + np.expm1(np.minimum(x, 0)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0))),
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))),
    "sigmoid": _sigmoid,
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "softplus": _softplus,
    "log_sigmoid": lambda x: -_softplus(-x),
    "soft_sign": lambda x: x / (np.abs(x) + 1),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "hard_sigmoid": lambda x: np.minimum(np.maximum(x + 3, 0), 6) / 6,
    "hard_silu": lambda x: x * np.minimum(np.maximum(x + 3, 0), 6) / 6,
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "squareplus": lambda x: np.where(x > 0, (x + np.sqrt(x * x + 4)) / 2, 2 / (np.sqrt(x * x + 4) - x)),
}


def _traced(f, *args):
    return evaluate(fnx.make_ir(f)(*args), list(args))


@pytest.mark.parametrize("name", sorted(REFS))
@pytest.mark.parametrize("x", [X32, X64], ids=["f32", "f64"])
def test_activation_vs_reference(name, x):
    with np.errstate(over="ignore"):
        want = REFS[name](x.astype(np.float64))
    got = getattr(nn, name)(x)
    assert isinstance(got, np.ndarray) and got.dtype == x.dtype
    assert np.all(np.isfinite(got) | ~np.isfinite(want))
    rtol = 2e-6 if x.dtype == np.float32 else 1e-14
    np.testing.assert_allclose(got, want.astype(x.dtype), rtol=rtol, atol=1e-37 if x.dtype == np.float32 else 0)
    out = _traced(getattr(nn, name), x)[0]
    np.testing.assert_allclose(out, got, rtol=rtol)


def test_gelu_exact():
    for x in (X32, X64):
        want = 0.5 * X64 * (1 + _erf(X64 / math.sqrt(2)))
        got = nn.gelu(x, approximate=False)
        assert got.dtype == x.dtype
        np.testing.assert_allclose(got, want, rtol=2e-6 if x.dtype == np.float32 else 1e-14)


def test_integer_inputs_compute_in_jax_inexact_dtype():
    x = np.array([-2, 0, 3], np.int32)
    assert nn.sigmoid(x).dtype == np.float32  # JAX: int32 computes in float32
    assert nn.sigmoid(x.astype(np.int64)).dtype == np.float64
    assert nn.relu(x).dtype == np.int32
    np.testing.assert_array_equal(nn.relu(x), [0, 0, 3])


def _lse_ref(x, axis=None, keepdims=False):
    x = np.asarray(x, np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_softmax_log_softmax(axis, keepdims):
    x = np.array([[1000.0, 1000.0, -np.inf], [-1000.0, 3.0, 2.0]], np.float32)
    got = nn.logsumexp(x, axis=axis, keepdims=keepdims)
    want = _lse_ref(x, axis if axis is not None else (0, 1), keepdims)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6)
    ax = -1 if axis is None else axis
    sm = nn.softmax(x, axis=ax)
    e = np.exp(x.astype(np.float64) - _lse_ref(x, ax, True))
    np.testing.assert_allclose(sm, e, rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(np.sum(sm, axis=ax), 1.0, rtol=1e-6)
    lsm = nn.log_softmax(x, axis=ax)
    np.testing.assert_allclose(lsm, x.astype(np.float64) - _lse_ref(x, ax, True), rtol=1e-6)
    assert np.all(np.isfinite(sm))
    out = _traced(lambda a: nn.logsumexp(a, axis=axis, keepdims=keepdims), x)[0]
    np.testing.assert_allclose(out, got, rtol=1e-6)


def test_logsumexp_edge_cases_and_b():
    x = np.full((3,), -np.inf)
    assert nn.logsumexp(x) == -np.inf
    big = np.array([1e308, 1e308])
    np.testing.assert_allclose(nn.logsumexp(big), 1e308 + math.log(2))
    b = np.array([1.0, 2.0, 0.0])
    y = np.array([0.5, 1.0, 1000.0])
    np.testing.assert_allclose(nn.logsumexp(y, b=b), np.log(np.sum(b * np.exp(np.where(b != 0, y, 0)))))
    val, sign = nn.logsumexp(np.array([0.0, 1.0]), b=np.array([1.0, -1.0]), return_sign=True)
    np.testing.assert_allclose(val, np.log(np.e - 1))
    assert sign == -1


def test_softmax_where():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    w = np.array([[True, False, True], [True, True, True]])
    got = nn.softmax(x, where=w)
    e = np.where(w, np.exp(x), 0)
    np.testing.assert_allclose(got, e / e.sum(-1, keepdims=True), rtol=1e-14)


def test_one_hot():
    x = np.array([0, 2, -1, 3, 1])
    want = (x[:, None] == np.arange(3)).astype(np.float64)
    got = nn.one_hot(x, 3)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.float64
    got = nn.one_hot(x.reshape(5, 1), 3, dtype=np.int32, axis=0)
    assert got.shape == (3, 5, 1) and got.dtype == np.int32
    np.testing.assert_array_equal(got[:, :, 0], want.T)
    out = _traced(lambda a: nn.one_hot(a, 4, dtype=fnp.float32), x)[0]
    np.testing.assert_array_equal(out, (x[:, None] == np.arange(4)).astype(np.float32))


def test_standardize_normalize():
    x = np.arange(12.0, dtype=np.float32).reshape(3, 4) ** 2
    m = x.astype(np.float64).mean(-1, keepdims=True)
    v = x.astype(np.float64).var(-1, keepdims=True)
    want = (x - m) / np.sqrt(v + 1e-5)
    for f in (nn.standardize, nn.normalize):
        got = f(x)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)
    got = nn.standardize(x, axis=0, epsilon=0.0)
    want0 = (x - x.mean(0)) / x.std(0)
    np.testing.assert_allclose(got, want0, rtol=1e-5)
    got = nn.standardize(x, mean=0.0, variance=1.0, epsilon=0.0)
    np.testing.assert_allclose(got, x)


def test_glu():
    x = np.arange(8.0).reshape(2, 4)
    np.testing.assert_allclose(nn.glu(x), x[:, :2] * _sigmoid(x[:, 2:]), rtol=1e-15)


def test_against_jax_if_available():
    """A few functions against jax.nn (JAX is an optional oracle; kept small: JAX is slow to start)."""
    jax = pytest.importorskip("jax")
    jnn = jax.nn
    x = np.array([[0.5, -2.0, 3.0, -30.0], [1e3, 1e3, 0.0, -1e3]], np.float32)
    np.testing.assert_allclose(nn.logsumexp(x, axis=1), np.asarray(jnn.logsumexp(x, axis=1)), rtol=1e-6)
    np.testing.assert_allclose(nn.log_softmax(x), np.asarray(jnn.log_softmax(x)), rtol=1e-6)
    np.testing.assert_allclose(nn.softplus(x), np.asarray(jnn.softplus(x)), rtol=1e-6)
    np.testing.assert_allclose(nn.gelu(x[0]), np.asarray(jnn.gelu(x[0])), rtol=1e-5, atol=1e-7)


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
