"""Argument handling for every transformation (JAX's `api_util`): which arguments are
static, donated or differentiated, flattening pytree arguments, and the checks of their
leaves, whose errors name the user's path to the leaf (`x['w'][0]`).

`static_argnums` and `static_argnames` (likewise `donate_argnums`/`donate_argnames`) name the
same parameters two ways. When only one of the pair is given, the other is inferred from the
function's signature, so a parameter is static whether it is passed by position or by keyword;
when both are given they are used as they are. Both are checked against the signature.
"""
from __future__ import annotations

import functools
import inspect
import operator
from typing import Any, Callable, Iterable, Sequence

import numpy as np

import fnx_ir

from . import errors, pytree
from .dtypes import canonical_array
from .trace import Traced, Tracer, native, trace_flat, type_of

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_BY_NAME = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def fun_name(fun: Callable) -> str:
    """The name JAX shows for `fun`: a partial's function's, else `<unnamed function>`."""
    while isinstance(fun, functools.partial):
        fun = fun.func
    return getattr(fun, "__name__", None) or "<unnamed function>"


def wraps(wrapper, fun: Callable) -> None:
    """`functools.update_wrapper` without copying `fun.__dict__` (an inner jit's cache), and a
    `__name__` even for a callable that has none (a `functools.partial`, an object)."""
    functools.update_wrapper(wrapper, fun, updated=())
    if not isinstance(getattr(wrapper, "__name__", None), str):
        wrapper.__name__ = wrapper.__qualname__ = fun_name(fun)


def signature(fun: Callable) -> inspect.Signature | None:
    try:
        return inspect.signature(fun)
    except (TypeError, ValueError):  # some builtins have none
        return None


def _index_tuple(x, what: str) -> tuple[int, ...]:
    try:
        return (operator.index(x),)
    except TypeError:
        pass
    try:
        return tuple(map(operator.index, x))
    except TypeError:
        raise TypeError(f"{what} must be an int or a sequence of ints, got {x!r}") from None


def _str_tuple(x, what: str) -> tuple[str, ...]:
    if isinstance(x, str):
        return (x,)
    try:
        names = tuple(x)
    except TypeError:
        names = (x,)
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"{what} must be a str or a sequence of str, got {x!r}")
    return names


def resolve(sig: inspect.Signature | None, argnums, argnames, kind: str
            ) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """`(argnums, argnames)` for `kind` ("static" or "donate"), completed and validated."""
    nums_what, names_what = f"{kind}_argnums", f"{kind}_argnames"
    nums = None if argnums is None else _index_tuple(argnums, nums_what)
    names = None if argnames is None else _str_tuple(argnames, names_what)
    if sig is None:  # nothing to infer from or check against
        if names is not None and kind == "donate":
            raise ValueError(f"the signature of the function cannot be read: pass "
                             f"{nums_what} instead of {names_what}")
        return nums or (), names or ()
    params = list(sig.parameters.values())
    if nums is None and names is not None:
        nums = tuple(i for i, p in enumerate(params)
                     if p.kind is p.POSITIONAL_OR_KEYWORD and p.name in names)
    elif names is None and nums is not None:
        names = tuple(p.name for i, p in enumerate(params)
                      if p.kind is p.POSITIONAL_OR_KEYWORD and i in nums)
    nums, names = nums or (), names or ()
    _check_nums(params, nums, nums_what)
    _check_names(params, names, names_what)
    return nums, names


def _check_nums(params: list, nums: tuple[int, ...], what: str) -> None:
    if not nums or any(p.kind is p.VAR_POSITIONAL for p in params):
        return
    n = sum(p.kind in _POSITIONAL for p in params)
    if -min(nums) > n or max(nums) >= n:
        raise ValueError(f"jitted function has {what}={nums}, but only accepts {n} positional "
                         "arguments")


def _check_names(params: list, names: tuple[str, ...], what: str) -> None:
    positional_only = {p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL)}
    if bad := sorted(positional_only & set(names)):
        raise ValueError(f"jitted function has invalid argnames {bad} in {what}: these are "
                         "positional-only")
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    if bad := sorted(set(names) - {p.name for p in params if p.kind in _BY_NAME}):
        raise ValueError(f"jitted function has invalid argnames {bad} in {what}: the function "
                         "does not take these arguments")


def positions(nums: Iterable[int], n: int) -> frozenset[int]:
    """`nums` as indices into `n` positional arguments; those past the end are ignored (an
    argument left to its default), as in JAX."""
    for i in nums:
        if i < -n:
            raise ValueError(f"argument number {i} is out of range for a call with {n} "
                             "positional arguments")
    return frozenset(i % n for i in nums if i < n)


def arg_names(sig: inspect.Signature | None, n: int) -> list[str]:
    """A readable name for each of `n` positional arguments."""
    names = []
    params = list(sig.parameters.values()) if sig is not None else []
    for i in range(n):
        p = params[i] if i < len(params) and params[i].kind in _POSITIONAL else None
        names.append(repr(p.name) if p is not None else f"{i}")
    return names


# ------------------------------------------------------------------- argnums

def normalize_argnums(argnums, nargs: int, what: str, fun) -> tuple[tuple[int, ...], bool]:
    """`argnums` (an int or a sequence of ints) as non-negative positions into `nargs`
    positional arguments, and whether it was a single int (the transforms' `argnums`)."""
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    nums = (argnums,) if single else argnums
    if not isinstance(nums, (tuple, list)) or not all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in nums):
        raise TypeError(f"{what}: argnums must be an int or a tuple of ints, got {argnums!r}")
    if not single and len(nums) == 0:
        raise ValueError(f"{what}: argnums is an empty tuple: there is nothing to "
                         "differentiate with respect to")
    out = []
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"{what}: argnums {argnums!r} is out of range: "
                             f"{callable_name(fun)} was called with {nargs} positional "
                             f"argument{'s' if nargs != 1 else ''}")
        out.append(int(i) % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f"{what}: argnums {argnums!r} has repeated entries")
    return tuple(out), single


def callable_name(fun) -> str:
    """`fun`'s name, or its type's for a callable object without one."""
    return getattr(fun, "__name__", None) or type(fun).__name__


def check_callable(f, what: str) -> None:
    """A TypeError naming `what` unless `f` is callable."""
    if not callable(f):
        raise TypeError(errors.at_source(f"{what} must be callable, got {type(f).__name__}",
                                         errors.user_source()))


# ------------------------------------------------------------------- static arguments

def normalize_static(fun: Callable, static_argnums, static_argnames=None
                     ) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Static argument numbers and names, each inferred from the other through `fun`'s
    signature when only one is given (see `resolve`)."""
    return resolve(signature(fun), static_argnums, static_argnames, "static")


def split_static(args: Sequence, kwargs: dict, static_argnums: Sequence[int],
                 static_argnames: Sequence[str]):
    """Separate static arguments (part of the cache key) from the traced ones."""
    nums = positions(static_argnums, len(args))
    static = tuple((i, args[i]) for i in sorted(nums))
    static += tuple((k, kwargs[k]) for k in sorted(kwargs) if k in static_argnames)
    dyn_args = tuple(a for i, a in enumerate(args) if i not in nums)
    dyn_kwargs = {k: v for k, v in kwargs.items() if k not in static_argnames}
    for k, v in static:
        try:
            hash(v)
        except TypeError:
            where = f"argument {k}" if isinstance(k, int) else f"argument {k!r}"
            raise ValueError(f"static arguments must be hashable: {where} is a "
                             f"{type(v).__name__} ({v!r})") from None
    return static, dyn_args, dyn_kwargs


def merge_static(static, dyn_args: Sequence, dyn_kwargs: dict):
    """The full `(args, kwargs)` of a call: `split_static` undone."""
    args = list(dyn_args)
    kwargs = dict(dyn_kwargs)
    for k, v in static:
        if isinstance(k, int):
            args.insert(k, v)
        else:
            kwargs[k] = v
    return args, kwargs


# ------------------------------------------------------------------- leaves and paths

def is_python_scalar(x) -> bool:
    """A Python bool, int or float (not a numpy scalar, though np.float64 is a float)."""
    return isinstance(x, (bool, int, float)) and not isinstance(x, np.generic)


def is_value(x) -> bool:
    """A leaf that is an array value: traced, numpy, or a Python scalar."""
    return type(x) is Tracer or isinstance(x, (np.ndarray, np.generic)) or is_python_scalar(x)


def _key_str(node_type, aux, i) -> str:
    if node_type is dict:
        return f"[{aux[i]!r}]"
    fields = getattr(node_type, "_fields", None)
    if fields is not None:
        return f".{fields[i]}"
    return f"[{i}]"


def key_path(treedef: pytree.PyTreeDef, i: int, path: str) -> str:
    """`path` extended by the key of child `i` of `treedef`'s root node."""
    return path + _key_str(treedef.node_type, treedef.aux, i)


def leaf_paths(treedef: pytree.PyTreeDef, path: str) -> list[str]:
    """A readable path (`args[0]['w']`) for each leaf of `treedef`, in flatten order."""
    if treedef.node_type is None:
        return [path]
    out: list[str] = []
    for i, child in enumerate(treedef.children):
        out.extend(leaf_paths(child, key_path(treedef, i, path)))
    return out


def call_paths(treedef: pytree.PyTreeDef) -> list[str]:
    """`leaf_paths` of an `(args, kwargs)` tree: `args[0]['w']`, `kwargs['x']`."""
    args, kwargs = treedef.children
    return leaf_paths(args, "args") + leaf_paths(kwargs, "kwargs")


def check_leaves(leaves: Sequence, what: str, paths: Callable[[], list[str]],
                 source: str | None = None) -> list:
    """`check_leaf` of each leaf; `paths()` (a walk of the tree: only on an error) names
    the offending one."""
    try:
        return [check_leaf(x, what, "", source) for x in leaves]
    except TypeError:
        for x, path in zip(leaves, paths(), strict=True):
            check_leaf(x, what, path, source)
        raise


def check_values(leaves: Sequence, paths: Sequence[str], what: str) -> list:
    """`leaves`, checked to be array values; the error names the path of the first other."""
    for x, p in zip(leaves, paths, strict=True):
        if not is_value(x):
            raise TypeError(errors.at_source(
                f"{what}: {p} is a {type(x).__name__}, not an array: leaves must be numpy "
                "arrays, Python scalars or traced values", errors.user_source()))
    return list(leaves)


def check_leaf(x, what: str, path: str, source: str | None = None):
    """An argument leaf of a transformation (numpy arrays of a canonical dtype, Python
    scalars, traced values); a TypeError naming `path` for anything else."""
    if type(x) is Tracer or is_python_scalar(x):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        try:
            type_of(x)
        except TypeError as e:
            raise TypeError(errors.at_source(f"{what}: {path}: {e}", source)) from None
        return canonical_array(np.asarray(x))  # float64 is float32 with x64 off
    raise TypeError(errors.at_source(
        f"{what}: {path} is a {type(x).__name__}, not a valid fnx argument: leaves must be "
        "numpy arrays, Python scalars or traced values", source))


_SUPPORTED_NP_DTYPES = frozenset(d.np for d in fnx_ir.ALL_DTYPES)


def check_jit_leaf(x, where: str):
    """An argument leaf of `jit`/`make_ir`, as it is keyed and passed: also a
    ShapeDtypeStruct (a type without values, for `eval_shape` and `lower`), a list (an
    array), and a numpy array of a non-native byte order (as the native one)."""
    if type(x) is Tracer or isinstance(x, (bool, int, float)):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype not in _SUPPORTED_NP_DTYPES:
            fnx_ir.dtype(x.dtype)  # raises, naming the unsupported dtype
            return native(x)  # e.g. '>f8': keyed and passed as the native dtype
        return x
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    if hasattr(x, "_fnx_type"):  # a ShapeDtypeStruct
        return x
    raise TypeError(f"{where}: {type(x).__name__} is not a valid fnx argument: leaves must be "
                    "numpy arrays, Python scalars or traced values (mark an argument that is "
                    "not an array static with static_argnums or static_argnames)")


# ------------------------------------------------------------------- flattening

def flatten_function(fun: Callable, in_tree, what: str, source: str | None = None):
    """`fun` of pytrees as a function of flat leaves returning flat outputs.

    Returns `(flat_fun, box)`; each call appends the output's treedef to `box`.
    """
    box: list = []

    def flat_fun(*flat):
        a, k = pytree.tree_unflatten(in_tree, flat)
        out_leaves, out_tree = pytree.tree_flatten(fun(*a, **k))
        for o in out_leaves:
            if not is_value(o):
                raise TypeError(errors.at_source(
                    f"{what} returned a {type(o).__name__}: outputs must be arrays or pytrees "
                    "of arrays", source))
        box.append(out_tree)
        return out_leaves

    return flat_fun, box


def trace_pytree(fun: Callable, args: Sequence, kwargs: dict, concrete: bool,
                 what: str = "function") -> tuple[Traced, Any, list]:
    """Trace `fun(*args, **kwargs)` with pytree arguments; returns (Traced, out_treedef,
    the checked leaves)."""
    leaves, in_tree = pytree.tree_flatten((tuple(args), kwargs))
    leaves = [check_jit_leaf(x, what) for x in leaves]
    flat_fun, out_tree_box = flatten_function(fun, in_tree, what)
    traced = trace_flat(flat_fun, leaves, concrete)
    return traced, out_tree_box[0], leaves
