"""Small helpers shared by the rule families and their binders."""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

import fnx_ir

from .._core.dtypes import canonical


def quiet(fn):
    """Run a numpy implementation without floating-point warnings: IEEE results
    (inf, nan) are the defined answers, as in JAX."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    return wrapper


def as_dtype(d: Any) -> fnx_ir.DType:
    """A binder's dtype argument: an IR `DType` as it is (fnx's own code and transformation
    rules re-emitting a program's types); a numpy/Python dtype as it exists under the x64
    switch (`np.float64` is float32 with x64 off, as in JAX)."""
    return d if isinstance(d, fnx_ir.DType) else canonical(fnx_ir.dtype(d))
