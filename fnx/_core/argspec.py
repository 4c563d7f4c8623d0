"""Which arguments of a jitted function are static or donated, resolved as `jax.jit` does.

`static_argnums` and `static_argnames` (likewise `donate_argnums`/`donate_argnames`) name the
same parameters two ways. When only one of the pair is given, the other is inferred from the
function's signature, so a parameter is static whether it is passed by position or by keyword;
when both are given they are used as they are. Both are checked against the signature.
"""
from __future__ import annotations

import functools
import inspect
import operator
from typing import Callable, Iterable

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
