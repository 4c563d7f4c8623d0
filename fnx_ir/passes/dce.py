"""Dead-code elimination."""
from __future__ import annotations

from ..program import Program, Var
from ._util import map_programs, rebuild


def dce(program: Program) -> Program:
    """Drop equations none of whose outputs is used, and unused constants.

    Inputs and outputs are kept, so nested programs (also cleaned) keep their
    signatures. Equations without outputs are kept: they can exist only for an effect.
    """
    live: set[Var] = {x for x in program.outputs if isinstance(x, Var)}
    kept = []
    for eqn in reversed(program.equations):
        if eqn.outputs and not any(v in live for v in eqn.outputs):
            continue
        live.update(x for x in eqn.inputs if isinstance(x, Var))
        kept.append(rebuild(eqn, eqn.inputs, map_programs(eqn.params, dce)))
    constants = [(v, c) for v, c in program.constants if v in live]
    return Program(program.inputs, constants, kept[::-1], program.outputs)
