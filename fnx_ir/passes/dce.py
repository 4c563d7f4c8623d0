"""Dead-code elimination."""
from __future__ import annotations

from ..program import Equation, Program, Var, subprograms
from ._util import map_programs, rebuild
from .control_flow import has_effects, prune


def _effectful(eqn: Equation) -> bool:
    """An equation holding a sub-program with an effect is kept even if its outputs are unused."""
    return any(has_effects(p) for p in subprograms(eqn.params))


def dce(program: Program) -> Program:
    """Drop equations none of whose outputs is used, and unused constants.

    Inputs and outputs are kept, so nested programs (also cleaned) keep their
    signatures. Equations without outputs are kept: they can exist only for an effect.
    Control flow (`cond`, `while`, `scan`) also loses the outputs nothing needs and the
    operands its remaining outputs do not read (see `control_flow.py`).
    """
    live: set[Var] = {x for x in program.outputs if isinstance(x, Var)}
    kept = []
    for eqn in reversed(program.equations):
        if not eqn.nested:  # (the common case: no control flow)
            outs = eqn.outputs
            if outs and not any(v in live for v in outs):
                continue
        else:
            used = [v in live for v in eqn.outputs]
            if eqn.outputs and not any(used) and not _effectful(eqn):
                continue
            pruned = prune(eqn, used, dce)  # control flow: drop unused outputs and operands
            if pruned is not None:
                eqn = pruned
            else:
                eqn = rebuild(eqn, eqn.inputs, map_programs(eqn.params, dce))
        for x in eqn.inputs:
            if type(x) is Var:
                live.add(x)
        kept.append(eqn)
    constants = [(v, c) for v, c in program.constants if v in live]
    return Program(program.inputs, constants, kept[::-1], program.outputs)
