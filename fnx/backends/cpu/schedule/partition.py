"""Group a Program's equations into kernels, and decide which values live in memory.

Kinds of kernel:
- "map": one loop nest over a result's shape. Elementwise ops, views (broadcast, transpose,
  slice, rev, squeeze/expand_dims, reshape), iota, gather and dynamic_slice feeding the result
  are evaluated in registers inside the loop, never stored.
- "reduce": one loop nest over a reduction's operand; the elementwise work feeding the
  reduction is evaluated inside it, as for "map".
- "opaque": one equation with an emitter of its own (dot_general, sort, scatter, ...), reading
  its operands from memory.
Two later passes rework that list (`schedule.schedule` runs them, from `fusion`):
`fuse_epilogues` folds a dot_general's elementwise consumer into it (an "epilogue" run by the
GEMM), and `group_kernels` turns runs of map/reduce kernels sharing outer loops into "group"
kernels (row-wise softmax/logsumexp read each row once).

A value is *materialised* (gets a buffer) when it is a program input, constant or output, the
result of a reduce/opaque kernel, or an output of a map kernel. Other values are recomputed
wherever they are used. The rule that decides it, visiting equations from last to first:
an elementwise result joins the kernel of its consumers when they are all in one kernel.
Otherwise it is stored: as an extra output of the first of those kernels to run, when that
kernel loops over the value's shape (multi-output fusion: e.g. softmax's exp is stored from
inside the sum that reads it), else as the output of a map kernel of its own. Views and iota
are cheap and join every kernel that uses them. Values that would be recomputed many times
(the operand of an expanding broadcast) or that are read at data-dependent places (gather's
operand) are materialised. A reshape whose operand is materialised shares that buffer.

Kernels are bounded, so that compile time stays linear in the program. A kernel fuses at most
FUSION_LIMIT computing equations (views and iota are free): a value that would join a full
kernel gets a map kernel of its own, which the full one loads. Unrolled loops make chains of
thousands of elementwise ops, and LLVM's optimiser takes time quadratic in the length of one
loop body (4,800 fused ops: 19 s, against 1.4 s cut every 256); the cost is one store and load
per FUSION_LIMIT ops (FNX_CPU_FUSION_LIMIT overrides it, for measurements). Likewise a value
its kernel would evaluate at more than SPREAD_LIMIT places per iteration gets a kernel of its
own: views read values at shifted indices, so a chain of stencil steps (`a = a[1:] + a[:-1]`)
would compute its early values at ever more places (100 steps: 15 s of compiling). The count
is an upper bound: the sum of the counts of the value's users.
"""
from __future__ import annotations

import math
import os
from collections import defaultdict
from dataclasses import dataclass, field

from fnx_ir import PRIMITIVES, Equation, Literal, Program, Var

VIEWS = frozenset({"broadcast_in_dim", "transpose", "squeeze", "expand_dims", "rev", "slice",
                   "reshape"})
RESHAPES = frozenset({"reshape", "squeeze", "expand_dims"})
LOOKUPS = frozenset({"gather", "dynamic_slice"})  # fusible; operand 0 read at computed places
FUSION_LIMIT = int(os.environ.get("FNX_CPU_FUSION_LIMIT", "256"))
SPREAD_LIMIT = 16
REDUCTIONS = frozenset({"reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_and",
                        "reduce_or"})


def kind_of(eq: Equation) -> str:
    """"elementwise" (incl. views, iota, lookups), "reduce" or "opaque"."""
    p = eq.primitive
    if PRIMITIVES[p].family == "elementwise" or p in VIEWS or p in LOOKUPS or p == "iota":
        return "elementwise"
    return "reduce" if p in REDUCTIONS else "opaque"


def _duplicable(eq: Equation) -> bool:
    """Cheap enough to recompute in every kernel that uses it."""
    return eq.primitive in VIEWS or eq.primitive == "iota"


def unit_reshape(in_shape, out_shape) -> bool:
    """True when a reshape only inserts or removes size-1 dims (its index map is then simple)."""
    return [d for d in in_shape if d != 1] == [d for d in out_shape if d != 1]


@dataclass
class Kernel:
    kind: str  # "map" | "reduce" | "opaque" | "group"
    root: Equation  # the map kernel's result producer, the reduction, or the opaque equation
    outputs: list  # the materialised vars it writes: the root's, then any stored fused values
    fused: list = field(default_factory=list)  # equations evaluated inside it, in program order
    reads: list = field(default_factory=list)  # the materialised vars it reads (alias-resolved)
    # A "group" (see fusion.group_kernels) runs map/reduce `members` in one loop nest over the
    # first `prefix` dims of their domains; its root is the last member's.
    members: list = field(default_factory=list)
    prefix: int = 0
    # A dot_general's elementwise consumer, run by the GEMM on each finished part of the product
    # (see fusion.fuse_epilogues); its outputs are this kernel's.
    epilogue: "Kernel | None" = None

    @property
    def domain(self) -> tuple:
        """The shape a map/reduce kernel loops over (a group: its shared outer loops)."""
        if self.kind == "group":
            return self.members[0].domain[:self.prefix]
        return (self.root.inputs[0] if self.kind == "reduce" else self.root.outputs[0]).type.shape

    def __repr__(self) -> str:
        if self.kind == "group":
            return f"Kernel(group over {self.domain}: {self.members})"
        if self.epilogue is not None:
            return f"Kernel({self.kind}, {self.root.primitive} + epilogue {self.epilogue})"
        return f"Kernel({self.kind}, {self.root.primitive}, {len(self.fused)} eqs)"


@dataclass
class Partition:
    kernels: list  # in execution order
    materialised: set  # vars that live in a buffer
    alias: dict  # var -> var whose buffer it shares (reshapes of materialised values)
    producer: dict  # var -> Equation

    def base(self, v: Var) -> Var:
        while v in self.alias:
            v = self.alias[v]
        return v


def partition(program: Program) -> Partition:
    eqs = program.equations
    producer = {v: e for e in eqs for v in e.outputs}
    users = defaultdict(list)
    for e in eqs:
        for x in e.inputs:
            if isinstance(x, Var):
                users[x].append(e)
    out_vars = {v for v in program.outputs if isinstance(v, Var)}
    forced = set(out_vars)  # vars that must be materialised
    loaded = set()  # ... and that a fused consumer reads from memory (so no kernel computing it may)
    groups: dict[Equation, frozenset] = {}  # equation -> ids of the kernels evaluating it
    kernels: list[Kernel] = []
    alias: dict[Var, Var] = {}

    order = {id(e): i for i, e in enumerate(eqs)}

    size: list[int] = []  # per kernel: the computing equations it fuses so far
    spread: dict = {}  # fused equation -> at most how many places its kernel evaluates it at

    def new_kernel(kind: str, e: Equation, outputs) -> frozenset:
        kernels.append(Kernel(kind, e, list(outputs)))
        size.append(1)
        return frozenset([len(kernels) - 1])

    def host(need: frozenset, v: Var):
        """The kernel that can store `v` while computing: the first user, if it loops over v's shape."""
        first = min(need, key=lambda g: order[id(kernels[g].root)]) if need else None
        if first is None or v in loaded or kernels[first].kind == "opaque":
            return None
        return first if kernels[first].domain == v.type.shape else None

    for e in reversed(eqs):
        kind = kind_of(e)
        need = frozenset().union(*(groups[u] for v in e.outputs for u in users[v] if u in groups))
        if not need and not any(v in forced for v in e.outputs):
            continue  # dead
        if kind != "elementwise":
            groups[e] = new_kernel(kind, e, e.outputs)
            _force_operands(e, kind, forced, loaded, producer)
            continue
        (v,) = e.outputs
        free = _duplicable(e)
        places = sum(spread.get(u, 1) for u in {id(u): u for u in users[v]}.values() if u in groups)
        full = not free and len(need) == 1 and (size[next(iter(need))] >= FUSION_LIMIT
                                                 or places > SPREAD_LIMIT)
        if v in forced or full or (len(need) > 1 and not free):
            x = e.inputs[0] if e.inputs else None
            if e.primitive in RESHAPES and v not in out_vars and isinstance(x, Var):
                alias[v] = x
                groups[e] = frozenset()
                forced.add(x)
                loaded.add(x)  # whoever reads v reads x's buffer
                continue
            g = None if full else host(need, v)
            if g is None:
                groups[e] = new_kernel("map", e, [v])
            else:
                kernels[g].outputs.append(v)
                groups[e] = frozenset([g])
                size[g] += 1
        else:
            groups[e] = need
            spread[e] = places
            for g in need if not free else ():
                size[g] += 1
        _force_operands(e, kind, forced, loaded, producer)

    materialised = set(program.inputs) | {v for v, _ in program.constants} | set(alias)
    for k in kernels:
        materialised.update(k.outputs)
    ids = sorted(range(len(kernels)), key=lambda i: order[id(kernels[i].root)])
    renumber = {old: new for new, old in enumerate(ids)}
    kernels = [kernels[i] for i in ids]
    for e, gs in groups.items():
        for g in gs:
            kernels[renumber[g]].fused.append(e)
    part = Partition(kernels, materialised, alias, producer)
    for k in kernels:
        k.fused.sort(key=lambda e: order[id(e)])
        k.reads = _reads(k, part)
    return part


def _force_operands(e: Equation, kind: str, forced: set, loaded: set, producer: dict) -> None:
    """Mark the operands `e` must read from memory."""
    ins = [x for x in e.inputs if isinstance(x, Var)]
    if kind == "opaque":
        forced.update(ins)
    elif (e.primitive in LOOKUPS and isinstance(e.inputs[0], Var)) or (
            e.primitive == "reshape" and ins
            and not unit_reshape(ins[0].type.shape, e.params["new_sizes"])):
        forced.add(e.inputs[0])
        loaded.add(e.inputs[0])
    elif e.primitive == "broadcast_in_dim" and ins and ins[0].type.size < math.prod(e.params["shape"]):
        # Compute an expanded value once, not once per copy: look through views to the computation.
        x = ins[0]
        while x in producer and producer[x].primitive in VIEWS \
                and isinstance(producer[x].inputs[0], Var):
            x = producer[x].inputs[0]
        p = producer.get(x)
        if p is not None and not _duplicable(p) and kind_of(p) == "elementwise" and x.type.shape:
            forced.add(x)


def _reads(k: Kernel, part: Partition) -> list:
    """The materialised vars kernel `k` loads, found by walking back through fused values
    (a kernel computes its own outputs, it never loads them)."""
    seen, reads = set(), []
    stack = list(k.root.inputs)
    for v in k.outputs[len(k.root.outputs):]:
        stack.extend(part.producer[v].inputs)
    while stack:
        x = stack.pop()
        if isinstance(x, Literal) or x in seen:
            continue
        seen.add(x)
        if x in part.materialised and x not in k.outputs:
            b = part.base(x)
            if b not in reads:
                reads.append(b)
        else:
            stack.extend(part.producer[x].inputs)
    return reads
