"""dtypes: the promotion table `fnx_ir.result_type` against `numpy.result_type` (NumPy 2)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx_ir
from fnx_ir import ALL_DTYPES, bool_, float32, float64, int32, int64, uint32

PAIRS = list(itertools.product(ALL_DTYPES, repeat=2))
IDS = [f"{a.short}-{b.short}" for a, b in PAIRS]
# A weak value of each kind promotes like a Python scalar of that kind (NEP 50).
PYTHON_SCALAR = {"b": True, "i": 1, "u": 1, "f": 1.0}


@pytest.mark.parametrize("a, b", PAIRS, ids=IDS)
def test_strong_strong(a, b):
    assert fnx_ir.result_type((a, False), (b, False)) is fnx_ir.dtype(np.result_type(a.np, b.np))


@pytest.mark.parametrize("a, b", PAIRS, ids=IDS)
def test_strong_weak(a, b):
    expected = fnx_ir.dtype(np.result_type(a.np, PYTHON_SCALAR[b.kind]))
    assert fnx_ir.result_type((a, False), (b, True)) is expected
    assert fnx_ir.result_type((b, True), (a, False)) is expected


@pytest.mark.parametrize("x, y", list(itertools.product([True, 1, 1.0], repeat=2)))
def test_weak_weak_python_scalars(x, y):
    a, b = fnx_ir.python_scalar_dtype(x), fnx_ir.python_scalar_dtype(y)
    assert fnx_ir.result_type((a, True), (b, True)) is fnx_ir.dtype(np.result_type(x, y))


@pytest.mark.parametrize("a, b", PAIRS, ids=IDS)
def test_weak_weak_is_symmetric_and_keeps_the_widest_kind(a, b):
    got = fnx_ir.result_type((a, True), (b, True))
    assert got is fnx_ir.result_type((b, True), (a, True))
    assert got.kind == max(a.kind, b.kind, key="biufc".index)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ALL_DTYPES), st.booleans()), min_size=1, max_size=4)
       .filter(lambda ops: not all(weak for _, weak in ops)))
def test_mixed_operands_match_numpy(operands):
    args = [PYTHON_SCALAR[d.kind] if weak else d.np for d, weak in operands]
    assert fnx_ir.result_type(*operands) is fnx_ir.dtype(np.result_type(*args))


def test_python_scalar_dtypes_are_numpy_defaults():
    assert fnx_ir.python_scalar_dtype(True) is bool_
    assert fnx_ir.python_scalar_dtype(3) is int64
    assert fnx_ir.python_scalar_dtype(3.0) is float64
    with pytest.raises(TypeError):
        fnx_ir.python_scalar_dtype("3")


@pytest.mark.parametrize("d", ALL_DTYPES, ids=str)
def test_dtype_conversions(d):
    assert fnx_ir.dtype(d.name) is d and fnx_ir.dtype(d.short) is d
    assert fnx_ir.dtype(d.np) is d and fnx_ir.dtype(d.np.type) is d


def test_unsupported_dtypes_are_rejected():
    for bad in (np.longdouble, np.complex64, "not a dtype"):
        with pytest.raises(TypeError):
            fnx_ir.dtype(bad)
    assert fnx_ir.dtype(float) is float64 and fnx_ir.dtype(int) is int64
    shorts = {"bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f16", "f32", "f64"}
    assert {d.short for d in ALL_DTYPES} - {"bf16"} == shorts
    assert (int32.is_integer, uint32.is_integer, float32.is_float, bool_.is_bool) == (True,) * 4
