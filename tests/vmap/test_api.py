"""fnx.vmap: argument specs, pytrees, nesting, closures, jit composition, program size."""
from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
import fnx_ir
from fnx import lax

from ._util import assert_close, check_vmap, loop_reference

rng = np.random.default_rng(0)


def r(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def prims(program):
    return [e.primitive for e in program.equations]


# ------------------------------------------------------------------ in_axes / out_axes

def test_default_axes_and_numpy_results():
    x = r(4, 3)
    out = fnx.vmap(fnp.sin)(x)
    assert type(out) is fnx.Array and out.shape == (4, 3)
    np.testing.assert_allclose(out, np.sin(x), rtol=1e-6)


@pytest.mark.parametrize("in_axes", [(0, None), (1, None), (-1, None), (None, 0), (-2, 1)])
def test_in_axes_int_none_negative(in_axes):
    x, w = r(3, 3), r(3, 3)
    check_vmap(fnp.matmul, [x, w], list(in_axes), 0)


def test_in_axes_list_is_a_tuple():
    x, w = r(4, 3), r(3, 2)
    assert_close(fnx.vmap(fnp.matmul, in_axes=[0, None])(x, w), x @ w, rtol=1e-5)


def test_in_axes_pytree_prefix_and_kwargs():
    Params = namedtuple("Params", "w b")
    p = Params(r(3, 2), r(5, 2))  # w shared, b mapped along axis 0
    xs = r(3, 5)  # mapped along axis 1
    def f(params, x, scale):
        return {"y": fnp.matmul(x, params.w) + params.b, "s": scale * 2.0}
    scale = r(5)
    got = fnx.vmap(f, in_axes=(Params(None, 0), 1))(p, xs, scale=scale)
    want_y = np.stack([xs[:, i] @ p.w + p.b[i] for i in range(5)])
    assert_close(got, {"y": want_y, "s": scale * 2.0})


def test_in_axes_dict_leaf_axes():
    args = {"a": r(2, 4), "b": r(4)}
    f = lambda d: d["a"].sum(0) * d["b"]
    got = fnx.vmap(f, in_axes=({"a": 1, "b": 0},))(args)
    want = np.stack([args["a"][:, i].sum(0) * args["b"][i] for i in range(4)])
    assert_close(got, want)


def test_out_axes_pytree_and_none():
    x, c = r(4, 3), r(3)
    def f(a):
        return {"batched": a * 2.0, "const": c + 1.0, "pair": (a, fnp.sum(a))}
    got = fnx.vmap(f, out_axes={"batched": 1, "const": None, "pair": (-1, 0)})(x)
    assert_close(got, {"batched": (x * 2.0).T, "const": c + 1.0,
                       "pair": (x.T, x.sum(1))})


def test_unbatched_outputs_are_broadcast():
    x = r(4, 3)
    got = fnx.vmap(lambda a: (1.0, np.arange(2.0), a[0]), out_axes=(0, 1, 0))(x)
    f32 = np.float32  # the default float (x64 off); x is float32 too
    assert_close(got, (np.ones(4, f32), np.repeat(np.arange(2.0, dtype=f32)[:, None], 4, 1),
                       x[:, 0]))


def test_axis_size_when_nothing_is_mapped():
    got = fnx.vmap(lambda c: c * 2.0, in_axes=None, axis_size=3)(np.arange(2.0, dtype=np.float32))
    assert_close(got, np.tile(np.arange(2.0, dtype=np.float32) * 2.0, (3, 1)))
    assert fnx.vmap(lambda: np.float32(1.0), axis_size=2)().shape == (2,)


def test_eager_results_do_not_alias_inputs():
    x = r(3, 2)
    out = fnx.vmap(lambda a: a)(x)
    assert out is not x and not np.shares_memory(out, x)
    out[0, 0] = 100.0
    assert x[0, 0] != 100.0


def test_python_scalar_unmapped_argument():
    x = r(3, 2)
    assert_close(fnx.vmap(lambda a, s: a * s, in_axes=(0, None))(x, 2.0), x * 2.0)


@settings(max_examples=25)
@given(st.data())
def test_mlp_layer_any_axes(data):
    b = data.draw(st.integers(1, 4))
    xa = data.draw(st.sampled_from([0, 1, None]))
    wa = data.draw(st.sampled_from([0, 1, 2, None] if xa is not None else [0, 2]))
    x = r(*((b, 5) if xa == 0 else (5, b) if xa == 1 else (5,)))
    wshape = [5, 3]
    if wa is not None:
        wshape.insert(wa, b)
    w = r(*wshape)
    out_axes = data.draw(st.sampled_from([0, 1, -1]))
    check_vmap(lambda x, w: fnp.tanh(fnp.matmul(x, w)), [x, w], [xa, wa], out_axes)


# ------------------------------------------------------------------ nesting and closures

def test_nested_vmap_different_axes():
    x = r(3, 4, 5)
    f = lambda v: fnp.sum(v * v)
    got = fnx.vmap(fnx.vmap(f, in_axes=1), in_axes=2)(x)  # inner maps x's axis 1 of (3, 4)
    want = np.array([[np.sum(x[:, j, k] ** 2) for j in range(4)] for k in range(5)])
    assert_close(got, want, rtol=1e-5)


def test_nested_vmap_outer_product():
    a, b = r(3, 4), r(5, 4)
    dot = lambda u, v: fnp.matmul(u, v)
    got = fnx.vmap(fnx.vmap(dot, in_axes=(None, 0)), in_axes=(0, None))(a, b)
    assert_close(got, a @ b.T, rtol=1e-5)
    prog = fnx.make_ir(fnx.vmap(fnx.vmap(dot, in_axes=(None, 0)), in_axes=(0, None)))(a, b)
    assert prims(prog).count("dot_general") == 1


def test_inner_vmap_closes_over_outer_tracer():
    x, ys = r(3), r(3, 4)
    def outer(xi, y):
        return fnx.vmap(lambda yj: xi * yj)(y)
    got = fnx.vmap(outer)(x, ys)
    assert_close(got, x[:, None] * ys)


def test_closure_over_constant_is_not_broadcast():
    w = r(4, 3)
    prog = fnx.make_ir(fnx.vmap(lambda x: fnp.matmul(x, w)))(r(7, 4))
    assert prims(prog).count("dot_general") == 1 and "broadcast_in_dim" not in prims(prog)
    assert prog.constants[0][1].shape == (4, 3)
    x = r(7, 4)
    assert_close(fnx.vmap(lambda x: fnp.matmul(x, w))(x), x @ w, rtol=1e-5)


def test_unbatched_subcomputations_stay_unbatched():
    w = r(4, 3)
    def f(x):
        h = fnp.tanh(fnp.matmul(w.T, w))  # depends only on the constant
        return fnp.sum(x * h[0])
    prog = fnx.make_ir(fnx.vmap(f))(r(6, 3))
    t = {e.primitive: e.outputs[0].type.shape for e in prog.equations}
    assert t["tanh"] == (3, 3)  # computed once, not per example


# ------------------------------------------------------------------ composition with jit

def test_jit_of_vmap_and_vmap_of_jit():
    x, w = r(5, 4), r(4, 2)
    f = lambda a, b: fnp.tanh(fnp.matmul(a, b))
    want = np.tanh(x @ w)
    assert_close(fnx.jit(fnx.vmap(f, (0, None)), backend="interpreter")(x, w), want, rtol=1e-5)
    assert_close(fnx.vmap(fnx.jit(f), (0, None))(x, w), want, rtol=1e-5)
    assert_close(fnx.jit(fnx.vmap(fnx.jit(f), (0, None)), backend="interpreter")(x, w), want,
                 rtol=1e-5)


def test_vmap_inside_jit_closes_over_jit_tracer():
    y, xs = r(3), r(4, 3)
    g = fnx.jit(lambda y, xs: fnx.vmap(lambda x: x * y + fnp.sum(y))(xs), backend="interpreter")
    assert_close(g(y, xs), xs * y + y.sum(), rtol=1e-6)


def test_jit_of_vmap_default_backend():
    x = r(8, 3)
    assert_close(fnx.jit(fnx.vmap(lambda a: fnp.exp(a) * 2.0))(x), np.exp(x) * 2.0, rtol=1e-5)


# ------------------------------------------------------------------ program size

def _mlp(params, x):
    for w, b in params:
        x = fnp.tanh(fnp.matmul(x, w) + b)
    return fnp.sum(x)


@pytest.mark.parametrize("fn,args,axes", [
    (lambda x, w: fnp.matmul(x, w), lambda b: (r(b, 3, 4), r(4, 2)), (0, None)),
    (lambda x, w: fnp.matmul(x, w), lambda b: (r(b, 3, 4), r(b, 4, 2)), (0, 0)),
    (_mlp, lambda b: ([(r(3, 4), r(4)), (r(4, 2), r(2))], r(b, 3)), (None, 0)),
    (lambda x, i: lax.dynamic_slice(x, [i], [2]), lambda b: (r(b, 6), np.arange(b) % 4), (0, 0)),
    (lambda x, u, i: lax.dynamic_update_slice(x, u, [i]),
     lambda b: (r(b, 6), r(b, 2), np.arange(b) % 4), (0, 0, 0)),
    (lambda x, i: x[i], lambda b: (r(b, 6), np.arange(b) % 6), (0, 0)),
    (lambda x: fnp.sort(x) if hasattr(fnp, "sort") else lax.sort(x), lambda b: (r(b, 5),), (0,)),
])
def test_program_size_independent_of_batch_size(fn, args, axes):
    sizes = []
    for b in (2, 64):
        prog = fnx.make_ir(fnx.vmap(fn, in_axes=axes))(*args(b))
        fnx_ir.verify(prog)
        sizes.append(len(prog.equations))
    assert sizes[0] == sizes[1]
    per_example = fnx.make_ir(fn)(*[np.take(a, 0, 0) if ax == 0 else a
                                     for a, ax in zip(args(2), axes)])
    # the batched program does the batch's work in about as many equations
    assert sizes[0] <= 4 * len(per_example.equations) + 8


def test_vmap_matmul_is_one_dot_general():
    for axes, args in [((0, None), (r(9, 3, 4), r(4, 2))), ((0, 0), (r(9, 3, 4), r(9, 4, 2))),
                       ((None, 1), (r(3, 4), r(4, 9, 2))), ((1, 2), (r(3, 9, 4), r(4, 2, 9)))]:
        prog = fnx.make_ir(fnx.vmap(fnp.matmul, in_axes=axes))(*args)
        assert prims(prog).count("dot_general") == 1, prims(prog)
        assert "transpose" not in prims(prog) or axes != (0, None)
        check_vmap(fnp.matmul, list(args), list(axes), 0, rtol=1e-5)


def test_batched_indexing_becomes_gather():
    prog = fnx.make_ir(fnx.vmap(lambda x, i: lax.dynamic_slice(x, [i, 0], [2, 3])))(
        r(5, 6, 3), np.arange(5))
    assert "gather" in prims(prog) and "dynamic_slice" not in prims(prog)
    prog = fnx.make_ir(fnx.vmap(lambda x, u, i: lax.dynamic_update_slice(x, u, [i])))(
        r(5, 6), r(5, 2), np.arange(5))
    assert "scatter" in prims(prog) and "dynamic_update_slice" not in prims(prog)
    # unbatched starts keep the dynamic slice
    prog = fnx.make_ir(fnx.vmap(lambda x, i: lax.dynamic_slice(x, [i], [2]),
                                in_axes=(0, None)))(r(5, 6), np.int64(1))
    assert prims(prog) == ["dynamic_slice"]


def test_equation_sources_point_at_user_code():
    def f(x):
        return fnp.sin(x)  # marker-line
    prog = fnx.make_ir(fnx.vmap(f))(r(3, 2))
    assert prog.equations[0].source.endswith(f"test_api.py:{f.__code__.co_firstlineno + 1}")


def test_broadcast_of_unbatched_broadcast_is_composed():
    # x + 1.0 per example is broadcast(1.0) + x; batched, the literal is broadcast once,
    # straight to the batched shape (the per-example broadcast is dead code).
    prog = fnx_ir.passes.dce(fnx.make_ir(fnx.vmap(lambda x: x + 1.0))(r(5, 4)))
    bcasts = [e for e in prog.equations if e.primitive == "broadcast_in_dim"]
    assert len(bcasts) == 1 and bcasts[0].outputs[0].type.shape == (5, 4)


