"""The one loop helper: every loop the CPU backend emits is opened here.

`loop_nest(b, space, body)` runs `body(*indices)` (one i64 per dim, outermost first) over an
iteration space; `parallel_for` is the same for iterations independent of one another (none
reads what another writes, or writes what another writes): the nests that may be split across
threads. Code generation is single-threaded for now; `independent` marks where threads would go.

Each dim of `space` is an extent (`range(n)`, an int or an i64 value) or a `(start, stop)` or
`(start, stop, step)` tuple. Loops are rotated (a guard, then a do-while), the form LLVM's loop
passes expect, with the increment marked `nuw nsw`. `test_first=True` emits the classic form
instead (the test at the top of every iteration, a plain increment): the GEMM's loops, kept as
measured. The body may create blocks of its own; the builder ends positioned after the nest.
"""
from __future__ import annotations

from typing import Callable, Sequence

from llvmlite import ir

I64 = ir.IntType(64)

Bound = int | ir.Value
Dim = Bound | tuple


def _value(x: Bound) -> ir.Value:
    return ir.Constant(I64, x) if isinstance(x, int) else x


def _bounds(dim: Dim) -> tuple[ir.Value, ir.Value, ir.Value]:
    start, stop, step = (0, dim, 1) if not isinstance(dim, tuple) else (*dim, 1)[:3]
    return _value(start), _value(stop), _value(step)


def loop_nest(b: ir.IRBuilder, space: Sequence[Dim], body: Callable[..., None], *,
              independent: bool = False, test_first: bool = False,
              names: Sequence[str] | None = None) -> None:
    """Emit loops over `space` (outermost first) running `body(*indices)` innermost.
    `independent`: the iterations of the outermost loop may run in any order, or at once;
    `names`: the index variables' names (for reading the IR)."""
    del independent  # (single-threaded for now: every nest is emitted the same way)
    indices: list = []

    def level(depth: int) -> None:
        if depth == len(space):
            body(*indices)
            return
        start, stop, step = _bounds(space[depth])
        name = names[depth] if names else ""

        def inner(i) -> None:
            indices.append(i)
            level(depth + 1)
            indices.pop()
        (_top_tested if test_first else _rotated)(b, start, stop, step, name, inner)

    level(0)


def parallel_for(b: ir.IRBuilder, space: Sequence[Dim], body: Callable[..., None], **kw) -> None:
    """`loop_nest` over iterations independent of one another (see the module docstring)."""
    loop_nest(b, space, body, independent=True, **kw)


def _rotated(b: ir.IRBuilder, start, stop, step, name: str, body) -> None:
    pre = b.block
    loop = b.append_basic_block("loop")
    done = b.append_basic_block("done")
    b.cbranch(b.icmp_signed("<", start, stop), loop, done)
    b.position_at_end(loop)
    i = b.phi(I64, name=name)
    i.add_incoming(start, pre)
    body(i)
    nxt = b.add(i, step, flags=("nuw", "nsw"))
    i.add_incoming(nxt, b.block)
    b.cbranch(b.icmp_signed("<", nxt, stop), loop, done)
    b.position_at_end(done)


def _top_tested(b: ir.IRBuilder, start, stop, step, name: str, body) -> None:
    pre = b.block
    fn = pre.parent
    cond = fn.append_basic_block(name + ".cond")
    loop = fn.append_basic_block(name + ".body")
    end = fn.append_basic_block(name + ".end")
    b.branch(cond)
    b.position_at_end(cond)
    i = b.phi(I64, name=name)
    i.add_incoming(start, pre)
    b.cbranch(b.icmp_signed("<", i, stop), loop, end)
    b.position_at_end(loop)
    body(i)
    nxt = b.add(i, step, name=name + ".next")
    i.add_incoming(nxt, b.block)
    b.branch(cond)
    b.position_at_end(end)
