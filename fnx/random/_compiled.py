"""Samplers are jitted functions (as JAX's are), cached per compile-time constants.

A sampler call goes through `fnx.jit` of the sampler: the key and array parameters are
its arguments; shapes, dtypes, Python scalars and the other options are compile-time
constants, so each new combination compiles once (then hits the disk cache). Called
eagerly it runs the compiled program, so eager results are the bits `jit` gives, and
fast. Inside a trace (`jit`, `vmap`, `grad`, …) it is a nested `jit` call, which the
enclosing trace records as `jit` records nested calls.
"""
from __future__ import annotations

import functools
import inspect
from typing import Callable

import numpy as np

from .._core.api import jit
from .._core.dtypes import default_int
from .._core.trace import Tracer
from ._util import check_key


def _dynamic(name: str, value) -> bool:
    """Arrays (numpy arrays and scalars, and lists of numbers) are program arguments."""
    return isinstance(value, (np.ndarray, np.generic, Tracer)) or (isinstance(value, list)
                                                                  and name != "shape")


def _static_key(value):
    """A hashable stand-in for a compile-time constant (tuples of shapes, dtypes, scalars)."""
    if isinstance(value, tuple):
        return tuple(_static_key(v) for v in value)
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"fnx.random: argument {value!r} is neither an array nor a "
                        "hashable constant") from None
    return (type(value), value)


def _as_argument(value):
    """A Python int or float parameter as a 0-d array argument (so that a new value does not
    compile a new program); ints beyond int64 stay constants."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, int) and not -2**63 <= value < 2**63:
        return value
    if isinstance(value, int):  # beyond the default int (int32 with x64 off): OverflowError,
        return np.asarray(value, default_int().np)  # as for JAX's jit arguments
    return np.asarray(value)


def compiled(*arrays: str) -> Callable[[Callable], Callable]:
    """Decorator for sampler `fn(key, ...)`: eagerly, run it as a cached jitted program.
    The parameters named in `arrays` take Python numbers as array arguments (their
    sampler treats a 0-d array like the number)."""
    return functools.partial(_compiled, arrays=arrays)


def _compiled(fn: Callable, arrays: tuple) -> Callable:
    signature = inspect.signature(fn)
    programs: dict = {}

    @functools.wraps(fn)
    def sampler(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        arguments["key"] = check_key(fn.__name__, arguments["key"])
        for name in arrays:
            arguments[name] = _as_argument(arguments[name])
        names = tuple(n for n, v in arguments.items() if _dynamic(n, v))
        static = {n: tuple(v) if isinstance(v, list) else v
                  for n, v in arguments.items() if n not in names}
        cache_key = (names, tuple((n, _static_key(v)) for n, v in static.items()))
        program = programs.get(cache_key)
        if program is None:
            def run(*values):
                return fn(**static, **dict(zip(names, values, strict=True)))
            run.__name__ = run.__qualname__ = f"random.{fn.__name__}"
            program = programs[cache_key] = jit(run)
        return program(*(v if type(v) is Tracer else np.asarray(v)
                         for v in (arguments[n] for n in names)))

    return sampler
