"""Buffer planning: every intermediate gets an offset in one arena, reused once its value is dead.

Program inputs, constants and outputs live in numpy arrays the runtime passes in; everything
else a kernel writes (and any scratch space a kernel asks for) is placed here, first fit, in
kernel order. A kernel's results are placed before its dead operands are released, so no
kernel ever writes over what it reads — except on purpose: dynamic_update_slice and scatter
update their operand in place when it is an intermediate they are the last to read.

Donation (`jit(donate_argnums=...)`): an output may be written into a donated input's buffer
when that cannot change what any kernel reads (see `donations`).
"""
from __future__ import annotations

from dataclasses import dataclass

from fnx_ir import PRIMITIVES, Program, Var

from .partition import LOOKUPS, VIEWS, Partition

ALIGN = 64  # a cache line, and the widest vector


def nbytes(v: Var) -> int:
    """The bytes of `v`'s buffer."""
    return v.type.size * v.type.dtype.itemsize


def _round(n: int) -> int:
    return max(-(-n // ALIGN) * ALIGN, ALIGN)


class _Arena:
    def __init__(self):
        self.free: list[tuple[int, int]] = []  # (offset, size), sorted, coalesced
        self.size = 0

    def alloc(self, n: int) -> int:
        n = _round(n)
        for i, (off, size) in enumerate(self.free):
            if size >= n:
                self.free[i:i + 1] = [(off + n, size - n)] if size > n else []
                return off
        off = self.size
        if self.free and self.free[-1][0] + self.free[-1][1] == off:
            off = self.free.pop()[0]  # grow the last free block instead of leaving a hole
        self.size = off + n
        return off

    def release(self, off: int, n: int) -> None:
        n = _round(n)
        self.free.append((off, n))
        self.free.sort()
        merged = []
        for o, s in self.free:
            if merged and merged[-1][0] + merged[-1][1] == o:
                merged[-1] = (merged[-1][0], merged[-1][1] + s)
            else:
                merged.append((o, s))
        self.free = merged


UPDATES_IN_PLACE = ("dynamic_update_slice", "scatter", "scatter_add", "scatter_mul",
                    "scatter_min", "scatter_max")


@dataclass
class Plan:
    arena_size: int
    offsets: dict  # var -> arena offset (intermediates only)
    scratch: dict  # kernel index -> arena offset of its scratch space
    in_place: dict  # kernel index -> (operand (base var), result): the result takes its buffer
    aliases: dict  # output index -> index of the donated input whose buffer it is written into


def plan(program: Program, part: Partition, scratch_bytes: list[int], donate=()) -> Plan:
    """`donate`: (output index, input index) pairs the caller would like to share a buffer."""
    external = set(program.inputs) | {v for v, _ in program.constants}
    external |= {v for v in program.outputs if isinstance(v, Var)}
    last_use: dict[Var, int] = {}
    for k, kern in enumerate(part.kernels):
        for v in kern.reads:
            last_use[v] = k
    arena, offsets, scratch, in_place = _Arena(), {}, {}, {}
    aliases = donations(program, part, donate, last_use, in_place)
    for k, kern in enumerate(part.kernels):
        temps = [v for v in kern.outputs if v not in external]
        donor = _donor(kern, part, k, last_use, offsets)
        if donor is not None and temps:
            in_place[k] = (donor, temps[0])
            offsets[temps[0]] = offsets[donor]
        for v in temps:
            if v not in offsets:
                offsets[v] = arena.alloc(nbytes(v))
        if scratch_bytes[k]:
            scratch[k] = arena.alloc(scratch_bytes[k])
            arena.release(scratch[k], scratch_bytes[k])
        dead = [v for v in kern.reads if last_use[v] == k and v in offsets and v is not donor]
        dead += [v for v in temps if v not in last_use]
        for v in dead:
            arena.release(offsets[v], nbytes(v))
    return Plan(arena.size, offsets, scratch, in_place, aliases)


def donations(program: Program, part: Partition, donate, last_use: dict, in_place: dict) -> dict:
    """The pairs of `donate` whose output can be written into the input's buffer.

    An output written after the kernels (a literal, an input, a repeated output: the entry's
    last stores) may take any donated input that is not itself an output. An output a kernel
    writes may take an input that no later kernel reads; if that kernel reads the input too, it
    must be a map kernel reading it only elementwise at the index it writes (each element is
    read before it is overwritten, and never again), or an update (scatter,
    dynamic_update_slice) of that input, done in place; the kernel then gets one pointer for
    both (`in_place`).
    """
    writer = {v: k for k, kern in enumerate(part.kernels) for v in kern.outputs}
    first = {}
    for j, v in enumerate(program.outputs):
        first.setdefault(v, j)
    out_vars = set(program.outputs)
    aliases = {}
    for j, i in donate:
        x, v = program.inputs[i], program.outputs[j]
        if v is x:
            aliases[j] = i  # returned as it is: the caller's array, no copy
            continue
        if x in out_vars:  # read by the entry's last stores
            continue
        k = writer.get(v) if first[v] == j else None
        if k is None:
            aliases[j] = i
            continue
        kern = part.kernels[k]
        if last_use.get(x, -1) > k or (x in kern.reads and not _reads_in_place(kern, x, v, part)):
            continue
        if x in kern.reads:
            if k in in_place:
                continue
            in_place[k] = (x, v)
        aliases[j] = i
    return aliases


def _reads_in_place(kern, x: Var, v: Var, part: Partition) -> bool:
    """Kernel `kern` may write `v` into `x`'s buffer while reading `x`."""
    if kern.kind == "opaque":
        root = kern.root
        return (root.primitive in UPDATES_IN_PLACE and root.outputs[0] is v
                and root.inputs[0] is x
                and all(part.base(y) is not x for y in root.inputs[1:] if isinstance(y, Var)))
    if kern.kind != "map":
        return False
    # Every value computed from x inside the loop must be computed at the index it is stored
    # at: only elementwise equations of x's shape between x and the stores (a view, even of
    # sin(x), reads x elsewhere).
    depends = {x}
    for e in kern.fused:  # in program order
        ins = [y for y in e.inputs if isinstance(y, Var)]
        if any(part.base(y) is x and y is not x for y in ins):
            return False  # a reshape of x: another index map
        if any(y in depends for y in ins):
            if (e.primitive in VIEWS or e.primitive in LOOKUPS
                    or PRIMITIVES[e.primitive].family != "elementwise"
                    or e.outputs[0].type.shape != x.type.shape):
                return False
            depends.update(e.outputs)
    return True


def _donor(kern, part: Partition, k: int, last_use: dict, offsets: dict):
    """The updated operand of an update kernel, if its buffer can become the result's."""
    if kern.kind != "opaque" or kern.root.primitive not in UPDATES_IN_PLACE:
        return None
    x = kern.root.inputs[0]
    if not isinstance(x, Var):
        return None
    x = part.base(x)
    others = [part.base(v) for v in kern.root.inputs[1:] if isinstance(v, Var)]
    if x in offsets and last_use[x] == k and x not in others:
        return x
    return None
