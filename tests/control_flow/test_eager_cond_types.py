"""Eager `cond`/`switch` give the output types, and the TypeErrors, of the traced path whatever
the predicate (issue 9), as JAX, which traces every branch even when called eagerly: the
taken branch runs with the concrete operands, the others are traced abstractly for their
types.

Each case hard-codes JAX 0.10's answer with x64 off and on (checked with the oracle) and fnx's
where it differs on purpose: JAX requires equal dtypes in every branch, fnx reconciles a weakly
typed output (a Python scalar) with the other branches' dtype as it does for loop carries
(docs/control-flow.md). An outcome is a tuple of (dtype, shape) leaves or the kind of
TypeError ("types": leaf types differ, "structure": pytrees differ); "float"/"int" stand for a
Python scalar's dtype in the mode (float32/int32 with x64 off, float64/int64 with it on).
"""
from __future__ import annotations

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx._core.trace import Tracer

F32 = np.float32
X3 = np.array([1.0, -2.0, 3.0], F32)


def f32():
    return np.ones((), F32)


def _index(p):  # a switch index from the test's 0/1/2 predicate, eagerly or traced
    return lax.convert_element_type(p, np.int32)


TYPES, STRUCTURE = "types", "structure"
S = ()
# name: (function of the predicate, JAX x64 off, JAX x64 on, fnx if it differs from JAX)
CASES = {
    "weak_float_vs_f32": (lambda p: lax.cond(p, lambda: 0.0, f32),
                          (("float32", S),), TYPES, (("float32", S),)),
    "f32_vs_weak_float": (lambda p: lax.cond(p, f32, lambda: 0.0),
                          (("float32", S),), TYPES, (("float32", S),)),
    "weak_int_vs_f32": (lambda p: lax.cond(p, lambda: 1, f32), TYPES, TYPES, (("float32", S),)),
    "weak_int_vs_weak_float": (lambda p: lax.cond(p, lambda: 1, lambda: 0.5), TYPES, TYPES,
                               (("float", S),)),
    "both_weak_float": (lambda p: lax.cond(p, lambda: 1.0, lambda: 2.0),
                        (("float", S),), (("float", S),), None),
    "operand_vs_weak": (lambda p: lax.cond(p, lambda v: v[0], lambda v: v[0] * 0.0 + 1.0, X3),
                        (("float32", S),), (("float32", S),), None),
    "same_f32_arrays": (lambda p: lax.cond(p, lambda v: v * 2, lambda v: -v, X3),
                        (("float32", (3,)),), (("float32", (3,)),), None),
    "f32_vs_i32": (lambda p: lax.cond(p, f32, lambda: np.int32(1)), TYPES, TYPES, None),
    "i32_vs_u32": (lambda p: lax.cond(p, lambda: np.int32(1), lambda: np.uint32(1)),
                   TYPES, TYPES, None),
    "weak_int_vs_bool": (lambda p: lax.cond(p, lambda: 1, lambda: np.bool_(True)),
                         TYPES, TYPES, None),
    "shapes": (lambda p: lax.cond(p, lambda: np.ones(2, F32), lambda: np.ones(3, F32)),
               TYPES, TYPES, None),
    "weak_scalar_vs_vector": (lambda p: lax.cond(p, lambda: 0.0, lambda: np.ones(3, F32)),
                              TYPES, TYPES, None),
    "tuple_vs_leaf": (lambda p: lax.cond(p, lambda: (f32(), f32()), f32),
                      STRUCTURE, STRUCTURE, None),
    "list_vs_tuple": (lambda p: lax.cond(p, lambda: [f32()], lambda: (f32(),)),
                      STRUCTURE, STRUCTURE, None),
    "dict_leaves": (lambda p: lax.cond(p, lambda: {"a": 0.0, "n": np.int32(1)},
                                       lambda: {"a": f32(), "n": np.int32(2)}),
                    (("float32", S), ("int32", S)), TYPES, (("float32", S), ("int32", S))),
    "switch_weak_and_f32": (lambda p: lax.switch(_index(p), [lambda: 0.0, f32, lambda: 2]),
                            TYPES, TYPES, (("float32", S),)),
    "switch_i32_branch": (lambda p: lax.switch(_index(p), [f32, f32, lambda: np.int32(2)]),
                          TYPES, TYPES, None),
    "switch_shapes": (lambda p: lax.switch(_index(p), [f32, f32, lambda: np.ones(2, F32)]),
                      TYPES, TYPES, None),
}

ERRORS = {TYPES: "must return values of identical types",
          STRUCTURE: "must return the same pytree structure"}


def _x64() -> bool:
    return fnp.asarray(1.5).dtype == np.float64


def _expected(name: str):
    _, off, on, fnx_own = CASES[name]
    want = fnx_own if fnx_own is not None else (on if _x64() else off)
    if isinstance(want, str):
        return want
    scalar = {"float": "float64" if _x64() else "float32", "int": "int64" if _x64() else "int32"}
    return tuple((np.dtype(scalar.get(d, d)), shape) for d, shape in want)


def _outcome(run, p):
    try:
        out = run(p)
    except TypeError as e:
        return "error", str(e).splitlines()[0]
    return "value", tuple((np.asarray(x).dtype, np.shape(x))
                          for x in fnx.tree_util.tree_leaves(out))


def _check_case(name: str):
    f, want = CASES[name][0], _expected(name)
    preds = [0, 1, 2] if name.startswith("switch") else [0, 1]
    jitted = fnx.jit(f)
    for p in preds:
        for mode, run, arg in (("eager", f, np.int32(p)), ("jit", jitted, np.int32(p))):
            kind, got = _outcome(run, arg)
            if isinstance(want, str):
                assert kind == "error" and ERRORS[want] in got, (name, mode, p, got)
            else:
                assert kind == "value" and got == want, (name, mode, p, got, want)
        # eager and jit agree exactly (the same message for errors)
        assert _outcome(f, np.int32(p)) == _outcome(jitted, np.int32(p)), (name, p)


@pytest.mark.parametrize("name", sorted(CASES))
def test_eager_cond_types_equal_jit(name):
    _check_case(name)


@pytest.mark.x64
@pytest.mark.parametrize("name", sorted(CASES))
def test_eager_cond_types_equal_jit_x64(name):
    _check_case(name)


def test_eager_cond_value_is_the_taken_branch_converted():
    for p, want in ((True, 0.0), (False, 1.0)):
        out = lax.cond(p, lambda: 0.0, f32)
        assert out.dtype == F32 and out == want
    out = lax.switch(5, [lambda v: v[0], lambda v: v[0] * 0 + 7], X3)  # clamps: last branch
    assert out.dtype == F32 and out == 7.0


def test_eager_cond_traces_the_untaken_branch_abstractly():
    # the taken branch runs once with the concrete operands (define-by-run), the other is traced
    # once abstractly, so its Python side effects run too, as in JAX, which traces both
    seen = []

    def branch(name):
        def f(v):
            seen.append((name, type(v) is Tracer))
            return v * 2
        return f

    for p, taken, other in ((True, "t", "f"), (False, "f", "t")):
        seen.clear()
        out = lax.cond(p, branch("t"), branch("f"), X3)
        assert sorted(seen) == sorted([(taken, False), (other, True)])
        np.testing.assert_array_equal(out, X3 * 2)


def test_eager_cond_inside_grad_and_vmap():
    def f(x):
        return lax.cond(x > 0, lambda v: v * v, lambda v: 0.0, x)

    assert fnx.grad(f)(np.float32(3.0)) == 6.0
    out = fnx.vmap(f)(X3)
    assert out.dtype == F32
    np.testing.assert_array_equal(out, [1.0, 0.0, 9.0])


def test_python_control_flow_in_an_untaken_branch_says_it_was_traced():
    def needs_value(v):
        return v if v > 0 else -v

    assert lax.cond(True, needs_value, lambda v: v * 2, np.float32(2.0)) == 2.0
    with pytest.raises(fnx.ConcretizationError, match="true_fun is not taken") as info:
        lax.cond(False, needs_value, lambda v: v * 2, np.float32(2.0))
    assert f"{__file__}:" in str(info.value)  # still points at the user's line
