"""float16 / bfloat16 (storage types computed in float32) and the 8/16-bit and uint64 integers,
on the CPU backend against the interpreter and against what numpy / ml_dtypes round to."""
from __future__ import annotations

import numpy as np
import pytest

import fnx_ir as ir
from test_cpu import S, check, eqn, program

STORAGE = [d for d in (ir.float16, ir.bfloat16) if d is not None]
SMALL_INTS = [ir.int8, ir.int16, ir.uint8, ir.uint16, ir.uint64]


@pytest.mark.parametrize("dt", STORAGE, ids=str)
def test_sums_and_dots_accumulate_in_float32(dt):
    """1000 ones sum to 1000 (numpy's bfloat16 sum stops at 256: it rounds every addition)."""
    x = np.ones(1000, dt.np)
    sum_prog = program([S((1000,), dt)], lambda b, x: eqn(b, "reduce_sum", x, axes=(0,)))
    ex = check(sum_prog, [x])
    assert float(ex(x)[0]) == 1000.0
    dot_prog = program([S((1000,), dt), S((1000,), dt)], lambda b, x, y: eqn(
        b, "dot_general", x, y, dimension_numbers=(((0,), (0,)), ((), ()))))
    ex = check(dot_prog, [x, x])
    assert float(ex(x, x)[0]) == 1000.0


@pytest.mark.parametrize("dt", STORAGE, ids=str)
def test_conversion_from_float64_rounds_once(dt):
    """A float64 just above a halfway point of the 2-byte format rounds up; going through
    float32 with round-to-nearest would lose the excess and round to even (down)."""
    mant = 10 if dt is ir.float16 else 7
    half = 1.0 + 2.0 ** -(mant + 1)  # halfway between 1 and the next 2-byte float
    x = np.array([half + 2.0 ** -40, half - 2.0 ** -40, half, -(half + 2.0 ** -40),
                  np.nan, np.inf, -np.inf, -0.0, 1e300, 6e-8, 1e-300], np.float64)
    prog = program([S(x.shape, ir.float64)],
                   lambda b, x: eqn(b, "convert_element_type", x, new_dtype=dt, weak=False))
    ex = check(prog, [x])
    got = ex(x)[0].astype(np.float64)
    assert got[0] == 1.0 + 2.0 ** -mant and got[1] == 1.0 and got[2] == 1.0
    assert got[3] == -(1.0 + 2.0 ** -mant)


@pytest.mark.parametrize("dt", STORAGE, ids=str)
def test_arithmetic_rounds_once_per_primitive(dt):
    """x**3 is computed in float32 and rounded once (numpy float16 rounds after each multiply)."""
    x = np.linspace(-3, 3, 37).astype(dt.np)
    prog = program([S(x.shape, dt)], lambda b, x: eqn(b, "integer_pow", x, y=3))
    ex = check(prog, [x])
    want = (x.astype(np.float32) ** 3).astype(dt.np)
    np.testing.assert_array_equal(ex(x)[0].view(np.uint16), want.view(np.uint16))


@pytest.mark.parametrize("dt", SMALL_INTS, ids=str)
def test_small_integers_wrap_and_divide_safely(dt):
    info = np.iinfo(dt.np)
    x = np.array([info.min, info.max, 0, 1, info.max - 1, 7, 5], dt.np)
    y = np.array([0, 2, 0, info.max, 3, 0, 2], dt.np)
    if dt.kind == "i":
        y[0] = -1  # INT_MIN / -1
    for prim in ("add", "mul", "div", "rem", "max", "sub"):
        prog = program([S(x.shape, dt), S(x.shape, dt)], lambda b, x, y: eqn(b, prim, x, y))
        check(prog, [x, y])


@pytest.mark.parametrize("dt", SMALL_INTS + STORAGE, ids=str)
def test_empty_and_moves(dt):
    """Bit moves keep 2-byte floats' bits (NaN payloads included) and handle empty arrays."""
    x = np.arange(12).astype(dt.np).reshape(3, 4)
    prog = program([S((3, 4), dt)], lambda b, x: eqn(b, "rev", eqn(b, "transpose", x,
                                                                   permutation=(1, 0)),
                                                     dimensions=(0,)))
    check(prog, [x])
    e = np.zeros((0, 4), dt.np)
    prog = program([S((0, 4), dt)], lambda b, x: eqn(b, "reduce_max" if not dt.is_bool else
                                                     "reduce_or", x, axes=(0,)))
    check(prog, [e])
