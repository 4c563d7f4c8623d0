"""Helpers shared by the passes."""
from __future__ import annotations

from typing import Any, Callable

from ..program import Equation, Program, _holds_program


def has_programs(params: dict[str, Any]) -> bool:
    """Whether any param holds a nested Program (most equations' do not)."""
    return any(_holds_program(v) for v in params.values())


def map_programs(params: dict[str, Any], fn: Callable[[Program], Program]) -> dict[str, Any]:
    """`params` with every nested Program (directly or inside tuples) replaced by `fn(it)`.
    (`params` itself when it holds none.)"""
    if not has_programs(params):
        return params

    def walk(value: Any) -> Any:
        if isinstance(value, Program):
            return fn(value)
        if isinstance(value, tuple):
            return tuple(walk(item) for item in value)
        return value
    return {key: walk(value) for key, value in params.items()}


def same_atoms(a: list, b: list) -> bool:
    """Whether two operand lists hold the same objects."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x is not y:
            return False
    return True


def map_eqn_programs(eqn: Equation, fn: Callable[[Program], Program]) -> dict[str, Any]:
    """`map_programs(eqn.params, fn)`, quicker for an equation without nested programs."""
    return map_programs(eqn.params, fn) if eqn.nested else eqn.params


def rebuild(eqn: Equation, inputs: list, params: dict[str, Any]) -> Equation:
    """An Equation with these inputs and params, and the same outputs and source: `eqn`
    itself when nothing changed (passes never mutate their input, and equations are not
    mutated once in a program, so sharing is safe)."""
    if params is eqn.params and same_atoms(inputs, eqn.inputs):
        return eqn
    return Equation(eqn.primitive, inputs, eqn.outputs, params, eqn.source)
