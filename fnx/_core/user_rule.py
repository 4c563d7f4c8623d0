"""`Rule`: a user's derivative rule held by a custom_jvp/custom_vjp equation (created by
`custom_derivatives.py`, applied by the rules in `fnx/_rules/custom.py`)."""
from __future__ import annotations

import numpy as np

import fnx_ir
from fnx_ir import Program, ShapedType

from . import ad
from .errors import TracerLeakError
from .trace import eval_program, substituting, trace_flat


class Rule:
    """A user's derivative rule held by an equation (custom_jvp's `jvp`, custom_vjp's
    `fwd` and `bwd`), as in JAX: a Python function of flat values (`fn`), *called* by the
    transformation that needs it, with the values at hand (concrete ones outside `jit`,
    so Python control flow on them works) — never when nothing differentiates. It is
    traced into a Program only when a transformation needs one (`force`: batching), or
    is one built by `build` (a batched rule).

    The rule may close over tracers of the trace that recorded the equation (`closure`,
    the equation's trailing const operands): while it runs, each of them stands for the
    operand's value in the current context. `in_types` (a list, or a function giving it)
    and `out_types` are the types of its flat arguments and results. Prints as
    `<jvp rule of f>` (not representable in the text form)."""

    __slots__ = ("name", "fn", "closure", "_in_types", "_out_types", "_build", "_program")

    def __init__(self, name: str, *, fn=None, in_types=None, out_types=None, closure=(),
                 build=None):
        self.name = name
        self.fn = fn
        self.closure = tuple(closure)
        self._in_types = in_types
        self._out_types = out_types
        self._build = build
        self._program = None

    @property
    def in_types(self) -> list[ShapedType]:
        t = self._in_types
        if t is None:
            return self.force().in_types
        return list(t() if callable(t) else t)

    @property
    def out_types(self) -> list[ShapedType]:
        return self.force().out_types if self._out_types is None else list(self._out_types)

    def typed(self, in_types) -> "Rule":
        """This rule with its argument types fixed (a bwd rule, once residuals exist)."""
        if self.fn is None:
            return self
        return Rule(self.name, fn=self.fn, in_types=list(in_types), out_types=self._out_types,
                    closure=self.closure)

    def _run(self, args, **kw):
        args = [np.asarray(a.value, a.type.dtype.np) if isinstance(a, fnx_ir.Literal) else a
                for a in args]  # (user code sees arrays)
        k = len(self.closure)
        try:
            with substituting(self.closure, list(args)[len(args) - k:]):
                return list(self.fn(*args, **kw))
        except TracerLeakError as e:
            raise _closure_error(self.name) from e

    def force(self) -> Program:
        if self._program is None:
            if self._build is not None:
                self._program = self._build()
            else:
                types = self.in_types
                traced = trace_flat(lambda *xs: self._run(xs), types, concrete=False,
                                    types=types)  # (every argument is a value here)
                if traced.captured:
                    raise _closure_error(self.name)
                self._program = traced.program
        return self._program

    def __call__(self, args, **kw) -> list:
        """Apply the rule to flat `args`, binding into the current context. A `None`
        argument is a symbolic zero (the Python rule decides what to make of it; a traced
        rule gets zeros); keywords are for the Python rule."""
        if self.fn is None:
            return apply_rule(self.force(), args)
        return self._run(args, **kw)

    def __repr__(self) -> str:
        return self.name


def force(p) -> Program:
    """`p` as a Program (a `Rule` traced on first use)."""
    return p.force() if isinstance(p, Rule) else p


def apply_rule(p, args, **kw) -> list:
    """Apply `p` (a `Rule`, or a Program whose None arguments are zeros) to flat `args`."""
    if isinstance(p, Rule):
        return p(args, **kw)
    return eval_program(p, [ad.zeros_like_aval(t.strong()) if a is None else a
                            for a, t in zip(args, p.in_types, strict=True)])


def _closure_error(rule: str):
    return TypeError(
        f"the {rule} reads a traced value of a transformation that has finished (a value "
        "the custom function itself does not use): pass that value as an explicit argument "
        "of the function instead")
