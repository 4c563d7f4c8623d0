"""Products of `fnx.numpy`: dot, matmul, vdot, inner, outer, tensordot, einsum, trace, kron.

Everything lowers to `transpose`, `reduce_sum`, `gather` (einsum diagonals) and
`dot_general`; operands are promoted to their common dtype first (bool stays bool,
int32 stays int32, as numpy).
"""
from __future__ import annotations

import string
from typing import Any

import numpy as np

from .. import lax
from .._core.trace import type_of
from ._base import (Array, ArrayLike, Axis, broadcast_shapes, canonical_dtype, convert,
                    direct_dot, dtype_of, DTypeLike, ensure_array, finish, normalize_axis,
                    result_dtype, shape_of, type_error)
from ._elementwise import multiply, subtract
from ._indexing import _getitem, diagonal
from . import _reductions
from ._shape import expand_dims, moveaxis, stack

__all__ = ["matmul", "dot", "vdot", "vecdot", "inner", "outer", "tensordot", "einsum", "trace",
           "kron", "matvec", "vecmat", "cross"]


def _promote(fn, *xs, dtype=None):
    xs = [ensure_array(x) for x in xs]
    d = canonical_dtype(dtype) or result_dtype(*xs)
    return [convert(x, d) for x in xs]


def matmul(a: ArrayLike, b: ArrayLike, *, precision: Any = None,
           preferred_element_type: DTypeLike | None = None) -> Array:
    """`numpy.matmul`: batch dims broadcast, 1-d operands are promoted and squeezed."""
    lax.check_precision(precision)  # (no effect on the CPU: full precision)
    a0, b0 = ensure_array(a), ensure_array(b)
    ta, tb = type_of(a0), type_of(b0)
    if ta.ndim == 0 or tb.ndim == 0:
        raise type_error("matmul", "operands must not be scalars (use multiply)", a0, b0,
                         shape=True)
    a, b = _promote("matmul", a0, b0, dtype=preferred_element_type)
    a2 = lax.reshape(a, (1,) + ta.shape) if ta.ndim == 1 else a
    b2 = lax.reshape(b, tb.shape + (1,)) if tb.ndim == 1 else b
    sa, sb = shape_of(a2), shape_of(b2)
    if sa[-1] != sb[-2]:
        raise type_error("matmul", f"contracting dimensions differ ({sa[-1]} != {sb[-2]})",
                         a0, b0, shape=True)
    batch = broadcast_shapes(sa[:-2], sb[:-2], what="matmul", xs=(a0, b0))
    nb = len(batch)
    a3 = lax.broadcast_to_rank_shape(a2, batch + sa[-2:]) if nb else a2
    b3 = lax.broadcast_to_rank_shape(b2, batch + sb[-2:]) if nb else b2
    bd = tuple(range(nb))
    out = lax.dot_general(a3, b3, (((nb + 1,), (nb,)), (bd, bd)))
    shape = shape_of(out)
    if ta.ndim == 1:
        shape = shape[:-2] + shape[-1:]
    if tb.ndim == 1:
        shape = shape[:-1]
    return lax.reshape(out, shape)


def matvec(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """`numpy.matvec`: matrix (..., m, n) times vector (..., n)."""
    out = matmul(x1, expand_dims(x2, -1))
    return lax.squeeze(out, (len(shape_of(out)) - 1,))


def vecmat(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """`numpy.vecmat`: vector (..., n) times matrix (..., n, m)."""
    out = matmul(expand_dims(x1, -2), x2)
    return lax.squeeze(out, (len(shape_of(out)) - 2,))


def dot(a: ArrayLike, b: ArrayLike, *, precision: Any = None,
        preferred_element_type: DTypeLike | None = None) -> Array:
    """`numpy.dot`: scalars multiply; otherwise contract a's last with b's second-to-last."""
    lax.check_precision(precision)  # (no effect on the CPU: full precision)
    if preferred_element_type is None:
        out = direct_dot(a, b)
        if out is not None:
            return out
    a0, b0 = ensure_array(a), ensure_array(b)
    ta, tb = type_of(a0), type_of(b0)
    if ta.ndim == 0 or tb.ndim == 0:
        return multiply(a0, b0)
    a, b = _promote("dot", a0, b0, dtype=preferred_element_type)
    ca, cb = ta.ndim - 1, max(tb.ndim - 2, 0)
    if ta.shape[ca] != tb.shape[cb]:
        raise type_error("dot", f"shapes {ta.shape} and {tb.shape} not aligned: "
                         f"{ta.shape[ca]} (dim {ca}) != {tb.shape[cb]} (dim {cb})", a0, b0,
                         shape=True)
    return lax.dot_general(a, b, (((ca,), (cb,)), ((), ())))


def vdot(a: ArrayLike, b: ArrayLike, *, precision: Any = None,
         preferred_element_type: DTypeLike | None = None) -> Array:
    """`numpy.vdot`: the dot product of the flattened arrays (no complex conjugation here)."""
    lax.check_precision(precision)  # (no effect on the CPU: full precision)
    a0, b0 = ensure_array(a), ensure_array(b)
    if type_of(a0).size != type_of(b0).size:
        raise type_error("vdot", "operands must have the same number of elements", a0, b0,
                         shape=True)
    a, b = _promote("vdot", a0, b0, dtype=preferred_element_type)
    a = lax.reshape(a, (type_of(a).size,))
    b = lax.reshape(b, (type_of(b).size,))
    return lax.dot_general(a, b, (((0,), (0,)), ((), ())))


def vecdot(x1: ArrayLike, x2: ArrayLike, /, *, axis: int = -1) -> Array:
    """`numpy.vecdot`: the dot product along `axis`, broadcasting the other dims."""
    a, b = ensure_array(x1), ensure_array(x2)
    if shape_of(a)[axis] != shape_of(b)[axis]:
        raise type_error("vecdot", "the contracted dimensions differ", a, b, shape=True)
    a, b = _promote("vecdot", a, b)
    if dtype_of(a).is_bool:
        return _reductions.any(multiply(a, b), axis=axis)
    return convert(_reductions.sum(multiply(a, b), axis=axis), dtype_of(a))


def inner(a: ArrayLike, b: ArrayLike, *, precision: Any = None,
          preferred_element_type: DTypeLike | None = None) -> Array:
    """`numpy.inner`: contract the last dims of both."""
    lax.check_precision(precision)  # (no effect on the CPU: full precision)
    a0, b0 = ensure_array(a), ensure_array(b)
    ta, tb = type_of(a0), type_of(b0)
    if ta.ndim == 0 or tb.ndim == 0:
        return multiply(a0, b0)
    if ta.shape[-1] != tb.shape[-1]:
        raise type_error("inner", "the last dimensions differ", a0, b0, shape=True)
    a, b = _promote("inner", a0, b0, dtype=preferred_element_type)
    return lax.dot_general(a, b, (((ta.ndim - 1,), (tb.ndim - 1,)), ((), ())))


def outer(a: ArrayLike, b: ArrayLike, out: None = None) -> Array:
    """`numpy.outer` of the flattened arrays."""
    a0, b0 = ensure_array(a), ensure_array(b)
    a1 = lax.reshape(a0, (type_of(a0).size, 1))
    b1 = lax.reshape(b0, (1, type_of(b0).size))
    return multiply(a1, b1)


def tensordot(a: ArrayLike, b: ArrayLike, axes: Axis = 2, *, precision: Any = None,
              preferred_element_type: DTypeLike | None = None) -> Array:
    """`numpy.tensordot`: `axes` is an int N (a's last N with b's first N) or two sequences."""
    lax.check_precision(precision)  # (no effect on the CPU: full precision)
    a0, b0 = ensure_array(a), ensure_array(b)
    ta, tb = type_of(a0), type_of(b0)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0:
            raise ValueError("axes must be non-negative")
        la, lb = list(range(ta.ndim - n, ta.ndim)), list(range(n))
    else:
        la, lb = axes
        la = [la] if isinstance(la, (int, np.integer)) else list(la)
        lb = [lb] if isinstance(lb, (int, np.integer)) else list(lb)
    if len(la) != len(lb):
        raise type_error("tensordot", "axes lists have different lengths", a0, b0, shape=True)
    la = [normalize_axis(i, ta.ndim) for i in la]
    lb = [normalize_axis(i, tb.ndim) for i in lb]
    for i, j in zip(la, lb, strict=True):
        if ta.shape[i] != tb.shape[j]:
            raise type_error("tensordot", f"shape mismatch for sum: dim {i} of a ({ta.shape[i]})"
                             f" vs dim {j} of b ({tb.shape[j]})", a0, b0, shape=True)
    x, y = _promote("tensordot", a0, b0, dtype=preferred_element_type)
    return lax.dot_general(x, y, ((tuple(la), tuple(lb)), ((), ())))


def trace(a: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1,
          dtype: DTypeLike | None = None, out: None = None) -> Array:
    """`numpy.trace`: the sum of a diagonal (int32/bool sum in the default integer, as JAX)."""
    d = diagonal(a, offset, axis1, axis2)
    return _reductions.sum(d, axis=-1, dtype=dtype)


def kron(a: ArrayLike, b: ArrayLike) -> Array:
    """`numpy.kron`."""
    x, y = ensure_array(a), ensure_array(b)
    sa, sb = shape_of(x), shape_of(y)
    nd = max(len(sa), len(sb))
    sa = (1,) * (nd - len(sa)) + sa
    sb = (1,) * (nd - len(sb)) + sb
    xa = lax.reshape(x, tuple(v for s in sa for v in (s, 1)))
    yb = lax.reshape(y, tuple(v for s in sb for v in (1, s)))
    prod = multiply(xa, yb)
    return lax.reshape(prod, tuple(p * q for p, q in zip(sa, sb, strict=True)))


def cross(a: ArrayLike, b: ArrayLike, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: Axis = None) -> Array:
    """`numpy.cross` for 3-vectors (2-vectors give the scalar z component)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    x = moveaxis(ensure_array(a), axisa, -1)
    y = moveaxis(ensure_array(b), axisb, -1)
    na, nb = shape_of(x)[-1], shape_of(y)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product (dimension must be 2 or 3)")
    c = [_getitem(x, (Ellipsis, i)) for i in range(na)]
    d = [_getitem(y, (Ellipsis, i)) for i in range(nb)]
    if na == 2 and nb == 2:
        return subtract(multiply(c[0], d[1]), multiply(c[1], d[0]))
    zero = 0
    c = c + [zero] * (3 - na)
    d = d + [zero] * (3 - nb)
    out = stack([subtract(multiply(c[1], d[2]), multiply(c[2], d[1])),
                 subtract(multiply(c[2], d[0]), multiply(c[0], d[2])),
                 subtract(multiply(c[0], d[1]), multiply(c[1], d[0]))], -1)
    return moveaxis(out, -1, axisc)


# ----------------------------------------------------------------------------- einsum

def _parse_einsum(subscripts: str, shapes):
    """(input label lists, output label list); '...' becomes unique labels per position."""
    s = subscripts.replace(" ", "")
    if "->" in s:
        lhs, out = s.split("->")
        explicit = True
    else:
        lhs, out, explicit = s, "", False
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} operand subscripts for {len(shapes)} operands")
    used = set(c for c in s if c.isalpha())
    spare = [c for c in string.ascii_letters if c not in used]
    ell_rank = 0
    for term, shp in zip(terms, shapes, strict=True):
        if "..." in term:
            ell_rank = max(ell_rank, len(shp) - len(term.replace("...", "")))
    ell = spare[:ell_rank]
    ins = []
    for term, shp in zip(terms, shapes, strict=True):
        if any(not (c.isalpha() or c == ".") for c in term):
            raise ValueError(f"einsum: invalid subscript {term!r}")
        if "..." in term:
            pre, post = term.split("...")
            k = len(shp) - len(pre) - len(post)
            labels = list(pre) + ell[ell_rank - k:] + list(post)
        else:
            labels = list(term)
        if len(labels) != len(shp):
            raise ValueError(f"einsum: subscripts {term!r} do not match an operand of shape "
                             f"{tuple(shp)}")
        ins.append(labels)
    if explicit:
        if "..." in out:
            pre, post = out.split("...")
            out_labels = list(pre) + ell + list(post)
        else:
            out_labels = list(out)
    else:
        counts = {}
        for labels in ins:
            for c in labels:
                counts[c] = counts.get(c, 0) + 1
        out_labels = ell + sorted(c for c, n in counts.items() if n == 1 and c not in ell)
    return ins, out_labels


def _diagonalize(x, labels):
    """Take the diagonal over repeated labels of one operand."""
    while True:
        dup = next((c for c in labels if labels.count(c) > 1), None)
        if dup is None:
            return x, labels
        i = labels.index(dup)
        j = labels.index(dup, i + 1)
        n = shape_of(x)[i]
        ar = np.arange(n, dtype=np.int64)
        x = lax.gather(x, [ar, ar], (i, j))  # (n,) + other dims
        labels = [dup] + [c for k, c in enumerate(labels) if k not in (i, j)]


def _sum_out(x, labels, keep):
    axes = tuple(k for k, c in enumerate(labels) if c not in keep)
    if not axes:
        return x, labels
    if dtype_of(x).is_bool:
        x = lax.reduce_or(x, axes)
    else:
        x = lax.reduce_sum(x, axes)
    return x, [c for c in labels if c in keep]


def einsum(subscripts: str, *operands: ArrayLike, out: None = None, optimize: Any = None,
           precision: Any = None, dtype: DTypeLike | None = None,
           preferred_element_type: DTypeLike | None = None, _dot_general=None) -> Array:
    """`numpy.einsum` for any subscripts (with '...'); operands are contracted pairwise, left
    to right, with `dot_general`; repeated labels take diagonals; others sum out."""
    lax.check_precision(precision)  # (no effect on the CPU: full precision)
    if not isinstance(subscripts, str):
        raise NotImplementedError("fnx.numpy.einsum: only the subscripts-string form is supported")
    xs = [ensure_array(o) for o in operands]
    if not xs:
        raise ValueError("einsum: no operands")
    d = canonical_dtype(dtype or preferred_element_type) or result_dtype(*xs)
    xs = [convert(x, d) for x in xs]
    ins, out_labels = _parse_einsum(subscripts, [shape_of(x) for x in xs])
    if len(set(out_labels)) != len(out_labels):
        raise ValueError("einsum: output subscript repeated")
    sizes: dict[str, int] = {}
    for x, labels in zip(xs, ins, strict=True):
        for c, n in zip(labels, shape_of(x), strict=True):
            if c in sizes and sizes[c] != n and 1 not in (n, sizes[c]):
                raise type_error("einsum", f"size of label {c!r} differs: {sizes[c]} vs {n}",
                                 *xs, shape=True)
            sizes[c] = max(sizes.get(c, n), n)
    for c in out_labels:
        if c not in sizes:
            raise ValueError(f"einsum: output label {c!r} does not appear in the inputs")
    # broadcast size-1 dims (numpy allows it for ellipsis dims)
    ops = []
    for x, labels in zip(xs, ins, strict=True):
        target = tuple(sizes[c] for c in labels)
        if shape_of(x) != target:
            x = lax.broadcast_in_dim(x, target, tuple(range(len(labels))))
        ops.append(_diagonalize(x, list(labels)))
    # sum out labels that appear in one operand only and not in the output
    def needed_later(k):
        keep = set(out_labels)
        for m, (_, labels) in enumerate(ops):
            if m != k:
                keep.update(labels)
        return keep
    ops = [_sum_out(x, labels, needed_later(k)) for k, (x, labels) in enumerate(ops)]
    x, labels = ops[0]
    for k in range(1, len(ops)):
        y, ylabels = ops[k]
        keep = set(out_labels)
        for _, later in ops[k + 1:]:
            keep.update(later)
        common = [c for c in labels if c in ylabels]
        batch = [c for c in common if c in keep]
        contract = [c for c in common if c not in keep]
        dn = ((tuple(labels.index(c) for c in contract), tuple(ylabels.index(c) for c in contract)),
              (tuple(labels.index(c) for c in batch), tuple(ylabels.index(c) for c in batch)))
        res = lax.dot_general(x, y, dn)
        labels = batch + [c for c in labels if c not in common] + \
            [c for c in ylabels if c not in common]
        x, labels = _sum_out(res, labels, keep)
    x, labels = _sum_out(x, labels, set(out_labels))
    return finish(lax.transpose(x, [labels.index(c) for c in out_labels]), *operands)
