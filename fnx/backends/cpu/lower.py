"""Build the LLVM module of a Program: one function per kernel, and one entry that runs them all.

The entry is `void fnx_entry(ptr inputs, ptr outputs, ptr extra)`. `inputs` (a tuple) and
`outputs` (a list) hold the numpy arrays themselves: the entry reads each array's data pointer
from the ndarray struct (numpy's stable C ABI), which saves the ~1 µs per array that asking
numpy for the address from Python would cost. `extra` is a C array: the constants' data
pointers, then the arena.
"""
from __future__ import annotations

from llvmlite import ir

from fnx_ir import Literal, Program, Var

from . import fused, kernels
from . import irutil as u
from .module import new_module
from .partition import Partition
from .plan import Plan, nbytes

# Object layouts (CPython 3, numpy >= 1.7), checked by the runtime before anything is compiled.
TUPLE_ITEMS = 24  # offsetof(PyTupleObject, ob_item): the items themselves
LIST_ITEMS = 24  # offsetof(PyListObject, ob_item): a pointer to the items
ARRAY_DATA = 16  # offsetof(PyArrayObject_fields, data)

ENTRY = "fnx_entry"


def _load_ptr(b: ir.IRBuilder, p, offset: int):
    return b.load(b.gep(p, [u.i64(offset)], inbounds=True, source_etype=u.I8), typ=u.PTR)


def _array_data(b: ir.IRBuilder, items, i: int):
    """The data pointer of array `i` of an array of PyObject pointers."""
    return _load_ptr(b, _load_ptr(b, items, 8 * i), ARRAY_DATA)


def build_module(program: Program, part: Partition, plan: Plan, scratch: list[int]) -> ir.Module:
    m = new_module("fnx")
    entry = ir.Function(m, ir.FunctionType(u.VOID, [u.PTR] * 3), name=ENTRY)
    in_tuple, out_list, extra = entry.args
    b = ir.IRBuilder(entry.append_basic_block("entry"))
    ins = b.gep(in_tuple, [u.i64(TUPLE_ITEMS)], inbounds=True, source_etype=u.I8)
    outs = _load_ptr(b, out_list, LIST_ITEMS)

    ptr: dict = {}  # var -> its buffer in the entry
    for i, v in enumerate(program.inputs):
        ptr.setdefault(v, _array_data(b, ins, i))
    for i, (v, _) in enumerate(program.constants):
        ptr[v] = b.load(b.gep(extra, [u.i64(i)], source_etype=u.PTR), typ=u.PTR)
    arena = b.load(b.gep(extra, [u.i64(len(program.constants))], source_etype=u.PTR), typ=u.PTR)
    first_output = {}
    for j, v in enumerate(program.outputs):
        if isinstance(v, Var) and v not in ptr and v not in first_output:
            first_output[v] = j
            ptr[v] = _array_data(b, outs, j)
    for v, off in plan.offsets.items():
        ptr[v] = b.gep(arena, [u.i64(off)], inbounds=True, source_etype=u.I8)

    for idx, k in enumerate(part.kernels):
        donor = plan.in_place.get(idx)  # shares the output's buffer: pass it once (noalias)
        params = [v for v in k.reads if v is not donor] + list(k.outputs)
        args = [ptr[v] for v in params]
        if scratch[idx]:
            args.append(b.gep(arena, [u.i64(plan.scratch[idx])], inbounds=True, source_etype=u.I8))
        fn = ir.Function(m, ir.FunctionType(u.VOID, [u.PTR] * len(args)),
                         name=f"k{idx}_{k.root.primitive}")
        fn.linkage = "internal"
        fn.attributes.add("nounwind")
        fn.attributes.add("noinline")  # kernels are big loops: inlining them only slows compiles
        for a in fn.args:
            a.add_attribute("noalias")
        kb = ir.IRBuilder(fn.append_basic_block("entry"))
        kptr = dict(zip(params, fn.args))
        if donor is not None:
            kptr[donor] = kptr[k.outputs[0]]
        _emit_kernel(kb, k, part, kptr, fn.args[-1] if scratch[idx] else None)
        kb.ret_void()
        b.call(fn, args)

    for j, v in enumerate(program.outputs):
        if isinstance(v, Literal):
            u.store(b, u.const(v.type.dtype, v.value), _array_data(b, outs, j), u.i64(0), v.type.dtype)
        elif first_output.get(v) != j:
            u.memcpy(b, _array_data(b, outs, j), ptr[v], nbytes(v))
    b.ret_void()
    return m


def _emit_kernel(b: ir.IRBuilder, k, part: Partition, ptrs: dict, scratch) -> None:
    if k.kind == "map":
        fused.emit_map(b, k, part, ptrs)
    elif k.kind == "reduce":
        fused.emit_reduce(b, k, part, ptrs)
    else:
        operands = [kernels.Operand.of(x, ptrs.get(part.base(x)) if isinstance(x, Var) else None)
                    for x in k.root.inputs]
        kernels.emit(b, k.root, operands, [ptrs[v] for v in k.outputs], scratch)
