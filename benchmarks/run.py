#!/usr/bin/env python3
"""fnx against NumPy, JAX and PyTorch on the workloads of docs/performance.md.

    python benchmarks/run.py                 # single-threaded and default-threaded
    python benchmarks/run.py --mode single --only W1,W3 --rounds 7
    python benchmarks/run.py --mode single --only W1 --donate   # W1 also with donate_argnums

Each mode runs in its own process (thread settings must precede library imports).
Single-threaded runs pin the process to one core, because XLA ignores thread flags.
Systems are interleaved round by round and the median of the rounds is reported,
since the machine is shared and noisy. Ratios are fnx's time over each peer's.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
}


def per_call_seconds(fn, budget: float = 0.05) -> float:
    """Time one call, calibrating the repeat count so a measurement takes ~`budget` s."""
    fn()
    reps, elapsed = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= budget or reps >= 1 << 20:
            return elapsed / reps
        reps *= 2 if elapsed == 0 else max(2, min(16, int(budget / elapsed) + 1))


def measure(systems: dict, rounds: int) -> dict:
    """Median per-call time of each system, interleaved round by round."""
    samples = {name: [] for name in systems}
    for _ in range(rounds):
        for name, fn in systems.items():
            samples[name].append(per_call_seconds(fn))
    return {name: statistics.median(v) for name, v in samples.items()}


def report(title: str, times: dict, unit: str = "ms", flops: float | None = None) -> None:
    scale = {"ms": 1e3, "us": 1e6, "s": 1.0}[unit]
    print(f"\n{title}")
    fnx_t = times.get("fnx")
    for name, t in times.items():
        line = f"  {name:<16} {t * scale:10.3f} {unit}"
        if flops:
            line += f"  {flops / t / 1e9:8.1f} GFLOP/s"
        if fnx_t is not None and name != "fnx":
            line += f"   fnx/{name} = {fnx_t / t:.2f}x time"
        print(line)
    peers = {k: v for k, v in times.items() if not k.startswith("fnx")}
    if fnx_t is not None and peers:
        best = min(peers, key=peers.get)
        print(f"  -> fnx vs fastest peer ({best}): {fnx_t / peers[best]:.2f}x time")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["single", "default", "both"], default="both")
    ap.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W4")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-torch-compile", action="store_true")
    ap.add_argument("--donate", action="store_true",
                    help="W1: add fnx and JAX rows with the input donated (donate_argnums=0)")
    args = ap.parse_args()
    if args.mode == "both":
        for mode in ("single", "default"):
            cmd = [sys.executable, __file__, "--mode", mode, "--rounds", str(args.rounds)]
            if args.only:
                cmd += ["--only", args.only]
            if args.no_torch_compile:
                cmd.append("--no-torch-compile")
            if args.donate:
                cmd.append("--donate")
            env = dict(os.environ, **(SINGLE_THREAD_ENV if mode == "single" else {}))
            subprocess.run(cmd, env=env, check=False)
        return
    if args.mode == "single":
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from workloads import WORKLOADS, peers_available  # imports the libraries
    print(f"=== {args.mode}-threaded; peers available: {', '.join(peers_available())} ===")
    only = {w.strip() for w in args.only.split(",") if w.strip()}
    for name, workload in WORKLOADS.items():
        if only and name not in only:
            continue
        workload(args)


if __name__ == "__main__":
    main()
