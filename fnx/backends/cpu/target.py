"""The host CPU as LLVM sees it: its name and features, its target machine (and the triple and
data layout every module declares), and the vector width the GEMM blocks for.

llvmlite is imported on first use, not with this module: loading its LLVM library costs ~35 ms,
and a process whose programs are all in the disk cache never needs it.
"""
from __future__ import annotations

import functools


def llvm_binding():
    """`llvmlite.binding`, loaded on first use (see above)."""
    import llvmlite.binding as llvm
    return llvm


@functools.lru_cache(maxsize=None)
def host() -> tuple[str, str]:
    """(CPU name, feature string) of the host, as code is generated for it."""
    llvm = llvm_binding()
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    # LLVM keeps to 256-bit vectors on AVX-512 CPUs by default (for old cores' clock drop);
    # full-width vectors are ~1.5x faster on compute-bound loops on current ones.
    return llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten() + ",-prefer-256-bit"


@functools.lru_cache(maxsize=None)
def host_vector() -> tuple[int, int]:
    """(vector bits, number of vector registers) of the host."""
    try:
        llvm = llvm_binding()
        llvm.initialize_native_target()
        feats = llvm.get_host_cpu_features()
        triple = llvm.get_process_triple()
    except Exception:  # pragma: no cover - no LLVM: be conservative
        return 128, 16
    if feats.get("avx512f", False):
        return 512, 32
    if feats.get("avx2", False) or feats.get("avx", False):
        return 256, 16
    if triple.startswith(("aarch64", "arm64")):
        return 128, 32
    return 128, 16


def new_target_machine():
    """A target machine for this CPU (its name and every feature it has, e.g. AVX-512)."""
    cpu, features = host()
    return llvm_binding().Target.from_default_triple().create_target_machine(
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


def module_target() -> tuple[str, str]:
    """(triple, data layout) every module the code generator makes must declare."""
    return llvm_binding().get_process_triple(), _data_layout()
