"""Reductions of fnx.numpy vs numpy: sum/mean/var/std/max/argmax/any/cumsum... over axes,
keepdims, dtype=, where=, initial=, ddof; eager and traced."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx.numpy as fnp

from fnp_util import DTYPES, FLOATS, NUMERIC, arrays, assert_same, check, tol

# numpy accumulates uint32 sums/products in uint64; fnx keeps uint32 (documented).
def _np_acc(f):
    def ref(x, *args, **kwargs):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = np.asarray(f(x, *args, **kwargs))
        if out.dtype == np.uint64:
            out = out.astype(np.uint32)
        return out
    return ref


def _axes_for(ndim):
    out = [None]
    out += list(range(-ndim, ndim))
    if ndim >= 2:
        out += [(0, ndim - 1), tuple(range(ndim))]
    return out


def _x(dtype, shape=(2, 3, 4)):
    n = int(np.prod(shape))
    d = np.dtype(dtype)
    if d.kind == "b":
        return (np.arange(n) % 3 == 0).reshape(shape)
    if d.kind == "f":
        return ((np.arange(n) * 7 % 11) - 5.5).astype(d).reshape(shape) / 3
    if d.kind == "u":
        return (np.arange(n) * 7 % 11).astype(d).reshape(shape)
    return ((np.arange(n) * 7 % 11) - 5).astype(d).reshape(shape)


EXACT = ["sum", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "any", "all",
         "count_nonzero", "ptp"]
CLOSE = ["mean", "var", "std"]


@pytest.mark.parametrize("name", EXACT + CLOSE)
@pytest.mark.parametrize("dtype", DTYPES)
def test_reduction_axes_keepdims(name, dtype):
    x = _x(dtype)
    np_f = _np_acc(getattr(np, name))
    fnp_f = getattr(fnp, name)
    for axis in _axes_for(x.ndim):
        if name in ("argmax", "argmin") and isinstance(axis, tuple):
            continue
        for keepdims in (False, True):
            if name == "ptp" and np.dtype(dtype).kind == "b":
                with pytest.raises(TypeError):
                    fnp_f(x, axis=axis, keepdims=keepdims)
                continue
            want = np_f(x, axis=axis, keepdims=keepdims)
            rt = tol(want.dtype, 4) if name in CLOSE else 0.0
            check(lambda a: fnp_f(a, axis=axis, keepdims=keepdims),
                  lambda a: np_f(a, axis=axis, keepdims=keepdims), x, rtol=rt)


@settings(max_examples=25)
@given(data=st.data())
@pytest.mark.parametrize("name", ["sum", "mean", "max", "argmin", "var", "any", "prod"])
def test_reduction_hypothesis(name, data):
    dtype = data.draw(st.sampled_from(DTYPES))
    x = data.draw(arrays(dtype))
    axis = data.draw(st.sampled_from(_axes_for(x.ndim)))
    np_f = _np_acc(getattr(np, name))
    if name in ("argmin",) and isinstance(axis, tuple):
        axis = None
    try:
        want = np_f(x, axis=axis)
    except ValueError:  # empty max/argmin: fnx raises too
        with pytest.raises(ValueError):
            getattr(fnp, name)(x, axis=axis)
        return
    rt = tol(want.dtype, 8) if name in ("mean", "var") else 0.0
    if name == "prod" and want.dtype.kind == "f":
        rt = tol(want.dtype, 8)  # numpy multiplies in a different order along tuples of axes
    check(lambda a: getattr(fnp, name)(a, axis=axis), lambda a: np_f(a, axis=axis), x, rtol=rt,
          atol=1e-12 if name == "var" else 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sum_prod_dtype_argument(dtype):
    x = _x(dtype)
    for d in (np.float32, np.float64, np.int64, np.int32):
        check(lambda a: fnp.sum(a, axis=1, dtype=d), lambda a: np.sum(a, axis=1, dtype=d), x)
        check(lambda a: fnp.prod(a, axis=0, dtype=d), lambda a: np.prod(a, axis=0, dtype=d), x)
    check(lambda a: fnp.mean(a, dtype=np.float32), lambda a: np.mean(a, dtype=np.float32), x,
          rtol=1e-6)


def test_where_and_initial():
    x = _x(np.float64)
    w = x > 0
    for name in ("sum", "prod", "mean", "any", "all"):
        check(lambda a: getattr(fnp, name)(a, axis=1, where=w),
              lambda a: getattr(np, name)(a, axis=1, where=w), x, rtol=1e-13)
    check(lambda a: fnp.max(a, axis=2, initial=-1.0, where=w),
          lambda a: np.max(a, axis=2, initial=-1.0, where=w), x)
    check(lambda a: fnp.min(a, initial=0.25), lambda a: np.min(a, initial=0.25), x)
    check(lambda a: fnp.sum(a, initial=10), lambda a: np.sum(a, initial=10), x)
    check(lambda a: fnp.var(a, axis=0, where=w), lambda a: np.var(a, axis=0, where=w), x,
          rtol=1e-12)
    with pytest.raises(ValueError):
        fnp.max(x, where=w)


def test_empty_reductions():
    x = np.zeros((0, 3), np.float32)
    check(fnp.sum, np.sum, x)
    check(lambda a: fnp.prod(a, axis=0), lambda a: np.prod(a, axis=0), x)
    check(lambda a: fnp.any(a, axis=0), lambda a: np.any(a, axis=0), x)
    check(lambda a: fnp.max(a, axis=1), lambda a: np.max(a, axis=1), x)
    for f in (fnp.max, fnp.argmax, fnp.min):
        with pytest.raises(ValueError):
            f(x, axis=0)
    check(lambda a: fnp.max(a, axis=0, initial=3.0), lambda a: np.max(a, axis=0, initial=3.0), x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_nan_handling(dtype):
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan], [-1.0, 2.0, 0.5]], dtype)
    for name in ("max", "min", "argmax", "argmin", "sum", "mean"):
        check(lambda a: getattr(fnp, name)(a, axis=1), lambda a: getattr(np, name)(a, axis=1), x,
              rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("nansum", "nanprod", "nanmax", "nanmin", "nanmean", "nanvar", "nanstd",
                     "nancumsum", "nancumprod"):
            kw = {"axis": 1}
            check(lambda a: getattr(fnp, name)(a, **kw), lambda a: getattr(np, name)(a, **kw), x,
                  rtol=1e-6)
    y = x[[0, 2]]
    check(lambda a: fnp.nanargmax(a, axis=1), lambda a: np.nanargmax(a, axis=1), y)
    check(lambda a: fnp.nanargmin(a, axis=1), lambda a: np.nanargmin(a, axis=1), y)


@pytest.mark.parametrize("ddof", [0, 1, 2, 5])
@pytest.mark.parametrize("dtype", NUMERIC)
def test_var_std_ddof(ddof, dtype):
    x = _x(dtype, (3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("var", "std"):
            for axis in (None, 0, 1):
                check(lambda a: getattr(fnp, name)(a, axis=axis, ddof=ddof),
                      lambda a: getattr(np, name)(a, axis=axis, ddof=ddof), x,
                      rtol=tol(np.float32 if dtype == np.float32 else np.float64, 8))


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cumulative(name, dtype):
    x = _x(dtype, (2, 3, 2))
    np_f = _np_acc(getattr(np, name))
    for axis in (None, 0, 1, -1):
        check(lambda a: getattr(fnp, name)(a, axis=axis), lambda a: np_f(a, axis=axis), x)
    check(lambda a: getattr(fnp, name)(a, axis=1, dtype=np.float64),
          lambda a: np_f(a, axis=1, dtype=np.float64), x)


def test_cumulative_sum_include_initial():
    x = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    check(lambda a: fnp.cumulative_sum(a, axis=1, include_initial=True),
          lambda a: np.cumulative_sum(a, axis=1, include_initial=True), x)
    check(lambda a: fnp.cumulative_prod(a, axis=0),
          lambda a: np.cumulative_prod(a, axis=0), x)


def test_average():
    x = np.arange(12.0).reshape(3, 4)
    w = np.array([1.0, 2.0, 0.5, 1.0])
    check(fnp.average, np.average, x)
    check(lambda a: fnp.average(a, axis=1, weights=w), lambda a: np.average(a, axis=1, weights=w),
          x, rtol=1e-13)
    check(lambda a: fnp.average(a, axis=1, weights=w, returned=True),
          lambda a: np.average(a, axis=1, weights=w, returned=True), x, rtol=1e-13)


@pytest.mark.x64  # numpy's int64 accumulators as the reference
def test_method_reductions_on_tracers():
    from fnp_util import traced
    x = _x(np.float32, (3, 4))
    outs = traced(lambda a: (a.sum(), a.mean(axis=0), a.max(1), a.min(), a.argmax(0), a.std(),
                             a.prod(1), a.any(), a.all(0), a.cumsum(1), a.ptp()), x)
    wants = [x.sum(), x.mean(axis=0), x.max(1), x.min(), x.argmax(0), x.std(), x.prod(1),
             x.any(), x.all(0), x.cumsum(1), np.ptp(x)]
    for o, w in zip(outs, wants):
        assert_same(o, np.asarray(w), rtol=1e-6, check_type=False)


