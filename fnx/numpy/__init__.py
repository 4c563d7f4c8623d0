"""`fnx.numpy`: the part of `jax.numpy` that numeric programs use.

Works on numpy arrays (eagerly, returning `numpy.ndarray` with numpy's values) and on
traced values alike, with NumPy broadcasting and JAX's dtypes: float32/int32 defaults
unless the x64 switch is on, JAX's promotion, weak Python scalars (`float32_array * 2.0`
stays float32); see docs/semantics.md, "Dtypes and the x64 switch".

Documented differences from numpy:
- dtypes (JAX's): bool, int8/16/32/64, uint8/16/32/64, float16, bfloat16 (with ml_dtypes),
  float32, float64 (float16/bfloat16 compute in float32, rounding each result once, as XLA on
  CPU); no complex yet; `int32 + float32` is
  float32 and `sin(int32)` is float32 (JAX's rules); sums and products of uint32 stay uint32.
- results are always new arrays (never views); `out=` is not supported.
- `x.at[idx].set(v)` exists on traced values (as in JAX); for numpy arrays write
  `fnx.numpy.at(x)[idx].set(v)`.
- traced out-of-range indices are clamped (as JAX); see `_indexing`.
- shapes that depend on values (boolean masks, nonzero, unique, repeat counts) need
  concrete values, or a static `size=` as in JAX.
- calling a numpy function fnx does not provide raises NotImplementedError naming it.

Layout: modules that import only downward (tests/numpy/test_fnp_layout.py keeps it so), each
public function a plain `def` with JAX's signature, type hints and a docstring saying where it
differs (tests/numpy/test_fnp_signatures.py):
- `_base`: operands, JAX's promotion, broadcasting, axes, errors; the signature types
  (`ArrayLike`, `DTypeLike`, `Axis`, `Array`);
- `_elementwise` (ufuncs, via `apply_ufunc`) < `_logical` (bitwise, logical, comparisons) <
  `_reductions` < `_take` < `_shape` < `_creation` < `_dtypes` < `_ndarray` < `_indexing`
  (`x[...]`, `x.at`, where, nonzero) < `_sorting` < `_linalg` < `_misc` < `linalg`;
- `_methods`: the operators and methods of `fnx.Array` and traced values, installed at the end
  of this file (the core defines the types; it never imports fnx.numpy).
"""
import sys as _sys

import numpy as _np

import fnx_ir as _ir

from ._dtypes import (bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16,
                      float32, float64, generic, number, integer,
                      signedinteger, unsignedinteger, inexact, floating, complexfloating, dtype,
                      finfo, iinfo, issubdtype, promote_types, can_cast, result_type, isdtype,
                      shape, ndim, size, iscomplexobj, isrealobj, isscalar)
from ._elementwise import *  # noqa: F401,F403
if _ir.bfloat16 is not None:
    from ._dtypes import bfloat16  # noqa: F401
from ._elementwise import abs, round, divmod  # noqa: F401  (shadow builtins on purpose)
from ._logical import *  # noqa: F401,F403
from ._reductions import *  # noqa: F401,F403
from ._reductions import sum, max, min, any, all  # noqa: F401
from ._take import *  # noqa: F401,F403
from ._linalg import *  # noqa: F401,F403
from ._shape import *  # noqa: F401,F403
from ._creation import *  # noqa: F401,F403
from ._indexing import *  # noqa: F401,F403
from ._indexing import _getitem, _IndexUpdateHelper, _IndexUpdateRef  # noqa: F401
from ._sorting import *  # noqa: F401,F403
from ._misc import *  # noqa: F401,F403
from ._misc import pow  # noqa: F401
from ._ndarray import ndarray  # noqa: F401
from ._base import NotImplementedInFnx  # noqa: F401
from . import linalg  # noqa: F401
from . import _methods

pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
euler_gamma = _np.euler_gamma
newaxis = None
bool = bool_
int_ = int64
float_ = float64

# numpy names fnx.numpy leaves out on purpose (calling one raises NotImplementedError).
_LEFT_OUT_NOTE = ("fnx has no complex, string, datetime or object dtypes, no file I/O, and no "
                  "in-place mutation")


def __getattr__(name: str):
    if not name.startswith("_") and hasattr(_np, name):
        raise NotImplementedInFnx(
            f"fnx.numpy.{name} is not implemented (numpy.{name} exists, but fnx.numpy does not "
            f"provide it; {_LEFT_OUT_NOTE}). Compute it from the provided functions, or call "
            "numpy outside traced code.")
    raise AttributeError(f"module 'fnx.numpy' has no attribute {name!r}")


_methods.install(_sys.modules[__name__])  # operators and methods of the array types
