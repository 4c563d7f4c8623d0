"""The x64 switch: JAX's default dtypes, canonicalisation of 64-bit inputs, explicit-request
warnings, weak types and the jit cache (expected values: JAX 0.10 in the same mode)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx._core.trace import type_of


def test_the_switch_is_off_by_default_and_read_back_under_both_names():
    env = {os.environ.get(v, "0").lower() for v in ("JAX_ENABLE_X64", "FNX_ENABLE_X64")}
    default = bool(env & {"1", "true", "yes", "on", "y", "t"})
    assert fnx.config.jax_enable_x64 is default and fnx.config.read("jax_enable_x64") is default
    fnx.config.update("enable_x64", True)
    assert fnx.config.jax_enable_x64 is True and fnx.config.x64_enabled is True
    assert fnp.zeros(2).dtype == np.float64
    fnx.config.update("jax_enable_x64", False)
    assert fnp.zeros(2).dtype == np.float32


def test_unknown_options_are_named():
    with pytest.raises(AttributeError, match="Unrecognized config option: jax_bogus"):
        fnx.config.update("jax_bogus", True)
    with pytest.raises(AttributeError, match="bogus"):
        fnx.config.read("bogus")


@pytest.mark.parametrize("var", ["JAX_ENABLE_X64", "FNX_ENABLE_X64"])
@pytest.mark.parametrize("value, expected", [("1", "float64"), ("true", "float64"),
                                             ("0", "float32"), ("False", "float32")])
def test_environment_variable_at_import(var, value, expected):
    env = {k: v for k, v in os.environ.items() if k not in ("JAX_ENABLE_X64", "FNX_ENABLE_X64")}
    env[var] = value
    out = subprocess.run([sys.executable, "-c", "import fnx.numpy as fnp; print(fnp.ones(1).dtype)"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def test_context_managers_nest_restore_and_are_per_thread():
    seen = {}
    started, release = threading.Event(), threading.Event()

    def other():
        started.set()
        release.wait(5)
        seen["other"] = fnp.zeros(1).dtype

    t = threading.Thread(target=other)
    t.start()
    started.wait(5)
    with fnx.enable_x64():
        assert fnp.zeros(1).dtype == np.float64
        release.set()
        t.join(5)
        with fnx.experimental.disable_x64():
            assert fnp.arange(2).dtype == np.int32
        with fnx.enable_x64(False):
            assert fnp.arange(2).dtype == np.int32
        assert fnp.arange(2).dtype == np.int64
    with fnx.experimental.enable_x64():
        assert fnp.ones(1).dtype == np.float64
    assert fnp.zeros(1).dtype == np.float32
    assert seen["other"] == np.float32  # the other thread never saw this thread's override


# (expression, dtype with x64 off, dtype with x64 on): jax.numpy's, checked with JAX 0.10
DEFAULTS = [
    ("fnp.zeros(3)", "float32", "float64"), ("fnp.ones(3)", "float32", "float64"),
    ("fnp.arange(3)", "int32", "int64"), ("fnp.arange(3.0)", "float32", "float64"),
    ("fnp.linspace(0, 1, 3)", "float32", "float64"), ("fnp.eye(2)", "float32", "float64"),
    ("fnp.full(3, 1)", "int32", "int64"), ("fnp.full(3, 1.0)", "float32", "float64"),
    ("fnp.array(1.0)", "float32", "float64"), ("fnp.array([1.0])", "float32", "float64"),
    ("fnp.array([1, 2])", "int32", "int64"), ("fnp.array(True)", "bool", "bool"),
    ("fnp.zeros(2, float)", "float32", "float64"), ("fnp.zeros(2, int)", "int32", "int64"),
    ("fnp.sqrt(2)", "float32", "float64"), ("fnp.add(1, 2)", "int32", "int64"),
    ("fnp.mean(fnp.arange(3))", "float32", "float64"),
    ("fnp.true_divide(fnp.arange(3), 2)", "float32", "float64"),
    ("fnp.sum(fnp.array([True]))", "int32", "int64"),
    ("fnp.sum(fnp.arange(3, dtype=fnp.int32))", "int32", "int64"),
    ("fnp.cumsum(fnp.ones(2, fnp.int32))", "int32", "int32"),
    ("fnp.exp(fnp.ones(2, fnp.int32))", "float32", "float32"),
    ("fnp.argmax(fnp.ones(3))", "int32", "int64"), ("fnp.argsort(fnp.ones(3))", "int32", "int64"),
    ("fnp.nonzero(fnp.ones(2), size=2)[0]", "int32", "int64"),
    ("fnp.bincount(fnp.array([1, 2]), length=3)", "int32", "int64"),
    ("fnp.median(fnp.arange(3))", "float32", "float64"),
    ("fnp.var(fnp.arange(3))", "float32", "float64"),
    ("fnp.float_power(fnp.arange(3), 2)", "float32", "float64"),
    ("fnp.count_nonzero(fnp.ones(2))", "int32", "int64"),
    ("fnp.sin(np.ones(3))", "float32", "float64"),
    ("fnp.add(np.ones(3, np.int64), 1)", "int32", "int64"),
    ("fnp.multiply(fnp.ones(3, fnp.float32), np.float64(2))", "float32", "float64"),
    ("fnp.multiply(fnp.ones(3, fnp.int32), fnp.ones(3, fnp.uint32))", "int32", "int64"),
    ("fnp.add(fnp.arange(3), 1.5)", "float32", "float64"),
    ("fnx.nn.one_hot(fnp.array([1]), 3)", "float32", "float64"),
    ("fnx.random.normal(fnx.random.key(0), (2,))", "float32", "float64"),
    ("fnx.random.uniform(fnx.random.key(0), (2,))", "float32", "float64"),
    ("fnx.random.randint(fnx.random.key(0), (2,), 0, 3)", "int32", "int64"),
]


@pytest.mark.parametrize("expr, off, on", DEFAULTS, ids=[d[0] for d in DEFAULTS])
def test_default_dtypes_are_jax(x64_mode, expr, off, on):
    assert str(eval(expr).dtype) == (on if x64_mode else off)


@pytest.mark.parametrize("expr, off, on", DEFAULTS[:20], ids=[d[0] for d in DEFAULTS[:20]])
def test_jit_gives_the_eager_dtypes(x64_mode, expr, off, on):
    out = fnx.jit(lambda: eval(expr))()
    assert str(out.dtype) == (on if x64_mode else off)


# (expression, weak) as JAX gives them, in both modes
WEAK = [("fnp.sqrt(2.0)", True), ("fnp.asarray(1.0)", True), ("fnp.add(1, 2)", True),
        ("fnp.add(fnp.arange(3), 1.5)", True), ("fnp.where(True, 1, 2.0)", True),
        ("fnp.maximum(1, 2.0)", True), ("fnp.multiply(2.0, fnp.sqrt(2.0))", True),
        ("fnp.array(True)", False),
        ("fnp.array([1.0])", False), ("fnp.ones(3, fnp.float32) * fnp.sqrt(2.0)", False),
        ("fnp.sqrt(2.0).astype(fnp.float32)", False), ("fnp.mean(fnp.arange(3))", False)]


@pytest.mark.parametrize("expr, weak", WEAK, ids=[w[0] for w in WEAK])
def test_weak_types_are_jax(x64_mode, expr, weak):
    v = eval(expr)
    assert type_of(v).weak is weak
    seen = []
    fnx.make_ir(lambda: seen.append(type_of(eval(expr)).weak) or 0)()
    assert seen == [weak]


def test_numpy_operators_on_weak_results_follow_jax(x64_mode):
    w = fnp.sqrt(2.0)  # weak
    assert type_of(w * 2.0).weak and type_of(2 + w).weak  # only weak operands: weak
    strong = w * np.float64(2)  # a numpy scalar is strong
    assert not type_of(strong).weak
    if x64_mode:  # (x64 off, numpy's operator gives float64 here: see docs/semantics.md)
        assert strong.dtype == np.float64
    assert (np.ones(2, np.float32) - w).dtype == np.float32


def test_float32_times_a_function_of_python_scalars_stays_float32(x64_mode):
    m = 7
    x = np.ones(4, np.float32)
    scale = fnp.sqrt(2.0 / m)
    assert (x * scale).dtype == np.float32
    assert fnp.multiply(x, scale).dtype == np.float32
    assert fnx.jit(lambda x, s: x * s)(x, scale).dtype == np.float32
    assert fnx.jit(lambda x: x * fnp.sqrt(2.0 / m))(x).dtype == np.float32
    np.testing.assert_allclose(x * scale, np.float32(np.sqrt(2 / 7)), rtol=1e-7)


def test_64_bit_inputs_narrow_at_every_entry_point():
    x = np.linspace(0, 1, 5)  # float64
    assert fnp.sin(x).dtype == np.float32
    np.testing.assert_allclose(fnp.sin(x), np.sin(x.astype(np.float32)), rtol=1e-6)
    assert fnx.jit(fnp.sin)(x).dtype == np.float32
    assert fnx.grad(lambda v: fnp.sum(v * v))(x).dtype == np.float32
    assert fnx.vmap(lambda v: v * 2)(x).dtype == np.float32
    assert fnx.jit(lambda: fnp.sum(x))().dtype == np.float32  # a captured constant
    assert fnp.add(np.int64(2**40), 0).dtype == np.int32
    assert str(fnx.make_ir(lambda v: v)(x)).startswith("program(a:f32[5])")


@pytest.mark.x64
def test_64_bit_inputs_stay_with_x64_on():
    x = np.linspace(0, 1, 5)
    assert fnp.sin(x).dtype == np.float64 and fnx.jit(fnp.sin)(x).dtype == np.float64
    assert fnx.grad(lambda v: fnp.sum(v * v))(x).dtype == np.float64
    assert fnp.add(np.int64(2**40), 1) == 2**40 + 1


@pytest.mark.parametrize("expr, fn", [
    ("fnp.zeros(3, fnp.float64)", "zeros"), ("fnp.ones(2, np.int64)", "ones"),
    ("fnp.array([1.0], dtype=np.float64)", "array"), ("fnp.asarray(np.ones(2), np.float64)", "asarray"),
    ("fnp.astype(fnp.ones(2), np.float64)", "astype"), ("fnp.arange(3, dtype=np.int64)", "arange"),
    ("fnp.full(2, 1.0, dtype=np.float64)", "full"), ("fnp.eye(2, dtype=np.float64)", "eye"),
    ("fnp.linspace(0, 1, 3, dtype=np.float64)", "linspace"),
    ("fnp.sum(fnp.ones(2), dtype=np.float64)", "sum"),
    ("fnx.random.normal(fnx.random.key(0), (2,), np.float64)", "normal")])
def test_explicit_64_bit_requests_warn_and_narrow(expr, fn):
    with pytest.warns(UserWarning, match=rf"Explicitly requested dtype (float64|int64) requested "
                                         rf"in {fn} is not available, and will be truncated to "
                                         r"dtype (float32|int32)") as rec:
        out = eval(expr)
    assert out.dtype in (np.float32, np.int32)
    fnx_dir = os.path.dirname(fnx.__file__)
    assert not rec[0].filename.startswith(fnx_dir)  # the warning names the user's line
    with fnx.enable_x64(), warnings.catch_warnings():
        warnings.simplefilter("error")
        assert eval(expr).dtype in (np.float64, np.int64)


def test_implicit_narrowing_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fnp.sin(np.ones(3)), fnp.zeros(2, float), fnp.arange(3), fnx.jit(fnp.cos)(np.ones(2))


def test_jit_retraces_when_the_switch_flips_and_shares_canonical_signatures():
    f = fnx.jit(lambda x: x * 2.0 + fnp.ones(3))
    assert f(np.ones(3, np.float32)).dtype == np.float32
    assert f(np.ones(3)).dtype == np.float32  # float64 narrows: the same signature
    assert f.trace_count == 1
    with fnx.enable_x64():
        assert f(np.ones(3)).dtype == np.float64
        assert f(np.ones(3, np.float32)).dtype == np.float64  # fnp.ones is float64 now
    assert f.trace_count == 3
    assert f(np.ones(3, np.float32)).dtype == np.float32
    assert f.trace_count == 3
