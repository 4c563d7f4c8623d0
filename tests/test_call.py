"""A nested `fnx.jit` is one `jit` call equation (JAX's pjit) that every transform rewrites
through, so `grad(jit(f))`, `vmap(jit(f))`, `jvp(jit(f))` run compiled, also eagerly."""
import collections
import inspect

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
import fnx_ir
from fnx._core import rules as fnx_rules
from fnx.backends.cpu import CPUBackend, runtime
from fnx.testing import check_grads

F32 = np.float32


def _tol(x):
    return {"rtol": 1e-5, "atol": 1e-6} if np.asarray(x).dtype == np.float32 else \
        {"rtol": 1e-12, "atol": 1e-14}


@pytest.fixture
def counts(monkeypatch):
    """Counts native executable calls ("native"), compilations ("compile") and eager
    primitive implementations (by primitive name)."""
    seen = collections.Counter()
    call = runtime.CPUExecutable.__call__
    lower = CPUBackend.lower

    def counted_call(self, *args):
        seen["native"] += 1
        return call(self, *args)

    def counted_lower(self, *args, **kwargs):
        seen["compile"] += 1
        return lower(self, *args, **kwargs)

    monkeypatch.setattr(runtime.CPUExecutable, "__call__", counted_call)
    monkeypatch.setattr(CPUBackend, "lower", counted_lower)
    for name, r in list(fnx_rules.RULES.items()):
        def impl(*args, _name=name, _impl=r.impl, **params):
            seen[_name] += 1
            return _impl(*args, **params)
        monkeypatch.setitem(fnx_rules.RULES, name, r._replace(impl=impl))
    return seen


def _loss(w, x):
    h = fnp.tanh(x @ w)
    return (h * h).sum() + fnp.sin(w).sum()


def _args(dtype=F32):
    rng = np.random.default_rng(0)
    return rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal((5, 4)).astype(dtype)


def _primitive_impls(counts) -> dict:
    return {k: v for k, v in counts.items() if k not in ("native", "compile", "jit")}


def test_grad_of_jit_runs_compiled_forward_and_backward(counts):
    loss = fnx.jit(_loss)
    w, x = _args()
    expected = fnx.grad(_loss)(w, x)
    fnx.grad(loss)(w, x)  # compiles
    counts.clear()
    got = fnx.grad(loss)(w, x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), **_tol(got))  # (numpy ops)
    # the forward in the (concrete) trace, the known part, the transposed linear part
    assert counts["native"] == 3 and counts["jit"] == 3
    assert counts["compile"] == 0  # derived programs are reused: nothing compiles again
    assert _primitive_impls(counts) == {}  # no eager numpy work per primitive


def test_value_and_grad_of_jit_with_argnums(counts):
    loss = fnx.jit(_loss)
    w, x = _args()
    v0, g0 = fnx.value_and_grad(_loss, (0, 1))(w, x)
    counts.clear()
    v, g = fnx.value_and_grad(loss, (0, 1))(w, x)
    assert _primitive_impls(counts) == {}
    np.testing.assert_allclose(v, v0, **_tol(v))
    for a, b in zip(g, g0):
        np.testing.assert_allclose(a, b, **_tol(a))


def test_vmap_and_jvp_of_jit_run_one_executable(counts):
    loss = fnx.jit(_loss)
    w, x = _args()
    xs = np.stack([x, 2 * x, -x])
    expected = [_loss(w, xi) for xi in xs]
    out0, t0 = fnx.jvp(_loss, (w, x), (w, x))
    counts.clear()
    got = fnx.vmap(loss, in_axes=(None, 0))(w, xs)
    assert counts["native"] == 1 and _primitive_impls(counts) == {}
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), **_tol(got))  # (numpy ops)
    counts.clear()
    out, t = fnx.jvp(loss, (w, x), (w, x))
    assert counts["native"] == 2  # the concrete forward, then the jvp program
    assert _primitive_impls(counts) == {}
    np.testing.assert_allclose(t, t0, **_tol(t))
    np.testing.assert_allclose(out, out0, **_tol(out))


def test_nested_jit_is_a_call_equation_inlined_when_compiled():
    inner = fnx.jit(lambda x: fnp.sin(x) * 2)

    def outer(x):
        return inner(x) + inner(x * x)

    x = np.linspace(-1, 1, 5, dtype=F32)
    program = fnx.make_ir(outer)(x)
    calls = [eq for eq in program.equations if eq.primitive == "jit"]
    assert len(calls) == 2 and calls[0].params["name"] == "<lambda>"
    assert [e.primitive for e in calls[0].params["program"].equations] == \
        ["sin", "broadcast_in_dim", "mul"]
    fnx_ir.verify(program)
    assert fnx_ir.parse(str(program)) == program  # prints and parses
    lowered = fnx.jit(outer).lower(x).as_text()
    assert "jit[" not in lowered and lowered.count("sin") == 2
    expected = np.sin(x) * 2 + np.sin(x * x) * 2
    np.testing.assert_allclose(fnx.jit(outer)(x), expected, **_tol(x))
    np.testing.assert_allclose(outer(x), expected, **_tol(x))


def test_transforms_inside_jit_keep_calls_then_inline():
    inner = fnx.jit(lambda x: fnp.tanh(x) ** 2)
    x = np.linspace(-1, 1, 4, dtype=F32)
    f = lambda x: inner(x).sum()  # noqa: E731
    program = fnx.make_ir(fnx.grad(f))(x)
    names = [eq.params["name"] for eq in program.equations if eq.primitive == "jit"]
    assert names == ["known(jvp(<lambda>))", "transpose(linear(jvp(<lambda>)))"]
    expected = 2 * np.tanh(x) * (1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(fnx.jit(fnx.grad(f))(x), expected, **_tol(x))
    batched = fnx.make_ir(fnx.vmap(inner))(np.ones((3, 4), F32))
    assert [eq.primitive for eq in batched.equations] == ["jit"]


def test_nested_calls_and_higher_derivatives():
    h = fnx.jit(lambda x: fnp.sin(x) * x)
    g = fnx.jit(lambda x, y: h(x) * fnp.exp(y) + h(y))

    def f(x, y):
        return g(x, y).sum()

    def plain(x, y):
        return (fnp.sin(x) * x * fnp.exp(y) + fnp.sin(y) * y).sum()

    x = np.array([0.3, -0.7], np.float64)
    y = np.array([0.5, 0.1], np.float64)
    check_grads(f, (x, y), order=2)
    for t in (fnx.grad, fnx.jacfwd, fnx.hessian):
        np.testing.assert_allclose(t(f)(x, y), t(plain)(x, y), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fnx.jit(fnx.hessian(f))(x, y), fnx.hessian(plain)(x, y),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fnx.vmap(fnx.grad(f))(np.stack([x, y]), np.stack([y, x])),
                               fnx.vmap(fnx.grad(plain))(np.stack([x, y]), np.stack([y, x])),
                               rtol=1e-12, atol=1e-12)


def test_closure_over_outer_traced_value_and_static_args():
    def f(x):
        scaled = fnx.jit(lambda y, k: y * x * k, static_argnums=1)
        return scaled(np.float32(2.0), 3)

    x = np.float32(1.5)
    assert fnx.grad(f)(x) == np.float32(6.0)
    assert fnx.jit(fnx.grad(f))(x) == np.float32(6.0)


def test_python_scalar_arguments_keep_weak_types():
    inner = fnx.jit(lambda a, b: a * b)
    out = fnx.make_ir(lambda x: inner(x, 2.0))(np.ones(3, F32))
    assert out.out_types[0].dtype is fnx_ir.float32
    np.testing.assert_array_equal(fnx.vmap(lambda x: inner(x, 2.0))(np.ones(3, F32)),
                                  np.full(3, 2.0, F32))


def test_interpreter_backend_is_kept(counts):
    f = fnx.jit(lambda x: fnp.cos(x).sum(), backend="interpreter")
    x = np.linspace(0, 1, 3, dtype=F32)
    np.testing.assert_allclose(fnx.grad(f)(x), -np.sin(x), **_tol(x))
    assert counts["native"] == 0 and counts["cos"] >= 1  # evaluated by the interpreter


def test_dce_prunes_call_outputs_and_operands():
    inner = fnx.jit(lambda a, b: (fnp.sin(a), fnp.cos(b)))
    x = np.ones(3, F32)
    program = fnx.make_ir(lambda a, b: inner(a, b)[0])(x, x)
    pruned = fnx_ir.passes.dce(program)
    (eq,) = pruned.equations
    assert len(eq.inputs) == 1 and len(eq.outputs) == 1
    assert [e.primitive for e in eq.params["program"].equations] == ["sin"]
    fnx_ir.verify(pruned)


def test_cse_merges_equal_calls():
    inner = fnx.jit(lambda a: fnp.sin(a))
    x = np.ones(3, F32)
    program = fnx_ir.passes.cse(fnx.make_ir(lambda a: inner(a) + inner(a))(x))
    assert sum(eq.primitive == "jit" for eq in program.equations) == 1


def test_error_inside_the_inner_function_names_the_users_line():
    inner = fnx.jit(lambda x: x @ np.ones((5, 2), F32))  # the bad line
    line = inspect.currentframe().f_lineno - 1
    with pytest.raises(TypeError, match=rf"test_call\.py:{line}"):
        fnx.grad(lambda x: inner(x).sum())(np.ones((3, 4), F32))


def test_vmap_of_jit_keeps_unbatched_outputs_unbatched():
    f = fnx.jit(lambda x, y: (x * 2, y + 1))
    x, y = np.ones((3, 2), F32), np.zeros(2, F32)
    a, b = fnx.vmap(f, in_axes=(0, None), out_axes=(0, None))(x, y)
    np.testing.assert_array_equal(a, 2 * x)
    np.testing.assert_array_equal(b, y + 1)


# Through the call: every transform of a jitted primitive, for a spread of rule kinds
# (linear/bilinear, indexing, reductions with ties, sorting, padding), checked to order 2
# against finite differences, so the partial-eval and transpose rules of `jit` compose
# with each primitive's.
THROUGH = ["dot_general", "gather", "scatter_add", "cumsum", "reduce_max", "sort", "pad"]


@pytest.mark.parametrize("name", THROUGH)
def test_check_grads_through_a_jit_call(name):
    from tests.autodiff.test_rules import CASES
    fn, make = CASES[name]
    args = make(np.random.default_rng(7))
    check_grads(fnx.jit(fn), args, order=2, atol=1e-4, rtol=1e-4)
