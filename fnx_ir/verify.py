"""The verifier: checks that a Program is well formed and well typed.

Checks SSA (every variable defined once, before use; nested programs closed),
types (every equation's outputs are what the primitive table infers), literals
(scalars of their dtype) and constants (arrays matching their variable's type),
recursing into nested programs.
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from .dtypes import DType
from .primitives import IRTypeError, get_primitive
from .program import Equation, Literal, Program, Var, equation_formatter
from .types import ShapedType


class VerifyError(ValueError):
    """A malformed Program; the message names the equation (index and text) and the problem."""


def verify(program: Program) -> None:
    """Raise `VerifyError` unless `program` is well formed and well typed."""
    _Verifier(program, "", frozenset()).run()


def _nested_programs(params: dict[str, Any]) -> Iterator[tuple[str, Program]]:
    """`(label, program)` for every Program in `params`, directly or inside tuples."""
    def walk(label: str, value: Any):
        if isinstance(value, Program):
            yield label, value
        elif isinstance(value, tuple):
            for i, item in enumerate(value):
                yield from walk(f"{label}[{i}]", item)
    for key, value in params.items():
        yield from walk(key, value)


def _type_problem(t: Any) -> str | None:
    if not isinstance(t, ShapedType) or not isinstance(t.dtype, DType):
        return f"has an invalid type {t!r}"
    if not isinstance(t.shape, tuple) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in t.shape):
        return f"has an invalid shape {t.shape!r}"
    return None


class _Verifier:
    def __init__(self, program: Program, where: str, outer: frozenset[int]):
        self.program = program
        self.where = where  # "in equation 2 (...), branches[0]: " for nested programs
        self.outer = outer  # ids of the enclosing programs' variables, to explain closure errors
        self.defined: set[int] = set()
        self.format = equation_formatter(program)

    def fail(self, context: str, message: str):
        raise VerifyError(f"{self.where}{context}: {message}")

    def define(self, v: Any, context: str) -> None:
        if not isinstance(v, Var):
            self.fail(context, f"{v!r} is not a Var")
        if id(v) in self.defined:
            self.fail(context, f"redefines variable {v!r} (SSA: each variable is defined once)")
        problem = _type_problem(v.type)
        if problem:
            self.fail(context, problem)
        self.defined.add(id(v))

    def use(self, x: Any, context: str) -> None:
        if isinstance(x, Literal):
            problem = _type_problem(x.type)
            if problem:
                self.fail(context, f"literal {problem}")
            if x.type.shape != ():
                self.fail(context, f"literal has type {x.type}; literals are scalars "
                                   f"(arrays are program constants)")
            value = np.asarray(x.value)
            if value.shape != () or value.dtype != x.type.dtype.np:
                self.fail(context, f"literal value {x.value!r} is not a {x.type.dtype} scalar")
        elif not isinstance(x, Var):
            self.fail(context, f"{x!r} is neither a Var nor a Literal")
        elif id(x) not in self.defined:
            if id(x) in self.outer:
                self.fail(context, "uses a variable of an enclosing program "
                                   "(nested programs are closed)")
            self.fail(context, "uses a variable before (or without) its definition")

    def run(self) -> None:
        p = self.program
        for i, v in enumerate(p.inputs):
            self.define(v, f"input {i}")
        for i, (v, value) in enumerate(p.constants):
            self.define(v, f"constant {i}")
            if not isinstance(value, np.ndarray) or value.shape != v.type.shape \
                    or value.dtype != v.type.dtype.np:
                got = f"{value.dtype}{list(value.shape)}" if isinstance(value, np.ndarray) \
                    else type(value).__name__
                self.fail(f"constant {i}", f"value is {got}, but its variable has type {v.type}")
        for k, eqn in enumerate(p.equations):
            self.equation(k, eqn)
        for i, x in enumerate(p.outputs):
            self.use(x, f"output {i}")

    def equation(self, k: int, eqn: Equation) -> None:
        text = self.format(eqn).split("\n")[0]
        context = f"equation {k} `{text}`"
        for j, x in enumerate(eqn.inputs):
            self.use(x, f"{context}, operand {j}")
        for label, sub in _nested_programs(eqn.params):
            _Verifier(sub, f"{self.where}in {context}, {label}: ",
                      self.outer | self.defined).run()
        try:
            inferred = get_primitive(eqn.primitive).infer([x.type for x in eqn.inputs],
                                                          eqn.params)
        except IRTypeError as e:
            self.fail(context, str(e))
        except Exception as e:  # a rule given ill-formed params
            self.fail(context, f"{eqn.primitive}: invalid params ({type(e).__name__}: {e})")
        for j, v in enumerate(eqn.outputs):
            self.define(v, f"{context}, output {j}")
        recorded = [v.type for v in eqn.outputs]
        if recorded != inferred:
            self.fail(context, f"records output types ({', '.join(map(str, recorded))}) but "
                               f"{eqn.primitive} gives ({', '.join(map(str, inferred))})")
