"""Algebraic simplification: drop operations that are exact identities.

Only rewrites that hold bit for bit under IEEE arithmetic, NaN and -0.0
included: `x * 1`, `x / 1`, `x - 0`, `-(-x)`, and identity reshapes,
transposes, broadcasts and conversions. (`x + 0` is not one: -0.0 + 0.0 is +0.0.)
Reverse-mode programs are full of them, because cotangents are seeded with ones.
"""
from __future__ import annotations

import numpy as np

from ..program import Equation, Literal, Program, Var
from ._util import map_eqn_programs, rebuild


def simplify(program: Program) -> Program:
    splat: dict[Var, float] = {}  # vars that are a broadcast scalar literal, and its value
    producer: dict[Var, Equation] = {}
    subst: dict[Var, Var] = {}
    equations = []
    for eqn in program.equations:
        inputs = [subst.get(x, x) if isinstance(x, Var) else x for x in eqn.inputs]
        eqn = rebuild(eqn, inputs, map_eqn_programs(eqn, simplify))
        same = _identity_operand(eqn, splat, producer) if eqn.primitive in _CANDIDATES else None
        out = eqn.outputs[0] if len(eqn.outputs) == 1 else None
        if same is not None and isinstance(same, Var) and same.type == out.type:
            subst[out] = same
            continue
        if eqn.primitive == "broadcast_in_dim" and isinstance(inputs[0], Literal):
            splat[out] = inputs[0].value
        for v in eqn.outputs:
            producer[v] = eqn
        equations.append(eqn)
    outputs = [subst.get(x, x) if isinstance(x, Var) else x for x in program.outputs]
    return Program(program.inputs, program.constants, equations, outputs)


def _scalar(x, splat: dict) -> float | None:
    if isinstance(x, Literal):
        return x.value
    return splat.get(x)


def _is(value, target: float) -> bool:
    # 1 == 1.0 == True; the sign check keeps -0.0 from counting as the zero of `x - 0`.
    return value is not None and value == target and not np.signbit(value)


_SHAPE_OPS = ("reshape", "transpose", "broadcast_in_dim", "convert_element_type", "squeeze",
              "expand_dims")
_CANDIDATES = frozenset(("mul", "div", "sub", "neg") + _SHAPE_OPS)  # what may be an identity


def _identity_operand(eqn: Equation, splat: dict, producer: dict):
    """The operand `eqn` merely passes through, or None."""
    p, ins = eqn.primitive, eqn.inputs
    if p == "mul":
        if _is(_scalar(ins[1], splat), 1):
            return ins[0]
        if _is(_scalar(ins[0], splat), 1):
            return ins[1]
    elif p == "div" and _is(_scalar(ins[1], splat), 1):
        return ins[0]
    elif p == "sub" and _is(_scalar(ins[1], splat), 0):
        return ins[0]
    elif p == "neg" and isinstance(ins[0], Var):
        inner = producer.get(ins[0])
        if inner is not None and inner.primitive == "neg":
            return inner.inputs[0]
    elif p in _SHAPE_OPS:
        if isinstance(ins[0], Var) and ins[0].type == eqn.outputs[0].type and (
                p != "transpose" or eqn.params["permutation"] == tuple(sorted(eqn.params["permutation"]))):
            return ins[0]
    return None
