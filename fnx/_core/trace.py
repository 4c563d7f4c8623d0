"""Tracing: recording calls on `Tracer`s into an `fnx_ir.Program`.

Every operation ends in `bind(primitive, *args, **params)`. With no trace
active, bind runs the primitive's numpy implementation (eager mode). While a
function is being traced, bind records an equation into the innermost active
`TraceContext`; values from enclosing traces are captured as extra inputs of
the inner program, which is what makes nested transforms compose. A context
may be *concrete*: its tracers then also carry numpy values, so Python control
flow on them works (define-by-run) while the program is recorded.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Sequence

import numpy as np

import fnx_ir
from fnx_ir import Equation, Literal, Program, ShapedType, Var

from . import array as _array, errors
from .array import Array, WeakArray
from .dtypes import canonical_array, python_scalar_type
from .rules import RULES, rules

_ndarray = np.ndarray


class Tracer:
    """A value inside a traced function: an IR `Var` of one `TraceContext`.

    Array methods and operators are attached by `fnx.numpy` (see `_methods.py`).
    """

    __slots__ = ("_var", "ctx", "val", "__weakref__")
    __array_priority__ = 1000  # numpy defers binary operators to us

    def __init__(self, var: Var, ctx: "TraceContext", val: np.ndarray | None):
        self._var = var
        self.ctx = ctx
        self.val = val

    @property
    def aval(self) -> ShapedType:
        return self._var.type

    def __repr__(self) -> str:
        if self.val is not None:
            return f"Tracer<{self.aval}>({np.array2string(self.val, threshold=20)})"
        return f"Tracer<{self.aval}>"

    def concrete(self, what: str) -> np.ndarray:
        if self.val is None:
            raise errors.ConcretizationError(errors.at_source(
                f"{what} needs a concrete value, but this is an abstract traced value "
                f"{self.aval} (inside jit, vmap or another abstract trace). Use "
                "fnx.lax.cond / fnx.lax.switch for branches, fnx.lax.while_loop / "
                "fnx.lax.fori_loop for loops, or mark the argument static "
                "(static_argnums).", errors.user_source()))
        return self.val

    def __bool__(self) -> bool:
        return bool(self.concrete("Python `if`/`while`/`bool()` on a traced value"))

    def __int__(self) -> int:
        return int(self.concrete("int() of a traced value"))

    def __float__(self) -> float:
        return float(self.concrete("float() of a traced value"))

    def __index__(self) -> int:
        val = self.concrete("using a traced value as a Python index")
        if val.dtype.kind not in "iu":
            raise TypeError(f"only integer values can be used as an index, got {self.aval}")
        return int(val)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(errors.at_source(
            f"a traced value {self.aval} cannot be converted to a numpy array inside a "
            "transformed function (numpy functions do not record into the program); "
            "use fnx.numpy instead of numpy here.", errors.user_source()))

    def __iter__(self):
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d traced value")
        return (self[i] for i in range(self.aval.shape[0]))

    def __len__(self) -> int:
        if not self.aval.shape:
            raise TypeError("len() of a 0-d traced value")
        return self.aval.shape[0]

    def __hash__(self):
        raise TypeError("traced values are not hashable")


_array._Tracer = Tracer


class TraceContext:
    """One active trace: a program builder plus what it captured from outside."""

    def __init__(self, level: int, concrete: bool):
        self.level = level
        self.concrete = concrete
        self.builder = fnx_ir.Builder()
        self.captured: list[Tracer] = []  # tracers of enclosing traces, in input order
        self._captured_index: dict[int, Tracer] = {}
        self._const_index: dict[int, tuple[Any, Tracer]] = {}
        self.closed = False
        # The `file:line` equations recorded now get (a transform re-emitting an equation
        # sets it to that equation's), instead of looking for the user's frame.
        self.source: str | None = None

    def new_input(self, type: ShapedType, val=None) -> Tracer:
        return Tracer(self.builder.input(type), self, val)

    def lift(self, x) -> "Tracer | Literal":
        """The value of `x` in this trace: a Tracer, or a Literal for scalars."""
        if type(x) is Tracer:
            if x.ctx is self:
                return x
            return self._capture(x)
        if isinstance(x, Literal):
            return x
        return self._constant(x)

    def _capture(self, x: Tracer) -> Tracer:
        if _state.subst:
            sub = substitute_for(x)
            if sub is not x:
                return self.lift(sub)
        if x.ctx.closed or x.ctx.level >= self.level:
            raise errors.TracerLeakError(errors.at_source(
                f"a traced value {x.aval} was used outside the transformation that created "
                "it (it leaked, e.g. through a global or a closure kept after the call)",
                errors.user_source()))
        inner = self._captured_index.get(id(x))
        if inner is None:
            inner = Tracer(self.builder.input(x.aval), self, x.val)
            self.captured.append(x)
            self._captured_index[id(x)] = inner
        return inner

    def _constant(self, x) -> "Tracer | Literal":
        if isinstance(x, (bool, int, float)) and not isinstance(x, np.generic):
            return Literal(x, python_scalar_type(x))
        arr = canonical_array(np.asarray(x))
        t = _type_of(arr)
        if arr.ndim == 0:
            return Literal(arr, t)
        hit = self._const_index.get(id(x))
        if hit is not None and hit[0] is x:
            return hit[1]
        value = np.array(arr, dtype=t.dtype.np, copy=True)  # not later mutations; native order
        value.flags.writeable = False
        t = Tracer(self.builder.constant(value, t), self, value)
        self._const_index[id(x)] = (x, t)
        return t


class _State(threading.local):
    def __init__(self):
        self.stack: list[TraceContext] = []
        # id(tracer) -> (tracer, value): while a user's derivative rule runs, tracers of
        # finished traces it closes over stand for these values (see `substituting`).
        self.subst: dict[int, tuple] = {}


_state = _State()


def substitute_for(x):
    """The value that stands for tracer `x` in the running rule, or `x` itself."""
    hit = _state.subst.get(id(x))
    return hit[1] if hit is not None and hit[0] is x else x


class substituting:
    """`with substituting(tracers, values):` a Python function called later than it was
    defined (a custom_jvp/custom_vjp rule) may close over tracers of a trace that has
    finished; while the block runs, each of `tracers` stands for the matching value of
    the current context (the equation's operand that captured it) instead of leaking."""

    def __init__(self, tracers: Sequence, values: Sequence):
        self.pairs = {id(t): (t, v) for t, v in zip(tracers, values, strict=True)
                      if type(t) is Tracer}

    def __enter__(self):
        self.saved = _state.subst
        if self.pairs:
            _state.subst = {**self.saved, **self.pairs}

    def __exit__(self, *exc):
        _state.subst = self.saved


def current() -> TraceContext | None:
    stack = _state.stack
    return stack[-1] if stack else None


def native(x):
    """`x`, or a copy in native byte order if it is a numpy value that is not (`>f8` on
    x86): every value fnx computes with, and so every result, has native byte order."""
    if isinstance(x, (np.ndarray, np.generic)) and not x.dtype.isnative:
        return x.astype(x.dtype.newbyteorder("="))
    return x


def value_of(x):
    """Concrete numpy value of a Tracer/Literal/array argument, or None if abstract."""
    if type(x) is Tracer:
        return x.val
    if isinstance(x, Literal):
        return x.value
    return x


def bind(primitive: str, *args, **params):
    """Apply a primitive: eagerly on arrays, or record it into the active trace.

    Returns one value, or a list for multi-result primitives.
    """
    r = RULES.get(primitive) or rules(primitive)
    stack = _state.stack
    if not stack:
        for a in args:
            if type(a) is Tracer:
                sub = substitute_for(a)
                if sub is not a:
                    return bind(primitive, *[substitute_for(x) for x in args], **params)
                raise errors.TracerLeakError(errors.at_source(
                    f"a traced value {a.aval} was used after the transformation that "
                    "created it had finished (it leaked)", errors.user_source()))
        return _eager(primitive, r, args, params)
    ctx = stack[-1]
    ins = [a if type(a) is Tracer and a.ctx is ctx else ctx.lift(a) for a in args]
    source = ctx.source or errors.user_source()
    try:
        outs = ctx.builder.equation(primitive, [x._var if type(x) is Tracer else x for x in ins],
                                    params, source)
    except fnx_ir.IRTypeError as e:
        if ctx.source:  # the message names the code that made the bad call
            source = errors.user_source()
        raise errors.FnxTypeError(errors.at_source(str(e), source)) from None
    if ctx.concrete:
        vals = [None] * len(outs)
        arg_vals = [value_of(i) for i in ins]
        if all(v is not None for v in arg_vals):
            try:
                with np.errstate(all="ignore"):  # (see _eager)
                    operands = [_eager_operand(v, type_of(i))
                                for v, i in zip(arg_vals, ins, strict=True)]
                    res = r.impl(*operands, **params)
                vals = [np.asarray(v, o.type.dtype.np)
                        for v, o in zip(res if r.multiple_results else (res,), outs, strict=True)]
            except errors.UnboundAxisError:
                pass  # a collective: its value is known once vmap batches it
        tracers = [Tracer(o, ctx, v) for o, v in zip(outs, vals, strict=True)]
        return tracers if r.multiple_results else tracers[0]
    if r.multiple_results:
        return [Tracer(o, ctx, None) for o in outs]
    return Tracer(outs[0], ctx, None)


def rebind(eq: Equation, args: Sequence):
    """`bind(eq.primitive, *args, **eq.params)`, where `eq` is an equation of an existing
    program and `args` the values of its operands: when they are values of the active
    abstract trace of the same types as `eq`'s operands, `eq`'s output types hold again
    and the equation is recorded without inferring them."""
    stack = _state.stack
    if stack:
        ctx = stack[-1]
        if not ctx.concrete and len(args) == len(eq.inputs):
            atoms = []
            for a, x in zip(args, eq.inputs, strict=True):
                ta = type(a)
                if ta is Tracer and a.ctx is ctx:
                    a = a._var
                elif ta is not Literal:
                    break
                if a.type != x.type:
                    break
                atoms.append(a)
            else:
                outs = [Var(v.type) for v in eq.outputs]
                ctx.builder.equations.append(Equation(
                    eq.primitive, atoms, outs, eq.params, ctx.source or errors.user_source()))
                if (RULES.get(eq.primitive) or rules(eq.primitive)).multiple_results:
                    return [Tracer(o, ctx, None) for o in outs]
                return Tracer(outs[0], ctx, None)
    elif not any(type(a) is Tracer for a in args):
        # eagerly, operands have the program's types (under any x64 switch: a program
        # recorded with int64 values still runs after the switch is turned off)
        r = RULES.get(eq.primitive) or rules(eq.primitive)
        return _eager(eq.primitive, r, args, eq.params, [x.type for x in eq.inputs])
    return bind(eq.primitive, *args, **eq.params)


def _atom(x):
    return x._var if type(x) is Tracer else x


def _eager(primitive: str, r, args, params, in_types=None):
    if in_types is None:
        in_types = [a.type if isinstance(a, Literal) else _type_of(a) for a in args]
    arrays = [_eager_operand(a, t) for a, t in zip(args, in_types, strict=True)]
    try:
        out_types = fnx_ir.get_primitive(primitive).infer(in_types, params)
    except fnx_ir.IRTypeError as e:
        raise errors.FnxTypeError(errors.at_source(str(e), errors.user_source())) from None
    with np.errstate(all="ignore"):  # IEEE results (inf, nan) are values, as in JAX: no warnings
        res = r.impl(*arrays, **params)
    if r.multiple_results:
        return [eager_value(v, t) for v, t in zip(res, out_types, strict=True)]
    return eager_value(res, out_types[0])


def _eager_operand(a, t: ShapedType):
    """The numpy value a primitive's implementation gets: a plain ndarray (numpy's subclass
    path would cost ~1 µs a call and give results that do not own their data) of the dtype of
    its type `t`, in native byte order."""
    if isinstance(a, Literal):
        a = a.value
    if a.__class__ is Array or a.__class__ is WeakArray:
        a = a.view(_ndarray)
    if isinstance(a, np.ndarray) and a.dtype == t.dtype.np:
        return a
    return np.asarray(a, t.dtype.np)


def eager_value(v, t: ShapedType) -> Array:
    """An eager result of type `t`: a fresh `Array` of `t`'s dtype (never a view a user could
    mutate an input through), a `WeakArray` when `t` is weak."""
    v = np.asarray(v)
    if v.dtype != t.dtype.np:
        v = v.astype(t.dtype.np)
    elif not (v.flags.owndata and v.flags.writeable):
        v = np.array(v)
    return v.view(WeakArray if t.weak else Array)


_dtype_of_np = fnx_ir.dtypes.BY_NUMPY.get  # numpy dtype -> DType, for native dtypes


def _type_of(x) -> ShapedType:
    cls = x.__class__
    if cls is _ndarray or cls is Array or cls is WeakArray:  # the common case, no parsing
        d = _dtype_of_np(x.dtype) or fnx_ir.dtype(x.dtype)
        return ShapedType(x.shape, d, cls is WeakArray)
    if isinstance(x, (bool, int, float)) and not isinstance(x, np.generic):
        return python_scalar_type(x)
    if type(x) is WeakArray:
        return ShapedType(x.shape, fnx_ir.dtype(x.dtype), True)
    arr = np.asarray(x)
    return ShapedType(arr.shape, fnx_ir.dtype(arr.dtype))


def type_of(x) -> ShapedType:
    """The abstract type of a Tracer, Literal, numpy array or Python scalar."""
    if type(x) is Tracer:
        return x._var.type
    if isinstance(x, Literal):
        return x.type
    try:
        return _type_of(x)
    except TypeError:
        t = getattr(x, "_fnx_type", None)  # a ShapeDtypeStruct (eval_shape, jit(f).lower)
        if t is None:
            raise
        return t


# --------------------------------------------------------------------------- tracing

class _Trace:
    """`with _Trace(concrete) as ctx:` pushes a fresh TraceContext for one function."""

    def __init__(self, concrete: bool):
        self.concrete = concrete

    def __enter__(self) -> TraceContext:
        stack = _state.stack
        self.ctx = TraceContext(len(stack) + 1, self.concrete)
        stack.append(self.ctx)
        return self.ctx

    def __exit__(self, *exc):
        _state.stack.pop()
        self.ctx.closed = True


class Traced:
    """A traced function: its program, and the outer tracers it captured.

    `program.inputs` are the flat arguments followed by one input per captured value.
    """

    __slots__ = ("program", "captured")

    def __init__(self, program: Program, captured: list):
        self.program = program
        self.captured = captured


def trace_flat(fun: Callable[..., Sequence], args: Sequence, concrete: bool,
               types: Sequence[ShapedType] | None = None,
               values: Sequence | None = None) -> Traced:
    """Trace `fun(*tracers) -> flat list of outputs` into a Program.

    `args` are the flat argument values (numpy arrays, scalars or outer tracers);
    with `concrete`, tracers carry those values when they are concrete (or `values[i]`,
    None for an abstract input, when `values` is given).
    """
    with _Trace(concrete) as ctx:
        args = [canonical_array(a) for a in args]  # float64 is float32 with x64 off
        types = types or [type_of(a) for a in args]
        if values is None:
            values = [native(value_of(a)) if concrete else None for a in args]
        tracers = [ctx.new_input(t, v if concrete else None)
                   for t, v in zip(types, values, strict=True)]
        outs = fun(*tracers)
        out_atoms = [_atom(ctx.lift(o)) for o in outs]
        b = ctx.builder  # inputs: the explicit ones, then those captured while tracing
        program = Program(b.inputs, b.constants, b.equations, out_atoms)
        return Traced(program, list(ctx.captured))


class source_looked_up_once:
    """While `program`'s equations are bound into the active trace: the user's source line,
    which each bind would look up (a walk of the stack), looked up once for all of them."""

    __slots__ = ("ctx",)

    def __init__(self, program: Program):
        ctx = current()
        self.ctx = ctx if ctx is not None and ctx.source is None and program.equations else None

    def __enter__(self) -> None:
        if self.ctx is not None:
            self.ctx.source = errors.user_source()

    def __exit__(self, *exc) -> None:
        if self.ctx is not None:
            self.ctx.source = None


def eval_program(program: Program, args: Sequence) -> list:
    """Run `program` on `args` by binding every equation: eagerly, or into the active trace."""
    env: dict[Var, Any] = {}
    for v, a in zip(program.inputs, args, strict=True):
        env[v] = a
    for v, c in program.constants:
        env[v] = c
    with source_looked_up_once(program):
        for eq in program.equations:
            ins = [x if type(x) is Literal else env[x] for x in eq.inputs]
            out = rebind(eq, ins)
            if (RULES.get(eq.primitive) or rules(eq.primitive)).multiple_results:
                for v, o in zip(eq.outputs, out, strict=True):
                    env[v] = o
            else:
                env[eq.outputs[0]] = out
    return [(eager_value(x.value, x.type) if current() is None else x) if isinstance(x, Literal)
            else env[x] for x in program.outputs]
