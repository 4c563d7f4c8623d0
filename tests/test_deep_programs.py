"""Deep programs: a Python loop unrolled into thousands of operations (RNN steps, ODE steps,
layers) traces, transforms, prints, parses and compiles.

No stage may recurse once per operation of a chain: the tests run them with only a few more
Python frames allowed than the caller uses (`shallow_stack`), so one that does fails with
RecursionError. Compile time must grow linearly with the program: the CPU backend bounds the
work per kernel (FUSION_LIMIT fused operations, each evaluated at no more than SPREAD_LIMIT
places, GROUP_MAX_RUN kernels per loop-group run),
which the tests check by counting, and one slow test compares times at 1k and 10k operations.
"""
from __future__ import annotations

import contextlib
import sys
import time

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
import fnx_ir
from fnx._core.api import optimize
from fnx.backends.cpu.emit import program as cpu_program
from fnx.backends.cpu.schedule import fusion, indexing
from fnx.backends.cpu.schedule import partition as cpu_partition
from fnx.backends.interpreter import evaluate

RTOL = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-12}


@contextlib.contextmanager
def shallow_stack(frames: int = 150):
    """Allow `frames` Python frames beyond the caller's own: enough for any pass that walks
    a program in order, far too few for one that recurses along a chain of operations."""
    depth, f = 0, sys._getframe()
    while f is not None:
        depth, f = depth + 1, f.f_back
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def chain(steps: int, sin_every: int = 10):
    """`steps` unrolled steps of `x = g(x) * 1.0001 + c` (3 operations each), g = sin on every
    `sin_every`-th step, else a scaling (transcendentals dominate LLVM's time, not depth)."""
    def f(x, c):
        for i in range(steps):
            x = (fnp.sin(x) if i % sin_every == 0 else x * 0.999) * 1.0001 + c
        return x
    return f


def loss(steps: int, sin_every: int = 10):
    f = chain(steps, sin_every)
    return lambda x, c: f(x, c).sum()


X = np.linspace(-1, 1, 8, dtype=np.float32)
C = np.float32(0.1)
XB = np.stack([X, X * 0.5])


def transformed(kind: str, steps: int, sin_every: int = 10):
    """(function, arguments) for `kind` in jit / grad / vmap_grad of a chain of `steps` steps."""
    if kind == "jit":
        return chain(steps, sin_every), (X, C)
    if kind == "grad":
        return fnx.grad(loss(steps, sin_every)), (X, C)
    return fnx.vmap(fnx.grad(loss(steps, sin_every)), in_axes=(0, None)), (XB, C)


def assert_close(got, want):
    want = np.asarray(want)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=RTOL[want.dtype], atol=RTOL[want.dtype])


def test_issue_case_jit_and_grad_at_default_recursion_limit():
    # The report: 120 steps raised RecursionError in the fused emitter; jit(grad) from 80.
    f = chain(120, sin_every=1)
    assert_close(fnx.jit(f)(X, C), f(X, C))
    g = fnx.grad(loss(120, sin_every=1))
    assert_close(fnx.jit(g)(X, C), g(X, C))


@pytest.mark.parametrize("kind", ["jit", "grad", "vmap_grad"])
def test_every_stage_at_depth_without_recursion(kind):
    """3,000 user operations: trace, transform, passes, verify, print/parse, interpreter and
    the CPU backend's code generation (LLVM itself is C++), all with a shallow stack."""
    fun, args = transformed(kind, 1000)
    want = fun(*args)
    with shallow_stack():
        program = fnx.make_ir(fun)(*args)
        assert len(program.equations) > 3000
        opt = optimize(program)
        fnx_ir.verify(opt)
        text = fnx_ir.print_program(opt)
        assert fnx_ir.print_program(fnx_ir.parse(text)) == text
        (got,) = evaluate(opt, list(args))
        mod, layout, _ = cpu_program.build_module(opt)
    assert_close(np.asarray(got), want)
    assert len(layout.part.kernels) > 1  # the chain is cut into bounded kernels (below)


@pytest.mark.parametrize("kind", ["jit", "grad", "vmap_grad"])
def test_jit_at_depth_matches_eager(kind):
    fun, args = transformed(kind, 400, sin_every=40)
    with shallow_stack():
        got = fnx.jit(fun)(*args)
    assert_close(got, fun(*args))


def test_fused_kernels_are_bounded(monkeypatch):
    # One kernel of 4,800 fused ops spent 19 s in LLVM's O3 (quadratic in the loop body).
    monkeypatch.setattr(cpu_partition, "FUSION_LIMIT", 100)
    fun, args = transformed("jit", 400)
    part = cpu_partition.partition(optimize(fnx.make_ir(fun)(*args)))
    computing = [sum(1 for e in k.fused if not cpu_partition._duplicable(e)) for k in part.kernels]
    assert max(computing) <= 100
    assert len(part.kernels) >= 1200 // 100
    got = fnx.jit(fun)(*args)  # (a new program each trace: not a cache hit)
    assert_close(got, fun(*args))


def test_stencil_chain_evaluates_each_value_at_few_places(monkeypatch):
    # `a = (a[1:] + a[:-1]) * 0.5`: the views read a fused value at shifted indices, so a
    # kernel fusing many steps computed its early values at ever more places (100 steps took
    # 15 s to compile; 400 steps 160 s).
    def f(a):
        for _ in range(200):
            a = (a[1:] + a[:-1]) * 0.5
        return a
    x = np.linspace(-1, 1, 1000, dtype=np.float32)
    program = optimize(fnx.make_ir(f)(x))
    part = cpu_partition.partition(program)
    evaluations = []
    monkeypatch.setattr(indexing.Analysis, "elementwise", lambda self, eq, args: evaluations.append(1))
    for k in part.kernels:
        indexing.analyse(k, part)
    computing = sum(1 for e in program.equations if not cpu_partition._duplicable(e))
    assert len(evaluations) <= cpu_partition.SPREAD_LIMIT * computing
    monkeypatch.undo()
    assert_close(fnx.jit(f)(x), f(x))


def test_loop_grouping_work_is_linear(monkeypatch):
    # A grad of a chain over short vectors is thousands of small kernels that may all share
    # their outer loop: choosing groups tried every sub-run of that run (cubic).
    calls = []
    real = fusion._group_prefix
    monkeypatch.setattr(fusion, "_group_prefix", lambda run, part: calls.append(1) or real(run, part))
    fun, args = transformed("grad", 1000)
    program = optimize(fnx.make_ir(fun)(*args))
    part = cpu_partition.partition(program)
    n = len(part.kernels)
    assert n > 100
    fusion.group_kernels(part)
    assert len(calls) <= (fusion.GROUP_MAX_RUN + 1) * n


def test_verify_names_variables_once(monkeypatch):
    # The verifier named every variable of the program again for each equation (quadratic).
    built = []
    real = fnx_ir.program._Names
    monkeypatch.setattr(fnx_ir.program, "_Names", lambda p: built.append(1) or real(p))
    fun, args = transformed("jit", 1000)
    fnx_ir.verify(fnx.make_ir(fun)(*args))
    assert len(built) == 1


@pytest.mark.slow
def test_10k_operations_compile_in_linear_time(monkeypatch):
    """jit, jit(grad), jit(vmap(grad)) and the text round trip of a 10,000-operation chain,
    against 1,000 operations: total compile time (trace to machine code) grows ~10x. The bound
    (25x) leaves room for a noisy machine; a quadratic stage would give ~100x."""
    monkeypatch.setenv("FNX_CACHE_DIR", "")  # compile every time: no disk cache hits
    def compile_time(kind, steps):
        fun, args = transformed(kind, steps, sin_every=100)
        t = time.perf_counter()
        with shallow_stack():
            got = fnx.jit(fun)(*args)
            text = fnx_ir.print_program(fnx.make_ir(fun)(*args))
            assert fnx_ir.print_program(fnx_ir.parse(text)) == text
        elapsed = time.perf_counter() - t
        assert_close(got, fun(*args))
        return elapsed
    for kind in ("jit", "grad", "vmap_grad"):
        small, big = compile_time(kind, 333), compile_time(kind, 3333)
        assert big < 25 * small, (kind, small, big)
