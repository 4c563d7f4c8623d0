"""Transform laws as hypothesis properties over random programs: for random chains of
differentiable primitives, <vjp(u), v> == <u, jvp(v)> (the linear part is transposed
exactly), jvp agrees with linearize, and both agree with finite differences."""
import pytest
import numpy as np
from hypothesis import given, settings, strategies as st

import fnx
from fnx import lax
from fnx.testing import numerical_jvp

N = 6  # every step maps f64[N] -> f64[N]
RNG = np.random.default_rng(1234)
W = RNG.standard_normal((N, N)) / N
IDX = np.array([5, 0, 3, 3, 1, 2])


def _dot(x):
    return lax.dot_general(W, x, (((1,), (0,)), ((), ())))


STEPS = [
    ("sin", lax.sin),
    ("tanh", lax.tanh),
    ("exp", lambda x: lax.exp(lax.mul(x, lax.full((N,), 0.3, np.float64)))),
    ("logistic", lax.logistic),
    ("square", lambda x: lax.integer_pow(x, 2)),
    ("mul_self", lambda x: lax.mul(x, lax.rev(x, (0,)))),
    ("dot", _dot),
    ("cumsum", lambda x: lax.cumsum(x, 0)),
    ("cumprod", lambda x: lax.cumprod(lax.mul(x, lax.full((N,), 0.5, np.float64)), 0)),
    ("reshape_T", lambda x: lax.reshape(lax.transpose(lax.reshape(x, (2, 3)), (1, 0)), (N,))),
    ("slice_pad", lambda x: lax.pad(lax.slice(x, (1,), (N,), (2,)), lax.reduce_sum(x, (0,)),
                                    ((0, 1, 1),))),
    ("concat", lambda x: lax.concatenate([lax.slice(x, (3,), (N,)), lax.neg(lax.slice(x, (0,), (3,)))], 0)),
    ("gather", lambda x: lax.gather(x, [IDX], (0,))),
    ("scatter_add", lambda x: lax.scatter_add(x, x, [IDX], (0,))),
    ("bcast_sum", lambda x: lax.reduce_sum(lax.broadcast_in_dim(x, (2, N), (1,)), (0,))),
    ("max", lambda x: lax.max(x, lax.mul(x, lax.full((N,), 0.5, np.float64)))),
    ("select", lambda x: lax.select(lax.gt(x, lax.full((N,), 0.0, np.float64)), lax.sin(x), lax.cos(x))),
    ("div", lambda x: lax.div(x, lax.add(lax.mul(x, x), lax.full((N,), 1.0, np.float64)))),
    ("sort", lambda x: lax.sort(x, 0)),
    ("dus", lambda x: lax.dynamic_update_slice(x, lax.sin(lax.slice(x, (0,), (2,))), (np.int32(3),))),
]


def _compose(ids):
    def f(x):
        for i in ids:
            x = STEPS[i][1](x)
        return x
    return f


PROGRAMS = st.lists(st.integers(0, len(STEPS) - 1), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None)
@given(ids=PROGRAMS, seed=st.integers(0, 2**31 - 1))
def test_transpose_identity(ids, seed):
    f = _compose(ids)
    rng = np.random.default_rng(seed)
    x, v, u = (rng.uniform(-1, 1, N) for _ in range(3))
    _, jv = fnx.jvp(f, (x,), (v,))
    _, vjp_fn = fnx.vjp(f, x)
    (ct,) = vjp_fn(u)
    lhs, rhs = float(np.dot(ct, v)), float(np.dot(u, jv))
    assert np.isclose(lhs, rhs, rtol=1e-10, atol=1e-12), ([STEPS[i][0] for i in ids], lhs, rhs)
    _, f_jvp = fnx.linearize(f, x)
    np.testing.assert_allclose(f_jvp(v), jv, rtol=1e-12, atol=1e-14)


@settings(max_examples=10, deadline=None)
@given(ids=PROGRAMS, seed=st.integers(0, 2**31 - 1))
def test_jvp_matches_finite_differences(ids, seed):
    f = _compose(ids)
    rng = np.random.default_rng(seed)
    x, v = rng.uniform(-1, 1, N), rng.uniform(-1, 1, N)
    _, jv = fnx.jvp(f, (x,), (v,))
    fd = numerical_jvp(f, (x,), (v,), eps=1e-6)
    # kinks (max, select, sort) may sit between x - eps and x + eps: rare, tolerate by
    # comparing against one-sided differences too
    if not np.allclose(jv, fd, rtol=1e-5, atol=1e-6):
        fwd = (f(x + 1e-7 * v) - f(x)) / 1e-7
        assert np.allclose(jv, fwd, rtol=1e-4, atol=1e-5), [STEPS[i][0] for i in ids]


@settings(max_examples=10, deadline=None)
@given(ids=PROGRAMS)
def test_jit_of_grad_matches_eager(ids):
    f = _compose(ids)
    loss = lambda x: lax.reduce_sum(f(x), (0,))
    x = np.linspace(-0.9, 0.8, N)
    np.testing.assert_allclose(fnx.jit(fnx.grad(loss))(x), fnx.grad(loss)(x), rtol=1e-12,
                               atol=1e-14)


def test_ir_level_transforms_verify_and_agree():
    import fnx_ir
    from fnx._core import ad
    from fnx.backends.interpreter import evaluate
    f = _compose([0, 6, 8, 12, 16])
    x, v, u = (RNG.uniform(-1, 1, N) for _ in range(3))
    p = fnx.make_ir(f)(x)
    j, nonzero = ad.jvp_program(p, [True])
    fnx_ir.verify(j)
    assert nonzero == [True]
    out, jv = evaluate(j, [x, v])
    np.testing.assert_allclose(jv, fnx.jvp(f, (x,), (v,))[1], rtol=1e-13)
    vp = ad.vjp_program(p, [True])
    fnx_ir.verify(vp)
    out2, ct = evaluate(vp, [x, u])
    np.testing.assert_allclose(out2, out)
    np.testing.assert_allclose(ct, fnx.vjp(f, x)[1](u)[0], rtol=1e-13)
    assert np.isclose(np.dot(ct, v), np.dot(u, jv), rtol=1e-12)
    pe, _, _ = ad.linearize_program(p, [True])
    fnx_ir.verify(pe.known)
    fnx_ir.verify(pe.unknown)


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
