"""The public binders: one real function per primitive (what `fnx.lax` exports, as in
`jax.lax`), plus the few helpers built directly on them (`full`, `zeros_like`, …).

They sit below the family files (`elementwise.py`, `shape.py`, …), which register each
primitive's rules with its binder and compute with these functions in their rules: the
families use each other's primitives (a reduction's transpose broadcasts, a broadcast's
transpose reduces), so binders in the family files would import each other in a circle.
No broadcasting or promotion happens here: operands must already fit the primitive (see
docs/semantics.md). Every function works on numpy arrays (eagerly) and on traced values.
Note: names such as `max`, `abs`, `slice` shadow builtins inside this module.
"""
from __future__ import annotations

import enum
from typing import Any, Sequence

import fnx_ir
from fnx_ir import Literal

from .._core.dtypes import canonical
from .._core.trace import bind, type_of

Value = Any  # a numpy array or scalar, or a traced value (`fnx._core.trace.Tracer`)

# ---------------------------------------------------------------- elementwise

def neg(x: Value) -> Value:
    """Elementwise negation."""
    return bind("neg", x)

def abs(x: Value) -> Value:
    """Elementwise absolute value."""
    return bind("abs", x)

def sign(x: Value) -> Value:
    """Elementwise sign (-1, 0 or 1; NaN stays NaN)."""
    return bind("sign", x)

def floor(x: Value) -> Value:
    """Elementwise floor."""
    return bind("floor", x)

def ceil(x: Value) -> Value:
    """Elementwise ceiling."""
    return bind("ceil", x)

def round(x: Value) -> Value:
    """Elementwise rounding half away from zero."""
    return bind("round", x)

def exp(x: Value) -> Value:
    """Elementwise e**x."""
    return bind("exp", x)

def exp2(x: Value) -> Value:
    """Elementwise 2**x."""
    return bind("exp2", x)

def expm1(x: Value) -> Value:
    """Elementwise e**x - 1, accurate near 0."""
    return bind("expm1", x)

def log(x: Value) -> Value:
    """Elementwise natural logarithm."""
    return bind("log", x)

def log2(x: Value) -> Value:
    """Elementwise base-2 logarithm."""
    return bind("log2", x)

def log1p(x: Value) -> Value:
    """Elementwise log(1 + x), accurate near 0."""
    return bind("log1p", x)

def sqrt(x: Value) -> Value:
    """Elementwise square root."""
    return bind("sqrt", x)

def rsqrt(x: Value) -> Value:
    """Elementwise 1 / sqrt(x)."""
    return bind("rsqrt", x)

def cbrt(x: Value) -> Value:
    """Elementwise cube root."""
    return bind("cbrt", x)

def sin(x: Value) -> Value:
    """Elementwise sine."""
    return bind("sin", x)

def cos(x: Value) -> Value:
    """Elementwise cosine."""
    return bind("cos", x)

def tan(x: Value) -> Value:
    """Elementwise tangent."""
    return bind("tan", x)

def asin(x: Value) -> Value:
    """Elementwise arcsine."""
    return bind("asin", x)

def acos(x: Value) -> Value:
    """Elementwise arccosine."""
    return bind("acos", x)

def atan(x: Value) -> Value:
    """Elementwise arctangent."""
    return bind("atan", x)

def sinh(x: Value) -> Value:
    """Elementwise hyperbolic sine."""
    return bind("sinh", x)

def cosh(x: Value) -> Value:
    """Elementwise hyperbolic cosine."""
    return bind("cosh", x)

def tanh(x: Value) -> Value:
    """Elementwise hyperbolic tangent."""
    return bind("tanh", x)

def asinh(x: Value) -> Value:
    """Elementwise inverse hyperbolic sine."""
    return bind("asinh", x)

def acosh(x: Value) -> Value:
    """Elementwise inverse hyperbolic cosine."""
    return bind("acosh", x)

def atanh(x: Value) -> Value:
    """Elementwise inverse hyperbolic tangent."""
    return bind("atanh", x)

def logistic(x: Value) -> Value:
    """Elementwise logistic sigmoid 1 / (1 + e**-x)."""
    return bind("logistic", x)

def erf(x: Value) -> Value:
    """Elementwise error function."""
    return bind("erf", x)

def erfc(x: Value) -> Value:
    """Elementwise complementary error function 1 - erf(x)."""
    return bind("erfc", x)

def erf_inv(x: Value) -> Value:
    """Elementwise inverse error function."""
    return bind("erf_inv", x)

def isfinite(x: Value) -> Value:
    """Elementwise whether x is finite (bool result)."""
    return bind("isfinite", x)

def stop_gradient(x: Value) -> Value:
    """Elementwise identity whose derivative is zero."""
    return bind("stop_gradient", x)

def add(x: Value, y: Value) -> Value:
    """Elementwise x + y, of equal-typed operands."""
    return bind("add", x, y)

def sub(x: Value, y: Value) -> Value:
    """Elementwise x - y, of equal-typed operands."""
    return bind("sub", x, y)

def mul(x: Value, y: Value) -> Value:
    """Elementwise x * y, of equal-typed operands."""
    return bind("mul", x, y)

def div(x: Value, y: Value) -> Value:
    """Elementwise x / y (integers: truncating, x / 0 = -1 as XLA), of equal-typed operands."""
    return bind("div", x, y)

def rem(x: Value, y: Value) -> Value:
    """Elementwise remainder with the sign of x (C fmod), of equal-typed operands."""
    return bind("rem", x, y)

def pow(x: Value, y: Value) -> Value:
    """Elementwise x ** y (C99 pow), of equal-typed operands."""
    return bind("pow", x, y)

def atan2(x: Value, y: Value) -> Value:
    """Elementwise arctangent of x / y in the right quadrant (numpy's `arctan2(x, y)`)."""
    return bind("atan2", x, y)

def max(x: Value, y: Value) -> Value:
    """Elementwise maximum (NaN wins), of equal-typed operands."""
    return bind("max", x, y)

def min(x: Value, y: Value) -> Value:
    """Elementwise minimum (NaN wins), of equal-typed operands."""
    return bind("min", x, y)

def eq(x: Value, y: Value) -> Value:
    """Elementwise x == y, of equal-typed operands."""
    return bind("eq", x, y)

def ne(x: Value, y: Value) -> Value:
    """Elementwise x != y, of equal-typed operands."""
    return bind("ne", x, y)

def lt(x: Value, y: Value) -> Value:
    """Elementwise x < y, of equal-typed operands."""
    return bind("lt", x, y)

def le(x: Value, y: Value) -> Value:
    """Elementwise x <= y, of equal-typed operands."""
    return bind("le", x, y)

def gt(x: Value, y: Value) -> Value:
    """Elementwise x > y, of equal-typed operands."""
    return bind("gt", x, y)

def ge(x: Value, y: Value) -> Value:
    """Elementwise x >= y, of equal-typed operands."""
    return bind("ge", x, y)

def shift_left(x: Value, y: Value) -> Value:
    """Elementwise x << y (0 when y is out of range), of equal-typed operands."""
    return bind("shift_left", x, y)

def shift_right_logical(x: Value, y: Value) -> Value:
    """Elementwise logical x >> y (0 when y is out of range), of equal-typed operands."""
    return bind("shift_right_logical", x, y)

def shift_right_arithmetic(x: Value, y: Value) -> Value:
    """Elementwise arithmetic x >> y (sign fill when y is out of range), of equal-typed operands."""
    return bind("shift_right_arithmetic", x, y)

def bitwise_not(x: Value) -> Value:
    """Elementwise bitwise (or logical, for bool) not."""
    return bind("not", x)


def bitwise_and(x: Value, y: Value) -> Value:
    """Elementwise bitwise (or logical, for bool) and, of equal-typed operands."""
    return bind("and", x, y)


def bitwise_or(x: Value, y: Value) -> Value:
    """Elementwise bitwise (or logical, for bool) or, of equal-typed operands."""
    return bind("or", x, y)


def bitwise_xor(x: Value, y: Value) -> Value:
    """Elementwise bitwise (or logical, for bool) exclusive or, of equal-typed operands."""
    return bind("xor", x, y)

def integer_pow(x: Value, y: int) -> Value:
    """Elementwise x ** y for a static int `y` (by repeated multiplication)."""
    return bind("integer_pow", x, y=int(y))


def select(pred: Value, on_true: Value, on_false: Value) -> Value:
    """Elementwise `on_true` where the bool `pred` holds, else `on_false` (numpy's `where`)."""
    return bind("select", pred, on_true, on_false)


def clamp(lo: Value, x: Value, hi: Value) -> Value:
    """Elementwise min(max(x, lo), hi); `lo` and `hi` may be scalars."""
    return bind("clamp", lo, x, hi)


def _dtype(d) -> fnx_ir.DType:
    """A dtype argument: an IR `DType` as it is (fnx's own code and transformation rules
    re-emitting a program's types); a numpy/Python dtype as it exists under the x64 switch
    (`np.float64` is float32 with x64 off, as in JAX)."""
    return d if isinstance(d, fnx_ir.DType) else canonical(fnx_ir.dtype(d))


def convert_element_type(x: Value, new_dtype: Any, weak: bool = False) -> Value:
    """`x` converted to `new_dtype` (float to int truncates and saturates); `x` itself if it
    already has that type."""
    new_dtype = _dtype(new_dtype)
    t = type_of(x)
    if t.dtype is new_dtype and t.weak == weak:
        return x
    return bind("convert_element_type", x, new_dtype=new_dtype, weak=weak)


def bitcast_convert_type(x: Value, new_dtype: Any) -> Value:
    """`x`'s bits read as `new_dtype` (of the same item size)."""
    return bind("bitcast_convert_type", x, new_dtype=fnx_ir.dtype(new_dtype))


# ---------------------------------------------------------------- shape

def iota(dtype: Any, shape: Sequence[int], dimension: int = 0) -> Value:
    """An array of `shape` counting 0, 1, … along `dimension`."""
    return bind("iota", dtype=_dtype(dtype), shape=tuple(shape), dimension=dimension)


def broadcast_in_dim(x: Value, shape: Sequence[int], broadcast_dimensions: Sequence[int]) -> Value:
    """`x` broadcast to `shape`, its dim i becoming dim `broadcast_dimensions[i]`."""
    shape, dims = tuple(shape), tuple(broadcast_dimensions)
    if type_of(x).shape == shape and dims == tuple(range(len(shape))) and not isinstance(x, Literal):
        return x
    return bind("broadcast_in_dim", x, shape=shape, broadcast_dimensions=dims)


def broadcast_to_rank_shape(x: Value, shape: Sequence[int]) -> Value:
    """Broadcast `x` to `shape` aligning trailing dims (numpy rules)."""
    shape = tuple(shape)
    nd = type_of(x).ndim
    return broadcast_in_dim(x, shape, tuple(range(len(shape) - nd, len(shape))))


def full(shape: Sequence[int], value: Any, dtype: Any) -> Value:
    """An array of `shape` filled with `value` (a broadcast literal)."""
    dtype = _dtype(dtype)
    return broadcast_in_dim(fnx_ir.literal(value, dtype), tuple(shape), ())


def full_like(x: Value, value: Any) -> Value:
    """An array of `x`'s shape and dtype filled with `value`."""
    t = type_of(x)
    return full(t.shape, value, t.dtype)


def zeros_like(x: Value) -> Value:
    """Zeros of `x`'s shape and dtype."""
    return full_like(x, 0)


def reshape(x: Value, new_sizes: Sequence[int]) -> Value:
    """`x`'s elements (row-major) in the shape `new_sizes`."""
    new_sizes = tuple(int(d) for d in new_sizes)
    if type_of(x).shape == new_sizes:
        return x
    return bind("reshape", x, new_sizes=new_sizes)


def transpose(x: Value, permutation: Sequence[int]) -> Value:
    """`x` with its dims permuted: result dim i is `x`'s dim `permutation[i]`."""
    permutation = tuple(permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return bind("transpose", x, permutation=permutation)


def squeeze(x: Value, dimensions: Sequence[int]) -> Value:
    """`x` without its size-1 `dimensions`."""
    dimensions = tuple(dimensions)
    return bind("squeeze", x, dimensions=dimensions) if dimensions else x


def expand_dims(x: Value, dimensions: Sequence[int]) -> Value:
    """`x` with size-1 dims inserted at `dimensions` (of the result)."""
    dimensions = tuple(dimensions)
    return bind("expand_dims", x, dimensions=dimensions) if dimensions else x


def rev(x: Value, dimensions: Sequence[int]) -> Value:
    """`x` reversed along `dimensions`."""
    dimensions = tuple(dimensions)
    return bind("rev", x, dimensions=dimensions) if dimensions else x


def concatenate(operands: Sequence[Value], dimension: int) -> Value:
    """The operands joined along `dimension`."""
    if len(operands) == 1:
        return operands[0]
    return bind("concatenate", *operands, dimension=dimension)


def pad(x: Value, padding_value: Value, padding_config: Sequence[tuple[int, int, int]]) -> Value:
    """`x` padded with the scalar `padding_value` by (low, high, interior) per dim (negative
    low/high crop)."""
    return bind("pad", x, padding_value,
                padding_config=tuple(tuple(int(v) for v in c) for c in padding_config))


# ---------------------------------------------------------------- reductions

def reduce_sum(x: Value, axes: Sequence[int]) -> Value:
    """The sum of `x` over `axes`."""
    return bind("reduce_sum", x, axes=tuple(axes))

def reduce_prod(x: Value, axes: Sequence[int]) -> Value:
    """The product of `x` over `axes`."""
    return bind("reduce_prod", x, axes=tuple(axes))

def reduce_max(x: Value, axes: Sequence[int]) -> Value:
    """The maximum of `x` over `axes`."""
    return bind("reduce_max", x, axes=tuple(axes))

def reduce_min(x: Value, axes: Sequence[int]) -> Value:
    """The minimum of `x` over `axes`."""
    return bind("reduce_min", x, axes=tuple(axes))

def reduce_and(x: Value, axes: Sequence[int]) -> Value:
    """The logical and of `x` over `axes`."""
    return bind("reduce_and", x, axes=tuple(axes))

def reduce_or(x: Value, axes: Sequence[int]) -> Value:
    """The logical or of `x` over `axes`."""
    return bind("reduce_or", x, axes=tuple(axes))


def argmax(x: Value, axis: int, index_dtype: Any = fnx_ir.int64) -> Value:
    """The index of the first maximum along `axis` (NaN counts as the maximum)."""
    return bind("argmax", x, axis=axis, index_dtype=_dtype(index_dtype))


def argmin(x: Value, axis: int, index_dtype: Any = fnx_ir.int64) -> Value:
    """The index of the first minimum along `axis` (NaN counts as the minimum)."""
    return bind("argmin", x, axis=axis, index_dtype=_dtype(index_dtype))


def cumsum(x: Value, axis: int = 0, reverse: bool = False) -> Value:
    """Inclusive cumulative sum along `axis` (from the end with `reverse`)."""
    return bind("cumsum", x, axis=axis, reverse=bool(reverse))

def cumprod(x: Value, axis: int = 0, reverse: bool = False) -> Value:
    """Inclusive cumulative product along `axis` (from the end with `reverse`)."""
    return bind("cumprod", x, axis=axis, reverse=bool(reverse))

def cummax(x: Value, axis: int = 0, reverse: bool = False) -> Value:
    """Inclusive cumulative maximum along `axis` (from the end with `reverse`)."""
    return bind("cummax", x, axis=axis, reverse=bool(reverse))

def cummin(x: Value, axis: int = 0, reverse: bool = False) -> Value:
    """Inclusive cumulative minimum along `axis` (from the end with `reverse`)."""
    return bind("cummin", x, axis=axis, reverse=bool(reverse))


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


def check_precision(precision: Any) -> None:
    """Reject what is not a precision: None, a `Precision` or its string, or a pair of them."""
    for p in precision if isinstance(precision, (tuple, list)) else (precision,):
        if p is not None and not isinstance(p, Precision):
            Precision(p)  # raises ValueError: 'x' is not a valid Precision


def dot_general(lhs: Value, rhs: Value, dimension_numbers: Any, precision: Any = None,
                preferred_element_type: Any = None) -> Value:
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


# ---------------------------------------------------------------- indexing

def slice(x: Value, start_indices: Sequence[int], limit_indices: Sequence[int],
          strides: Sequence[int] | None = None) -> Value:
    """`x[start:limit:stride]` per dim (static bounds)."""
    start, limit = tuple(start_indices), tuple(limit_indices)
    strides = tuple(strides) if strides is not None else (1,) * len(start)
    if start == (0,) * len(start) and limit == type_of(x).shape and set(strides) <= {1}:
        return x
    return bind("slice", x, start_indices=start, limit_indices=limit, strides=strides)


def dynamic_slice(x: Value, start_indices: Sequence, slice_sizes: Sequence[int]) -> Value:
    """A `slice_sizes` block of `x` from `start_indices` (may be traced; clamped so it fits)."""
    return bind("dynamic_slice", x, *start_indices, slice_sizes=tuple(slice_sizes))


def dynamic_update_slice(x: Value, update: Value, start_indices: Sequence) -> Value:
    """`x` with `update` written from `start_indices` (may be traced; clamped so it fits)."""
    return bind("dynamic_update_slice", x, update, *start_indices)


def gather(x: Value, indices: Sequence, axes: Sequence[int]) -> Value:
    """`x` indexed by one integer array per axis of `axes` (clamped), as `x[i, j]` in numpy."""
    return bind("gather", x, *indices, axes=tuple(axes))


def scatter(x: Value, updates: Value, indices: Sequence, axes: Sequence[int],
            mode: str = "drop") -> Value:
    """`x` with `updates` written (the last write wins) at `indices` along `axes` (`mode`: "drop" or
    "clip" out-of-range indices)."""
    return bind("scatter", x, updates, *indices, axes=tuple(axes), mode=mode)

def scatter_add(x: Value, updates: Value, indices: Sequence, axes: Sequence[int],
                mode: str = "drop") -> Value:
    """`x` with `updates` added at `indices` along `axes` (`mode`: "drop" or
    "clip" out-of-range indices)."""
    return bind("scatter_add", x, updates, *indices, axes=tuple(axes), mode=mode)

def scatter_mul(x: Value, updates: Value, indices: Sequence, axes: Sequence[int],
                mode: str = "drop") -> Value:
    """`x` with `updates` multiplied at `indices` along `axes` (`mode`: "drop" or
    "clip" out-of-range indices)."""
    return bind("scatter_mul", x, updates, *indices, axes=tuple(axes), mode=mode)

def scatter_min(x: Value, updates: Value, indices: Sequence, axes: Sequence[int],
                mode: str = "drop") -> Value:
    """`x` with `updates` combined by minimum at `indices` along `axes` (`mode`: "drop" or
    "clip" out-of-range indices)."""
    return bind("scatter_min", x, updates, *indices, axes=tuple(axes), mode=mode)

def scatter_max(x: Value, updates: Value, indices: Sequence, axes: Sequence[int],
                mode: str = "drop") -> Value:
    """`x` with `updates` combined by maximum at `indices` along `axes` (`mode`: "drop" or
    "clip" out-of-range indices)."""
    return bind("scatter_max", x, updates, *indices, axes=tuple(axes), mode=mode)


def sort(operands: Value | Sequence[Value], dimension: int = -1, num_keys: int = 1) -> Any:
    """Stable sort of one operand, or of several by the first `num_keys` (returns a list)."""
    single = not isinstance(operands, (list, tuple))
    ops = [operands] if single else list(operands)
    dimension = dimension % (type_of(ops[0]).ndim or 1)  # (`max` here is lax.max, not the builtin)
    out = bind("sort", *ops, dimension=dimension, num_keys=num_keys)
    return out[0] if single else out
