"""Dead-code elimination: the one pass, used by `fnx.jit`'s pipeline and by the transforms.

An equation is dead when none of its outputs is used and it has no effect. What has an
effect is the table's business (`Primitive.effectful`); an equation whose sub-programs
hold an effectful equation has one too, and so has one without outputs (it can exist
only for an effect). Control flow and calls lose the outputs nothing
needs, and then the operands their remaining outputs do not read, through the `dce` rule
their family registers (`register_dce_rule`; the rules are in `control_flow.py`).
"""
from __future__ import annotations

from typing import Callable

from ..primitives import get_primitive
from ..program import Equation, Program, Var, subprograms
from ._util import map_programs, rebuild, same_atoms

# rule(eqn, used_outputs, dce) -> eqn without the unused outputs (and the operands only they read)
DceRule = Callable[[Equation, list[bool], Callable[[Program], Program]], Equation]
DCE_RULES: dict[str, DceRule] = {}


def register_dce_rule(primitive: str, rule: DceRule) -> None:
    """Let `dce` prune the outputs of `primitive`'s equations with `rule`."""
    DCE_RULES[primitive] = rule


def has_effects(program: Program) -> bool:
    """Whether an equation of `program` (or of a program nested in it) has an effect."""
    return any(_effectful(eqn) for eqn in program.equations)


def _effectful(eqn: Equation) -> bool:
    return not eqn.outputs or get_primitive(eqn.primitive).effectful or (
        eqn.nested and any(has_effects(p) for p in subprograms(eqn.params)))


def dce(program: Program) -> Program:
    """Drop the dead equations and unused constants of `program` and of the programs nested
    in it. Inputs and outputs are kept, so nested programs keep their signatures. A program
    (or nested program) with nothing to drop is returned itself: caches keyed on programs
    (compiled calls, derived programs) keep hitting."""
    live: set[Var] = {x for x in program.outputs if isinstance(x, Var)}
    kept = []
    changed = False
    for eqn in reversed(program.equations):
        used = [v in live for v in eqn.outputs]
        effectful = _effectful(eqn)
        if not any(used) and not effectful:
            changed = True
            continue
        if eqn.nested:
            rule = DCE_RULES.get(eqn.primitive)
            if rule is not None and not effectful:
                new = _same_or_new(eqn, rule(eqn, used, dce))
            else:
                new = rebuild(eqn, eqn.inputs, map_programs(eqn.params, dce))
            changed |= new is not eqn
            eqn = new
        for x in eqn.inputs:
            if type(x) is Var:
                live.add(x)
        kept.append(eqn)
    constants = [(v, c) for v, c in program.constants if v in live]
    if not changed and len(constants) == len(program.constants):
        return program
    return Program(program.inputs, constants, kept[::-1], program.outputs)


def _same_or_new(old: Equation, new: Equation) -> Equation:
    """`old` if a dce rule gave back an equal equation (same operands, outputs and params)."""
    if (same_atoms(new.inputs, old.inputs) and same_atoms(new.outputs, old.outputs)
            and all(new.params[k] is v for k, v in old.params.items())):
        return old
    return new
