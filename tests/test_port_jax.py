"""A JAX program ported by changing imports (`import fnx as jax; import fnx.numpy as jnp`) gives
JAX's dtypes in both x64 modes and JAX's values within float tolerance.

The expected values were printed by the same program under JAX 0.10 (CPU).
"""
from __future__ import annotations

import numpy as np
import pytest

import fnx as jax
import fnx.numpy as jnp

# key: (dtype, value) for the trained model; dtype only for the one-liners.
JAX_OUT = {
    False: {"loss": ("float32", 1.3151642084121704), "w0": ("float32", -0.626889169216156),
            "per_example": ("float32", 0.7610524296760559), "hessian": -0.8322936296463013,
            "dtypes": {"arange*0.5": "float32", "arange/2": "float32", "mean_int": "float32",
                       "f32*sqrt(2.0)": "float32", "linspace": "float32", "sum_bool": "int32",
                       "argmax": "int32", "cumsum_int": "int32", "f16+1": "float16",
                       "int8*2.5": "float32", "where_int_float": "float32"}},
    True: {"loss": ("float64", 1.5221067762589062), "w0": ("float64", -0.3803930902148529),
           "per_example": ("float64", 0.0), "hessian": -0.8322936730942846,
           "dtypes": {"arange*0.5": "float64", "arange/2": "float64", "mean_int": "float64",
                      "f32*sqrt(2.0)": "float32", "linspace": "float64", "sum_bool": "int64",
                      "argmax": "int64", "cumsum_int": "int64", "f16+1": "float16",
                      "int8*2.5": "float64", "where_int_float": "float64"}},
}
RTOL = {"float32": 2e-6, "float64": 1e-13}


def init(key, sizes):
    params = []
    for m, n in zip(sizes[:-1], sizes[1:]):
        key, k1 = jax.random.split(key)
        w = jax.nn.initializers.glorot_normal()(k1, (m, n))
        params.append((w, jnp.zeros(n)))
    return params


def loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = jax.nn.relu(h @ w + b)
    w, b = params[-1]
    logits = h @ w + b
    return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits), axis=-1))


@jax.jit
def step(params, x, y):
    value, grads = jax.value_and_grad(loss)(params, x, y)
    return [(w - 0.1 * gw, b - 0.1 * gb) for (w, b), (gw, gb) in zip(params, grads)], value


def _run() -> dict:
    params = init(jax.random.PRNGKey(0), (8, 16, 4))
    x = jax.random.normal(jax.random.PRNGKey(1), (32, 8))
    y = jax.nn.one_hot(jax.random.randint(jax.random.PRNGKey(2), (32,), 0, 4), 4)
    for _ in range(5):
        params, value = step(params, x, y)
    pe = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))(params, x[:, None], y[:, None])
    a = jnp.arange(5)
    return {
        "loss": value, "w0": params[0][0][0, 0], "per_example": pe[0][0][3, 0, 0],
        "hessian": jax.hessian(lambda z: jnp.sum(jnp.sin(z) ** 2))(jnp.ones(2))[0, 0],
        "scan": jax.lax.scan(lambda c, v: (c + v, c), 0, jnp.array([.5, .5, .5]))[1],
        "dtypes": {"arange*0.5": a * 0.5, "arange/2": a / 2, "mean_int": jnp.mean(a),
                   "f32*sqrt(2.0)": jnp.ones(3, jnp.float32) * jnp.sqrt(2.0),
                   "linspace": jnp.linspace(0, 1, 5), "sum_bool": jnp.sum(a > 2),
                   "argmax": jnp.argmax(a), "cumsum_int": jnp.cumsum(a),
                   "f16+1": jnp.ones(3, jnp.float16) + 1, "int8*2.5": jnp.ones(3, jnp.int8) * 2.5,
                   "where_int_float": jnp.where(a > 2, a, 0.5)}}


@pytest.mark.parametrize("x64", [False, True], ids=["x64-off", "x64-on"])
def test_ported_program_matches_jax(x64):
    with jax.enable_x64(x64):
        got = _run()
    want = JAX_OUT[x64]
    for name in ("loss", "w0", "per_example"):
        dtype, value = want[name]
        assert str(got[name].dtype) == dtype, name
        np.testing.assert_allclose(float(got[name]), value, rtol=RTOL[dtype], atol=1e-7,
                                   err_msg=name)
    dt = str(got["hessian"].dtype)
    np.testing.assert_allclose(float(got["hessian"]), want["hessian"], rtol=RTOL[dt])
    np.testing.assert_array_equal(got["scan"], [0.0, 0.5, 1.0])
    assert {k: str(v.dtype) for k, v in got["dtypes"].items()} == want["dtypes"]
