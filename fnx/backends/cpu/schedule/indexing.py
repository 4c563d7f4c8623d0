"""Index algebra for fused kernels, shared by the partitioner's fusion passes and the emitters.

Values are evaluated at symbolic affine indices (`Ix`): views only rewrite indices, so a
transpose or broadcast costs nothing but a different load address. A kernel is walked (`Walk`)
with the same code twice: once symbolically (`Analysis`, `analyse`) to learn every address
pattern it uses, which decides which loop dims merge into one contiguous loop (`merge_dims`) and
which kernels may share loops (`fusion`), then once by `emit.fused` to emit LLVM IR.
"""
from __future__ import annotations

from fnx_ir import Literal

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
    """Row-major strides of `shape`, in elements."""
    out, acc = [], 1
    for s in reversed(shape):
        out.append(acc)
        acc *= s
    return out[::-1]


def linear(ix, shape) -> Ix:
    """The row-major offset of index `ix` in an array of `shape`."""
    off = Ix()
    for i, s in zip(ix, strides(shape), strict=True):
        off = off + i * s
    return off


def identity_index(shape) -> tuple:
    """The loop index over `shape` (size-1 dims are not looped over: their index is 0)."""
    return tuple(Ix.dim(d) if n != 1 else Ix() for d, n in enumerate(shape))


# ------------------------------------------------------------------ views on indices

def view_index(eq, ix: tuple) -> tuple:
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
                     zip(ix, eq.params["start_indices"], eq.params["strides"], strict=True))
    if p == "reshape":  # of a computed value: the partitioner only lets size-1 dims move
        assert unit_reshape(x.type.shape, eq.outputs[0].type.shape)
        real = iter([i for i, n in zip(ix, eq.outputs[0].type.shape, strict=True) if n != 1])
        return tuple(Ix() if n == 1 else next(real) for n in x.type.shape)
    raise AssertionError(p)


# ------------------------------------------------------------------ the walk

_UNKNOWN = object()


class Walk:
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
            return (yield ins[0], view_index(eq, ix))
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
        for a, idx in zip(axes, indices, strict=True):
            at[a] = self.ops.clamped((yield idx, batch), idx.type.dtype, x.type.shape[a] - 1)
        return (yield x, tuple(at[d] if d in at else next(rest) for d in range(x.type.ndim)))


class Analysis:
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



def strided_inner(used: list[Ix], groups) -> bool:
    """Does some index move by more than one element per step of the innermost loop?"""
    return len(groups) >= 2 and any(abs(i.coeff(groups[-1][-1])) > 1 for i in used)


def store_outputs(walk: Walk, outputs, ix) -> None:
    """Evaluate each of `outputs` at index `ix` and store it there."""
    for v in outputs:
        walk.ops.store(v, walk.value(v, ix), linear(ix, v.type.shape))


class Loads(Analysis):
    """The symbolic pass, also recording which buffer each load reads."""

    def __init__(self):
        super().__init__()
        self.loads: list = []

    def load(self, var, offset: Ix):
        super().load(var, offset)
        self.loads.append((var, offset))


def analyse(k: Kernel, part: Partition) -> Loads:
    """The symbolic pass over map/reduce kernel `k`: every index it uses, and every load."""
    an = Loads()
    ix = identity_index(k.domain)
    walk = Walk(part, an, k)
    if k.kind == "map":
        store_outputs(walk, k.outputs, ix)
    else:
        store_outputs(walk, k.outputs[1:], ix)
        walk.value(k.root.inputs[0], ix)
    return an
