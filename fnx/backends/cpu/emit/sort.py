"""sort[dimension, num_keys]: a stable LSD radix sort of each row, then a gather of every operand.

Each key is mapped to an unsigned integer with the same order (floats: sign-flipped bits, -0.0
equal to +0.0, every NaN after +inf), then the row's permutation is sorted one byte at a time,
least significant key first (radix passes are stable, so this is lexicographic). A pass whose
byte is the same for the whole row is skipped. Every address is in bounds by construction:
digits are bytes, and bucket positions are prefix sums of the row's own histogram.
"""
from __future__ import annotations

import math

from llvmlite import ir

from fnx_ir import DType

from . import irutil as u
from .loops import loop_nest, parallel_for

_RADIX = 256


def sort_scratch_bytes(eq) -> int:
    n = eq.inputs[0].type.shape[eq.params["dimension"]]
    return 4 * 8 * n + 8 * _RADIX  # two (key, index) ping-pong arrays and a histogram


def _ordered_key(b: ir.IRBuilder, x, dtype: DType):
    """An i64 whose unsigned order is numpy's sort order of `x`."""
    if dtype.is_bool:
        return b.zext(x, u.I64)
    bits = dtype.itemsize * 8
    it = ir.IntType(bits)
    sign = ir.Constant(it, 1 << (bits - 1))
    if dtype.is_float:
        zero = ir.Constant(x.type, 0.0)
        x = b.select(b.fcmp_ordered("==", x, zero), zero, x)  # -0.0 sorts with +0.0
        raw = b.bitcast(x, it)
        neg = b.icmp_signed("<", raw, ir.Constant(it, 0))
        key = b.select(neg, b.not_(raw), b.or_(raw, sign))
        key = b.select(b.fcmp_unordered("uno", x, x), ir.Constant(it, -1), key)
    elif dtype.kind == "i":
        key = b.xor(x, sign)
    else:
        key = x
    return key if bits == 64 else b.zext(key, u.I64)


def _at(b, ptr, i):
    return b.gep(ptr, [i], inbounds=True, source_etype=u.I64)


def _get(b, ptr, i):
    return b.load(_at(b, ptr, i), typ=u.I64)


def emit_sort(b: ir.IRBuilder, eq, operands, outs, scratch) -> None:
    dim, nkeys = eq.params["dimension"], eq.params["num_keys"]
    shape = operands[0].shape
    outer, n, inner = math.prod(shape[:dim]), shape[dim], math.prod(shape[dim + 1:])
    if outer * n * inner == 0:
        return

    keys = [_at(b, scratch, u.i64(0)), _at(b, scratch, u.i64(n))]
    idx = [_at(b, scratch, u.i64(2 * n)), _at(b, scratch, u.i64(3 * n))]
    hist = _at(b, scratch, u.i64(4 * n))

    def sort_row(o, i):
        base = u.add_i64(b, u.mul_i64(b, o, u.i64(n * inner)), i)

        def element(k):
            return u.add_i64(b, base, u.mul_i64(b, k, u.i64(inner)))
        src = u.slot(b, u.PTR, idx[0])  # which half holds the current permutation
        parallel_for(b, [n], lambda k: b.store(k, _at(b, idx[0], k)))
        for key in reversed(operands[:nkeys]):  # least significant key first
            _sort_by_key(b, key, element, n, keys, idx, src, hist)
        perm = b.load(src, typ=u.PTR)

        def place(k):
            frm = element(_get(b, perm, k))
            for x, out in zip(operands, outs, strict=True):
                u.store(b, x.load(b, frm), out, element(k), x.dtype)
        parallel_for(b, [n], place)
    loop_nest(b, [outer, inner], sort_row)  # (not independent: the rows share the scratch)


def _sort_by_key(b, key, element, n, keys, idx, src, hist) -> None:
    """Stably reorder the permutation in `*src` by one key, a byte per pass."""
    cur_idx = b.load(src, typ=u.PTR)
    other_idx = b.select(b.icmp_unsigned("==", cur_idx, idx[0]), idx[1], idx[0])
    def gather_key(k):  # this key's values, in the current order
        value = key.load(b, element(_get(b, cur_idx, k)))
        b.store(_ordered_key(b, value, key.dtype), _at(b, keys[0], k))
    parallel_for(b, [n], gather_key)
    key_src = u.slot(b, u.PTR, keys[0])
    idx_src = u.slot(b, u.PTR, cur_idx)
    idx_dst = u.slot(b, u.PTR, other_idx)
    passes = 1 if key.dtype.is_bool else key.dtype.itemsize
    def radix_pass(p):
        shift = b.mul(p, u.i64(8))
        ks, is_ = b.load(key_src, typ=u.PTR), b.load(idx_src, typ=u.PTR)

        def digit(k):
            return b.and_(b.lshr(_get(b, ks, k), shift), u.i64(_RADIX - 1))

        def tally(k):
            slot_ = _at(b, hist, digit(k))
            b.store(b.add(b.load(slot_, typ=u.I64), u.i64(1)), slot_)
        parallel_for(b, [_RADIX], lambda d: b.store(u.i64(0), _at(b, hist, d)))
        loop_nest(b, [n], tally)
        uniform = b.icmp_unsigned("==", _get(b, hist, digit(u.i64(0))), u.i64(n))
        with u.if_then(b, b.not_(uniform)):  # otherwise this byte leaves the order as is
            total = u.slot(b, u.I64, u.i64(0))

            def first_position(d):  # exclusive prefix sums: each bucket's first position
                count = _get(b, hist, d)
                t = b.load(total, typ=u.I64)
                b.store(t, _at(b, hist, d))
                b.store(b.add(t, count), total)
            loop_nest(b, [_RADIX], first_position)
            kd = b.select(b.icmp_unsigned("==", ks, keys[0]), keys[1], keys[0])
            id_ = b.load(idx_dst, typ=u.PTR)

            def move(k):
                slot_ = _at(b, hist, digit(k))
                pos = b.load(slot_, typ=u.I64)
                b.store(b.add(pos, u.i64(1)), slot_)
                b.store(_get(b, ks, k), _at(b, kd, pos))
                b.store(_get(b, is_, k), _at(b, id_, pos))
            loop_nest(b, [n], move)
            b.store(kd, key_src)
            b.store(id_, idx_src)
            b.store(is_, idx_dst)
    loop_nest(b, [passes], radix_pass)
    b.store(b.load(idx_src, typ=u.PTR), src)
