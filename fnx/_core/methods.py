"""Operators and array methods of `Tracer`, all delegating to `fnx.numpy`."""
from __future__ import annotations

from .trace import Tracer


def _swap(f):
    return lambda self, other: f(other, self)


def install() -> None:
    from .. import numpy as fnp

    ops = {
        "__add__": fnp.add, "__sub__": fnp.subtract, "__mul__": fnp.multiply,
        "__truediv__": fnp.divide, "__pow__": fnp.power, "__matmul__": fnp.matmul,
        "__and__": fnp.bitwise_and, "__or__": fnp.bitwise_or, "__xor__": fnp.bitwise_xor,
        "__lshift__": fnp.left_shift, "__rshift__": fnp.right_shift,
        "__eq__": fnp.equal, "__ne__": fnp.not_equal, "__lt__": fnp.less,
        "__le__": fnp.less_equal, "__gt__": fnp.greater, "__ge__": fnp.greater_equal,
    }
    for name, f in ops.items():
        setattr(Tracer, name, f)
        if name not in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
            setattr(Tracer, "__r" + name[2:], _swap(f))
    for name in ("floordiv", "mod"):
        fn = getattr(fnp, {"floordiv": "floor_divide", "mod": "remainder"}[name], None)
        if fn is not None:
            setattr(Tracer, f"__{name}__", fn)
            setattr(Tracer, f"__r{name}__", _swap(fn))
    Tracer.__neg__ = fnp.negative
    Tracer.__pos__ = lambda self: self
    Tracer.__abs__ = fnp.absolute
    Tracer.__invert__ = fnp.invert
    Tracer.__hash__ = None
    Tracer.shape = property(lambda self: self.var.type.shape)
    Tracer.dtype = property(lambda self: self.var.type.dtype.np)
    Tracer.ndim = property(lambda self: self.var.type.ndim)
    Tracer.size = property(lambda self: self.var.type.size)
    Tracer.T = property(lambda self: fnp.transpose(self))
    Tracer.reshape = lambda self, *shape, order="C": fnp.reshape(
        self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape, order)
    Tracer.transpose = lambda self, *axes: fnp.transpose(
        self, (axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes) or None)
    for name in ("sum", "mean", "max", "min", "prod", "var", "std", "any", "all", "argmax",
                 "argmin", "cumsum", "cumprod", "ravel", "flatten", "squeeze", "swapaxes",
                 "clip", "round", "dot", "sort", "argsort", "take", "conj", "diagonal", "trace",
                 "repeat", "nonzero"):
        fn = getattr(fnp, name, None)
        if fn is not None:
            setattr(Tracer, name, fn)
    Tracer.astype = lambda self, dtype: fnp.asarray(self, dtype=dtype) if hasattr(fnp, "asarray") \
        else NotImplemented
    if hasattr(fnp, "_getitem"):
        Tracer.__getitem__ = fnp._getitem
    if hasattr(fnp, "_IndexUpdateHelper"):
        Tracer.at = property(lambda self: fnp._IndexUpdateHelper(self))
