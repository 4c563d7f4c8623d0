"""fnx.random's transcendentals from exact operations: the same bits eagerly (numpy), on the
interpreter and compiled, and their accuracy (ULPs of the result dtype). erf_inv and float32
erf are XLA's (tests/random/test_jax_normal.py checks their bits against JAX)."""
import math

import numpy as np
import pytest

import fnx
from fnx.backends.base import available_backends
from fnx.random import _exactmath as xm
from fnx._rules.elementwise import _erf_inv_scalar

RNG = np.random.default_rng(7)
N = 4000


def _points(name, dt):
    lo_exp = -700 if dt == np.float64 else -87
    tiny = np.finfo(dt).tiny
    pts = {
        "log": [RNG.uniform(0, 1, N), np.exp(RNG.uniform(lo_exp, 80, N)), [tiny, tiny / 8, 1, 2]],
        "log1p": [-RNG.uniform(0, 1, N), -np.exp(RNG.uniform(-60, 0, N)), [0.0]],
        "exp": [RNG.uniform(-20, 20, N), RNG.uniform(lo_exp, -lo_exp, N), [0.0]],
        "tan": [RNG.uniform(-1.5707, 1.5707, N), [0.0, 1e-30]],
        "erf_inv": [RNG.uniform(-1, 1, N), 1 - np.exp(-RNG.uniform(0, 36 if dt == np.float64
                                                               else 16, N)), [0.0]],
        "erf": [RNG.uniform(-7, 7, N), RNG.uniform(-1.2, 1.2, N), [0.0]],
    }[name]
    return np.concatenate([np.asarray(p, np.float64) for p in pts]).astype(dt)


REFERENCE = {"log": np.log, "log1p": np.log1p, "exp": np.exp, "tan": np.tan,
             "erf_inv": np.vectorize(_erf_inv_scalar), "erf": np.vectorize(math.erf)}
# max ULPs (float32 against float64 references rounded once; float64 references are
# themselves within about 1 ULP)
BOUND = {"log": (1, 2), "log1p": (1, 2), "exp": (1, 2), "tan": (3, 4), "erf": (3, 3),
         # XLA's erf_inv (reproduced bit for bit): Giles' float32 polynomial is good to tens
         # of ulps; w = -log1p(-u * u) loses the low bits of 1 - u² as |u| -> 1
         "erf_inv": (64, 5e5)}
SPECIAL = {"log": ([0.0, np.inf, -1.0, np.nan], [-np.inf, np.inf, np.nan, np.nan]),
           "log1p": ([-1.0, 0.0], [-np.inf, 0.0]),
           "exp": ([-np.inf, np.inf, 1e5, -1e5, np.nan], [0.0, np.inf, np.inf, 0.0, np.nan]),
           "tan": ([0.0], [0.0]),
           "erf_inv": ([1.0, -1.0, 0.0, 2.0], [np.inf, -np.inf, 0.0, np.nan]),
           "erf": ([np.inf, -np.inf, 0.0, 30.0], [1.0, -1.0, 0.0, 1.0])}


@pytest.mark.parametrize("dt", [np.float32, pytest.param(np.float64, marks=pytest.mark.x64)])
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_same_bits_everywhere_and_accuracy(name, dt):
    f = getattr(xm, name)
    x = _points(name, dt)
    eager = f(x)
    assert eager.dtype == dt
    for backend in available_backends():
        out = fnx.jit(f, backend=backend)(x)
        np.testing.assert_array_equal(out.view(np.uint8), eager.view(np.uint8),
                                      err_msg=f"{name} on {backend}")
    ref = REFERENCE[name](x.astype(np.float64)).astype(dt)
    ulps = np.abs(eager.astype(np.float64) - ref) / np.spacing(np.abs(ref)).astype(np.float64)
    bound = BOUND[name][dt == np.float64]
    assert np.max(ulps) <= bound, (name, dt, float(np.max(ulps)))
    xs, want = SPECIAL[name]
    np.testing.assert_array_equal(f(np.array(xs, dt)), np.array(want, dt))
