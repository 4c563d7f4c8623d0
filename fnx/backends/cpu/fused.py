"""Emit "map" and "reduce" kernels: one loop nest, every fused value computed in registers.

Values are evaluated at symbolic affine indices (`Ix`): views only rewrite indices, so a
transpose or broadcast costs nothing but a different load address. Each kernel is walked twice
with the same code: once symbolically to learn every address pattern it uses, which decides
which loop dims can be merged into one (contiguous) loop, then once to emit LLVM IR.

Loop groups (`group_kernels`, "group" kernels): consecutive map/reduce kernels whose domains
start with the same dims run block by block of those outer dims, every member on a block before
the next block (a block touches ~32 KB, so what one member reads or writes is in L1 for the
next). Each member is a function of its own called per block, so its loops keep the registers
they would have standalone; the values are computed exactly as by the separate kernels (same
operations, same order), so results are bit-identical. Row-wise logsumexp on (4096, 1024)
float32: its three passes become one pass over memory, ~1.8 -> ~1.5 ms here. (Software
prefetch of the next block, per row or per block, was measured slower.)

GEMM epilogues (`emit_epilogue`): a map kernel over a matrix run on a block of rows x columns,
called by the GEMM as each block of the product is final (see kernels.fuse_epilogues).

FNX_CPU_NOGROUP=1 turns loop groups off (for A/B measurements and tests).
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir

from fnx_ir import DType, Literal, Var, int64

from . import irutil as u
from . import scalar
from .partition import VIEWS, Kernel, Partition, unit_reshape


class Ix:
    """`const + Σ coeff·loop_index[dim] + Σ coeff·runtime_value`, over the kernel's domain dims."""

    __slots__ = ("const", "terms", "dyn")

    def __init__(self, const: int = 0, terms: tuple = (), dyn: tuple = ()):
        self.const, self.terms, self.dyn = const, terms, dyn

    @staticmethod
    def dim(d: int) -> "Ix":
        return Ix(0, ((d, 1),))

    def __add__(self, other) -> "Ix":
        if isinstance(other, int):
            return Ix(self.const + other, self.terms, self.dyn)
        terms = dict(self.terms)
        for d, c in other.terms:
            terms[d] = terms.get(d, 0) + c
        return Ix(self.const + other.const, tuple(sorted((d, c) for d, c in terms.items() if c)),
                  self.dyn + other.dyn)

    def __mul__(self, k: int) -> "Ix":
        return Ix(self.const * k, tuple((d, c * k) for d, c in self.terms if c * k),
                  tuple((v, c * k) for v, c in self.dyn if c * k))

    def key(self):
        return (self.const, self.terms, tuple((id(v), c) for v, c in self.dyn))

    def coeff(self, d: int) -> int:
        for dd, c in self.terms:
            if dd == d:
                return c
        return 0


def strides(shape) -> list[int]:
    out, acc = [], 1
    for s in reversed(shape):
        out.append(acc)
        acc *= s
    return out[::-1]


def linear(ix, shape) -> Ix:
    """The row-major offset of index `ix` in an array of `shape`."""
    off = Ix()
    for i, s in zip(ix, strides(shape)):
        off = off + i * s
    return off


def identity_index(shape) -> tuple:
    """The loop index over `shape` (size-1 dims are not looped over: their index is 0)."""
    return tuple(Ix.dim(d) if n != 1 else Ix() for d, n in enumerate(shape))


# ------------------------------------------------------------------ views on indices

def _view_index(eq, ix: tuple) -> tuple:
    """The operand index that view `eq`'s result at `ix` reads."""
    p, x = eq.primitive, eq.inputs[0]
    if p == "broadcast_in_dim":
        return tuple(ix[d] if x.type.shape[i] != 1 else Ix()
                     for i, d in enumerate(eq.params["broadcast_dimensions"]))
    if p == "transpose":
        out = [None] * len(ix)
        for i, perm in enumerate(eq.params["permutation"]):
            out[perm] = ix[i]
        return tuple(out)
    if p == "squeeze":
        dims = eq.params["dimensions"]
        rest = iter(ix)
        return tuple(Ix() if i in dims else next(rest) for i in range(x.type.ndim))
    if p == "expand_dims":
        dims = eq.params["dimensions"]
        return tuple(i for d, i in enumerate(ix) if d not in dims)
    if p == "rev":
        dims = eq.params["dimensions"]
        return tuple(i * -1 + (x.type.shape[d] - 1) if d in dims else i for d, i in enumerate(ix))
    if p == "slice":
        return tuple(i * st + lo for i, lo, st in
                     zip(ix, eq.params["start_indices"], eq.params["strides"]))
    if p == "reshape":  # of a computed value: the partitioner only lets size-1 dims move
        assert unit_reshape(x.type.shape, eq.outputs[0].type.shape)
        real = iter([i for i, n in zip(ix, eq.outputs[0].type.shape) if n != 1])
        return tuple(Ix() if n == 1 else next(real) for n in x.type.shape)
    raise AssertionError(p)


# ------------------------------------------------------------------ the walk

_UNKNOWN = object()


class _Walk:
    """Evaluates fused values at symbolic indices; `ops` says what a value is.

    A kernel's own outputs are computed, never loaded: it is still writing them.
    """

    def __init__(self, part: Partition, ops, kernel: Kernel):
        self.part, self.ops, self.memo = part, ops, {}
        self.own = set(kernel.outputs)

    def in_memory(self, x) -> bool:
        return x in self.part.materialised and x not in self.own

    def value(self, x, ix: tuple):
        """`x` at index `ix`. Evaluated with an explicit stack of `_compute` generators, in the
        order a recursive walk would (so the same code is emitted): a chain of thousands of fused
        operations must not recurse once per operation."""
        key, result = self._lookup(x, ix)
        if result is not _UNKNOWN:
            return result
        stack = [(key, self._compute(self.part.producer[x], ix))]
        result = None
        while stack:
            key, gen = stack[-1]
            try:
                x, ix = gen.send(result)  # the operand `gen` needs next
            except StopIteration as done:
                stack.pop()
                result = self.memo[key] = done.value
                continue
            key, result = self._lookup(x, ix)
            if result is _UNKNOWN:
                stack.append((key, self._compute(self.part.producer[x], ix)))
                result = None
        return result

    def _lookup(self, x, ix: tuple):
        """(memo key, value) of `x` at `ix`; the value is _UNKNOWN unless it needs no walk (a
        literal, a load, or computed before)."""
        if isinstance(x, Literal):
            return None, self.ops.literal(x)
        key = (x, tuple(i.key() for i in ix))
        if key not in self.memo and self.in_memory(x):
            self.memo[key] = self.ops.load(x, linear(ix, x.type.shape))
        return key, self.memo.get(key, _UNKNOWN)

    def _compute(self, eq, ix: tuple):
        """A generator: yields each operand it needs as `(var, index)`, is sent its value, and
        returns the value of `eq`'s result at `ix`."""
        p, ins = eq.primitive, eq.inputs
        if p == "iota":
            return self.ops.iota(ix[eq.params["dimension"]], eq.params["dtype"])
        if p == "reshape" and self.in_memory(ins[0]):
            # A materialised operand is contiguous: the reshape is the same offsets.
            return self.ops.load(ins[0], linear(ix, eq.outputs[0].type.shape))
        if p in VIEWS:
            return (yield ins[0], _view_index(eq, ix))
        if p == "gather":
            return (yield from self._gather(eq, ix))
        if p == "dynamic_slice":
            x, starts = ins[0], ins[1:]
            base = []
            for d, s in enumerate(starts):
                hi = x.type.shape[d] - eq.params["slice_sizes"][d]
                base.append(ix[d] + self.ops.clamped((yield s, ()), s.type.dtype, hi))
            return (yield x, tuple(base))
        args = []
        for a in ins:
            args.append((yield a, ix if a.type.shape else ()))
        return self.ops.elementwise(eq, args)

    def _gather(self, eq, ix: tuple):
        x, indices = eq.inputs[0], eq.inputs[1:]
        axes = eq.params["axes"]
        nb = indices[0].type.ndim
        batch, rest = ix[:nb], iter(ix[nb:])
        at = {}
        for a, idx in zip(axes, indices):
            at[a] = self.ops.clamped((yield idx, batch), idx.type.dtype, x.type.shape[a] - 1)
        return (yield x, tuple(at[d] if d in at else next(rest) for d in range(x.type.ndim)))


class _Analysis:
    """The symbolic pass: records every index the kernel turns into an address or a value."""

    def __init__(self):
        self.used: list[Ix] = []

    def literal(self, x):
        return None

    def load(self, var, offset: Ix):
        self.used.append(offset)

    def iota(self, i: Ix, dtype):
        self.used.append(i)

    def clamped(self, value, dtype, hi) -> Ix:
        return Ix(0, (), ((object(), 1),))

    def store(self, var, value, offset: Ix) -> None:
        self.used.append(offset)

    def elementwise(self, eq, args):
        return None


def merge_dims(domain, used: list[Ix], prefix: int = 0) -> list[list[int]]:
    """Group the domain's looped dims (size > 1) into runs that one flat loop can cover.

    Dims d, d+1 merge when every index used reads them as one row-major dim:
    coeff(d) == coeff(d+1) * size(d+1). The first `prefix` dims are looped over outside the
    kernel (a loop group's shared loops): each is a group of its own.
    """
    groups: list[list[int]] = [[d] for d in range(prefix) if domain[d] != 1]
    dims = [d for d, n in enumerate(domain) if n != 1 and d >= prefix]
    start = len(groups)
    for d in dims:
        if len(groups) > start and all(i.coeff(groups[-1][-1]) == i.coeff(d) * domain[d] for i in used):
            groups[-1].append(d)
        else:
            groups.append([d])
    return groups


class _Emit:
    """The LLVM pass: values are IR values; loop index `g` covers the dims of group `g`."""

    def __init__(self, b: ir.IRBuilder, ptrs: dict, groups: list[list[int]], part: Partition):
        self.b, self.ptrs, self.part, self.groups = b, ptrs, part, groups
        self.loop_of = {g[-1]: k for k, g in enumerate(groups)}  # a group's last dim names it
        self.merged = {d for g in groups for d in g[:-1]}
        self.loop_vars: list = [None] * len(groups)

    def index(self, i: Ix):
        b = self.b
        acc = u.i64(i.const)
        for d, c in i.terms:
            if d in self.merged:
                continue  # folded into the group's last dim (merge_dims checked the strides)
            acc = u.add_i64(b, acc, u.mul_i64(b, self.loop_vars[self.loop_of[d]], u.i64(c)))
        for v, c in i.dyn:
            acc = u.add_i64(b, acc, u.mul_i64(b, v, u.i64(c)))
        return acc

    def literal(self, x: Literal):
        return u.const(x.type.dtype, x.value)

    def load(self, var: Var, offset: Ix):
        return u.load(self.b, self.ptrs[self.part.base(var)], self.index(offset), var.type.dtype)

    def store(self, var: Var, value, offset: Ix) -> None:
        u.store(self.b, value, self.ptrs[var], self.index(offset), var.type.dtype)

    def iota(self, i: Ix, dtype: DType):
        return scalar.convert(self.b, self.index(i), int64, dtype)

    def clamped(self, value, dtype: DType, hi: int) -> Ix:
        v = u.clamp_i64(self.b, u.to_i64(self.b, value, dtype), 0, hi)
        return Ix(0, (), ((v, 1),))

    def elementwise(self, eq, args):
        in_dtype = eq.inputs[-1].type.dtype if eq.inputs else None
        return scalar.emit(self.b, eq.primitive, eq.params, args, in_dtype, eq.outputs[0].type.dtype)


# ------------------------------------------------------------------ loop nests

TILE = 64  # measured on AVX-512: 3-6x faster than 16 or 32 for power-of-two strides


def _loops(em: _Emit, groups, domain, body, depth: int = 0):
    """Emit nested loops over `groups` (outer first) and call `body()` innermost."""
    if depth == len(groups):
        body()
        return
    with u.loop(em.b, math.prod(domain[d] for d in groups[depth])) as i:
        em.loop_vars[depth] = i
        _loops(em, groups, domain, body, depth + 1)


def _tiled_loops(em: _Emit, groups, domain, body) -> None:
    """`_loops`, with the two innermost loops walked in TILE x TILE blocks: when a load strides
    along the innermost loop (a transpose), each block reuses the cache lines it touches."""
    b = em.b
    sizes = [math.prod(domain[d] for d in g) for g in groups[-2:]]

    def tiles(depth):
        if depth == 2:
            inner(0)
            return
        with u.loop(b, -(-sizes[depth] // TILE)) as t:
            starts[depth] = u.mul_i64(b, t, u.i64(TILE))
            tiles(depth + 1)

    def inner(depth):
        if depth == 2:
            body()
            return
        end = u.add_i64(b, starts[depth], u.i64(TILE))
        end = b.select(b.icmp_signed("<", end, u.i64(sizes[depth])), end, u.i64(sizes[depth]))
        with u.loop(b, end, start=starts[depth]) as i:
            em.loop_vars[len(groups) - 2 + depth] = i
            inner(depth + 1)

    starts = [None, None]
    _loops(em, groups[:-2], domain, lambda: tiles(0))


def _strided_inner(used: list[Ix], groups) -> bool:
    """Does some index move by more than one element per step of the innermost loop?"""
    return len(groups) >= 2 and any(abs(i.coeff(groups[-1][-1])) > 1 for i in used)


def _store_outputs(walk: _Walk, outputs, ix) -> None:
    for v in outputs:
        walk.ops.store(v, walk.value(v, ix), linear(ix, v.type.shape))


def _outer(em: _Emit, outer) -> int:
    """Give the prefix groups the loop indices of the enclosing group loops; the depth after them."""
    looped = [i for i in outer or () if i is not None]
    em.loop_vars[:len(looped)] = looped
    return len(looped)


def emit_map(b: ir.IRBuilder, k: Kernel, part: Partition, ptrs: dict, outer=None) -> None:
    """`outer`: inside a loop group, one index per prefix dim (None for size-1 dims)."""
    domain = k.domain
    if math.prod(domain) == 0:
        return
    ix = identity_index(domain)

    def body(ops):
        _store_outputs(_Walk(part, ops, k), k.outputs, ix)
    an = _Analysis()
    body(an)
    em = _Emit(b, ptrs, merge_dims(domain, an.used, len(outer or ())), part)
    depth = _outer(em, outer)
    if outer is None and _strided_inner(an.used, em.groups):
        _tiled_loops(em, em.groups, domain, lambda: body(em))
    else:
        _loops(em, em.groups, domain, lambda: body(em), depth)


# ------------------------------------------------------------------ reductions

REDUCE_OPS = {"reduce_sum": "add", "reduce_prod": "mul", "reduce_max": "max",
              "reduce_min": "min", "reduce_and": "and", "reduce_or": "or"}


def reduce_identity(op: str, dtype: DType):
    """The value of an empty reduction (docs/semantics.md)."""
    if op in ("add", "or"):
        return 0
    if op in ("mul", "and"):
        return 1
    if dtype.is_float:
        return -math.inf if op == "max" else math.inf
    if dtype.is_bool:
        return op == "min"
    info = np.iinfo(dtype.np)
    return info.min if op == "max" else info.max


def _start(op: str, dtype: DType):
    """Where a non-empty accumulation starts: -0.0 + x == x for every float x, including -0.0."""
    return -0.0 if op == "add" and dtype.is_float else reduce_identity(op, dtype)


def combine(b: ir.IRBuilder, op: str, acc, x, dtype: DType):
    """One accumulation step. Float sums/products may be reassociated so that they vectorise;
    max/min use LLVM's NaN-propagating maximum/minimum, which vectorise as reductions too."""
    if op in ("add", "mul"):
        if dtype.is_float:
            return getattr(b, "f" + op)(acc, x, flags=("reassoc",))
        return getattr(b, op)(acc, x)
    if op in ("and", "or") or dtype.is_bool:
        return b.or_(acc, x) if op in ("or", "max") else b.and_(acc, x)
    if dtype.is_float:
        name = "llvm.maximum" if op == "max" else "llvm.minimum"
    else:
        name = "llvm." + ("s" if dtype.kind == "i" else "u") + op
    return b.call(u.intrinsic(b.module, name, acc.type, [acc.type] * 2, [acc.type]), [acc, x])


def fill(b: ir.IRBuilder, ptr, n: int, dtype: DType, value, start=0) -> None:
    """Elements [start, start + n) of `ptr` (start: an int or an i64 value)."""
    end = n if isinstance(start, int) else u.add_i64(b, start, u.i64(n))
    with u.loop(b, end, start=start) as i:
        u.store(b, u.const(dtype, value), ptr, i, dtype)


SUM_BLOCK = 4096  # float sums longer than this add up blocks: see blocked_sum (1024 was slower)


def blocked_sum(b: ir.IRBuilder, run, n: int, dtype: DType):
    """A float sum of n > SUM_BLOCK terms as accurate as numpy's pairwise summation, at the speed
    of the plain vectorised loop: `run(start, end)` sums blocks of SUM_BLOCK terms (vectorised
    into some 64 partial sums of ~64 terms each), and the block sums are added in float64 with
    Neumaier's compensation (a few scalar operations per block, not reassociated). The partial
    sums stay small, so each block is accurate, and the blocks' errors do not accumulate.
    A single running sum (the vectorised loop alone) lost ~sqrt(n/64) roundings: 2e-5
    relative for the sum of 10^7 float32 squares."""
    hi, lo = u.slot(b, u.F64, ir.Constant(u.F64, -0.0)), u.slot(b, u.F64, ir.Constant(u.F64, 0.0))
    fabs = u.intrinsic(b.module, "llvm.fabs", u.F64, [u.F64], [u.F64])

    def add(part):
        s = part if part.type == u.F64 else b.fpext(part, u.F64)
        h, c = b.load(hi, typ=u.F64), b.load(lo, typ=u.F64)
        t = b.fadd(h, s)
        big = b.fcmp_ordered(">=", b.call(fabs, [h]), b.call(fabs, [s]))
        err = b.select(big, b.fadd(b.fsub(h, t), s), b.fadd(b.fsub(s, t), h))
        b.store(t, hi)
        b.store(b.fadd(c, err), lo)

    with u.loop(b, n // SUM_BLOCK) as blk:
        start = u.mul_i64(b, blk, u.i64(SUM_BLOCK))
        add(run(start, u.add_i64(b, start, u.i64(SUM_BLOCK))))
    if n % SUM_BLOCK:
        add(run(n - n % SUM_BLOCK, n))
    h, c = b.load(hi, typ=u.F64), b.load(lo, typ=u.F64)
    # the compensation only where it is a finite correction: it keeps -0.0, inf and NaN sums
    fix = b.and_(b.fcmp_ordered("<", b.call(fabs, [h]), ir.Constant(u.F64, math.inf)),
                 b.fcmp_ordered("!=", c, ir.Constant(u.F64, 0.0)))
    total = b.select(fix, b.fadd(h, c), h)
    reg = u.reg_type(dtype)
    return total if reg == u.F64 else b.fptrunc(total, reg)


def emit_reduce(b: ir.IRBuilder, k: Kernel, part: Partition, ptrs: dict, outer=None) -> None:
    eq = k.root
    (x,), (out,) = eq.inputs, eq.outputs
    op, dtype, axes = REDUCE_OPS[eq.primitive], out.type.dtype, eq.params["axes"]
    domain = x.type.shape
    optr = ptrs[out]
    if math.prod(out.type.shape) == 0:
        return
    if math.prod(domain) == 0:  # every output element is an empty reduction
        fill(b, optr, out.type.size, dtype, reduce_identity(op, dtype))
        return
    ix = identity_index(domain)
    kept = [d for d in range(len(domain)) if d not in axes]
    store_at = linear([ix[d] for d in kept], out.type.shape)

    def operand(ops):
        """The reduction's operand at the loop index; also stores the kernel's other outputs."""
        walk = _Walk(part, ops, k)
        _store_outputs(walk, k.outputs[1:], ix)
        return walk.value(x, ix)

    an = _Analysis()
    operand(an)
    prefix = len(outer or ())
    groups = merge_dims(domain, an.used + [store_at], prefix)
    em = _Emit(b, ptrs, groups, part)
    depth = _outer(em, outer)
    reduced = [bool(set(g) & set(axes)) for g in groups]
    # Innermost reduced dims accumulate in a register; any other reduced dim accumulates into
    # the output in memory (initialised first), which keeps the innermost loop contiguous.
    inner = bool(reduced) and reduced[-1]
    in_memory = sum(reduced) > inner
    if in_memory:
        # (in a loop group: the part of the output this iteration of the prefix loops owns)
        slab = math.prod(out.type.shape[prefix:])
        first = linear([ix[d] for d in range(prefix)] + [Ix()] * (out.type.ndim - prefix),
                       out.type.shape)
        fill(b, optr, slab, dtype, _start(op, dtype), em.index(first) if prefix else 0)

    def accumulate_into_memory(v):
        at = em.index(store_at)
        old = u.load(b, optr, at, dtype) if in_memory else u.const(dtype, _start(op, dtype))
        u.store(b, combine(b, op, old, v, dtype), optr, at, dtype)

    if not inner:
        _loops(em, groups, domain, lambda: accumulate_into_memory(operand(em)), depth)
        return

    n = math.prod(domain[d] for d in groups[-1])

    def run(start, end):
        """The operand over inner indices [start, end), combined in a register (vectorised)."""
        acc = u.slot(b, u.reg_type(dtype), u.const(dtype, _start(op, dtype)))
        with u.loop(b, end, start=start) as i:
            em.loop_vars[-1] = i
            old = b.load(acc, typ=u.reg_type(dtype))
            b.store(combine(b, op, old, operand(em), dtype), acc)
        return b.load(acc, typ=u.reg_type(dtype))

    def outer_body():
        if op == "add" and dtype.is_float and n > SUM_BLOCK:
            total = blocked_sum(b, run, n, dtype)
        else:
            total = run(0, n)
        if in_memory:
            accumulate_into_memory(total)
        else:
            u.store(b, total, optr, em.index(store_at), dtype)
    _loops(em, groups[:-1], domain, outer_body, depth)


# ------------------------------------------------------------------ loop groups

GROUP_MIN_INNER = 64  # a group needs a member doing this much work per index of its outer loops
SCALAR_INNER = 16  # members with less work than this per outer index lose their vectorisation...
SCALAR_SHARE = 16  # ... so their (scalar) work must stay below 1/16 of the vector members'
# Runs of candidate members are cut at this length: choosing groups within a run tries its
# sub-runs (cubic in its length), and an unrolled loop can make runs of thousands of kernels.
GROUP_MAX_RUN = 16


class _Loads(_Analysis):
    """The symbolic pass, also recording which buffer each load reads."""

    def __init__(self):
        super().__init__()
        self.loads: list = []

    def load(self, var, offset: Ix):
        super().load(var, offset)
        self.loads.append((var, offset))


def _analyse(k: Kernel, part: Partition) -> _Loads:
    an = _Loads()
    ix = identity_index(k.domain)
    walk = _Walk(part, an, k)
    if k.kind == "map":
        _store_outputs(walk, k.outputs, ix)
    else:
        _store_outputs(walk, k.outputs[1:], ix)
        walk.value(k.root.inputs[0], ix)
    return an


def _max_prefix(k: Kernel, an: _Loads) -> int:
    """How many leading domain dims `k` can leave to a group's outer loops."""
    if k.kind not in ("map", "reduce") or math.prod(k.domain) == 0:
        return 0
    if k.kind == "reduce":
        return min(k.root.params["axes"], default=len(k.domain))
    # a map whose loads stride along its inner loop is walked in tiles, which needs all its dims
    return 0 if _strided_inner(an.used, merge_dims(k.domain, an.used)) else len(k.domain)


def _cost(k: Kernel) -> int:
    """Rough work per element: transcendentals dominate."""
    from . import mathlib
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
    if __import__("os").environ.get("FNX_CPU_NOGROUP"):
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
        vector = sum(n * cost(k) for n, (k, _, _) in zip(inner, sub) if n >= SCALAR_INNER)
        scalar = sum(n * cost(k) for n, (k, _, _) in zip(inner, sub) if n < SCALAR_INNER)
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
        an = _analyse(k, part) if k.kind in ("map", "reduce") else None
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


GROUP_BLOCK_BYTES = 32 << 10  # a block of outer indices touches about this much (L1-sized)


def _member_function(b: ir.IRBuilder, m: Kernel, part: Partition, ptrs: dict, pshape) -> ir.Function:
    """`void member(ptr buffers..., i64 lo, i64 hi)`: member `m` at flat outer indices [lo, hi).
    A function of its own, so that its loops get the registers to themselves."""
    names = list(ptrs)
    fn = ir.Function(b.module, ir.FunctionType(u.VOID, [u.PTR] * len(names) + [u.I64, u.I64]),
                     name=b.module.get_unique_name(f"{b.function.name}.{m.root.primitive}"))
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    fn.attributes.add("noinline")
    for a in fn.args[:len(names)]:
        a.add_attribute("noalias")
    mb = ir.IRBuilder(fn.append_basic_block("entry"))
    lo, hi = fn.args[len(names):]
    mptrs = dict(zip(names, fn.args))
    with u.loop(mb, hi, start=lo) as f:
        outer = []
        for d, (n, st) in enumerate(zip(pshape, strides(pshape))):
            if n == 1:
                outer.append(None)
                continue
            i = mb.udiv(f, u.i64(st)) if st != 1 else f
            outer.append(mb.urem(i, u.i64(n)) if d else i)
        (emit_map if m.kind == "map" else emit_reduce)(mb, m, part, mptrs, outer)
    mb.ret_void()
    return fn


def emit_group(b: ir.IRBuilder, k: Kernel, part: Partition, ptrs: dict) -> None:
    """Blocks of outer indices, each run through every member in turn (so what one member reads
    or writes is still in L1 for the next); each member is a function called once per block."""
    pshape = k.domain
    total = math.prod(pshape)
    row = sum(v.type.size * v.type.dtype.itemsize for v in ptrs) / total
    block = max(1, min(total, int(GROUP_BLOCK_BYTES // max(row, 1))))
    fns = [_member_function(b, m, part, ptrs, pshape) for m in k.members]
    args = [ptrs[v] for v in ptrs]
    with u.loop(b, -(-total // block)) as blk:
        lo = u.mul_i64(b, blk, u.i64(block))
        hi = u.add_i64(b, lo, u.i64(block))
        hi = b.select(b.icmp_signed("<", hi, u.i64(total)), hi, u.i64(total))
        for fn in fns:
            b.call(fn, args + [lo, hi])


# ------------------------------------------------------------------ GEMM epilogues

def emit_epilogue(module: ir.Module, k: Kernel, part: Partition, names: list, name: str,
                  width: int | None = None) -> ir.Function:
    """`void epi(ptr buffers[], i64 i0, i64 j0, i64 m, i64 n)`: map kernel `k` (over a matrix)
    on rows [i0, i0 + m) x columns [j0, j0 + n); buffers[i] is the buffer of `names[i]`.
    `width`: the usual n, for which a loop of known length is emitted (it vectorises fully)."""
    fn = ir.Function(module, ir.FunctionType(u.VOID, [u.PTR, u.I64, u.I64, u.I64, u.I64]), name=name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    ctx, i0, j0, m, n = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ptrs = {v: b.load(b.gep(ctx, [u.i64(i)], inbounds=True, source_etype=u.PTR), typ=u.PTR)
            for i, v in enumerate(names)}
    rows, cols = k.domain

    def block(count):
        with u.loop(b, u.add_i64(b, i0, m), start=i0) as i:
            with u.loop(b, u.add_i64(b, j0, count), start=j0) as j:
                emit_map(b, k, part, ptrs, [i if rows != 1 else None, j if cols != 1 else None])
    if width is not None and width < cols:
        with b.if_else(b.icmp_signed("==", n, u.i64(width))) as (usual, other):
            with usual:
                block(u.i64(width))
            with other:
                block(n)
    else:
        block(n)
    b.ret_void()
    return fn
