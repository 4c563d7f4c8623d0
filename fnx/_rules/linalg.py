"""dot_general: numpy implementation, jvp, transpose and batching rules."""
from __future__ import annotations

import math

import numpy as np

from .._core.rules import define


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


define("dot_general", impl=_dot_general)
