"""`fnx.config`: JAX's configuration object, with the options fnx has: `jax_enable_x64` and
`fnx_log_compiles`.

The x64 switch is a process-wide value (`fnx.config.update("jax_enable_x64", True)`, or the
environment variable `JAX_ENABLE_X64` / `FNX_ENABLE_X64` at import) that a thread may override
for a block with the context manager `fnx.enable_x64(...)` (`fnx.experimental.enable_x64()` /
`disable_x64()`, JAX's older names), as JAX's thread-local context managers do.
`x64_enabled()` is the one place the value is read.

`fnx_log_compiles` (alias `jax_log_compiles`, JAX's name): each `fnx.jit` compile logs its stage
times (trace, passes, lowering and the backend's stages) as one WARNING record of the `fnx`
logger. Unless set with `fnx.config.update`, the environment variable `FNX_LOG_COMPILES` (or
`JAX_LOG_COMPILES`) decides, read at each compile; `log_compiles()` is where it is read.
"""
from __future__ import annotations

import contextlib
import os
import threading
from typing import Any, Iterator

_TRUE = ("y", "yes", "t", "true", "on", "1")
_FALSE = ("n", "no", "f", "false", "off", "0")
_NAMES = {"jax_enable_x64": "jax_enable_x64", "enable_x64": "jax_enable_x64",
          "fnx_log_compiles": "fnx_log_compiles", "jax_log_compiles": "fnx_log_compiles",
          "log_compiles": "fnx_log_compiles"}


def _env_flag(names: tuple[str, ...]) -> bool:
    for name in names:
        raw = os.environ.get(name)
        if raw is None:
            continue
        if raw.strip().lower() in _TRUE:
            return True
        if raw.strip().lower() in _FALSE:
            return False
        raise ValueError(f"invalid truth value {raw!r} for environment variable {name} "
                         f"(use one of {', '.join(_TRUE + _FALSE)})")
    return False


class _Local(threading.local):
    x64: bool | None = None  # this thread's override (a context manager), or None


_global_x64 = [_env_flag(("FNX_ENABLE_X64", "JAX_ENABLE_X64"))]
_local = _Local()
_log_compiles: list[bool | None] = [None]  # None: the environment decides, at each compile


def x64_enabled() -> bool:
    """Whether 64-bit default dtypes are on, in this thread now."""
    o = _local.x64
    return _global_x64[0] if o is None else o


def log_compiles() -> bool:
    """Whether each jit compile logs its stage times (see the module docstring)."""
    value = _log_compiles[0]
    return _env_flag(("FNX_LOG_COMPILES", "JAX_LOG_COMPILES")) if value is None else value


class Config:
    """The `fnx.config` object (JAX's `jax.config` for the options fnx has)."""

    def _name(self, name: str) -> str:
        try:
            return _NAMES[name]
        except (KeyError, TypeError):
            raise AttributeError(f"Unrecognized config option: {name} "
                                 f"(fnx has: {', '.join(sorted(_NAMES))})") from None

    def update(self, name: str, value: Any) -> None:
        """Set option `name` for the whole process: `"jax_enable_x64"` (or `"enable_x64"`),
        `"fnx_log_compiles"` (or `"jax_log_compiles"`, `"log_compiles"`)."""
        option = self._name(name)
        if not isinstance(value, (bool, int)):
            raise TypeError(f"fnx.config.update({name!r}, ...): expected a bool, got {value!r}")
        (_global_x64 if option == "jax_enable_x64" else _log_compiles)[0] = bool(value)

    def read(self, name: str) -> Any:
        """The current value of option `name` (as this thread sees it)."""
        return x64_enabled() if self._name(name) == "jax_enable_x64" else log_compiles()

    @property
    def jax_enable_x64(self) -> bool:
        return x64_enabled()

    @property
    def x64_enabled(self) -> bool:
        return x64_enabled()

    @property
    def fnx_log_compiles(self) -> bool:
        return log_compiles()

    jax_log_compiles = fnx_log_compiles

    def __repr__(self) -> str:
        return f"fnx.config(jax_enable_x64={x64_enabled()}, fnx_log_compiles={log_compiles()})"


config = Config()


@contextlib.contextmanager
def enable_x64(new_val: bool = True) -> Iterator[None]:
    """Within the block, this thread uses 64-bit defaults iff `new_val` (JAX's `jax.enable_x64`)."""
    saved = _local.x64
    _local.x64 = bool(new_val)
    try:
        yield
    finally:
        _local.x64 = saved


def disable_x64() -> contextlib.AbstractContextManager:
    """Within the block, this thread uses 32-bit defaults (JAX's `jax.experimental.disable_x64`)."""
    return enable_x64(False)
