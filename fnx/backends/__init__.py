"""Backends: the lowering interface (`base`) and its implementations.

`interpreter` (numpy, the reference) and `cpu` (llvmlite, the default) are
registered here. The CPU backend's runtime side (its disk-cache lookup, object
loader and executable: no LLVM) loads with fnx, so that a program found in the
disk cache runs without further imports; its code generator and LLVM load on
the first compile.
"""
from . import interpreter  # noqa: F401  (registers "interpreter")
from .base import (LoweringOptions, available_backends, get_backend, lower_program,  # noqa: F401
                   register_backend)
from . import cpu as _cpu  # noqa: F401  (light: see above)


def _cpu_backend():
    from .cpu import CPUBackend
    return CPUBackend()


register_backend("cpu", _cpu_backend)
