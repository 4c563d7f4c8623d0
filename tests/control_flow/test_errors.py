"""Errors users can act on: carry and branch type mismatches name the pytree leaf, its two
types and the user's line; Python control flow on traced values points to lax.cond /
while_loop; malformed arguments are reported before anything runs."""
from __future__ import annotations

import re

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax

X = np.ones(3, np.float32)
HERE = re.escape(__file__)


def _line(marker: str) -> int:
    with open(__file__) as f:
        for i, line in enumerate(f, 1):
            if marker in line and "_line(" not in line:
                return i
    raise AssertionError(marker)


def _grow(c):
    return c[0] + 1, {"w": fnp.concatenate([c[1]["w"], c[1]["w"]])}


@pytest.mark.parametrize("mode", ["eager", "jit", "grad"])
def test_while_carry_shape_mismatch_names_leaf_types_and_line(mode):
    def f(x):
        return lax.while_loop(lambda c: c[0] < 3, _grow, (0, {"w": x}))[1]["w"]  # MARK-while
    g = {"eager": f, "jit": fnx.jit(f, backend="interpreter"),
         "grad": fnx.grad(lambda x: fnp.sum(f(x)))}[mode]
    with pytest.raises(TypeError) as info:
        g(X)
    msg = str(info.value)
    assert "init_val[1]['w']" in msg and "f32[3]" in msg and "f32[6]" in msg, msg
    assert f"{__file__}:{_line('MARK-while')}" in msg, msg


def test_scan_carry_dtype_mismatch():
    def f(x):
        return lax.scan(lambda c, xi: ({"h": c["h"].astype(np.float64)}, xi),  # MARK-scan
                        {"h": x}, x)
    with pytest.raises(TypeError) as info:
        fnx.jit(f, backend="interpreter")(X)
    msg = str(info.value)
    assert "init['h']" in msg and "f32[3] on input but f64[3] on output" in msg
    assert f"{__file__}:{_line('MARK-scan')}" in msg


def test_weakly_typed_carries_are_promoted_not_errors():
    # 0.0 (a Python float) becomes the body's float32; the body's Python-int step stays int
    one = np.float32(1)
    out = fnx.jit(lambda x: lax.fori_loop(0, 3, lambda i, c: c + x, 0.0),
                  backend="interpreter")(one)
    assert out.dtype == np.float32 and out == 3.0
    out = lax.fori_loop(0, 3, lambda i, c: c + one, 0.0)  # eager: the same
    assert out.dtype == np.float32 and out == 3.0
    out = fnx.jit(lambda x: lax.scan(lambda c, xi: (c + xi, c), 0, x)[0],
                  backend="interpreter")(np.arange(3, dtype=np.int32))
    assert out.dtype == np.int32 and out == 3


def test_cond_branch_type_mismatch():
    def f(x):
        return lax.cond(fnp.sum(x) > 0, lambda v: (v, v),  # MARK-cond
                        lambda v: (v, v.astype(np.int32)), x)
    with pytest.raises(TypeError) as info:
        fnx.jit(f, backend="interpreter")(X)
    msg = str(info.value)
    assert "output[1] has type f32[3] in true_fun and i32[3] in false_fun" in msg, msg
    assert f"{__file__}:{_line('MARK-cond')}" in msg


def test_cond_branch_structure_mismatch():
    with pytest.raises(TypeError, match="same pytree structure"):
        fnx.jit(lambda x: lax.cond(fnp.sum(x) > 0, lambda v: (v, v), lambda v: v, x),
                backend="interpreter")(X)


def test_switch_branch_mismatch_names_the_branch():
    with pytest.raises(TypeError, match=r"branches\[0\] and branches\[2\].*f32\[3\].*f32\[2\]"):
        fnx.jit(lambda i, x: lax.switch(i, [lambda v: v, lambda v: v, lambda v: v[:2]], x),
                backend="interpreter")(np.int32(0), X)


def test_python_if_on_a_traced_value_inside_jit():
    def f(x):
        if fnp.sum(x) > 0:  # MARK-if
            return x
        return -x
    with pytest.raises(fnx.ConcretizationError) as info:
        fnx.jit(f, backend="interpreter")(X)
    msg = str(info.value)
    assert "fnx.lax.cond" in msg and "fnx.lax.while_loop" in msg
    assert f"{__file__}:{_line('MARK-if')}" in msg


def test_python_while_on_a_traced_value_inside_a_loop_body():
    def body(c):
        while c > 0:  # MARK-inner-while
            c = c - 1
        return c
    with pytest.raises(fnx.ConcretizationError) as info:
        fnx.jit(lambda x: lax.fori_loop(0, 2, lambda i, c: body(c), x),
                backend="interpreter")(np.float32(3))
    assert f"{__file__}:{_line('MARK-inner-while')}" in str(info.value)


@pytest.mark.parametrize("call, exc, match", [
    (lambda x: lax.cond(x, lambda v: v, lambda v: v, x), TypeError, "predicate must be a scalar"),
    (lambda x: lax.while_loop(lambda c: c, lambda c: c, x), TypeError,
     "cond_fun must return a boolean scalar"),
    (lambda x: lax.scan(lambda c, xi: (c, xi), 0.0, None), ValueError,
     "no values to scan over and `length` not provided"),
    (lambda x: lax.scan(lambda c, xi: (c, xi), 0.0, (x, np.ones(4))), ValueError,
     r"different leading axis sizes: xs\[0\]: 3, xs\[1\]: 4"),
    (lambda x: lax.scan(lambda c, xi: (c, xi), 0.0, x, length=5), ValueError,
     "different leading axis sizes"),
    (lambda x: lax.scan(lambda c, xi: (c, xi), 0.0, x[0]), ValueError, "no leading axis"),
    (lambda x: lax.scan(lambda c, xi: c, x, x), TypeError, r"must return a pair \(carry, y\)"),
    (lambda x: lax.scan(lambda c, xi: ((c, c), xi), x, x), TypeError,
     "structure of the initial carry"),
    (lambda x: lax.scan(lambda c, xi: (c, xi), x, x, unroll=0), ValueError, "unroll"),
    (lambda x: lax.switch(np.int32(0), [], x), ValueError, "empty branch sequence"),
    (lambda x: lax.switch(0.5, [lambda v: v, lambda v: v], x), TypeError, "integer scalar"),
    (lambda x: lax.fori_loop(0.0, 3, lambda i, c: c, x), TypeError,
     "lower must be an integer scalar"),
    (lambda x: lax.cond(True, 3, lambda v: v, x), TypeError, "true_fun must be callable"),
    (lambda x: lax.cond(fnp.sum(x) > 0, lambda v: "a", lambda v: v, x), TypeError,
     "returned a str"),
])
@pytest.mark.parametrize("jit", [False, True])
def test_bad_arguments(call, exc, match, jit):
    f = fnx.jit(call, backend="interpreter") if jit else call
    with pytest.raises(exc, match=match):
        f(X)




# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
