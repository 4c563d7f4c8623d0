"""Generic Program -> Program passes; none mutates its input.

- `dce`: drop equations and constants whose results are unused.
- `cse`: merge equations (and constants) that compute the same thing.
- `fold_constants`: evaluate equations whose operands are all known, with a
  caller-supplied `evaluate` (fnx passes its numpy implementations).
- `inline_calls`: replace call-like equations (`jit`, `checkpoint`, custom calls) by
  their sub-programs, for backends that lower flat programs.
- `simplify`: remove exact algebraic identities (`x * 1`, `-(-x)`, identity reshapes, ...).
- `optimize`: fold (when given `evaluate`), simplify, cse, then dce.
"""
from __future__ import annotations

from ..program import Program
from .cse import cse
from .dce import dce
from .fold import Evaluate, fold_constants
from .inline import inline_calls
from .simplify import simplify


def optimize(program: Program, evaluate: Evaluate | None = None) -> Program:
    """The standard pipeline: constant folding (if `evaluate` is given), simplify, CSE, DCE."""
    if evaluate is not None:
        program = fold_constants(program, evaluate)
    return dce(cse(simplify(program)))


__all__ = ["dce", "cse", "fold_constants", "simplify", "inline_calls", "optimize", "Evaluate"]
