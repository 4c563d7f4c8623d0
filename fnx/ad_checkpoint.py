"""Rematerialisation controls (JAX's `jax.ad_checkpoint` and `jax.checkpoint_policies`).

- `checkpoint` / `remat` (as `fnx.checkpoint`), with `policy=` one of
  `checkpoint_policies`: a function `policy(prim: str, *in_types, **params) -> bool`
  saying whether the outputs of one equation of the checkpointed function may be saved
  for the backward pass (the rest is recomputed there). fnx passes the primitive's name
  where JAX passes the primitive object.
- `checkpoint_name(x, name)`: the identity, naming `x` for `save_only_these_names` /
  `save_any_names_but_these`; transparent to every transformation and backend.
- `print_saved_residuals(f, *args)` / `saved_residuals`: what reverse-mode
  differentiation of `f` at `args` stores for the backward pass, and where each value
  comes from.
"""
from __future__ import annotations

import inspect
import types as _types
from typing import Any, Callable

from fnx_ir import Program, ShapedType, Var

from . import tree_util
from ._core import ad
from ._core.ad_api import checkpoint, remat
from ._core.trace import bind, trace_flat, type_of

__all__ = ["checkpoint", "remat", "checkpoint_name", "checkpoint_policies",
           "print_saved_residuals", "saved_residuals"]


def checkpoint_name(x: Any, name: str) -> Any:
    """`x` (a pytree of arrays) unchanged, named `name` for checkpoint policies."""
    if not isinstance(name, str):
        raise TypeError(f"checkpoint_name: name must be a str, got {type(name).__name__}")
    return tree_util.tree_map(lambda v: bind("name", v, name=name), x)


# ----------------------------------------------------------------------------- policies

def everything_saveable(*_, **__) -> bool:
    """Save every intermediate value (as without checkpoint)."""
    return True


def nothing_saveable(*_, **__) -> bool:
    """Save nothing but the checkpoint's inputs (the default)."""
    return False


def dots_saveable(prim: str, *_, **__) -> bool:
    """Save the results of matrix products (`dot_general`); recompute the rest."""
    return prim == "dot_general"


def dots_with_no_batch_dims_saveable(prim: str, *_, **params) -> bool:
    """Save the results of matrix products without batch dimensions."""
    if prim != "dot_general":
        return False
    (_, _), (lhs_batch, rhs_batch) = params["dimension_numbers"]
    return not lhs_batch and not rhs_batch


def save_only_these_names(*names: str) -> Callable:
    """A policy saving only the values named (`checkpoint_name`) one of `names`."""
    names = frozenset(names)

    def policy(prim: str, *_, **params) -> bool:
        return prim == "name" and params["name"] in names
    return policy


def save_any_names_but_these(*names: str) -> Callable:
    """A policy saving every named value (`checkpoint_name`) except those in `names`."""
    names = frozenset(names)

    def policy(prim: str, *_, **params) -> bool:
        return prim == "name" and params["name"] not in names
    return policy


def save_from_both_policies(policy_1: Callable, policy_2: Callable) -> Callable:
    """A policy saving what either policy saves."""
    def policy(*args, **params) -> bool:
        return bool(policy_1(*args, **params)) or bool(policy_2(*args, **params))
    return policy


checkpoint_policies = _types.SimpleNamespace(
    everything_saveable=everything_saveable,
    nothing_saveable=nothing_saveable,
    dots_saveable=dots_saveable,
    checkpoint_dots=dots_saveable,
    dots_with_no_batch_dims_saveable=dots_with_no_batch_dims_saveable,
    checkpoint_dots_with_no_batch_dims=dots_with_no_batch_dims_saveable,
    save_only_these_names=save_only_these_names,
    save_any_names_but_these=save_any_names_but_these,
    save_from_both_policies=save_from_both_policies,
)


# ----------------------------------------------------------------------------- residuals

def _arg_paths(fun: Callable, args: tuple, kwargs: dict) -> list[str]:
    """A name per flat argument leaf: `x`, `params['w']`, `xs[0]`."""
    try:
        names = [p.name for p in inspect.signature(fun).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []

    def walk(x, path: str, out: list) -> None:
        children = tree_util.tree_flatten(x, is_leaf=lambda y: y is not x)[0]
        if tree_util.treedef_is_leaf(tree_util.tree_structure(x)):
            out.append(path)
            return
        keys = sorted(x) if isinstance(x, dict) else range(len(children))
        for k, c in zip(keys, children, strict=True):
            walk(c, f"{path}[{k!r}]", out)

    out: list = []
    for i, a in enumerate(args):
        walk(a, names[i] if i < len(names) else f"args[{i}]", out)
    for k in sorted(kwargs):
        walk(kwargs[k], k, out)
    return out


def _origin(program: Program, var: Var, describe_input: Callable[[int], str]) -> str:
    """Where `var` of `program` comes from (looking into checkpoint equations)."""
    for eq in program.equations:
        if var not in eq.outputs:
            continue
        if eq.primitive == "checkpoint":
            inner = eq.params["program"]
            iv = inner.outputs[eq.outputs.index(var)]
            if not isinstance(iv, Var):
                return "from a constant"

            def outer_input(k: int, eq=eq) -> str:
                x = eq.inputs[k]
                return (_origin(program, x, describe_input) if isinstance(x, Var)
                        else "from a constant")
            return _origin(inner, iv, outer_input)
        if eq.primitive == "name":
            return f"named '{eq.params['name']}' from {eq.source}"
        return f"output of {eq.primitive} from {eq.source}"
    if var in program.inputs:
        return describe_input(program.inputs.index(var))
    return "from a constant"


def saved_residuals(f: Callable, *args, **kwargs) -> list[tuple[ShapedType, str]]:
    """The values reverse-mode differentiation of `f` at `args` saves for the backward
    pass (with respect to every floating-point argument): `(type, where it comes from)`."""
    leaves, in_tree = tree_util.tree_flatten((args, kwargs))
    types = [type_of(x) for x in leaves]

    def flat(*xs):
        a, k = tree_util.tree_unflatten(in_tree, xs)
        return tree_util.tree_leaves(f(*a, **k))

    program = trace_flat(flat, types, concrete=False, types=types).program
    pe, _, _ = ad.linearize_program(program, [True] * len(program.inputs))
    known = pe.known
    residuals = known.outputs[len(known.outputs) - pe.num_res:]
    paths = _arg_paths(f, args, kwargs)

    def describe_input(k: int) -> str:  # (the known inputs are the program's inputs)
        return f"from the argument {paths[k]}" if k < len(paths) else "from a constant"

    position = {o: i for i, eq in enumerate(known.equations) for o in eq.outputs}
    inputs = {v: i for i, v in enumerate(known.inputs)}
    residuals = sorted((r for r in residuals if isinstance(r, Var)),  # arguments first
                       key=lambda r: (0, inputs[r]) if r in inputs else (1, position[r]))
    return [(r.type, _origin(known, r, describe_input)) for r in residuals]


def print_saved_residuals(f: Callable, *args, **kwargs) -> None:
    """Print what `saved_residuals(f, *args)` lists, one value a line (as JAX does)."""
    for t, where in saved_residuals(f, *args, **kwargs):
        print(f"{t} {where}")
