"""The reference backend: the core's evaluator (`fnx._core.evaluate`) behind the backend
interface. Every other backend is tested against this one.
"""
from __future__ import annotations

import numpy as np

from fnx_ir import Program

from fnx._core.array import Array
from fnx._core.evaluate import evaluate

from .base import LoweringOptions, check_arguments, register_backend


class InterpreterExecutable:
    """A program run by `evaluate` on every call."""

    def __init__(self, program: Program):
        self.program = program

    def __call__(self, *args: np.ndarray) -> list[np.ndarray]:
        check_arguments(self.program, args)
        return [o.view(Array) for o in evaluate(self.program, args)]


class InterpreterBackend:
    name = "interpreter"
    # ("donate": accepted, and no buffer shared: `aliases` is absent)
    capabilities = frozenset({"all-primitives", "all-dtypes", "control-flow", "option:donate"})

    def lower(self, program: Program, options: LoweringOptions) -> InterpreterExecutable:
        return InterpreterExecutable(program)


register_backend("interpreter", InterpreterBackend)
