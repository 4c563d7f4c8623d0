"""Shared helpers for the fnx.numpy tests: eager fnp vs numpy, traced (make_ir + interpreter) vs eager.

Tolerances: functions that run the same numpy call eagerly must match numpy exactly
(`exact`); functions composed from several primitives get `rtol` per dtype:
float32 1e-6, float64 1e-13 (`close`), or a looser one passed explicitly.
"""
from __future__ import annotations

import warnings

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fnx
from fnx._core.array import WeakArray
from fnx import tree_util
from fnx._core.dtypes import canonical_array
from fnx.backends.interpreter import evaluate

DTYPES = [np.bool_, np.int32, np.int64, np.uint32, np.float32, np.float64]
NUMERIC = [np.int32, np.int64, np.uint32, np.float32, np.float64]
FLOATS = [np.float32, np.float64]
INTS = [np.int32, np.int64, np.uint32]

RTOL = {np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-13}


def leaves(x):
    return tree_util.tree_leaves(x)


def assert_same(got, want, rtol=0.0, atol=0.0, check_type=True):
    """Same structure, dtypes, shapes; values equal (NaN == NaN) or within rtol/atol."""
    g_leaves, w_leaves = leaves(got), leaves(want)
    assert len(g_leaves) == len(w_leaves), (got, want)
    for g, w in zip(g_leaves, w_leaves):
        if check_type:
            assert isinstance(g, fnx.Array) and type(g) in (fnx.Array, WeakArray), \
                f"result is a {type(g).__name__}, not an fnx.Array"
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, f"shape {g.shape} != {w.shape}"
        assert g.dtype == w.dtype, f"dtype {g.dtype} != {w.dtype}"
        if (rtol or atol) and w.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
        else:
            np.testing.assert_array_equal(g, w)


def traced(f, *arrays):
    """Trace `f` on the arrays (make_ir) and run the program on the interpreter."""
    program = fnx.make_ir(f)(*arrays)
    # the program's inputs are canonical (float64 is float32 with x64 off): so are its arguments
    out = evaluate(program, [canonical_array(np.asarray(a)) for a in arrays])
    return out


def check(fnp_f, np_f, *arrays, rtol=0.0, atol=0.0, trace=True, trace_rtol=None):
    """fnp_f(*arrays) eagerly == np_f(*arrays); traced fnp_f == eager fnp_f. Inputs unchanged."""
    copies = [np.array(a, copy=True) for a in arrays]
    got = fnp_f(*arrays)
    want, rtol, atol = jax_reference(np_f, got, arrays, rtol, atol)
    assert_same(got, want, rtol, atol)
    for a, c in zip(arrays, copies):
        np.testing.assert_array_equal(a, c)  # never mutated
    if trace:
        out = traced(lambda *xs: fnp_f(*xs), *arrays)
        tr = trace_rtol if trace_rtol is not None else rtol
        assert_same(out, leaves(got), tr, atol, check_type=False)
    return got


def _numpy(np_f, arrays):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's own warnings on edge values
        want = np_f(*arrays)
    if not isinstance(want, (tuple, list)):
        return np.asarray(want)
    return type(want)(np.asarray(w) for w in want)


def jax_reference(np_f, got, arrays, rtol=0.0, atol=0.0):
    """numpy's reference for fnx's result `got` on `arrays`, and the tolerances to compare at.

    Where JAX's dtype rules give float32 and numpy's float64 (integer operands of a float
    function: JAX computes them in float32, so int32 max rounds to 2**31), numpy runs on the
    same float32 operands; any remaining 64-bit reference is rounded (`jax_narrowed`)."""
    want = _numpy(np_f, arrays)
    if _computes_in_float32(want, got, arrays):
        want = _numpy(np_f, [a.astype(np.float32) if isinstance(a, np.ndarray)
                             and a.dtype.kind in "biu" else a for a in arrays])
    return jax_narrowed(want, got, arrays, rtol, atol)


def _computes_in_float32(want, got, inputs) -> bool:
    """JAX gives float32 where numpy gives float64 from operands none of which is float64."""
    in_dtypes = {a.dtype for a in leaves(list(inputs)) if isinstance(a, (np.ndarray, np.generic))}
    return np.dtype(np.float64) not in in_dtypes and any(
        np.asarray(w).dtype == np.float64 and np.asarray(g).dtype == np.float32
        for w, g in zip(leaves(want), leaves(got)))


def jax_narrowed(want, got, inputs, rtol, atol):
    """numpy's reference in JAX's dtype where JAX's rules give a 32-bit result and numpy's a
    64-bit one that no input had (int32 + float32, mean/sin of int32, cumsum of int32, ...),
    or any 64-bit one with x64 off (the inputs were narrowed too):
    the reference is rounded to it, and compared at float32's tolerance (relative, and
    absolute at the scale of the values: a float32 computation of sin(pi) is not 0)."""
    in_dtypes = {a.dtype for a in leaves(list(inputs)) if isinstance(a, (np.ndarray, np.generic))}
    out = []
    for w, g in zip(leaves(want), leaves(got)):
        w, gd = np.asarray(w), np.asarray(g).dtype
        # with x64 off, 64-bit inputs were narrowed too (fnx computed on the narrowed values)
        if (w.dtype != gd and w.dtype.itemsize == 8 and gd.itemsize == 4
                and w.dtype.kind == gd.kind
                and (w.dtype not in in_dtypes or not fnx.config.jax_enable_x64)):
            with np.errstate(all="ignore"):
                w = w.astype(gd)
            if gd.kind == "f":
                rtol = max(rtol, RTOL[gd])
                finite = np.abs(w[np.isfinite(w)])
                atol = max(atol, RTOL[gd] * float(finite.max(initial=1.0)))
        out.append(w)
    if isinstance(want, (tuple, list)):
        return type(want)(out), rtol, atol
    return out[0], rtol, atol


def tol(dtype, loose: float = 1.0):
    return RTOL.get(np.dtype(dtype), 0.0) * loose


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


def arrays(dtype, shape=shapes, elements=None):
    dtype = np.dtype(dtype)
    if elements is None:
        if dtype.kind == "f":
            elements = st.floats(-100, 100, width=dtype.itemsize * 8)
        elif dtype.kind == "b":
            elements = st.booleans()
        elif dtype.kind == "u":
            elements = st.integers(0, 1000)
        else:
            elements = st.integers(-1000, 1000)
    return hnp.arrays(dtype, shape, elements=elements)


def special_floats(dtype):
    """Values at the edges: zeros of both signs, infinities, NaN, tiny and huge numbers."""
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    return np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -2.5, np.inf, -np.inf, np.nan,
                     info.tiny, -info.tiny, info.max, -info.max, 3.0, -7.0, 1e-3], dtype=dtype)


def special_ints(dtype):
    dtype = np.dtype(dtype)
    info = np.iinfo(dtype)
    vals = [0, 1, 2, 3, 7, 100, info.max, info.max - 1, info.min]
    if dtype.kind == "i":
        vals += [-1, -2, -3, -7, info.min + 1]
    return np.array(vals, dtype=dtype)
