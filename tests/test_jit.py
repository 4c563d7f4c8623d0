"""jit dispatch: cache keys, re-tracing, static arguments, threads, introspection."""
import threading

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.backends import available_backends

BACKENDS = available_backends()


@pytest.mark.parametrize("backend", BACKENDS)
def test_jit_matches_eager_on_pytrees(backend):
    def f(params, x):
        w, b = params["w"], params["b"]
        return {"y": fnp.tanh(x @ w + b), "n": fnp.sum(x * x)}
    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal((3, 4)).astype(np.float32),
              "b": rng.standard_normal(4).astype(np.float32)}
    x = rng.standard_normal((5, 3)).astype(np.float32)
    out = fnx.jit(f, backend=backend)(params, x)
    ref = f(params, x)
    assert set(out) == {"y", "n"}
    for k in out:
        assert type(out[k]) is fnx.Array and out[k].dtype == ref[k].dtype
        np.testing.assert_allclose(out[k], ref[k], rtol=2e-6, atol=1e-6)


def test_retrace_only_on_new_signature():
    f = fnx.jit(lambda x, y: x * y + 1.0)
    a32, b32 = np.ones(3, np.float32), np.ones(3, np.float32)
    f(a32, b32)
    f(a32 + 1, b32)
    assert f.trace_count == 1
    f(np.ones(4, np.float32), np.ones(4, np.float32))  # new shape
    assert f.trace_count == 2
    f(np.ones(3), np.ones(3))  # float64 is float32 with x64 off: the same signature (JAX)
    assert f.trace_count == 2
    f(np.ones(3, np.int32), np.ones(3, np.int32))  # new dtype
    assert f.trace_count == 3
    f(a32, 2.0)  # a weak Python scalar is its own signature
    f(a32, 3.0)
    assert f.trace_count == 4


def test_weak_scalar_argument_keeps_float32():
    out = fnx.jit(lambda x, s: x * s)(np.ones(3, np.float32), 2.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [2.5, 2.5, 2.5])


def test_static_argnums_and_argnames():
    calls = []
    def f(x, n, *, mode="sin"):
        calls.append(n)
        y = x
        for _ in range(n):
            y = fnp.sin(y) if mode == "sin" else fnp.cos(y)
        return y
    g = fnx.jit(f, static_argnums=1, static_argnames="mode")
    x = np.linspace(0, 1, 4, dtype=np.float32)
    np.testing.assert_allclose(g(x, 2), np.sin(np.sin(x)), rtol=1e-6)  # float32
    np.testing.assert_allclose(g(x, 2, mode="cos"), np.cos(np.cos(x)), rtol=1e-6)
    g(x, 2)
    assert calls == [2, 2]
    with pytest.raises(ValueError, match="hashable"):
        g(x, [1])


def test_decorator_form_and_inputs_not_mutated():
    @fnx.jit
    def f(x):
        return x.at[0].set(5.0)
    x = np.arange(3.0)
    before = x.copy()
    np.testing.assert_array_equal(f(x), [5.0, 1.0, 2.0])
    np.testing.assert_array_equal(x, before)


def test_threads_compile_once_and_agree():
    f = fnx.jit(lambda x: fnp.exp(x) * 2.0)
    x = np.linspace(0, 1, 16)
    results, errors = [], []
    def worker():
        try:
            for _ in range(20):
                results.append(f(x))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and f.trace_count == 1 and len(results) == 80
    for r in results:
        np.testing.assert_allclose(r, np.exp(x) * 2.0)


def test_lower_shows_optimised_ir_and_compiles():
    f = fnx.jit(lambda x: fnp.sin(x) + fnp.sin(x))  # CSE merges the two sins
    x = np.ones(3, np.float32)
    lowered = f.lower(x)
    text = lowered.as_text()
    assert text.count("sin") == 1 and "add" in text
    exe = lowered.compile()
    np.testing.assert_allclose(exe(x)[0], 2 * np.sin(x), rtol=1e-6)


def test_jit_inside_trace_is_a_call_inlined_when_lowered():
    inner = fnx.jit(lambda x: x * 3.0)
    p = fnx.make_ir(lambda x: inner(x) + 1.0)(np.ones(2))
    prims = [e.primitive for e in p.equations]
    assert prims[0] == "jit" and prims[-1] == "add"  # (more in tests/test_call.py)
    assert "mul" in [e.primitive for e in p.equations[0].params["program"].equations]
    lowered = fnx.jit(lambda x: inner(x) + 1.0).lower(np.ones(2)).program
    prims = [e.primitive for e in lowered.equations]
    assert "jit" not in prims and prims.index("mul") < prims.index("add")


def test_wrong_backend_name():
    with pytest.raises(ValueError, match="unknown backend"):
        fnx.jit(lambda x: x, backend="tpu")(np.ones(1))


def test_fast_path_keeps_output_structure_and_signatures_apart():
    f = fnx.jit(lambda x, y: {"s": x + y, "l": [x * 2]})
    a, b = np.ones(2), np.arange(2.0)
    for _ in range(3):  # first call compiles; later ones take the all-ndarray fast path
        out = f(a, b)
        assert set(out) == {"l", "s"} and isinstance(out["l"], list)
        np.testing.assert_array_equal(out["s"], [1.0, 2.0])
    g = fnx.jit(lambda x: x * 2)
    np.testing.assert_array_equal(g(np.ones(3, np.float32)), [2, 2, 2])
    out = g(np.ones(3, np.int32))  # same shape, new dtype: its own entry
    assert out.dtype == np.int32
    assert g(np.float32(3)).dtype == np.float32  # a numpy scalar is a strong 0-d array
    assert g(3.0).dtype == np.float32  # a Python scalar: weak (default float), pytree path
    assert g.trace_count == 4
    x = np.arange(6.0).reshape(2, 3)[:, ::2]  # non-contiguous: copied, not misread
    np.testing.assert_array_equal(g(x), x * 2)
    np.testing.assert_array_equal(g(x), x * 2)


# ---------------------------------------------------------------- jit(f) == f, as a property

from hypothesis import given, settings, strategies as st  # noqa: E402

_UNARY = [fnp.sin, fnp.tanh, fnp.exp, lambda x: fnp.log1p(fnp.abs(x)), fnp.negative,
          lambda x: fnp.sqrt(fnp.abs(x)), fnx.nn.relu, fnx.nn.sigmoid]
_BINARY = [fnp.add, fnp.subtract, fnp.multiply, fnp.maximum, lambda a, b: a / (1.0 + b * b)]
_REDUCE = [lambda x: fnp.sum(x, axis=-1, keepdims=True), lambda x: fnp.max(x, axis=0),
           lambda x: fnp.mean(x, axis=0, keepdims=True), lambda x: x.T @ x]
# Per dtype: transcendentals differ by a few ULP between numpy and native code, and sums by
# their order of additions.
_TOL = {np.float32: 1e-4, np.float64: 1e-11}


@st.composite
def _programs(draw):
    steps = draw(st.lists(st.tuples(st.sampled_from(["u", "b", "r"]), st.integers(0, 7)),
                          min_size=1, max_size=8))

    def f(x, y):
        vals = [x, y]
        for kind, i in steps:
            a = vals[-1]
            if kind == "u":
                vals.append(_UNARY[i % len(_UNARY)](a))
            elif kind == "b":
                vals.append(_BINARY[i % len(_BINARY)](a, vals[i % len(vals)]))
            else:
                vals.append(_REDUCE[i % len(_REDUCE)](a))
        return vals[-1]
    return f


@pytest.mark.x64  # eagerly, numpy's operators on float64 arrays would not narrow
@settings(max_examples=25, deadline=None)
@given(f=_programs(), dtype=st.sampled_from([np.float32, np.float64]),
       rows=st.integers(1, 5), cols=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_jit_equals_eager_on_random_programs(f, dtype, rows, cols, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (rows, cols)).astype(dtype)
    y = rng.uniform(-2, 2, (cols,)).astype(dtype)
    try:
        want = f(x, y)
    except (ValueError, TypeError):  # e.g. an incompatible broadcast: jit must raise too
        with pytest.raises((ValueError, TypeError)):
            fnx.jit(f)(x, y)
        return
    got = fnx.jit(f)(x, y)
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = _TOL[got.dtype.type]  # the result's dtype (float64 inputs are float32 with x64 off)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


