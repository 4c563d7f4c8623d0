"""`fnx.lax`: one thin function per primitive, as in `jax.lax`.

No broadcasting or promotion happens here: operands must already fit the
primitive (see docs/semantics.md). Every function works on numpy arrays
(eagerly) and on traced values alike.
"""
from __future__ import annotations

from typing import Sequence


import fnx_ir
from fnx_ir import Literal

from ._core.dtypes import canonical
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


def broadcast_in_dim(x, shape: Sequence[int], broadcast_dimensions: Sequence[int]):
    shape, dims = tuple(shape), tuple(broadcast_dimensions)
    if type_of(x).shape == shape and dims == tuple(range(len(shape))) and not isinstance(x, Literal):
        return x
    return bind("broadcast_in_dim", x, shape=shape, broadcast_dimensions=dims)


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


def reshape(x, new_sizes: Sequence[int]):
    new_sizes = tuple(int(d) for d in new_sizes)
    if type_of(x).shape == new_sizes:
        return x
    return bind("reshape", x, new_sizes=new_sizes)


def transpose(x, permutation: Sequence[int]):
    permutation = tuple(permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return bind("transpose", x, permutation=permutation)


def squeeze(x, dimensions: Sequence[int]):
    dimensions = tuple(dimensions)
    return bind("squeeze", x, dimensions=dimensions) if dimensions else x


def expand_dims(x, dimensions: Sequence[int]):
    dimensions = tuple(dimensions)
    return bind("expand_dims", x, dimensions=dimensions) if dimensions else x


def rev(x, dimensions: Sequence[int]):
    dimensions = tuple(dimensions)
    return bind("rev", x, dimensions=dimensions) if dimensions else x


def concatenate(operands: Sequence, dimension: int):
    if len(operands) == 1:
        return operands[0]
    return bind("concatenate", *operands, dimension=dimension)


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

def dot_general(lhs, rhs, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    return bind("dot_general", lhs, rhs, dimension_numbers=dn)


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
