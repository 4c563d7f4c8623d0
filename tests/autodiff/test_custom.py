"""custom_jvp / custom_vjp under every transform, and checkpoint (rematerialisation)."""
import functools

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx._core import ad
from fnx.testing import check_grads

F32 = np.float32


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
    from fnx_ir.passes import inline_calls
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


# ----------------------------------------------------------------- rules run only when needed
# (JAX: without differentiation the function itself is called and the rule never runs)

def _counted_custom_jvp():
    calls = {"jvp": 0}

    @fnx.custom_jvp
    def f(x):
        return fnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        calls["jvp"] += 1
        (x,), (t,) = primals, tangents
        return f(x), fnp.cos(x) * t
    return f, calls


def _counted_custom_vjp():
    calls = {"fwd": 0, "bwd": 0}

    @fnx.custom_vjp
    def f(x):
        return fnp.sin(x)

    def fwd(x):
        calls["fwd"] += 1
        return fnp.sin(x), fnp.cos(x)

    def bwd(c, g):
        calls["bwd"] += 1
        return (c * g,)
    f.defvjp(fwd, bwd)
    return f, calls


@pytest.mark.parametrize("make", [_counted_custom_jvp, _counted_custom_vjp])
def test_rules_do_not_run_without_differentiation(make):
    f, calls = make()
    x = np.linspace(-1, 1, 3).astype(np.float32)
    for run in (f, fnx.jit(f), fnx.vmap(f), fnx.make_ir(f), fnx.jit(fnx.vmap(f)),
                lambda x: fnx.grad(lambda y: fnp.sum(y * y))(x + fnp.sum(f(x)))):
        run(x)
        assert set(calls.values()) == {0}, calls
    np.testing.assert_allclose(fnx.grad(lambda x: fnp.sum(f(x)))(x), np.cos(x), rtol=1e-6)
    assert max(calls.values()) >= 1


def test_rules_see_concrete_values_outside_jit():
    @fnx.custom_vjp
    def f(x):
        return fnp.sin(x)

    def fwd(x):
        return fnp.sin(x), (x, 1.0 if x > 0 else -1.0)  # Python `if` on the primal

    def bwd(res, g):
        x, s = res
        return (s * g * fnp.cos(x),) if g > 0.5 else (None,)  # ... and on the cotangent
    f.defvjp(fwd, bwd)

    @fnx.custom_jvp
    def h(x):
        return fnp.abs(x)

    @h.defjvp
    def h_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return h(x), (t if x > 0 else -2.0 * t)

    x = np.float32(0.5)
    c = np.cos(x)
    assert np.isclose(fnx.grad(f)(x), c, rtol=1e-6)
    assert np.isclose(fnx.grad(f)(-x), -c, rtol=1e-6)
    assert fnx.vjp(f, x)[1](np.float32(0.2)) == (0.0,)
    assert fnx.grad(h)(x) == 1.0 and fnx.grad(h)(-x) == -2.0
    assert fnx.jvp(h, (-x,), (np.float32(1.0),))[1] == -2.0
    assert fnx.linearize(h, -x)[1](np.float32(1.0)) == -2.0
    assert fnx.jacfwd(h)(-x) == -2.0 and fnx.jacrev(h)(-x) == -2.0
    # under jit the values are abstract: JAX's error (pointing to lax.cond)
    for g in (f, h):
        with pytest.raises(fnx.ConcretizationError, match="concrete value"):
            fnx.jit(fnx.grad(g))(x)


# JAX's fixed-point example (custom derivative rules tutorial): a `while_loop` inside a
# function with a function-valued `nondiff_argnums` argument, and the custom function
# called again inside its own backward rule.
@functools.partial(fnx.custom_vjp, nondiff_argnums=(0,))
def fixed_point(f, a, x_guess):
    def cond_fun(carry):
        x_prev, x = carry
        return fnp.abs(x_prev - x) > 1e-6

    def body_fun(carry):
        _, x = carry
        return x, f(a, x)
    _, x_star = lax.while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
    return x_star


def _fixed_point_fwd(f, a, x_init):
    x_star = fixed_point(f, a, x_init)
    return x_star, (a, x_star)


def _rev_iter(f, packed, u):
    a, x_star, x_star_bar = packed
    _, vjp_x = fnx.vjp(lambda x: f(a, x), x_star)
    return x_star_bar + vjp_x(u)[0]


def _fixed_point_rev(f, res, x_star_bar):

    a, x_star = res
    _, vjp_a = fnx.vjp(lambda a: f(a, x_star), a)
    a_bar, = vjp_a(fixed_point(functools.partial(_rev_iter, f), (a, x_star, x_star_bar),
                               x_star_bar))
    return a_bar, fnp.zeros_like(x_star)


fixed_point.defvjp(_fixed_point_fwd, _fixed_point_rev)


def newton_sqrt(a):
    return fixed_point(lambda a, x: 0.5 * (x + a / x), a, a)


def test_nondiff_argnums_with_while_loop_and_recursive_rule():
    a = np.float32(2.0)
    tol = 1e-5
    assert np.isclose(newton_sqrt(a), np.sqrt(2.0), rtol=tol)
    assert np.isclose(fnx.jit(newton_sqrt)(a), np.sqrt(2.0), rtol=tol)
    d1, d2 = 0.5 / np.sqrt(2.0), -0.25 * 2.0 ** -1.5
    for g in (fnx.grad(newton_sqrt), fnx.jit(fnx.grad(newton_sqrt))):
        assert np.isclose(g(a), d1, rtol=tol)
    for g in (fnx.grad(fnx.grad(newton_sqrt)), fnx.jit(fnx.grad(fnx.grad(newton_sqrt)))):
        assert np.isclose(g(a), d2, rtol=tol)  # JAX: -0.088388346
    np.testing.assert_allclose(fnx.vmap(fnx.grad(newton_sqrt))(np.array([2.0, 4.0], np.float32)),
                               0.5 / np.sqrt([2.0, 4.0]), rtol=tol)


def test_custom_jvp_nondiff_function_with_while_loop():


    @functools.partial(fnx.custom_jvp, nondiff_argnums=(0,))
    def apply3(fn, x):
        return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, fn(c[1])), (0, x))[1]

    @apply3.defjvp
    def apply3_jvp(fn, primals, tangents):
        return apply3(fn, primals[0]), 7.0 * tangents[0]

    x = np.float32(1.5)
    double = lambda y: y * 2.0
    assert apply3(double, x) == 12.0 and fnx.jit(lambda x: apply3(double, x))(x) == 12.0
    assert fnx.grad(lambda x: apply3(double, x))(x) == 7.0
    assert fnx.jit(fnx.grad(lambda x: apply3(double, x)))(x) == 7.0
    np.testing.assert_array_equal(
        fnx.vmap(fnx.grad(lambda x: apply3(double, x)))(np.ones(3, np.float32)), 7.0)


def test_rules_closing_over_values_of_the_enclosing_function():
    def outer(a, x):
        @fnx.custom_jvp
        def g(x):
            return a * fnp.sin(x)

        @g.defjvp
        def g_jvp(primals, tangents):
            return g(primals[0]), 10.0 * a * fnp.cos(primals[0]) * tangents[0]
        return g(x)

    a, x = np.float32(2.0), np.float32(0.5)
    want = 20.0 * np.cos(x)
    for gr in (fnx.grad(outer, 1), fnx.jit(fnx.grad(outer, 1))):
        assert np.isclose(gr(a, x), want, rtol=1e-6)
    with pytest.raises(TypeError, match="closes over"):
        fnx.grad(outer, 0)(a, x)  # differentiating the closed-over value

    def rule_only(a, x):  # the rule reads a value the function itself does not
        @fnx.custom_jvp
        def g(x):
            return fnp.sin(x)

        @g.defjvp
        def g_jvp(primals, tangents):
            return g(primals[0]), a * tangents[0]
        return g(x)
    for gr in (fnx.grad(rule_only, 1), fnx.jit(fnx.grad(rule_only, 1))):
        assert gr(a, x) == a  # JAX: 2.0
    # ... unless that value belongs to a trace that has finished (JAX: an
    # UnexpectedTracerError; fnx names the rule)
    with pytest.raises(TypeError, match="jvp rule of g reads a traced value"):
        fnx.grad(rule_only, argnums=(0, 1))(a, x)


def test_custom_vjp_pytree_arguments_outputs_residuals_and_none_cotangents():
    @fnx.custom_vjp
    def f(p, x):
        return {"y": p["w"] * fnp.sin(x), "z": (p["b"] + x,)}

    def f_fwd(p, x):
        return f(p, x), {"r": (p["w"], fnp.cos(x)), "s": [x]}  # residuals: a pytree

    def f_bwd(res, g):
        w, c = res["r"]
        (x,) = res["s"]
        gy, (gz,) = g["y"], g["z"]
        return {"w": gy * fnp.sin(x), "b": None}, gy * w * c * 2 + gz  # None: zero
    f.defvjp(f_fwd, f_bwd)

    p = {"w": np.float32(1.5), "b": np.float32(0.5)}
    x = np.float32(0.3)
    loss = lambda p, x: f(p, x)["y"] + 3 * f(p, x)["z"][0]
    # JAX 0.10: ({'b': 0., 'w': 0.29552022}, 5.8660097)
    for g in (fnx.grad(loss, argnums=(0, 1)), fnx.jit(fnx.grad(loss, argnums=(0, 1)))):
        gp, gx = g(p, x)
        assert gp["b"] == 0.0 and gp["b"].dtype == F32
        assert np.isclose(gp["w"], np.sin(x), rtol=1e-6)
        assert np.isclose(gx, 3.0 * np.cos(x) + 3.0, rtol=1e-6)
    xs = np.linspace(0, 1, 3).astype(F32)
    np.testing.assert_allclose(fnx.vmap(fnx.grad(loss, argnums=1), in_axes=(None, 0))(p, xs),
                               3.0 * np.cos(xs) + 3.0, rtol=1e-6)


def test_symbolic_zeros():
    from fnx.custom_derivatives import CustomVJPPrimal, SymbolicZero
    seen = []

    @fnx.custom_jvp
    def f(x, y):
        return x * y

    @functools.partial(f.defjvp, symbolic_zeros=True)
    def f_jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        seen.append(tuple(type(t).__name__ for t in (tx, ty)))
        out = SymbolicZero.from_primal_value(x)
        if not isinstance(tx, SymbolicZero):
            out = tx * y
        if not isinstance(ty, SymbolicZero):
            out = ty * x if isinstance(out, SymbolicZero) else out + ty * x
        return f(x, y), out

    x, y = np.float32(3.0), np.float32(2.0)
    assert fnx.grad(f)(x, y) == 2.0 and seen[-1][1] == "SymbolicZero"
    assert seen[-1][0] != "SymbolicZero"
    assert fnx.grad(f, argnums=1)(x, y) == 3.0 and seen[-1][0] == "SymbolicZero"
    # the rule returning a symbolic zero for the output tangent
    assert fnx.grad(lambda x: f(fnx.lax.stop_gradient(x), y) + x)(x) == 1.0

    @fnx.custom_vjp
    def g(x, y):
        return x * y, x + y

    def g_fwd(x, y):
        assert isinstance(x, CustomVJPPrimal) and isinstance(y, CustomVJPPrimal)
        seen.append((x.perturbed, y.perturbed))
        return g(x.value, y.value), (x.value, y.value)

    def g_bwd(res, cts):
        ca, cb = cts
        seen.append(tuple(type(c).__name__ for c in cts))
        a = SymbolicZero.from_primal_value(res[0]) if isinstance(ca, SymbolicZero) else ca
        if isinstance(ca, SymbolicZero):
            return cb, cb
        return ca * res[1] + (0 if isinstance(cb, SymbolicZero) else cb), a * 0 + ca * res[0]
    g.defvjp(g_fwd, g_bwd, symbolic_zeros=True)
    # only x is differentiated, only the first output is used (JAX: fwd sees
    # perturbed=(True, False), bwd a SymbolicZero for the unused output)
    assert fnx.grad(lambda x: g(x, y)[0])(x) == 2.0
    assert seen[-2] == (True, False) and seen[-1][1] == "SymbolicZero"
    assert fnx.grad(lambda x: g(x, y)[1])(x) == 1.0 and seen[-1][0] == "SymbolicZero"
    assert fnx.jit(fnx.grad(lambda x: g(x, y)[0]))(x) == 2.0


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
