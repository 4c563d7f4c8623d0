"""Automatic differentiation as `Program → Program` transforms.

Three transforms, each driven by one rule per primitive (see `fnx/_core/rules.py`):

- **jvp** (`jvp_eval`, `jvp_program`): walk a program's equations and bind each
  primitive's `jvp` rule, carrying a tangent per value. A tangent of `None` is a
  *symbolic zero*: equations whose inputs all have zero tangents are re-bound as
  they are, and no tangent work is emitted for them.
- **partial evaluation** (`partial_eval`): split a program by forward dataflow
  from a set of *unknown* inputs (the tangents) into a *known* program (primal
  work, plus the residuals the tangent side needs) and an *unknown* program
  (residuals + tangents → output tangents), which is linear in the tangents.
  Primitives may define a custom split, their `partial_eval` rule (`checkpoint` does,
  to recompute instead of saving residuals).
- **transpose** (`backward_pass`): walk a linear program backwards calling each
  primitive's `transpose` rule, with `UndefinedPrimal` markers for the linear
  inputs, accumulating cotangents with `add`; a `None` cotangent is a zero.

`linearize_flat` = jvp + partial eval: it evaluates the known program in the
current context (eagerly on numpy values, or into the active trace — which is
how nested transforms inline into the outer trace) and returns a `Linearized`
holding the residuals and the linear program, which can be evaluated forward
(`jvp`) or transposed (`vjp`). The user API (`fnx.grad`, …) is in `ad_api.py`.

This module also has the helpers rule authors use (`jvp_rule`, `linear_jvp`,
`zero_jvp`, `zeros_like_aval`, `instantiate`, `UndefinedPrimal`).
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np

import fnx_ir
from fnx_ir import Equation, Literal, Program, ShapedType, Var
from fnx_ir.passes.dce import dce

from . import errors, ops
from .rules import rules
from .trace import (bind, current, eval_program, rebind, source_looked_up_once, trace_flat,
                    type_of, value_of)


# =========================================================================== markers and zeros

class UndefinedPrimal:
    """A linear input of an equation being transposed: only its type is known."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedType):
        self.aval = aval

    def __repr__(self) -> str:
        return f"UndefinedPrimal({self.aval})"


def is_undefined(x) -> bool:
    return type(x) is UndefinedPrimal


def aval_of(x) -> ShapedType:
    """The type of a value, or of an `UndefinedPrimal`."""
    return x.aval if type(x) is UndefinedPrimal else type_of(x)


def differentiable(t: ShapedType) -> bool:
    """Only floating-point values carry tangents; integers and bools get symbolic zeros."""
    return t.dtype.is_float


def zeros_like_aval(aval: ShapedType):
    """Zeros of a type: a numpy array eagerly, a broadcast literal inside a trace."""
    if current() is None:
        return np.zeros(aval.shape, aval.dtype.np)
    return ops.broadcast_in_dim(fnx_ir.literal(0, aval.dtype), aval.shape, ())


def full_like_aval(aval: ShapedType, value):
    if current() is None:
        return np.full(aval.shape, value, aval.dtype.np)
    return ops.broadcast_in_dim(fnx_ir.literal(value, aval.dtype), aval.shape, ())


def instantiate(t, like):
    """A tangent `t`, or zeros of `like`'s type when `t` is a symbolic zero (None)."""
    return zeros_like_aval(aval_of(like)) if t is None else t


def add_tangents(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return ops.add(a, b)


# =========================================================================== rule builders

def jvp_rule(name: str, *fns: Callable | None, use_ans: bool = True) -> Callable:
    """A jvp rule from one function per operand, `fn(g, ans, *primals, **params)`,
    giving that operand's contribution to the output tangent (JAX's `defjvp2`).
    `None` marks an operand that is not differentiable. Contributions are summed."""
    def rule(primals, tangents, **params):
        ans = bind(name, *primals, **params)
        out_t = None
        for fn, t in zip(fns, tangents, strict=True):
            if t is None or fn is None:
                continue
            out_t = add_tangents(out_t, fn(t, ans, *primals, **params))
        return ans, out_t
    rule.__name__ = f"jvp_{name}"
    return rule


def linear_jvp(name: str, linear: Sequence[int] | None = None) -> Callable:
    """The jvp rule of a primitive that is (jointly) linear in the operands at positions
    `linear` (default: all): the tangent is the primitive applied to the tangents, with
    the other operands (indices, predicates) taken from the primals."""
    def rule(primals, tangents, **params):
        ans = bind(name, *primals, **params)
        pos = range(len(primals)) if linear is None else linear
        if all(tangents[i] is None for i in pos):
            return ans, None
        args = [instantiate(tangents[i], primals[i]) if i in pos else p
                for i, p in enumerate(primals)]
        return ans, bind(name, *args, **params)
    rule.__name__ = f"jvp_{name}"
    return rule


def zero_jvp(name: str) -> Callable:
    """The jvp rule of a primitive whose output tangent is zero (comparisons, integer
    results, piecewise-constant functions such as floor/sign, stop_gradient)."""
    def rule(primals, tangents, **params):
        ans = bind(name, *primals, **params)
        if rules(name).multiple_results:
            return ans, [None] * len(ans)
        return ans, None
    rule.__name__ = f"jvp_{name}"
    rule.zero_tangent = True  # (read by the completeness test: checked by its own test)
    return rule


def _undefined_count_error(name: str):
    return NotImplementedError(
        f"transpose of {name}: the equation is not linear in the operands being "
        "transposed (more than one linear operand of a bilinear primitive)")


# =========================================================================== small IR utilities

def _read(env, x):
    return x if isinstance(x, Literal) else env[x]


def _tag_sources(ctx, start: int, source: str | None) -> None:
    """Equations a rule emitted keep the user's `file:line` of the equation they came from."""
    if ctx is not None and source:
        for new in ctx.builder.equations[start:]:
            new.source = source


# =========================================================================== jvp

def jvp_eval(program: Program, primals: Sequence, tangents: Sequence) -> tuple[list, list]:
    """Evaluate `program` and its tangents by binding each equation's jvp rule into the
    current context (a trace, or eagerly). `tangents[i] is None` is a zero tangent.

    Returns `(outs, out_tangents)`, `None` for symbolically zero output tangents.
    """
    penv: dict = {}
    tenv: dict = {}
    for v, p, t in zip(program.inputs, primals, tangents, strict=True):
        penv[v] = p
        if t is not None and differentiable(v.type):
            tenv[v] = t
    for v, c in program.constants:
        penv[v] = c
    ctx = current()
    saved = ctx.source if ctx is not None else None
    try:
        for eq in program.equations:
            ps = [x if type(x) is Literal else penv[x] for x in eq.inputs]
            ts = [None if type(x) is Literal else tenv.get(x) for x in eq.inputs]
            r = rules(eq.primitive)
            start = 0
            if ctx is not None:
                # What the rule records carries `eq`'s `file:line` (`_tag_sources` below
                # makes sure of it) rather than looking for the user's frame for each.
                ctx.source = eq.source or saved
                start = len(ctx.builder.equations)
            if all(t is None for t in ts):
                out = rebind(eq, ps)
                _tag_sources(ctx, start, eq.source)
                for v, o in zip(eq.outputs, out if r.multiple_results else [out], strict=True):
                    penv[v] = o
                continue
            if r.jvp is None:
                raise NotImplementedError(errors.at_source(
                    f"differentiation rule for primitive '{eq.primitive}' is not implemented",
                    eq.source))
            out, out_t = r.jvp(ps, ts, **eq.params)
            _tag_sources(ctx, start, eq.source)
            outs, out_ts = (out, out_t) if r.multiple_results else ([out], [out_t])
            for v, o, t in zip(eq.outputs, outs, out_ts, strict=True):
                penv[v] = o
                if t is not None and differentiable(v.type):
                    _check_tangent(eq, v.type, t)
                    tenv[v] = t
    finally:
        if ctx is not None:
            ctx.source = saved
    outs = [_read(penv, x) for x in program.outputs]
    touts = [None if isinstance(x, Literal) else tenv.get(x) for x in program.outputs]
    return outs, touts


def _check_tangent(eq: Equation, expected: ShapedType, t) -> None:
    tt = type_of(t)
    if tt.shape != expected.shape or tt.dtype is not expected.dtype:
        raise AssertionError(f"jvp rule of {eq.primitive} produced a tangent {tt} for an "
                             f"output of type {expected}")


def jvp_program(program: Program, diff: Sequence[bool],
                want: Sequence[bool] | None = None,
                values: Sequence | None = None,
                captured: list | None = None) -> tuple[Program, list[bool]]:
    """The jvp transform on the IR.

    Returns `(J, nonzero)`: `J` takes the program's inputs followed by one tangent per
    input with `diff[i]` (and a floating dtype) and returns the program's outputs
    followed by the output tangents that are not symbolically zero; `nonzero[j]` says
    whether output `j` has one in `J`. `want[j] = False` drops output `j`'s tangent.
    With `values` (concrete values of the inputs), `J` is traced with them, so that
    user rules (`custom_jvp`, `custom_vjp`) see concrete primals, as outside `jit` in JAX.
    A user rule may read values of an enclosing trace that `program` does not: with a
    `captured` list, they are appended to it and `J` takes them as trailing inputs.
    """
    diff = [bool(d) and differentiable(v.type) for v, d in zip(program.inputs, diff, strict=True)]
    want = [True] * len(program.outputs) if want is None else list(want)
    n = len(program.inputs)
    box = []

    def fun(*args):
        it = iter(args[n:])
        tangents = [next(it) if d else None for d in diff]
        outs, touts = jvp_eval(program, args[:n], tangents)
        touts = [t if w else None for t, w in zip(touts, want, strict=True)]
        box.append([t is not None for t in touts])
        return list(outs) + [t for t in touts if t is not None]

    types = program.in_types + [v.type for v, d in zip(program.inputs, diff, strict=True) if d]
    vals = None if values is None else list(values) + [None] * (len(types) - n)
    traced = trace_flat(fun, types, concrete=values is not None, types=types, values=vals)
    if captured is None:
        assert not traced.captured, "jvp_program: the program captured outer values"
    else:
        captured.extend(traced.captured)
    return traced.program, box[0]


# =========================================================================== partial evaluation

class PartialEval(NamedTuple):
    known: Program          # known inputs -> known outputs, then residuals
    unknown: Program        # residuals, then unknown inputs -> unknown outputs
    out_unknowns: list      # per output of the original program
    num_res: int


def partial_eval(program: Program, unknowns: Sequence[bool]) -> PartialEval:
    """Split `program` by forward dataflow from the inputs marked unknown."""
    unk = {v for v, u in zip(program.inputs, unknowns, strict=True) if u}
    keqs: list[Equation] = []
    ueqs: list[Equation] = []
    for eq in program.equations:
        in_unk = [isinstance(x, Var) and x in unk for x in eq.inputs]
        if not any(in_unk):
            keqs.append(eq)
            continue
        rule = rules(eq.primitive).partial_eval  # (eq, in_unknowns) -> (known, unknown, out_unknowns)
        if rule is None:
            ueqs.append(eq)
            unk.update(eq.outputs)
            continue
        k, u, out_unk = rule(eq, in_unk)
        keqs.extend(k)
        ueqs.extend(u)
        unk.update(o for o, f in zip(eq.outputs, out_unk, strict=True) if f)
    out_unk = [isinstance(o, Var) and o in unk for o in program.outputs]
    u_outs = [o for o, f in zip(program.outputs, out_unk, strict=True) if f]

    needed = dce(Program([], program.constants, ueqs, u_outs))
    kept = needed.equations

    const_vars = {v for v, _ in program.constants}
    residuals: list[Var] = []
    seen: set = set()
    for eq in kept:
        for x in eq.inputs:
            if isinstance(x, Var) and x not in unk and x not in const_vars and x not in seen:
                seen.add(x)
                residuals.append(x)
    u_inputs = [v for v, u in zip(program.inputs, unknowns, strict=True) if u]
    k_inputs = [v for v, u in zip(program.inputs, unknowns, strict=True) if not u]
    unknown = Program(residuals + u_inputs, needed.constants, kept, u_outs)
    k_outs = [o for o, f in zip(program.outputs, out_unk, strict=True) if not f] + residuals
    known = dce(Program(k_inputs, program.constants, keqs, k_outs))
    return PartialEval(known, unknown, out_unk, len(residuals))


# =========================================================================== transpose

def backward_pass(program: Program, args: Sequence, cts: Sequence) -> list:
    """Transpose `program` with respect to its inputs given as `UndefinedPrimal`s.

    `args` has one entry per input: a value (a non-linear input, e.g. a residual) or an
    `UndefinedPrimal`. `cts` has one cotangent per output (`None` is zero). Equations
    that do not depend on a linear input are evaluated forward first. Returns one
    cotangent per input (`None` for zero cotangents and for non-linear inputs).
    """
    known: dict = {}
    linear: set = set()
    for v, a in zip(program.inputs, args, strict=True):
        if is_undefined(a):
            linear.add(v)
        else:
            known[v] = a
    for v, c in program.constants:
        known[v] = c
    lin_eqs = []
    with source_looked_up_once(program):
        for eq in program.equations:
            if any(type(x) is Var and x in linear for x in eq.inputs):
                lin_eqs.append(eq)
                linear.update(eq.outputs)
                continue
            out = rebind(eq, [x if type(x) is Literal else known[x] for x in eq.inputs])
            outs = out if rules(eq.primitive).multiple_results else [out]
            for v, o in zip(eq.outputs, outs, strict=True):
                known[v] = o
    ctx = current()
    saved = ctx.source if ctx is not None else None

    ct_env: dict = {}

    def accumulate(v: Var, ct, eq=None):
        t = type_of(ct)
        if t.shape != v.type.shape:
            where = f"transpose rule of {eq.primitive}" if eq is not None else "backward_pass"
            raise AssertionError(f"{where} produced a cotangent {t} for a value of type {v.type}")
        if t.dtype is not v.type.dtype:
            ct = ops.convert_element_type(ct, v.type.dtype)
        ct_env[v] = add_tangents(ct_env.get(v), ct)

    for o, ct in zip(program.outputs, cts, strict=True):
        if ct is not None and isinstance(o, Var) and o in linear:
            accumulate(o, ct)
    try:
        for eq in reversed(lin_eqs):
            r = rules(eq.primitive)
            cts_out = [ct_env.pop(v, None) for v in eq.outputs]
            if all(c is None for c in cts_out):
                continue
            if r.transpose is None:
                raise NotImplementedError(errors.at_source(
                    f"transpose rule for primitive '{eq.primitive}' is not implemented (it "
                    "is needed because the primitive appears in the linear (tangent) part "
                    "of a derivative)", eq.source))
            in_args = [UndefinedPrimal(x.type) if type(x) is Var and x in linear
                       else _read(known, x) for x in eq.inputs]
            start = 0
            if ctx is not None:  # (as in `jvp_eval`)
                ctx.source = eq.source or saved
                start = len(ctx.builder.equations)
            res = r.transpose(cts_out if r.multiple_results else cts_out[0], *in_args,
                              **eq.params)
            _tag_sources(ctx, start, eq.source)
            if ctx is not None:
                ctx.source = saved  # (the accumulating adds are not the rule's)
            if len(res) != len(eq.inputs):
                raise AssertionError(f"transpose rule of {eq.primitive} returned {len(res)} "
                                     f"cotangents for {len(eq.inputs)} operands")
            for x, a, c in zip(eq.inputs, in_args, res, strict=True):
                if c is not None and is_undefined(a):
                    accumulate(x, c, eq)
    finally:
        if ctx is not None:
            ctx.source = saved
    return [ct_env.get(v) if is_undefined(a) else None
            for v, a in zip(program.inputs, args, strict=True)]


# =========================================================================== linearize

class Linearized:
    """The linear part of a function at a point: residual values and a linear program.

    `jvp(tangents)` evaluates it forward; `vjp(cts)` transposes it. Both bind into the
    context active when they are called (eagerly on numpy values, or into a trace).
    """

    def __init__(self, lin: Program, residuals: list, slots: list, out_types: list,
                 in_types: list):
        self.program = lin            # residuals + input tangents -> unknown output tangents
        self.residuals = residuals
        self.slots = slots            # per output: None (zero) | ("lin", i) | ("known", value)
        self.out_types = out_types
        self.in_types = in_types      # types of the differentiated inputs

    @property
    def num_residuals(self) -> int:
        return len(self.residuals)

    def values(self) -> list:
        """The values it holds: the residuals, then the output tangents that do not depend
        on the input tangents (the leaves of `vjp`'s and `linearize`'s `Partial`s)."""
        return list(self.residuals) + [s[1] for s in self.slots
                                       if s is not None and s[0] == "known"]

    def with_values(self, values: Sequence) -> "Linearized":
        """The same linear map holding `values` (as `values()` lists them)."""
        n = len(self.residuals)
        known = iter(values[n:])
        slots = []
        for s in self.slots:
            slots.append(("known", next(known)) if s is not None and s[0] == "known" else s)
        return Linearized(self.program, list(values[:n]), slots, self.out_types,
                          self.in_types)

    def jvp(self, tangents: Sequence) -> list:
        ts = [instantiate(t, UndefinedPrimal(a))
              for t, a in zip(tangents, self.in_types, strict=True)]
        vals = eval_program(self.program, list(self.residuals) + ts)
        out = []
        for slot, t in zip(self.slots, self.out_types, strict=True):
            if slot is None:
                out.append(zeros_like_aval(t))
            elif slot[0] == "lin":
                out.append(vals[slot[1]])
            else:
                out.append(slot[1])
        return out

    def vjp(self, cts: Sequence) -> list:
        lin_cts = [None] * len(self.program.outputs)
        for slot, ct in zip(self.slots, cts, strict=True):
            if slot is not None and slot[0] == "lin":
                lin_cts[slot[1]] = ct
        args = list(self.residuals) + [UndefinedPrimal(t) for t in self.in_types]
        res = backward_pass(self.program, args, lin_cts)
        return res[len(self.residuals):]


def linearize_program(program: Program, diff: Sequence[bool],
                      want: Sequence[bool] | None = None, values: Sequence | None = None,
                      captured: list | None = None):
    """jvp + partial evaluation on the IR: `(PartialEval, nonzero, diff)` where `diff` is
    normalised to differentiable inputs. The known program returns the outputs, then the
    output tangents that do not depend on the input tangents, then the residuals.
    `values`, `captured`: see `jvp_program` (the captured values are known inputs)."""
    diff = [bool(d) and differentiable(v.type) for v, d in zip(program.inputs, diff, strict=True)]
    n_captured = len(captured) if captured is not None else 0
    J, nonzero = jvp_program(program, diff, want, values, captured)
    n_out = len(program.outputs)
    n_new = (len(captured) - n_captured) if captured is not None else 0
    pe = partial_eval(J, [False] * len(program.inputs) + [True] * sum(diff) + [False] * n_new)
    if any(pe.out_unknowns[:n_out]):
        raise AssertionError("linearize: a primal output depends on the tangents "
                             "(a jvp rule mixes tangents into primal values)")
    return pe, nonzero, diff


def linearize_flat(program: Program, args: Sequence, diff: Sequence[bool],
                   want: Sequence[bool] | None = None) -> tuple[list, Linearized]:
    """Evaluate `program` on `args` (binding into the current context) and linearize it
    with respect to the inputs marked in `diff`. When `args` are concrete and `program`
    calls user derivative rules, the rules run on the concrete values (Python control
    flow on them works, as in JAX outside `jit`)."""
    values = None
    if any(eq.primitive in USER_RULES for eq in program.equations):
        values = [value_of(a) for a in args]
        if any(v is None for v in values):
            values = None
        else:
            values = [np.asarray(v, v_.type.dtype.np)
                      for v, v_ in zip(values, program.inputs, strict=True)]
    captured: list = []
    pe, nonzero, diff = linearize_program(program, diff, want, values, captured)
    n_out = len(program.outputs)
    vals = iter(eval_program(pe.known, list(args) + captured))
    outs = [next(vals) for _ in range(n_out)]
    t_unknown = iter(pe.out_unknowns[n_out:])
    slots: list = []
    lin_index = 0
    for nz in nonzero:
        if not nz:
            slots.append(None)
        elif next(t_unknown):
            slots.append(("lin", lin_index))
            lin_index += 1
        else:
            slots.append(("known", next(vals)))
    residuals = list(vals)
    in_types = [v.type for v, d in zip(program.inputs, diff, strict=True) if d]
    return outs, Linearized(pe.unknown, residuals, slots, program.out_types, in_types)


def vjp_program(program: Program, diff: Sequence[bool]) -> Program:
    """The reverse-mode transform on the IR: a program taking the inputs followed by one
    cotangent per output, returning the outputs followed by one cotangent per input
    marked in `diff` (zeros where the cotangent is zero)."""
    n_in = len(program.inputs)

    def fun(*args):
        outs, lin = linearize_flat(program, args[:n_in], diff)
        cts = lin.vjp(args[n_in:])
        return list(outs) + [instantiate(c, UndefinedPrimal(t))
                             for c, t in zip(cts, lin.in_types, strict=True)]

    types = program.in_types + [t.strong() for t in program.out_types]
    traced = trace_flat(fun, types, concrete=False, types=types)
    return traced.program


# =========================================================================== helpers for rules

def sum_to_shape(x, shape: tuple[int, ...]):
    """Reduce a broadcast cotangent back to `shape` (trailing-aligned, numpy rules)."""
    t = type_of(x)
    if t.shape == tuple(shape):
        return x
    lead = t.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and t.shape[lead + i] != 1)
    return ops.reshape(ops.reduce_sum(x, axes), shape)


def take_along_axis(x, idx, axis: int):
    """`x[..., idx, ...]` along `axis` with `idx` of `x`'s shape (one gather)."""
    t = type_of(idx)
    indices = [idx if a == axis else ops.iota(t.dtype, t.shape, a) for a in range(t.ndim)]
    return ops.gather(x, indices, tuple(range(t.ndim)))


# =========================================================================== user rules

# primitives whose jvp runs a user's Python rule (`linearize_flat` gives it concrete values)
USER_RULES = {"custom_jvp_call", "custom_vjp_call"}
