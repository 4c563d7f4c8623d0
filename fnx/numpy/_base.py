"""The machinery under `fnx.numpy`: operands, JAX's promotion, broadcasting, errors.

Every `fnx.numpy` function turns its inputs into operands of one dtype and one
shape here, then binds primitives through `fnx.lax`. The same code runs eagerly
on numpy arrays (each primitive's numpy implementation) and on traced values.
"""
from __future__ import annotations

import functools
import math
import operator
from typing import Sequence, Union

import numpy as np

import fnx_ir
from fnx_ir import DType, Literal

from .. import lax
from .._core import dtypes as _dt
from .._core import errors
from .._core.array import Array, WeakArray, as_array
from .._core.rules import RULES
from .._core.trace import Tracer, current, eager_value, type_of

# The types in the public signatures. `Array` (re-exported) is what they return: eagerly an
# `fnx.Array`, inside a transform a traced value standing for one (as JAX's `Array`).
ArrayLike = Union[Array, Tracer, np.ndarray, np.generic, bool, int, float, Sequence]
DTypeLike = Union[np.dtype, type, str, DType]
Axis = Union[int, Sequence[int], None]


# ----------------------------------------------------------------------------- errors

class FnxShapeError(errors.FnxTypeError, ValueError):
    """Operands whose shapes do not fit (an FnxTypeError that is also a ValueError, as numpy's)."""


def describe(*xs) -> str:
    """`float32[3], int32[2,4]`: the abstract types of operands, for messages."""
    return ", ".join(str(type_of(x).strong()) if not is_python_scalar(x)
                     else f"python {type(x).__name__}" for x in xs)


def type_error(fn: str, message: str, *xs, shape: bool = False) -> errors.FnxTypeError:
    """An error naming the function, the operands' shapes/dtypes and the user's line."""
    if xs:
        message = f"{message} (operands: {describe(*xs)})"
    cls = FnxShapeError if shape else errors.FnxTypeError
    return cls(errors.at_source(f"fnx.numpy.{fn}: {message}", errors.user_source()))


class NotImplementedInFnx(NotImplementedError, AttributeError):
    """A numpy name that fnx.numpy does not provide (also an AttributeError, so `hasattr`
    answers False)."""


# ----------------------------------------------------------------------------- values

def is_python_scalar(x) -> bool:
    return isinstance(x, (bool, int, float)) and not isinstance(x, np.generic)


def is_tracer(x) -> bool:
    return type(x) is Tracer


def is_concrete(x) -> bool:
    """A value known now (not a traced value)."""
    return type(x) is not Tracer


def asarray_or_tracer(x):
    """Tracers pass; Python scalars stay (weak); numpy arrays pass with a canonical dtype
    (float64 becomes float32 with x64 off); the rest via numpy."""
    if type(x) is Tracer or is_python_scalar(x):
        return x
    if isinstance(x, np.ndarray):
        return _dt.canonical_array(x)
    if isinstance(x, Literal):
        return eager_value(x.value, x.type)
    if isinstance(x, np.generic):
        return _dt.canonical_array(np.asarray(x))
    if isinstance(x, (list, tuple)) and any(type(e) is Tracer for e in _flat(x)):
        return stack_along([asarray_or_tracer(e) for e in x])  # a nested list of traced values
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf" and arr.dtype != _BFLOAT16:
        raise TypeError(f"fnx.numpy cannot use a value of type {type(x).__name__} "
                        f"(dtype {arr.dtype}) as an array")
    return _dt.canonical_array(arr)


_BFLOAT16 = fnx_ir.bfloat16.np if fnx_ir.bfloat16 is not None else None


def _flat(x):
    for e in x:
        if isinstance(e, (list, tuple)):
            yield from _flat(e)
        else:
            yield e


def ensure_array(x):
    """An operand that is a numpy array or tracer (Python scalars become 0-d arrays)."""
    x = asarray_or_tracer(x)
    if is_python_scalar(x):
        return np.asarray(x)
    return x


def shape_of(x) -> tuple[int, ...]:
    return type_of(x).shape


def dtype_of(x) -> DType:
    return type_of(x).dtype


def finish(out, *inputs):
    """What an `fnx.numpy` function returns: never a Literal, and eagerly an `fnx.Array` that
    is never an input."""
    if isinstance(out, Literal):
        return eager_value(out.value, out.type)
    if isinstance(out, np.ndarray):
        for i in inputs:
            if out is i or (isinstance(i, (list, tuple)) and any(out is j for j in i)):
                return as_array(out.copy())  # (a copy keeps WeakArray weak)
        return as_array(out)
    return out


def fresh(fn):
    """Decorator: apply `finish` to the result (and to each item of a tuple/list result)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        out = fn(*args, **kwargs)
        if isinstance(out, (tuple, list)):
            return type(out)(finish(o, *args) for o in out)
        return finish(out, *args)
    return wrapper


def static_int(x, what: str) -> int:
    """A Python int from an int-like static argument (concrete traced values are allowed)."""
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError(f"{what} must be an integer, got {type(x).__name__}") from None


def tracing() -> bool:
    return current() is not None


# ----------------------------------------------------------------------------- dtypes

def result_weak(*xs) -> tuple[DType, bool]:
    """JAX's promotion of the operands: `(dtype, weak)` (Python scalars are weak)."""
    return _dt.promote(*[(t.dtype, t.weak) for t in (type_of(x) for x in xs)])


def result_dtype(*xs) -> DType:
    """JAX's promotion of the operands (Python scalars are weak)."""
    return result_weak(*xs)[0]


def to_dtype(d) -> DType:
    if isinstance(d, DType):
        return d
    return fnx_ir.dtype(np.dtype(d))


@functools.lru_cache(maxsize=4096)
def _resolve(ufunc: np.ufunc, key: tuple, x64: bool) -> tuple[DType, DType, bool]:
    """(operand dtype, output dtype, weak) of `ufunc` on `(dtype, weak)` operands, as JAX's:
    the operands promote to one dtype (JAX's lattice); numpy's loop for that dtype tells
    the kind of the output: bool (a comparison), float for integer operands (a
    transcendental or true division: JAX's inexact dtype), or the operands' dtype."""
    d, weak = fnx_ir.promote(*key, x64=x64)
    loop = ufunc.resolve_dtypes((d.np,) * ufunc.nin + (None,) * ufunc.nout)
    out = to_dtype(loop[-1])
    if out.is_bool and not d.is_bool:
        return d, out, False
    if out.is_float and not d.is_float:
        f = fnx_ir.to_inexact(d, weak, x64)
        return f, f, weak
    if out.kind != d.kind:  # bool operands of integer arithmetic (square, power, shifts):
        return fnx_ir.int32, fnx_ir.int32, weak  # JAX computes them in int32 (x64 or not)
    return d, d, weak


# ------------------------------------------------------------- the direct eager path

_dtype_of_np = fnx_ir.dtypes.BY_NUMPY.get  # native numpy dtype -> DType (one dict lookup)
_ndarray = np.ndarray
# (dtype, weak) of a Python scalar, by its type, with x64 off and on
_SCALAR_KEYS = {x64: {bool: (fnx_ir.bool_, False),
                      int: (fnx_ir.canonical(fnx_ir.int64, x64), True),
                      float: (fnx_ir.canonical(fnx_ir.float64, x64), True)}
                for x64 in (False, True)}


class _Quiet:
    """numpy's floating-point warnings off between `token = QUIET.set()` and
    `QUIET.reset(token)` (IEEE results, inf and nan, are values as in JAX). numpy keeps the
    error state in a context variable: setting it costs ~0.1 us, against ~1.5 us for
    entering and leaving `numpy.errstate`, which is used where that variable is not found."""

    def __init__(self):
        try:
            from numpy._core import _ufunc_config
            self.var = _ufunc_config._extobj_contextvar
            self.ignore = _ufunc_config._make_extobj(all="ignore")
        except (ImportError, AttributeError):
            self.var = None

    def set(self):
        if self.var is not None:
            return self.var.set(self.ignore)
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def reset(self, token) -> None:
        if self.var is not None:
            self.var.reset(token)
        else:
            token.__exit__(None, None, None)


QUIET = _Quiet()


@functools.lru_cache(maxsize=1024)
def _infers_dtype(primitive: str, dtype: DType, nin: int) -> DType | None:
    """The dtype `primitive`'s type rule gives for `nin` operands of `dtype` (None if it
    refuses them)."""
    try:
        return fnx_ir.get_primitive(primitive).infer([fnx_ir.ShapedType((), dtype)] * nin,
                                                     {})[0].dtype
    except fnx_ir.IRTypeError:
        return None


def direct_elementwise(ufunc: np.ufunc, primitive: str, numpy_fn, xs: Sequence):
    """Eagerly, `ufunc`'s JAX counterpart computed by elementwise `primitive` on `xs`
    without building operands through `lax`: the dtypes from a cached plan (JAX's
    promotion), then the primitive's numpy function called once on the operands as they
    are (numpy broadcasts; no copy). `numpy_fn` is the numpy function the primitive's
    implementation applies (None: call the implementation); float16/bfloat16 always go
    through the implementation (computed in float32, rounded once).

    The result is identical to the general path's (dtype, weak type, values, `Array`
    class). None when the call does not qualify: a trace is active, an operand is not a
    numpy array (plain, `Array`, `WeakArray`) of a native fnx dtype or a Python
    bool/int/float, an operand needs a conversion, bool operands, shapes that do not
    broadcast. The caller then takes the general path, which also raises the errors with
    their messages."""
    if current() is not None:
        return None
    key = [ufunc, primitive, numpy_fn, _dt.x64_enabled()]
    ops = []
    for x in xs:
        cls = x.__class__
        if cls is _ndarray:
            ops.append(x)
            key += (cls, x.dtype)
        elif cls is Array or cls is WeakArray:
            ops.append(x.view(_ndarray))
            key += (cls, x.dtype)
        else:  # a Python scalar (anything else has no plan)
            ops.append(x)
            key += (cls, None)
    key = tuple(key)
    plan = _PLANS.get(key, False)
    if plan is False:
        plan = _plan(key)
        if len(_PLANS) > 4096:
            _PLANS.clear()
        _PLANS[key] = plan
    if plan is None:
        return None
    fn, in_np, out_np, out_cls = plan
    for i, x in enumerate(ops):
        if x.__class__ is not _ndarray:  # a Python scalar: the general path's literal value
            try:
                ops[i] = np.asarray(x, in_np)
            except OverflowError:
                return None
    token = QUIET.set()
    try:
        res = fn(*ops)
    except ValueError:  # shapes that do not broadcast: the general path says so
        return None
    finally:
        QUIET.reset(token)
    if res.__class__ is _ndarray and res.dtype is out_np:  # fresh from the ufunc
        return res.view(out_cls)
    return eager_value(res, fnx_ir.ShapedType((), fnx_ir.dtype(out_np), out_cls is WeakArray))


_PLANS: dict = {}  # direct_elementwise's key -> its plan (None: take the general path)


def _plan(key: tuple):
    """`(function, operand numpy dtype, result numpy dtype, result class)` for a
    `direct_elementwise` key, or None when the call must take the general path."""
    ufunc, primitive, numpy_fn, x64 = key[:4]
    operands = []
    for cls, d in zip(key[4::2], key[5::2], strict=True):
        if d is None:
            k = _SCALAR_KEYS[x64].get(cls)
        else:
            dt = _dtype_of_np(d)
            k = None if dt is None else (dt, cls is WeakArray)
        if k is None:
            return None
        operands.append(k)
    try:
        in_dtype, out_dtype, weak = _resolve(ufunc, tuple(operands), x64)
    except TypeError:
        return None
    if in_dtype.is_bool or _infers_dtype(primitive, in_dtype, len(operands)) is not out_dtype:
        return None
    if any(d is not None and d is not in_dtype.np
           for d in key[5::2]):  # a conversion: the general path's convert_element_type
        return None
    fn = RULES[primitive].impl if numpy_fn is None or in_dtype.is_storage_float else numpy_fn
    return fn, in_dtype.np, out_dtype.np, WeakArray if weak else Array


# Operand dtypes of the direct `dot`, with x64 off and on: canonical fnx dtypes whose
# dot_general implementation is numpy's matmul as it is (not bool, which matmul widens; not
# float16/bfloat16, computed in float32).
_DIRECT_DOT_DTYPES = {x64: frozenset(d.np for d in fnx_ir.ALL_DTYPES
                                     if not (d.is_bool or d.is_storage_float)
                                     and fnx_ir.canonical(d, x64) is d)
                      for x64 in (False, True)}


_GEMM_DTYPES = frozenset({np.dtype(np.float32), np.dtype(np.float64)})


def direct_dot(a, b):
    """Eagerly, `fnx.numpy.dot(a, b)` of two strong numpy arrays (plain or `Array`) of one
    dtype, `b` 1-d or 2-d: the very `matmul` call of `dot_general`'s implementation, on
    the operands as they are, without building the call through `lax`; the result is
    identical to the general path's (and not copied). None when the call does not
    qualify (a trace is active, other operands, dtypes or shapes): the caller takes the
    general path, which also raises the errors."""
    if current() is not None:
        return None
    ca, cb = a.__class__, b.__class__
    if not ((ca is _ndarray or ca is Array) and (cb is _ndarray or cb is Array)):
        return None
    d = a.dtype
    if b.dtype != d or d not in _DIRECT_DOT_DTYPES[_dt.x64_enabled()]:
        return None
    sa, sb = a.shape, b.shape
    if not sa or not 1 <= len(sb) <= 2 or sa[-1] != sb[0]:
        return None
    if ca is not _ndarray:
        a = a.view(_ndarray)
    if cb is not _ndarray:
        b = b.view(_ndarray)
    if (len(sa) == 2 and len(sb) == 2 and d in _GEMM_DTYPES
            and a.flags.c_contiguous and b.flags.c_contiguous):
        # both C-contiguous float matrices: numpy's dot and matmul make the same BLAS gemm
        # call (row-major, no transposes); dot's is the cheaper way to it
        token = QUIET.set()
        try:
            out = np.dot(a, b)
        finally:
            QUIET.reset(token)
        return out.view(Array) if out.dtype == d else None
    k = sb[0]
    a3 = a.reshape(1, math.prod(sa[:-1]), k)
    b3 = b.reshape(1, k, sb[1] if len(sb) == 2 else 1)
    token = QUIET.set()
    try:
        out = np.matmul(a3, b3)
    finally:
        QUIET.reset(token)
    if out.dtype != d:  # (not for these dtypes; the general path would convert)
        return None
    return out.reshape(sa[:-1] + sb[1:]).view(Array)


def ufunc_dtypes(ufunc: np.ufunc, fn: str, *xs) -> tuple[DType, DType, bool]:
    """(operand dtype, output dtype, weak) for `ufunc`'s JAX counterpart on these operands."""
    key = tuple((t.dtype, t.weak) for t in (type_of(x) for x in xs))
    try:
        return _resolve(ufunc, key, _dt.x64_enabled())
    except TypeError as e:
        raise type_error(fn, f"not supported for these dtypes ({e})", *xs) from None


def float_dtype_for(dtype: DType, weak: bool = False) -> DType:
    """The float dtype JAX computes a transcendental of `dtype` in (bool, int32, uint32 →
    float32; int64 → float64; a weak integer → the default float)."""
    return _dt.to_inexact(dtype, weak)


def canonical_dtype(dtype, fn: str = "") -> DType | None:
    """A `dtype=` argument as fnx's dtype under the x64 switch (None stays None; Python's
    `float`/`int` are the default dtypes); a 64-bit request with x64 off narrows with JAX's
    warning naming `fn`."""
    if dtype is None:
        return None
    if dtype is float or dtype is int:  # the default dtype of the kind, as JAX: no warning
        return _dt.default_float() if dtype is float else _dt.default_int()
    d = to_dtype(dtype)
    return _dt.requested(d, fn) if fn else _dt.canonical(d)


# ----------------------------------------------------------------------------- shapes

def broadcast_shapes(*shapes, what: str = "operands", xs: Sequence = ()) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise type_error(what, f"shapes {', '.join(str(tuple(s)) for s in shapes)} cannot be "
                         "broadcast together", *xs, shape=True) from None


def convert(x, dtype: DType, weak: bool = False):
    """`x` with dtype `dtype`: Python scalars become (weak) literals, arrays are converted
    (to a weak value when `weak`: JAX's `int32 array + 1.5` is weakly typed)."""
    if is_python_scalar(x):
        return fnx_ir.literal(x, dtype, weak=not isinstance(x, bool))
    t = type_of(x)
    if t.dtype is dtype and (t.weak or not weak):
        return x
    return lax.convert_element_type(x, dtype, weak=weak and not t.dtype.is_bool)


def broadcast_to(x, shape: tuple[int, ...]):
    if is_python_scalar(x):
        x = fnx_ir.Literal(x, _dt.python_scalar_type(x))
    return lax.broadcast_to_rank_shape(x, shape)


def operands(*xs, dtype: DType | None = None, what: str = "operands"):
    """Promote to a common dtype (or `dtype`) and broadcast to a common shape."""
    xs = [asarray_or_tracer(x) for x in xs]
    weak = False
    if dtype is None:
        dtype, weak = result_weak(*xs)
    shape = broadcast_shapes(*[type_of(x).shape for x in xs], what=what, xs=xs)
    return [broadcast_to(convert(x, dtype, weak), shape) for x in xs]


def join(arrays: Sequence, axis: int | None = 0, dtype=None):
    """The operands joined along `axis` in their promoted dtype (`concatenate`'s body)."""
    xs = [ensure_array(a) for a in arrays]
    if not xs:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        xs = [lax.reshape(x, (type_of(x).size,)) for x in xs]
        axis = 0
    d = canonical_dtype(dtype) or result_dtype(*xs)
    nd = type_of(xs[0]).ndim
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    ax = normalize_axis(axis, nd)
    for x in xs:
        s = type_of(x).shape
        if len(s) != nd or any(a != b for i, (a, b) in enumerate(zip(s, type_of(xs[0]).shape,
                                                                    strict=True)) if i != ax):
            raise type_error("concatenate", f"all input array dimensions except for the "
                             f"concatenation axis {ax} must match exactly", *xs, shape=True)
    return lax.concatenate([convert(x, d) for x in xs], ax)


def stack_along(arrays: Sequence, axis: int = 0, dtype=None):
    """The operands (of one shape) stacked along a new `axis` (`stack`'s body)."""
    xs = [ensure_array(a) for a in arrays]
    if not xs:
        raise ValueError("need at least one array to stack")
    shapes = {type_of(x).shape for x in xs}
    if len(shapes) != 1:
        raise type_error("stack", "all input arrays must have the same shape", *xs, shape=True)
    nd = type_of(xs[0]).ndim + 1
    axis = normalize_axis(axis, nd)
    return join([lax.expand_dims(x, (axis,)) for x in xs], axis, dtype=dtype)


def normalize_axis(axis: int, ndim: int, what: str = "axis") -> int:
    axis = static_int(axis, what)
    n = max(ndim, 1)  # as numpy's scans, a 0-d array accepts axis 0 / -1
    if not -n <= axis < n:
        raise np.exceptions.AxisError(f"{what} {axis} is out of bounds for array of dimension {ndim}")
    return axis % max(ndim, 1)


def normalize_axes(axis, ndim: int, sort: bool = True) -> tuple[int, ...]:
    """`axis=None | int | tuple` → a (sorted) tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, (tuple, list)):
        axis = (axis,)
    axes = tuple(_strict_axis(a, ndim) for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"duplicate value in 'axis': {axis}")
    return tuple(sorted(axes)) if sort else axes


def flat_or_axis(x, axis) -> tuple:
    """numpy's `axis=None` for functions along one axis (take, repeat, sort, argmax, cumsum...):
    `(x flattened, 0)`, else `(x, axis normalised)`."""
    if axis is None:
        return lax.reshape(x, (type_of(x).size,)), 0
    return x, normalize_axis(axis, type_of(x).ndim)


def _strict_axis(axis, ndim: int) -> int:
    axis = static_int(axis, "axis")
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim

