"""`fnx.Array`: every eager result is an ndarray subclass with JAX's array methods."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax, nn, random

X = np.linspace(-1, 1, 6, dtype=np.float32)


def _loss(x):
    return (fnp.sin(x) * x).sum()


def _custom_sin():
    f = fnx.custom_jvp(lambda a: fnp.sin(a))
    f.defjvp(lambda p, t: (fnp.sin(p[0]), fnp.cos(p[0]) * t[0]))
    return f


RESULTS = {
    "numpy": lambda: fnp.add(X, 1.0), "asarray": lambda: fnp.asarray(X),
    "asarray_list": lambda: fnp.asarray([1.0, 2.0]), "array": lambda: fnp.array(X),
    "arange": lambda: fnp.arange(3), "linspace": lambda: fnp.linspace(0, 1, 3),
    "eye0": lambda: fnp.eye(0), "nonzero": lambda: fnp.nonzero(X > 0),
    "unique": lambda: fnp.unique(np.array([3, 1, 3])), "tril_indices": lambda: fnp.tril_indices(3),
    "lax": lambda: lax.add(X, X), "iota": lambda: lax.iota(np.int32, (3,)),
    "nn": lambda: nn.relu(X), "softmax": lambda: nn.softmax(X),
    "key": lambda: random.key(0), "split": lambda: random.split(random.key(0)),
    "normal": lambda: random.normal(random.key(0), (3,)),
    "choice_empty": lambda: random.choice(random.key(0), 5, (0,)),
    "jit": lambda: fnx.jit(fnp.sin)(X), "jit_identity": lambda: fnx.jit(lambda a: a)(X),
    "jit_interpreter": lambda: fnx.jit(fnp.sin, backend="interpreter")(X),
    "grad": lambda: fnx.grad(_loss)(X), "value_and_grad": lambda: fnx.value_and_grad(_loss)(X),
    "jvp": lambda: fnx.jvp(_loss, (X,), (X,)), "vjp": lambda: fnx.vjp(_loss, X)[1](np.float32(1)),
    "jacfwd": lambda: fnx.jacfwd(fnp.sin)(X), "hessian": lambda: fnx.hessian(_loss)(X),
    "linearize": lambda: fnx.linearize(fnp.sin, X)[1](X),
    "vmap": lambda: fnx.vmap(fnp.sin)(X), "vmap_identity": lambda: fnx.vmap(lambda a: a)(X),
    "vmap_const": lambda: fnx.vmap(lambda a: 1.0)(X),
    "scan": lambda: lax.scan(lambda c, a: (c + a, c * a), np.float32(0), X),
    "cond": lambda: lax.cond(True, fnp.sin, fnp.cos, X),
    "while": lambda: lax.while_loop(lambda c: c < 3, lambda c: c + 1, 0),
    "fori": lambda: lax.fori_loop(0, 3, lambda i, c: c + i, np.float32(0)),
    "map": lambda: lax.map(fnp.sin, X), "switch": lambda: lax.switch(1, [fnp.sin, fnp.cos], X),
    "checkpoint": lambda: fnx.checkpoint(fnp.sin)(X),
    "custom_jvp": lambda: _custom_sin()(X),
}


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_every_eager_result_is_an_array(name):
    leaves = fnx.tree_util.tree_leaves(RESULTS[name]())
    assert leaves
    for leaf in leaves:
        assert isinstance(leaf, fnx.Array) and isinstance(leaf, np.ndarray), (name, type(leaf))
        assert isinstance(leaf, np.ndarray)


def test_isinstance():
    x = fnp.ones(3)
    assert isinstance(x, fnx.Array) and isinstance(x, np.ndarray)
    assert not isinstance(np.ones(3), fnx.Array)  # as jax.Array: numpy arrays are not
    assert not isinstance(3.0, fnx.Array)
    seen = []
    fnx.jit(lambda t: seen.append(isinstance(t, fnx.Array)) or t)(X)
    fnx.grad(lambda t: seen.append(isinstance(t, fnx.Array)) or t.sum())(X)
    assert seen == [True, True]


def test_at_eagerly_matches_jit_and_jax():
    x = fnp.arange(5, dtype=np.float32)
    before = np.array(x)
    ops = {  # expected values: jax.numpy 0.10 on the same calls
        "set": (lambda a: a.at[1].set(5.0), [0, 5, 2, 3, 4]),
        "add": (lambda a: a.at[1:3].add(1.0), [0, 2, 3, 3, 4]),
        "add_repeated": (lambda a: a.at[np.array([0, 0])].add(1.0), [2, 1, 2, 3, 4]),
        "multiply": (lambda a: a.at[2].multiply(3.0), [0, 1, 6, 3, 4]),
        "divide": (lambda a: a.at[2].divide(4.0), [0, 1, 0.5, 3, 4]),
        "power": (lambda a: a.at[2].power(2.0), [0, 1, 4, 3, 4]),
        "min": (lambda a: a.at[1].min(-1.0), [0, -1, 2, 3, 4]),
        "max": (lambda a: a.at[1].max(10.0), [0, 10, 2, 3, 4]),
        "apply": (lambda a: a.at[1:].apply(fnp.sin),
                  [0, 0.84147096, 0.9092974, 0.14112, -0.7568025]),
        "drop": (lambda a: a.at[7].set(1.0, mode="drop"), [0, 1, 2, 3, 4]),
        "hints": (lambda a: a.at[np.array([3, 1])].set(9.0, indices_are_sorted=False,
                                                       unique_indices=True), [0, 9, 2, 9, 4]),
        "get": (lambda a: a.at[1:3].get(), [1, 2]),
    }
    for name, (f, want) in ops.items():
        got = f(x)
        assert type(got) is fnx.Array, name
        np.testing.assert_allclose(got, np.array(want, np.float32), rtol=1e-6, err_msg=name)
        np.testing.assert_array_equal(fnx.jit(f)(x), got, err_msg=name)
    np.testing.assert_array_equal(x, before)  # .at never writes into x
    a = np.arange(3.0)
    assert fnp.asarray(a).at[0].set(7.0)[0] == 7.0 and a[0] == 0.0


def test_at_get_modes_match_jax():
    x = fnp.arange(5, dtype=np.float32)
    m = fnp.arange(12, dtype=np.float32).reshape(3, 4)
    i = np.array([7, -8, 2])
    cases = {  # expected values: jax.numpy 0.10
        "default_clamps": (lambda a, j: a.at[j].get(), x, i, [4, 0, 2]),
        "clip": (lambda a, j: a.at[j].get(mode="clip"), x, i, [4, 0, 2]),
        "fill": (lambda a, j: a.at[j].get(mode="fill"), x, i, [np.nan, np.nan, 2]),
        "fill_value": (lambda a, j: a.at[j].get(mode="fill", fill_value=-1), x, i, [-1, -1, 2]),
        "drop": (lambda a, j: a.at[j].get(mode="drop"), x, i, [np.nan, np.nan, 2]),
        "int_clip": (lambda a, j: a.at[7].get(mode="clip"), x, i, 4),
        "int_default": (lambda a, j: a.at[-1].get(), x, i, 4),
        "mixed_fill": (lambda a, j: a.at[j, 1:3].get(mode="fill", fill_value=-1), m,
                       np.array([0, 5]), [[1, 2], [-1, -1]]),
        "broadcast_fill": (lambda a, j: a.at[np.array([[0], [2]]), j].get(mode="fill",
                                                                         fill_value=0.5),
                           m, np.array([1, 7]), [[1, 0.5], [9, 0.5]]),
    }
    for name, (f, a, j, want) in cases.items():
        want = np.array(want, np.float32)
        np.testing.assert_array_equal(f(a, j), want, err_msg=name)
        np.testing.assert_array_equal(fnx.jit(f)(a, j.astype(np.int32)), want, err_msg=name)
    assert fnp.arange(3, dtype=np.int32).at[5].get(mode="fill") == np.iinfo(np.int32).min
    with pytest.raises(ValueError, match="unknown mode"):
        x.at[1].get(mode="wrap")


def test_jax_array_attributes():
    x = fnp.ones((2, 3), dtype=np.float32)
    assert x.block_until_ready() is x
    assert repr(x.device) == "CpuDevice(id=0)" and str(x.device) == "cpu:0"
    assert x.device.platform == "cpu" and x.device.id == 0
    assert x.devices() == {x.device}
    assert x.sharding.device_set == {x.device} and x.sharding.is_fully_replicated
    assert repr(x.sharding) == "SingleDeviceSharding(device=CpuDevice(id=0), memory_kind=device)"


def test_numpy_interop_views_copies_pickle():
    x = fnp.arange(6, dtype=np.float32)
    assert repr(x) == "Array([0., 1., 2., 3., 4., 5.], dtype=float32)"
    assert type(np.sin(x)) is fnx.Array and type(x + 1) is fnx.Array  # numpy's subclass rules
    assert type(np.asarray(x)) is np.ndarray and np.shares_memory(np.asarray(x), x)
    v = x[1:3]
    assert type(v) is fnx.Array and np.shares_memory(v, x)
    assert type(x.reshape(2, 3)) is fnx.Array
    for y in (pickle.loads(pickle.dumps(x)), copy.copy(x), copy.deepcopy(x), x.copy()):
        assert type(y) is fnx.Array and not np.shares_memory(y, x)
        np.testing.assert_array_equal(y, x)
    assert not hasattr(x, "__dict__")  # no per-array state


def test_eager_results_never_alias_inputs():
    a = fnp.arange(4.0)
    for out in (fnp.reshape(a, (2, 2)), fnp.asarray(a, dtype=np.float64, copy=True),
                fnx.jit(lambda t: t)(a), fnx.vmap(lambda t: t)(a), fnp.array(a)):
        assert not np.shares_memory(out, a)
    b = np.arange(4.0)
    assert not np.shares_memory(fnp.array(b), b)
    assert not np.shares_memory(fnp.array(fnp.asarray(b)), b)


def test_jit_caches_arrays_and_ndarrays_alike():
    f = fnx.jit(lambda t: t * 2)
    a = np.ones(3, np.float32)
    f(a)
    f(fnp.asarray(a))
    f(f(a))
    assert f.trace_count == 1


def test_eager_scan_slices_are_arrays():
    seen = []
    lax.scan(lambda c, x: (seen.append(type(x)) or c, x.at[0].set(1.0)), 0.0,
             np.zeros((2, 3), np.float32))
    assert seen == [fnx.Array, fnx.Array]


def test_astype_on_an_eager_result_is_fnx_conversion():
    """x.astype saturates like jit does (numpy's own astype gives undefined values for NaN)."""
    x = fnp.asarray(np.array([np.nan, 1e10, -1e10, -3.7], np.float32))
    got = x.astype(np.int32)
    assert type(got) is fnx.Array
    np.testing.assert_array_equal(got, [0, 2**31 - 1, -2**31, -3])
    np.testing.assert_array_equal(got, fnx.jit(lambda v: v.astype(np.int32))(x))
