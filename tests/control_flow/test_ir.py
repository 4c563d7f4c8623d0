"""Control flow in the IR: the text form round-trips (traced programs, their derivatives and
batched versions), the verifier and the type rules check sub-programs against operands, and
the passes recurse into sub-programs (DCE also prunes unused outputs where that is safe)."""
from __future__ import annotations

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
import fnx_ir
from fnx import lax
from fnx.backends.interpreter import evaluate
from fnx_ir import IRTypeError, parse, passes, print_program, verify


def _scan_model(w, h0, xs):
    def step(h, x):
        h = fnp.tanh(h @ w + x)
        return h, fnp.sum(h)
    return lax.scan(step, h0, xs)


def _cond_model(x, y):
    return lax.cond(fnp.sum(x) > 0, lambda a, b: (a * b, a), lambda a, b: (a - b, b), x, y)


def _while_model(x):
    return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * x), (0, x))


W, H0, XS = np.eye(3) * 0.5, np.ones(3), np.ones((4, 3))
PROGRAMS = {
    "scan": lambda: fnx.make_ir(_scan_model)(W, H0, XS),
    "grad_scan": lambda: fnx.make_ir(fnx.grad(lambda w: fnp.sum(_scan_model(w, H0, XS)[1])))(W),
    "cond": lambda: fnx.make_ir(_cond_model)(np.ones(2), np.ones(2)),
    "grad_cond": lambda: fnx.make_ir(fnx.grad(lambda x: fnp.sum(_cond_model(x, x)[0])))(
        np.ones(2)),
    "vmap_cond": lambda: fnx.make_ir(fnx.vmap(_cond_model, in_axes=(None, 0)))(
        np.ones(2), np.ones((3, 2))),
    "while": lambda: fnx.make_ir(_while_model)(np.ones(2)),
    "jacfwd_while": lambda: fnx.make_ir(fnx.jacfwd(lambda x: _while_model(x)[1]))(np.ones(2)),
    "vmap_while": lambda: fnx.make_ir(fnx.vmap(
        lambda n, x: lax.fori_loop(0, n, lambda i, c: c * 2.0, x)))(
            np.array([1, 2], np.int32), np.ones(2)),
    "switch": lambda: fnx.make_ir(lambda i, x: lax.switch(
        i, [lambda v: v, lambda v: -v, lambda v: v * v], x))(np.int32(1), np.ones(2)),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_round_trip_and_verify(name):
    p = PROGRAMS[name]()
    verify(p)
    text = print_program(p)
    q = parse(text)
    assert q == p and print_program(q) == text
    verify(q)
    for r in (passes.dce(p), passes.cse(p), passes.simplify(p), passes.optimize(p)):
        verify(r)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_optimized_programs_compute_the_same(name):
    p = PROGRAMS[name]()
    args = [np.asarray(np.linspace(0.1, 0.9, t.size).reshape(t.shape), t.dtype.np)
            if t.dtype.is_float else np.ones(t.shape, t.dtype.np) for t in p.in_types]
    from fnx._core.api import optimize
    q = optimize(p)
    verify(q)
    for a, b in zip(evaluate(p, args), evaluate(q, args)):
        np.testing.assert_array_equal(a, b)


def test_text_form():
    two, zero = np.float32(2), np.float32(0)
    p = fnx.make_ir(lambda x: lax.cond(lax.gt(x, zero), lambda v: lax.mul(v, two), lax.neg,
                                       x))(np.float32(1))
    assert print_program(p) == """\
program(a:f32[]) {
  b:bool[] = gt a 0.0:f32
  c:i32[] = convert_element_type[new_dtype=i32, weak=False] b
  d:f32[] = cond[branches=(program(a:f32[]) {
      b:f32[] = neg a
      return b
    }, program(a:f32[]) {
      b:f32[] = mul a 2.0:f32
      return b
    })] c a
  return d
}"""


def test_type_rules_check_sub_programs_against_operands():
    body = parse("program(a:f32[], b:f32[3]) {\n  c:f32[3] = mul b b\n  return c, a\n}")
    f3, f = fnx_ir.shaped((3,), fnx_ir.float32), fnx_ir.shaped((), fnx_ir.float32)
    prim = fnx_ir.get_primitive("scan")
    params = dict(body=body, length=4, reverse=False, num_consts=1, num_carry=1, unroll=1)
    assert prim.infer([f, f3], params) == [f3, fnx_ir.shaped((4,), fnx_ir.float32)]
    with pytest.raises(IRTypeError, match="scan: operands of body.*value 1 has type f32\\[2\\]"):
        prim.infer([f, fnx_ir.shaped((2,), fnx_ir.float32)], params)
    with pytest.raises(IRTypeError, match="carry outputs of body"):
        prim.infer([f3], dict(params, num_consts=0, body=parse(
            "program(a:f32[3]) {\n  b:f32[] = reduce_sum[axes=(0,)] a\n  return b\n}")))
    with pytest.raises(IRTypeError, match="cond: outputs of branches\\[1\\]"):
        fnx_ir.get_primitive("cond").infer(
            [fnx_ir.shaped((), fnx_ir.int32), f],
            {"branches": (parse("program(a:f32[]) {\n  return a\n}"),
                          parse("program(a:f32[]) {\n  b:f64[] = convert_element_type"
                                "[new_dtype=f64, weak=False] a\n  return b\n}"))})
    with pytest.raises(IRTypeError, match="while: cond must return one bool scalar"):
        fnx_ir.get_primitive("while").infer([f], dict(
            cond=parse("program(a:f32[]) {\n  return a\n}"),
            body=parse("program(a:f32[]) {\n  return a\n}"), cond_nconsts=0, body_nconsts=0))


def test_verifier_rejects_a_body_that_reads_an_outer_variable():
    text = ("program(a:f32[]) {\n  b:f32[] = scan[body=program(c:f32[]) {\n"
            "      d:f32[] = add c a\n      return d\n    }, length=2, reverse=False, "
            "num_consts=0, num_carry=1, unroll=1] a\n  return b\n}")
    with pytest.raises(fnx_ir.ParseError, match="nested programs are closed"):
        parse(text)


# ----------------------------------------------------------------------------- passes

def _eqs(p, prim):
    return [eq for eq in p.equations if eq.primitive == prim]


def test_dce_prunes_unused_cond_outputs_and_operands():
    p = fnx.make_ir(lambda x, y: _cond_model(x, y)[1])(np.ones(2), np.ones(2))
    (before,) = _eqs(p, "cond")
    (after,) = _eqs(passes.dce(p), "cond")
    assert len(before.outputs) == 2 and len(after.outputs) == 1
    assert all(len(b.outputs) == 1 for b in after.params["branches"])


def test_dce_prunes_scan_ys_and_carries_nothing_needs():
    def f(x):
        def step(c, xi):
            a, b, n = c
            return (a + xi, b * xi, n + 1), (a * 2.0, b)  # b never feeds a or n
        return lax.scan(step, (x[0], x[1], 0), x)

    p = fnx.make_ir(lambda x: f(x)[0][0])(np.ones(3))  # only the carry `a`
    (eq,) = _eqs(passes.dce(p), "scan")
    assert eq.params["num_carry"] == 1 and len(eq.outputs) == 1
    p2 = fnx.make_ir(lambda x: f(x)[1][1])(np.ones(3))  # ys `b` needs the carry `b`
    (eq2,) = _eqs(passes.dce(p2), "scan")
    assert eq2.params["num_carry"] == 1 and len(eq2.outputs) == 2
    for prog in (p, p2):
        q = passes.dce(prog)
        verify(q)
        np.testing.assert_array_equal(evaluate(prog, [np.arange(3.0)]),
                                      evaluate(q, [np.arange(3.0)]))


def test_dce_keeps_carries_the_while_predicate_reads():
    def f(x):
        return lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * x, c[2] + 1.0),
                              (0, x, x))
    p = fnx.make_ir(lambda x: f(x)[1])(np.float64(2))
    (eq,) = _eqs(passes.dce(p), "while")
    assert len(eq.outputs) == 2  # the counter (read by cond) and the used carry
    assert evaluate(passes.dce(p), [np.float64(2)])[0] == 64.0


def test_cse_merges_inside_sub_programs_and_equal_loops():
    def f(x):
        step = lambda c, _: (fnp.sin(c) + fnp.sin(c), None)  # noqa: E731
        return (lax.scan(step, x, None, length=3)[0] + lax.scan(step, x, None, length=3)[0])
    p = passes.cse(fnx.make_ir(f)(np.ones(2)))
    scans = _eqs(p, "scan")
    assert len(scans) == 1
    assert len(_eqs(scans[0].params["body"], "sin")) == 1


def test_loops_are_not_constant_folded():
    f = lambda: lax.fori_loop(0, 10 ** 9, lambda i, c: c + 1.0, 0.0)  # noqa: E731
    p = fnx.jit(f, backend="interpreter").lower().program  # would hang if evaluated
    assert _eqs(p, "scan")


def test_checkpoint_inside_a_loop_body_is_inlined_for_backends():
    block = fnx.checkpoint(lambda c: fnp.sin(c) * 2.0)
    f = lambda x: lax.fori_loop(0, 3, lambda i, c: block(c), x)  # noqa: E731
    program = fnx.jit(fnx.grad(lambda x: fnp.sum(f(x))), backend="interpreter").lower(
        np.ones(2)).program

    def walk(p):
        for eq in p.equations:
            assert eq.primitive != "checkpoint"
            for q in fnx_ir.subprograms(eq.params):
                walk(q)
    walk(program)
    np.testing.assert_allclose(fnx.jit(fnx.grad(lambda x: fnp.sum(f(x))),
                                       backend="interpreter")(np.ones(2)),
                               fnx.grad(lambda x: fnp.sum(f(x)))(np.ones(2)))


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
