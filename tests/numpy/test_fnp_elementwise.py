"""Elementwise fnx.numpy vs numpy: values, dtypes (NumPy 2 promotion, weak Python scalars),
edge cases (NaN, inf, -0.0, integer division by zero), eager and traced."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
import fnx_ir

from fnp_util import (DTYPES, FLOATS, INTS, NUMERIC, arrays, assert_same, check, jax_reference,
                    special_floats, special_ints, tol, traced)

# numpy computes some functions of bool arrays in float16/int8: fnx uses float32/int32.
_WIDEN = {np.dtype(np.float16): np.float32, np.dtype(np.int8): np.int32,
          np.dtype(np.int16): np.int32, np.dtype(np.uint8): np.uint32}


def np_ref(f):
    """numpy's f, with inputs widened where numpy's loop dtype is one fnx does not have."""
    def ref(*xs):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = f(*xs)
            if isinstance(out, tuple):
                return out
            out = np.asarray(out)
            if out.dtype in _WIDEN:
                xs = [np.asarray(x).astype(_WIDEN[out.dtype]) if isinstance(x, np.ndarray)
                      and x.dtype == bool else x for x in xs]
                out = np.asarray(f(*xs))
                out = out.astype(_WIDEN.get(out.dtype, out.dtype))
            return out
    return ref


def numpy_raises(f, *xs) -> bool:
    try:
        with np.errstate(all="ignore"):
            f(*xs)
    except TypeError:
        return True
    return False


# ------------------------------------------------------------------ unary

EXACT_UNARY = ["sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
               "arcsinh", "arccosh", "arctanh", "exp", "exp2", "expm1", "log", "log2", "log1p",
               "sqrt", "cbrt", "negative", "positive", "absolute", "fabs", "sign", "floor",
               "ceil", "rint", "trunc", "fix", "square", "reciprocal", "signbit", "isnan", "isinf",
               "isfinite", "logical_not", "invert", "conjugate", "isposinf", "isneginf"]
CLOSE_UNARY = {"log10": 2, "deg2rad": 2, "rad2deg": 2, "sinc": 4}


def _unary_case(name, x):
    np_f = np_ref(getattr(np, name))
    fnp_f = getattr(fnp, name)
    if numpy_raises(getattr(np, name), x):
        with pytest.raises(TypeError):
            fnp_f(x)
        return
    rt = tol(fnp_f(x).dtype, CLOSE_UNARY.get(name, 0)) if name in CLOSE_UNARY else 0.0
    check(fnp_f, np_f, x, rtol=rt)


@pytest.mark.parametrize("name", EXACT_UNARY + list(CLOSE_UNARY))
@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_special_values(name, dtype):
    if np.dtype(dtype).kind == "f":
        x = special_floats(dtype)
    elif np.dtype(dtype).kind == "b":
        x = np.array([True, False])
    else:
        x = special_ints(dtype)
    _unary_case(name, x)


@settings(max_examples=15)
@given(data=st.data())
@pytest.mark.parametrize("name", ["sin", "exp", "log1p", "sqrt", "negative", "absolute", "floor",
                                  "square", "sign", "log10", "isnan", "rint", "invert"])
def test_unary_hypothesis(name, data):
    dtype = data.draw(st.sampled_from(DTYPES))
    x = data.draw(arrays(dtype))
    _unary_case(name, x)


def test_rsqrt_is_reciprocal_sqrt():
    x = special_floats(np.float32)
    with np.errstate(all="ignore"):
        check(fnp.rsqrt, lambda a: 1 / np.sqrt(a), x)
    check(fnp.rsqrt, lambda a: (1 / np.sqrt(a.astype(np.float64))), np.arange(1, 5, dtype=np.int32))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("decimals", [0, 1, 2, -1, -2])
def test_round_decimals(dtype, decimals):
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.25, 12.345, 155.0, -250.0, 1e10, np.nan, np.inf],
                 dtype=dtype)
    check(lambda a: fnp.round(a, decimals), lambda a: np.round(a, decimals), x)
    check(lambda a: fnp.around(a, decimals), lambda a: np.around(a, decimals), x)


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("decimals", [0, 2, -1, -2])
def test_round_integers(dtype, decimals):
    x = np.array([0, 5, 15, 25, 35, 149, 150, 151, 250, 999], dtype=dtype)
    if np.dtype(dtype).kind == "i":
        x = np.concatenate([x, -x])
    check(lambda a: fnp.round(a, decimals), lambda a: np.round(a, decimals), x)


def test_nan_to_num():
    for dtype in FLOATS:
        x = special_floats(dtype)
        check(fnp.nan_to_num, np.nan_to_num, x)
        check(lambda a: fnp.nan_to_num(a, nan=-1.0, posinf=9.0, neginf=-9.0),
              lambda a: np.nan_to_num(a, nan=-1.0, posinf=9.0, neginf=-9.0), x)
    check(fnp.nan_to_num, np.nan_to_num, np.arange(3))


# ------------------------------------------------------------------ binary

EXACT_BINARY = ["add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum",
                "fmax", "fmin", "floor_divide", "remainder", "mod", "fmod", "copysign",
                "arctan2", "bitwise_and", "bitwise_or", "bitwise_xor", "logical_and",
                "logical_or", "logical_xor", "equal", "not_equal", "less", "less_equal",
                "greater", "greater_equal", "heaviside", "left_shift", "right_shift"]
CLOSE_BINARY = {"logaddexp": 4, "logaddexp2": 4, "hypot": 2}


def _operand(dtype):
    d = np.dtype(dtype)
    if d.kind == "b":
        return np.array([True, False, True, False, True, True])
    if d.kind == "u":
        return np.array([0, 1, 2, 3, 7, 5], dtype=d)
    if d.kind == "i":
        return np.array([0, 1, -2, 3, -7, 5], dtype=d)
    return np.array([0.0, 1.5, -2.0, 3.25, np.nan, -np.inf], dtype=d)


def _binary_case(name, a, b):
    np_f = np_ref(getattr(np, name))
    fnp_f = getattr(fnp, name)
    if numpy_raises(getattr(np, name), a, b):
        with pytest.raises(TypeError):
            fnp_f(a, b)
        return
    got = fnp_f(a, b)
    rt = tol(got.dtype, CLOSE_BINARY[name]) if name in CLOSE_BINARY else 0.0
    want, rt, at = jax_reference(np_f, got, [a, b], rt)
    assert_same(got, want, rtol=rt, atol=at)
    arrays_ = [v for v in (a, b) if isinstance(v, np.ndarray)]
    if len(arrays_) == 2:
        out = traced(fnp_f, a, b)
    elif isinstance(a, np.ndarray):
        out = traced(lambda x: fnp_f(x, b), a)
    else:
        out = traced(lambda y: fnp_f(a, y), b)
    assert_same(out, [got], rtol=rt, atol=at, check_type=False)


@pytest.mark.parametrize("name", EXACT_BINARY + list(CLOSE_BINARY))
def test_binary_all_dtype_pairs(name):
    for da, db in itertools.product(DTYPES, DTYPES):
        a, b = _operand(da), _operand(db)[::-1].copy()
        if name in ("left_shift", "right_shift"):
            b = np.abs(np.nan_to_num(b, posinf=1, neginf=2).astype(np.int64)).astype(db) % 8 \
                if np.dtype(db).kind != "b" else b
        _binary_case(name, a, b)


SCALARS = [True, 2, -3, 2.5, -0.0]


@pytest.mark.parametrize("name", EXACT_BINARY + list(CLOSE_BINARY))
@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_with_python_scalars(name, dtype):
    for scalar in SCALARS:
        a = _operand(dtype)
        if np.dtype(dtype).kind == "u" and isinstance(scalar, int) and scalar < 0:
            scalar = 3
        if name in ("left_shift", "right_shift") and isinstance(scalar, int) and scalar < 0:
            scalar = 3
        _binary_case(name, a, scalar)
        _binary_case(name, scalar, a)


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod", "divide", "power"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_float_division_edges(name, dtype):
    v = special_floats(dtype)
    a, b = (m.ravel() for m in np.meshgrid(v, v))
    if name == "power":
        check(fnp.power, np_ref(np.power), a, b)
    else:
        check(getattr(fnp, name), np_ref(getattr(np, name)), a, b)
    check(fnp.divmod, np_ref(np.divmod), a, b) if name == "floor_divide" else None


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod", "divide"])
@pytest.mark.parametrize("dtype", INTS)
def test_integer_division_edges(name, dtype):
    v = special_ints(dtype)
    a, b = (m.ravel() for m in np.meshgrid(v, v))
    check(getattr(fnp, name), np_ref(getattr(np, name)), a, b)


@pytest.mark.parametrize("dtype", INTS)
def test_integer_power(dtype):
    a = special_ints(dtype)
    e = np.array([0, 1, 2, 3, 5, 7, 31, 2, 3] + ([2] * (a.size - 9)), dtype=dtype)
    check(fnp.power, np_ref(np.power), a, e)
    check(lambda x: fnp.power(x, 3), lambda x: np.power(x, 3), a)
    check(lambda x: x ** 2 if not isinstance(x, np.ndarray) else fnp.power(x, 2),
          lambda x: x ** 2, a)
    if np.dtype(dtype).kind == "i":  # defined as under jit (1, -1 by parity, or 0), not an error
        want = np.where(a == 1, 1, np.where(a == -1, -1, 0)).astype(dtype)
        np.testing.assert_array_equal(fnp.power(a, np.array(-1, dtype)), want)
        with pytest.raises(ValueError):
            fnp.power(a, -1)  # a negative Python scalar exponent raises (as JAX)


def test_integer_power_traced_negative_exponent_is_defined():
    x = np.array([1, -1, -1, 2, 0], np.int32)
    y = np.array([-3, -3, -2, -1, 2], np.int32)
    out = traced(fnp.power, x, y)[0]
    np.testing.assert_array_equal(out, [1, -1, 1, 0, 0])


@settings(max_examples=20)
@given(data=st.data())
@pytest.mark.parametrize("name", ["add", "multiply", "divide", "maximum", "floor_divide",
                                  "remainder", "less", "arctan2", "logaddexp", "hypot"])
def test_binary_broadcasting_hypothesis(name, data):
    sa, sb = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4)
                       ).input_shapes
    da = data.draw(st.sampled_from(NUMERIC))
    db = data.draw(st.sampled_from(NUMERIC))
    a = data.draw(arrays(da, sa))
    b = data.draw(arrays(db, sb))
    _binary_case(name, a, b)


# ------------------------------------------------------------------ promotion

def test_promotion_is_jax_everywhere():
    """Every function that promotes uses JAX's table (tests/fnx_ir/test_dtypes.py checks it)."""
    for da, db in itertools.product(DTYPES, DTYPES):
        a, b = np.ones(2, da), np.ones(2, db)
        want = fnx_ir.result_type((fnx_ir.dtype(da), False), (fnx_ir.dtype(db), False), x64=True).np
        assert fnp.add(a, b).dtype == want
        assert fnp.result_type(a, b) == want
        assert fnp.where(True, a, b).dtype == want
        assert fnp.concatenate([a, b]).dtype == want
        assert fnp.stack([a, b]).dtype == want


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scalar", [True, 1, 1.0])
def test_weak_python_scalars(dtype, scalar):
    a = np.ones(3, dtype)
    want = (a + scalar).dtype if np.dtype(dtype).kind != "b" or not isinstance(scalar, bool) \
        else np.add(a, scalar).dtype
    assert fnp.add(a, scalar).dtype == want
    assert fnp.add(scalar, a).dtype == want
    prog = fnx.make_ir(lambda x: x + scalar)(a)
    assert prog.outputs[0].type.dtype.np == want


def test_float32_times_python_float_stays_float32_traced():
    prog = fnx.make_ir(lambda x: x * 2.0 + 1)(np.ones(3, np.float32))
    assert prog.outputs[0].type.dtype is fnx_ir.float32
    prog = fnx.make_ir(lambda x: fnp.sin(x) / 3)(np.ones(3, np.int32))
    assert prog.outputs[0].type.dtype is fnx_ir.float32  # JAX: sin of int32 is float32


def test_numpy_scalars_are_strong():
    a = np.ones(3, np.float32)
    assert fnp.add(a, np.float64(2)).dtype == np.float64
    assert fnp.add(np.ones(3, np.int32), np.int64(2)).dtype == np.int64


def test_integer_true_divide_is_jax_inexact():
    a = np.array([1, 2, 3], np.int32)
    assert fnp.divide(a, 2).dtype == np.float32  # JAX: int32 / int -> float32
    assert fnp.divide(a.astype(np.int64), 2).dtype == np.float64
    check(lambda x: fnp.divide(x, 2), lambda x: np.divide(x, 2), a)
    check(fnp.true_divide, np.true_divide, a, a)


# ------------------------------------------------------------------ where, clip, select

@pytest.mark.parametrize("dtype", DTYPES)
def test_where(dtype):
    c = np.array([[True, False, True]])
    x = np.arange(6).reshape(2, 3).astype(dtype)
    check(lambda c, x: fnp.where(c, x, 0), lambda c, x: np.where(c, x, 0), c, x)
    check(lambda c, x: fnp.where(c, 1.5, x), lambda c, x: np.where(c, 1.5, x), c, x)
    check(lambda x: fnp.where(x, x, 7), lambda x: np.where(x, x, 7), x)


@pytest.mark.parametrize("dtype", NUMERIC)
def test_clip(dtype):
    x = np.array([0, 1, 2, 3, 4, 5, 6], dtype=dtype)
    check(lambda a: fnp.clip(a, 1, 4), lambda a: np.clip(a, 1, 4), x)
    check(lambda a: fnp.clip(a, 1.5, 4), lambda a: np.clip(a, 1.5, 4), x)
    check(lambda a: fnp.clip(a, None, 3), lambda a: np.clip(a, None, 3), x)
    check(lambda a: fnp.clip(a, min=2), lambda a: np.clip(a, 2, None), x)
    lo = np.array([0, 2, 2, 2, 9, 0, 0], dtype=dtype)
    check(lambda a, lo: fnp.clip(a, lo, 5), lambda a, lo: np.clip(a, lo, 5), x, lo)


def test_clip_nan():
    x = np.array([np.nan, 1.0, -5.0, 7.0])
    check(lambda a: fnp.clip(a, 0, 2), lambda a: np.clip(a, 0, 2), x)
    check(lambda a: fnp.clip(a, np.nan, 2), lambda a: np.clip(a, np.nan, 2), x)


def test_select():
    x = np.arange(10)
    conds = [x < 3, x > 5]
    choices = [x, x ** 2]
    check(lambda x: fnp.select([x < 3, x > 5], [x, x * x], 42),
          lambda x: np.select([x < 3, x > 5], [x, x ** 2], 42), x)
    check(lambda x: fnp.select([x < 3], [x * 1.5]), lambda x: np.select([x < 3], [x * 1.5]), x)
    with pytest.raises(TypeError):
        fnp.select([x], [x])
    del conds, choices


def test_logical_functions_on_floats():
    a = np.array([0.0, np.nan, -1.0, 0.0])
    b = np.array([1.0, 0.0, 2.0, 0.0])
    for name in ("logical_and", "logical_or", "logical_xor"):
        check(getattr(fnp, name), getattr(np, name), a, b)
    check(fnp.logical_not, np.logical_not, a)


def test_misc_elementwise():
    x = np.array([-2.5, -1.0, 0.0, 0.5, 3.0, np.nan], np.float32)
    check(fnp.real, np.real, x)
    check(fnp.imag, np.imag, x)
    check(fnp.conj, np.conj, x)
    check(fnp.float_power, np.float_power, x, x)
    check(fnp.isreal, np.isreal, x)
    check(fnp.iscomplex, np.iscomplex, x)
    check(fnp.radians, np.radians, x, rtol=1e-6)
    check(fnp.degrees, np.degrees, x, rtol=1e-6)
    check(lambda a: fnp.heaviside(a, 0.5), lambda a: np.heaviside(a, 0.5), x)
    check(fnp.modf, np.modf, x)
    check(fnp.ldexp, np.ldexp, x, np.array([1, 2, 3, -1, 0, 2], np.int32))
    check(fnp.gcd, np.gcd, np.array([12, -18, 0, 7, 0]), np.array([18, 12, 5, 0, 0]))
    check(fnp.lcm, np.lcm, np.array([4, -6, 0, 7]), np.array([6, 4, 5, 3]))


def test_traced_operators():
    a = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    b = np.arange(3, dtype=np.int32)
    ops = [lambda x, y: x + y, lambda x, y: y - x, lambda x, y: x * 2 - y / 3,
           lambda x, y: x // (y + 1), lambda x, y: x % (y + 1), lambda x, y: -x ** 2,
           lambda x, y: abs(x - 3), lambda x, y: (x > 2) & (y < 2), lambda x, y: ~(y == 1),
           lambda x, y: 2 ** y, lambda x, y: 1.5 / x, lambda x, y: (y << 2) >> 1,
           lambda x, y: x @ np.ones((3, 2), np.float32), lambda x, y: y | 4, lambda x, y: y ^ 5,
           lambda x, y: divmod(x, 2.0)[0], lambda x, y: x != y, lambda x, y: 3 <= x,
           lambda x, y: +x, lambda x, y: x.round(1)]
    for op in ops:
        got = traced(op, a, b)[0]
        want, rtol, atol = jax_reference(op, got, [a, b])
        assert_same(got, want, rtol, atol, check_type=False)


def test_python_scalar_only_results_are_weak_like_jax():
    """fnp.sqrt(2.0) is weak (JAX): float32 stays float32, eagerly and traced."""
    x = np.ones(2, np.float32)
    assert (x * fnp.sqrt(2.0)).dtype == np.float32
    assert fnp.multiply(x, fnp.sqrt(2.0)).dtype == np.float32
    prog = fnx.make_ir(lambda a: a * fnp.sqrt(2.0))(x)
    assert prog.outputs[0].type.dtype is fnx_ir.float32
    # a traced Python scalar argument stays weak through operators, like the Python float it is
    prog = fnx.make_ir(lambda a, s: a * (s * 2.0))(x, 3.0)
    assert prog.outputs[0].type.dtype is fnx_ir.float32


_NOT_ARRAY_FUNCTIONS = {
    "ndarray", "dtype", "finfo", "iinfo", "issubdtype", "promote_types", "can_cast",
    "result_type", "isdtype", "shape", "ndim", "size", "iscomplexobj", "isrealobj", "isscalar",
    "iterable", "at", "fromfunction", "array_equal", "allclose", "array_equiv",
    "broadcast_shapes"}
_X0 = np.array(1.5)
_V = np.array([1.5, 0.5, 2.5])
_M = np.arange(6.0).reshape(2, 3)
_Q = np.arange(4.0).reshape(2, 2)
_I = np.array([0, 1])
_BINARY = {
    "add", "append", "arctan2", "atan2", "clip", "compress", "copysign", "divide", "divmod",
    "dot", "equal", "extract", "float_power", "floor_divide", "fmax", "fmin", "fmod",
    "full_like", "geomspace", "greater", "greater_equal", "heaviside", "hypot", "inner",
    "isclose", "isin", "kron", "ldexp", "less", "less_equal", "linspace", "logaddexp",
    "logaddexp2", "logical_and", "logical_or", "logical_xor", "logspace", "maximum", "minimum",
    "mod", "multiply", "nanpercentile", "not_equal", "outer", "pad", "percentile", "pow",
    "power", "remainder", "repeat", "subtract", "true_divide", "vdot"}
# Functions of something other than one or two 0-d arrays: the arguments each is checked with.
_SPECIAL_ARGS = {
    "argpartition": (_V, 1), "argsort": (_V,), "array_split": (_V, 3), "astype": (_V, np.int32),
    "bincount": (_I,), "bitwise_and": (_I, _I), "bitwise_invert": (_I,),
    "bitwise_left_shift": (_I, _I), "bitwise_not": (_I,), "bitwise_or": (_I, _I),
    "bitwise_right_shift": (_I, _I), "bitwise_xor": (_I, _I),
    "broadcast_to": (_X0, (2,)), "column_stack": ((_V, _V),), "concat": ((_V, _V),),
    "concatenate": ((_V, _V),), "convolve": (_V, _V), "correlate": (_V, _V), "cross": (_V, _V),
    "delete": (_V, 1), "diag": (_V,), "diag_indices_from": (_Q,), "diagonal": (_M,), "diff": (_V,),
    "digitize": (_V, _V[:1]), "dsplit": (_M.reshape(1, 2, 3), 3), "dstack": ((_V, _V),),
    "einsum": ("i,i->", _V, _V), "empty": (3,), "expand_dims": (_X0, 0), "eye": (2,),
    "fliplr": (_M,), "flipud": (_V,), "full": (3, 1.5), "gcd": (_I, _I),
    "hsplit": (_V, 3), "hstack": ((_V, _V),), "identity": (2,), "indices": ((2, 3),),
    "interp": (_X0, _V[:2], _V[:2]), "invert": (_I,), "ix_": (_I, _I), "lcm": (_I, _I),
    "left_shift": (_I, _I), "lexsort": ((_V, _V),), "mask_indices": (3, np.triu),
    "matmul": (_Q, _Q), "matrix_transpose": (_M,), "matvec": (_Q, _Q[0]), "moveaxis": (_M, 0, 1),
    "msort": (_V,), "nanquantile": (_V, 0.5), "nonzero": (_V,), "ones": (3,),
    "partition": (_V, 1), "permute_dims": (_M, (1, 0)), "polyval": (_V, _X0),
    "quantile": (_V, 0.5), "ravel_multi_index": ((_I, _I), (2, 2)), "reshape": (_M, (3, 2)),
    "resize": (_V, (2, 2)), "right_shift": (_I, _I), "roll": (_V, 1), "rot90": (_Q,),
    "row_stack": ((_V, _V),), "searchsorted": (_V[:1], _V), "select": ([_V > 1], [_V]),
    "sort": (_V,), "split": (_V, 3), "stack": ((_V, _V),), "swapaxes": (_M, 0, 1),
    "take": (_V, _I), "take_along_axis": (_V, _I, 0), "tensordot": (_Q, _Q), "tile": (_V, 2),
    "trace": (_Q,), "trapezoid": (_V,), "tri": (2,), "tril": (_Q,), "tril_indices_from": (_Q,),
    "triu": (_Q,), "triu_indices_from": (_Q,), "unravel_index": (_I, (2, 2)), "unstack": (_M,),
    "vander": (_V,), "vecdot": (_V, _V), "vecmat": (_Q[0], _Q), "vsplit": (_M, 2),
    "vstack": ((_V, _V),), "where": (_V > 1,), "zeros": (3,)}


def _public_array_functions() -> list[str]:
    return [n for n in dir(fnp) if not n.startswith("_") and n not in _NOT_ARRAY_FUNCTIONS
            and callable(getattr(fnp, n)) and not isinstance(getattr(fnp, n), type)]


def test_every_function_is_checked_by_the_array_result_test():
    """No name escapes the test below: it is unary, binary, or has listed arguments."""
    names = set(_public_array_functions())
    assert not (_BINARY & set(_SPECIAL_ARGS))
    assert (_BINARY | set(_SPECIAL_ARGS)) <= names, (_BINARY | set(_SPECIAL_ARGS)) - names


@pytest.mark.parametrize("name", _public_array_functions())
def test_every_function_returns_arrays(name):
    """Every fnx.numpy function returns numpy arrays (never Python scalars or lists)."""
    args = _SPECIAL_ARGS.get(name, (_X0, _X0) if name in _BINARY else (_X0,))
    out = getattr(fnp, name)(*args)
    leaves = out if isinstance(out, (tuple, list)) else (out,)
    assert leaves, name
    for o in leaves:
        assert isinstance(o, np.ndarray), (name, type(o))


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
