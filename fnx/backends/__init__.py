"""Backends: the lowering interface (`base`) and its implementations.

`interpreter` (numpy, the reference) and `cpu` (llvmlite, the default) are
registered here; the CPU backend's modules load on its first use.
"""
from . import interpreter  # noqa: F401  (registers "interpreter")
from .base import get_backend, available_backends, register_backend, LoweringOptions  # noqa: F401


def _cpu_backend():
    from .cpu import CPUBackend
    return CPUBackend()


register_backend("cpu", _cpu_backend)
