"""`jit[name, backend, program](*args)`: a nested `fnx.jit` (JAX's `pjit`) as one call equation.

Every transform rewrites through the sub-program and emits a `jit` equation again, so the
transformed function stays compiled:

- jvp: a call of the jvp'd program (primals and nonzero tangents in, outputs and nonzero
  output tangents out);
- partial evaluation: a known call (known inputs -> known outputs and residuals; residuals
  that are just known inputs are forwarded instead of returned) and an unknown call
  (residuals and unknown inputs -> unknown outputs);
- transpose: a call of the transposed linear program (non-linear inputs and nonzero
  cotangents in, the linear inputs' nonzero cotangents out);
- batching: a call of the batched program (batched operands moved to axis 0).

Derived programs are memoised per sub-program (and what the derivation depends on), so
repeated eager transforms of one jitted function reuse the same programs, and eager
evaluation (`impl`) compiles each of them once for the call's backend: `grad(jit(f))(x)`
eagerly runs a few compiled executables, not one numpy call per primitive. Backends see
no `jit` equations: `fnx.jit` inlines them before optimising (`fnx_ir.passes.inline_calls`).
"""
from __future__ import annotations

import threading
import weakref
from typing import Callable

import numpy as np

from fnx_ir import Equation, Program, Var
from fnx_ir.passes.control_flow import prune_call
from fnx_ir.passes.dce import dce

from .._core import ad as _ad
from .._core.api import default_backend, optimize
from ..backends.base import LoweringOptions, get_backend
from .._core import batching as _bat
from .._core import errors
from .._core.rules import define
from .._core.trace import bind, trace_flat
from .custom import _batch_setup


# ------------------------------------------------------------------- memo per program

_MEMO: dict[int, dict] = {}
_MEMO_LOCK = threading.Lock()


def memo(program: Program, key, build: Callable):
    """`build()`, remembered for as long as `program` lives, under `key`."""
    table = _MEMO.get(id(program))
    if table is None:
        with _MEMO_LOCK:
            table = _MEMO.get(id(program))
            if table is None:
                table = _MEMO[id(program)] = {}
                weakref.finalize(program, _MEMO.pop, id(program), None)
    hit = table.get(key)
    if hit is None:
        hit = table[key] = build()
    return hit


# ------------------------------------------------------------------- impl

def _compile(program: Program, backend: str | None):
    return get_backend(backend or default_backend()).lower(optimize(program),
                                                           LoweringOptions())


def _jit_impl(*args, program, name, backend):
    if memo(program, "collective", lambda: [_bat.uses_axis(program)])[0]:
        raise errors.UnboundAxisError(f"{name} holds a collective over a named axis that no "
                                    "vmap batches (unbound axis name)")
    exe = memo(program, ("executable", backend), lambda: _compile(program, backend))
    return exe(*[np.asarray(a, dtype=v.type.dtype.np) for v, a in zip(program.inputs, args, strict=True)])


# ------------------------------------------------------------------- jvp

def _jit_jvp(primals, tangents, *, program, name, backend):
    diff = tuple(t is not None and _ad.differentiable(v.type)
                 for t, v in zip(tangents, program.inputs, strict=True))
    if not any(diff):
        return bind("jit", *primals, program=program, name=name, backend=backend), \
            [None] * len(program.outputs)
    J, nonzero = memo(program, ("jvp", diff), lambda: _ad.jvp_program(program, diff))
    outs = bind("jit", *primals, *[t for t, d in zip(tangents, diff, strict=True) if d], program=J,
                name=f"jvp({name})", backend=backend)
    n = len(program.outputs)
    it = iter(outs[n:])
    return outs[:n], [next(it) if z else None for z in nonzero]


# ------------------------------------------------------------------- partial evaluation

def _split(program: Program, unknowns: tuple):
    """(known program, unknown program, out_unknowns, forwarded): the known program returns
    the known outputs and the residuals that are not known inputs; `forwarded[j]` is the
    position among the known inputs of residual `j`, or None if the known program makes it."""
    pe = _ad.partial_eval(program, unknowns)
    known = pe.known
    n_known_out = len(known.outputs) - pe.num_res
    position = {v: i for i, v in enumerate(known.inputs)}
    residuals = known.outputs[n_known_out:]
    forwarded = tuple(position.get(r) if isinstance(r, Var) else None for r in residuals)
    made = [r for r, f in zip(residuals, forwarded, strict=True) if f is None]
    known = dce(Program(known.inputs, known.constants, known.equations,
                        known.outputs[:n_known_out] + made))
    return known, pe.unknown, pe.out_unknowns, forwarded


def _jit_partial_eval(eq: Equation, in_unknowns):
    program, name = eq.params["program"], eq.params["name"]
    known, unknown, out_unk, forwarded = memo(
        program, ("partial_eval", tuple(in_unknowns)), lambda: _split(program, tuple(in_unknowns)))
    known_ins = [x for x, u in zip(eq.inputs, in_unknowns, strict=True) if not u]
    known_outs = [o for o, u in zip(eq.outputs, out_unk, strict=True) if not u]
    # (the residuals lead the unknown program's inputs: `forwarded` pairs with that prefix)
    made = [Var(t) for t, f in zip(unknown.in_types, forwarded) if f is None]
    known_eqs = []
    if known_outs or made:
        known_eqs.append(Equation("jit", known_ins, known_outs + made,
                                  dict(eq.params, program=known, name=f"known({name})"),
                                  eq.source))
    it = iter(made)
    residuals = [known_ins[f] if f is not None else next(it) for f in forwarded]
    unknown_eqs = []
    if any(out_unk):
        unknown_ins = [x for x, u in zip(eq.inputs, in_unknowns, strict=True) if u]
        unknown_eqs.append(Equation("jit", residuals + unknown_ins,
                                    [o for o, u in zip(eq.outputs, out_unk, strict=True) if u],
                                    dict(eq.params, program=unknown, name=f"linear({name})"),
                                    eq.source))
    return known_eqs, unknown_eqs, out_unk




# ------------------------------------------------------------------- transpose

def _transposed(program: Program, linear: tuple, ct_nonzero: tuple):
    """The transpose of `program` in its `linear` inputs as a program: (non-linear inputs,
    nonzero cotangents) -> the linear inputs' nonzero cotangents; and which are nonzero."""
    types = ([v.type for v, u in zip(program.inputs, linear, strict=True) if not u]
             + [t.strong() for t, nz in zip(program.out_types, ct_nonzero, strict=True) if nz])
    box = []

    def fun(*xs):
        it = iter(xs)
        args = [_ad.UndefinedPrimal(v.type) if u else next(it)
                for v, u in zip(program.inputs, linear, strict=True)]
        cts = [next(it) if nz else None for nz in ct_nonzero]
        res = [c for c, u in zip(_ad.backward_pass(program, args, cts), linear, strict=True) if u]
        box.append(tuple(c is not None for c in res))
        return [c for c in res if c is not None]

    traced = trace_flat(fun, types, concrete=False, types=types)
    assert not traced.captured, "jit transpose: the program captured outer values"
    return traced.program, box[0]


def _jit_transpose(cts, *args, program, name, backend):
    linear = tuple(_ad.is_undefined(a) for a in args)
    ct_nonzero = tuple(c is not None for c in cts)
    T, nonzero = memo(program, ("transpose", linear, ct_nonzero),
                      lambda: _transposed(program, linear, ct_nonzero))
    res = iter(bind("jit", *[a for a, u in zip(args, linear, strict=True) if not u],
                    *[c for c in cts if c is not None], program=T,
                    name=f"transpose({name})", backend=backend) if any(nonzero) else ())
    nz = iter(nonzero)
    return [(next(res) if next(nz) else None) if u else None for u in linear]


# ------------------------------------------------------------------- batching

def _batched(program: Program, types, dims0):
    """`program` batched on operands of `types` (batched at axis 0 where `dims0[i] == 0`):
    (the batched program, each result's batch dim: 0, or None where it is unbatched)."""
    box = []

    def fun(*xs):
        outs, out_dims = _bat.batch_program(program, xs, dims0)
        box.append([None if d is None else 0 for d in out_dims])
        return [o if d is None else _bat.moveaxis(o, d, 0) for o, d in zip(outs, out_dims, strict=True)]

    traced = trace_flat(fun, list(types), concrete=False, types=list(types))
    assert not traced.captured, "jit batching: the program captured outer values"
    return traced.program, box[0]


def _jit_batch(args, dims, *, program, name, backend):
    moved, types, dims0, size = _batch_setup(args, dims)
    key = ("batch", tuple(types), tuple(dims0), size, _bat.current_axis())
    pb, out_dims = memo(program, key, lambda: _batched(program, types, dims0))
    return bind("jit", *moved, program=pb, name=f"vmap({name})", backend=backend), out_dims


define("jit", impl=_jit_impl,
       jvp=_jit_jvp,
       transpose=_jit_transpose,
       batch=_jit_batch,
       partial_eval=_jit_partial_eval,
       dce=prune_call)
