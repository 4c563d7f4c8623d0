"""The IR proper: SSA values, equations and programs, plus a builder.

A `Program` is a straight-line list of equations in SSA form. Control flow is
expressed by primitives whose parameters hold nested Programs. Vars are
identified by object identity; names appear only in the text form.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from .dtypes import DType
from .types import ShapedType
from .casting import cast
from .primitives import get_primitive  # (it imports this module lazily: no cycle)


class Var:
    """An SSA value. Each Var is defined once: as an input, a constant or an equation output."""

    __slots__ = ("type",)

    def __init__(self, type: ShapedType):
        self.type = type

    def __repr__(self) -> str:
        return f"Var<{self.type}>"


class Literal:
    """A scalar constant written inline in an equation (`2.0:f32`)."""

    __slots__ = ("value", "type")

    def __init__(self, value, type: ShapedType):
        assert type.shape == (), "literals are scalars; arrays are program constants"
        self.value = cast(value, type.dtype)[()]
        self.type = type

    def __repr__(self) -> str:
        return f"Literal({self.value!r}:{self.type})"

    def __eq__(self, other):
        return (isinstance(other, Literal) and self.type == other.type
                and np.array_equal(self.value, other.value, equal_nan=True))

    def __hash__(self):
        return hash((self.type, self.value.item() if self.value == self.value else "nan"))


Atom = "Var | Literal"


class Equation:
    """`outputs = primitive[params](inputs)`.

    `source` is the user's `file:line` that created the equation, kept for error
    messages in later stages; it is not part of the text form or of equality.
    """

    __slots__ = ("primitive", "inputs", "outputs", "params", "source", "_nested")

    def __init__(self, primitive: str, inputs: Sequence, outputs: Sequence[Var],
                 params: dict[str, Any] | None = None, source: str | None = None):
        self.primitive = primitive
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.params = dict(params or {})
        self.source = source
        self._nested = None  # whether params hold Programs (worked out when first asked)

    @property
    def nested(self) -> bool:
        """Whether the params hold a Program (directly or in tuples, at any depth)."""
        nested = self._nested
        if nested is None:
            nested = self._nested = any(_holds_program(v) for v in self.params.values())
        return nested

    def __repr__(self) -> str:
        return f"Equation({self.primitive}, {len(self.inputs)} in, {len(self.outputs)} out)"


class Program:
    """`Program(inputs, constants, equations, outputs)` in SSA form.

    `constants` is a list of `(Var, numpy.ndarray)` pairs: arrays captured from
    the user's closure become explicit, named program constants.
    Equality is structural (the canonical text forms are equal).
    """

    __slots__ = ("inputs", "constants", "equations", "outputs", "__weakref__")

    def __init__(self, inputs: Sequence[Var], constants: Sequence[tuple[Var, np.ndarray]],
                 equations: Sequence[Equation], outputs: Sequence):
        self.inputs = list(inputs)
        self.constants = [(v, np.asarray(c)) for v, c in constants]
        self.equations = list(equations)
        self.outputs = list(outputs)

    @property
    def in_types(self) -> list[ShapedType]:
        return [v.type for v in self.inputs]

    @property
    def out_types(self) -> list[ShapedType]:
        return [v.type for v in self.outputs]

    def __str__(self) -> str:
        from .text import print_program
        return print_program(self)

    def __repr__(self) -> str:
        return str(self)

    def __eq__(self, other) -> bool:
        return isinstance(other, Program) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def _holds_program(value: Any) -> bool:
    if isinstance(value, Program):
        return True
    if type(value) is tuple or isinstance(value, tuple):
        for item in value:
            if isinstance(item, (Program, tuple)) and _holds_program(item):
                return True
    return False


def subprograms(params: dict) -> Iterable[Program]:
    """The Programs nested in an equation's params (directly or inside tuples)."""
    for value in params.values():
        if isinstance(value, Program):
            yield value
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, Program):
                    yield item


class Builder:
    """Builds a Program one equation at a time, checking types through the primitive table."""

    def __init__(self):
        self.inputs: list[Var] = []
        self.constants: list[tuple[Var, np.ndarray]] = []
        self.equations: list[Equation] = []

    def input(self, type: ShapedType) -> Var:
        v = Var(type)
        self.inputs.append(v)
        return v

    def constant(self, value: np.ndarray, type: ShapedType) -> Var:
        v = Var(type)
        self.constants.append((v, value))
        return v

    def equation(self, primitive: str, inputs: Sequence, params: dict | None = None,
                 source: str | None = None) -> list[Var]:
        params = params or {}
        out_types = get_primitive(primitive).infer([x.type for x in inputs], params)
        outs = [Var(t) for t in out_types]
        self.equations.append(Equation(primitive, inputs, outs, params, source))
        return outs

    def build(self, outputs: Sequence) -> Program:
        return Program(self.inputs, self.constants, self.equations, outputs)


def literal(value, dtype: DType, weak: bool = False) -> Literal:
    return Literal(value, ShapedType((), dtype, weak))
