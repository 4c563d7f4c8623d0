"""The lowering interface every backend implements.

A backend turns a verified `fnx_ir.Program` into an `Executable`: a callable that
takes the program's inputs as numpy arrays (C-contiguous, exactly the input
types) and returns its outputs as a list of new numpy arrays (of the subclass
`fnx._core.array.Array`, which holds no state: eager results are `fnx.Array`). Nothing here
imports user-facing modules; a backend depends on `fnx_ir` (and, for reference
semantics, on the numpy implementations in `fnx._rules`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

import numpy as np

import fnx_ir


@dataclass(frozen=True)
class LoweringOptions:
    """Knobs a caller may pass to `Backend.lower`; a backend ignores what it does not know."""

    optimize: bool = True
    extra: dict = field(default_factory=dict)


class Executable(Protocol):
    program: fnx_ir.Program

    def __call__(self, *args: np.ndarray) -> list[np.ndarray]: ...


class Backend(Protocol):
    """`name`, the capabilities it declares, and `lower`."""

    name: str
    capabilities: frozenset[str]

    def lower(self, program: fnx_ir.Program, options: LoweringOptions) -> Executable: ...


_BACKENDS: dict[str, Callable[[], Backend]] = {}
_INSTANCES: dict[str, Backend] = {}


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Make a backend available as `fnx.jit(f, backend=name)`; created on first use."""
    _BACKENDS[name] = factory


def get_backend(name: str) -> Backend:
    if name not in _INSTANCES:
        if name not in _BACKENDS:
            raise ValueError(f"unknown backend {name!r}; available: {sorted(_BACKENDS)}")
        _INSTANCES[name] = _BACKENDS[name]()
    return _INSTANCES[name]


def available_backends() -> list[str]:
    return sorted(_BACKENDS)


def check_arguments(program: fnx_ir.Program, args: Sequence[np.ndarray]) -> None:
    """Reject arguments whose shape or dtype differ from the program's inputs."""
    if len(args) != len(program.inputs):
        raise TypeError(f"program takes {len(program.inputs)} inputs, got {len(args)}")
    for i, (v, a) in enumerate(zip(program.inputs, args)):
        if a.shape != v.type.shape or a.dtype != v.type.dtype.np:
            raise TypeError(f"input {i}: expected {v.type}, got {a.dtype}{list(a.shape)}")
