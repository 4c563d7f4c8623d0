"""`custom_jvp` and `custom_vjp`: functions with user-defined derivative rules (JAX's
`jax.custom_jvp` / `jax.custom_vjp`).

Called without differentiation, the function itself runs and the rule never does; a rule is
kept on the `custom_jvp_call` / `custom_vjp_call` equation as a Python function and called by
the transform that needs it (see docs/autodiff.md).
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from fnx_ir import ShapedType

from . import ad, argspec, ops, pytree
from .ad_api import _bind_arg, _describe, _flatten_outputs, _output, _trace
from .trace import bind, current, type_of
from .user_rule import Rule

__all__ = ["custom_jvp", "custom_vjp", "SymbolicZero", "CustomVJPPrimal"]


def _resolve_args(fun, args, kwargs, what):
    if not kwargs:
        return tuple(args)
    try:
        ba = inspect.signature(fun).bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{what} {argspec.callable_name(fun)}: {e}") from None
    ba.apply_defaults()
    if ba.kwargs:
        raise TypeError(f"{what} {argspec.callable_name(fun)}: keyword-only arguments are not "
                        f"supported ({sorted(ba.kwargs)})")
    return tuple(ba.args)

class SymbolicZero:
    """A zero (co)tangent passed to a rule defined with `symbolic_zeros=True` (JAX's
    `jax.custom_derivatives.SymbolicZero`): no array, only its type (`aval`, `shape`,
    `dtype`). A rule may also return one for a zero result."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedType):
        self.aval = aval

    @property
    def shape(self) -> tuple:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype.np

    @staticmethod
    def from_primal_value(x) -> "SymbolicZero":
        return SymbolicZero(type_of(x).strong())

    def __repr__(self) -> str:
        return f"SymbolicZero({self.aval})"


class CustomVJPPrimal(NamedTuple):
    """An argument of a `custom_vjp` fwd rule defined with `symbolic_zeros=True` (JAX's
    `jax.custom_derivatives.CustomVJPPrimal`): the value, and whether it is perturbed
    (differentiated)."""
    value: Any
    perturbed: bool


def _zero_or_symbolic(t: ShapedType, symbolic: bool):
    return SymbolicZero(t.strong()) if symbolic else ad.zeros_like_aval(t.strong())


def _flatten_tangents(tree, types, what: str) -> tuple[list, Any]:
    """A rule's tangent/cotangent output: leaves (SymbolicZero leaves become zeros)."""
    leaves, treedef = pytree.tree_flatten(
        tree, is_leaf=lambda x: isinstance(x, SymbolicZero))
    leaves = [ad.zeros_like_aval(l.aval) if isinstance(l, SymbolicZero) else l
              for l in leaves]
    for o in leaves:
        if not argspec.is_value(o):
            raise TypeError(f"{what}: the function returned a {type(o).__name__} "
                            "inside its output: outputs must be arrays or pytrees of arrays")
    return leaves, treedef


class _CustomBase:
    kind = "custom"

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        argspec.check_callable(fun, self.kind)
        functools.update_wrapper(self, fun, updated=())
        self._custom_fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)

    def _split(self, args):
        nd = set(i % len(args) for i in self.nondiff_argnums) if args else set()
        static = [args[i] for i in sorted(nd)]
        dyn = tuple(a for i, a in enumerate(args) if i not in nd)
        def merge(dyn_vals):
            it = iter(dyn_vals)
            return [args[i] if i in nd else next(it) for i in range(len(args))]
        return static, dyn, merge

    def _prepare(self, args, kwargs, rule):
        """Trace the function itself (the primal): `None` eagerly (then just call it),
        else (static, dyn leaves, in_tree, merge, call program, consts, out_tree). `rule`
        (the jvp, or the fwd) must have been defined."""
        if rule is None:
            kind = self.kind[len("custom_"):]  # jvp / vjp
            raise AttributeError(f"No {kind.upper()} defined for {self.kind} function "
                                 f"{argspec.callable_name(self._custom_fun)} using def{kind}.")
        args = _resolve_args(self._custom_fun, args, kwargs, self.kind)
        if current() is None:
            return args, None  # eager: nothing can differentiate it, JAX calls the function
        static, dyn, merge = self._split(args)
        leaves, in_tree = pytree.tree_flatten(dyn)
        leaves = argspec.check_leaves(leaves, self.kind,
                                       lambda: argspec.leaf_paths(in_tree, "args"))
        box = {}

        def flat_call(*xs):
            d = pytree.tree_unflatten(in_tree, xs)
            out_leaves, out_tree = _flatten_outputs(self._custom_fun(*merge(d)), self.kind)
            box["tree"] = out_tree
            return out_leaves

        call, consts = _trace(flat_call, leaves)
        return args, (static, dyn, leaves, in_tree, merge, call, consts, box["tree"])


def _as_rule_output(v, t: ShapedType):
    """A value a user rule returned, as a value of type `t` (dtype converted; an array
    eagerly)."""
    if type_of(v).dtype is not t.dtype:
        v = ops.convert_element_type(v, t.dtype)
    return _bind_arg(v)


class custom_jvp(_CustomBase):
    """A function with a user-defined jvp rule (JAX's `jax.custom_jvp`)::

        @fnx.custom_jvp
        def f(x): ...
        @f.defjvp
        def f_jvp(primals, tangents):
            (x,), (t,) = primals, tangents
            return f(x), ...          # (primal_out, tangent_out), linear in the tangents

    As in JAX, the rule runs only when `f` is differentiated (jvp, grad via transposition
    of its linear part; vmap batches both), with concrete primal values outside `jit`
    (Python control flow on them works there). Otherwise `f` itself is called. With
    `nondiff_argnums`, those arguments are passed to the rule first:
    `f_jvp(*nondiff_args, primals, tangents)`. Differentiating with respect to traced
    values the function closes over is not supported (pass them as arguments).
    """

    kind = "custom_jvp"

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.jvp = None
        self.symbolic_zeros = False

    def defjvp(self, jvp: Callable, symbolic_zeros: bool = False) -> Callable:
        """Set the rule `jvp(*nondiff_args, primals, tangents) -> (out, tangent_out)`.
        With `symbolic_zeros`, the tangents of arguments that are not differentiated are
        `SymbolicZero`s (else zeros), and the rule may return them."""
        argspec.check_callable(jvp, "custom_jvp.defjvp")
        self.jvp = jvp
        self.symbolic_zeros = bool(symbolic_zeros)
        return jvp

    def defjvps(self, *jvps: Callable | None) -> None:
        """One rule per argument, `jvp_i(g, ans, *args)` (JAX's `defjvps`); None for an
        argument with a zero contribution."""
        if self.nondiff_argnums:
            raise TypeError("Can't use ``defjvps`` with ``nondiff_argnums``.")

        def rule(primals, tangents):
            ans = self(*primals)
            out = None
            for fn, t in zip(jvps, tangents, strict=True):
                if fn is None:
                    continue
                c = fn(t, ans, *primals)
                out = c if out is None else pytree.tree_map(lambda a, b: a + b, out, c)
            if out is None:
                out = pytree.tree_map(lambda a: ad.zeros_like_aval(type_of(a).strong()), ans)
            return ans, out
        self.defjvp(rule)

    def __call__(self, *args, **kwargs):
        args, traced = self._prepare(args, kwargs, self.jvp)
        if traced is None:
            return self._custom_fun(*args)
        name = argspec.callable_name(self._custom_fun)
        static, _, leaves, in_tree, _, call, consts, out_tree = traced
        types = [type_of(x) for x in leaves]
        n = len(leaves)
        out_types = call.out_types

        def flat_jvp(*xs):
            ps = tuple(pytree.tree_unflatten(in_tree, xs[:n]))
            ts = [_zero_or_symbolic(t, self.symbolic_zeros) if x is None else x
                  for x, t in zip(xs[n:2 * n], types, strict=True)]
            ts = tuple(pytree.tree_unflatten(in_tree, ts))
            res = self.jvp(*static, ps, ts)
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError(f"custom_jvp rule of {name} must return a pair "
                                f"(primal_out, tangent_out), got {_describe(res)}")
            p_leaves, p_tree = _flatten_outputs(res[0], "custom_jvp rule")
            t_leaves, t_tree = _flatten_tangents(res[1], out_types, "custom_jvp rule")
            for what, tree in (("primal", p_tree), ("tangent", t_tree)):
                if tree != out_tree:
                    raise TypeError(f"custom_jvp rule of {name} must produce {what} outputs "
                                    f"with the structure of {name}'s output {out_tree}, "
                                    f"got {tree}")
            for k, (p, t, ot) in enumerate(zip(p_leaves, t_leaves, out_types, strict=True)):
                for what, v in (("primal", p), ("tangent", t)):
                    vt = type_of(v)
                    if vt.shape != ot.shape:
                        raise TypeError(f"custom_jvp rule of {name}: {what} output {k} has "
                                        f"shape {vt.shape}, but {name} returns shape "
                                        f"{ot.shape} there")
            return [_as_rule_output(v, ot) for v, ot in
                    zip(list(p_leaves) + list(t_leaves), out_types + out_types, strict=True)]

        rule = Rule(f"jvp rule of {name}", fn=flat_jvp, closure=consts,
                    in_types=types + [t.strong() for t in types] + [type_of(c) for c in consts])
        outs = bind("custom_jvp_call", *[_bind_arg(x) for x in leaves], *consts,
                    call=call, jvp=rule, num_consts=len(consts))
        return pytree.tree_unflatten(out_tree, [_output(o) for o in outs])


class custom_vjp(_CustomBase):
    """A function with a user-defined vjp rule (JAX's `jax.custom_vjp`)::

        @fnx.custom_vjp
        def f(x): ...
        def f_fwd(x): return f(x), residuals          # residuals: any pytree
        def f_bwd(residuals, g): return (cotangent_for_x,)   # one entry per argument
        f.defvjp(f_fwd, f_bwd)

    Reverse mode (grad, vjp, jacrev) uses the rule; forward mode (jvp, jacfwd, linearize)
    raises an error, as in JAX. As in JAX, `fwd` runs only when `f` is differentiated
    (otherwise `f` itself is called), and outside `jit` `fwd` and `bwd` see concrete
    values. `bwd` may return None for an argument (zero cotangent). With
    `nondiff_argnums`, `bwd(*nondiff_args, residuals, g)`.
    """

    kind = "custom_vjp"

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None
        self.symbolic_zeros = False

    def defvjp(self, fwd: Callable, bwd: Callable, symbolic_zeros: bool = False) -> None:
        """Set the rules `fwd(*args) -> (out, residuals)` and
        `bwd(*nondiff_args, residuals, g) -> tuple of argument cotangents`. With
        `symbolic_zeros`, `fwd`'s argument leaves are `CustomVJPPrimal(value, perturbed)`
        and zero output cotangents reach `bwd` as `SymbolicZero`s (as in JAX)."""
        argspec.check_callable(fwd, "custom_vjp.defvjp (fwd)")
        argspec.check_callable(bwd, "custom_vjp.defvjp (bwd)")
        self.fwd, self.bwd = fwd, bwd
        self.symbolic_zeros = bool(symbolic_zeros)

    def __call__(self, *args, **kwargs):
        args, traced = self._prepare(args, kwargs, self.fwd)
        if traced is None:
            return self._custom_fun(*args)
        name = argspec.callable_name(self._custom_fun)
        static, dyn, leaves, in_tree, merge, call, consts, out_tree = traced
        types = [type_of(x) for x in leaves]
        const_types = [type_of(c) for c in consts]
        n = len(leaves)
        out_types = call.out_types
        n_out = len(out_types)
        box = {}

        def flat_fwd(*xs, perturbed=None):
            xs = xs[:n]
            if self.symbolic_zeros:
                perturbed = [True] * n if perturbed is None else perturbed
                xs = [CustomVJPPrimal(x, bool(d)) for x, d in zip(xs, perturbed, strict=True)]
            res = self.fwd(*merge(pytree.tree_unflatten(in_tree, xs)))
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError(f"custom_vjp fwd rule of {name} must return a pair "
                                f"(output, residuals), got {_describe(res)}")
            o_leaves, o_tree = _flatten_outputs(res[0], "custom_vjp fwd rule")
            if o_tree != out_tree:
                raise TypeError(f"custom_vjp fwd rule of {name} must return an output with "
                                f"the structure of {name}'s output {out_tree}, got {o_tree}")
            for k, (o, ot) in enumerate(zip(o_leaves, out_types, strict=True)):
                if type_of(o).shape != ot.shape:
                    raise TypeError(f"custom_vjp fwd rule of {name}: output {k} has shape "
                                    f"{type_of(o).shape}, but {name} returns {ot.shape}")
            r_leaves, box["res_tree"] = _flatten_outputs(res[1], "custom_vjp fwd rule "
                                                         "(residuals)")
            return ([_as_rule_output(o, ot) for o, ot in zip(o_leaves, out_types, strict=True)]
                    + [_bind_arg(r) for r in r_leaves])

        arg_trees = in_tree.children

        def flat_bwd(*xs):
            num_res = len(xs) - n_out - len(consts)
            res = pytree.tree_unflatten(box["res_tree"], xs[:num_res])
            ct = [_zero_or_symbolic(t, self.symbolic_zeros) if x is None else x
                  for x, t in zip(xs[num_res:num_res + n_out], out_types, strict=True)]
            ct = pytree.tree_unflatten(out_tree, ct)
            g = self.bwd(*static, res, ct)
            if not isinstance(g, (tuple, list)) or len(g) != len(dyn):
                raise TypeError(f"custom_vjp bwd rule of {name} must return a tuple with one "
                                f"cotangent (or None) per differentiable argument "
                                f"({len(dyn)}), got {_describe(g)}")
            out = []
            it = iter(types)
            for k, (gk, tree) in enumerate(zip(g, arg_trees, strict=True)):
                arg_types = [next(it) for _ in range(tree.num_leaves)]
                if gk is None or isinstance(gk, SymbolicZero):
                    out.extend(ad.zeros_like_aval(t.strong()) for t in arg_types)
                    continue
                try:
                    g_leaves = pytree.flatten_up_to(tree, gk, "custom_vjp bwd")
                except ValueError as e:
                    raise TypeError(f"custom_vjp bwd rule of {name}: the cotangent for "
                                    f"argument {k} must have the argument's structure "
                                    f"{tree}: {e}") from None
                for gl, t in zip(g_leaves, arg_types, strict=True):
                    if gl is None or isinstance(gl, SymbolicZero):
                        out.append(ad.zeros_like_aval(t.strong()))
                        continue
                    gt = type_of(gl)
                    if gt.shape != t.shape:
                        raise TypeError(f"custom_vjp bwd rule of {name}: the cotangent for "
                                        f"argument {k} has shape {gt.shape}, but the "
                                        f"argument has shape {t.shape}")
                    out.append(_as_rule_output(gl, t))
            return out

        fwd = Rule(f"fwd rule of {name}", fn=flat_fwd, closure=consts,
                   in_types=types + const_types)
        bwd = Rule(f"bwd rule of {name}", fn=flat_bwd, closure=consts,
                   out_types=[t.strong() for t in types],
                   in_types=lambda: ([t.strong() for t in fwd.force().out_types[n_out:]]
                                     + [t.strong() for t in out_types] + const_types))
        outs = bind("custom_vjp_call", *[_bind_arg(x) for x in leaves], *consts,
                    call=call, fwd=fwd, bwd=bwd, num_consts=len(consts))
        return pytree.tree_unflatten(out_tree, [_output(o) for o in outs])
