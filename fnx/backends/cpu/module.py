"""LLVM setup: the host target machine, the O3 pass pipeline, JIT compilation to machine code,
and an on-disk cache of the machine code so that a second process does not compile again.

The cache key is the unoptimised IR text (which the backend's code generator determines
completely), the LLVM version and the host CPU name and features. `FNX_CACHE_DIR` picks the
directory (default ~/.cache/fnx); an empty value turns the cache off. `FNX_CACHE_MAX_MB`
(default 512) bounds its size: past it, the least recently used entries are removed.
"""
from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import threading
from pathlib import Path

import llvmlite.binding as llvm
from llvmlite import ir


# llvmlite parses into LLVM's global context, which is not thread-safe: one compile at a time.
_LLVM_LOCK = threading.RLock()


@functools.lru_cache(maxsize=None)
def _host() -> tuple[str, str]:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    # LLVM keeps to 256-bit vectors on AVX-512 CPUs by default (for old cores' clock drop);
    # full-width vectors are ~1.5x faster on compute-bound loops on current ones.
    return llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten() + ",-prefer-256-bit"


def new_target_machine() -> llvm.TargetMachine:
    """A target machine for this CPU (its name and every feature it has, e.g. AVX-512)."""
    cpu, features = _host()
    return llvm.Target.from_default_triple().create_target_machine(
        cpu=cpu, features=features, opt=3, jit=True)


@functools.lru_cache(maxsize=None)
def target_machine() -> llvm.TargetMachine:
    """The shared machine for optimising and printing. (A JIT engine owns and frees the machine
    it is given, so each engine gets a fresh one.)"""
    return new_target_machine()


@functools.lru_cache(maxsize=None)
def _data_layout() -> str:
    # Read once: each `target_data` wrapper frees the machine's layout when collected.
    return str(target_machine().target_data)


def new_module(name: str) -> ir.Module:
    m = ir.Module(name=name)
    m.triple = llvm.get_process_triple()
    m.data_layout = _data_layout()
    return m


def cache_dir() -> Path | None:
    d = os.environ.get("FNX_CACHE_DIR", str(Path.home() / ".cache" / "fnx"))
    return Path(d) / "cpu" if d else None


def _cache_key(text: str, optimize: bool) -> str:
    h = hashlib.sha256()
    for part in (text, repr(llvm.llvm_version_info), *_host(), repr(optimize)):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def _read_cache(stem: Path) -> tuple[bytes, str] | None:
    try:
        return stem.with_suffix(".o").read_bytes(), stem.with_suffix(".ll").read_text()
    except OSError:
        return None


def _write_cache(stem: Path, obj: bytes, llvm_ir: str) -> None:
    try:
        _write_atomic(stem.with_suffix(".ll"), llvm_ir.encode())
        _write_atomic(stem.with_suffix(".o"), obj)  # last: its presence means both are there
        _prune(stem.parent, int(float(os.environ.get("FNX_CACHE_MAX_MB", "512")) * 2**20))
    except OSError:
        pass  # a read-only or full disk only costs the next process a compile


def _prune(directory: Path, max_bytes: int) -> None:
    """Remove least recently used entries until the cache fits in `max_bytes`."""
    entries = []
    for obj in directory.glob("*.o"):
        try:
            st = obj.stat()
            ll = obj.with_suffix(".ll")
            entries.append((st.st_mtime, st.st_size + (ll.stat().st_size if ll.exists() else 0), obj))
        except OSError:
            continue  # removed by another process meanwhile
    total = sum(size for _, size, _ in entries)
    for _, size, obj in sorted(entries):
        if total <= max_bytes:
            break
        for path in (obj, obj.with_suffix(".ll")):
            path.unlink(missing_ok=True)
        total -= size


class Compiled:
    """A JIT-compiled module: function addresses, plus the optimised IR and assembly for inspection."""

    def __init__(self, module: ir.Module, optimize: bool = True, cache: bool = True):
        text = str(module)
        where = cache_dir() if cache else None
        stem = where / _cache_key(text, optimize) if where else None
        with _LLVM_LOCK:
            self._build(text, optimize, stem)

    def _build(self, text: str, optimize: bool, stem: Path | None) -> None:
        hit = _read_cache(stem) if stem else None
        if hit:
            _touch(stem.with_suffix(".o"))  # recently used: pruned last
            obj, self.llvm_ir = hit
            self._engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), new_target_machine())
            self._engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
            self._engine.finalize_object()
            return
        mod = llvm.parse_assembly(text)
        mod.verify()
        if optimize:
            pb = llvm.create_pass_builder(target_machine(), llvm.create_pipeline_tuning_options(3))
            pb.getModulePassManager().run(mod, pb)
        self.llvm_ir = str(mod)
        self._engine = llvm.create_mcjit_compiler(mod, new_target_machine())
        objects: list[bytes] = []
        self._engine.set_object_cache(notify_func=lambda _module, data: objects.append(data))
        self._engine.finalize_object()
        if stem is not None and objects:
            _write_cache(stem, objects[0], self.llvm_ir)

    def address(self, name: str) -> int:
        return self._engine.get_function_address(name)

    @functools.cached_property
    def asm(self) -> str:
        with _LLVM_LOCK:
            return target_machine().emit_assembly(llvm.parse_assembly(self.llvm_ir))
