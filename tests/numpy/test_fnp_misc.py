"""isclose/allclose/array_equal, r_/c_, isin, digitize, bincount, interp, convolve, polyval, ..."""
from __future__ import annotations

import numpy as np
import pytest

import fnx.numpy as fnp

from fnp_util import FLOATS, assert_same, check, traced


@pytest.mark.parametrize("dtype", FLOATS + [np.int32, np.int64])
def test_isclose(dtype):
    with np.errstate(invalid="ignore"):  # inf/nan cast to int
        a = np.array([1.0, 1.0 + 1e-6, np.inf, -np.inf, np.nan, 0.0, 1e-9, 100.0]).astype(dtype)
        b = np.array([1.0, 1.0, np.inf, np.inf, np.nan, 1e-9, 0.0, 100.001]).astype(dtype)
    check(fnp.isclose, np.isclose, a, b)
    check(lambda x, y: fnp.isclose(x, y, equal_nan=True), lambda x, y: np.isclose(x, y, equal_nan=True), a, b)
    check(lambda x, y: fnp.isclose(x, y, rtol=0, atol=1e-3), lambda x, y: np.isclose(x, y, rtol=0, atol=1e-3), a, b)
    check(lambda x: fnp.isclose(x, 1), lambda x: np.isclose(x, 1), a)
    assert fnp.allclose(a[:2], b[:2]) is True
    assert fnp.allclose(a, b) is np.allclose(a, b)
    assert fnp.allclose(a, a, equal_nan=True) is np.allclose(a, a, equal_nan=True)


def test_array_equal_equiv():
    a = np.array([1.0, np.nan])
    assert fnp.array_equal(a, a) is False
    assert fnp.array_equal(a, a, equal_nan=True) is True
    assert fnp.array_equal(a, a[:1]) is False
    assert fnp.array_equiv(np.ones((2, 3)), np.ones(3)) is True
    assert fnp.array_equiv(np.ones((2, 3)), np.ones(2)) is False
    out = traced(lambda x: fnp.array_equal(x, x * 1), np.arange(3.0))[0]
    assert out.dtype == bool and out


def test_r_c_ix():
    a, b = np.array([1, 2, 3]), np.array([4, 5, 6])
    assert_same(fnp.r_[a, b], np.r_[a, b])
    assert_same(fnp.r_[a, 0, b], np.r_[a, 0, b])
    assert_same(fnp.r_[0:5], np.r_[0:5])
    assert_same(fnp.r_[1:4:2, 7, a], np.r_[1:4:2, 7, a])
    assert_same(fnp.r_[0:1:5j], np.r_[0:1:5j])
    assert_same(fnp.c_[a, b], np.c_[a, b])
    assert_same(fnp.c_[np.ones((3, 2)), a], np.c_[np.ones((3, 2)), a])
    out = traced(lambda x: fnp.r_[x, x * 2], np.arange(2.0))[0]
    np.testing.assert_array_equal(out, [0, 1, 0, 2])
    with pytest.raises(NotImplementedError):
        fnp.r_["0,2", a, b]
    x = np.arange(20).reshape(4, 5)
    ix = fnp.ix_([0, 2], [1, 3, 4])
    assert_same(fnp._getitem(x, ix), x[np.ix_([0, 2], [1, 3, 4])])
    assert_same(fnp._getitem(x, fnp.ix_(np.array([True, False, True, False]), [0])),
                x[np.ix_(np.array([True, False, True, False]), [0])])
    assert fnp.s_[1:2] == np.s_[1:2]


def test_isin_digitize_bincount():
    x = np.array([[1, 5, 3], [2, 2, 9]])
    check(lambda a: fnp.isin(a, [2, 3]), lambda a: np.isin(a, [2, 3]), x)
    check(lambda a: fnp.isin(a, np.array([9]), invert=True), lambda a: np.isin(a, np.array([9]), invert=True), x)
    bins = np.array([0.0, 1.0, 2.5, 4.0])
    v = np.array([-1.0, 0.0, 1.0, 2.0, 2.5, 4.0, 10.0])
    for right in (False, True):
        check(lambda a: fnp.digitize(a, bins, right), lambda a: np.digitize(a, bins, right), v)
        check(lambda a: fnp.digitize(a, bins[::-1].copy(), right),
              lambda a: np.digitize(a, bins[::-1], right), v)
    y = np.array([0, 1, 1, 3, 2, 1, 7])
    check(fnp.bincount, np.bincount, y, trace=False)
    check(lambda a: fnp.bincount(a, minlength=10), lambda a: np.bincount(a, minlength=10), y, trace=False)
    w = np.linspace(0, 1, 7)
    check(lambda a: fnp.bincount(a, w), lambda a: np.bincount(a, w), y, trace=False)
    out = traced(lambda a: fnp.bincount(a, length=5), y)[0]
    np.testing.assert_array_equal(out, np.bincount(y)[:5])


def test_interp():
    xp = np.array([0.0, 1.0, 2.5, 4.0])
    fp = np.array([1.0, 3.0, -1.0, 0.5])
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 2.5, 3.9, 4.0, 5.0])
    check(lambda a: fnp.interp(a, xp, fp), lambda a: np.interp(a, xp, fp), x, rtol=1e-15)
    check(lambda a: fnp.interp(a, xp, fp, left=-9, right=9),
          lambda a: np.interp(a, xp, fp, left=-9, right=9), x, rtol=1e-15)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_convolve_correlate(mode):
    a = np.array([1.0, 2.0, -1.0, 0.5, 3.0])
    for v in (np.array([1.0, -1.0]), np.array([0.5, 1.0, 2.0]), np.array([2.0]), np.arange(7.0)):
        check(lambda x, y: fnp.convolve(x, y, mode), lambda x, y: np.convolve(x, y, mode), a, v,
              rtol=1e-14)
        check(lambda x, y: fnp.correlate(x, y, mode), lambda x, y: np.correlate(x, y, mode), a, v,
              rtol=1e-14)
    check(lambda x, y: fnp.convolve(x, y), lambda x, y: np.convolve(x, y), np.arange(4), np.arange(3))


def test_polys_trapezoid_indices():
    p = np.array([2.0, -1.0, 0.5])
    x = np.linspace(-2, 2, 5)
    check(fnp.polyval, np.polyval, p, x, rtol=1e-15)
    check(fnp.vander, np.vander, x)
    check(lambda a: fnp.vander(a, 2, increasing=True), lambda a: np.vander(a, 2, increasing=True), x)
    y = np.arange(12.0).reshape(3, 4) ** 2
    check(fnp.trapezoid, np.trapezoid, y)
    check(lambda a: fnp.trapezoid(a, dx=0.5, axis=0), lambda a: np.trapezoid(a, dx=0.5, axis=0), y)
    check(lambda a: fnp.trapezoid(a, x=np.array([0, 1, 3, 4.0])),
          lambda a: np.trapezoid(a, x=np.array([0, 1, 3, 4.0])), y)
    for name, args in [("tril_indices", (4,)), ("triu_indices", (4, 1)), ("diag_indices", (3,))]:
        assert_same(getattr(fnp, name)(*args), tuple(getattr(np, name)(*args)))
    assert_same(fnp.triu_indices_from(y), tuple(np.triu_indices_from(y)))


def test_not_implemented_names():
    with pytest.raises(NotImplementedError, match="fnx.numpy.histogramdd is not implemented"):
        fnp.histogramdd
    with pytest.raises(NotImplementedError):
        fnp.fft
    assert not hasattr(fnp, "histogramdd")  # also an AttributeError
    with pytest.raises(AttributeError):
        fnp.no_such_function_anywhere
    for name in ["sum", "mean", "where", "einsum", "take", "pad", "sort", "nonzero", "unique",
                 "tensordot", "meshgrid", "r_", "c_", "select", "kron", "rot90", "atleast_3d",
                 "array_split", "column_stack", "dstack", "diff", "isclose", "allclose"]:
        assert callable(getattr(fnp, name)) or name in ("r_", "c_"), name


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
