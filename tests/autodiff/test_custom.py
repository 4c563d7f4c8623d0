"""custom_jvp / custom_vjp under every transform, and checkpoint (rematerialisation)."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx._core import ad
from fnx.testing import check_grads


@fnx.custom_jvp
def log1pexp(x):
    return fnp.log1p(fnp.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return log1pexp(x), t * lax.logistic(x)  # stable where exp(x) overflows


def naive_log1pexp(x):
    return fnp.log1p(fnp.exp(x))


def test_custom_jvp_is_numerically_stable():
    assert np.isnan(fnx.grad(naive_log1pexp)(1000.0))  # exp(1000) = inf: inf/inf
    assert fnx.grad(log1pexp)(1000.0) == 1.0
    assert fnx.jit(fnx.grad(log1pexp))(1000.0) == 1.0
    # second order goes through the rule too (and through log1pexp's own rule inside it)
    assert np.isclose(fnx.grad(fnx.grad(log1pexp))(0.0), 0.25)
    assert fnx.grad(fnx.grad(log1pexp))(1000.0) == 0.0


def test_custom_jvp_under_every_transform():
    x = np.array([-3.0, 0.0, 2.0, 800.0])
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(fnx.jvp(log1pexp, (x,), (np.ones(4),))[1], sig)
    np.testing.assert_allclose(fnx.vmap(fnx.grad(log1pexp))(x), sig)
    np.testing.assert_allclose(fnx.grad(lambda x: fnp.sum(fnx.vmap(log1pexp)(x)))(x), sig)
    np.testing.assert_allclose(fnx.jacrev(log1pexp)(x), np.diag(sig))
    np.testing.assert_allclose(fnx.jacfwd(log1pexp)(x), np.diag(sig))
    np.testing.assert_allclose(fnx.jit(fnx.vmap(fnx.grad(log1pexp)))(x), sig)
    np.testing.assert_allclose(log1pexp(x[:3]), np.log1p(np.exp(x[:3])))
    check_grads(log1pexp, (x[:3],), order=2)


def test_custom_jvp_rule_is_used_not_the_function():
    @fnx.custom_jvp
    def f(x):
        return fnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        return f(primals[0]), 10.0 * tangents[0]
    assert fnx.grad(f)(0.3) == 10.0
    assert fnx.jvp(f, (0.3,), (1.0,))[1] == 10.0


def test_custom_jvp_pytrees_nondiff_and_defjvps():
    @fnx.custom_jvp
    def f(p):
        return {"y": p["a"] * p["b"]}

    @f.defjvp
    def f_jvp(primals, tangents):
        (p,), (t,) = primals, tangents
        return f(p), {"y": t["a"] * p["b"] + p["a"] * t["b"]}
    g = fnx.grad(lambda p: fnp.sum(f(p)["y"]))({"a": np.array([2.0]), "b": np.array([3.0])})
    assert g["a"] == 3.0 and g["b"] == 2.0

    from functools import partial

    @partial(fnx.custom_jvp, nondiff_argnums=(0,))
    def app(fn, x):
        return fn(x)

    @app.defjvp
    def app_jvp(fn, primals, tangents):
        return app(fn, primals[0]), 2.0 * tangents[0]
    assert fnx.grad(lambda x: app(fnp.sin, x))(1.0) == 2.0

    @fnx.custom_jvp
    def h(x, y):
        return x * y
    h.defjvps(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x * 100)
    assert fnx.grad(h, argnums=(0, 1))(2.0, 3.0) == (3.0, 200.0)


def test_custom_jvp_errors():
    @fnx.custom_jvp
    def f(x):
        return x

    with pytest.raises(AttributeError, match="No JVP defined"):
        fnx.grad(f)(1.0)

    @f.defjvp
    def f_jvp(primals, tangents):
        return f(primals[0]), (tangents[0], tangents[0])
    with pytest.raises(TypeError, match="structure"):
        fnx.grad(f)(1.0)

    def outer(w):
        @fnx.custom_jvp
        def g(x):
            return x * w

        @g.defjvp
        def g_jvp(p, t):
            return g(p[0]), t[0] * w
        return g(2.0)
    with pytest.raises(TypeError, match="closes over"):
        fnx.grad(outer)(3.0)


@fnx.custom_vjp
def clip_gradient(x, lo, hi):
    return x


def _clip_fwd(x, lo, hi):
    return x, (lo, hi)


def _clip_bwd(res, g):
    lo, hi = res
    return (fnp.clip(g, lo, hi), None, None)


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


def test_custom_vjp_under_reverse_transforms():
    x = np.array([1.0, 2.0])
    f = lambda x: fnp.sum(clip_gradient(x, -0.5, 0.5) * np.array([3.0, -0.1]))
    np.testing.assert_allclose(fnx.grad(f)(x), [0.5, -0.1])
    np.testing.assert_allclose(fnx.jit(fnx.grad(f))(x), [0.5, -0.1])
    np.testing.assert_allclose(fnx.vmap(fnx.grad(lambda x: 3.0 * clip_gradient(x, -1.0, 1.0)))(x),
                               [1.0, 1.0])
    np.testing.assert_allclose(
        fnx.grad(lambda x: fnp.sum(fnx.vmap(lambda v: clip_gradient(v, -1.0, 1.0))(x) * 3.0))(x),
        [1.0, 1.0])
    np.testing.assert_allclose(fnx.jacrev(lambda x: clip_gradient(x, -1.0, 1.0) * 5.0)(x),
                               np.eye(2))
    np.testing.assert_allclose(clip_gradient(x, 0.0, 1.0), x)


def test_custom_vjp_forward_mode_is_an_error():
    with pytest.raises(TypeError, match="can't apply forward-mode autodiff"):
        fnx.jvp(lambda x: clip_gradient(x, -1.0, 1.0), (1.0,), (1.0,))


def test_custom_vjp_stable_rule_and_second_order():
    @fnx.custom_vjp
    def softplus(x):
        return fnp.log1p(fnp.exp(x))

    def fwd(x):
        return softplus(x), x

    def bwd(x, g):
        return (g * lax.logistic(x),)
    softplus.defvjp(fwd, bwd)
    assert fnx.grad(softplus)(1000.0) == 1.0
    # the second derivative differentiates bwd (an ordinary function)
    assert np.isclose(fnx.grad(fnx.grad(softplus))(0.0), 0.25)
    assert np.isclose(fnx.hessian(softplus)(0.0), 0.25)


def test_custom_vjp_errors():
    @fnx.custom_vjp
    def f(x):
        return x
    with pytest.raises(AttributeError, match="No VJP defined"):
        fnx.grad(f)(1.0)
    f.defvjp(lambda x: x, lambda r, g: (g,))
    with pytest.raises(TypeError, match=r"fwd rule .* pair \(output, residuals\)"):
        fnx.grad(f)(1.0)
    f.defvjp(lambda x: (x, None), lambda r, g: g)
    with pytest.raises(TypeError, match="bwd rule .* tuple with one cotangent"):
        fnx.grad(f)(1.0)
    f.defvjp(lambda x: (x, None), lambda r, g: (np.ones(3),))
    with pytest.raises(TypeError, match=r"shape \(3,\)"):
        fnx.grad(f)(1.0)


# ---------------------------------------------------------------------------- checkpoint

def _chain(x):
    for _ in range(4):
        x = fnp.sin(x) * 1.5
    return x


def _residuals(f, x):
    program = fnx.make_ir(f)(x)
    pe, _, _ = ad.linearize_program(program, [True])
    return pe.num_res


def test_checkpoint_equal_gradients_fewer_residuals():
    x = np.linspace(-1, 1, 5)
    plain = lambda x: fnp.sum(_chain(x))
    remat = lambda x: fnp.sum(fnx.checkpoint(_chain)(x))
    np.testing.assert_allclose(fnx.grad(remat)(x), fnx.grad(plain)(x), rtol=1e-14)
    np.testing.assert_allclose(fnx.jit(fnx.grad(remat))(x), fnx.grad(plain)(x), rtol=1e-14)
    assert _residuals(plain, x) >= 4
    assert _residuals(remat, x) == 1  # only the checkpoint's input is stored
    # the backward pass recomputes the forward inside one checkpoint equation
    p = fnx.make_ir(fnx.grad(remat))(x)
    assert [e.primitive for e in p.equations].count("checkpoint") == 2


def test_checkpoint_under_other_transforms():
    x = np.linspace(-1, 1, 4)
    f = fnx.checkpoint(lambda x, y: fnp.sin(x) * y)
    np.testing.assert_allclose(fnx.jvp(lambda x: f(x, 2.0), (x,), (np.ones(4),))[1],
                               2 * np.cos(x))
    np.testing.assert_allclose(fnx.vmap(fnx.grad(lambda x: f(x, 2.0)))(x), 2 * np.cos(x))
    np.testing.assert_allclose(fnx.grad(lambda x: fnp.sum(fnx.vmap(lambda v: f(v, 2.0))(x)))(x),
                               2 * np.cos(x))
    np.testing.assert_allclose(fnx.grad(fnx.grad(lambda x: f(x, 1.0)))(0.3), -np.sin(0.3))
    np.testing.assert_allclose(fnx.hessian(lambda x: fnp.sum(f(x, 1.0)))(x), np.diag(-np.sin(x)),
                               atol=1e-15)
    np.testing.assert_allclose(f(x, 2.0), np.sin(x) * 2)
    # nested checkpoints
    g = fnx.checkpoint(lambda x: fnx.checkpoint(fnp.sin)(x) * x)
    np.testing.assert_allclose(fnx.grad(lambda x: fnp.sum(g(x)))(x), np.cos(x) * x + np.sin(x))
    # closing over traced values of the enclosing function
    h = lambda w: fnp.sum(fnx.checkpoint(lambda x: fnp.sin(x * w))(x))
    np.testing.assert_allclose(fnx.grad(h)(2.0), np.sum(np.cos(2 * x) * x))


def test_programs_with_nested_programs_verify_print_and_inline():
    import fnx_ir
    from fnx._core.ad import inline_calls
    from fnx.backends.interpreter import evaluate
    x = np.linspace(-1, 1, 3)
    f = lambda x: fnp.sum(fnx.checkpoint(lambda y: log1pexp(y) * clip_gradient(y, -1.0, 1.0))(x))
    for p in (fnx.make_ir(f)(x), fnx.make_ir(fnx.grad(f))(x)):
        fnx_ir.verify(p)
        assert "checkpoint[program=program(" in str(p)
        flat = inline_calls(p)
        fnx_ir.verify(flat)
        assert not {"checkpoint", "custom_jvp_call", "custom_vjp_call"} & {
            e.primitive for e in flat.equations}
        for a, b in zip(evaluate(flat, [x]), evaluate(p, [x])):
            np.testing.assert_allclose(a, b, rtol=1e-15)


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
