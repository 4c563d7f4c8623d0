"""Indexing: `x[idx]` on traced values vs numpy (basic, advanced with numpy's placement rules,
boolean masks), clamping of traced indices, `.at[...]` updates vs numpy references, take,
take_along_axis, diagonal, nonzero/argwhere with size=."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.numpy._indexing import NonConcreteBooleanIndexError

from fnp_util import DTYPES, arrays, assert_same, check, traced

X = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)

INDICES = [
    0, -1, 1, (1, 2), (0, -1, 2, -3), (slice(None), 1), (Ellipsis, 0), (0, Ellipsis),
    (Ellipsis,), (), (None,), (None, 0, None), (0, None, Ellipsis, None),
    slice(None, None, -1), (slice(1, None), slice(None, None, 2)), (slice(3, 0, -2), Ellipsis),
    (slice(-2, None), slice(None, -1), slice(1, 3), slice(None, None, -3)),
    (slice(10, 20),), (slice(None), slice(5, 1, -1)), (slice(-100, 100, 3),),
    ([0, 1],), ([1, 0, 1],), ([[0], [1]],), (slice(None), [2, 0, -1]),
    (0, [0, 2], 1), ([0, 1], slice(None), [1, 2]), ([0, 1], [2, 0]),
    (slice(None), [0, 1, 2], [1, 2, 3]), (slice(None), [[0, 1], [2, 0]], slice(1, 3), [1, 4]),
    (Ellipsis, [1, 3]), (Ellipsis, [1, 3], slice(None)), ([1], None, [2]),
    (slice(None), [1], None, [2]), (None, [0, 1], [1, 2]), (1, slice(None), [0, 3]),
    (np.array([[0, 1], [1, 0]]),), (np.array(1), slice(None), [0, 1]), (np.int64(1), 2),
    ([],), (slice(None), []), (True,), (False,), (None, True),
    (X[:, 0, 0, 0] > 10,), (slice(None), np.array([True, False, True])),
    (slice(None), X[0, :, :, 0] > 20), (Ellipsis, np.array([True, False, False, True, True])),
    (0, X[0, :, :, 0] > 7), (np.array([True, False]), slice(None), [0, 3]),
    (slice(None), slice(None), slice(None), slice(None)),
]



@pytest.mark.parametrize("idx", INDICES, ids=[repr(i)[:40] for i in INDICES])
def test_getitem_vs_numpy(idx):
    want = X[idx]
    got = fnp._getitem(X, idx)
    assert_same(got, np.asarray(want))
    out = traced(lambda a: a[idx], X)[0]
    assert_same(out, np.asarray(want), check_type=False)


@settings(max_examples=60)
@given(data=st.data())
def test_basic_indices_hypothesis(data):
    dtype = data.draw(st.sampled_from(DTYPES))
    x = data.draw(arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)))
    idx = data.draw(hnp.basic_indices(x.shape, allow_newaxis=True, allow_ellipsis=True))
    want = x[idx]
    assert_same(traced(lambda a: a[idx], x)[0], np.asarray(want), check_type=False)
    assert_same(fnp._getitem(x, idx), np.array(want))


@settings(max_examples=40)
@given(data=st.data())
def test_integer_array_indices_hypothesis(data):
    x = data.draw(arrays(np.int32, hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)))
    idx = data.draw(hnp.integer_array_indices(x.shape, result_shape=hnp.array_shapes(
        min_dims=0, max_dims=2, max_side=3)))
    want = x[idx]
    assert_same(fnp._getitem(x, idx), np.asarray(want))
    # the same index arrays, traced
    out = traced(lambda a, *ix: a[ix], x, *idx)[0]
    assert_same(out, np.asarray(want), check_type=False)


@settings(max_examples=40)
@given(data=st.data())
def test_mixed_indices_hypothesis(data):
    """Slices, ints, None and arrays mixed: numpy's placement of the advanced dims."""
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=4))
    x = np.arange(int(np.prod(shape))).reshape(shape)
    items = []
    for n in shape:
        kind = data.draw(st.sampled_from(["slice", "int", "array", "none+slice"]))
        if kind == "slice":
            items.append(slice(data.draw(st.integers(-n, n)), None, data.draw(st.sampled_from([1, -1, 2]))))
        elif kind == "int":
            items.append(data.draw(st.integers(-n, n - 1)))
        elif kind == "array":
            items.append(np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=2, max_size=2))))
        else:
            items += [None, slice(None)]
    idx = tuple(items)
    want = x[idx]
    assert_same(fnp._getitem(x, idx), np.asarray(want))
    assert_same(traced(lambda a: a[idx], x)[0], np.asarray(want), check_type=False)


def test_traced_index_arrays_and_scalars():
    x = np.arange(20.0).reshape(4, 5)
    i = np.array([3, -1, 0])
    j = np.array(2)
    cases = [(lambda a, i, j: a[i], lambda: x[i]), (lambda a, i, j: a[j], lambda: x[j]),
             (lambda a, i, j: a[:, j], lambda: x[:, j]), (lambda a, i, j: a[i, j], lambda: x[i, j]),
             (lambda a, i, j: a[j, 1:], lambda: x[j, 1:]),
             (lambda a, i, j: a[i[:, None], i[None, :2]], lambda: x[i[:, None], i[None, :2]]),
             (lambda a, i, j: a[j, ::-1][i], lambda: x[j, ::-1][i])]
    for f, ref in cases:
        assert_same(traced(f, x, i, j)[0], ref(), check_type=False)


def test_traced_scalar_index_uses_dynamic_slice():
    prog = fnx.make_ir(lambda a, k: a[k])(np.ones((4, 3)), np.array(1))
    assert [e.primitive for e in prog.equations if e.primitive not in
            ("lt", "add", "select", "broadcast_in_dim")] == ["dynamic_slice", "squeeze"]


def test_out_of_range():
    x = np.arange(5.0)
    with pytest.raises(IndexError):
        fnp._getitem(x, 5)
    with pytest.raises(IndexError):
        traced(lambda a: a[-6], x)
    with pytest.raises(IndexError):
        fnp._getitem(x, np.array([0, 7]))
    with pytest.raises(IndexError):
        fnp._getitem(np.ones((2, 2)), (0, 0, 0))
    with pytest.raises(IndexError):
        fnp._getitem(x, 1.5)
    # traced indices are clamped, as in JAX (negative ones wrap once first)
    out = traced(lambda a, i: a[i], x, np.array([7, -1, -9, 2]))[0]
    np.testing.assert_array_equal(out, [4.0, 4.0, 0.0, 2.0])
    out = traced(lambda a, i: a[i], x, np.array(11))[0]
    np.testing.assert_array_equal(out, 4.0)


def test_traced_boolean_mask_is_a_clear_error():
    x = np.arange(5.0)
    with pytest.raises(NonConcreteBooleanIndexError, match="fnx.numpy.where"):
        traced(lambda a: a[a > 2], x)
    with pytest.raises(IndexError):
        traced(lambda a: a[a > 2], x)
    # a concrete numpy mask is fine
    assert_same(traced(lambda a: a[x > 2], x)[0], x[x > 2], check_type=False)


def test_boolean_mask_shape_mismatch():
    with pytest.raises(IndexError):
        fnp._getitem(np.ones((3, 4)), np.array([True, False]))


# ----------------------------------------------------------------------------- .at

AT_INDICES = [
    0, -1, (1, 2), (slice(None), 1), (Ellipsis, 0), slice(None, None, -1),
    (slice(1, None), slice(None, None, 2)), (slice(3, 0, -2),), ([0, 1],), ([1, 0, 1],),
    (0, [0, 2], 1), ([0, 1], slice(None), [1, 2]), (slice(None), [0, 1, 2], [1, 2, 3]),
    (slice(None), [[0, 1], [2, 0]], slice(1, 3), [1, 4]), (Ellipsis, [1, 3]),
    (slice(None), [1], None, [2]), (None, 0), (X > 50,), (slice(None), np.array([True, False, True])),
    (Ellipsis,), (), (slice(None), slice(None)), ([0, 0, 1, 0],), (1, [2, 2, 2], slice(None), 0),
    (np.array([[1, 1], [0, 1]]), 2),
]

_UFUNC_AT = {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}


def _np_update(kind, x, idx, v):
    out = x.copy()
    if kind == "set":
        out[idx] = v
    else:
        _UFUNC_AT[kind].at(out, idx, v)
    return out


@pytest.mark.parametrize("kind", ["set", "add", "multiply", "min", "max"])
@pytest.mark.parametrize("idx", AT_INDICES, ids=[repr(i)[:40] for i in AT_INDICES])
def test_at_updates_vs_numpy(kind, idx):
    shape = np.shape(X[idx])
    rng = np.random.default_rng(0)
    vals = [np.float32(1.5), rng.normal(size=shape).astype(np.float32)]
    if len(shape) >= 1:
        vals.append(rng.normal(size=shape[-1:]).astype(np.float32))  # broadcasts
    for v in vals:
        if kind == "set" and isinstance(idx, tuple) and _has_duplicates(idx):
            continue  # which duplicate wins is unspecified for set (numpy: last, in its order)
        want = _np_update(kind, X, idx, v)
        got = getattr(fnp.at(X)[idx], kind)(v)
        assert_same(got, want)
        out = traced(lambda a, u: getattr(a.at[idx], kind)(u), X, np.asarray(v))[0]
        assert_same(out, want, check_type=False)


def _has_duplicates(idx):
    for i in idx:
        if isinstance(i, (list, np.ndarray)) and np.asarray(i).dtype != bool:
            a = np.asarray(i).ravel()
            if len(set(a.tolist())) != a.size:
                return True
    return False


def test_at_set_repeated_index_last_wins_and_add_accumulates():
    x = np.zeros(4, np.int32)
    np.testing.assert_array_equal(fnp.at(x)[np.array([1, 1, 2])].set(np.array([5, 6, 7])),
                                  [0, 6, 7, 0])
    np.testing.assert_array_equal(fnp.at(x)[np.array([1, 1, 2])].add(1), [0, 2, 1, 0])
    np.testing.assert_array_equal(x, 0)  # unchanged


def test_at_out_of_range_updates_are_dropped_and_negative_wrap():
    x = np.zeros(5)
    np.testing.assert_array_equal(fnp.at(x)[np.array([0, 7, -1, -9])].set(1.0), [1, 0, 0, 0, 1])
    np.testing.assert_array_equal(fnp.at(x)[9].add(3.0), x)
    out = traced(lambda a, i: a.at[i].add(2.0), x, np.array([1, 5, -2, 100]))[0]
    np.testing.assert_array_equal(out, [0, 2, 0, 2, 0])
    np.testing.assert_array_equal(fnp.at(x)[7].set(1.0, mode="clip"), [0, 0, 0, 0, 1])


def test_at_other_methods():
    x = np.arange(6.0).reshape(2, 3) + 1
    assert_same(fnp.at(x)[0, 1:].get(), x[0, 1:])
    ref = x.copy()
    ref[1] -= 2
    assert_same(fnp.at(x)[1].subtract(2.0), ref)
    ref = x.copy()
    ref[:, 0] /= 4
    assert_same(fnp.at(x)[:, 0].divide(4.0), ref)
    ref = x.copy()
    ref[0] **= 2
    assert_same(fnp.at(x)[0].power(2), ref)
    ref = x.copy()
    ref[1, ::2] = np.sqrt(ref[1, ::2])
    assert_same(fnp.at(x)[1, ::2].apply(fnp.sqrt), ref)
    assert_same(fnp.at(x)[0].mul(3.0), np.where(np.arange(2)[:, None] == 0, x * 3, x))


def test_at_casts_updates_to_array_dtype_and_checks_shapes():
    x = np.zeros(3, np.int32)
    out = fnp.at(x)[1].set(2.7)
    assert out.dtype == np.int32 and out[1] == 2
    with pytest.raises(ValueError):
        fnp.at(np.zeros((2, 3)))[0].set(np.ones(4))
    with pytest.raises(fnx.FnxTypeError):
        fnp.at(np.zeros((2, 3)))[0].set(np.ones(4))


def test_at_on_tracer_in_a_loop():
    def f(a):
        for i in range(3):
            a = a.at[i].add(a[i + 1])
        return a
    x = np.arange(5.0)
    want = x.copy()
    for i in range(3):
        want[i] += want[i + 1]
    assert_same(traced(f, x)[0], want, check_type=False)


# ----------------------------------------------------------------------------- take & co

def test_take():
    x = np.arange(24.0).reshape(2, 3, 4)
    for idx in [1, [0, 2], [[0, 1], [2, 2]], np.array(-1), [-1, -3]]:
        for axis in [None, 0, 1, 2, -1]:
            try:
                want = np.take(x, idx, axis=axis)
            except IndexError:
                with pytest.raises(IndexError):
                    fnp.take(x, idx, axis=axis)
                continue
            check(lambda a: fnp.take(a, idx, axis=axis), lambda a: want, x)
    for mode in ("clip", "wrap"):
        idx = np.array([-5, -1, 0, 3, 9])
        check(lambda a: fnp.take(a, idx, axis=2, mode=mode),
              lambda a: np.take(a, idx, axis=2, mode=mode), x)
    out = fnp.take(np.arange(4.0), np.array([0, 4, -5, -1]), mode="fill")
    np.testing.assert_array_equal(out, [0, np.nan, np.nan, 3])
    out = fnp.take(np.arange(4), np.array([0, 4]), mode="fill", fill_value=-7)
    np.testing.assert_array_equal(out, [0, -7])
    out = traced(lambda a, i: fnp.take(a, i, axis=1), x, np.array([[3, -1], [9, 0]]))[0]
    np.testing.assert_array_equal(out, np.take(x, [[2, 2], [2, 0]], axis=1))


def test_take_along_axis():
    x = np.array([[10, 30, 20], [60, 40, 50]], np.float32)
    idx = np.argsort(x, axis=1)
    check(lambda a: fnp.take_along_axis(a, idx, axis=1),
          lambda a: np.take_along_axis(a, idx, axis=1), x)
    idx0 = np.array([[1, 0, 1]])
    check(lambda a: fnp.take_along_axis(a, idx0, axis=0),
          lambda a: np.take_along_axis(a, idx0, axis=0), x)
    check(lambda a: fnp.take_along_axis(a, np.array([[0], [2]]), axis=1),
          lambda a: np.take_along_axis(a, np.array([[0], [2]]), axis=1), x)
    check(lambda a: fnp.take_along_axis(a, np.array([5, 0]), axis=None),
          lambda a: np.take_along_axis(a, np.array([5, 0]), axis=None), x)
    y = np.arange(24.0).reshape(2, 3, 4)
    i3 = np.array([[[0, 3]], [[1, 2]]])
    check(lambda a: fnp.take_along_axis(a, i3, axis=2),
          lambda a: np.take_along_axis(a, i3, axis=2), y[:, :1])
    out = traced(lambda a, i: fnp.take_along_axis(a, i, axis=1), x, idx)[0]
    np.testing.assert_array_equal(out, np.take_along_axis(x, idx, axis=1))


@pytest.mark.parametrize("offset", [0, 1, -1, 2, -3, 5])
def test_diagonal_trace_diag(offset):
    x = np.arange(60.0).reshape(3, 4, 5)
    for a1, a2 in [(0, 1), (1, 2), (2, 0), (-1, -2)]:
        check(lambda a: fnp.diagonal(a, offset, a1, a2), lambda a: np.diagonal(a, offset, a1, a2), x)
        check(lambda a: fnp.trace(a, offset, a1, a2), lambda a: np.trace(a, offset, a1, a2), x)
    check(lambda a: fnp.diag(a, offset), lambda a: np.diag(a, offset), x[0])
    check(lambda a: fnp.diag(a, offset), lambda a: np.diag(a, offset), x[0, 0])
    check(lambda a: fnp.diagflat(a, offset), lambda a: np.diagflat(a, offset), x[0, :2, :2])
    check(lambda a: fnp.trace(a.astype(np.int32), offset),
          lambda a: np.trace(a.astype(np.int32), offset), x[0])


def test_nonzero_argwhere():
    x = np.array([[0, 3, 0], [4, 0, 5]])
    check(fnp.nonzero, np.nonzero, x, trace=False)
    check(fnp.argwhere, np.argwhere, x, trace=False)
    check(fnp.flatnonzero, np.flatnonzero, x, trace=False)
    check(lambda a: fnp.where(a), lambda a: np.where(a), x, trace=False)
    for size in (0, 2, 3, 5):
        want = [np.concatenate([i[:size], np.zeros(max(size - i.size, 0), np.int64)])
                for i in np.nonzero(x)]
        got = traced(lambda a: fnp.nonzero(a, size=size), x)
        assert_same(got, want, check_type=False)
        assert_same(fnp.nonzero(x, size=size), want)
    got = traced(lambda a: fnp.nonzero(a, size=5, fill_value=-1), x)
    np.testing.assert_array_equal(got[1], [1, 0, 2, -1, -1])
    got = traced(lambda a: fnp.argwhere(a > 2, size=4, fill_value=9), x)[0]
    np.testing.assert_array_equal(got, [[0, 1], [1, 0], [1, 2], [9, 9]])
    got = traced(lambda a: fnp.flatnonzero(a, size=2), x)[0]
    np.testing.assert_array_equal(got, [1, 3])
    with pytest.raises(fnx.ConcretizationError, match="size="):
        traced(lambda a: fnp.nonzero(a), x)
    with pytest.raises(ValueError):
        fnp.nonzero(np.array(1))


def test_unravel_ravel_index_compress_extract():
    check(lambda i: fnp.unravel_index(i, (3, 4)), lambda i: np.unravel_index(i, (3, 4)),
          np.array([0, 5, 11]))
    out = traced(lambda i: fnp.unravel_index(i, (3, 4)), np.array([0, 5, 11]))
    assert_same(out, list(np.unravel_index([0, 5, 11], (3, 4))), check_type=False)
    assert_same(fnp.ravel_multi_index((np.array([1, 2]), np.array([3, 0])), (3, 4)),
                np.asarray(np.ravel_multi_index((np.array([1, 2]), np.array([3, 0])), (3, 4))))
    x = np.arange(12).reshape(3, 4)
    check(lambda a: fnp.compress([True, False, True], a, axis=0),
          lambda a: np.compress([True, False, True], a, axis=0), x)
    check(lambda a: fnp.extract(x % 3 == 0, a),
          lambda a: np.extract(x % 3 == 0, a), x)


def test_ravel_multi_index_needs_one_index_array_per_dim():
    idx = (np.array([1, 2]), np.array([3, 0]))
    for run in (lambda f: f(*idx), lambda f: fnx.jit(f)(*idx)):  # eager, and traced
        with pytest.raises(ValueError, match=r"2 index arrays for the 3 dims \(3, 4, 5\)"):
            run(lambda i, j: fnp.ravel_multi_index((i, j), (3, 4, 5)))


def test_iterating_a_tracer():
    x = np.arange(6.0).reshape(3, 2)
    out = traced(lambda a: [r * 2 for r in a], x)
    assert_same(out, [r * 2 for r in x], check_type=False)


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
