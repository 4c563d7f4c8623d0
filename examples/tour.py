"""A tour of fnx: trace, transform, jit-compile and train a small model.

Run with `python3 tasks.py demo`.
"""
import time

import numpy as np

import fnx
import fnx.numpy as fnp
import fnx_ir


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 72 - len(title)))


def per_call(fns: dict, calls: int, rounds: int = 7, warmup: int = 3) -> dict:
    """Steady-state seconds per call of each function: warm up, then the median of `rounds`
    interleaved rounds of `calls` calls each (interleaving shares out the machine's noise)."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            samples[name].append((time.perf_counter() - t0) / calls)
    return {name: float(np.median(ts)) for name, ts in samples.items()}


# ----------------------------------------------------------------- the model

def init_mlp(rng, sizes):
    return [(rng.standard_normal((m, n)).astype(np.float32) * np.float32(np.sqrt(2 / m)),
             np.zeros(n, np.float32)) for m, n in zip(sizes[:-1], sizes[1:])]


def loss_fn(params, x, y):
    """Softmax cross-entropy of an MLP with ReLU hidden layers, written with fnx.numpy."""
    h = x
    for w, b in params[:-1]:
        h = fnx.nn.relu(h @ w + b)
    w, b = params[-1]
    logits = h @ w + b
    return -fnp.mean(fnp.sum(y * fnx.nn.log_softmax(logits), axis=-1))


def sgd_step(params, x, y, lr=0.1):
    loss, grads = fnx.value_and_grad(loss_fn)(params, x, y)
    new = [(w - lr * gw, b - lr * gb) for (w, b), (gw, gb) in zip(params, grads)]
    return new, loss


def numpy_sgd_step(params, x, y, lr=0.1):
    """The same step by hand in NumPy (forward, backward, update), for comparison."""
    hs, h = [x], x
    for w, b in params[:-1]:
        h = np.maximum(h @ w + b, 0)
        hs.append(h)
    w, b = params[-1]
    logits = h @ w + b
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    loss = -np.mean(np.sum(y * logp, axis=-1))
    d = (np.exp(logp) - y) / x.shape[0]
    new = []
    for i in range(len(params) - 1, -1, -1):
        w, b = params[i]
        gw, gb = hs[i].T @ d, d.sum(0)
        if i:
            d = (d @ w.T) * (hs[i] > 0)
        new.append((w - lr * gw, b - lr * gb))
    return new[::-1], loss


def make_data(rng, n, dim, classes):
    centers = rng.standard_normal((classes, dim)).astype(np.float32) * 2
    labels = rng.integers(0, classes, n)
    x = centers[labels] + rng.standard_normal((n, dim)).astype(np.float32)
    return x, np.eye(classes, dtype=np.float32)[labels]


def main() -> None:
    rng = np.random.default_rng(0)

    section("1. Trace a function into the IR")
    def f(x):
        return fnp.tanh(x) * fnp.sin(x) + 0.5 * fnp.exp(-x * x)
    x = rng.standard_normal(8).astype(np.float32)
    program = fnx.make_ir(f)(x)
    print(program)
    print("the text form round-trips: parse(str(p)) == p ->", fnx_ir.parse(str(program)) == program)
    eager = f(x)
    ref = np.tanh(x) * np.sin(x) + 0.5 * np.exp(-x * x)
    print(f"eager result: {type(eager).__name__} {eager.dtype}, max |fnx - numpy| = "
          f"{float(np.max(np.abs(eager - ref)))}")

    section("2. Transform: grad is an IR -> IR rewrite")
    g = fnx.grad(lambda x: fnp.sum(f(x)))
    print(fnx.jit(g).lower(x).as_text())
    eps = 1e-3
    fd = (f(x[:1] + eps) - f(x[:1] - eps)) / (2 * eps)
    print(f"grad[0] = {g(x)[0]:.5f}, central difference = {float(fd[0]):.5f}")

    section("3. vmap: per-example gradient norms of a small model")
    params = init_mlp(rng, (16, 32, 4))
    xs, ys = make_data(rng, 8, 16, 4)
    per_example = fnx.vmap(fnx.grad(loss_fn), in_axes=(None, 0, 0))
    grads = per_example(params, xs[:, None], ys[:, None])
    norms = np.sqrt(sum(np.sum(gw.reshape(8, -1) ** 2, 1) + np.sum(gb.reshape(8, -1) ** 2, 1)
                        for gw, gb in grads))
    print("per-example gradient norms:", np.round(norms, 3))

    section("4. jit: train an MLP (64-128-128-10, batch 256) with a compiled step")
    params = init_mlp(rng, (64, 128, 128, 10))
    xtrain, ytrain = make_data(rng, 256, 64, 10)
    step = fnx.jit(sgd_step)
    backend = fnx._core.api.default_backend()
    t0 = time.perf_counter()
    step(params, xtrain, ytrain)
    print(f"backend {backend!r}: trace + compile + first step {1e3 * (time.perf_counter() - t0):.0f} ms")
    p = params
    for i in range(201):
        p, loss = step(p, xtrain, ytrain)
        if i % 50 == 0:
            print(f"  step {i:3d}  loss {float(loss):.4f}")
    np_p = params
    for _ in range(3):
        np_p, np_loss = numpy_sgd_step(np_p, xtrain, ytrain)
    fx_p = params
    for _ in range(3):
        fx_p, fx_loss = step(fx_p, xtrain, ytrain)
    print(f"after 3 steps from the same start: fnx loss {float(fx_loss):.6f}, "
          f"numpy loss {float(np_loss):.6f}")
    t = per_call({"jit": lambda: step(params, xtrain, ytrain),
                  "numpy": lambda: numpy_sgd_step(params, xtrain, ytrain)}, calls=40)
    t_eager = per_call({"eager": lambda: sgd_step(params, xtrain, ytrain)}, calls=1, rounds=5)
    print(f"time per training step (median of 7 interleaved rounds after warm-up): fnx.jit "
          f"{1e6 * t['jit']:.0f} µs, hand-written NumPy {1e6 * t['numpy']:.0f} µs "
          f"({t['numpy'] / t['jit']:.1f}x), fnx eager {1e6 * t_eager['eager']:.0f} µs")


if __name__ == "__main__":
    main()
