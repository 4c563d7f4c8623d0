"""Sorting and order statistics vs numpy: sort/argsort (stable, NaN last), lexsort, searchsorted,
unique (concrete, and traced with size=), median, quantile, percentile."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx.numpy as fnp

from fnp_util import DTYPES, arrays, assert_same, check, traced


@settings(max_examples=40)
@given(data=st.data())
def test_sort_argsort_hypothesis(data):
    dtype = data.draw(st.sampled_from(DTYPES))
    x = data.draw(arrays(dtype, elements=st.integers(-3, 3).map(lambda v: np.dtype(dtype).type(
        abs(v) if np.dtype(dtype).kind == "u" else v))))
    if x.ndim == 0:
        x = x.reshape(1)
    axis = data.draw(st.sampled_from([None, 0, -1]))
    check(lambda a: fnp.sort(a, axis=axis), lambda a: np.sort(a, axis=axis), x)
    check(lambda a: fnp.argsort(a, axis=axis), lambda a: np.argsort(a, axis=axis, stable=True), x)


def test_sort_nan_and_descending():
    x = np.array([[3.0, np.nan, -1.0, 3.0, -np.inf], [0.0, -0.0, np.nan, 2.0, 1.0]])
    check(fnp.sort, np.sort, x)
    check(fnp.argsort, lambda a: np.argsort(a, kind="stable"), x)
    check(lambda a: fnp.sort(a, axis=0), lambda a: np.sort(a, axis=0), x)
    y = np.array([3, 1, 2, 1, 3])
    check(lambda a: fnp.sort(a, descending=True), lambda a: np.sort(a)[::-1], y)
    # stable descending: ties keep their original order
    check(lambda a: fnp.argsort(a, descending=True), lambda a: np.array([0, 4, 2, 1, 3]), y)
    check(lambda a: fnp.msort(a), lambda a: np.sort(a, axis=0), x)


def test_lexsort():
    a = np.array([1, 5, 1, 4, 3, 4, 4])
    b = np.array([9, 4, 0, 4, 0, 2, 1])
    check(lambda x, y: fnp.lexsort((x, y)), lambda x, y: np.lexsort((x, y)), a, b)
    check(lambda x, y: fnp.lexsort([y, x]), lambda x, y: np.lexsort([y, x]), a, b)


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted(side):
    a = np.array([-np.inf, 1.0, 2.0, 2.0, 2.0, 5.0, np.nan])
    v = np.array([[-np.inf, 0.0, 1.0, 2.0], [2.5, 5.0, 7.0, np.nan]])
    check(lambda x, y: fnp.searchsorted(x, y, side=side),
          lambda x, y: np.searchsorted(x, y, side=side), a, v)
    for n in range(0, 9):
        s = np.arange(n) * 2
        q = np.arange(-1, 2 * n + 1)
        check(lambda x, y: fnp.searchsorted(x, y, side=side),
              lambda x, y: np.searchsorted(x, y, side=side), s, q)
    check(lambda x: fnp.searchsorted(x, 2, side=side), lambda x: np.searchsorted(x, 2, side=side), a)
    perm = np.array([2, 0, 1])
    check(lambda x: fnp.searchsorted(x, [2, 4], sorter=perm),
          lambda x: np.searchsorted(x, [2, 4], sorter=perm), np.array([3, 1, 2]))


def test_unique():
    x = np.array([[3, 1, 2], [1, 3, 7]])
    for flags in [(False, False, False), (True, True, True), (True, False, True)]:
        want = np.unique(x, *flags)
        got = fnp.unique(x, *flags)
        assert_same(got, want)
    f = np.array([1.0, np.nan, 1.0, np.nan, -2.0])
    assert_same(fnp.unique(f), np.unique(f))
    for size in (2, 4, 6):
        got = traced(lambda a: fnp.unique(a, return_index=True, return_inverse=True,
                                          return_counts=True, size=size), x)
        vals, idx, inv, cnt = np.unique(x, True, True, True)
        k = min(size, vals.size)
        np.testing.assert_array_equal(got[0][:k], vals[:k])
        np.testing.assert_array_equal(got[0][k:], vals[0])  # padded with the smallest value
        np.testing.assert_array_equal(got[1][:k], idx[:k])
        np.testing.assert_array_equal(got[2], inv.reshape(x.shape))
        np.testing.assert_array_equal(got[3][:k], cnt[:k])
        np.testing.assert_array_equal(got[3][k:], 0)
    got = traced(lambda a: fnp.unique(a, size=5, fill_value=-1), f)[0]
    np.testing.assert_array_equal(got, [-2.0, 1.0, np.nan, -1, -1])


@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.float64])
def test_median_quantile_percentile(dtype):
    x = (np.arange(24) * 7 % 11).astype(dtype).reshape(2, 3, 4)
    for axis in (None, -1, (0, 2)):
        for keepdims in (False, True):
            check(lambda a: fnp.median(a, axis=axis, keepdims=keepdims),
                  lambda a: np.median(a, axis=axis, keepdims=keepdims), x, rtol=1e-6)
            for q in ((0.0, 0.3, 1.0)[len(str(axis)) % 3], [0.1, 0.5, 0.9]):
                for method in ("linear", "lower", "higher", "midpoint", "nearest"):
                    check(lambda a: fnp.quantile(a, q, axis=axis, method=method, keepdims=keepdims),
                          lambda a: np.quantile(a, q, axis=axis, method=method, keepdims=keepdims),
                          x, rtol=1e-6)
    check(lambda a: fnp.percentile(a, 30.0, axis=1), lambda a: np.percentile(a, 30.0, axis=1), x,
          rtol=1e-6)


def test_median_quantile_nan():
    x = np.array([[1.0, np.nan, 3.0, 2.0], [4.0, 1.0, 2.0, 0.0]])
    check(lambda a: fnp.median(a, axis=1), lambda a: np.median(a, axis=1), x)
    check(lambda a: fnp.quantile(a, 0.25, axis=1), lambda a: np.quantile(a, 0.25, axis=1), x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda a: fnp.nanmedian(a, axis=1), lambda a: np.nanmedian(a, axis=1), x)
        check(lambda a: fnp.nanquantile(a, 0.25, axis=1), lambda a: np.nanquantile(a, 0.25, axis=1), x)
        check(lambda a: fnp.nanpercentile(a, 75, axis=1), lambda a: np.nanpercentile(a, 75, axis=1), x)


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
