"""Reverse-mode cost on the IR: after the generic passes, grad(f)'s program of an MLP loss
has at most ~3x the equations of f's (docs/autodiff.md quotes the measured ratio)."""
import pytest
import numpy as np

import fnx
import fnx.numpy as fnp


def mlp_loss(params, x, y):
    (w1, b1), (w2, b2), (w3, b3) = params
    h = fnp.maximum(x @ w1 + b1, 0.0)
    h = fnp.tanh(h @ w2 + b2)
    out = h @ w3 + b3
    return fnp.mean((out - y) ** 2)


def _args():
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((8, 16)), np.zeros(16)),
              (rng.standard_normal((16, 16)), np.zeros(16)),
              (rng.standard_normal((16, 1)), np.zeros(1))]
    return params, rng.standard_normal((32, 8)), rng.standard_normal((32, 1))


def _optimized_size(f, *args):
    from fnx._core.api import optimize
    return len(optimize(fnx.make_ir(f)(*args)).equations)


def test_grad_program_at_most_3x_the_forward():
    args = _args()
    n_f = _optimized_size(mlp_loss, *args)
    n_g = _optimized_size(fnx.grad(mlp_loss), *args)
    n_vg = _optimized_size(fnx.value_and_grad(mlp_loss), *args)
    assert n_g <= 3 * n_f, (n_f, n_g)
    assert n_vg <= 3 * n_f, (n_f, n_vg)


def test_grad_values_match_manual_backprop():
    params, x, y = _args()
    (w1, b1), (w2, b2), (w3, b3) = params
    g = fnx.grad(mlp_loss)(params, x, y)
    z1 = x @ w1 + b1
    h1 = np.maximum(z1, 0)
    h2 = np.tanh(h1 @ w2 + b2)
    out = h2 @ w3 + b3
    d_out = 2 * (out - y) / out.size
    d_w3, d_b3 = h2.T @ d_out, d_out.sum(0)
    d_z2 = (d_out @ w3.T) * (1 - h2 ** 2)
    d_w2, d_b2 = h1.T @ d_z2, d_z2.sum(0)
    d_z1 = (d_z2 @ w2.T) * (z1 > 0)
    d_w1, d_b1 = x.T @ d_z1, d_z1.sum(0)
    expected = [(d_w1, d_b1), (d_w2, d_b2), (d_w3, d_b3)]
    for (gw, gb), (ew, eb) in zip(g, expected):
        np.testing.assert_allclose(gw, ew, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(gb, eb, rtol=1e-12, atol=1e-14)
    jitted = fnx.jit(fnx.grad(mlp_loss))(params, x, y)
    for (gw, gb), (jw, jb) in zip(g, jitted):
        np.testing.assert_allclose(jw, gw, rtol=1e-12, atol=1e-14)


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
