"""The direct eager path of elementwise functions (`_base.direct_elementwise`) gives exactly
what the general path (operands built through `lax`, one bind per step) gives: dtype, weak
type, Array class, values bit for bit, errors, under x64 on and off."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
import fnx_ir
from fnx._core.rules import RULES
from fnx.numpy import _elementwise

DTYPES = [d.np for d in fnx_ir.ALL_DTYPES]
BINARY = ["add", "subtract", "multiply", "divide", "true_divide", "arctan2", "equal", "not_equal",
          "less", "less_equal", "greater", "greater_equal", "bitwise_and", "bitwise_or",
          "bitwise_xor", "left_shift", "power", "maximum", "minimum", "fmax"]
UNARY = ["sin", "cos", "tanh", "exp", "log", "sqrt", "negative", "abs", "sign", "expm1",
         "log1p", "arcsinh", "cbrt", "invert", "bitwise_not", "rsqrt", "exp2", "log2",
         "absolute", "fabs", "isnan", "arccosh"]


def _general(fn, *xs):
    """`fn(*xs)` with the direct path switched off."""
    saved = dict(_elementwise._DIRECT)
    _elementwise._DIRECT.clear()
    try:
        return _outcome(fn, *xs)
    finally:
        _elementwise._DIRECT.update(saved)


def _outcome(fn, *xs):
    try:
        out = fn(*xs)
    except Exception as e:  # noqa: BLE001 - the error is part of the outcome compared
        return ("error", type(e), str(e))
    return ("value", type(out), out.dtype, out.shape, np.asarray(out).tobytes())


def _value(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(shape) * 3
    if np.dtype(dtype).kind in "iub":
        v = np.abs(v) if np.dtype(dtype).kind == "u" else v
        return v.astype(dtype)
    return v.astype(dtype)


def _check(fn, *xs):
    assert _outcome(fn, *xs) == _general(fn, *xs)


@pytest.mark.parametrize("x64", [False, True])
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_general_path(name, x64):
    fn = getattr(fnp, name)
    with fnx.enable_x64(x64):
        for da, db in itertools.product(DTYPES, DTYPES[::3]):
            _check(fn, _value(da, (2, 3), 1), _value(db, (3,), 2))
        for d in DTYPES:
            for s in (2, 2.5, True, -3):
                _check(fn, _value(d, (4,), 3), s)
                _check(fn, s, _value(d, (4,), 3))
        _check(fn, 2, 3.5)
        for d in (np.float16, np.float32, np.float64):  # IEEE specials, no warnings
            special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 6e4], d)
            _check(fn, special, special[::-1])
        _check(fn, fnp.sqrt(2.0), np.ones(3, np.float16))  # a WeakArray operand
        _check(fn, np.ones((2, 3), np.float32), np.ones((4,), np.float32))  # no broadcast
        _check(fn, np.ones(3, np.int8), 1000)  # a literal out of range


@pytest.mark.parametrize("x64", [False, True])
@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_general_path(name, x64):
    fn = getattr(fnp, name)
    with fnx.enable_x64(x64):
        for d in DTYPES:
            _check(fn, _value(d, (5,), 4))
            _check(fn, _value(d, (), 5))
        _check(fn, 0.5)
        _check(fn, fnp.sqrt(2.0))


def test_direct_path_taken_on_plain_arrays(monkeypatch):
    """Plain arrays and Python scalars never reach the general path's operand building."""
    def refuse(*args):
        raise AssertionError("general path taken")
    monkeypatch.setattr(_elementwise, "_prepare", refuse)
    a = np.arange(4, dtype=np.float32)
    out = fnp.add(fnp.asarray(a), 1.5)
    assert type(out) is fnx.Array and out.dtype == np.float32
    assert fnp.sin(a).dtype == np.float32
    assert type(fnp.multiply(2.0, 3)).__name__ == "WeakArray"


def test_direct_result_is_fresh_and_inputs_untouched():
    a = np.arange(4, dtype=np.float32)
    before = a.copy()
    out = fnp.negative(a)
    assert out is not a and not np.shares_memory(out, a)
    np.testing.assert_array_equal(a, before)


def test_inside_a_trace_the_general_path_records():
    f = fnx.jit(lambda x: fnp.add(x, 1.0))
    np.testing.assert_array_equal(f(np.ones(3, np.float32)), np.full(3, 2.0, np.float32))
    assert "add" in str(fnx.make_jaxpr(lambda x: fnp.add(x, 1.0))(np.ones(3, np.float32)))


@pytest.mark.parametrize("primitive", sorted(_elementwise._NUMPY_FN))
def test_numpy_fn_table_matches_the_implementations(primitive):
    """The numpy function the direct path calls is what the primitive's implementation
    computes, on every dtype that is not a storage float (those go through the
    implementation)."""
    impl, fn = RULES[primitive].impl, _elementwise._NUMPY_FN[primitive]
    nin = fn.nin
    for d in DTYPES:
        if d.itemsize == 2 and d.kind in "fV":
            continue
        xs = [_value(d, (6,), 7 + i) for i in range(nin)]
        try:
            want = impl(*xs)
        except TypeError:
            continue
        with np.errstate(all="ignore"):
            got = fn(*xs)
        assert got.dtype == want.dtype
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("x64", [False, True])
def test_dot_matches_general_path(x64, monkeypatch):
    shapes = [((5,), (5,)), ((5,), (5, 3)), ((4, 5), (5,)), ((4, 5), (5, 3)),
              ((2, 4, 5), (5, 3)), ((4, 5), (6, 3)), ((0, 5), (5, 2)), ((4, 0), (0, 2))]
    cases = []
    for d in DTYPES:
        for sa, sb in shapes:
            cases.append((_value(d, sa, 1), _value(d, sb, 2)))
    for d in (np.float32, np.float64):  # sizes past BLAS's blocking; a Fortran-ordered one
        cases += [(_value(d, (67, 300), 4), _value(d, (300, 129), 5)),
                  (_value(d, (64, 64), 6), np.asfortranarray(_value(d, (64, 64), 7)))]
    a = _value(np.float32, (5, 4), 3)
    cases += [(a, a.T[:, ::-1].T.copy()), (a.T.copy(), a.T.copy().T), (a.T, a), (fnp.asarray(a), a.T), (a, a.astype(np.float64)),
              (a.T, a.astype(np.int32)), (fnp.sqrt(2.0), a)]
    with fnx.enable_x64(x64):
        direct = [_outcome(fnp.dot, *c) for c in cases]
        monkeypatch.setattr(fnp._linalg, "direct_dot", lambda a, b: None)
        general = [_outcome(fnp.dot, *c) for c in cases]
    assert direct == general


@pytest.mark.parametrize("errstate_fallback", [False, True])
def test_direct_paths_warn_nothing_and_restore_numpy_error_state(errstate_fallback,
                                                                  monkeypatch):
    """IEEE results are values (no RuntimeWarning), with numpy's context variable or with
    `numpy.errstate` when that is not found; the user's error state is back afterwards."""
    if errstate_fallback:
        monkeypatch.setattr(fnp._base.QUIET, "var", None)
    big = np.full((4, 4), 1e38, np.float32)
    with np.errstate(all="raise"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert np.isinf(fnp.multiply(big, 10.0)).all()
            assert np.isinf(fnp.dot(big, big)).all()
            assert np.isnan(fnp.subtract(fnp.multiply(big, 10.0), np.inf)).all()
        with pytest.raises(FloatingPointError):
            np.multiply(big, np.float32(10.0))
