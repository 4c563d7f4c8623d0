"""Evaluation of a Program on numpy values, one equation at a time, with each primitive's
numpy implementation (`impl` in the rules registry, `rules.py`).

The reference semantics: the interpreter backend runs this, constant folding calls
`evaluate_equation`, and the rules of primitives holding sub-programs evaluate them with it.
(`trace.eval_program` is its counterpart on fnx values: it binds each equation, so it runs
eagerly or records into the active trace.)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from fnx_ir import Literal, Program

from .rules import rules


def evaluate_equation(primitive: str, args: Sequence, params: dict) -> list[np.ndarray]:
    """One primitive on numpy values; always a list (the constant-folding hook)."""
    r = rules(primitive)
    with np.errstate(all="ignore"):
        out = r.impl(*args, **params)
    return [np.asarray(o) for o in (out if r.multiple_results else (out,))]


def evaluate(program: Program, args: Sequence) -> list[np.ndarray]:
    """Run `program` on `args` (array-likes, taken as the dtypes of its inputs)."""
    env: dict = {v: np.asarray(a, dtype=v.type.dtype.np)
                 for v, a in zip(program.inputs, args, strict=True)}
    env.update(program.constants)
    with np.errstate(all="ignore"):  # IEEE results (inf, nan) are values: no numpy warnings
        for eq in program.equations:
            ins = [x.value if isinstance(x, Literal) else env[x] for x in eq.inputs]
            r = rules(eq.primitive)
            out = r.impl(*ins, **eq.params)
            for v, o in zip(eq.outputs, out if r.multiple_results else (out,), strict=True):
                env[v] = np.asarray(o, dtype=v.type.dtype.np)
    return [np.array(x.value if isinstance(x, Literal) else env[x]) for x in program.outputs]
