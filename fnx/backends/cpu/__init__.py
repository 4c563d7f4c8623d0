"""The CPU backend: a Program becomes one native function, compiled by LLVM (via llvmlite) for the host.

Pipeline: `expand` rewrites a few primitives into vectorisable ones; `partition` groups
equations into fused kernels; `plan` places intermediates in one arena; `lower` emits a function
per kernel (`fused` for loop nests, `kernels` and `sort` for the rest, `scalar` for every
elementwise op's exact semantics) and an entry that runs them in order; `module` optimises and
JIT-compiles it; `runtime` is the Executable.
"""
from __future__ import annotations

from fnx_ir import Program

from ..base import LoweringOptions, register_backend
from . import kernels
from .expand import expand
from .lower import ENTRY, build_module
from .module import Compiled
from .partition import partition
from .plan import plan
from .runtime import CPUExecutable, check_object_layout


class CPUBackend:
    name = "cpu"
    capabilities = frozenset({"all-primitives"})

    def lower(self, program: Program, options: LoweringOptions = LoweringOptions()) -> CPUExecutable:
        check_object_layout()
        expanded = expand(program)
        part = partition(expanded)
        scratch = [kernels.scratch_bytes(k.root) if k.kind == "opaque" else 0 for k in part.kernels]
        pl = plan(expanded, part, scratch)
        module = build_module(expanded, part, pl, scratch)
        compiled = Compiled(module, optimize=options.optimize, cache=options.extra.get("cache", True))
        return CPUExecutable(program, part, pl, compiled, ENTRY)


register_backend("cpu", CPUBackend)
