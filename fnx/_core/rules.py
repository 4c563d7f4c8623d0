"""Where each primitive's transformation rules are collected, and refused when incomplete.

The family files in `fnx/_rules/` call `define(...)` once per primitive, so a
primitive's public binder, numpy implementation, tangent rule, transpose, batching
rule, partial-evaluation and dead-code rules sit in one block. Signatures:

    impl(*arrays, **params) -> array | list[array]         eager / interpreter
    jvp(primals, tangents, **params) -> (outs, out_tangents)   tangents: None is a zero
    transpose(cts, *args, **params) -> list                 args: `UndefinedPrimal` marks
                                                            the linear inputs; None ct = zero
    batch(args, dims, **params) -> (outs, out_dims)         dims: batch axis or None
    partial_eval(eqn, in_unknowns) -> (known_eqns, unknown_eqns, out_unknowns)   optional
    dce(eqn, used_outputs, dce) -> eqn                      optional (fnx_ir/passes/dce.py)

`impl`, `jvp` and `batch` are required, and `transpose` too for a primitive the table
says is linear (`linear_in`); a primitive without a derivative says so with
`jvp=NOT_DIFFERENTIABLE`. `define` refuses anything less, naming the primitive and the
missing rule, and `check_complete` refuses a table row without rules.
Single-result primitives return/receive plain values; multi-result ones lists (the
table's `multiple_results`).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

import fnx_ir
from fnx_ir.passes.dce import register_dce_rule

_STORAGE_FLOATS = frozenset(d.np for d in fnx_ir.ALL_DTYPES if d.is_storage_float)


class _Marker:
    """A named stand-in for a rule that is absent on purpose."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


# `jvp=NOT_DIFFERENTIABLE`: differentiating the primitive is an error (as in JAX for pmax).
NOT_DIFFERENTIABLE = _Marker("NOT_DIFFERENTIABLE")


class IncompleteRulesError(TypeError):
    """A primitive registered without a rule every primitive of its kind needs."""


class Rules(NamedTuple):
    impl: Callable
    jvp: Callable | None           # None: NOT_DIFFERENTIABLE
    transpose: Callable | None     # None: not linear
    batch: Callable
    partial_eval: Callable | None  # None: the generic split of `ad.partial_eval`
    multiple_results: bool         # (the table's trait, here for the hot paths)
    binder: Callable | None        # the public `fnx.lax` function, if there is one


RULES: dict[str, Rules] = {}


def define(name: str, *, impl: Callable, jvp: Callable | _Marker, batch: Callable,
           transpose: Callable | None = None, binder: Callable | None = None,
           partial_eval: Callable | None = None, dce: Callable | None = None) -> None:
    """Register the rules of primitive `name` (a row of the fnx_ir table), refusing an
    incomplete set with an `IncompleteRulesError` naming the primitive and the rule."""
    prim = fnx_ir.get_primitive(name)
    if name in RULES:
        raise ValueError(f"rules for {name} are already defined")
    given = {"impl": impl, "jvp": jvp, "batch": batch}
    if prim.linear_in:
        given["transpose"] = transpose
    why = {"jvp": " (say jvp=NOT_DIFFERENTIABLE if it has no derivative)",
           "transpose": f" (the table says it is linear in {prim.linear_in!r})"}
    missing = [f"{rule} rule{why.get(rule, '')}" for rule, fn in given.items() if fn is None]
    if missing:
        raise IncompleteRulesError(f"primitive {name}: missing {' and '.join(missing)}")
    if not prim.moves_bits:
        impl = _computing_in_float32(impl)
    if dce is not None:
        register_dce_rule(name, dce)
    RULES[name] = Rules(impl, None if jvp is NOT_DIFFERENTIABLE else jvp, transpose, batch,
                        partial_eval, prim.multiple_results, binder)


def check_complete() -> None:
    """Refuse a table whose primitives do not all have rules (run once all families are in)."""
    missing = sorted(set(fnx_ir.PRIMITIVES) - set(RULES))
    if missing:
        raise IncompleteRulesError(f"primitives without rules (define them in fnx/_rules): "
                                   f"{missing}")


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
