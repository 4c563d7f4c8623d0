"""Emitters for the kernels that are not one fused loop: dot_general (via matmul's GEMM), scans,
concatenate, pad, dynamic_update_slice, scatter and sort.

dot_general reads its operands as they lie, as batches of row- or column-major matrices
(`matrix_strides`; `expand` transposes only operands that fit neither), and with few output
columns (N < the microkernel's width) and more rows computes C^T = B^T A^T, whose tiles are
full (both decided in `schedule.gemm`). A product's elementwise consumer chosen by
`schedule.fusion.fuse_epilogues` runs inside the GEMM, on each finished block.

Each reads its operands from memory (contiguous, row-major) and writes its outputs. Indices that
come from data are clamped (or, for scatter's 'drop' mode, checked) before any address is formed.
"""
from __future__ import annotations

import math

from llvmlite import ir

from fnx_ir import DType, Literal

from ..schedule.gemm import gemm_params, gemm_plan, gemm_scratch_bytes
from ..schedule.indexing import strides
from . import fused
from . import irutil as u
from . import scalar
from .loops import loop_nest, parallel_for
from .matmul import emit_gemm_strided, emit_gemm_strided_batched
from .sort import emit_sort, sort_scratch_bytes


class Operand:
    """An operand of an opaque kernel: a buffer, or a scalar Literal."""

    def __init__(self, dtype: DType, shape: tuple, ptr=None, literal=None):
        self.dtype, self.shape, self.ptr, self.literal = dtype, shape, ptr, literal

    @staticmethod
    def of(x, ptr) -> "Operand":
        if isinstance(x, Literal):
            return Operand(x.type.dtype, (), literal=x.value)
        return Operand(x.type.dtype, x.type.shape, ptr=ptr)

    def load(self, b: ir.IRBuilder, offset):
        if self.ptr is None:
            return u.const(self.dtype, self.literal)
        return u.load(b, self.ptr, offset, self.dtype)

    def copy_to(self, b: ir.IRBuilder, dst) -> None:
        """Copy the whole operand into buffer `dst` (nothing to do when updating in place)."""
        if self.ptr is dst:
            return
        if self.ptr is None:
            u.store(b, self.load(b, None), dst, u.i64(0), self.dtype)
        else:
            u.memcpy(b, dst, self.ptr, math.prod(self.shape) * self.dtype.itemsize)


def nest(b: ir.IRBuilder, shape, body, independent: bool = True) -> None:
    """Loops over every index of `shape` (row-major): `body(index)`, one i64 per dim (constant 0
    for size 1). `independent`: see `loops.loop_nest` (false when two indices may write one place)."""
    looped = [d for d, n in enumerate(shape) if n != 1]

    def at(*ix):
        index = [u.i64(0)] * len(shape)
        for d, i in zip(looped, ix, strict=True):
            index[d] = i
        body(index)
    loop_nest(b, [shape[d] for d in looped], at, independent=independent)


def offset(b: ir.IRBuilder, index, strides_) -> ir.Value:
    acc = u.i64(0)
    for i, s in zip(index, strides_, strict=True):
        if s and not (isinstance(i, ir.Constant) and i.constant == 0):
            acc = u.add_i64(b, acc, u.mul_i64(b, i, u.i64(s)))
    return acc


# ------------------------------------------------------------------ dot_general

def _emit_dot(b: ir.IRBuilder, eq, lhs: Operand, rhs: Operand, out, scratch, epilogue=None) -> None:
    batch, m, n, k, sa, sb, sc, swapped = gemm_plan(eq)
    pa, pb = (rhs.ptr, lhs.ptr) if swapped else (lhs.ptr, rhs.ptr)
    i64 = u.i64
    work = scratch if scratch is not None else ir.Constant(u.PTR, None)  # integer GEMMs need none
    if epilogue is None:
        gemm = emit_gemm_strided_batched(b.module, lhs.dtype.name)
        b.call(gemm, [i64(batch), i64(m), i64(n), i64(k), pa, *map(i64, sa), pb, *map(i64, sb),
                      out, *map(i64, sc), ir.Constant(u.I32, 0), work])
        return
    e, part, ptrs = epilogue
    names = []
    for v in list(e.reads) + list(e.outputs):
        v = part.base(v)
        if v not in names:
            names.append(v)
    ctx = u.slot(b, ir.ArrayType(u.PTR, len(names)))
    for i, v in enumerate(names):
        b.store(ptrs[v], b.gep(ctx, [u.i64(0), u.i64(i)], inbounds=True))
    epi = fused.emit_epilogue(b.module, e, part, names, b.module.get_unique_name(b.function.name + ".epilogue"),
                              width=gemm_params(lhs.dtype.name).nr)
    gemm = emit_gemm_strided(b.module, lhs.dtype.name)
    # An opaque copy of the epilogue's address: LLVM would otherwise clone the whole GEMM driver
    # for each epilogue (function specialisation), which costs compile time and measured slower.
    launder = ir.FunctionType(u.PTR, [u.PTR])
    epi_ptr = b.asm(launder, "", "=r,0", [b.bitcast(epi, u.PTR)], side_effect=False)
    b.call(gemm, [i64(m), i64(n), i64(k), pa, *map(i64, sa[1:]), pb, *map(i64, sb[1:]),
                  out, *map(i64, sc[1:]), ir.Constant(u.I32, 0), work, epi_ptr,
                  b.bitcast(ctx, u.PTR)])


# ------------------------------------------------------------------ scans

_SCAN_STEP = {"cumsum": "add", "cumprod": "mul", "cummax": "max", "cummin": "min"}


def _emit_cumulative(b: ir.IRBuilder, eq, x: Operand, out) -> None:
    """Inclusive scan in order (reverse: from the end), exactly numpy's accumulate.
    The innermost loop runs along the contiguous dims after the axis, so it vectorises."""
    axis, reverse, dtype = eq.params["axis"], eq.params["reverse"], x.dtype
    outer, n, inner = math.prod(x.shape[:axis]), x.shape[axis], math.prod(x.shape[axis + 1:])
    if n == 0:
        return
    step = _SCAN_STEP[eq.primitive]

    def pos(o, k, i):
        k = b.sub(u.i64(n - 1), k) if reverse else k
        return u.add_i64(b, u.mul_i64(b, u.add_i64(b, u.mul_i64(b, o, u.i64(n)), k), u.i64(inner)), i)

    def first(o, i):
        p = pos(o, u.i64(0), i)
        u.store(b, x.load(b, p), out, p, dtype)

    def then(o, k, i):
        p, q = pos(o, k, i), pos(o, b.sub(k, u.i64(1)), i)
        v = scalar.emit(b, step, {}, [u.load(b, out, q, dtype), x.load(b, p)], dtype, dtype)
        u.store(b, v, out, p, dtype)

    def row(o):
        parallel_for(b, [inner], lambda i: first(o, i))
        loop_nest(b, [(1, n)], lambda k: parallel_for(b, [inner], lambda i: then(o, k, i)))
    parallel_for(b, [outer], row)


# ------------------------------------------------------------------ placement ops

def _emit_concatenate(b: ir.IRBuilder, eq, operands, out) -> None:
    dim = eq.params["dimension"]
    oshape = eq.outputs[0].type.shape
    os_ = strides(oshape)
    start = 0
    for x in operands:
        def place(ix, x=x, start=start):
            src = offset(b, ix, strides(x.shape))
            dst = u.add_i64(b, offset(b, ix, os_), u.i64(start * os_[dim]))
            u.store(b, x.load(b, src), out, dst, x.dtype)
        nest(b, x.shape, place)
        start += x.shape[dim]


def _emit_pad(b: ir.IRBuilder, eq, x: Operand, value: Operand, out) -> None:
    """Fill with the padding value, then place the (possibly cropped) operand elements."""
    oshape = eq.outputs[0].type.shape
    os_ = strides(oshape)
    if math.prod(oshape) == 0:
        return
    pad = value.load(b, u.i64(0))
    parallel_for(b, [math.prod(oshape)], lambda i: u.store(b, pad, out, i, x.dtype))
    ranges, dst_const = [], 0
    for n, on, (lo, _, interior), s in zip(x.shape, oshape, eq.params["padding_config"], os_, strict=True):
        step = interior + 1
        first = max(0, -(lo // step) if lo < 0 else 0)  # first source index landing at >= 0
        last = min(n, (on - 1 - lo) // step + 1)  # one past the last landing below `on`
        ranges.append((first, max(last, first), step * s))
        dst_const += lo * s
    def place(ix):
        src_ix = [u.add_i64(b, i, u.i64(lo)) for i, (lo, _, _) in zip(ix, ranges, strict=True)]
        src = offset(b, src_ix, strides(x.shape))
        dst = u.add_i64(b, offset(b, src_ix, [st for _, _, st in ranges]), u.i64(dst_const))
        u.store(b, x.load(b, src), out, dst, x.dtype)
    nest(b, [hi - lo for lo, hi, _ in ranges], place)


def _emit_dynamic_update_slice(b: ir.IRBuilder, eq, x: Operand, upd: Operand, starts, out) -> None:
    x.copy_to(b, out)
    if math.prod(upd.shape) == 0:
        return
    os_ = strides(x.shape)
    base = u.i64(0)
    for d, s in enumerate(starts):
        st = u.clamp_i64(b, u.to_i64(b, s.load(b, u.i64(0)), s.dtype), 0, x.shape[d] - upd.shape[d])
        base = u.add_i64(b, base, u.mul_i64(b, st, u.i64(os_[d])))
    def place(ix):
        v = upd.load(b, offset(b, ix, strides(upd.shape)))
        u.store(b, v, out, u.add_i64(b, base, offset(b, ix, os_)), x.dtype)
    nest(b, upd.shape, place)


_SCATTER_STEP = {"scatter_add": "add", "scatter_mul": "mul", "scatter_min": "min",
                 "scatter_max": "max"}


def _emit_scatter(b: ir.IRBuilder, eq, x: Operand, upd: Operand, indices, out) -> None:
    """Apply the updates in row-major order (so for plain scatter the last one wins)."""
    x.copy_to(b, out)
    axes, mode, dtype = eq.params["axes"], eq.params["mode"], x.dtype
    bshape = indices[0].shape
    rest = [d for d in range(len(x.shape)) if d not in axes]
    xs, us = strides(x.shape), strides(upd.shape)
    rshape = [x.shape[d] for d in rest]
    if math.prod(upd.shape) == 0 or math.prod(x.shape) == 0:
        return  # nothing to apply, or nowhere to land: an empty axis receives nothing
    def update(bi):
        at = offset(b, bi, strides(bshape))
        base, ok = u.i64(0), ir.Constant(u.I1, 1)
        for a, op in zip(axes, indices, strict=True):
            raw = u.to_i64(b, op.load(b, at), op.dtype)
            if mode == "clip":
                idx = u.clamp_i64(b, raw, 0, x.shape[a] - 1)
            else:
                ok = b.and_(ok, b.icmp_unsigned("<", raw, u.i64(x.shape[a])))  # negatives are huge
                idx = raw
            base = u.add_i64(b, base, u.mul_i64(b, idx, u.i64(xs[a])))
        ubase = offset(b, bi, us[:len(bshape)])
        def apply(ri):
            dst = u.add_i64(b, base, offset(b, ri, [xs[d] for d in rest]))
            v = upd.load(b, u.add_i64(b, ubase, offset(b, ri, us[len(bshape):])))
            if eq.primitive != "scatter":
                step = _SCATTER_STEP[eq.primitive]
                step = "or" if dtype.is_bool and step == "add" else step  # numpy's bool add
                v = scalar.emit(b, step, {}, [u.load(b, out, dst, dtype), v], dtype, dtype)
            u.store(b, v, out, dst, dtype)
        with u.if_then(b, ok):
            nest(b, rshape, apply)
    nest(b, bshape, update, independent=False)  # (two updates may land in one place)


# ------------------------------------------------------------------ dispatch

def scratch_bytes(eq) -> int:
    """Arena space an opaque kernel needs for the duration of its run."""
    if eq.primitive == "dot_general":
        _, m, n, k, *_ = gemm_plan(eq)
        return gemm_scratch_bytes(m, n, k, eq.inputs[0].type.dtype.name)
    return sort_scratch_bytes(eq) if eq.primitive == "sort" else 0


def emit(b: ir.IRBuilder, eq, operands: list, outs: list, scratch, epilogue=None) -> None:
    """`epilogue`: (kernel, partition, buffers) of a dot_general's fused epilogue."""
    p = eq.primitive
    if p == "dot_general":
        _emit_dot(b, eq, operands[0], operands[1], outs[0], scratch, epilogue)
    elif p in ("cumsum", "cumprod", "cummax", "cummin"):
        _emit_cumulative(b, eq, operands[0], outs[0])
    elif p == "concatenate":
        _emit_concatenate(b, eq, operands, outs[0])
    elif p == "pad":
        _emit_pad(b, eq, operands[0], operands[1], outs[0])
    elif p == "dynamic_update_slice":
        _emit_dynamic_update_slice(b, eq, operands[0], operands[1], operands[2:], outs[0])
    elif p.startswith("scatter"):
        _emit_scatter(b, eq, operands[0], operands[1], operands[2:], outs[0])
    elif p == "sort":
        emit_sort(b, eq, operands, outs, scratch)
    else:
        raise NotImplementedError(f"cpu backend: no kernel for {p}")
