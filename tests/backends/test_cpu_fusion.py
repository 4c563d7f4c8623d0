"""The CPU backend's cross-kernel fusion, against the interpreter and against itself unfused:

- loop groups (schedule.fusion.group_kernels): consecutive map/reduce kernels sharing outer loops run
  row block by row block (softmax, logsumexp); only when every value one member writes is
  read by a later one at the same outer index;
- GEMM epilogues (kernels.fuse_epilogues): a dot's only, elementwise consumer runs inside the
  GEMM, in place in its output when the types allow;
- dot_general operands read as they lie (transposed operands need no transpose kernel), and
  the C^T = B^T A^T orientation for few columns.

Grouped/epilogue code computes every value with the same operations in the same order as the
unfused kernels, so the two agree bit for bit (FNX_CPU_NOGROUP / FNX_CPU_NOEPI turn them off).
"""
from __future__ import annotations

import numpy as np
import pytest

from fnx.backends.base import LoweringOptions
from fnx.backends.cpu import CPUBackend
from test_cpu import MAX_ULP, S, assert_same, check, eqn, f32, f64, full, i32, program

RNG = np.random.default_rng(0)


def unfused(prog, monkeypatch, *switches):
    for name in switches:
        monkeypatch.setenv(name, "1")
    ex = CPUBackend().lower(prog, LoweringOptions(extra={"cache": False}))
    for name in switches:
        monkeypatch.delenv(name)
    return ex


def same_as_unfused(prog, args, monkeypatch, *switches):
    fused = CPUBackend().lower(prog, LoweringOptions(extra={"cache": False}))
    plain = unfused(prog, monkeypatch, *switches)
    for g, w in zip(fused(*args), plain(*args)):
        assert_same(g, w)
    return fused, plain


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _softmax(b, x):
    shape = x.type.shape
    m = eqn(b, "reduce_max", x, axes=(1,))
    spread = eqn(b, "broadcast_in_dim", m, shape=shape, broadcast_dimensions=(0,))
    e = eqn(b, "exp", eqn(b, "sub", x, spread))
    s = eqn(b, "reduce_sum", e, axes=(1,))
    return eqn(b, "div", e, eqn(b, "broadcast_in_dim", s, shape=shape, broadcast_dimensions=(0,)))


def _logsumexp(b, x):
    m = eqn(b, "reduce_max", x, axes=(1,))
    spread = eqn(b, "broadcast_in_dim", m, shape=x.type.shape, broadcast_dimensions=(0,))
    s = eqn(b, "reduce_sum", eqn(b, "exp", eqn(b, "sub", x, spread)), axes=(1,))
    return eqn(b, "add", eqn(b, "log", s), m)


# ------------------------------------------------------------------ loop groups

@pytest.mark.parametrize("rows", [1, 7, 64, 333])
def test_softmax_rows_are_one_group(rows, monkeypatch):
    prog = program([S((rows, 300), f32)], _softmax)
    x = randn(rows, 300)
    x[0, :5] = [np.nan, np.inf, -np.inf, 0.0, -0.0]
    ex = check(prog, [x], rtol=1e-6)
    kernels = ex.partition.kernels
    if rows > 1:
        assert [k.kind for k in kernels] == ["group"]
        assert [m.kind for m in kernels[0].members] == ["reduce", "reduce", "map"]
        assert kernels[0].domain == (rows,)
    same_as_unfused(prog, [x], monkeypatch, "FNX_CPU_NOGROUP")


def test_logsumexp_reads_each_row_once(monkeypatch):
    prog = program([S((500, 1024), f32)], _logsumexp)
    x = randn(500, 1024) * 10
    ex = check(prog, [x], rtol=1e-5)
    (k,) = ex.partition.kernels
    assert k.kind == "group" and len(k.members) == 3
    assert k.reads == [prog.inputs[0]]
    same_as_unfused(prog, [x], monkeypatch, "FNX_CPU_NOGROUP")


def test_group_over_two_outer_dims_and_a_reduction_into_memory(monkeypatch):
    """Prefix (3, 5); the first member reduces a non-innermost dim (accumulating into its
    output, which must be initialised per outer index, not once)."""
    def build(b, x):
        s = eqn(b, "reduce_sum", x, axes=(2,))                        # (3, 5, 70)
        t = eqn(b, "broadcast_in_dim", s, shape=(3, 5, 40, 70), broadcast_dimensions=(0, 1, 3))
        return eqn(b, "reduce_max", eqn(b, "mul", x, t), axes=(3,))  # (3, 5, 40)
    prog = program([S((3, 5, 40, 70), f64)], build)
    x = randn(3, 5, 40, 70, dtype=np.float64)
    ex = check(prog, [x], rtol=1e-12)
    (k,) = ex.partition.kernels
    assert k.kind == "group" and k.domain == (3, 5)
    same_as_unfused(prog, [x], monkeypatch, "FNX_CPU_NOGROUP")


def test_values_read_at_another_outer_index_split_the_group():
    """m reversed along the rows is read at another row than it was written at."""
    def build(b, x):
        m = eqn(b, "reduce_max", x, axes=(1,))
        r = eqn(b, "rev", m, dimensions=(0,))
        return eqn(b, "reduce_sum", eqn(b, "mul", x, eqn(
            b, "broadcast_in_dim", r, shape=x.type.shape, broadcast_dimensions=(0,))), axes=(1,))
    prog = program([S((40, 200), f32)], build)
    ex = check(prog, [randn(40, 200)], rtol=1e-5)
    assert [k.kind for k in ex.partition.kernels] == ["reduce", "reduce"]


def test_expensive_members_without_inner_loop_stay_vectorised():
    """tanh over the rows would lose its vectorisation inside a row loop of 2-element sums."""
    def build(b, x, v):
        s = eqn(b, "reduce_sum", x, axes=(1,))
        return eqn(b, "mul", eqn(b, "tanh", v), s)
    prog = program([S((4096, 2), f32), S((4096,), f32)], build)
    ex = check(prog, [randn(4096, 2), randn(4096)], ulp=MAX_ULP, rtol=1e-6)
    assert "group" not in [k.kind for k in ex.partition.kernels]


def test_grouped_outputs_and_inputs_used_elsewhere(monkeypatch):
    """Group outputs that are program outputs, read by later kernels, and an input read both
    inside and outside the group."""
    def build(b, x, w):
        sm = _softmax(b, x)
        s = eqn(b, "reduce_sum", sm, axes=(1,))
        y = eqn(b, "dot_general", sm, w, dimension_numbers=(((1,), (0,)), ((), ())))
        return [sm, s, y, eqn(b, "cumsum", x, axis=0, reverse=False)]
    prog = program([S((33, 130), f32), S((130, 7), f32)], build)
    args = [randn(33, 130), randn(130, 7)]
    check(prog, args, rtol=2e-5)
    same_as_unfused(prog, args, monkeypatch, "FNX_CPU_NOGROUP")


# ------------------------------------------------------------------ GEMM epilogues

def _dense(b, x, w, bias):
    """relu(x @ w + bias), and the pre-activation's column sums (so that the epilogue also
    stores the pre-activation, for the reduction)."""
    m, n = x.type.shape[0], w.type.shape[1]
    z = eqn(b, "add", eqn(b, "dot_general", x, w, dimension_numbers=(((1,), (0,)), ((), ()))),
            eqn(b, "broadcast_in_dim", bias, shape=(m, n), broadcast_dimensions=(1,)))
    zero = full(b, 0.0, (m, n), x.type.dtype)
    return [eqn(b, "max", z, zero), eqn(b, "reduce_sum", z, axes=(0,))]


@pytest.mark.parametrize("m,k,n", [(128, 784, 512), (1, 5, 70), (37, 300, 33), (64, 0, 40)])
def test_bias_relu_runs_in_the_gemm_in_place(m, k, n, monkeypatch):
    prog = program([S((m, k), f32), S((k, n), f32), S((n,), f32)], _dense)
    args = [randn(m, k) / np.float32(np.sqrt(max(k, 1))), randn(k, n), randn(n)]
    ex = check(prog, args, rtol=1e-4)
    kern, red = ex.partition.kernels
    assert kern.root.primitive == "dot_general" and kern.epilogue is not None
    assert len(kern.outputs) == 2 and red.kind == "reduce"
    product = kern.root.outputs[0]
    assert ex.partition.base(product) is prog.outputs[0]  # accumulated in relu's output
    assert product not in ex.plan.offsets  # no arena buffer for the product
    same_as_unfused(prog, args, monkeypatch, "FNX_CPU_NOEPI")


def test_sgd_update_after_a_transposed_product(monkeypatch):
    """w - lr * (x^T @ g): the weight gradient never gets a buffer of its own."""
    def build(b, x, g, w):
        gw = eqn(b, "dot_general", x, g, dimension_numbers=(((0,), (0,)), ((), ())))
        return eqn(b, "sub", w, eqn(b, "mul", full(b, 0.01, w.type.shape, f32), gw))
    prog = program([S((128, 300), f32), S((128, 200), f32), S((300, 200), f32)], build)
    args = [randn(128, 300), randn(128, 200), randn(300, 200)]
    ex = check(prog, args, rtol=2e-5)
    (kern,) = ex.partition.kernels
    assert kern.epilogue is not None and not ex.plan.offsets
    same_as_unfused(prog, args, monkeypatch, "FNX_CPU_NOEPI")


def test_epilogue_of_another_type_keeps_the_product_buffer():
    def build(b, x, w):
        y = eqn(b, "dot_general", x, w, dimension_numbers=(((1,), (0,)), ((), ())))
        return eqn(b, "convert_element_type", y, new_dtype=i32, weak=False)
    prog = program([S((20, 30), f32), S((30, 50), f32)], build)
    ex = check(prog, [randn(20, 30) * 10, randn(30, 50)], rtol=1e-6)
    (kern,) = ex.partition.kernels
    assert kern.epilogue is not None and kern.root.outputs[0] in ex.plan.offsets


def test_no_epilogue_when_it_needs_later_values_or_the_product_is_shared():
    def later(b, x, w):
        y = eqn(b, "dot_general", x, w, dimension_numbers=(((1,), (0,)), ((), ())))
        s = eqn(b, "reduce_sum", eqn(b, "cumsum", x, axis=0, reverse=False), axes=(1,))  # after the dot
        return eqn(b, "add", y, eqn(b, "broadcast_in_dim", s, shape=(16, 16), broadcast_dimensions=(0,)))

    def shared(b, x, w):
        y = eqn(b, "dot_general", x, w, dimension_numbers=(((1,), (0,)), ((), ())))
        return [eqn(b, "exp", y), eqn(b, "cumsum", y, axis=1, reverse=False)]

    def transposed(b, x, w):
        y = eqn(b, "dot_general", x, w, dimension_numbers=(((1,), (0,)), ((), ())))
        return eqn(b, "add", y, eqn(b, "transpose", y, permutation=(1, 0)))
    for build in (later, shared, transposed):
        prog = program([S((16, 16), f32), S((16, 16), f32)], build)
        ex = check(prog, [randn(16, 16), randn(16, 16)], rtol=1e-5)
        assert all(k.epilogue is None for k in ex.partition.kernels), build.__name__


def test_epilogue_reading_an_input_at_another_layout(monkeypatch):
    """The epilogue reads a transposed input (strided): prefetching and indexing stay in bounds."""
    def build(b, x, w, t):
        y = eqn(b, "dot_general", x, w, dimension_numbers=(((1,), (0,)), ((), ())))
        return eqn(b, "mul", y, eqn(b, "transpose", t, permutation=(1, 0)))
    prog = program([S((70, 40), f32), S((40, 90), f32), S((90, 70), f32)], build)
    args = [randn(70, 40), randn(40, 90), randn(90, 70)]
    check(prog, args, rtol=2e-5)
    same_as_unfused(prog, args, monkeypatch, "FNX_CPU_NOEPI")


# ------------------------------------------------------------------ dot operands as they lie

@pytest.mark.parametrize("dn,ls,rs", [
    ((((0,), (0,)), ((), ())), (64, 40), (64, 50)),      # x^T @ g
    ((((1,), (1,)), ((), ())), (40, 64), (50, 64)),      # g @ w^T
    ((((0,), (1,)), ((), ())), (64, 40), (50, 64)),      # both transposed
    ((((2,), (2,)), ((0,), (0,))), (3, 20, 30), (3, 25, 30)),  # batched, rhs transposed
    ((((1,), (1,)), ((0,), (0,))), (3, 30, 20), (3, 30, 25)),  # batched, lhs transposed
])
def test_transposed_operands_need_no_transpose_kernel(dn, ls, rs):
    def build(b, x, y):
        return eqn(b, "dot_general", x, y, dimension_numbers=dn)
    for dt in (f32, f64):
        prog = program([S(ls, dt), S(rs, dt)], build)
        ex = check(prog, [randn(*ls, dtype=dt.np), randn(*rs, dtype=dt.np)],
                   rtol=2e-5 if dt is f32 else 1e-12)
        assert [k.root.primitive for k in ex.partition.kernels] == ["dot_general"]


@pytest.mark.parametrize("m,n,k", [(128, 10, 512), (512, 10, 128), (33, 1, 7), (100, 31, 3)])
def test_few_columns_run_as_the_transposed_product(m, n, k):
    def build(b, x, y):
        return eqn(b, "dot_general", x, y, dimension_numbers=(((1,), (0,)), ((), ())))
    for dt in (f32, f64):
        prog = program([S((m, k), dt), S((k, n), dt)], build)
        check(prog, [randn(m, k, dtype=dt.np), randn(k, n, dtype=dt.np)],
              rtol=2e-5 if dt is f32 else 1e-12)


def test_an_expensive_member_before_the_rows_stays_out_of_the_group(monkeypatch):
    """Transcendentals over the rows (too costly without their vectorisation next to 64-wide
    rows), then a row-wise softmax: the softmax is still one group."""
    def build(b, v, x):
        t = v
        for _ in range(8):
            t = eqn(b, "tanh", t)
        return [t, _softmax(b, x)]
    prog = program([S((256,), f32), S((256, 64), f32)], build)
    args = [randn(256), randn(256, 64)]
    ex = check(prog, args, rtol=1e-6)
    assert [k.kind for k in ex.partition.kernels] == ["map", "group"]
    same_as_unfused(prog, args, monkeypatch, "FNX_CPU_NOGROUP")


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
