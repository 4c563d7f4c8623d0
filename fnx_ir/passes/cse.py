"""Common-subexpression elimination."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import DType
from ..program import Literal, Program, Var
from ._util import map_eqn_programs, rebuild


class _NoKey(Exception):
    """A param value without a usable key: its equation is never merged."""


def _key(value: Any) -> Any:
    """A hashable key, equal exactly when the values are interchangeable.

    Keys carry the value's type so that True, 1 and 1.0 (equal in Python) differ,
    and floats compare by bits so that 0.0 and -0.0 differ.
    """
    t = type(value)
    if t is Var:
        return value  # identity
    if t is int or t is str or t is bool:  # (the common params, first)
        return (t.__name__, value)
    if t is tuple:
        return ("tuple",) + tuple(_key(x) for x in value)
    if isinstance(value, Var):
        return value
    if isinstance(value, Literal):
        return ("literal", value.type, value.value.tobytes())
    if isinstance(value, Program):
        return ("program", str(value))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__,) + tuple(_key(x) for x in value)
    if isinstance(value, DType):
        return ("dtype", value.name)
    if isinstance(value, (float, np.floating)):
        return (type(value).__name__, float(value).hex())
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    try:
        hash(value)
    except TypeError:
        raise _NoKey from None
    return (type(value).__name__, value)


def _operands_key(inputs: list) -> tuple:
    return tuple(x if type(x) is Var else _key(x) for x in inputs)


def _params_key(params: dict) -> tuple:
    if len(params) > 1:
        return tuple((k, _key(params[k])) for k in sorted(params))
    return tuple((k, _key(v)) for k, v in params.items())


def cse(program: Program) -> Program:
    """Merge equations with the same primitive, operands and params (and equal constants).

    Later duplicates are dropped and their outputs replaced by the first one's.
    Nested programs are cleaned first, so equal bodies compare equal. An equation with
    the param `prevent_cse=True` (fnx's `checkpoint`: a recomputation on purpose) is
    never merged.
    """
    subst: dict[Var, Var] = {}
    seen: dict[Any, list[Var]] = {}
    constants = []
    for v, c in program.constants:
        key = ("constant", v.type, c.dtype.str, c.shape, c.tobytes())
        if key in seen:
            subst[v] = seen[key][0]
        else:
            seen[key] = [v]
            constants.append((v, c))
    equations = []
    for eqn in program.equations:
        inputs = [subst.get(x, x) if isinstance(x, Var) else x for x in eqn.inputs]
        params = map_eqn_programs(eqn, cse)
        try:
            key = None if params.get("prevent_cse") is True else \
                (eqn.primitive, _operands_key(inputs), _params_key(params))
        except _NoKey:
            key = None
        previous = seen.get(key) if key is not None and eqn.outputs else None
        if previous is not None and [v.type for v in previous] == [v.type for v in eqn.outputs]:
            subst.update(zip(eqn.outputs, previous, strict=True))
            continue
        if key is not None:
            seen[key] = eqn.outputs
        equations.append(rebuild(eqn, inputs, params))
    outputs = [subst.get(x, x) if isinstance(x, Var) else x for x in program.outputs]
    return Program(program.inputs, constants, equations, outputs)
