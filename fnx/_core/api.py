"""`make_ir` and `jit`: tracing user functions of pytrees, and compiled dispatch."""
from __future__ import annotations

import functools
import operator
import threading
from typing import Callable, Sequence

import numpy as np

import fnx_ir

from .. import tree_util
from ..backends.base import LoweringOptions, available_backends, get_backend
from . import errors
from .config import x64_enabled
from .dtypes import canonical_np
from .trace import Tracer, current, trace_flat, type_of


_SUPPORTED_NP_DTYPES = frozenset(d.np for d in fnx_ir.ALL_DTYPES)


def _check_leaf(x, where: str):
    if type(x) is Tracer or isinstance(x, (bool, int, float)):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype not in _SUPPORTED_NP_DTYPES:
            fnx_ir.dtype(x.dtype)  # raises, naming the unsupported dtype
        return x
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    raise TypeError(f"{where}: {type(x).__name__} is not a valid fnx argument: leaves must be "
                    "numpy arrays, Python scalars or traced values")


def normalize_static(fun: Callable, static_argnums, static_argnames=()) -> tuple[tuple[int, ...], tuple[str, ...]]:
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if isinstance(static_argnames, str):
        static_argnames = (static_argnames,)
    return tuple(static_argnums), tuple(static_argnames)


def split_static(args: Sequence, kwargs: dict, static_argnums: Sequence[int],
                 static_argnames: Sequence[str]):
    """Separate static arguments (part of the cache key) from the traced ones."""
    n = len(args)
    nums = {i % n if -n <= i < n else i for i in static_argnums}
    for i in nums:
        if not 0 <= i < n:
            raise ValueError(f"static_argnums {tuple(static_argnums)} out of range for "
                             f"{n} positional arguments")
    static = tuple((i, args[i]) for i in sorted(nums))
    static += tuple((k, kwargs[k]) for k in sorted(kwargs) if k in static_argnames)
    dyn_args = tuple(a for i, a in enumerate(args) if i not in nums)
    dyn_kwargs = {k: v for k, v in kwargs.items() if k not in static_argnames}
    for _, v in static:
        try:
            hash(v)
        except TypeError:
            raise ValueError(f"static arguments must be hashable, got {type(v).__name__}") from None
    return static, dyn_args, dyn_kwargs


def merge_static(static, dyn_args: Sequence, dyn_kwargs: dict):
    args = list(dyn_args)
    kwargs = dict(dyn_kwargs)
    for k, v in static:
        if isinstance(k, int):
            args.insert(k, v)
        else:
            kwargs[k] = v
    return args, kwargs


def trace_pytree(fun: Callable, args: Sequence, kwargs: dict, concrete: bool,
                 what: str = "function"):
    """Trace `fun(*args, **kwargs)` with pytree arguments; returns (Traced, out_treedef)."""
    leaves, in_tree = tree_util.tree_flatten((tuple(args), kwargs))
    leaves = [_check_leaf(x, what) for x in leaves]
    flat_fun, out_tree_box = flatten_function(fun, in_tree, what)
    traced = trace_flat(flat_fun, leaves, concrete)
    return traced, out_tree_box[0], leaves


def flatten_function(fun: Callable, in_tree, what: str, source: str | None = None):
    """`fun` of pytrees as a function of flat leaves returning flat outputs.

    Returns `(flat_fun, box)`; each call appends the output's treedef to `box`.
    """
    box: list = []

    def flat_fun(*flat):
        a, k = tree_util.tree_unflatten(in_tree, flat)
        out_leaves, out_tree = tree_util.tree_flatten(fun(*a, **k))
        for o in out_leaves:
            if not (type(o) is Tracer or isinstance(o, (np.ndarray, np.generic, bool, int, float))):
                raise TypeError(errors.at_source(
                    f"{what} returned a {type(o).__name__}: outputs must be arrays or pytrees "
                    "of arrays", source))
        box.append(out_tree)
        return out_leaves

    return flat_fun, box


def make_ir(fun: Callable, static_argnums: int | Sequence[int] = ()) -> Callable[..., fnx_ir.Program]:
    """`make_ir(f)(*args)` traces `f` on the types of `args` and returns its `fnx_ir.Program`."""
    static_argnums, _ = normalize_static(fun, static_argnums)

    @functools.wraps(fun, updated=())
    def traced(*args, **kwargs) -> fnx_ir.Program:
        static, dyn_args, dyn_kwargs = split_static(args, kwargs, static_argnums, ())
        def with_static(*a, **k):
            a2, k2 = merge_static(static, a, k)
            return fun(*a2, **k2)
        tr, _, _ = trace_pytree(with_static, dyn_args, dyn_kwargs, concrete=False,
                                what=getattr(fun, "__name__", "function"))
        if tr.captured:
            raise errors.TracerLeakError("make_ir: the function closes over traced values of an "
                                         "enclosing transformation; pass them as arguments")
        return tr.program

    return traced


# ------------------------------------------------------------------------ jit

def default_backend() -> str:
    return "cpu" if "cpu" in available_backends() else "interpreter"


def optimize(program: fnx_ir.Program) -> fnx_ir.Program:
    from ..backends.interpreter import evaluate_equation
    from .ad import inline_calls
    program = fnx_ir.passes.optimize(program, evaluate_equation)
    # checkpoint / custom_*_call hold sub-programs: backends get them flat. Inlined after
    # CSE, so a checkpoint's recomputation is not merged back into the forward pass.
    flat = inline_calls(program)
    return program if flat is program else fnx_ir.passes.dce(flat)


class Lowered:
    """`jit(f).lower(*args)`: the optimised program, ready to compile."""

    def __init__(self, program: fnx_ir.Program, backend: str):
        self.program = program
        self.backend = backend

    def as_text(self) -> str:
        return str(self.program)

    def compile(self):
        return get_backend(self.backend).lower(self.program, LoweringOptions())


class _Compiled:
    __slots__ = ("executable", "out_tree", "dtypes")

    def __init__(self, executable, out_tree, dtypes):
        self.executable = executable
        self.out_tree = out_tree
        self.dtypes = dtypes


_SHAPE_DTYPE = operator.attrgetter("shape", "dtype")


def _leaf_key(x):
    if type(x) is np.ndarray:
        return (x.shape, canonical_np(x.dtype).char)
    t = type_of(x)
    return (t.shape, t.dtype.name, t.weak)


class JitFunction:
    """The callable `jit(f)` returns: traces once per signature, then calls native code."""

    def __init__(self, fun: Callable, static_argnums, static_argnames, backend: str | None):
        self.fun = fun
        self.static_argnums, self.static_argnames = normalize_static(fun, static_argnums,
                                                                     static_argnames)
        self.backend = backend
        self._cache: dict = {}
        # Calls whose arguments are all ndarrays, positionally, skip pytree handling: keyed on
        # (shape, dtype) per argument, holding the executable and whether it returns one leaf.
        # One dict per value of the x64 switch (indexed by it), as the switch changes types.
        self._flat_cache: tuple[dict, dict] = ({}, {})
        self._flat_ok = not (self.static_argnums or self.static_argnames)
        self._lock = threading.Lock()
        self.trace_count = 0  # how many times `fun` was traced (for tests and debugging)
        functools.update_wrapper(self, fun, updated=())  # not fun's __dict__ (cache)

    def _signature(self, args, kwargs):
        static, dyn_args, dyn_kwargs = split_static(args, kwargs, self.static_argnums,
                                                    self.static_argnames)
        leaves, in_tree = tree_util.tree_flatten((dyn_args, dyn_kwargs))
        leaves = [_check_leaf(x, self.__name__) for x in leaves]
        key = (in_tree, static, tuple(_leaf_key(x) for x in leaves), x64_enabled())
        return key, static, dyn_args, dyn_kwargs, leaves

    def _compile(self, static, dyn_args, dyn_kwargs):
        def with_static(*a, **k):
            a2, k2 = merge_static(static, a, k)
            return self.fun(*a2, **k2)
        traced, out_tree, leaves = trace_pytree(with_static, dyn_args, dyn_kwargs, concrete=False,
                                                what=self.__name__)
        self.trace_count += 1
        program = optimize(traced.program)
        backend = self.backend or default_backend()
        exe = get_backend(backend).lower(program, LoweringOptions())
        dtypes = [v.type.dtype.np for v in program.inputs]
        return _Compiled(exe, out_tree, dtypes)

    def __call__(self, *args, **kwargs):
        if current() is not None:
            return self.fun(*args, **kwargs)  # inside another trace: inline
        if self._flat_ok and not kwargs:  # the fast path (benchmark W6)
            try:
                hit = self._flat_cache[x64_enabled()].get(tuple(map(_SHAPE_DTYPE, args)))
            except AttributeError:  # not all arrays: the pytree path
                hit = None
            if hit is not None:
                exe, out_tree = hit
                return exe(*args)[0] if out_tree is None else tree_util.tree_unflatten(out_tree, exe(*args))
        return self._call_pytree(args, kwargs)

    def _call_pytree(self, args, kwargs):
        key, static, dyn_args, dyn_kwargs, leaves = self._signature(args, kwargs)
        compiled = self._cache.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._cache.get(key)
                if compiled is None:
                    compiled = self._cache[key] = self._compile(static, dyn_args, dyn_kwargs)
        arrays = [x if type(x) is np.ndarray and x.dtype == d else np.asarray(x, dtype=d)
                  for x, d in zip(leaves, compiled.dtypes)]
        if self._flat_ok and not kwargs and all(type(a) is np.ndarray and a.dtype == d
                                                for a, d in zip(args, compiled.dtypes)):
            leaf = tree_util.treedef_is_leaf(compiled.out_tree)
            self._flat_cache[x64_enabled()][tuple(map(_SHAPE_DTYPE, args))] = (
                compiled.executable, None if leaf else compiled.out_tree)
        outs = compiled.executable(*arrays)
        return tree_util.tree_unflatten(compiled.out_tree, outs)

    def lower(self, *args, **kwargs) -> Lowered:
        _, static, dyn_args, dyn_kwargs, _ = self._signature(args, kwargs)
        def with_static(*a, **k):
            a2, k2 = merge_static(static, a, k)
            return self.fun(*a2, **k2)
        traced, _, _ = trace_pytree(with_static, dyn_args, dyn_kwargs, concrete=False,
                                    what=self.__name__)
        return Lowered(optimize(traced.program), self.backend or default_backend())


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (), backend: str | None = None):
    """Compile `fun` for each new argument signature (JAX's `jax.jit`); usable as a decorator."""
    if fun is None:
        return lambda f: jit(f, static_argnums=static_argnums, static_argnames=static_argnames,
                             backend=backend)
    return JitFunction(fun, static_argnums, static_argnames, backend)
