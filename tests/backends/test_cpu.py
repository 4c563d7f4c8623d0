"""The CPU (llvmlite) backend against the interpreter: every primitive, every dtype, edge cases,
fusion, buffer reuse and the runtime's argument handling."""
from __future__ import annotations

import os
import threading

import numpy as np
import pytest

import fnx._rules  # noqa: F401  (registers the numpy implementations the interpreter runs)
import fnx_ir as ir
from fnx.backends.base import LoweringOptions
from fnx.backends.cpu import CPUBackend
from fnx.backends.interpreter import evaluate

S = ir.shaped
f32, f64, i32, i64, u32, b1 = ir.float32, ir.float64, ir.int32, ir.int64, ir.uint32, ir.bool_
ALL = ir.ALL_DTYPES
NUMERIC = tuple(d for d in ALL if not d.is_bool)

# Transcendentals are compared in ulps; everything else must match bit for bit.
MATH = {"exp", "exp2", "expm1", "log", "log2", "log1p", "cbrt", "sin", "cos", "tan", "asin", "acos",
        "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "logistic", "erf", "erfc",
        "erf_inv", "pow", "atan2"}
MAX_ULP = 4


# ------------------------------------------------------------------ helpers

def lower(program):
    return CPUBackend().lower(program, LoweringOptions())


def eqn(b, prim, *ins, **params):
    outs = b.equation(prim, list(ins), params)
    return outs[0] if len(outs) == 1 else outs


def full(b, value, shape, dtype):
    return eqn(b, "broadcast_in_dim", ir.literal(value, dtype), shape=tuple(shape),
               broadcast_dimensions=())


def program(in_types, fn):
    """Build a program from `fn(builder, *inputs) -> output or list of outputs`."""
    b = ir.Builder()
    ins = [b.input(t) for t in in_types]
    outs = fn(b, *ins)
    return b.build(list(outs) if isinstance(outs, (list, tuple)) else [outs])


SPECIAL_FLOATS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, 1e30, -1e-30, 3.0, 88.5, -100.0]


def rand(rng, shape, dtype, special=True):
    """Random values of `dtype`, with the edge cases (NaN, ±inf, ±0, INT_MIN, ...) mixed in."""
    if dtype.is_bool:
        return rng.random(shape) < 0.5
    if dtype.is_float:
        x = (rng.standard_normal(shape) * 2).astype(dtype.np)
        edges = SPECIAL_FLOATS
    else:
        info = np.iinfo(dtype.np)
        lo = -40 if dtype.kind == "i" else 0
        x = rng.integers(lo, 40, shape).astype(dtype.np)
        edges = [info.min, info.max, 0, 1, info.max - 1] + ([-1, info.min + 1] if lo else [])
    flat = x.reshape(-1)
    if special and flat.size:
        k = min(flat.size // 2, len(edges))
        flat[rng.choice(flat.size, k, replace=False)] = rng.permutation(np.array(edges, dtype.np))[:k]
    return x


def ulp_distance(a, b):
    """Distance in units in the last place (NaN equals NaN)."""
    itype = {2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize]
    def ordered(x):
        i = np.asarray(x).view(itype).astype(np.int64)  # (numpy's astype: fnx.Array's narrows)
        return np.where(i < 0, np.iinfo(itype).min - i, i)
    d = np.abs(ordered(a) - ordered(b)).astype(np.float64)
    both_nan = np.isnan(a) & np.isnan(b)
    one_nan = np.isnan(a) != np.isnan(b)
    return np.where(both_nan, 0, np.where(one_nan, np.inf, d))


def assert_same(got, want, ulp=0, rtol=0.0, signed_zeros=True):
    got, want = np.asarray(got), np.asarray(want)  # numpy's operators below, not fnx.Array's
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    if got.dtype.kind == "f" and ulp:
        dist = ulp_distance(got, want)
        bad = dist > ulp
        assert not bad.any(), f"{dist.max()} ulp apart at {np.argwhere(bad)[:5].tolist()}: " \
                              f"got {got[bad][:5]}, want {want[bad][:5]}"
    elif got.dtype.kind == "f" and rtol:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    else:
        np.testing.assert_array_equal(got, want)  # NaN == NaN here
        if got.dtype.kind == "f" and signed_zeros:  # and the signs of zeros agree
            np.testing.assert_array_equal(np.signbit(got[got == 0]), np.signbit(want[want == 0]))


def check(prog, args, ulp=0, rtol=0.0, signed_zeros=True):
    """Run `prog` on the CPU backend and the interpreter; compare; return the executable."""
    ex = lower(prog)
    before = [np.copy(a) for a in args]
    got = ex(*args)
    want = evaluate(prog, args)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert_same(g, np.asarray(w), ulp=ulp, rtol=rtol, signed_zeros=signed_zeros)
    for a, c in zip(args, before):
        np.testing.assert_array_equal(a, c)  # inputs are never written
    return ex


SHAPES = [(), (0,), (7,), (3, 5), (2, 1, 33)]


# ------------------------------------------------------------------ elementwise

def _elementwise_cases():
    for name, prim in sorted(ir.PRIMITIVES.items()):
        if prim.family != "elementwise":
            continue
        for dt in ALL:
            params = {"integer_pow": {"y": 3}, "convert_element_type": {"new_dtype": i32, "weak": False},
                      "bitcast_convert_type": {"new_dtype": dt}, "name": {"name": "n"}}.get(name, {})
            in_types = [b1, dt, dt] if name == "select" else [dt] * prim.nin
            try:
                prim.infer([S((2,), t) for t in in_types], params)
            except ir.IRTypeError:
                continue
            yield pytest.param(name, dt, in_types, params, id=f"{name}-{dt.name}")


@pytest.mark.parametrize("name,dt,in_types,params", list(_elementwise_cases()))
def test_elementwise(name, dt, in_types, params):
    """Each elementwise primitive on each dtype, at several shapes at once (one compile)."""
    rng = np.random.default_rng(hash(name) % 2**32)
    types = [S(shape, t) for shape in SHAPES for t in in_types]
    n = len(in_types)

    def build(b, *ins):
        return [eqn(b, name, *ins[i:i + n], **params) for i in range(0, len(ins), n)]
    args = [rand(rng, t.shape, t.dtype) for t in types]
    check(program(types, build), args, ulp=MAX_ULP if name in MATH else 0)


@pytest.mark.parametrize("src", ALL, ids=lambda d: d.name)
@pytest.mark.parametrize("dst", ALL, ids=lambda d: d.name)
def test_convert_every_pair(src, dst):
    """Saturating float->int (NaN -> 0), wrapping int->int, rounding int->float, x != 0 -> bool."""
    rng = np.random.default_rng(1)
    x = rand(rng, (64,), src)
    if src.is_float:
        x[:12] = [np.nan, np.inf, -np.inf, 1e30, -1e30, 2.0**31, -2.0**31 - 1, 2.0**32, -0.7, 0.7,
                  2.0**63, -2.0**63]
    prog = program([S((64,), src)],
                   lambda b, x: eqn(b, "convert_element_type", x, new_dtype=dst, weak=False))
    check(prog, [x])


@pytest.mark.parametrize("dt", [i32, i64, u32], ids=lambda d: d.name)
def test_integer_division_edges(dt):
    """x / 0 = -1 (all ones), INT_MIN / -1 = INT_MIN, x rem 0 = x, INT_MIN rem -1 = 0: no trap."""
    info = np.iinfo(dt.np)
    xs = np.array([info.min, info.max, 7, 0, info.min, 5, info.max, 1], dt.np)
    ys = np.array([0, 0, 0, 0, -1 if dt.kind == "i" else 1, 3, 2, info.max], dt.np)
    prog = program([S((8,), dt)] * 2, lambda b, x, y: [eqn(b, "div", x, y), eqn(b, "rem", x, y)])
    ex = check(prog, [xs, ys])
    q, r = ex(xs, ys)
    assert q[0] == (-1 if dt.kind == "i" else info.max) and r[0] == info.min
    if dt.kind == "i":
        assert q[4] == info.min and r[4] == 0


@pytest.mark.parametrize("dt", [i32, i64, u32], ids=lambda d: d.name)
def test_shift_out_of_range(dt):
    bits = dt.itemsize * 8
    x = np.array([1, -1 if dt.kind == "i" else 5, 12345, 7, 3, 9], dt.np)
    s = np.array([bits, bits - 1, bits + 3, 0, 1, 2], dt.np)
    if dt.kind == "i":
        s[5] = -1
    prog = program([S((6,), dt)] * 2, lambda b, x, y: [
        eqn(b, p, x, y) for p in ("shift_left", "shift_right_logical", "shift_right_arithmetic")])
    check(prog, [x, s])


def test_max_min_nan_and_signed_zero():
    x = np.array([np.nan, 1.0, -0.0, 0.0, np.nan, -np.inf], np.float32)
    y = np.array([1.0, np.nan, 0.0, -0.0, np.nan, 3.0], np.float32)
    prog = program([S((6,), f32)] * 2, lambda b, x, y: [eqn(b, "max", x, y), eqn(b, "min", x, y),
                                                        eqn(b, "clamp", y, x, y)])
    check(prog, [x, y])


@pytest.mark.parametrize("dt", [f32, f64], ids=lambda d: d.name)
def test_erf_inv_accuracy(dt):
    y = np.concatenate([np.linspace(-1, 1, 2001), [1 - 1e-7, -1 + 1e-7, 1e-30, -2.0, np.nan]]).astype(dt.np)
    prog = program([S(y.shape, dt)], lambda b, x: eqn(b, "erf_inv", x))
    check(prog, [y], ulp=MAX_ULP)


@pytest.mark.parametrize("y", [0, 1, 2, 5, -1, -3])
@pytest.mark.parametrize("dt", [f32, i64], ids=lambda d: d.name)
def test_integer_pow(y, dt):
    if y < 0 and not dt.is_float:
        return
    rng = np.random.default_rng(3)
    x = rand(rng, (33,), dt)
    check(program([S((33,), dt)], lambda b, x: eqn(b, "integer_pow", x, y=y)), [x])


# ------------------------------------------------------------------ fusion and planning

def test_long_elementwise_chain_is_one_kernel():
    def build(b, x):
        y = x
        for i in range(30):
            y = eqn(b, "tanh", eqn(b, "add", eqn(b, "mul", y, full(b, 0.5, (1000,), f32)), x))
        return y
    prog = program([S((1000,), f32)], build)
    ex = check(prog, [np.random.default_rng(0).standard_normal(1000).astype(np.float32)], ulp=MAX_ULP * 4)
    assert len(ex.partition.kernels) == 1
    assert ex.partition.kernels[0].kind == "map"


def _softmax(b, x):
    shape = x.type.shape
    m = eqn(b, "reduce_max", x, axes=(1,))
    spread = eqn(b, "broadcast_in_dim", m, shape=shape, broadcast_dimensions=(0,))
    e = eqn(b, "exp", eqn(b, "sub", x, spread))
    s = eqn(b, "reduce_sum", e, axes=(1,))
    return eqn(b, "div", e, eqn(b, "broadcast_in_dim", s, shape=shape, broadcast_dimensions=(0,)))


def test_softmax_is_three_kernels():
    """max; sum of exp (storing exp as it goes: multi-output fusion); divide."""
    prog = program([S((16, 50), f32)], _softmax)
    x = np.random.default_rng(0).standard_normal((16, 50)).astype(np.float32)
    ex = check(prog, [x], rtol=1e-6)
    kernels = ex.partition.kernels
    assert [k.kind for k in kernels] == ["reduce", "reduce", "map"]
    assert [ex.partition.producer[v].primitive for v in kernels[1].outputs] == ["reduce_sum", "exp"]


def test_value_used_by_two_kernels_is_stored_by_the_first():
    """z feeds relu and a mask computed later: one kernel writes both z and relu(z). (The
    select, hh's only reader, runs as the GEMM's epilogue, writing hh's buffer in place.)"""
    def build(b, x, y):
        z = eqn(b, "add", x, y)
        h = eqn(b, "max", z, full(b, 0.0, (8, 8), f32))
        hh = eqn(b, "dot_general", h, h, dimension_numbers=(((1,), (0,)), ((), ())))
        return eqn(b, "select", eqn(b, "gt", z, full(b, 0.0, (8, 8), f32)), hh, z)
    rng = np.random.default_rng(0)
    ex = check(program([S((8, 8), f32)] * 2, build),
               [rng.standard_normal((8, 8)).astype(np.float32) for _ in range(2)], rtol=1e-6)
    assert [(k.root.primitive, len(k.outputs)) for k in ex.partition.kernels] == \
        [("max", 2), ("dot_general", 1)]
    assert ex.partition.kernels[1].epilogue.root.primitive == "select"


def test_reduction_fuses_its_producers():
    prog = program([S((40, 30), f32)] * 2, lambda b, x, y: eqn(
        b, "reduce_sum", eqn(b, "mul", eqn(b, "sub", x, y), eqn(b, "sub", x, y)), axes=(1,)))
    rng = np.random.default_rng(0)
    ex = check(prog, [rng.standard_normal((40, 30)).astype(np.float32) for _ in range(2)], rtol=1e-5)
    assert len(ex.partition.kernels) == 1


def test_expanding_broadcast_computes_its_operand_once():
    """exp(v) broadcast to [100, N] is materialised (N exps), not recomputed 100 times."""
    def build(b, v, w):
        e = eqn(b, "exp", v)
        return eqn(b, "mul", eqn(b, "broadcast_in_dim", e, shape=(100, 8), broadcast_dimensions=(1,)), w)
    prog = program([S((8,), f32), S((100, 8), f32)], build)
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(8).astype(np.float32), rng.standard_normal((100, 8)).astype(np.float32)]
    ex = check(prog, args, ulp=MAX_ULP)
    assert [k.root.primitive for k in ex.partition.kernels] == ["exp", "mul"]


def test_optimizer_update_is_one_kernel_with_three_outputs():
    """Adam: m', v' are outputs and feed w': one loop writes all three, bit-exact."""
    def adam(b, w, g, m, v):
        def c(value):
            return full(b, value, w.type.shape, f32)
        m2 = eqn(b, "add", eqn(b, "mul", c(0.9), m), eqn(b, "mul", c(0.1), g))
        v2 = eqn(b, "add", eqn(b, "mul", c(0.999), v), eqn(b, "mul", c(0.001), eqn(b, "mul", g, g)))
        step = eqn(b, "div", eqn(b, "mul", c(1e-3), m2), eqn(b, "add", eqn(b, "sqrt", v2), c(1e-8)))
        return [eqn(b, "sub", w, step), m2, v2]
    rng = np.random.default_rng(0)
    ex = check(program([S((1000,), f32)] * 4, adam),
               [rng.standard_normal(1000).astype(np.float32) for _ in range(4)])
    assert [(k.kind, len(k.outputs)) for k in ex.partition.kernels] == [("map", 3)]


def test_arena_reuses_dead_buffers():
    """A chain of opaque ops needs only a couple of live intermediates at any time."""
    def build(b, x):
        for _ in range(10):
            x = eqn(b, "cumsum", x, axis=0, reverse=False)
        return x
    prog = program([S((1000,), f64)], build)
    ex = check(prog, [np.ones(1000)])
    assert ex.plan.arena_size <= 2 * 1000 * 8


def test_shared_value_is_materialised_once():
    """A value used by two kernels is computed once, into a buffer both read."""
    def build(b, x):
        e = eqn(b, "exp", x)
        return [eqn(b, "reduce_sum", e, axes=(0,)), eqn(b, "cumsum", e, axis=0, reverse=False)]
    prog = program([S((64,), f64)], build)
    ex = check(prog, [np.linspace(-1, 1, 64)], ulp=MAX_ULP, rtol=1e-12)
    part = ex.partition
    writers = [k for k in part.kernels for v in k.outputs if part.producer[v].primitive == "exp"]
    assert len(part.kernels) == 2 and len(writers) == 1


# ------------------------------------------------------------------ program structure

def test_outputs_alias_inputs_constants_literals_and_each_other():
    c = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = ir.Builder()
    x = b.input(S((2, 3), f32))
    k = b.constant(c, S((2, 3), f32))
    y = eqn(b, "add", x, k)
    prog = b.build([x, y, k, y, ir.literal(2.5, f32), x, eqn(b, "reshape", y, new_sizes=(3, 2))])
    xs = np.ones((2, 3), np.float32)
    ex = check(prog, [xs])
    outs = ex(xs)
    assert outs[0] is not xs and not np.shares_memory(outs[0], xs)
    assert not np.shares_memory(outs[1], outs[3])
    outs[0][0, 0] = 99  # outputs are fresh arrays
    assert xs[0, 0] == 1


def test_program_without_equations_and_without_inputs():
    check(program([S((3,), i32)], lambda b, x: x), [np.arange(3, dtype=np.int32)])
    check(program([], lambda b: full(b, 7, (2, 2), i64)), [])
    check(program([], lambda b: eqn(b, "iota", dtype=f32, shape=(0, 4), dimension=1)), [])


def test_constants_feed_every_kind_of_kernel():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    idx = np.array([2, 0, 7, -1], np.int32)
    b = ir.Builder()
    x = b.input(S((5, 4), f32))
    wc = b.constant(w, S((4, 3), f32))
    ic = b.constant(idx, S((4,), i32))
    y = eqn(b, "dot_general", x, wc, dimension_numbers=(((1,), (0,)), ((), ())))
    g = eqn(b, "gather", y, ic, axes=(0,))
    prog = b.build([g, eqn(b, "reduce_sum", wc, axes=(0,))])
    check(prog, [rng.standard_normal((5, 4)).astype(np.float32)], rtol=1e-5)


def test_dead_code_is_skipped():
    def build(b, x):
        eqn(b, "sort", x, dimension=0, num_keys=1)  # unused
        return eqn(b, "neg", x)
    ex = check(program([S((5,), f32)], build), [np.arange(5, dtype=np.float32)])
    assert len(ex.partition.kernels) == 1


# ------------------------------------------------------------------ runtime

def test_argument_errors_name_the_input():
    ex = lower(program([S((3,), f32), S((2,), i32)], lambda b, x, y: x))
    with pytest.raises(TypeError, match="takes 2 inputs, got 1"):
        ex(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match=r"input 1: expected int32\[2\], got int64\[2\]"):
        ex(np.zeros(3, np.float32), np.zeros(2, np.int64))
    with pytest.raises(TypeError, match=r"input 0: expected float32\[3\], got float32\[4\]"):
        ex(np.zeros(4, np.float32), np.zeros(2, np.int32))


def test_non_contiguous_readonly_and_list_inputs():
    ex = lower(program([S((3, 4), f32)], lambda b, x: eqn(b, "neg", x)))
    strided = np.arange(48, dtype=np.float32).reshape(6, 8)[::2, 1:8:2]
    transposed = np.arange(12, dtype=np.float32).reshape(4, 3).T
    readonly = np.arange(12, dtype=np.float32).reshape(3, 4)
    readonly.flags.writeable = False
    for a in (strided, transposed, readonly):
        np.testing.assert_array_equal(ex(a)[0], -a)
    nested = [[np.float32(1)] * 4] * 3  # array-likes are converted, dtype permitting
    np.testing.assert_array_equal(ex(nested)[0], -np.ones((3, 4), np.float32))


def test_ir_and_asm_are_exposed():
    ex = lower(program([S((1024,), f32)] * 2, lambda b, x, y: eqn(b, "add", x, y)))
    assert "define void @fnx_entry" in ex.llvm_ir
    assert "<16 x float>" in ex.llvm_ir or "<8 x float>" in ex.llvm_ir  # the loop vectorised
    assert "fnx_entry" in ex.asm


def test_concurrent_calls_do_not_share_intermediates():
    def build(b, x):
        y = eqn(b, "cumsum", x, axis=0, reverse=False)  # an arena intermediate
        return eqn(b, "cumsum", y, axis=0, reverse=True)
    prog = program([S((200_000,), f64)], build)
    ex = lower(prog)
    inputs = [np.full(200_000, float(i)) for i in range(4)]
    want = [ex(x)[0] for x in inputs]
    errors = []

    def work(i):
        for _ in range(5):
            if not np.array_equal(ex(inputs[i])[0], want[i]):
                errors.append(i)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_machine_code_is_cached_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("FNX_CACHE_DIR", str(tmp_path))
    prog = program([S((100,), f64)], lambda b, x: eqn(b, "sin", eqn(b, "cumsum", x, axis=0, reverse=True)))
    first = lower(prog)
    files = sorted(p.name for p in (tmp_path / "cpu").iterdir())
    assert len(files) == 2 and files[0].endswith(".ll") and files[1].endswith(".o")
    x = np.linspace(0, 1, 100)
    second = lower(prog)  # loads the object file instead of compiling
    np.testing.assert_array_equal(first(x)[0], second(x)[0])
    assert second.llvm_ir == first.llvm_ir and "fnx_entry" in second.asm
    monkeypatch.setenv("FNX_CACHE_DIR", "")
    assert lower(prog)(x)[0].shape == (100,)  # cache off


def test_disk_cache_is_bounded_least_recently_used_first(tmp_path, monkeypatch):
    monkeypatch.setenv("FNX_CACHE_DIR", str(tmp_path))
    progs = [program([S((n,), f64)], lambda b, x: eqn(b, "sin", x)) for n in (10, 11, 12)]
    lower(progs[0])
    entry = sum(p.stat().st_size for p in (tmp_path / "cpu").iterdir())
    # room for two entries: the third compile evicts the least recently used one
    monkeypatch.setenv("FNX_CACHE_MAX_MB", str(2.5 * entry / 2**20))
    lower(progs[1])
    os.utime(next((tmp_path / "cpu").glob("*.o")), (1, 1))  # make some entry the oldest
    oldest = min((tmp_path / "cpu").glob("*.o"), key=lambda p: p.stat().st_mtime).name
    lower(progs[2])
    left = sorted(p.name for p in (tmp_path / "cpu").glob("*.o"))
    assert len(left) == 2 and oldest not in left


def test_updates_happen_in_place_when_the_operand_dies():
    """x -> exp -> dynamic_update_slice -> scatter_add: the updates reuse exp's buffer."""
    def build(b, x, u, i):
        y = eqn(b, "exp", x)
        y = eqn(b, "dynamic_update_slice", y, u, i)
        y = eqn(b, "scatter_add", y, u, eqn(b, "broadcast_in_dim", i, shape=(3,), broadcast_dimensions=()),
                axes=(0,), mode="drop")
        return eqn(b, "neg", y)
    prog = program([S((1000,), f64), S((3,), f64), S((), i32)], build)
    x, upd = np.linspace(0, 1, 1000), np.array([5.0, 6.0, 7.0])
    ex = check(prog, [x, upd, np.array(998, np.int32)], ulp=MAX_ULP)
    in_place = {ex.partition.kernels[k].root.primitive for k in ex.plan.in_place}
    assert in_place == {"dynamic_update_slice", "scatter_add"}
    assert ex.plan.arena_size <= 8000 + 2 * 64  # one [1000] buffer (and the [3] indices)
    assert "i64 8000, i1 false)" not in ex.llvm_ir  # no copy of the whole array


def test_a_kernel_never_reads_what_it_is_writing():
    """j is stored by the kernel computing reshape(j): that kernel must compute j, not load it
    (found by the random-program test); values a kernel must load are never its outputs."""
    def build(b, x):
        j = eqn(b, "iota", dtype=i32, shape=(3,), dimension=0)
        flat = eqn(b, "add", x, x)
        back = eqn(b, "reshape", eqn(b, "reshape", flat, new_sizes=(2, 3)), new_sizes=(6,))
        return [eqn(b, "reshape", j, new_sizes=(3,)), j, eqn(b, "mul", back, flat)]
    check(program([S((6,), i32)], build), [np.arange(6, dtype=np.int32)])


def test_unoptimised_and_concurrent_lowering():
    prog = program([S((50,), f32)], lambda b, x: eqn(b, "reduce_sum", eqn(b, "mul", x, x), axes=(0,)))
    x = np.arange(50, dtype=np.float32)
    want = lower(prog)(x)[0]
    slow = CPUBackend().lower(prog, LoweringOptions(optimize=False, extra={"cache": False}))
    np.testing.assert_allclose(slow(x)[0], want, rtol=1e-6)
    results = []

    def work():
        ex = CPUBackend().lower(prog, LoweringOptions(extra={"cache": False}))
        results.append(ex(x)[0])
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(np.allclose(r, want) for r in results)


