"""Options reach the backend from `fnx.jit(f, backend=, options=)`, and a backend's declared
`capabilities` are checked before it lowers: a program or an option it does not declare is
refused with an error naming what is missing."""
from __future__ import annotations

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.backends import LoweringOptions, base, register_backend
from fnx.backends.base import unsupported
from fnx.backends.cpu import cache
from fnx.backends.interpreter import InterpreterBackend


class Recording(InterpreterBackend):
    """The interpreter, declaring only what a test gives it and recording the options it gets."""

    def __init__(self, capabilities):
        self.capabilities = frozenset(capabilities)
        self.seen: list[LoweringOptions] = []

    def lower(self, program, options):
        self.seen.append(options)
        return super().lower(program, options)


@pytest.fixture
def make_backend(monkeypatch):
    """Registers a `Recording` backend for one test (the registry is restored after it)."""
    monkeypatch.setattr(base, "_BACKENDS", dict(base._BACKENDS))
    monkeypatch.setattr(base, "_INSTANCES", dict(base._INSTANCES))

    def make(name: str, capabilities) -> Recording:
        backend = Recording(capabilities)
        register_backend(name, lambda: backend)
        return backend
    return make


def test_options_reach_the_backend(make_backend):
    backend = make_backend("test-recording", {"all-primitives", "all-dtypes", "option:flavour"})
    opts = LoweringOptions(optimize=False, extra={"flavour": "mild"})
    f = fnx.jit(lambda x: x * 2.0, backend="test-recording", options=opts)
    np.testing.assert_array_equal(f(np.arange(3.0)), [0.0, 2.0, 4.0])
    assert backend.seen == [opts]


def test_cpu_backend_honours_the_cache_option(tmp_path, monkeypatch):
    monkeypatch.setenv("FNX_CACHE_DIR", str(tmp_path))
    before = dict(cache.stats)
    f = fnx.jit(lambda x: fnp.sin(x) + 0.25, options=LoweringOptions(extra={"cache": False}))
    f(np.arange(4.0))
    assert cache.stats["compiles"] == before["compiles"] + 1
    assert cache.stats["disk_writes"] == before["disk_writes"]
    assert not any(tmp_path.rglob("*.o"))


def test_an_undeclared_option_is_refused(make_backend):
    make_backend("test-no-options", {"all-primitives", "all-dtypes"})
    f = fnx.jit(lambda x: x + 1.0, backend="test-no-options",
                options=LoweringOptions(extra={"flavour": "mild"}))
    with pytest.raises(NotImplementedError, match=r"option:flavour \(for option 'flavour'\)"):
        f(np.arange(3.0))


def test_control_flow_needs_the_capability(make_backend):
    make_backend("test-no-control-flow", {"all-primitives", "all-dtypes"})
    f = fnx.jit(lambda p, x: lax.cond(p, lambda y: y + 1.0, lambda y: y - 1.0, x),
                backend="test-no-control-flow")
    with pytest.raises(NotImplementedError, match=r"control-flow \(for primitive 'cond'\)"):
        f(np.bool_(True), np.arange(3.0))


def test_primitives_and_dtypes_must_be_declared_one_by_one_without_all(make_backend):
    backend = make_backend("test-listed", {"primitive:mul", "dtype:float32"})
    f = fnx.jit(lambda x: x * x, backend="test-listed")
    np.testing.assert_array_equal(f(np.arange(3.0)), [0.0, 1.0, 4.0])
    assert len(backend.seen) == 1
    with pytest.raises(NotImplementedError, match=r"dtype:int32 \(for a value of dtype int32\)"):
        f(np.arange(3, dtype=np.int32))
    with pytest.raises(NotImplementedError, match=r"primitive:sin \(for primitive 'sin'\)"):
        fnx.jit(fnp.sin, backend="test-listed")(np.arange(3.0))


def test_the_registered_backends_declare_what_the_suite_uses():
    prog = fnx.make_ir(lambda p, x: lax.cond(p, lambda y: y * 2, lambda y: y, x))(
        np.bool_(True), np.arange(3.0))
    for name in fnx.backends.available_backends():
        caps = fnx.backends.get_backend(name).capabilities
        assert unsupported(caps, prog, LoweringOptions(extra={"donate": ()})) == [], name
