"""Shared helpers for the control-flow tests: the backends to run jit on, and comparisons."""
from __future__ import annotations

import numpy as np

import fnx
from fnx import tree_util
from fnx.backends.base import available_backends, get_backend

try:  # the CPU backend registers itself when imported
    import fnx.backends.cpu  # noqa: F401
except Exception:  # pragma: no cover - llvmlite missing or the backend broken
    pass


def cpu_lowers_control_flow() -> bool:
    return "cpu" in available_backends() and "control-flow" in get_backend("cpu").capabilities


BACKENDS = ["interpreter"] + (["cpu"] if cpu_lowers_control_flow() else [])


def assert_trees_close(got, want, rtol=1e-6, atol=1e-6):
    g_leaves, g_tree = tree_util.tree_flatten(got)
    w_leaves, w_tree = tree_util.tree_flatten(want)
    assert g_tree == w_tree, (g_tree, w_tree)
    for g, w in zip(g_leaves, w_leaves):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def jit_all(f, *args, **kwargs):
    """f's results under jit on every backend that can lower control flow."""
    return {b: fnx.jit(f, backend=b)(*args, **kwargs) for b in BACKENDS}
