"""Collectives over named vmap axes (`vmap(f, axis_name=...)` with `fnx.lax.psum` & co.),
with JAX's signatures and results (expected values checked against JAX)."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
import fnx_ir
from fnx import lax

F32 = np.float32


def _named(f, name="i", **kw):
    return fnx.vmap(f, axis_name=name, **kw)


def _eager_and_jit(f, *args):
    """f's results eagerly and under jit, which must agree exactly."""
    a, b = f(*args), fnx.jit(f)(*args)
    for x, y in zip(fnx.tree_util.tree_leaves(a), fnx.tree_util.tree_leaves(b)):
        np.testing.assert_array_equal(x, y)
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_reductions(dtype):
    x = np.array([3, -1, 7, 2], dtype)
    n = len(x)
    for fn, expected in [(lax.psum, x.sum()), (lax.pmax, x.max()), (lax.pmin, x.min())]:
        got = _eager_and_jit(_named(lambda v: fn(v, "i")), x)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, np.full(n, expected, dtype))
    mean = _eager_and_jit(_named(lambda v: lax.pmean(v, "i")), x)
    assert mean.dtype.kind == "f"  # a true division, as in JAX
    np.testing.assert_allclose(mean, np.full(n, 2.75), rtol=1e-6)


def test_unmapped_operands_and_pytrees():
    x = np.arange(3, dtype=F32)
    np.testing.assert_array_equal(_named(lambda v: lax.psum(1, "i"))(x), [3, 3, 3])
    np.testing.assert_array_equal(_named(lambda v: lax.pmax(F32(2.0), "i"))(x), [2, 2, 2])
    got = _named(lambda v: lax.psum({"a": v, "b": (2 * v,)}, "i"))(x)
    np.testing.assert_array_equal(got["a"], [3, 3, 3])
    np.testing.assert_array_equal(got["b"][0], [6, 6, 6])
    # no mapped argument at all: the axis size comes from axis_size
    np.testing.assert_array_equal(
        fnx.vmap(lambda: lax.axis_index("i"), axis_name="i", axis_size=4)(), [0, 1, 2, 3])


def test_axis_index_and_normalisation():
    x = np.arange(8, dtype=F32).reshape(4, 2)
    idx = _eager_and_jit(_named(lambda v: lax.axis_index("i")), x)
    assert idx.dtype == np.int32
    np.testing.assert_array_equal(idx, [0, 1, 2, 3])
    # each member's share of the total
    share = _eager_and_jit(_named(lambda v: v / lax.psum(v, "i")), x)
    np.testing.assert_allclose(share, x / x.sum(0), rtol=1e-6)


@pytest.mark.parametrize("axis,tiled,shape", [(0, False, (3, 3, 2)), (1, False, (3, 2, 3)),
                                              (-1, False, (3, 2, 3)), (0, True, (3, 6)),
                                              (-1, True, (3, 6))])
def test_all_gather(axis, tiled, shape):
    x = np.arange(6, dtype=F32).reshape(3, 2)
    got = _eager_and_jit(_named(lambda v: lax.all_gather(v, "i", axis=axis, tiled=tiled)), x)
    assert got.shape == shape
    gathered = np.concatenate(x, axis) if tiled else np.stack(x, axis % 2)
    for member in got:
        np.testing.assert_array_equal(member, gathered)


def test_nested_vmaps_with_different_names():
    x = np.arange(6, dtype=F32).reshape(3, 2)

    def nested(f):
        return _named(_named(f, "j"), "i")

    np.testing.assert_array_equal(nested(lambda v: lax.psum(v, "i"))(x), [[6, 9]] * 3)
    np.testing.assert_array_equal(nested(lambda v: lax.psum(v, "j"))(x), [[1, 1], [5, 5], [9, 9]])
    np.testing.assert_array_equal(nested(lambda v: lax.psum(v, ("i", "j")))(x), [[15, 15]] * 3)
    np.testing.assert_array_equal(nested(lambda v: lax.pmean(v, ("j", "i")))(x), [[2.5, 2.5]] * 3)
    got = nested(lambda v: lax.axis_index("i") * 10 + lax.axis_index("j"))(x)
    np.testing.assert_array_equal(got, [[0, 1], [10, 11], [20, 21]])
    # an unnamed vmap in between: the named axis is still the outer one
    inner_unnamed = _named(fnx.vmap(lambda v: lax.psum(v, "i")), "i")
    np.testing.assert_array_equal(inner_unnamed(x), [[6, 9]] * 3)


def test_gradients():
    x = np.arange(3, dtype=np.float64)
    # d/dx_k sum_m psum(x)_m * x_m = 2 * sum(x)  (psum's transpose is psum)
    g = fnx.grad(lambda x: _named(lambda v: lax.psum(v, "i") * v)(x).sum())(x)
    np.testing.assert_allclose(g, [6, 6, 6])
    g = fnx.grad(lambda x: _named(lambda v: (lax.all_gather(v, "i") * fnp.arange(3.0)).sum())(x).sum())(x)
    np.testing.assert_allclose(g, [0, 3, 6])
    for outer in (lambda f: f, fnx.jit):
        per_member = outer(_named(fnx.grad(lambda v: lax.psum(v * v, "i"))))(x)
        np.testing.assert_allclose(per_member, [0, 6, 12])
        tiled = outer(_named(fnx.grad(lambda v: (lax.all_gather(v, "i") ** 2).sum())))(x)
        np.testing.assert_allclose(tiled, [0, 6, 12])
    np.testing.assert_allclose(_named(fnx.hessian(lambda v: lax.psum(v ** 3, "i")))(x), [0, 18, 36])
    with pytest.raises(NotImplementedError, match="pmax"):  # as in JAX
        _named(fnx.grad(lambda v: lax.pmax(v, "i")))(x)


def test_under_jit_and_through_a_nested_jit():
    x = np.arange(4, dtype=F32)
    inner = fnx.jit(lambda v: v - lax.pmean(v, "i"))
    program = fnx.make_ir(_named(inner))(x)
    assert [eq.primitive for eq in program.equations] == ["jit"]  # the call stays a call
    np.testing.assert_allclose(_eager_and_jit(_named(inner), x), x - 1.5, rtol=1e-6)
    # a collective only inside the call, on unmapped operands
    const = fnx.jit(lambda: lax.psum(F32(1.0), "i"))
    np.testing.assert_array_equal(fnx.vmap(lambda v: const(), axis_name="i")(x), [4] * 4)
    # traced per named-axis environment: the same jit under a differently sized axis
    np.testing.assert_allclose(_named(inner)(np.arange(2, dtype=F32)), [-0.5, 0.5])


def test_inside_control_flow():
    x = np.arange(3, dtype=F32)
    branch = _named(lambda v: lax.cond(v > 0, lambda v: lax.psum(v, "i"), lambda v: v, v))
    np.testing.assert_array_equal(_eager_and_jit(branch, x), [0, 3, 3])
    loop = _named(lambda v: lax.fori_loop(0, 2, lambda i, c: c + lax.psum(c, "i"), v))
    np.testing.assert_array_equal(_eager_and_jit(loop, x), [15, 16, 17])


def test_unbound_axis_names_are_name_errors():
    x = np.arange(3, dtype=F32)
    for call in (lambda: lax.psum(x, "i"), lambda: lax.axis_index("i"),
                 lambda: lax.all_gather(x, "i"), lambda: fnx.jit(lambda v: lax.pmean(v, "i"))(x)):
        with pytest.raises(NameError, match="unbound axis name: i"):
            call()
    with pytest.raises(NameError, match="unbound axis name: j"):
        _named(lambda v: lax.psum(v, "j"))(x)
    with pytest.raises(NameError, match="unbound axis name: j"):
        _named(lambda v: lax.psum(v, ("i", "j")))(x)
    with pytest.raises(TypeError, match="axis_name"):
        fnx.vmap(lambda v: v, axis_name=0)


def test_collectives_are_equations_with_axis_name_params():
    from fnx._core.batching import bound_axis
    with bound_axis("i", 5):  # as inside vmap(..., axis_name="i", axis_size=5)
        program = fnx.make_ir(lambda v: lax.all_gather(lax.psum(v, "i"), "i", tiled=True))(
            np.ones(2, F32))
    prims = [(eq.primitive, eq.params["axis_name"]) for eq in program.equations]
    assert prims == [("psum", ("i",)), ("all_gather", ("i",))]
    assert program.out_types[0].shape == (10,)
    fnx_ir.verify(program)
    assert fnx_ir.parse(str(program)) == program


def test_psum_counts_booleans_as_int32():
    got = _named(lambda v: lax.psum(v > 0, "i"))(np.array([1, -1, 2], np.int32))
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, [2, 2, 2])


def test_collective_on_concrete_values_inside_a_named_vmap():
    """grad of a constant point inside the vmap traces concretely: the collective's value
    is left to the vmap (JAX: [0, 6, 12])."""
    x = np.arange(3, dtype=np.float64)
    for inner in (lambda y: lax.psum(y * 2.0, "i"), fnx.jit(lambda y: lax.psum(y * 2.0, "i"))):
        got = _named(lambda v: fnx.grad(inner)(1.0) * v)(x)
        np.testing.assert_allclose(got, [0, 6, 12])
