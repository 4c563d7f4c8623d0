"""Property tests (hypothesis): random scans and conds agree with their Python-control-flow
equivalents in value, jvp, gradient and vmap, eagerly and under jit."""
from __future__ import annotations

import pytest

import numpy as np
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax

from ._util import BACKENDS, assert_trees_close

FEW = settings(max_examples=15, deadline=None)


def _step(c, x):
    a, b = c
    a2 = fnp.sin(a) * x + b
    return (a2, b * 0.9 + fnp.cos(x)), a2 * b


def _unrolled(c, xs, reverse):
    ys = [None] * len(xs)
    for i in (reversed(range(len(xs))) if reverse else range(len(xs))):
        c, ys[i] = _step(c, xs[i])
    return c, (fnp.stack(ys) if len(xs) else np.zeros((0,) + np.shape(c[0])))


@FEW
@given(length=st.integers(0, 4), reverse=st.booleans(), shape=st.sampled_from([(), (2,), (2, 1)]),
       seed=st.integers(0, 2 ** 16), unroll=st.integers(1, 3))
def test_scan_matches_unrolled(length, reverse, shape, seed, unroll):
    r = np.random.default_rng(seed)
    a, b = r.normal(0, 1, shape), r.normal(0, 1, shape)
    xs = r.normal(0, 1, (length,) + shape)
    f = lambda a, b, xs: lax.scan(_step, (a, b), xs, reverse=reverse, unroll=unroll)  # noqa
    g = lambda a, b, xs: _unrolled((a, b), xs, reverse)  # noqa: E731
    assert_trees_close(f(a, b, xs), g(a, b, xs), rtol=1e-12, atol=1e-12)
    loss = lambda h: lambda a, b, xs: (fnp.sum(h(a, b, xs)[0][0])  # noqa: E731
                                       + fnp.sum(h(a, b, xs)[1] ** 2))
    want = fnx.grad(loss(g), (0, 1, 2))(a, b, xs)
    assert_trees_close(fnx.grad(loss(f), (0, 1, 2))(a, b, xs), want, rtol=1e-10, atol=1e-12)
    for backend in BACKENDS:
        got = fnx.jit(fnx.grad(loss(f), (0, 1, 2)), backend=backend)(a, b, xs)
        assert_trees_close(got, want, rtol=1e-10, atol=1e-12)
    t = (np.ones_like(a), np.ones_like(b), np.ones_like(xs))
    assert_trees_close(fnx.jvp(f, (a, b, xs), t), fnx.jvp(g, (a, b, xs), t),
                       rtol=1e-10, atol=1e-12)


@FEW
@given(n_branches=st.integers(1, 4), size=st.integers(1, 4), seed=st.integers(0, 2 ** 16),
       batched=st.sampled_from(["index", "operand", "both"]))
def test_switch_vmap_and_grad_match_python(n_branches, size, seed, batched):
    r = np.random.default_rng(seed)
    branches = [lambda v, k=k: fnp.sin(v * (k + 1)) + k for k in range(n_branches)]
    idx = r.integers(-1, n_branches + 1, size).astype(np.int32)
    xs = r.normal(0, 1, (size, 3))
    f = lambda i, x: lax.switch(i, branches, x)  # noqa: E731
    py = lambda i, x: branches[min(max(int(i), 0), n_branches - 1)](x)  # noqa: E731
    i_arg = idx if batched != "operand" else idx[0]
    x_arg = xs if batched != "index" else xs[0]
    in_axes = (0 if batched != "operand" else None, 0 if batched != "index" else None)
    want = np.stack([py(idx[k] if in_axes[0] == 0 else i_arg,
                        xs[k] if in_axes[1] == 0 else x_arg) for k in range(size)])
    assert_trees_close(fnx.vmap(f, in_axes)(i_arg, x_arg), want, rtol=1e-12, atol=1e-12)
    for backend in BACKENDS:
        got = fnx.jit(fnx.vmap(f, in_axes), backend=backend)(i_arg, x_arg)
        assert_trees_close(got, want, rtol=1e-12, atol=1e-12)
    for k in range(size):
        g = fnx.grad(lambda x: fnp.sum(f(idx[k], x)))(xs[k])
        assert_trees_close(g, fnx.grad(lambda x: fnp.sum(py(idx[k], x)))(xs[k]), rtol=1e-12)


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
