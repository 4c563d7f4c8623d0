"""Small LLVM IR helpers shared by the CPU backend's emitters: types, constants, intrinsics.
(Loops: `loops`.)

Booleans are `i1` in registers and one byte (0/1, as numpy stores them) in memory. float16 is
LLVM's `half`; bfloat16 travels as its 16 raw bits (`i16`): the only operations on either are
bit moves and conversions (see `expand`).
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from llvmlite import ir

from fnx_ir import DType

I1, I8, I16, I32, I64 = (ir.IntType(n) for n in (1, 8, 16, 32, 64))
F16, F32, F64 = ir.HalfType(), ir.FloatType(), ir.DoubleType()
PTR = ir.PointerType()
VOID = ir.VoidType()

_REG = {"bool": I1, "int8": I8, "uint8": I8, "int16": I16, "uint16": I16, "int32": I32,
        "uint32": I32, "int64": I64, "uint64": I64, "float16": F16, "bfloat16": I16,
        "float32": F32, "float64": F64}
_MEM = dict(_REG, bool=I8)


def reg_type(dtype: DType) -> ir.Type:
    """The type a value of `dtype` has in registers."""
    return _REG[dtype.name]


def mem_type(dtype: DType) -> ir.Type:
    """The type a value of `dtype` has in memory."""
    return _MEM[dtype.name]


def const(dtype: DType, value) -> ir.Constant:
    """An LLVM constant of `dtype` holding `value` (wrapped or rounded as numpy converts it)."""
    v = np.asarray(value).astype(dtype.np)[()]
    if dtype.name == "bfloat16":
        return ir.Constant(I16, int(np.asarray(v).view(np.uint16)))
    if dtype.is_float:
        return ir.Constant(reg_type(dtype), float(v))
    if dtype.is_bool:
        return ir.Constant(I1, int(bool(v)))
    bits = dtype.itemsize * 8
    return ir.Constant(reg_type(dtype), int(v) & ((1 << bits) - 1))


def i64(value: int) -> ir.Constant:
    return ir.Constant(I64, value)


def load(b: ir.IRBuilder, ptr, offset, dtype: DType):
    """Load element `offset` (an i64) of a buffer of `dtype`."""
    v = b.load(b.gep(ptr, [offset], inbounds=True, source_etype=mem_type(dtype)),
               typ=mem_type(dtype))
    return b.icmp_unsigned("!=", v, ir.Constant(I8, 0)) if dtype.is_bool else v


def store(b: ir.IRBuilder, value, ptr, offset, dtype: DType) -> None:
    if dtype.is_bool:
        value = b.zext(value, I8)
    b.store(value, b.gep(ptr, [offset], inbounds=True, source_etype=mem_type(dtype)))


def to_i64(b: ir.IRBuilder, value, dtype: DType):
    """Widen an integer value to i64 as its dtype reads (signed or unsigned)."""
    if value.type == I64:
        return value
    return b.sext(value, I64) if dtype.kind == "i" else b.zext(value, I64)


def clamp_i64(b: ir.IRBuilder, value, lo: int, hi: int):
    """`min(max(value, lo), hi)` on signed i64. `hi < lo` (clamping into an empty range, e.g.
    an index into an empty axis) has no in-bounds answer: callers must not form that address."""
    if hi < lo:
        raise ValueError(f"clamp_i64: empty range [{lo}, {hi}] (an index into an empty axis)")
    value = b.select(b.icmp_signed("<", value, i64(lo)), i64(lo), value)
    return b.select(b.icmp_signed(">", value, i64(hi)), i64(hi), value)


def add_i64(b: ir.IRBuilder, a, c):
    """Index arithmetic: offsets never overflow, and saying so lets SCEV see strides."""
    return b.add(a, c, flags=("nsw",))


def mul_i64(b: ir.IRBuilder, a, c):
    return b.mul(a, c, flags=("nsw",))


@contextmanager
def if_then(b: ir.IRBuilder, cond):
    """Run the body only when `cond` (i1) holds."""
    then = b.append_basic_block("then")
    after = b.append_basic_block("endif")
    b.cbranch(cond, then, after)
    b.position_at_end(then)
    yield
    b.branch(after)
    b.position_at_end(after)


def slot(b: ir.IRBuilder, typ: ir.Type, init=None):
    """A mutable local (an alloca in the entry block, which SROA turns back into registers)."""
    entry = b.function.entry_basic_block
    with b.goto_block(entry):
        if entry.instructions:
            b.position_before(entry.instructions[0])
        p = b.alloca(typ)
    if init is not None:
        b.store(init, p)
    return p


def _suffix(t: ir.Type) -> str:
    if isinstance(t, ir.PointerType):
        return "p0"
    return {"float": "f32", "double": "f64"}.get(str(t), str(t))


def intrinsic(module: ir.Module, name: str, ret: ir.Type, args: list, overloads: list) -> ir.Function:
    """Declare (once) intrinsic `name` overloaded on `overloads` (e.g. llvm.fptosi.sat.i32.f32)."""
    full = ".".join([name] + [_suffix(t) for t in overloads])
    return external(module, full, ret, args)


def external(module: ir.Module, name: str, ret: ir.Type, args: list) -> ir.Function:
    """Declare (once) a function by name."""
    try:
        return module.get_global(name)
    except KeyError:
        return ir.Function(module, ir.FunctionType(ret, args), name=name)


def memcpy(b: ir.IRBuilder, dst, src, nbytes: int) -> None:
    if nbytes:
        fn = intrinsic(b.module, "llvm.memcpy", VOID, [PTR, PTR, I64, I1], [PTR, PTR, I64])
        b.call(fn, [dst, src, i64(nbytes), ir.Constant(I1, 0)])
