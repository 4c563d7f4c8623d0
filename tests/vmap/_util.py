"""Shared helpers for the vmap tests: compare against a Python loop over examples."""
from __future__ import annotations

import numpy as np

import fnx
import fnx_ir
from fnx import tree_util


def assert_close(got, want, rtol=None, atol=None):
    g_leaves, g_tree = tree_util.tree_flatten(got)
    w_leaves, w_tree = tree_util.tree_flatten(want)
    assert g_tree == w_tree, (g_tree, w_tree)
    for g, w in zip(g_leaves, w_leaves):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
        if w.dtype.kind == "f":
            tol = 1e-5 if w.dtype == np.float32 else 1e-12
            np.testing.assert_allclose(g, w, rtol=rtol or tol, atol=atol or tol, equal_nan=True)
        else:
            np.testing.assert_array_equal(g, w)


def take(x, i, axis):
    return np.take(np.asarray(x), i, axis=axis)


def loop_reference(f, args, in_axes, out_axes, size):
    """Stack `f` applied to each example (in_axes: one int/None per positional arg)."""
    outs = []
    for b in range(size):
        ex = [a if ax is None else take(a, b, ax) for a, ax in zip(args, in_axes)]
        outs.append(f(*ex))
    leaves0, tree = tree_util.tree_flatten(outs[0])
    per_leaf = zip(*[tree_util.tree_flatten(o)[0] for o in outs])
    axes = tree_util.flatten_up_to(tree, out_axes, "out_axes") if not isinstance(out_axes, int) \
        else [out_axes] * len(leaves0)
    stacked = [np.stack([np.asarray(v) for v in vs], axis=ax) for vs, ax in zip(per_leaf, axes)]
    return tree_util.tree_unflatten(tree, stacked)


def check_vmap(f, args, in_axes, out_axes=0, size=None, jit=True, rtol=None, atol=None):
    """vmap(f) eagerly, under jit (interpreter) and as verified IR, against a loop."""
    size = size if size is not None else next(
        np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    want = loop_reference(f, args, in_axes, out_axes, size)
    vf = fnx.vmap(f, in_axes=tuple(in_axes), out_axes=out_axes)
    assert_close(vf(*args), want, rtol, atol)
    if jit:
        fnx_ir.verify(fnx.make_ir(vf)(*args))
        assert_close(fnx.jit(vf, backend="interpreter")(*args), want, rtol, atol)
    return want
