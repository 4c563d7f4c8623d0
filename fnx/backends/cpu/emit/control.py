"""cond, while and scan: kernels that call their sub-programs' functions.

- cond: the index (clamped to the branches) picks one branch, which writes the outputs.
- while / scan: the carry lives in the kernel's output buffers and in as many spare buffers in
  scratch space; each iteration reads one set and writes the other (a sub-program's outputs
  never alias its inputs), then the two swap. A scan's slices are pointers into its operands and
  results, so nothing is copied per step. The sub-programs' arenas are in scratch space too.
"""
from __future__ import annotations

import math

from llvmlite import ir

from . import irutil as u
from .loops import loop_nest

CONTROL_FLOW = frozenset({"cond", "while", "scan"})
_ALIGN = 64


def _aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def _bytes(t) -> int:
    return math.prod(t.shape) * t.dtype.itemsize


def scratch_bytes(eq, subprogram) -> int:
    """Spare carry buffers (and while's predicate), then room for the sub-programs' arenas."""
    p = eq.params
    if eq.primitive == "cond":
        return max(subprogram(br)[1] for br in p["branches"])
    carry = eq.outputs if eq.primitive == "while" else eq.outputs[:p["num_carry"]]
    spare = sum(_aligned(_bytes(v.type)) for v in carry)
    if eq.primitive == "while":
        return _ALIGN + spare + max(subprogram(p["cond"])[1], subprogram(p["body"])[1])
    return spare + subprogram(p["body"])[1]


def _buffer(b: ir.IRBuilder, op):
    """A pointer to an operand's data; a Literal gets a stack slot."""
    if op.ptr is not None:
        return op.ptr
    slot = u.slot(b, u.mem_type(op.dtype))
    u.store(b, op.load(b, None), slot, u.i64(0), op.dtype)
    return slot


def _call(b: ir.IRBuilder, fn, ins: list, outs: list, consts, arena) -> None:
    """Call a sub-program with C arrays of its input and output buffers."""
    arrays = []
    for ptrs in (ins, outs):
        arr = u.slot(b, ir.ArrayType(u.PTR, max(len(ptrs), 1)))
        for i, p in enumerate(ptrs):
            b.store(p, b.gep(arr, [u.i64(0), u.i64(i)], inbounds=True))
        arrays.append(arr)
    b.call(fn, arrays + [consts, arena])


class _Carry:
    """Loop-carried buffers: `now` (read this iteration) and `spare` (written), swapped per step."""

    def __init__(self, b: ir.IRBuilder, init, outs, scratch, types):
        self.b, self.outs, self.types = b, outs, types
        self.now, self.spare, at = [], [], 0
        for op, out, t in zip(init, outs, types, strict=True):
            op.copy_to(b, out)
            spare = b.gep(scratch, [u.i64(at)], inbounds=True, source_etype=u.I8)
            at += _aligned(_bytes(t))
            self.now.append(u.slot(b, u.PTR, out))
            self.spare.append(u.slot(b, u.PTR, spare))
        self.size = at

    def read(self):
        return [self.b.load(p, typ=u.PTR) for p in self.now]

    def written(self):
        return [self.b.load(p, typ=u.PTR) for p in self.spare]

    def swap(self) -> None:
        b = self.b
        for now, spare in zip(self.now, self.spare, strict=True):
            a, c = b.load(now, typ=u.PTR), b.load(spare, typ=u.PTR)
            b.store(c, now)
            b.store(a, spare)

    def finish(self) -> None:
        """Make sure the final carry is in the output buffers."""
        b = self.b
        for now, out, t in zip(self.read(), self.outs, self.types, strict=True):
            with u.if_then(b, b.icmp_unsigned("!=", now, out)):
                u.memcpy(b, out, now, _bytes(t))


def emit(b: ir.IRBuilder, eq, operands, outs, scratch, subprogram, consts) -> None:
    p = eq.params
    if scratch is None:  # nothing needs any: every region in it has size 0
        scratch = ir.Constant(u.PTR, None)
    if eq.primitive == "cond":
        _emit_cond(b, p["branches"], operands, outs, scratch, subprogram, consts)
    elif eq.primitive == "while":
        _emit_while(b, eq, operands, outs, scratch, subprogram, consts)
    else:
        _emit_scan(b, eq, operands, outs, scratch, subprogram, consts)


def _emit_cond(b, branches, operands, outs, scratch, subprogram, consts) -> None:
    index, ops = operands[0], operands[1:]
    k = u.clamp_i64(b, u.to_i64(b, index.load(b, u.i64(0)), index.dtype), 0, len(branches) - 1)
    ins = [_buffer(b, op) for op in ops]
    done = b.append_basic_block("cond.done")
    cases = [b.append_basic_block(f"cond.{i}") for i in range(len(branches))]
    switch = b.switch(k, cases[0])
    for i, (block, branch) in enumerate(zip(cases, branches, strict=True)):
        switch.add_case(u.i64(i), block)
        b.position_at_end(block)
        _call(b, subprogram(branch)[0], ins, outs, consts, scratch)
        b.branch(done)
    b.position_at_end(done)


def _emit_while(b, eq, operands, outs, scratch, subprogram, consts) -> None:
    p = eq.params
    nc, nb = p["cond_nconsts"], p["body_nconsts"]
    cond_consts = [_buffer(b, op) for op in operands[:nc]]
    body_consts = [_buffer(b, op) for op in operands[nc:nc + nb]]
    flag = scratch
    carry = _Carry(b, operands[nc + nb:], outs,
                   b.gep(scratch, [u.i64(_ALIGN)], inbounds=True, source_etype=u.I8),
                   [v.type for v in eq.outputs])
    arena = b.gep(scratch, [u.i64(_ALIGN + carry.size)], inbounds=True, source_etype=u.I8)
    test = b.append_basic_block("while.test")
    body = b.append_basic_block("while.body")
    done = b.append_basic_block("while.done")
    b.branch(test)
    b.position_at_end(test)
    _call(b, subprogram(p["cond"])[0], cond_consts + carry.read(), [flag], consts, arena)
    b.cbranch(b.icmp_unsigned("!=", b.load(flag, typ=u.I8), ir.Constant(u.I8, 0)), body, done)
    b.position_at_end(body)
    _call(b, subprogram(p["body"])[0], body_consts + carry.read(), carry.written(), consts, arena)
    carry.swap()
    b.branch(test)
    b.position_at_end(done)
    carry.finish()


def _emit_scan(b, eq, operands, outs, scratch, subprogram, consts) -> None:
    p = eq.params
    n, ncarry, length = p["num_consts"], p["num_carry"], p["length"]
    consts_in = [_buffer(b, op) for op in operands[:n]]
    xs, ys = operands[n + ncarry:], outs[ncarry:]
    y_types = [v.type for v in eq.outputs[ncarry:]]
    carry = _Carry(b, operands[n:n + ncarry], outs[:ncarry], scratch,
                   [v.type for v in eq.outputs[:ncarry]])
    arena = b.gep(scratch, [u.i64(carry.size)], inbounds=True, source_etype=u.I8)
    fn = subprogram(p["body"])[0]
    def step(t):
        i = b.sub(u.i64(length - 1), t) if p["reverse"] else t
        x_rows = [_row(b, x.ptr, x.shape, x.dtype, i) for x in xs]
        y_rows = [_row(b, y, ty.shape, ty.dtype, i) for y, ty in zip(ys, y_types, strict=True)]
        _call(b, fn, consts_in + carry.read() + x_rows, carry.written() + y_rows, consts, arena)
        carry.swap()
    loop_nest(b, [length], step)  # (each step reads the carry the one before wrote)
    carry.finish()


def _row(b: ir.IRBuilder, ptr, shape, dtype, i):
    """A pointer to row `i` (along the leading dim) of a contiguous buffer."""
    row_bytes = math.prod(shape[1:]) * dtype.itemsize
    return b.gep(ptr, [u.mul_i64(b, i, u.i64(row_bytes))], inbounds=True, source_etype=u.I8)
