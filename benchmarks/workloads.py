"""The benchmark workloads W1–W9 (see docs/performance.md), each comparing fnx with its peers."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

import fnx
import fnx.numpy as fnp
from run import measure, report

try:
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_platforms", "cpu")
except ImportError:  # peers are optional
    jax = None
try:
    import torch
    if os.environ.get("OMP_NUM_THREADS") == "1":
        torch.set_num_threads(1)
except ImportError:
    torch = None


def peers_available() -> list[str]:
    return ["numpy"] + (["jax"] if jax else []) + (["torch"] if torch else [])


def _torch_compile(fn, args, enabled: bool):
    """torch.compile'd `fn`, or None when unavailable (it needs a C++ toolchain)."""
    if not (torch and enabled):
        return None
    try:
        compiled = torch.compile(fn)
        compiled(*args)
        return compiled
    except Exception as e:  # report and carry on without it
        print(f"  (torch.compile unavailable: {type(e).__name__}: {str(e)[:80]})")
        return None


def _block(x):
    """Wait for JAX's asynchronous work (on every leaf of a pytree result)."""
    return jax.block_until_ready(x) if jax else x


# ------------------------------------------------------------------ W1 elementwise chain

def w1(args):
    for n in (1 << 20, 1 << 24):
        x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
        def chain(m, x):
            return m.tanh(x) * m.sin(x) + 0.5 * m.exp(-x * x)
        f = fnx.jit(lambda x: chain(fnp, x))
        systems = {"fnx": lambda: f(x), "numpy": lambda: chain(np, x)}
        if args.donate:  # each call's output is written into its input: feed it back
            fd = fnx.jit(lambda x: chain(fnp, x), donate_argnums=0)
            state = {"fnx": x.copy()}
            def fnx_donated():
                state["fnx"] = fd(state["fnx"])
            systems["fnx donated"] = fnx_donated
        if jax:
            jx = jnp.asarray(x)
            jf = jax.jit(lambda x: chain(jnp, x))
            systems["jax"] = lambda: _block(jf(jx))
            if args.donate:
                jfd = jax.jit(lambda x: chain(jnp, x), donate_argnums=0)
                state["jax"] = jnp.asarray(x)
                def jax_donated():
                    state["jax"] = _block(jfd(state["jax"]))
                systems["jax donated"] = jax_donated
        if torch:
            tx = torch.from_numpy(x)
            systems["torch"] = lambda: chain(torch, tx)
            tc = _torch_compile(lambda x: chain(torch, x), (tx,), not args.no_torch_compile)
            if tc:
                systems["torch.compile"] = lambda: tc(tx)
        report(f"W1 tanh(x)*sin(x)+0.5*exp(-x*x), float32, n=2^{n.bit_length() - 1}",
               measure(systems, args.rounds))


# ------------------------------------------------------------------ W2 logsumexp

def w2(args):
    x = np.random.default_rng(0).standard_normal((4096, 1024)).astype(np.float32)
    def np_lse(x):
        m = x.max(axis=1, keepdims=True)
        return (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))[:, 0]
    f = fnx.jit(lambda x: fnx.nn.logsumexp(x, axis=1))
    systems = {"fnx": lambda: f(x), "numpy": lambda: np_lse(x)}
    if jax:
        jx = jnp.asarray(x)
        jf = jax.jit(lambda x: jax.nn.logsumexp(x, axis=1))
        systems["jax"] = lambda: _block(jf(jx))
    if torch:
        tx = torch.from_numpy(x)
        systems["torch"] = lambda: torch.logsumexp(tx, dim=1)
        tc = _torch_compile(lambda x: torch.logsumexp(x, dim=1), (tx,), not args.no_torch_compile)
        if tc:
            systems["torch.compile"] = lambda: tc(tx)
    report("W2 row-wise logsumexp, float32 (4096, 1024)", measure(systems, args.rounds))


# ------------------------------------------------------------------ W3 matmul

def w3(args):
    for n in (256, 1024):
        rng = np.random.default_rng(0)
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = rng.standard_normal((n, n)).astype(np.float32)
        f = fnx.jit(lambda a, b: a @ b)
        systems = {"fnx": lambda: f(a, b), "numpy": lambda: a @ b}
        if jax:
            ja, jb = jnp.asarray(a), jnp.asarray(b)
            jf = jax.jit(lambda a, b: a @ b)
            systems["jax"] = lambda: _block(jf(ja, jb))
        if torch:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            systems["torch"] = lambda: ta @ tb
        report(f"W3 float32 matmul {n}x{n}", measure(systems, args.rounds), flops=2.0 * n ** 3)


# ------------------------------------------------------------------ W4 MLP training step

SIZES = (784, 512, 512, 10)
BATCH = 128


def mlp_data():
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((m, n)).astype(np.float32) * np.float32(1 / np.sqrt(m)),
               np.zeros(n, np.float32)) for m, n in zip(SIZES[:-1], SIZES[1:])]
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], BATCH)]
    return params, x, y


def make_step(m, nn, grad):
    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = m.maximum(h @ w + b, 0.0)
        w, b = params[-1]
        logits = h @ w + b
        return -m.mean(m.sum(y * nn.log_softmax(logits, axis=-1), axis=-1))

    def step(params, x, y):
        g = grad(loss)(params, x, y)
        return [(w - 0.01 * gw, b - 0.01 * gb) for (w, b), (gw, gb) in zip(params, g)]
    return step


def fnx_step():
    return fnx.jit(make_step(fnp, fnx.nn, fnx.grad))


def w4(args):
    params, x, y = mlp_data()
    f = fnx_step()
    systems = {"fnx": lambda: f(params, x, y)}
    if jax:
        jstep = jax.jit(make_step(jnp, jax.nn, jax.grad))
        jp = jax.tree_util.tree_map(jnp.asarray, params)
        jx, jy = jnp.asarray(x), jnp.asarray(y)
        systems["jax"] = lambda: _block(jstep(jp, jx, jy))
    if torch:
        tparams = [(torch.from_numpy(w.copy()).requires_grad_(), torch.from_numpy(b.copy()).requires_grad_())
                   for w, b in params]
        flat = [t for pair in tparams for t in pair]
        opt = torch.optim.SGD(flat, lr=0.01)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        def torch_step():
            h = tx
            for w, b in tparams[:-1]:
                h = torch.relu(h @ w + b)
            w, b = tparams[-1]
            loss = -(ty * torch.log_softmax(h @ w + b, dim=-1)).sum(-1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        systems["torch"] = torch_step
    times = measure(systems, args.rounds)
    report("W4 MLP training step 784-512-512-10, batch 128 (time per step)", times)
    print("  steps/s: " + ", ".join(f"{k} {1 / t:.0f}" for k, t in times.items()))


# ------------------------------------------------------------------ W6 dispatch

def w6(args):
    x = np.ones(8, np.float32)
    f = fnx.jit(lambda x: x + 1)
    systems = {"fnx": lambda: f(x), "numpy": lambda: x + 1}
    if jax:
        jx = jnp.asarray(x)
        jf = jax.jit(lambda x: x + 1)
        systems["jax"] = lambda: jf(jx)
    if torch:
        tx = torch.from_numpy(x)
        systems["torch"] = lambda: tx + 1
    report("W6 dispatch: jitted x + 1 on 8 float32", measure(systems, args.rounds), unit="us")


# ------------------------------------------------------------------ W7 compile time

_W7_CHILD = """
import sys, time
sys.path.insert(0, {root!r}); sys.path.insert(0, {here!r})
import workloads
params, x, y = workloads.mlp_data()
f = workloads.fnx_step()
t0 = time.perf_counter(); f(params, x, y); t1 = time.perf_counter(); f(params, x, y); t2 = time.perf_counter()
print((t1 - t0) - (t2 - t1))
"""


def w7(args):
    """Compile time: fnx with an empty disk cache (a fresh FNX_CACHE_DIR each round, so every
    round compiles) against JAX, then fnx in a new process that finds the machine code in the
    disk cache the rounds filled."""
    import shutil
    import tempfile
    params, x, y = mlp_data()
    out = {}
    firsts = []
    saved = os.environ.get("FNX_CACHE_DIR")
    dirs = []
    try:
        for _ in range(max(3, args.rounds // 2)):
            dirs.append(tempfile.mkdtemp(prefix="fnx-w7-"))
            os.environ["FNX_CACHE_DIR"] = dirs[-1]
            f = fnx_step()
            t0 = time.perf_counter(); f(params, x, y); t1 = time.perf_counter()
            f(params, x, y); t2 = time.perf_counter()
            firsts.append((t1 - t0) - (t2 - t1))
        out["fnx"] = sorted(firsts)[len(firsts) // 2]
        if jax:
            jtimes = []
            jp = jax.tree_util.tree_map(jnp.asarray, params)
            jx, jy = jnp.asarray(x), jnp.asarray(y)
            for _ in range(max(3, args.rounds // 2)):
                jstep = jax.jit(make_step(jnp, jax.nn, jax.grad))
                t0 = time.perf_counter(); _block(jstep(jp, jx, jy)); t1 = time.perf_counter()
                _block(jstep(jp, jx, jy)); t2 = time.perf_counter()
                jtimes.append((t1 - t0) - (t2 - t1))
            out["jax"] = sorted(jtimes)[len(jtimes) // 2]
        report("W7 compile time of the W4 step, empty disk cache (first call minus a steady call)",
               out)
        # A new process with a warm disk cache (the last round filled it).
        here = os.path.dirname(os.path.abspath(__file__))
        code = _W7_CHILD.format(root=os.path.dirname(here), here=here)
        warm = []
        env = dict(os.environ, FNX_CACHE_DIR=dirs[-1])
        for _ in range(max(5, args.rounds)):
            res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 env=env)
            if res.returncode == 0:
                warm.append(float(res.stdout.strip().splitlines()[-1]))
            else:
                print("  warm-cache child failed:", res.stderr.strip().splitlines()[-1:])
        if warm:
            print(f"  fnx, new process with a warm disk cache: "
                  f"{1e3 * sorted(warm)[len(warm) // 2]:.1f} ms (median of {len(warm)})")
    finally:
        if saved is None:
            os.environ.pop("FNX_CACHE_DIR", None)
        else:
            os.environ["FNX_CACHE_DIR"] = saved
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------------ W9 tracing

def w9(args):
    x = np.ones(16, np.float32)
    def chain_of(m):
        def chain(x):
            for _ in range(1000):
                x = m.sin(x) * x
            return x
        return chain
    systems = {"fnx": lambda: fnx.make_ir(chain_of(fnp))(x)}  # a fresh function each call:
    if jax:                                                   # no trace cache can answer
        systems["jax"] = lambda: jax.make_jaxpr(chain_of(jnp))(x)
    report("W9 tracing a 2000-equation elementwise chain (make_ir vs make_jaxpr)",
           measure(systems, args.rounds))


WORKLOADS = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W6": w6, "W7": w7, "W9": w9}
