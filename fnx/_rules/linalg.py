"""dot_general: numpy implementation, jvp, transpose and batching rules."""
from __future__ import annotations

import enum
import math
from typing import Any

import numpy as np

import fnx_ir

from .._core.rules import define
from .._core import batching as _bat
from .._core import ad as _ad
from .._core.trace import bind, type_of
from .elementwise import convert_element_type
from .._core.ops import Value, transpose

__all__ = [  # the public binders (re-exported by fnx.lax)
    "Precision", "check_precision", "dot_general"]


def _dot_general(lhs, rhs, *, dimension_numbers):
    """Transpose both operands to (batch, free, contract) / (batch, contract, free) and matmul."""
    (lc, rc), (lb, rb) = dimension_numbers
    lhs, rhs = np.asarray(lhs), np.asarray(rhs)
    lfree = [i for i in range(lhs.ndim) if i not in lc and i not in lb]
    rfree = [i for i in range(rhs.ndim) if i not in rc and i not in rb]
    batch_shape = [lhs.shape[i] for i in lb]
    lfree_shape = [lhs.shape[i] for i in lfree]
    rfree_shape = [rhs.shape[i] for i in rfree]
    k = math.prod(lhs.shape[i] for i in lc)
    a = np.transpose(lhs, list(lb) + lfree + list(lc)).reshape(
        math.prod(batch_shape), math.prod(lfree_shape), k)
    b = np.transpose(rhs, list(rb) + list(rc) + rfree).reshape(
        math.prod(batch_shape), k, math.prod(rfree_shape))
    out = np.matmul(a, b)
    if out.dtype != lhs.dtype:  # numpy widens bool @ bool: keep the operand dtype
        out = out.astype(lhs.dtype)
    return out.reshape(batch_shape + lfree_shape + rfree_shape)


def _dot_general_batch(args, dims, *, dimension_numbers):
    """One dot_general: a batch axis on both operands becomes a dot batch dimension;
    on one operand only, it is one of that operand's free dimensions."""
    (lhs, rhs), (ld, rd) = args, dims
    (lc, rc), (lb, rb) = dimension_numbers
    lc2, lb2 = (tuple(_bat.batched_axis(ld, a) for a in ax) for ax in (lc, lb))
    rc2, rb2 = (tuple(_bat.batched_axis(rd, a) for a in ax) for ax in (rc, rb))
    if ld is not None and rd is not None:
        lb2, rb2, out_d = (ld,) + lb2, (rd,) + rb2, 0
    elif ld is not None:
        lfree = [i for i in range(_bat.type_of(lhs).ndim) if i not in lc2 + lb2]
        out_d = len(lb) + lfree.index(ld)
    else:
        rfree = [i for i in range(_bat.type_of(rhs).ndim) if i not in rc2 + rb2]
        out_d = len(lb) + (_bat.type_of(lhs).ndim - len(lc) - len(lb)) + rfree.index(rd)
    out = _bat.bind("dot_general", lhs, rhs, dimension_numbers=((lc2, rc2), (lb2, rb2)))
    return out, out_d


# ------------------------------------------------------------------- derivative rules
# dot_general is bilinear: d(x·y) = dx·y + x·dy; each transpose is one dot_general of the
# cotangent with the other operand plus a transpose back to the operand's layout (JAX's).

def _ranges_like(*xs):
    start, out = 0, []
    for x in xs:
        out.append(tuple(range(start, start + len(x))))
        start += len(x)
    return out


def _dot_transpose_lhs(g, y, x_aval, dimension_numbers, swap_ans=False):
    (xc, yc), (xb, yb) = dimension_numbers
    y_ndim = _ad.aval_of(y).ndim
    x_kept = [i for i in range(x_aval.ndim) if i not in xc and i not in xb]
    y_kept = [i for i in range(y_ndim) if i not in yc and i not in yb]
    if swap_ans:
        ans_batch, ans_y, _ = _ranges_like(xb, y_kept, x_kept)
    else:
        ans_batch, _, ans_y = _ranges_like(xb, x_kept, y_kept)
    dims = ((ans_y, tuple(y_kept)), (ans_batch, tuple(yb)))
    x_contract_sorted_by_y = [xc[i] for i in np.argsort(yc)]
    out_axes = [int(a) for a in np.argsort(list(xb) + x_kept + x_contract_sorted_by_y)]
    swapped = [int(a) for a in np.argsort(list(xb) + x_contract_sorted_by_y + x_kept)]
    if out_axes != sorted(out_axes) and swapped == sorted(swapped):
        # y·g already has x's layout (e.g. the weight gradient x^T·g): no transpose needed
        return dot_general(y, g, ((tuple(y_kept), ans_y), (tuple(yb), ans_batch)))
    return transpose(dot_general(g, y, dims), tuple(out_axes))


def _dot_general_transpose(ct, x, y, *, dimension_numbers):
    if _ad.is_undefined(x) and _ad.is_undefined(y):
        raise NotImplementedError("transpose of dot_general: both operands are linear")
    if _ad.is_undefined(x):
        return [_dot_transpose_lhs(ct, y, x.aval, dimension_numbers), None]
    (xc, yc), (xb, yb) = dimension_numbers
    return [None, _dot_transpose_lhs(ct, x, y.aval, ((yc, xc), (yb, xb)), swap_ans=True)]


_dot_general_jvp = _ad.jvp_rule(
    "dot_general",
    lambda g, ans, x, y, *, dimension_numbers: dot_general(g, y, dimension_numbers),
    lambda g, ans, x, y, *, dimension_numbers: dot_general(x, g, dimension_numbers))


class Precision(enum.Enum):
    """JAX's matmul precision names. On the CPU every precision computes in the operands'
    full precision (float32 as float32), so the choice has no effect; it is checked and
    accepted for portability. Strings work too: `Precision("highest")`."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value):
        names = {"default": cls.DEFAULT, "fastest": cls.DEFAULT, "bfloat16": cls.DEFAULT,
                 "high": cls.HIGH, "bfloat16_3x": cls.HIGH, "tensorfloat32": cls.HIGH,
                 "highest": cls.HIGHEST, "float32": cls.HIGHEST}
        return names.get(value) if isinstance(value, str) else None

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"Precision.{self.name}"


def check_precision(precision: Any) -> None:
    """Reject what is not a precision: None, a `Precision` or its string, or a pair of them."""
    for p in precision if isinstance(precision, (tuple, list)) else (precision,):
        if p is not None and not isinstance(p, Precision):
            Precision(p)  # raises ValueError: 'x' is not a valid Precision


def dot_general(lhs: Value, rhs: Value, dimension_numbers: Any, precision: Any = None,
                preferred_element_type: Any = None) -> Value:
    """Contract `lhs` and `rhs` over ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch)).
    `precision` has no effect on the CPU; `preferred_element_type` is the result dtype (the
    operands are converted to it first)."""
    check_precision(precision)
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    if preferred_element_type is not None:
        d = fnx_ir.dtype(preferred_element_type)
        lhs, rhs = (x if type_of(x).dtype is d else convert_element_type(x, d)
                    for x in (lhs, rhs))
    return bind("dot_general", lhs, rhs, dimension_numbers=dn)

define("dot_general", binder=dot_general, impl=_dot_general,
       jvp=_dot_general_jvp,
       transpose=_dot_general_transpose,
       batch=_dot_general_batch)
