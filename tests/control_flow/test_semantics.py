"""cond, switch, while_loop, fori_loop, scan and map: eager (Python control flow over numpy),
recorded inside concrete traces, and under jit on every backend that lowers control flow,
all against plain Python references."""
from __future__ import annotations

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
import fnx_ir
from fnx import lax
from fnx._core.trace import Tracer

from ._util import assert_trees_close, jit_all

F32, F64 = np.float32, np.float64


def check_everywhere(f, args, want, rtol=1e-6, atol=1e-6):
    """Eager, every jit backend, and the program recorded by make_ir: all equal `want`."""
    assert_trees_close(f(*args), want, rtol, atol)
    for backend, got in jit_all(f, *args).items():
        assert_trees_close(got, want, rtol, atol)


# ----------------------------------------------------------------------------- cond / switch

def _branchy(x, y):
    return lax.cond(fnp.sum(x) > 1.0,
                    lambda a, b: {"s": fnp.sin(a) * b, "t": (a + 1.0, b)},
                    lambda a, b: {"s": a - b, "t": (a * 2.0, b * b)},
                    x, y)


@pytest.mark.parametrize("scale", [1.0, -1.0])
def test_cond_pytrees(scale):
    x = np.array([0.5, 1.5, 2.0], F32) * scale
    y = np.array(3.0, F32)
    if x.sum() > 1:
        want = {"s": np.sin(x) * y, "t": (x + 1.0, y)}
    else:
        want = {"s": x - y, "t": (x * 2.0, y * y)}
    check_everywhere(_branchy, (x, y), want)


def test_cond_is_one_equation_holding_both_branches():
    x, y = np.ones(3, F32), np.array(3.0, F32)
    program = fnx.make_ir(_branchy)(x, y)
    conds = [eq for eq in program.equations if eq.primitive == "cond"]
    assert len(conds) == 1 and len(conds[0].params["branches"]) == 2
    assert conds[0].inputs[0].type == fnx_ir.ShapedType((), fnx_ir.int32)


@pytest.mark.parametrize("pred", [True, False, 0, 3, 0.0, -2.5, np.bool_(True), np.int32(0)])
def test_cond_predicates(pred):
    x = np.array(2.0, F64)
    want = x * 3 if pred else x - 1
    f = lambda p, x: lax.cond(p, lambda v: v * 3, lambda v: v - 1, x)  # noqa: E731
    check_everywhere(f, (pred, x), np.asarray(want))


def test_cond_without_operands_and_closures():
    w = np.array([1.0, 2.0], F32)

    def f(x):
        return lax.cond(x > 0, lambda: w * x, lambda: -w)  # closes over a constant and x

    for x in (np.array(2.0, F32), np.array(-2.0, F32)):
        check_everywhere(f, (x,), w * x if x > 0 else -w)


@pytest.mark.parametrize("index", [-3, 0, 1, 2, 7])
def test_switch_clamps_the_index(index):
    branches = [lambda x: x + 1.0, lambda x: x * 10.0, lambda x: -x]
    x = np.array([1.0, 2.0], F64)
    want = branches[min(max(index, 0), 2)](x)
    check_everywhere(lambda i, x: lax.switch(i, branches, x), (np.int32(index), x), want)
    check_everywhere(lambda i, x: lax.switch(i, branches, x), (np.int64(index), x), want)


def test_switch_with_one_branch_calls_it():
    assert lax.switch(5, [lambda x: x * 2], 3.0) == 6.0


def test_cond_promotes_weak_branch_outputs():
    f = lambda x: lax.cond(x > 0, lambda v: v, lambda v: 0.0, x)  # noqa: E731
    x = np.array(-1.5, F32)
    out = fnx.jit(f, backend="interpreter")(x)
    assert out.dtype == F32 and out == 0.0
    assert fnx.jit(f, backend="interpreter")(-x) == 1.5


# (eager cond traces the untaken branch, as JAX: test_eager_cond_types.py)


def test_cond_inside_concrete_trace_is_recorded_not_unrolled():
    seen = []

    def f(x):
        out = lax.cond(x > 0, lambda v: v * v, lambda v: -v, x)
        seen.append(type(out))
        return out

    g = fnx.grad(f)(np.array(3.0))
    assert g == 6.0 and seen == [Tracer]
    program = fnx.make_ir(fnx.grad(f))(np.array(3.0))
    assert "cond" in [eq.primitive for eq in program.equations]


# ----------------------------------------------------------------------------- while_loop

def _collatz(n):
    def body(c):
        k, steps = c
        return lax.select(k % 2 == 0, k // 2, 3 * k + 1), steps + 1
    return lax.while_loop(lambda c: c[0] != 1, body, (n, np.int32(0)))


def _collatz_ref(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return np.asarray(n), np.int32(steps)


@pytest.mark.parametrize("n", [1, 6, 27])
def test_while_loop(n):
    check_everywhere(_collatz, (np.int64(n),), _collatz_ref(n))


def test_while_loop_pytree_carry_with_closure():
    a = np.array([1.0, 2.0], F32)

    def f(x, limit):
        return lax.while_loop(lambda c: c["v"].sum() < limit,
                              lambda c: {"v": c["v"] * 1.5 + a, "n": c["n"] + 1},
                              {"v": x, "n": 0})

    x = np.array([0.1, 0.2], F32)
    v, n = x, 0
    while v.sum() < 50.0:
        v, n = v * np.float32(1.5) + a, n + 1
    check_everywhere(f, (x, np.array(50.0, F32)), {"v": v, "n": np.asarray(n)})


def test_while_loop_that_never_runs_returns_arrays():
    out = lax.while_loop(lambda c: c < 0, lambda c: c + 1, 5)
    assert isinstance(out, np.ndarray) and out == 5


def test_eager_while_calls_the_body_in_python():
    trace = []

    def body(c):
        trace.append(int(c))  # concrete: eager
        return c + 1

    lax.while_loop(lambda c: c < 3, body, 0)
    assert trace == [0, 1, 2]


# ----------------------------------------------------------------------------- fori_loop

def test_fori_loop_static_bounds_is_a_scan():
    f = lambda x: lax.fori_loop(2, 7, lambda i, c: c * x + i, x)  # noqa: E731
    x = np.array([0.5, -1.0], F64)
    c = x
    for i in range(2, 7):
        c = c * x + i
    check_everywhere(f, (x,), c)
    prims = [eq.primitive for eq in fnx.make_ir(f)(x).equations]
    assert "scan" in prims and "while" not in prims


def test_fori_loop_traced_bounds_is_a_while():
    def f(lo, hi, x):  # (i32 * f32 is f64 under NumPy 2 promotion: convert i first)
        return lax.fori_loop(lo, hi, lambda i, c: c + lax.convert_element_type(i, F32) * x, x)
    x = np.array([1.0, 2.0], F32)
    for lo, hi in ((0, 5), (3, 1), (-2, 2)):
        want = x + np.float32(sum(range(lo, hi))) * x
        check_everywhere(f, (np.int32(lo), np.int32(hi), x), want)
    prims = [eq.primitive for eq in fnx.make_ir(f)(np.int32(0), np.int32(3), x).equations]
    assert "while" in prims and "scan" not in prims


def test_fori_loop_index_is_weak_for_python_bounds():
    # i * x keeps x's float32 (a weakly typed int index, as in JAX)
    f = lambda x: lax.fori_loop(0, 3, lambda i, c: c + i * x, x)  # noqa: E731
    out = fnx.jit(f, backend="interpreter")(np.ones(2, F32))
    assert out.dtype == F32 and np.all(out == 4.0)


def test_fori_loop_empty_range():
    assert lax.fori_loop(5, 2, lambda i, c: c + 1.0, 1.0) == 1.0
    assert fnx.jit(lambda x: lax.fori_loop(5, 2, lambda i, c: c + 1.0, x),
                   backend="interpreter")(np.float32(1)) == 1.0


# ----------------------------------------------------------------------------- scan / map

def _scan_ref(f, init, xs, reverse=False):
    carry, ys = init, [None] * len(xs)
    for i in (reversed(range(len(xs))) if reverse else range(len(xs))):
        carry, ys[i] = f(carry, xs[i])
    return carry, np.stack(ys)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("unroll", [1, 3, True])
def test_scan(reverse, unroll):
    w = np.array([[0.5, -0.2], [0.1, 0.9]], F64)

    def step(c, x):
        h = fnp.tanh(c @ w + x)
        return h, h.sum()

    xs = np.linspace(-1, 1, 10).reshape(5, 2)
    h0 = np.array([0.1, 0.2])
    f = lambda h0, xs: lax.scan(step, h0, xs, reverse=reverse, unroll=unroll)  # noqa: E731
    ref = _scan_ref(lambda c, x: (np.tanh(c @ w + x), np.tanh(c @ w + x).sum()), h0, xs,
                    reverse)
    check_everywhere(f, (h0, xs), ref, rtol=1e-12)


def test_scan_pytrees_and_no_xs():
    def step(c, x):
        a, b = c
        # fnp.add: eagerly `a + b` on numpy scalars would be numpy's operator
        return (a + x["u"], b * 2), {"sum": fnp.add(a, b), "u": x["u"]}

    xs = {"u": np.arange(4.0, dtype=F32)}
    f = lambda a, xs: lax.scan(step, (a, np.int32(1)), xs)  # noqa: E731
    carry, ys = f(np.float32(0.5), xs)
    assert_trees_close(carry, (np.float32(6.5), np.int32(16)))
    # (f32 + i32 is f32 under JAX's promotion)
    assert_trees_close(ys, {"sum": np.array([1.5, 2.5, 5.5, 11.5], F32), "u": xs["u"]})
    check_everywhere(f, (np.float32(0.5), xs), (carry, ys))
    g = lambda c: lax.scan(lambda c, _: (c * 2, c), c, None, length=4)  # noqa: E731
    check_everywhere(g, (np.float32(1),), (np.float32(16), np.array([1, 2, 4, 8], F32)))


def test_scan_of_length_zero():
    f = lambda c, xs: lax.scan(lambda c, x: (c + x, c * x), c, xs)  # noqa: E731
    c, ys = f(np.float32(2), np.zeros((0,), F32))
    assert c == 2 and ys.shape == (0,) and ys.dtype == F32
    check_everywhere(f, (np.float32(2), np.zeros((0,), F32)), (np.float32(2), np.zeros(0, F32)))


def test_map():
    xs = np.arange(6.0).reshape(3, 2)
    f = lambda xs: lax.map(lambda r: {"n": fnp.sum(r * r), "r": r[::-1]}, xs)  # noqa: E731
    check_everywhere(f, (xs,), {"n": (xs * xs).sum(1), "r": xs[:, ::-1]})


def test_program_size_does_not_grow_with_the_trip_count():
    def f(x, n):
        return lax.fori_loop(0, n, lambda i, c: fnp.sin(c) + x, x)
    small = fnx.make_ir(lambda x: f(x, 3))(np.ones(2))
    big = fnx.make_ir(lambda x: f(x, 30000))(np.ones(2))
    assert str(small) == str(big).replace("length=30000", "length=3")
    grad_small = fnx.make_ir(fnx.grad(lambda x: f(x, 3).sum()))(np.ones(2))
    grad_big = fnx.make_ir(fnx.grad(lambda x: f(x, 30000).sum()))(np.ones(2))
    assert len(grad_small.equations) == len(grad_big.equations)


def test_closed_over_values_become_operands():
    w = np.arange(3.0)

    def f(x):
        # w is a numpy constant, x an outer tracer: both operands of the scan (consts)
        return lax.scan(lambda c, _: (c * w + x, None), x, None, length=3)[0]

    program = fnx.make_ir(f)(np.ones(3))
    (eq,) = [e for e in program.equations if e.primitive == "scan"]
    body = eq.params["body"]
    assert eq.params["num_consts"] == 2 and not body.constants
    assert not any(eq.primitive == "scan" for eq in body.equations)


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
