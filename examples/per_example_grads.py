"""Per-example gradients with `vmap(grad(loss))`: DP-SGD-style clipping for a small MLP.

Differentially private SGD needs each example's gradient separately: every per-example
gradient is clipped to an L2 norm of at most `C`, the clipped gradients are averaged, and
Gaussian noise scaled by `C` is added. With fnx this is `vmap(grad(loss), in_axes=(None, 0, 0))`:
one batched program (one dot_general per layer, not one per example), checked here against
a Python loop of `grad` and run eagerly and under `jit`.

Run: `python examples/per_example_grads.py` (a few seconds).
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo

import fnx
import fnx.numpy as fnp
from fnx import tree_util


def init(rng, sizes):
    return [(rng.standard_normal((m, n)) / np.sqrt(m), np.zeros(n))
            for m, n in zip(sizes[:-1], sizes[1:])]


def predict(params, x):
    for i, (w, b) in enumerate(params):
        x = fnp.matmul(x, w) + b
        if i < len(params) - 1:
            x = fnp.tanh(x)
    return x


def loss(params, x, y):
    """Squared error of one example (x: features, y: targets)."""
    return fnp.sum((predict(params, x) - y) ** 2)


per_example_grads = fnx.vmap(fnx.grad(loss), in_axes=(None, 0, 0))


def global_norms(grads):
    """The L2 norm of each example's whole gradient (all parameters together)."""
    leaves = tree_util.tree_leaves(grads)
    return fnp.sqrt(sum(fnp.sum(g.reshape(g.shape[0], -1) ** 2, axis=1) for g in leaves))


def dp_sgd_step(params, x, y, noise, lr=0.1, clip=1.0, noise_multiplier=0.5):
    """One DP-SGD step; `noise` is a pytree of standard normals shaped like params."""
    grads = per_example_grads(params, x, y)
    norms = global_norms(grads)
    scale = 1.0 / fnp.maximum(1.0, norms / clip)  # per-example clipping factor
    n = x.shape[0]
    def update(p, g, z):
        clipped = fnp.sum(g * scale.reshape((n,) + (1,) * (g.ndim - 1)), axis=0)
        return p - lr * (clipped + noise_multiplier * clip * z) / n
    new = tree_util.tree_map(update, params, grads, noise)
    return new, norms


def main() -> None:
    rng = np.random.default_rng(0)
    sizes, batch = [8, 32, 32, 1], 64
    params = init(rng, sizes)
    w_true = rng.standard_normal((8, 1))
    x = rng.standard_normal((batch, 8))
    y = np.tanh(x @ w_true) + 0.05 * rng.standard_normal((batch, 1))

    # 1. vmap(grad) equals a Python loop of grad, example by example.
    t0 = time.perf_counter()
    grads = per_example_grads(params, x, y)
    t_vmap = time.perf_counter() - t0
    t0 = time.perf_counter()
    loop = [fnx.grad(loss)(params, x[i], y[i]) for i in range(batch)]
    t_loop = time.perf_counter() - t0
    stacked = tree_util.tree_map(lambda *g: np.stack(g), *loop)
    for a, b in zip(tree_util.tree_leaves(grads), tree_util.tree_leaves(stacked)):
        assert a.dtype == np.float32  # fnx's default dtype, as JAX's
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)  # float32 tolerances
    print(f"per-example gradients: {batch} examples, eager vmap {t_vmap * 1e3:.1f} ms, "
          f"loop of grad {t_loop * 1e3:.1f} ms; identical")

    # 2. The batched program has the same size for any batch size: one dot_general per
    #    matmul of the per-example program, each with the batch as an extra dimension.
    for b in (2, 64):
        prog = fnx.make_ir(per_example_grads)(params, x[:b], y[:b])
        n_dot = sum(e.primitive == "dot_general" for e in prog.equations)
        print(f"batch {b:3d}: {len(prog.equations)} equations, {n_dot} dot_general")

    # 3. DP-SGD: clip per-example gradient norms, add noise, step; jit-compiled.
    step = fnx.jit(dp_sgd_step)
    norms = None
    first = float(np.mean((np.asarray(predict(params, x)) - y) ** 2))
    t0 = time.perf_counter()
    for _ in range(200):
        noise = [(rng.standard_normal(w.shape), rng.standard_normal(b.shape)) for w, b in params]
        params, norms = step(params, x, y, noise)
    elapsed = time.perf_counter() - t0
    last = float(np.mean((np.asarray(predict(params, x)) - y) ** 2))
    print(f"DP-SGD, 200 jitted steps in {elapsed:.2f} s: mse {first:.3f} -> {last:.3f}; "
          f"last per-example grad norms: median {np.median(norms):.3f}, "
          f"max {np.max(norms):.3f} (clipped to 1.0)")


if __name__ == "__main__":
    main()
