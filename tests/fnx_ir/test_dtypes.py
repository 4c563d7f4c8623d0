"""dtypes: JAX's promotion table (`fnx_ir.promote`) in both x64 modes, table-driven.

The tables are `jax.numpy.add(a, b)` of JAX 0.10 for every pair of fnx dtypes and Python
scalars (`int`, `float`: weak), with x64 off and on; `~` marks a weakly typed result.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import fnx_ir
from fnx_ir import ALL_DTYPES, bool_, float32, float64, int32, int64, uint32

ALL_OPS = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "bfloat16", "float32", "float64", "int", "float"]
JAX_X64_OFF = {
    'bool': ['bool', 'int8', 'int16', 'int32', 'int32', 'uint8', 'uint16', 'uint32', 'uint32', 'float16', 'bfloat16', 'float32', 'float32', 'int32~', 'float32~'],
    'int8': ['int8', 'int8', 'int16', 'int32', 'int32', 'int16', 'int32', 'int32', 'int32', 'float16', 'bfloat16', 'float32', 'float32', 'int8', 'float32~'],
    'int16': ['int16', 'int16', 'int16', 'int32', 'int32', 'int16', 'int32', 'int32', 'int32', 'float16', 'bfloat16', 'float32', 'float32', 'int16', 'float32~'],
    'int32': ['int32', 'int32', 'int32', 'int32', 'int32', 'int32', 'int32', 'int32', 'int32', 'float16', 'bfloat16', 'float32', 'float32', 'int32', 'float32~'],
    'int64': ['int32', 'int32', 'int32', 'int32', 'int32', 'int32', 'int32', 'int32', 'int32', 'float16', 'bfloat16', 'float32', 'float32', 'int32', 'float32~'],
    'uint8': ['uint8', 'int16', 'int16', 'int32', 'int32', 'uint8', 'uint16', 'uint32', 'uint32', 'float16', 'bfloat16', 'float32', 'float32', 'uint8', 'float32~'],
    'uint16': ['uint16', 'int32', 'int32', 'int32', 'int32', 'uint16', 'uint16', 'uint32', 'uint32', 'float16', 'bfloat16', 'float32', 'float32', 'uint16', 'float32~'],
    'uint32': ['uint32', 'int32', 'int32', 'int32', 'int32', 'uint32', 'uint32', 'uint32', 'uint32', 'float16', 'bfloat16', 'float32', 'float32', 'uint32', 'float32~'],
    'uint64': ['uint32', 'int32', 'int32', 'int32', 'int32', 'uint32', 'uint32', 'uint32', 'uint32', 'float16', 'bfloat16', 'float32', 'float32', 'uint32', 'float32~'],
    'float16': ['float16', 'float16', 'float16', 'float16', 'float16', 'float16', 'float16', 'float16', 'float16', 'float16', 'float32', 'float32', 'float32', 'float16', 'float16'],
    'bfloat16': ['bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'float32', 'bfloat16', 'float32', 'float32', 'bfloat16', 'bfloat16'],
    'float32': ['float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32'],
    'float64': ['float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32'],
    'int': ['int32~', 'int8', 'int16', 'int32', 'int32', 'uint8', 'uint16', 'uint32', 'uint32', 'float16', 'bfloat16', 'float32', 'float32', 'int32~', 'float32~'],
    'float': ['float32~', 'float32~', 'float32~', 'float32~', 'float32~', 'float32~', 'float32~', 'float32~', 'float32~', 'float16', 'bfloat16', 'float32', 'float32', 'float32~', 'float32~'],
}
JAX_X64_ON = {
    'bool': ['bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'bfloat16', 'float32', 'float64', 'int64~', 'float64~'],
    'int8': ['int8', 'int8', 'int16', 'int32', 'int64', 'int16', 'int32', 'int64', 'float64~', 'float16', 'bfloat16', 'float32', 'float64', 'int8', 'float64~'],
    'int16': ['int16', 'int16', 'int16', 'int32', 'int64', 'int16', 'int32', 'int64', 'float64~', 'float16', 'bfloat16', 'float32', 'float64', 'int16', 'float64~'],
    'int32': ['int32', 'int32', 'int32', 'int32', 'int64', 'int32', 'int32', 'int64', 'float64~', 'float16', 'bfloat16', 'float32', 'float64', 'int32', 'float64~'],
    'int64': ['int64', 'int64', 'int64', 'int64', 'int64', 'int64', 'int64', 'int64', 'float64~', 'float16', 'bfloat16', 'float32', 'float64', 'int64', 'float64~'],
    'uint8': ['uint8', 'int16', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'bfloat16', 'float32', 'float64', 'uint8', 'float64~'],
    'uint16': ['uint16', 'int32', 'int32', 'int32', 'int64', 'uint16', 'uint16', 'uint32', 'uint64', 'float16', 'bfloat16', 'float32', 'float64', 'uint16', 'float64~'],
    'uint32': ['uint32', 'int64', 'int64', 'int64', 'int64', 'uint32', 'uint32', 'uint32', 'uint64', 'float16', 'bfloat16', 'float32', 'float64', 'uint32', 'float64~'],
    'uint64': ['uint64', 'float64~', 'float64~', 'float64~', 'float64~', 'uint64', 'uint64', 'uint64', 'uint64', 'float16', 'bfloat16', 'float32', 'float64', 'uint64', 'float64~'],
    'float16': ['float16', 'float16', 'float16', 'float16', 'float16', 'float16', 'float16', 'float16', 'float16', 'float16', 'float32', 'float32', 'float64', 'float16', 'float16'],
    'bfloat16': ['bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'float32', 'bfloat16', 'float32', 'float64', 'bfloat16', 'bfloat16'],
    'float32': ['float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float64', 'float32', 'float32'],
    'float64': ['float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64'],
    'int': ['int64~', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'bfloat16', 'float32', 'float64', 'int64~', 'float64~'],
    'float': ['float64~', 'float64~', 'float64~', 'float64~', 'float64~', 'float64~', 'float64~', 'float64~', 'float64~', 'float16', 'bfloat16', 'float32', 'float64', 'float64~', 'float64~'],
}
# bfloat16 exists only with ml_dtypes installed
OPS = [n for n in ALL_OPS if n != "bfloat16" or fnx_ir.bfloat16 is not None]
_COL = {n: i for i, n in enumerate(ALL_OPS)}
CASES = [(x64, a, b, (JAX_X64_ON if x64 else JAX_X64_OFF)[a][_COL[b]])
         for x64 in (False, True) for a in OPS for b in OPS]


def operand(name: str, x64: bool) -> tuple[fnx_ir.DType, bool]:
    """An fnx `(dtype, weak)` operand; a 64-bit dtype with x64 off is canonical first."""
    if name in ("int", "float"):
        return fnx_ir.python_scalar_dtype({"int": 1, "float": 1.0}[name], x64), True
    return fnx_ir.canonical(fnx_ir.dtype(name), x64), False


@pytest.mark.parametrize("x64, a, b, expected", CASES,
                         ids=[f"x64={int(c[0])}-{c[1]}-{c[2]}" for c in CASES])
def test_promotion_table_is_jax(x64, a, b, expected):
    d, weak = fnx_ir.promote(operand(a, x64), operand(b, x64), x64=x64)
    assert f"{d.name}{'~' if weak else ''}" == expected


@pytest.mark.parametrize("x64", [False, True])
def test_promotion_is_associative_and_commutative(x64):
    ops = [operand(n, x64) for n in OPS]
    for a, b, c in itertools.product(ops, repeat=3):
        ab_c = fnx_ir.promote(fnx_ir.promote(a, b, x64=x64), c, x64=x64)
        assert ab_c == fnx_ir.promote(a, fnx_ir.promote(b, c, x64=x64), x64=x64)
        assert ab_c == fnx_ir.promote(a, b, c, x64=x64) == fnx_ir.promote(c, b, a, x64=x64)


def test_canonical_narrows_64_bit_types_only_with_x64_off():
    narrow = {int64: int32, fnx_ir.uint64: uint32, float64: float32}
    assert [fnx_ir.canonical(d, False) for d in ALL_DTYPES] == [narrow.get(d, d)
                                                                for d in ALL_DTYPES]
    assert [fnx_ir.canonical(d, True) for d in ALL_DTYPES] == list(ALL_DTYPES)


@pytest.mark.parametrize("x64", [False, True])
def test_to_inexact_is_jax(x64):
    # jnp.exp of an array of each dtype; of a Python int (weak): the default float
    f64 = float64 if x64 else float32
    expected = {bool_: float32, int32: float32, int64: f64, uint32: float32,
                float32: float32, float64: f64, fnx_ir.int8: float32, fnx_ir.int16: float32,
                fnx_ir.uint8: float32, fnx_ir.uint16: float32, fnx_ir.uint64: f64,
                fnx_ir.float16: fnx_ir.float16, fnx_ir.bfloat16: fnx_ir.bfloat16}
    for d in ALL_DTYPES:
        assert fnx_ir.to_inexact(fnx_ir.canonical(d, x64), False, x64=x64) is fnx_ir.canonical(
            expected[d], x64)
    assert fnx_ir.to_inexact(fnx_ir.python_scalar_dtype(1, x64), weak=True, x64=x64) is f64


def test_python_scalar_dtypes_follow_the_switch():
    assert [fnx_ir.python_scalar_dtype(v, x64=False) for v in (True, 3, 3.0)] == [bool_, int32,
                                                                                  float32]
    assert [fnx_ir.python_scalar_dtype(v, x64=True) for v in (True, 3, 3.0)] == [bool_, int64,
                                                                                 float64]
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
