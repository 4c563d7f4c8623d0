"""One hypothesis strategy per primitive: a per-example function (calling the primitive
through `fnx.lax`) and a generator of per-example operands. `tests/vmap/test_rules.py`
batches each along random axes (or not at all) and compares with a Python loop.

A case is a strategy of `(f, gen)`: `f(*operands)` returns an array or a list of arrays;
`gen(rng)` returns one example's operands (numpy arrays of fixed shapes per draw).
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import fnx_ir
from fnx import lax
from fnx._core.trace import bind

CASES: dict[str, st.SearchStrategy] = {}  # primitive name -> strategy of (f, gen)

FLOATS = (np.float32, np.float64)
INTS = (np.int32, np.int64, np.uint32)


def case(*names):
    def register(fn):
        for n in names:
            CASES[n] = fn(n)
        return fn
    return register


def shapes(min_rank=0, max_rank=3, min_side=1, max_side=3):
    return st.lists(st.integers(min_side, max_side), min_size=min_rank,
                    max_size=max_rank).map(tuple)


def rand(rng, shape, dtype, lo=-2.0, hi=2.0):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return rng.uniform(lo, hi, shape).astype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind == "u":
        return rng.integers(0, 12, shape).astype(dtype)
    return rng.integers(int(lo * 5), int(hi * 5) + 1, shape).astype(dtype)


# ------------------------------------------------------------------ elementwise

_UNARY_RANGE = {"log": (0.1, 3), "log2": (0.1, 3), "log1p": (-0.5, 3), "sqrt": (0.1, 3),
                "rsqrt": (0.1, 3), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
                "atanh": (-0.9, 0.9), "erf_inv": (-0.9, 0.9), "acosh": (1.1, 3)}
FLOAT_UNARY = ("exp exp2 expm1 log log2 log1p sqrt rsqrt cbrt sin cos tan asin acos atan sinh "
               "cosh tanh asinh acosh atanh logistic erf erfc erf_inv floor ceil round "
               "isfinite").split()


@case(*FLOAT_UNARY)
def _float_unary(name):
    lo, hi = _UNARY_RANGE.get(name, (-2, 2))
    fn = getattr(lax, name)
    return st.tuples(shapes(), st.sampled_from(FLOATS)).map(
        lambda a: (fn, lambda rng: [rand(rng, a[0], a[1], lo, hi)]))


@case("neg", "sign", "abs", "stop_gradient")
def _num_unary(name):
    fn = getattr(lax, name)
    return st.tuples(shapes(), st.sampled_from(FLOATS + (np.int32, np.int64))).map(
        lambda a: (fn, lambda rng: [rand(rng, a[0], a[1])]))


@case("name")
def _name(name):
    return st.tuples(shapes(), st.sampled_from(FLOATS + (np.int32,))).map(
        lambda a: (lambda x: bind("name", x, name="n"), lambda rng: [rand(rng, a[0], a[1])]))


@case("not")
def _not(name):
    return st.tuples(shapes(), st.sampled_from((np.bool_, np.int32, np.uint32))).map(
        lambda a: (lax.bitwise_not, lambda rng: [rand(rng, a[0], a[1])]))


_BINARY_DTYPES = {
    **{n: FLOATS + INTS for n in ("add", "sub", "mul", "div", "rem")},
    **{n: FLOATS + INTS + (np.bool_,) for n in ("max", "min", "eq", "ne", "lt", "le", "gt", "ge")},
    "pow": FLOATS, "atan2": FLOATS,
    **{n: INTS + (np.bool_,) for n in ("and", "or", "xor")},
    **{n: INTS for n in ("shift_left", "shift_right_logical", "shift_right_arithmetic")},
}
_LAX_NAME = {"and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor"}


@case(*_BINARY_DTYPES)
def _binary(name):
    fn = getattr(lax, _LAX_NAME.get(name, name))
    def gen(shape, dtype):
        def g(rng):
            if name == "pow":
                return [rand(rng, shape, dtype, 0.1, 2), rand(rng, shape, dtype)]
            if name.startswith("shift"):
                return [rand(rng, shape, dtype), rng.integers(-1, 40, shape).astype(dtype)]
            return [rand(rng, shape, dtype), rand(rng, shape, dtype)]
        return g
    return st.tuples(shapes(), st.sampled_from(_BINARY_DTYPES[name])).map(
        lambda a: (fn, gen(*a)))


@case("integer_pow")
def _integer_pow(name):
    def build(a):
        shape, dtype, y = a
        y = abs(y) if np.dtype(dtype).kind != "f" else y
        return (lambda x: lax.integer_pow(x, y), lambda rng: [rand(rng, shape, dtype, 0.5, 2)])
    return st.tuples(shapes(), st.sampled_from(FLOATS + (np.int32,)),
                     st.integers(-3, 3)).map(build)


@case("select")
def _select(name):
    return st.tuples(shapes(), st.sampled_from(FLOATS + INTS)).map(lambda a: (
        lax.select, lambda rng: [rand(rng, a[0], np.bool_), rand(rng, a[0], a[1]),
                                 rand(rng, a[0], a[1])]))


@case("clamp")
def _clamp(name):
    def build(a):
        shape, dtype, lo_scalar, hi_scalar = a
        def gen(rng):
            lo = rand(rng, () if lo_scalar else shape, dtype, -1, 0)
            hi = rand(rng, () if hi_scalar else shape, dtype, 0, 1)
            return [lo, rand(rng, shape, dtype), hi]
        return lax.clamp, gen
    return st.tuples(shapes(), st.sampled_from(FLOATS + (np.int32,)), st.booleans(),
                     st.booleans()).map(build)


@case("convert_element_type")
def _convert(name):
    dts = (np.float32, np.float64, np.int32, np.int64, np.uint32, np.bool_)
    return st.tuples(shapes(), st.sampled_from(dts), st.sampled_from(dts)).map(lambda a: (
        lambda x: lax.convert_element_type(x, a[2]),
        lambda rng: [rand(rng, a[0], a[1], -50, 50)]))


@case("bitcast_convert_type")
def _bitcast(name):
    pairs = [(np.float32, np.int32), (np.int32, np.uint32), (np.float64, np.int64),
             (np.uint32, np.float32)]
    return st.tuples(shapes(), st.sampled_from(pairs)).map(lambda a: (
        lambda x: lax.bitcast_convert_type(x, a[1][1]),
        lambda rng: [rand(rng, a[0], a[1][0])]))


# ------------------------------------------------------------------ shape

@case("iota")
def _iota(name):
    def build(a):
        shape, dim = a
        dim = dim % len(shape)
        return (lambda x: lax.add(x, lax.iota(np.int32, shape, dim)),
                lambda rng: [rand(rng, shape, np.int32)])
    return st.tuples(shapes(1, 3), st.integers(0, 2)).map(build)


@case("broadcast_in_dim")
def _broadcast_in_dim(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(0, 3))
        n_new = draw(st.integers(0, 2))
        out_rank = len(shape) + n_new
        bd = tuple(sorted(draw(st.permutations(range(out_rank)))[:len(shape)]))
        out = [draw(st.integers(1, 3)) for _ in range(out_rank)]
        ex_shape = list(shape)
        for i, d in enumerate(bd):
            if draw(st.booleans()):
                ex_shape[i] = 1  # a size-1 operand dim that expands
            out[d] = ex_shape[i] if ex_shape[i] != 1 else out[d]
        return (lambda x: lax.broadcast_in_dim(x, tuple(out), bd),
                lambda rng: [rand(rng, tuple(ex_shape), np.float32)])
    return build()


@case("reshape")
def _reshape(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(0, 3))
        new = list(draw(st.permutations(shape)))
        for _ in range(draw(st.integers(0, 2))):
            new.insert(draw(st.integers(0, len(new))), 1)
        if new and draw(st.booleans()):
            new = [int(np.prod(new))]
        return (lambda x: lax.reshape(x, tuple(new)),
                lambda rng: [rand(rng, shape, np.float32)])
    return build()


@case("transpose")
def _transpose(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(1, 4))
        perm = tuple(draw(st.permutations(range(len(shape)))))
        return (lambda x: bind("transpose", x, permutation=perm),
                lambda rng: [rand(rng, shape, np.float64)])
    return build()


@case("squeeze")
def _squeeze(name):
    @st.composite
    def build(draw):
        shape = list(draw(shapes(0, 3)))
        ones = draw(st.lists(st.integers(0, len(shape)), min_size=1, max_size=2))
        for p in sorted(ones, reverse=True):
            shape.insert(p, 1)
        cand = [i for i, s in enumerate(shape) if s == 1]
        dims = tuple(sorted(draw(st.sets(st.sampled_from(cand), min_size=1))))
        return (lambda x: lax.squeeze(x, dims), lambda rng: [rand(rng, tuple(shape), np.float32)])
    return build()


@case("expand_dims")
def _expand_dims(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(0, 3))
        n = draw(st.integers(1, 2))
        dims = tuple(sorted(draw(st.permutations(range(len(shape) + n)))[:n]))
        return (lambda x: lax.expand_dims(x, dims), lambda rng: [rand(rng, shape, np.int32)])
    return build()


@case("rev")
def _rev(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(1, 3))
        dims = tuple(sorted(draw(st.sets(st.integers(0, len(shape) - 1), min_size=1))))
        return (lambda x: lax.rev(x, dims), lambda rng: [rand(rng, shape, np.float32)])
    return build()


@case("concatenate")
def _concatenate(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(1, 3))
        dim = draw(st.integers(0, len(shape) - 1))
        sizes = draw(st.lists(st.integers(1, 3), min_size=2, max_size=3))
        shs = [shape[:dim] + (s,) + shape[dim + 1:] for s in sizes]
        return (lambda *xs: lax.concatenate(list(xs), dim),
                lambda rng: [rand(rng, s, np.float32) for s in shs])
    return build()


@case("pad")
def _pad(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(0, 3))
        cfg = []
        for s in shape:
            interior = draw(st.integers(0, 1))
            full = s + max(s - 1, 0) * interior
            lo = draw(st.integers(-min(full, 1), 2))
            hi = draw(st.integers(-min(full + lo, 1), 2))
            cfg.append((lo, hi, interior))
        return (lambda x, v: lax.pad(x, v, cfg),
                lambda rng: [rand(rng, shape, np.float32), rand(rng, (), np.float32)])
    return build()


# ------------------------------------------------------------------ reductions

@case("reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_and", "reduce_or")
def _reduce(name):
    dts = (np.bool_,) if name in ("reduce_and", "reduce_or") else (np.float32, np.float64, np.int32)
    @st.composite
    def build(draw):
        shape = draw(shapes(0, 3, min_side=0))
        dtype = draw(st.sampled_from(dts))
        axes = tuple(draw(st.permutations(range(len(shape))))[:draw(st.integers(0, len(shape)))])
        return (lambda x: bind(name, x, axes=axes), lambda rng: [rand(rng, shape, dtype)])
    return build()


@case("argmax", "argmin")
def _argminmax(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(1, 3))
        axis = draw(st.integers(0, len(shape) - 1))
        dtype = draw(st.sampled_from((np.float32, np.int32)))
        idt = draw(st.sampled_from((np.int32, np.int64)))
        return (lambda x: getattr(lax, name)(x, axis, idt), lambda rng: [rand(rng, shape, dtype)])
    return build()


@case("cumsum", "cumprod", "cummax", "cummin")
def _cumulative(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(1, 3))
        axis = draw(st.integers(0, len(shape) - 1))
        reverse = draw(st.booleans())
        dtype = draw(st.sampled_from((np.float32, np.int32)))
        return (lambda x: getattr(lax, name)(x, axis, reverse),
                lambda rng: [rand(rng, shape, dtype)])
    return build()


# ------------------------------------------------------------------ linear algebra

@case("dot_general")
def _dot_general(name):
    @st.composite
    def build(draw):
        nb, nc = draw(st.integers(0, 1)), draw(st.integers(0, 2))
        nl, nr = draw(st.integers(0, 2)), draw(st.integers(0, 1))
        b = [draw(st.integers(1, 3)) for _ in range(nb)]
        c = [draw(st.integers(1, 3)) for _ in range(nc)]
        lf = [draw(st.integers(1, 3)) for _ in range(nl)]
        rf = [draw(st.integers(1, 3)) for _ in range(nr)]
        lperm = draw(st.permutations(range(nb + nc + nl)))  # lperm[k]: axis of logical dim k
        rperm = draw(st.permutations(range(nb + nc + nr)))
        lshape, rshape = [0] * (nb + nc + nl), [0] * (nb + nc + nr)
        for k, s in enumerate(b + c + lf):
            lshape[lperm[k]] = s
        for k, s in enumerate(b + c + rf):
            rshape[rperm[k]] = s
        lb, lc = tuple(lperm[:nb]), tuple(lperm[nb:nb + nc])
        rb, rc = tuple(rperm[:nb]), tuple(rperm[nb:nb + nc])
        dtype = draw(st.sampled_from((np.float32, np.float64, np.int32)))
        return (lambda x, y: lax.dot_general(x, y, ((lc, rc), (lb, rb))),
                lambda rng: [rand(rng, tuple(lshape), dtype), rand(rng, tuple(rshape), dtype)])
    return build()


# ------------------------------------------------------------------ indexing

@case("slice")
def _slice(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(1, 3, max_side=5))
        start, limit, strides = [], [], []
        for s in shape:
            a = draw(st.integers(0, s))
            start.append(a)
            limit.append(draw(st.integers(a, s)))
            strides.append(draw(st.integers(1, 2)))
        return (lambda x: bind("slice", x, start_indices=tuple(start),
                                   limit_indices=tuple(limit), strides=tuple(strides)),
                lambda rng: [rand(rng, shape, np.float32)])
    return build()


@case("dynamic_slice")
def _dynamic_slice(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(0, 3, max_side=4))
        sizes = tuple(draw(st.integers(0, s)) for s in shape)
        idt = draw(st.sampled_from((np.int32, np.int64)))
        n = len(shape)
        return (lambda x, *starts: lax.dynamic_slice(x, starts, sizes),
                lambda rng: [rand(rng, shape, np.float32)]
                + [np.asarray(rng.integers(-2, 6), idt) for _ in range(n)])
    return build()


@case("dynamic_update_slice")
def _dynamic_update_slice(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(0, 3, max_side=4))
        ushape = tuple(draw(st.integers(0, s)) for s in shape)
        idt = draw(st.sampled_from((np.int32, np.int64)))
        n = len(shape)
        return (lambda x, u, *starts: lax.dynamic_update_slice(x, u, starts),
                lambda rng: [rand(rng, shape, np.float32), rand(rng, ushape, np.float32)]
                + [np.asarray(rng.integers(-2, 6), idt) for _ in range(n)])
    return build()


@case("gather")
def _gather(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(1, 3, max_side=4))
        axes = tuple(draw(st.permutations(range(len(shape))))[:draw(st.integers(1, len(shape)))])
        ishape = draw(shapes(0, 2))
        idt = draw(st.sampled_from((np.int32, np.int64)))
        return (lambda x, *idx: lax.gather(x, idx, axes),
                lambda rng: [rand(rng, shape, np.float32)]
                + [rng.integers(-1, shape[a] + 1, ishape).astype(idt) for a in axes])
    return build()


@case("scatter", "scatter_add", "scatter_mul", "scatter_min", "scatter_max")
def _scatter(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(1, 3, max_side=4))
        axes = tuple(draw(st.permutations(range(len(shape))))[:draw(st.integers(1, len(shape)))])
        ishape = draw(shapes(0, 2))
        rest = tuple(s for i, s in enumerate(shape) if i not in axes)
        mode = draw(st.sampled_from(("clip", "drop")))
        fn = getattr(lax, name)
        return (lambda x, u, *idx: fn(x, u, idx, axes, mode),
                lambda rng: [rand(rng, shape, np.float32), rand(rng, ishape + rest, np.float32)]
                + [rng.integers(-1, shape[a] + 1, ishape).astype(np.int32) for a in axes])
    return build()


@case("sort")
def _sort(name):
    @st.composite
    def build(draw):
        shape = draw(shapes(1, 3))
        n = draw(st.integers(1, 3))
        num_keys = draw(st.integers(1, n))
        dim = draw(st.integers(0, len(shape) - 1))
        dts = [draw(st.sampled_from((np.float32, np.int32))) for _ in range(n)]
        return (lambda *ops: lax.sort(list(ops), dim, num_keys),
                lambda rng: [rand(rng, shape, d, -1, 1) for d in dts])
    return build()


# ------------------------------------------------------------------ custom rules / remat
# The forward computation of functions with custom derivative rules and checkpoints
# (their derivatives under vmap are tested in test_custom.py).

def custom_functions():
    import fnx
    import fnx.numpy as fnp

    @fnx.custom_jvp
    def softplus(x):
        return fnp.log1p(fnp.exp(x))

    @softplus.defjvp
    def _softplus_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return softplus(x), t * lax.logistic(x) * 2.0  # deliberately 2x: the rule is used

    @fnx.custom_vjp
    def scaled_sin(x, y):
        return x * fnp.sin(y)

    def _fwd(x, y):
        return scaled_sin(x, y), (x, y)

    def _bwd(res, g):
        x, y = res
        return (g * fnp.sin(y) * 3.0, g * x * fnp.cos(y))  # deliberately 3x for x

    scaled_sin.defvjp(_fwd, _bwd)

    @fnx.checkpoint
    def block(x, y):
        return fnp.tanh(x * y) + fnp.sin(x)

    return softplus, scaled_sin, block


@case("custom_jvp_call", "custom_vjp_call", "checkpoint")
def _custom(name):
    softplus, scaled_sin, block = custom_functions()
    fn = {"custom_jvp_call": lambda x, y: softplus(x) * y,
          "custom_vjp_call": scaled_sin, "checkpoint": block}[name]
    return st.tuples(shapes(), st.sampled_from(FLOATS)).map(lambda a: (
        fn, lambda rng: [rand(rng, a[0], a[1]), rand(rng, a[0], a[1])]))


# ------------------------------------------------------------------ control flow
# (more in tests/control_flow: batched predicates, nesting, transforms of batched loops)

def control_flow_functions():
    import fnx.numpy as fnp

    def cond(p, x, y):
        return list(lax.cond(p > 0, lambda a, b: (a * b, fnp.sin(a)),
                             lambda a, b: (a - b, a * 2.0), x, y))

    def switch(i, x, y):
        return lax.switch(i, [lambda a, b: a * b, lambda a, b: a - b, lambda a, b: fnp.cos(a)],
                          x, y)

    def while_(n, x):
        return lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * 1.5 + 1.0),
                              (0, x))[1]

    def scan(c, xs):
        return list(lax.scan(lambda c, x: (c * 0.5 + x, c * x), c, xs))

    return cond, switch, while_, scan


@case("cond", "while", "scan")
def _control_flow(name):
    cond, switch, while_, scan = control_flow_functions()
    if name == "cond":
        return st.tuples(shapes(max_rank=2), st.sampled_from(FLOATS), st.booleans()).map(
            lambda a: (switch, lambda rng: [rng.integers(-1, 4, ()).astype(np.int32),
                                            rand(rng, a[0], a[1]), rand(rng, a[0], a[1])])
            if a[2] else
            (cond, lambda rng: [rand(rng, (), a[1]), rand(rng, a[0], a[1]),
                                rand(rng, a[0], a[1])]))
    if name == "while":
        return st.tuples(shapes(max_rank=2), st.sampled_from(FLOATS)).map(lambda a: (
            while_, lambda rng: [rng.integers(0, 4, ()).astype(np.int32), rand(rng, a[0], a[1])]))
    return st.tuples(shapes(max_rank=2), st.sampled_from(FLOATS), st.integers(0, 3)).map(
        lambda a: (scan, lambda rng: [rand(rng, a[0], a[1]), rand(rng, (a[2],) + a[0], a[1])]))


# Primitives whose batch rule cannot be checked by evaluating forward, tested directly
# (collectives too, in test_named_axes.py; see tests/rules/test_completeness.py).
TESTED_ELSEWHERE = {"custom_lin": "test_custom.py::test_custom_lin_batch_rule",
                    "jit": "tests/test_call.py"}
