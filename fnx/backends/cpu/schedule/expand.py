"""Rewrite a few primitives into forms the kernels handle best. The input program is not modified.

- argmax(x) = min over the axis of (x == max(x) or both NaN ? index : n): two reductions that
  the fused-loop emitter vectorises, instead of one loop carrying (best, index) that LLVM keeps
  scalar. Equal results: the first extreme wins; a NaN is the extreme and the first NaN wins.
- dot_general: the GEMM reads each operand in place as a batch of row- or column-major matrices
  (a transposed operand, as in the backward pass's x^T @ g and g @ W^T, costs nothing). An
  operand whose layout does not fit (batch dims not leading, free and contracting dims
  interleaved) is transposed to (batch, free, contract) / (batch, contract, free) order first,
  by an ordinary fused kernel. Scalar literal operands become 1-element arrays.
- float16 / bfloat16 are storage types, as on XLA's CPU backend: an equation that computes on
  them runs in float32 between conversions (so sums, products and dots accumulate in float32,
  and every result is rounded once). Only bit moves (reshape, slice, gather, select, ...) and
  conversions see the 2-byte types, so no emitter needs 2-byte float arithmetic.
"""
from __future__ import annotations

import numpy as np

import fnx_ir as ir
from fnx_ir import Equation, Literal, Program, Var
from fnx_ir.primitives import MOVES_BITS

from .gemm import dot_operands


def expand(program: Program) -> Program:
    if not any(_rewrites(e) for e in program.equations):
        return program
    eqs: list[Equation] = []
    for e in program.equations:
        _emit_rewritten(e, _Emitter(eqs, e.source))
    return Program(program.inputs, program.constants, eqs, program.outputs)


def _emit_rewritten(e: Equation, emit: "_Emitter") -> None:
    rewrite = _rewrites(e)
    if rewrite:
        rewrite(e, emit)
    else:
        emit.eqs.append(e)


class _Emitter:
    def __init__(self, eqs: list, source):
        self.eqs, self.source = eqs, source

    def __call__(self, prim, ins, out: Var | None = None, **params) -> Var:
        """Append `prim(ins)`; its result is `out` when given (the replaced equation's)."""
        if out is None:
            (t,) = ir.get_primitive(prim).infer([a.type for a in ins], params)
            out = Var(t)
        self.eqs.append(Equation(prim, ins, [out], params, self.source))
        return out


def _argminmax(e: Equation, emit: _Emitter) -> None:
    (x,), (out,) = e.inputs, e.outputs
    axis, shape = e.params["axis"], x.type.shape
    kept = tuple(d for d in range(len(shape)) if d != axis)

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
    emit("convert_element_type", [first], out, new_dtype=out.type.dtype, weak=False)


def _dot_general(e: Equation, emit: _Emitter) -> None:
    (lc, rc), (lb, rb) = e.params["dimension_numbers"]
    lhs, rhs = e.inputs
    nb, nc = len(lb), len(lc)
    a, b = dot_operands(e)
    batch = tuple(range(nb))
    if a is None:
        lfree = tuple(d for d in range(lhs.type.ndim) if d not in lc + lb)
        lhs = _ordered(emit, lhs, lb + lfree + lc)
        lb, lc = batch, tuple(range(lhs.type.ndim - nc, lhs.type.ndim))
    if b is None:
        rfree = tuple(d for d in range(rhs.type.ndim) if d not in rc + rb)
        rhs = _ordered(emit, rhs, rb + rc + rfree)
        rb, rc = batch, tuple(range(nb, nb + nc))
    emit("dot_general", [lhs, rhs], e.outputs[0], dimension_numbers=((lc, rc), (lb, rb)))


def _ordered(emit: _Emitter, x, perm: tuple):
    """x with its dims in order `perm` (x itself when they already are), as a Var."""
    if isinstance(x, Literal):
        x = emit("broadcast_in_dim", [x], shape=(), broadcast_dimensions=())
    if perm == tuple(range(len(perm))):
        return x
    return emit("transpose", [x], permutation=perm)


def _canonical_dot(e: Equation) -> bool:
    """Can the GEMM read both operands as they lie?"""
    return None not in dot_operands(e)


def _computes_on_storage_floats(e: Equation) -> bool:
    if e.primitive in MOVES_BITS:
        return False
    return (any(a.type.dtype.is_storage_float for a in e.inputs)
            or any(v.type.dtype.is_storage_float for v in e.outputs)
            or getattr(e.params.get("dtype"), "is_storage_float", False))


def _widened(e: Equation, emit: _Emitter, narrow, wide) -> None:
    """`e` computed in dtype `wide`: operands of a dtype `narrow(d)` accepts converted up,
    results converted back (rounded once for floats, wrapped for integers)."""
    def up(a):
        if not narrow(a.type.dtype):
            return a
        if isinstance(a, Literal):
            return ir.literal(np.asarray(a.value).astype(wide.np)[()], wide, a.type.weak)
        return emit("convert_element_type", [a], new_dtype=wide, weak=a.type.weak)
    params = dict(e.params)
    if "dtype" in params and narrow(params["dtype"]):
        params["dtype"] = wide
    ins = [up(a) for a in e.inputs]
    types = ir.get_primitive(e.primitive).infer([a.type for a in ins], params)
    outs = [Var(t) if narrow(v.type.dtype) else v for v, t in zip(e.outputs, types, strict=True)]
    _emit_rewritten(Equation(e.primitive, ins, outs, params, emit.source), emit)
    for v, w in zip(e.outputs, outs, strict=True):
        if w is not v:
            emit("convert_element_type", [w], v, new_dtype=v.type.dtype, weak=v.type.weak)


def _upcast(e: Equation, emit: _Emitter) -> None:
    """`e` computed in float32: operands converted up, results rounded once back down."""
    _widened(e, emit, lambda d: getattr(d, "is_storage_float", False), ir.float32)


# The GEMM's integer types: a product of narrower (or unsigned 64-bit) integers is computed in
# one of these, with the same bits modulo 2**bits after the conversion back.
_GEMM_INT = {"int8": ir.int32, "int16": ir.int32, "uint8": ir.int32, "uint16": ir.int32,
             "uint64": ir.int64}


def _dot_in_gemm_int(e: Equation, emit: _Emitter) -> None:
    d = e.inputs[0].type.dtype
    _widened(e, emit, lambda t: t is d, _GEMM_INT[d.name])


def _rewrites(e: Equation):
    """The rewrite `e` needs, if any."""
    if _computes_on_storage_floats(e):
        return _upcast
    if e.primitive == "dot_general" and e.inputs[0].type.dtype.name in _GEMM_INT:
        return _dot_in_gemm_int
    if e.primitive in ("argmax", "argmin"):
        return _argminmax
    if e.primitive == "dot_general" and not _canonical_dot(e):
        return _dot_general
    return None
