"""The primitive table: every primitive's name, parameters, shape/dtype rule and traits.

Each rule takes the input types and the params and returns the output types, or
raises `IRTypeError` naming the primitive and what is wrong. The table is the
single source of truth that the verifier, the builder, the transformation rules
(`fnx/_rules`, which must cover every row) and every backend use; any list of
primitive names elsewhere is derived from its traits (see `Primitive`).
Conventions (as in XLA/JAX `lax`): elementwise operands have equal shapes and
dtypes (the `fnx.numpy` layer broadcasts and promotes before binding).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

from . import dtypes as dt
from .types import ShapedType


class IRTypeError(TypeError):
    """An equation whose operands do not fit its primitive."""

    def __init__(self, primitive: str, message: str):
        super().__init__(f"{primitive}: {message}")
        self.primitive = primitive


ALL_OPERANDS = "all"  # `linear_in` of a primitive that may be linear in any of its operands


class Primitive:
    """One row of the table. `infer(in_types, params) -> list[ShapedType]`.

    Traits (facts that passes, transformations and backends read instead of keeping lists):
    - `multiple_results`: binding it gives a list of values (else one value);
    - `linear_in`: the operand positions it can be linear in (`ALL_OPERANDS`: any), so its
      rules must include a transpose; empty: not linear;
    - `effectful`: never removed as dead code, even with unused outputs;
    - `has_subprograms`: params hold closed sub-programs (control flow, calls, custom rules);
    - `transcendental`: computed by an approximation (a backend's math library), not one
      machine instruction;
    - `moves_bits`: only moves its operands' bits (or holds sub-programs that compute), so
      2-byte floats flow through as they are; every other primitive computes them in
      float32 and rounds each result once, as XLA does on CPU.
    """

    def __init__(self, name: str, family: str, params: Sequence[str],
                 rule: Callable, nin: int | None, *, multiple_results: bool = False,
                 linear_in: tuple[int, ...] | str = (), effectful: bool = False,
                 has_subprograms: bool = False, transcendental: bool = False,
                 moves_bits: bool = False):
        self.name = name
        self.family = family
        self.params = tuple(params)
        self._param_set = frozenset(params)
        self.rule = rule
        self.nin = nin  # None: variadic
        self.multiple_results = multiple_results
        self.linear_in = linear_in
        self.effectful = effectful
        self.has_subprograms = has_subprograms
        self.transcendental = transcendental
        self.moves_bits = moves_bits

    def infer(self, in_types: Sequence[ShapedType], params: dict) -> list[ShapedType]:
        if self.nin is not None and len(in_types) != self.nin:
            raise IRTypeError(self.name, f"takes {self.nin} operands, got {len(in_types)}")
        if params.keys() != self._param_set:
            missing = sorted(set(self.params) - set(params))
            extra = sorted(set(params) - set(self.params))
            raise IRTypeError(self.name, f"bad params: missing {missing}, unexpected {extra}")
        out = self.rule(self.name, list(in_types), **params)
        return out if isinstance(out, list) else [out]

    def __repr__(self) -> str:
        return f"Primitive({self.name})"


PRIMITIVES: dict[str, Primitive] = {}


def get_primitive(name: str) -> Primitive:
    try:
        return PRIMITIVES[name]
    except KeyError:
        raise IRTypeError(name, "unknown primitive") from None


def register(name: str, family: str, params: Sequence[str], rule: Callable,
             nin: int | None, **traits) -> Primitive:
    """Add a primitive to the table, with its traits as keywords (see `Primitive` and
    docs/adding-a-primitive.md)."""
    if name in PRIMITIVES:
        raise ValueError(f"primitive {name} is already registered")
    PRIMITIVES[name] = p = Primitive(name, family, params, rule, nin, **traits)
    return p


def names_with(trait: str) -> frozenset[str]:
    """The names of the primitives whose `trait` is set (e.g. `names_with("moves_bits")`)."""
    return frozenset(n for n, p in PRIMITIVES.items() if getattr(p, trait))


# --------------------------------------------------------------------------- helpers

def _fmt(types: Sequence[ShapedType]) -> str:
    return ", ".join(str(t) for t in types)


def _check(cond: bool, prim: str, message: str) -> None:
    if not cond:
        raise IRTypeError(prim, message)


def _axis_tuple(prim: str, axes, ndim: int, what: str = "axes") -> tuple[int, ...]:
    if not (isinstance(axes, tuple) and all(isinstance(a, int) for a in axes)):
        raise IRTypeError(prim, f"{what} must be a tuple of ints, got {axes!r}")
    if not (all(0 <= a < ndim for a in axes)):
        raise IRTypeError(prim, f"{what} {axes} out of range for rank {ndim}")
    if not (len(set(axes)) == len(axes)):
        raise IRTypeError(prim, f"{what} {axes} has duplicates")
    return axes


def _same(prim: str, types: Sequence[ShapedType]) -> ShapedType:
    # Hot path of tracing: messages are only formatted on failure.
    first = types[0]
    for t in types[1:]:
        if t.shape != first.shape:
            raise IRTypeError(prim, f"operand shapes differ: {_fmt(types)}")
        if t.dtype is not first.dtype:
            raise IRTypeError(prim, f"operand dtypes differ: {_fmt(types)}")
    if first.weak and not all(t.weak for t in types):
        return ShapedType(first.shape, first.dtype, False)
    return first


def _kinds(prim: str, t: ShapedType, kinds: str, what: str) -> None:
    if t.dtype.kind not in kinds:
        raise IRTypeError(prim, f"needs {what} operands, got {t}")


# ------------------------------------------------------------------ elementwise

FLOAT, INT, NUM, INTBOOL, ANY = "fc", "iu", "iufc", "biu", "biufc"


def _unary(kinds: str, what: str):
    def rule(prim, ins):
        _kinds(prim, ins[0], kinds, what)
        return ins[0]
    return rule


def _binary(kinds: str, what: str, out_dtype=None):
    def rule(prim, ins):
        t = _same(prim, ins)
        _kinds(prim, t, kinds, what)
        return ShapedType(t.shape, out_dtype, False) if out_dtype else t
    return rule


for _name in ("exp exp2 expm1 log log2 log1p cbrt sin cos tan asin acos atan sinh cosh tanh "
              "asinh acosh atanh logistic erf erfc erf_inv").split():
    register(_name, "elementwise", (), _unary(FLOAT, "floating-point"), 1, transcendental=True)
for _name in ("sqrt", "rsqrt", "floor", "ceil", "round"):
    register(_name, "elementwise", (), _unary(FLOAT, "floating-point"), 1)
register("neg", "elementwise", (), _unary(NUM, "numeric"), 1, linear_in=(0,))
register("sign", "elementwise", (), _unary(NUM, "numeric"), 1)
register("abs", "elementwise", (), _unary(NUM, "numeric"), 1)
register("not", "elementwise", (), _unary(INTBOOL, "bool or integer"), 1)
register("stop_gradient", "elementwise", (), _unary(ANY, "any"), 1, moves_bits=True)
register("isfinite", "elementwise", (),
         lambda p, ins: (_kinds(p, ins[0], FLOAT, "floating-point"),
                         ShapedType(ins[0].shape, dt.bool_))[1], 1)

for _name in ("add", "sub", "mul"):  # (mul: in one operand at a time)
    register(_name, "elementwise", (), _binary(NUM, "numeric"), 2, linear_in=(0, 1))
register("div", "elementwise", (), _binary(NUM, "numeric"), 2, linear_in=(0,))
register("rem", "elementwise", (), _binary(NUM, "numeric"), 2)
for _name in ("max", "min"):
    register(_name, "elementwise", (), _binary(ANY, "any"), 2)
for _name in ("pow", "atan2"):
    register(_name, "elementwise", (), _binary(FLOAT, "floating-point"), 2, transcendental=True)
for _name in ("and", "or", "xor"):
    register(_name, "elementwise", (), _binary(INTBOOL, "bool or integer"), 2)
for _name in ("shift_left", "shift_right_logical", "shift_right_arithmetic"):
    register(_name, "elementwise", (), _binary(INT, "integer"), 2)
for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    register(_name, "elementwise", (), _binary(ANY, "any", out_dtype=dt.bool_), 2)


def _integer_pow(prim, ins, y):
    if not (isinstance(y, int) and not isinstance(y, bool)):
        raise IRTypeError(prim, f"y must be an int, got {y!r}")
    _kinds(prim, ins[0], NUM, "numeric")
    if not (y >= 0 or ins[0].dtype.is_float):
        raise IRTypeError(prim, f"negative power {y} of integer {ins[0]}")
    return ins[0]


register("integer_pow", "elementwise", ("y",), _integer_pow, 1)


def _select(prim, ins):
    pred, a, b = ins
    if not (pred.dtype is dt.bool_):
        raise IRTypeError(prim, f"predicate must be bool, got {pred}")
    t = _same(prim, [a, b])
    if not (pred.shape == t.shape):
        raise IRTypeError(prim, f"predicate shape {pred.shape} differs from {t.shape}")
    return t


register("select", "elementwise", (), _select, 3, linear_in=(1, 2), moves_bits=True)


def _clamp(prim, ins):
    lo, x, hi = ins
    for bound in (lo, hi):
        if not (bound.dtype is x.dtype):
            raise IRTypeError(prim, f"bound dtype differs: {_fmt(ins)}")
        if not (bound.shape in ((), x.shape)):
            raise IRTypeError(prim, f"bounds must be scalars or of the operand's shape: {_fmt(ins)}")
    return x


register("clamp", "elementwise", (), _clamp, 3)


def _convert(prim, ins, new_dtype, weak):
    if not (isinstance(new_dtype, dt.DType)):
        raise IRTypeError(prim, f"new_dtype must be a dtype, got {new_dtype!r}")
    return ShapedType(ins[0].shape, new_dtype, bool(weak))


register("convert_element_type", "elementwise", ("new_dtype", "weak"), _convert, 1,
         linear_in=(0,), moves_bits=True)


def _bitcast(prim, ins, new_dtype):
    if not (new_dtype.itemsize == ins[0].dtype.itemsize):
        raise IRTypeError(prim, f"cannot bitcast {ins[0]} to {new_dtype}: item sizes differ")
    return ShapedType(ins[0].shape, new_dtype)


register("bitcast_convert_type", "elementwise", ("new_dtype",), _bitcast, 1, moves_bits=True)


# ------------------------------------------------------------------ shape ops

def _shape_param(prim, shape, what="shape"):
    if not (isinstance(shape, tuple) and all(isinstance(d, int) and d >= 0 for d in shape)):
        raise IRTypeError(prim, f"{what} must be a tuple of non-negative ints, got {shape!r}")
    return shape


def _iota(prim, ins, dtype, shape, dimension):
    _shape_param(prim, shape)
    if not (0 <= dimension < len(shape)):
        raise IRTypeError(prim, f"dimension {dimension} out of range for {shape}")
    if not (dtype.kind in NUM):
        raise IRTypeError(prim, f"dtype must be numeric, got {dtype}")
    return ShapedType(shape, dtype)


register("iota", "shape", ("dtype", "shape", "dimension"), _iota, 0)


def _broadcast_in_dim(prim, ins, shape, broadcast_dimensions):
    (x,) = ins
    _shape_param(prim, shape)
    dims = broadcast_dimensions
    if not (isinstance(dims, tuple) and len(dims) == x.ndim):
        raise IRTypeError(prim, f"broadcast_dimensions {dims!r} must have one entry per operand dim of {x}")
    if not (all(0 <= d < len(shape) for d in dims) and list(dims) == sorted(set(dims))):
        raise IRTypeError(prim, f"broadcast_dimensions {dims} must be increasing and within rank {len(shape)}")
    for i, d in enumerate(dims):
        if x.shape[i] != 1 and x.shape[i] != shape[d]:
            raise IRTypeError(prim, f"cannot broadcast {x} to {shape}: dim {i} has size {x.shape[i]}")
    return x.with_shape(shape)


register("broadcast_in_dim", "shape", ("shape", "broadcast_dimensions"), _broadcast_in_dim, 1,
         linear_in=(0,), moves_bits=True)


def _reshape(prim, ins, new_sizes):
    (x,) = ins
    _shape_param(prim, new_sizes, "new_sizes")
    if not (math.prod(new_sizes) == x.size):
        raise IRTypeError(prim, f"cannot reshape {x} to {new_sizes}")
    return x.with_shape(new_sizes)


register("reshape", "shape", ("new_sizes",), _reshape, 1, linear_in=(0,), moves_bits=True)


def _transpose(prim, ins, permutation):
    (x,) = ins
    if not (sorted(permutation) == list(range(x.ndim))):
        raise IRTypeError(prim, f"permutation {permutation} is not a permutation of {x.ndim} dims")
    return x.with_shape(tuple(x.shape[p] for p in permutation))


register("transpose", "shape", ("permutation",), _transpose, 1, linear_in=(0,), moves_bits=True)


def _squeeze(prim, ins, dimensions):
    (x,) = ins
    _axis_tuple(prim, dimensions, x.ndim, "dimensions")
    if not (all(x.shape[d] == 1 for d in dimensions)):
        raise IRTypeError(prim, f"can only squeeze dims of size 1: {dimensions} of {x}")
    return x.with_shape(tuple(s for i, s in enumerate(x.shape) if i not in dimensions))


register("squeeze", "shape", ("dimensions",), _squeeze, 1, linear_in=(0,), moves_bits=True)


def _expand_dims(prim, ins, dimensions):
    (x,) = ins
    out_ndim = x.ndim + len(dimensions)
    _axis_tuple(prim, dimensions, out_ndim, "dimensions")
    rest = iter(x.shape)
    return x.with_shape(tuple(1 if i in dimensions else next(rest) for i in range(out_ndim)))


register("expand_dims", "shape", ("dimensions",), _expand_dims, 1, linear_in=(0,),
         moves_bits=True)


def _rev(prim, ins, dimensions):
    _axis_tuple(prim, dimensions, ins[0].ndim, "dimensions")
    return ins[0]


register("rev", "shape", ("dimensions",), _rev, 1, linear_in=(0,), moves_bits=True)


def _concatenate(prim, ins, dimension):
    if not (len(ins) >= 1):
        raise IRTypeError(prim, "needs at least one operand")
    first = ins[0]
    if not (0 <= dimension < first.ndim):
        raise IRTypeError(prim, f"dimension {dimension} out of range for {first}")
    for t in ins:
        if not (t.dtype is first.dtype and t.ndim == first.ndim):
            raise IRTypeError(prim, f"operands must share dtype and rank: {_fmt(ins)}")
        if not (all(t.shape[i] == first.shape[i] for i in range(t.ndim) if i != dimension)):
            raise IRTypeError(prim, f"operand shapes differ outside dimension {dimension}: {_fmt(ins)}")
    shape = list(first.shape)
    shape[dimension] = sum(t.shape[dimension] for t in ins)
    return ShapedType(tuple(shape), first.dtype, all(t.weak for t in ins))


register("concatenate", "shape", ("dimension",), _concatenate, None, linear_in=ALL_OPERANDS,
         moves_bits=True)


def _pad(prim, ins, padding_config):
    x, value = ins
    if not (value.shape == () and value.dtype is x.dtype):
        raise IRTypeError(prim, f"padding value must be a scalar of the operand's dtype: {_fmt(ins)}")
    if not (isinstance(padding_config, tuple) and len(padding_config) == x.ndim):
        raise IRTypeError(prim, f"padding_config needs one (lo, hi, interior) per dim of {x}")
    shape = []
    for size, (lo, hi, interior) in zip(x.shape, padding_config, strict=True):
        if not (interior >= 0):
            raise IRTypeError(prim, f"interior padding must be >= 0, got {interior}")
        out = lo + hi + size + max(size - 1, 0) * interior
        if not (out >= 0):
            raise IRTypeError(prim, f"padding {padding_config} makes a negative size for {x}")
        shape.append(out)
    return x.with_shape(shape)


register("pad", "shape", ("padding_config",), _pad, 2, linear_in=(0, 1), moves_bits=True)


# ------------------------------------------------------------------ reductions

def _reduce(kinds: str, what: str):
    def rule(prim, ins, axes):
        (x,) = ins
        _kinds(prim, x, kinds, what)
        _axis_tuple(prim, axes, x.ndim)
        return x.with_shape(tuple(s for i, s in enumerate(x.shape) if i not in axes))
    return rule


register("reduce_sum", "reductions", ("axes",), _reduce(NUM, "numeric"), 1, linear_in=(0,))
register("reduce_prod", "reductions", ("axes",), _reduce(NUM, "numeric"), 1)
for _name in ("reduce_max", "reduce_min"):
    register(_name, "reductions", ("axes",), _reduce(ANY, "any"), 1)
for _name in ("reduce_and", "reduce_or"):
    register(_name, "reductions", ("axes",), _reduce("b", "bool"), 1)


def _argminmax(prim, ins, axis, index_dtype):
    (x,) = ins
    if not (0 <= axis < x.ndim):
        raise IRTypeError(prim, f"axis {axis} out of range for {x}")
    if not (x.shape[axis] > 0):
        raise IRTypeError(prim, f"attempt to get {prim} of an empty axis {axis} of {x}")
    if not (index_dtype.kind in "iu"):
        raise IRTypeError(prim, "index_dtype must be an integer dtype")
    return ShapedType(tuple(s for i, s in enumerate(x.shape) if i != axis), index_dtype)


for _name in ("argmax", "argmin"):
    register(_name, "reductions", ("axis", "index_dtype"), _argminmax, 1)


def _cumulative(prim, ins, axis, reverse):
    (x,) = ins
    _kinds(prim, x, NUM, "numeric")
    if not (0 <= axis < max(x.ndim, 1) and x.ndim > 0):
        raise IRTypeError(prim, f"axis {axis} out of range for {x}")
    return x


register("cumsum", "reductions", ("axis", "reverse"), _cumulative, 1, linear_in=(0,))
for _name in ("cumprod", "cummax", "cummin"):
    register(_name, "reductions", ("axis", "reverse"), _cumulative, 1)


# ------------------------------------------------------------------ linear algebra

def _dot_general(prim, ins, dimension_numbers):
    lhs, rhs = ins
    (lc, rc), (lb, rb) = dimension_numbers
    if not (lhs.dtype is rhs.dtype):
        raise IRTypeError(prim, f"operand dtypes differ: {_fmt(ins)}")
    _kinds(prim, lhs, ANY, "any")
    _axis_tuple(prim, lc + lb, lhs.ndim, "lhs dimensions")
    _axis_tuple(prim, rc + rb, rhs.ndim, "rhs dimensions")
    if not (len(lc) == len(rc) and len(lb) == len(rb)):
        raise IRTypeError(prim, f"dimension_numbers {dimension_numbers} pair up unequal counts")
    for a, b in zip(lc, rc, strict=True):
        if not (lhs.shape[a] == rhs.shape[b]):
            raise IRTypeError(prim, f"contracting dims differ: lhs dim {a} of {lhs} vs rhs dim {b} of {rhs}")
    for a, b in zip(lb, rb, strict=True):
        if not (lhs.shape[a] == rhs.shape[b]):
            raise IRTypeError(prim, f"batch dims differ: lhs dim {a} of {lhs} vs rhs dim {b} of {rhs}")
    batch = tuple(lhs.shape[a] for a in lb)
    lfree = tuple(s for i, s in enumerate(lhs.shape) if i not in lc + lb)
    rfree = tuple(s for i, s in enumerate(rhs.shape) if i not in rc + rb)
    return ShapedType(batch + lfree + rfree, lhs.dtype, lhs.weak and rhs.weak)


register("dot_general", "linalg", ("dimension_numbers",), _dot_general, 2, linear_in=(0, 1))


# ------------------------------------------------------------------ indexing

def _slice(prim, ins, start_indices, limit_indices, strides):
    (x,) = ins
    if not (len(start_indices) == len(limit_indices) == len(strides) == x.ndim):
        raise IRTypeError(prim, f"start/limit/strides need one entry per dim of {x}")
    shape = []
    for size, lo, hi, st in zip(x.shape, start_indices, limit_indices, strides, strict=True):
        if not (0 <= lo <= hi <= size and st >= 1):
            raise IRTypeError(prim, f"slice {start_indices}:{limit_indices}:{strides} out of bounds for {x}")
        shape.append(-(-(hi - lo) // st))
    return x.with_shape(shape)


register("slice", "indexing", ("start_indices", "limit_indices", "strides"), _slice, 1,
         linear_in=(0,), moves_bits=True)


def _scalar_indices(prim, idx: Sequence[ShapedType], count: int):
    if not (len(idx) == count):
        raise IRTypeError(prim, f"needs {count} start indices, got {len(idx)}")
    for t in idx:
        if not (t.shape == () and t.dtype.kind in INT):
            raise IRTypeError(prim, f"start indices must be integer scalars, got {t}")


def _dynamic_slice(prim, ins, slice_sizes):
    x, *idx = ins
    _scalar_indices(prim, idx, x.ndim)
    if not (len(slice_sizes) == x.ndim and all(0 <= s <= d for s, d in zip(slice_sizes, x.shape, strict=True))):
        raise IRTypeError(prim, f"slice_sizes {slice_sizes} do not fit {x}")
    return x.with_shape(slice_sizes)


register("dynamic_slice", "indexing", ("slice_sizes",), _dynamic_slice, None, linear_in=(0,),
         moves_bits=True)


def _dynamic_update_slice(prim, ins):
    x, update, *idx = ins
    _scalar_indices(prim, idx, x.ndim)
    if not (update.dtype is x.dtype and update.ndim == x.ndim):
        raise IRTypeError(prim, f"update must match the operand's dtype and rank: {_fmt(ins[:2])}")
    if not (all(u <= s for u, s in zip(update.shape, x.shape, strict=True))):
        raise IRTypeError(prim, f"update {update} is larger than operand {x}")
    return x


register("dynamic_update_slice", "indexing", (), _dynamic_update_slice, None, linear_in=(0, 1),
         moves_bits=True)


def _index_arrays(prim, x: ShapedType, axes, indices: Sequence[ShapedType]):
    _axis_tuple(prim, axes, x.ndim)
    if not (len(indices) == len(axes) and len(axes) >= 1):
        raise IRTypeError(prim, f"needs one index array per axis in {axes}, got {len(indices)}")
    for t in indices:
        if not (t.dtype.kind in INT):
            raise IRTypeError(prim, f"index arrays must be integers, got {t}")
        if not (t.shape == indices[0].shape and t.dtype is indices[0].dtype):
            raise IRTypeError(prim, f"index arrays must share shape and dtype: {_fmt(indices)}")
    rest = tuple(s for i, s in enumerate(x.shape) if i not in axes)
    return indices[0].shape + rest


def _gather(prim, ins, axes):
    x, *indices = ins
    shape = _index_arrays(prim, x, axes, indices)
    if not (math.prod(indices[0].shape) == 0 or all(x.shape[a] > 0 for a in axes)):
        raise IRTypeError(prim, f"cannot gather from an empty axis of {x}")
    return x.with_shape(shape)


register("gather", "indexing", ("axes",), _gather, None, linear_in=(0,), moves_bits=True)


def _scatter(prim, ins, axes, mode):
    x, updates, *indices = ins
    if not (mode in ("clip", "drop")):
        raise IRTypeError(prim, f"mode must be 'clip' or 'drop', got {mode!r}")
    expected = _index_arrays(prim, x, axes, indices)
    if not (updates.shape == expected and updates.dtype is x.dtype):
        raise IRTypeError(prim, f"updates must be {x.dtype.short}{list(expected)}, got {updates}")
    return x


register("scatter", "indexing", ("axes", "mode"), _scatter, None, linear_in=(0, 1),
         moves_bits=True)
register("scatter_add", "indexing", ("axes", "mode"), _scatter, None, linear_in=(0, 1))
register("scatter_mul", "indexing", ("axes", "mode"), _scatter, None, linear_in=(0,))
for _name in ("scatter_min", "scatter_max"):
    register(_name, "indexing", ("axes", "mode"), _scatter, None)


def _sort(prim, ins, dimension, num_keys):
    if not (len(ins) >= 1 and 1 <= num_keys <= len(ins)):
        raise IRTypeError(prim, f"num_keys {num_keys} must be in 1..{len(ins)}")
    for t in ins:
        if not (t.shape == ins[0].shape):
            raise IRTypeError(prim, f"operand shapes differ: {_fmt(ins)}")
    if not (0 <= dimension < ins[0].ndim):
        raise IRTypeError(prim, f"dimension {dimension} out of range for {ins[0]}")
    return list(ins)


register("sort", "indexing", ("dimension", "num_keys"), _sort, None, multiple_results=True)


# ------------------------------------------------------------------ control_flow
# Primitives whose params hold closed sub-programs (see docs/control-flow.md). Operands are
# checked against the sub-programs' input types by shape and dtype; weak typing is not part
# of the check (a transform may make a value weak or strong without changing its meaning).

# A primitive holding sub-programs: several results, linear in any operand its sub-programs
# are linear in, and only moving bits itself (its sub-programs' equations compute).
_HOLDS_PROGRAMS = dict(multiple_results=True, has_subprograms=True, linear_in=ALL_OPERANDS,
                       moves_bits=True)


def _program_param(prim: str, p, what: str):
    # Checked by what the rules read (program.py imports this module: no import back).
    if not (hasattr(p, "in_types") and hasattr(p, "out_types") and hasattr(p, "equations")):
        raise IRTypeError(prim, f"{what} must be a Program, got {type(p).__name__}")
    return p


def _match(prim: str, got: Sequence[ShapedType], expected: Sequence[ShapedType],
           what: str) -> None:
    if not (len(got) == len(expected)):
        raise IRTypeError(prim, f"{what}: {len(got)} values for {len(expected)} expected ({_fmt(expected)})")
    for i, (a, b) in enumerate(zip(got, expected, strict=True)):
        if a.shape != b.shape or a.dtype is not b.dtype:
            raise IRTypeError(prim, f"{what}: value {i} has type {a}, expected {b}")


def _count(prim: str, n, what: str, limit: int) -> int:
    if not (isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= limit):
        raise IRTypeError(prim, f"{what} must be an int in 0..{limit}, got {n!r}")
    return n


def _cond(prim, ins, branches):
    if not (isinstance(branches, tuple) and len(branches) >= 1):
        raise IRTypeError(prim, f"branches must be a non-empty tuple of Programs, got {branches!r:.60}")
    if not (len(ins) >= 1):
        raise IRTypeError(prim, "needs an index operand")
    index, ops = ins[0], ins[1:]
    if not (index.shape == () and index.dtype.kind in INT):
        raise IRTypeError(prim, f"the index must be an integer scalar, got {index}")
    outs = None
    for k, b in enumerate(branches):
        _program_param(prim, b, f"branches[{k}]")
        _match(prim, ops, b.in_types, f"operands of branches[{k}]")
        if outs is None:
            outs = list(b.out_types)
        else:
            _match(prim, b.out_types, outs, f"outputs of branches[{k}] against branches[0]")
            outs = [t if t.weak and u.weak else t.strong() for t, u in zip(outs, b.out_types, strict=True)]
    return outs


register("cond", "control_flow", ("branches",), _cond, None, **_HOLDS_PROGRAMS)


def _while(prim, ins, cond, body, cond_nconsts, body_nconsts):
    _program_param(prim, cond, "cond")
    _program_param(prim, body, "body")
    _count(prim, cond_nconsts, "cond_nconsts", len(ins))
    _count(prim, body_nconsts, "body_nconsts", len(ins) - cond_nconsts)
    cc = ins[:cond_nconsts]
    bc = ins[cond_nconsts:cond_nconsts + body_nconsts]
    carry = ins[cond_nconsts + body_nconsts:]
    _match(prim, cc + carry, cond.in_types, "operands of cond (cond consts, then the carry)")
    if not (len(cond.outputs) == 1 and cond.out_types[0].shape == ()
           and cond.out_types[0].dtype is dt.bool_):
        raise IRTypeError(prim, f"cond must return one bool scalar, got ({_fmt(cond.out_types)})")
    _match(prim, bc + carry, body.in_types, "operands of body (body consts, then the carry)")
    _match(prim, body.out_types, carry, "outputs of body against the carry")
    return list(carry)


register("while", "control_flow", ("cond", "body", "cond_nconsts", "body_nconsts"), _while, None,
         **dict(_HOLDS_PROGRAMS, linear_in=()))  # (a loop has no transpose: fnx.grad refuses it)


def _scan(prim, ins, body, length, reverse, num_consts, num_carry, unroll):
    _program_param(prim, body, "body")
    _count(prim, length, "length", 1 << 62)
    if not (isinstance(reverse, bool)):
        raise IRTypeError(prim, f"reverse must be a bool, got {reverse!r}")
    if not (isinstance(unroll, int) and not isinstance(unroll, bool) and unroll >= 1):
        raise IRTypeError(prim, f"unroll must be an int >= 1, got {unroll!r}")
    _count(prim, num_consts, "num_consts", len(ins))
    _count(prim, num_carry, "num_carry", len(ins) - num_consts)
    consts, carry, xs = ins[:num_consts], ins[num_consts:num_consts + num_carry], \
        ins[num_consts + num_carry:]
    for i, x in enumerate(xs):
        if not (x.ndim >= 1 and x.shape[0] == length):
            raise IRTypeError(prim, f"scanned operand {i} has type {x}; its leading dim must be the length {length}")
    slices = [x.with_shape(x.shape[1:]) for x in xs]
    _match(prim, consts + carry + slices, body.in_types,
           "operands of body (consts, carry, then one slice of each scanned operand)")
    outs = body.out_types
    if not (len(outs) >= num_carry):
        raise IRTypeError(prim, f"body returns {len(outs)} values, fewer than the {num_carry} carried")
    _match(prim, outs[:num_carry], carry, "carry outputs of body against the carry")
    ys = [ShapedType((length,) + t.shape, t.dtype, t.weak) for t in outs[num_carry:]]
    return list(carry) + ys


register("scan", "control_flow",
         ("body", "length", "reverse", "num_consts", "num_carry", "unroll"), _scan, None,
         **_HOLDS_PROGRAMS)


# ------------------------------------------------------------------ call
# `jit` is a nested `fnx.jit` (JAX's `pjit`): a call of a closed sub-program that every
# transform rewrites through (see docs/ir.md). `name` is the function's name (for
# reading only); `backend` the backend an eager evaluation compiles it for (None: the default).

def _jit(prim, ins, program, name, backend):
    _program_param(prim, program, "program")
    if not isinstance(name, str):
        raise IRTypeError(prim, f"name must be a str, got {name!r}")
    if not (backend is None or isinstance(backend, str)):
        raise IRTypeError(prim, f"backend must be None or a str, got {backend!r}")
    _match(prim, ins, program.in_types, "operands of program")
    return list(program.out_types)


register("jit", "call", ("name", "backend", "program"), _jit, None, **_HOLDS_PROGRAMS)


# ------------------------------------------------------------------ custom
# User-defined derivatives and rematerialisation (docs/autodiff.md; rules in
# fnx/_rules/custom.py). `jvp`, `fwd` and `bwd` are the user's rules: Programs or lazily
# traced rule objects with `in_types`/`out_types`.

def _custom_call(prim, ins, *, call, num_consts, **rules):
    _match(prim, ins, call.in_types, "operands of call")
    return list(call.out_types)


def custom_lin_out_types(bwd, num_res: int, num_consts: int) -> list[ShapedType]:
    """custom_lin's results: the tangents of the arguments, which `bwd` gives cotangents of."""
    return bwd.in_types[num_res:len(bwd.in_types) - num_consts]


def _custom_lin(prim, ins, *, bwd, num_res, num_consts):
    in_types = bwd.in_types
    expected = in_types[:num_res] + in_types[len(in_types) - num_consts:] + list(bwd.out_types)
    _match(prim, ins, expected, "operands (residuals, consts, then tangents)")
    return custom_lin_out_types(bwd, num_res, num_consts)


def _checkpoint(prim, ins, *, program, prevent_cse, policy):
    _match(prim, ins, program.in_types, "operands of program")
    return list(program.out_types)


def _name(prim, ins, *, name):
    if not isinstance(name, str):
        raise IRTypeError(prim, f"name must be a str, got {name!r}")
    return ins[0]


# (custom_jvp_call and custom_vjp_call are differentiated by the user's rules: no transpose)
register("custom_jvp_call", "custom", ("call", "jvp", "num_consts"), _custom_call, None,
         **dict(_HOLDS_PROGRAMS, linear_in=()))
register("custom_vjp_call", "custom", ("call", "fwd", "bwd", "num_consts"), _custom_call, None,
         **dict(_HOLDS_PROGRAMS, linear_in=()))
register("custom_lin", "custom", ("bwd", "num_res", "num_consts"), _custom_lin, None,
         **_HOLDS_PROGRAMS)
register("checkpoint", "custom", ("program", "prevent_cse", "policy"), _checkpoint, None,
         **_HOLDS_PROGRAMS)
# `name`: the identity naming a value for checkpoint policies; elementwise, so backends fuse it
register("name", "elementwise", ("name",), _name, 1, linear_in=(0,), moves_bits=True)


# ------------------------------------------------------------------ collective
# Collectives act on named axes (`axis_name`: a non-empty tuple of names): the axis of a
# named `vmap` within one process (its batching rule implements them), or later the axis of
# a group of processes (a backend implements them). A value's type is its type in one
# member of the axis.

def _axis_names(prim: str, axis_name, single: bool = False) -> tuple:
    if not (isinstance(axis_name, tuple) and axis_name
            and all(isinstance(n, str) for n in axis_name)):
        raise IRTypeError(prim, f"axis_name must be a non-empty tuple of str, got {axis_name!r}")
    if single and len(axis_name) != 1:
        raise IRTypeError(prim, f"takes one axis name, got {axis_name!r}")
    if len(set(axis_name)) != len(axis_name):
        raise IRTypeError(prim, f"axis_name {axis_name!r} has duplicates")
    return axis_name


def _reduce_collective(kinds: str, what: str):
    def rule(prim, ins, axis_name):
        _axis_names(prim, axis_name)
        _kinds(prim, ins[0], kinds, what)
        return ins[0]
    return rule


register("psum", "collective", ("axis_name",), _reduce_collective(NUM, "numeric"), 1,
         linear_in=(0,))
register("pmax", "collective", ("axis_name",), _reduce_collective(ANY, "any"), 1, moves_bits=True)
register("pmin", "collective", ("axis_name",), _reduce_collective(ANY, "any"), 1, moves_bits=True)


def _all_gather(prim, ins, axis_name, axis, tiled, axis_size):
    _axis_names(prim, axis_name, single=True)
    x = ins[0]
    _count(prim, axis_size, "axis_size", 1 << 62)
    if not isinstance(tiled, bool):
        raise IRTypeError(prim, f"tiled must be a bool, got {tiled!r}")
    _count(prim, axis, "axis", x.ndim - 1 if tiled else x.ndim)
    shape = list(x.shape)
    if tiled:
        shape[axis] *= axis_size
    else:
        shape.insert(axis, axis_size)
    return x.with_shape(tuple(shape))


register("all_gather", "collective", ("axis_name", "axis", "tiled", "axis_size"), _all_gather, 1,
         linear_in=(0,), moves_bits=True)


def _axis_index(prim, ins, axis_name):
    _axis_names(prim, axis_name, single=True)
    return ShapedType((), dt.int32)


register("axis_index", "collective", ("axis_name",), _axis_index, 0)


MOVES_BITS = names_with("moves_bits")  # (read by backends; see `Primitive.moves_bits`)
