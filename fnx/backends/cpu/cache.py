"""The on-disk cache of machine code: its key, and its entries (read and written without LLVM).

The key covers everything the machine code depends on, and is computed before any LLVM IR is
made: the program's canonical text (constants by type, and small ones by value too; the
generated code reads constants from a table the runtime passes, never as immediates), the code
generator (a digest of the sources of `fnx/backends/cpu` and `fnx_ir`, and the `FNX_CPU_*`
environment settings), the LLVM library, the host CPU and the Python/numpy ABI. A hit thus
skips code generation entirely: the entry holds, next to the object file, what the runtime
needs (entry name, arena size, constant order, object-layout offsets), and `loader` maps the
object without loading LLVM.

`FNX_CACHE_DIR` picks the directory (default ~/.cache/fnx); an empty value turns the cache off.
`FNX_CACHE_MAX_MB` (default 512) bounds its size, least recently used entries going first. An
entry is `<key>.o` (a header with a digest, metadata as JSON, the ELF object) and `<key>.ll` (the
code generator's LLVM IR, read only for inspection). Files are written atomically; an entry that
fails its digest (truncated, corrupt) is ignored, and compiled and written again.
"""
from __future__ import annotations

import functools
import importlib.util
import json
import os
import struct
import sys
import tempfile

import numpy as np

import fnx_ir
from fnx_ir import subprograms
from fnx_ir.text import print_program

from .target import host

try:
    from _blake2 import blake2b  # hashlib itself loads OpenSSL: ~3 ms
except ImportError:  # pragma: no cover
    from hashlib import blake2b

# Bump when the entry format, or anything the generated code depends on that the key does not
# see, changes.
FORMAT = 1
MAGIC = b"FNXCPU\x00\x01"
HEADER = struct.Struct("<8s16sII")  # magic, digest of the rest, metadata bytes, object bytes
SMALL_CONSTANT = 4096  # bytes: constants up to this size are keyed by value as well as type

# How this process got its executables (for tests and debugging).
stats = {"compiles": 0, "disk_hits": 0, "disk_writes": 0}


def cache_dir() -> str | None:
    """The directory of CPU entries (from FNX_CACHE_DIR), or None when the cache is off."""
    d = os.environ.get("FNX_CACHE_DIR")
    if d is None:
        d = os.path.join(os.path.expanduser("~"), ".cache", "fnx")
    return os.path.join(d, "cpu") if d else None


def host_fingerprint() -> str:
    """The host CPU as LLVM sees it. On Linux, from /proc/cpuinfo (model and feature flags,
    from the same CPUID that LLVM's detection reads), so that a hit needs no LLVM; elsewhere,
    LLVM's own host name and features."""
    try:
        with open("/proc/cpuinfo", "rb") as f:
            first = f.read(1 << 16).split(b"\n\n", 1)[0].decode()
        fields = {}
        for line in first.splitlines():
            k, sep, v = line.partition(":")
            if sep:
                fields[k.strip()] = v.strip()
        keep = ("vendor_id", "cpu family", "model", "model name", "stepping", "flags",
                "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "Features")
        if "flags" in fields or "Features" in fields:
            return "cpuinfo:" + ";".join(f"{k}={fields[k]}" for k in keep if k in fields)
    except (OSError, UnicodeDecodeError):
        pass
    return "llvm:" + ":".join(host())


def _llvmlite_dir() -> str:
    for entry in sys.path:  # (what the import system would find first, usually: quick)
        d = os.path.join(entry or ".", "llvmlite")
        if os.path.isfile(os.path.join(d, "__init__.py")):
            return d
    spec = importlib.util.find_spec("llvmlite")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("llvmlite is not installed")
    return next(iter(spec.submodule_search_locations))


def llvm_fingerprint() -> str:
    """The LLVM library llvmlite would load, by file identity (without loading it)."""
    binding = os.path.join(_llvmlite_dir(), "binding")
    parts = [binding]
    for name in sorted(os.listdir(binding)):
        if name.startswith("libllvmlite"):
            st = os.stat(os.path.join(binding, name))
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return ";".join(parts)


def source_fingerprint() -> str:
    """The code generator: every source file of this package (its stages' subpackages included)
    and of fnx_ir, by path, size and modification time (any edit, checkout or install changes
    one; reading and hashing them all would cost more than the rest of a cache hit)."""
    parts = []
    for top in (os.path.dirname(__file__), os.path.dirname(fnx_ir.__file__)):
        for d, subdirs, files in os.walk(top):
            subdirs[:] = sorted(s for s in subdirs if s != "__pycache__")
            for name in sorted(files):
                if name.endswith(".py"):
                    path = os.path.join(d, name)
                    st = os.stat(path)
                    parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    return ";".join(parts)


@functools.lru_cache(maxsize=None)
def _static_key() -> bytes:
    machine = os.uname().machine if hasattr(os, "uname") else ""
    parts = [f"fnx-cpu-cache/{FORMAT}", sys.version, sys.platform, machine, np.__version__,
             llvm_fingerprint(), host_fingerprint(), source_fingerprint()]
    return "\0".join(parts).encode()


def all_programs(program) -> list:
    """`program` and its sub-programs, depth first: the order constants are keyed and found in."""
    out = [program]
    i = 0
    while i < len(out):
        p = out[i]
        i += 1
        out[i:i] = [s for e in p.equations if e.params for s in subprograms(e.params)]
    return out


def key(program, optimize: bool, donate=()) -> str | None:
    """The cache key of `program`'s machine code, or None if it is not to be cached.
    `donate`: the (output, input) buffer pairs asked for (they change the code)."""
    text = print_program(program, constants=False)
    if "<" in text:  # a parameter without a faithful text form: nothing reliable to key on
        return None
    h = blake2b(_static_key(), digest_size=32)
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith("FNX_CPU_"))
    programs = all_programs(program)
    # Which programs and constants are one object (the code generator emits a shared
    # sub-program once, with its constants once): the text cannot tell.
    first: dict = {}
    shared = [first.setdefault(id(p), i) for i, p in enumerate(programs)]
    first = {}
    shared += [first.setdefault(id(v), i) for i, (v, _) in
               enumerate(vc for p in programs for vc in p.constants)]
    h.update(repr((bool(optimize), env, shared, tuple(donate))).encode())
    h.update(text.encode())
    for p in programs:
        for _, c in p.constants:
            if c.nbytes <= SMALL_CONSTANT:
                h.update(f"{c.dtype.str}{c.shape}".encode())
                h.update(c.tobytes())
    return h.hexdigest()


def digest(*parts: bytes) -> bytes:
    """A 16-byte digest of `parts`, concatenated."""
    h = blake2b(digest_size=16)
    for p in parts:
        h.update(p)
    return h.digest()


def read_entry(stem: str) -> tuple[dict, bytes] | None:
    """The metadata and object file of a cache entry, or None if absent, truncated or corrupt."""
    try:
        with open(stem + ".o", "rb") as f:
            data = f.read()
    except OSError:
        return None
    if len(data) < HEADER.size:
        return None
    magic, want, n_meta, n_obj = HEADER.unpack_from(data)
    body = memoryview(data)[HEADER.size:]
    if magic != MAGIC or len(body) != n_meta + n_obj or digest(body) != want:
        return None
    try:
        meta = json.loads(bytes(body[:n_meta]))
    except ValueError:
        return None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        return None
    return meta, bytes(body[n_meta:])


def read_llvm_ir(stem: str, meta: dict) -> str | None:
    """The entry's LLVM IR, or None if absent or not the one `meta` was written with."""
    try:
        with open(stem + ".ll", "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data.decode() if digest(data).hex() == meta.get("ll_digest") else None


def touch(path: str) -> None:
    """Mark `path` recently used (the pruning removes the least recently used first)."""
    try:
        os.utime(path)
    except OSError:
        pass


def _write_atomic(path: str, data: bytes) -> None:
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
    """Store a cache entry (see above): `meta` is what the runtime needs besides the object."""
    ll = llvm_ir.encode()
    meta = dict(meta, format=FORMAT, ll_digest=digest(ll).hex())
    m = json.dumps(meta, separators=(",", ":")).encode()
    header = HEADER.pack(MAGIC, digest(m, obj), len(m), len(obj))
    try:
        _write_atomic(stem + ".ll", ll)
        _write_atomic(stem + ".o", header + m + obj)  # last: its presence means both are there
        stats["disk_writes"] += 1
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
