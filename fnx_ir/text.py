"""The text form of a Program: its parser. The printer, `print_program`, is in `program.py`
(re-exported here); the two round-trip exactly.

    program(a:f32[3,4], b:f32[4]) consts(c:f32[2] = [1.0, 2.0]) {
      d:f32[3,4] = broadcast_in_dim[shape=(3, 4), broadcast_dimensions=(1,)] b
      e:f32[3,4] = add a d
      return e, 2.0:f32
    }

Variables are named in order of definition, per program, so structurally equal
programs print identically (`Program.__eq__` compares this text). The grammar is
in docs/ir.md.
"""
from __future__ import annotations

import json
import math
import re
from typing import NamedTuple

import numpy as np

from .dtypes import ALL_DTYPES, DType
from .primitives import get_primitive, IRTypeError
from .program import (_RESERVED, Equation, Literal, Program, Var,  # noqa: F401  (the printer
                      equation_formatter, print_program)  # is the Program's own text)
from .types import ShapedType

_DTYPES = {d.short: d for d in ALL_DTYPES}


# ----------------------------------------------------------------------------- lexer

class ParseError(ValueError):
    """Malformed program text: where (line, column) and what was expected."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(f"line {line}, column {column}: {message}")
        self.message = message
        self.line = line
        self.column = column


class _Token(NamedTuple):
    kind: str  # name, number, string, newline, eof, or the punctuation character itself
    text: str
    line: int
    column: int


_TOKEN = re.compile(r"""
   (?P<skip>[ \t\r]+|\#[^\n]*)
  |(?P<newline>\n)
  |(?P<number>-?(?:0x[0-9a-f]+(?:\.[0-9a-f]*)?p[+-]?\d+
                  |(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?
                  |inf|nan)(?![\w.]))
  |(?P<name>[A-Za-z_]\w*)
  |(?P<string>"(?:[^"\\\n]|\\.)*")
  |(?P<punct>[()\[\]{},=:~])
""", re.VERBOSE | re.ASCII)

_INT = re.compile(r"-?\d+", re.ASCII)


def _tokenize(text: str) -> list[_Token]:
    tokens, pos, line, line_start = [], 0, 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        column = pos - line_start + 1
        if m is None:
            raise ParseError(f"unexpected character {text[pos]!r}", line, column)
        kind = m.lastgroup
        if kind == "newline":
            tokens.append(_Token("newline", "\n", line, column))
            line, line_start = line + 1, m.end()
        elif kind == "punct":
            tokens.append(_Token(m.group(), m.group(), line, column))
        elif kind != "skip":
            tokens.append(_Token(kind, m.group(), line, column))
        pos = m.end()
    tokens.append(_Token("eof", "", line, pos - line_start + 1))
    return tokens


# ----------------------------------------------------------------------------- parser

class _Parser:
    def __init__(self, text: str, check_types: bool):
        self.tokens = _tokenize(text)
        self.pos = 0
        self.check_types = check_types

    # -- token helpers
    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def next(self) -> _Token:
        tok = self.tokens[self.pos]
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def at(self, kind: str, text: str | None = None) -> bool:
        tok = self.peek()
        return tok.kind == kind and (text is None or tok.text == text)

    def fail(self, tok: _Token, message: str):
        raise ParseError(message, tok.line, tok.column)

    def expected(self, what: str):
        tok = self.peek()
        found = {"eof": "end of input", "newline": "end of line"}.get(tok.kind, repr(tok.text))
        self.fail(tok, f"expected {what}, found {found}")

    def expect(self, kind: str, what: str, text: str | None = None) -> _Token:
        if not self.at(kind, text):
            self.expected(what)
        return self.next()

    def skip_newlines(self) -> None:
        while self.at("newline"):
            self.next()

    def sequence(self, close: str, item: Callable[[], Any]) -> list:
        """`item (, item)* close`, or just `close`; newlines allowed between items."""
        items = []
        self.skip_newlines()
        if self.at(close):
            self.next()
            return items
        while True:
            items.append(item())
            self.skip_newlines()
            if self.at(close):
                self.next()
                return items
            self.expect(",", f"',' or {close!r}")
            self.skip_newlines()

    # -- programs
    def file(self) -> Program:
        self.skip_newlines()
        program = self.program()
        self.skip_newlines()
        self.expect("eof", "end of input after the program")
        return program

    def program(self) -> Program:
        self.expect("name", "'program'", "program")
        scope: dict[str, Var] = {}
        self.expect("(", "'(' after 'program'")
        inputs = self.sequence(")", lambda: self.define(scope, *self.binder()))
        constants = []
        if self.at("name", "consts"):
            self.next()
            self.expect("(", "'(' after 'consts'")
            constants = self.sequence(")", lambda: self.constant(scope))
        self.expect("{", "'{' to open the program body")
        equations = []
        while True:
            self.skip_newlines()
            if self.at("name", "return"):
                break
            if not self.at("name") and not self.at("("):
                self.expected("an equation or 'return'")
            equations.append(self.equation(scope))
            if not self.at("newline"):
                self.expected("end of line after the equation")
        self.next()
        outputs = []
        if not self.at("newline") and not self.at("}"):
            outputs.append(self.atom(scope))
            while self.at(","):
                self.next()
                outputs.append(self.atom(scope))
        self.skip_newlines()
        self.expect("}", "'}' to close the program")
        return Program(inputs, constants, equations, outputs)

    def binder(self) -> tuple[_Token, ShapedType]:
        tok = self.expect("name", "a variable name")
        if tok.text in _RESERVED or tok.text in ("True", "False", "None"):
            self.fail(tok, f"{tok.text!r} is reserved and cannot name a variable")
        self.expect(":", f"':' and a type after {tok.text!r}")
        return tok, self.shaped_type()

    def define(self, scope: dict[str, Var], tok: _Token, type: ShapedType) -> Var:
        if tok.text in scope:
            self.fail(tok, f"variable {tok.text!r} is already defined")
        scope[tok.text] = v = Var(type)
        return v

    def dtype(self) -> DType:
        tok = self.expect("name", "a dtype (" + ", ".join(_DTYPES) + ")")
        if tok.text not in _DTYPES:
            self.fail(tok, f"unknown dtype {tok.text!r} (expected one of {', '.join(_DTYPES)})")
        return _DTYPES[tok.text]

    def shaped_type(self) -> ShapedType:
        dtype = self.dtype()
        self.expect("[", "'[' and the shape")
        dims = []
        if not self.at("]"):
            dims.append(self.dim())
            while self.at(","):
                self.next()
                dims.append(self.dim())
        self.expect("]", "',' or ']' in the shape")
        weak = self.at("~")
        if weak:
            self.next()
        return ShapedType(tuple(dims), dtype, weak)

    def dim(self) -> int:
        tok = self.expect("number", "a dimension size")
        if not _INT.fullmatch(tok.text) or tok.text.startswith("-"):
            self.fail(tok, f"a dimension size must be a non-negative integer, got {tok.text}")
        return self.int_value(tok)

    def constant(self, scope: dict[str, Var]) -> tuple[Var, np.ndarray]:
        tok, type = self.binder()
        self.expect("=", f"'=' and the values of constant {tok.text!r}")
        start = self.expect("[", "'[' and the constant's values")
        tokens = self.sequence("]", self.next)
        if len(tokens) != type.size:
            self.fail(start, f"constant {tok.text!r} of type {type} needs {type.size} values, "
                             f"got {len(tokens)}")
        values = self.array(tokens, type.dtype).reshape(type.shape)
        return self.define(scope, tok, type), values

    # -- scalars
    def scalar(self, tok: _Token, dtype: DType):
        """The Python value of one scalar token for `dtype`, range-checked."""
        if dtype.is_bool:
            if tok.kind != "name" or tok.text not in ("True", "False"):
                self.fail(tok, f"expected True or False for {dtype.short}, got {tok.text!r}")
            return tok.text == "True"
        if tok.kind != "number":
            self.fail(tok, f"expected a number for {dtype.short}, got {tok.text!r}")
        if dtype.is_integer:
            if not _INT.fullmatch(tok.text):
                self.fail(tok, f"expected an integer for {dtype.short}, got {tok.text}")
            value, info = self.int_value(tok), np.iinfo(dtype.np)
            if not info.min <= value <= info.max:
                self.fail(tok, f"{value} is out of range for {dtype.short}")
            return value
        value = self.float_value(tok)
        if math.isinf(value) and tok.text.lstrip("-") != "inf":
            self.fail(tok, f"{tok.text} is out of range for {dtype.short}")
        return value

    def int_value(self, tok: _Token) -> int:
        try:
            return int(tok.text)
        except ValueError:  # longer than Python's int-from-str digit limit
            self.fail(tok, f"integer {tok.text[:20]}... is too long")

    def float_value(self, tok: _Token) -> float:
        try:
            return float.fromhex(tok.text) if "0x" in tok.text else float(tok.text)
        except (ValueError, OverflowError):
            self.fail(tok, f"{tok.text} is not a representable float")

    def array(self, tokens: list[_Token], dtype: DType) -> np.ndarray:
        values = [self.scalar(t, dtype) for t in tokens]
        with np.errstate(over="ignore"):
            array = np.array(values, dtype=dtype.np)
        if dtype.is_float:  # a finite float64 may still overflow the narrower dtype
            overflow = np.isinf(array) & np.isfinite(np.array(values, dtype=np.float64))
            for i in np.flatnonzero(overflow)[:1]:
                self.fail(tokens[i], f"{tokens[i].text} is out of range for {dtype.short}")
        return array

    # -- equations
    def atom(self, scope: dict[str, Var]) -> Var | Literal:
        tok = self.peek()
        if tok.kind == "number" or (tok.kind == "name" and tok.text in ("True", "False")):
            self.next()
            self.expect(":", "':' and the literal's dtype")
            dtype = self.dtype()
            weak = self.at("~")
            if weak:
                self.next()
            value = self.array([tok], dtype)[0]
            return Literal(value, ShapedType((), dtype, weak))
        if tok.kind != "name":
            self.expected("a variable or a literal")
        self.next()
        if tok.text not in scope:
            self.fail(tok, f"undefined variable {tok.text!r} (nested programs are closed: "
                           f"they see only their own inputs and constants)")
        return scope[tok.text]

    def equation(self, scope: dict[str, Var]) -> Equation:
        first = self.peek()
        binders = []
        if self.at("("):
            self.next()
            self.expect(")", "')' (an equation without outputs is written '()')")
        else:
            binders.append(self.binder())
            while self.at(","):
                self.next()
                binders.append(self.binder())
        self.expect("=", "'=' or ',' after the equation's outputs")
        prim = self.expect("name", "a primitive name")
        params = self.params() if self.at("[") else {}
        inputs = []
        while not self.at("newline") and not self.at("eof"):
            inputs.append(self.atom(scope))
        declared = [t for _, t in binders]
        if self.check_types:
            self.check(first, prim, inputs, params, declared)
        # Outputs are defined after the inputs are read: an equation cannot use its own outputs.
        outputs = [self.define(scope, tok, t) for tok, t in binders]
        return Equation(prim.text, inputs, outputs, params)

    def check(self, first: _Token, prim: _Token, inputs: list, params: dict,
              declared: list[ShapedType]) -> None:
        try:
            inferred = get_primitive(prim.text).infer([x.type for x in inputs], params)
        except IRTypeError as e:
            self.fail(prim, str(e))
        except Exception as e:  # a rule given ill-formed params; still a text error
            self.fail(prim, f"{prim.text}: invalid params ({type(e).__name__}: {e})")
        if inferred != declared:
            fmt = ", ".join(str(t) for t in inferred) or "no outputs"
            self.fail(first, f"{prim.text} gives {fmt}, but the equation declares "
                             f"{', '.join(str(t) for t in declared) or 'no outputs'}")

    def params(self) -> dict[str, Any]:
        self.next()
        params: dict[str, Any] = {}
        for tok, value in self.sequence("]", self.param):
            if tok.text in params:
                self.fail(tok, f"parameter {tok.text!r} is given twice")
            params[tok.text] = value
        return params

    def param(self) -> tuple[_Token, Any]:
        tok = self.expect("name", "a parameter name")
        self.expect("=", f"'=' after parameter {tok.text!r}")
        self.skip_newlines()
        return tok, self.value()

    def value(self) -> Any:
        tok = self.peek()
        if tok.kind == "number":
            self.next()
            return self.int_value(tok) if _INT.fullmatch(tok.text) else self.float_value(tok)
        if tok.kind == "string":
            self.next()
            try:
                return json.loads(tok.text)
            except ValueError:
                self.fail(tok, f"malformed string {tok.text}")
        if tok.kind == "name":
            if tok.text == "program":
                return self.program()
            keywords = {"True": True, "False": False, "None": None}
            if tok.text in keywords:
                self.next()
                return keywords[tok.text]
            if tok.text in _DTYPES:
                self.next()
                return _DTYPES[tok.text]
        if tok.kind == "(":
            return self.tuple_value()
        self.expected("a parameter value (number, string, True, False, None, dtype, tuple "
                      "or program)")

    def tuple_value(self) -> tuple:
        self.next()
        items = []
        self.skip_newlines()
        while not self.at(")"):
            items.append(self.value())
            self.skip_newlines()
            if self.at(")") and len(items) == 1:
                self.expected("',' (a 1-tuple is written '(x,)')")
            if not self.at(")"):
                self.expect(",", "',' or ')'")
                self.skip_newlines()
        self.next()
        return tuple(items)


def parse(text: str, *, check_types: bool = True) -> Program:
    """Read a Program from its text form (the inverse of `print_program`).

    Raises `ParseError` (with line and column) for malformed text, undefined or
    duplicate variables and, when `check_types`, for equations whose declared
    output types differ from the primitive table's rule.
    """
    parser = _Parser(text, check_types)
    try:
        return parser.file()
    except RecursionError:
        tok = parser.peek()
        raise ParseError("nesting too deep", tok.line, tok.column) from None
