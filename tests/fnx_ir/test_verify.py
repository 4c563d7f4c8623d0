"""The verifier accepts well-formed programs and names the equation and problem otherwise."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings

from fnx_ir import (Builder, Equation, Literal, Program, ShapedType, Var, VerifyError, parse,
                    verify)
from fnx_ir import float32, int32

try:
    from .test_text import programs
except ImportError:
    from test_text import programs

F3 = ShapedType((3,), float32)
F = ShapedType((), float32)


def raises(p: Program, message: str):
    with pytest.raises(VerifyError, match=re.escape(message)):
        verify(p)


@settings(max_examples=40, deadline=None)
@given(programs())
def test_random_programs_verify(p):
    verify(p)


def test_good_program():
    verify(parse("program(a:f32[3]) consts(b:f32[3] = [1.0, 2.0, 3.0]) {\n"
                 "  c:f32[3] = add a b\n  d:f32[] = reduce_max[axes=(0,)] c\n"
                 "  e:f32[] = mul d 2.0:f32\n  return e, c, a, 1:i32\n}"))


def test_recorded_type_differs_from_rule():
    a, b = Var(F3), Var(ShapedType((4,), float32))
    raises(Program([a], [], [Equation("neg", [a], [b])], [b]),
           "equation 0 `b:f32[4] = neg a`: records output types (f32[4]) but neg gives (f32[3])")


def test_weak_flag_is_part_of_the_type():
    a, b = Var(F3), Var(ShapedType((3,), float32, True))
    raises(Program([a], [], [Equation("neg", [a], [b])], [b]), "(f32[3]~) but neg gives (f32[3])")


def test_primitive_rejects_operands():
    a, b, c = Var(F3), Var(ShapedType((3,), int32)), Var(F3)
    raises(Program([a, b], [], [Equation("add", [a, b], [c])], [c]),
           "equation 0 `c:f32[3] = add a b`: add: operand dtypes differ: f32[3], i32[3]")


def test_wrong_number_of_outputs():
    a, b, c = Var(F3), Var(F3), Var(F3)
    raises(Program([a], [], [Equation("neg", [a], [b, c])], [b]),
           "records output types (f32[3], f32[3]) but neg gives (f32[3])")


def test_unknown_primitive_and_bad_params():
    a, b = Var(F3), Var(F3)
    raises(Program([a], [], [Equation("frob", [a], [b])], [b]), "frob: unknown primitive")
    raises(Program([a], [], [Equation("transpose", [a], [b], {"permutation": None})], [b]),
           "transpose: invalid params (TypeError")


def test_variable_defined_twice():
    a, b = Var(F3), Var(F3)
    raises(Program([a], [], [Equation("neg", [a], [b]), Equation("neg", [a], [b])], [b]),
           "equation 1 `b:f32[3] = neg a`, output 0: redefines variable")
    raises(Program([a, a], [], [], [a]), "input 1: redefines variable")


def test_use_before_definition():
    a, b, c = Var(F3), Var(F3), Var(F3)
    raises(Program([a], [], [Equation("neg", [c], [b]), Equation("neg", [a], [c])], [b]),
           "equation 0 `b:f32[3] = neg c`, operand 0: uses a variable before (or without) "
           "its definition")


def test_undefined_output():
    a = Var(F3)
    raises(Program([], [], [], [a]), "output 0: uses a variable before (or without)")


def test_operand_neither_var_nor_literal():
    a, b = Var(F3), Var(F3)
    raises(Program([a], [], [Equation("neg", [np.ones(3, np.float32)], [b])], [b]),
           "operand 0: array([1., 1., 1.], dtype=float32) is neither a Var nor a Literal")


def test_literal_must_be_a_scalar_of_its_dtype():
    a, b = Var(F), Var(F)
    lit = Literal(2.0, F)
    lit.type = F3  # Literal's constructor refuses this; a careless pass might not
    raises(Program([a], [], [Equation("add", [a, lit], [b])], [b]),
           "operand 1: literal has type f32[3]; literals are scalars")
    lit = Literal(2.0, F)
    lit.value = np.float64(2.0)
    raises(Program([a], [], [Equation("add", [a, lit], [b])], [b]),
           "operand 1: literal value np.float64(2.0) is not a float32 scalar")


def test_constant_must_match_its_type():
    c = Var(ShapedType((2,), float32))
    raises(Program([], [(c, np.zeros(3, np.float32))], [], [c]),
           "constant 0: value is float32[3], but its variable has type f32[2]")
    raises(Program([], [(c, np.zeros(2, np.float64))], [], [c]),
           "constant 0: value is float64[2], but its variable has type f32[2]")


def test_invalid_var_type():
    a = Var(ShapedType((-1,), float32))
    raises(Program([a], [], [], [a]), "input 0: has an invalid shape (-1,)")
    raises(Program([Var("f32[3]")], [], [], []), "input 0: has an invalid type 'f32[3]'")


def _nested(inner: Program, outer_var: Var | None = None) -> Program:
    a, b = outer_var or Var(F3), Var(F3)
    return Program([a], [], [Equation("neg", [a], [b], {"branches": (inner, inner)})], [b])


def test_errors_inside_nested_programs_name_the_path():
    x, y = Var(F3), Var(ShapedType((3,), int32))
    bad = Program([x], [], [Equation("neg", [x], [y])], [y])
    raises(_nested(bad), "in equation 0 `b:f32[3] = neg[branches=(program(a:f32[3]) {`, "
                         "branches[0]: equation 0 `b:i32[3] = neg a`: records output types")


def test_nested_programs_are_closed():
    a, y = Var(F3), Var(F3)
    inner = Program([], [], [Equation("neg", [a], [y])], [y])
    raises(_nested(inner, a), "branches[0]: equation 0 `a:f32[3] = neg ?b`, operand 0: "
                              "uses a variable of an enclosing program (nested programs are closed)")


def test_nested_program_ok_then_params_checked_by_the_table():
    x, y = Var(F3), Var(F3)
    good = Program([x], [], [Equation("neg", [x], [y])], [y])
    raises(_nested(good), "neg: bad params: missing [], unexpected ['branches']")


def test_builder_output_verifies():
    b = Builder()
    x = b.input(F3)
    (y,) = b.equation("sin", [x])
    (z,) = b.equation("reduce_sum", [y], {"axes": (0,)})
    verify(b.build([z, y]))
