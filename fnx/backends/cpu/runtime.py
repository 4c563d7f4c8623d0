"""The Executable: argument checks, output allocation, and one ctypes call into the native entry.

Everything that does not depend on the arguments is done once, at construction. Per call, the
fast path is: a type/shape/dtype/layout test per argument, one `numpy.empty` per output and the
native call (about 1.2 µs in all for a small program). The arena (intermediate buffers)
persists across calls; a small pool gives each concurrent caller its own (programs big enough
to be worth it release the GIL during the call).

Donated inputs (`aliases`, chosen by `plan.donations`): such an output is written into the
input array itself, which the call returns, instead of a new array; unless that array cannot
be written safely (read-only, not C-contiguous or aligned, or sharing memory with another
argument or a constant): the output is then written into a copy of it.
"""
from __future__ import annotations

import ctypes
import functools
from typing import Callable

import numpy as np

from fnx._core.array import Array
from fnx_ir import Program, subprograms

_ndarray = np.ndarray
_new_array = functools.partial(np.ndarray.__new__, Array)  # (shape, dtype): like np.empty

_ARGS = (None, ctypes.py_object, ctypes.py_object, ctypes.c_size_t)
# Releasing the GIL costs ~0.2 µs a call: worth it only when the call runs long enough for
# other threads to make use of it.
_RELEASE_GIL_ABOVE = 1 << 16  # elements read and written by the equations, per call


def _read_ptr(address: int) -> int:
    return ctypes.c_void_p.from_address(address).value


_layout_ok: set = set()


def check_object_layout(tuple_items: int, list_items: int, array_data: int) -> None:
    """The entry reads tuple/list items and ndarray data pointers directly, at these offsets
    (the code generator's): check them."""
    if (tuple_items, list_items, array_data) in _layout_ok:
        return
    a = np.zeros(3)
    tup, lst = (a,), [a]
    ok = (_read_ptr(id(tup) + tuple_items) == id(a)
          and _read_ptr(_read_ptr(id(lst) + list_items)) == id(a)
          and _read_ptr(id(a) + array_data) == a.ctypes.data)
    if not ok:
        raise RuntimeError("cpu backend: unsupported Python/numpy object layout "
                           "(tuple/list items or ndarray data pointer not where expected)")
    _layout_ok.add((tuple_items, list_items, array_data))


def _strides(shape) -> tuple:
    """C-contiguous strides, in elements."""
    out, n = [], 1
    for d in reversed(shape):
        out.append(n)
        n *= d
    return tuple(reversed(out))


class CPUExecutable:
    """`executable(*arrays) -> list[fnx.Array]`, running the whole program in one native call."""

    def __init__(self, program: Program, constants, compiled, info: dict,
                 layout: Callable[[], tuple]):
        """`compiled`: the machine code (`codelib.Compiled`); `info`: what it was generated with
        (`entry` name, `arena_size`, `align`, `aliases`: (output, donated input) pairs);
        `layout()`: its partition and plan, for inspection (called once, when first asked)."""
        self.program = program
        self._compiled = compiled  # keeps the machine code alive
        self._make_layout = layout
        self._arena_size = info["arena_size"]
        self._align = info["align"]
        work = sum(v.type.size for e in program.equations for v in e.inputs + e.outputs)
        loops = any(subprograms(e.params) for e in program.equations)  # unknown trip counts
        ftype = ctypes.CFUNCTYPE if loops or work > _RELEASE_GIL_ABOVE else ctypes.PYFUNCTYPE
        address = compiled.address(info["entry"])
        if not address:
            raise RuntimeError(f"cpu backend: no entry {info['entry']!r} in the machine code")
        self._fn = ftype(*_ARGS)(address)
        # (shape, dtype, C-contiguous strides): an argument matching all three is used as is.
        self._in_sig = [(v.type.shape, v.type.dtype.np,
                         tuple(s * v.type.dtype.itemsize for s in _strides(v.type.shape)))
                        for v in program.inputs]
        self._out_shapes = [v.type.shape for v in program.outputs]
        self._out_dtypes = [v.type.dtype.np for v in program.outputs]
        self._consts = []
        for v, c in constants:  # the program's and its sub-programs', in the entry's order
            c = np.ascontiguousarray(c, dtype=v.type.dtype.np)
            if c.shape != v.type.shape:
                raise ValueError(f"constant of type {v.type} holds an array of shape {c.shape}")
            self._consts.append(c)
        self._pool: list = []
        self.aliases = dict(info.get("aliases", ()))  # output index -> donated input index

    @functools.cached_property
    def _layout(self) -> tuple:
        return self._make_layout()

    @property
    def partition(self):
        """The kernels (for inspection and tests)."""
        return self._layout[0]

    @property
    def plan(self):
        """Where intermediates live (for inspection and tests)."""
        return self._layout[1]

    @property
    def llvm_ir(self) -> str:
        """The optimised LLVM IR."""
        return self._compiled.llvm_ir

    @property
    def asm(self) -> str:
        """The host assembly."""
        return self._compiled.asm

    def _new_state(self):
        arena = np.empty(self._arena_size + self._align, np.uint8)
        base = arena.ctypes.data
        aligned = base + (-base) % self._align
        extra = (ctypes.c_void_p * (len(self._consts) + 1))(
            *[c.ctypes.data for c in self._consts], aligned)
        return ctypes.addressof(extra), extra, arena

    def _coerce(self, args: tuple) -> tuple:
        """The slow path: check every argument and copy the ones native code cannot read as is."""
        if len(args) != len(self._in_sig):
            raise TypeError(f"program takes {len(self._in_sig)} inputs, got {len(args)}")
        out = []
        for i, (a, v) in enumerate(zip(args, self.program.inputs, strict=True)):
            shape, dtype, _ = self._in_sig[i]
            a = np.asarray(a)
            if a.shape != shape or a.dtype != dtype:
                raise TypeError(f"input {i}: expected {v.type.dtype.name}{list(shape)}, "
                                f"got {a.dtype}{list(a.shape)}")
            # (Unaligned data is fine: the code assumes no more than element alignment, and
            # x86 and AArch64 load such data at full speed or nearly.)
            out.append(a if a.flags.c_contiguous else np.ascontiguousarray(a))
        return tuple(out)

    def _donated_outputs(self, args: tuple) -> list:
        """The output arrays: each donated input that can be written safely, else a copy of it
        (the code may read the input through the output's buffer); new ones for the rest."""
        outs = []
        for j, (shape, dtype) in enumerate(zip(self._out_shapes, self._out_dtypes, strict=True)):
            i = self.aliases.get(j)
            if i is None:
                outs.append(_new_array(shape, dtype))
                continue
            a = args[i]
            if a.flags.writeable and a.flags.c_contiguous and a.flags.aligned \
                    and not any(np.may_share_memory(a, b) for b in self._consts) \
                    and not any(n != i and np.may_share_memory(a, b) for n, b in enumerate(args)):
                outs.append(a)
            else:
                copy = _new_array(shape, dtype)
                copy[...] = a
                outs.append(copy)
        return outs

    def __call__(self, *args):
        sig = self._in_sig
        if len(args) != len(sig):
            args = self._coerce(args)  # raises
        i = 0
        for a in args:  # the fast test (an index, not zip: this loop is the per-call cost)
            shape, dtype, st = sig[i]
            i += 1
            if ((a.__class__ is not Array and a.__class__ is not _ndarray)
                    or a.dtype is not dtype or a.shape != shape or a.strides != st):
                args = self._coerce(args)
                break
        if self.aliases:
            outs = self._donated_outputs(args)
        else:
            outs = list(map(_new_array, self._out_shapes, self._out_dtypes))
        try:
            state = self._pool.pop()
        except IndexError:
            state = self._new_state()
        try:
            self._fn(args, outs, state[0])
        finally:
            self._pool.append(state)
        return outs
