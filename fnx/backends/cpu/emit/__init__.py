"""Stage 2 of the CPU backend: LLVM IR for a scheduled program (`program.build_module`).

`program` emits a function per kernel and the entry that runs them; `fused` the map, reduce and
group kernels; `kernels` the opaque ones (dot_general through `matmul`'s GEMM, scans, pad,
scatter, ... and `sort`); `control` cond/while/scan; `scalar` every elementwise op's exact
semantics (with `mathlib`'s transcendentals); `irutil` types, loads and stores. Every loop is
opened by `loops.loop_nest` (or `loops.parallel_for`), the one place to make loops parallel.
"""
from __future__ import annotations

from ..schedule.plan import ALIGN
from .program import ENTRY, OBJECT_LAYOUT, build_module, profile

__all__ = ["ALIGN", "ENTRY", "OBJECT_LAYOUT", "build_module", "profile"]
