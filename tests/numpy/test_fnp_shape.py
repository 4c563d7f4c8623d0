"""Shape functions of fnx.numpy vs numpy, eager and traced."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx.numpy as fnp

from fnp_util import DTYPES, arrays, assert_same, check, traced

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("f", [
    lambda m, a: m.reshape(a, (4, 6)), lambda m, a: m.reshape(a, (-1, 2)),
    lambda m, a: m.reshape(a, 24), lambda m, a: m.ravel(a), lambda m, a: m.transpose(a),
    lambda m, a: m.transpose(a, (1, 0, 2)), lambda m, a: m.transpose(a, (-1, 0, 1)),
    lambda m, a: m.swapaxes(a, 0, 2), lambda m, a: m.moveaxis(a, 0, -1),
    lambda m, a: m.moveaxis(a, (0, 1), (2, 0)), lambda m, a: m.expand_dims(a, 1),
    lambda m, a: m.expand_dims(a, (0, -1)), lambda m, a: m.squeeze(m.expand_dims(a, (0, 2))),
    lambda m, a: m.squeeze(m.expand_dims(a, 0), 0), lambda m, a: m.broadcast_to(a, (5, 2, 3, 4)),
    lambda m, a: m.broadcast_to(a[:, :1], (2, 3, 4)),
    lambda m, a: m.concatenate([a, a], 1), lambda m, a: m.concatenate([a, a * 2], axis=None),
    lambda m, a: m.concatenate([a, a], -1), lambda m, a: m.stack([a, a]),
    lambda m, a: m.stack([a, a], axis=-1), lambda m, a: m.stack([a[0], a[1]], 1),
    lambda m, a: m.hstack([a, a]), lambda m, a: m.vstack([a, a]), lambda m, a: m.dstack([a, a]),
    lambda m, a: m.hstack([a[0, 0], a[1, 1]]), lambda m, a: m.vstack([a[0, 0], a[1, 1]]),
    lambda m, a: m.column_stack([a[0, 0], a[1, 1]]), lambda m, a: m.column_stack([a[0], a[1]]),
    lambda m, a: m.dstack([a[0, 0], a[1, 1]]),
    lambda m, a: m.tile(a, 2), lambda m, a: m.tile(a, (2, 1, 1, 2)), lambda m, a: m.tile(a[0, 0], (3, 2)),
    lambda m, a: m.repeat(a, 2), lambda m, a: m.repeat(a, 3, axis=1),
    lambda m, a: m.repeat(a, [1, 0, 2], axis=1),
    lambda m, a: m.flip(a), lambda m, a: m.flip(a, 1), lambda m, a: m.flip(a, (0, 2)),
    lambda m, a: m.fliplr(a), lambda m, a: m.flipud(a),
    lambda m, a: m.rot90(a), lambda m, a: m.rot90(a, 2), lambda m, a: m.rot90(a, 3, (1, 2)),
    lambda m, a: m.rot90(a, -1), lambda m, a: m.roll(a, 2), lambda m, a: m.roll(a, -1, 1),
    lambda m, a: m.roll(a, (1, 2), (0, 2)), lambda m, a: m.roll(a, 7, axis=2),
    lambda m, a: m.atleast_1d(a[0, 0, 0]), lambda m, a: m.atleast_2d(a[0, 0]),
    lambda m, a: m.atleast_3d(a[0, 0]), lambda m, a: m.atleast_3d(a[0]),
    lambda m, a: m.atleast_2d(a),
    lambda m, a: m.diff(a), lambda m, a: m.diff(a, 2, axis=0), lambda m, a: m.diff(a, axis=1),
    lambda m, a: m.diff(a, prepend=0.0), lambda m, a: m.diff(a, append=a[:, :, :1]),
    lambda m, a: m.diff(a > 10), lambda m, a: m.ediff1d(a), lambda m, a: m.ediff1d(a, 0.5, -1.0),
    lambda m, a: m.append(a, a), lambda m, a: m.append(a, a, axis=0),
    lambda m, a: m.delete(a, 1, axis=1), lambda m, a: m.delete(a, [0, 2]),
    lambda m, a: m.delete(a, slice(0, 3, 2), axis=2),
    lambda m, a: m.resize(a, (5, 7)), lambda m, a: m.matrix_transpose(a),
    lambda m, a: m.permute_dims(a, (2, 0, 1)),
    lambda m, a: m.tril(a), lambda m, a: m.triu(a, 1), lambda m, a: m.tril(a[0], -1),
    lambda m, a: m.triu(a[0, 0]),
])
def test_shape_functions(f):
    check(lambda a: f(fnp, a), lambda a: f(np, a), X)


@pytest.mark.parametrize("name", ["split", "array_split"])
def test_split(name):
    for sections, axis in [(2, -1), ([1, 3], -1), ([1, -1], 2), (2, 0), ([0, 5], 1), (4, 2)]:
        if name == "split" and (sections, axis) == (4, 2):
            continue
        check(lambda a: getattr(fnp, name)(a, sections, axis=axis),
              lambda a: getattr(np, name)(a, sections, axis=axis), X)
    check(lambda a: fnp.array_split(a, 3, axis=2), lambda a: np.array_split(a, 3, axis=2), X)
    check(lambda a: fnp.hsplit(a, 3), lambda a: np.hsplit(a, 3), X)
    check(lambda a: fnp.vsplit(a, 2), lambda a: np.vsplit(a, 2), X)
    check(lambda a: fnp.dsplit(a, [1]), lambda a: np.dsplit(a, [1]), X)
    with pytest.raises(ValueError):
        fnp.split(X, 5, axis=2)


def test_unstack_and_broadcast_arrays():
    check(lambda a: fnp.unstack(a, axis=1), lambda a: np.unstack(a, axis=1), X)
    check(lambda a, b: fnp.broadcast_arrays(a, b), lambda a, b: np.broadcast_arrays(a, b),
          X[:, :1], X[0])
    assert fnp.broadcast_shapes((2, 1), (3,)) == np.broadcast_shapes((2, 1), (3,))


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap", "empty"])
def test_pad(mode):
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    for width in [1, (2, 3), ((1, 0), (0, 2)), ((0, 0), (5, 7)), 0]:
        want = np.pad(x, width, mode) if mode != "empty" else np.pad(x, width)
        check(lambda a: fnp.pad(a, width, mode), lambda a: want, x)
    if mode == "constant":
        check(lambda a: fnp.pad(a, 2, constant_values=7), lambda a: np.pad(a, 2, constant_values=7), x)
        check(lambda a: fnp.pad(a, (1, 2), constant_values=((1, 2), (3, 4))),
              lambda a: np.pad(a, (1, 2), constant_values=((1, 2), (3, 4))), x)
        check(lambda a: fnp.pad(a, 1, constant_values=1.7),
              lambda a: np.pad(a, 1, constant_values=1.7), x)


def test_pad_errors():
    with pytest.raises(NotImplementedError):
        fnp.pad(X, 1, mode="linear_ramp")
    with pytest.raises(ValueError):
        fnp.pad(X, -1)


@settings(max_examples=30)
@given(data=st.data())
def test_reshape_transpose_concat_hypothesis(data):
    dtype = data.draw(st.sampled_from(DTYPES))
    x = data.draw(arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=4, max_side=3)))
    perm = data.draw(st.permutations(range(x.ndim)))
    check(lambda a: fnp.transpose(a, perm), lambda a: np.transpose(a, perm), x)
    check(lambda a: fnp.reshape(a, (-1,)), lambda a: np.reshape(a, (-1,)), x)
    ax = data.draw(st.integers(-x.ndim, x.ndim - 1))
    check(lambda a: fnp.concatenate([a, a, a], ax), lambda a: np.concatenate([a, a, a], ax), x)
    check(lambda a: fnp.stack([a, a], ax), lambda a: np.stack([a, a], ax), x)
    check(lambda a: fnp.flip(a, ax), lambda a: np.flip(a, ax), x)
    shift = data.draw(st.integers(-5, 5))
    check(lambda a: fnp.roll(a, shift, ax), lambda a: np.roll(a, shift, ax), x)
    check(lambda a: fnp.roll(a, shift), lambda a: np.roll(a, shift), x)
    reps = data.draw(st.tuples(*[st.integers(0, 2)] * data.draw(st.integers(1, 3))))
    check(lambda a: fnp.tile(a, reps), lambda a: np.tile(a, reps), x)
    check(lambda a: fnp.repeat(a, 2, ax), lambda a: np.repeat(a, 2, ax), x)


def test_roll_traced_shift():
    x = np.arange(10.0).reshape(2, 5)
    for s in (-7, -1, 0, 3, 12):
        out = traced(lambda a, k: fnp.roll(a, k, axis=1), x, np.array(s))[0]
        np.testing.assert_array_equal(out, np.roll(x, s, axis=1))


def test_reshape_errors_and_shape_methods():
    with pytest.raises(ValueError):
        fnp.reshape(X, (5, 5))
    with pytest.raises(ValueError):
        fnp.reshape(X, (-1, -1))
    with pytest.raises(ValueError):
        fnp.squeeze(X, 0)
    with pytest.raises(ValueError):
        fnp.broadcast_to(X, (3, 3, 4))
    with pytest.raises(np.exceptions.AxisError):
        fnp.expand_dims(X, 5)
    outs = traced(lambda a: (a.reshape(6, 4), a.reshape((4, -1)), a.T, a.transpose(2, 0, 1),
                             a.transpose((1, 0, 2)), a.flatten(), a.ravel(), a.swapaxes(0, 1),
                             a[:1].squeeze(0), a.mT, a.astype(np.int32), a.repeat(2, 0)), X)
    wants = [X.reshape(6, 4), X.reshape(4, -1), X.T, X.transpose(2, 0, 1), X.transpose(1, 0, 2),
             X.flatten(), X.ravel(), X.swapaxes(0, 1), X[:1].squeeze(0), X.mT,
             X.astype(np.int32), X.repeat(2, 0)]
    for o, w in zip(outs, wants):
        assert_same(o, w, check_type=False)


def test_eager_results_are_fresh():
    x = np.arange(6.0)
    for f in (lambda a: fnp.reshape(a, (6,)), fnp.ravel, lambda a: fnp.transpose(a),
              lambda a: fnp.squeeze(a), lambda a: fnp.concatenate([a]), lambda a: fnp.asarray(a) + 0,
              lambda a: fnp.broadcast_to(a, (6,)), lambda a: fnp.flip(a, ()),
              lambda a: fnp.astype(a, np.float64), lambda a: fnp.clip(a, None, 100),
              lambda a: fnp.take(a, np.arange(6))):
        out = f(x)
        assert isinstance(out, np.ndarray)
        assert out is not x and not np.shares_memory(out, x)


