"""Dead-code elimination through control flow: pruning unused outputs and operands of
`cond`, `while`, `scan` and `jit` (call) equations (used by `dce`).

Pruning is safe because the sub-programs are pure: an output is dropped only if nothing
outside reads it and, for loops, no kept output depends on it through the loop (a carry
read by the `while` predicate, or by the body to compute a kept carry, is kept). An
equation whose sub-programs contain an effect (an equation without outputs) is left whole.
"""
from __future__ import annotations

from typing import Callable, Sequence

from ..program import Equation, Program, Var, subprograms


def has_effects(program: Program) -> bool:
    """Whether `program` (or a program nested in it) has an equation without outputs."""
    for eqn in program.equations:
        if not eqn.outputs or any(has_effects(p) for p in subprograms(eqn.params)):
            return True
    return False


def _used_inputs(p: Program) -> list[bool]:
    read = {x for eqn in p.equations for x in eqn.inputs if isinstance(x, Var)}
    read.update(x for x in p.outputs if isinstance(x, Var))
    return [v in read for v in p.inputs]


def _select(items: Sequence, keep: Sequence[bool]) -> list:
    return [x for x, k in zip(items, keep, strict=True) if k]


def _restrict(p: Program, keep_out: Sequence[bool], dce: Callable) -> Program:
    return dce(Program(p.inputs, p.constants, p.equations, _select(p.outputs, keep_out)))


def _with_inputs(p: Program, keep_in: Sequence[bool]) -> Program:
    return Program(_select(p.inputs, keep_in), p.constants, p.equations, p.outputs)


def _or(a: Sequence[bool], b: Sequence[bool]) -> list[bool]:
    return [x or y for x, y in zip(a, b, strict=True)]


def _cond(eqn: Equation, used: list[bool], dce: Callable) -> Equation:
    branches = [_restrict(b, used, dce) for b in eqn.params["branches"]]
    keep = [False] * (len(eqn.inputs) - 1)
    for b in branches:
        keep = _or(keep, _used_inputs(b))
    branches = tuple(_with_inputs(b, keep) for b in branches)
    return Equation("cond", [eqn.inputs[0]] + _select(eqn.inputs[1:], keep),
                    _select(eqn.outputs, used), dict(eqn.params, branches=branches), eqn.source)


def _while(eqn: Equation, used: list[bool], dce: Callable) -> Equation:
    p = eqn.params
    nc, nb = p["cond_nconsts"], p["body_nconsts"]
    cond = dce(p["cond"])
    needed = _or(used, _used_inputs(cond)[nc:])
    while True:
        body = _restrict(p["body"], needed, dce)
        new = _or(needed, _used_inputs(body)[nb:])
        if new == needed:
            break
        needed = new
    cc_keep = _used_inputs(cond)[:nc]
    bc_keep = _used_inputs(body)[:nb]
    cond = _with_inputs(cond, cc_keep + needed)
    body = _with_inputs(body, bc_keep + needed)
    ins = eqn.inputs
    inputs = (_select(ins[:nc], cc_keep) + _select(ins[nc:nc + nb], bc_keep)
              + _select(ins[nc + nb:], needed))
    params = dict(p, cond=cond, body=body, cond_nconsts=sum(cc_keep), body_nconsts=sum(bc_keep))
    return Equation("while", inputs, _select(eqn.outputs, needed), params, eqn.source)


def _scan(eqn: Equation, used: list[bool], dce: Callable) -> Equation:
    p = eqn.params
    nc, ncar = p["num_consts"], p["num_carry"]
    needed, ys_used = used[:ncar], used[ncar:]
    while True:
        body = _restrict(p["body"], needed + ys_used, dce)
        new = _or(needed, _used_inputs(body)[nc:nc + ncar])
        if new == needed:
            break
        needed = new
    reads = _used_inputs(body)
    keep = reads[:nc] + needed + reads[nc + ncar:]
    body = _with_inputs(body, keep)
    params = dict(p, body=body, num_consts=sum(reads[:nc]), num_carry=sum(needed))
    return Equation("scan", _select(eqn.inputs, keep), _select(eqn.outputs, needed + ys_used),
                    params, eqn.source)


def _call(eqn: Equation, used: list[bool], dce: Callable) -> Equation:
    program = _restrict(eqn.params["program"], used, dce)
    keep = _used_inputs(program)
    return Equation(eqn.primitive, _select(eqn.inputs, keep), _select(eqn.outputs, used),
                    dict(eqn.params, program=_with_inputs(program, keep)), eqn.source)


DCE_RULES: dict[str, Callable[[Equation, list[bool], Callable], Equation]] = {
    "cond": _cond, "while": _while, "scan": _scan, "jit": _call,
}


def prune(eqn: Equation, used: list[bool], dce: Callable) -> Equation | None:
    """`eqn` without the outputs (and then operands) it does not need to compute the
    outputs marked `used`, its sub-programs cleaned by `dce`; None if the rule does not
    apply (not control flow, or a sub-program with an effect)."""
    rule = DCE_RULES.get(eqn.primitive)
    if rule is None or any(has_effects(q) for q in subprograms(eqn.params)):
        return None
    return rule(eqn, used, dce)
