"""`make_ir` and `jit`: tracing user functions of pytrees, and compiled dispatch."""
from __future__ import annotations

import functools
import logging
import operator
import threading
import types
import warnings
from typing import Callable, Sequence

import numpy as np

import fnx_ir

from ..backends.base import (CompileLog, LoweringOptions, available_backends, collecting,
                             compile_stage, lower_program)
from . import argspec, errors, pytree
from .array import Array, WeakArray
from .batching import axis_env
from .config import log_compiles, x64_enabled
from .dtypes import canonical_np
from .evaluate import evaluate_equation
from .trace import bind, current, type_of


def make_ir(fun: Callable, static_argnums: int | Sequence[int] = ()) -> Callable[..., fnx_ir.Program]:
    """`make_ir(f)(*args)` traces `f` on the types of `args` and returns its `fnx_ir.Program`."""
    static_argnums, _ = argspec.normalize_static(fun, static_argnums)

    @functools.wraps(fun, updated=())
    def traced(*args, **kwargs) -> fnx_ir.Program:
        static, dyn_args, dyn_kwargs = argspec.split_static(args, kwargs, static_argnums, ())
        def with_static(*a, **k):
            a2, k2 = argspec.merge_static(static, a, k)
            return fun(*a2, **k2)
        tr, _, _ = argspec.trace_pytree(with_static, dyn_args, dyn_kwargs, concrete=False,
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
    # A nested jit is a call: inlined first, so the passes see through it.
    program = fnx_ir.passes.inline_calls(program, ("jit",))
    program = fnx_ir.passes.optimize(program, evaluate_equation)
    # checkpoint / custom_*_call hold sub-programs: backends get them flat. Inlined after
    # CSE, so a checkpoint's recomputation is not merged back into the forward pass.
    flat = fnx_ir.passes.inline_calls(program)
    return program if flat is program else fnx_ir.passes.dce(flat)


class Lowered:
    """`jit(f).lower(*args)`: the optimised program, ready to compile."""

    def __init__(self, program: fnx_ir.Program, backend: str,
                 options: LoweringOptions | None = None):
        self.program = program
        self.backend = backend
        self.options = options if options is not None else LoweringOptions()

    def as_text(self) -> str:
        return str(self.program)

    def compile(self):
        return lower_program(self.backend, self.program, self.options)


class _Compiled:
    __slots__ = ("executable", "out_tree", "dtypes")

    def __init__(self, executable, out_tree, dtypes):
        self.executable = executable
        self.out_tree = out_tree
        self.dtypes = dtypes


_SHAPE_DTYPE = operator.attrgetter("shape", "dtype", "__class__")  # (a WeakArray is its own key)


_ARRAYS = (Array, WeakArray, np.ndarray)  # eager fnx results and numpy arrays: one cache key


def _leaf_key(x):
    """A leaf's part of the cache key: shape, canonical dtype and weak type (a numpy scalar
    and a 0-d array of its dtype are one type; with x64 off a float64 array is a float32 one,
    as in JAX)."""
    if type(x) in _ARRAYS:
        return (x.shape, canonical_np(x.dtype), type(x) is WeakArray)
    t = type_of(x)
    return (t.shape, t.dtype.np, t.weak)


def cache_key(in_tree, static: tuple, leaves: Sequence) -> tuple:
    """What decides whether a call reuses a compiled program, as JAX's cache does: the pytree
    structure of the traced arguments (keyword arguments by name), the static arguments by
    type and value (`1`, `1.0` and `True` are three keys), each leaf's shape, dtype and weak
    type (a Python scalar is weak, its value is not part of the key)."""
    return (in_tree, tuple((k, type(v), v) for k, v in static), tuple(map(_leaf_key, leaves)),
            x64_enabled())


def _type_str(t) -> str:
    return f"{t.dtype.name}[{','.join(map(str, t.shape))}]"


_LOGGER = logging.getLogger("fnx")


def _log_compile(name: str, program: fnx_ir.Program, log: CompileLog) -> None:
    """With `fnx_log_compiles` on, `log` as one WARNING record of the `fnx` logger (as JAX
    logs its compiles with `jax_log_compiles`); the record's `fnx_compile_log` attribute is
    `log` itself, for tools that read the stage times (`benchmarks/compile_stages.py`)."""
    if not log_compiles():
        return
    args = ", ".join(_type_str(v.type) + (" weak" if v.type.weak else "") for v in program.inputs)
    total = sum(t for _, depth, t in log.stages if depth == 0)
    _LOGGER.warning("%s", log.report(f"Compiled jit({name}) for ({args}) in "
                                     f"{total * 1e3:.1f} ms"),
                    extra={"fnx_compile_log": log})


def donation_pairs(program: fnx_ir.Program, donated: Sequence[bool]) -> tuple:
    """`(output index, input index)` pairs: each output takes the first donated input of its
    shape and dtype not taken yet, in output order (as JAX pairs them)."""
    free = [i for i, d in enumerate(donated) if d]
    pairs = []
    for j, v in enumerate(program.outputs):
        for n, i in enumerate(free):
            t = program.inputs[i].type
            if t.shape == v.type.shape and t.dtype == v.type.dtype:
                pairs.append((j, i))
                del free[n]
                break
    return tuple(pairs)


class JitFunction:
    """The callable `jit(f)` returns: traces once per signature, then calls native code."""

    def __init__(self, fun: Callable, static_argnums=None, static_argnames=None,
                 backend: str | None = None, donate_argnums=None, donate_argnames=None,
                 options: LoweringOptions | None = None):
        if not callable(fun):
            raise TypeError(f"jit: expected a callable, got {type(fun).__name__} {fun!r}")
        self.fun = fun
        sig = argspec.signature(fun)
        self.static_argnums, self.static_argnames = argspec.resolve(
            sig, static_argnums, static_argnames, "static")
        self.donate_argnums, self.donate_argnames = argspec.resolve(
            sig, donate_argnums, donate_argnames, "donate")
        if both := sorted(set(self.static_argnames) & set(self.donate_argnames)):
            raise ValueError(f"jit: arguments {both} are both static and donated")
        self._signature_of_fun = sig
        self.backend = backend
        self.options = options if options is not None else LoweringOptions()
        self._cache: dict = {}
        # Calls whose arguments are all ndarrays, positionally, skip pytree handling: keyed on
        # (shape, dtype) per argument, holding the executable and whether it returns one leaf.
        # One dict per value of the x64 switch (indexed by it), as the switch changes types.
        self._flat_cache: tuple[dict, dict] = ({}, {})
        self._flat_ok = not (self.static_argnums or self.static_argnames)
        self._lock = threading.Lock()
        self._traced_cache: dict = {}  # programs of calls under an enclosing trace
        self.trace_count = 0  # how many times `fun` was traced (for tests and debugging)
        argspec.wraps(self, fun)

    def __get__(self, obj, objtype=None):
        """As a method, `self` is passed as the first argument (it must then be a valid
        argument or static), as with `jax.jit`."""
        return self if obj is None else types.MethodType(self, obj)

    def _signature(self, args, kwargs):
        static, dyn_args, dyn_kwargs = argspec.split_static(args, kwargs, self.static_argnums,
                                                            self.static_argnames)
        leaves, in_tree = pytree.tree_flatten((dyn_args, dyn_kwargs))
        try:
            leaves = [argspec.check_jit_leaf(x, self.__name__) for x in leaves]
        except TypeError as e:
            raise self._naming_argument(e, args, kwargs) from None
        return cache_key(in_tree, static, leaves), static, dyn_args, dyn_kwargs, leaves

    def _dynamic_arguments(self, args, kwargs):
        """(label, value) of each traced argument, in the order of the flat leaves."""
        static = argspec.positions(self.static_argnums, len(args))
        names = argspec.arg_names(self._signature_of_fun, len(args))
        out = [(i, names[i], a) for i, a in enumerate(args) if i not in static]
        out += [(k, repr(k), kwargs[k]) for k in sorted(kwargs) if k not in self.static_argnames]
        return out

    def _naming_argument(self, error: TypeError, args, kwargs) -> TypeError:
        """The leaf check's `error` again, naming the argument that holds the leaf."""
        for _, label, value in self._dynamic_arguments(args, kwargs):
            leaves, tree = pytree.tree_flatten(value)
            for x, path in zip(leaves, argspec.leaf_paths(tree, label), strict=True):
                try:
                    argspec.check_jit_leaf(x, f"jit({self.__name__}): argument {path}")
                except TypeError as named:
                    return named
        return error

    def _donated_leaves(self, args, kwargs) -> list[bool]:
        donate = argspec.positions(self.donate_argnums, len(args))
        flags: list[bool] = []
        for k, _, value in self._dynamic_arguments(args, kwargs):
            flags += [k in donate if isinstance(k, int) else k in self.donate_argnames] * len(
                pytree.tree_leaves(value))
        return flags

    def _trace(self, static, dyn_args, dyn_kwargs):
        def with_static(*a, **k):
            a2, k2 = argspec.merge_static(static, a, k)
            return self.fun(*a2, **k2)
        return argspec.trace_pytree(with_static, dyn_args, dyn_kwargs, concrete=False,
                                    what=self.__name__)

    def _lowering(self, args, kwargs, static, dyn_args, dyn_kwargs):
        with compile_stage("trace + transform"):
            traced, out_tree, _ = self._trace(static, dyn_args, dyn_kwargs)
        with compile_stage("passes"):
            program = optimize(traced.program)
        pairs = (donation_pairs(program, self._donated_leaves(args, kwargs))
                 if self.donate_argnums or self.donate_argnames else ())
        options = self.options.with_extra(donate=pairs) if pairs else self.options
        return Lowered(program, self.backend or default_backend(), options), out_tree

    def _compile(self, args, kwargs, static, dyn_args, dyn_kwargs):
        with collecting(CompileLog()) as log:
            lowered, out_tree = self._lowering(args, kwargs, static, dyn_args, dyn_kwargs)
            self.trace_count += 1
            with compile_stage(f"lower ({lowered.backend})"):
                exe = lowered.compile()
        _log_compile(self.__name__, lowered.program, log)
        self._warn_unused_donations(lowered.program, args, kwargs, getattr(exe, "aliases", {}))
        dtypes = [v.type.dtype.np for v in lowered.program.inputs]
        return _Compiled(exe, out_tree, dtypes)

    def _warn_unused_donations(self, program, args, kwargs, aliases: dict) -> None:
        if not (self.donate_argnums or self.donate_argnames):
            return
        used = set(aliases.values())
        unused = [_type_str(program.inputs[i].type)
                  for i, d in enumerate(self._donated_leaves(args, kwargs)) if d and i not in used]
        if unused:
            warnings.warn(f"jit({self.__name__}): some donated buffers were not usable: "
                          f"{', '.join(unused)} (no output of the same shape and dtype that the "
                          "backend can write in place)", UserWarning, stacklevel=5)

    def __call__(self, *args, **kwargs):
        if current() is not None:
            return self._call_traced(args, kwargs)  # inside another trace: a call equation
        if self._flat_ok and not kwargs:  # the fast path (benchmark W6)
            try:
                hit = self._flat_cache[x64_enabled()].get(tuple(map(_SHAPE_DTYPE, args)))
            except AttributeError:  # not all arrays: the pytree path
                hit = None
            if hit is not None:
                exe, out_tree = hit
                return exe(*args)[0] if out_tree is None else pytree.tree_unflatten(out_tree, exe(*args))
        return self._call_pytree(args, kwargs)

    def _call_pytree(self, args, kwargs):
        key, static, dyn_args, dyn_kwargs, leaves = self._signature(args, kwargs)
        compiled = self._cache.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._cache.get(key)
                if compiled is None:
                    compiled = self._cache[key] = self._compile(args, kwargs, static, dyn_args,
                                                                dyn_kwargs)
        arrays = [x if type(x) in _ARRAYS and x.dtype == d else np.asarray(x, dtype=d)
                  for x, d in zip(leaves, compiled.dtypes, strict=True)]
        if (self._flat_ok and not kwargs and len(args) == len(compiled.dtypes)
                and all(type(a) in _ARRAYS and a.dtype == d
                        for a, d in zip(args, compiled.dtypes, strict=True))):
            leaf = pytree.treedef_is_leaf(compiled.out_tree)
            self._flat_cache[x64_enabled()][tuple(map(_SHAPE_DTYPE, args))] = (
                compiled.executable, None if leaf else compiled.out_tree)
        outs = compiled.executable(*arrays)
        return pytree.tree_unflatten(compiled.out_tree, outs)

    def _call_traced(self, args, kwargs):
        """Under an enclosing trace: one `jit` equation holding `fun`'s program (JAX's
        pjit), traced once per signature and named axes in scope; transforms rewrite
        through it, and evaluated eagerly it runs as one compiled executable."""
        name = getattr(self, "__name__", "function")
        key, static, dyn_args, dyn_kwargs, leaves = self._signature(args, kwargs)
        key = (key, axis_env())
        hit = self._traced_cache.get(key)
        if hit is None:
            def with_static(*a, **k):
                a2, k2 = argspec.merge_static(static, a, k)
                return self.fun(*a2, **k2)
            traced, out_tree, _ = argspec.trace_pytree(with_static, dyn_args, dyn_kwargs,
                                                       concrete=False, what=name)
            self.trace_count += 1
            hit = (traced.program, out_tree, traced.captured)
            if not traced.captured:  # (captured tracers belong to this one call)
                self._traced_cache[key] = hit
        program, out_tree, captured = hit
        outs = bind("jit", *leaves, *captured, program=program, name=name,
                    backend=self.backend)
        return pytree.tree_unflatten(out_tree, outs)

    def lower(self, *args, **kwargs) -> Lowered:
        _, static, dyn_args, dyn_kwargs, _ = self._signature(args, kwargs)
        return self._lowering(args, kwargs, static, dyn_args, dyn_kwargs)[0]


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] | None = None,
        static_argnames: str | Sequence[str] | None = None,
        donate_argnums: int | Sequence[int] | None = None,
        donate_argnames: str | Sequence[str] | None = None, backend: str | None = None,
        options: LoweringOptions | None = None):
    """Compile `fun` for each new argument signature (JAX's `jax.jit`); usable as a decorator.

    `static_argnums`/`static_argnames`: arguments that are part of the cache key (hashable;
    compared by type and value) instead of traced; either one is inferred from the other
    through `fun`'s signature, so a static parameter is static by position or by keyword.
    `donate_argnums`/`donate_argnames`: array arguments whose buffers an output of the same
    shape and dtype may reuse; the CPU backend then writes that output into the donated
    array (its contents are overwritten; do not use it afterwards). Eager calls and calls
    inside another transformation ignore donation.
    `backend`: which backend compiles (`fnx.backends.available_backends()`); `options`: the
    `LoweringOptions` it gets (an option it does not declare is refused).
    """
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames, donate_argnums=donate_argnums,
                                 donate_argnames=donate_argnames, backend=backend,
                                 options=options)
    return JitFunction(fun, static_argnums, static_argnames, backend, donate_argnums,
                       donate_argnames, options)
