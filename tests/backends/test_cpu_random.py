"""Random programs on the CPU backend against the interpreter.

int32 arithmetic wraps, so it is exact in any evaluation order: every result must match bit for
bit, whatever the partitioner fused, stored twice, aliased or recomputed.
"""
from __future__ import annotations

import pytest

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fnx_ir as ir
from test_cpu import S, check, eqn, i32
from test_cpu_control import subprogram

SIZES = st.sampled_from([1, 2, 3, 5])
SHAPES = st.lists(SIZES, min_size=0, max_size=3).map(tuple)
UNARY = ["neg", "abs", "not"]
BINARY = ["add", "sub", "mul", "max", "min", "and", "xor"]
REDUCE = ["reduce_sum", "reduce_max", "reduce_min"]


def _same_shape_partner(draw, b, vals, x):
    """Another value of x's shape: an existing one, or x's reduction broadcast back (softmax-like)."""
    same = [v for v in vals if v.type.shape == x.type.shape]
    if x.type.ndim and draw(st.booleans()):
        axis = draw(st.integers(0, x.type.ndim - 1))
        r = eqn(b, draw(st.sampled_from(REDUCE)), x, axes=(axis,))
        kept = tuple(d for d in range(x.type.ndim) if d != axis)
        return eqn(b, "broadcast_in_dim", r, shape=x.type.shape, broadcast_dimensions=kept)
    return draw(st.sampled_from(same))


def _step(draw, b, vals):
    x = draw(st.sampled_from(vals))
    shape, nd = x.type.shape, x.type.ndim
    op = draw(st.sampled_from(["unary", "binary", "select", "reduce", "broadcast", "transpose",
                               "reshape", "rev", "slice", "cumsum", "sort", "dot", "concatenate",
                               "pad", "gather", "dynamic_slice", "iota", "update", "scatter",
                               "convert", "scan"]))
    if op == "convert":  # through another dtype and back: exact, and exercises bool bytes
        via = draw(st.sampled_from([ir.float64, ir.bool_, ir.uint32, ir.int64]))
        y = eqn(b, "convert_element_type", x, new_dtype=via, weak=False)
        return eqn(b, "convert_element_type", y, new_dtype=i32, weak=False)
    if op == "unary":
        return eqn(b, draw(st.sampled_from(UNARY)), x)
    if op == "binary":
        return eqn(b, draw(st.sampled_from(BINARY)), x, _same_shape_partner(draw, b, vals, x))
    if op == "select":
        y = _same_shape_partner(draw, b, vals, x)
        return eqn(b, "select", eqn(b, "gt", x, y), x, y)
    if op == "reduce":
        axes = tuple(sorted(draw(st.sets(st.integers(0, nd - 1), max_size=nd)))) if nd else ()
        return eqn(b, draw(st.sampled_from(REDUCE)), x, axes=axes)
    if op == "broadcast":
        return eqn(b, "broadcast_in_dim", x, shape=(draw(SIZES),) + shape,
                   broadcast_dimensions=tuple(range(1, nd + 1)))
    if op == "iota":
        return eqn(b, "iota", dtype=i32, shape=shape or (3,),
                   dimension=draw(st.integers(0, max(nd - 1, 0))))
    if nd == 0:
        return None
    axis = draw(st.integers(0, nd - 1))
    if op == "transpose":
        return eqn(b, "transpose", x, permutation=tuple(draw(st.permutations(range(nd)))))
    if op == "reshape":
        swapped = shape[::-1] if nd == 2 and 1 in shape else shape
        sizes = draw(st.sampled_from([(x.type.size,), (1, x.type.size), swapped]))
        return eqn(b, "reshape", x, new_sizes=sizes)
    if op == "rev":
        return eqn(b, "rev", x, dimensions=(axis,))
    if op == "slice":
        start = tuple(draw(st.integers(0, max(n - 1, 0))) for n in shape)
        return eqn(b, "slice", x, start_indices=start, limit_indices=shape, strides=(1,) * nd)
    if op == "cumsum":
        return eqn(b, "cumsum", x, axis=axis, reverse=draw(st.booleans()))
    if op == "sort":
        return eqn(b, "sort", x, _same_shape_partner(draw, b, vals, x), dimension=axis, num_keys=1)[1]
    if op == "dot":
        last = nd - 1
        return eqn(b, "dot_general", x, x, dimension_numbers=(((last,), (last,)), ((), ())))
    if op == "concatenate":
        return eqn(b, "concatenate", x, x, dimension=axis)
    if op == "pad" and x.type.size:  # (the interpreter mis-shapes negative pads of empty dims)
        return eqn(b, "pad", x, ir.literal(7, i32), padding_config=tuple(
            (draw(st.integers(-1, 1)), draw(st.integers(0, 1)), draw(st.integers(0, 1))) for _ in shape))
    if op == "gather":
        idx = eqn(b, "iota", dtype=i32, shape=(4,), dimension=0)
        two = eqn(b, "broadcast_in_dim", ir.literal(2, i32), shape=(4,), broadcast_dimensions=())
        return eqn(b, "gather", x, eqn(b, "mul", idx, two), axes=(axis,))
    if op in ("scatter", "update") and draw(st.booleans()):
        x = eqn(b, "neg", x)  # a fresh intermediate, which the update can take over
    if op == "scatter" and x.type.size:  # (the interpreter cannot scatter into empty arrays)
        idx = eqn(b, "iota", dtype=i32, shape=(3,), dimension=0)
        rest = tuple(n for d, n in enumerate(shape) if d != axis)
        upd = eqn(b, "broadcast_in_dim", ir.literal(draw(st.integers(-9, 9)), i32), shape=(3,) + rest,
                  broadcast_dimensions=())
        return eqn(b, draw(st.sampled_from(["scatter", "scatter_add", "scatter_max"])), x, upd, idx,
                   axes=(axis,), mode=draw(st.sampled_from(["clip", "drop"])))
    if op == "scan":  # carry += slice; ys = carry * slice
        row = S(shape[1:], i32)
        body = subprogram([row, row], lambda bb, c, r: [eqn(bb, "add", c, r), eqn(bb, "mul", c, r)])
        init = eqn(b, "broadcast_in_dim", ir.literal(1, i32), shape=shape[1:], broadcast_dimensions=())
        return eqn(b, "scan", init, x, body=body, length=shape[0], reverse=draw(st.booleans()),
                   num_consts=0, num_carry=1, unroll=1)[draw(st.integers(0, 1))]
    if op in ("scatter", "pad"):
        return None
    sizes = tuple(draw(st.integers(0, n)) for n in shape)
    window = eqn(b, "dynamic_slice", x, *[ir.literal(draw(st.integers(-2, 4)), i32) for _ in shape],
                 slice_sizes=sizes)
    if op == "dynamic_slice":
        return window
    return eqn(b, "dynamic_update_slice", x, eqn(b, "neg", window),
               *[ir.literal(draw(st.integers(-2, 4)), i32) for _ in shape])


@st.composite
def programs(draw):
    b = ir.Builder()
    vals = [b.input(S(draw(SHAPES), i32)) for _ in range(draw(st.integers(1, 3)))]
    for _ in range(draw(st.integers(2, 14))):
        try:
            v = _step(draw, b, vals)
        except ir.IRTypeError:  # e.g. a gather from an axis that became empty
            continue
        if v is not None:
            vals.append(v)
    outs = [vals[-1]] + draw(st.lists(st.sampled_from(vals + [ir.literal(3, i32)]), max_size=3))
    prog = b.build(outs)
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    args = [rng.integers(-2**31, 2**31, v.type.shape, dtype=np.int64).astype(np.int32)
            for v in prog.inputs]
    return prog, args


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_random_int_programs_match_the_interpreter(case):
    prog, args = case
    check(prog, args)


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
