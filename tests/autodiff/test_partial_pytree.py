"""`tree_util.Partial`, and `vjp`/`linearize` returning their linear maps as Partials
whose leaves are the residuals, so they cross `jit` in both directions (as in JAX)."""
import functools

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.tree_util import Partial, tree_flatten, tree_leaves, tree_unflatten

F32 = np.float32


def f(x):
    return fnp.sin(x) * x


def test_partial_is_a_pytree_of_its_bound_arguments():
    a, b = np.ones(2, F32), np.zeros(2, F32)
    p = Partial(fnp.add, a)
    leaves, tree = tree_flatten(p)
    assert leaves == [a]
    q = tree_unflatten(tree, [b])
    assert isinstance(q, Partial) and q.func is fnp.add
    np.testing.assert_array_equal(q(a), a)
    # keywords are children too; the function is static (part of the structure)
    assert tree_leaves(Partial(fnp.add, x2=b)) == [b]
    assert tree_flatten(Partial(fnp.add, a))[1] == tree_flatten(Partial(fnp.add, b))[1]
    assert tree_flatten(Partial(fnp.add, a))[1] != tree_flatten(Partial(fnp.subtract, a))[1]
    # a functools.partial used as the function keeps its arguments static
    inner = functools.partial(fnp.add, 1.0)
    assert tree_leaves(Partial(inner)) == []
    # nested Partials merge, as functools.partial does
    assert len(tree_leaves(Partial(Partial(fnp.add, a), b))) == 2


def test_partial_crosses_jit():
    a = np.arange(3, dtype=F32)
    got = fnx.jit(lambda g, x: g(x))(Partial(fnp.multiply, a), np.full(3, 2, F32))
    np.testing.assert_array_equal(got, 2 * a)
    out = fnx.jit(lambda x: Partial(fnp.multiply, x))(a)
    assert isinstance(out, Partial)
    np.testing.assert_array_equal(out(np.ones(3, F32)), a)


def test_vjp_pullback_is_a_pytree_that_crosses_jit():
    x = np.linspace(0, 1, 3).astype(F32)
    ct = np.ones(3, F32)
    want = np.sin(x) + x * np.cos(x)
    y, pull = fnx.jit(lambda x: fnx.vjp(f, x))(x)
    assert isinstance(pull, Partial)
    assert len(tree_leaves(pull)) == 3  # its residuals (JAX: 3 as well)
    np.testing.assert_allclose(y, np.sin(x) * x, rtol=1e-6)
    np.testing.assert_allclose(pull(ct)[0], want, rtol=1e-6)
    np.testing.assert_allclose(fnx.jit(lambda g, c: g(c))(pull, ct)[0], want, rtol=1e-6)
    _, eager_pull = fnx.vjp(f, x)
    np.testing.assert_allclose(fnx.jit(lambda g, c: g(c))(eager_pull, ct)[0], want, rtol=1e-6)
    # the pullback flows through vmap and tree_map like any pytree
    leaves = tree_leaves(fnx.tree_util.tree_map(lambda v: v * 0, eager_pull))
    assert all(not np.any(v) for v in leaves)
    with pytest.raises(TypeError, match="single argument"):
        eager_pull(ct, ct)


def test_linearize_f_jvp_crosses_jit():
    x = np.linspace(0, 1, 3).astype(F32)
    t = np.ones(3, F32)
    want = np.sin(x) + x * np.cos(x)
    _, f_jvp = fnx.jit(lambda x: fnx.linearize(f, x))(x)
    assert isinstance(f_jvp, Partial)
    np.testing.assert_allclose(f_jvp(t), want, rtol=1e-6)
    np.testing.assert_allclose(fnx.jit(lambda h, t: h(t))(f_jvp, t), want, rtol=1e-6)
