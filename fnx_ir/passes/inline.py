"""Inlining of call-like equations (`jit`, `checkpoint`, `custom_jvp_call`,
`custom_vjp_call`) and removal of `name` (identity) equations."""
from __future__ import annotations

from collections.abc import Collection

from ..program import Equation, Program, Var, subprograms
from ._util import map_programs

# call-like primitive -> the param holding the sub-program it evaluates
CALL_LIKE = {"checkpoint": "program", "custom_jvp_call": "call", "custom_vjp_call": "call",
             "jit": "program"}


def _has_calls(program: Program, kinds: Collection[str]) -> bool:
    return any(eq.primitive in kinds or eq.primitive == "name"
               or any(_has_calls(p, kinds) for p in subprograms(eq.params))
               for eq in program.equations)


def inline_calls(program: Program, kinds: Collection[str] = CALL_LIKE) -> Program:
    """`program` with every call-like equation whose primitive is in `kinds` (default: all
    of `jit`, `checkpoint`, `custom_jvp_call`, `custom_vjp_call`) replaced by the equations
    of the sub-program it evaluates (recursively), and every `name` (identity) equation
    removed, for backends that only lower flat programs. (After differentiation these
    primitives carry no more information; inlining a `checkpoint` lets CSE merge the
    recomputation, so do it after the generic passes if memory matters.) Calls inside
    control-flow sub-programs (`cond`, `while`, `scan` bodies) are inlined there; the control
    flow itself stays."""
    if not _has_calls(program, kinds):
        return program
    eqs: list[Equation] = []
    consts = list(program.constants)
    rename: dict = {}

    def sub(x):
        return rename.get(x, x) if isinstance(x, Var) else x

    for eq in program.equations:
        if eq.primitive == "name":  # (checkpoint_name: the identity)
            rename[eq.outputs[0]] = sub(eq.inputs[0])
            continue
        key = CALL_LIKE.get(eq.primitive) if eq.primitive in kinds else None
        if key is None:
            params = eq.params
            if any(_has_calls(p, kinds) for p in subprograms(params)):  # cond/while/scan
                params = map_programs(params, lambda p: inline_calls(p, kinds))
            eqs.append(Equation(eq.primitive, [sub(x) for x in eq.inputs], eq.outputs,
                                params, eq.source))
            continue
        inner = inline_calls(eq.params[key], kinds)
        env = {v: sub(x) for v, x in zip(inner.inputs, eq.inputs, strict=True)}
        for v, c in inner.constants:
            nv = Var(v.type)
            consts.append((nv, c))
            env[v] = nv
        for ieq in inner.equations:
            outs = [Var(o.type) for o in ieq.outputs]
            env.update(zip(ieq.outputs, outs, strict=True))
            eqs.append(Equation(ieq.primitive, [env.get(x, x) if isinstance(x, Var) else x
                                                for x in ieq.inputs], outs, ieq.params,
                                ieq.source or eq.source))
        for o, io in zip(eq.outputs, inner.outputs, strict=True):
            rename[o] = env.get(io, io) if isinstance(io, Var) else io
    outputs = [sub(x) for x in program.outputs]
    return Program(program.inputs, consts, eqs, outputs)
