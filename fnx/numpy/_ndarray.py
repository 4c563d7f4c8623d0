"""`fnx.numpy.ndarray`: an isinstance target that matches numpy arrays and traced values."""
from __future__ import annotations

import numpy as np

from .._core.trace import Tracer


class _ArrayMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, (np.ndarray, Tracer))

    def __subclasscheck__(cls, sub) -> bool:
        return issubclass(sub, (np.ndarray, Tracer))


class ndarray(metaclass=_ArrayMeta):
    """`isinstance(x, fnx.numpy.ndarray)` is True for numpy arrays and traced values
    (as `jax.Array` is for JAX arrays and tracers). Not constructible: use fnx.numpy.array."""

    def __new__(cls, *args, **kwargs):
        raise TypeError("fnx.numpy.ndarray is not constructible; use fnx.numpy.array")
