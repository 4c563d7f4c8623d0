"""`fnx.vmap`: the user-facing side of batching (argument specs, errors, out_axes).

`vmap(f)(*args)` traces `f` once on per-example abstract types (each argument's
type with its mapped axis removed), then replays that program with
`batching.batch_program`, which binds each primitive's batch rule into the
active trace (inside jit, grad or another vmap) or runs it eagerly on numpy
arrays when no trace is active.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from fnx_ir import Literal, ShapedType

from . import argspec, errors, pytree
from .batching import BatchingError, batch_program, bound_axis, matchaxis
from .array import Array, as_array
from .trace import current, trace_flat, type_of


def _is_axis(x) -> bool:
    return x is None or (isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)))


def _check_spec(spec, what: str) -> None:
    leaves = pytree.tree_leaves(spec, is_leaf=lambda x: x is None)
    for leaf in leaves:
        if not _is_axis(leaf):
            raise BatchingError(errors.at_source(
                f"vmap {what} must be an int, None, or a pytree of those; got a leaf "
                f"{leaf!r} of type {type(leaf).__name__} in {what}={spec!r}",
                errors.user_source()))


def _prefix_leaves(spec, treedef: pytree.PyTreeDef, path: str, what: str,
                   root: Any, src) -> list:
    """Broadcast a pytree prefix `spec` (leaves int/None) over the leaves of `treedef`."""
    if _is_axis(spec):
        return [None if spec is None else int(spec)] * treedef.num_leaves
    node_type, funcs = pytree._node_kind(spec)
    if node_type is None or treedef.node_type is None or node_type is not treedef.node_type:
        got = ("a single leaf (an array) there" if treedef.node_type is None
               else f"structure {treedef._str()} there")
        raise BatchingError(errors.at_source(
            f"vmap {what} must be a pytree prefix of the {root}: at {path} the {root} "
            f"have {got}, but {what} has the {type(spec).__name__} {spec!r:.80}", src))
    children, aux = funcs[0](spec)
    if aux != treedef.aux or len(children) != len(treedef.children):
        raise BatchingError(errors.at_source(
            f"vmap {what} must be a pytree prefix of the {root}: at {path} the {root} "
            f"have structure {treedef._str()} there, but {what} has {spec!r:.80}", src))
    out: list = []
    for i, (c, sub) in enumerate(zip(children, treedef.children, strict=True)):
        out.extend(_prefix_leaves(c, sub, argspec.key_path(treedef, i, path), what, root, src))
    return out


def vmap(fun: Callable, in_axes=0, out_axes=0, axis_name: str | None = None,
         axis_size: int | None = None) -> Callable:
    """Vectorise `fun` over a batch axis of its arguments (JAX's `jax.vmap`).

    - `in_axes`: an int, None, or a pytree prefix of the positional arguments (a tuple
      with one entry per argument; a top-level list is read as a tuple) whose leaves are
      ints (the mapped axis, negative counts from the end) or None (not mapped).
      Keyword arguments are always mapped over axis 0.
    - `out_axes`: likewise for the results: where the batch axis goes in each output;
      None for outputs that do not depend on the mapped inputs (an error if they do).
    - `axis_name`: a name for the mapped axis, for the collectives in `fnx.lax` (`psum`,
      `pmean`, `pmax`, `pmin`, `all_gather`, `axis_index`) inside `fun`.
    - `axis_size`: the batch size, needed when no argument is mapped.

    `fun` is traced once on per-example (unbatched) abstract values, so Python control
    flow on argument values is not allowed inside it (use `fnx.lax.cond` etc.).
    """
    if not callable(fun):
        raise TypeError(f"vmap: expected a callable, got {type(fun).__name__}")
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    _check_spec(in_axes, "in_axes")
    _check_spec(out_axes, "out_axes")
    if axis_size is not None and (not isinstance(axis_size, (int, np.integer))
                                  or isinstance(axis_size, bool) or axis_size < 0):
        raise BatchingError(f"vmap: axis_size must be a non-negative int, got {axis_size!r}")
    if axis_name is not None and not isinstance(axis_name, str):
        raise TypeError(f"vmap: axis_name must be a str or None, got {axis_name!r}")

    @functools.wraps(fun, updated=())
    def batched(*args, **kwargs):
        src = errors.user_source()
        name = getattr(fun, "__name__", "function")
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise BatchingError(errors.at_source(
                f"vmap in_axes must be a pytree prefix of the positional arguments: "
                f"in_axes={in_axes!r} has {len(in_axes)} entries but {name} was called "
                f"with {len(args)} positional arguments", src))
        _, args_tree = pytree.tree_flatten(tuple(args))
        kw_leaves, kw_tree = pytree.tree_flatten(kwargs)
        axes = _prefix_leaves(in_axes, args_tree, "args", "in_axes", "arguments", src)
        axes += [0] * len(kw_leaves)
        paths = argspec.leaf_paths(args_tree, "args") + argspec.leaf_paths(kw_tree, "kwargs")
        leaves, in_tree = pytree.tree_flatten((tuple(args), kwargs))
        leaves = [argspec.check_leaf(x, "vmap", f"argument {p}", src)
                  for x, p in zip(leaves, paths, strict=True)]

        types = [type_of(x) for x in leaves]
        for i, (t, ax, p) in enumerate(zip(types, axes, paths, strict=True)):
            if ax is None:
                continue
            if not -t.ndim <= ax < t.ndim:
                why = ("it is a scalar (rank 0): it cannot be mapped; use in_axes None for it"
                       if t.ndim == 0 else f"allowed axes are {-t.ndim}..{t.ndim - 1}")
                what = "in_axes" if p.startswith("args") else "keyword arguments (mapped over axis 0)"
                raise BatchingError(errors.at_source(
                    f"vmap {what}: axis {ax} is out of range for argument {p} of type {t} "
                    f"(rank {t.ndim}): {why}", src))
            axes[i] = ax % t.ndim

        mapped = [(p, t, ax) for p, t, ax in zip(paths, types, axes, strict=True) if ax is not None]
        sizes = {t.shape[ax] for _, t, ax in mapped}
        if axis_size is not None:
            sizes.add(int(axis_size))
        if len(sizes) > 1:
            lines = [f"  {p}: type {t}, axis {ax} has size {t.shape[ax]}" for p, t, ax in mapped]
            if axis_size is not None:
                lines.append(f"  axis_size={axis_size}")
            raise BatchingError(errors.at_source(
                f"vmap got inconsistent sizes for the mapped axis of {name}:\n"
                + "\n".join(lines), src))
        if not sizes:
            raise BatchingError(errors.at_source(
                f"vmap of {name}: no argument is mapped (in_axes={in_axes!r} with "
                f"{len(leaves)} array leaves), so the batch size is unknown; pass axis_size=",
                src))
        size = sizes.pop()

        example_types = [t if ax is None else
                         ShapedType(t.shape[:ax] + t.shape[ax + 1:], t.dtype, t.weak)
                         for t, ax in zip(types, axes, strict=True)]
        flat_fun, out_tree_box = argspec.flatten_function(fun, in_tree, f"vmap: {name}", src)
        with bound_axis(axis_name, size):
            traced = trace_flat(flat_fun, leaves, concrete=False, types=example_types)
            out_tree = out_tree_box[0]
            outs, out_dims = batch_program(traced.program, leaves + list(traced.captured),
                                           axes + [None] * len(traced.captured))

        out_specs = _prefix_leaves(out_axes, out_tree, "out", "out_axes", "outputs", src)
        out_paths = argspec.leaf_paths(out_tree, "out")
        eager = current() is None
        results = []
        for v, d, spec, p in zip(outs, out_dims, out_specs, out_paths, strict=True):
            if spec is None:
                if d is not None:
                    raise BatchingError(errors.at_source(
                        f"vmap of {name}: out_axes is None for output {p}, but that output "
                        f"depends on the mapped inputs (its batched type is {type_of(v)}); "
                        "give it an int out_axes, or make it independent of the mapped axis",
                        src))
                if isinstance(v, Literal):
                    v = np.asarray(v.value)
            else:
                nd = type_of(v).ndim + (1 if d is None else 0)
                if not -nd <= spec < nd:
                    raise BatchingError(errors.at_source(
                        f"vmap of {name}: out_axes {spec} is out of range for output {p} of "
                        f"batched rank {nd} (allowed {-nd}..{nd - 1})", src))
                v = matchaxis(v, d, size, spec % nd)
            if eager:
                v = _fresh_output(v, leaves)
            results.append(v)
        return pytree.tree_unflatten(out_tree, results)

    return batched


def _fresh_output(v, inputs: Sequence) -> Array:
    """Eager results never alias an argument or a frozen program constant."""
    if isinstance(v, Literal):
        v = v.value
    arr = v if isinstance(v, np.ndarray) else np.asarray(v)
    if not arr.flags.writeable or any(isinstance(x, np.ndarray) and np.may_share_memory(arr, x)
                                      for x in inputs):
        arr = np.array(arr)
    return as_array(arr)
