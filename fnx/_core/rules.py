"""Where each primitive's transformation rules are collected.

The family files in `fnx/_rules/` call `define(...)` once per primitive, so a
primitive's numpy implementation, tangent rule, transpose and batching rule sit
side by side. Signatures:

    impl(*arrays, **params) -> array | list[array]         eager / interpreter
    jvp(primals, tangents, **params) -> (outs, out_tangents)   tangents: None is a zero
    transpose(cts, *args, **params) -> list                 args: `UndefinedPrimal` marks
                                                            the linear inputs; None ct = zero
    batch(args, dims, **params) -> (outs, out_dims)         dims: batch axis or None

Rules compute with `fnx.lax` functions, so they work on numpy arrays and tracers alike.
Single-result primitives return/receive plain values; multi-result ones lists.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

import fnx_ir
from fnx_ir.primitives import MOVES_BITS

_STORAGE_FLOATS = frozenset(d.np for d in fnx_ir.ALL_DTYPES if d.is_storage_float)


class Rules(NamedTuple):
    impl: Callable
    jvp: Callable | None
    transpose: Callable | None
    batch: Callable | None
    multiple_results: bool


RULES: dict[str, Rules] = {}


def define(name: str, *, impl: Callable, jvp: Callable | None = None,
           transpose: Callable | None = None, batch: Callable | None = None,
           multiple_results: bool = False) -> None:
    """Register the rules of primitive `name` (which must be in the fnx_ir table)."""
    fnx_ir.get_primitive(name)
    if name in RULES:
        raise ValueError(f"rules for {name} are already defined")
    if name not in MOVES_BITS:
        impl = _computing_in_float32(impl)
    RULES[name] = Rules(impl, jvp, transpose, batch, multiple_results)


def _computing_in_float32(impl: Callable) -> Callable:
    """`impl`, computing on float16/bfloat16 operands in float32 and rounding its results once
    (XLA's CPU semantics; numpy would round after every step of a sum, dot or power)."""
    def run(*args, **params):
        storage = next((a.dtype for a in args if isinstance(a, (np.ndarray, np.generic))
                        and a.dtype in _STORAGE_FLOATS), None)
        if storage is None:
            return impl(*args, **params)
        res = impl(*(np.asarray(a, np.float32) if getattr(a, "dtype", None) == storage else a
                     for a in args), **params)
        down = [r.astype(storage) if np.asarray(r).dtype == np.float32 else r
                for r in (res if isinstance(res, list) else [res])]
        return down if isinstance(res, list) else down[0]
    return run


def rules(name: str) -> Rules:
    try:
        return RULES[name]
    except KeyError:
        raise NotImplementedError(f"primitive {name} has no fnx rules") from None
