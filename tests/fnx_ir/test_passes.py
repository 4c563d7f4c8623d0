"""Passes: dce, cse, constant folding and the optimize pipeline."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from fnx_ir import (Builder, Equation, Literal, Program, ShapedType, Var, float32, int32,
                    parse, passes, print_program, verify)

try:
    from .test_text import programs, same_values
except ImportError:
    from test_text import programs, same_values

F3 = ShapedType((3,), float32)
FOLDABLE = ("add", "mul", "neg", "sin", "broadcast_in_dim")
_NUMPY = {"add": np.add, "mul": np.multiply, "neg": np.negative, "sin": np.sin}


def evaluate(name: str, values: list, params: dict):
    """The caller-supplied evaluator: numpy for a few primitives, None (decline) for others."""
    if name == "broadcast_in_dim":
        (x,), shape, dims = values, params["shape"], params["broadcast_dimensions"]
        expanded = [1] * len(shape)
        for i, d in enumerate(dims):
            expanded[d] = x.shape[i]
        return [np.broadcast_to(x.reshape(expanded), shape)]
    if name in _NUMPY:
        with np.errstate(all="ignore"):
            return [np.asarray(_NUMPY[name](*values))]
    return None


def run(p: Program, args: list) -> list:
    """A tiny interpreter over `evaluate`, to check that passes keep the meaning."""
    env = dict(zip(p.inputs, args))
    env.update(p.constants)
    value = lambda x: np.asarray(x.value) if isinstance(x, Literal) else env[x]  # noqa: E731
    for eqn in p.equations:
        env.update(zip(eqn.outputs, evaluate(eqn.primitive, [value(x) for x in eqn.inputs],
                                             eqn.params)))
    return [value(x) for x in p.outputs]


def unchanged(p: Program, pass_):
    """Run `pass_`, checking that it leaves its input alone and returns a valid program."""
    before, equations = print_program(p), list(p.equations)
    q = pass_(p)
    assert print_program(p) == before and p.equations == equations
    verify(q)
    assert q.in_types == p.in_types and q.out_types == p.out_types
    return q


# ------------------------------------------------------------------ dce

def test_dce_removes_unused_equations_and_constants():
    p = parse("program(a:f32[3], b:f32[3]) consts(c:f32[3] = [1.0, 2.0, 3.0]) {\n"
              "  d:f32[3] = add a c\n  e:f32[3] = neg d\n  f:f32[3] = sin a\n"
              "  g:f32[3] = mul f f\n  return f, b\n}")
    assert print_program(unchanged(p, passes.dce)) == (
        "program(a:f32[3], b:f32[3]) {\n  c:f32[3] = sin a\n  return c, b\n}")


def test_dce_keeps_equations_without_outputs_and_cleans_nested_programs():
    inner = parse("program(a:f32[3]) {\n  b:f32[3] = neg a\n  c:f32[3] = sin a\n  return c\n}")
    a, b = Var(F3), Var(F3)
    p = Program([a], [], [Equation("neg", [a], [b], {"body": inner}),
                          Equation("stop_gradient", [a], [])], [a])
    q = passes.dce(p)
    assert [e.primitive for e in q.equations] == ["stop_gradient"]
    p.outputs = [b]
    (eqn, _) = passes.dce(p).equations
    assert print_program(eqn.params["body"]) == (
        "program(a:f32[3]) {\n  b:f32[3] = sin a\n  return b\n}")
    assert len(inner.equations) == 2


# ------------------------------------------------------------------ cse

def test_cse_merges_duplicate_equations_and_constants():
    p = parse("program(a:f32[3]) consts(b:f32[3] = [1.0, 2.0, 3.0], c:f32[3] = [1.0, 2.0, 3.0]) {\n"
              "  d:f32[3] = add a b\n  e:f32[3] = add a c\n  f:f32[3] = mul d e\n"
              "  g:f32[] = reduce_sum[axes=(0,)] d\n  h:f32[] = reduce_sum[axes=(0,)] e\n"
              "  i:f32[] = reduce_max[axes=(0,)] e\n  return f, g, h, i\n}")
    assert print_program(unchanged(p, passes.cse)) == (
        "program(a:f32[3]) consts(b:f32[3] = [1.0, 2.0, 3.0]) {\n"
        "  c:f32[3] = add a b\n  d:f32[3] = mul c c\n  e:f32[] = reduce_sum[axes=(0,)] c\n"
        "  f:f32[] = reduce_max[axes=(0,)] c\n  return d, e, e, f\n}")


def test_cse_distinguishes_params_and_literals_exactly():
    p = parse("program(a:f32[], b:i32[]) {\n"
              "  c:f32[] = add a 0.0:f32\n  d:f32[] = add a -0.0:f32\n  e:f32[] = add a 0.0:f32~\n"
              "  f:f32[] = add a 0.0:f32\n"
              "  g:f32[] = convert_element_type[new_dtype=f32, weak=False] b\n"
              "  h:f32[] = convert_element_type[new_dtype=f32, weak=False] b\n"
              "  i:f32[]~ = convert_element_type[new_dtype=f32, weak=True] b\n"
              "  return c, d, e, f, g, h, i\n}")
    q = unchanged(p, passes.cse)
    assert len(q.equations) == 5 and print_program(q).endswith("return c, d, e, c, f, f, g\n}")


def test_cse_key_tells_true_from_one_and_float_signs():
    a = Var(F3)
    outs = [Var(F3) for _ in range(5)]
    values = [1, True, 1.0, -0.0, 0.0]
    p = Program([a], [], [Equation("neg", [a], [o], {"p": v}) for o, v in zip(outs, values)], outs)
    assert len(passes.cse(p).equations) == 5


def test_cse_handles_unhashable_params():
    a = Var(F3)
    outs = [Var(F3) for _ in range(6)]
    params = [{"p": [1, 2]}, {"p": [1, 2]}, {"p": {"x": 1}}, {"p": {"x": 1}},
              {"p": np.arange(3)}, {"p": np.arange(3)}]
    p = Program([a], [], [Equation("neg", [a], [o], ps) for o, ps in zip(outs, params)], outs)
    q = passes.cse(p)
    # lists and arrays are compared by value; a dict has no key, so it is never merged
    assert [len(e.params) for e in q.equations] == [1, 1, 1, 1]
    assert q.outputs == [outs[0], outs[0], outs[2], outs[3], outs[4], outs[4]]


def test_cse_respects_prevent_cse():
    a = Var(F3)
    outs = [Var(F3) for _ in range(4)]
    flags = [True, True, False, False]
    p = Program([a], [], [Equation("neg", [a], [o], {"prevent_cse": f})
                          for o, f in zip(outs, flags)], outs)
    assert passes.cse(p).outputs == outs[:3] + [outs[2]]


def test_cse_merges_equal_nested_programs():
    def body():
        return parse("program(a:f32[3]) {\n  b:f32[3] = sin a\n  c:f32[3] = sin a\n"
                     "  d:f32[3] = add b c\n  return d\n}")
    a, b, c = Var(F3), Var(F3), Var(F3)
    p = Program([a], [], [Equation("neg", [a], [b], {"body": body()}),
                          Equation("neg", [a], [c], {"body": body()})], [b, c])
    q = passes.cse(p)
    assert len(q.equations) == 1 and q.outputs == [b, b]
    assert len(q.equations[0].params["body"].equations) == 2  # cleaned inside too


# ------------------------------------------------------------------ fold

def test_fold_scalars_become_literals_and_arrays_constants():
    p = parse("program(a:f32[3]) consts(b:f32[3] = [1.0, 2.0, 3.0]) {\n"
              "  c:f32[] = add 1.0:f32 2.0:f32\n  d:f32[] = neg c\n"
              "  e:f32[3] = broadcast_in_dim[shape=(3,), broadcast_dimensions=()] d\n"
              "  f:f32[3] = mul e b\n  g:f32[3] = add a f\n  return g, d\n}")
    q = unchanged(p, lambda p: passes.fold_constants(p, evaluate))
    # Scalars fold to literals; the broadcast stays (its constant would be larger than it).
    assert print_program(passes.dce(q)) == (
        "program(a:f32[3]) consts(b:f32[3] = [1.0, 2.0, 3.0]) {\n"
        "  c:f32[3] = broadcast_in_dim[shape=(3,), broadcast_dimensions=()] -3.0:f32\n"
        "  d:f32[3] = mul c b\n  e:f32[3] = add a d\n  return e, -3.0:f32\n}")
    r = parse("program() consts(a:f32[3] = [1.0, 2.0, 3.0]) {\n  b:f32[3] = neg a\n  return b\n}")
    assert print_program(passes.dce(passes.fold_constants(r, evaluate))) == (
        "program() consts(a:f32[3] = [-1.0, -2.0, -3.0]) {\n  return a\n}")


def test_fold_leaves_large_results_and_declined_equations():
    p = parse("program() {\n"
              "  a:f32[2000] = broadcast_in_dim[shape=(2000,), broadcast_dimensions=()] 1.0:f32\n"
              "  b:f32[] = exp 1.0:f32\n  c:f32[] = reduce_sum[axes=(0,)] a\n  return b, c\n}")
    q = passes.fold_constants(p, evaluate, max_size=4096)
    # the evaluator declines exp; a broadcast never folds (it would grow the program)
    assert [e.primitive for e in q.equations] == ["broadcast_in_dim", "exp", "reduce_sum"]
    big = parse("program() consts(a:f32[2000] = [" + ", ".join(["1.0"] * 2000) + "]) {\n"
                "  b:f32[2000] = neg a\n  return b\n}")
    assert passes.fold_constants(big, evaluate) == big  # over max_size: left alone


def test_fold_checks_the_evaluator():
    p = parse("program() {\n  a:f32[] = add 1.0:f32 2.0:f32\n  return a\n}")
    with pytest.raises(ValueError, match=r"evaluate\('add'\) returned float64\[2\]; expected f32\[\]"):
        passes.fold_constants(p, lambda name, values, params: [np.zeros(2)])
    # dtypes are cast as the interpreter casts; NotImplementedError declines
    cast = passes.fold_constants(p, lambda name, values, params: [np.float64(3.0)])
    assert print_program(cast) == "program() {\n  return 3.0:f32\n}"

    def unsupported(name, values, params):
        raise NotImplementedError(name)
    assert passes.fold_constants(p, unsupported) == p


def test_fold_inside_nested_programs():
    inner = parse("program(a:f32[]) {\n  b:f32[] = neg 2.0:f32\n  c:f32[] = add a b\n"
                  "  return c\n}")
    a, b = Var(ShapedType((), float32)), Var(ShapedType((), float32))
    p = Program([a], [], [Equation("neg", [a], [b], {"body": inner})], [b])
    body = passes.optimize(p, evaluate).equations[0].params["body"]
    assert print_program(body) == "program(a:f32[]) {\n  b:f32[] = add a -2.0:f32\n  return b\n}"


def test_optimize_pipeline():
    p = parse("program(a:f64[2]) {\n"
              "  b:f64[] = mul 3.0:f64 2.0:f64\n"
              "  c:f64[2] = broadcast_in_dim[shape=(2,), broadcast_dimensions=()] b\n"
              "  d:f64[2] = add a c\n  e:f64[2] = add a c\n  f:f64[2] = mul d e\n"
              "  g:f64[2] = sin a\n  return f\n}")
    assert print_program(passes.optimize(p, evaluate)) == (
        "program(a:f64[2]) {\n"
        "  b:f64[2] = broadcast_in_dim[shape=(2,), broadcast_dimensions=()] 6.0:f64\n"
        "  c:f64[2] = add a b\n  d:f64[2] = mul c c\n  return d\n}")
    assert len(passes.optimize(p).equations) == 4  # without an evaluator: cse and dce only


# ------------------------------------------------------------------ properties

@settings(max_examples=40, deadline=None)
@given(programs())
def test_passes_keep_random_programs_valid(p):
    for pass_ in (passes.dce, passes.cse, passes.optimize):
        assert len(unchanged(p, pass_).equations) <= len(p.equations)


@settings(max_examples=40, deadline=None)
@given(p=programs(names=FOLDABLE, max_equations=6), data=st.data())
def test_passes_keep_the_meaning(p, data):
    args = [data.draw(arrays(t.dtype.np, t.shape)) for t in p.in_types]
    q = unchanged(p, lambda p: passes.optimize(p, evaluate))
    for x, y in zip(run(p, args), run(q, args)):
        assert same_values(np.asarray(x), np.asarray(y))


def test_optimize_is_idempotent_on_an_example():
    b = Builder()
    x = b.input(ShapedType((), int32))
    (y,) = b.equation("add", [x, Literal(1, ShapedType((), int32))])
    (z,) = b.equation("add", [x, Literal(1, ShapedType((), int32))])
    (w,) = b.equation("mul", [y, z])
    p = passes.optimize(b.build([w]))
    assert passes.optimize(p) == p and len(p.equations) == 2


# ------------------------------------------------------------------ simplify

def test_simplify_removes_exact_identities_only():
    p = parse("program(a:f32[3]) {\n"
              "  b:f32[3] = broadcast_in_dim[shape=(3,), broadcast_dimensions=()] 1.0:f32\n"
              "  c:f32[3] = mul a b\n"
              "  d:f32[3] = neg c\n  e:f32[3] = neg d\n"
              "  f:f32[3] = broadcast_in_dim[shape=(3,), broadcast_dimensions=()] 0.0:f32\n"
              "  g:f32[3] = sub e f\n  h:f32[3] = add g f\n"
              "  i:f32[3] = broadcast_in_dim[shape=(3,), broadcast_dimensions=()] -0.0:f32\n"
              "  j:f32[3] = sub h i\n"
              "  k:f32[3] = reshape[new_sizes=(3,)] j\n  return k\n}")
    q = passes.dce(unchanged(p, passes.simplify))
    # x*1, -(-x), x-0 and the identity reshape go; x+0 and x-(-0) are not identities
    assert print_program(q) == (
        "program(a:f32[3]) {\n"
        "  b:f32[3] = broadcast_in_dim[shape=(3,), broadcast_dimensions=()] 0.0:f32\n"
        "  c:f32[3] = add a b\n"
        "  d:f32[3] = broadcast_in_dim[shape=(3,), broadcast_dimensions=()] -0.0:f32\n"
        "  e:f32[3] = sub c d\n  return e\n}")
