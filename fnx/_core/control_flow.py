"""Structured control flow (`fnx.lax.cond`, `switch`, `while_loop`, `fori_loop`, `scan`,
`map`): tracing the user's Python functions into closed sub-programs.

Inside a trace (jit, grad, vmap, …) each call records one equation holding the traced
functions as closed sub-programs (`cond[branches]`, `while[cond, body]`, `scan[body]`, see
docs/control-flow.md); values the functions close over — numpy constants and tracers of
enclosing traces — become explicit operands (consts). Outside any trace the functions are
simply called, with Python control flow over numpy values (a `while_loop` is a Python
loop calling the body); `cond`/`switch` call the chosen branch and trace the others
abstractly, so that their result types are the traced ones (JAX traces every branch).

Carry types are fixed: the value a loop body returns must have the type of its input. As in
JAX, a weakly typed initial value (a Python scalar) is promoted to the body's result type,
and a weakly typed result is converted to the carry's type; anything else (another shape,
two different strong dtypes) is an error naming the pytree leaf, its two types and the
user's line. The rules of the primitives (evaluation, jvp, partial evaluation, transpose,
batching) are in `fnx/_rules/control_flow.py`.
"""
from __future__ import annotations

import operator
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

import fnx_ir
from fnx_ir import Program, ShapedType, Var

from . import argspec, errors, ops, pytree
from .array import as_array
from .dtypes import promote
from .trace import Tracer, bind, current, trace_flat, type_of

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "map"]


# =========================================================================== helpers

def _fail(exc_type, message: str):
    raise exc_type(errors.at_source(message, errors.user_source()))


def unify(t_in: ShapedType, t_out: ShapedType) -> ShapedType | None:
    """The type a carry (or a cond output) takes when one side gives `t_in` and the other
    `t_out`: equal shapes; a weak side promotes (NEP 50) to the other's dtype. None if the
    two cannot be reconciled (different shapes, or different strong dtypes)."""
    if t_in.shape != t_out.shape:
        return None
    weak = t_in.weak and t_out.weak
    if t_in.dtype is t_out.dtype:
        return ShapedType(t_in.shape, t_in.dtype, weak)
    target = promote((t_in.dtype, t_in.weak), (t_out.dtype, t_out.weak))[0]
    if any(not t.weak and t.dtype is not target for t in (t_in, t_out)):
        return None
    return ShapedType(t_in.shape, target, weak)


def _convert(x, t: ShapedType):
    """`x` as a value of type `t` (a weak-type promotion), eagerly or traced."""
    xt = type_of(x)
    if xt.dtype is t.dtype and xt.weak == t.weak:
        return x
    if current() is None:
        return np.asarray(x, dtype=t.dtype.np)
    return ops.convert_element_type(x, t.dtype, t.weak)


def _as_array(x, t: ShapedType | None = None):
    """An eager result leaf as an `fnx.Array` (of `t`'s dtype when given)."""
    if type(x) is Tracer:
        return x
    return as_array(np.asarray(x, dtype=None if t is None else t.dtype.np))


class _Sub(NamedTuple):
    """A traced function: `program` takes the consts, then the explicit arguments."""
    program: Program
    consts: list
    out_tree: Any

    @property
    def out_types(self) -> list[ShapedType]:
        return self.program.out_types


def _trace_sub(call: Callable[[list], Any], types: Sequence[ShapedType], what: str,
               convert: Sequence[ShapedType | None] | None = None) -> _Sub:
    """Trace `call(flat tracers) -> pytree` abstractly into a closed program whose numpy
    constants and captured outer tracers are hoisted into leading inputs (the consts).
    Output leaves `j` with `convert[j]` are converted to that type."""
    box: dict = {}

    def flat(*xs):
        out = call(list(xs))
        leaves, tree = pytree.tree_flatten(out)
        for o in leaves:
            if not argspec.is_value(o):
                _fail(TypeError, f"{what} returned a {type(o).__name__} in its output: outputs "
                                 "must be arrays or pytrees of arrays")
        box["tree"] = tree
        if convert is not None:
            leaves = [o if t is None else _convert(o, t)
                      for o, t in zip(leaves, convert, strict=True)]
        return leaves

    types = list(types)
    traced = trace_flat(flat, types, concrete=False, types=types)
    p = traced.program
    n = len(types)
    program = Program([v for v, _ in p.constants] + p.inputs[n:] + p.inputs[:n], [],
                      p.equations, p.outputs)
    consts = [c for _, c in p.constants] + list(traced.captured)
    return _Sub(program, consts, box["tree"])


def _join_consts(subs: Sequence[_Sub]) -> tuple[list[Program], list]:
    """Programs that all take the union of the subs' consts (then their explicit inputs)."""
    union, seen = [], {}
    for s in subs:
        for c in s.consts:
            if id(c) not in seen:
                seen[id(c)] = c
                union.append(c)
    out = []
    for s in subs:
        k = len(s.consts)
        own = {id(c): v for c, v in zip(s.consts, s.program.inputs[:k], strict=True)}
        inputs = [own[id(c)] if id(c) in own else Var(type_of(c)) for c in union]
        p = s.program
        out.append(Program(inputs + p.inputs[k:], p.constants, p.equations, p.outputs))
    return out, union


def _carry_error(what: str, path: str, t_in, t_out, side_in: str, side_out: str):
    _fail(TypeError, f"{what}: the carry {path} has type {t_in} {side_in} but {t_out} "
                     f"{side_out}; a loop carry must keep its shape and dtype across "
                     "iterations (convert it explicitly, e.g. with .astype)")


def _unify_carry(types: list[ShapedType], outs: Sequence[ShapedType], paths: Sequence[str],
                 what: str, side_in: str, side_out: str) -> list[ShapedType]:
    new = []
    for t, o, p in zip(types, outs, paths, strict=True):
        u = unify(t, o)
        if u is None:
            _carry_error(what, p, t, o, side_in, side_out)
        new.append(u)
    return new


def _same_types(a: Sequence[ShapedType], b: Sequence[ShapedType]) -> bool:
    return all(x.dtype is y.dtype and x.shape == y.shape and x.weak == y.weak
               for x, y in zip(a, b, strict=True))


def _trace_loop_body(call, carry_types: list[ShapedType], extra_types: list[ShapedType],
                     carry_tree, carry_out_tree_of: Callable, paths: list[str], what: str,
                     n_carry: int):
    """Trace a loop body until its carry types are a fixed point of `unify`. Returns the
    sub-program and the final carry types (the initial value is converted to them)."""
    types = list(carry_types)
    while True:
        sub = _trace_sub(call, types + extra_types, what)
        got_tree = carry_out_tree_of(sub.out_tree)
        if got_tree != carry_tree:
            _fail(TypeError, f"{what} must return a carry with the structure of the initial "
                             f"carry {carry_tree}, got {got_tree}")
        outs = sub.out_types[:n_carry]
        new = _unify_carry(types, outs, paths, what, "on input", "on output")
        if _same_types(new, types):
            if all(o.dtype is t.dtype for o, t in zip(outs, types, strict=True)):
                return sub, types
            convert = list(types) + [None] * (len(sub.out_types) - n_carry)
            return _trace_sub(call, types + extra_types, what, convert), types
        types = new


# =========================================================================== cond / switch

def _pred_to_index(pred):
    t = type_of(pred)
    if t.shape != ():
        _fail(TypeError, f"cond: the predicate must be a scalar, got a value of type {t}")
    if t.dtype.is_bool:
        return ops.convert_element_type(pred, fnx_ir.int32)
    if t.dtype.kind not in "iuf":
        _fail(TypeError, f"cond: the predicate must be a boolean or a number, got {t}")
    return ops.convert_element_type(ops.ne(pred, fnx_ir.literal(0, t.dtype, t.weak)),
                                     fnx_ir.int32)


def _out_leaves(out, what: str) -> tuple[list, Any]:
    leaves, tree = pytree.tree_flatten(out)
    for o in leaves:
        if not argspec.is_value(o):
            _fail(TypeError, f"{what} returned a {type(o).__name__} in its output: outputs "
                             "must be arrays or pytrees of arrays")
    return leaves, tree


def _branch_types(trees: Sequence, outs: Sequence[Sequence[ShapedType]],
                  names: Sequence[str], what: str) -> tuple[Any, list[ShapedType]]:
    """The output pytree and leaf types of a cond/switch whose branches return pytrees
    `trees` of leaves of types `outs`, or the TypeError naming the first mismatch."""
    # messages compare every branch with the first one the user wrote (cond: true_fun)
    order = [1, 0] if what == "cond" else list(range(len(trees)))
    k0, n0 = order[0], names[order[0]]
    tree0 = trees[k0]
    for k in order[1:]:
        if trees[k] != tree0:
            _fail(TypeError, f"{what}: {n0} and {names[k]} must return the same pytree "
                             f"structure, got {tree0} and {trees[k]}")
    targets = []
    for j, p in enumerate(argspec.leaf_paths(tree0, "output")):
        u = outs[k0][j]
        for k in order[1:]:
            t = outs[k][j]
            u2 = unify(u, t)
            if u2 is None:
                _fail(TypeError, f"{what}: {n0} and {names[k]} must return values of identical "
                                 f"types, but {p} has type {outs[k0][j]} in {n0} and "
                                 f"{t} in {names[k]}")
            u = u2
        targets.append(u)
    return tree0, targets


def _operands(operands: tuple, what: str):
    """The flat operand leaves, their types, and `f -> (flat values -> f(*operands))`."""
    leaves, in_tree = pytree.tree_flatten(tuple(operands))
    if not all(argspec.is_value(x) for x in leaves):
        argspec.check_values(leaves, argspec.leaf_paths(in_tree, "operands"), what)

    def caller(f):
        return lambda xs: f(*pytree.tree_unflatten(in_tree, xs))

    return leaves, [type_of(x) for x in leaves], caller


def _bind_cond(index, funs: Sequence[Callable], names: Sequence[str], operands: tuple,
               what: str):
    leaves, types, caller = _operands(operands, what)
    subs = [_trace_sub(caller(f), types, f"{what} {n}") for f, n in zip(funs, names, strict=True)]
    tree0, targets = _branch_types([s.out_tree for s in subs], [s.out_types for s in subs],
                                   names, what)
    subs = [s if all(t.dtype is u.dtype for t, u in zip(s.out_types, targets, strict=True))
            else _trace_sub(caller(f), types, f"{what} {n}", targets)
            for s, f, n in zip(subs, funs, names, strict=True)]
    programs, consts = _join_consts(subs)
    outs = bind("cond", index, *consts, *leaves, branches=tuple(programs))
    return pytree.tree_unflatten(tree0, outs)


def _eager_cond(taken: int, funs: Sequence[Callable], names: Sequence[str], operands: tuple,
                what: str, visit: Sequence[int]):
    """Eager cond/switch with JAX's typing: branch `taken` runs with the concrete operands
    (define-by-run) while every other branch is traced abstractly, in the order `visit`, so
    that the result types, and any TypeError, are the traced path's whatever the predicate.
    When the taken branch's values do not already have the other branches' shapes and dtypes
    it is traced too: whether its outputs promote, or are an error, depends on their weak
    types, which only its traced form has (eager arrays are strongly typed)."""
    _, types, caller = _operands(operands, what)
    trees: list = [None] * len(funs)
    outs: list = [None] * len(funs)
    for k in visit:
        if k == taken:
            values, trees[k] = _out_leaves(funs[k](*operands), f"{what} {names[k]}")
            outs[k] = [type_of(x) for x in values]
        else:
            try:
                sub = _trace_sub(caller(funs[k]), types, f"{what} {names[k]}")
            except errors.ConcretizationError as e:
                raise errors.ConcretizationError(
                    f"{e}\n({what} {names[k]} is not taken: eagerly, {what} traces the "
                    "branches it does not take, as JAX traces every branch)") from None
            trees[k], outs[k] = sub.out_tree, sub.out_types
    if any(trees[k] != trees[taken] or any(t.shape != u.shape or t.dtype is not u.dtype
                                           for t, u in zip(outs[k], outs[taken], strict=True))
           for k in range(len(funs))):
        sub = _trace_sub(caller(funs[taken]), types, f"{what} {names[taken]}")
        trees[taken], outs[taken] = sub.out_tree, sub.out_types
    tree, targets = _branch_types(trees, outs, names, what)
    return pytree.tree_unflatten(tree, [_as_array(x, t)
                                        for x, t in zip(values, targets, strict=True)])


def cond(pred: Any, true_fun: Callable, false_fun: Callable, *operands):
    """`true_fun(*operands)` if `pred` else `false_fun(*operands)` (JAX's `lax.cond`).

    `pred` is a scalar bool or number (nonzero is true). Both branches must return the same
    pytree of types, whatever `pred` is: inside a trace both are traced into one `cond`
    equation; outside any trace the chosen branch runs with the concrete operands and the
    other is traced abstractly for its types (as JAX traces both). Operands are pytrees."""
    argspec.check_callable(true_fun, "cond: true_fun")
    argspec.check_callable(false_fun, "cond: false_fun")
    if current() is None:
        p = np.asarray(pred)
        if p.shape != ():
            _fail(TypeError, f"cond: the predicate must be a scalar, got shape {p.shape}")
        if p.dtype.kind not in "biuf":
            _fail(TypeError, f"cond: the predicate must be a boolean or a number, got {p.dtype}")
        return _eager_cond(int(bool(p)), [false_fun, true_fun], ["false_fun", "true_fun"],
                           operands, "cond", visit=[1, 0])
    return _bind_cond(_pred_to_index(pred), [false_fun, true_fun], ["false_fun", "true_fun"],
                      operands, "cond")


def switch(index: Any, branches: Sequence[Callable], *operands):
    """`branches[clamp(index, 0, len(branches) - 1)](*operands)` (JAX's `lax.switch`)."""
    branches = list(branches)
    if not branches:
        _fail(ValueError, "switch: empty branch sequence")
    for k, b in enumerate(branches):
        argspec.check_callable(b, f"switch: branches[{k}]")
    t = type_of(index)
    if t.shape != () or t.dtype.kind not in "iu":
        _fail(TypeError, f"switch: the index must be an integer scalar, got {t}")
    n = len(branches)
    if n == 1:
        return branches[0](*operands)
    if current() is None:
        i = min(max(int(np.asarray(index)), 0), n - 1)
        return _eager_cond(i, branches, [f"branches[{k}]" for k in range(n)], operands,
                           "switch", visit=range(n))
    index = ops.convert_element_type(index, fnx_ir.int32)
    index = ops.clamp(fnx_ir.literal(0, fnx_ir.int32), index, fnx_ir.literal(n - 1, fnx_ir.int32))
    return _bind_cond(index, branches, [f"branches[{k}]" for k in range(n)], operands, "switch")


# =========================================================================== while_loop

def _check_eager_carry(new_val, tree, types: list[ShapedType], paths, what: str):
    """The next carry of an eager loop, checked (and weak-promoted) against `types`."""
    leaves, got = pytree.tree_flatten(new_val)
    if got != tree:
        _fail(TypeError, f"{what} must return a carry with the structure of the initial carry "
                         f"{tree}, got {got}")
    argspec.check_values(leaves, paths, what)
    new_types = _unify_carry(types, [type_of(x) for x in leaves], paths, what,
                             "on input", "on output")
    leaves = [x if type_of(x).dtype is t.dtype else np.asarray(x, dtype=t.dtype.np)
              for x, t in zip(leaves, new_types, strict=True)]
    return leaves, new_types


def _promoted_init(init_leaves, types: list[ShapedType], new_types: list[ShapedType]):
    """The initial carry converted to `new_types` if an iteration promoted a weakly typed
    carry to another dtype, else None. JAX traces the body first and starts from the
    promoted initial value; an eager loop restarts with it, so that every iteration, and
    every `y`, sees the carry type a traced loop has."""
    if all(n.dtype is t.dtype for n, t in zip(new_types, types, strict=True)):
        return None
    return [np.asarray(x, dtype=t.dtype.np) for x, t in zip(init_leaves, new_types, strict=True)]


def _final_eager(leaves, tree, types):
    return pytree.tree_unflatten(tree, [_as_array(x, t)
                                        for x, t in zip(leaves, types, strict=True)])


def _check_predicate(t: ShapedType, what: str) -> None:
    if t.shape != () or not t.dtype.is_bool:
        _fail(TypeError, f"{what}: cond_fun must return a boolean scalar, but got output "
                         f"type {t}")


def while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any) -> Any:
    """`while cond_fun(val): val = body_fun(val)`; returns `val` (JAX's `lax.while_loop`).

    The carry `val` is a pytree whose types stay fixed. Forward-mode differentiable and
    batchable; reverse mode is not (use `scan` or `fori_loop` with static bounds)."""
    what = "while_loop"
    argspec.check_callable(cond_fun, "while_loop: cond_fun")
    argspec.check_callable(body_fun, "while_loop: body_fun")
    leaves, tree = pytree.tree_flatten(init_val)
    paths = argspec.leaf_paths(tree, "init_val")
    argspec.check_values(leaves, paths, what)
    types = [type_of(x) for x in leaves]
    if current() is None:
        return _while_eager(cond_fun, body_fun, leaves, tree, types, paths)

    def body_call(xs):
        return body_fun(pytree.tree_unflatten(tree, xs))

    body, types = _trace_loop_body(body_call, types, [], tree, lambda t: t, paths,
                                   f"{what} body_fun", len(leaves))
    leaves = [_convert(x, t) for x, t in zip(leaves, types, strict=True)]
    cond_sub = _trace_sub(lambda xs: cond_fun(pytree.tree_unflatten(tree, xs)), types,
                          f"{what} cond_fun")
    if len(cond_sub.out_types) != 1:
        _fail(TypeError, f"{what}: cond_fun must return a boolean scalar, got "
                         f"{cond_sub.out_tree} of {len(cond_sub.out_types)} values")
    _check_predicate(cond_sub.out_types[0], what)
    outs = bind("while", *cond_sub.consts, *body.consts, *leaves, cond=cond_sub.program,
                body=body.program, cond_nconsts=len(cond_sub.consts),
                body_nconsts=len(body.consts))
    return pytree.tree_unflatten(tree, outs)


def _while_eager(cond_fun, body_fun, init_leaves, tree, init_types, paths):
    what = "while_loop"
    leaves, types = init_leaves, init_types
    while True:
        val = pytree.tree_unflatten(tree, leaves)
        c = cond_fun(val)
        if not argspec.is_value(c):
            _fail(TypeError, f"{what}: cond_fun must return a boolean scalar, got a "
                             f"{type(c).__name__}")
        _check_predicate(type_of(c).strong(), what)
        if not bool(np.asarray(c)):
            return _final_eager(leaves, tree, types)
        leaves, new_types = _check_eager_carry(body_fun(val), tree, types, paths,
                                               f"{what} body_fun")
        restart = _promoted_init(init_leaves, types, new_types)
        if restart is not None:
            init_leaves = restart
            leaves, new_types = restart, [type_of(x) for x in restart]
        types = new_types


# =========================================================================== scan

def _normalize_unroll(unroll, length: int) -> int:
    if isinstance(unroll, (bool, np.bool_)):
        return max(length, 1) if unroll else 1
    try:
        u = operator.index(unroll)
    except TypeError:
        u = None
    if u is None or u < 1:
        _fail(ValueError, f"scan: unroll must be a positive int or a bool, got {unroll!r}")
    return int(u)


def _slice_type(t: ShapedType) -> ShapedType:
    return ShapedType(t.shape[1:], t.dtype, t.weak)


def _scan_pair(out, what: str):
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        kind = f"a {type(out).__name__}" + (f" of length {len(out)}"
                                            if isinstance(out, (tuple, list)) else "")
        _fail(TypeError, f"{what} must return a pair (carry, y), got {kind}")
    return tuple(out)


def scan(f: Callable, init: Any, xs: Any = None, length: int | None = None, reverse: bool = False,
         unroll: int | bool = 1):
    """Loop `f(carry, x) -> (carry, y)` over the leading axis of `xs`, returning the final
    carry and the stacked `y`s (JAX's `lax.scan`)::

        def scan(f, init, xs, length=None):
            carry, ys = init, []
            for x in xs:               # reversed(xs) with reverse=True (ys keep xs' order)
                carry, y = f(carry, x)
                ys.append(y)
            return carry, stack(ys)

    `xs` may be None (then `length` is required); carries, xs and ys are pytrees.
    `unroll` is accepted as a hint (backends may unroll the loop body)."""
    what = "scan"
    argspec.check_callable(f, "scan: f")
    x_leaves, x_tree = pytree.tree_flatten(xs)
    x_paths = argspec.leaf_paths(x_tree, "xs")
    argspec.check_values(x_leaves, x_paths, what)
    x_types = [type_of(x) for x in x_leaves]
    lengths = []
    for t, p in zip(x_types, x_paths, strict=True):
        if t.ndim == 0:
            _fail(ValueError, f"scan got value with no leading axis to scan over: {p} of "
                              f"type {t}")
        lengths.append((p, t.shape[0]))
    if length is not None:
        try:
            length = operator.index(length)
        except TypeError:
            _fail(TypeError, f"scan: length must be an int, got {type(length).__name__}")
        lengths.append(("length", length))
    sizes = {n for _, n in lengths}
    if len(sizes) > 1:
        _fail(ValueError, "scan got values with different leading axis sizes: "
                          + ", ".join(f"{p}: {n}" for p, n in lengths))
    if not sizes:
        _fail(ValueError, "scan got no values to scan over and `length` not provided.")
    length = sizes.pop()
    if length < 0:
        _fail(ValueError, f"scan: length must be non-negative, got {length}")
    unroll = _normalize_unroll(unroll, length)
    c_leaves, c_tree = pytree.tree_flatten(init)
    c_paths = argspec.leaf_paths(c_tree, "init")
    argspec.check_values(c_leaves, c_paths, what)
    c_types = [type_of(x) for x in c_leaves]
    n_carry = len(c_leaves)

    if current() is None and length > 0:
        return _scan_eager(f, init, c_leaves, c_tree, c_types, c_paths, x_leaves, x_tree,
                           length, reverse)

    def call(flat):
        carry = pytree.tree_unflatten(c_tree, flat[:n_carry])
        x = pytree.tree_unflatten(x_tree, flat[n_carry:])
        return _scan_pair(f(carry, x), "scan body function")

    slice_types = [_slice_type(t) for t in x_types]
    body, c_types = _trace_loop_body(call, c_types, slice_types, c_tree,
                                     lambda t: t.children[0], c_paths, "scan body function",
                                     n_carry)
    c_leaves = [_convert(x, t) for x, t in zip(c_leaves, c_types, strict=True)]
    outs = bind("scan", *body.consts, *c_leaves, *x_leaves, body=body.program, length=length,
                reverse=bool(reverse), num_consts=len(body.consts), num_carry=n_carry,
                unroll=unroll)
    y_tree = body.out_tree.children[1]
    return (pytree.tree_unflatten(c_tree, outs[:n_carry]),
            pytree.tree_unflatten(y_tree, outs[n_carry:]))


def _scan_eager(f, init, c_leaves, c_tree, c_types, c_paths, x_leaves, x_tree, length, reverse):
    what = "scan body function"
    arrays = [as_array(x) for x in x_leaves]  # (their slices are Arrays too: `.at` works)
    init_leaves = c_leaves
    ys: list = [None] * length
    y_tree = None
    order = range(length - 1, -1, -1) if reverse else range(length)
    k = 0
    while k < length:
        i = order[k]
        carry = pytree.tree_unflatten(c_tree, c_leaves)
        x = pytree.tree_unflatten(x_tree, [a[i] for a in arrays])
        new_carry, y = _scan_pair(f(carry, x), what)
        c_leaves, new_types = _check_eager_carry(new_carry, c_tree, c_types, c_paths, what)
        restart = _promoted_init(init_leaves, c_types, new_types)
        if restart is not None:  # start again from the promoted initial carry
            init_leaves = c_leaves = restart
            c_types = [type_of(v) for v in restart]
            y_tree, k = None, 0
            continue
        c_types = new_types
        y_leaves, tree = pytree.tree_flatten(y)
        if y_tree is None:
            y_tree = tree
            y_paths = argspec.leaf_paths(tree, "y")
            y_types = [type_of(v).strong()
                       for v in argspec.check_values(y_leaves, y_paths, what)]
        elif tree != y_tree:
            _fail(TypeError, f"{what} must return y of one structure at every iteration, got "
                             f"{y_tree} and {tree}")
        else:
            for v, t, p in zip(y_leaves, y_types, argspec.leaf_paths(tree, "y"), strict=True):
                vt = type_of(v)
                if vt.shape != t.shape:
                    _fail(TypeError, f"{what}: {p} has type {t} at one iteration and {vt} at "
                                     "another")
        ys[i] = y_leaves
        k += 1
    stacked = [_as_array(np.stack([np.asarray(ys[i][j], dtype=t.dtype.np)
                                   for i in range(length)])) for j, t in enumerate(y_types)]
    return (_final_eager(c_leaves, c_tree, c_types), pytree.tree_unflatten(y_tree, stacked))


# =========================================================================== fori_loop / map

def fori_loop(lower: Any, upper: Any, body_fun: Callable, init_val: Any, *,
              unroll: int | bool | None = None):
    """`for i in range(lower, upper): val = body_fun(i, val)`; returns `val` (JAX's
    `lax.fori_loop`).

    With concrete bounds (Python ints, numpy scalars, or concrete values outside jit) it is
    a `scan` (reverse-differentiable); with traced bounds a `while_loop` (forward-mode
    only). The index `i` has the bounds' (promoted) integer dtype, weakly typed when both
    are Python ints."""
    argspec.check_callable(body_fun, "fori_loop: body_fun")
    lt, ut = type_of(lower), type_of(upper)
    for name, t in (("lower", lt), ("upper", ut)):
        if t.shape != () or t.dtype.kind not in "iu":
            _fail(TypeError, f"fori_loop: {name} must be an integer scalar, got {t}")
    dtype = promote((lt.dtype, lt.weak), (ut.dtype, ut.weak))[0]
    itype = ShapedType((), dtype, lt.weak and ut.weak)
    try:
        lo, hi = int(lower), int(upper)
        static = True
    except TypeError:  # ConcretizationError: traced bounds
        static = False
    if static:
        if current() is None:
            return _fori_eager(lo, hi, itype, body_fun, init_val)
        one = fnx_ir.literal(1, dtype, itype.weak)
    
        def step(carry, _):
            i, x = carry
            return (ops.add(i, one), body_fun(i, x)), None

        i0 = lo if (itype.weak and isinstance(lower, int)) else _convert(lower, itype)
        (_, out), _ = scan(step, (i0, init_val), None, length=max(hi - lo, 0),
                           unroll=1 if unroll is None else unroll)
        return out
    one = fnx_ir.literal(1, dtype, itype.weak)

    def cond_fun(c):
        return ops.lt(c[0], c[1])

    def body(c):
        return ops.add(c[0], one), c[1], body_fun(c[0], c[2])

    _, _, out = while_loop(cond_fun, body, (_convert(lower, itype), _convert(upper, itype),
                                            init_val))
    return out


def _fori_eager(lo: int, hi: int, itype: ShapedType, body_fun, init_val):
    what = "fori_loop body_fun"
    leaves, tree = pytree.tree_flatten(init_val)
    paths = argspec.leaf_paths(tree, "init_val")
    argspec.check_values(leaves, paths, what)
    types = [type_of(x) for x in leaves]
    init_leaves = leaves
    i = lo
    while i < hi:
        idx = i if itype.weak else np.asarray(i, dtype=itype.dtype.np)
        val = pytree.tree_unflatten(tree, leaves)
        leaves, new_types = _check_eager_carry(body_fun(idx, val), tree, types, paths, what)
        restart = _promoted_init(init_leaves, types, new_types)
        if restart is not None:  # start again from the promoted initial carry
            init_leaves = leaves = restart
            types, i = [type_of(x) for x in restart], lo
            continue
        types = new_types
        i += 1
    return _final_eager(leaves, tree, types)


def map(f: Callable, xs: Any) -> Any:
    """`stack([f(x) for x in xs])` over the leading axis of the pytree `xs`, as one `scan`
    (JAX's `lax.map`)."""
    argspec.check_callable(f, "map: f")
    _, ys = scan(lambda carry, x: (carry, f(x)), (), xs)
    return ys
