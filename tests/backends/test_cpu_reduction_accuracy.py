"""Float32 sums over 10^7 elements under jit are at least as accurate as numpy's pairwise
summation: long inner reductions add blocks of SUM_BLOCK terms and combine the block sums in
float64 (`emit.fused.blocked_sum`). The vectorised running sum alone lost ~n/64 roundings (sum of
squares of 10^7 float32 values: 2.2e-5 relative error; numpy 3e-8)."""
from __future__ import annotations

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp

N = 10**7
BOUND = 3e-7  # relative error (about 5 float32 roundings); numpy gets 3e-8 .. 1.3e-7 here


@pytest.fixture(scope="module")
def x():
    # positive values: every rounding error of a running sum accumulates in the same direction
    return np.tile(np.random.default_rng(0).random(N // 100, dtype=np.float32), 100)


def exact(a, axis=None):
    """float64 (sum, sum of squares, count) of a 2-D array over `axis` (None: all), a block of
    rows at a time through one float64 buffer (an 80 MB float64 copy costs seconds here)."""
    rows = max(1, 10**5 // a.shape[1])
    buf = np.empty((rows, a.shape[1]))
    acc1, acc2, per_row1, per_row2 = np.zeros(a.shape[1]), np.zeros(a.shape[1]), [], []
    for i in range(0, a.shape[0], rows):
        b = buf[:min(rows, a.shape[0] - i)]
        np.copyto(b, a[i:i + rows])
        if axis == 1:
            per_row1.append(b.sum(1))
            per_row2.append(np.einsum("ij,ij->i", b, b))
        else:
            acc1 += b.sum(0)
            acc2 += np.einsum("ij,ij->j", b, b)
    if axis == 1:
        return np.concatenate(per_row1), np.concatenate(per_row2), a.shape[1]
    return (acc1, acc2, a.shape[0]) if axis == 0 else (acc1.sum(), acc2.sum(), a.size)


@pytest.fixture(scope="module")
def moments(x):
    return exact(x.reshape(100, -1))


def reference(name, s1, s2, n):
    return {"sum": s1, "sum of squares": s2, "mean": s1 / n, "var": s2 / n - (s1 / n) ** 2}[name]


def rel_error(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.max(np.abs(got - want) / np.abs(want)))


FULL = {"sum": lambda a: a.sum(), "sum of squares": lambda a: (a * a).sum(),
        "mean": lambda a: a.mean(), "var": lambda a: a.var()}


@pytest.mark.parametrize("name", FULL)
def test_full_reductions_of_1e7_float32(x, moments, name):
    want = reference(name, *moments)
    got = fnx.jit(FULL[name])(x)
    assert np.asarray(got).dtype == np.float32
    err = rel_error(got, want)
    assert err <= BOUND, f"{name}: relative error {err:.2e} > {BOUND:.0e}"
    assert err <= 2 * rel_error(FULL[name](x), want) + 1e-7  # not worse than numpy's (to rounding)


@pytest.mark.parametrize("shape,axis", [((10, 10**6), 1), ((10**5, 100), 0)])
def test_axis_reductions_of_1e7_float32(x, shape, axis):
    """Sums and variances along an axis: the contiguous (inner) case within BOUND; a reduction
    over an outer axis adds row after row, as numpy does, and is as accurate as numpy."""
    a = x.reshape(shape)
    moments = exact(a, axis)
    for name, f, ref in (("sum", fnp.sum, np.sum), ("var", fnp.var, np.var)):
        want = reference(name, *moments)
        err = rel_error(fnx.jit(lambda a: f(a, axis=axis))(a), want)
        numpy_err = rel_error(ref(a, axis=axis), want)
        assert err <= max(BOUND, 1.01 * numpy_err), (name, err, numpy_err)
        if axis == len(shape) - 1:
            assert err <= BOUND, (name, err)


@pytest.mark.parametrize("dtype", [np.float32, pytest.param(np.float64, marks=pytest.mark.x64)],
                         ids=lambda d: d.__name__)
def test_blocked_sums_keep_special_values(dtype):
    """Around the block size and with inf, NaN, -0.0 and overflow, the blocked sum gives the
    interpreter's special results (and its value to rounding otherwise)."""
    from fnx.backends.cpu.emit.fused import SUM_BLOCK
    f = fnx.jit(lambda a: a.sum(axis=-1))
    big = np.finfo(dtype).max
    for n in (SUM_BLOCK - 1, SUM_BLOCK, SUM_BLOCK + 1, 2 * SUM_BLOCK, 3 * SUM_BLOCK + 7):
        rows = np.ones((7, n), dtype)
        rows[1, n // 2] = np.inf
        rows[2, 0], rows[2, -1] = np.inf, -np.inf
        rows[3, n - 1] = np.nan
        rows[4] = -0.0
        rows[5] = big / 4
        rows[6] = np.arange(n) % 3 - 1  # sums exactly to a small integer
        got = np.asarray(f(rows))
        want = np.asarray(fnx.jit(lambda a: a.sum(axis=-1), backend="interpreter")(rows))
        np.testing.assert_array_equal(got[1:6], want[1:6])  # inf, nan, inf-inf, zero, overflow
        np.testing.assert_array_equal(got[[0, 6]], want[[0, 6]])  # exact sums stay exact
