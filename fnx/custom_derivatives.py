"""User-defined derivative rules (JAX's `jax.custom_derivatives`): `custom_jvp`,
`custom_vjp` (also `fnx.custom_jvp` / `fnx.custom_vjp`), and the values rules defined
with `symbolic_zeros=True` receive: `SymbolicZero`, `CustomVJPPrimal`."""
from ._core.custom_derivatives import CustomVJPPrimal, SymbolicZero, custom_jvp, custom_vjp

__all__ = ["custom_jvp", "custom_vjp", "SymbolicZero", "CustomVJPPrimal"]
