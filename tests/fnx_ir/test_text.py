"""The text form: printer/parser round trips over random programs, and parse errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays, from_dtype

from fnx_ir import (Builder, Equation, Literal, ParseError, Program, ShapedType, Var, parse,
                    print_program, verify)
from fnx_ir import bool_, int32, int64, uint32, float32, float64

try:  # the samplers live with the primitive-table tests; pytest may import either way
    from .test_primitives_table import CORE, equation_types
except ImportError:
    from test_primitives_table import CORE, equation_types

NAMES = CORE


# ------------------------------------------------------------------ random programs

@st.composite
def programs(draw, names=NAMES, max_equations=5) -> Program:
    """A valid random program: operands are earlier values, new inputs, constants or literals."""
    b = Builder()
    pool: list = []

    def operand(t: ShapedType):
        same = [v for v in pool if v.type == t]
        if same and draw(st.booleans()):
            return draw(st.sampled_from(same))
        kinds = ["input", "constant", "literal"] if t.shape == () else ["input", "constant"]
        kind = draw(st.sampled_from(kinds))
        if kind == "literal":
            return Literal(draw(from_dtype(t.dtype.np)), t)
        v = b.constant(draw(arrays(t.dtype.np, t.shape)), t) if kind == "constant" else b.input(t)
        pool.append(v)
        return v

    for _ in range(draw(st.integers(1, max_equations))):
        name = draw(st.sampled_from(names))
        in_types, params = draw(equation_types(name))
        pool += b.equation(name, [operand(t) for t in in_types], params)
    outputs = draw(st.lists(st.sampled_from(pool), max_size=3))
    if draw(st.booleans()):
        outputs.append(Literal(draw(from_dtype(np.dtype("float32"))), ShapedType((), float32)))
    return b.build(outputs)


def same_values(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-exact equality, except that any NaN equals any NaN (payloads are not kept)."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind != "f":
        return np.array_equal(a, b)
    nan = np.isnan(a)
    bits = f"u{a.dtype.itemsize}"
    return bool(np.array_equal(nan, np.isnan(b))
                and np.array_equal(a[~nan].view(bits), b[~nan].view(bits)))


def check_round_trip(p: Program, check_types: bool = True) -> Program:
    text = print_program(p)
    q = parse(text, check_types=check_types)
    assert q == p and print_program(q) == text
    assert len(q.constants) == len(p.constants)
    for (_, c), (_, d) in zip(p.constants, q.constants):
        assert same_values(c, d)
    for x, y in zip(p.outputs, q.outputs):
        if isinstance(x, Literal):
            assert x.type == y.type and same_values(np.asarray(x.value), np.asarray(y.value))
    return q


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_round_trip_each_primitive(name, data):
    p = data.draw(programs(names=(name,), max_equations=2))
    verify(p)
    verify(check_round_trip(p))


@settings(max_examples=60, deadline=None)
@given(programs())
def test_round_trip_random_programs(p):
    verify(check_round_trip(p))


# ------------------------------------------------------------------ nesting

def _with_params(params: dict) -> Program:
    """`b = neg[**params] a`: params hold anything; only for untyped round trips."""
    a, b = Var(ShapedType((3,), float32)), Var(ShapedType((3,), float32))
    return Program([a], [], [Equation("neg", [a], [b], params)], [b])


@settings(max_examples=30, deadline=None)
@given(programs(max_equations=3), programs(max_equations=2))
def test_round_trip_nested_programs(p1, p2):
    middle = _with_params({"body": p1, "branches": (p1, p2), "mixed": (1, (p2, "x"), None)})
    outer = _with_params({"branches": (middle, p2), "cond_like": middle})
    q = check_round_trip(outer, check_types=False)
    assert q.equations[0].params["branches"][0].equations[0].params["body"] == p1


def test_nested_program_text():
    inner = parse("program(a:f32[3]) {\n  b:f32[3] = neg a\n  return b\n}")
    text = print_program(_with_params({"branches": (inner, inner)}))
    assert text == """\
program(a:f32[3]) {
  b:f32[3] = neg[branches=(program(a:f32[3]) {
      b:f32[3] = neg a
      return b
    }, program(a:f32[3]) {
      b:f32[3] = neg a
      return b
    })] a
  return b
}"""
    reindented = text.replace("\n      ", "\n").replace("\n    }", "}")  # layout is free
    assert parse(text, check_types=False) == parse(reindented, check_types=False)


# ------------------------------------------------------------------ values and names

EXAMPLE = """\
program(a:f32[3,4], b:f32[4]) consts(c:f32[2] = [1.0, 2.0]) {
  d:f32[3,4] = broadcast_in_dim[shape=(3, 4), broadcast_dimensions=(1,)] b
  e:f32[3,4] = add a d
  f:f32[] = reduce_sum[axes=(0, 1)] e
  g:f32[] = mul f 2.0:f32
  return f, g
}"""


def test_example_is_canonical():
    p = parse(EXAMPLE)
    assert print_program(p) == EXAMPLE and str(p) == EXAMPLE
    verify(p)


def test_names_follow_definition_order_and_skip_keywords():
    b = Builder()
    x = b.input(ShapedType((), float32))
    for _ in range(8805):  # enough to pass 'ba', ..., 'nan' (reserved: it is a number)
        (x,) = b.equation("neg", [x])
    text = print_program(b.build([x]))
    lines = text.splitlines()
    assert lines[0] == "program(a:f32[]) {" and lines[26].startswith("  ba:f32[] = neg z")
    assert "nan:f32[]" not in text and "\n  nao:f32[] = neg nam\n" in text
    assert parse(text) == b.build([x])


def test_names_are_structural():
    def build(extra_unused_var: bool) -> Program:
        b = Builder()
        if extra_unused_var:
            Var(ShapedType((), float32))  # never part of the program: names do not depend on it
        x = b.input(ShapedType((2,), int32))
        (y,) = b.equation("neg", [x])
        return b.build([y])
    assert build(False) == build(True) and str(build(False)) == str(build(True))


SPECIAL = {
    float32: [np.nan, np.inf, -np.inf, -0.0, 0.1, 3.4028235e38, 1e-45, 1.1754942e-38, 16777217.0],
    float64: [np.nan, -np.inf, -0.0, 0.1, 1.7976931348623157e308, 5e-324, 2.0 ** 53 + 1],
    int32: [-2 ** 31, 2 ** 31 - 1, 0],
    int64: [-2 ** 63, 2 ** 63 - 1, -1],
    uint32: [0, 2 ** 32 - 1],
    bool_: [True, False],
}


@pytest.mark.parametrize("dtype", list(SPECIAL), ids=str)
def test_special_values_round_trip(dtype):
    values = np.array(SPECIAL[dtype], dtype=dtype.np)
    b = Builder()
    c = b.constant(values, ShapedType(values.shape, dtype))
    empty = b.constant(np.zeros((0, 3), dtype.np), ShapedType((0, 3), dtype))
    literals = [Literal(v, ShapedType((), dtype, weak)) for v in values for weak in (False, True)]
    p = b.build([c, empty, *literals])
    q = check_round_trip(p)
    assert all(same_values(np.asarray(x.value), np.asarray(y.value))
               for x, y in zip(p.outputs[2:], q.outputs[2:]))


def test_literal_and_constant_text():
    b = Builder()
    c = b.constant(np.array([[1, 2], [3, 4]], np.uint32), ShapedType((2, 2), uint32))
    e = b.constant(np.zeros((2, 0), np.float64), ShapedType((2, 0), float64))
    p = b.build([c, e, Literal(2.0, ShapedType((), float64, True)),
                 Literal(np.nan, ShapedType((), float32)), Literal(True, ShapedType((), bool_))])
    assert print_program(p) == (
        "program() consts(a:u32[2,2] = [1, 2, 3, 4], b:f64[2,0] = []) {\n"
        "  return a, b, 2.0:f64~, nan:f32, True:bool\n}")


def test_param_values_round_trip():
    params = {"f": (0.1, -0.0, float("inf"), float("-inf"), float("nan"), 1e300, 5e-324),
              "i": (-1, 0, 2 ** 70), "b": (True, False), "n": None, "empty": (), "one": (3,),
              "s": ('quote " backslash \\ newline \n unicode é', ""),
              "d": (bool_, int32, int64, uint32, float32, float64),
              "deep": ((((1,),),), ((), ((2, 3),)))}
    q = check_round_trip(_with_params(params), check_types=False)
    got = q.equations[0].params
    assert got["i"] == params["i"] and got["s"] == params["s"] and got["d"] == params["d"]
    assert got["deep"] == params["deep"] and got["n"] is None and got["one"] == (3,)
    assert [np.float64(x).tobytes() for x in got["f"][:4]] == \
        [np.float64(x).tobytes() for x in params["f"][:4]]


def test_params_print_in_table_order():
    a, b = Var(ShapedType((3,), float32)), Var(ShapedType((1, 3), float32))
    forward = Equation("broadcast_in_dim", [a], [b], {"shape": (1, 3), "broadcast_dimensions": (1,)})
    reverse = Equation("broadcast_in_dim", [a], [b], {"broadcast_dimensions": (1,), "shape": (1, 3)})
    assert Program([a], [], [forward], [b]) == Program([a], [], [reverse], [b])


def test_comments_blank_lines_and_no_outputs():
    p = parse("# a comment\n\nprogram(a:f32[]) {  # header\n\n  () = stop_gradient a\n"
              "  return\n}\n", check_types=False)
    assert p.equations[0].outputs == [] and p.outputs == []
    assert parse(print_program(p), check_types=False) == p


# ------------------------------------------------------------------ errors

ERRORS = [
    ("program(a:f32[]) {\n  b:f32[] = neg c\n  return b\n}", 2, 17, "undefined variable 'c'"),
    ("program(a:f32[], a:f32[]) {\n  return a\n}", 1, 18, "'a' is already defined"),
    ("program(a:f32[]) {\n  a:f32[] = neg a\n  return a\n}", 2, 3, "'a' is already defined"),
    ("program(a:f32[]) {\n  b:f32[3] = neg a\n  return b\n}", 2, 3,
     "neg gives f32[], but the equation declares f32[3]"),
    ("program(a:f32[], b:i32[]) {\n  c:f32[] = add a b\n  return c\n}", 2, 13,
     "add: operand dtypes differ: f32[], i32[]"),
    ("program(a:f32[]) {\n  b:f32[] = frobnicate a\n  return b\n}", 2, 13,
     "frobnicate: unknown primitive"),
    ("program(a:f128[]) {\n  return a\n}", 1, 11, "unknown dtype 'f128'"),
    ("program() consts(a:f32[3] = [1.0, 2.0]) {\n  return a\n}", 1, 29,
     "needs 3 values, got 2"),
    ("program() {\n  return -1:u32\n}", 2, 10, "-1 is out of range for u32"),
    ("program() {\n  return 1e39:f32\n}", 2, 10, "1e39 is out of range for f32"),
    ("program() {\n  return 1.5:i32\n}", 2, 10, "expected an integer for i32"),
    ("program() {\n  return 1:bool\n}", 2, 10, "expected True or False"),
    ("program(a:f32[]) {\n  b:f32[] = neg a\n}", 3, 1, "expected an equation or 'return', found '}'"),
    ("program() {\n  return\n}\nx", 4, 1, "expected end of input after the program, found 'x'"),
    ("program() {\n  return $\n}", 2, 10, "unexpected character '$'"),
    ("program(a:f32[]) {\n  b:f32[] = neg a a\n  return b\n}", 2, 13, "neg: takes 1 operands"),
    ("program(a:f32[3]) {\n  b:f32[3] = rev[dimensions=(0)] a\n  return b\n}", 2, 31,
     "a 1-tuple is written '(x,)'"),
    ("program(a:f32[3]) {\n  b:f32[3] = rev[dimensions=(0,), dimensions=()] a\n  return b\n}",
     2, 35, "parameter 'dimensions' is given twice"),
    ("program(nan:f32[]) {\n  return nan\n}", 1, 9, "expected a variable name, found 'nan'"),
    ("program(a:f32[-1]) {\n  return a\n}", 1, 15, "non-negative integer"),
    ("program(a:f32[]) {\n  b:f32[] = neg a return b\n}", 2, 19,
     "undefined variable 'return'"),
]


@pytest.mark.parametrize("text, line, column, message", ERRORS)
def test_parse_errors(text, line, column, message):
    with pytest.raises(ParseError) as info:
        parse(text)
    error = info.value
    assert message in error.message, error.message
    assert (error.line, error.column) == (line, column), str(error)
    assert str(error).startswith(f"line {line}, column {column}: ")


def test_nested_programs_are_closed():
    text = ("program(a:f32[3]) {\n  b:f32[3] = neg[body=program() {\n      return a\n    }] a\n"
            "  return b\n}")
    with pytest.raises(ParseError, match=r"line 3, column 14: undefined variable 'a' "
                                         r"\(nested programs are closed"):
        parse(text, check_types=False)


def test_bad_params_are_parse_errors():
    with pytest.raises(ParseError, match="transpose: invalid params|transpose: permutation"):
        parse("program(a:f32[3]) {\n  b:f32[3] = transpose[permutation=None] a\n  return b\n}")


def test_deep_nesting_is_a_parse_error():
    text = "program(a:f32[3]) {\n  b:f32[3] = rev[dimensions=" + "(" * 5000 + "] a\n  return b\n}"
    with pytest.raises(ParseError, match="nesting too deep"):
        parse(text)


def test_huge_integer_is_a_parse_error():
    with pytest.raises(ParseError, match="too long"):
        parse("program(a:f32[" + "9" * 5000 + "]) {\n  return a\n}")


# ------------------------------------------------------------------ fuzzing

ALPHABET = "()[]{},=:~ \n-.0123456789abcdefinprogmtuxysle#\"_TFN"


@st.composite
def mutated(draw, text: str) -> str:
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:i] + text[i + draw(st.integers(1, 8)):]
        else:
            text = text[:i] + draw(st.text(ALPHABET, min_size=1, max_size=6)) + text[i:]
    return text


@settings(max_examples=150, deadline=None)
@given(data=st.data(), check_types=st.booleans())
def test_mutated_text_raises_only_parse_errors(data, check_types):
    base = data.draw(st.sampled_from([EXAMPLE, FUZZ_BASE]))
    text = data.draw(mutated(base))
    try:
        p = parse(text, check_types=check_types)
    except ParseError as e:
        assert 1 <= e.line <= text.count("\n") + 1 and e.column >= 1
    else:
        assert parse(print_program(p), check_types=check_types) == p


FUZZ_BASE = """\
program(a:f32[2,3], b:i32[]) consts(c:u32[2] = [1, 4294967295], d:f64[] = [nan]) {
  e:f32[2,3] = neg[body=program(a:f32[]) {
      b:f32[] = exp a
      return b, -0x1.8p+3:f64~
    }, s="x\\"y", t=((1, -2.5, inf), (), (True,), None, f32)] a
  f:f32[3,2] = transpose[permutation=(1, 0)] e
  g:f32[2,3], h:f32[2,3] = sort[dimension=0, num_keys=1] e e
  return f, b, 3:i32
}"""


def test_fuzz_base_parses():
    with pytest.raises(ParseError):
        parse(FUZZ_BASE)  # neg has no params: types are checked
    assert parse(print_program(parse(FUZZ_BASE, check_types=False)), check_types=False)
