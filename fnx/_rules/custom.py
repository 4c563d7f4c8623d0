"""Primitives holding nested Programs for user-defined derivatives and rematerialisation.

- `custom_jvp_call[call, jvp, num_consts](*args, *consts)`: `call` computes the function;
  `jvp` (args, tangents, consts → outs, out tangents) is the user's rule (`fnx.custom_jvp`),
  a `Rule`: a Python function called only when a transformation differentiates the call.
- `custom_vjp_call[call, fwd, bwd, num_consts](*args, *consts)`: `fwd` (args,
  consts → outs, residuals) and `bwd` (residuals, output cotangents, consts → argument
  cotangents) are the user's rules (`fnx.custom_vjp`), `Rule`s.
- `custom_lin[bwd, num_res, num_consts](*residuals, *consts, *tangents)`: the linear map
  whose transpose is `bwd`; it appears only in the linear part of a derivative of a
  `custom_vjp_call` and cannot be evaluated forward (as in JAX).
- `checkpoint[program, prevent_cse, policy](*args)`: evaluates `program`; under
  reverse-mode differentiation its partial-evaluation rule saves only the inputs and the
  values `policy` allows (None: nothing) and recomputes the rest in the backward pass
  (`fnx.checkpoint`). `prevent_cse` asks passes not to merge the recomputation with the
  forward computation (keep the equation opaque, do not inline it).
- `name[name](x)`: the identity, naming `x` for checkpoint policies
  (`fnx.ad_checkpoint.checkpoint_name`); transparent to every transformation, an
  elementwise identity for backends.

Each primitive's `impl` evaluates the nested program with the interpreter; `jvp`,
`transpose` and `batch` rules are defined here; their rows (types and traits) are in the
primitive table, `fnx_ir/primitives.py`.
"""
from __future__ import annotations

import numpy as np

import fnx_ir
from fnx_ir import Equation, Program, ShapedType
from fnx_ir.passes.dce import dce
from fnx_ir.primitives import custom_lin_out_types

from .._core.ops import reduce_sum
from .._core import ad as _ad
from .._core import batching as bat
from .._core.evaluate import evaluate as _evaluate
from .._core.rules import define
from .._core.trace import bind, eval_program, trace_flat, type_of
from .._core.user_rule import Rule, apply_rule as _apply, force


def _differentiated_closure_error(kind: str):
    return TypeError(
        f"differentiation of a {kind} function with respect to a value it closes over "
        "(a traced value of an enclosing transformation) is not supported: pass that "
        "value as an explicit argument of the function instead")


# ------------------------------------------------------------------- impl

def _call_impl(*args, call, **params):
    return _evaluate(call, args)


def _checkpoint_impl(*args, program, **params):
    return _evaluate(program, args)


def _custom_lin_impl(*args, **params):
    raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function "
                    "(fnx.jvp, fnx.linearize and fnx.jacfwd need a custom_jvp rule)")


# ------------------------------------------------------------------- jvp

def _custom_jvp_call_jvp(primals, tangents, *, call, jvp, num_consts):
    n = len(primals) - num_consts
    if any(t is not None for t in tangents[n:]):
        raise _differentiated_closure_error("custom_jvp")
    args, consts = list(primals[:n]), list(primals[n:])
    res = _apply(jvp, args + list(tangents[:n]) + consts)  # None: symbolic zeros
    n_out = len(call.outputs)
    return res[:n_out], res[n_out:]


def _custom_vjp_call_jvp(primals, tangents, *, call, fwd, bwd, num_consts):
    n = len(primals) - num_consts
    if any(t is not None for t in tangents[n:]):
        raise _differentiated_closure_error("custom_vjp")
    n_out = len(call.outputs)
    res = _apply(fwd, list(primals), perturbed=[t is not None for t in tangents[:n]])
    outs, residuals = res[:n_out], res[n_out:]
    if all(t is None for t in tangents[:n]):
        return outs, [None] * n_out
    ts = [_ad.instantiate(t, p) for t, p in zip(tangents[:n], primals[:n], strict=True)]
    consts = list(primals[n:])
    lin_rule = bwd
    if isinstance(bwd, Rule):  # its argument types are known now
        lin_rule = bwd.typed([type_of(r).strong() for r in residuals]
                             + [t.strong() for t in call.out_types]
                             + [type_of(c) for c in consts])
    touts = bind("custom_lin", *residuals, *consts, *ts, bwd=lin_rule,
                 num_res=len(residuals), num_consts=num_consts)
    return outs, touts


def _custom_lin_jvp(primals, tangents, **params):
    _custom_lin_impl()


def _checkpoint_jvp(primals, tangents, *, program, **params):
    diff = [t is not None for t in tangents]
    J, nonzero = _ad.jvp_program(program, diff)
    outs = bind("checkpoint", *primals, *[t for t in tangents if t is not None],
                program=J, **params)
    n = len(program.outputs)
    it = iter(outs[n:])
    return outs[:n], [next(it) if z else None for z in nonzero]


# ------------------------------------------------------------------- transpose

def _custom_lin_transpose(cts, *args, bwd, num_res, num_consts):
    res = list(args[:num_res])
    consts = list(args[num_res:num_res + num_consts])
    arg_cts = _apply(bwd, res + list(cts) + consts)  # None: symbolic zeros
    return [None] * (num_res + num_consts) + list(arg_cts)


def _known_only(pe: _ad.PartialEval, keep_outputs: bool) -> Program:
    """The known program of a partial evaluation with only its outputs (or only residuals)."""
    known = pe.known
    n_res = pe.num_res
    n_out = len(known.outputs) - n_res
    outs = known.outputs[:n_out] if keep_outputs else known.outputs[n_out:]
    return dce(Program(known.inputs, known.constants, known.equations, outs))


def _checkpoint_transpose(cts, *args, program, **params):
    """Rematerialise: recompute the known part (one opaque checkpoint equation), then
    transpose the linear part with those residuals."""
    unknowns = [_ad.is_undefined(a) for a in args]
    pe = _ad.partial_eval(program, unknowns)
    known_args = [a for a, u in zip(args, unknowns, strict=True) if not u]
    recompute = _known_only(pe, keep_outputs=False)
    if not recompute.equations:
        residuals = eval_program(recompute, known_args)
    else:
        residuals = bind("checkpoint", *known_args, program=recompute, **params)
    lin_cts = [c for c, u in zip(cts, pe.out_unknowns, strict=True) if u]
    undefined = [a for a in args if _ad.is_undefined(a)]
    in_cts = _ad.backward_pass(pe.unknown, list(residuals) + undefined, lin_cts)
    it = iter(in_cts[pe.num_res:])
    return [next(it) if u else None for u in unknowns]


def _saveable(policy, eq: Equation) -> bool:
    """Whether a checkpoint policy lets the outputs of `eq` be saved (None: nothing)."""
    return policy is not None and bool(
        policy(eq.primitive, *[x.type for x in eq.inputs], **eq.params))


def _checkpoint_partial_eval(eq: Equation, in_unknowns):
    """Known side: a checkpoint of the known part whose extra outputs are the values the
    policy saves. Unknown side: a checkpoint that recomputes the other known values the
    linear part reads (from the checkpoint's inputs and the saved values), then does the
    unknown part. With no policy only the checkpoint's inputs are saved."""
    q, policy = eq.params["program"], eq.params["policy"]
    pe = _ad.partial_eval(q, in_unknowns)
    out_unk = pe.out_unknowns
    known = pe.known
    n_kout = len(known.outputs) - pe.num_res
    known_in = {v for v, u in zip(q.inputs, in_unknowns, strict=True) if not u}
    const_vars = {v for v, _ in q.constants}
    producer = {o: e for e in known.equations for o in e.outputs}
    saved: dict = {}   # (ordered) values of q saved for the unknown side
    want: set = set()  # values the unknown side recomputes

    def need(v) -> None:
        if not isinstance(v, fnx_ir.Var) or v in known_in or v in const_vars or v in saved:
            return
        if _saveable(policy, producer[v]):
            saved[v] = None
        else:
            want.add(v)

    for r in known.outputs[n_kout:]:
        need(r)
    recompute = []
    for e in reversed(known.equations):
        if any(o in want for o in e.outputs):
            recompute.append(e)
            for x in e.inputs:
                need(x)
    recompute.reverse()
    saved_vars = list(saved)
    saved_outer = [fnx_ir.Var(v.type) for v in saved_vars]
    outer = dict(zip(q.inputs, eq.inputs, strict=True))
    known_eqs, unknown_eqs = [], []
    known_outs = [o for o, u in zip(eq.outputs, out_unk, strict=True) if not u]
    if known_outs or saved_vars:
        qk = dce(Program(known.inputs, known.constants, known.equations,
                         known.outputs[:n_kout] + saved_vars))
        known_eqs.append(Equation("checkpoint", [outer[v] for v in known.inputs],
                                  known_outs + saved_outer, dict(eq.params, program=qk),
                                  eq.source))
    if any(out_unk):
        eqs = recompute + list(pe.unknown.equations)
        read = {x for e in eqs for x in e.inputs if isinstance(x, fnx_ir.Var)}
        read.update(x for x in pe.unknown.outputs if isinstance(x, fnx_ir.Var))
        ins = [v for v in q.inputs if v in known_in and v in read]
        u_ins = [v for v, u in zip(q.inputs, in_unknowns, strict=True) if u]
        qu = dce(Program(ins + saved_vars + u_ins, q.constants, eqs, pe.unknown.outputs))
        unknown_eqs.append(Equation(
            "checkpoint", [outer[v] for v in ins] + saved_outer + [outer[v] for v in u_ins],
            [o for o, u in zip(eq.outputs, out_unk, strict=True) if u], dict(eq.params, program=qu),
            eq.source))
    return known_eqs, unknown_eqs, out_unk




# ------------------------------------------------------------------- batching
# The nested programs are batched with `batching.batch_program` (every batched operand
# moved to axis 0, every result at axis 0), and the primitive is re-bound with them.

def _moved(args, dims):
    return [a if d is None else bat.moveaxis(a, d, 0) for a, d in zip(args, dims, strict=True)]


def _batched_program(program: Program, types, dims0, size: int, out_sum=None) -> Program:
    """`program` on operands of `types` (batched at axis 0 where `dims0[i] == 0`), with
    every result batched at axis 0, except results `i` with `out_sum[i]`, which are
    summed over the batch (cotangents of unbatched arguments)."""

    def fun(*xs):
        outs, out_dims = bat.batch_program(program, xs, dims0)
        res = []
        for i, (o, d) in enumerate(zip(outs, out_dims, strict=True)):
            if out_sum is not None and out_sum[i]:
                res.append(o if d is None else reduce_sum(o, (d,)))
            else:
                res.append(bat.matchaxis(o, d, size, 0))
        return res

    traced = trace_flat(fun, list(types), concrete=False, types=list(types))
    assert not traced.captured
    return traced.program


def _batch_setup(args, dims):
    size = bat.batch_size(args, dims)
    moved = _moved(args, dims)
    return moved, [type_of(a) for a in moved], [None if d is None else 0 for d in dims], size


def _checkpoint_batch(args, dims, *, program, **params):
    moved, types, dims0, size = _batch_setup(args, dims)
    pb = _batched_program(program, types, dims0, size)
    outs = bind("checkpoint", *moved, program=pb, **params)
    return outs, [0] * len(outs)


def _custom_jvp_call_batch(args, dims, *, call, jvp, num_consts):
    n = len(args) - num_consts
    moved, types, dims0, size = _batch_setup(args, dims)
    call_b = _batched_program(call, types, dims0, size)
    # the rule stays lazy: it runs only when the batched call is differentiated
    jvp_b = Rule(f"batched {jvp!r}", build=lambda: _batched_program(
        force(jvp), types[:n] + types[:n] + types[n:], dims0[:n] + dims0[:n] + dims0[n:],
        size))
    outs = bind("custom_jvp_call", *moved, call=call_b, jvp=jvp_b, num_consts=num_consts)
    return outs, [0] * len(outs)


def _custom_vjp_call_batch(args, dims, *, call, fwd, bwd, num_consts):
    n = len(args) - num_consts
    moved, types, dims0, size = _batch_setup(args, dims)
    call_b = _batched_program(call, types, dims0, size)
    fwd_b = Rule(f"batched {fwd!r}", build=lambda: _batched_program(force(fwd), types, dims0,
                                                                     size))
    n_out = len(call.outputs)

    def batch_bwd():
        # residuals and output cotangents (all batched at 0 now), then the consts; an
        # unbatched argument's cotangent is summed over the batch.
        lin_types = ([t.strong() for t in force(fwd_b).out_types[n_out:]]
                     + [t.strong() for t in call_b.out_types])
        return _batched_program(force(bwd), lin_types + types[n:],
                                [0] * len(lin_types) + dims0[n:], size,
                                out_sum=[d is None for d in dims0[:n]])
    bwd_b = Rule(f"batched {bwd!r}", build=batch_bwd)
    outs = bind("custom_vjp_call", *moved, call=call_b, fwd=fwd_b, bwd=bwd_b,
                num_consts=num_consts)
    return outs, [0] * len(outs)


define("custom_jvp_call", impl=_call_impl,
       jvp=_custom_jvp_call_jvp,
       batch=_custom_jvp_call_batch)

define("custom_vjp_call", impl=_call_impl,
       jvp=_custom_vjp_call_jvp,
       batch=_custom_vjp_call_batch)


def _custom_lin_batch(args, dims, *, bwd, num_res, num_consts):
    """Every result batched at 0; `bwd` batched to take those results' cotangents (batched
    at 0) and give each tangent's cotangent (summed over the batch for unbatched ones)."""
    moved, types, dims0, size = _batch_setup(args, dims)
    k = num_res + num_consts
    ct_types = [ShapedType((size,) + t.shape, t.dtype)
                for t in custom_lin_out_types(bwd, num_res, num_consts)]
    bwd_b = _batched_program(force(bwd), types[:num_res] + ct_types + types[num_res:k],
                             dims0[:num_res] + [0] * len(ct_types) + dims0[num_res:k],
                             size, out_sum=[d is None for d in dims0[k:]])
    outs = bind("custom_lin", *moved, bwd=bwd_b, num_res=num_res, num_consts=num_consts)
    return outs, [0] * len(outs)


define("custom_lin", impl=_custom_lin_impl,
       jvp=_custom_lin_jvp,
       transpose=_custom_lin_transpose,
       batch=_custom_lin_batch)

define("checkpoint", impl=_checkpoint_impl,
       jvp=_checkpoint_jvp,
       transpose=_checkpoint_transpose,
       batch=_checkpoint_batch,
       partial_eval=_checkpoint_partial_eval)


# ------------------------------------------------------------------- name (identity)

def _name_jvp(primals, tangents, *, name):
    (x,), (t,) = primals, tangents
    return bind("name", x, name=name), (None if t is None else bind("name", t, name=name))


def _name_batch(args, dims, *, name):
    return bind("name", args[0], name=name), dims[0]


define("name", impl=lambda x, *, name: np.array(x),
       jvp=_name_jvp,
       transpose=lambda ct, x, *, name: [ct],
       batch=_name_batch)
