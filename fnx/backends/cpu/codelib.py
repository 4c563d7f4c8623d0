"""Stage 3 of the CPU backend: a program's machine code through its whole lifecycle, owned by one
`CodeLibrary` (numba's name for it): look in the disk cache → or add the code generator's LLVM IR
→ finalise (O3) → object code → write the disk cache → load → the entry point's address.

A cache hit maps the object with `loader` and never loads LLVM (see `target`); `cache` holds the
key and the entry format. Also here: the pass pipeline, and the optimised IR and assembly for
inspection (`Compiled`).
"""
from __future__ import annotations

import functools
import threading
from typing import Callable

from fnx_ir import Program

from ..base import compile_stage
from . import cache, loader
from .target import llvm_binding, new_target_machine, target_machine

# llvmlite parses into LLVM's global context, which is not thread-safe: one compile at a time.
_LLVM_LOCK = threading.RLock()


def _parse(text: str):
    mod = llvm_binding().parse_assembly(text)
    mod.verify()
    return mod


def _run_pipeline(mod) -> None:
    llvm = llvm_binding()
    pb = llvm.create_pass_builder(target_machine(), llvm.create_pipeline_tuning_options(3))
    pb.getModulePassManager().run(mod, pb)
    # O3 has no inliner after the loop vectoriser: the vector variants of mathlib's sin/cos/tan
    # it substituted would stay calls (spilling registers every 16 elements). They are marked
    # alwaysinline; inline them now and clean up.
    mpm = llvm.create_new_module_pass_manager()
    mpm.add_always_inliner_pass()
    mpm.add_instruction_combine_pass()
    mpm.add_simplify_cfg_pass()
    mpm.run(mod, pb)


def compile_ir(text: str, optimize: bool = True) -> tuple["Compiled", bytes | None]:
    """JIT-compile LLVM IR text: the machine code, and its object file (for the disk cache)."""
    with _LLVM_LOCK:
        with compile_stage("parse IR"):
            mod = _parse(text)
        if optimize:
            with compile_stage("LLVM optimise"):
                _run_pipeline(mod)
        with compile_stage("object code + load"):
            engine = llvm_binding().create_mcjit_compiler(mod, new_target_machine())
            objects: list[bytes] = []
            engine.set_object_cache(notify_func=lambda _module, data: objects.append(data))
            engine.finalize_object()
    cache.stats["compiles"] += 1
    return Compiled(engine, lambda: text, optimize), (objects[0] if objects else None)


def load_with_mcjit(obj: bytes):
    """An engine running an object file made by `compile_ir` (when `loader` cannot map it)."""
    with _LLVM_LOCK:
        llvm = llvm_binding()
        engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), new_target_machine())
        engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
    return engine


def optimized_ir(text: str, optimize: bool = True) -> str:
    """The LLVM IR that `compile_ir(text, optimize)` turns into machine code."""
    with _LLVM_LOCK:
        mod = _parse(text)
        if optimize:
            _run_pipeline(mod)
        return str(mod)


def assembly(llvm_ir: str) -> str:
    """The host assembly of (optimised) LLVM IR text."""
    with _LLVM_LOCK:
        return target_machine().emit_assembly(llvm_binding().parse_assembly(llvm_ir))


class Compiled:
    """Machine code in memory: symbol addresses, plus the optimised LLVM IR and the assembly for
    inspection (made when asked, from the code generator's IR)."""

    def __init__(self, engine, source: Callable[[], str], optimize: bool):
        self._engine = engine  # an MCJIT engine or a `loader.Image`: keeps the code alive
        self._source = source  # () -> the code generator's LLVM IR text
        self._optimize = optimize

    def address(self, name: str) -> int:
        """The address of function `name` (0 if absent)."""
        return self._engine.get_function_address(name)

    def global_address(self, name: str) -> int:
        """The address of global variable `name` (0 if absent)."""
        return self._engine.get_global_value_address(name)

    @functools.cached_property
    def llvm_ir(self) -> str:
        return optimized_ir(self._source(), self._optimize)

    @functools.cached_property
    def asm(self) -> str:
        return assembly(self.llvm_ir)


class CodeLibrary:
    """One program's machine code: found in the disk cache (`load_cached`), or made from the code
    generator's LLVM IR (`add_ir`, then `finalize`, which also writes the cache entry).

    `info` is what the runtime needs besides the code: `entry` (its symbol), `arena_size`,
    `align`, `aliases` ((output, donated input) pairs); `constants`, the (var, array) table the
    entry reads, in its order.
    """

    def __init__(self, program: Program, optimize: bool, donate=(), use_cache: bool = True):
        self.program = program
        self.optimize = optimize
        where = cache.cache_dir() if use_cache else None
        key = cache.key(program, optimize, donate) if where else None
        self._stem = f"{where}/{key}" if key else None  # the cache entry's path, less suffix
        self._ir: str | None = None

    @property
    def uses_cache(self) -> bool:
        """Whether this program's code is looked for and stored in the disk cache."""
        return self._stem is not None

    def load_cached(self, object_layout_ok: Callable[[tuple], None],
                    regenerate_ir: Callable[[], str]) -> tuple[list, Compiled, dict] | None:
        """(constants, machine code, info) from the disk cache, or None (absent, corrupt or
        unusable). `object_layout_ok(offsets)` raises if the entry's object-layout offsets do
        not hold here; `regenerate_ir()` makes the LLVM IR again if its cached copy is lost."""
        if self._stem is None:
            return None
        with compile_stage("cache read"):
            entry = cache.read_entry(self._stem)
        if entry is None:
            return None
        meta, obj = entry
        try:
            object_layout_ok(tuple(meta["object_layout"]))
            programs = cache.all_programs(self.program)
            constants = [programs[i].constants[j] for i, j in meta["constants"]]
            info = {k: meta[k] for k in ("entry", "arena_size", "align", "aliases")}
        except (KeyError, IndexError, TypeError, ValueError):
            return None
        stem = self._stem

        def source() -> str:  # the code generator's LLVM IR, for inspection
            text = cache.read_llvm_ir(stem, meta)
            return regenerate_ir() if text is None else text  # (gone or damaged: made again)

        try:
            with compile_stage("load"):
                image = loader.load(obj) or load_with_mcjit(obj)
            code = Compiled(image, source, self.optimize)
            if not code.address(info["entry"]):
                return None
        except (RuntimeError, ValueError, OSError):
            return None
        cache.stats["disk_hits"] += 1
        cache.touch(stem + ".o")  # recently used: pruned last
        return constants, code, info

    def add_ir(self, llvm_ir: str) -> None:
        """The code generator's LLVM IR (text) for this program."""
        self._ir = llvm_ir

    def finalize(self, constants: list, info: dict, object_layout: tuple) -> Compiled:
        """Optimise and compile the IR added; store the object, `info`, the constants' places
        and `object_layout` (the offsets the entry reads Python objects at) in the disk cache."""
        code, obj = compile_ir(self._ir, self.optimize)
        if self._stem is not None and obj is not None:
            found: dict = {}  # id(var) -> (program, index), programs in `all_programs` order
            for i, p in enumerate(cache.all_programs(self.program)):
                for j, (v, _) in enumerate(p.constants):
                    found.setdefault(id(v), (i, j))
            meta = dict(info, object_layout=object_layout,
                        constants=[found[id(v)] for v, _ in constants])
            with compile_stage("cache write"):
                cache.write_entry(self._stem, meta, obj, self._ir)
        return code
