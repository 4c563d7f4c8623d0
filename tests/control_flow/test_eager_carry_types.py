"""Eager loops give the carry and `y` types a traced loop gives (issue 9), as JAX: a weakly
typed initial carry (a Python scalar) is promoted to the body's result type before the first
iteration; a strongly typed carry whose dtype changes is a TypeError naming both types."""
import re

import numpy as np
import pytest

import fnx
from fnx import lax

HALVES = np.array([0.5, 0.5, 0.5], np.float32)

CASES = {
    "scan_issue": lambda xs: lax.scan(lambda c, x: (c + x, c), 0, xs),
    "scan_weak_float": lambda xs: lax.scan(lambda c, x: (c + 1.0, c), 0, xs),
    "scan_weak_to_f32": lambda xs: lax.scan(lambda c, x: (c * x, c), 1.0, xs),
    "scan_reverse": lambda xs: lax.scan(lambda c, x: (c + x, c), 0, xs, reverse=True),
    "scan_pytree": lambda xs: lax.scan(lambda c, x: ({"a": c["a"] + x, "n": c["n"] + 1},
                                                     (c["a"], c["n"])), {"a": 0, "n": 0}, xs),
    "fori": lambda xs: lax.fori_loop(0, 3, lambda i, c: c + xs[i], 0),
    "fori_index": lambda xs: lax.fori_loop(0, 3, lambda i, c: c + i * xs[0], 0),
    "while": lambda xs: lax.while_loop(lambda c: c < 1, lambda c: c + xs[0], 0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_eager_loop_types_equal_jit(name):
    f = CASES[name]
    eager = fnx.tree_util.tree_leaves(f(HALVES))
    jitted = fnx.tree_util.tree_leaves(fnx.jit(f)(HALVES))
    assert len(eager) == len(jitted)
    for e, j in zip(eager, jitted):
        e, j = np.asarray(e), np.asarray(j)
        assert e.dtype == j.dtype, (name, e.dtype, j.dtype)
        np.testing.assert_array_equal(e, j)


def test_issue_example():
    for run in (lambda f: f, fnx.jit):
        carry, ys = run(CASES["scan_issue"])(HALVES)
        assert ys.dtype == np.float32 and carry.dtype == np.float32
        np.testing.assert_array_equal(ys, [0.0, 0.5, 1.0])
        assert carry == 1.5


@pytest.mark.parametrize("loop", [
    lambda xs: lax.scan(lambda c, x: (c + x, c), np.int32(0), xs),
    lambda xs: lax.fori_loop(0, 3, lambda i, c: c + xs[i], np.int32(0)),
    lambda xs: lax.while_loop(lambda c: c < 1, lambda c: c + xs[0], np.int32(0)),
], ids=["scan", "fori_loop", "while_loop"])
@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_strong_carry_changing_dtype_is_a_type_error(loop, mode):
    run = loop if mode == "eager" else fnx.jit(loop)
    with pytest.raises(TypeError) as info:
        run(HALVES)
    # (i32 + f32 is f64 under NumPy 2 promotion, f32 under JAX's: either way both types are named)
    assert re.search(r"i32\[\] on input but f(32|64)\[\] on output", str(info.value)), str(info.value)


def test_promotion_restarts_once_from_the_initial_value():
    calls = []

    def body(c, x):
        calls.append(np.asarray(c).dtype)
        return c + x, c
    lax.scan(body, 0, HALVES)
    # the first (int) iteration is redone with the promoted float32 carry
    assert len(calls) == 4 and calls[0].kind == "i" and calls[1:] == [np.float32] * 3
