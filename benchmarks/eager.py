#!/usr/bin/env python3
"""Eager `fnx.numpy` calls against the same NumPy call (and JAX / PyTorch when installed).

    python benchmarks/eager.py              # all cases, 15 rounds
    python benchmarks/eager.py --rounds 3 --only add8,dot8

Issue 11's targets: on small arrays at most NumPy + 1 µs per call, on large ones at most
1.1x NumPy's time. Systems are interleaved round by round and the median of the rounds is
reported (the machine is shared and noisy), with the best round next to it (on a loaded
machine the best round is the steadier comparison of two calls doing the same work). JAX results are waited for
(`block_until_ready`), so its asynchronous dispatch is timed to completion.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
from run import per_call_seconds  # noqa: E402  (benchmarks/run.py, next to this file)

import fnx.numpy as fnp  # noqa: E402


def _cases() -> dict:
    """name -> (description, operands builder, {system: fn(*operands)})."""
    rng = np.random.default_rng(0)

    def f32(*shape):
        return rng.standard_normal(shape).astype(np.float32)
    return {
        "add8": ("add f32[8] + f32[8]", lambda: (f32(8), f32(8)),
                 {"numpy": np.add, "fnx": fnp.add, "jax": "add", "torch": "add"}),
        "dot8": ("dot f32[8,8] . f32[8,8]", lambda: (f32(8, 8), f32(8, 8)),
                 {"numpy": np.dot, "fnx": fnp.dot, "jax": "dot", "torch": "mm"}),
        "add1m": ("add f32[2^20] + f32[2^20]", lambda: (f32(1 << 20), f32(1 << 20)),
                  {"numpy": np.add, "fnx": fnp.add, "jax": "add", "torch": "add"}),
        "dot512": ("dot f32[512,512] . f32[512,512]", lambda: (f32(512, 512), f32(512, 512)),
                   {"numpy": np.dot, "fnx": fnp.dot, "jax": "dot", "torch": "mm"}),
        "sum2048": ("sum(axis=1) f32[2048,2048]", lambda: (f32(2048, 2048),),
                    {"numpy": lambda a: np.sum(a, axis=1), "fnx": lambda a: fnp.sum(a, axis=1),
                     "jax": "sum1", "torch": "sum1"}),
    }


def _peer(kind: str, name: str):
    """JAX's or PyTorch's function for a case (None when the library is not installed)."""
    try:
        if kind == "jax":
            import jax
            import jax.numpy as jnp
            fns = {"add": jnp.add, "dot": jnp.dot, "sum1": lambda a: jnp.sum(a, axis=1)}
            f = fns[name]
            return (lambda *xs: f(*xs).block_until_ready()), jax.numpy.asarray
        import torch
        fns = {"add": torch.add, "mm": torch.mm, "sum1": lambda a: torch.sum(a, dim=1)}
        return fns[name], torch.from_numpy
    except ImportError:
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--only", default="", help="comma-separated case names")
    args = ap.parse_args()
    cases = _cases()
    names = [n for n in args.only.split(",") if n] or list(cases)
    for name in names:
        desc, build, systems = cases[name]
        xs = build()
        calls = {}
        for system, fn in systems.items():
            if isinstance(fn, str):
                peer = _peer(system, fn)
                if peer is None:
                    continue
                f, conv = peer
                ys = tuple(conv(x) for x in xs)
                calls[system] = (lambda f=f, ys=ys: f(*ys))
            else:
                calls[system] = (lambda fn=fn: fn(*xs))
        samples: dict = {s: [] for s in calls}
        order = list(calls)
        for r in range(args.rounds):  # each round starts with the next system (no fixed order)
            for s in order[r % len(order):] + order[:r % len(order)]:
                samples[s].append(per_call_seconds(calls[s], budget=0.01))
        med = {s: statistics.median(v) for s, v in samples.items()}
        best = {s: min(v) for s, v in samples.items()}
        print(f"\n{name}: {desc}   (median of rounds; best round in brackets)")
        for s, t in med.items():
            print(f"  {s:<6} {t * 1e6:11.2f} us   {t / med['numpy']:6.2f}x numpy   "
                  f"{(t - med['numpy']) * 1e6:+9.2f} us   "
                  f"[{best[s] * 1e6:.2f} us, {best[s] / best['numpy']:.2f}x, "
                  f"{(best[s] - best['numpy']) * 1e6:+.2f} us]")


if __name__ == "__main__":
    main()
