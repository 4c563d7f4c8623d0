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
from .cpu import CPUBackend  # (light: see above)

register_backend("cpu", CPUBackend)
