"""Micro-benchmarks of the CPU backend's kernels, single-threaded (pinned to core 0):

* GEMM (fnx.backends.cpu.matmul) at 256^3 and 1024^3, float32 and float64, in GFLOP/s against
  numpy.matmul (OpenBLAS, forced to one thread) and, when installed, jax.numpy.matmul under jit;
* the vectorised math functions (fnx.backends.cpu.mathlib) in ns per element over 2^16
  elements against numpy's ufuncs (scipy.special for erf/erfc/erf_inv/logistic);
* the W1 chain tanh(x)*sin(x) + 0.5*exp(-x*x) (float32) as one mathlib loop, in ns per element,
  compiled as the backend does (O3) and with the sin variant inlined after O3 (the always-inliner
  pass that mathlib's docstring describes), against numpy.

Systems are interleaved round by round and medians quoted (the machine is shared and noisy).
Run: .venv/bin/python benchmarks/bench_kernels_mathlib.py [gemm] [math] [chain] [--rounds N]
Never part of the test pass/fail.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import ctypes  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import pathlib  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

try:
    os.sched_setaffinity(0, {0})
except (AttributeError, OSError):  # pragma: no cover - not Linux
    pass

import numpy as np  # noqa: E402
import llvmlite.binding as llvm  # noqa: E402
from llvmlite import ir  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _load(name):
    try:
        return importlib.import_module(f"fnx.backends.cpu.{name}")
    except ImportError:
        spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / f"fnx/backends/cpu/{name}.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
        return mod


mathlib = _load("mathlib")
matmul = _load("emit.matmul")

llvm.initialize_native_target()
llvm.initialize_native_asmprinter()
_ENGINES = []


def _tm():
    return llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten() + ",-prefer-256-bit",
        opt=3, jit=True)


def _jit(mod, post_inline=False):
    tm = _tm()
    m = llvm.parse_assembly(str(mod))
    m.triple = tm.triple
    m.data_layout = str(tm.target_data)
    pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(3))
    pb.getModulePassManager().run(m, pb)
    if post_inline:   # inline mathlib's (alwaysinline) vector variants into the vectorised loops
        mpm = llvm.create_new_module_pass_manager()
        mpm.add_always_inliner_pass()
        mpm.add_instruction_combine_pass()
        mpm.add_simplify_cfg_pass()
        mpm.run(m, pb)
    ee = llvm.create_mcjit_compiler(m, _tm())
    ee.finalize_object()
    _ENGINES.append(ee)
    return ee


def _median_interleaved(fns, rounds, inner, best=None):
    """{name: median seconds per call}, each round runs every fn `inner` times (wall clock: JAX
    computes on its own threads). `best`, if a dict, receives the fastest round."""
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                f()
            times[k].append((time.perf_counter() - t0) / inner)
    if best is not None:
        best.update({k: min(v) for k, v in times.items()})
    return {k: statistics.median(v) for k, v in times.items()}


# ----------------------------------------------------------------------------------------------
# GEMM
# ----------------------------------------------------------------------------------------------

def bench_gemm(rounds=7, sizes=(256, 1024)):
    mod = ir.Module(name="bench_gemm")
    names = {d: matmul.emit_gemm(mod, d).name for d in ("float32", "float64")}
    ee = _jit(mod)
    argt = [ctypes.c_int64] * 3 + [ctypes.c_void_p, ctypes.c_int64] * 3 + [ctypes.c_int32, ctypes.c_void_p]
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_platforms", "cpu")
        jax.config.update("jax_enable_x64", True)
        jmm = jax.jit(jnp.matmul)
    except Exception:  # pragma: no cover - jax missing
        jax = None
    print(f"GEMM, one core ({llvm.get_host_cpu_name()}), GFLOP/s, median of {rounds} interleaved rounds")
    print(f"{'dtype':8s} {'n':>5s} {'fnx':>8s} {'numpy':>8s} {'jax':>8s}  fnx/numpy")
    for d in ("float32", "float64"):
        f = ctypes.CFUNCTYPE(None, *argt)(ee.get_function_address(names[d]))
        for n in sizes:
            rng = np.random.default_rng(0)
            A = rng.standard_normal((n, n)).astype(d)
            B = rng.standard_normal((n, n)).astype(d)
            C = np.empty((n, n), d)
            scratch = np.empty(matmul.gemm_scratch_bytes(n, n, n, d), np.uint8)
            args = (n, n, n, A.ctypes.data, n, B.ctypes.data, n, C.ctypes.data, n, 0, scratch.ctypes.data)
            fns = {"fnx": lambda: f(*args), "numpy": lambda: np.matmul(A, B, out=C)}
            if jax is not None:
                Aj, Bj = jnp.asarray(A), jnp.asarray(B)
                jmm(Aj, Bj).block_until_ready()
                fns["jax"] = lambda: jmm(Aj, Bj).block_until_ready()
            for g in fns.values():
                g()
            inner = max(1, int(3e8 / (2 * n ** 3)))
            best = {}
            t = _median_interleaved(fns, rounds, inner, best)
            gf = {k: 2 * n ** 3 / v / 1e9 for k, v in t.items()}
            gb = {k: 2 * n ** 3 / v / 1e9 for k, v in best.items()}
            print(f"{d:8s} {n:5d} {gf['fnx']:8.1f} {gf['numpy']:8.1f} {gf.get('jax', float('nan')):8.1f}"
                  f"  {gf['fnx'] / gf['numpy']:.2f}x   (best rounds: fnx {gb['fnx']:.1f}, numpy "
                  f"{gb['numpy']:.1f})", flush=True)
    return True


# ----------------------------------------------------------------------------------------------
# mathlib
# ----------------------------------------------------------------------------------------------

def _numpy_ref():
    ref = dict(exp=np.exp, exp2=np.exp2, expm1=np.expm1, log=np.log, log2=np.log2, log1p=np.log1p,
               sin=np.sin, cos=np.cos, tan=np.tan, tanh=np.tanh, asin=np.arcsin, acos=np.arccos,
               atan=np.arctan, sinh=np.sinh, cosh=np.cosh, asinh=np.arcsinh, acosh=np.arccosh,
               atanh=np.arctanh, cbrt=np.cbrt, sqrt=np.sqrt)
    try:
        import scipy.special as sp
        ref.update(erf=sp.erf, erfc=sp.erfc, erf_inv=sp.erfinv, logistic=sp.expit)
    except ImportError:  # pragma: no cover
        pass
    return ref


_DOMAIN = dict(acosh=(1.0, 5.0), asin=(-0.99, 0.99), acos=(-0.99, 0.99), atanh=(-0.99, 0.99),
               erf_inv=(-0.99, 0.99), log=(0.01, 100.0), log2=(0.01, 100.0), log1p=(-0.5, 100.0),
               sqrt=(0.0, 100.0), cbrt=(-100.0, 100.0))


def bench_math(rounds=9, n=1 << 16, names=None):
    names = names or [k for k in mathlib.UNARY_FUNCTIONS
                      if k not in ("abs", "floor", "ceil", "round", "neg", "sign", "rsqrt")]
    mod = ir.Module(name="bench_math")
    for dt, ft in (("float32", ir.FloatType()), ("float64", ir.DoubleType())):
        for name in names:
            fn = ir.Function(mod, ir.FunctionType(ir.VoidType(), [ir.IntType(64), ir.PointerType(), ir.PointerType()]),
                             f"{name}_{dt}")
            for a in fn.args[1:]:
                a.add_attribute("noalias")
            entry, loop, done = (fn.append_basic_block(s) for s in ("entry", "loop", "done"))
            b = ir.IRBuilder(entry)
            zero = ir.Constant(ir.IntType(64), 0)
            b.cbranch(b.icmp_signed(">", fn.args[0], zero), loop, done)
            b.position_at_end(loop)
            i = b.phi(ir.IntType(64))
            i.add_incoming(zero, entry)
            x = b.load(b.gep(fn.args[1], [i], source_etype=ft), typ=ft)
            b.store(mathlib.emit_unary(b, name, x), b.gep(fn.args[2], [i], source_etype=ft))
            nxt = b.add(i, ir.Constant(ir.IntType(64), 1))
            i.add_incoming(nxt, b.block)
            b.cbranch(b.icmp_signed("<", nxt, fn.args[0]), loop, done)
            b.position_at_end(done)
            b.ret_void()
    ee = _jit(mod)
    ref = _numpy_ref()
    print(f"\nmath functions, one core, ns/element over {n} elements, median of {rounds} rounds")
    print(f"{'function':10s} {'dtype':8s} {'fnx':>7s} {'numpy':>7s}  numpy/fnx")
    rng = np.random.default_rng(0)
    for dt in ("float32", "float64"):
        for name in names:
            lo, hi = _DOMAIN.get(name, (-3.0, 3.0))
            x = rng.uniform(lo, hi, n).astype(dt)
            y = np.empty_like(x)
            f = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p)(
                ee.get_function_address(f"{name}_{dt}"))
            args = (n, x.ctypes.data, y.ctypes.data)
            fns = {"fnx": lambda: f(*args)}
            if name in ref:
                r = ref[name]
                fns["numpy"] = (lambda: r(x, out=y))
            t = _median_interleaved(fns, rounds, 20)
            ns = {k: v / n * 1e9 for k, v in t.items()}
            npv = ns.get("numpy", float("nan"))
            print(f"{name:10s} {dt:8s} {ns['fnx']:7.3f} {npv:7.3f}  {npv / ns['fnx']:.2f}x", flush=True)


def _loop_fn(mod, name, body, ft=ir.FloatType()):
    """void name(i64 n, T* x, T* y): y[i] = body(builder, x[i])."""
    fn = ir.Function(mod, ir.FunctionType(ir.VoidType(), [ir.IntType(64), ir.PointerType(), ir.PointerType()]),
                     name)
    for a in fn.args[1:]:
        a.add_attribute("noalias")
    entry, loop, done = (fn.append_basic_block(s) for s in ("entry", "loop", "done"))
    b = ir.IRBuilder(entry)
    zero = ir.Constant(ir.IntType(64), 0)
    b.cbranch(b.icmp_signed(">", fn.args[0], zero), loop, done)
    b.position_at_end(loop)
    i = b.phi(ir.IntType(64))
    i.add_incoming(zero, entry)
    x = b.load(b.gep(fn.args[1], [i], source_etype=ft), typ=ft)
    b.store(body(b, x), b.gep(fn.args[2], [i], source_etype=ft))
    nxt = b.add(i, ir.Constant(ir.IntType(64), 1))
    i.add_incoming(nxt, b.block)
    b.cbranch(b.icmp_signed("<", nxt, fn.args[0]), loop, done)
    b.position_at_end(done)
    b.ret_void()


def _w1_body(b, x):
    """tanh(x)*sin(x) + 0.5*exp(-x*x), as the backend's fused loop computes it."""
    t = mathlib.emit_unary(b, "tanh", x)
    s = mathlib.emit_unary(b, "sin", x)
    e = mathlib.emit_unary(b, "exp", b.fmul(b.fneg(x), x))
    return b.fadd(b.fmul(t, s), b.fmul(ir.Constant(x.type, 0.5), e))


def bench_chain(rounds=9, n=1 << 16):
    engines = {}
    for post in (False, True):
        mod = ir.Module(name="bench_chain_%d" % post)
        _loop_fn(mod, "w1", _w1_body)
        engines[post] = _jit(mod, post_inline=post)
    ty = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p)
    f0, f1 = (ty(engines[p].get_function_address("w1")) for p in (False, True))
    x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    y = np.empty_like(x)
    args = (n, x.ctypes.data, y.ctypes.data)
    fns = {"fnx O3": lambda: f0(*args), "fnx O3+inline": lambda: f1(*args),
           "numpy": lambda: np.tanh(x) * np.sin(x) + 0.5 * np.exp(-x * x)}
    best = {}
    t = _median_interleaved(fns, rounds, 20, best)
    print(f"\nW1 chain tanh(x)*sin(x)+0.5*exp(-x*x), float32, one core, ns/element over {n} elements,"
          f" median (best) of {rounds} rounds")
    for k in fns:
        print(f"  {k:14s} {t[k] / n * 1e9:7.3f} ({best[k] / n * 1e9:.3f})   numpy/this "
              f"{t['numpy'] / t[k]:.2f}x", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    rounds = 7
    if "--rounds" in args:
        rounds = int(args[args.index("--rounds") + 1])
    which = [a for a in args if a in ("gemm", "math", "chain")] or ["gemm", "math", "chain"]
    if "gemm" in which:
        bench_gemm(rounds)
    if "math" in which:
        bench_math(rounds)
    if "chain" in which:
        bench_chain(rounds)
