"""Build the LLVM module of a Program: one function per kernel, and one entry that runs them all.

The entry is `void fnx_entry(ptr inputs, ptr outputs, ptr extra)`. `inputs` (a tuple) and
`outputs` (a list) hold the numpy arrays themselves: the entry reads each array's data pointer
from the ndarray struct (numpy's stable C ABI), which saves the ~1 µs per array that asking
numpy for the address from Python would cost. `extra` is a C array: the data pointers of every
constant (the program's and its sub-programs'), then the arena.

Every program's layout (kernels, buffers) comes from `schedule`. FNX_CPU_PROFILE=1 makes the
entry count the cycles spent in each of its kernels (`profile(executable)` reads them; a
debugging aid, keyed into the disk cache like every FNX_CPU_* setting).

Sub-programs (the branches and bodies of cond/while/scan) become functions
`void prog(ptr ins[], ptr outs[], ptr consts[], ptr arena)` (C arrays of buffer pointers),
emitted by the same code; the control-flow kernels call them.
"""
from __future__ import annotations

import ctypes
import os

from llvmlite import ir

from fnx_ir import Literal, Program, Var

from ...base import compile_stage
from ..target import module_target
from ..schedule import Layout, schedule
from ..schedule.partition import Partition
from ..schedule.plan import nbytes
from . import control, fused, kernels
from . import irutil as u

# Object layouts (CPython 3, numpy >= 1.7), checked by the runtime before anything is compiled.
TUPLE_ITEMS = 24  # offsetof(PyTupleObject, ob_item): the items themselves
LIST_ITEMS = 24  # offsetof(PyListObject, ob_item): a pointer to the items
ARRAY_DATA = 16  # offsetof(PyArrayObject_fields, data)
OBJECT_LAYOUT = (TUPLE_ITEMS, LIST_ITEMS, ARRAY_DATA)

ENTRY = "fnx_entry"
PROFILE = "fnx_profile"  # FNX_CPU_PROFILE=1: i64 [kernels x (cycles, calls)] of the entry's kernels


def _load_ptr(b: ir.IRBuilder, p, offset: int):
    return b.load(b.gep(p, [u.i64(offset)], inbounds=True, source_etype=u.I8), typ=u.PTR)


def _array_data(b: ir.IRBuilder, items, i: int):
    """The data pointer of array `i` of an array of PyObject pointers."""
    return _load_ptr(b, _load_ptr(b, items, 8 * i), ARRAY_DATA)


class ModuleBuilder:
    """Emits a program and its sub-programs into one module, with one table of constants."""

    def __init__(self):
        self.module = ir.Module(name="fnx")
        self.module.triple, self.module.data_layout = module_target()
        self.constants: list = []  # (var, array): the table `extra` starts with, in index order
        self._const_index: dict[Var, int] = {}
        self._functions: dict[int, tuple] = {}  # id(sub-program) -> (program, function, arena bytes)
        self._profile = None  # the counters global, while emitting a profiled entry

    def layout(self, program: Program, donate=()) -> Layout:
        """`donate`: (output index, input index) pairs that may share a buffer (`plan.donations`)."""
        for v, c in program.constants:
            if v not in self._const_index:
                self._const_index[v] = len(self.constants)
                self.constants.append((v, c))
        return schedule(program, self._scratch_bytes, donate)

    def _scratch_bytes(self, eq) -> int:
        if eq.primitive in control.CONTROL_FLOW:
            return control.scratch_bytes(eq, self.subprogram)
        return kernels.scratch_bytes(eq)

    def subprogram(self, program: Program) -> tuple[ir.Function, int]:
        """The function running `program`, and the arena bytes it needs (emitted once)."""
        key = id(program)
        if key not in self._functions:
            lay = self.layout(program)
            fn = ir.Function(self.module, ir.FunctionType(u.VOID, [u.PTR] * 4),
                             name=self.module.get_unique_name("program"))
            fn.linkage = "internal"
            fn.attributes.add("nounwind")
            ins, outs, consts, arena = fn.args
            b = ir.IRBuilder(fn.append_basic_block("entry"))
            self.emit_program(b, lay, lambda i: _load_ptr(b, ins, 8 * i),
                              lambda j: _load_ptr(b, outs, 8 * j), consts, arena)
            b.ret_void()
            self._functions[key] = (program, fn, lay.plan.arena_size)  # (keeps `id` valid)
        _, fn, arena_bytes = self._functions[key]
        return fn, arena_bytes

    def entry(self, lay: Layout) -> None:
        """`fnx_entry`, reading buffers from the Python objects the runtime passes."""
        fn = ir.Function(self.module, ir.FunctionType(u.VOID, [u.PTR] * 3), name=ENTRY)
        in_tuple, out_list, extra = fn.args
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        ins = b.gep(in_tuple, [u.i64(TUPLE_ITEMS)], inbounds=True, source_etype=u.I8)
        outs = _load_ptr(b, out_list, LIST_ITEMS)
        arena = _load_ptr(b, extra, 8 * len(self.constants))
        if os.environ.get("FNX_CPU_PROFILE"):
            n = 2 * len(lay.part.kernels)
            self._profile = ir.GlobalVariable(self.module, ir.ArrayType(u.I64, n), PROFILE)
            self._profile.initializer = ir.Constant(ir.ArrayType(u.I64, n), [0] * n)
        self.emit_program(b, lay, lambda i: _array_data(b, ins, i), lambda j: _array_data(b, outs, j),
                          extra, arena)
        b.ret_void()
        self._profile = None

    def emit_program(self, b: ir.IRBuilder, lay: Layout, input_ptr, output_ptr, consts, arena):
        """Run `lay`'s kernels in order, then fill the outputs no kernel wrote."""
        program, part, pl = lay.program, lay.part, lay.plan
        ptr: dict = {}  # var -> its buffer
        for i, v in enumerate(program.inputs):
            ptr[v] = input_ptr(i)
        for v, _ in program.constants:
            ptr[v] = _load_ptr(b, consts, 8 * self._const_index[v])
        first_output = {}
        for j, v in enumerate(program.outputs):
            if isinstance(v, Var) and v not in ptr and v not in first_output:
                first_output[v] = j
                ptr[v] = output_ptr(j)
        for v, off in pl.offsets.items():
            ptr[v] = b.gep(arena, [u.i64(off)], inbounds=True, source_etype=u.I8)

        for idx, k in enumerate(part.kernels):
            # An operand sharing an output's buffer is passed once (the pointers are noalias).
            donor, shared = pl.in_place.get(idx, (None, None))
            params = [v for v in k.reads if v is not donor] + list(k.outputs)
            args = [ptr[v] for v in params]
            if lay.scratch[idx]:
                args.append(b.gep(arena, [u.i64(pl.scratch[idx])], inbounds=True, source_etype=u.I8))
            calls = k.root.primitive in control.CONTROL_FLOW
            if calls:
                args.append(consts)  # sub-programs read the constant table
            fn = ir.Function(self.module, ir.FunctionType(u.VOID, [u.PTR] * len(args)),
                             name=self.module.get_unique_name(f"k{idx}_{k.root.primitive}"))
            fn.linkage = "internal"
            fn.attributes.add("nounwind")
            fn.attributes.add("noinline")  # kernels are big loops: inlining them only slows compiles
            for a in fn.args[:len(params)]:
                a.add_attribute("noalias")
            kb = ir.IRBuilder(fn.append_basic_block("entry"))
            kptr = dict(zip(params, fn.args[:len(params)], strict=True))
            if donor is not None:
                kptr[donor] = kptr[shared]
            extras = list(fn.args[len(params):])
            scratch = extras.pop(0) if lay.scratch[idx] else None
            self._emit_kernel(kb, k, part, kptr, scratch, extras[0] if calls else None)
            kb.ret_void()
            if self._profile is not None:
                _profiled_call(b, fn, args, self._profile, idx)
            else:
                b.call(fn, args)

        for j, v in enumerate(program.outputs):
            if isinstance(v, Literal):
                u.store(b, u.const(v.type.dtype, v.value), output_ptr(j), u.i64(0), v.type.dtype)
            elif first_output.get(v) != j:
                i = pl.aliases.get(j)
                if i is None or program.inputs[i] is not v:  # (else: a donated input, returned)
                    u.memcpy(b, output_ptr(j), ptr[v], nbytes(v))

    def _emit_kernel(self, b: ir.IRBuilder, k, part: Partition, ptrs: dict, scratch, consts) -> None:
        if k.kind == "group":
            fused.emit_group(b, k, part, ptrs)
        elif k.kind == "map":
            fused.emit_map(b, k, part, ptrs)
        elif k.kind == "reduce":
            fused.emit_reduce(b, k, part, ptrs)
        else:
            operands = [kernels.Operand.of(x, ptrs.get(part.base(x)) if isinstance(x, Var) else None)
                        for x in k.root.inputs]
            outs = [ptrs[part.base(v)] for v in k.root.outputs]
            if consts is not None:
                control.emit(b, k.root, operands, outs, scratch, self.subprogram, consts)
            else:
                epilogue = (k.epilogue, part, ptrs) if k.epilogue is not None else None
                kernels.emit(b, k.root, operands, outs, scratch, epilogue)


def _profiled_call(b: ir.IRBuilder, fn, args, counters, idx: int) -> None:
    clock = u.intrinsic(b.module, "llvm.readcyclecounter", u.I64, [], [])
    t0 = b.call(clock, [])
    b.call(fn, args)
    dt = b.sub(b.call(clock, []), t0)
    for slot, inc in ((2 * idx, dt), (2 * idx + 1, u.i64(1))):
        p = b.gep(counters, [u.i64(0), u.i64(slot)], inbounds=True)
        b.store(b.add(b.load(p), inc), p)


def profile(executable) -> list:
    """(kernel, cycles per call) of an executable compiled with FNX_CPU_PROFILE=1 set."""
    n = len(executable.partition.kernels)
    addr = executable._compiled.global_address(PROFILE)
    raw = (ctypes.c_int64 * (2 * n)).from_address(addr)
    return [(k, raw[2 * i] / max(1, raw[2 * i + 1])) for i, k in enumerate(executable.partition.kernels)]


def build_module(program: Program, donate=()) -> tuple[ir.Module, Layout, list]:
    """The module for `program`, its top-level layout, and the constant table the entry expects
    as (var, array) pairs. `donate`: see `ModuleBuilder.layout`."""
    mb = ModuleBuilder()
    with compile_stage("schedule"):
        lay = mb.layout(program, donate)
    with compile_stage("emit IR"):
        mb.entry(lay)
    return mb.module, lay, mb.constants
