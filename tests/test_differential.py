"""Eager == jit(cpu) == jit(interpreter), over random programs of the user-facing API.

Hypothesis draws small programs over fnx.numpy, fnx.lax and fnx.nn (elementwise maths, integer
arithmetic, conversions, reductions, `.at` updates, scan and cond) and runs each three ways.
docs/backends.md states what must agree: exact operations bit for bit, transcendentals within
a few ULP, sums within a bound that depends on the order of additions. A program records
which of those it used, and is compared accordingly.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax

# Relative tolerance by result dtype, for programs with transcendentals (a few ULP per step,
# compounded over at most eight steps) or reordered sums (short rows here).
_RTOL = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-13}


def _f(x):
    """The program's float operand, made float again after integer steps."""
    return x if x.dtype.kind == "f" else x.astype(fnp.float32)


def _i(x):
    """An int32 operand derived exactly from any value (floats are clipped, then truncated)."""
    if x.dtype.kind == "i":
        return x
    return fnp.clip(fnp.nan_to_num(_f(x)), -1000, 1000).astype(fnp.int32)


# Each step: (name, is exact, function of (current value, the float input, the int input)).
_STEPS = [
    ("add", True, lambda a, x, k: _f(a) + x),
    ("sub", True, lambda a, x, k: x - _f(a)),
    ("mul", True, lambda a, x, k: _f(a) * 0.5),
    ("maximum", True, lambda a, x, k: fnp.maximum(_f(a), x)),
    ("minimum", True, lambda a, x, k: fnp.minimum(x, _f(a))),
    ("where", True, lambda a, x, k: fnp.where(_f(a) > x, _f(a), -x)),
    ("abs-neg", True, lambda a, x, k: -fnp.abs(_f(a))),
    ("floor", True, lambda a, x, k: fnp.floor(_f(a) * 4.0)),
    ("clip", True, lambda a, x, k: fnp.clip(_f(a), -0.5, 0.75)),
    ("sqrt", True, lambda a, x, k: fnp.sqrt(fnp.abs(_f(a)))),
    ("relu", True, lambda a, x, k: fnx.nn.relu(_f(a))),
    ("int-add", True, lambda a, x, k: _i(a) + k),
    ("int-mul", True, lambda a, x, k: _i(a) * 3 - k),
    ("int-floordiv", True, lambda a, x, k: _i(a) // (k % 5 - 2)),
    ("int-mod", True, lambda a, x, k: _i(a) % (k % 7 - 3)),
    ("int-bits", True, lambda a, x, k: (_i(a) & 0xFF) ^ (k | 3)),
    ("int-shift", True, lambda a, x, k: (_i(a) << 2) >> 1),
    ("to-int", True, lambda a, x, k: _i(a * 3.0) if a.dtype.kind == "f" else a),
    ("to-float", True, lambda a, x, k: _i(a).astype(x.dtype) * 0.25),
    ("to-bool", True, lambda a, x, k: fnp.where((_i(a) % 2).astype(bool), x, 0.0)),
    ("max-reduce", True, lambda a, x, k: fnp.max(_f(a), axis=-1, keepdims=True) + x),
    ("argmax", True, lambda a, x, k: fnp.argmax(_f(a), axis=0).astype(fnp.int32) + k),
    ("at-set", True, lambda a, x, k: _f(a).at[0].set(1.5)),
    ("at-add", True, lambda a, x, k: _f(a).at[:, -1].add(x[:, 0])),
    ("at-gather-clip", True, lambda a, x, k: _f(a).at[fnp.array([0, 7, -9])].get(mode="clip")
     .sum(axis=0, keepdims=True) * 0.0 + x),
    ("at-scatter-drop", True, lambda a, x, k: _f(a).at[fnp.array([1, 9])].set(2.0, mode="drop")),
    ("divide", True, lambda a, x, k: x / _f(a)),
    ("to-int-saturating", True, lambda a, x, k: (_f(a) * 1e10).astype(fnp.int32)),
    ("random-normal", True, lambda a, x, k: _f(a) + fnx.random.normal(
        fnx.random.PRNGKey(7), x.shape, x.dtype)),
    ("cond", True, lambda a, x, k: lax.cond(fnp.max(_f(a)) > 0, lambda v: v * 2.0,
                                             lambda v: v - 1.0, _f(a))),
    ("power-half", False, lambda a, x, k: fnp.power(_f(a), 0.5)),
    ("log", False, lambda a, x, k: fnp.log(_f(a))),
    ("sin", False, lambda a, x, k: fnp.sin(_f(a))),
    ("exp", False, lambda a, x, k: fnp.exp(-fnp.abs(_f(a)))),
    ("tanh", False, lambda a, x, k: fnp.tanh(_f(a))),
    ("log1p", False, lambda a, x, k: fnp.log1p(fnp.abs(_f(a)))),
    ("sigmoid", False, lambda a, x, k: fnx.nn.sigmoid(_f(a))),
    ("softplus", False, lambda a, x, k: fnx.nn.softplus(_f(a))),
    ("sum", False, lambda a, x, k: fnp.sum(_f(a), axis=0, keepdims=True) + x),
    ("mean", False, lambda a, x, k: fnp.mean(_f(a), axis=1, keepdims=True) * x),
    ("cumsum", False, lambda a, x, k: fnp.cumsum(_f(a), axis=1)),
    ("scan-weak-carry", False, lambda a, x, k: lax.scan(
        lambda c, v: (c + v, c), 0, _f(a).reshape(-1))[1].reshape(a.shape)),
    ("scan", False, lambda a, x, k: lax.scan(lambda c, row: (c + row, c * row), x[0],
                                             _f(a))[1]),
]


@st.composite
def programs(draw):
    """A random program of 1-8 steps and whether every step is exact."""
    picks = draw(st.lists(st.sampled_from(_STEPS), min_size=1, max_size=8))

    def program(x, k):
        x, k = fnp.asarray(x), fnp.asarray(k)  # (as a JAX user passes jnp arrays)
        a = x
        for _, _, step in picks:
            a = step(a, x, k)
        return a
    program.__name__ = "program_" + "_".join(name for name, _, _ in picks)
    return program, all(exact for _, exact, _ in picks)


def _inputs(dtype, rows: int, cols: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (rows, cols)).astype(dtype)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0], dtype)
    where = rng.random((rows, cols)) < 0.15  # ties, signed zeros and non-finite values
    x[where] = rng.choice(special, where.sum())
    k = rng.integers(-50, 50, (rows, cols)).astype(np.int32)
    return x, k


def _assert_agree(got, want, exact: bool, what: str):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (what, got.dtype, want.dtype)
    if exact or got.dtype.kind != "f":
        np.testing.assert_array_equal(got, want, err_msg=what, strict=True)
    else:
        np.testing.assert_allclose(got, want, rtol=_RTOL[got.dtype], atol=_RTOL[got.dtype],
                                   err_msg=what)


@settings(max_examples=60, deadline=None)
@given(prog=programs(), dtype=st.sampled_from([np.float32, np.float64]),
       rows=st.integers(1, 4), cols=st.integers(1, 4), seed=st.integers(0, 2**16))
@pytest.mark.x64
def test_eager_jit_and_interpreter_agree(prog, dtype, rows, cols, seed):
    f, exact = prog
    x, k = _inputs(dtype, rows, cols, seed)
    want = f(x, k)
    _assert_agree(fnx.jit(f, backend="interpreter")(x, k), want, exact, "interpreter vs eager")
    _assert_agree(fnx.jit(f)(x, k), want, exact, "jit vs eager")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, exact, step", _STEPS, ids=[s[0] for s in _STEPS])
@pytest.mark.x64
def test_each_step_agrees(name, exact, step, dtype):
    """Every step alone, on an input with every special value and enough elements for
    last-bit differences in vectorised code to show."""
    x, k = _inputs(dtype, 4, 257, seed=len(name))
    x[0, :6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0]
    def f(x, k):
        x, k = fnp.asarray(x), fnp.asarray(k)
        return step(x, x, k)
    want = f(x, k)
    _assert_agree(fnx.jit(f, backend="interpreter")(x, k), want, exact, "interpreter vs eager")
    _assert_agree(fnx.jit(f)(x, k), want, exact, "jit vs eager")


def test_ieee_results_raise_no_numpy_warnings():
    """log(0) = -inf, 0/0 = nan, integer x // 0 (documented) are values, eagerly as under jit:
    numpy's RuntimeWarnings do not leak out of fnx (JAX does not warn either)."""
    import warnings
    x = fnp.asarray(np.array([0.0, -1.0, np.inf, 1e38], np.float32))
    i = fnp.asarray(np.array([0, 5, -7], np.int32))
    # (fnx.numpy functions: numpy's own operators on an eager result are numpy's, warnings too)
    ops = [lambda: fnp.log(x), lambda: fnp.divide(x, 0.0), lambda: fnp.sqrt(x),
           lambda: fnp.multiply(fnp.multiply(x, x), x), lambda: fnp.subtract(x, x),
           lambda: fnp.floor_divide(i, 0), lambda: fnp.remainder(i, 0), lambda: fnp.power(x, -1.0),
           lambda: fnp.arcsin(x), lambda: fnx.grad(lambda v: fnp.sum(fnp.log(v)))(x)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for op in ops:
            op()
            fnx.jit(op, backend="interpreter")()
