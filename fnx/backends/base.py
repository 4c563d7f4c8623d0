"""The lowering interface every backend implements.

A backend turns a verified `fnx_ir.Program` into an `Executable`: a callable that
takes the program's inputs as numpy arrays (C-contiguous, exactly the input
types) and returns its outputs as a list of new numpy arrays (of the subclass
`fnx._core.array.Array`, which holds no state: eager results are `fnx.Array`). Nothing here
imports user-facing modules; a backend depends on `fnx_ir` (and, for reference
semantics, on the numpy implementations in `fnx._rules`).
"""
from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np

import fnx_ir


@dataclass(frozen=True)
class LoweringOptions:
    """Knobs a caller may pass to `Backend.lower` (`fnx.jit(f, options=...)`). Each key of
    `extra` is an option the backend must declare as the capability `option:<key>`."""

    optimize: bool = True
    extra: dict = field(default_factory=dict)

    def with_extra(self, **extra) -> "LoweringOptions":
        """These options with `extra` added (replacing keys already there)."""
        return LoweringOptions(self.optimize, {**self.extra, **extra})


class Executable(Protocol):
    program: fnx_ir.Program

    def __call__(self, *args: np.ndarray) -> list[np.ndarray]: ...


class Backend(Protocol):
    """`name`, the capabilities it declares, and `lower`.

    Capabilities (checked by `lower_program` before `lower` is called): `all-primitives` (else
    `primitive:<name>` for each one it lowers), `control-flow` (programs holding sub-programs:
    cond, while, scan), `all-dtypes` (else `dtype:<name>` for each one), and `option:<key>` for
    each `LoweringOptions.extra` key it takes.
    """

    name: str
    capabilities: frozenset[str]

    def lower(self, program: fnx_ir.Program, options: LoweringOptions) -> Executable: ...


# ------------------------------------------------------------ compile log

class CompileLog:
    """The stage durations of one compile (`fnx.jit`'s trace, passes and lowering, and the
    stages a backend reports with `compile_stage`), for `FNX_LOG_COMPILES=1`.

    `stages`: (name, depth, seconds) in the order the stages finished (a stage that runs inside
    another has the larger depth: its time is part of its parent's); `cache`: what the backend's
    disk cache did ("hit", "miss", or "off" when not used; None if the backend said nothing).
    """

    def __init__(self) -> None:
        self.stages: list[tuple[str, int, float]] = []
        self.cache: str | None = None
        self._depth = 0

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage `name` (recorded even if it raises)."""
        self._depth += 1
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self._depth -= 1
            self.stages.append((name, self._depth, time.perf_counter() - t0))

    def seconds(self, name: str) -> float:
        """The total time of the stages called `name` (0.0 if none ran)."""
        return sum(t for n, _, t in self.stages if n == name)

    def report(self, title: str) -> str:
        """One readable block: `title`, the cache outcome, then each stage's milliseconds,
        outermost stages first and the stages inside one indented under it."""
        lines = [title + ("" if self.cache is None else f" (disk cache: {self.cache})")]
        for name, depth, seconds in nested_order(self.stages):
            lines.append(f"  {'  ' * depth}{name:<{28 - 2 * depth}} {seconds * 1e3:9.2f} ms")
        return "\n".join(lines)


def nested_order(stages: list[tuple[str, int, float]]) -> list[tuple[str, int, float]]:
    """`CompileLog.stages` (finishing order: children before their parent) in reading order:
    each stage before the stages that ran inside it."""
    out: list[tuple[str, int, float]] = []
    pending: dict[int, list] = {}  # depth -> finished subtrees waiting for their parent
    for s in stages:
        depth = s[1]
        pending.setdefault(depth, []).extend([s] + pending.pop(depth + 1, []))
    for depth in sorted(pending):  # (only depth 0 once every stage has finished)
        out.extend(pending[depth])
    return out


class _Logs(threading.local):
    stack: list  # the compile logs being filled on this thread, innermost last

    def __init__(self) -> None:
        self.stack = []


_logs = _Logs()


@contextlib.contextmanager
def collecting(log: CompileLog) -> Iterator[CompileLog]:
    """Within the block, this thread's `compile_stage` and `compile_cache` calls go to `log`
    (a compile inside another one fills its own log)."""
    _logs.stack.append(log)
    try:
        yield log
    finally:
        _logs.stack.pop()


def compile_stage(name: str) -> contextlib.AbstractContextManager:
    """For a backend: time the block as stage `name` of the compile in progress on this thread
    (nothing is recorded outside `collecting`)."""
    stack = _logs.stack
    return stack[-1].stage(name) if stack else contextlib.nullcontext()


def compile_cache(outcome: str) -> None:
    """For a backend: what its disk cache did in the compile in progress ("hit", "miss", "off")."""
    if _logs.stack:
        _logs.stack[-1].cache = outcome


_BACKENDS: dict[str, Callable[[], Backend]] = {}
_INSTANCES: dict[str, Backend] = {}


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Make a backend available as `fnx.jit(f, backend=name)`; created on first use."""
    _BACKENDS[name] = factory


def get_backend(name: str) -> Backend:
    """The backend registered as `name` (made on first use)."""
    if name not in _INSTANCES:
        if name not in _BACKENDS:
            raise ValueError(f"unknown backend {name!r}; available: {sorted(_BACKENDS)}")
        _INSTANCES[name] = _BACKENDS[name]()
    return _INSTANCES[name]


def available_backends() -> list[str]:
    return sorted(_BACKENDS)


def unsupported(capabilities: frozenset[str], program: fnx_ir.Program,
                options: LoweringOptions) -> list[str]:
    """The capabilities lowering `program` with `options` needs that are not in `capabilities`,
    each with what needs it (empty: it can be lowered)."""
    missing: dict[str, str] = {}

    def need(capability: str, what: str) -> None:
        if capability not in capabilities:
            missing.setdefault(capability, what)

    for key in options.extra:
        need(f"option:{key}", f"option {key!r}")
    programs = [program]
    while programs:
        p = programs.pop()
        for v in list(p.inputs) + [v for e in p.equations for v in e.outputs]:
            if "all-dtypes" not in capabilities:
                need(f"dtype:{v.type.dtype.name}", f"a value of dtype {v.type.dtype.name}")
        for e in p.equations:
            if "all-primitives" not in capabilities:
                need(f"primitive:{e.primitive}", f"primitive {e.primitive!r}")
            inner = list(fnx_ir.subprograms(e.params))
            if inner:
                need("control-flow", f"primitive {e.primitive!r}")
                programs.extend(inner)
    return [f"{c} (for {what})" for c, what in missing.items()]


def lower_program(name: str, program: fnx_ir.Program, options: LoweringOptions) -> Executable:
    """`program` lowered by backend `name`, once its capabilities are checked: a program or an
    option it does not declare is refused here with a clear error, not deep in its code."""
    backend = get_backend(name)
    with compile_stage("check capabilities"):
        missing = unsupported(backend.capabilities, program, options)
    if missing:
        raise NotImplementedError(f"backend {name!r} cannot lower this program: it lacks "
                                  + "; ".join(missing))
    return backend.lower(program, options)


def check_arguments(program: fnx_ir.Program, args: Sequence[np.ndarray]) -> None:
    """Reject arguments whose shape or dtype differ from the program's inputs."""
    if len(args) != len(program.inputs):
        raise TypeError(f"program takes {len(program.inputs)} inputs, got {len(args)}")
    for i, (v, a) in enumerate(zip(program.inputs, args, strict=True)):
        if a.shape != v.type.shape or a.dtype != v.type.dtype.np:
            raise TypeError(f"input {i}: expected {v.type}, got {a.dtype}{list(a.shape)}")
