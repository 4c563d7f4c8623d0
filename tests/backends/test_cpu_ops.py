"""The CPU backend on the non-elementwise primitives: reductions, shape ops, dot_general,
indexing (gather/scatter/dynamic slices, with out-of-range indices), sort and scans."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import fnx_ir as ir
from test_cpu import ALL, NUMERIC, S, check, eqn, f32, f64, full, i32, i64, program, rand, u32

RNG = np.random.default_rng(0)


def args_for(types, special=True):
    return [rand(RNG, t.shape, t.dtype, special) for t in types]


def run(types, fn, args=None, **kw):
    return check(program(types, fn), args if args is not None else args_for(types), **kw)


def tol(dt, sums=True):
    """Float sums are reassociated (vectorised), so they match to rounding, not bit for bit."""
    return {"rtol": 2e-5 if dt is f32 else 1e-12} if dt.is_float and sums else {}


# ------------------------------------------------------------------ reductions

REDUCTIONS = ["reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_and", "reduce_or"]


REDUCTION_CASES = [(name, dt) for name in REDUCTIONS for dt in ALL
                   if name in ("reduce_max", "reduce_min")
                   or (name in ("reduce_and", "reduce_or")) == dt.is_bool]


@pytest.mark.parametrize("name,dt", REDUCTION_CASES, ids=lambda c: getattr(c, "name", c))
def test_reductions_every_axes_subset(name, dt):
    """All subsets of axes of a rank-3 array (one program), plus empty and scalar operands.

    max/min reductions follow IEEE maximum/minimum (-0 < +0); numpy's result for a ±0 tie
    depends on its evaluation order, so the sign of a zero result is not compared."""
    shape = (3, 4, 17)
    subsets = [a for r in range(4) for a in itertools.combinations(range(3), r)]
    types = [S(shape, dt), S((3, 0, 5), dt), S((), dt), S((1, 1), dt)]

    def build(b, x, empty, scalar, ones):
        outs = [eqn(b, name, x, axes=a) for a in subsets]
        return outs + [eqn(b, name, empty, axes=(1,)), eqn(b, name, empty, axes=(0, 2)),
                       eqn(b, name, scalar, axes=()), eqn(b, name, ones, axes=(0, 1))]
    args = args_for(types, special=name not in ("reduce_sum", "reduce_prod"))
    if name == "reduce_prod" and dt.is_float:
        args[0] = (1 + 0.1 * RNG.standard_normal(shape)).astype(dt.np)
    run(types, build, args, signed_zeros=False, **tol(dt, name in ("reduce_sum", "reduce_prod")))


@pytest.mark.parametrize("dt", [f32, f64], ids=lambda d: d.name)
def test_max_reduction_propagates_nan(dt):
    x = RNG.standard_normal((4, 50)).astype(dt.np)
    x[1, 7] = np.nan
    x[2, 49] = np.nan
    x[3, :] = -np.inf
    run([S(x.shape, dt)], lambda b, x: [eqn(b, "reduce_max", x, axes=(1,)),
                                        eqn(b, "reduce_min", x, axes=(1,)),
                                        eqn(b, "reduce_max", x, axes=(0,))], [x])


def test_large_sum_is_accurate():
    x = RNG.random(1 << 20).astype(np.float32)
    ex = run([S(x.shape, f32)], lambda b, x: eqn(b, "reduce_sum", x, axes=(0,)), [x], rtol=1e-5)
    assert abs(float(ex(x)[0]) - x.astype(np.float64).sum()) < 1e-5 * x.size


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_argminmax(name, dt):
    types = [S((5, 6, 7), dt)]
    x = args_for(types)[0]
    if dt.is_float:
        x[0, 2, :] = np.nan  # the first NaN wins
        x[1, :, 3] = x[1, 0, 3]  # ties: the first index wins
    run(types, lambda b, x: [eqn(b, name, x, axis=a, index_dtype=t)
                             for a in range(3) for t in (i32, i64, u32)], [x])


# ------------------------------------------------------------------ shape ops

@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_shape_ops(dt):
    types = [S((2, 3, 4), dt), S((4,), dt), S((1, 3), dt), S((2, 0, 4), dt)]

    def build(b, x, v, r, z):
        return [
            eqn(b, "broadcast_in_dim", v, shape=(3, 2, 4), broadcast_dimensions=(2,)),
            eqn(b, "broadcast_in_dim", r, shape=(2, 5, 3), broadcast_dimensions=(1, 2)),
            eqn(b, "broadcast_in_dim", x, shape=(2, 3, 4), broadcast_dimensions=(0, 1, 2)),
            eqn(b, "transpose", x, permutation=(2, 0, 1)),
            eqn(b, "reshape", x, new_sizes=(4, 6)),
            eqn(b, "reshape", eqn(b, "transpose", x, permutation=(1, 0, 2)), new_sizes=(24,)),
            eqn(b, "squeeze", r, dimensions=(0,)),
            eqn(b, "expand_dims", v, dimensions=(0, 2)),
            eqn(b, "rev", x, dimensions=(0, 2)),
            eqn(b, "slice", x, start_indices=(1, 0, 1), limit_indices=(2, 3, 4), strides=(1, 2, 2)),
            eqn(b, "concatenate", x, z, x, dimension=1),
            eqn(b, "concatenate", v, v, dimension=0),
            eqn(b, "pad", x, ir.literal(1, dt), padding_config=((1, 2, 0), (-1, 1, 2), (0, -2, 1))),
            eqn(b, "pad", v, eqn(b, "reduce_max", v, axes=(0,)), padding_config=((-5, 3, 1),)),
            eqn(b, "transpose", z, permutation=(1, 2, 0)),
        ]
    run(types, build)


@pytest.mark.parametrize("dt", NUMERIC, ids=lambda d: d.name)
def test_iota(dt):
    run([], lambda b: [eqn(b, "iota", dtype=dt, shape=(3, 5), dimension=d) for d in (0, 1)]
        + [eqn(b, "iota", dtype=dt, shape=(0,), dimension=0)])


def test_views_fuse_into_one_loop():
    """transpose/broadcast/rev/slice of inputs cost addresses, not kernels."""
    def build(b, x, v):
        t = eqn(b, "transpose", x, permutation=(1, 0))
        s = eqn(b, "slice", eqn(b, "rev", t, dimensions=(0,)), start_indices=(0, 1),
                limit_indices=(6, 5), strides=(1, 1))
        return eqn(b, "add", s, eqn(b, "broadcast_in_dim", v, shape=(6, 4), broadcast_dimensions=(0,)))
    ex = run([S((5, 6), f32), S((6,), f32)], build)
    assert len(ex.partition.kernels) == 1


def test_transposes_are_tiled_including_ragged_edges():
    def build(b, x, y):
        t = eqn(b, "transpose", x, permutation=(2, 1, 0))
        return [t, eqn(b, "add", t, eqn(b, "transpose", y, permutation=(1, 0, 2)))]
    ex = run([S((70, 3, 33), f64), S((3, 33, 70), f64)], build)
    assert "x double>" in ex.llvm_ir


def test_contiguous_loops_are_merged():
    """A [64, 3] map is one flat loop of 192 (so it vectorises); a [64, 3] + broadcast [3] is not."""
    from fnx.backends.cpu.schedule.indexing import identity_index, linear, merge_dims
    ix = identity_index((64, 3))
    assert merge_dims((64, 3), [linear(ix, (64, 3))]) == [[0, 1]]
    assert merge_dims((64, 3), [linear(ix, (64, 3)), linear(ix[1:], (3,))]) == [[0], [1]]
    ix = identity_index((64, 1, 3))
    assert merge_dims((64, 1, 3), [linear(ix, (64, 1, 3))]) == [[0, 2]]  # size-1 dims are skipped
    ex = run([S((64, 3), f32)] * 2, lambda b, x, y: eqn(b, "mul", x, y))
    assert "x float>" in ex.llvm_ir


# ------------------------------------------------------------------ dot_general

DOTS = [
    ((3, 4), (4, 5), (((1,), (0,)), ((), ()))),
    ((4, 3), (5, 4), (((0,), (1,)), ((), ()))),
    ((2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,)))),
    ((3, 2, 4), (4, 5, 2), (((2,), (0,)), ((1,), (2,)))),
    ((6,), (6,), (((0,), (0,)), ((), ()))),
    ((3, 4, 2), (4, 2, 5), (((1, 2), (0, 1)), ((), ()))),
    ((3,), (5,), (((), ()), ((), ()))),
    ((0, 4), (4, 5), (((1,), (0,)), ((), ()))),
    ((3, 0), (0, 5), (((1,), (0,)), ((), ()))),
]


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_dot_general(dt):
    types = [S(s, dt) for lhs, rhs, _ in DOTS for s in (lhs, rhs)]

    def build(b, *ins):
        return [eqn(b, "dot_general", ins[2 * i], ins[2 * i + 1], dimension_numbers=dn)
                for i, (_, _, dn) in enumerate(DOTS)]
    run(types, build, args_for(types, special=False), **tol(dt))


# ------------------------------------------------------------------ indexing

@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_gather_clamps_indices(dt):
    types = [S((5, 3, 4), dt), S((6,), i32), S((2, 3), i64), S((2, 3), u32)]
    args = args_for(types[:1]) + [np.array([0, 4, -3, 9, 2, 2**31 - 1], np.int32),
                                  np.array([[0, 4, -3], [9, 1, -2**63]]),
                                  np.array([[0, 1, 7], [2**32 - 1, 3, 2]], np.uint32)]

    def build(b, x, i, j, k):
        j2 = eqn(b, "rev", j, dimensions=(1,))
        return [eqn(b, "gather", x, i, axes=(0,)), eqn(b, "gather", x, j, j2, axes=(2, 1)),
                eqn(b, "gather", x, k, axes=(0,))]
    run(types, build, args)


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_dynamic_slices_clamp_starts(dt):
    types = [S((5, 3), dt), S((2, 2), dt), S((), i32), S((), i64), S((), u32)]
    for starts in [(4, 1, 7), (-4, -2**62, 0), (0, 0, 2**32 - 1), (1, 2, 1)]:
        args = args_for(types[:2]) + [np.array(s, t.dtype.np) for s, t in zip(starts, types[2:])]

        def build(b, x, u, s0, s1, s2):
            return [eqn(b, "dynamic_slice", x, s0, s1, slice_sizes=(2, 2)),
                    eqn(b, "dynamic_slice", x, s2, s0, slice_sizes=(5, 0)),
                    eqn(b, "dynamic_update_slice", x, u, s0, s1),
                    eqn(b, "dynamic_update_slice", x, u, s2, ir.literal(-1, i32))]
        run(types, build, args)


SCATTERS = ["scatter", "scatter_add", "scatter_mul", "scatter_min", "scatter_max"]


@pytest.mark.parametrize("name", SCATTERS)
@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_scatter_modes(name, dt):
    """Repeated and out-of-range indices, both modes, one and two indexed axes."""
    types = [S((5, 3), dt), S((6, 3), dt), S((6,), i32), S((2, 2), dt), S((2, 2), i64)]
    idx = np.array([0, 4, -3, 0, 7, 4], np.int32)
    idx2 = np.array([[0, 9], [2, 2]])
    args = args_for(types[:2]) + [idx] + args_for(types[3:4]) + [idx2]

    def build(b, x, upd, i, upd2, j):
        return [eqn(b, name, x, upd, i, axes=(0,), mode=m) for m in ("clip", "drop")] + \
               [eqn(b, name, x, upd2, j, eqn(b, "rev", j, dimensions=(1,)), axes=(1, 0), mode=m)
                for m in ("clip", "drop")]
    run(types, build, args)


# ------------------------------------------------------------------ sort and scans

@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_sort_stable_nan_last(dt):
    n = 37
    types = [S((3, n), dt), S((3, n), i32), S((n, 2), dt), S((n, 2), dt), S((n, 2), i64)]
    keys = args_for(types[:1])[0]
    if not dt.is_bool:
        keys[:, ::3] = keys[:, 1:2]  # many ties: stability matters
    pair = [RNG.integers(0, 3, (n, 2)).astype(dt.np), args_for(types[3:4])[0]]
    args = [keys, np.arange(3 * n, dtype=np.int32).reshape(3, n)] + pair + [np.arange(2 * n).reshape(n, 2)]

    def build(b, k, v, k1, k2, w):
        return (eqn(b, "sort", k, v, dimension=1, num_keys=1)
                + eqn(b, "sort", k1, k2, w, dimension=0, num_keys=2))
    run(types, build, args)


def test_sort_sizes():
    for n in (0, 1, 2, 3, 64, 1000):
        x = RNG.standard_normal((2, n)).astype(np.float32)
        run([S(x.shape, f32)], lambda b, x: eqn(b, "sort", x, dimension=1, num_keys=1), [x])


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cummax", "cummin"])
@pytest.mark.parametrize("dt", NUMERIC, ids=lambda d: d.name)
def test_cumulative(name, dt):
    types = [S((4, 9, 3), dt), S((0, 2), dt)]

    def build(b, x, z):
        return [eqn(b, name, x, axis=a, reverse=r) for a in range(3) for r in (False, True)] + \
               [eqn(b, name, z, axis=0, reverse=False)]
    run(types, build, args_for(types, special=name in ("cummax", "cummin")))


# ------------------------------------------------------------------ composites

def test_mlp_training_step():
    batch, width = 16, 32

    def build(b, x, w1, w2, b1_):
        dn = (((1,), (0,)), ((), ()))
        z = eqn(b, "add", eqn(b, "dot_general", x, w1, dimension_numbers=dn),
                eqn(b, "broadcast_in_dim", b1_, shape=(batch, width), broadcast_dimensions=(1,)))
        h = eqn(b, "max", z, full(b, 0.0, (batch, width), f32))
        y = eqn(b, "dot_general", h, w2, dimension_numbers=dn)
        loss = eqn(b, "reduce_sum", eqn(b, "mul", y, y), axes=(0, 1))
        gy = eqn(b, "mul", y, full(b, 2.0, y.type.shape, f32))
        gw2 = eqn(b, "dot_general", h, gy, dimension_numbers=(((0,), (0,)), ((), ())))
        gh = eqn(b, "dot_general", gy, w2, dimension_numbers=(((1,), (1,)), ((), ())))
        zero = full(b, 0.0, z.type.shape, f32)
        gz = eqn(b, "select", eqn(b, "gt", z, zero), gh, zero)
        gw1 = eqn(b, "dot_general", x, gz, dimension_numbers=(((0,), (0,)), ((), ())))
        gb1 = eqn(b, "reduce_sum", gz, axes=(0,))
        lr = full(b, 0.01, (width, width), f32)
        return [loss, eqn(b, "sub", w1, eqn(b, "mul", gw1, lr)), gw2, gb1]
    types = [S((batch, width), f32), S((width, width), f32), S((width, 4), f32), S((width,), f32)]
    run(types, build, [0.3 * RNG.standard_normal(t.shape).astype(np.float32) for t in types], rtol=1e-4)


