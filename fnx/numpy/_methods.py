"""Operators and array methods of `Tracer` and `fnx.Array`, all delegating to `fnx.numpy`.

The core defines the array types; `fnx.numpy` gives them their operators and methods (run
once, from the end of `fnx/numpy/__init__.py`), so the core never imports `fnx.numpy`.
"""
from __future__ import annotations

from types import ModuleType

import numpy as np

from .._core import array as _array
from .._core.trace import Tracer


def _swap(f):
    def swapped(self, other):
        return f(other, self)
    swapped.__name__ = f"r{getattr(f, '__name__', 'op')}"
    return swapped


def _shape_args(args):
    """`x.reshape(2, 3)` and `x.reshape((2, 3))` alike."""
    if len(args) == 1 and not isinstance(args[0], int):
        return args[0]
    return args


# Operators whose numpy ufunc gives fnx's (JAX's) result, bits and dtype, when both operands
# are strong eager arrays of one dtype, or a float array and a Python float (a weak float of
# its own kind): for those, an eager operator skips fnx's general path (~50x numpy's cost).
_SAME_AS_NUMPY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "eq": np.equal,
                  "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
                  "ge": np.greater_equal}


def _eager_operator(ufunc, general):
    Array, plain = _array.Array, np.ndarray

    def operator(a, b):
        if a.__class__ is Array:
            if b.__class__ is Array:
                if a.dtype == b.dtype:
                    with np.errstate(all="ignore"):
                        return ufunc(a.view(plain), b.view(plain)).view(Array)
            elif b.__class__ is float and a.dtype.kind == "f":
                with np.errstate(all="ignore"):
                    return ufunc(a.view(plain), b).view(Array)
        return general(a, b)
    return operator


def install(fnp: ModuleType) -> None:
    """Attach the operators and methods, delegating to the functions of `fnp` (`fnx.numpy`)."""
    binary = {
        "add": fnp.add, "sub": fnp.subtract, "mul": fnp.multiply, "truediv": fnp.divide,
        "floordiv": fnp.floor_divide, "mod": fnp.remainder, "divmod": fnp.divmod,
        "pow": fnp.power, "matmul": fnp.matmul, "and": fnp.bitwise_and, "or": fnp.bitwise_or,
        "xor": fnp.bitwise_xor, "lshift": fnp.left_shift, "rshift": fnp.right_shift,
    }
    comparisons = {"eq": fnp.equal, "ne": fnp.not_equal, "lt": fnp.less, "le": fnp.less_equal,
                   "gt": fnp.greater, "ge": fnp.greater_equal}
    unary = {"neg": fnp.negative, "pos": fnp.positive, "abs": fnp.absolute, "invert": fnp.invert}
    # Operators on traced values and on eager `fnx.Array`s alike are fnx.numpy's, so an eager
    # `x * 0.5` has JAX's dtype (int32 * 0.5 is float32 with x64 off, not numpy's float64). An
    # in-place operator on an Array makes a new array, as on a JAX array (`x += 1` rebinds x).
    for cls in (Tracer, _array.Array):
        for name, f in binary.items():
            if cls is _array.Array and name in _SAME_AS_NUMPY:
                f = _eager_operator(_SAME_AS_NUMPY[name], f)
            setattr(cls, f"__{name}__", f)
            setattr(cls, f"__r{name}__", _swap(f))
            if cls is _array.Array and name != "divmod":
                setattr(cls, f"__i{name}__", f)
        for name, f in {**comparisons, **unary}.items():
            if cls is _array.Array and name in _SAME_AS_NUMPY:
                f = _eager_operator(_SAME_AS_NUMPY[name], f)
            setattr(cls, f"__{name}__", f)
    Tracer.__round__ = lambda self, ndigits=None: fnp.round(self, ndigits or 0)
    Tracer.__hash__ = None
    Tracer.__getitem__ = fnp._getitem
    Tracer.at = property(lambda self: fnp._IndexUpdateHelper(self))
    _array._index_update_helper = fnp._IndexUpdateHelper
    _array._astype = fnp.astype

    Tracer.shape = property(lambda self: self._var.type.shape)
    Tracer.dtype = property(lambda self: self._var.type.dtype.np)
    Tracer.ndim = property(lambda self: self._var.type.ndim)
    Tracer.size = property(lambda self: self._var.type.size)
    Tracer.itemsize = property(lambda self: self._var.type.dtype.itemsize)
    Tracer.nbytes = property(lambda self: self._var.type.size * self._var.type.dtype.itemsize)
    Tracer.weak_type = property(lambda self: self._var.type.weak)
    Tracer.T = property(lambda self: fnp.transpose(self))
    Tracer.mT = property(lambda self: fnp.matrix_transpose(self))
    Tracer.real = property(lambda self: fnp.real(self))
    Tracer.imag = property(lambda self: fnp.imag(self))

    Tracer.reshape = lambda self, *shape, order="C": fnp.reshape(self, _shape_args(shape), order)
    Tracer.transpose = lambda self, *axes: fnp.transpose(self, _shape_args(axes) or None)
    Tracer.astype = lambda self, dtype, copy=True: fnp.astype(self, dtype)
    Tracer.flatten = lambda self, order="C": fnp.ravel(self, order)
    Tracer.copy = lambda self: self
    Tracer.conjugate = fnp.conjugate
    Tracer.item = lambda self, *args: self.concrete("x.item()").item(*args)
    Tracer.tolist = lambda self: self.concrete("x.tolist()").tolist()
    Tracer.__array_namespace__ = lambda self, api_version=None: fnp
    for name in ("var", "sum", "mean", "max", "min", "prod", "std", "any", "all", "argmax",
                 "argmin", "cumsum", "cumprod", "ravel", "squeeze", "swapaxes", "clip", "round",
                 "dot", "sort", "argsort", "take", "conj", "diagonal", "trace", "repeat",
                 "nonzero", "ptp", "searchsorted"):
        setattr(Tracer, name, getattr(fnp, name))
