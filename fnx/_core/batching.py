"""Batching: the `Program → Program` transform under `fnx.vmap`.

`batch_program(program, args, dims)` walks a *per-example* program (traced on the
argument types with the batch axis removed) and re-binds every equation with
(value, batch_dim) pairs: `batch_dim` is the axis of `value` that is the batch
axis, or `None` for a value that is the same for every example. An equation
whose inputs are all unbatched is bound as it is; otherwise the primitive's
`batch` rule (see `fnx/_core/rules.py`) binds the batched computation. Binding
goes to the active trace (so vmap composes with jit, grad and itself) or, with
no trace active, runs eagerly on numpy arrays.

Rules keep the program's size independent of the batch size: one primitive
becomes the same primitive with an extra dimension (or a gather/scatter), plus
at most a few transposes/broadcasts to line operands up; never a loop over
examples. This module also holds the helpers rules use (`moveaxis`,
`broadcast_batch`, `matchaxis`, the generic elementwise/reduction rules, and the
index arrays for dynamic slices with batched starts).
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Sequence

import fnx_ir
from fnx_ir import Literal, Program

from . import errors, ops
from .rules import rules
from .trace import bind, current, type_of

not_mapped = None


class BatchingError(ValueError):
    """A vmap specification that does not fit the arguments or results."""


# --------------------------------------------------------------------------- named axes

class _Axes(threading.local):
    """The axes of the `vmap`s being traced or batched, innermost last: `(name, size)`."""

    def __init__(self):
        self.stack: list[tuple[str | None, int]] = []


_axes = _Axes()


@contextlib.contextmanager
def bound_axis(name: str | None, size: int):
    """Within: a vmap axis of `size` named `name` (None: unnamed) is the innermost one,
    the one `batch_program` (and the batch rules it calls) batches along."""
    _axes.stack.append((name, size))
    try:
        yield
    finally:
        _axes.stack.pop()


def current_axis() -> tuple[str | None, int] | None:
    """`(name, size)` of the axis being batched along (the innermost vmap), or None."""
    stack = _axes.stack
    return stack[-1] if stack else None


def axis_env() -> tuple[tuple[str, int], ...]:
    """The named axes in scope, outermost first (what a traced collective may refer to)."""
    return tuple(f for f in _axes.stack if f[0] is not None)


def axis_size(name: str) -> int:
    """The size of the named vmap axis `name` in scope; UnboundAxisError if none is bound."""
    for n, size in reversed(_axes.stack):
        if n == name:
            return size
    raise errors.UnboundAxisError(f"unbound axis name: {name}")


def _uses_axis(eq, name: str | None) -> bool:
    """Whether `eq` (or a program nested in it) is a collective over axis `name` (None:
    over any axis)."""
    names = eq.params.get("axis_name", ())
    if names and (name is None or name in names):
        return True
    return eq.nested and any(uses_axis(p, name) for p in fnx_ir.subprograms(eq.params))


def uses_axis(program: Program, name: str | None = None) -> bool:
    """Whether `program` holds a collective over axis `name` (None: over any axis)."""
    return any(_uses_axis(eq, name) for eq in program.equations)


# --------------------------------------------------------------------------- the transform

def batch_program(program: Program, args: Sequence, dims: Sequence[int | None]):
    """Evaluate `program` on batched `args` (batch axis `dims[i]` or None) by binding
    each equation's batch rule into the current trace, or eagerly. The batch axis is the
    innermost `bound_axis`: an equation that is a collective over it (or holds one) is
    batched even when its operands are not.

    Returns `(outs, out_dims)`, one entry per program output.
    """
    _broadcasts.stack.append({})
    try:
        return _batch_program(program, args, dims)
    finally:
        _broadcasts.stack.pop()


def _batch_program(program: Program, args: Sequence, dims: Sequence[int | None]):
    env: dict[Any, tuple[Any, int | None]] = {}
    for v, a, d in zip(program.inputs, args, dims, strict=True):
        env[v] = (a, d)
    for v, c in program.constants:
        env[v] = (c, None)
    frame = current_axis()
    name = frame[0] if frame is not None else None
    for eq in program.equations:
        ins = [(x, None) if isinstance(x, Literal) else env[x] for x in eq.inputs]
        vals = [i[0] for i in ins]
        in_dims = [i[1] for i in ins]
        r = rules(eq.primitive)
        ctx = current()
        start = len(ctx.builder.equations) if ctx is not None else 0
        if all(d is None for d in in_dims) and (name is None or not _uses_axis(eq, name)):
            out = bind(eq.primitive, *vals, **eq.params)
            out_dims = [None] * len(eq.outputs) if r.multiple_results else None
            if eq.primitive == "broadcast_in_dim":
                _broadcasts.stack[-1][id(out)] = (out, vals[0], eq.params)
        else:
            if r.batch is None:
                raise NotImplementedError(errors.at_source(
                    f"vmap: primitive {eq.primitive} has no batching rule", eq.source))
            out, out_dims = r.batch(vals, in_dims, **eq.params)
        if ctx is not None and eq.source:
            for new in ctx.builder.equations[start:]:
                new.source = eq.source  # errors later point at the user's line, not vmap's
        outs = out if r.multiple_results else [out]
        ods = list(out_dims) if r.multiple_results else [out_dims]
        if len(outs) != len(eq.outputs) or len(ods) != len(eq.outputs):
            raise AssertionError(f"batch rule of {eq.primitive} returned {len(outs)} results "
                                 f"for {len(eq.outputs)} outputs")
        for v, o, d in zip(eq.outputs, outs, ods, strict=True):
            if d is not None:
                _check_rule_result(eq, v.type, o, d)
            env[v] = (o, d)
    return ([x if isinstance(x, Literal) else env[x][0] for x in program.outputs],
            [None if isinstance(x, Literal) else env[x][1] for x in program.outputs])


def _check_rule_result(eq, expected: fnx_ir.ShapedType, value, dim) -> None:
    """A batch rule's result must be the per-example type with one extra axis at `dim`."""
    t = type_of(value)
    shape = list(t.shape)
    if dim is not None:
        if not (isinstance(dim, int) and 0 <= dim < len(shape)):
            raise AssertionError(f"batch rule of {eq.primitive}: batch dim {dim!r} out of "
                                 f"range for {t}")
        del shape[dim]
    if tuple(shape) != expected.shape or t.dtype is not expected.dtype:
        raise AssertionError(f"batch rule of {eq.primitive}: result {t} with batch dim {dim} "
                             f"does not match the per-example type {expected}")


# --------------------------------------------------------------------------- helpers for rules

def batch_size(args: Sequence, dims: Sequence[int | None]) -> int:
    """The size of the batch axis (from the first batched operand)."""
    for a, d in zip(args, dims, strict=True):
        if d is not None:
            return type_of(a).shape[d]
    frame = current_axis()  # (a collective over the axis, with unbatched operands)
    if frame is None:
        raise AssertionError("batch_size: no operand is batched")
    return frame[1]


def batched_axis(d: int | None, axis: int) -> int:
    """Where per-example axis `axis` sits in an operand batched at `d`."""
    return axis if d is None or axis < d else axis + 1


def moveaxis(x, src: int, dst: int):
    """`x` with axis `src` moved to position `dst` (one transpose, or nothing)."""
    nd = type_of(x).ndim
    src, dst = src % nd, dst % nd
    if src == dst:
        return x
    perm = [i for i in range(nd) if i != src]
    perm.insert(dst, src)
    return ops.transpose(x, perm)


class _Broadcasts(threading.local):
    """Per batch_program call: unbatched values made by broadcast_in_dim, so that
    broadcasting one along the batch axis broadcasts its operand once instead of twice."""

    def __init__(self):
        self.stack: list[dict] = []


_broadcasts = _Broadcasts()


def broadcast_batch(x, size: int, axis: int):
    """An unbatched `x` broadcast along a new batch axis of `size` at position `axis`."""
    t = type_of(x)
    shape = list(t.shape)
    shape.insert(axis, size)
    dims = tuple(i if i < axis else i + 1 for i in range(t.ndim))
    known = _broadcasts.stack[-1].get(id(x)) if _broadcasts.stack else None
    if known is not None and known[0] is x:  # x = broadcast_in_dim(operand): compose
        _, operand, params = known
        dims = tuple(dims[d] for d in params["broadcast_dimensions"])
        return ops.broadcast_in_dim(operand, tuple(shape), dims)
    return ops.broadcast_in_dim(x, tuple(shape), dims)


def matchaxis(x, d: int | None, size: int, dst: int):
    """`x` with its batch axis at `dst`: moved if batched at `d`, broadcast if unbatched."""
    if d is None:
        return broadcast_batch(x, size, dst)
    return moveaxis(x, d, dst)


def bdim_at_front(x, d: int | None, size: int):
    return matchaxis(x, d, size, 0)


def common_layout(args: Sequence, dims: Sequence[int | None], *, broadcast: bool = True):
    """Operands of equal per-example rank lined up at one batch axis (the first batched
    operand's). Unbatched operands are broadcast only when `broadcast` is true.

    Returns `(args, d)`.
    """
    d0 = next(d for d in dims if d is not None)
    size = batch_size(args, dims)
    out = []
    for a, d in zip(args, dims, strict=True):
        if d is None:
            out.append(broadcast_batch(a, size, d0) if broadcast else a)
        else:
            out.append(moveaxis(a, d, d0))
    return out, d0


# --------------------------------------------------------------------------- generic rules

def make_elementwise_batch(name: str):
    """Batch rule for an elementwise primitive (operands of one shape; any params)."""
    def rule(args, dims, **params):
        args, d = common_layout(args, dims)
        return bind(name, *args, **params), d
    rule.__name__ = f"batch_{name}"
    return rule


def make_reduction_batch(name: str):
    """Batch rule for a primitive with an `axes` tuple that it removes."""
    def rule(args, dims, *, axes, **params):
        (x,), (d,) = args, dims
        new_axes = tuple(batched_axis(d, a) for a in axes)
        out_d = d - sum(1 for a in new_axes if a < d)
        return bind(name, x, axes=new_axes, **params), out_d
    rule.__name__ = f"batch_{name}"
    return rule


def make_axis_batch(name: str, removes_axis: bool):
    """Batch rule for a one-operand primitive with an `axis` param (argmax, cumsum, …)."""
    def rule(args, dims, *, axis, **params):
        (x,), (d,) = args, dims
        new_axis = batched_axis(d, axis)
        out_d = d - 1 if removes_axis and new_axis < d else d
        return bind(name, x, axis=new_axis, **params), out_d
    rule.__name__ = f"batch_{name}"
    return rule


# --------------------------------------------------------------------------- index arrays

def index_dtype(starts: Sequence) -> fnx_ir.DType:
    """One integer dtype for a set of start indices (theirs if they agree, else int64)."""
    kinds = {type_of(s).dtype for s in starts}
    return kinds.pop() if len(kinds) == 1 else fnx_ir.int64


def window_indices(starts: Sequence, start_dims: Sequence[int | None], operand_shape,
                   window: Sequence[int], size: int):
    """Index arrays (one per operand axis, each of shape `(size, *window)`) that address
    the window of sizes `window` at the per-example `starts` of an operand of per-example
    shape `operand_shape`, with the starts clamped as dynamic_slice clamps them.

    Starts batched at their dim 0 (per-example scalars) vary along the batch axis.
    """
    dtype = index_dtype(starts)
    full = (size,) + tuple(window)
    out = []
    for k, (s, sd) in enumerate(zip(starts, start_dims, strict=True)):
        s = ops.convert_element_type(s, dtype)
        hi = max(operand_shape[k] - window[k], 0)
        s = ops.clamp(fnx_ir.literal(0, dtype), s, fnx_ir.literal(hi, dtype))
        s = ops.broadcast_in_dim(s, full, (0,) if sd is not None else ())
        if window[k] != 1:
            s = ops.add(s, ops.iota(dtype, full, k + 1))
        out.append(s)
    return out
