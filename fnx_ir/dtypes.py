"""Element types of the IR and JAX's type promotion.

A `DType` wraps a numpy dtype with the short name the text form uses. Promotion is
JAX's lattice (`promote`), with weak types (values from Python scalars) taking part
by kind only. The IR itself has no x64 switch: functions that depend on it take
`x64=` and the caller (fnx) passes the switch's value.
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
# numpy dtype object -> DType: the hot path (every eager operand's type) is one lookup,
# `BY_NUMPY.get(array.dtype)`, instead of parsing `np.dtype(x).name`. Only native-order
# dtypes are keys (`>f4` is not equal to `<f4`); `dtype()` takes the others.
BY_NUMPY: dict[np.dtype, DType] = {d.np: d for d in ALL_DTYPES}

# The dtype a bare Python scalar gets with 64-bit defaults (x64 on); see `canonical`.
_PYTHON_SCALAR_DTYPE = {bool: bool_, int: int64, float: float64}


def dtype(x) -> DType:
    """Convert a name, numpy dtype, numpy scalar type or DType to a supported DType."""
    if isinstance(x, DType):
        return x
    if isinstance(x, np.dtype):
        hit = BY_NUMPY.get(x)
        if hit is not None:
            return hit
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


def python_scalar_dtype(value, x64: bool) -> DType:
    """The dtype JAX gives a bare Python bool/int/float (64-bit kinds narrowed unless `x64`)."""
    for t in (bool, int, float):  # bool before int: bool is a subclass of int
        if isinstance(value, t):
            return canonical(_PYTHON_SCALAR_DTYPE[t], x64)
    raise TypeError(f"{type(value).__name__} is not a Python scalar")


# ------------------------------------------------------------------ JAX's promotion lattice
#
# JAX promotes by the least upper bound in a lattice of dtypes plus the weak kinds `i*`
# (Python int) and `f*` (Python float): b1 < i* < {u8, i8}, u8 < {u16, i16}, u16 < {u32, i32},
# u32 < {u64, i64}, i8 < i16 < i32 < i64, {u64, i64} < f* < {bf16, f16} < f32 < f64. It differs
# from NumPy's table: int32 + float32 is float32, int32 + uint32 is int64, and a weak value
# never widens a strong one of its kind. Only nodes that are fnx dtypes or weak kinds are
# needed to compute the bound among fnx dtypes; the others are kept so the order is JAX's.
_WEAK_INT, _WEAK_FLOAT = "i*", "f*"
_UP = {"bool": ["i*"], "i*": ["uint8", "int8"], "uint8": ["uint16", "int16"],
       "uint16": ["uint32", "int32"], "uint32": ["uint64", "int64"], "uint64": ["f*"],
       "int8": ["int16"], "int16": ["int32"], "int32": ["int64"], "int64": ["f*"],
       "f*": ["bfloat16", "float16"], "bfloat16": ["float32"], "float16": ["float32"],
       "float32": ["float64"], "float64": []}


def _upper_sets() -> dict[str, frozenset]:
    ups: dict[str, frozenset] = {}

    def up(n: str) -> frozenset:
        if n not in ups:
            ups[n] = frozenset({n}).union(*(up(m) for m in _UP[n]))
        return ups[n]
    for n in _UP:
        up(n)
    return ups


_UPPER = _upper_sets()


def _join(a: str, b: str) -> str:
    common = _UPPER[a] & _UPPER[b]
    least = [n for n in common if _UPPER[n] >= common]
    return least[0]


def _node(d: DType, weak: bool) -> str:
    if weak and d.kind in "iu":
        return _WEAK_INT
    if weak and d.kind == "f":
        return _WEAK_FLOAT
    return d.name


# A 64-bit dtype and the one it becomes with x64 off (JAX's canonicalisation).
_NARROW_X64 = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


def canonical(d: DType, x64: bool) -> DType:
    """`d` as it exists with the x64 switch at `x64` (64-bit types narrow to 32 when off)."""
    if x64 or d.name not in _NARROW_X64:
        return d
    return _BY_NAME[_NARROW_X64[d.name]]


def promote(*operands: tuple[DType, bool], x64: bool) -> tuple[DType, bool]:
    """`(dtype, weak)` of the result of combining `(dtype, weak)` operands, as JAX does.

    The least upper bound of the operands in JAX's lattice; a weak kind on top gives that
    kind's default dtype, weakly typed (`int32 array + 1.5` is a weak float). The result is
    canonical for `x64` (int64 becomes int32 with x64 off).
    """
    top = _node(*operands[0])
    for d, weak in operands[1:]:
        top = _join(top, _node(d, weak))
    if top == _WEAK_INT:
        return canonical(int64, x64), True
    if top == _WEAK_FLOAT:
        return canonical(float64, x64), True
    return canonical(_BY_NAME[top], x64), all(w for _, w in operands)


def result_type(*operands: tuple[DType, bool], x64: bool) -> DType:
    """The dtype of `promote(*operands, x64=x64)`."""
    return promote(*operands, x64=x64)[0]


def to_inexact(d: DType, weak: bool, x64: bool) -> DType:
    """The float dtype JAX computes a transcendental of `d` in: floats stay, 64-bit integers
    give float64, narrower ones (and bool) float32; a weak integer gives the default float."""
    if d.is_float:
        return d
    if weak and d.kind in "iu":
        return canonical(float64, x64)
    return canonical(float64 if d.itemsize == 8 else float32, x64)
