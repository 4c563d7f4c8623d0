"""Primitives holding nested Programs for user-defined derivatives and rematerialisation.

- `custom_jvp_call[call, jvp, num_consts](*args, *consts)`: `call` computes the function;
  `jvp` (args, tangents, consts → outs, out tangents) is the user's rule (`fnx.custom_jvp`).
- `custom_vjp_call[call, fwd, bwd, num_consts, num_res](*args, *consts)`: `fwd` (args,
  consts → outs, residuals) and `bwd` (residuals, output cotangents, consts → argument
  cotangents) are the user's rules (`fnx.custom_vjp`).
- `custom_lin[bwd, num_res, num_consts](*residuals, *consts, *tangents)`: the linear map
  whose transpose is `bwd`; it appears only in the linear part of a derivative of a
  `custom_vjp_call` and cannot be evaluated forward (as in JAX).
- `checkpoint[program, prevent_cse](*args)`: evaluates `program`; under reverse-mode
  differentiation its partial-evaluation rule saves only the inputs and recomputes the
  rest in the backward pass (`fnx.checkpoint`). `prevent_cse` asks passes not to merge the
  recomputation with the forward computation (keep the equation opaque, do not inline it).

Each primitive's `impl` evaluates the nested program with the interpreter; `jvp`,
`transpose` and `batch` rules are defined here; the registration in the primitive
table is here too (fnx_ir does not know these primitives' rules, only their types).
"""
from __future__ import annotations

import numpy as np

import fnx_ir
from fnx_ir import Equation, Program, ShapedType

from .._core import ad as _ad
from .._core.rules import define
from .._core.trace import bind, eval_program, trace_flat, type_of


# ------------------------------------------------------------------- lazy nested programs

class LazyProgram:
    """A nested program traced on first use: the jvp rule of a `custom_jvp` function
    called inside its own rule (`return f(x), ...`), which cannot be traced eagerly
    without recursing forever. Prints as `<lazy ...>` (not representable in text)."""

    __slots__ = ("_build", "_program", "name")

    def __init__(self, build, name: str):
        self._build = build
        self._program = None
        self.name = name

    def force(self) -> Program:
        if self._program is None:
            self._program = self._build()
        return self._program

    def __repr__(self) -> str:
        return f"lazy {self.name}"


def force(p) -> Program:
    return p.force() if isinstance(p, LazyProgram) else p


# ------------------------------------------------------------------- table entries

def _check_inputs(prim: str, ins, expected) -> None:
    if len(ins) != len(expected):
        raise fnx_ir.IRTypeError(prim, f"takes {len(expected)} operands, got {len(ins)}")
    for i, (a, b) in enumerate(zip(ins, expected)):
        if a.shape != b.shape or a.dtype is not b.dtype:
            raise fnx_ir.IRTypeError(prim, f"operand {i} has type {a}, the nested program "
                                     f"expects {b}")


def _custom_jvp_call_type(prim, ins, *, call, jvp, num_consts):
    _check_inputs(prim, ins, call.in_types)
    return [t for t in call.out_types]


def _custom_vjp_call_type(prim, ins, *, call, fwd, bwd, num_consts, num_res):
    _check_inputs(prim, ins, call.in_types)
    return [t for t in call.out_types]


def _lin_out_types(bwd: Program, num_res: int, num_consts: int) -> list[ShapedType]:
    return bwd.in_types[num_res:len(bwd.in_types) - num_consts]


def _custom_lin_type(prim, ins, *, bwd, num_res, num_consts):
    n_args = len(bwd.outputs)
    expected = (bwd.in_types[:num_res] + bwd.in_types[len(bwd.in_types) - num_consts:]
                + [t for t in bwd.out_types])
    _check_inputs(prim, ins, expected)
    assert len(ins) == num_res + num_consts + n_args
    return _lin_out_types(bwd, num_res, num_consts)


def _checkpoint_type(prim, ins, *, program, prevent_cse):
    _check_inputs(prim, ins, program.in_types)
    return [t for t in program.out_types]


def _register(name, params, rule):
    if name not in fnx_ir.PRIMITIVES:
        fnx_ir.register(name, "custom", params, rule, None)


_register("custom_jvp_call", ("call", "jvp", "num_consts"), _custom_jvp_call_type)
_register("custom_vjp_call", ("call", "fwd", "bwd", "num_consts", "num_res"),
          _custom_vjp_call_type)
_register("custom_lin", ("bwd", "num_res", "num_consts"), _custom_lin_type)
_register("checkpoint", ("program", "prevent_cse"), _checkpoint_type)


# ------------------------------------------------------------------- impl

def _evaluate(program: Program, args) -> list[np.ndarray]:
    from ..backends.interpreter import evaluate
    arrays = [np.asarray(a, dtype=v.type.dtype.np) for v, a in zip(program.inputs, args)]
    return evaluate(program, arrays)


def _call_impl(*args, call, **params):
    return _evaluate(call, args)


def _checkpoint_impl(*args, program, prevent_cse):
    return _evaluate(program, args)


def _custom_lin_impl(*args, **params):
    raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function "
                    "(fnx.jvp, fnx.linearize and fnx.jacfwd need a custom_jvp rule)")


# ------------------------------------------------------------------- jvp

def _closure_error(kind: str):
    return TypeError(
        f"differentiation of a {kind} function with respect to a value it closes over "
        "(a traced value of an enclosing transformation) is not supported: pass that "
        "value as an explicit argument of the function instead")


def _custom_jvp_call_jvp(primals, tangents, *, call, jvp, num_consts):
    n = len(primals) - num_consts
    if any(t is not None for t in tangents[n:]):
        raise _closure_error("custom_jvp")
    args, consts = list(primals[:n]), list(primals[n:])
    ts = [_ad.instantiate(t, p) for t, p in zip(tangents[:n], args)]
    res = eval_program(force(jvp), args + ts + consts)
    n_out = len(call.outputs)
    return res[:n_out], res[n_out:]


def _custom_vjp_call_jvp(primals, tangents, *, call, fwd, bwd, num_consts, num_res):
    n = len(primals) - num_consts
    if any(t is not None for t in tangents[n:]):
        raise _closure_error("custom_vjp")
    n_out = len(call.outputs)
    res = eval_program(fwd, list(primals))
    outs, residuals = res[:n_out], res[n_out:]
    if all(t is None for t in tangents[:n]):
        return outs, [None] * n_out
    ts = [_ad.instantiate(t, p) for t, p in zip(tangents[:n], primals[:n])]
    touts = bind("custom_lin", *residuals, *primals[n:], *ts, bwd=bwd, num_res=num_res,
                 num_consts=num_consts)
    return outs, touts


def _custom_lin_jvp(primals, tangents, **params):
    _custom_lin_impl()


def _checkpoint_jvp(primals, tangents, *, program, prevent_cse):
    diff = [t is not None for t in tangents]
    J, nonzero = _ad.jvp_program(program, diff)
    outs = bind("checkpoint", *primals, *[t for t in tangents if t is not None],
                program=J, prevent_cse=prevent_cse)
    n = len(program.outputs)
    it = iter(outs[n:])
    return outs[:n], [next(it) if z else None for z in nonzero]


# ------------------------------------------------------------------- transpose

def _custom_lin_transpose(cts, *args, bwd, num_res, num_consts):
    res = list(args[:num_res])
    consts = list(args[num_res:num_res + num_consts])
    cts = [_ad.instantiate(c, _ad.UndefinedPrimal(t.strong()))
           for c, t in zip(cts, _lin_out_types(bwd, num_res, num_consts))]
    arg_cts = eval_program(bwd, res + cts + consts)
    return [None] * (num_res + num_consts) + list(arg_cts)


def _known_only(pe: _ad.PartialEval, keep_outputs: bool) -> Program:
    """The known program of a partial evaluation with only its outputs (or only residuals)."""
    known = pe.known
    n_res = pe.num_res
    n_out = len(known.outputs) - n_res
    outs = known.outputs[:n_out] if keep_outputs else known.outputs[n_out:]
    return _ad.dce(Program(known.inputs, known.constants, known.equations, outs))


def _checkpoint_transpose(cts, *args, program, prevent_cse):
    """Rematerialise: recompute the known part (one opaque checkpoint equation), then
    transpose the linear part with those residuals."""
    unknowns = [_ad.is_undefined(a) for a in args]
    pe = _ad.partial_eval(program, unknowns)
    known_args = [a for a, u in zip(args, unknowns) if not u]
    recompute = _known_only(pe, keep_outputs=False)
    if not recompute.equations:
        residuals = eval_program(recompute, known_args)
    else:
        residuals = bind("checkpoint", *known_args, program=recompute, prevent_cse=prevent_cse)
    lin_cts = [c for c, u in zip(cts, pe.out_unknowns) if u]
    undefined = [a for a in args if _ad.is_undefined(a)]
    in_cts = _ad.backward_pass(pe.unknown, list(residuals) + undefined, lin_cts)
    it = iter(in_cts[pe.num_res:])
    return [next(it) if u else None for u in unknowns]


def _checkpoint_partial_eval(eq: Equation, in_unknowns):
    """Known side: the checkpoint of the known part, without residual outputs. Unknown
    side: the whole sub-program (recomputing its known part) restricted to the unknown
    outputs; only the checkpoint's inputs become residuals."""
    q = eq.params["program"]
    pe = _ad.partial_eval(q, in_unknowns)
    out_unk = pe.out_unknowns
    known_eqs, unknown_eqs = [], []
    known_outs = [o for o, u in zip(eq.outputs, out_unk) if not u]
    if known_outs:
        qk = _known_only(pe, keep_outputs=True)
        known_ins = [x for x, u in zip(eq.inputs, in_unknowns) if not u]
        known_eqs.append(Equation("checkpoint", known_ins, known_outs,
                                  dict(eq.params, program=qk), eq.source))
    if any(out_unk):
        qu = _ad.dce(Program(q.inputs, q.constants, q.equations,
                             [o for o, u in zip(q.outputs, out_unk) if u]))
        unknown_eqs.append(Equation("checkpoint", eq.inputs,
                                    [o for o, u in zip(eq.outputs, out_unk) if u],
                                    dict(eq.params, program=qu), eq.source))
    return known_eqs, unknown_eqs, out_unk


_ad.PE_RULES["checkpoint"] = _checkpoint_partial_eval


# ------------------------------------------------------------------- batching
# The nested programs are batched with `batching.batch_program` (every batched operand
# moved to axis 0, every result at axis 0), and the primitive is re-bound with them.

def _moved(args, dims):
    from .._core import batching as bat
    return [a if d is None else bat.moveaxis(a, d, 0) for a, d in zip(args, dims)]


def _batched_program(program: Program, types, dims0, size: int, out_sum=None) -> Program:
    """`program` on operands of `types` (batched at axis 0 where `dims0[i] == 0`), with
    every result batched at axis 0, except results `i` with `out_sum[i]`, which are
    summed over the batch (cotangents of unbatched arguments)."""
    from .._core import batching as bat
    from .. import lax

    def fun(*xs):
        outs, out_dims = bat.batch_program(program, xs, dims0)
        res = []
        for i, (o, d) in enumerate(zip(outs, out_dims)):
            if out_sum is not None and out_sum[i]:
                res.append(o if d is None else lax.reduce_sum(o, (d,)))
            else:
                res.append(bat.matchaxis(o, d, size, 0))
        return res

    traced = trace_flat(fun, list(types), concrete=False, types=list(types))
    assert not traced.captured
    return traced.program


def _batch_setup(args, dims):
    from .._core import batching as bat
    size = bat.batch_size(args, dims)
    moved = _moved(args, dims)
    return moved, [type_of(a) for a in moved], [None if d is None else 0 for d in dims], size


def _checkpoint_batch(args, dims, *, program, prevent_cse):
    moved, types, dims0, size = _batch_setup(args, dims)
    pb = _batched_program(program, types, dims0, size)
    outs = bind("checkpoint", *moved, program=pb, prevent_cse=prevent_cse)
    return outs, [0] * len(outs)


def _custom_jvp_call_batch(args, dims, *, call, jvp, num_consts):
    n = len(args) - num_consts
    moved, types, dims0, size = _batch_setup(args, dims)
    call_b = _batched_program(call, types, dims0, size)
    def batch_jvp():
        return _batched_program(force(jvp), types[:n] + types[:n] + types[n:],
                                dims0[:n] + dims0[:n] + dims0[n:], size)
    # a lazy rule stays lazy (batching it now would trace it, and it may call itself)
    jvp_b = LazyProgram(batch_jvp, f"batched {jvp.name}") if isinstance(jvp, LazyProgram) \
        else batch_jvp()
    outs = bind("custom_jvp_call", *moved, call=call_b, jvp=jvp_b, num_consts=num_consts)
    return outs, [0] * len(outs)


def _custom_vjp_call_batch(args, dims, *, call, fwd, bwd, num_consts, num_res):
    n = len(args) - num_consts
    moved, types, dims0, size = _batch_setup(args, dims)
    call_b = _batched_program(call, types, dims0, size)
    fwd_b = _batched_program(fwd, types, dims0, size)
    # bwd: residuals and output cotangents (all batched at 0 now), then the consts; an
    # unbatched argument's cotangent is summed over the batch.
    n_out = len(call.outputs)
    lin_types = [t.strong() for t in fwd_b.out_types[n_out:]] + [t.strong() for t in call_b.out_types]
    bwd_b = _batched_program(bwd, lin_types + types[n:], [0] * len(lin_types) + dims0[n:],
                             size, out_sum=[d is None for d in dims0[:n]])
    outs = bind("custom_vjp_call", *moved, call=call_b, fwd=fwd_b, bwd=bwd_b,
                num_consts=num_consts, num_res=num_res)
    return outs, [0] * len(outs)


define("custom_jvp_call", impl=_call_impl, jvp=_custom_jvp_call_jvp,
       batch=_custom_jvp_call_batch, multiple_results=True)
define("custom_vjp_call", impl=_call_impl, jvp=_custom_vjp_call_jvp,
       batch=_custom_vjp_call_batch, multiple_results=True)
def _custom_lin_batch(args, dims, *, bwd, num_res, num_consts):
    """Every result batched at 0; `bwd` batched to take those results' cotangents (batched
    at 0) and give each tangent's cotangent (summed over the batch for unbatched ones)."""
    moved, types, dims0, size = _batch_setup(args, dims)
    k = num_res + num_consts
    ct_types = [ShapedType((size,) + t.shape, t.dtype)
                for t in _lin_out_types(bwd, num_res, num_consts)]
    bwd_b = _batched_program(bwd, types[:num_res] + ct_types + types[num_res:k],
                             dims0[:num_res] + [0] * len(ct_types) + dims0[num_res:k],
                             size, out_sum=[d is None for d in dims0[k:]])
    outs = bind("custom_lin", *moved, bwd=bwd_b, num_res=num_res, num_consts=num_consts)
    return outs, [0] * len(outs)


define("custom_lin", impl=_custom_lin_impl, jvp=_custom_lin_jvp,
       transpose=_custom_lin_transpose, batch=_custom_lin_batch, multiple_results=True)
define("checkpoint", impl=_checkpoint_impl, jvp=_checkpoint_jvp, transpose=_checkpoint_transpose,
       batch=_checkpoint_batch, multiple_results=True)
