"""`fnx.nn.initializers` against values computed with `jax.nn.initializers` (JAX 0.10) for
`PRNGKey(7)`: float32 results bit for bit (normal-based ones included, see docs/random.md),
except `orthogonal`, whose QR factorisation comes from NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import fnx
from fnx.nn import initializers as I

KEY = fnx.random.PRNGKey(7)
F32 = np.float32

# name -> (initializer, shape, first three values from jax for float32, exact?)
CASES = {
    "uniform": (I.uniform(0.3, F32), (4, 5),
                [0.20222698152065277, 0.292385071516037, 0.09085307270288467], True),
    "glorot_uniform": (I.glorot_uniform(dtype=F32), (4, 5),
                       [0.28428763151168823, 0.775046169757843, -0.3219551146030426], True),
    "xavier_uniform": (I.xavier_uniform(dtype=F32), (4, 5),
                       [0.28428763151168823, 0.775046169757843, -0.3219551146030426], True),
    "he_uniform": (I.he_uniform(dtype=F32), (3, 3, 4, 5),
                   [0.14214381575584412, 0.3875230848789215, -0.1609775573015213], True),
    "kaiming_uniform": (I.kaiming_uniform(dtype=F32), (3, 3, 4, 5),
                        [0.14214381575584412, 0.3875230848789215, -0.1609775573015213], True),
    "lecun_uniform": (I.lecun_uniform(dtype=F32), (4, 5),
                      [0.3015325665473938, 0.8220605254173279, -0.341484934091568], True),
    "vs_geo_uniform_axes": (I.variance_scaling(1.3, "fan_geo_avg", "uniform", in_axis=(0, 1),
                                               out_axis=-1, batch_axis=2, dtype=F32),
                            (2, 3, 4, 5),
                            [0.2938025891780853, 0.8009864687919617, -0.332730770111084], True),
    "normal": (I.normal(0.2, F32), (4, 5),
               [0.0902470275759697, 0.3906901776790619, -0.10324789583683014], True),
    "truncated_normal": (I.truncated_normal(0.2, F32, -1.0, 1.5), (4, 5),
                         [0.09396681934595108, 0.27256688475608826, -0.05418780446052551], True),
    "glorot_normal": (I.glorot_normal(dtype=F32), (4, 5),
                      [0.23009954392910004, 0.8975962400436401, -0.2629811465740204], True),
    "he_normal": (I.he_normal(dtype=F32), (3, 3, 4, 5),
                  [0.11504977196455002, 0.44879812002182007, -0.1314905732870102], True),
    "kaiming_normal": (I.kaiming_normal(dtype=F32), (3, 3, 4, 5),
                       [0.11504977196455002, 0.44879812002182007, -0.1314905732870102], True),
    "lecun_normal": (I.lecun_normal(dtype=F32), (4, 5),
                     [0.24405743181705475, 0.9520446062088013, -0.27893367409706116], True),
    "vs_fan_out_normal": (I.variance_scaling(0.7, "fan_out", "normal", dtype=F32), (6, 2, 3),
                          [0.08898477256298065, 0.38522574305534363, -0.10180380195379257],
                          True),
    "vs_avg_tn_batch": (I.variance_scaling(2.0, "fan_avg", "truncated_normal", in_axis=1,
                                           out_axis=0, batch_axis=(2,), dtype=F32), (5, 4, 3),
                        [0.3254099190235138, 1.2693928480148315, -0.37191152572631836], True),
    "orthogonal": (I.orthogonal(1.5, dtype=F32), (3, 5),
                   [0.4442616105079651, -0.13876214623451233, -0.12732604146003723], False),
    "orthogonal_tall": (I.orthogonal(dtype=F32, column_axis=0), (4, 2, 3),
                        [0.19409942626953125, 0.26475682854652405, -0.6355706453323364], False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_jax(name):
    init, shape, want, exact = CASES[name]
    out = init(KEY, shape)
    assert type(out) is fnx.Array and out.shape == shape and out.dtype == F32
    got = out.ravel()[:3]
    want = np.array(want, F32)
    if exact:
        np.testing.assert_array_equal(got, want)
    else:  # orthogonal: NumPy's QR, equal to JAX's to rounding
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-7)


def test_constant_zeros_ones():
    np.testing.assert_array_equal(I.zeros(KEY, (2, 3), F32), np.zeros((2, 3), F32))
    np.testing.assert_array_equal(I.ones(KEY, (2,), F32), np.ones(2, F32))
    out = I.constant(0.5, F32)(KEY, (2, 3))
    assert out.dtype == F32
    np.testing.assert_array_equal(out, np.full((2, 3), 0.5, F32))
    assert I.zeros(KEY, (2,), np.int32).dtype == np.int32


def test_orthogonal_is_orthogonal_and_delta_orthogonal_centres_it():
    q = I.orthogonal(dtype=F32)(KEY, (6, 4))
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)
    w = I.delta_orthogonal(dtype=F32)(KEY, (3, 3, 4, 4))
    centre = np.asarray(w[1, 1])
    np.testing.assert_allclose(centre.T @ centre, np.eye(4), atol=1e-5)
    assert np.count_nonzero(np.asarray(w)) == np.count_nonzero(centre)
    with pytest.raises(ValueError, match="3D, 4D or 5D"):
        I.delta_orthogonal()(KEY, (4, 4))


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="invalid mode"):
        I.variance_scaling(1.0, "fan_sideways", "normal")
    with pytest.raises(ValueError, match="invalid distribution"):
        I.variance_scaling(1.0, "fan_in", "cauchy")
    with pytest.raises(ValueError, match="at least 2D"):
        I.glorot_uniform()(KEY, (5,))
    with pytest.raises(ValueError, match="at least a 2D"):
        I.orthogonal()(KEY, (5,))


def test_initializers_trace_under_jit():
    f = fnx.jit(lambda k: I.glorot_uniform(dtype=F32)(k, (4, 5)))
    np.testing.assert_array_equal(f(KEY), I.glorot_uniform(dtype=F32)(KEY, (4, 5)))


@pytest.mark.x64
def test_float64_uniform_bit_identical():
    out = I.he_uniform(dtype=np.float64)(KEY, (3, 3, 4, 5))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.ravel()[:3], np.array(
        [0.2809621441332259, -0.3711690699768587, -0.22454911282434364]))


_INITS = ["uniform", "glorot_uniform", "he_uniform", "lecun_uniform", "normal",
          "glorot_normal", "he_normal", "lecun_normal", "truncated_normal"]


@pytest.mark.parametrize("name", _INITS)
def test_against_jax_oracle(name):
    jax = pytest.importorskip("jax")
    factory = getattr(I, name)
    jfactory = getattr(jax.nn.initializers, name)
    for shape in [(3, 4), (2, 3, 5)]:
        got = factory(dtype=F32)(KEY, shape)
        want = np.asarray(jfactory(dtype=F32)(jax.random.PRNGKey(7), shape))
        np.testing.assert_array_equal(got, want)
