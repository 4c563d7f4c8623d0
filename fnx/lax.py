"""`fnx.lax`: one thin function per primitive, as in `jax.lax`.

No broadcasting or promotion happens here: operands must already fit the
primitive (see docs/semantics.md). Every function works on numpy arrays
(eagerly) and on traced values alike.
"""
from __future__ import annotations

import enum
from typing import Sequence

import fnx_ir

from ._core.dtypes import canonical
from ._core.ops import (broadcast_in_dim, concatenate, expand_dims, reshape,  # noqa: F401
                       transpose)  # (one definition: the core binds them too)
from ._core.trace import bind, type_of

# ---------------------------------------------------------------- elementwise

_UNARY = ("neg abs sign floor ceil round exp exp2 expm1 log log2 log1p sqrt rsqrt cbrt sin cos "
          "tan asin acos atan sinh cosh tanh asinh acosh atanh logistic erf erfc erf_inv "
          "isfinite stop_gradient").split()
_BINARY = ("add sub mul div rem pow atan2 max min eq ne lt le gt ge shift_left "
           "shift_right_logical shift_right_arithmetic").split()


def _unary(name):
    def f(x):
        return bind(name, x)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise `{name}` (see docs/semantics.md)."
    return f


def _binary(name, pyname=None):
    def f(x, y):
        return bind(name, x, y)
    f.__name__ = f.__qualname__ = pyname or name
    f.__doc__ = f"Elementwise `{name}` of equal-typed operands (see docs/semantics.md)."
    return f


for _n in _UNARY:
    globals()[_n] = _unary(_n)
for _n in _BINARY:
    globals()[_n] = _binary(_n)
bitwise_not = _unary("not")
bitwise_and = _binary("and", "bitwise_and")
bitwise_or = _binary("or", "bitwise_or")
bitwise_xor = _binary("xor", "bitwise_xor")
del _n


def integer_pow(x, y: int):
    return bind("integer_pow", x, y=int(y))


def select(pred, on_true, on_false):
    return bind("select", pred, on_true, on_false)


def clamp(lo, x, hi):
    return bind("clamp", lo, x, hi)


def _dtype(d) -> fnx_ir.DType:
    """A dtype argument: an IR `DType` as it is (fnx's own code and transformation rules
    re-emitting a program's types); a numpy/Python dtype as it exists under the x64 switch
    (`np.float64` is float32 with x64 off, as in JAX)."""
    return d if isinstance(d, fnx_ir.DType) else canonical(fnx_ir.dtype(d))


def convert_element_type(x, new_dtype, weak: bool = False):
    new_dtype = _dtype(new_dtype)
    t = type_of(x)
    if t.dtype is new_dtype and t.weak == weak:
        return x
    return bind("convert_element_type", x, new_dtype=new_dtype, weak=weak)


def bitcast_convert_type(x, new_dtype):
    return bind("bitcast_convert_type", x, new_dtype=fnx_ir.dtype(new_dtype))


# ---------------------------------------------------------------- shape

def iota(dtype, shape: Sequence[int], dimension: int = 0):
    return bind("iota", dtype=_dtype(dtype), shape=tuple(shape), dimension=dimension)


def broadcast_to_rank_shape(x, shape: Sequence[int]):
    """Broadcast `x` to `shape` aligning trailing dims (numpy rules)."""
    shape = tuple(shape)
    nd = type_of(x).ndim
    return broadcast_in_dim(x, shape, tuple(range(len(shape) - nd, len(shape))))


def full(shape: Sequence[int], value, dtype):
    """An array of `shape` filled with `value` (a broadcast literal)."""
    dtype = _dtype(dtype)
    return broadcast_in_dim(fnx_ir.literal(value, dtype), tuple(shape), ())


def full_like(x, value):
    t = type_of(x)
    return full(t.shape, value, t.dtype)


def zeros_like(x):
    return full_like(x, 0)


def squeeze(x, dimensions: Sequence[int]):
    dimensions = tuple(dimensions)
    return bind("squeeze", x, dimensions=dimensions) if dimensions else x


def rev(x, dimensions: Sequence[int]):
    dimensions = tuple(dimensions)
    return bind("rev", x, dimensions=dimensions) if dimensions else x


def pad(x, padding_value, padding_config: Sequence[tuple[int, int, int]]):
    return bind("pad", x, padding_value,
                padding_config=tuple(tuple(int(v) for v in c) for c in padding_config))


# ---------------------------------------------------------------- reductions

def _reduction(name):
    def f(x, axes: Sequence[int]):
        return bind(name, x, axes=tuple(axes))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"`{name}` over `axes` (see docs/semantics.md)."
    return f


reduce_sum = _reduction("reduce_sum")
reduce_prod = _reduction("reduce_prod")
reduce_max = _reduction("reduce_max")
reduce_min = _reduction("reduce_min")
reduce_and = _reduction("reduce_and")
reduce_or = _reduction("reduce_or")


def argmax(x, axis: int, index_dtype=fnx_ir.int64):
    return bind("argmax", x, axis=axis, index_dtype=_dtype(index_dtype))


def argmin(x, axis: int, index_dtype=fnx_ir.int64):
    return bind("argmin", x, axis=axis, index_dtype=_dtype(index_dtype))


def _cumulative(name):
    def f(x, axis: int = 0, reverse: bool = False):
        return bind(name, x, axis=axis, reverse=bool(reverse))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Inclusive `{name}` along `axis`."
    return f


cumsum = _cumulative("cumsum")
cumprod = _cumulative("cumprod")
cummax = _cumulative("cummax")
cummin = _cumulative("cummin")


# ---------------------------------------------------------------- linear algebra

class Precision(enum.Enum):
    """JAX's matmul precision names. On the CPU every precision computes in the operands'
    full precision (float32 as float32), so the choice has no effect; it is checked and
    accepted for portability. Strings work too: `Precision("highest")`."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value):
        names = {"default": cls.DEFAULT, "fastest": cls.DEFAULT, "bfloat16": cls.DEFAULT,
                 "high": cls.HIGH, "bfloat16_3x": cls.HIGH, "tensorfloat32": cls.HIGH,
                 "highest": cls.HIGHEST, "float32": cls.HIGHEST}
        return names.get(value) if isinstance(value, str) else None

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"Precision.{self.name}"


def check_precision(precision) -> None:
    """Reject what is not a precision: None, a `Precision` or its string, or a pair of them."""
    for p in precision if isinstance(precision, (tuple, list)) else (precision,):
        if p is not None and not isinstance(p, Precision):
            Precision(p)  # raises ValueError: 'x' is not a valid Precision


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """Contract `lhs` and `rhs` over ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch)).
    `precision` has no effect on the CPU; `preferred_element_type` is the result dtype (the
    operands are converted to it first)."""
    check_precision(precision)
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    if preferred_element_type is not None:
        d = fnx_ir.dtype(preferred_element_type)
        lhs, rhs = (x if type_of(x).dtype is d else convert_element_type(x, d)
                    for x in (lhs, rhs))
    return bind("dot_general", lhs, rhs, dimension_numbers=dn)


def dot(lhs, rhs, *, precision=None, preferred_element_type=None):
    """Vector/matrix products: the last axis of `lhs` with the first of `rhs` (1-D or 2-D
    operands, as `jax.lax.dot`)."""
    nl, nr = type_of(lhs).ndim, type_of(rhs).ndim
    if not (1 <= nl <= 2 and 1 <= nr <= 2):
        raise TypeError(f"fnx.lax.dot: operands must be 1-D or 2-D, got ranks {nl} and {nr}")
    return dot_general(lhs, rhs, (((nl - 1,), (0,)), ((), ())), precision,
                       preferred_element_type)


# ---------------------------------------------------------------- indexing

def slice(x, start_indices: Sequence[int], limit_indices: Sequence[int],
          strides: Sequence[int] | None = None):
    start, limit = tuple(start_indices), tuple(limit_indices)
    strides = tuple(strides) if strides is not None else (1,) * len(start)
    if start == (0,) * len(start) and limit == type_of(x).shape and set(strides) <= {1}:
        return x
    return bind("slice", x, start_indices=start, limit_indices=limit, strides=strides)


def dynamic_slice(x, start_indices: Sequence, slice_sizes: Sequence[int]):
    return bind("dynamic_slice", x, *start_indices, slice_sizes=tuple(slice_sizes))


def dynamic_update_slice(x, update, start_indices: Sequence):
    return bind("dynamic_update_slice", x, update, *start_indices)


def _in_dim(x, axis: int, what: str) -> tuple[int, int]:
    """(axis normalised, its size)."""
    shape = type_of(x).shape
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"fnx.lax.{what}: axis {axis} is out of bounds for rank {len(shape)}")
    axis %= len(shape)
    return axis, shape[axis]


def _wrap_negative(i, n: int):
    """A start index with negative values counted from the end (`i + n`)."""
    if isinstance(i, int):
        return i + n if i < 0 else i
    if not type_of(i).dtype.is_integer:
        raise TypeError(f"start index must be an integer, got {type_of(i)}")
    if type_of(i).dtype.kind == "u":
        return i
    return select(lt(i, full_like(i, 0)), add(i, full_like(i, n)), i)


def slice_in_dim(operand, start_index: int | None, limit_index: int | None, stride: int = 1,
                 axis: int = 0):
    """`operand[start:limit:stride]` along `axis` (static indices; negative ones count from
    the end)."""
    axis, n = _in_dim(operand, axis, "slice_in_dim")
    start = 0 if start_index is None else int(start_index)
    limit = n if limit_index is None else int(limit_index)
    start, limit = start + n if start < 0 else start, limit + n if limit < 0 else limit
    shape = type_of(operand).shape
    starts, limits, strides = [0] * len(shape), list(shape), [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start, limit, int(stride)
    return slice(operand, starts, limits, strides)


def index_in_dim(operand, index: int, axis: int = 0, keepdims: bool = True):
    """`operand`'s entry `index` (static) along `axis`, keeping that axis (size 1) or not."""
    axis, n = _in_dim(operand, axis, "index_in_dim")
    i = int(index)
    wrapped = i + n if i < 0 else i
    if not 0 <= wrapped < n:
        raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
    out = slice_in_dim(operand, wrapped, wrapped + 1, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


def _starts(operand, axis: int, start):
    starts = [0] * type_of(operand).ndim
    starts[axis] = start
    return starts


def dynamic_slice_in_dim(operand, start_index, slice_size: int, axis: int = 0, *,
                         allow_negative_indices: bool = True):
    """`slice_size` entries from `start_index` (may be traced; clamped so the slice fits)
    along `axis`."""
    axis, n = _in_dim(operand, axis, "dynamic_slice_in_dim")
    if allow_negative_indices:
        start_index = _wrap_negative(start_index, n)
    sizes = list(type_of(operand).shape)
    sizes[axis] = int(slice_size)
    return dynamic_slice(operand, _starts(operand, axis, start_index), sizes)


def dynamic_index_in_dim(operand, index, axis: int = 0, keepdims: bool = True, *,
                         allow_negative_indices: bool = True):
    """`operand`'s entry `index` (may be traced; clamped) along `axis`."""
    out = dynamic_slice_in_dim(operand, index, 1, axis,
                               allow_negative_indices=allow_negative_indices)
    return out if keepdims else squeeze(out, (_in_dim(operand, axis, "dynamic_index_in_dim")[0],))


def dynamic_update_slice_in_dim(operand, update, start_index, axis: int, *,
                                allow_negative_indices: bool = True):
    """`operand` with `update` written from `start_index` (may be traced; clamped) along
    `axis`."""
    axis, n = _in_dim(operand, axis, "dynamic_update_slice_in_dim")
    if allow_negative_indices:
        start_index = _wrap_negative(start_index, n)
    return dynamic_update_slice(operand, update, _starts(operand, axis, start_index))


def gather(x, indices: Sequence, axes: Sequence[int]):
    return bind("gather", x, *indices, axes=tuple(axes))


def _scatter(name):
    def f(x, updates, indices: Sequence, axes: Sequence[int], mode: str = "drop"):
        return bind(name, x, updates, *indices, axes=tuple(axes), mode=mode)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"`{name}` of `updates` into `x` at `indices` along `axes` (see docs/semantics.md)."
    return f


scatter = _scatter("scatter")
scatter_add = _scatter("scatter_add")
scatter_mul = _scatter("scatter_mul")
scatter_min = _scatter("scatter_min")
scatter_max = _scatter("scatter_max")


def sort(operands, dimension: int = -1, num_keys: int = 1):
    """Stable sort of one operand, or of several by the first `num_keys` (returns a list)."""
    single = not isinstance(operands, (list, tuple))
    ops = [operands] if single else list(operands)
    dimension = dimension % (type_of(ops[0]).ndim or 1)  # (`max` here is lax.max, not the builtin)
    out = bind("sort", *ops, dimension=dimension, num_keys=num_keys)
    return out[0] if single else out


# ---------------------------------------------------------------- control flow
# Structured control flow; the tracing of the branch/body functions into closed sub-programs
# is in fnx/_core/control_flow.py (see docs/control-flow.md). Note: `fnx.lax.map` shadows
# the builtin inside this module, which therefore must not call the builtin `map`.

from ._core.control_flow import cond, switch, while_loop, fori_loop, scan, map  # noqa: E402,F401


# ---------------------------------------------------------------- collectives
# Over the named axes of enclosing `fnx.vmap(..., axis_name=...)` calls (docs/vmap.md).

from ._core.collectives import psum, pmean, pmax, pmin, all_gather, axis_index  # noqa: E402,F401
