"""vmap of functions with custom derivative rules and checkpoints, and their derivatives."""
from __future__ import annotations

import pytest

import numpy as np

import fnx
import fnx.numpy as fnp
from fnx._core.trace import bind
from fnx.backends.interpreter import evaluate

from ._cases import custom_functions
from ._util import assert_close


rng = np.random.default_rng(2)
softplus, scaled_sin, block = custom_functions()


def loop(fn, *args):
    return np.stack([fn(*a) for a in zip(*args)])


def test_vmap_of_grad_uses_custom_jvp_rule():
    xs = rng.standard_normal(5)
    g = fnx.vmap(fnx.grad(softplus))(xs)
    assert_close(g, 2.0 / (1.0 + np.exp(-xs)))  # the (deliberately doubled) user rule
    assert_close(g, loop(fnx.grad(softplus), xs))


def test_vmap_of_grad_uses_custom_vjp_rule():
    xs, ys = rng.standard_normal(5), rng.standard_normal(5)
    g = fnx.vmap(fnx.grad(scaled_sin, argnums=(0, 1)))(xs, ys)
    assert_close(g, (3.0 * np.sin(ys), xs * np.cos(ys)))
    # an unmapped argument: its cotangent per example
    g = fnx.vmap(fnx.grad(scaled_sin, argnums=(0, 1)), in_axes=(None, 0))(xs[0], ys)
    assert_close(g, (3.0 * np.sin(ys), xs[0] * np.cos(ys)))


def test_grad_of_vmap_of_custom_vjp_sums_unmapped_cotangent():
    x, ys = rng.standard_normal(()), rng.standard_normal(6)
    loss = lambda x, ys: fnp.sum(fnx.vmap(scaled_sin, in_axes=(None, 0))(x, ys))
    gx, gy = fnx.grad(loss, argnums=(0, 1))(x, ys)
    assert_close(gx, np.asarray(3.0 * np.sin(ys).sum()))
    assert_close(gy, x * np.cos(ys))


def test_grad_of_vmap_of_custom_jvp_and_checkpoint():
    xs, ys = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    loss = lambda xs: fnp.sum(fnx.vmap(lambda x, y: softplus(x) * y)(xs, ys))
    assert_close(fnx.grad(loss)(xs), 2.0 / (1.0 + np.exp(-xs)) * ys)
    loss = lambda xs: fnp.sum(fnx.vmap(block)(xs, ys))
    want = (1 - np.tanh(xs * ys) ** 2) * ys + np.cos(xs)
    assert_close(fnx.grad(loss)(xs), want)
    assert_close(fnx.vmap(fnx.grad(lambda x, y: fnp.sum(block(x, y))))(xs, ys), want)


def test_custom_lin_batch_rule():
    """custom_lin only ever runs transposed: check that the batched `bwd` program is the
    per-example `bwd` for mapped inputs, summed over the batch for unmapped tangents."""
    b, n = 4, 3
    res = rng.standard_normal((b, n))
    bwd = fnx.make_ir(lambda r, ct: [ct * fnp.cos(r), ct * r])(res[0], res[0])

    def f(r, t1, t2):
        return bind("custom_lin", r, t1, t2, bwd=bwd, num_res=1, num_consts=0)

    t1, t2 = rng.standard_normal((b, n)), rng.standard_normal(n)
    prog = fnx.make_ir(fnx.vmap(f, in_axes=(0, 0, None)))(res, t1, t2)
    (eq,) = [e for e in prog.equations if e.primitive == "custom_lin"]
    bwd_b = eq.params["bwd"]
    cts = rng.standard_normal((b, n))
    got = evaluate(bwd_b, [res, cts])
    assert_close(got[0], cts * np.cos(res))  # mapped tangent: per example
    assert_close(got[1], (cts * res).sum(0))  # unmapped tangent: summed over the batch


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
