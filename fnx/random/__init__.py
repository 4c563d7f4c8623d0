"""`fnx.random`: JAX-style functional, splittable pseudo-random numbers.

Keys are uint32[2] arrays (JAX's raw keys). Every value is a pure function of a
key: `split` and `fold_in` derive new keys, the samplers turn a key into values.
The generator is counter-based Threefry-2x32 (20 rounds) written with `fnx.lax`
integer operations, so it runs eagerly, under tracing, `jit`, `vmap` and `grad`,
and reproduces `jax.random`'s default streams (see docs/random.md).

    key = fnx.random.key(0)
    k1, k2 = fnx.random.split(key)
    x = fnx.random.normal(k1, (3,))
"""
from ._threefry import (PRNGKey, bits, clone, fold_in, key, key_data, split, threefry2x32,
                        threefry_2x32, wrap_key_data)
from ._samplers import (MAX_MVN_DIM, bernoulli, categorical, cauchy, choice, exponential, gumbel,
                        laplace, logistic, lognormal, multivariate_normal, normal, permutation, rademacher,
                        randint, truncated_normal, uniform)

__all__ = [
    "key", "PRNGKey", "split", "fold_in", "bits", "key_data", "wrap_key_data", "clone",
    "threefry_2x32", "threefry2x32",
    "uniform", "normal", "truncated_normal", "multivariate_normal", "bernoulli", "randint",
    "categorical", "choice", "permutation", "gumbel", "exponential", "laplace", "logistic", "lognormal",
    "cauchy", "rademacher", "MAX_MVN_DIM",
]
