"""The CPU backend's disk cache of machine code: a new process finds what another compiled (and
compiles nothing, nor loads LLVM), damaged entries are compiled again, anything the machine
code depends on (host CPU, code generator, LLVM, FNX_CPU_* settings, small constants) is part
of the key, and the ELF loader runs objects as MCJIT would."""
from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fnx
import fnx._rules  # noqa: F401
import fnx.numpy as fnp
import fnx_ir as ir
from fnx.backends.base import LoweringOptions
from fnx.backends.cpu import CPUBackend, cache, loader

f32, f64, i32 = ir.float32, ir.float64, ir.int32
S = ir.shaped
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ELF_LOADER = sys.platform == "linux" and os.uname().machine == "x86_64"


def lower(program, **extra):
    return CPUBackend().lower(program, LoweringOptions(extra=extra))


def eqn(b, prim, *ins, **params):
    outs = b.equation(prim, list(ins), params)
    return outs[0] if len(outs) == 1 else outs


def program(in_types, fn, constants=()):
    b = ir.Builder()
    ins = [b.input(t) for t in in_types]
    consts = [b.constant(np.asarray(c), S(np.shape(c), ir.dtype(np.asarray(c).dtype)))
              for c in constants]
    outs = fn(b, *ins, *consts)
    return b.build(list(outs) if isinstance(outs, (list, tuple)) else [outs])


def sin_cumsum(n=100):
    return program([S((n,), f64)], lambda b, x: eqn(b, "sin", eqn(b, "cumsum", x, axis=0, reverse=True)))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FNX_CACHE_DIR", str(tmp_path))
    return tmp_path / "cpu"


def entries(d):
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def counting():
    """The change in the process's compile / disk-hit counts since this call."""
    before = dict(cache.stats)
    return lambda: {k: cache.stats[k] - before[k] for k in ("compiles", "disk_hits")}


# ------------------------------------------------------------------ across processes

_CHILD = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {root!r})
    import numpy as np
    import fnx, fnx.numpy as fnp
    from fnx.backends.cpu import cache

    def step(w, x, y):
        def loss(w):
            return fnp.mean((fnp.tanh(x @ w) - y) ** 2)
        return w - 0.1 * fnx.grad(loss)(w)

    rng = np.random.default_rng(0)
    w = rng.standard_normal((8, 4)).astype(np.float32)
    x = rng.standard_normal((16, 8)).astype(np.float32)
    y = rng.standard_normal((16, 4)).astype(np.float32)
    out = fnx.jit(step)(w, x, y)
    print(json.dumps(dict(cache.stats, llvm="llvmlite.binding" in sys.modules,
                          codegen="fnx.backends.cpu.emit" in sys.modules, out=out.tolist())))
""")


def run_child(env_dir, **env):
    res = subprocess.run([sys.executable, "-c", _CHILD.format(root=ROOT)], capture_output=True,
                         text=True, env=dict(os.environ, FNX_CACHE_DIR=str(env_dir), **env))
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_a_new_process_finds_the_machine_code_without_compiling(tmp_path):
    first = run_child(tmp_path)
    assert first["compiles"] == 1 and first["disk_hits"] == 0 and first["disk_writes"] == 1
    second = run_child(tmp_path)
    assert second["compiles"] == 0 and second["disk_hits"] == 1 and second["disk_writes"] == 0
    assert not second["codegen"]  # no code generation at all
    if ELF_LOADER:
        assert not second["llvm"]  # the object was mapped without loading LLVM
    assert second["out"] == first["out"]


def test_parent_and_child_share_entries(tmp_path, monkeypatch):
    """What this process compiles, a child process finds (same program, same key)."""
    monkeypatch.setenv("FNX_CACHE_DIR", str(tmp_path))
    cache._static_key.cache_clear()  # (the sources may have changed since it was computed)
    g = {}
    exec(_CHILD.format(root=ROOT).replace("print(", "result = ("), g)
    assert cache.stats["disk_writes"] >= 1 or entries(tmp_path / "cpu")
    child = run_child(tmp_path)
    assert child["compiles"] == 0 and child["disk_hits"] == 1


def test_a_different_cpu_misses(tmp_path):
    run_child(tmp_path)
    code = _CHILD.format(root=ROOT).replace(
        "from fnx.backends.cpu import cache\n",
        "from fnx.backends.cpu import cache\n"
        "cache.host_fingerprint = lambda: 'cpuinfo:model name=another CPU;flags=sse2'\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, FNX_CACHE_DIR=str(tmp_path)))
    assert res.returncode == 0, res.stderr
    stats = json.loads(res.stdout.strip().splitlines()[-1])
    assert stats["compiles"] == 1 and stats["disk_hits"] == 0


# ------------------------------------------------------------------ in this process

def test_hit_runs_and_is_inspectable_like_a_compile(cache_dir):
    prog = sin_cumsum()
    count = counting()
    first = lower(prog)
    assert count() == {"compiles": 1, "disk_hits": 0}
    second = lower(sin_cumsum())  # an equal program, built again
    assert count() == {"compiles": 1, "disk_hits": 1}
    x = np.linspace(0, 1, 100)
    np.testing.assert_array_equal(first(x)[0], second(x)[0])
    assert second.llvm_ir == first.llvm_ir and "fnx_entry" in second.asm
    assert second.plan.arena_size == first.plan.arena_size  # made again when inspected
    assert [k.root.primitive for k in second.partition.kernels] == \
        [k.root.primitive for k in first.partition.kernels]


def test_jit_uses_the_cache(cache_dir):
    x = np.linspace(-1, 1, 33).astype(np.float32)
    count = counting()
    a = fnx.jit(lambda x: fnp.tanh(x) * 2.0)(x)
    b = fnx.jit(lambda x: fnp.tanh(x) * 2.0)(x)  # a new function: traced again, not compiled
    np.testing.assert_array_equal(a, b)
    assert count() == {"compiles": 1, "disk_hits": 1}


def test_donation_is_keyed_and_kept(cache_dir):
    prog = program([S((50,), f32)], lambda b, x: eqn(b, "sin", x))
    count = counting()
    plain, donated = lower(prog), lower(prog, donate=((0, 0),))
    assert count() == {"compiles": 2, "disk_hits": 0}  # other code: its own entry
    again = lower(program([S((50,), f32)], lambda b, x: eqn(b, "sin", x)), donate=((0, 0),))
    assert count() == {"compiles": 2, "disk_hits": 1}
    assert (plain.aliases, donated.aliases, again.aliases) == ({}, {0: 0}, {0: 0})
    x = np.linspace(0, 1, 50, dtype=np.float32)
    want = plain(x)[0]
    out = again(x)[0]
    assert out is x
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty", "header"])
def test_a_damaged_entry_is_compiled_again(cache_dir, damage):
    prog = sin_cumsum()
    x = np.linspace(0, 1, 100)
    want = lower(prog)(x)[0]
    (obj,) = cache_dir.glob("*.o")
    data = bytearray(obj.read_bytes())
    if damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "flip":
        data[-100] ^= 0x40  # in the machine code itself
    elif damage == "garbage":
        data = bytearray(os.urandom(len(data)))
    elif damage == "empty":
        data = bytearray()
    else:
        data[:8] = b"NOTFNX!!"
    obj.write_bytes(bytes(data))
    count = counting()
    ex = lower(prog)
    assert count() == {"compiles": 1, "disk_hits": 0}
    np.testing.assert_array_equal(ex(x)[0], want)
    count = counting()
    lower(prog)  # and the entry was written again
    assert count() == {"compiles": 0, "disk_hits": 1}


def test_damaged_metadata_is_compiled_again(cache_dir):
    prog = sin_cumsum()
    lower(prog)
    (obj,) = cache_dir.glob("*.o")
    data = obj.read_bytes()
    magic, _, n_meta, n_obj = cache.HEADER.unpack_from(data)
    meta = json.loads(data[cache.HEADER.size:cache.HEADER.size + n_meta])
    meta["constants"] = [[5, 7]]  # well-formed, with a valid digest, but wrong
    m = json.dumps(meta).encode()
    body = data[cache.HEADER.size + n_meta:]
    obj.write_bytes(cache.HEADER.pack(magic, cache.digest(m, body), len(m), n_obj) + m + body)
    count = counting()
    ex = lower(prog)
    assert count() == {"compiles": 1, "disk_hits": 0}
    x = np.linspace(0, 1, 100)
    np.testing.assert_allclose(ex(x)[0], np.sin(np.cumsum(x[::-1])[::-1]), rtol=1e-12)


def test_a_damaged_or_missing_ll_file_is_made_again(cache_dir):
    prog = sin_cumsum()
    want = lower(prog).llvm_ir
    (ll,) = cache_dir.glob("*.ll")
    ll.write_text("garbage")
    assert lower(prog).llvm_ir == want
    ll.unlink()
    assert lower(prog).llvm_ir == want


def test_no_temporary_files_are_left(cache_dir):
    for n in (10, 11, 12):
        lower(sin_cumsum(n))
    names = entries(cache_dir)
    assert len(names) == 6 and all(n.endswith((".o", ".ll")) for n in names)


def test_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("FNX_CACHE_DIR", "")
    count = counting()
    lower(sin_cumsum())
    lower(sin_cumsum())
    assert count() == {"compiles": 2, "disk_hits": 0}
    count = counting()
    monkeypatch.setenv("FNX_CACHE_DIR", str(tmp_path))
    lower(sin_cumsum(), cache=False)
    assert count() == {"compiles": 1, "disk_hits": 0} and not entries(tmp_path / "cpu")


def _keys_differ(monkeypatch, name, value):
    prog = sin_cumsum()
    before = cache.key(prog, True)
    monkeypatch.setattr(cache, name, lambda: value)
    cache._static_key.cache_clear()
    try:
        return cache.key(prog, True) != before
    finally:
        monkeypatch.undo()
        cache._static_key.cache_clear()


def test_the_key_covers_what_the_machine_code_depends_on(cache_dir, monkeypatch):
    assert _keys_differ(monkeypatch, "host_fingerprint", "cpuinfo:flags=sse2 avx")  # CPU features
    assert _keys_differ(monkeypatch, "llvm_fingerprint", "libllvmlite.so:1:2")  # LLVM version
    assert _keys_differ(monkeypatch, "source_fingerprint", "emit/program.py:1:2")  # code generator
    prog = sin_cumsum()
    key = cache.key(prog, True)
    assert cache.key(sin_cumsum(), True) == key  # structural: a program built again
    assert cache.key(prog, False) != key  # unoptimised code
    assert cache.key(sin_cumsum(101), True) != key
    monkeypatch.setenv("FNX_CPU_SOME_SETTING", "1")  # code-generator settings
    assert cache.key(prog, True) != key


def test_a_changed_cpu_is_a_miss(cache_dir, monkeypatch):
    prog = sin_cumsum()
    lower(prog)
    monkeypatch.setattr(cache, "host_fingerprint", lambda: "cpuinfo:model name=other")
    cache._static_key.cache_clear()
    try:
        count = counting()
        lower(prog)
        assert count() == {"compiles": 1, "disk_hits": 0}
        assert len(list(cache_dir.glob("*.o"))) == 2
    finally:
        monkeypatch.undo()
        cache._static_key.cache_clear()


def test_constants(cache_dir):
    """Small constants are keyed by value; big ones by type only, and a hit runs with the
    program's own values."""
    def prog(c):
        return program([S(c.shape, f64)], lambda b, x, k: eqn(b, "mul", x, k), [c])
    small = [np.full(4, 2.0), np.full(4, 3.0)]
    assert cache.key(prog(small[0]), True) != cache.key(prog(small[1]), True)
    rng = np.random.default_rng(0)
    big = [rng.standard_normal(1000) for _ in range(2)]
    assert cache.key(prog(big[0]), True) == cache.key(prog(big[1]), True)
    x = rng.standard_normal(1000)
    count = counting()
    outs = [lower(prog(c))(x)[0] for c in big]
    assert count() == {"compiles": 1, "disk_hits": 1}
    for c, out in zip(big, outs):
        np.testing.assert_array_equal(out, x * c)


def _branchy(rng, n=600):
    """cond(p, x) with a constant in each branch and one at the top (big: keyed by type)."""
    def branch(prim, c):
        b = ir.Builder()
        x = b.input(S((n,), f64))
        k = b.constant(c, S((n,), f64))
        return b.build([eqn(b, prim, x, k)])
    c0, c1, c2 = (rng.standard_normal(n) for _ in range(3))
    prog = program([S((), i32), S((n,), f64)],
                   lambda b, p, x, k: eqn(b, "mul", eqn(b, "cond", p, x, branches=(
                       branch("mul", c1), branch("add", c2))), k), [c0])
    return prog, lambda p, x: (x + c2 if p else x * c1) * c0


def test_constants_of_sub_programs(cache_dir):
    """Constants of branches are found again by position on a hit (here, other values)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(600)
    count = counting()
    for _ in range(3):
        prog, want = _branchy(rng)
        ex = lower(prog)
        for p in (0, 1):
            np.testing.assert_array_equal(ex(np.int32(p), x)[0], want(p, x))
    assert count() == {"compiles": 1, "disk_hits": 2}


# ------------------------------------------------------------------ the ELF loader

@pytest.mark.skipif(not ELF_LOADER, reason="the ELF loader is for Linux x86-64")
def test_loader_runs_objects_like_mcjit():
    from fnx.backends.cpu import codelib
    text = """
        @counts = global [4 x i64] zeroinitializer
        @table = internal constant [4 x double] [double 1.0, double 2.0, double 3.0, double 4.0]
        declare double @fmod(double, double)
        declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
        define double @f(i64 %i, double %x, ptr %buf) {
          %p = getelementptr [4 x double], ptr @table, i64 0, i64 %i
          %v = load double, ptr %p
          %q = getelementptr [4 x i64], ptr @counts, i64 0, i64 %i
          %old = load i64, ptr %q
          %n = add i64 %old, 1
          store i64 %n, ptr %q
          call void @llvm.memset.p0.i64(ptr %buf, i8 7, i64 1000, i1 false)
          %r = call double @fmod(double %x, double %v)
          ret double %r
        }
    """
    compiled, obj = codelib.compile_ir(text)
    image = loader.load(obj)
    assert image is not None
    sig = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int64, ctypes.c_double, ctypes.c_void_p)
    for addr in (compiled.address("f"), image.get_function_address("f")):
        fn = sig(addr)
        buf = np.zeros(1000, np.uint8)
        assert [fn(i, 10.5, buf.ctypes.data) for i in range(4)] == [0.5, 0.5, 1.5, 2.5]
        assert (buf == 7).all()
    counts = (ctypes.c_int64 * 4).from_address(image.get_global_value_address("counts"))
    assert list(counts) == [1, 1, 1, 1]  # its own, writable, copy of the data
    assert image.get_function_address("nonexistent") == 0


def test_loader_declines_what_it_does_not_know():
    assert loader.load(b"") is None
    assert loader.load(b"\x7fELF" + bytes(100)) is None
    assert loader.load(os.urandom(4096)) is None


def test_a_hit_falls_back_to_mcjit(cache_dir, monkeypatch):
    """Where the ELF loader declines (another platform, an unknown relocation), MCJIT loads
    the cached object."""
    prog = sin_cumsum()
    x = np.linspace(0, 1, 100)
    want = lower(prog)(x)[0]
    monkeypatch.setattr(loader, "load", lambda obj: None)
    count = counting()
    ex = lower(prog)
    assert count() == {"compiles": 0, "disk_hits": 1}
    np.testing.assert_array_equal(ex(x)[0], want)


def test_sharing_is_part_of_the_key():
    """A sub-program used twice is emitted once, with its constants once: a program with two
    equal-looking but distinct sub-programs must not find that code."""
    rng = np.random.default_rng(2)

    def branch(c):
        b = ir.Builder()
        x = b.input(S((600,), f64))
        return b.build([eqn(b, "mul", x, b.constant(c, S((600,), f64)))])

    def prog(branches):
        return program([S((), i32), S((600,), f64)],
                       lambda b, p, x: eqn(b, "cond", p, x, branches=branches))
    one = branch(rng.standard_normal(600))
    shared = prog((one, one))
    distinct = prog((branch(rng.standard_normal(600)), branch(rng.standard_normal(600))))
    assert ir.print_program(shared, constants=False) == ir.print_program(distinct, constants=False)
    assert cache.key(shared, True) != cache.key(distinct, True)
    assert cache.key(distinct, True) == cache.key(
        prog((branch(rng.standard_normal(600)), branch(rng.standard_normal(600)))), True)


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
