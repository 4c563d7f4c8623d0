"""`fnx.experimental`: JAX's older names for the x64 context managers."""
from ._core.config import disable_x64, enable_x64

__all__ = ["enable_x64", "disable_x64"]
