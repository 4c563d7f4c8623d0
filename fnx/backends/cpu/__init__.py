"""The CPU backend: a Program becomes one native function, compiled by LLVM (via llvmlite) for the host.

Four stages, each a package or module importing only the ones after it:
`schedule` (expand, partition, fusion, buffer plan) → `emit` (LLVM IR: kernels, fused loops,
GEMM, sort, control flow, scalar ops; every loop through `emit.loops`) → `codelib` (the machine
code's lifecycle: optimise, object code, disk cache, load) → `runtime` (the call path).

A process finds a program in the disk cache without loading the code generator or LLVM: this
module imports `codelib` and `runtime` only; `emit` (with llvmlite) loads on the first compile.
"""
from __future__ import annotations

from fnx_ir import Program

from ..base import LoweringOptions, compile_cache, compile_stage
from .codelib import CodeLibrary
from .runtime import CPUExecutable, check_object_layout


def _code_generator():
    """`emit` (and `schedule`), imported on the first compile rather than with fnx: they load
    llvmlite (~40 ms), which a process whose programs are all in the disk cache never needs."""
    with compile_stage("import code generator"):
        from . import emit
    return emit


class CPUBackend:
    """Lowers a Program to one native function; see the module docstring."""

    name = "cpu"
    capabilities = frozenset({"all-primitives", "all-dtypes", "control-flow",
                              "option:donate", "option:cache"})

    def lower(self, program: Program, options: LoweringOptions = LoweringOptions()) -> CPUExecutable:
        """The executable of `program`: from the disk cache if there, else compiled (and cached).
        `options.extra`: `donate` ((output, input) pairs, see `plan.donations`), `cache` (False:
        neither read nor write the disk cache)."""
        donate = tuple(options.extra.get("donate", ()))
        with compile_stage("cache key"):
            lib = CodeLibrary(program, options.optimize, donate, options.extra.get("cache", True))

        def layout() -> tuple:
            lay = _code_generator().build_module(program, donate)[1]
            return lay.part, lay.plan

        found = lib.load_cached(lambda offsets: check_object_layout(*offsets),
                                lambda: str(_code_generator().build_module(program, donate)[0]))
        if found is not None:
            try:
                with compile_stage("executable"):
                    exe = CPUExecutable(program, *found, layout=layout)
                compile_cache("hit")
                return exe
            except (RuntimeError, ValueError):
                pass  # an entry this process cannot use: compile again
        compile_cache("miss" if lib.uses_cache else "off")
        emit = _code_generator()
        check_object_layout(*emit.OBJECT_LAYOUT)
        module, lay, constants = emit.build_module(program, donate)
        with compile_stage("IR to text"):
            lib.add_ir(str(module))
        info = {"entry": emit.ENTRY, "arena_size": lay.plan.arena_size, "align": emit.ALIGN,
                "aliases": sorted(lay.plan.aliases.items())}
        code = lib.finalize(constants, info, emit.OBJECT_LAYOUT)
        with compile_stage("executable"):
            return CPUExecutable(program, constants, code, info,
                                 layout=lambda: (lay.part, lay.plan))
