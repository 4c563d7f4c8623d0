"""The CPU backend: a Program becomes one native function, compiled by LLVM (via llvmlite) for the host.

Pipeline: `expand` rewrites a few primitives into forms the kernels handle best; `partition`
groups equations into fused kernels; `plan` places intermediates in one arena; `lower` emits a
function per kernel (`fused` for loop nests, `kernels` for the rest, with `matmul`'s GEMM and
`sort`'s radix sort, `control` for cond/while/scan, which call their sub-programs' functions;
`scalar` gives every elementwise op its exact semantics, with `mathlib`'s transcendentals) and
an entry that runs them in order; `module` optimises and JIT-compiles it (caching machine code
on disk); `runtime` is the Executable.
"""
from __future__ import annotations

from fnx_ir import Program

from ..base import LoweringOptions
from .lower import ENTRY, build_module
from .module import Compiled
from .runtime import CPUExecutable, check_object_layout


class CPUBackend:
    name = "cpu"
    capabilities = frozenset({"all-primitives", "control-flow"})

    def lower(self, program: Program, options: LoweringOptions = LoweringOptions()) -> CPUExecutable:
        check_object_layout()
        module, layout, constants = build_module(program)
        compiled = Compiled(module, optimize=options.optimize, cache=options.extra.get("cache", True))
        return CPUExecutable(program, layout.part, layout.plan, constants, compiled, ENTRY)
