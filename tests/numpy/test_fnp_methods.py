"""Operators and array methods of traced values (fnx/numpy/_methods.py) vs numpy's ndarray."""
from __future__ import annotations

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp

from fnp_util import assert_same, jax_reference, traced

A = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
B = np.arange(4, dtype=np.int32)

METHODS = [
    lambda x, y: x + y, lambda x, y: y + x, lambda x, y: x - 1, lambda x, y: 1 - x,
    lambda x, y: x * y, lambda x, y: 2.0 * x, lambda x, y: x / (y + 1).astype(np.float32),
    lambda x, y: 10 / x, lambda x, y: x // 3, lambda x, y: 7 // x, lambda x, y: x % 5,
    lambda x, y: 13 % x, lambda x, y: divmod(x, 4)[1], lambda x, y: x ** 2, lambda x, y: 2 ** x,
    lambda x, y: y ** 3, lambda x, y: x @ x.T, lambda x, y: y @ y, lambda x, y: y & 6,
    lambda x, y: 6 | y, lambda x, y: y ^ y, lambda x, y: y << 1, lambda x, y: 64 >> y,
    lambda x, y: -x, lambda x, y: +x, lambda x, y: abs(x - 6), lambda x, y: ~y,
    lambda x, y: x == 3, lambda x, y: x != y, lambda x, y: x < y, lambda x, y: 5 <= x,
    lambda x, y: x > 2.5, lambda x, y: x >= y,
    lambda x, y: x.T, lambda x, y: x.mT, lambda x, y: x.real, lambda x, y: x.imag,
    lambda x, y: x.astype(np.int32), lambda x, y: x.astype(fnp.float64),
    lambda x, y: x.reshape(2, 6), lambda x, y: x.reshape((-1,)), lambda x, y: x.transpose(),
    lambda x, y: x.transpose(1, 0), lambda x, y: x.flatten(), lambda x, y: x.ravel(),
    lambda x, y: x.squeeze(), lambda x, y: x.swapaxes(0, 1), lambda x, y: x.clip(2, 5),
    lambda x, y: x.round(), lambda x, y: x.dot(y.astype(np.float32)),
    lambda x, y: np.sort(x) if isinstance(x, np.ndarray) else x.sort(),  # ndarray.sort is in place
    lambda x, y: x.argsort(axis=0), lambda x, y: x.take([0, 2]), lambda x, y: x.conj(),
    lambda x, y: x.diagonal(), lambda x, y: x.trace(), lambda x, y: x.repeat(2, axis=1),
    lambda x, y: x.sum(axis=1), lambda x, y: x.mean(), lambda x, y: x.std(0),
    lambda x, y: x.cumprod(1), lambda x, y: x.conjugate(), lambda x, y: x[1:, ::2],
    lambda x, y: np.float32(2) * x, lambda x, y: np.ones(4, np.float32) + x,
    lambda x, y: np.ones((2, 3), np.float32) @ x,
]


@pytest.mark.parametrize("f", METHODS)
def test_tracer_methods_match_ndarray(f):
    got = traced(f, A, B)[0]
    want, rtol, atol = jax_reference(lambda a, b: f(a.copy(), b.copy()), got, [A, B], rtol=1e-6)
    assert_same(got, want, rtol, atol, check_type=False)


def test_tracer_properties():
    def f(x):
        assert x.shape == (3, 4) and x.ndim == 2 and x.size == 12 and x.dtype == np.float32
        assert x.itemsize == 4 and x.nbytes == 48 and len(x) == 3
        assert isinstance(x, fnp.ndarray)
        assert x.__array_namespace__() is fnp
        return x
    traced(f, A)


def test_at_property_on_tracers():
    out = traced(lambda x: x.at[0, 1].set(-1.0).at[2].add(1.0).at[:, 3].multiply(2.0), A)[0]
    want = A.copy()
    want[0, 1] = -1
    want[2] += 1
    want[:, 3] *= 2
    assert_same(out, want, check_type=False)


def test_var_method_is_not_installed_but_function_works():
    # `Tracer.var` is the IR variable slot (fnx/_core/trace.py), so x.var() cannot exist;
    # fnp.var(x) does.
    out = traced(lambda x: fnp.var(x, axis=0), A)[0]
    assert_same(out, A.var(axis=0), rtol=1e-6, check_type=False)


def test_item_needs_concrete_value():
    with pytest.raises(fnx.ConcretizationError):
        fnx.make_ir(lambda x: x.sum().item())(A)


def test_var_method():
    out = traced(lambda x: x.var(axis=0), A)[0]
    assert_same(out, A.var(axis=0), rtol=1e-6, check_type=False)


