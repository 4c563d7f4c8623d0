"""`pow` at its special values: C99 `pow` (as JAX on CPU), eagerly, on the interpreter and on
the CPU backend, bit for bit where the result is special (NaN, ±inf, ±0, ±1); elsewhere within
the mathlib's stated ULPs. numpy's own loop differs for a scalar exponent of 0.5 (a sqrt
shortcut: sqrt(-inf) = nan, sqrt(-0) = -0), which the interpreter used to inherit."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from test_cpu import MAX_ULP, ulp_distance

SPECIAL = [-np.inf, -3.0, -2.5, -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0, np.inf, np.nan,
           1e-30, 1e30, -1e30, 1 / 3]

# (x, y, pow(x, y)) from C99 Annex F, which JAX's CPU results follow
KNOWN = [(-np.inf, 0.5, np.inf), (-0.0, 0.5, 0.0), (0.0, -1.0, np.inf), (-0.0, -1.0, -np.inf),
         (-0.0, -2.0, np.inf), (-0.0, -0.5, np.inf), (-0.0, 3.0, -0.0), (np.nan, 0.0, 1.0),
         (np.nan, -0.0, 1.0), (1.0, np.nan, 1.0), (1.0, np.inf, 1.0), (-1.0, np.inf, 1.0),
         (-1.0, -np.inf, 1.0), (-2.0, 0.5, np.nan), (-np.inf, 3.0, -np.inf), (-np.inf, -3.0, -0.0),
         (-np.inf, -0.5, 0.0), (0.5, np.inf, 0.0), (0.5, -np.inf, np.inf), (2.0, -np.inf, 0.0),
         (np.inf, -0.5, 0.0), (np.nan, 1.0, np.nan), (2.0, np.nan, np.nan)]


def same_bits(got, want):
    return (got == want) & (np.signbit(got) == np.signbit(want)) | (np.isnan(got) & np.isnan(want))


@pytest.mark.parametrize("dtype", [np.float32, pytest.param(np.float64, marks=pytest.mark.x64)],
                         ids=lambda d: d.__name__)
def test_pow_known_special_values(dtype):
    x, y, want = (np.array(v, dtype) for v in zip(*KNOWN))
    f = lambda x, y: lax.pow(x, y)  # noqa: E731
    for got in (f(x, y), fnx.jit(f, backend="interpreter")(x, y), fnx.jit(f)(x, y)):
        ok = same_bits(np.asarray(got), want)
        assert ok.all(), list(zip(x[~ok], y[~ok], np.asarray(got)[~ok]))


@pytest.mark.parametrize("dtype", [np.float32, pytest.param(np.float64, marks=pytest.mark.x64)],
                         ids=lambda d: d.__name__)
def test_pow_scalar_exponents_agree_everywhere(dtype):
    """fnp.power(x, e) with e a Python scalar, a 0-d array or a full array, eagerly and jitted
    on both backends: the same special results, bit for bit; the rest within MAX_ULP."""
    x = np.array(SPECIAL, dtype)
    for e in SPECIAL:
        with np.errstate(all="ignore"):
            want = np.power(x, np.full(x.shape, e, dtype))  # C pow, elementwise
        special = ~np.isfinite(want) | (want == 0) | (np.abs(want) == 1)
        ys = (e, np.array(e, dtype), np.full(x.shape, e, dtype))
        runs = [fnp.power(x, y) for y in ys]
        runs += [fnx.jit(lambda x, y: fnp.power(x, y), backend=b)(x, y) for b in ("interpreter", "cpu")
                 for y in ys[1:]]
        runs += [fnx.jit(lambda x: fnp.power(x, e), backend=b)(x) for b in ("interpreter", "cpu")]
        for got in runs:
            got = np.asarray(got)
            assert got.dtype == dtype
            bad = special & ~same_bits(got, want) | (ulp_distance(got, want) > MAX_ULP)
            assert not bad.any(), (e, x[bad], got[bad], want[bad])


@pytest.mark.parametrize("dtype", [np.float32, pytest.param(np.float64, marks=pytest.mark.x64)],
                         ids=lambda d: d.__name__)
def test_pow_grid_of_special_values_cpu_vs_interpreter(dtype):
    x, y = (np.array(v, dtype) for v in zip(*itertools.product(SPECIAL, SPECIAL)))
    want = np.asarray(fnx.jit(lax.pow, backend="interpreter")(x, y))
    got = np.asarray(fnx.jit(lax.pow)(x, y))
    special = ~np.isfinite(want) | (want == 0) | (np.abs(want) == 1)
    assert same_bits(got, want)[special].all()
    assert (ulp_distance(got, want) <= MAX_ULP).all()


def test_integer_power_with_negative_exponent_arrays_agrees_eagerly_and_jitted():
    """An array of negative exponents: x ** y truncated (1, -1 by parity, or 0) everywhere; a
    negative Python scalar exponent raises (as JAX)."""
    x = np.array([0, 1, -1, 2, -2, 3, 7, -1], np.int32)
    y = np.array([-1, -3, -3, -1, -2, 0, 2, -2], np.int32)
    want = np.array([0, 1, -1, 0, 0, 1, 49, 1], np.int32)
    f = lambda x, y: fnp.power(x, y)  # noqa: E731
    for got in (f(x, y), fnx.jit(f, backend="interpreter")(x, y), fnx.jit(f)(x, y)):
        np.testing.assert_array_equal(np.asarray(got), want)
    with pytest.raises(ValueError, match="negative"):
        fnp.power(x, -1)
