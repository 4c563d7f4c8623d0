"""The primitive table against NumPy: every shape/dtype rule, on random valid operands.

`SAMPLERS` (one per primitive) draw valid operand types and params; the text and
pass tests reuse them to build random programs covering the whole table.
`CORE` is the table without the `custom` family, whose params hold the user's derivative
rules (their types are checked through fnx, in tests/autodiff/test_custom.py).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx_ir
from fnx_ir import PRIMITIVES, IRTypeError, ShapedType
from fnx_ir import bool_, int32, int64, uint32, float32, float64

FLOAT = (float32, float64)
INT = (int32, int64, uint32)
NUM = INT + FLOAT
INTBOOL = (bool_,) + INT
ANY = (bool_,) + NUM

UNARY_FLOAT = ("exp exp2 expm1 log log2 log1p sqrt rsqrt cbrt sin cos tan asin acos atan sinh "
               "cosh tanh asinh acosh atanh logistic erf erfc erf_inv floor ceil round").split()
BINARY = {**dict.fromkeys(["add", "sub", "mul", "div", "rem"], NUM),
          **dict.fromkeys(["max", "min"], ANY),
          **dict.fromkeys(["pow", "atan2"], FLOAT),
          **dict.fromkeys(["and", "or", "xor"], INTBOOL),
          **dict.fromkeys(["shift_left", "shift_right_logical", "shift_right_arithmetic"], INT),
          **dict.fromkeys(["eq", "ne", "lt", "le", "gt", "ge"], ANY)}
REDUCE = {"reduce_sum": NUM, "reduce_prod": NUM, "reduce_max": ANY, "reduce_min": ANY,
          "reduce_and": (bool_,), "reduce_or": (bool_,)}
SCATTER = ["scatter", "scatter_add", "scatter_mul", "scatter_min", "scatter_max"]
CORE = tuple(sorted(name for name, p in PRIMITIVES.items() if p.family != "custom"))


# ------------------------------------------------------------------ samplers

def shape(draw, min_rank=0, max_rank=3, min_dim=0, max_dim=3) -> tuple[int, ...]:
    dims = st.integers(min_dim, max_dim)
    return tuple(draw(st.lists(dims, min_size=min_rank, max_size=max_rank)))


def typ(draw, dtypes, shp=None) -> ShapedType:
    shp = shape(draw) if shp is None else shp
    return ShapedType(shp, draw(st.sampled_from(dtypes)), draw(st.booleans()))


def like(draw, t: ShapedType) -> ShapedType:
    return ShapedType(t.shape, t.dtype, draw(st.booleans()))


def subset(draw, n: int, min_size=0) -> tuple[int, ...]:
    """Distinct axes of range(n), in random order."""
    perm = draw(st.permutations(range(n)))
    return tuple(perm[:draw(st.integers(min(min_size, n), n))])


def _unary(dtypes):
    return lambda draw: ([typ(draw, dtypes)], {})


def _binary(dtypes):
    def sample(draw):
        t = typ(draw, dtypes)
        return [t, like(draw, t)], {}
    return sample


def _integer_pow(draw):
    t = typ(draw, NUM)
    return [t], {"y": draw(st.integers(-3 if t.dtype.is_float else 0, 4))}


def _select(draw):
    t = typ(draw, ANY)
    return [typ(draw, (bool_,), t.shape), t, like(draw, t)], {}


def _clamp(draw):
    x = typ(draw, NUM)
    bound = lambda: typ(draw, (x.dtype,), draw(st.sampled_from([(), x.shape])))  # noqa: E731
    return [bound(), x, bound()], {}


def _convert(draw):
    return [typ(draw, ANY)], {"new_dtype": draw(st.sampled_from(ANY)), "weak": draw(st.booleans())}


def _bitcast(draw):
    x = typ(draw, ANY)
    same_size = [d for d in ANY if d.itemsize == x.dtype.itemsize]
    return [x], {"new_dtype": draw(st.sampled_from(same_size))}


def _iota(draw):
    shp = shape(draw, min_rank=1)
    return [], {"dtype": draw(st.sampled_from(NUM)), "shape": shp,
                "dimension": draw(st.integers(0, len(shp) - 1))}


def _broadcast_in_dim(draw):
    out = shape(draw)
    dims = tuple(sorted(subset(draw, len(out))))
    operand = tuple(draw(st.sampled_from([1, out[d]])) for d in dims)
    return [typ(draw, ANY, operand)], {"shape": out, "broadcast_dimensions": dims}


def _reshape(draw):
    x = typ(draw, ANY)
    options = [(x.size,), x.shape[::-1], x.shape + (1,), (1,) + x.shape]
    return [x], {"new_sizes": draw(st.sampled_from(options))}


def _transpose(draw):
    x = typ(draw, ANY)
    return [x], {"permutation": tuple(draw(st.permutations(range(x.ndim))))}


def _squeeze(draw):
    x = typ(draw, ANY, tuple(draw(st.lists(st.sampled_from([0, 1, 1, 2]), max_size=3))))
    ones = [i for i, s in enumerate(x.shape) if s == 1]
    return [x], {"dimensions": tuple(draw(st.permutations(ones))[:draw(st.integers(0, len(ones)))])}


def _expand_dims(draw):
    x = typ(draw, ANY)
    out_ndim = x.ndim + draw(st.integers(0, 2))
    dims = tuple(draw(st.permutations(range(out_ndim)))[:out_ndim - x.ndim])
    return [x], {"dimensions": dims}


def _rev(draw):
    x = typ(draw, ANY)
    return [x], {"dimensions": subset(draw, x.ndim)}


def _concatenate(draw):
    base = shape(draw, min_rank=1)
    dim = draw(st.integers(0, len(base) - 1))
    dtype = draw(st.sampled_from(ANY))
    ins = []
    for _ in range(draw(st.integers(1, 3))):
        shp = base[:dim] + (draw(st.integers(0, 3)),) + base[dim + 1:]
        ins.append(ShapedType(shp, dtype, draw(st.booleans())))
    return ins, {"dimension": dim}


def _pad(draw):
    x = typ(draw, ANY)
    config = []
    for size in x.shape:
        lo, hi, interior = draw(st.integers(-2, 2)), draw(st.integers(-2, 2)), draw(st.integers(0, 2))
        if lo + hi + size + max(size - 1, 0) * interior < 0:
            lo = hi = 0
        config.append((lo, hi, interior))
    return [x, typ(draw, (x.dtype,), ())], {"padding_config": tuple(config)}


def _reduce(dtypes):
    def sample(draw):
        x = typ(draw, dtypes)
        return [x], {"axes": subset(draw, x.ndim)}
    return sample


def _argminmax(draw):
    x = typ(draw, ANY, shape(draw, min_rank=1, min_dim=1))
    return [x], {"axis": draw(st.integers(0, x.ndim - 1)), "index_dtype": draw(st.sampled_from(INT))}


def _cumulative(draw):
    x = typ(draw, NUM, shape(draw, min_rank=1))
    return [x], {"axis": draw(st.integers(0, x.ndim - 1)), "reverse": draw(st.booleans())}


def _dot_general(draw):
    dtype = draw(st.sampled_from(ANY))
    nb, nc = draw(st.integers(0, 1)), draw(st.integers(0, 2))
    size = st.integers(0, 3)
    batch = [draw(size) for _ in range(nb)]
    contract = [draw(size) for _ in range(nc)]
    sides = []
    for _ in range(2):
        free = [draw(size) for _ in range(draw(st.integers(0, 2)))]
        dims = [("b", i) for i in range(nb)] + [("c", i) for i in range(nc)] + \
               [("f", i) for i in range(len(free))]
        dims = draw(st.permutations(dims))
        sizes = {"b": batch, "c": contract, "f": free}
        shp = tuple(sizes[k][i] for k, i in dims)
        pos = {d: n for n, d in enumerate(dims)}
        sides.append((ShapedType(shp, dtype, draw(st.booleans())),
                      tuple(pos["c", i] for i in range(nc)), tuple(pos["b", i] for i in range(nb))))
    (lhs, lc, lb), (rhs, rc, rb) = sides
    return [lhs, rhs], {"dimension_numbers": ((lc, rc), (lb, rb))}


def _slice(draw):
    x = typ(draw, ANY)
    starts, limits, strides = [], [], []
    for size in x.shape:
        lo = draw(st.integers(0, size))
        starts.append(lo)
        limits.append(draw(st.integers(lo, size)))
        strides.append(draw(st.integers(1, 3)))
    return [x], {"start_indices": tuple(starts), "limit_indices": tuple(limits),
                 "strides": tuple(strides)}


def _indices(draw, n):
    return [typ(draw, INT, ()) for _ in range(n)]


def _dynamic_slice(draw):
    x = typ(draw, ANY)
    sizes = tuple(draw(st.integers(0, s)) for s in x.shape)
    return [x] + _indices(draw, x.ndim), {"slice_sizes": sizes}


def _dynamic_update_slice(draw):
    x = typ(draw, ANY)
    update = typ(draw, (x.dtype,), tuple(draw(st.integers(0, s)) for s in x.shape))
    return [x, update] + _indices(draw, x.ndim), {}


def _gather_operands(draw):
    x = typ(draw, ANY, shape(draw, min_rank=1, min_dim=1))
    axes = subset(draw, x.ndim, min_size=1)
    index = typ(draw, INT, shape(draw, max_rank=2))
    indices = [like(draw, index) for _ in axes]
    rest = tuple(s for i, s in enumerate(x.shape) if i not in axes)
    return x, axes, indices, index.shape + rest


def _gather(draw):
    x, axes, indices, _ = _gather_operands(draw)
    return [x] + indices, {"axes": axes}


def _scatter(draw):
    x, axes, indices, update_shape = _gather_operands(draw)
    updates = typ(draw, (x.dtype,), update_shape)
    return [x, updates] + indices, {"axes": axes, "mode": draw(st.sampled_from(["clip", "drop"]))}


def _sort(draw):
    shp = shape(draw, min_rank=1)
    ins = [typ(draw, ANY, shp) for _ in range(draw(st.integers(1, 3)))]
    return ins, {"dimension": draw(st.integers(0, len(shp) - 1)),
                 "num_keys": draw(st.integers(1, len(ins)))}


# control flow: small closed sub-programs that pass some of their inputs through (some via
# stop_gradient, so that the bodies have equations)

def _passthrough(in_types, picks, wrap) -> fnx_ir.Program:
    b = fnx_ir.Builder()
    ins = [b.input(t) for t in in_types]
    outs = [b.equation("stop_gradient", [ins[i]])[0] if w else ins[i] for i, w in zip(picks, wrap)]
    return b.build(outs)


def _types(draw, lo, hi, shp=None):
    return [typ(draw, ANY, shape(draw, max_rank=2) if shp is None else shp)
            for _ in range(draw(st.integers(lo, hi)))]


def _wraps(draw, n):
    return draw(st.lists(st.booleans(), min_size=n, max_size=n))


def _cond(draw):
    ops = _types(draw, 1, 3)  # (random programs need an output to draw from)
    picks = draw(st.lists(st.integers(0, len(ops) - 1), min_size=1, max_size=3))
    branches = tuple(_passthrough(ops, picks, _wraps(draw, len(picks)))
                     for _ in range(draw(st.integers(1, 3))))
    return [ShapedType((), draw(st.sampled_from(INT)))] + ops, {"branches": branches}


def _while(draw):
    pred = ShapedType((), bool_, draw(st.booleans()))
    bc, carry = _types(draw, 0, 2), _types(draw, 1, 3)
    cond = _passthrough([pred] + carry, [0], _wraps(draw, 1))
    body = _passthrough(bc + carry, [len(bc) + i for i in range(len(carry))],
                        _wraps(draw, len(carry)))
    return [pred] + bc + carry, {"cond": cond, "body": body, "cond_nconsts": 1,
                                 "body_nconsts": len(bc)}


def _scan(draw):
    length = draw(st.integers(0, 3))
    consts, carry = _types(draw, 0, 2), _types(draw, 1, 2)
    xs = [ShapedType((length,) + t.shape, t.dtype, t.weak) for t in _types(draw, 0, 2)]
    ins = consts + carry + [ShapedType(t.shape[1:], t.dtype, t.weak) for t in xs]
    ys = draw(st.lists(st.integers(0, len(ins) - 1), max_size=2))
    picks = [len(consts) + i for i in range(len(carry))] + ys
    body = _passthrough(ins, picks, _wraps(draw, len(picks)))
    return consts + carry + xs, {"body": body, "length": length, "reverse": draw(st.booleans()),
                                 "num_consts": len(consts), "num_carry": len(carry),
                                 "unroll": draw(st.integers(1, 3))}


def _jit(draw):
    ops = _types(draw, 1, 3)
    picks = draw(st.lists(st.integers(0, len(ops) - 1), max_size=3))
    return ops, {"program": _passthrough(ops, picks, _wraps(draw, len(picks))), "name": "f",
                 "backend": draw(st.sampled_from([None, "cpu"]))}


# collectives: the type in one member of the named axis

def _axis_names(draw):
    return draw(st.sampled_from([("i",), ("i", "j")]))


def _collective(dtypes):
    def sample(draw):
        return [typ(draw, dtypes, shape(draw))], {"axis_name": _axis_names(draw)}
    return sample


def _all_gather(draw):
    tiled = draw(st.booleans())
    x = typ(draw, ANY, shape(draw, min_rank=1 if tiled else 0))
    return [x], {"axis_name": ("i",), "axis": draw(st.integers(0, x.ndim - tiled)),
                 "tiled": tiled, "axis_size": draw(st.integers(0, 3))}


SAMPLERS = {
    **{name: _unary(FLOAT) for name in UNARY_FLOAT + ["isfinite"]},
    **{name: _unary(NUM) for name in ("neg", "sign", "abs")},
    "not": _unary(INTBOOL), "stop_gradient": _unary(ANY),
    "name": lambda draw: ([typ(draw, ANY)], {"name": "x"}),
    **{name: _binary(dtypes) for name, dtypes in BINARY.items()},
    "integer_pow": _integer_pow, "select": _select, "clamp": _clamp,
    "convert_element_type": _convert, "bitcast_convert_type": _bitcast,
    "iota": _iota, "broadcast_in_dim": _broadcast_in_dim, "reshape": _reshape,
    "transpose": _transpose, "squeeze": _squeeze, "expand_dims": _expand_dims, "rev": _rev,
    "concatenate": _concatenate, "pad": _pad,
    **{name: _reduce(dtypes) for name, dtypes in REDUCE.items()},
    "argmax": _argminmax, "argmin": _argminmax,
    **{name: _cumulative for name in ("cumsum", "cumprod", "cummax", "cummin")},
    "dot_general": _dot_general, "slice": _slice, "dynamic_slice": _dynamic_slice,
    "dynamic_update_slice": _dynamic_update_slice, "gather": _gather,
    **{name: _scatter for name in SCATTER}, "sort": _sort,
    "cond": _cond, "while": _while, "scan": _scan, "jit": _jit,
    "psum": _collective(NUM), "pmax": _collective(ANY), "pmin": _collective(ANY),
    "all_gather": _all_gather, "axis_index": lambda draw: ([], {"axis_name": ("i",)}),
}


@st.composite
def equation_types(draw, name: str):
    """Valid `(operand types, params)` for primitive `name`."""
    return SAMPLERS[name](draw)


# ------------------------------------------------------------------ NumPy equivalents

def _pad_np(x, value, padding_config):
    # interior padding by strided assignment into a padded array, then crop negative edges
    grown = [max(lo, 0) + s + max(s - 1, 0) * i + max(hi, 0)
             for s, (lo, hi, i) in zip(x.shape, padding_config)]
    out = np.full(grown, value, dtype=x.dtype)
    out[tuple(slice(max(lo, 0), g - max(hi, 0), i + 1)
              for g, (lo, hi, i) in zip(grown, padding_config))] = x
    return out[tuple(slice(-min(lo, 0), g + min(hi, 0))
                     for g, (lo, hi, _) in zip(grown, padding_config))]


def _lowest(dtype):
    return False if dtype == bool else np.iinfo(dtype).min if dtype.kind in "iu" else -np.inf


def _highest(dtype):
    return True if dtype == bool else np.iinfo(dtype).max if dtype.kind in "iu" else np.inf


def _dot_np(lhs, rhs, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    letters = iter("abcdefghijklmnop")
    lsub = [next(letters) for _ in range(lhs.ndim)]
    rsub = [next(letters) for _ in range(rhs.ndim)]
    for a, b in zip(lc + lb, rc + rb):
        rsub[b] = lsub[a]
    out = [lsub[a] for a in lb] + [s for i, s in enumerate(lsub) if i not in lc + lb] + \
          [s for i, s in enumerate(rsub) if i not in rc + rb]
    return np.einsum(f"{''.join(lsub)},{''.join(rsub)}->{''.join(out)}", lhs, rhs)


def _gather_np(x, *indices, axes):
    return np.moveaxis(x, axes, range(len(axes)))[tuple(indices)]


def _scatter_np(x, updates, *indices, axes, mode):
    out = x.copy()
    np.add.at(np.moveaxis(out, axes, range(len(axes))), tuple(indices), updates)
    return out


def _sort_np(*operands, dimension, num_keys):
    order = np.argsort(operands[0], axis=dimension, kind="stable")
    return [np.take_along_axis(x, order, dimension) for x in operands]


def _broadcast_np(x, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


def _iota_np(dtype, shape, dimension):
    ramp = np.arange(shape[dimension], dtype=dtype.np)
    return np.broadcast_to(ramp.reshape([-1 if i == dimension else 1 for i in range(len(shape))]),
                           shape)


def _int_or(int_fn, float_fn):
    return lambda a, b: (int_fn if a.dtype.kind in "iu" else float_fn)(a, b)


def _run(p, args):
    """The sampled pass-through sub-programs on numpy values."""
    env = dict(zip(p.inputs, args))
    for eqn in p.equations:
        env[eqn.outputs[0]] = np.copy(env[eqn.inputs[0]])
    return [env[x] for x in p.outputs]


def _all_gather_np(x, axis_name, axis, tiled, axis_size):
    """`axis_size` copies of `x`, stacked at `axis` (concatenated along it when tiled)."""
    y = np.stack([x] * axis_size, axis) if axis_size else \
        np.zeros(x.shape[:axis] + (0,) + x.shape[axis:], x.dtype)
    s = y.shape
    return y.reshape(s[:axis] + (s[axis] * s[axis + 1],) + s[axis + 2:]) if tiled else y


def _cond_np(index, *ops, branches):
    return _run(branches[int(np.clip(index, 0, len(branches) - 1))], list(ops))


def _while_np(*args, cond, body, cond_nconsts, body_nconsts):
    cc, bc = list(args[:cond_nconsts]), list(args[cond_nconsts:cond_nconsts + body_nconsts])
    carry = list(args[cond_nconsts + body_nconsts:])
    while _run(cond, cc + carry)[0]:
        carry = _run(body, bc + carry)
    return carry


def _scan_np(*args, body, length, reverse, num_consts, num_carry, unroll):
    consts, carry = list(args[:num_consts]), list(args[num_consts:num_consts + num_carry])
    xs = args[num_consts + num_carry:]
    ys = [np.zeros((length,) + t.shape, t.dtype.np) for t in body.out_types[num_carry:]]
    for i in (reversed(range(length)) if reverse else range(length)):
        out = _run(body, consts + carry + [x[i] for x in xs])
        carry = out[:num_carry]
        for y, o in zip(ys, out[num_carry:]):
            y[i] = o
    return carry + ys


NUMPY = {
    "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log, "log2": np.log2,
    "log1p": np.log1p, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x), "cbrt": np.cbrt,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
    "logistic": lambda x: 1 / (1 + np.exp(-x)), "floor": np.floor, "ceil": np.ceil,
    "round": np.round, "isfinite": np.isfinite, "neg": np.negative, "sign": np.sign,
    "abs": np.abs, "not": np.invert, "stop_gradient": np.copy,
    "name": lambda x, name: x,
    "add": np.add, "sub": np.subtract, "mul": np.multiply,
    "div": _int_or(np.floor_divide, np.divide), "rem": np.fmod,
    "max": np.maximum, "min": np.minimum, "pow": np.power, "atan2": np.arctan2,
    "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
    "shift_left": np.left_shift, "shift_right_logical": np.right_shift,
    "shift_right_arithmetic": np.right_shift,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal,
    "integer_pow": lambda x, y: np.power(x, y), "select": np.where,
    "clamp": lambda lo, x, hi: np.clip(x, lo, hi),
    "convert_element_type": lambda x, new_dtype, weak: x.astype(new_dtype.np),
    "bitcast_convert_type": lambda x, new_dtype: x.view(new_dtype.np),
    "iota": _iota_np, "broadcast_in_dim": _broadcast_np,
    "reshape": lambda x, new_sizes: np.reshape(x, new_sizes),
    "transpose": lambda x, permutation: np.transpose(x, permutation),
    "squeeze": lambda x, dimensions: np.squeeze(x, axis=dimensions),
    "expand_dims": lambda x, dimensions: np.expand_dims(x, dimensions),
    "rev": lambda x, dimensions: np.flip(x, dimensions),
    "concatenate": lambda *xs, dimension: np.concatenate(xs, axis=dimension),
    "pad": _pad_np,
    "reduce_sum": lambda x, axes: np.sum(x, axis=axes, dtype=x.dtype),
    "reduce_prod": lambda x, axes: np.prod(x, axis=axes, dtype=x.dtype),
    "reduce_max": lambda x, axes: np.max(x, axis=axes, initial=_lowest(x.dtype)),
    "reduce_min": lambda x, axes: np.min(x, axis=axes, initial=_highest(x.dtype)),
    "reduce_and": lambda x, axes: np.all(x, axis=axes),
    "reduce_or": lambda x, axes: np.any(x, axis=axes),
    "argmax": lambda x, axis, index_dtype: np.argmax(x, axis).astype(index_dtype.np),
    "argmin": lambda x, axis, index_dtype: np.argmin(x, axis).astype(index_dtype.np),
    "cumsum": lambda x, axis, reverse: np.cumsum(x, axis, dtype=x.dtype),
    "cumprod": lambda x, axis, reverse: np.cumprod(x, axis, dtype=x.dtype),
    "cummax": lambda x, axis, reverse: np.maximum.accumulate(x, axis),
    "cummin": lambda x, axis, reverse: np.minimum.accumulate(x, axis),
    "dot_general": _dot_np,
    "slice": lambda x, start_indices, limit_indices, strides:
        x[tuple(slice(*s) for s in zip(start_indices, limit_indices, strides))],
    "dynamic_slice": lambda x, *starts, slice_sizes: x[tuple(slice(0, s) for s in slice_sizes)],
    "dynamic_update_slice": lambda x, update, *starts: x.copy(),
    "gather": _gather_np, **{name: _scatter_np for name in SCATTER}, "sort": _sort_np,
    "cond": _cond_np, "while": _while_np, "scan": _scan_np,
    "jit": lambda *ops, program, name, backend: _run(program, list(ops)),
    # collectives as on an axis of one member
    **{name: lambda x, axis_name: x for name in ("psum", "pmax", "pmin")},
    "all_gather": _all_gather_np,
    "axis_index": lambda axis_name: np.int32(0),
}
NO_NUMPY_EQUIVALENT = {"erf", "erfc", "erf_inv"}


def test_every_primitive_has_a_sampler_and_numpy_equivalent():
    assert set(SAMPLERS) == set(CORE), "add a sampler for each new primitive"
    assert set(NUMPY) | NO_NUMPY_EQUIVALENT == set(CORE)


@pytest.mark.parametrize("name", CORE)
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_rule_matches_numpy(name, data):
    in_types, params = data.draw(equation_types(name))
    out_types = PRIMITIVES[name].infer(in_types, params)
    if name in NO_NUMPY_EQUIVALENT:  # elementwise: the operand's type
        assert out_types == [in_types[0]]
        return
    operands = [np.zeros(t.shape, t.dtype.np) for t in in_types]  # zeros: valid indices
    with np.errstate(all="ignore"):
        expected = NUMPY[name](*operands, **params)
    expected = expected if isinstance(expected, list) else [expected]
    got = [(t.shape, t.dtype.np) for t in out_types]
    assert got == [(np.shape(e), np.asarray(e).dtype) for e in expected], (in_types, params)


# ------------------------------------------------------------------ bad operands

def T(shape, dtype=float32):
    return ShapedType(tuple(shape), dtype)


F3, I3 = T([3]), T([3], int32)
BAD = {
    **{name: ([I3], {}) for name in UNARY_FLOAT + ["isfinite"]},
    **{name: ([T([3], bool_)], {}) for name in ("neg", "sign", "abs")},
    "not": ([F3], {}), "stop_gradient": ([F3, F3], {}), "name": ([F3], {"name": 1}),
    **{name: ([F3, T([3], float64)], {}) for name in BINARY},
    "integer_pow": ([I3], {"y": -1}),
    "select": ([F3, F3, F3], {}),
    "clamp": ([I3, F3, F3], {}),
    "convert_element_type": ([F3], {"new_dtype": "f32", "weak": False}),
    "bitcast_convert_type": ([F3], {"new_dtype": float64}),
    "iota": ([], {"dtype": int32, "shape": (3,), "dimension": 1}),
    "broadcast_in_dim": ([F3], {"shape": (4,), "broadcast_dimensions": (0,)}),
    "reshape": ([F3], {"new_sizes": (2, 2)}),
    "transpose": ([T([2, 3])], {"permutation": (0, 0)}),
    "squeeze": ([F3], {"dimensions": (0,)}),
    "expand_dims": ([F3], {"dimensions": (2,)}),
    "rev": ([F3], {"dimensions": (1,)}),
    "concatenate": ([F3, T([3, 1])], {"dimension": 0}),
    "pad": ([F3, T([], int32)], {"padding_config": ((0, 0, 0),)}),
    "reduce_sum": ([T([3], bool_)], {"axes": (0,)}),
    "reduce_prod": ([T([3], bool_)], {"axes": (0,)}),
    "reduce_max": ([F3], {"axes": (1,)}), "reduce_min": ([F3], {"axes": (0, 0)}),
    "reduce_and": ([I3], {"axes": (0,)}), "reduce_or": ([F3], {"axes": ()}),
    **{name: ([T([0])], {"axis": 0, "index_dtype": int32}) for name in ("argmax", "argmin")},
    **{name: ([T([])], {"axis": 0, "reverse": False})
       for name in ("cumsum", "cumprod", "cummax", "cummin")},
    "dot_general": ([T([2, 3]), T([4, 2])], {"dimension_numbers": (((1,), (0,)), ((), ()))}),
    "slice": ([F3], {"start_indices": (0,), "limit_indices": (4,), "strides": (1,)}),
    "dynamic_slice": ([F3, T([])], {"slice_sizes": (1,)}),
    "dynamic_update_slice": ([F3, T([4]), T([], int32)], {}),
    "gather": ([F3, F3], {"axes": (0,)}),
    **{name: ([F3, T([2]), T([3], int32)], {"axes": (0,), "mode": "clip"}) for name in SCATTER},
    "sort": ([F3], {"dimension": 0, "num_keys": 2}),
    "cond": ([T([])], {"branches": (_passthrough([], [], []),)}),  # a float index
    "while": ([F3], {"cond": _passthrough([F3], [0], [False]),  # a non-bool predicate
                     "body": _passthrough([F3], [0], [False]), "cond_nconsts": 0,
                     "body_nconsts": 0}),
    "scan": ([F3], {"body": _passthrough([T([])], [], []), "length": 4, "reverse": False,
                    "num_consts": 0, "num_carry": 0, "unroll": 1}),  # length 4 over f32[3]
    "jit": ([I3], {"program": _passthrough([F3], [0], [False]), "name": "f",
                   "backend": None}),  # operand type differs from the program's input
    "psum": ([T([3], bool_)], {"axis_name": ("i",)}),
    "pmax": ([F3], {"axis_name": "i"}),  # not a tuple
    "pmin": ([F3], {"axis_name": ("i", "i")}),
    "all_gather": ([T([])], {"axis_name": ("i",), "axis": 0, "tiled": True, "axis_size": 2}),
    "axis_index": ([], {"axis_name": ("i", "j")}),
}


def test_every_primitive_has_a_bad_case():
    assert set(BAD) == set(CORE)


@pytest.mark.parametrize("name", CORE)
def test_bad_operands_raise_naming_the_primitive(name):
    in_types, params = BAD[name]
    with pytest.raises(IRTypeError) as info:
        PRIMITIVES[name].infer(in_types, params)
    assert info.value.primitive == name and str(info.value).startswith(name + ":")


@pytest.mark.parametrize("name", CORE)
def test_arity_and_param_names_are_checked(name):
    prim = PRIMITIVES[name]
    params = BAD[name][1]
    if prim.nin is not None:
        with pytest.raises(IRTypeError, match=f"^{name}: takes {prim.nin} operands"):
            prim.infer([F3] * (prim.nin + 1), params)
    right_arity = [F3] * (1 if prim.nin is None else prim.nin)
    with pytest.raises(IRTypeError, match=f"^{name}: bad params"):
        prim.infer(right_arity, {**params, "bogus": 1})


def test_every_primitive_is_listed_in_docs():
    text = (Path(__file__).parents[2] / "docs" / "ir.md").read_text()
    rows = " ".join(line.split("|")[1] for line in text.splitlines() if line.startswith("| "))
    assert set(CORE) <= set(re.findall(r"\w+", rows))


def test_unknown_primitive():
    with pytest.raises(IRTypeError, match="unknown primitive"):
        fnx_ir.get_primitive("no_such_primitive")
