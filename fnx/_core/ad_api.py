"""The user-facing differentiation API (names and semantics follow JAX).

`jvp`, `linearize`, `vjp`, `grad`, `value_and_grad`, `jacfwd`, `jacrev`, `hessian`,
`checkpoint` (`remat`); `custom_jvp`/`custom_vjp` are in `custom_derivatives.py`.

Each call traces the function into a Program (with concrete values when the arguments
are concrete, so Python control flow on values works outside `jit`; abstractly inside
`jit` or another abstract transform), then applies the IR transforms of `ad.py`,
binding the result into the current context: eagerly on numpy arrays, or into the
enclosing trace. Nesting (`grad(grad(f))`, `jacfwd(jacrev(f))`) therefore just inlines
the inner derivative into the outer trace, which is then differentiated again.
"""
from __future__ import annotations

import copy
import functools
import inspect
from typing import Callable, Sequence

import numpy as np

from fnx_ir import Literal, Program, ShapedType

from . import ad, argspec, ops, pytree
from .argspec import callable_name
from .array import as_array
from .dtypes import canonical_array
from .trace import Tracer, bind, current, trace_flat, type_of, value_of
from .vmap_api import vmap

__all__ = ["jvp", "linearize", "vjp", "grad", "value_and_grad", "jacfwd", "jacrev",
           "hessian", "checkpoint", "remat"]


# =========================================================================== helpers

def _bind_arg(x):
    """A leaf as an argument for binding (eagerly, Python scalars become arrays)."""
    if argspec.is_python_scalar(x) and current() is None:
        return np.asarray(x, dtype=type_of(x).dtype.np)
    return x


def _trace(flat_fun: Callable, leaves: Sequence) -> tuple[Program, list]:
    """Trace `flat_fun(*leaves) -> list` into a Program, with concrete values when every
    leaf has one (define-by-run outside jit). Returns (program, captured outer values)."""
    concrete = all(value_of(x) is not None for x in leaves)
    types = [type_of(x) for x in leaves]
    args = [np.asarray(x, dtype=t.dtype.np) if argspec.is_python_scalar(x) else x
            for x, t in zip(leaves, types, strict=True)]
    traced = trace_flat(flat_fun, args, concrete, types)
    return traced.program, list(traced.captured)


def _output(x, inputs=()):
    """A result handed back to the user: numpy eagerly (never aliasing an argument or a
    read-only program constant), a Tracer inside a trace."""
    if isinstance(x, Literal):
        x = np.asarray(x.value)
    if type(x) is Tracer:
        return x
    arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    if not arr.flags.writeable or any(arr is i for i in inputs):
        arr = np.array(arr)
    return as_array(arr)


def _flatten_outputs(out, what: str):
    leaves, tree = pytree.tree_flatten(out)
    for o in leaves:
        if not argspec.is_value(o):
            raise TypeError(f"{what}: the function returned a {type(o).__name__} "
                            "inside its output: outputs must be arrays or pytrees of arrays")
    return leaves, tree


def _arg_name(fun, i: int) -> str:
    try:
        params = [p for p in inspect.signature(fun).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return f"argument {i} ('{params[i].name}')" if i < len(params) else f"argument {i}"


def _check_real_inputs(fun, args, nums, what: str, allow_int: bool = False) -> None:
    for i in nums:
        for j, leaf in enumerate(pytree.tree_leaves(args[i])):
            if not argspec.is_value(leaf):
                continue
            t = type_of(leaf)
            if not t.dtype.is_float and not allow_int:
                where = _arg_name(fun, i) + (f" (leaf {j})" if j else "")
                raise TypeError(
                    f"{what} requires real-valued inputs (input dtype that is a sub-dtype of "
                    f"np.inexact), but got {t.dtype.name} for {where} of {callable_name(fun)}. "
                    f"If you want to use integer-valued inputs, use vjp or set allow_int "
                    f"to True.")


def _partial(fun, args, kwargs, nums):
    """`fun` as a function of the arguments at `nums` (the others fixed)."""
    def f(*dyn):
        full = list(args)
        for i, a in zip(nums, dyn, strict=True):
            full[i] = a
        return fun(*full, **kwargs)
    return f


def _describe(x) -> str:
    if argspec.is_value(x):
        t = type_of(x)
        return f"an array of shape {t.shape} ({t.dtype.name})"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of length {len(x)}"
    return f"a {type(x).__name__}"


# =========================================================================== linearize a function

class _Lin:
    """A function linearized at a point: flat outputs, aux, and the `ad.Linearized`."""

    def __init__(self, fun, primals: tuple, has_aux: bool, what: str):
        leaves, self.in_tree = pytree.tree_flatten(tuple(primals))
        self.in_leaves = argspec.check_leaves(
            leaves, what, lambda: argspec.leaf_paths(self.in_tree, "primals"))
        self.in_types = [type_of(x) for x in self.in_leaves]
        box: dict = {}

        def flat_fun(*xs):
            args = pytree.tree_unflatten(self.in_tree, xs)
            out = fun(*args)
            aux = None
            if has_aux:
                if not (isinstance(out, (tuple, list)) and len(out) == 2):
                    raise TypeError(f"{what} with has_aux=True requires {callable_name(fun)} to "
                                    f"return a pair (output, aux), but it returned "
                                    f"{_describe(out)}")
                out, aux = out
            out_leaves, out_tree = _flatten_outputs(out, what)
            aux_leaves, aux_tree = pytree.tree_flatten(aux)
            traced = [i for i, a in enumerate(aux_leaves) if argspec.is_value(a)]
            box.update(out_tree=out_tree, n_out=len(out_leaves), aux_leaves=aux_leaves,
                       aux_tree=aux_tree, traced_aux=traced)
            return list(out_leaves) + [aux_leaves[i] for i in traced]

        program, captured = _trace(flat_fun, self.in_leaves)
        self.out_tree = box["out_tree"]
        n_out = self.n_out = box["n_out"]
        self.diff = [ad.differentiable(t) for t in self.in_types]
        diff = self.diff + [False] * len(captured)
        want = [True] * n_out + [False] * (len(program.outputs) - n_out)
        args = [_bind_arg(x) for x in self.in_leaves] + captured
        outs, self.lin = ad.linearize_flat(program, args, diff, want)
        self.outs = outs[:n_out]
        self.out_types = program.out_types[:n_out]
        aux_leaves = list(box["aux_leaves"])
        for i, v in zip(box["traced_aux"], outs[n_out:], strict=True):
            aux_leaves[i] = _output(v, self.in_leaves)
        self.aux = pytree.tree_unflatten(box["aux_tree"], aux_leaves)

    def primals_out(self):
        return pytree.tree_unflatten(self.out_tree,
                                        [_output(o, self.in_leaves) for o in self.outs])

    def pull(self, ct_leaves: Sequence) -> list:
        """Cotangents of the flat outputs -> cotangents of the flat inputs (zeros where
        the cotangent is zero or the input is not differentiable)."""
        cts = self.lin.vjp(list(ct_leaves) + [None] * (len(self.lin.out_types) - self.n_out))
        it = iter(cts)
        return [ad.instantiate(next(it), ad.UndefinedPrimal(t)) if d
                else ad.zeros_like_aval(t.strong())
                for t, d in zip(self.in_types, self.diff, strict=True)]

    def push(self, t_leaves: Sequence) -> list:
        ts = [t for t, d in zip(t_leaves, self.diff, strict=True) if d]
        return self.lin.jvp(ts)[:self.n_out]


def _check_like(values, types, what: str, kind: str, paths=None) -> list:
    """Check (co)tangent leaves against primal types: equal shapes, and equal dtypes for
    floating values (Python scalars are converted). Non-float primals take anything of
    their shape (their (co)tangents are zero)."""
    out = []
    for i, (v, t) in enumerate(zip(values, types, strict=True)):
        where = paths[i] if paths else f"leaf {i}"
        if not argspec.is_value(v):
            raise TypeError(f"{what}: {kind} {where} is a {type(v).__name__}, not an array")
        v = canonical_array(v)  # float64 is float32 with x64 off
        vt = type_of(v)
        if vt.shape != t.shape:
            raise ValueError(f"{what}: {kind} {where} has shape {vt.shape}, but the "
                             f"corresponding primal has shape {t.shape} ({t.dtype.name})")
        if t.dtype.is_float:
            if vt.dtype is not t.dtype:
                if argspec.is_python_scalar(v) or vt.weak:
                    v = np.asarray(value_of(v), t.dtype.np) if type(v) is not Tracer else v
                else:
                    raise TypeError(f"{what}: {kind} {where} has dtype {vt.dtype.name}, but "
                                    f"the corresponding primal has dtype {t.dtype.name}; "
                                    "they must be equal")
            elif argspec.is_python_scalar(v):
                v = np.asarray(v, t.dtype.np)
            out.append(v)
        else:
            out.append(None)
    return out


# =========================================================================== jvp / linearize / vjp

def jvp(fun: Callable, primals, tangents, has_aux: bool = False):
    """Forward mode: `(fun(*primals), J·tangents)` (JAX's `jax.jvp`).

    `primals` and `tangents` are tuples (or lists) of equal pytree structure; each
    tangent has its primal's shape and dtype. Integer and bool primals have zero
    tangents (their tangent argument is ignored); their output tangents are zeros.
    With `has_aux`, `fun` returns `(output, aux)` and the result is `(out, t_out, aux)`.
    """
    argspec.check_callable(fun, "jvp")
    for name, v in (("primal", primals), ("tangent", tangents)):
        if not isinstance(v, (tuple, list)):
            raise TypeError(f"jvp: {name} arguments must be a tuple or a list, got "
                            f"{type(v).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: got {len(primals)} primal arguments but {len(tangents)} "
                         "tangent arguments")
    p_leaves, p_tree = pytree.tree_flatten(tuple(primals))
    t_leaves, t_tree = pytree.tree_flatten(tuple(tangents))
    if p_tree != t_tree:
        raise TypeError(f"jvp: primal and tangent arguments must have the same pytree "
                        f"structure, got {p_tree} and {t_tree}")
    p_leaves = argspec.check_leaves(p_leaves, "jvp", lambda: argspec.leaf_paths(p_tree, "primals"))
    types = [type_of(x) for x in p_leaves]
    t_leaves = _check_like(t_leaves, types, "jvp", "tangent")
    box: dict = {}

    def flat_fun(*xs):
        out = fun(*pytree.tree_unflatten(p_tree, xs))
        aux = None
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(f"jvp with has_aux=True requires {callable_name(fun)} to return "
                                f"a pair (output, aux), but it returned {_describe(out)}")
            out, aux = out
        leaves, tree = _flatten_outputs(out, "jvp")
        aux_leaves, aux_tree = pytree.tree_flatten(aux)
        traced = [i for i, a in enumerate(aux_leaves) if argspec.is_value(a)]
        box.update(tree=tree, n=len(leaves), aux_leaves=aux_leaves, aux_tree=aux_tree,
                   traced=traced)
        return list(leaves) + [aux_leaves[i] for i in traced]

    program, captured = _trace(flat_fun, p_leaves)
    n = box["n"]
    outs, touts = ad.jvp_eval(program, [_bind_arg(x) for x in p_leaves] + captured,
                              t_leaves + [None] * len(captured))
    out_types = program.out_types
    res_out = pytree.tree_unflatten(box["tree"], [_output(o, p_leaves) for o in outs[:n]])
    res_t = pytree.tree_unflatten(box["tree"], [
        _output(ad.zeros_like_aval(t.strong()) if v is None else v, p_leaves)
        for v, t in zip(touts[:n], out_types[:n], strict=True)])
    if not has_aux:
        return res_out, res_t
    aux_leaves = list(box["aux_leaves"])
    for i, v in zip(box["traced"], outs[n:], strict=True):
        aux_leaves[i] = _output(v, p_leaves)
    return res_out, res_t, pytree.tree_unflatten(box["aux_tree"], aux_leaves)


class _LinearFn:
    """The static part of `linearize`'s `f_jvp` and `vjp`'s pullback. They are
    `pytree.Partial(_LinearFn(...), *values)`: pytrees whose leaves are the values the
    linear map holds (residuals), so they can be passed into and out of `jit` (JAX's
    `Partial`); calling one calls `_LinearFn(*values, *args)`."""

    def __init__(self, lin: _Lin, kind: str, fun_name: str):
        values = lin.lin.values()
        self.num_values = len(values)
        self.kind, self.fun_name = kind, fun_name
        self.lin = copy.copy(lin)  # the structure, without values (they are the leaves)
        self.lin.lin = lin.lin.with_values([None] * len(values))
        self.lin.outs = self.lin.aux = self.lin.in_leaves = None

    def partial(self, values) -> pytree.Partial:
        return pytree.Partial(self, *values)

    def __call__(self, *args):
        lin = copy.copy(self.lin)
        lin.lin = self.lin.lin.with_values(list(args[:self.num_values]))
        args = args[self.num_values:]
        if self.kind == "linearize":
            t_leaves, t_tree = pytree.tree_flatten(tuple(args))
            if t_tree != lin.in_tree:
                raise TypeError(f"linearize: the tangents must have the structure of the "
                                f"primals {lin.in_tree}, got {t_tree}")
            ts = _check_like(t_leaves, lin.in_types, "linearize", "tangent")
            return pytree.tree_unflatten(lin.out_tree, [_output(o) for o in lin.push(ts)])
        if len(args) != 1:
            raise TypeError(f"The function returned by fnx.vjp applied to {self.fun_name} "
                            f"was called with {len(args)} arguments, but functions returned "
                            "by fnx.vjp must be called with a single argument corresponding "
                            "to the single value returned by the function (a tuple or a "
                            "pytree for several outputs)")
        try:
            ct_leaves = pytree.flatten_up_to(lin.out_tree, args[0], "vjp")
        except ValueError as e:
            raise TypeError(f"vjp: the cotangent must have the structure of the primal "
                            f"output {lin.out_tree}: {e}") from None
        cts = _check_like(ct_leaves, lin.out_types, "vjp", "cotangent")
        grads = lin.pull(cts)
        return pytree.tree_unflatten(lin.in_tree, [_output(g) for g in grads])


def linearize(fun: Callable, *primals, has_aux: bool = False):
    """`(fun(*primals), f_jvp)` where `f_jvp(*tangents)` evaluates the linear map only
    (JAX's `jax.linearize`); the primal work is done once, residuals are kept. `f_jvp`
    is a `pytree.Partial` whose leaves are the residuals (it can cross `jit`)."""
    return _with_linear_fn(fun, primals, has_aux, "linearize")


def vjp(fun: Callable, *primals, has_aux: bool = False):
    """Reverse mode: `(fun(*primals), vjp_fn)` with `vjp_fn(ct) -> tuple of cotangents`,
    one per primal (JAX's `jax.vjp`). With `has_aux`, `(out, vjp_fn, aux)`. `vjp_fn` is a
    `pytree.Partial` whose leaves are the residuals, so it can be returned from and
    passed into `jit` (as in JAX).

    Cotangents of integer/bool primals are zeros of their dtype (JAX uses float0)."""
    return _with_linear_fn(fun, primals, has_aux, "vjp")


def _with_linear_fn(fun: Callable, primals, has_aux: bool, what: str) -> tuple:
    """`(out, fn)` (`(out, fn, aux)` with `has_aux`) of `linearize`/`vjp`: `fn` applies the
    linear map (forward or transposed), a `pytree.Partial` over the residuals."""
    argspec.check_callable(fun, what)
    lin = _Lin(fun, primals, has_aux, what)
    fn = _LinearFn(lin, what, callable_name(fun)).partial([_output(v) for v in lin.lin.values()])
    return (lin.primals_out(), fn, lin.aux) if has_aux else (lin.primals_out(), fn)


# =========================================================================== grad

def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
                   allow_int: bool = False) -> Callable:
    """`fun` and its gradient with respect to the arguments at `argnums` (JAX's
    `jax.value_and_grad`): returns `(value, grad)`, or `((value, aux), grad)`."""
    argspec.check_callable(fun, "value_and_grad")
    return _value_and_grad(fun, argnums, has_aux, allow_int, "value_and_grad")


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
         allow_int: bool = False) -> Callable:
    """The gradient of a scalar-valued `fun` with respect to the arguments at `argnums`
    (JAX's `jax.grad`): an int gives one gradient (the argument's pytree structure), a
    tuple a tuple of them. With `has_aux`, `fun` returns `(value, aux)` and the result is
    `(grad, aux)`; aux is returned as computed (not differentiated)."""
    argspec.check_callable(fun, "grad")
    vg = _value_and_grad(fun, argnums, has_aux, allow_int, "grad")

    @functools.wraps(fun, updated=())
    def grad_f(*args, **kwargs):
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return grad_f


def _linearize_args(fun, argnums, has_aux: bool, what: str, args, kwargs,
                    allow_int: bool = False) -> tuple[_Lin, bool]:
    """`fun(*args, **kwargs)` linearized in the arguments at `argnums` (checked to be real,
    unless `allow_int`), and whether `argnums` was a single int."""
    nums, single = argspec.normalize_argnums(argnums, len(args), what, fun)
    _check_real_inputs(fun, args, nums, what, allow_int)
    lin = _Lin(_partial(fun, args, kwargs, nums), tuple(args[i] for i in nums), has_aux, what)
    return lin, single


def _value_and_grad(fun, argnums, has_aux, allow_int, what):
    @functools.wraps(fun, updated=())
    def vg(*args, **kwargs):
        lin, single = _linearize_args(fun, argnums, has_aux, what, args, kwargs, allow_int)
        if lin.n_out != 1 or lin.out_tree != pytree.tree_structure(0.0):
            out = lin.primals_out()
            raise TypeError(f"{what} requires a scalar output (shape ()), but "
                            f"{callable_name(fun)} returned {_describe(out)}; use fnx.vjp or "
                            "fnx.jacrev for non-scalar outputs, or reduce the output "
                            "(e.g. .sum())")
        t = lin.out_types[0]
        if t.shape != ():
            raise TypeError(f"{what} requires a scalar output (shape ()), but "
                            f"{callable_name(fun)} returned an array of shape {t.shape} "
                            f"({t.dtype.name}); use fnx.vjp or fnx.jacrev for non-scalar "
                            "outputs, or reduce the output (e.g. .sum())")
        if not t.dtype.is_float:
            raise TypeError(f"{what} requires real-valued outputs (output dtype that is a "
                            f"sub-dtype of np.floating), but {callable_name(fun)} returned "
                            f"{t.dtype.name}")
        grads = lin.pull([np.ones((), t.dtype.np)])
        g_tree = pytree.tree_unflatten(lin.in_tree, [_output(g) for g in grads])
        g = g_tree[0] if single else tuple(g_tree)
        value = lin.primals_out()
        return ((value, lin.aux), g) if has_aux else (value, g)
    return vg


# =========================================================================== jacobians

def _std_basis(types: Sequence[ShapedType]):
    """One basis array per leaf: leaf i gets shape (N,) + shape_i, N = total size."""
    sizes = [t.size for t in types]
    total = sum(sizes)
    out, off = [], 0
    for t, n in zip(types, sizes, strict=True):
        b = np.zeros((total, n), t.dtype.np)
        b[off:off + n] = np.eye(n, dtype=t.dtype.np)
        out.append(b.reshape((total,) + t.shape))
        off += n
    return out, sizes


def _split_rows(x, sizes, shapes):
    """Rows of `x` (N, ...) split per block, each reshaped to shapes[k] + rest."""
    rest = type_of(x).shape[1:]
    out, off = [], 0
    for n, shape in zip(sizes, shapes, strict=True):
        out.append(ops.reshape(ops.slice_rows(x, off, off + n), tuple(shape) + tuple(rest)))
        off += n
    return out


def _map_basis(fn, basis: list, n_results: int) -> list:
    """[fn(*column) for each basis column] stacked along a new axis 0, as one vmapped
    evaluation (None per result when the basis is empty)."""
    if not basis or type_of(basis[0]).shape[0] == 0:
        return [None] * n_results
    return list(vmap(lambda *cols: list(fn(*cols)))(*basis))


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """Jacobian by forward mode (JAX's `jax.jacfwd`): linearize once, push the standard
    basis through the linear map as one vmapped evaluation. The result has the output's
    pytree structure with, at each output leaf, the structure of the differentiated
    arguments; each block has shape `out.shape + in.shape`."""
    argspec.check_callable(fun, "jacfwd")

    @functools.wraps(fun, updated=())
    def jac(*args, **kwargs):
        lin, single = _linearize_args(fun, argnums, has_aux, "jacfwd", args, kwargs)
        basis, sizes = _std_basis(lin.in_types)
        cols = _map_basis(lambda *ts: lin.push(list(ts)), basis, lin.n_out)
        blocks = []  # per output leaf: per input leaf
        for j, (col, ot) in enumerate(zip(cols, lin.out_types, strict=True)):
            if col is None:
                col = ad.zeros_like_aval(ShapedType((0,) + ot.shape, ot.dtype))
            per_in = _split_rows(col, sizes, [t.shape for t in lin.in_types])
            row = []
            for it, blk in zip(lin.in_types, per_in, strict=True):
                ni = len(it.shape)
                perm = tuple(range(ni, ni + ot.ndim)) + tuple(range(ni))
                row.append(_output(ops.transpose(blk, perm)))
            blocks.append(_unravel_inputs(lin.in_tree, row, single))
        out = pytree.tree_unflatten(lin.out_tree, blocks)
        return (out, lin.aux) if has_aux else out
    return jac


def _unravel_inputs(in_tree, leaves, single):
    tree = pytree.tree_unflatten(in_tree, leaves)
    return tree[0] if single else tuple(tree)


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """Jacobian by reverse mode (JAX's `jax.jacrev`): one forward pass, then the standard
    basis of the outputs pulled back as one vmapped backward pass. Same result layout as
    `jacfwd`."""
    argspec.check_callable(fun, "jacrev")

    @functools.wraps(fun, updated=())
    def jac(*args, **kwargs):
        lin, single = _linearize_args(fun, argnums, has_aux, "jacrev", args, kwargs)
        for t in lin.out_types:
            if not t.dtype.is_float:
                raise TypeError(f"jacrev requires real-valued outputs (output dtype that is "
                                f"a sub-dtype of np.floating), but {callable_name(fun)} returned "
                                f"{t.dtype.name}")
        basis, sizes = _std_basis(lin.out_types)
        rows = _map_basis(lambda *cts: lin.pull(list(cts)), basis, len(lin.in_types))
        per_out = [[] for _ in lin.out_types]
        for row, it in zip(rows, lin.in_types, strict=True):
            if row is None:
                row = ad.zeros_like_aval(ShapedType((0,) + it.shape, it.dtype))
            for j, blk in enumerate(_split_rows(row, sizes, [t.shape for t in lin.out_types])):
                per_out[j].append(_output(blk))
        blocks = [_unravel_inputs(lin.in_tree, b, single) for b in per_out]
        out = pytree.tree_unflatten(lin.out_tree, blocks)
        return (out, lin.aux) if has_aux else out
    return jac


def hessian(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """`jacfwd(jacrev(fun))` (JAX's `jax.hessian`)."""
    return jacfwd(jacrev(fun, argnums, has_aux), argnums, has_aux)


# =========================================================================== checkpoint

def checkpoint(fun: Callable | None = None, *, prevent_cse: bool = True,
               policy: Callable | None = None,
               static_argnums: int | Sequence[int] = ()) -> Callable:
    """Rematerialisation (JAX's `jax.checkpoint` / `jax.remat`): under reverse-mode
    differentiation, `fun`'s intermediate values are not stored for the backward pass;
    only its inputs are (and the values `policy` allows saving), and the rest is
    recomputed in the backward pass.

    `policy(prim: str, *in_types, **params) -> bool` says whether the outputs of one
    equation may be saved; `fnx.checkpoint_policies` has JAX's (`dots_saveable`,
    `save_only_these_names` with `fnx.ad_checkpoint.checkpoint_name`, ...). Arguments at
    `static_argnums` are Python values (not traced). `fun` is recorded as one
    `checkpoint` equation holding its program; outside any transformation it is simply
    called."""
    if fun is None:
        return lambda f: checkpoint(f, prevent_cse=prevent_cse, policy=policy,
                                    static_argnums=static_argnums)
    argspec.check_callable(fun, "checkpoint")
    if policy is not None and not callable(policy):
        raise TypeError(f"checkpoint: policy must be a callable (see fnx.checkpoint_policies), "
                        f"got {type(policy).__name__}")
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun, updated=())
    def wrapped(*args, **kwargs):
        if current() is None:
            return fun(*args, **kwargs)
        n = len(args)
        for i in static:
            if not -n <= i < n:
                raise ValueError(f"checkpoint: static_argnums {static_argnums!r} is out of "
                                 f"range for {callable_name(fun)} called with {n} positional "
                                 "arguments")
        snums = {i % n for i in static}
        dyn = tuple(a for i, a in enumerate(args) if i not in snums)
        leaves, in_tree = pytree.tree_flatten((dyn, kwargs))
        leaves = argspec.check_leaves(leaves, "checkpoint", lambda: argspec.call_paths(in_tree))
        box = {}

        def flat_fun(*xs):
            d, k = pytree.tree_unflatten(in_tree, xs)
            it = iter(d)
            full = [args[i] if i in snums else next(it) for i in range(n)]
            out_leaves, out_tree = _flatten_outputs(fun(*full, **k), "checkpoint")
            box["tree"] = out_tree
            return out_leaves

        program, captured = _trace(flat_fun, leaves)
        outs = bind("checkpoint", *[_bind_arg(x) for x in leaves], *captured,
                    program=program, prevent_cse=bool(prevent_cse), policy=policy)
        return pytree.tree_unflatten(box["tree"], [_output(o) for o in outs])
    return wrapped


remat = checkpoint
