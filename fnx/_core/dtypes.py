"""Dtypes under the x64 switch: defaults, canonicalisation of inputs, explicit requests.

With x64 off (the default) fnx has no 64-bit values, as JAX: a float64/int64/uint64 input
(numpy array or scalar) becomes float32/int32/uint32 where it enters fnx (an `fnx.numpy`
function, a `jit`/`grad`/`vmap` argument, a captured constant, an eager primitive), Python
scalars get 32-bit weak dtypes, and an explicitly requested 64-bit dtype is narrowed with
JAX's warning. With x64 on everything is as requested.
"""
from __future__ import annotations

import warnings

import numpy as np

import fnx_ir
from fnx_ir import DType

from .config import x64_enabled

_NARROW_NP = {np.dtype(np.float64): np.dtype(np.float32), np.dtype(np.int64): np.dtype(np.int32),
              np.dtype(np.uint64): np.dtype(np.uint32)}


def default_float() -> DType:
    """float64 with x64 on, else float32 (`fnp.zeros(3)`, `fnp.mean` of integers, ...)."""
    return fnx_ir.float64 if x64_enabled() else fnx_ir.float32


def default_int() -> DType:
    """int64 with x64 on, else int32 (`fnp.arange(3)`, indices, ...)."""
    return fnx_ir.int64 if x64_enabled() else fnx_ir.int32


def canonical(d: DType) -> DType:
    """`d` as it exists under the current switch (float64 → float32 with x64 off)."""
    return fnx_ir.canonical(d, x64_enabled())


def canonical_np(d: np.dtype) -> np.dtype:
    """A numpy dtype as it exists under the current switch."""
    narrow = _NARROW_NP.get(d)
    return d if narrow is None or x64_enabled() else narrow


def canonical_array(x):
    """A numpy array (or numpy scalar, as a 0-d array) of a canonical dtype (a copy only if
    it had to narrow); anything else is returned as it is."""
    if isinstance(x, np.generic):
        x = np.asarray(x)
    if isinstance(x, np.ndarray) and x.dtype in _NARROW_NP and not x64_enabled():
        return x.view(np.ndarray).astype(_NARROW_NP[x.dtype])  # (numpy's cast: fnx.Array's
    return x                                                   # astype comes back here)


def requested(d: DType, fn: str) -> DType:
    """An explicitly requested dtype `d` (the `dtype=` of `fn`): narrowed, with JAX's
    warning, when it is 64-bit and x64 is off."""
    c = canonical(d)
    if c is not d:
        warnings.warn(
            f"Explicitly requested dtype {d.name} requested in {fn} is not available, and will "
            f"be truncated to dtype {c.name}. To enable more dtypes, set the jax_enable_x64 "
            "configuration option (fnx.config.update('jax_enable_x64', True)) or the "
            "JAX_ENABLE_X64 / FNX_ENABLE_X64 shell environment variable.", UserWarning,
            stacklevel=_user_stacklevel())
    return c


def _user_stacklevel() -> int:
    """The stack level of the first frame outside fnx (so the warning names the user's line)."""
    import sys
    f, level = sys._getframe(1), 1
    while f is not None and (f.f_globals.get("__name__", "").startswith("fnx.")
                             or f.f_globals.get("__name__") == "fnx"):
        f, level = f.f_back, level + 1
    return level


def promote(*operands: tuple[DType, bool]) -> tuple[DType, bool]:
    """JAX's promotion of `(dtype, weak)` operands under the current switch."""
    return fnx_ir.promote(*operands, x64=x64_enabled())


def to_inexact(d: DType, weak: bool = False) -> DType:
    """The float dtype JAX computes a transcendental of `d` in, under the current switch."""
    return fnx_ir.to_inexact(d, weak, x64_enabled())


def python_scalar_type(x) -> fnx_ir.ShapedType:
    """The abstract type of a Python bool/int/float: weak except a bool (as in JAX)."""
    return fnx_ir.ShapedType((), fnx_ir.python_scalar_dtype(x, x64_enabled()),
                             not isinstance(x, bool))
