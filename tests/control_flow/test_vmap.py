"""vmap of control flow against a Python loop over the examples: batched and unbatched
predicates/indices, operands, consts, carries and xs (at any axis), and vmap composed with
jit and grad."""
from __future__ import annotations

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax, tree_util

from ._util import BACKENDS, assert_trees_close


def loop(f, args, in_axes):
    """Stack f over the examples (the reference vmap)."""
    size = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = [f(*[a if ax is None else np.take(a, k, axis=ax) for a, ax in zip(args, in_axes)])
            for k in range(size)]
    return tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *outs)


def check(f, args, in_axes, rtol=1e-12):
    want = loop(f, args, in_axes)
    assert_trees_close(fnx.vmap(f, in_axes=in_axes)(*args), want, rtol=rtol, atol=1e-12)
    for backend in BACKENDS:
        got = fnx.jit(fnx.vmap(f, in_axes=in_axes), backend=backend)(*args)
        assert_trees_close(got, want, rtol=rtol, atol=1e-12)


R = np.random.default_rng(0)
XS = R.normal(0, 1, (5, 3))
PS = np.array([0.5, -1.0, 2.0, -0.1, 0.0])


def cond_f(p, x):
    return lax.cond(p > 0, lambda v: (fnp.sin(v), v.sum()), lambda v: (v * p, -v.sum()), x)


@pytest.mark.parametrize("in_axes", [(0, 0), (None, 0), (0, None), (0, 1)])
def test_cond(in_axes):
    p = PS if in_axes[0] == 0 else np.float64(0.7)
    x = XS if in_axes[1] == 0 else (XS.T if in_axes[1] == 1 else XS[0])
    check(cond_f, (p, x), in_axes)


def test_cond_with_batched_predicate_is_a_select():
    program = fnx.make_ir(fnx.vmap(cond_f))(PS, XS)
    prims = [eq.primitive for eq in program.equations]
    assert "cond" not in prims and "select" in prims


def test_cond_with_unbatched_predicate_stays_a_cond():
    program = fnx.make_ir(fnx.vmap(cond_f, in_axes=(None, 0)))(np.float64(1.0), XS)
    assert "cond" in [eq.primitive for eq in program.equations]


@pytest.mark.parametrize("in_axes", [(0, 0), (None, 0), (0, None)])
def test_switch(in_axes):
    branches = [lambda v: v + 1.0, lambda v: fnp.cos(v), lambda v: v * v]
    f = lambda i, x: lax.switch(i, branches, x)  # noqa: E731
    i = np.array([-2, 0, 1, 2, 9], np.int32) if in_axes[0] == 0 else np.int32(2)
    x = XS if in_axes[1] == 0 else XS[0]
    check(f, (i, x), in_axes)


def _steps(n, x):
    """A data-dependent trip count: the loop ends at different iterations per example."""
    return lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * 1.5 - 0.25),
                          (np.int32(0), x))


@pytest.mark.parametrize("in_axes", [(0, 0), (0, None), (None, 0)])
def test_while(in_axes):
    n = np.array([0, 3, 1, 5, 2], np.int32) if in_axes[0] == 0 else np.int32(3)
    x = XS if in_axes[1] == 0 else XS[0]
    check(_steps, (n, x), in_axes)


def test_while_batched_predicate_from_the_carry():
    def collatz(k):
        return lax.while_loop(lambda c: c[0] != 1,
                              lambda c: (lax.select(c[0] % 2 == 0, c[0] // 2, 3 * c[0] + 1),
                                         c[1] + 1), (k, 0))[1]
    check(collatz, (np.array([1, 2, 3, 6, 7, 27, 97]),), (0,))


def test_while_unbatched_predicate_keeps_unbatched_carries():
    def f(x):
        return lax.while_loop(lambda c: c[0] < 4, lambda c: (c[0] + 1, c[1] + x), (0, x * 0))
    program = fnx.make_ir(fnx.vmap(f))(XS[:, 0])
    (eq,) = [e for e in program.equations if e.primitive == "while"]
    assert eq.outputs[0].type.shape == ()  # the counter stays a scalar
    check(f, (XS[:, 0],), (0,))


def _scan(c0, w, xs):
    return lax.scan(lambda c, x: (fnp.tanh(c * w + x), c * x), c0, xs)


@pytest.mark.parametrize("in_axes", [(0, None, None), (None, 0, None), (None, None, 1),
                                     (None, None, 0), (0, 0, 2)])
def test_scan(in_axes):
    xs = R.normal(0, 1, (4, 3))  # per example: 4 steps of a (3,) carry
    c0 = R.normal(0, 1, 3)
    w = R.normal(0, 1, 3)
    size = 5
    args = []
    for a, ax in zip((c0, w, xs), in_axes):
        if ax is None:
            args.append(a)
        else:
            batch = np.stack([a + k for k in range(size)])
            args.append(np.moveaxis(batch, 0, ax))
    check(_scan, tuple(args), in_axes)


def test_scan_carry_becomes_batched_through_the_body():
    # the carry starts unbatched, the body mixes in a batched const: a fixed point
    f = lambda w: lax.scan(lambda c, x: (c * w + x, c), 0.0, np.arange(3.0))  # noqa: E731
    check(f, (np.array([0.5, 1.0, 2.0]),), (0,))


def test_map_and_fori_loop():
    check(lambda x: lax.map(lambda r: fnp.sum(r * r), x), (R.normal(0, 1, (5, 4, 2)),), (0,))
    check(lambda x: lax.fori_loop(0, 3, lambda i, c: c * x + i, x), (XS,), (0,))
    check(lambda n, x: lax.fori_loop(0, n, lambda i, c: c * 2.0, x),
          (np.array([0, 1, 4, 2, 3], np.int32), XS), (0, 0))


def test_nested_vmap():
    f = fnx.vmap(fnx.vmap(_steps, in_axes=(0, 0)), in_axes=(None, 1))
    n = np.array([0, 2, 4], np.int32)
    x = R.normal(0, 1, (3, 2, 4))
    want = np.stack([np.stack([np.asarray(_steps(n[i], x[i, j])[1]) for i in range(3)])
                     for j in range(2)])
    assert_trees_close(f(n, x)[1], want)


def test_vmap_of_grad_and_grad_of_vmap():
    def loss(w, x):
        return fnp.sum(_scan(x, w, np.ones((3, 3)))[1])
    w = R.normal(0, 1, 3)
    per = fnx.vmap(fnx.grad(loss), in_axes=(None, 0))(w, XS)
    want = np.stack([fnx.grad(loss)(w, x) for x in XS])
    assert_trees_close(per, want)
    total = fnx.grad(lambda w: fnp.sum(fnx.vmap(lambda x: loss(w, x))(XS)))(w)
    assert_trees_close(total, want.sum(0), rtol=1e-10)
    # jvp of a vmapped while (forward mode through the batched-predicate loop)
    t = fnx.jvp(lambda x: fnx.vmap(_steps)(np.array([0, 3, 1, 5, 2], np.int32), x)[1],
                (XS,), (np.ones_like(XS),))[1]
    assert_trees_close(t, np.stack([np.full(3, 1.5 ** k) for k in (0, 3, 1, 5, 2)]))


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
