"""The everyday JAX names: fnx.tree, register_dataclass, devices, eval_shape/ShapeDtypeStruct,
make_jaxpr/jacobian, lax.*_in_dim, lax.Precision. Expected values are JAX 0.10's."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax, tree, tree_util

F32 = np.float32


# ------------------------------------------------------------------------------ fnx.tree

def test_tree_functions():
    assert tree.map(lambda a, b: a + b, [1, (2, 3)], [10, (20, 30)]) == [11, (22, 33)]
    assert tree.leaves({"b": 1, "a": [2, None]}) == [2, 1]
    assert tree.leaves([1, (2, 3)], is_leaf=lambda x: isinstance(x, tuple)) == [1, (2, 3)]
    leaves, treedef = tree.flatten({"a": 1, "b": (2, 3)})
    assert leaves == [1, 2, 3] and treedef == tree.structure({"a": 0, "b": (0, 0)})
    assert tree.unflatten(treedef, [4, 5, 6]) == {"a": 4, "b": (5, 6)}
    assert tree.reduce(lambda a, b: a + b, [1, (2, 3)]) == 6
    assert tree.reduce(lambda a, b: a + b, [1, 2, 3], 10) == 16
    with pytest.raises(TypeError):
        tree.reduce(lambda a, b: a + b, [])
    assert tree.all([1, (True, 2)]) and not tree.all([1, 0]) and tree.all([])
    assert tree.map(lambda x: x * 2, {"a": (1, 2)}, is_leaf=lambda x: isinstance(x, tuple)) \
        == {"a": (1, 2, 1, 2)}


def test_tree_transpose():
    outer, inner = tree.structure([0, 0]), tree.structure((0, 0))
    assert tree.transpose(outer, inner, [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    assert tree.transpose(outer, None, [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    with pytest.raises(TypeError, match="structure mismatch"):
        tree.transpose(outer, inner, [(1, 2), (3,)])


@tree_util.register_dataclass
@dataclasses.dataclass
class _Params:
    w: object
    n: int = dataclasses.field(metadata=dict(static=True))


class _Plain:
    def __init__(self, x, y):
        self.x, self.y = x, y


tree_util.register_dataclass(_Plain, data_fields=["x"], meta_fields=["y"])


def test_register_dataclass():
    leaves, treedef = tree.flatten(_Params(1.0, 2))
    assert leaves == [1.0]
    assert tree.unflatten(treedef, [5.0]) == _Params(5.0, 2)
    assert tree.structure(_Params(0, 2)) != tree.structure(_Params(0, 3))  # n is static
    g = fnx.grad(lambda p: p.w * p.n)(_Params(np.float32(1.5), 3))
    assert g.n == 3 and float(g.w) == 3.0
    out = fnx.jit(lambda p: _Params(p.w * 2, p.n))(_Params(np.float32(2), 7))
    assert out.n == 7 and float(out.w) == 4.0
    leaves, treedef = tree.flatten(_Plain(1, 2))
    assert leaves == [1] and tree.unflatten(treedef, [9]).x == 9
    with pytest.raises(TypeError, match="both"):
        tree_util.register_dataclass(_Plain, data_fields=["x"])

    @dataclasses.dataclass
    class Bad:
        a: int
    with pytest.raises(ValueError, match="init fields"):
        tree_util.register_dataclass(Bad, data_fields=["b"], meta_fields=[])


# ------------------------------------------------------------------------------ devices

def test_devices():
    (cpu,) = fnx.devices()
    assert repr(cpu) == "CpuDevice(id=0)" and cpu.platform == "cpu"
    assert fnx.devices("cpu") == fnx.local_devices() == [cpu]
    assert fnx.device_count() == fnx.local_device_count() == 1
    with pytest.raises(RuntimeError, match="gpu"):
        fnx.devices("gpu")


def test_device_put_get_block():
    a = np.arange(3, dtype=F32)
    put = fnx.device_put({"a": a, "s": 1.5})
    assert type(put["a"]) is fnx.Array and not np.shares_memory(put["a"], a)
    assert isinstance(put["s"], fnx.Array) and put["s"].shape == ()
    assert put["s"].weak_type and not put["a"].weak_type  # a Python scalar is weak, as in JAX
    x = fnp.ones(2, dtype=F32)
    assert fnx.device_put(x) is x and fnx.device_put(x, fnx.devices()[0]) is x
    assert fnx.device_put(x, may_alias=False) is not x
    with pytest.raises(ValueError, match="one device"):
        fnx.device_put(x, "gpu:0")
    got = fnx.device_get({"x": x, "n": 3})
    assert type(got["x"]) is np.ndarray and got["n"] == 3
    assert not got["x"].flags.writeable  # a view: no writing into fnx's array through it
    assert fnx.block_until_ready({"x": x})["x"] is x


# ------------------------------------------------------------------------------ aliases

def test_make_jaxpr_and_jacobian_aliases():
    x = np.array([0.5, 1.0], F32)
    assert str(fnx.make_jaxpr(fnp.sin)(x)) == str(fnx.make_ir(fnp.sin)(x))
    np.testing.assert_array_equal(fnx.jacobian(fnp.sin)(x), fnx.jacrev(fnp.sin)(x))


# ------------------------------------------------------------------------------ eval_shape

def test_eval_shape_and_shape_dtype_struct():
    s = fnx.ShapeDtypeStruct((2, 3), F32)
    assert repr(s) == "ShapeDtypeStruct(shape=(2, 3), dtype=float32)"
    assert (s.shape, s.dtype, s.ndim, s.size, s.weak_type) == ((2, 3), np.dtype(F32), 2, 6, False)
    assert s == fnx.ShapeDtypeStruct([2, 3], "float32") and hash(s) == hash(
        fnx.ShapeDtypeStruct((2, 3), F32))
    calls = []

    def f(a, b):
        calls.append(1)
        return {"x": a @ b, "y": (a.sum(), 2)}

    out = fnx.eval_shape(f, s, np.ones((3, 4), F32))
    assert out["x"] == fnx.ShapeDtypeStruct((2, 4), F32)
    assert out["y"][0] == fnx.ShapeDtypeStruct((), F32)
    assert out["y"][1].weak_type and out["y"][1].shape == ()
    assert calls == [1]
    text = fnx.jit(lambda a: a + 1).lower(s).as_text()
    assert "a:f32[2,3]" in text
    with pytest.raises(TypeError, match="holds no values"):
        fnx.jit(lambda a: a)(s)


# ------------------------------------------------------------------------------ lax *_in_dim

def test_lax_in_dim_functions():
    x = np.arange(10, dtype=F32)
    m = np.arange(12, dtype=F32).reshape(3, 4)
    cases = [  # (got, jax's value)
        (lax.dynamic_slice_in_dim(x, 8, 3), [7, 8, 9]),  # clamped to fit
        (lax.dynamic_slice_in_dim(x, -2, 2), [8, 9]),
        (lax.dynamic_index_in_dim(x, 3), [3]),
        (lax.dynamic_index_in_dim(x, 3, keepdims=False), 3),
        (lax.index_in_dim(x, -1), [9]),
        (lax.index_in_dim(x, 2, keepdims=False), 2),
        (lax.slice_in_dim(x, 1, None, 2), [1, 3, 5, 7, 9]),
        (lax.slice_in_dim(x, -3, None), [7, 8, 9]),
        (lax.dynamic_update_slice_in_dim(x, np.ones(2, F32), 9, 0), [0, 1, 2, 3, 4, 5, 6, 7, 1, 1]),
        (lax.dynamic_update_slice_in_dim(x, np.ones(2, F32), -1, axis=0),
         [0, 1, 2, 3, 4, 5, 6, 7, 1, 1]),
        (lax.dynamic_slice_in_dim(m, 1, 2, axis=1), [[1, 2], [5, 6], [9, 10]]),
        (lax.index_in_dim(m, 1, axis=1), [[1], [5], [9]]),
        (lax.index_in_dim(m, 1, axis=-1, keepdims=False), [1, 5, 9]),
    ]
    for got, want in cases:
        assert type(got) is fnx.Array
        np.testing.assert_array_equal(got, np.array(want, F32))
    with pytest.raises(IndexError, match="out of bounds"):
        lax.index_in_dim(x, 12)
    f = fnx.jit(lambda a, i: (lax.dynamic_slice_in_dim(a, i, 2),
                              lax.dynamic_index_in_dim(a, i, keepdims=False),
                              lax.dynamic_update_slice_in_dim(a, np.zeros(2, F32), i, 0)))
    s, e, u = f(x, np.int32(-2))
    np.testing.assert_array_equal(s, [8, 9])
    assert e == 8
    np.testing.assert_array_equal(u, [0, 1, 2, 3, 4, 5, 6, 7, 0, 0])


# ------------------------------------------------------------------------------ precision

def test_precision_enum_and_argument():
    P = lax.Precision
    assert list(P) == [P.DEFAULT, P.HIGH, P.HIGHEST]
    assert P("highest") is P.HIGHEST and P("float32") is P.HIGHEST and P("fastest") is P.DEFAULT
    assert P("tensorfloat32") is P.HIGH and str(P.HIGH) == "HIGH"
    assert repr(P.DEFAULT) == "Precision.DEFAULT"
    with pytest.raises(ValueError, match="not a valid Precision"):
        P("bogus")
    a = np.arange(6, dtype=F32).reshape(2, 3)
    b = np.arange(12, dtype=F32).reshape(3, 4)
    want = fnp.matmul(a, b)
    for p in (None, "highest", P.DEFAULT, (P.HIGH, "highest")):
        # no effect on the CPU: every precision computes in float32
        np.testing.assert_array_equal(fnp.matmul(a, b, precision=p), want)
        np.testing.assert_array_equal(fnp.dot(a, b, precision=p), want)
        np.testing.assert_array_equal(fnp.einsum("ij,jk->ik", a, b, precision=p), want)
        np.testing.assert_array_equal(fnp.tensordot(a, b, 1, precision=p), want)
        np.testing.assert_array_equal(lax.dot(a, b, precision=p), want)
        np.testing.assert_array_equal(
            lax.dot_general(a, b, (((1,), (0,)), ((), ())), precision=p), want)
    v = np.arange(3, dtype=F32)
    assert fnp.inner(v, v, precision="high") == fnp.vdot(v, v, precision="high") == 5.0
    for f in (lambda: fnp.dot(a, b, precision="bogus"), lambda: lax.dot(a, b, precision="x")):
        with pytest.raises(ValueError, match="not a valid Precision"):
            f()
    i = np.ones((2, 3), np.int32)
    assert lax.dot(i, np.ones(3, np.int32), preferred_element_type=np.float32).dtype == F32
    assert fnp.dot(i, np.ones(3, np.int32), preferred_element_type=np.float32).dtype == F32
    with pytest.raises(TypeError, match="1-D or 2-D"):
        lax.dot(np.ones((2, 2, 2), F32), np.ones(2, F32))


def test_lax_in_dim_against_jax_oracle():
    jax = pytest.importorskip("jax")
    x = np.arange(24, dtype=F32).reshape(4, 6)
    upd = -np.ones((2, 2), F32)
    for axis in (0, 1, -1):
        for s in range(-8, 9):
            pairs = [(lax.dynamic_index_in_dim(x, s, axis, keepdims=False),
                      jax.lax.dynamic_index_in_dim(x, s, axis, keepdims=False)),
                     (lax.dynamic_update_slice_in_dim(x, upd, s, axis),
                      jax.lax.dynamic_update_slice_in_dim(x, upd, s, axis))]
            pairs += [(lax.dynamic_slice_in_dim(x, s, size, axis),
                       jax.lax.dynamic_slice_in_dim(x, s, size, axis)) for size in (0, 1, 3, 4)]
            for got, want in pairs:
                np.testing.assert_array_equal(got, np.asarray(want))
