"""The reference backend: evaluates a Program one equation at a time with numpy.

Every other backend is tested against this one.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from fnx_ir import Literal, Program

from fnx._core.array import Array

from .base import LoweringOptions, check_arguments, register_backend


def evaluate_equation(primitive: str, args: Sequence, params: dict) -> list[np.ndarray]:
    """One primitive on numpy values; always a list (the constant-folding hook)."""
    from fnx._core.rules import rules
    r = rules(primitive)
    with np.errstate(all="ignore"):
        out = r.impl(*args, **params)
    return [np.asarray(o) for o in (out if r.multiple_results else (out,))]


def evaluate(program: Program, args: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run `program` on numpy arrays with each primitive's numpy implementation."""
    from fnx._core.rules import rules  # the numpy implementations live with the rules

    env: dict = dict(zip(program.inputs, args))
    env.update(program.constants)
    with np.errstate(all="ignore"):  # IEEE results (inf, nan) are values: no numpy warnings
        _run(program, env, rules)
    return [np.array(x.value if isinstance(x, Literal) else env[x]) for x in program.outputs]


def _run(program: Program, env: dict, rules) -> None:
    for eq in program.equations:
        ins = [x.value if isinstance(x, Literal) else env[x] for x in eq.inputs]
        r = rules(eq.primitive)
        out = r.impl(*ins, **eq.params)
        if not r.multiple_results:
            out = (out,)
        for v, o in zip(eq.outputs, out):
            env[v] = np.asarray(o, dtype=v.type.dtype.np)


class InterpreterExecutable:
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
