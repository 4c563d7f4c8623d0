"""vmap composed with differentiation: vmap∘grad, grad∘vmap, per-example gradients, jacobians."""
from __future__ import annotations

import pytest

import numpy as np
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx import tree_util

from ._util import assert_close


rng = np.random.default_rng(1)


def r(*shape):
    return rng.standard_normal(shape)


def f_scalar(w, x):
    return fnp.sum(fnp.tanh(x * w) ** 2) + fnp.sum(fnp.sin(w) * x)


@settings(max_examples=15)
@given(st.integers(1, 4), st.sampled_from([(0, None), (None, 0), (0, 0), (1, 0)]))
def test_vmap_of_grad_matches_loop(b, in_axes):
    w = r(b, 3) if in_axes[0] == 0 else r(3, b) if in_axes[0] == 1 else r(3)
    x = r(b, 3) if in_axes[1] == 0 else r(3)
    g = fnx.vmap(fnx.grad(f_scalar, argnums=(0, 1)), in_axes=in_axes)(w, x)
    want = [fnx.grad(f_scalar, argnums=(0, 1))(np.take(w, i, in_axes[0]) if in_axes[0] is not None
                                                else w,
                                                x[i] if in_axes[1] is not None else x)
            for i in range(b)]
    want = tuple(np.stack([wi[k] for wi in want]) for k in range(2))
    assert_close(g, want)


def test_grad_of_vmap_matches_loop():
    w, xs = r(3), r(5, 3)
    loss = lambda w: fnp.sum(fnx.vmap(f_scalar, in_axes=(None, 0))(w, xs))
    want = sum(fnx.grad(f_scalar)(w, x) for x in xs)
    assert_close(fnx.grad(loss)(w), want)
    # cotangent of a mapped argument stays per example
    loss2 = lambda xs: fnp.sum(fnx.vmap(f_scalar, in_axes=(None, 0))(w, xs))
    assert_close(fnx.grad(loss2)(xs), np.stack([fnx.grad(f_scalar, 1)(w, x) for x in xs]))


def test_grad_of_vmap_out_axes_and_nested():
    a = r(4, 3)
    def loss(a):
        inner = fnx.vmap(fnx.vmap(lambda v: fnp.sin(v) * v, in_axes=0), in_axes=1, out_axes=1)
        return fnp.sum(inner(a) ** 2)
    num = np.zeros_like(a)
    eps = 1e-6
    for idx in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[idx] = eps
        num[idx] = (loss(a + d) - loss(a - d)) / (2 * eps)
    np.testing.assert_allclose(fnx.grad(loss)(a), num, rtol=1e-5, atol=1e-7)


def init_mlp(sizes):
    return [(r(m, n) / np.sqrt(m), np.zeros(n)) for m, n in zip(sizes[:-1], sizes[1:])]


def mlp_loss(params, x, y):
    h = x
    for i, (w, b) in enumerate(params):
        h = fnp.matmul(h, w) + b
        if i < len(params) - 1:
            h = fnp.tanh(h)
    return fnp.mean((h - y) ** 2)


def test_per_example_gradients_of_mlp():
    params = init_mlp([4, 8, 3])
    xs, ys = r(6, 4), r(6, 3)
    per_ex = fnx.vmap(fnx.grad(mlp_loss), in_axes=(None, 0, 0))(params, xs, ys)
    loop = [fnx.grad(mlp_loss)(params, x, y) for x, y in zip(xs, ys)]
    want = tree_util.tree_map(lambda *gs: np.stack(gs), *loop)
    assert_close(per_ex, want)
    jitted = fnx.jit(fnx.vmap(fnx.grad(mlp_loss), in_axes=(None, 0, 0)), backend="interpreter")
    assert_close(jitted(params, xs, ys), want)
    # the mean of per-example gradients is the batch gradient
    batch_loss = lambda p: fnp.mean(fnx.vmap(mlp_loss, in_axes=(None, 0, 0))(p, xs, ys))
    assert_close(fnx.grad(batch_loss)(params), tree_util.tree_map(lambda g: g.mean(0), want))


def test_per_example_gradient_program_size():
    params = init_mlp([4, 8, 3])
    f = fnx.vmap(fnx.grad(mlp_loss), in_axes=(None, 0, 0))
    n = [len(fnx.make_ir(f)(params, r(b, 4), r(b, 3)).equations) for b in (2, 64)]
    assert n[0] == n[1]


def test_vmap_of_jvp_and_vjp():
    f = lambda v: fnp.sin(v) * fnp.sum(v)
    x, ts = r(3), r(5, 3)
    tangents = fnx.vmap(lambda t: fnx.jvp(f, (x,), (t,))[1])(ts)
    assert_close(tangents, np.stack([fnx.jvp(f, (x,), (t,))[1] for t in ts]))
    _, pullback = fnx.vjp(f, x)
    cts = fnx.vmap(lambda c: pullback(c)[0])(ts)
    assert_close(cts, np.stack([pullback(c)[0] for c in ts]))


def test_jacobians_built_on_vmap():
    f = lambda v: fnp.tanh(v) * v[0]
    x = r(4)
    jf, jr = fnx.jacfwd(f)(x), fnx.jacrev(f)(x)
    eps = 1e-6
    num = np.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(4)], axis=1)
    np.testing.assert_allclose(jf, num, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(jr, num, rtol=1e-5, atol=1e-8)
    # per-example Jacobians
    xs = r(3, 4)
    assert_close(fnx.vmap(fnx.jacrev(f))(xs), np.stack([fnx.jacrev(f)(xi) for xi in xs]))


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
