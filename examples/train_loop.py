"""A whole training run inside one jitted `fori_loop`.

A small MLP learns y = sin(3x) by full-batch gradient descent with momentum. The training
loop is `lax.fori_loop(0, STEPS, step, state)`: the program holds the gradient computation
once (inside the loop body), however many steps run, and the call crosses from Python into
the compiled program once for the whole run. The result is checked against the same steps
taken one jitted call at a time from a Python loop.

Run: `python examples/train_loop.py` (a few seconds).
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo

import fnx
import fnx.numpy as fnp
from fnx import lax, tree_util

STEPS, LR, MOMENTUM = 1000, 0.05, 0.9


def init(rng, sizes):
    return [(rng.standard_normal((m, n)) / np.sqrt(m), np.zeros(n))
            for m, n in zip(sizes[:-1], sizes[1:])]


def predict(params, x):
    h = x
    for w, b in params[:-1]:
        h = fnp.tanh(h @ w + b)
    w, b = params[-1]
    return h @ w + b


def loss(params, x, y):
    return fnp.mean((predict(params, x) - y) ** 2)


def sgd_step(state, x, y):
    params, velocity = state
    g = fnx.grad(loss)(params, x, y)
    velocity = tree_util.tree_map(lambda v, gw: MOMENTUM * v - LR * gw, velocity, g)
    params = tree_util.tree_map(lambda p, v: p + v, params, velocity)
    return params, velocity


def train(params, x, y, steps):
    velocity = tree_util.tree_map(fnp.zeros_like, params)
    params, _ = lax.fori_loop(0, steps, lambda i, s: sgd_step(s, x, y), (params, velocity))
    return params


def main():
    rng = np.random.default_rng(0)
    x = np.linspace(-1, 1, 64).reshape(-1, 1)
    y = np.sin(3 * x)
    params = init(rng, [1, 16, 16, 1])

    print(f"MLP 1-16-16-1 on y = sin(3x), {STEPS} steps of momentum SGD in one fori_loop")
    print(f"  loss before: {float(loss(params, x, y)):.6f}")
    train_jit = fnx.jit(train, static_argnums=3)
    start = time.perf_counter()
    trained = train_jit(params, x, y, STEPS)
    first = time.perf_counter() - start
    start = time.perf_counter()
    trained = train_jit(params, x, y, STEPS)
    second = time.perf_counter() - start
    after = float(loss(trained, x, y))
    print(f"  loss after:  {after:.6f}")
    print(f"  one call: {first:.2f} s with tracing and compilation, {second:.2f} s after "
          f"(backend: {fnx._core.api.default_backend()})")

    program = train_jit.lower(params, x, y, STEPS).program
    loops = [eq for eq in program.equations if eq.primitive in ("scan", "while")]
    print(f"  the program: {len(program.equations)} top-level equations, loop: "
          f"{[(eq.primitive, eq.params.get('length')) for eq in loops]}, "
          f"{len(loops[0].params['body'].equations)} equations in the loop body")

    # the same steps, one jitted call per step from a Python loop
    step_jit = fnx.jit(sgd_step)
    state = (params, tree_util.tree_map(np.zeros_like, params))
    start = time.perf_counter()
    for _ in range(STEPS):
        state = step_jit(state, x, y)
    python_loop = time.perf_counter() - start
    diff = max(float(np.max(np.abs(a - b))) for a, b in
               zip(tree_util.tree_leaves(trained), tree_util.tree_leaves(state[0])))
    print(f"  a Python loop of {STEPS} jitted steps: {python_loop:.2f} s, "
          f"max parameter difference {diff:.1e}")
    assert after < 0.01 * float(loss(params, x, y)) and diff < 1e-9


if __name__ == "__main__":
    main()
