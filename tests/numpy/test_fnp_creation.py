"""Array creation: numpy's defaults and dtypes eagerly; traced versions record primitives."""
from __future__ import annotations

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
import fnx_ir

from fnp_util import DTYPES, assert_same, check, traced


@pytest.mark.parametrize("f", [
    lambda m: m.zeros(3), lambda m: m.zeros((2, 3), np.int32), lambda m: m.ones((2,), bool),
    lambda m: m.ones((2, 2)), lambda m: m.full((2, 3), 7), lambda m: m.full(3, 2.5),
    lambda m: m.full((2, 2), True), lambda m: m.full((2, 2), 1.5, np.float32),
    lambda m: m.full((2, 3), np.array([1, 2, 3], np.uint32)), lambda m: m.zeros(()),
    lambda m: m.zeros((0, 3)), lambda m: m.empty((2, 2)) * 0,
    lambda m: m.arange(5), lambda m: m.arange(2, 9, 3), lambda m: m.arange(5.0),
    lambda m: m.arange(0, 1, 0.1), lambda m: m.arange(10, 0, -3), lambda m: m.arange(3, dtype=np.float32),
    lambda m: m.arange(0.5, 3, 0.5, dtype=np.float32), lambda m: m.arange(0), lambda m: m.arange(5, 2),
    lambda m: m.linspace(0, 1, 5), lambda m: m.linspace(0, 1, 5, endpoint=False),
    lambda m: m.linspace(2, 3, 1), lambda m: m.linspace(0, 10, 4, dtype=np.int32),
    lambda m: m.linspace(np.zeros(2), np.ones(2) * 3, 4, axis=1),
    lambda m: m.linspace(0, 1, 5, retstep=True),
    lambda m: m.logspace(0, 3, 4), lambda m: m.logspace(0, 3, 4, base=2.0),
    lambda m: m.geomspace(1, 1000, 4),
    lambda m: m.eye(3), lambda m: m.eye(3, 4, 1), lambda m: m.eye(4, 3, -2, dtype=np.int32),
    lambda m: m.eye(2, dtype=bool), lambda m: m.identity(3), lambda m: m.eye(0),
    lambda m: m.tri(3), lambda m: m.tri(3, 5, 1, dtype=np.int64), lambda m: m.tri(4, 2, -1),
    lambda m: m.indices((2, 3)), lambda m: m.indices((2, 3), sparse=True),
    lambda m: m.meshgrid(np.arange(3), np.arange(2.0)),
    lambda m: m.meshgrid(np.arange(3), np.arange(2.0), indexing="ij"),
    lambda m: m.meshgrid(np.arange(3), np.arange(2), np.arange(4), sparse=True),
    lambda m: m.meshgrid(np.arange(3), np.arange(2), np.arange(4)),
    lambda m: m.fromfunction(lambda i, j: i * 10 + j, (2, 3)),
    lambda m: m.array([1, 2, 3]), lambda m: m.array([[1.5, 2]], dtype=np.float32),
    lambda m: m.array(3.0, ndmin=2), lambda m: m.asarray([True, False]),
    lambda m: m.asarray([1, 2], dtype=m.float32), lambda m: m.array([]),
])
def test_creation_vs_numpy(f):
    want = f(np)
    got = f(fnp)
    if isinstance(want, tuple):
        assert_same(got, tuple(np.asarray(w) for w in want))
    else:
        assert_same(got, np.asarray(want))
    out = traced(lambda dummy: f(fnp), np.zeros(1))
    assert_same(out, [np.asarray(w) for w in (want if isinstance(want, tuple) else (want,))],
                check_type=False)


@pytest.mark.parametrize("dtype", DTYPES)
def test_like_functions(dtype):
    x = np.arange(6).reshape(2, 3).astype(dtype)
    for name in ("zeros_like", "ones_like", "empty_like"):
        check(lambda a: getattr(fnp, name)(a) * 0 if name == "empty_like" else getattr(fnp, name)(a),
              lambda a: getattr(np, name)(a) * 0 if name == "empty_like" else getattr(np, name)(a), x)
        check(lambda a: getattr(fnp, name)(a, dtype=np.float32, shape=(4,)) * 0,
              lambda a: getattr(np, name)(a, dtype=np.float32, shape=(4,)) * 0, x)
    check(lambda a: fnp.full_like(a, 3), lambda a: np.full_like(a, 3), x)
    check(lambda a: fnp.full_like(a, 2.5, dtype=np.float64), lambda a: np.full_like(a, 2.5, dtype=np.float64), x)


def test_traced_creation_records_primitives_not_constants():
    prog = fnx.make_ir(lambda x: x + fnp.zeros((1000,), np.float32) + fnp.arange(1000))(
        np.ones(1000, np.float32))
    assert not prog.constants
    assert {e.primitive for e in prog.equations} >= {"iota", "broadcast_in_dim"}
    prog = fnx.make_ir(lambda x: x * fnp.eye(50))(np.ones((50, 50)))
    assert not prog.constants


def test_traced_linspace_bounds():
    for endpoint in (True, False):
        for num in (1, 2, 7):
            out = traced(lambda a, b: fnp.linspace(a, b, num, endpoint=endpoint), np.float32(-1.5),
                         np.float32(4.0))[0]
            want = np.linspace(np.float32(-1.5), np.float32(4.0), num, endpoint=endpoint)
            assert_same(out, want, rtol=1e-6, check_type=False)
    out = traced(lambda a: fnp.linspace(a, a + 1, 3, axis=1), np.arange(2.0))[0]
    assert_same(out, np.linspace(np.arange(2.0), np.arange(2.0) + 1, 3, axis=1), rtol=1e-15,
                check_type=False)


def test_asarray_of_traced_values_and_lists():
    x = np.arange(3.0)
    out = traced(lambda a: fnp.asarray([a[0], a[2], 7.0]), x)[0]
    np.testing.assert_array_equal(out, [0.0, 2.0, 7.0])
    out = traced(lambda a: fnp.array([[a, a * 2]]), x)[0]
    assert out.shape == (1, 2, 3)
    out = traced(lambda a: fnp.asarray(a, dtype=fnp.int32), x)[0]
    assert out.dtype == np.int32
    y = np.arange(3)
    z = fnp.asarray(y)  # as numpy: no copy (an fnx.Array view of y)
    assert type(z) is fnx.Array and np.shares_memory(z, y)
    assert fnp.asarray(z) is z
    assert fnp.array(y) is not y
    with pytest.raises(TypeError):
        fnp.asarray(np.array(["a"]))
    with pytest.raises(TypeError, match="complex"):
        fnp.asarray(np.ones(2, np.complex64))


def test_dtype_objects():
    assert np.dtype(fnp.float32) == np.float32
    assert fnp.float32 == np.float32 and fnp.float32 == np.dtype("float32")
    x = np.ones(2)
    assert fnp.zeros(2, fnp.int32).dtype == np.int32
    assert fnp.float32(x).dtype == np.float32
    assert fnp.issubdtype(fnp.float32, fnp.floating)
    assert fnp.issubdtype(np.int32, fnp.integer)
    out = traced(lambda a: fnp.float32(a) + fnp.int32(2), x)[0]
    assert out.dtype == np.float32  # JAX's promotion: float32 + int32 -> float32
    out = traced(lambda a: fnp.float32(a) * 2, x)[0]
    assert out.dtype == np.float32
    assert fnp.dtype("float32") == np.float32
    assert fnp.finfo(fnp.float32).eps == np.finfo(np.float32).eps
    assert fnp.iinfo(fnp.int32).max == 2 ** 31 - 1
    assert fnx_ir.dtype(fnp.uint32) is fnx_ir.uint32
    assert fnp.result_type(np.float32, 1.0) == np.float32
    assert fnp.result_type(np.int32, np.float32) == np.float32
    assert fnp.shape(np.ones((2, 3))) == (2, 3) and fnp.ndim(3.0) == 0 and fnp.size(np.ones((2, 3))) == 6
    assert isinstance(x, fnp.ndarray)
    traced(lambda a: isinstance(a, fnp.ndarray) or (_ for _ in ()).throw(AssertionError), x)
    assert not isinstance([1], fnp.ndarray)


FLOAT_EDGES = [np.nan, 1e10, -1e10, np.inf, -np.inf, 2.7, -2.7, -0.0, 2.0**31 - 0.5, -2.0**31 - 1,
               2.0**31, 2.0**63, -2.0**63, 2.0**64, 4294967295.5]


@pytest.mark.x64  # float64 sources and int64 targets
@pytest.mark.parametrize("src", [np.float32, np.float64], ids=lambda d: d.__name__)
@pytest.mark.parametrize("dst", [np.int32, np.uint32, np.int64, np.bool_], ids=lambda d: d.__name__)
def test_float_to_int_conversion_saturates_everywhere(src, dst):
    """One semantics (docs/semantics.md: truncate, saturate to the target range, NaN -> 0) for
    fnp.array/asarray with a dtype, fnp.astype, a scalar type called as a function, a literal
    (fnp.full) and convert_element_type under jit, without a numpy RuntimeWarning."""
    x = np.array(FLOAT_EDGES, src)
    if dst is np.bool_:
        want = x != 0
    else:
        info = np.iinfo(dst)
        want = np.array([0 if v != v else info.max if v >= info.max else info.min if v <= info.min
                         else int(v) for v in x.tolist()], dst)
    want = want.astype(fnx_ir.dtype(dst).np)  # the dtype fnx canonicalises `dst` to
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = [fnp.array(x, dtype=dst), fnp.asarray(x, dtype=dst), fnp.astype(x, dst),
               fnp.asarray(list(x), dtype=dst), fnx.jit(lambda x: x.astype(dst))(x),
               fnx.jit(lambda x: fnp.astype(x, dst), backend="interpreter")(x)]
        got += [np.array([fnp.full((), v, dst) for v in x.tolist()]),
                np.array([fnx.jit(lambda: fnp.full((), v, dst))() for v in x.tolist()])]
    for g in got:
        assert_same(np.asarray(g), want, check_type=False)


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
