"""Stage 1 of the CPU backend: decide what runs where, before any code is emitted.

`expand` rewrites a few primitives into forms the kernels handle best; `partition` groups
equations into kernels; `fusion` fuses GEMM epilogues and groups kernels that share outer loops;
`plan` places every intermediate in one arena. `schedule` runs them in that order. No LLVM here:
`indexing` (the affine index algebra) and `gemm` (dot_general layouts and the GEMM's blocking)
hold the analyses the emitters share.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from fnx_ir import Equation, Program

# (modules, not their functions of the same names: `schedule.partition` stays the module)
from . import expand, fusion, partition, plan


@dataclass
class Layout:
    """A program ready to emit: rewritten, partitioned into kernels, its buffers planned."""
    program: Program
    part: partition.Partition
    plan: plan.Plan
    scratch: list[int]  # bytes of scratch space per kernel


def schedule(program: Program, scratch_bytes: Callable[[Equation], int], donate=()) -> Layout:
    """`program`'s kernels and buffers. `scratch_bytes(root)`: the scratch an opaque kernel's
    emitter needs; `donate`: (output index, input index) pairs that may share a buffer
    (`plan.donations`)."""
    expanded = expand.expand(program)
    part = partition.partition(expanded)
    fusion.fuse_epilogues(expanded, part)
    fusion.group_kernels(part)
    scratch = [scratch_bytes(k.root) if k.kind == "opaque" else 0 for k in part.kernels]
    return Layout(expanded, part, plan.plan(expanded, part, scratch, donate), scratch)
