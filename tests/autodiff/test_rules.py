"""Every primitive's derivative rules: check_grads to order 2 (forward and reverse, against
central finite differences in float64) at random points away from kinks, and a table test
that every primitive has a jvp rule and every linear one a transpose rule."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx_ir
from fnx import lax
from fnx.testing import check_grads

SEEDS = st.integers(0, 2**31 - 1)
FEW = settings(max_examples=4, deadline=None)


def _u(rng, lo, hi, shape=(3,)):
    return rng.uniform(lo, hi, shape)


def _away_from_zero(rng, shape=(3,)):
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


# name -> (function, argument maker(rng))
UNARY_DOMAINS = {
    "neg": (-2, 2), "exp": (-2, 2), "exp2": (-2, 2), "expm1": (-2, 2), "log": (0.3, 3),
    "log2": (0.3, 3), "log1p": (-0.6, 3), "sqrt": (0.3, 3), "rsqrt": (0.3, 3),
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "asin": (-0.7, 0.7),
    "acos": (-0.7, 0.7), "atan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2), "tanh": (-2, 2),
    "asinh": (-3, 3), "acosh": (1.2, 3), "atanh": (-0.7, 0.7), "logistic": (-4, 4),
    "erf": (-2, 2), "erfc": (-2, 2), "erf_inv": (-0.7, 0.7),
}
CASES = {}
for _n, (_lo, _hi) in UNARY_DOMAINS.items():
    CASES[_n] = (getattr(lax, _n), lambda rng, lo=_lo, hi=_hi: (_u(rng, lo, hi, (2, 3)),))
CASES.update({
    "abs": (lax.abs, lambda rng: (_away_from_zero(rng),)),
    "cbrt": (lax.cbrt, lambda rng: (_away_from_zero(rng),)),
    "sign": (lax.sign, lambda rng: (_away_from_zero(rng),)),
    "floor": (lax.floor, lambda rng: (rng.integers(-3, 3, 4) + _u(rng, 0.2, 0.8, 4),)),
    "ceil": (lax.ceil, lambda rng: (rng.integers(-3, 3, 4) + _u(rng, 0.2, 0.8, 4),)),
    "round": (lax.round, lambda rng: (rng.integers(-3, 3, 4) + _u(rng, 0.1, 0.4, 4),)),
    "add": (lax.add, lambda rng: (_u(rng, -2, 2), _u(rng, -2, 2))),
    "sub": (lax.sub, lambda rng: (_u(rng, -2, 2), _u(rng, -2, 2))),
    "mul": (lax.mul, lambda rng: (_u(rng, -2, 2), _u(rng, -2, 2))),
    "div": (lax.div, lambda rng: (_u(rng, -2, 2), _away_from_zero(rng))),
    "rem": (lax.rem, lambda rng: (lambda y: (y * (rng.integers(-2, 3, 3) + _u(rng, 0.2, 0.8)), y))(
        _away_from_zero(rng))),
    "pow": (lax.pow, lambda rng: (_u(rng, 0.4, 2.5), _u(rng, -2, 2))),
    "atan2": (lax.atan2, lambda rng: (_away_from_zero(rng), _away_from_zero(rng))),
    "max": (lax.max, lambda rng: (lambda x: (x, x + _away_from_zero(rng)))(_u(rng, -2, 2))),
    "min": (lax.min, lambda rng: (lambda x: (x, x + _away_from_zero(rng)))(_u(rng, -2, 2))),
    "integer_pow": (lambda x: lax.integer_pow(x, 3) + lax.integer_pow(x, -2)
                    + lax.integer_pow(x, 2) + lax.integer_pow(x, 1) + lax.integer_pow(x, 0),
                    lambda rng: (_away_from_zero(rng),)),
    "select": (lambda a, b: lax.select(np.array([True, False, True]), a, b),
               lambda rng: (_u(rng, -2, 2), _u(rng, -2, 2))),
    "clamp": (lambda lo, x, hi: lax.clamp(lo, x, hi),
              lambda rng: (np.float64(-0.5), np.array([-1.0, 0.1, 0.3, 2.0]) + _u(rng, -.05, .05, 4),
                           np.float64(1.0))),
    # f64 -> weak f64 is a real conversion without rounding: finite differences stay exact
    # (through float32 they would see a staircase; see test_convert_rounding_gradient)
    "convert_element_type": (lambda x: lax.convert_element_type(x, np.float64, weak=True) * x,
                             lambda rng: (_u(rng, -2, 2),)),
    "broadcast_in_dim": (lambda x: lax.broadcast_in_dim(x, (2, 3, 4), (0, 2)),
                         lambda rng: (_u(rng, -2, 2, (2, 4)),)),
    "reshape": (lambda x: lax.reshape(x, (3, 2)), lambda rng: (_u(rng, -2, 2, (2, 3)),)),
    "transpose": (lambda x: lax.transpose(x, (2, 0, 1)), lambda rng: (_u(rng, -2, 2, (2, 3, 4)),)),
    "squeeze": (lambda x: lax.squeeze(x, (1,)), lambda rng: (_u(rng, -2, 2, (2, 1, 3)),)),
    "expand_dims": (lambda x: lax.expand_dims(x, (0, 2)), lambda rng: (_u(rng, -2, 2, (2, 3)),)),
    "rev": (lambda x: lax.rev(x, (1,)) * x, lambda rng: (_u(rng, -2, 2, (2, 3)),)),
    "concatenate": (lambda a, b: lax.concatenate([a, b, a], 1),
                    lambda rng: (_u(rng, -2, 2, (2, 3)), _u(rng, -2, 2, (2, 1)))),
    "pad": (lambda x, v: lax.pad(x, v, ((1, -1, 1), (-1, 2, 0))),
            lambda rng: (_u(rng, -2, 2, (3, 3)), np.float64(rng.uniform(-1, 1)))),
    "reduce_sum": (lambda x: lax.reduce_sum(x, (0, 2)), lambda rng: (_u(rng, -2, 2, (2, 3, 2)),)),
    "reduce_prod": (lambda x: lax.reduce_prod(x, (1,)),
                    lambda rng: (np.concatenate([_u(rng, -2, 2, (2, 2)), np.zeros((2, 1)),
                                                 _u(rng, -2, 2, (2, 1))], 1),)),
    "reduce_max": (lambda x: lax.reduce_max(x, (1,)),
                   lambda rng: (rng.permutation(12).reshape(3, 4) * 0.5 + _u(rng, 0, .1, (3, 4)),)),
    "reduce_min": (lambda x: lax.reduce_min(x, (0,)),
                   lambda rng: (rng.permutation(12).reshape(3, 4) * 0.5 + _u(rng, 0, .1, (3, 4)),)),
    "cumsum": (lambda x: lax.cumsum(x, 1, reverse=True), lambda rng: (_u(rng, -2, 2, (2, 4)),)),
    "name": (lambda x: fnx.ad_checkpoint.checkpoint_name(x * x, "n") * x,
             lambda rng: (_u(rng, -2, 2, (2, 3)),)),
    "cumprod": (lambda x: lax.cumprod(x, 0) + lax.cumprod(x, 0, reverse=True),
                lambda rng: (np.concatenate([_u(rng, -2, 2, (2, 2)), np.zeros((1, 2)),
                                             _u(rng, -2, 2, (4, 2))]),)),
    "cummax": (lambda x: lax.cummax(x, 0) + lax.cummax(x, 0, reverse=True),
               lambda rng: (rng.permutation(7) * 0.5 + _u(rng, 0, .1, 7),)),
    "cummin": (lambda x: lax.cummin(x, 0) + lax.cummin(x, 0, reverse=True),
               lambda rng: (rng.permutation(7) * 0.5 + _u(rng, 0, .1, 7),)),
    "dot_general": (lambda a, b: lax.dot_general(a, b, (((0, 2), (2, 1)), ((1,), (0,)))),
                    lambda rng: (_u(rng, -2, 2, (4, 2, 3)), _u(rng, -2, 2, (2, 3, 4, 2)))),
    "slice": (lambda x: lax.slice(x, (1, 0), (4, 5), (2, 2)), lambda rng: (_u(rng, -2, 2, (5, 5)),)),
    "dynamic_slice": (lambda x: lax.dynamic_slice(x, (np.int32(1), np.int32(7)), (2, 2)),
                      lambda rng: (_u(rng, -2, 2, (4, 4)),)),
    "dynamic_update_slice": (lambda x, u: lax.dynamic_update_slice(x, u, (np.int64(-3), np.int64(1))),
                             lambda rng: (_u(rng, -2, 2, (4, 4)), _u(rng, -2, 2, (2, 2)))),
    "gather": (lambda x: lax.gather(x, [np.array([[0, 2], [5, -1]])], (1,)),
               lambda rng: (_u(rng, -2, 2, (2, 3)),)),
    "scatter_add": (lambda x, u: lax.scatter_add(x, u, [np.array([0, 2, 0, 7])], (0,), "drop")
                    + lax.scatter_add(x, u, [np.array([0, 2, 0, 7])], (0,), "clip"),
                    lambda rng: (_u(rng, -2, 2, (3, 2)), _u(rng, -2, 2, (4, 2)))),
    "scatter": (lambda x, u: lax.scatter(x, u, [np.array([0, 2, 0, 7])], (0,), "drop")
                + lax.scatter(x, u, [np.array([0, 2, 0, 7])], (0,), "clip"),
                lambda rng: (_u(rng, -2, 2, (4, 2)), _u(rng, -2, 2, (4, 2)))),
    "scatter_mul": (lambda x, u: lax.scatter_mul(x, u, [np.array([0, 2, 0, 1])], (0,), "drop"),
                    lambda rng: (_u(rng, -2, 2, (4,)), np.array([0.0, rng.uniform(-2, 2), 0.0,
                                                                 rng.uniform(-2, 2)]))),
    "scatter_max": (lambda x, u: lax.scatter_max(x, u, [np.array([0, 2, 0, 7])], (0,), "drop"),
                    lambda rng: (rng.permutation(4) * 1.0 + _u(rng, 0, .1, 4),
                                 rng.permutation(4) + 0.5 + _u(rng, 0, .1, 4))),
    "scatter_min": (lambda x, u: lax.scatter_min(x, u, [np.array([0, 2, 0, 7])], (0,), "clip"),
                    lambda rng: (rng.permutation(4) * 1.0 + _u(rng, 0, .1, 4),
                                 rng.permutation(4) + 0.5 + _u(rng, 0, .1, 4))),
    "sort": (lambda x, y: lax.sort([x, y], 0, num_keys=1)[0] * lax.sort([x, y], 0, num_keys=1)[1],
             lambda rng: (rng.permutation(6) * 0.5 + _u(rng, 0, .1, 6), _u(rng, -2, 2, 6))),
})

@pytest.mark.parametrize("name", sorted(CASES))
@FEW
@given(seed=SEEDS)
def test_check_grads_order_2(name, seed):
    fn, make = CASES[name]
    args = make(np.random.default_rng(seed))
    # a wrong rule is off by O(1); 1e-4 leaves room for finite-difference truncation error
    # (eps = 1e-4) where third derivatives are large
    check_grads(fn, args, order=2, atol=1e-4, rtol=1e-4)


def test_convert_rounding_gradient():
    """Through a float32 round trip the derivative is the identity's, and the cotangent
    is rounded through float32 on its way back (as in JAX)."""
    x = np.array([0.1, -1.7, 3.3])
    f = lambda x: lax.reduce_sum(  # noqa: E731
        lax.convert_element_type(lax.convert_element_type(x, np.float32), np.float64) * x, (0,))
    c = x.astype(np.float32).astype(np.float64)
    np.testing.assert_array_equal(fnx.grad(f)(x), c + c)
    np.testing.assert_array_equal(fnx.hessian(f)(x), 2 * np.eye(3))


@pytest.mark.parametrize("fn, args", [
    (lax.isfinite, (np.array([1.0, np.inf]),)),
    (lambda x: lax.lt(x, x * 2), (np.array([1.0, -2.0]),)),
    (lambda x: lax.argmax(x, 0), (np.array([1.0, 3.0, 2.0]),)),
    (lambda x: lax.bitcast_convert_type(x, np.int64), (np.array([1.0, 3.0]),)),
    (lambda x: lax.convert_element_type(x, np.int32), (np.array([1.5, -3.0]),)),
    (lambda x: lax.reduce_or(lax.gt(x, x * 0.5), (0,)), (np.array([1.0, -3.0]),)),
])
def test_zero_tangent_primitives(fn, args):
    out, t = fnx.jvp(fn, args, tuple(np.ones_like(a) for a in args))
    assert not np.any(t)
    assert t.shape == np.shape(out)


def test_stop_gradient():
    assert fnx.grad(lambda x: lax.stop_gradient(x) * x)(3.0) == 3.0
    assert fnx.grad(fnx.grad(lambda x: lax.stop_gradient(x * x) * x))(3.0) == 0.0


def test_kink_conventions():
    # max/min ties split the gradient; reduce_max splits among all maxima
    g = fnx.grad(lambda x, y: lax.max(x, y), argnums=(0, 1))(1.0, 1.0)
    assert g == (0.5, 0.5)
    g = fnx.grad(lambda x: lax.reduce_max(x, (0,)))(np.array([1.0, 3.0, 3.0, 2.0]))
    np.testing.assert_array_equal(g, [0, 0.5, 0.5, 0])
    assert fnx.grad(lax.abs)(0.0) == 1.0  # JAX: +1 where x >= 0
    assert fnx.grad(lax.sqrt)(0.0) == np.inf
    assert fnx.grad(lambda y: lax.pow(0.0, y))(2.0) == 0.0  # d/dy 0**y at x = 0
    assert np.isnan(fnx.grad(lambda x: lax.pow(x, 0.0))(0.0))  # JAX: 0 * 0**-1
    lo, hi = -1.0, 1.0
    gs = [float(fnx.grad(lambda x: lax.clamp(lo, x, hi))(v)) for v in (-2.0, 0.0, 2.0)]
    assert gs == [0.0, 1.0, 0.0]
    # logistic stays finite far out; tanh' exact near saturation
    assert fnx.grad(lax.logistic)(-800.0) == 0.0
    assert np.isfinite(fnx.grad(lax.logistic)(40.0))
    # scatter (set): overwritten operand positions get no gradient, the winning update does
    x, u = np.zeros(3), np.array([1.0, 2.0])
    gx, gu = fnx.grad(lambda x, u: lax.reduce_sum(
        lax.scatter(x, u, [np.array([1, 1])], (0,)) * np.array([1., 2., 3.]), (0,)),
        argnums=(0, 1))(x, u)
    np.testing.assert_array_equal(gx, [1, 0, 3])
    np.testing.assert_array_equal(gu, [0, 2])  # last update wins


def test_sort_gradient_follows_the_permutation():
    x = np.array([3.0, 1.0, 2.0])
    g = fnx.grad(lambda x: lax.reduce_sum(lax.sort(x) * np.array([1.0, 10.0, 100.0]), (0,)))(x)
    np.testing.assert_array_equal(g, [100.0, 1.0, 10.0])


def test_against_jax_where_available():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    import fnx.numpy as fnp
    x = np.linspace(-1.5, 1.5, 7)
    with jax.enable_x64(True):  # scoped: other tests use JAX's default mode
        for f_fnx, f_jax in [(lambda x: fnp.sum(fnp.tanh(x) * fnp.sin(x) ** 2),
                              lambda x: jnp.sum(jnp.tanh(x) * jnp.sin(x) ** 2)),
                             (lambda x: fnp.max(fnp.cos(x)), lambda x: jnp.max(jnp.cos(x)))]:
            np.testing.assert_allclose(fnx.grad(f_fnx)(x), jax.grad(f_jax)(x), rtol=1e-12)
            np.testing.assert_allclose(fnx.hessian(f_fnx)(x), jax.hessian(f_jax)(x),
                                       rtol=1e-10, atol=1e-12)


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
