"""The IR proper: SSA values, equations and programs, plus a builder.

A `Program` is a straight-line list of equations in SSA form. Control flow is
expressed by primitives whose parameters hold nested Programs. Vars are
identified by object identity; names appear only in the text form, whose printer is here
(a program's text is its identity: `Program.__eq__` compares it); the parser is in `text.py`.
"""
from __future__ import annotations

import json
import threading
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .dtypes import DType
from .types import ShapedType
from .casting import cast
from .primitives import PRIMITIVES, get_primitive


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


# ----------------------------------------------------------------------------- printer
# The canonical text of a program (grammar in docs/ir.md); `text.parse` reads it back.

# Names the lexer reads as numbers or the parser as keywords; never given to variables.
_RESERVED = {"nan", "inf", "program", "consts", "return"}


def _name(n: int) -> str:
    """a, b, ..., z, ba, bb, ... (base 26 with 'a' as the zero digit, as jaxprs do)."""
    s = ""
    while True:
        s = chr(97 + n % 26) + s
        n //= 26
        if n == 0:
            return s


_FRESH: list[str] = []  # the names programs give out, in order (reserved words skipped)
_FRESH_LOCK = threading.Lock()


def _fresh_names(n: int) -> list[str]:
    """A list whose first `n` (at least) entries are the first `n` names."""
    if len(_FRESH) < n:
        with _FRESH_LOCK:
            while len(_FRESH) < n:
                name = _name(len(_FRESH) + len(_FRESH_SKIPPED))
                if name in _RESERVED:
                    _FRESH_SKIPPED.append(name)
                else:
                    _FRESH.append(name)
    return _FRESH


_FRESH_SKIPPED: list[str] = []  # reserved names passed over so far


class _Names:
    """Canonical names of one program's variables, in order of definition."""

    def __init__(self, program: Program):
        defs = list(program.inputs)
        defs += [v for v, _ in program.constants]
        for eqn in program.equations:
            defs += eqn.outputs
        names = _fresh_names(len(defs))
        self._names: dict = {}
        d = self._names
        k = 0
        for v in defs:
            if v not in d:
                d[v] = names[k]
                k += 1
        self._count = k

    def __call__(self, v: Var) -> str:
        name = self._names.get(v)
        if name is None:
            # An undefined (free) variable gets a '?' name: the text is then for
            # error messages only, and the parser rejects it.
            name = self._names[v] = "?" + _fresh_names(self._count + 1)[self._count]
            self._count += 1
        return name


def _scalars_text(values: np.ndarray) -> list[str]:
    """Exact text of each element (row-major): the shortest decimal that reads back
    to the same value, or the exact hex float where decimal would be ambiguous."""
    flat = np.asarray(values).reshape(-1)
    kind = flat.dtype.kind
    if kind == "b":
        return ["True" if x else "False" for x in flat.tolist()]
    if kind in "iu":
        return [str(x) for x in flat.tolist()]
    if flat.dtype == np.float64:
        return [repr(x) for x in flat.tolist()]  # Python's repr round-trips float64
    if kind == "f":
        # numpy's str gives the shortest float32 decimal, but the parser reads through
        # float64, and that double rounding can (rarely) land elsewhere: check, use hex.
        if flat.size == 1:  # (the same, for one value: quicker on the scalar)
            x = flat[0]
            text = str(x)
            back = x.dtype.type(float(text))
            return [float(x).hex() if back.tobytes() != x.tobytes() and x == x else text]
        texts = flat.astype(str).tolist()
        back = np.array([float(t) for t in texts], dtype=np.float64).astype(flat.dtype)
        bits = f"u{flat.dtype.itemsize}"
        bad = (back.view(bits) != flat.view(bits)) & ~np.isnan(flat)
        for i in np.flatnonzero(bad):
            texts[i] = float(flat[i]).hex()
        return texts
    return [f"<{x!r}>" for x in flat.tolist()]


# Memos of the text of types and literals (programs repeat a few of each many times).
_TYPE_TEXT: dict = {}
_LITERAL_TEXT: dict = {}


def _type_text(t) -> str:
    try:
        return _TYPE_TEXT[t]
    except KeyError:
        pass
    except TypeError:  # not hashable: not a ShapedType
        return str(t)
    if len(_TYPE_TEXT) > 4096:
        _TYPE_TEXT.clear()
    text = _TYPE_TEXT[t] = str(t)
    return text


def _literal_text(lit: Literal) -> str:
    t = lit.type
    value = lit.value
    key = (t, value.dtype.str, value.tobytes()) if isinstance(value, np.generic) else None
    text = _LITERAL_TEXT.get(key) if key is not None else None
    if text is None:
        suffix = t.dtype.short + ("~" if t.weak else "") if t.shape == () else str(t)
        text = f"{_scalars_text(np.asarray(value))[0]}:{suffix}"
        if key is not None:
            if len(_LITERAL_TEXT) > 4096:
                _LITERAL_TEXT.clear()
            _LITERAL_TEXT[key] = text
    return text


def _atom_text(x, names: _Names) -> str:
    if type(x) is Var:
        return names(x)
    if isinstance(x, Literal):
        return _literal_text(x)
    return f"<{x!r}>"


def _binder_text(v, names: _Names) -> str:
    if type(v) is Var:
        return f"{names(v)}:{_type_text(v.type)}"
    return f"{_atom_text(v, names)}:{getattr(v, 'type', '?')}"


def _value_text(value: Any, indent: str, values: bool = True) -> str:
    t = type(value)
    if t is int:
        return str(value)
    if t is tuple:
        items = [_value_text(x, indent, values) for x in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, Program):
        return _program_text(value, indent + "  ", values)
    if isinstance(value, tuple):
        items = [_value_text(x, indent, values) for x in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, DType):
        return value.short
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return repr(float(value))  # round-trips, including inf and nan
    if isinstance(value, str):
        return json.dumps(value)
    return f"<{value!r}>"  # not representable in the text form; the parser rejects it


_PARAM_ORDER: dict = {}


def _param_order(eqn: Equation) -> list[str]:
    # The table's parameter order, so equal params print equally whatever the dict order.
    key = (eqn.primitive, tuple(eqn.params))
    order = _PARAM_ORDER.get(key)
    if order is None:
        declared = PRIMITIVES[eqn.primitive].params if eqn.primitive in PRIMITIVES else ()
        order = [k for k in declared if k in eqn.params]
        order += sorted(k for k in eqn.params if k not in order)
        if eqn.primitive in PRIMITIVES:  # (unknown primitives' names are not memoised)
            _PARAM_ORDER[key] = order
    return order


def _equation_text(eqn: Equation, names: _Names, indent: str, values: bool = True) -> str:
    outs = ", ".join([_binder_text(v, names) for v in eqn.outputs]) or "()"
    text = f"{outs} = {eqn.primitive}"
    params = eqn.params
    if params:
        text += f"[{', '.join([f'{k}={_value_text(params[k], indent, values)}' for k in _param_order(eqn)])}]"
    if eqn.inputs:
        text += " " + " ".join([_atom_text(x, names) for x in eqn.inputs])
    return text


def _program_text(p: Program, indent: str, values: bool = True) -> str:
    names = _Names(p)
    header = f"program({', '.join([_binder_text(v, names) for v in p.inputs])})"
    if p.constants:
        consts = (f"{_binder_text(v, names)} = [{', '.join(_scalars_text(c))}]" if values
                  else f"{_binder_text(v, names)} = ..." for v, c in p.constants)
        header += f" consts({', '.join(consts)})"
    inner = indent + "  "
    lines = [header + " {"]
    lines += [inner + _equation_text(e, names, inner, values) for e in p.equations]
    lines.append(f"{inner}return {', '.join([_atom_text(x, names) for x in p.outputs])}".rstrip())
    lines.append(indent + "}")
    return "\n".join(lines)


def print_program(program: Program, *, constants: bool = True) -> str:
    """The canonical, round-trippable text of `program` (see docs/ir.md). With
    `constants=False`, constants are written by type only (`c:f32[2] = ...`): not parseable,
    but cheap for big constants (a cache key hashes their bytes instead)."""
    return _program_text(program, "", constants)


def equation_formatter(program: Program) -> Callable[[Equation], str]:
    """A function giving an equation of `program` as printed there (names as in
    `print_program`). The names are computed once, so formatting every equation is linear."""
    names = _Names(program)
    return lambda eqn: _equation_text(eqn, names, "")
