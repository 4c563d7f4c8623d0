"""Differentiating control flow: jvp of everything; vjp/grad of cond, switch, scan and
fori_loop with static bounds (checked against finite differences with check_grads, and
against the same function written with Python control flow, which is unrolled when traced
with concrete values); forward mode (jacfwd, linearize) of while_loop, and the error for
its reverse mode."""
from __future__ import annotations

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
import fnx_ir
from fnx import lax
from fnx.testing import check_grads

from ._util import BACKENDS, assert_trees_close

TOL = dict(atol=1e-5, rtol=1e-5)


def _rng(seed=0):
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------- functions
# Each as (control-flow version, Python-control-flow version, args).

def cond_fn(x, y):
    return lax.cond(fnp.sum(x) > 0, lambda a, b: fnp.sin(a) * b, lambda a, b: a * a - b, x, y)


def cond_py(x, y):
    return fnp.sin(x) * y if fnp.sum(x) > 0 else x * x - y


def switch_fn(i, x):
    return lax.switch(i, [lambda v: fnp.exp(v), lambda v: v * v * v, lambda v: fnp.cos(v) * v], x)


def switch_py(i, x):
    return [lambda v: fnp.exp(v), lambda v: v * v * v, lambda v: fnp.cos(v) * v][
        min(max(int(i), 0), 2)](x)


def scan_fn(w, h0, xs):
    def step(h, x):
        h = fnp.tanh(h @ w + x)
        return h, fnp.sum(h * h)
    return lax.scan(step, h0, xs)


def scan_py(w, h0, xs):
    h, ys = h0, []
    for x in xs:
        h = fnp.tanh(h @ w + x)
        ys.append(fnp.sum(h * h))
    return h, fnp.stack(ys)


def reverse_scan_fn(a, xs):
    return lax.scan(lambda c, x: (c * fnp.sin(x) + a, c * x), a, xs, reverse=True)


def reverse_scan_py(a, xs):
    c, ys = a, [None] * len(xs)
    for i in reversed(range(len(xs))):
        ys[i] = c * xs[i]
        c = c * fnp.sin(xs[i]) + a
    return c, fnp.stack(ys)


def fori_fn(x):
    return lax.fori_loop(0, 4, lambda i, c: fnp.sin(c) * x + i, x)


def fori_py(x):
    c = x
    for i in range(4):
        c = fnp.sin(c) * x + i
    return c


CASES = {
    "cond_true": (cond_fn, cond_py, lambda r: (r.uniform(0.1, 1, 3), r.uniform(-1, 1, 3))),
    "cond_false": (cond_fn, cond_py, lambda r: (r.uniform(-1, -0.1, 3), r.uniform(-1, 1, 3))),
    "switch": (lambda x: switch_fn(np.int32(1), x), lambda x: switch_py(1, x),
               lambda r: (r.uniform(-1, 1, 3),)),
    "switch_clamped": (lambda x: switch_fn(np.int32(9), x), lambda x: switch_py(9, x),
                       lambda r: (r.uniform(-1, 1, 3),)),
    "scan": (scan_fn, scan_py, lambda r: (r.normal(0, .5, (3, 3)), r.normal(0, 1, 3),
                                          r.normal(0, 1, (4, 3)))),
    "reverse_scan": (reverse_scan_fn, reverse_scan_py,
                     lambda r: (r.normal(0, 1, 2), r.normal(0, 1, (5, 2)))),
    "fori_static": (fori_fn, fori_py, lambda r: (r.uniform(-1, 1, 3),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_grads(name):
    f, _, make = CASES[name]
    check_grads(f, make(_rng()), order=2, **TOL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_the_unrolled_python_equivalent(name):
    f, f_py, make = CASES[name]
    args = make(_rng(1))
    assert_trees_close(f(*args), f_py(*args), rtol=1e-12, atol=1e-12)
    loss = lambda g: lambda *a: sum(fnp.sum(fnp.sin(o)) for o in  # noqa: E731
                                    fnx.tree_util.tree_leaves(g(*a)))
    argnums = tuple(range(len(args)))
    want = fnx.grad(loss(f_py), argnums)(*args)
    assert_trees_close(fnx.grad(loss(f), argnums)(*args), want, rtol=1e-10, atol=1e-12)
    for backend in BACKENDS:
        got = fnx.jit(fnx.grad(loss(f), argnums), backend=backend)(*args)
        assert_trees_close(got, want, rtol=1e-10, atol=1e-12)
    t = tuple(np.ones_like(a) for a in args)
    assert_trees_close(fnx.jvp(f, args, t), fnx.jvp(f_py, args, t), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- while_loop

def while_fn(x):
    return lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, fnp.sin(c[1]) * x + 0.5),
                          (0, x))[1]


def while_py(x):
    c = x
    for _ in range(5):
        c = fnp.sin(c) * x + 0.5
    return c


def test_while_forward_mode():
    x = _rng().uniform(-1, 1, 3)
    check_grads(while_fn, (x,), order=2, modes=("fwd",), **TOL)
    assert_trees_close(fnx.jacfwd(while_fn)(x), fnx.jacfwd(while_py)(x), rtol=1e-12, atol=1e-14)
    out, f_jvp = fnx.linearize(while_fn, x)
    _, want = fnx.jvp(while_py, (x,), (np.ones(3),))
    assert_trees_close(f_jvp(np.ones(3)), want, rtol=1e-12, atol=1e-14)
    for backend in BACKENDS:
        got = fnx.jit(fnx.jacfwd(while_fn), backend=backend)(x)
        assert_trees_close(got, fnx.jacfwd(while_py)(x), rtol=1e-12, atol=1e-14)


def test_fori_loop_with_traced_bounds_forward_mode():
    f = lambda n, x: lax.fori_loop(0, n, lambda i, c: c * x, x)  # noqa: E731
    x = np.array(1.3)
    _, t = fnx.jvp(lambda x: f(np.int32(3), x), (x,), (np.array(1.0),))
    np.testing.assert_allclose(t, 4 * x ** 3)
    jac = fnx.jit(fnx.jacfwd(f, argnums=1), backend="interpreter")(np.int32(3), x)
    np.testing.assert_allclose(jac, 4 * x ** 3)


WHILE_MESSAGE = ("Reverse-mode differentiation does not work for lax.while_loop or "
                 "lax.fori_loop with dynamic start/stop values. Try using lax.scan, or using "
                 "fori_loop with static start/stop.")


@pytest.mark.parametrize("how", ["grad", "jit_grad", "fori_traced"])
def test_while_reverse_mode_is_an_error(how):
    x = np.array([0.3, 0.4])
    if how == "fori_traced":
        g = fnx.jit(fnx.grad(lambda x, n: fnp.sum(lax.fori_loop(0, n, lambda i, c: c * x, x))),
                    backend="interpreter")
        args = (x, np.int32(3))
    else:
        g = fnx.grad(lambda x: fnp.sum(while_fn(x)))
        g = fnx.jit(g, backend="interpreter") if how == "jit_grad" else g
        args = (x,)
    with pytest.raises(ValueError) as info:
        g(*args)
    assert WHILE_MESSAGE in str(info.value)


def test_while_with_no_differentiable_carry_is_fine_in_reverse_mode():
    # the loop only computes an integer trip count: its output has no tangent
    def f(x):
        n = lax.while_loop(lambda k: k * k < 20, lambda k: k + 1, 0)
        return fnp.sum(x) * n
    assert fnx.grad(f)(np.ones(2)).tolist() == [5.0, 5.0]


# ----------------------------------------------------------------------------- structure

def test_grad_of_scan_is_a_forward_scan_and_a_reverse_scan():
    r = _rng()
    w, h0, xs = r.normal(0, .5, (3, 3)), r.normal(0, 1, 3), r.normal(0, 1, (4, 3))
    loss = lambda w: fnp.sum(scan_fn(w, h0, xs)[1])  # noqa: E731
    program = fnx.jit(fnx.grad(loss)).lower(w).program
    scans = [eq for eq in program.equations if eq.primitive == "scan"]
    assert [eq.params["reverse"] for eq in scans] == [False, True]
    fnx_ir.verify(program)
    # the reverse scan reads the forward scan's stacked residuals
    fwd, bwd = scans
    assert set(fwd.outputs) & set(bwd.inputs)


def test_grad_of_cond_stores_the_taken_branchs_residuals():
    program = fnx.jit(fnx.grad(lambda x, y: fnp.sum(cond_fn(x, y)))).lower(
        np.ones(3), np.ones(3)).program
    conds = [eq for eq in program.equations if eq.primitive == "cond"]
    assert len(conds) == 2  # the known cond (values + residuals), the transposed one
    known, transposed = conds
    assert set(known.outputs) & set(transposed.inputs)
    fnx_ir.verify(program)


def test_fori_loop_linear_in_a_closed_over_value():
    # d/dA of A^4 x: consts that are differentiated accumulate their cotangent over the loop
    A = _rng().normal(0, 1, (3, 3))
    x = _rng(2).normal(0, 1, 3)
    f = lambda A: fnp.sum(lax.fori_loop(0, 4, lambda i, v: A @ v, x))  # noqa: E731
    g = lambda A: fnp.sum(A @ (A @ (A @ (A @ x))))  # noqa: E731
    assert_trees_close(fnx.grad(f)(A), fnx.grad(g)(A), rtol=1e-12, atol=1e-12)
    check_grads(f, (A,), order=2, **TOL)


def test_hessian_of_scan():
    f = lambda x: fnp.sum(lax.scan(lambda c, xi: (c * fnp.sin(xi) + c * c, c), x[0], x)[0])  # noqa
    f_py = lambda x: _h_py(x)  # noqa: E731
    x = np.array([0.3, -0.2, 0.5])
    assert_trees_close(fnx.hessian(f)(x), fnx.hessian(f_py)(x), rtol=1e-10, atol=1e-12)


def _h_py(x):
    c = x[0]
    for xi in x:
        c = c * fnp.sin(xi) + c * c
    return fnp.sum(c)


def test_integer_carries_and_operands_have_no_tangents():
    def f(x):
        def step(c, xi):
            k, v = c
            return (k + 1, v * xi + lax.convert_element_type(k, np.float64)), k
        return lax.scan(step, (0, x[0]), x)[0][1]
    x = np.array([0.5, 1.5, -1.0])
    check_grads(f, (x,), order=2, **TOL)


def test_nested_scan_in_cond_in_vmap_in_grad():
    w = np.array([0.7, -0.3])

    def inner(x):  # per example: scan inside cond
        def run(v):
            return lax.scan(lambda c, wi: (fnp.sin(c * wi) + v, c), v, w)[0]
        return lax.cond(x > 0, run, lambda v: v * v, x)

    def loss(xs):
        return fnp.sum(fnx.vmap(inner)(xs))

    def loss_py(xs):
        total = 0.0
        for x in xs:
            if x > 0:
                c = x
                for wi in w:
                    c = fnp.sin(c * wi) + x
                total = total + c
            else:
                total = total + x * x
        return total

    xs = np.array([0.5, -1.0, 2.0, -0.1])
    want = fnx.grad(loss_py)(xs)
    assert_trees_close(fnx.grad(loss)(xs), want, rtol=1e-12, atol=1e-12)
    for backend in BACKENDS:
        assert_trees_close(fnx.jit(fnx.grad(loss), backend=backend)(xs), want,
                           rtol=1e-12, atol=1e-12)
    check_grads(loss, (xs,), order=2, **TOL)


def test_while_forward_mode_when_the_body_overwrites_a_differentiated_carry():
    two = np.array([2.0, 2.0])

    def f(x):  # the carry x has a tangent on entry; the body replaces it by a known value
        return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, two * c[0]), (0, x))[1]

    def g(x):  # the loop does not run: the identity
        return lax.while_loop(lambda c: c[0] < 0, lambda c: (c[0] + 1, two * c[0]), (0, x))[1]

    x = np.array([0.5, 1.5])
    assert np.all(fnx.jacfwd(f)(x) == 0)
    assert np.all(fnx.jit(fnx.jacfwd(g), backend="interpreter")(x) == np.eye(2))


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
