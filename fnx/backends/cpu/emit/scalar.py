"""Scalar IR for every elementwise primitive, with exactly the semantics of docs/semantics.md.

`emit(b, prim, params, args, in_dtype, out_dtype)` builds one element's value; the loop emitters
call it inside their loops and LLVM vectorises. No instruction here can trap or produce poison
for any input: divisors are guarded, float->int conversion saturates, shifts are range-checked.
Fast-math flags are never used here: results must match numpy bit for bit.
"""
from __future__ import annotations

import math

from llvmlite import ir

from fnx_ir import DType, float32

from .. import mathlib
from .irutil import F16, F32, F64, I16, I32, const, intrinsic, reg_type

def _emit_math(b: ir.IRBuilder, name: str, args: list):
    """Transcendental `name` of float32/float64 `args`: inline and vectorisable (see mathlib)."""
    if len(args) == 1:
        return mathlib.emit_unary(b, name, args[0])
    return mathlib.emit_binary(b, name, *args)


def _sqrt(b, x):
    return b.call(intrinsic(b.module, "llvm.sqrt", x.type, [x.type], [x.type]), [x])


def _unary_intrinsic(b, name, x):
    return b.call(intrinsic(b.module, f"llvm.{name}", x.type, [x.type], [x.type]), [x])


# ------------------------------------------------------------------ max / min

def _extreme(op: str, bool_op: str):
    """numpy.maximum / minimum: NaN propagates; on ties (±0) the second operand wins, as
    numpy's loops do."""
    def emit(b, x, y, dtype: DType):
        if dtype.is_float:
            take_x = b.or_(b.fcmp_ordered(op, x, y), b.fcmp_unordered("uno", x, x))
            return b.select(take_x, x, y)
        if dtype.is_bool:
            return getattr(b, bool_op)(x, y)
        cmp = b.icmp_signed if dtype.kind == "i" else b.icmp_unsigned
        return b.select(cmp(op, x, y), x, y)
    return emit


maximum = _extreme(">", "or_")
minimum = _extreme("<", "and_")


# ------------------------------------------------------------------ integer division

def _int_div(b, x, y, dtype: DType):
    zero, one = const(dtype, 0), const(dtype, 1)
    y_zero = b.icmp_unsigned("==", y, zero)
    if dtype.kind == "u":
        q = b.udiv(x, b.select(y_zero, one, y))
        return b.select(y_zero, const(dtype, -1), q)
    # y == -1 would trap for INT_MIN: divide by 1 instead and negate (wrapping) below.
    y_m1 = b.icmp_signed("==", y, const(dtype, -1))
    q = b.sdiv(x, b.select(b.or_(y_zero, y_m1), one, y))
    q = b.select(y_m1, b.sub(zero, x), q)
    return b.select(y_zero, const(dtype, -1), q)


def _int_rem(b, x, y, dtype: DType):
    zero, one = const(dtype, 0), const(dtype, 1)
    y_zero = b.icmp_unsigned("==", y, zero)
    if dtype.kind == "u":
        r = b.urem(x, b.select(y_zero, one, y))
    else:
        # rem by -1 is always 0 (and INT_MIN srem -1 would trap): use 1.
        r = b.srem(x, b.select(b.or_(y_zero, b.icmp_signed("==", y, const(dtype, -1))), one, y))
    return b.select(y_zero, x, r)


def _shift(b, prim, x, y, dtype: DType):
    """Shifts by < 0 or >= the bit width give 0 (arithmetic right: the sign fill)."""
    width = const(dtype, dtype.itemsize * 8)
    in_range = b.icmp_unsigned("<", y, width)  # negative amounts read as huge unsigned
    if prim == "shift_right_arithmetic":
        return b.ashr(x, b.select(in_range, y, b.sub(width, const(dtype, 1))))
    shifted = b.shl(x, y) if prim == "shift_left" else b.lshr(x, y)
    return b.select(in_range, shifted, const(dtype, 0))


# ------------------------------------------------------------------ conversions

def convert(b, x, src: DType, dst: DType):
    """convert_element_type: float->int truncates and saturates (NaN -> 0); ->bool is x != 0.

    float16 / bfloat16 widen exactly to float32 first; a conversion to them is correctly
    rounded from any source (through float32 rounded to odd, which a second rounding to the
    2-byte format cannot spoil).
    """
    if src is dst:
        return x
    if src.is_storage_float:
        x, src = _storage_to_f32(b, x, src), float32
        if src is dst:
            return x
    if dst.is_storage_float:
        return _f32_to_storage(b, _to_f32_round_to_odd(b, x, src), dst)
    st, dt_ = reg_type(src), reg_type(dst)
    if dst.is_bool:
        if src.is_float:
            return b.fcmp_unordered("!=", x, ir.Constant(st, 0.0))
        return b.icmp_unsigned("!=", x, ir.Constant(st, 0))
    if src.is_float and dst.is_float:
        return b.fpext(x, dt_) if dst.itemsize > src.itemsize else b.fptrunc(x, dt_)
    if src.is_float:
        name = "llvm.fptosi.sat" if dst.kind == "i" else "llvm.fptoui.sat"
        return b.call(intrinsic(b.module, name, dt_, [st], [dt_, st]), [x])
    if dst.is_float:
        return b.sitofp(x, dt_) if src.kind == "i" else b.uitofp(x, dt_)
    if dst.itemsize == src.itemsize:
        return x  # int32 <-> uint32: same bits
    if dst.itemsize < src.itemsize:
        return b.trunc(x, dt_)
    return b.sext(x, dt_) if src.kind == "i" else b.zext(x, dt_)


def _storage_to_f32(b, x, src: DType):
    if src.name == "float16":
        return b.fpext(x, F32)
    return b.bitcast(b.shl(b.zext(x, I32), ir.Constant(I32, 16)), F32)  # bfloat16: high half


def _to_f32_round_to_odd(b, x, src: DType):
    """x as float32, rounded to odd when inexact (integers go through float64 first)."""
    if src is float32:
        return x
    if src.is_bool:
        return b.uitofp(x, F32)
    if src.is_integer:
        x = b.sitofp(x, F64) if src.kind == "i" else b.uitofp(x, F64)
    y = b.fptrunc(x, F32)
    back = b.fpext(y, F64)
    bits = b.bitcast(y, I32)
    # Truncate toward zero (one step down in magnitude if rounding went up), then set the
    # lowest bit if anything was lost. NaN compares unordered and stays as it is.
    went_up = b.fcmp_ordered(">", _fabs(b, back), _fabs(b, x))
    bits = b.select(went_up, b.sub(bits, ir.Constant(I32, 1)), bits)
    inexact = b.fcmp_ordered("!=", back, x)
    bits = b.select(inexact, b.or_(bits, ir.Constant(I32, 1)), bits)
    return b.bitcast(bits, F32)


def _fabs(b, x):
    return b.call(intrinsic(b.module, "llvm.fabs", x.type, [x.type], [x.type]), [x])


def _f32_to_storage(b, x, dst: DType):
    """Round a float32 to nearest-even float16 / bfloat16 (NaN stays a quiet NaN)."""
    if dst.name == "float16":
        return b.fptrunc(x, F16)
    bits = b.bitcast(x, I32)
    lsb = b.and_(b.lshr(bits, ir.Constant(I32, 16)), ir.Constant(I32, 1))
    rounded = b.lshr(b.add(bits, b.add(ir.Constant(I32, 0x7FFF), lsb)), ir.Constant(I32, 16))
    quiet_nan = b.or_(b.lshr(bits, ir.Constant(I32, 16)), ir.Constant(I32, 0x40))
    is_nan = b.fcmp_unordered("uno", x, x)
    return b.trunc(b.select(is_nan, quiet_nan, rounded), I16)


def bitcast(b, x, src: DType, dst: DType):
    return x if reg_type(src) == reg_type(dst) else b.bitcast(x, reg_type(dst))


# ------------------------------------------------------------------ the table

def _sign(b, x, dtype: DType):
    if dtype.is_float:
        t = x.type
        zero = ir.Constant(t, 0.0)
        out = b.select(b.fcmp_ordered("==", x, zero), zero, x)  # sign(-0.0) is +0.0 in numpy
        out = b.select(b.fcmp_ordered("<", x, zero), ir.Constant(t, -1.0), out)
        return b.select(b.fcmp_ordered(">", x, zero), ir.Constant(t, 1.0), out)
    if dtype.kind == "u":
        return b.zext(b.icmp_unsigned("!=", x, const(dtype, 0)), x.type)
    pos = b.zext(b.icmp_signed(">", x, const(dtype, 0)), x.type)
    neg = b.zext(b.icmp_signed("<", x, const(dtype, 0)), x.type)
    return b.sub(pos, neg)


def _abs(b, x, dtype: DType):
    if dtype.is_float:
        return _unary_intrinsic(b, "fabs", x)
    if dtype.kind == "u":
        return x
    return b.select(b.icmp_signed("<", x, const(dtype, 0)), b.sub(const(dtype, 0), x), x)


def integer_pow(b, x, y: int, dtype: DType):
    """Binary exponentiation in the interpreter's order, so float results match it exactly."""
    mul = b.fmul if dtype.is_float else b.mul
    acc, base, n = None, x, abs(y)
    while n:
        if n & 1:
            acc = base if acc is None else mul(acc, base)
        n >>= 1
        if n:
            base = mul(base, base)
    acc = const(dtype, 1) if acc is None else acc
    return b.fdiv(const(dtype, 1), acc) if y < 0 else acc


_FCMP = {"eq": "==", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_ICMP = dict(_FCMP, ne="!=")


def _compare(b, prim, x, y, dtype: DType):
    if dtype.is_float:
        if prim == "ne":
            return b.fcmp_unordered("!=", x, y)  # NaN != anything
        return b.fcmp_ordered(_FCMP[prim], x, y)
    cmp = b.icmp_signed if dtype.kind == "i" else b.icmp_unsigned
    return cmp(_ICMP[prim], x, y)


def _arith(int_op, float_op):
    def emit(b, x, y, dtype):
        return getattr(b, float_op if dtype.is_float else int_op)(x, y)
    return emit


_BINARY = {
    "add": _arith("add", "fadd"), "sub": _arith("sub", "fsub"), "mul": _arith("mul", "fmul"),
    "div": lambda b, x, y, d: b.fdiv(x, y) if d.is_float else _int_div(b, x, y, d),
    "rem": lambda b, x, y, d: b.frem(x, y) if d.is_float else _int_rem(b, x, y, d),
    "max": maximum, "min": minimum,
    "and": lambda b, x, y, d: b.and_(x, y), "or": lambda b, x, y, d: b.or_(x, y),
    "xor": lambda b, x, y, d: b.xor(x, y),
    "pow": lambda b, x, y, d: _emit_math(b, "pow", [x, y]),
    "atan2": lambda b, x, y, d: _emit_math(b, "atan2", [x, y]),
}
_UNARY = {
    "neg": lambda b, x, d: b.fneg(x) if d.is_float else b.sub(const(d, 0), x),
    "abs": _abs, "sign": _sign,
    "not": lambda b, x, d: b.not_(x),
    "stop_gradient": lambda b, x, d: x,
    "name": lambda b, x, d: x,  # (checkpoint_name: the identity)
    "floor": lambda b, x, d: _unary_intrinsic(b, "floor", x),
    "ceil": lambda b, x, d: _unary_intrinsic(b, "ceil", x),
    "round": lambda b, x, d: _unary_intrinsic(b, "roundeven", x),
    "sqrt": lambda b, x, d: _sqrt(b, x),
    "rsqrt": lambda b, x, d: b.fdiv(ir.Constant(x.type, 1.0), _sqrt(b, x)),
    "isfinite": lambda b, x, d: b.fcmp_ordered(
        "!=", _unary_intrinsic(b, "fabs", x), ir.Constant(x.type, math.inf)),
}


def emit(b: ir.IRBuilder, prim: str, params: dict, args: list, in_dtype: DType, out_dtype: DType):
    """One element of elementwise primitive `prim`. `in_dtype` is the (last) operand's dtype."""
    if prim in _BINARY:
        return _BINARY[prim](b, args[0], args[1], in_dtype)
    if prim in _UNARY:
        return _UNARY[prim](b, args[0], in_dtype)
    if prim in mathlib.UNARY_FUNCTIONS:
        return _emit_math(b, prim, args)
    if prim in _ICMP:
        return _compare(b, prim, args[0], args[1], in_dtype)
    if prim.startswith("shift_"):
        return _shift(b, prim, args[0], args[1], in_dtype)
    if prim == "select":
        return b.select(args[0], args[1], args[2])
    if prim == "clamp":
        lo, x, hi = args
        return minimum(b, maximum(b, x, lo, in_dtype), hi, in_dtype)
    if prim == "integer_pow":
        return integer_pow(b, args[0], params["y"], in_dtype)
    if prim == "convert_element_type":
        return convert(b, args[0], in_dtype, out_dtype)
    if prim == "bitcast_convert_type":
        return bitcast(b, args[0], in_dtype, out_dtype)
    raise NotImplementedError(f"cpu backend: no scalar lowering for {prim}")
