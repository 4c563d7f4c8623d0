"""Helpers shared by the passes."""
from __future__ import annotations

from typing import Any, Callable

from ..program import Equation, Program


def map_programs(params: dict[str, Any], fn: Callable[[Program], Program]) -> dict[str, Any]:
    """`params` with every nested Program (directly or inside tuples) replaced by `fn(it)`."""
    def walk(value: Any) -> Any:
        if isinstance(value, Program):
            return fn(value)
        if isinstance(value, tuple):
            return tuple(walk(item) for item in value)
        return value
    return {key: walk(value) for key, value in params.items()}


def rebuild(eqn: Equation, inputs: list, params: dict[str, Any]) -> Equation:
    """A new Equation with the same outputs and source (passes never mutate their input)."""
    return Equation(eqn.primitive, inputs, eqn.outputs, params, eqn.source)
