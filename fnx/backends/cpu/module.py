"""LLVM setup: the host target machine, the O3 pass pipeline, JIT compilation to machine code,
and writing the disk cache that `cache` reads (so that a second process does not compile again).
"""
from __future__ import annotations

import functools
import json
import os
import threading

from . import cache
from .cache import Compiled

# llvmlite parses into LLVM's global context, which is not thread-safe: one compile at a time.
_LLVM_LOCK = threading.RLock()


def _binding():
    import llvmlite.binding as llvm  # ~35 ms to load: a cache hit never does
    return llvm


@functools.lru_cache(maxsize=None)
def host() -> tuple[str, str]:
    llvm = _binding()
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    # LLVM keeps to 256-bit vectors on AVX-512 CPUs by default (for old cores' clock drop);
    # full-width vectors are ~1.5x faster on compute-bound loops on current ones.
    return llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten() + ",-prefer-256-bit"


def new_target_machine():
    """A target machine for this CPU (its name and every feature it has, e.g. AVX-512)."""
    cpu, features = host()
    return _binding().Target.from_default_triple().create_target_machine(
        cpu=cpu, features=features, opt=3, jit=True)


@functools.lru_cache(maxsize=None)
def target_machine():
    """The shared machine for optimising and printing. (A JIT engine owns and frees the machine
    it is given, so each engine gets a fresh one.)"""
    return new_target_machine()


@functools.lru_cache(maxsize=None)
def _data_layout() -> str:
    # Read once: each `target_data` wrapper frees the machine's layout when collected.
    return str(target_machine().target_data)


def new_module(name: str):
    from llvmlite import ir
    m = ir.Module(name=name)
    m.triple = _binding().get_process_triple()
    m.data_layout = _data_layout()
    return m


def _parse(text: str):
    mod = _binding().parse_assembly(text)
    mod.verify()
    return mod


def _run_pipeline(mod) -> None:
    llvm = _binding()
    pb = llvm.create_pass_builder(target_machine(), llvm.create_pipeline_tuning_options(3))
    pb.getModulePassManager().run(mod, pb)
    # O3 has no inliner after the loop vectoriser: the vector variants of mathlib's sin/cos/tan
    # it substituted would stay calls (spilling registers every 16 elements). They are marked
    # alwaysinline; inline them now and clean up.
    mpm = llvm.create_new_module_pass_manager()
    mpm.add_always_inliner_pass()
    mpm.add_instruction_combine_pass()
    mpm.add_simplify_cfg_pass()
    mpm.run(mod, pb)


def compile_ir(text: str, optimize: bool = True) -> tuple[Compiled, bytes | None]:
    """JIT-compile LLVM IR text: the machine code, and its object file (for the disk cache)."""
    with _LLVM_LOCK:
        mod = _parse(text)
        if optimize:
            _run_pipeline(mod)
        engine = _binding().create_mcjit_compiler(mod, new_target_machine())
        objects: list[bytes] = []
        engine.set_object_cache(notify_func=lambda _module, data: objects.append(data))
        engine.finalize_object()
    cache.stats["compiles"] += 1
    return Compiled(engine, lambda: text, optimize), (objects[0] if objects else None)


def load_with_mcjit(obj: bytes):
    """An engine running an object file made by `compile_ir` (when `loader` cannot map it)."""
    with _LLVM_LOCK:
        llvm = _binding()
        engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), new_target_machine())
        engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
    return engine


def optimized_ir(text: str, optimize: bool = True) -> str:
    """The LLVM IR that `compile_ir(text, optimize)` turns into machine code."""
    with _LLVM_LOCK:
        mod = _parse(text)
        if optimize:
            _run_pipeline(mod)
        return str(mod)


def assembly(llvm_ir: str) -> str:
    with _LLVM_LOCK:
        return target_machine().emit_assembly(_binding().parse_assembly(llvm_ir))


# ------------------------------------------------------------------------- writing the cache

def _write_atomic(path: str, data: bytes) -> None:
    import tempfile
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_entry(stem: str, meta: dict, obj: bytes, llvm_ir: str) -> None:
    """Store a cache entry (see `cache`): `meta` is what the runtime needs besides the object."""
    ll = llvm_ir.encode()
    meta = dict(meta, format=cache.FORMAT, ll_digest=cache.digest(ll).hex())
    m = json.dumps(meta, separators=(",", ":")).encode()
    header = cache.HEADER.pack(cache.MAGIC, cache.digest(m, obj), len(m), len(obj))
    try:
        _write_atomic(stem + ".ll", ll)
        _write_atomic(stem + ".o", header + m + obj)  # last: its presence means both are there
        cache.stats["disk_writes"] += 1
        _prune(os.path.dirname(stem), int(float(os.environ.get("FNX_CACHE_MAX_MB", "512")) * 2**20))
    except OSError:
        pass  # a read-only or full disk only costs the next process a compile


def _prune(directory: str, max_bytes: int) -> None:
    """Remove least recently used entries until the cache fits in `max_bytes`."""
    entries, total = [], 0
    with os.scandir(directory) as it:
        files = {e.name: e for e in it}
    for name, e in files.items():
        if not name.endswith(".o"):
            continue
        try:
            st = e.stat()
            size = st.st_size
            ll = files.get(name[:-2] + ".ll")
            if ll is not None:
                size += ll.stat().st_size
        except OSError:
            continue  # removed by another process meanwhile
        entries.append((st.st_mtime, size, e.path))
        total += size
    if total <= max_bytes:
        return
    for _, size, path in sorted(entries):
        if total <= max_bytes:
            break
        for p in (path, path[:-2] + ".ll"):
            try:
                os.unlink(p)
            except OSError:
                pass
        total -= size
