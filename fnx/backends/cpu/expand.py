"""Rewrite primitives whose direct loops would not vectorise into ones that fuse and vectorise.

argmax(x) = min over the axis of (x == max(x) or both NaN ? index : n): two reductions that
the fused-loop emitter vectorises, instead of one loop carrying (best, index) that LLVM keeps
scalar. Equal results: the first extreme wins; a NaN is the extreme and the first NaN wins.
The input program is not modified.
"""
from __future__ import annotations

import fnx_ir as ir
from fnx_ir import Equation, Program, Var


def expand(program: Program) -> Program:
    if not any(e.primitive in ("argmax", "argmin") for e in program.equations):
        return program
    eqs: list[Equation] = []
    for e in program.equations:
        if e.primitive in ("argmax", "argmin"):
            _argminmax(e, eqs)
        else:
            eqs.append(e)
    return Program(program.inputs, program.constants, eqs, program.outputs)


def _argminmax(e: Equation, eqs: list) -> None:
    (x,), (out,) = e.inputs, e.outputs
    axis, shape = e.params["axis"], x.type.shape
    kept = tuple(d for d in range(len(shape)) if d != axis)

    def emit(prim, ins, **params) -> Var:
        (t,) = ir.get_primitive(prim).infer([a.type for a in ins], params)
        v = Var(t)
        eqs.append(Equation(prim, ins, [v], params, e.source))
        return v

    def full(value, dtype) -> Var:
        return emit("broadcast_in_dim", [ir.literal(value, dtype)], shape=shape, broadcast_dimensions=())

    extreme = emit("reduce_max" if e.primitive == "argmax" else "reduce_min", [x], axes=(axis,))
    spread = emit("broadcast_in_dim", [extreme], shape=shape, broadcast_dimensions=kept)
    hit = emit("eq", [x, spread])
    if x.type.dtype.is_float:
        both_nan = emit("and", [emit("ne", [x, x]), emit("ne", [spread, spread])])
        hit = emit("or", [hit, both_nan])
    index = emit("iota", [], dtype=ir.int64, shape=shape, dimension=axis)
    n = full(shape[axis], ir.int64)
    first = emit("reduce_min", [emit("select", [hit, index, n])], axes=(axis,))
    eqs.append(Equation("convert_element_type", [first], [out],
                        {"new_dtype": out.type.dtype, "weak": False}, e.source))
