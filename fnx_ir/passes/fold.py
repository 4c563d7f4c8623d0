"""Constant folding with a caller-supplied evaluator (fnx_ir cannot import fnx's kernels)."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..primitives import PRIMITIVES
from ..program import Literal, Program, Var
from ._util import map_eqn_programs, rebuild

# evaluate(primitive_name, operand_values, params) -> output values; None (or raising
# NotImplementedError, as fnx does for a primitive without rules) declines.
Evaluate = Callable[[str, list, dict], "Sequence[Any] | None"]


def fold_constants(program: Program, evaluate: Evaluate, max_size: int = 1024) -> Program:
    """Evaluate equations whose operands are all literals or constants.

    Scalar results become Literals, other results new constants; an equation with a
    result of more than `max_size` elements is left alone (so as not to bloat the
    program), as is one that `evaluate` declines. Constants left unused are for `dce`
    to remove. Results are cast to the output's dtype, as the interpreter does; a
    wrong shape or count is an error. Control flow (`cond`, `while`, `scan`) and calls
    (`jit`) are never folded (their sub-programs are, recursively), nor are collectives.
    """
    known: dict[Var, np.ndarray] = {v: c for v, c in program.constants}
    subst: dict[Var, Literal] = {}
    constants = list(program.constants)
    equations = []
    fold_nested = lambda p: fold_constants(p, evaluate, max_size)  # noqa: E731
    for eqn in program.equations:
        inputs = [subst.get(x, x) if isinstance(x, Var) else x for x in eqn.inputs]
        params = map_eqn_programs(eqn, fold_nested)
        foldable = (eqn.outputs and eqn.primitive not in _NOT_FOLDED
                    and all(isinstance(x, Literal) or x in known for x in inputs)
                    and _small(eqn.outputs, inputs, known, max_size))
        results = _evaluate(evaluate, eqn.primitive, inputs, known, params) if foldable else None
        if results is None:
            equations.append(rebuild(eqn, inputs, params))
            continue
        checked = _checked(eqn.primitive, eqn.outputs, results)
        for v, value in zip(eqn.outputs, checked, strict=True):
            if v.type.shape == ():
                subst[v] = Literal(value, v.type)
            else:
                known[v] = value
                constants.append((v, value))
    outputs = [subst.get(x, x) if isinstance(x, Var) else x for x in program.outputs]
    return Program(program.inputs, constants, equations, outputs)


# Control flow is never evaluated at compile time: a loop's cost is unbounded (a 10^6-trip
# fori_loop over constants would run in the interpreter while compiling), and a branch or a
# call (`jit`) may hold a loop. Nor are collectives: their value depends on the named axis.
_NOT_FOLDED = frozenset(n for n, p in PRIMITIVES.items()
                        if p.family in ("control_flow", "call", "collective"))


def _small(outputs: list[Var], inputs: list, known: dict, max_size: int) -> bool:
    """Fold only what does not grow the program: no result larger than `max_size` or
    than its largest operand (a broadcast or iota is cheaper than its constant)."""
    largest = max((known[x].size for x in inputs if not isinstance(x, Literal)), default=1)
    return all(v.type.size <= min(max_size, largest) for v in outputs)


def _evaluate(evaluate: Evaluate, primitive: str, inputs: list, known: dict, params: dict):
    values = [np.asarray(x.value) if isinstance(x, Literal) else known[x] for x in inputs]
    try:
        return evaluate(primitive, values, params)
    except NotImplementedError:
        return None


def _checked(primitive: str, outputs: list[Var], results: Sequence[Any]) -> list[np.ndarray]:
    # A wrong result would silently change the program's meaning.
    results = [np.array(r) for r in results]  # copies: constants must not alias the caller's
    if len(results) != len(outputs) or any(r.shape != v.type.shape
                                           for r, v in zip(results, outputs, strict=True)):
        got = ", ".join(f"{r.dtype}{list(r.shape)}" for r in results)
        raise ValueError(f"evaluate({primitive!r}) returned {got}; expected "
                         f"{', '.join(str(v.type) for v in outputs)}")
    return [r.astype(v.type.dtype.np, copy=False) for r, v in zip(results, outputs, strict=True)]
