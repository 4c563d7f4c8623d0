"""Value conversion between dtypes with the IR's semantics (docs/semantics.md,
convert_element_type): float → integer truncates toward zero and saturates to the target's
range, NaN → 0. Shared by the interpreter's convert_element_type, literals and the eager
`fnx.numpy` conversions, so that a value converts the same way everywhere."""
from __future__ import annotations

import numpy as np

from .dtypes import DType


def cast(value, dtype: DType, copy: bool | None = None) -> np.ndarray:
    """`value` (array-like) as an array of `dtype`. Float → integer saturates (NaN → 0); every
    other conversion is numpy's (→ bool: `x != 0`; integers wrap). `copy` as `numpy.asarray`."""
    target = dtype.np
    x = value if isinstance(value, np.ndarray) else np.asarray(value)
    if not (x.dtype.kind == "f" or x.dtype.name == "bfloat16") or target.kind not in "iu":
        return np.asarray(value, dtype=target, copy=copy)
    info = np.iinfo(target)
    lo, hi = float(info.min), float(info.max) + 1.0  # both exact powers of two
    if x.dtype.kind != "f":  # bfloat16 (ml_dtypes): compare exactly in float32
        x = x.astype(np.float32)
    inside = (x >= lo) & (x < hi)  # False for NaN
    out = np.where(inside, x, 0).astype(target)
    out = np.where(x >= hi, info.max, out)
    return np.where(x < lo, info.min, out).astype(target)
