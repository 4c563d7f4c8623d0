"""Operators and array methods of `Tracer`, all delegating to `fnx.numpy`."""
from __future__ import annotations

from . import array as _array
from .trace import Tracer


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


def install() -> None:
    from .. import numpy as fnp

    binary = {
        "add": fnp.add, "sub": fnp.subtract, "mul": fnp.multiply, "truediv": fnp.divide,
        "floordiv": fnp.floor_divide, "mod": fnp.remainder, "divmod": fnp.divmod,
        "pow": fnp.power, "matmul": fnp.matmul, "and": fnp.bitwise_and, "or": fnp.bitwise_or,
        "xor": fnp.bitwise_xor, "lshift": fnp.left_shift, "rshift": fnp.right_shift,
    }
    for name, f in binary.items():
        setattr(Tracer, f"__{name}__", f)
        setattr(Tracer, f"__r{name}__", _swap(f))
    comparisons = {"eq": fnp.equal, "ne": fnp.not_equal, "lt": fnp.less, "le": fnp.less_equal,
                   "gt": fnp.greater, "ge": fnp.greater_equal}
    for name, f in comparisons.items():
        setattr(Tracer, f"__{name}__", f)
    Tracer.__neg__ = fnp.negative
    Tracer.__pos__ = fnp.positive
    Tracer.__abs__ = fnp.absolute
    Tracer.__invert__ = fnp.invert
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
