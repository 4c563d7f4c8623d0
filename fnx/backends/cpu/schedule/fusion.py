"""The two fusion passes that run after `partition`, on its kernels.

GEMM epilogues (`fuse_epilogues`, FNX_CPU_NOEPI=1: off): a dot_general's only, elementwise
consumer runs inside the GEMM on each finished block of the product (bias + ReLU, the SGD update).

Loop groups (`group_kernels`, FNX_CPU_NOGROUP=1: off): consecutive map/reduce kernels whose
domains start with the same dims become one "group" kernel looping over those dims once, each
member run on a block of them in turn (a row-wise softmax reads each row from memory once).
`emit.fused` emits both.
"""
from __future__ import annotations

import math
import os

from fnx_ir import Var

from .. import mathlib
from .gemm import gemm_plan
from .indexing import Ix, Loads, analyse, identity_index, linear, merge_dims, strided_inner, strides
from .partition import VIEWS, Kernel, Partition


def fuse_epilogues(program, part) -> None:
    """GEMM epilogues. A map kernel that is the only reader of a float matrix product, reads it
    elementwise (at its own loop index) and reads nothing computed after the product runs
    inside the GEMM, on each column of C's tiles as soon as it is final (still in L1): bias and
    ReLU after a layer, the SGD update after a weight gradient. When one of its outputs has the
    product's type, the GEMM accumulates straight into that output's buffer and the epilogue
    rewrites it in place: the product never has a buffer of its own."""
    if os.environ.get("FNX_CPU_NOEPI"):
        return
    kernels = part.kernels
    made_by = {v: i for i, k in enumerate(kernels) for v in k.outputs}
    readers: dict = {}
    for i, k in enumerate(kernels):
        for v in k.reads:
            readers.setdefault(v, []).append(i)
    results = {v for v in program.outputs if isinstance(v, Var)}
    fusable = []
    for i, d in enumerate(kernels):
        if d.kind != "opaque" or d.root.primitive != "dot_general" or len(d.outputs) != 1:
            continue
        c = d.outputs[0]
        if c in results or not c.type.dtype.is_float or c.type.ndim != 2 \
                or d.root.params["dimension_numbers"][1][0] or gemm_plan(d.root)[-1]:
            continue
        if len(readers.get(c, ())) != 1:
            continue
        j = readers[c][0]
        e = kernels[j]
        if e.kind != "map" or e.domain != c.type.shape or e.epilogue is not None:
            continue
        if any(made_by.get(v, -1) > i for v in e.reads if v is not c):
            continue
        loads = [o for v, o in analyse(e, part).loads if part.base(v) is c]
        at = linear(identity_index(e.domain), c.type.shape).key()
        if not loads or any(o.key() != at for o in loads):
            continue
        fusable.append((d, e))
    for d, e in fusable:
        c = d.outputs[0]
        target = next((v for v in e.outputs if v.type == c.type), None)
        if target is not None:
            part.alias[c] = target  # the GEMM writes the product into the epilogue's output
            d.outputs = list(e.outputs)
        else:
            d.outputs = [c] + list(e.outputs)
        d.reads = d.reads + [v for v in e.reads if v is not c and v not in d.reads]
        d.fused = d.fused + e.fused
        d.epilogue = e
        kernels.remove(e)


# ------------------------------------------------------------------ loop groups (loop fusion)

GROUP_MIN_INNER = 64  # a group needs a member doing this much work per index of its outer loops
SCALAR_INNER = 16  # members with less work than this per outer index lose their vectorisation...
SCALAR_SHARE = 16  # ... so their (scalar) work must stay below 1/16 of the vector members'
# Runs of candidate members are cut at this length: choosing groups within a run tries its
# sub-runs (cubic in its length), and an unrolled loop can make runs of thousands of kernels.
GROUP_MAX_RUN = 16


def _max_prefix(k: Kernel, an: Loads) -> int:
    """How many leading domain dims `k` can leave to a group's outer loops."""
    if k.kind not in ("map", "reduce") or math.prod(k.domain) == 0:
        return 0
    if k.kind == "reduce":
        return min(k.root.params["axes"], default=len(k.domain))
    # a map whose loads stride along its inner loop is walked in tiles, which needs all its dims
    return 0 if strided_inner(an.used, merge_dims(k.domain, an.used)) else len(k.domain)


def _cost(k: Kernel) -> int:
    """Rough work per element: transcendentals dominate."""
    return sum(16 if e.primitive in mathlib.UNARY_FUNCTIONS else 0 if e.primitive in VIEWS else 1
               for e in k.fused)


def _local(offset: Ix, size: int, pshape) -> bool:
    """Does a load at `offset` of a buffer of `size` elements, laid out with the group's outer dims
    `pshape` leading, only read the part written at the same outer index? (Its coefficients on
    the outer dims are that part's strides; being in bounds for every outer index, the rest
    of the offset then stays within the part.)"""
    n = math.prod(pshape)
    if offset.dyn or size % n:
        return False
    part_strides = [s * (size // n) for s in strides(pshape)]
    return all(offset.coeff(d) == part_strides[d] for d, nd in enumerate(pshape) if nd != 1)


def _group_prefix(run: list, part: Partition) -> int:
    """The outer dims the kernels of `run` can share, with every value one of them writes and a
    later one reads read at the same outer index it was written at (0: none)."""
    p = min(mp for _, _, mp in run)
    first = run[0][0].domain
    for k, _, _ in run[1:]:
        p = next((d for d in range(p) if k.domain[d] != first[d]), p)
    if math.prod(first[:p]) <= 1:
        return 0
    written: dict = {}
    for k, an, _ in run:
        for var, offset in an.loads:
            base = part.base(var)
            if base in written and not _local(offset, base.type.size, first[:p]):
                return 0
        for v in k.outputs:
            written[v] = k
    return p


def group_kernels(part: Partition) -> None:
    """Loop fusion: runs of consecutive map/reduce kernels whose domains begin with the same
    dims become one "group" kernel that loops over those dims once and runs each member's
    inner loops at every outer index. A row-wise softmax or logsumexp then reads each row from
    memory once (its max, exp-sum and divide passes hit L1), and a value one member writes is
    read by the next while still in cache. Members must read what earlier members wrote only at
    the same outer index (checked on the load addresses); reductions may not reduce outer dims,
    tiled (transposing) maps are left alone, and a group must be worth it: some member does
    GROUP_MIN_INNER elements of work per outer index, and the members left without an inner
    loop (which lose their vectorisation) cost little next to the rest. Runs are at most
    GROUP_MAX_RUN kernels long, so the time taken stays linear in the number of kernels."""
    if os.environ.get("FNX_CPU_NOGROUP"):
        return
    out: list = []
    run: list = []  # (kernel, analysis, max prefix)
    costs: dict = {}  # id(kernel) -> _cost(kernel)

    def cost(k: Kernel) -> int:
        if id(k) not in costs:
            costs[id(k)] = max(1, _cost(k))
        return costs[id(k)]

    def worth(sub: list) -> int:
        """The prefix `sub` can share, if grouping it pays (else 0)."""
        p = _group_prefix(sub, part) if len(sub) > 1 else 0
        if not p:
            return 0
        inner = [math.prod(k.domain[p:]) for k, _, _ in sub]
        vector = sum(n * cost(k) for n, (k, _, _) in zip(inner, sub, strict=True) if n >= SCALAR_INNER)
        scalar = sum(n * cost(k) for n, (k, _, _) in zip(inner, sub, strict=True) if n < SCALAR_INNER)
        return p if max(inner) >= GROUP_MIN_INNER and scalar * SCALAR_SHARE <= vector else 0

    def emit(sub: list):
        """The longest worthwhile groups of `sub`, from the left; the rest standalone."""
        i = 0
        while i < len(sub):
            for j in range(len(sub), i + 1, -1):
                p = worth(sub[i:j])
                if p:
                    members = [k for k, _, _ in sub[i:j]]
                    outputs = [v for k in members for v in k.outputs]
                    reads = []
                    for k in members:
                        reads += [v for v in k.reads if v not in outputs and v not in reads]
                    out.append(Kernel("group", members[-1].root, outputs,
                                      [e for k in members for e in k.fused], reads, members, p))
                    i = j
                    break
            else:
                out.append(sub[i][0])
                i += 1

    def flush():
        emit(run)
        run.clear()

    for k in part.kernels:
        an = analyse(k, part) if k.kind in ("map", "reduce") else None
        mp = _max_prefix(k, an) if an is not None else 0
        if not mp:
            flush()
            out.append(k)
            continue
        if 0 < len(run) < GROUP_MAX_RUN and _group_prefix(run + [(k, an, mp)], part):
            run.append((k, an, mp))
            continue
        flush()
        run.append((k, an, mp))
    flush()
    part.kernels[:] = out
