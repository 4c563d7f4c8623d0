"""Backends: the lowering interface (`base`) and its implementations."""
from . import interpreter  # noqa: F401  (registers "interpreter")
from .base import get_backend, available_backends, register_backend, LoweringOptions  # noqa: F401
