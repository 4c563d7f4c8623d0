"""Empty axes and out-of-range indices on every indexing/shape/scan kernel: eagerly (the numpy
implementations), on the interpreter backend and on the CPU backend the results agree bit for
bit, or all three raise the same error; native code never reads or writes out of bounds.

An empty axis receives nothing: a scatter into it (any mode, any combiner) returns the empty
operand; a gather needs a non-empty axis unless it gathers nothing (as JAX: a type error)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from test_cpu import assert_same

i32, u32, i64 = np.int32, np.uint32, np.int64
DTYPES = [np.float32, np.int32, np.bool_]


def _run(fn, args, how):
    if how == "eager":
        out = fn(*args)
    else:
        out = fnx.jit(fn, backend=how)(*args)
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def agree(fn, *args):
    """Eager, interpreter and cpu give the same results (bit for bit); returns them."""
    before = [np.copy(a) for a in args]
    eager = _run(fn, args, "eager")
    for how in ("interpreter", "cpu"):
        got = _run(fn, args, how)
        assert len(got) == len(eager)
        for g, w in zip(got, eager):
            assert_same(g, w)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)  # inputs are never written
    return eager


def all_raise(exc, fn, *args):
    for how in ("eager", "interpreter", "cpu"):
        with pytest.raises(exc):
            _run(fn, args, how)


def values(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype is np.bool_:
        return rng.random(shape) < 0.5
    return (rng.standard_normal(shape) * 4).astype(dtype)


# ------------------------------------------------------------------ scatter

SCATTERS = [lax.scatter, lax.scatter_add, lax.scatter_mul, lax.scatter_min, lax.scatter_max]

# (operand shape, index arrays, axes): every operand has an empty dim, the indices are in and
# out of range (negative, too large, INT_MAX)
EMPTY_SCATTERS = [
    ((0, 5), [np.array([0, 7, -3, 0], i32)], (0,)),
    ((0, 512), [np.zeros(8, i64)], (0,)),
    ((4, 0), [np.array([0, 9, -3], i32)], (0,)),
    ((0, 0), [np.array([0, 2], i32), np.array([1, -1], i32)], (0, 1)),
    ((3, 0, 2), [np.array([0, 5], u32), np.array([2**31 - 1, 0], u32)], (0, 1)),
    ((2, 3, 0), [np.array([[1, -9], [4, 0]], i64)], (2,)),
]


def _updates_shape(shape, indices, axes):
    return indices[0].shape + tuple(n for d, n in enumerate(shape) if d not in axes)


@pytest.mark.parametrize("mode", ["clip", "drop"])
@pytest.mark.parametrize("scatter", SCATTERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("case", range(len(EMPTY_SCATTERS)))
def test_scatter_into_an_empty_axis_changes_nothing(case, scatter, mode):
    shape, indices, axes = EMPTY_SCATTERS[case]
    for dtype in DTYPES:
        x = np.zeros(shape, dtype)
        upd = values(_updates_shape(shape, indices, axes), dtype)
        (out,) = agree(lambda x, u, *i: scatter(x, u, i, axes, mode), x, upd, *indices)
        assert out.shape == shape and out.dtype == dtype


@pytest.mark.parametrize("mode", ["clip", "drop"])
@pytest.mark.parametrize("scatter", SCATTERS, ids=lambda f: f.__name__)
def test_scatter_of_no_updates_and_out_of_range(scatter, mode):
    x = values((5, 3), np.float32)
    none = np.zeros(0, i32)
    far = np.array([-2**31, 2**31 - 1, 5, -1, 0, 4], i32)
    out = agree(lambda x, u0, u1, i0, i1: [scatter(x, u0, [i0], (0,), mode),
                                           scatter(x, u1, [i1], (0,), mode)],
                x, np.zeros((0, 3), np.float32), values((6, 3), np.float32, 1), none, far)
    np.testing.assert_array_equal(out[0], x)


def test_scatter_clip_into_empty_axis_never_corrupts_the_heap():
    """The issue's case (a clip-mode scatter into an empty axis used to write before its buffer
    and abort the process), 1000 times under jit, with every combiner and mode in between; in a
    subprocess, so that a crash fails this test instead of killing pytest."""
    root = Path(__file__).resolve().parents[2]
    code = textwrap.dedent("""
        import numpy as np, fnx
        from fnx import lax
        f = fnx.jit(lambda x, i, u: x.at[i].set(u, mode="clip"))
        x, i, u = np.zeros((0, 512)), np.zeros(8, np.int64), np.ones((8, 512))
        for _ in range(1000):
            assert f(x, i, u).shape == (0, 512)
        for s in (lax.scatter, lax.scatter_add, lax.scatter_mul, lax.scatter_min, lax.scatter_max):
            for mode in ("clip", "drop"):
                g = fnx.jit(lambda x, u, i: s(x, u, [i], (0,), mode))
                for _ in range(100):
                    assert g(x, u, i).shape == (0, 512)
        print("ok")
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr[-2000:]}"
    assert r.stdout.strip() == "ok"


# ------------------------------------------------------------------ gather, take

def test_gather_of_nothing_from_an_empty_axis():
    for dtype in DTYPES:
        z = np.zeros((0, 3), dtype)
        (out,) = agree(lambda z, i: lax.gather(z, [i], (0,)), z, np.zeros(0, i32))
        assert out.shape == (0, 3)
        (out,) = agree(lambda z, i: lax.gather(z, [i], (1,)), z, np.array([0, 9, -4], i32))
        assert out.shape == (3, 0)


def test_gather_from_an_empty_axis_is_an_error_everywhere():
    all_raise(fnx.FnxTypeError, lambda z, i: lax.gather(z, [i], (0,)),
              np.zeros((0, 3), np.float32), np.array([0], i32))
    all_raise(IndexError, lambda z, i: fnp.take(z, i, axis=0),
              np.zeros((0, 3), np.float32), np.array([0], i32))


def test_gather_out_of_range_clamps():
    x = values((5, 3), np.float32)
    far = np.array([-2**31, 2**31 - 1, 5, -1, 0, 4], i32)
    (out,) = agree(lambda x, i: lax.gather(x, [i], (0,)), x, far)
    np.testing.assert_array_equal(out, x[[0, 4, 4, 0, 0, 4]])


def test_take_along_an_empty_axis_gives_zeros():
    """As JAX: nothing to take, so zeros of the indices' shape, eagerly and under jit."""
    z = np.zeros((0, 3), np.float32)
    (out,) = agree(lambda z, i: fnp.take_along_axis(z, i, axis=0), z, np.zeros((2, 3), i32))
    np.testing.assert_array_equal(out, np.zeros((2, 3), np.float32))
    all_raise(IndexError, lambda z, i: fnp.take_along_axis(z, i, axis=0), z, np.zeros((2, 3), np.float32))


# ------------------------------------------------------------------ dynamic slices

def test_dynamic_slice_of_empty_axes():
    for dtype in DTYPES:
        agree(lambda x, a, b: lax.dynamic_slice(x, (a, b), (0, 2)),
              values((0, 3), dtype), np.int32(5), np.int32(-2))
        agree(lambda x, a, b: lax.dynamic_slice(x, (a, b), (2, 0)),
              values((4, 0), dtype), np.int64(-9), np.int64(3))
        agree(lambda x, a, b: lax.dynamic_slice(x, (a, b), (2, 3)),
              values((3, 4), dtype), np.int32(2**31 - 1), np.int32(-2**31))


def test_dynamic_update_slice_of_empty_axes():
    for dtype in DTYPES:
        agree(lambda x, u, a, b: lax.dynamic_update_slice(x, u, (a, b)),
              values((0, 3), dtype), values((0, 3), dtype, 1), np.int32(3), np.int32(1))
        agree(lambda x, u, a, b: lax.dynamic_update_slice(x, u, (a, b)),
              values((0, 3), dtype), values((0, 1), dtype, 1), np.int32(-1), np.int32(7))
        agree(lambda x, u, a, b: lax.dynamic_update_slice(x, u, (a, b)),
              values((3, 4), dtype), values((2, 0), dtype, 1), np.uint32(9), np.uint32(9))
        agree(lambda x, u, a, b: lax.dynamic_update_slice(x, u, (a, b)),
              values((3, 4), dtype), values((2, 2), dtype, 1), np.int64(9), np.int64(-9))


# ------------------------------------------------------------------ pad

PADS = [
    ((0, 3), ((-1, 2, 0), (0, 0, 0))),
    ((0, 3), ((1, -1, 3), (1, -2, 0))),
    ((0, 3), ((2, -2, 1), (0, 0, 2))),
    ((3, 0), ((0, 0, 1), (-1, 1, 0))),
    ((2, 3), ((-3, 1, 2), (-1, -1, 0))),
    ((4, 2), ((-5, -1, 1), (3, -4, 1))),
]


@pytest.mark.parametrize("shape,config", PADS)
def test_pad_with_negative_edges_matches_its_shape_rule(shape, config):
    """Element i lands at lo + i * (interior + 1); the output size is the shape rule's (JAX's),
    also when the operand's dim is empty."""
    want = tuple(lo + hi + n + max(n - 1, 0) * it for n, (lo, hi, it) in zip(shape, config))
    for dtype in DTYPES:
        x = values(shape, dtype)
        (out,) = agree(lambda x: lax.pad(x, np.ones((), dtype), config), x)
        assert out.shape == want
        assert fnx.make_ir(lambda x: lax.pad(x, np.ones((), dtype), config))(x).outputs[0].type.shape == want


# ------------------------------------------------------------------ sort, scans, reductions, ...

def test_sort_scans_and_reductions_of_empty_axes():
    for dtype in (np.float32, np.int32):
        for shape in ((0, 3), (3, 0), (0, 0)):
            x = values(shape, dtype)
            agree(lambda x: [lax.sort(x, dimension=d) for d in (0, 1)]
                  + [lax.sort([x, x], dimension=0, num_keys=1)[1]]
                  + [f(x, axis=d, reverse=r) for f in (lax.cumsum, lax.cumprod, lax.cummax, lax.cummin)
                     for d in (0, 1) for r in (False, True)]
                  + [f(x, axes) for f in (lax.reduce_sum, lax.reduce_prod, lax.reduce_max, lax.reduce_min)
                     for axes in ((0,), (1,), (0, 1))]
                  + [lax.rev(x, (0, 1)), lax.transpose(x, (1, 0))], x)


def test_argmax_of_empty_axes():
    x = values((0, 3), np.float32)
    out = agree(lambda x: [lax.argmax(x, 1), lax.argmin(x, 1)], x)
    assert [o.shape for o in out] == [(0,), (0,)]
    all_raise(fnx.FnxTypeError, lambda x: lax.argmax(x, 0), x)
    all_raise(fnx.FnxTypeError, lambda x: lax.argmin(x, 0), x)


def test_concatenate_and_dot_of_empty_axes():
    for dtype in (np.float32, np.int32):
        a, b, c = values((0, 3), dtype), values((2, 3), dtype), values((2, 0), dtype)
        agree(lambda a, b, c: [lax.concatenate([a, b, a], 0), lax.concatenate([c, b, c], 1)], a, b, c)
        dims = (((1,), (0,)), ((), ()))
        for m, k, n in ((0, 4, 3), (3, 0, 5), (3, 4, 0), (0, 0, 0)):
            out = agree(lambda x, y: lax.dot_general(x, y, dims), values((m, k), dtype), values((k, n), dtype))
            if k == 0:
                np.testing.assert_array_equal(out[0], np.zeros((m, n), dtype))
