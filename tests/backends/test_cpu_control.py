"""cond, while and scan on the CPU backend against the interpreter, including nesting, constants
inside bodies, literal operands and zero trip counts."""
from __future__ import annotations

import numpy as np
import pytest

import fnx_ir as ir
from test_cpu import S, check, eqn, f32, f64, full, i32, i64, program


def subprogram(in_types, fn, constants=()):
    """A sub-program (branch or body) from `fn(builder, *inputs)`; `constants` are captured arrays."""
    b = ir.Builder()
    ins = [b.input(t) for t in in_types]
    consts = [b.constant(c, S(c.shape, ir.dtype(c.dtype))) for c in constants]
    outs = fn(b, *ins, *consts)
    return b.build(list(outs) if isinstance(outs, (list, tuple)) else [outs])


def scan(b, body, length, consts, carry, xs, reverse=False):
    return eqn(b, "scan", *consts, *carry, *xs, body=body, length=length, reverse=reverse,
               num_consts=len(consts), num_carry=len(carry), unroll=1)


def test_scan_carry_and_stacked_outputs():
    """A running sum (carry) and its products with the slices (ys), forwards and backwards."""
    def body(b, scale, acc, x):
        acc2 = eqn(b, "add", acc, eqn(b, "mul", x, scale))
        return [acc2, eqn(b, "mul", acc2, x), eqn(b, "reduce_sum", x, axes=(0,))]
    sub = subprogram([S((3,), f64)] * 3, body)

    def build(b, scale, x):
        init = full(b, 0.0, (3,), f64)
        return scan(b, sub, 5, [scale], [init], [x]) + scan(b, sub, 5, [scale], [init], [x], reverse=True)
    rng = np.random.default_rng(0)
    check(program([S((3,), f64), S((5, 3), f64)], build),
          [rng.standard_normal(3), rng.standard_normal((5, 3))])


def test_scan_of_length_zero_and_literal_carry():
    sub = subprogram([S((), i32), S((2,), i32)],
                     lambda b, c, x: [eqn(b, "add", c, eqn(b, "reduce_sum", x, axes=(0,))), c])
    def build(b, xs, empty):
        seven = ir.literal(7, i32)
        return scan(b, sub, 4, [], [seven], [xs]) + scan(b, sub, 0, [], [seven], [empty])
    check(program([S((4, 2), i32), S((0, 2), i32)], build),
          [np.arange(8, dtype=np.int32).reshape(4, 2), np.zeros((0, 2), np.int32)])


def test_while_loop_with_consts_and_zero_iterations():
    """Doubling until a bound: the cond and the body have consts of their own."""
    cond = subprogram([S((), i64), S((), i64), S((4,), f32)], lambda b, bound, n, v: eqn(b, "lt", n, bound))
    body = subprogram([S((4,), f32), S((), i64), S((4,), f32)],
                      lambda b, step, n, v: [eqn(b, "add", n, ir.literal(1, i64)),
                                             eqn(b, "add", eqn(b, "mul", v, v), step)])

    def build(b, bound, v, step):
        return eqn(b, "while", bound, step, ir.literal(0, i64), v, cond=cond, body=body,
                   cond_nconsts=1, body_nconsts=1)
    prog = program([S((), i64), S((4,), f32), S((4,), f32)], build)
    v, step = np.array([0.5, 1.0, -1.0, 0.1], np.float32), np.full(4, 0.25, np.float32)
    for bound in (0, 1, 3, 4):
        check(prog, [np.array(bound), v, step])


def test_cond_clamps_its_index_and_branches_may_pass_operands_through():
    branches = (
        subprogram([S((3,), f32), S((), f32)], lambda b, x, s: [eqn(b, "neg", x), s]),
        subprogram([S((3,), f32), S((), f32)], lambda b, x, s: [x, eqn(b, "mul", s, s)]),
        subprogram([S((3,), f32), S((), f32)],
                   lambda b, x, s: [eqn(b, "exp", x), ir.literal(2.0, f32)]),
    )
    prog = program([S((), i32), S((3,), f32), S((), f32)],
                   lambda b, i, x, s: eqn(b, "cond", i, x, s, branches=branches))
    x, s = np.array([1.0, -2.0, 0.5], np.float32), np.array(3.0, np.float32)
    for i in (-5, 0, 1, 2, 99):
        check(prog, [np.array(i, np.int32), x, s], ulp=4)


def test_nested_control_flow_and_constants_in_bodies():
    """A scan whose body runs a cond whose branch runs a while; bodies capture constants."""
    table = np.arange(4, dtype=np.float64) + 1
    count_down = subprogram([S((), i64), S((), f64)], lambda b, n, a: eqn(b, "gt", n, ir.literal(0, i64)))
    halve = subprogram([S((), i64), S((), f64)], lambda b, n, a: [
        eqn(b, "sub", n, ir.literal(1, i64)), eqn(b, "mul", a, ir.literal(0.5, f64))])

    def dot_table(b, a, x, t):
        return eqn(b, "add", a, eqn(b, "reduce_sum", eqn(b, "mul", x, t), axes=(0,)))

    def halve_thrice(b, a, x):
        return eqn(b, "while", ir.literal(3, i64), a, cond=count_down, body=halve,
                   cond_nconsts=0, body_nconsts=0)[1]
    branches = (subprogram([S((), f64), S((4,), f64)], dot_table, constants=[table]),
                subprogram([S((), f64), S((4,), f64)], halve_thrice))

    def body(b, a, x):
        positive = eqn(b, "gt", eqn(b, "reduce_sum", x, axes=(0,)), ir.literal(0.0, f64))
        a2 = eqn(b, "cond", eqn(b, "convert_element_type", positive, new_dtype=i32, weak=False),
                 a, x, branches=branches)
        return [a2, eqn(b, "mul", x, eqn(b, "broadcast_in_dim", a2, shape=(4,), broadcast_dimensions=()))]
    sub = subprogram([S((), f64), S((4,), f64)], body)
    prog = program([S((6, 4), f64)], lambda b, xs: scan(b, sub, 6, [], [full(b, 1.0, (), f64)], [xs]))
    check(prog, [np.random.default_rng(1).standard_normal((6, 4))], rtol=1e-12)


@pytest.mark.parametrize("length", [1, 1000])
def test_scan_runs_natively_fast_enough(length):
    """A long scan is one native loop (no per-step Python)."""
    sub = subprogram([S((), f64), S((), f64)], lambda b, c, x: [eqn(b, "add", c, x), eqn(b, "mul", c, x)])
    prog = program([S((length,), f64)],
                   lambda b, xs: scan(b, sub, length, [], [full(b, 0.0, (), f64)], [xs]))
    ex = check(prog, [np.linspace(0, 1, length)], rtol=1e-12)
    assert ex.partition.kernels[-1].root.primitive == "scan"


