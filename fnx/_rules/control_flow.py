"""Control flow: `cond`, `while`, `scan` — numpy implementation, jvp, partial evaluation,
transpose and batching rules, side by side (the table entries are in fnx_ir/primitives.py;
the user API, which traces Python functions into the sub-programs, is fnx/_core/control_flow.py).

    cond[branches](index, *operands)                      -> branches[clamp(index)](*operands)
    while[cond, body, cond_nconsts, body_nconsts](*cond_consts, *body_consts, *carry) -> carry
    scan[body, length, reverse, num_consts, num_carry, unroll](*consts, *carry, *xs)
                                                          -> (*carry, *ys)

Every rule builds new closed sub-programs by tracing a small function over the old ones
(`jvp_eval`, `partial_eval`, `backward_pass`, `batch_program`), then re-binds the primitive;
so the program's size never depends on the trip count.

- **jvp**: the sub-programs are differentiated; a loop carry gets a tangent if its initial
  value has one or if the body gives it one (a fixed point), so every iteration has the same
  carry type.
- **partial evaluation** (their `partial_eval` rules): `cond` splits each branch into a known and an
  unknown branch; the known cond also returns the residuals of every branch (the union,
  zero-filled outside the taken branch), the unknown cond reads them. `scan` splits its body
  the same way; per-iteration residuals become extra stacked outputs (ys) of the known scan
  and extra scanned operands (xs) of the unknown one — residuals that are the body's own
  consts or scanned slices are passed as such instead of stacked copies. `while` keeps the
  known carries in a known loop and recomputes everything in the unknown one (as JAX), so
  forward mode (`linearize`, `jacfwd`) works; its transpose is an error.
- **transpose**: `cond` transposes every branch; `scan` runs the transposed body in the
  opposite direction, carrying the cotangents of the carry and accumulating those of the
  linear consts.
- **batching**: sub-programs are batched (batched operands at axis 0; a scanned operand's
  batch axis at 1). A batched `cond` index turns the cond into a select over every branch's
  result; a batched `while` predicate runs the loop until every member is done, keeping the
  carries of finished members (select); loop carries are batched to a fixed point.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

import fnx_ir
from fnx_ir import Equation, Literal, Program, ShapedType, Var
from fnx_ir.passes.control_flow import prune_cond, prune_scan, prune_while
from fnx_ir.passes.dce import dce

from .._core.ops import broadcast_in_dim, clamp
from .elementwise import eq, select
from .shape import full
from .reductions import reduce_or
from .._core import ad as _ad
from .._core import batching as bat
from .._core import control_flow as structured  # (the binders: tracing the branch/body functions)
from .._core import errors as _errors
from .._core.evaluate import evaluate as _evaluate
from .._core.rules import define
from .._core.trace import bind, eval_program, trace_flat, type_of


# =========================================================================== helpers

def _trace(fun: Callable, types: Sequence[ShapedType]) -> Program:
    """`fun(*tracers) -> list` traced abstractly on `types` into a closed Program."""
    types = list(types)
    traced = trace_flat(fun, types, concrete=False, types=types)
    assert not traced.captured, "control flow rule: a sub-program captured outer values"
    return traced.program


def _or(a: Sequence[bool], b: Sequence[bool]) -> list[bool]:
    return [bool(x or y) for x, y in zip(a, b, strict=True)]


def _pick(items: Sequence, mask: Sequence[bool], keep: bool = True) -> list:
    return [x for x, m in zip(items, mask, strict=True) if bool(m) == keep]


def _with_inputs(p: Program, inputs: Sequence[Var]) -> Program:
    return Program(list(inputs), p.constants, p.equations, p.outputs)


def _batched_type(t: ShapedType, size: int, axis: int = 0) -> ShapedType:
    shape = list(t.shape)
    shape.insert(axis, size)
    return ShapedType(tuple(shape), t.dtype, t.weak)


def _infer(primitive: str, inputs: Sequence, params: dict) -> list[ShapedType]:
    return fnx_ir.get_primitive(primitive).infer([x.type for x in inputs], params)


# --------------------------------------------------------------------------- jvp of a sub-program

def jvp_sub(program: Program, diff: Sequence[bool], instantiate: Sequence[bool]):
    """The jvp of a closed sub-program: `(J, nonzero, diff)`.

    `J` takes the inputs, then one tangent per input with `diff` (normalised to
    differentiable inputs, returned), and returns the outputs, then a tangent for every
    output that has a nonzero one or is marked in `instantiate` (zeros then);
    `nonzero[j]` says which outputs have a tangent in `J`."""
    diff = [bool(d) and _ad.differentiable(v.type) for v, d in zip(program.inputs, diff, strict=True)]
    n = len(program.inputs)
    box: list = []

    def fun(*args):
        it = iter(args[n:])
        ts = [next(it) if d else None for d in diff]
        outs, touts = _ad.jvp_eval(program, list(args[:n]), ts)
        res, nz = [], []
        for o, t, inst in zip(program.outputs, touts, instantiate, strict=True):
            if t is None and inst and _ad.differentiable(o.type):
                t = _ad.zeros_like_aval(o.type.strong())
            nz.append(t is not None)
            if t is not None:
                res.append(t)
        box.append(nz)
        return list(outs) + res

    types = program.in_types + [v.type.strong() for v, d in zip(program.inputs, diff, strict=True) if d]
    J = _trace(fun, types)
    return J, box[0], diff


def _jvp_fixed_point(program: Program, fixed: Sequence[bool], carry_nz: Sequence[bool],
                     after: Sequence[bool] = ()) -> list[bool]:
    """Carry tangents: start from those of the initial carry, add those the body produces."""
    carry_nz = list(carry_nz)
    while True:
        _, nz, _ = jvp_sub(program, list(fixed) + carry_nz + list(after),
                           [False] * len(program.outputs))
        new = _or(carry_nz, nz[:len(carry_nz)])
        if new == carry_nz:
            return carry_nz
        carry_nz = new


# --------------------------------------------------------------------------- partial eval

def pe_sub(program: Program, unknowns: Sequence[bool], force: Sequence[bool]):
    """Partial evaluation of a closed sub-program with some outputs forced unknown.

    Returns `(known, unknown, out_unknowns, num_res)`: `known` maps the known inputs to the
    known outputs (not forced) followed by the residuals; `unknown` maps the residuals and
    the unknown inputs to the unknown outputs (in order). A forced output that is in fact
    known becomes a residual the unknown program returns as it is."""
    pe = _ad.partial_eval(program, unknowns)
    out_uk = list(pe.out_unknowns)
    known, u = pe.known, pe.unknown
    n_kout = len(known.outputs) - pe.num_res
    kouts, res = known.outputs[:n_kout], known.outputs[n_kout:]
    known_pos = [j for j, f in enumerate(out_uk) if not f]
    keep = [kouts[k] for k, j in enumerate(known_pos) if not force[j]]
    extra = [kouts[k] for k, j in enumerate(known_pos) if force[j]]
    known2 = Program(known.inputs, known.constants, known.equations, keep + res + extra)
    extra_vars = [Var(x.type) for x in extra]
    u_it, e_it = iter(u.outputs), iter(extra_vars)
    outs = []
    for f, fo in zip(out_uk, force, strict=True):
        if f:
            outs.append(next(u_it))
        elif fo:
            outs.append(next(e_it))
    nres = pe.num_res
    unknown2 = Program(u.inputs[:nres] + extra_vars + u.inputs[nres:], u.constants,
                       u.equations, outs)
    return known2, unknown2, _or(out_uk, force), nres + len(extra)


def _known_outputs_only(program: Program, unknowns: Sequence[bool]) -> tuple[Program, list[bool]]:
    """The program on its known inputs, returning only its known outputs."""
    pe = _ad.partial_eval(program, unknowns)
    k = pe.known
    n = len(k.outputs) - pe.num_res
    return dce(Program(k.inputs, k.constants, k.equations, k.outputs[:n])), pe.out_unknowns


# --------------------------------------------------------------------------- batching

def batch_sub(program: Program, batched: Sequence[bool], size: int,
              force: Sequence[bool] | None = None) -> tuple[Program, list[bool]]:
    """A closed sub-program batched: inputs marked `batched` get a leading batch axis of
    `size`; an output is batched (at axis 0) if it depends on a batched input or is marked
    in `force`, and left unbatched otherwise. Returns `(program, out_batched)`."""
    force = [False] * len(program.outputs) if force is None else list(force)
    box: list = []

    def fun(*xs):
        outs, dims = bat.batch_program(program, xs, [0 if b else None for b in batched])
        res, flags = [], []
        for o, d, f in zip(outs, dims, force, strict=True):
            if d is None and not f:
                res.append(o)
                flags.append(False)
            else:
                res.append(bat.matchaxis(o, d, size, 0))
                flags.append(True)
        box.append(flags)
        return res

    types = [_batched_type(t, size) if b else t for t, b in zip(program.in_types, batched, strict=True)]
    return _trace(fun, types), box[0]


def _batch_setup(args, dims):
    size = bat.batch_size(args, dims)
    moved = [a if d is None else bat.moveaxis(a, d, 0) for a, d in zip(args, dims, strict=True)]
    return size, moved, [d is not None for d in dims]


def _to_front(x, batched: bool, size: int):
    return x if batched else bat.broadcast_batch(x, size, 0)


# =========================================================================== cond

def _clamp_index(index, n: int) -> int:
    return int(min(max(int(index), 0), n - 1))


def _cond_impl(index, *ops, branches):
    return _evaluate(branches[_clamp_index(index, len(branches))], ops)


def _cond_jvp(primals, tangents, *, branches):
    index, ops, ts = primals[0], list(primals[1:]), list(tangents[1:])
    n_out = len(branches[0].outputs)
    union = [False] * n_out
    for b in branches:
        _, nz, diff = jvp_sub(b, [t is not None for t in ts], [False] * n_out)
        union = _or(union, nz)
    progs = [jvp_sub(b, diff, union)[0] for b in branches]
    tin = [t for t, d in zip(ts, diff, strict=True) if d]
    outs = bind("cond", index, *ops, *tin, branches=tuple(progs))
    it = iter(outs[n_out:])
    return outs[:n_out], [next(it) if u else None for u in union]


def _cond_partial_eval(eq: Equation, in_unknowns):
    """Known cond: the known outputs, then the residuals of every branch (each branch fills
    the others' with zeros). Unknown cond: (index, residuals, unknown operands) → the
    unknown outputs."""
    if in_unknowns[0]:
        return [], [eq], [True] * len(eq.outputs)
    branches = eq.params["branches"]
    ops_uk = list(in_unknowns[1:])
    union = [False] * len(eq.outputs)
    for b in branches:
        union = _or(union, _ad.partial_eval(b, ops_uk).out_unknowns)
    splits = [pe_sub(b, ops_uk, union) for b in branches]
    n_kout = union.count(False)
    res_types = [[x.type for x in k.outputs[n_kout:]] for k, _, _, _ in splits]

    known_branches = []
    for i, (k, _, _, _) in enumerate(splits):
        def fun(*args, k=k, i=i):
            vals = eval_program(k, list(args))
            out = list(vals[:n_kout])
            for j, ts in enumerate(res_types):
                out += list(vals[n_kout:]) if j == i else [_ad.zeros_like_aval(t) for t in ts]
            return out
        known_branches.append(_trace(fun, k.in_types))
    index = eq.inputs[0]
    known_ops = _pick(eq.inputs[1:], ops_uk, False)
    kparams = dict(eq.params, branches=tuple(known_branches))
    ktypes = _infer("cond", [index] + known_ops, kparams)
    res_vars = [Var(t) for t in ktypes[n_kout:]]
    known_eqs = []
    if n_kout or res_vars:
        known_eqs.append(Equation("cond", [index] + known_ops,
                                  _pick(eq.outputs, union, False) + res_vars, kparams, eq.source))
    unknown_eqs = []
    if any(union):
        unknown_branches = []
        for i, (_, u, _, nres) in enumerate(splits):
            slots = []
            for j, ts in enumerate(res_types):
                slots += list(u.inputs[:nres]) if j == i else [Var(t) for t in ts]
            unknown_branches.append(_with_inputs(u, slots + list(u.inputs[nres:])))
        unknown_eqs.append(Equation(
            "cond", [index] + res_vars + _pick(eq.inputs[1:], ops_uk),
            _pick(eq.outputs, union), dict(eq.params, branches=tuple(unknown_branches)),
            eq.source))
    return known_eqs, unknown_eqs, union


def _cond_transpose(cts, index, *ops, branches):
    lin = [_ad.is_undefined(o) for o in ops]
    res = _pick(ops, lin, False)
    res_types = [type_of(r) for r in res]
    lin_types = [o.aval.strong() for o in _pick(ops, lin)]
    out_types = branches[0].out_types
    ct_nz = [c is not None for c in cts]
    ct_types = [t.strong() for t, nz in zip(out_types, ct_nz, strict=True) if nz]

    def transposed(b: Program) -> Program:
        def fun(*args):
            rit = iter(args[:len(res)])
            bp_args = [_ad.UndefinedPrimal(v.type) if l else next(rit)
                       for v, l in zip(b.inputs, lin, strict=True)]
            cit = iter(args[len(res):])
            full = [next(cit) if nz else None for nz in ct_nz]
            got = _ad.backward_pass(b, bp_args, full)
            return [_ad.instantiate(g, _ad.UndefinedPrimal(t))
                    for g, t in zip(_pick(got, lin), lin_types, strict=True)]
        return _trace(fun, res_types + ct_types)

    progs = tuple(transposed(b) for b in branches)
    outs = bind("cond", index, *res, *[c for c in cts if c is not None], branches=progs)
    it = iter(outs)
    return [None] + [next(it) if l else None for l in lin]


def _cond_batch(args, dims, *, branches):
    size, moved, flags = _batch_setup(args, dims)
    index, ops, ops_b = moved[0], moved[1:], flags[1:]
    n_out = len(branches[0].outputs)
    if not flags[0]:
        union = [False] * n_out
        for b in branches:
            union = _or(union, batch_sub(b, ops_b, size)[1])
        progs = tuple(batch_sub(b, ops_b, size, union)[0] for b in branches)
        outs = bind("cond", index, *ops, branches=progs)
        return outs, [0 if u else None for u in union]
    # A batched index: every branch runs on the whole batch, a select picks per member.
    it = type_of(index).dtype
    index = clamp(fnx_ir.literal(0, it), index, fnx_ir.literal(len(branches) - 1, it))
    results = []
    for b in branches:
        outs, odims = bat.batch_program(b, ops, [0 if f else None for f in ops_b])
        results.append([bat.matchaxis(o, d, size, 0) for o, d in zip(outs, odims, strict=True)])
    final = list(results[0])
    for k in range(1, len(branches)):
        hit = eq(index, full((size,), k, it))
        for j in range(n_out):
            shape = type_of(final[j]).shape
            pred = broadcast_in_dim(hit, shape, (0,))
            final[j] = select(pred, results[k][j], final[j])
    return final, [0] * n_out


define("cond", binder=structured.cond, impl=_cond_impl,
       jvp=_cond_jvp,
       transpose=_cond_transpose,
       batch=_cond_batch,
       partial_eval=_cond_partial_eval,
       dce=prune_cond)


# =========================================================================== while

WHILE_REVERSE_ERROR = (
    "Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with "
    "dynamic start/stop values. Try using lax.scan, or using fori_loop with static "
    "start/stop.")


def _split_while(args, cond_nconsts, body_nconsts):
    return (list(args[:cond_nconsts]), list(args[cond_nconsts:cond_nconsts + body_nconsts]),
            list(args[cond_nconsts + body_nconsts:]))


def _while_impl(*args, cond, body, cond_nconsts, body_nconsts):
    cc, bc, carry = _split_while(args, cond_nconsts, body_nconsts)
    carry = [np.asarray(c, dtype=v.type.dtype.np) for c, v in
             zip(carry, body.inputs[body_nconsts:], strict=True)]
    while _evaluate(cond, cc + carry)[0]:
        carry = _evaluate(body, bc + carry)
    return carry


def _while_jvp(primals, tangents, *, cond, body, cond_nconsts, body_nconsts):
    cc, bc, carry = _split_while(primals, cond_nconsts, body_nconsts)
    _, bct, ct = _split_while(tangents, cond_nconsts, body_nconsts)
    n = len(carry)
    bc_nz = [t is not None and _ad.differentiable(v.type)
             for t, v in zip(bct, body.inputs[:body_nconsts], strict=True)]
    carry_nz = [t is not None and _ad.differentiable(v.type)
                for t, v in zip(ct, body.inputs[body_nconsts:], strict=True)]
    carry_nz = _jvp_fixed_point(body, bc_nz, carry_nz)
    if not any(carry_nz):
        return bind("while", *primals, cond=cond, body=body, cond_nconsts=cond_nconsts,
                    body_nconsts=body_nconsts), [None] * n
    J, _, _ = jvp_sub(body, bc_nz + carry_nz, carry_nz)
    # J: (bc, carry, bc tangents, carry tangents) -> (carry, carry tangents); reorder the
    # inputs to (bc, bc tangents, carry, carry tangents).
    nb, nbt = len(bc), sum(bc_nz)
    ins = J.inputs
    J = _with_inputs(J, ins[:nb] + ins[nb + n:nb + n + nbt] + ins[nb:nb + n] + ins[nb + n + nbt:])
    carry_t_types = [v.type.strong() for v, nz in zip(body.inputs[body_nconsts:], carry_nz, strict=True) if nz]
    cond_j = _with_inputs(cond, list(cond.inputs) + [Var(t) for t in carry_t_types])
    ct_in = [_ad.instantiate(t, c) for t, c, nz in zip(ct, carry, carry_nz, strict=True) if nz]
    bct_in = [t for t, nz in zip(bct, bc_nz, strict=True) if nz]
    outs = bind("while", *cc, *bc, *bct_in, *carry, *ct_in, cond=cond_j, body=J,
                cond_nconsts=cond_nconsts, body_nconsts=nb + nbt)
    it = iter(outs[n:])
    return outs[:n], [next(it) if nz else None for nz in carry_nz]


def _while_partial_eval(eq: Equation, in_unknowns):
    """The known carries in a known loop; the whole loop (known values as residuals) for the
    unknown ones, as JAX does. Enough for forward mode; transposing it is an error."""
    p = eq.params
    nc, nb = p["cond_nconsts"], p["body_nconsts"]
    cc_uk, bc_uk, carry_uk = _split_while(in_unknowns, nc, nb)
    everything = ([], [eq], [True] * len(eq.outputs))
    if any(cc_uk):
        return everything
    while True:
        out_uk = _ad.partial_eval(p["body"], bc_uk + carry_uk).out_unknowns
        new = _or(carry_uk, out_uk)
        if new == carry_uk:
            break
        carry_uk = new
    cond_k, cond_uk = _known_outputs_only(p["cond"], cc_uk + carry_uk)
    if cond_uk[0]:
        return everything
    body = p["body"]  # (a carry may be unknown while the body's new value of it is known)
    body_k, _ = _known_outputs_only(Program(body.inputs, body.constants, body.equations,
                                            _pick(body.outputs, carry_uk, False)),
                                    bc_uk + carry_uk)
    cc, bc, carry = _split_while(eq.inputs, nc, nb)
    known_eqs = []
    if not all(carry_uk):
        known_eqs.append(Equation(
            "while", cc + _pick(bc, bc_uk, False) + _pick(carry, carry_uk, False),
            _pick(eq.outputs, carry_uk, False),
            dict(p, cond=cond_k, body=body_k, body_nconsts=bc_uk.count(False)), eq.source))
    unknown_eqs = []
    if any(carry_uk):
        outs = [o if u else Var(o.type) for o, u in zip(eq.outputs, carry_uk, strict=True)]
        unknown_eqs.append(Equation("while", eq.inputs, outs, p, eq.source))
    return known_eqs, unknown_eqs, carry_uk


def _while_transpose(cts, *args, **params):
    raise ValueError(_errors.at_source(WHILE_REVERSE_ERROR, _errors.user_source()))


def _while_batch(args, dims, *, cond, body, cond_nconsts, body_nconsts):
    size, moved, flags = _batch_setup(args, dims)
    cc, bc, carry = _split_while(moved, cond_nconsts, body_nconsts)
    cc_b, bc_b, carry_b = _split_while(flags, cond_nconsts, body_nconsts)
    while True:
        _, out_b = batch_sub(body, bc_b + carry_b, size)
        new = _or(carry_b, out_b)
        if new == carry_b:
            break
        carry_b = new
    _, pred_b = batch_sub(cond, cc_b + carry_b, size)
    if not pred_b[0]:
        cond_p, _ = batch_sub(cond, cc_b + carry_b, size)
        body_p, _ = batch_sub(body, bc_b + carry_b, size, carry_b)
        carry = [_to_front(c, was, size) if b else c
                 for c, b, was in zip(carry, carry_b, flags[cond_nconsts + body_nconsts:], strict=True)]
        outs = bind("while", *cc, *bc, *carry, cond=cond_p, body=body_p,
                    cond_nconsts=cond_nconsts, body_nconsts=body_nconsts)
        return outs, [0 if b else None for b in carry_b]
    # A batched predicate: every carry is batched; the loop runs while any member's predicate
    # holds, and the body leaves the carries of finished members as they are.
    carry_b = [True] * len(carry)
    carry = [_to_front(c, b, size) for c, b in zip(carry, flags[cond_nconsts + body_nconsts:], strict=True)]
    cond_p, _ = batch_sub(cond, cc_b + carry_b, size, [True])
    body_p, _ = batch_sub(body, bc_b + carry_b, size, carry_b)
    nc, nb = len(cc), len(bc)

    def any_cond(*a):
        (pred,) = eval_program(cond_p, list(a))
        return [reduce_or(pred, (0,))]

    def masked_body(*a):
        cc_v, bc_v, carry_v = a[:nc], a[nc:nc + nb], a[nc + nb:]
        (pred,) = eval_program(cond_p, list(cc_v) + list(carry_v))
        new = eval_program(body_p, list(bc_v) + list(carry_v))
        out = []
        for old, nw in zip(carry_v, new, strict=True):
            shape = type_of(old).shape
            out.append(select(broadcast_in_dim(pred, shape, (0,)), nw, old))
        return out

    cond_m = _trace(any_cond, cond_p.in_types)
    body_m = _trace(masked_body, cond_p.in_types[:nc] + body_p.in_types)
    outs = bind("while", *cc, *cc, *bc, *carry, cond=cond_m, body=body_m,
                cond_nconsts=nc, body_nconsts=nc + nb)
    return outs, [0] * len(outs)


define("while", binder=structured.while_loop, impl=_while_impl,
       jvp=_while_jvp,
       transpose=_while_transpose,  # (not linear: an error naming the way out)
       batch=_while_batch,
       partial_eval=_while_partial_eval,
       dce=prune_while)


# =========================================================================== scan

def _split_scan(args, num_consts, num_carry):
    return (list(args[:num_consts]), list(args[num_consts:num_consts + num_carry]),
            list(args[num_consts + num_carry:]))


def _scan_impl(*args, body, length, reverse, num_consts, num_carry, unroll):
    consts, carry, xs = _split_scan(args, num_consts, num_carry)
    xs = [np.asarray(x) for x in xs]
    ys = [np.empty((length,) + t.shape, t.dtype.np) for t in body.out_types[num_carry:]]
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        out = _evaluate(body, consts + carry + [x[i] for x in xs])
        carry = out[:num_carry]
        for y, o in zip(ys, out[num_carry:], strict=True):
            y[i] = o
    return [np.asarray(c, dtype=t.dtype.np) for c, t in
            zip(carry, body.in_types[num_consts:num_consts + num_carry], strict=True)] + ys


def _scan_jvp(primals, tangents, *, body, length, reverse, num_consts, num_carry, unroll):
    consts, carry, xs = _split_scan(primals, num_consts, num_carry)
    tc, tcarry, txs = _split_scan(tangents, num_consts, num_carry)
    ins = body.inputs
    nc, ncar, nx = len(consts), len(carry), len(xs)
    n_ys = len(body.outputs) - ncar

    def nz(ts, vs):
        return [t is not None and _ad.differentiable(v.type) for t, v in zip(ts, vs, strict=True)]
    c_nz = nz(tc, ins[:nc])
    carry_nz = nz(tcarry, ins[nc:nc + ncar])
    x_nz = nz(txs, ins[nc + ncar:])
    carry_nz = _jvp_fixed_point(body, c_nz, carry_nz, x_nz)
    if not (any(c_nz) or any(carry_nz) or any(x_nz)):
        outs = bind("scan", *primals, body=body, length=length, reverse=reverse,
                    num_consts=num_consts, num_carry=num_carry, unroll=unroll)
        return outs, [None] * len(outs)
    J, out_nz, _ = jvp_sub(body, c_nz + carry_nz + x_nz, carry_nz + [False] * n_ys)
    y_nz = out_nz[ncar:]
    nct, ncart = sum(c_nz), sum(carry_nz)
    i = J.inputs
    p_c, p_car, p_x = i[:nc], i[nc:nc + ncar], i[nc + ncar:nc + ncar + nx]
    t = i[nc + ncar + nx:]
    t_c, t_car, t_x = t[:nct], t[nct:nct + ncart], t[nct + ncart:]
    o = J.outputs
    p_out_car, p_ys = o[:ncar], o[ncar:ncar + n_ys]
    t_out_car, t_ys = o[ncar + n_ys:ncar + n_ys + ncart], o[ncar + n_ys + ncart:]
    J = Program(p_c + t_c + p_car + t_car + p_x + t_x, J.constants, J.equations,
                p_out_car + t_out_car + p_ys + t_ys)
    tc_in = [tt for tt, f in zip(tc, c_nz, strict=True) if f]
    tcar_in = [_ad.instantiate(tt, c) for tt, c, f in zip(tcarry, carry, carry_nz, strict=True) if f]
    tx_in = [tt for tt, f in zip(txs, x_nz, strict=True) if f]
    outs = bind("scan", *consts, *tc_in, *carry, *tcar_in, *xs, *tx_in, body=J, length=length,
                reverse=reverse, num_consts=nc + nct, num_carry=ncar + ncart, unroll=unroll)
    car_out, car_t = outs[:ncar], outs[ncar:ncar + ncart]
    rest = outs[ncar + ncart:]
    ys, ys_t = rest[:n_ys], rest[n_ys:]
    cit, yit = iter(car_t), iter(ys_t)
    return (car_out + ys,
            [next(cit) if f else None for f in carry_nz] + [next(yit) if f else None for f in y_nz])


def _scan_partial_eval(eq: Equation, in_unknowns):
    """Known scan: the known carries and ys, plus the per-iteration residuals as extra ys.
    Unknown scan: (residual consts, unknown consts; unknown carries; stacked residuals,
    residual xs, unknown xs) → the unknown carries and ys."""
    p = eq.params
    body = p["body"]
    nc, ncar = p["num_consts"], p["num_carry"]
    c_uk, carry_uk, x_uk = _split_scan(list(in_unknowns), nc, ncar)
    n_ys = len(body.outputs) - ncar
    while True:
        out_uk = _ad.partial_eval(body, c_uk + carry_uk + x_uk).out_unknowns
        new = _or(carry_uk, out_uk[:ncar])
        if new == carry_uk:
            break
        carry_uk = new
    kb, ub, out_uk, nres = pe_sub(body, c_uk + carry_uk + x_uk, carry_uk + [False] * n_ys)
    c_in, carry_in, x_in = _split_scan(eq.inputs, nc, ncar)
    b_c, _, b_x = _split_scan(body.inputs, nc, ncar)
    outer_const = {v: x for v, x, u in zip(b_c, c_in, c_uk, strict=True) if not u}
    outer_xs = {v: x for v, x, u in zip(b_x, x_in, x_uk, strict=True) if not u}
    n_kout = out_uk.count(False)
    res = kb.outputs[n_kout:]
    kinds = []  # per residual: ("const", operand) | ("xs", operand) | ("stack", None)
    for r in res:
        if isinstance(r, Literal):
            kinds.append(("const", r))
        elif r in outer_const:
            kinds.append(("const", outer_const[r]))
        elif r in outer_xs:
            kinds.append(("xs", outer_xs[r]))
        else:
            kinds.append(("stack", None))
    known_eqs = _hoist_invariant_residuals(kb, n_kout, c_uk.count(False),
                                           _pick(c_in, c_uk, False), kinds, eq.source)
    stacked = [r for r, (k, _) in zip(res, kinds, strict=True) if k == "stack"]
    length = p["length"]

    known_outs = _pick(eq.outputs, out_uk, False)
    stack_vars = [Var(ShapedType((length,) + r.type.shape, r.type.dtype, r.type.weak))
                  for r in stacked]
    if known_outs or stack_vars:
        kbody = dce(Program(kb.inputs, kb.constants, kb.equations,
                            kb.outputs[:n_kout] + stacked))
        kparams = dict(p, body=kbody, num_consts=c_uk.count(False),
                       num_carry=carry_uk.count(False))
        k_inputs = (_pick(c_in, c_uk, False) + _pick(carry_in, carry_uk, False)
                    + _pick(x_in, x_uk, False))
        ktypes = _infer("scan", k_inputs, kparams)
        stack_vars = [Var(t) for t in ktypes[n_kout:]]
        known_eqs.append(Equation("scan", k_inputs, known_outs + stack_vars, kparams,
                                  eq.source))
    unknown_eqs = []
    if any(out_uk):
        u_res, u_rest = ub.inputs[:nres], ub.inputs[nres:]
        n_ukc, n_ukcar = sum(c_uk), sum(carry_uk)
        u_c, u_car, u_x = u_rest[:n_ukc], u_rest[n_ukc:n_ukc + n_ukcar], u_rest[n_ukc + n_ukcar:]
        res_c = [v for v, (k, _) in zip(u_res, kinds, strict=True) if k == "const"]
        res_s = [v for v, (k, _) in zip(u_res, kinds, strict=True) if k == "stack"]
        res_x = [v for v, (k, _) in zip(u_res, kinds, strict=True) if k == "xs"]
        ubody = Program(res_c + u_c + u_car + res_s + res_x + u_x, ub.constants, ub.equations,
                        ub.outputs)
        op_c = [x for k, x in kinds if k == "const"]
        op_x = [x for k, x in kinds if k == "xs"]
        inputs = (op_c + _pick(c_in, c_uk) + _pick(carry_in, carry_uk) + stack_vars + op_x
                  + _pick(x_in, x_uk))
        unknown_eqs.append(Equation(
            "scan", inputs, _pick(eq.outputs, out_uk),
            dict(p, body=ubody, num_consts=len(res_c) + n_ukc, num_carry=n_ukcar), eq.source))
    return known_eqs, unknown_eqs, out_uk


def _hoist_invariant_residuals(kb: Program, n_kout: int, n_consts: int, outer_consts: list,
                               kinds: list, source) -> list[Equation]:
    """Residuals computed from the consts alone are the same at every iteration: compute
    them once, before the loop (the returned equations, reading the outer consts), and pass
    them to the unknown scan as consts instead of stacking a copy per iteration. Updates
    `kinds` in place."""
    res = kb.outputs[n_kout:]
    candidates = [k for k, (kind, _) in enumerate(kinds) if kind == "stack"]
    if not candidates or n_consts == 0:
        return []
    unknown = [False] * n_consts + [True] * (len(kb.inputs) - n_consts)
    pe = _ad.partial_eval(Program(kb.inputs, kb.constants, kb.equations, res), unknown)
    hoist = [k for k in candidates if not pe.out_unknowns[k]]
    if not hoist:
        return []
    inv, _ = _known_outputs_only(Program(kb.inputs, kb.constants, kb.equations,
                                         [res[k] for k in hoist]), unknown)
    if inv.constants:  # (cannot add constants to the enclosing program from here)
        return []
    env = dict(zip(inv.inputs, outer_consts, strict=True))
    eqs = []
    for e in inv.equations:
        outs = [Var(v.type) for v in e.outputs]
        eqs.append(Equation(e.primitive, [env.get(x, x) if isinstance(x, Var) else x
                                          for x in e.inputs], outs, e.params,
                            e.source or source))
        env.update(zip(e.outputs, outs, strict=True))
    for k, v in zip(hoist, inv.outputs, strict=True):
        kinds[k] = ("const", env.get(v, v) if isinstance(v, Var) else v)
    return eqs


def _scan_transpose(cts, *args, body, length, reverse, num_consts, num_carry, unroll):
    """Linear in the undefined consts, every carry and the undefined xs; the other consts
    and xs are residuals. The transposed body runs in the opposite direction carrying
    (accumulated const cotangents, carry cotangents) and maps the ys cotangents to the xs
    cotangents."""
    consts, carry, xs = _split_scan(args, num_consts, num_carry)
    c_lin = [_ad.is_undefined(a) for a in consts]
    x_lin = [_ad.is_undefined(a) for a in xs]
    b_c, b_car, b_x = _split_scan(body.inputs, num_consts, num_carry)
    res_c, res_x = _pick(consts, c_lin, False), _pick(xs, x_lin, False)
    carry_types = [v.type.strong() for v in b_car]
    lin_c_types = [v.type.strong() for v in _pick(b_c, c_lin)]
    lin_x_types = [v.type.strong() for v in _pick(b_x, x_lin)]
    ct_carry_out, ct_ys = list(cts[:num_carry]), list(cts[num_carry:])
    ys_nz = [c is not None for c in ct_ys]
    y_types = [t.strong() for t in body.out_types[num_carry:]]
    n_rc, n_acc, n_rx = len(res_c), len(lin_c_types), len(res_x)

    def body_t(*a):
        rc = iter(a[:n_rc])
        acc = a[n_rc:n_rc + n_acc]
        ct_car = a[n_rc + n_acc:n_rc + n_acc + num_carry]
        rest = a[n_rc + n_acc + num_carry:]
        rx, cy = iter(rest[:n_rx]), iter(rest[n_rx:])
        bp_args = ([_ad.UndefinedPrimal(v.type) if l else next(rc) for v, l in zip(b_c, c_lin, strict=True)]
                   + [_ad.UndefinedPrimal(v.type) for v in b_car]
                   + [_ad.UndefinedPrimal(v.type) if l else next(rx) for v, l in zip(b_x, x_lin, strict=True)])
        full = list(ct_car) + [next(cy) if nz else None for nz in ys_nz]
        got = _ad.backward_pass(body, bp_args, full)
        g_c, g_car, g_x = _split_scan(got, num_consts, num_carry)
        new_acc = [_ad.add_tangents(s, g) for s, g in zip(acc, _pick(g_c, c_lin), strict=True)]
        out_car = [_ad.instantiate(g, _ad.UndefinedPrimal(t)) for g, t in zip(g_car, carry_types, strict=True)]
        out_x = [_ad.instantiate(g, _ad.UndefinedPrimal(t))
                 for g, t in zip(_pick(g_x, x_lin), lin_x_types, strict=True)]
        return list(new_acc) + out_car + out_x

    types = ([type_of(r) for r in res_c] + lin_c_types + carry_types
             + [type_of(r).with_shape(type_of(r).shape[1:]) for r in res_x]
             + [t for t, nz in zip(y_types, ys_nz, strict=True) if nz])
    body_tp = _trace(body_t, types)
    acc0 = [_ad.zeros_like_aval(t) for t in lin_c_types]
    ct_car0 = [_ad.instantiate(c, _ad.UndefinedPrimal(t))
               for c, t in zip(ct_carry_out, carry_types, strict=True)]
    outs = bind("scan", *res_c, *acc0, *ct_car0, *res_x, *[c for c in ct_ys if c is not None],
                body=body_tp, length=length, reverse=not reverse, num_consts=n_rc,
                num_carry=n_acc + num_carry, unroll=unroll)
    acc, ct_car, ct_x = outs[:n_acc], outs[n_acc:n_acc + num_carry], outs[n_acc + num_carry:]
    ai, xi = iter(acc), iter(ct_x)
    return ([next(ai) if l else None for l in c_lin]
            + [c if _ad.is_undefined(a) else None for c, a in zip(ct_car, carry, strict=True)]
            + [next(xi) if l else None for l in x_lin])


def _scan_batch(args, dims, *, body, length, reverse, num_consts, num_carry, unroll):
    size = bat.batch_size(args, dims)
    consts, carry, xs = _split_scan(args, num_consts, num_carry)
    cd, card, xd = _split_scan(dims, num_consts, num_carry)
    consts = [c if d is None else bat.moveaxis(c, d, 0) for c, d in zip(consts, cd, strict=True)]
    carry = [c if d is None else bat.moveaxis(c, d, 0) for c, d in zip(carry, card, strict=True)]
    xs = [x if d is None else bat.moveaxis(x, d, 1) for x, d in zip(xs, xd, strict=True)]
    c_b = [d is not None for d in cd]
    carry_b = [d is not None for d in card]
    x_b = [d is not None for d in xd]
    n_ys = len(body.outputs) - num_carry
    while True:
        _, out_b = batch_sub(body, c_b + carry_b + x_b, size)
        new = _or(carry_b, out_b[:num_carry])
        if new == carry_b:
            break
        carry_b = new
    body_b, out_b = batch_sub(body, c_b + carry_b + x_b, size, carry_b + [False] * n_ys)
    carry = [_to_front(c, d is not None, size) if b else c
             for c, b, d in zip(carry, carry_b, card, strict=True)]
    outs = bind("scan", *consts, *carry, *xs, body=body_b, length=length, reverse=reverse,
                num_consts=num_consts, num_carry=num_carry, unroll=unroll)
    return outs, ([0 if b else None for b in carry_b]
                  + [1 if b else None for b in out_b[num_carry:]])


define("scan", binder=structured.scan, impl=_scan_impl,
       jvp=_scan_jvp,
       transpose=_scan_transpose,
       batch=_scan_batch,
       partial_eval=_scan_partial_eval,
       dce=prune_scan)
