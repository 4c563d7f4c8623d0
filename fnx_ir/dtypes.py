"""Element types of the IR and NumPy 2 type promotion.

A `DType` wraps a numpy dtype with the short name the text form uses. The set is
closed under NumPy 2 promotion, so promotion is delegated to `numpy.result_type`,
which makes it exact by construction. Weak types (Python scalars) are modelled
the way NEP 50 does: a weak operand takes part in promotion only by its kind.
Adding complex64/complex128 is one `DType(...)` line each plus their kind below.
"""
from __future__ import annotations

import numpy as np


class DType:
    """An IR element type. Instances are unique: compare with `is` or `==`."""

    __slots__ = ("name", "short", "np", "kind", "itemsize")

    def __init__(self, name: str, short: str, np_dtype=None):
        self.name = name
        self.short = short
        self.np = np.dtype(name if np_dtype is None else np_dtype)
        # 'b' bool, 'i' signed, 'u' unsigned, 'f' float, 'c' complex (ml_dtypes' bfloat16
        # says 'V' to numpy: a float all the same).
        self.kind = "f" if name == "bfloat16" else self.np.kind
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self):
        return (dtype, (self.name,))

    @property
    def is_float(self) -> bool:
        return self.kind in "fc"

    @property
    def is_integer(self) -> bool:
        return self.kind in "iu"

    @property
    def is_bool(self) -> bool:
        return self.kind == "b"

    @property
    def is_storage_float(self) -> bool:
        """float16 / bfloat16: stored in 2 bytes, computed in float32 (as XLA on CPU)."""
        return self.kind == "f" and self.itemsize == 2


bool_ = DType("bool", "bool")
int8 = DType("int8", "i8")
int16 = DType("int16", "i16")
int32 = DType("int32", "i32")
int64 = DType("int64", "i64")
uint8 = DType("uint8", "u8")
uint16 = DType("uint16", "u16")
uint32 = DType("uint32", "u32")
uint64 = DType("uint64", "u64")
float16 = DType("float16", "f16")
float32 = DType("float32", "f32")
float64 = DType("float64", "f64")
try:  # numpy has no bfloat16; ml_dtypes (JAX's own dtype package) adds it when installed
    import ml_dtypes as _ml_dtypes
    bfloat16: DType | None = DType("bfloat16", "bf16", _ml_dtypes.bfloat16)
except ImportError:
    bfloat16 = None

ALL_DTYPES = tuple(d for d in (bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
                               float16, bfloat16, float32, float64) if d is not None)
FLOAT_DTYPES = tuple(d for d in ALL_DTYPES if d.is_float)
INT_DTYPES = tuple(d for d in ALL_DTYPES if d.is_integer)

_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_NAME.update({d.short: d for d in ALL_DTYPES})
_BY_NAME["bool_"] = bool_

# The Python type whose NEP 50 "weak" promotion a weak value of each kind follows.
_WEAK_PYTHON_TYPE = {"b": bool, "i": int, "u": int, "f": float, "c": complex}
# The dtype a bare Python scalar gets (NumPy 2 defaults).
_PYTHON_SCALAR_DTYPE = {bool: bool_, int: int64, float: float64}


def dtype(x) -> DType:
    """Convert a name, numpy dtype, numpy scalar type or DType to a supported DType."""
    if isinstance(x, DType):
        return x
    if isinstance(x, str) and x in _BY_NAME:
        return _BY_NAME[x]
    if x in _PYTHON_SCALAR_DTYPE:
        return _PYTHON_SCALAR_DTYPE[x]
    try:
        name = np.dtype(x).name
    except TypeError:
        raise TypeError(f"{x!r} is not a dtype") from None
    if name not in _BY_NAME:
        supported = ", ".join(d.name for d in ALL_DTYPES)
        raise TypeError(f"dtype {name} is not supported by fnx (supported: {supported})")
    return _BY_NAME[name]


def python_scalar_dtype(value) -> DType:
    """The dtype NumPy 2 gives a bare Python bool/int/float."""
    for t in (bool, int, float):  # bool before int: bool is a subclass of int
        if isinstance(value, t):
            return _PYTHON_SCALAR_DTYPE[t]
    raise TypeError(f"{type(value).__name__} is not a Python scalar")


def result_type(*operands: tuple[DType, bool]) -> DType:
    """Promote `(dtype, weak)` pairs exactly as NumPy 2 does.

    A weak operand (a Python scalar, or a value derived only from Python scalars)
    participates by kind only, so `float32 * 2.0` stays float32.
    """
    strong = [d.np for d, weak in operands if not weak]
    weak_kinds = [_WEAK_PYTHON_TYPE[d.kind] for d, weak in operands if weak]
    if not strong:
        # Only weak values: the widest kind wins; its dtypes promote among themselves,
        # so the result does not depend on operand order (weak i32 + weak i64 -> i64).
        top = max("biufc".index(d.kind) for d, _ in operands)
        return dtype(np.result_type(*(d.np for d, _ in operands if "biufc".index(d.kind) == top)))
    sample = [t(0) for t in weak_kinds]
    return dtype(np.result_type(*strong, *sample))


def is_weak_result(*weak_flags: bool) -> bool:
    """A result is weak only when every operand was weak (as in JAX)."""
    return all(weak_flags)
