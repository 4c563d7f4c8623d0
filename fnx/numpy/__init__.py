"""`fnx.numpy`: the part of `jax.numpy` that numeric programs use.

Works on numpy arrays (eagerly, returning `numpy.ndarray`) and on traced values.
"""
from fnx_ir import bool_, int32, int64, uint32, float32, float64

from ._base import asarray_or_tracer as _asarray
from ._elementwise import *  # noqa: F401,F403
from ._elementwise import abs  # noqa: F401  (shadowed names are public here)
from ._reductions import sum, mean, max, min, amax, amin  # noqa: F401
from ._linalg import matmul  # noqa: F401
from ._shape import reshape, transpose, concatenate, stack  # noqa: F401

import numpy as _np

pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
newaxis = None
bool = bool_
