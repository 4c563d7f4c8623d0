"""Compile time of deep programs, stage by stage: a Python loop unrolled into a chain of
`ops` operations, `x = g(x) * 1.0001 + c` (g = sin on every `--sin-every`-th step, else a
scaling), under jit, jit(grad) and jit(vmap(grad)).

Stages: trace (make_ir of the plain function), transform (make_ir of the transformed function,
less the trace), passes (`fnx._core.api.optimize`), lowering (the CPU backend's code generation
to LLVM IR text), LLVM (optimisation and machine code). Compile time should grow linearly with
`ops` (tests/test_deep_programs.py checks it); LLVM dominates, and within it the inlined
transcendentals (~30 ms of machine-code generation per sin on this machine).

Run: .venv/bin/python benchmarks/compile_depth.py [--ops 1000 10000] [--sin-every 10]
Never part of the test pass/fail.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import fnx
import fnx.numpy as fnp
from fnx._core.api import optimize
from fnx.backends.cpu import codelib
from fnx.backends.cpu.emit import program as cpu_program


def chain(steps: int, sin_every: int):
    def f(x, c):
        for i in range(steps):
            x = (fnp.sin(x) if i % sin_every == 0 else x * 0.999) * 1.0001 + c
        return x
    return f


def stages(kind: str, ops: int, sin_every: int) -> dict:
    f = chain(ops // 3, sin_every)
    loss = lambda x, c: f(x, c).sum()  # noqa: E731
    x, c = np.linspace(-1, 1, 8, dtype=np.float32), np.float32(0.1)
    if kind == "jit":
        plain, fun, args = f, f, (x, c)
    elif kind == "grad":
        plain, fun, args = loss, fnx.grad(loss), (x, c)
    else:
        plain, fun, args = loss, fnx.vmap(fnx.grad(loss), in_axes=(0, None)), (np.stack([x, x]), c)
    t = {}
    t0 = time.perf_counter()
    fnx.make_ir(plain)(*args)
    t["trace"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    program = fnx.make_ir(fun)(*args)
    t["transform"] = max(0.0, time.perf_counter() - t0 - t["trace"])
    t0 = time.perf_counter()
    program = optimize(program)
    t["passes"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    text = str(cpu_program.build_module(program)[0])
    t["lowering"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    codelib.compile_ir(text)
    t["LLVM"] = time.perf_counter() - t0
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--sin-every", type=int, default=10)
    ap.add_argument("--kinds", nargs="+", default=["jit", "grad", "vmap_grad"])
    a = ap.parse_args()
    names = ["trace", "transform", "passes", "lowering", "LLVM"]
    print(f"{'kind':10} {'ops':>6} " + " ".join(f"{n:>9}" for n in names) + f" {'total':>9}  (s)")
    for kind in a.kinds:
        for ops in a.ops:
            t = stages(kind, ops, a.sin_every)
            print(f"{kind:10} {ops:>6} " + " ".join(f"{t[n]:9.2f}" for n in names)
                  + f" {sum(t.values()):9.2f}", flush=True)


if __name__ == "__main__":
    main()
